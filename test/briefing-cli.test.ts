/**
 * `bosun brief` end to end through the built bin on SQLite workspaces: without a model it stores
 * a digest of every section (tasks, a mock project run, a run waiting for approval, risks,
 * actions, the agents' steps), and the next briefing covers only what changed since; with a
 * briefer agent on a fake OpenAI-compatible server the model's narrative is stored beside the
 * digest and its call is in the cost ledger; a failing model leaves the digest unless it was named;
 * the history is listed and shown again; bad input is refused naming the field.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface Line {
  ref: string;
  title: string;
}
interface Dated extends Line {
  date: string;
  owner: string | null;
}
interface RunLine {
  id: string;
  name: string;
  status: string;
  project: string | null;
}

interface BriefingJson {
  id: string;
  project: string | null;
  since: string;
  until: string;
  method: 'digest' | 'model';
  agent: string | null;
  model: string | null;
  narrative: string | null;
  note: string | null;
  createdBy: string;
  archivedAt: string | null;
  report: string;
  digest: {
    changed: {
      tasksCreated: (Line & { status: string })[];
      tasksDone: Line[];
      statusChanges: { ref: string; from: string; to: string; actor: string }[];
      records: { kind: string; label: string; operation: string }[];
      runsStarted: RunLine[];
      runsFinished: RunLine[];
    };
    due: { actions: Dated[]; riskReviews: Dated[]; milestones: Dated[] };
    overdue: { actions: Dated[]; riskReviews: Dated[]; milestones: Dated[] };
    blocked: {
      tasks: (Line & { reason: string; openDeps: number })[];
      runsAwaitingApproval: RunLine[];
      approvals: { runId: string; run: string; stepKey: string; phase: string }[];
    };
    atRisk: { risks: (Line & { level: string; score: number })[] };
    overBudget: { lines: unknown[] };
    agents: {
      rows: { agent: string; runs: number; steps: number; succeeded: number; calls: number }[];
      totalCostMicroUsd: number;
    };
  };
}

const DAY_MS = 86_400_000;
const dayFromNow = (days: number) =>
  new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

const GATED = `name: gated
steps:
  - id: build
    runner: mock
    with: { output: built }
  - id: publish
    runner: mock
    needs: build
    approval: before
    with: { output: published }
`;

/** A workspace with tasks, a finished mock project run, a run parked for approval, risks, actions. */
async function workspace(config: readonly string[] = []): Promise<string> {
  const cwd = await initWorkspace('bosun-brief-', config);
  const json = (args: string[]) => bosunJson(args, { cwd });
  const ok = async (args: string[]) => {
    const result = await runBosun(args, { cwd });
    expect(result.status, `bosun ${args.join(' ')}: ${result.stderr}`).toBe(0);
  };
  await json(['project', 'create', 'HOME', 'Home lab']);
  await json(['project', 'create', 'SHIP', 'Shipping']);
  await json(['task', 'add', 'HOME', 'Buy a UPS']);
  await json(['task', 'add', 'HOME', 'Wire the rack']);
  await json(['task', 'add', 'HOME', 'Mount the NAS', '--depends-on', 'HOME-1']);
  await json(['task', 'status', 'HOME-2', 'blocked']);
  await json(['task', 'add', 'SHIP', 'Write the code']);
  await ok(['run', 'start', '--project', 'SHIP', '--runner', 'mock']);
  writeFileSync(join(cwd, 'gated.yaml'), GATED);
  await ok(['run', 'start', 'gated.yaml']);
  await json([
    'risk',
    'add',
    'HOME',
    'NAS disk fails',
    '-l',
    '4',
    '-i',
    '5',
    '--owner',
    'ana',
    '--review',
    dayFromNow(-3),
  ]);
  await json(['risk', 'add', 'HOME', 'Power cut', '-l', '1', '-i', '2', '--review', dayFromNow(2)]);
  await json(['action', 'add', 'HOME', 'Order a disk', '--due', dayFromNow(-1)]);
  await json([
    'action',
    'add',
    'HOME',
    'Test the restore',
    '--due',
    dayFromNow(3),
    '--owner',
    'bob',
  ]);
  await json(['action', 'add', 'HOME', 'Someday', '--due', dayFromNow(30)]);
  return cwd;
}

const refs = (items: readonly { ref: string }[]) => items.map((item) => item.ref);

