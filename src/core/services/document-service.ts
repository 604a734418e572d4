/**
 * Documents (docs/command-center.md "Documents"): a file's text kept with a project, and
 * analyses of it that propose risks and actions. Reading the file and asking the model happen
 * in the operations' `prepare`, outside any transaction (prepareDocument, analyseDocument); the
 * handlers then write in one transaction, checking again what they rely on. Applying proposals
 * creates the risks and actions through their own services, so every rule and audit entry of
 * theirs holds, and records on the analysis which proposal became which record.
 */

import type {
  AppliedProposal,
  DocAnalysis,
  DocAnalysisMethod,
  DocAnalysisResult,
  Document,
} from '../../domain/document.js';
import {
  Document as DocumentRules,
  MAX_DOC_TEXT_CHARS,
  MAX_DOC_FILE_BYTES,
} from '../../domain/document.js';
import {
  ANALYSIS_INSTRUCTIONS,
  EXTRACTIVE_NOTE,
  analysisPrompt,
  extractiveAnalysis,
  readAnalysisAnswer,
  repairPrompt,
} from '../../domain/document-analysis.js';
import type { ActionView } from '../../domain/action.js';
import type { RiskView } from '../../domain/risk.js';
import type { ModelCall } from '../../ports/runner.js';
import { BosunError, invalidInput } from '../../shared/errors.js';
import { isUlid } from '../../shared/ids.js';
import { createAction } from './action-service.js';
import { newRecordFields, resolveRecord, saveRecord, setArchived } from './project-records.js';
import { resolveProject } from './resolve.js';
import { createRisk } from './risk-service.js';
import type { ServiceContext } from './service-context.js';
import { nowIso, recordAudit } from './service-context.js';
import { pickModel } from './model-choice.js';
import { outsideRun, recordCalls } from './spend.js';

