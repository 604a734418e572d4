/**
 * Quality and workflow rules through the built CLI: rules from bosun.yaml and from records, a
 * denied move answered with policy_denied naming the rule, the require → approve → move flow,
 * the decision log (refusals included), the quality gate and an allow rule overriding it, exact
 * coverage numbers, attachments, and bad rules refused naming the field.
 */

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, initWorkspace, runBosun } from './helpers/cli.js';

interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface Decision {
  rule: string;
  ruleRef: string | null;
  source: string;
  recordRef: string;
  from: string;
  to: string;
  outcome: string;
  actor: string;
  input: Record<string, unknown>;
}
interface CaseView {
  ref: string;
  task: string | null;
  criterion: number | null;
  result: string | null;
  approved: boolean;
  results: {
    id: string;
    outcome: string;
    evidence: string;
    links: string[];
    recordedBy: string;
    approvedBy: string | null;
    attachments: { name: string; bytes: number; sha256: string }[];
  }[];
}

const RULES = [
  'rules:',
  '  - name: hotfix-skips-tests',
  '    entity: task',
  '    to: [done]',
  '    when: { tags: { contains: hotfix } }',
  '    then: allow',
  '  - name: p0-needs-ana',
  '    entity: task',
  '    to: [done]',
  '    when: { priority: p0 }',
  '    then: require',
  '    approver: ana',
  '    reason: p0 work is signed off',
];

let cwd: string;
const bosun = (args: string[], as = 'bob') => runBosun([...args, '--as', as], { cwd });
const json = <T>(args: string[], as = 'bob') => bosunJson<T>([...args, '--as', as], { cwd });
async function refused(args: string[], as = 'bob'): Promise<ErrorBody & { status: number }> {
  const result = await runBosun([...args, '--as', as, '--json'], { cwd });
  return { status: result.status, ...(JSON.parse(result.stdout) as ErrorBody) };
}
async function task(title: string, extra: string[] = []): Promise<string> {
  return (await json<{ ref: string }>(['task', 'create', 'HOME', title, ...extra])).ref;
}
async function start(ref: string): Promise<void> {
  expect((await bosun(['task', 'status', ref, 'in_progress'])).status).toBe(0);
}

beforeAll(async () => {
  cwd = await initWorkspace('bosun-quality-', RULES);
  expect((await runBosun(['project', 'create', 'HOME', 'Home lab'], { cwd })).status).toBe(0);
});

