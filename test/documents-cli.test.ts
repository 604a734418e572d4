/**
 * Documents end to end through the built bin on SQLite workspaces: Markdown, plain text and a
 * real PDF (made here with pdf-lib) are added and their text extracted; a corrupt PDF and an
 * unsupported file are refused naming `file`, storing nothing; the same bytes sent as base64
 * `data` (by `bosun call` and over HTTP) are read like the file, refused naming `data`; a document
 * analysed by an analyst agent on a fake OpenAI-compatible server (the real wire format) and one analysed with no model
 * both store an analysis; a model's invalid JSON is repaired once, else falls back to the
 * extractive analysis with a note (or fails, when the model was named); proposals are applied as
 * risks and actions, each once.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/app/runtime.js';
import { openRuntime } from '../src/app/runtime.js';
import type { ServerApp } from '../src/server/app.js';
import { createServerApp } from '../src/server/app.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, fakeModelConfig, initWorkspace, runBosun } from './helpers/cli.js';
import { BACKUP_PLAN, contractPdf } from './helpers/documents.js';

interface DocJson {
  ref: string;
  title: string;
  fileName: string;
  mediaType: string;
  bytes: number;
  sha256: string;
  pages: number | null;
  characters: number;
  words: number;
  truncated: boolean;
  tags: string[];
  addedBy: string;
  archivedAt: string | null;
}

interface AnalysisJson {
  seq: number;
  method: 'model' | 'extractive';
  agent: string | null;
  model: string | null;
  note: string | null;
  applied: { proposal: string; ref: string }[];
  result: {
    summary: string;
    risks: { title: string; likelihood: number; impact: number; mitigation: string }[];
    actions: { title: string; owner: string | null; due: string | null }[];
    decisions: string[];
    deadlines: { what: string; date: string }[];
  };
}

interface AnalyzeJson {
  doc: string;
  analysis: AnalysisJson;
  apply: string | null;
  report: string;
}

interface ShowJson {
  doc: DocJson;
  analysis: AnalysisJson | null;
  analyses?: AnalysisJson[];
  text?: string;
  report: string;
}

const MODEL_ANALYSIS = {
  summary: 'A plan to keep the family photos safe on the NAS with a weekly offsite copy.',
  risks: [
    {
      title: 'Both NAS disks fail together',
      description: 'The disks come from one batch.',
      likelihood: 2,
      impact: 5,
      mitigation: 'Weekly offsite copy',
    },
  ],
  actions: [
    { title: 'Order a second offsite disk', owner: 'ana', due: null },
    { title: 'Write the restore runbook', owner: null, due: '2027-03-12' },
  ],
  decisions: ['Copy everything offsite every Sunday'],
  deadlines: [{ what: 'Restore runbook written', date: '2027-03-12' }],
};

describe('bosun doc without a model', () => {
  let cwd: string;
  const json = <T>(args: string[]) => bosunJson<T>(args, { cwd });

  beforeAll(async () => {
    cwd = await initWorkspace('bosun-docs-');
    await json(['project', 'create', 'HOME', 'Home lab']);
    writeFileSync(join(cwd, 'plan.md'), BACKUP_PLAN);
    writeFileSync(join(cwd, 'notes.txt'), 'Line one.\r\nLine two, with café.\r\n');
    writeFileSync(join(cwd, 'contract.pdf'), await contractPdf());
  });

  it('adds Markdown, plain text and PDF files, extracting their text and metadata', async () => {
    const md = await json<DocJson>(['doc', 'add', 'HOME', 'plan.md', '--tag', 'plan']);
    expect(md).toMatchObject({
      ref: 'HOME-D1',
      title: 'Backup plan',
      fileName: 'plan.md',
      mediaType: 'text/markdown',
      bytes: Buffer.byteLength(BACKUP_PLAN),
      pages: null,
      characters: BACKUP_PLAN.length,
      truncated: false,
      tags: ['plan'],
      addedBy: 'tester',
    });
    expect(md.sha256).toMatch(/^[0-9a-f]{64}$/);

    const txt = await json<DocJson>(['doc', 'add', 'HOME', 'notes.txt', '-t', 'Notes']);
    expect(txt).toMatchObject({
      ref: 'HOME-D2',
      title: 'Notes',
      mediaType: 'text/plain',
      words: 6,
    });
    const txtShown = await json<ShowJson>(['doc', 'show', 'HOME-D2', '--text']);
    expect(txtShown.text).toBe('Line one.\nLine two, with café.\n');

    const pdfAdded = await runBosun(['doc', 'add', 'HOME', 'contract.pdf', '--json'], { cwd });
    // PDF.js says nothing on the console: a command's stderr is for errors.
    expect(pdfAdded.stderr).toBe('');
    const pdf = JSON.parse(pdfAdded.stdout) as DocJson;
    expect(pdf).toMatchObject({
      ref: 'HOME-D3',
      title: 'NAS support contract',
      mediaType: 'application/pdf',
      pages: 2,
    });
    const pdfShown = await json<ShowJson>(['doc', 'show', 'HOME-D3', '--text']);
    expect(pdfShown.text).toBe(
      'Support for the NAS ends on renewal, due 2027-06-30.\n\nThe vendor may fail to ship spare disks.',
    );

    const listed = await runBosun(['doc', 'list', 'HOME'], { cwd });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^REF +TITLE +FILE +TYPE +PAGES +WORDS +TAGS +BY$/,
    );
    expect(listed.stdout).toMatch(
      /HOME-D3 +NAS support contract +contract\.pdf +application\/pdf +2 /,
    );

    const shown = await runBosun(['doc', 'show', 'home-d3'], { cwd });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      'HOME-D3  NAS support contract\nFile: contract.pdf (application/pdf',
    );
    expect(shown.stdout).toContain('2 pages');
    expect(shown.stdout).not.toContain('spare disks');
  });

  it('refuses a corrupt PDF, an unsupported file, a missing file and the same content twice, naming file and storing nothing', async () => {
    writeFileSync(join(cwd, 'broken.pdf'), '%PDF-1.7\nthis is not really a PDF\n');
    writeFileSync(join(cwd, 'fake.pdf'), 'just text pretending');
    writeFileSync(join(cwd, 'report.docx'), 'PK...');
    const before = await json<DocJson[]>(['doc', 'list', '--archived']);
    const refusals: [string[], number, string][] = [
      [
        ['doc', 'add', 'HOME', 'broken.pdf'],
        2,
        'error[invalid_input]: file: is not a readable PDF (',
      ],
      [
        ['doc', 'add', 'HOME', 'fake.pdf'],
        2,
        'error[invalid_input]: file: is not a PDF (no %PDF- header)',
      ],
      [
        ['doc', 'add', 'HOME', 'report.docx'],
        2,
        'error[invalid_input]: file: must be a .md, .markdown, .txt or .pdf file (its extension: .docx)',
      ],
      [['doc', 'add', 'HOME', 'gone.md'], 4, "error[not_found]: file: no file 'gone.md'"],
      [
        ['doc', 'add', 'HOME', 'plan.md'],
        5,
        'error[conflict]: file: the same content is already HOME-D1 ("Backup plan"); pass force (--force) to add it again',
      ],
      [['doc', 'add', 'HOME'], 2, 'error[invalid_input]: file: give exactly one of file'],
      [['doc', 'add', 'NOPE', 'plan.md'], 4, "error[not_found]: project: no project 'NOPE'"],
      [['doc', 'update', 'HOME-D1', '--tag', 'no spaces'], 2, 'error[invalid_input]: tag.0: '],
      [
        ['doc', 'show', 'HOME-D9'],
        4,
        "error[not_found]: doc: no doc 'HOME-D9'; see 'bosun doc list'",
      ],
    ];
    for (const [args, status, message] of refusals) {
      const refused = await runBosun(args, { cwd });
      expect(refused.status, `${args.join(' ')}: ${refused.stderr}`).toBe(status);
      expect(refused.stderr.startsWith(message), refused.stderr).toBe(true);
      expect(refused.stdout).toBe('');
    }
    expect(await json<DocJson[]>(['doc', 'list', '--archived'])).toEqual(before);
    const forced = await json<DocJson>(['doc', 'add', 'HOME', 'plan.md', '--force']);
    expect(forced.ref).toBe('HOME-D4');
    await json(['doc', 'archive', 'HOME-D4']);
  });

  it('updates, archives and restores a document, each audited', async () => {
    const updated = await json<DocJson>([
      'doc',
      'update',
      'HOME-D2',
      '-t',
      'Loose notes',
      '--tag',
      'misc',
      '--tag',
      'notes',
    ]);
    expect(updated).toMatchObject({ title: 'Loose notes', tags: ['misc', 'notes'] });
    expect((await json<DocJson>(['doc', 'update', 'HOME-D2', '--no-tag'])).tags).toEqual([]);
    expect((await json<DocJson>(['doc', 'delete', 'HOME-D2'])).archivedAt).not.toBeNull();
    const listed = await json<DocJson[]>(['doc', 'list', 'HOME']);
    expect(listed.map((doc) => doc.ref)).toEqual(['HOME-D3', 'HOME-D1']);
    const refused = await runBosun(['doc', 'update', 'HOME-D2', '-t', 'x'], { cwd });
    expect(refused.status).toBe(5);
    expect(refused.stderr).toContain("'bosun doc restore HOME-D2' brings it back");
    await json(['doc', 'restore', 'HOME-D2']);
    const audit = await json<{ operation: string }[]>(['audit', 'list', 'HOME-D2']);
    expect(audit.map((entry) => entry.operation).sort()).toEqual([
      'doc.add',
      'doc.archive',
      'doc.restore',
      'doc.update',
      'doc.update',
    ]);
  });

  it('stores an extractive analysis, clearly labelled, and applies its proposals', async () => {
    const printed = await runBosun(['doc', 'analyze', 'HOME-D1'], { cwd });
    expect(printed.status, printed.stderr).toBe(0);
    const lines = printed.stdout.split('\n');
    expect(lines[0]).toBe('Analysis 1 of HOME-D1 "Backup plan" (extractive, no model)');
    expect(printed.stdout).toContain(
      '  R1  L3 × I3  There is a risk that both disks may fail in the same week.',
    );
    expect(printed.stdout).toContain(
      '  A2  Write the restore runbook by 2027-03-12 (due 2027-03-12)',
    );
    expect(printed.stdout).toMatch(
      /Note: no model configured \(no agent plays role 'analyst'.*\); extractive analysis: /,
    );
    expect(printed.stdout).toContain('Create them: bosun doc apply HOME-D1 --analysis 1 --all');

    const analysed = await json<AnalyzeJson>(['doc', 'analyze', 'HOME-D3', '--no-model']);
    expect(analysed.analysis).toMatchObject({
      seq: 1,
      method: 'extractive',
      agent: null,
      model: null,
    });
    expect(analysed.analysis.result.deadlines).toEqual([
      { what: 'Support for the NAS ends on renewal, due 2027-06-30.', date: '2027-06-30' },
    ]);
    expect(analysed.analysis.result.risks.map((risk) => risk.title)).toEqual([
      'The vendor may fail to ship spare disks.',
    ]);

    const applied = await runBosun(['doc', 'apply', 'HOME-D1', '--risk', '1', '--action', '2'], {
      cwd,
    });
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toBe(
      'Applied analysis 1 of HOME-D1:\n  R1   → HOME-R1\n  A2   → HOME-A1\n',
    );
    const action = await json<{ source: string; sourceRef: string; dueDate: string }>([
      'action',
      'show',
      'HOME-A1',
    ]);
    expect(action).toMatchObject({
      source: 'document',
      sourceRef: 'HOME-D1',
      dueDate: '2027-03-12',
    });
    const again = await runBosun(['doc', 'apply', 'HOME-D1', '--action', '2'], { cwd });
    expect(again.status).toBe(5);
    expect(again.stderr).toBe(
      'error[conflict]: action: proposal A2 of analysis 1 was already applied as HOME-A1\n',
    );
    const shown = await json<ShowJson>(['doc', 'show', 'HOME-D1', '--history']);
    expect(shown.analysis?.applied).toEqual([
      { proposal: 'R1', ref: 'HOME-R1' },
      { proposal: 'A2', ref: 'HOME-A1' },
    ]);
    expect(shown.analyses).toHaveLength(1);
  });

  it('adds a file sent as base64 data exactly like the file itself, refusing what it would refuse, naming data or name', async () => {
    const pdfBytes = readFileSync(join(cwd, 'contract.pdf'));
    const call = (input: Record<string, unknown>) =>
      runBosun(['call', 'doc.add', '--input', JSON.stringify({ project: 'HOME', ...input })], {
        cwd,
      });
    const sent = await call({
      name: 'support.pdf',
      data: pdfBytes.toString('base64'),
      force: true,
    });
    expect(sent.status, sent.stderr).toBe(0);
    const doc = JSON.parse(sent.stdout) as DocJson;
    const file = (await json<DocJson[]>(['doc', 'list', '--archived'])).find(
      (d) => d.fileName === 'contract.pdf',
    )!;
    expect(doc).toMatchObject({
      title: 'NAS support contract',
      fileName: 'support.pdf',
      mediaType: 'application/pdf',
      pages: 2,
      bytes: pdfBytes.length,
      sha256: file.sha256,
      words: file.words,
    });
    const shown = await json<ShowJson>(['doc', 'show', doc.ref, '--text']);
    expect(shown.text).toContain('The vendor may fail to ship spare disks.');
    const md = await call({
      name: 'plan-copy.md',
      data: Buffer.from(BACKUP_PLAN).toString('base64'),
    });
    expect(md.stderr).toContain('error[conflict]: data: the same content is already HOME-D1');
    const before = await json<DocJson[]>(['doc', 'list', '--archived']);
    const refusals: [Record<string, unknown>, string][] = [
      [{ name: 'x.pdf', data: 'not base64!' }, 'error[invalid_input]: data: must be base64'],
      [
        { name: 'x.pdf', data: Buffer.from('hello').toString('base64') },
        'error[invalid_input]: data: is not a PDF (no %PDF- header)',
      ],
      [
        { name: 'x.pdf', data: Buffer.from('%PDF-1.7 broken').toString('base64') },
        'error[invalid_input]: data: is not a readable PDF',
      ],
      [
        { name: 'x.txt', data: Buffer.from([0xff, 0xfe, 0x41]).toString('base64') },
        'error[invalid_input]: data: is not UTF-8 text',
      ],
      [
        { name: 'x.docx', data: 'aGVsbG8=' },
        'error[invalid_input]: name: must be a .md, .markdown, .txt or .pdf file (its extension: .docx)',
      ],
      [{ data: 'aGVsbG8=' }, 'error[invalid_input]: name: is required with data'],
      [
        { name: 'x.md', text: 'hello', data: 'aGVsbG8=' },
        'error[invalid_input]: file: give exactly one of file (a path), text or data',
      ],
      [
        { name: 'x.pdf', text: 'hello' },
        'error[invalid_input]: name: names a PDF: a PDF is sent as data (base64), not as text',
      ],
    ];
    for (const [input, message] of refusals) {
      const refused = await call(input);
      expect(refused.status, JSON.stringify(input).slice(0, 80)).toBe(2);
      expect(refused.stderr.startsWith(message), refused.stderr).toBe(true);
    }
    expect(await json<DocJson[]>(['doc', 'list', '--archived'])).toEqual(before);
    await json(['doc', 'archive', doc.ref]);
  });

  it('documents its commands with examples', async () => {
    const help = await runBosun(['doc', 'apply', '--help'], { cwd });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('bosun doc apply HOME-D1 --risk 1 --risk 3 --action 2');
    const nouns = await runBosun(['docs', '--help'], { cwd });
    expect(nouns.stdout).toContain('Usage: bosun doc <verb>');
    expect(nouns.stdout).toMatch(/\n {2}analyze \(analyse\) +Analyse a document/);
  });
});

describe('doc.add over HTTP', () => {
  let runtime: Runtime;
  let server: ServerApp;
  let token: string;
  let cwd: string;
  const post = async (body: unknown) => {
    const response = await server.app.request('/api/doc.add', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    cwd = await initWorkspace('bosun-docs-http-');
    await bosunJson(['project', 'create', 'HOME', 'Home lab'], { cwd });
    writeFileSync(join(cwd, 'contract.pdf'), await contractPdf());
    token = readFileSync(join(cwd, '.bosun', 'token'), 'utf8').trim();
    runtime = await openRuntime({ cwd, env: process.env });
    server = createServerApp(runtime, {
      guard: { token, allowedOrigins: new Set(), allowedHosts: null },
      mcp: { profile: 'core' },
      dashboard: false,
    });
  });

  afterAll(async () => {
    await server?.close();
    await runtime?.close();
  });

  it('takes a PDF as base64 data, and refuses bad data with 400 naming the field', async () => {
    const data = readFileSync(join(cwd, 'contract.pdf')).toString('base64');
    const added = await post({ project: 'HOME', name: 'contract.pdf', data });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body).toMatchObject({ ref: 'HOME-D1', mediaType: 'application/pdf', pages: 2 });
    const again = await post({ project: 'HOME', name: 'copy.pdf', data });
    expect(again.status).toBe(409);
    expect(again.body.error.details.field).toBe('data');
    const bad = await post({ project: 'HOME', name: 'x.pdf', data: '%%%' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('data');
    // Just over the 20 MiB of a file: refused after decoding, with the size, as a file would be.
    const big = Buffer.alloc(20 * 1024 * 1024 + 3, 0x61).toString('base64');
    const tooBig = await post({ project: 'HOME', name: 'big.txt', data: big });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.message).toBe('data: must be at most 20 MiB (it is 20.0 MiB)');
    expect(tooBig.body.error.details.field).toBe('data');
  });
});

describe('bosun doc analyze with an analyst agent', () => {
  let server: FakeOpenAIServer;
  let cwd: string;
  const env = { FAKE_OPENAI_KEY: 'sk-test' };
  const json = <T>(args: string[]) => bosunJson<T>(args, { cwd, env });

  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    cwd = await initWorkspace('bosun-docs-model-', [
      ...fakeModelConfig(server.url, ['price: { input: 1, output: 2 }']),
      'agents:',
      '  analyst: { role: analyst, runner: llm, model: local, instructions: Be brief. }',
    ]);
    await json(['project', 'create', 'HOME', 'Home lab']);
    writeFileSync(join(cwd, 'plan.md'), BACKUP_PLAN);
    await json(['doc', 'add', 'HOME', 'plan.md']);
  });
  afterAll(async () => {
    await server.close();
  });

  it('asks the analyst for JSON, validates and stores its analysis, and records the spend', async () => {
    server.enqueue({
      type: 'text',
      text: `\`\`\`json\n${JSON.stringify(MODEL_ANALYSIS)}\n\`\`\``,
      usage: { promptTokens: 600, completionTokens: 120 },
    });
    const analysed = await json<AnalyzeJson>(['doc', 'analyze', 'HOME-D1']);
    expect(analysed.analysis).toMatchObject({
      seq: 1,
      method: 'model',
      agent: 'analyst',
      model: 'local',
      note: null,
      result: MODEL_ANALYSIS,
    });
    const request = server.requests.at(-1)!;
    const [system, user] = request.messages;
    expect(String(system!.content)).toContain('Reply with one JSON object and nothing else');
    expect(String(system!.content)).toContain('Be brief.');
    expect(String(user!.content)).toContain('Document HOME-D1: "Backup plan" (file plan.md)');
    expect(String(user!.content)).toContain('There is a risk that both disks may fail');

    const spend = await json<{ rows: { key: string; calls: number }[] }>([
      'cost',
      'report',
      '--by',
      'agent',
    ]);
    expect(spend.rows).toEqual([expect.objectContaining({ key: 'analyst', calls: 1 })]);

    const all = await json<{ applied: { proposal: string; ref: string }[] }>([
      'doc',
      'apply',
      'HOME-D1',
      '--all',
    ]);
    expect(all.applied).toEqual([
      { proposal: 'R1', ref: 'HOME-R1' },
      { proposal: 'A1', ref: 'HOME-A1' },
      { proposal: 'A2', ref: 'HOME-A2' },
    ]);
    const risk = await json<{ likelihood: number; impact: number; mitigation: string }>([
      'risk',
      'show',
      'HOME-R1',
    ]);
    expect(risk).toMatchObject({ likelihood: 2, impact: 5, mitigation: 'Weekly offsite copy' });
    const action = await json<{ owner: string | null }>(['action', 'show', 'HOME-A1']);
    expect(action.owner).toBe('ana');
  });

  it('sends an invalid answer back once and keeps the repaired one', async () => {
    server.enqueue({ type: 'text', text: 'Here is my analysis: it looks fine.' });
    server.enqueue({ type: 'text', text: JSON.stringify(MODEL_ANALYSIS) });
    const before = server.requests.length;
    const analysed = await json<AnalyzeJson>(['doc', 'analyze', 'HOME-D1']);
    expect(analysed.analysis).toMatchObject({ seq: 2, method: 'model' });
    expect(analysed.analysis.note).toBe(
      'the first answer was not a valid analysis and was repaired',
    );
    expect(server.requests.length - before).toBe(2);
    expect(String(server.requests.at(-1)!.messages[1]!.content)).toContain(
      'Your previous answer was not a valid analysis: it holds no JSON object.',
    );
  });

  it('falls back to the extractive analysis, with a note, when the model gives invalid JSON twice', async () => {
    const bad = { ...MODEL_ANALYSIS, risks: [{ title: 'x', likelihood: 9, impact: 1 }] };
    server.enqueue({ type: 'text', text: JSON.stringify(bad) });
    server.enqueue({ type: 'text', text: '{"summary": }' });
    const analysed = await json<AnalyzeJson>(['doc', 'analyze', 'HOME-D1']);
    expect(analysed.analysis).toMatchObject({
      seq: 3,
      method: 'extractive',
      agent: null,
      model: null,
    });
    expect(analysed.analysis.note).toMatch(
      /^the model's answer was not a valid analysis: model 'local' gave no valid analysis in 2 answers \(it is not valid JSON\); extractive analysis: /,
    );
    expect(analysed.report).toContain('(extractive, no model)');

    // Named, the model must answer: its failure is the error, and nothing is stored.
    server.enqueue({ type: 'text', text: 'no' });
    server.enqueue({ type: 'text', text: 'still no' });
    const forced = await runBosun(['doc', 'analyze', 'HOME-D1', '--model', 'local'], { cwd, env });
    expect(forced.status).toBe(10);
    expect(forced.stderr).toMatch(
      /^error\[unavailable\]: doc analyze: model 'local' gave no valid analysis in 2 answers/,
    );
    expect(forced.stdout).toBe('');
    const analyses = await json<AnalysisJson[]>(['doc', 'analyses', 'HOME-D1']);
    expect(analyses.map((each) => [each.seq, each.method])).toEqual([
      [3, 'extractive'],
      [2, 'model'],
      [1, 'model'],
    ]);
  });

  it('falls back when the model fails, and refuses --no-model with an agent', async () => {
    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const analysed = await json<AnalyzeJson>(['doc', 'analyze', 'HOME-D1']);
    expect(analysed.analysis.method).toBe('extractive');
    expect(analysed.analysis.note).toMatch(/^the model failed \(doc analyze: model 'local': /);
    const refused = await runBosun(
      ['doc', 'analyze', 'HOME-D1', '--no-model', '--agent', 'analyst'],
      { cwd, env },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^error\[invalid_input\]: model: must not be null/);
  });
});
