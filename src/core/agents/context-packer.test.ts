import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { createGptTokenizer } from '../../adapters/tokenizer/index.js';
import type { ContextSection } from './context-packer.js';
import { factScore, packContext } from './context-packer.js';

/** A counter that is easy to reason about: one token per word. */
const words = (text: string): number => text.split(/\s+/).filter((word) => word !== '').length;

const task = (text: string): ContextSection => ({
  kind: 'task',
  title: 'Task',
  text,
  relevance: 1,
});
const dependency = (key: string, text: string, relevance = 0.9): ContextSection => ({
  kind: 'dependency',
  title: `Output of step ${key}`,
  text,
  relevance,
});
const memory = (text: string, relevance: number): ContextSection => ({
  kind: 'memory',
  title: `Memory ${relevance}`,
  text,
  relevance,
});

/** A long, noisy log with a few fact lines in it. */
function noisyLog(facts: readonly string[], lines = 200): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(`[2025-01-02T10:00:${String(i % 60).padStart(2, '0')}Z] DEBUG poll tick ${i}`);
    if (i % 50 === 25) out.push(facts[(i - 25) / 50] ?? '');
  }
  return out.join('\n');
}

describe('packContext', () => {
  it('counts exactly what gpt-tokenizer counts for the packed prompt', async () => {
    const countTokens = await createGptTokenizer().load();
    const packed = packContext(
      [
        task('Fix the failing login test.'),
        dependency('test', noisyLog(['ERROR E_AUTH_42: login failed in src/auth/login.ts:31'])),
        memory('Sessions are stored in `session_store` (decided 2025-01).', 0.5),
      ],
      { budget: 2000, countTokens },
    );
    expect(packed.tokens).toBe(encode(packed.text).length);
    expect(packed.sections.reduce((sum, section) => sum + section.tokens, 0)).toBe(packed.tokens);
    expect(packed.naiveTokens).toBeGreaterThan(packed.tokens);
  });

  it('never goes over the budget, by the injected counter', () => {
    const sections = [
      task('Summarize the findings.'),
      ...Array.from({ length: 8 }, (_, i) =>
        memory(
          `Finding ${i}: the cache key \`k${i}\` expires after ${i + 1} s and is rebuilt.`,
          i / 10,
        ),
      ),
    ];
    for (const budget of [10, 25, 60, 120, 1000]) {
      const packed = packContext(sections, { budget, countTokens: words });
      expect(words(packed.text)).toBe(packed.tokens);
      expect(packed.tokens).toBeLessThanOrEqual(Math.max(budget, packed.sections[0]!.tokens));
    }
    const tight = packContext(sections, { budget: 60, countTokens: words });
    expect(tight.dropped.length).toBeGreaterThan(0);
    expect(tight.dropped.every((dropped) => dropped.reason === 'budget')).toBe(true);
  });

  it('keeps the task spec whole and first, even over the budget', () => {
    const spec = 'Implement the export endpoint as described in the design notes below. '.repeat(
      20,
    );
    const packed = packContext([memory('A useful memory about exports.', 0.9), task(spec)], {
      budget: 50,
      countTokens: words,
    });
    expect(packed.text.startsWith(`## Task\n${spec.trim()}`)).toBe(true);
    expect(packed.overBudget).toBe(true);
    expect(packed.sections.map((section) => section.kind)).toEqual(['task']);
    expect(packed.dropped).toEqual([expect.objectContaining({ kind: 'memory', reason: 'budget' })]);
  });

  it('puts the most relevant sections first', () => {
    const packed = packContext(
      [
        task('Ship it.'),
        memory('Low relevance memory about deployment windows.', 0.1),
        memory('High relevance memory about the deploy script scripts/deploy.sh.', 0.9),
        memory('Middle relevance memory about release notes.', 0.5),
      ],
      { budget: 1000, countTokens: words },
    );
    expect(packed.sections.map((section) => section.title)).toEqual([
      'Task',
      'Memory 0.9',
      'Memory 0.5',
      'Memory 0.1',
    ]);
    expect(packed.text.indexOf('High relevance')).toBeLessThan(packed.text.indexOf('Middle'));
  });

  it('says a line once: repeats collapse, lines already said elsewhere are left out', () => {
    const packed = packContext(
      [
        task('Use the config in config/app.yaml and keep PORT=8080.'),
        dependency(
          'build',
          [
            'Compiled 12 files into dist/.',
            '[10:00:01] waiting for the database connection',
            '[10:00:02] waiting for the database connection',
            '[10:00:03] waiting for the database connection',
            'Use the config in config/app.yaml and keep PORT=8080.',
          ].join('\n'),
        ),
        // The same note in two memories: the second says nothing new.
        memory('Deploys need the VPN: run scripts/vpn.sh first.', 0.6),
        memory('deploys need the VPN:   run scripts/vpn.sh first.', 0.5),
      ],
      { budget: 1000, countTokens: words },
    );
    expect(packed.text.match(/config\/app\.yaml/g)).toHaveLength(1);
    expect(packed.text).toContain('waiting for the database connection [×3]');
    expect(packed.text.match(/vpn\.sh/gi)).toHaveLength(1);
    expect(packed.dropped).toEqual([
      expect.objectContaining({ title: 'Memory 0.5', reason: 'duplicate' }),
    ]);
  });

  it('turns a long dependency output into a handoff that keeps the fact lines', () => {
    const facts = [
      'Wrote src/export/csv-writer.ts (120 lines).',
      'Decision: use papaparse for parsing; the hand-written parser was rejected.',
      'ERROR E_ENCODING_7: invalid byte sequence in fixtures/latin1.csv',
      'Set EXPORT_BATCH_SIZE=500 in .env.example',
    ];
    const packed = packContext(
      [task('Finish the CSV export.'), dependency('build', noisyLog(facts))],
      { budget: 5000, countTokens: words },
    );
    for (const fact of facts) expect(packed.text).toContain(fact);
    expect(packed.text).not.toContain('DEBUG poll tick 3\n');
    expect(packed.text).toContain('(handoff: the lines that carry facts)');
    expect(packed.text).toMatch(/\[… \d+ lines omitted\]/);
    const section = packed.sections.find((each) => each.kind === 'dependency')!;
    expect(section.excerpt).toBe(true);
    expect(section.keptLines).toBeLessThan(section.lines);
    expect(packed.tokens * 5).toBeLessThan(packed.naiveTokens);
  });

  it('leaves a short dependency output whole', () => {
    const output = 'All 14 tests passed.\nNothing else to report.';
    const packed = packContext([task('Release.'), dependency('test', output)], {
      budget: 1000,
      countTokens: words,
    });
    expect(packed.text).toContain(output);
    expect(packed.sections[1]!.excerpt).toBe(false);
  });

  it('cuts a section to the room left, keeping its strongest lines', () => {
    const output = [
      'Some narration that says nothing in particular about anything at all here. '.repeat(3),
      'ERROR E_DISK_FULL: no space left on /var/lib/postgres',
      'More narration, equally long and equally empty of any kind of content. '.repeat(3),
    ].join('\n');
    const packed = packContext([task('Investigate.'), dependency('probe', output)], {
      budget: 62,
      countTokens: words,
      handoffTokens: 10_000,
    });
    expect(packed.tokens).toBeLessThanOrEqual(62);
    expect(packed.text).toContain('E_DISK_FULL');
    expect(packed.sections[1]!.excerpt).toBe(true);
  });
});

describe('factScore', () => {
  it('rates errors, decisions, paths and identifiers above chatter', () => {
    expect(factScore('ERROR: connection refused to db:5432')).toBeGreaterThanOrEqual(2);
    expect(factScore('We decided to keep the v1 API.')).toBeGreaterThanOrEqual(2);
    expect(factScore('Edited src/app/main.ts')).toBeGreaterThanOrEqual(2);
    expect(factScore('call `refreshToken` before retrying')).toBeGreaterThanOrEqual(2);
    expect(factScore('2025-01-01T00:00:00Z DEBUG heartbeat 17')).toBeLessThan(2);
    expect(factScore('Downloading packages (45%)')).toBeLessThan(2);
    expect(factScore('I think the structure looks reasonable overall.')).toBeLessThan(2);
  });
});