describe('workflow rules', () => {
  it('denies a move by a rule record with policy_denied naming the rule, and logs the refusal', async () => {
    const rule = await json<{ ref: string }>([
      'rule',
      'add',
      'HOME',
      'keep-critical-open',
      '--entity',
      'risk',
      '--to',
      'closed',
      '--when',
      'level=critical',
      '--then',
      'deny',
      '--reason',
      'the board closes critical risks',
    ]);
    expect(rule.ref).toBe('HOME-W1');
    await json(['risk', 'add', 'HOME', 'Fire', '-l', '5', '-i', '5']);
    await json(['risk', 'add', 'HOME', 'Dust', '-l', '1', '-i', '1']);
    const denied = await refused(['risk', 'update', 'HOME-R1', '-s', 'closed']);
    expect(denied.status).not.toBe(0);
    expect(denied.error.code).toBe('policy_denied');
    expect(denied.error.message).toContain("rule HOME-W1 'keep-critical-open'");
    expect(denied.error.details).toMatchObject({
      rule: 'keep-critical-open',
      ruleRef: 'HOME-W1',
      source: 'record',
      reason: 'the board closes critical risks',
      entity: 'risk',
      from: 'open',
      to: 'closed',
    });
    // Nothing changed, yet the refusal is on record.
    expect((await json<{ status: string }>(['risk', 'show', 'HOME-R1'])).status).toBe('open');
    const [decision] = await json<Decision[]>(['rule', 'decisions', 'HOME-R1']);
    expect(decision).toMatchObject({
      rule: 'keep-critical-open',
      ruleRef: 'HOME-W1',
      source: 'record',
      outcome: 'deny',
      actor: 'bob',
      from: 'open',
      to: 'closed',
    });
    expect(decision?.input).toMatchObject({ level: 'critical', score: 25 });
    // A low risk does not match; the dry run says so and the move goes through.
    expect(await json(['rule', 'check', 'HOME-R2', 'closed'])).toMatchObject({
      outcome: 'none',
      rule: null,
    });
    expect((await bosun(['risk', 'update', 'HOME-R2', '-s', 'closed'])).status).toBe(0);
    expect(await json(['rule', 'decisions', 'HOME-R2'])).toEqual([]);
    // An archived rule no longer applies.
    expect((await bosun(['rule', 'archive', 'HOME-W1'])).status).toBe(0);
    expect((await bosun(['risk', 'update', 'HOME-R1', '-s', 'closed'])).status).toBe(0);
  });

  it('refuses an impossible move as invalid_transition before any rule', async () => {
    const ref = await task('Never started', ['-p', 'p0']);
    const result = await refused(['task', 'status', ref, 'review']);
    expect(result.error.code).toBe('invalid_transition');
    expect(await json(['rule', 'decisions', ref])).toEqual([]);
  });

  it('holds a move back until the named approver approves it, then the move consumes it', async () => {
    const ref = await task('Migrate the NAS', ['-p', 'p0']);
    await start(ref);
    const first = await refused(['task', 'status', ref, 'done']);
    expect(first.error.code).toBe('policy_denied');
    expect(first.error.details).toMatchObject({
      rule: 'p0-needs-ana',
      source: 'yaml',
      approver: 'ana',
    });
    const approval = first.error.details['approval'] as string;
    expect(first.error.message).toContain(`bosun rule approve ${approval}`);
    // Asking again reuses the same pending request.
    const again = await refused(['task', 'status', ref, 'done']);
    expect(again.error.details['approval']).toBe(approval);
    const pending = await json<{ id: string }[]>(['rule', 'approvals', '--pending']);
    expect(pending.map((p) => p.id)).toEqual([approval]);
    const wrong = await refused(['rule', 'approve', approval]);
    expect(wrong.error.code).toBe('policy_denied');
    expect(wrong.error.message).toContain('only ana may approve');
    const granted = await json<{ approvedBy: string }>(['rule', 'approve', approval], 'ana');
    expect(granted.approvedBy).toBe('ana');
    expect((await json<{ status: string }>(['task', 'status', ref, 'done'])).status).toBe('done');
    // Used once: the same move later needs a new approval.
    expect((await bosun(['task', 'status', ref, 'todo'])).status).toBe(0);
    await start(ref);
    const later = await refused(['task', 'status', ref, 'done']);
    expect(later.error.details['approval']).not.toBe(approval);
    const outcomes = (await json<Decision[]>(['rule', 'decisions', ref])).map((d) => d.outcome);
    expect(outcomes).toEqual(['require', 'approved', 'require', 'require']);
  });
});