/** What the prepare steps need outside a transaction (an operation's prepare context is one). */
export interface DocumentEnvironment extends Pick<ServiceContext, 'engine'> {
  read<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

// ── adding

export interface DocAddInput {
  readonly project: string;
  /** A file to read (relative to the caller's directory); or `text` with `name`. */
  readonly file?: string | undefined;
  readonly text?: string | undefined;
  /** The file's bytes as base64 (API and MCP callers' uploads), with `name`. */
  readonly data?: string | undefined;
  readonly name?: string | undefined;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly tag?: readonly string[] | undefined;
  /** Add it even when the project has a document with the same content. */
  readonly force?: boolean | undefined;
}

/** A document read and extracted, ready to store. */
export interface PreparedDocument {
  /** The input field the content came from, for errors: `file`, `text` or `data`. */
  readonly field: 'file' | 'text' | 'data';
  readonly fileName: string;
  readonly mediaType: Document['mediaType'];
  readonly bytes: number;
  readonly sha256: string;
  readonly pages: number | null;
  readonly title: string;
  /** The stored text: normalized and cut to MAX_DOC_TEXT_CHARS. */
  readonly text: string;
  readonly characters: number;
  readonly words: number;
  readonly truncated: boolean;
}

/** Base64 (already checked by the input schema) to bytes, without Node's Buffer. */
function fromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Reads the file (or takes the text given) and extracts what is stored: in `prepare`. */
export async function prepareDocument(
  env: DocumentEnvironment,
  input: DocAddInput,
): Promise<PreparedDocument> {
  const given = (['file', 'text', 'data'] as const).filter((key) => input[key] !== undefined);
  if (given.length !== 1) {
    throw invalidInput(
      'file',
      'give exactly one of file (a path), text or data (base64 bytes), the last two with name; not several and not none',
    );
  }
  const field = given[0]!;
  let fileName: string;
  let mediaType: Document['mediaType'];
  let data: Uint8Array;
  let raw: string;
  let pages: number | null = null;
  let ownTitle: string | null = null;
  if (field === 'text') {
    if (input.name === undefined) throw invalidInput('name', 'is required with text');
    fileName = input.name;
    mediaType = DocumentRules.mediaTypeOf(fileName) ?? 'text/plain';
    if (mediaType === 'application/pdf') {
      throw invalidInput('name', 'names a PDF: a PDF is sent as data (base64), not as text');
    }
    raw = input.text!;
    data = new TextEncoder().encode(raw);
    if (data.length > MAX_DOC_FILE_BYTES) {
      throw invalidInput('text', `must be at most ${MAX_DOC_FILE_BYTES} bytes in UTF-8`);
    }
  } else {
    if (field === 'file' && input.name !== undefined) {
      throw invalidInput('name', 'goes with text or data; a file brings its own name');
    }
    if (field === 'data' && input.name === undefined) {
      throw invalidInput('name', 'is required with data');
    }
    const reader = env.engine?.documents;
    if (reader === undefined) {
      throw new BosunError(
        'unavailable',
        `${field}: this entry point cannot read files; pass text and name instead`,
        { details: { field } },
      );
    }
    const read =
      field === 'file'
        ? await reader.read(input.file!)
        : await reader.decode(input.name!, fromBase64(input.data!), 'data');
    ({ fileName, mediaType, data, pages } = read);
    raw = read.text;
    ownTitle = read.title?.trim() ?? null;
  }
  const full = DocumentRules.normalizeText(raw);
  if (full.trim() === '') {
    throw invalidInput(
      field,
      mediaType === 'application/pdf'
        ? 'has no text to extract (a scanned PDF needs OCR first)'
        : 'has no text',
    );
  }
  const truncated = full.length > MAX_DOC_TEXT_CHARS;
  // A Markdown file's first top-level heading names it, as a PDF's own title does.
  if (mediaType === 'text/markdown') ownTitle = /^#[ \t]+(.+)$/m.exec(full)?.[1]?.trim() ?? null;
  const title = (input.title ?? ownTitle) || fileName;
  return {
    field,
    fileName,
    mediaType,
    bytes: data.length,
    sha256: await sha256Hex(data),
    pages,
    title: title.length > 200 ? `${title.slice(0, 199)}…` : title,
    text: truncated ? full.slice(0, MAX_DOC_TEXT_CHARS) : full,
    characters: full.length,
    words: DocumentRules.countWords(full),
    truncated,
  };
}

export async function addDocument(
  ctx: ServiceContext,
  input: DocAddInput,
  prepared: PreparedDocument,
): Promise<Document> {
  const project = await resolveProject(ctx.repos, input.project);
  if (!input.force) {
    const same = await ctx.repos.documents.findBySha256(project.id, prepared.sha256);
    if (same) {
      const archived = same.archivedAt === null ? '' : ', archived';
      throw new BosunError(
        'conflict',
        `${prepared.field}: the same content is already ${same.ref} ("${same.title}"${archived}); pass force (--force) to add it again`,
        { details: { field: prepared.field, kind: 'doc', key: same.ref, sha256: same.sha256 } },
      );
    }
  }
  const doc: Document = {
    ...(await newRecordFields(ctx, project, 'doc')),
    title: prepared.title,
    description: input.description ?? '',
    tags: uniqueTags(input.tag ?? []),
    fileName: prepared.fileName,
    mediaType: prepared.mediaType,
    bytes: prepared.bytes,
    sha256: prepared.sha256,
    pages: prepared.pages,
    characters: prepared.characters,
    words: prepared.words,
    truncated: prepared.truncated,
    addedBy: ctx.actor,
  };
  await saveRecord(ctx, 'doc', null, doc);
  await ctx.repos.documents.putText(doc.id, prepared.text);
  return doc;
}

function uniqueTags(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

// ── reading and changing

export interface DocListFilter {
  readonly project?: string | undefined;
  readonly tag?: readonly string[] | undefined;
  readonly archived?: boolean | undefined;
}

export async function listDocuments(
  ctx: ServiceContext,
  filter: DocListFilter,
): Promise<Document[]> {
  const project =
    filter.project === undefined ? undefined : await resolveProject(ctx.repos, filter.project);
  return ctx.repos.documents.list({
    projectId: project?.id,
    tags: filter.tag,
    includeArchived: filter.archived === true,
  });
}

export interface DocDetail {
  readonly doc: Document;
  /** The newest analysis; null before the first. */
  readonly analysis: DocAnalysis | null;
  /** Every analysis, newest first (with `history`). */
  readonly analyses?: DocAnalysis[];
  /** The stored text (with `text`). */
  readonly text?: string;
  readonly report: string;
}

export async function showDocument(
  ctx: ServiceContext,
  input: { doc: string; text?: boolean | undefined; history?: boolean | undefined },
): Promise<DocDetail> {
  const doc = await resolveRecord<Document>(ctx.repos, 'doc', input.doc, {
    includeArchived: true,
  });
  const analyses = await ctx.repos.docAnalyses.listOf(doc.id, input.history ? undefined : 1);
  const analysis = analyses[0] ?? null;
  const text = input.text ? ((await ctx.repos.documents.textOf(doc.id)) ?? '') : undefined;
  return {
    doc,
    analysis,
    ...(input.history ? { analyses } : {}),
    ...(text === undefined ? {} : { text }),
    report: documentReport(doc, analysis, input.history ? analyses : undefined, text),
  };
}

export async function updateDocument(
  ctx: ServiceContext,
  input: {
    doc: string;
    title?: string | undefined;
    description?: string | undefined;
    /** Replaces the tags; null clears them. */
    tag?: readonly string[] | null | undefined;
  },
): Promise<Document> {
  const before = await resolveRecord<Document>(ctx.repos, 'doc', input.doc, { lock: true });
  const after: Document = {
    ...before,
    title: input.title ?? before.title,
    description: input.description ?? before.description,
    tags: input.tag === undefined ? before.tags : uniqueTags(input.tag ?? []),
    updatedAt: nowIso(ctx),
  };
  return saveRecord(ctx, 'doc', before, after);
}

export function archiveDocument(ctx: ServiceContext, input: { doc: string }): Promise<Document> {
  return setArchived<Document>(ctx, 'doc', input.doc, true);
}

export function restoreDocument(ctx: ServiceContext, input: { doc: string }): Promise<Document> {
  return setArchived<Document>(ctx, 'doc', input.doc, false);
}

export async function listAnalyses(
  ctx: ServiceContext,
  input: { doc: string },
): Promise<DocAnalysis[]> {
  const doc = await resolveRecord<Document>(ctx.repos, 'doc', input.doc, {
    includeArchived: true,
  });
  return ctx.repos.docAnalyses.listOf(doc.id);
}

// ── analysing

export interface DocAnalyzeInput {
  readonly doc: string;
  readonly agent?: string | undefined;
  /** A model of bosun.yaml; null (`--no-model`): the extractive analysis. */
  readonly model?: string | null | undefined;
}

export interface PreparedAnalysis {
  readonly docId: string;
  readonly projectId: string;
  readonly method: DocAnalysisMethod;
  readonly agent: string | null;
  readonly model: string | null;
  readonly result: DocAnalysisResult;
  readonly note: string | null;
  /** Every model call made, valid answer or not, for the cost ledger. */
  readonly calls: readonly ModelCall[];
}

export interface DocAnalyzeOutput {
  readonly doc: string;
  readonly analysis: DocAnalysis;
  /** The command that creates every proposal (or null when there is none). */
  readonly apply: string | null;
  readonly report: string;
}

/**
 * Reads the document and analyses it, outside any transaction but the read: with the analyst
 * (or the agent or model named) when there is one, else extractively. A model's answer that is
 * not a valid analysis is sent back once with its problems; still invalid, the analysis is
 * extractive with a note saying why — unless the agent or model was named, which then must
 * answer: its failure is the error.
 */
export async function analyseDocument(
  env: DocumentEnvironment,
  input: DocAnalyzeInput,
): Promise<PreparedAnalysis> {
  const answerer = env.engine?.answerer;
  const picked = pickModel(answerer, { ...input, purpose: 'doc analyze', acts: 'analyse' });
  const { forced } = picked;
  const { doc, text } = await env.read(async (ctx) => {
    const found = await resolveRecord<Document>(ctx.repos, 'doc', input.doc);
    return { doc: found, text: (await ctx.repos.documents.textOf(found.id)) ?? '' };
  });
  const base = { docId: doc.id, projectId: doc.projectId };
  const extractive = (why: string, calls: readonly ModelCall[] = []): PreparedAnalysis => ({
    ...base,
    method: 'extractive',
    agent: null,
    model: null,
    result: extractiveAnalysis(text),
    note: `${why}; ${EXTRACTIVE_NOTE}`,
    calls,
  });
  if ('reason' in picked || answerer === undefined) {
    return extractive('reason' in picked ? picked.reason : 'no model configured');
  }
  const { choice } = picked;

  const { prompt, cut } = analysisPrompt(doc, text);
  const calls: ModelCall[] = [];
  const ask = async (request: string): Promise<string> => {
    const answered = await answerer.answer(choice, {
      instructions: ANALYSIS_INSTRUCTIONS,
      prompt: request,
      purpose: 'doc analyze',
    });
    calls.push(...answered.calls);
    return answered.text;
  };
  let problems: string;
  try {
    const first = await ask(prompt);
    let read = readAnalysisAnswer(first);
    if (!read.ok) read = readAnalysisAnswer(await ask(repairPrompt(prompt, first, read.problems)));
    if (read.ok) {
      const notes = [
        ...(cut ? ['the model read only the start of the text (48000 characters)'] : []),
        ...(calls.length > 1 ? ['the first answer was not a valid analysis and was repaired'] : []),
      ];
      return {
        ...base,
        method: 'model',
        agent: choice.agent,
        model: choice.model.name,
        result: read.result,
        note: notes.length > 0 ? notes.join('; ') : null,
        calls,
      };
    }
    problems = read.problems;
  } catch (error) {
    if (forced || !(error instanceof BosunError)) throw error;
    return extractive(`the model failed (${error.message})`, calls);
  }
  const why = `model '${choice.model.name}' gave no valid analysis in ${calls.length} answers (${problems})`;
  if (forced) {
    throw new BosunError('unavailable', `doc analyze: ${why}`, {
      retryable: true,
      details: { field: 'model', model: choice.model.name },
    });
  }
  return extractive(`the model's answer was not a valid analysis: ${why}`, calls);
}

/** Stores the analysis with its audit entry and the model's spend, in the handler's transaction. */
export async function storeAnalysis(
  ctx: ServiceContext,
  prepared: PreparedAnalysis,
): Promise<DocAnalyzeOutput> {
  // Locked: analyses of one document are numbered one after another.
  const doc = await resolveRecord<Document>(ctx.repos, 'doc', prepared.docId, { lock: true });
  const [latest] = await ctx.repos.docAnalyses.listOf(doc.id, 1);
  const analysis: DocAnalysis = {
    id: ctx.newId(),
    docId: doc.id,
    seq: (latest?.seq ?? 0) + 1,
    method: prepared.method,
    agent: prepared.agent,
    model: prepared.model,
    result: prepared.result,
    note: prepared.note,
    applied: [],
    createdBy: ctx.actor,
    createdAt: nowIso(ctx),
  };
  await ctx.repos.docAnalyses.insert(analysis);
  await recordAudit(
    ctx,
    { kind: 'doc', id: doc.id, label: doc.ref },
    { analysis: latest?.seq ?? null },
    {
      analysis: analysis.seq,
      method: analysis.method,
      proposals: `${analysis.result.risks.length} risks, ${analysis.result.actions.length} actions`,
    },
  );
  await recordCalls(
    ctx.repos,
    outsideRun(analysis.createdAt, doc.projectId, prepared.agent),
    prepared.calls,
  );
  const apply = applyCommand(doc.ref, analysis);
  return { doc: doc.ref, analysis, apply, report: analysisReport(doc, analysis, apply) };
}

// ── applying proposals

export interface DocApplyInput {
  readonly doc: string;
  /** The analysis's number (2) or id; the newest by default. */
  readonly analysis?: string | undefined;
  /** Risk proposals by number (1 for R1). */
  readonly risk?: readonly number[] | undefined;
  readonly action?: readonly number[] | undefined;
  /** Every proposal not applied yet. */
  readonly all?: boolean | undefined;
}

export interface DocApplyOutput {
  readonly doc: string;
  readonly analysis: number;
  readonly applied: AppliedProposal[];
  readonly risks: RiskView[];
  readonly actions: ActionView[];
  readonly report: string;
}

async function resolveAnalysis(
  ctx: ServiceContext,
  doc: Document,
  key: string | undefined,
): Promise<DocAnalysis> {
  const value = key?.trim();
  let found: DocAnalysis | undefined;
  if (value === undefined) [found] = await ctx.repos.docAnalyses.listOf(doc.id, 1);
  else if (/^[1-9]\d{0,8}$/.test(value))
    found = await ctx.repos.docAnalyses.findBySeq(doc.id, Number(value));
  else if (isUlid(value.toUpperCase())) {
    found = await ctx.repos.docAnalyses.findById(value.toUpperCase());
    if (found?.docId !== doc.id) found = undefined;
  } else throw invalidInput('analysis', 'must be an analysis number (1, 2, …) or id');
  if (!found) {
    throw new BosunError(
      'not_found',
      value === undefined
        ? `analysis: ${doc.ref} has no analysis yet; run 'bosun doc analyze ${doc.ref}' first`
        : `analysis: ${doc.ref} has no analysis '${value}'; see 'bosun doc analyses ${doc.ref}'`,
      { details: { field: 'analysis', kind: 'analysis', key: value ?? null } },
    );
  }
  return found;
}

/**
 * Creates the chosen proposals as risks and actions of the document's project, in this one
 * transaction, and records on the analysis which proposal became which record. A proposal
 * applied before is refused by name; `all` takes every one not applied yet.
 */
export async function applyProposals(
  ctx: ServiceContext,
  input: DocApplyInput,
): Promise<DocApplyOutput> {
  const chosen = (input.risk?.length ?? 0) + (input.action?.length ?? 0);
  if (input.all && chosen > 0) {
    throw invalidInput('all', 'takes every proposal; do not name some with --risk or --action');
  }
  if (!input.all && chosen === 0) {
    throw invalidInput('risk', 'name the proposals to create (--risk N, --action N) or pass --all');
  }
  const doc = await resolveRecord<Document>(ctx.repos, 'doc', input.doc, { lock: true });
  const analysis = await resolveAnalysis(ctx, doc, input.analysis);
  const done = new Map(analysis.applied.map((each) => [each.proposal, each.ref]));
  const pick = (kind: 'risk' | 'action', count: number, numbers: readonly number[] | undefined) => {
    const letter = kind === 'risk' ? 'R' : 'A';
    if (input.all) {
      return Array.from({ length: count }, (_, i) => i + 1).filter(
        (n) => !done.has(`${letter}${n}`),
      );
    }
    const unique = [...new Set(numbers ?? [])];
    for (const n of unique) {
      if (n > count) {
        const range = count === 0 ? `no ${kind}s` : `${letter}1–${letter}${count}`;
        throw invalidInput(
          kind,
          `analysis ${analysis.seq} of ${doc.ref} proposes ${range}; there is no ${letter}${n}`,
        );
      }
    }
    for (const n of unique) {
      const ref = done.get(`${letter}${n}`);
      if (ref !== undefined) {
        throw new BosunError(
          'conflict',
          `${kind}: proposal ${letter}${n} of analysis ${analysis.seq} was already applied as ${ref}`,
          { details: { field: kind, proposal: `${letter}${n}`, ref } },
        );
      }
    }
    return unique;
  };
  const riskNumbers = pick('risk', analysis.result.risks.length, input.risk);
  const actionNumbers = pick('action', analysis.result.actions.length, input.action);
  if (riskNumbers.length + actionNumbers.length === 0) {
    throw new BosunError(
      'conflict',
      `all: every proposal of analysis ${analysis.seq} of ${doc.ref} is applied already`,
      { details: { field: 'all' } },
    );
  }

  const from = `From ${doc.ref} ("${doc.title}"), analysis ${analysis.seq}.`;
  const applied: AppliedProposal[] = [];
  const risks: RiskView[] = [];
  for (const n of riskNumbers) {
    const proposal = analysis.result.risks[n - 1]!;
    const risk = await createRisk(ctx, {
      project: doc.projectId,
      title: proposal.title,
      description: [proposal.description, from].filter(Boolean).join('\n\n'),
      likelihood: proposal.likelihood,
      impact: proposal.impact,
      mitigation: proposal.mitigation,
    });
    risks.push(risk);
    applied.push({ proposal: `R${n}`, ref: risk.ref });
  }
  const actions: ActionView[] = [];
  for (const n of actionNumbers) {
    const proposal = analysis.result.actions[n - 1]!;
    const action = await createAction(ctx, {
      project: doc.projectId,
      title: proposal.title,
      description: from,
      owner: proposal.owner,
      due: proposal.due,
      source: 'document',
      sourceRef: doc.ref,
    });
    actions.push(action);
    applied.push({ proposal: `A${n}`, ref: action.ref });
  }
  const after: DocAnalysis = { ...analysis, applied: [...analysis.applied, ...applied] };
  await ctx.repos.docAnalyses.update(after);
  await recordAudit(
    ctx,
    { kind: 'doc', id: doc.id, label: doc.ref },
    { analysis: analysis.seq, applied: analysis.applied.map(appliedText) },
    { analysis: analysis.seq, applied: after.applied.map(appliedText) },
  );
  return {
    doc: doc.ref,
    analysis: analysis.seq,
    applied,
    risks,
    actions,
    report: [
      `Applied analysis ${analysis.seq} of ${doc.ref}:`,
      ...applied.map((each) => `  ${each.proposal.padEnd(4)} → ${each.ref}`),
    ].join('\n'),
  };
}

const appliedText = (each: AppliedProposal) => `${each.proposal}=${each.ref}`;

// ── reports

function applyCommand(ref: string, analysis: DocAnalysis): string | null {
  const { risks, actions } = analysis.result;
  if (risks.length + actions.length === 0) return null;
  return `bosun doc apply ${ref} --analysis ${analysis.seq} --all`;
}

function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function byWhom(analysis: DocAnalysis): string {
  if (analysis.method === 'extractive') return 'extractive, no model';
  return analysis.agent === null
    ? `model ${analysis.model}`
    : `${analysis.agent} (model ${analysis.model})`;
}

function analysisLines(analysis: DocAnalysis): string[] {
  const { result } = analysis;
  const applied = new Map(analysis.applied.map((each) => [each.proposal, each.ref]));
  const mark = (proposal: string) => {
    const ref = applied.get(proposal);
    return ref === undefined ? '' : `  [applied: ${ref}]`;
  };
  const lines = [`Summary: ${result.summary}`];
  if (result.risks.length > 0) {
    lines.push('Risks proposed:');
    result.risks.forEach((risk, i) => {
      const mitigation = risk.mitigation === '' ? '' : `; mitigation: ${risk.mitigation}`;
      lines.push(
        `  R${i + 1}  L${risk.likelihood} × I${risk.impact}  ${risk.title}${mitigation}${mark(`R${i + 1}`)}`,
      );
    });
  }
  if (result.actions.length > 0) {
    lines.push('Actions proposed:');
    result.actions.forEach((action, i) => {
      const extra = [
        ...(action.owner === null ? [] : [`owner ${action.owner}`]),
        ...(action.due === null ? [] : [`due ${action.due}`]),
      ];
      lines.push(
        `  A${i + 1}  ${action.title}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}${mark(`A${i + 1}`)}`,
      );
    });
  }
  if (result.decisions.length > 0) {
    lines.push('Decisions:', ...result.decisions.map((decision) => `  - ${decision}`));
  }
  if (result.deadlines.length > 0) {
    lines.push(
      'Deadlines:',
      ...result.deadlines.map((deadline) => `  ${deadline.date}  ${deadline.what}`),
    );
  }
  if (analysis.note !== null) lines.push(`Note: ${analysis.note}.`);
  return lines;
}

function analysisReport(doc: Document, analysis: DocAnalysis, apply: string | null): string {
  return [
    `Analysis ${analysis.seq} of ${doc.ref} "${doc.title}" (${byWhom(analysis)})`,
    ...analysisLines(analysis),
    ...(apply === null
      ? []
      : [
          '',
          `Create them: ${apply}`,
          `  or some: bosun doc apply ${doc.ref} --analysis ${analysis.seq} --risk 1 --action 1`,
        ]),
  ].join('\n');
}

function documentReport(
  doc: Document,
  analysis: DocAnalysis | null,
  history: readonly DocAnalysis[] | undefined,
  text: string | undefined,
): string {
  const facts = [
    doc.mediaType,
    sizeOf(doc.bytes),
    ...(doc.pages === null ? [] : [`${doc.pages} page${doc.pages === 1 ? '' : 's'}`]),
    `${doc.words} words`,
    `${doc.characters} characters${doc.truncated ? ` (text kept: the first ${MAX_DOC_TEXT_CHARS})` : ''}`,
  ];
  const lines = [
    `${doc.ref}  ${doc.title}${doc.archivedAt === null ? '' : '  (archived)'}`,
    `File: ${doc.fileName} (${facts.join(', ')})`,
    `SHA-256: ${doc.sha256}`,
    `Added by ${doc.addedBy} at ${doc.createdAt}`,
    ...(doc.tags.length > 0 ? [`Tags: ${doc.tags.join(', ')}`] : []),
    ...(doc.description === '' ? [] : [`Description: ${doc.description}`]),
    '',
  ];
  if (analysis === null) {
    lines.push(`No analysis yet: 'bosun doc analyze ${doc.ref}'.`);
  } else {
    lines.push(
      `Latest analysis: ${analysis.seq} (${byWhom(analysis)}, ${analysis.createdAt})`,
      ...analysisLines(analysis),
    );
    const apply = applyCommand(doc.ref, analysis);
    const open =
      analysis.result.risks.length + analysis.result.actions.length - analysis.applied.length;
    if (apply !== null && open > 0) lines.push(`Create them: ${apply}`);
  }
  if (history !== undefined && history.length > 0) {
    lines.push('', 'Analyses:');
    for (const each of history) {
      lines.push(
        `  ${each.seq}  ${each.createdAt}  ${byWhom(each)}  ${each.result.risks.length} risks, ${each.result.actions.length} actions, ${each.applied.length} applied`,
      );
    }
  }
  if (text !== undefined) lines.push('', '--- text ---', text, '--- end of text ---');
  return lines.join('\n');
}
