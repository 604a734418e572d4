/**
 * Memory end to end through the built `bosun` bin on a SQLite workspace: store, search (bare and
 * explicit, with filters), get by id prefix, forget (audited), `bosun call`, and the refusals,
 * each leaving the store as it was.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

interface MemoryJson {
  id: string;
  kind: string;
  scope: string;
  scopeRef: string | null;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  author: string;
  runId: string | null;
  forgottenAt: string | null;
  forgottenBy: string | null;
  forgetReason: string | null;
}

interface HitJson {
  id: string;
  kind: string;
  scope: string;
  scopeRef: string | null;
  score: number;
  snippet: string;
}

let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const init = await runBosun(['init'], { cwd: dir });
  expect(init.status, init.stderr).toBe(0);
  await bosunJson(['project', 'create', 'HOME', 'Home lab'], { cwd: dir });
  await bosunJson(['task', 'add', 'HOME', 'Back up the NAS'], { cwd: dir });
});

const searchIds = async (args: readonly string[]): Promise<string[]> =>
  (await bosunJson<HitJson[]>(args, { cwd: dir })).map((hit) => hit.id);

describe('bosun memory', () => {
  it('stores, searches, gets and forgets an item, and the audit log shows who did what', async () => {
    const item = await bosunJson<MemoryJson>(
      [
        'memory',
        'store',
        'Restores need the NAS mounted read-write',
        '-k',
        'lesson',
        '-s',
        'task:home-1',
        '-t',
        'backup',
        '--metadata',
        'source=review',
      ],
      { cwd: dir },
    );
    expect(item).toMatchObject({
      kind: 'lesson',
      scope: 'task',
      scopeRef: 'HOME-1',
      tags: ['backup'],
      metadata: { source: 'review' },
      author: 'tester',
      forgottenAt: null,
    });
    const other = await bosunJson<MemoryJson>(
      ['memory', 'add', 'The offsite bucket keeps thirty days of snapshots', '--kind', 'pattern'],
      { cwd: dir },
    );
    expect(other.scope).toBe('workspace');

    // `bosun memory "query"` is `bosun memory search "query"`.
    expect(await searchIds(['memory', 'restoring the NAS'])).toEqual([item.id]);
    expect(await searchIds(['memory', 'search', 'restoring the NAS'])).toEqual([item.id]);
    const [hit] = await bosunJson<HitJson[]>(
      ['memory', 'search', 'snapshots', '--scope', 'workspace', '--kind', 'pattern', '-n', '1'],
      { cwd: dir },
    );
    expect(hit).toMatchObject({
      id: other.id,
      scope: 'workspace',
      snippet: 'The offsite bucket keeps thirty days of snapshots',
    });
    expect(hit!.score).toBeGreaterThan(0);
    expect(await searchIds(['memory', 'restore', '--kind', 'pattern'])).toEqual([]);

    const table = await runBosun(['memory', 'restore NAS'], { cwd: dir });
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+SCORE\s+KIND\s+SCOPE\s+OF\s+MATCHED\s+SNIPPET/);
    expect(table.stdout).toContain(`${item.id}  `);
    expect(table.stdout).toContain('Restores need the NAS mounted read-write');

    const byPrefix = await bosunJson<MemoryJson>(['memory', 'get', item.id.slice(0, 14)], {
      cwd: dir,
    });
    expect(byPrefix).toEqual(item);

    const forgotten = await bosunJson<MemoryJson>(
      ['memory', 'forget', item.id, '--reason', 'the mount is read-only now', '--as', 'bob'],
      { cwd: dir },
    );
    expect(forgotten).toMatchObject({
      id: item.id,
      forgottenBy: 'bob',
      forgetReason: 'the mount is read-only now',
    });
    expect(forgotten.forgottenAt).not.toBeNull();
    expect(await searchIds(['memory', 'restoring the NAS'])).toEqual([]);
    expect(await bosunJson<MemoryJson>(['memory', 'get', item.id], { cwd: dir })).toEqual(
      forgotten,
    );
    const shown = await runBosun(['memory', 'show', item.id], { cwd: dir });
    expect(shown.stdout).toMatch(/forgottenBy\s+bob/);

    const audit = await bosunJson<{ operation: string; actor: string }[]>(
      ['audit', 'list', item.id],
      { cwd: dir },
    );
    expect(audit.map((entry) => [entry.operation, entry.actor])).toEqual([
      ['memory.store', 'tester'],
      ['memory.forget', 'bob'],
    ]);
  });

  it('runs through bosun call with a JSON input', async () => {
    const stored = await runBosun(
      [
        'call',
        'memory.store',
        '--input',
        JSON.stringify({ text: 'Rotate the bucket credentials yearly', kind: 'lesson' }),
      ],
      { cwd: dir },
    );
    expect(stored.status, stored.stderr).toBe(0);
    const { id } = JSON.parse(stored.stdout) as MemoryJson;
    const found = await runBosun(
      ['call', 'memory.search', '--input', JSON.stringify({ query: 'credentials', limit: 1 })],
      { cwd: dir },
    );
    expect((JSON.parse(found.stdout) as HitJson[]).map((hit) => hit.id)).toEqual([id]);
  });

  it('searches hostile text without an error', async () => {
    for (const query of ['"unbalanced (', 'NEAR(', '*', 'AND OR', '😀', '-x', '--']) {
      // After `--` every word is the query, even one that looks like a flag.
      const result = await runBosun(['memory', 'search', '--json', '--', query], { cwd: dir });
      expect(result.status, `${query}: ${result.stderr}`).toBe(0);
      expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
    }
  });

  it('refuses bad input with its exit status, naming the field, and stores nothing', async () => {
    const before = await runBosun(['call', 'audit.list'], { cwd: dir });
    const cases: [string[], number, RegExp][] = [
      [['memory', 'store', 'x', '-k', 'memo'], 2, /kind: must be one of raw_interaction, /],
      [['memory', 'store', 'x'], 2, /kind: must be one of /],
      [['memory', 'store', 'x', '-k', 'lesson', '-s', 'task:HOME-99'], 4, /scope: task 'HOME-99'/],
      [['memory', 'store', 'x', '-k', 'lesson', '-s', 'planet'], 2, /scope: must be workspace, /],
      [['memory', 'search', 'x', '--since', 'last week'], 2, /since: 'last week' is neither/],
      [['memory', 'get', 'ZZZZZZZZ'], 4, /id: no memory item 'ZZZZZZZZ'/],
      [['memory', 'forget', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], 4, /id: no memory item/],
    ];
    for (const [args, status, message] of cases) {
      const result = await runBosun(args, { cwd: dir });
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const after = await runBosun(['call', 'audit.list'], { cwd: dir });
    expect(after.stdout).toBe(before.stdout);
  });

  it('documents the bare search form in its help', async () => {
    const help = await runBosun(['memory', 'search', '--help'], { cwd: dir });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: bosun memory [search] QUERY');
    expect(help.stdout).toContain('bosun memory "restore NAS"');
    // The noun alone is the search, its help too; the overview lists every verb.
    const bare = await runBosun(['memory', '--help'], { cwd: dir });
    expect(bare.stdout).toBe(help.stdout);
    const overview = await runBosun(['--help'], { cwd: dir });
    for (const verb of ['memory store', 'memory search', 'memory get', 'memory forget']) {
      expect(overview.stdout).toContain(verb);
    }
  });
});