describe('quality', () => {
  let backup: string;

  beforeAll(async () => {
    backup = await task('Nightly backup', [
      '--acceptance',
      'a copy is made every night',
      '--acceptance',
      'a file can be restored',
      '--acceptance',
      'old copies are pruned',
    ]);
  });

  it('makes an acceptance plan with one case per criterion, and gates done until all pass', async () => {
    const plan = await json<{ ref: string; tasks: string[]; cases: number; template: string }>([
      'testplan',
      'add',
      'HOME',
      'Backup acceptance',
      '--tasks',
      backup,
    ]);
    expect(plan).toMatchObject({ tasks: [backup], cases: 3, template: 'acceptance' });
    const cases = await json<CaseView[]>(['testcase', 'list', '--plan', plan.ref]);
    expect(cases.map((c) => [c.task, c.criterion, c.result])).toEqual([
      [backup, 1, null],
      [backup, 2, null],
      [backup, 3, null],
    ]);
    const [c1, c2, c3] = cases.map((c) => c.ref) as [string, string, string];
    await start(backup);
    await json(['testcase', 'record', c1, 'pass', '-e', 'copy of 02:00 present']);
    await json(['testcase', 'record', c2, 'fail', '-e', 'restore hangs']);
    await json(['testcase', 'record', c3, 'blocked']);
    const gate = await refused(['task', 'status', backup, 'done']);
    expect(gate.error.code).toBe('policy_denied');
    expect(gate.error.details).toMatchObject({ rule: 'quality-gate', source: 'builtin' });
    expect(gate.error.details['criteria']).toEqual([
      { criterion: 2, text: 'a file can be restored', cases: [c2], state: 'failing' },
      { criterion: 3, text: 'old copies are pruned', cases: [c3], state: 'blocked' },
    ]);
    expect(await json(['rule', 'check', backup, 'done'])).toMatchObject({
      outcome: 'deny',
      rule: 'quality-gate',
    });

    const coverage = await json<{
      totals: Record<string, number>;
      coveredPercent: number;
      passingPercent: number;
    }>(['testplan', 'coverage', 'HOME']);
    // Every task of HOME with criteria: only the backup's three so far.
    expect(coverage.totals).toEqual({
      criteria: 3,
      covered: 3,
      passing: 1,
      failing: 1,
      blocked: 1,
      untested: 0,
      missing: 0,
    });
    expect(coverage.passingPercent).toBe(33.3);
    expect(coverage.coveredPercent).toBe(100);

    // The latest result counts.
    await json(['testcase', 'record', c2, 'pass']);
    await json(['testcase', 'record', c3, 'pass']);
    expect((await json<{ status: string }>(['task', 'status', backup, 'done'])).status).toBe(
      'done',
    );
    const [decision] = await json<Decision[]>(['rule', 'decisions', backup]);
    expect(decision).toMatchObject({ rule: 'quality-gate', outcome: 'allow' });
  });

  it('gates a task whose plan leaves a criterion without a case, unless an allow rule matches', async () => {
    const ref = await task('Hotfix the UPS script', [
      '-t',
      'hotfix',
      '--acceptance',
      'the UPS shuts down cleanly',
    ]);
    const plain = await task('Label the cables', ['--acceptance', 'every cable labelled']);
    const plan = await json<{ ref: string }>([
      'testplan',
      'add',
      'HOME',
      'Blank scope',
      '--template',
      'blank',
      '--tasks',
      ref,
      '--tasks',
      plain,
    ]);
    // A blank plan covers nothing: neither task is gated.
    await start(plain);
    expect((await bosun(['task', 'status', plain, 'done'])).status).toBe(0);
    await json(['testplan', 'archive', plan.ref]);
    await json(['testplan', 'add', 'HOME', 'UPS acceptance', '--tasks', ref]);
    const [ups] = await json<CaseView[]>(['testcase', 'list', '--task', ref]);
    await json(['testcase', 'archive', ups!.ref]);
    await start(ref);
    expect(await json(['rule', 'check', ref, 'done'])).toMatchObject({
      outcome: 'allow',
      rule: 'hotfix-skips-tests',
      source: 'yaml',
    });
    expect((await bosun(['task', 'status', ref, 'done'])).status).toBe(0);
    const [decision] = await json<Decision[]>(['rule', 'decisions', ref]);
    expect(decision).toMatchObject({ rule: 'hotfix-skips-tests', outcome: 'allow' });
    // Without the tag the missing case would have held it back.
    expect((await bosun(['task', 'status', ref, 'todo'])).status).toBe(0);
    await json(['task', 'update', ref, '--tags', 'ups']);
    await start(ref);
    const gate = await refused(['task', 'status', ref, 'done']);
    expect(gate.error.details['criteria']).toEqual([
      { criterion: 1, text: 'the UPS shuts down cleanly', cases: [], state: 'missing' },
    ]);
  });

  it('counts a pass only once approved when the plan says so; nobody approves their own', async () => {
    const ref = await task('Rotate the keys', ['--acceptance', 'old keys stop working']);
    const plan = await json<{ ref: string }>([
      'testplan',
      'add',
      'HOME',
      'Keys',
      '--tasks',
      ref,
      '--requires-approval',
    ]);
    const [only] = await json<CaseView[]>(['testcase', 'list', '--plan', plan.ref]);
    await json(['testcase', 'record', only!.ref, 'pass', '-e', 'tried the old key: refused']);
    await start(ref);
    expect((await refused(['task', 'status', ref, 'done'])).error.details['criteria']).toEqual([
      { criterion: 1, text: 'old keys stop working', cases: [only!.ref], state: 'untested' },
    ]);
    const own = await refused(['testcase', 'approve', only!.ref]);
    expect(own.error.code).toBe('policy_denied');
    const approved = await json<CaseView>(
      ['testcase', 'approve', only!.ref, '--comment', 'seen it'],
      'ana',
    );
    expect(approved).toMatchObject({ approved: true, result: 'pass' });
    expect(approved.results[0]?.approvedBy).toBe('ana');
    expect((await refused(['testcase', 'approve', only!.ref], 'ana')).error.code).toBe('conflict');
    expect((await bosun(['task', 'status', ref, 'done'])).status).toBe(0);
  });

  it('keeps evidence: text, links and small attachments with their sha256; refuses large files', async () => {
    const ref = await task('Document the rack', ['--acceptance', 'a photo of the rack']);
    const plan = await json<{ ref: string }>(['testplan', 'add', 'HOME', 'Rack', '--tasks', ref]);
    const added = await json<CaseView>([
      'testcase',
      'add',
      plan.ref,
      'Second look',
      '--task',
      ref,
      '--criterion',
      '1',
    ]);
    const photo = join(cwd, 'rack.jpg');
    writeFileSync(photo, Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01, 0x02]));
    const recorded = await json<CaseView>([
      'testcase',
      'record',
      added.ref,
      'pass',
      '-e',
      'photo attached',
      '--links',
      'https://wiki.example.com/rack',
      '--attach',
      'rack.jpg',
    ]);
    expect(recorded.results[0]).toMatchObject({
      outcome: 'pass',
      evidence: 'photo attached',
      links: ['https://wiki.example.com/rack'],
      recordedBy: 'bob',
      attachments: [
        {
          name: 'rack.jpg',
          bytes: 6,
          sha256: createHash('sha256').update(readFileSync(photo)).digest('hex'),
        },
      ],
    });
    writeFileSync(join(cwd, 'big.bin'), Buffer.alloc(1024 * 1024 + 1));
    const big = await refused(['testcase', 'record', added.ref, 'fail', '--attach', 'big.bin']);
    expect(big.error.code).toBe('invalid_input');
    expect(big.error.message).toContain('attach: big.bin is 1048577 bytes');
    const gone = await refused(['testcase', 'record', added.ref, 'fail', '--attach', 'gone.png']);
    expect(gone.error).toMatchObject({
      code: 'not_found',
      message: "attach: no file 'gone.png'",
      details: { field: 'attach' },
    });
    const folder = await refused(['testcase', 'record', added.ref, 'fail', '--attach', '.bosun']);
    expect(folder.error.message).toBe("attach: '.bosun' is not a file");
    const badLink = await refused(['testcase', 'record', added.ref, 'fail', '--links', 'nope']);
    expect(badLink.error.details['field']).toBe('links.0');
    // No refusal stored a result.
    expect((await json<CaseView>(['testcase', 'show', added.ref])).results).toHaveLength(1);
  });

  it('refuses a criterion the task does not have, naming the field', async () => {
    const ref = await task('Two criteria', ['--acceptance', 'one', '--acceptance', 'two']);
    const plan = await json<{ ref: string }>(['testplan', 'add', 'HOME', 'Loose', '-t', 'smoke']);
    const bad = await refused([
      'testcase',
      'add',
      plan.ref,
      'x',
      '--task',
      ref,
      '--criterion',
      '3',
    ]);
    expect(bad.error.code).toBe('invalid_input');
    expect(bad.error.message).toBe(`criterion: must be 1 to 2: ${ref} has 2 acceptance criteria`);
    const noScope = await refused(['testplan', 'add', 'HOME', 'Nothing']);
    expect(noScope.error.details['field']).toBe('template');
  });
});

describe('rules in bosun.yaml', () => {
  it('refuses an unknown condition field with the file, line and field path', async () => {
    const dir = await initWorkspace('bosun-bad-rules-', [
      'rules:',
      '  - { name: ok, entity: task, then: allow }',
      '  - { name: typo, entity: task, to: [done], when: { priorty: p0 }, then: deny }',
    ]);
    const result = await runBosun(['task', 'list'], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /bosun\.yaml:\d+: rules\.1\.when\.priorty: unknown field for task/,
    );
  });

  it('refuses a status the entity does not have', async () => {
    const dir = await initWorkspace('bosun-bad-status-', [
      'rules:',
      '  - { name: x, entity: risk, to: [finished], then: deny }',
    ]);
    const result = await runBosun(['risk', 'list'], { cwd: dir });
    expect(result.stderr).toContain('rules.0.to.0: unknown status for risk');
  });
});