describe('bosun brief without a model', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspace();
  });

  it('stores a digest of every section, then briefs only what changed since', async () => {
    const first = await bosunJson<BriefingJson>(['brief', '--no-model'], { cwd });
    expect(first).toMatchObject({
      project: null,
      method: 'digest',
      agent: null,
      narrative: null,
      note: 'no model asked (--no-model): the digest alone',
      createdBy: 'tester',
      archivedAt: null,
    });
    // The first briefing of a scope looks back 24 hours.
    expect(Date.parse(first.until) - Date.parse(first.since)).toBe(DAY_MS);
    const { changed, due, overdue, blocked, atRisk, agents } = first.digest;
    expect(refs(changed.tasksCreated)).toEqual(['HOME-1', 'HOME-2', 'HOME-3', 'SHIP-1']);
    expect(refs(changed.tasksDone)).toEqual(['SHIP-1']);
    expect(changed.statusChanges.map((c) => `${c.ref} ${c.from}→${c.to}`)).toEqual([
      'HOME-2 todo→blocked',
      'SHIP-1 todo→in_progress',
      'SHIP-1 in_progress→done',
    ]);
    expect(changed.records.map((r) => `${r.operation} ${r.label}`)).toEqual([
      'risk.add HOME-R1',
      'risk.add HOME-R2',
      'action.add HOME-A1',
      'action.add HOME-A2',
      'action.add HOME-A3',
    ]);
    expect(changed.runsStarted.map((r) => [r.name, r.project])).toEqual([
      [expect.any(String), 'SHIP'],
      ['gated', null],
    ]);
    expect(changed.runsFinished.map((r) => [r.project, r.status])).toEqual([['SHIP', 'succeeded']]);
    expect(due).toEqual({
      actions: [{ ref: 'HOME-A2', title: 'Test the restore', date: dayFromNow(3), owner: 'bob' }],
      riskReviews: [{ ref: 'HOME-R2', title: 'Power cut', date: dayFromNow(2), owner: null }],
      milestones: [],
    });
    expect(overdue).toEqual({
      actions: [{ ref: 'HOME-A1', title: 'Order a disk', date: dayFromNow(-1), owner: null }],
      riskReviews: [
        { ref: 'HOME-R1', title: 'NAS disk fails', date: dayFromNow(-3), owner: 'ana' },
      ],
      milestones: [],
    });
    expect(blocked.tasks.map((t) => [t.ref, t.reason, t.openDeps])).toEqual([
      ['HOME-2', 'blocked', 0],
      ['HOME-3', 'waiting', 1],
    ]);
    const gated = changed.runsStarted[1]!;
    expect(blocked.runsAwaitingApproval.map((r) => r.id)).toEqual([gated.id]);
    expect(blocked.approvals).toEqual([
      expect.objectContaining({
        runId: gated.id,
        run: 'gated',
        stepKey: 'publish',
        phase: 'before',
      }),
    ]);
    expect(atRisk.risks.map((r) => [r.ref, r.level, r.score])).toEqual([
      ['HOME-R1', 'critical', 20],
    ]);
    // A step counts under its agent, else its role (a project's tasks: worker), else its runner.
    expect(
      agents.rows.map((row) => [row.agent, row.runs, row.steps, row.succeeded, row.calls]),
    ).toEqual([
      ['(mock)', 1, 1, 1, 0],
      ['worker', 1, 1, 1, 0],
    ]);
    expect(agents.totalCostMicroUsd).toBe(0);

    // The next briefing starts where this one ended and holds only what changed since.
    await bosunJson(['task', 'add', 'HOME', 'Label the cables'], { cwd });
    await bosunJson(['task', 'status', 'HOME-2', 'todo'], { cwd });
    const second = await runBosun(['brief', '--no-model'], { cwd });
    expect(second.status, second.stderr).toBe(0);
    const latest = await bosunJson<BriefingJson>(['brief', 'show', 'latest'], { cwd });
    expect(latest.since).toBe(first.until);
    expect(refs(latest.digest.changed.tasksCreated)).toEqual(['HOME-4']);
    expect(latest.digest.changed.statusChanges.map((c) => `${c.ref} ${c.from}→${c.to}`)).toEqual([
      'HOME-2 blocked→todo',
    ]);
    expect(latest.digest.changed.runsStarted).toEqual([]);
    expect(latest.digest.changed.records).toEqual([]);
    expect(latest.digest.agents.rows).toEqual([]);
    // What is late or waiting is still there: those sections tell the state, not the change.
    expect(refs(latest.digest.overdue.actions)).toEqual(['HOME-A1']);
    expect(refs(latest.digest.blocked.tasks)).toEqual(['HOME-3']);
    // Printed as a report without --json.
    expect(second.stdout).toContain(`Briefing for the workspace`);
    expect(second.stdout).toContain(
      'Changed\n  created HOME-4 Label the cables (todo)\n  moved HOME-2 Wire the rack: blocked → todo (tester)',
    );
    expect(second.stdout).toContain(
      `Overdue\n  action HOME-A1 Order a disk: due ${dayFromNow(-1)}`,
    );
    expect(second.stdout).toContain(
      'Blocked\n  HOME-3 Mount the NAS: waiting on 1 open dependency',
    );
    expect(second.stdout).toContain('At risk\n  HOME-R1 NAS disk fails: critical (20), open (ana)');
    expect(second.stdout).toContain('Note: no model asked (--no-model): the digest alone.');

    // A project's briefing keeps to the project.
    const ship = await bosunJson<BriefingJson>(['brief', '-p', 'SHIP', '--no-model'], { cwd });
    expect(ship.project).toBe('SHIP');
    expect(refs(ship.digest.changed.tasksCreated)).toEqual(['SHIP-1']);
    expect(ship.digest.changed.runsStarted.map((r) => r.project)).toEqual(['SHIP']);
    expect(ship.digest.blocked).toEqual({ tasks: [], runsAwaitingApproval: [], approvals: [] });
    expect(ship.digest.atRisk.risks).toEqual([]);
  });

  it('lists the history newest first and shows, archives and restores a briefing', async () => {
    const history = await bosunJson<BriefingJson[]>(['brief', 'list'], { cwd });
    expect(history.length).toBeGreaterThanOrEqual(3);
    const times = history.map((briefing) => briefing.until);
    expect(times).toEqual([...times].sort().reverse());
    const workspaceOnly = await bosunJson<BriefingJson[]>(['brief', 'list', '--workspace-only'], {
      cwd,
    });
    expect(workspaceOnly.every((briefing) => briefing.project === null)).toBe(true);
    const ship = await bosunJson<BriefingJson[]>(['brief', 'list', 'SHIP'], { cwd });
    expect(ship.map((briefing) => briefing.project)).toEqual(['SHIP']);

    const table = await runBosun(['brief', 'list'], { cwd });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+PROJECT\s+CREATED\s+SINCE\s+METHOD/);
    expect(table.stdout).toContain(ship[0]!.id);

    const shown = await runBosun(['brief', 'show', ship[0]!.id.slice(0, 12).toLowerCase()], {
      cwd,
    });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Briefing for SHIP`);
    expect(shown.stdout).toContain(ship[0]!.id);

    const archived = await bosunJson<BriefingJson>(['brief', 'archive', ship[0]!.id], { cwd });
    expect(archived.archivedAt).not.toBeNull();
    expect(await bosunJson<BriefingJson[]>(['brief', 'list', 'SHIP'], { cwd })).toEqual([]);
    const audit = await bosunJson<{ operation: string }[]>(['audit', 'list', ship[0]!.id], { cwd });
    expect(audit.map((entry) => entry.operation)).toEqual(['brief.create', 'brief.archive']);
    await bosunJson(['brief', 'restore', ship[0]!.id], { cwd });
    expect(await bosunJson<BriefingJson[]>(['brief', 'list', 'SHIP'], { cwd })).toHaveLength(1);
  });

  it('says why there is no narrative when no agent can write one', async () => {
    const briefed = await bosunJson<BriefingJson>(['brief', '-p', 'HOME'], { cwd });
    expect(briefed.method).toBe('digest');
    expect(briefed.note).toBe(
      "no model configured (no agent plays role 'briefer' or 'analyst'; add one to bosun.yaml, or pass --agent or --model): the digest alone",
    );
  });

  it('refuses bad input naming the field, storing nothing', async () => {
    const before = (await bosunJson<BriefingJson[]>(['brief', 'list', '--archived'], { cwd }))
      .length;
    const cases: [string[], number, RegExp][] = [
      [['brief', '--since', 'yesterday'], 2, /^since: 'yesterday' is neither a day/],
      [['brief', '--project', 'NOPE'], 4, /^project: /],
      [['brief', '--model', 'nope'], 4, /^model: no model 'nope' in bosun\.yaml/],
      [['brief', 'show', 'nope'], 2, /^briefing: must be a briefing's id/],
      [
        ['brief', 'show', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
        4,
        /^briefing: no briefing '01ARZ3NDEKTSV4RRFFQ69G5FAV'/,
      ],
    ];
    for (const [args, status, message] of cases) {
      const result = await runBosun(args, { cwd });
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.stderr.replace(/^error\[\w+\]: /, ''), args.join(' ')).toMatch(message);
    }
    const after = await bosunJson<BriefingJson[]>(['brief', 'list', '--archived'], { cwd });
    expect(after).toHaveLength(before);
  });

  it('explains itself in --help', async () => {
    const help = await runBosun(['brief', '--help'], { cwd });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('bosun brief --project HOME');
    expect(help.stdout).toContain('--no-model');
  });
});

describe('bosun brief with a briefer agent', () => {
  let server: FakeOpenAIServer;
  let cwd: string;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    cwd = await workspace([
      'models:',
      `  local: { provider: openai-compatible, base_url: "${server.url}", model: qwen-briefer, price: { input: 1, output: 2 } }`,
      'agents:',
      '  analyst: { role: analyst, runner: llm, model: local }',
      '  briefer: { role: briefer, runner: llm, model: local, instructions: Be brief. }',
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores the narrative the briefer writes from the digest, and its spend', async () => {
    const narrative = 'HOME-A1 is overdue and HOME-R1 is critical; SHIP-1 shipped.';
    server.enqueue({
      type: 'text',
      text: narrative,
      usage: { promptTokens: 1_000, completionTokens: 20 },
    });
    const briefed = await bosunJson<BriefingJson>(['brief', '-p', 'HOME'], { cwd });
    expect(briefed).toMatchObject({
      project: 'HOME',
      method: 'model',
      agent: 'briefer',
      model: 'local',
      narrative,
      note: null,
    });
    expect(refs(briefed.digest.overdue.actions)).toEqual(['HOME-A1']);
    expect(briefed.report).toContain(
      `${narrative}\n\nWritten by briefer (model local) from the digest below.`,
    );

    // The briefer, not the analyst, was asked: its instructions follow bosun's, the digest is the prompt.
    const request = server.requests.at(-1)!;
    expect(request.model).toBe('qwen-briefer');
    const [system, user] = request.messages;
    expect(String(system!.content)).toContain('a short narrative of the digest');
    expect(String(system!.content)).toContain('Be brief.');
    expect(String(user!.content)).toContain('Briefing for project HOME');
    expect(String(user!.content)).toContain(`action HOME-A1 Order a disk: due ${dayFromNow(-1)}`);

    const shown = await bosunJson<BriefingJson>(['brief', 'show', 'latest', '-p', 'HOME'], { cwd });
    expect(shown).toEqual(briefed);
    const spend = await bosunJson<{ rows: { key: string; calls: number }[] }>(
      ['cost', 'report', '--by', 'agent'],
      { cwd },
    );
    expect(spend.rows).toEqual([expect.objectContaining({ key: 'briefer', calls: 1 })]);
    // The next briefing's agents section shows the briefer's own spend: 1,000 × $1 + 20 × $2 per million.
    server.enqueue({ type: 'text', text: 'Nothing new.' });
    const next = await bosunJson<BriefingJson>(['brief', '-p', 'HOME'], { cwd });
    expect(next.digest.agents.rows).toEqual([
      expect.objectContaining({ agent: 'briefer', calls: 1 }),
    ]);
    expect(next.digest.agents.totalCostMicroUsd).toBe(1_040);
  });

  it('falls back to the digest when the model fails, unless the agent was named', async () => {
    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const fallback = await bosunJson<BriefingJson>(['brief'], { cwd });
    expect(fallback.method).toBe('digest');
    expect(fallback.narrative).toBeNull();
    expect(fallback.note).toMatch(
      /^the model failed \(brief: .*context length exceeded.*\): the digest alone$/,
    );

    const count = (await bosunJson<BriefingJson[]>(['brief', 'list'], { cwd })).length;
    server.enqueue({ type: 'http-error', status: 400, message: 'context length exceeded' });
    const forced = await runBosun(['brief', '--agent', 'briefer'], { cwd });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toContain('context length exceeded');
    expect(await bosunJson<BriefingJson[]>(['brief', 'list'], { cwd })).toHaveLength(count);
  });
});
