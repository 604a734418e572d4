/**
 * Token reduction of the context packer on generated multi-step handoff scenarios, counted with
 * gpt-tokenizer (o200k_base):
 *
 *   context-packer-reduction   1 − packed / naive tokens over all scenarios: ≥ 30 %
 *   context-packer-facts       facts the downstream step needs found in its packed prompt: 100 %
 *   context-packer-time        p50 / p99 time to pack one scenario
 *
 * A scenario is a downstream step with 2–4 upstream steps and, sometimes, a failed earlier
 * attempt. Each upstream output mixes the facts the downstream step needs (paths, identifiers,
 * settings, measurements, errors, decisions, each worded in one of several ways) with what agents
 * and tools print around them: debug and access logs, progress, heartbeats, test runners' pass
 * lines, stack frames, narration, small code listings, repeats. The generator is seeded, so every
 * run builds the same 60 scenarios. The packer is handed only the sections; the facts are checked
 * afterwards by string presence in the packed text. The naive prompt is the task with every
 * upstream output and the earlier attempt pasted whole.
 */

import { createGptTokenizer } from '../src/adapters/tokenizer/index.js';
import type { ContextSection } from '../src/core/agents/context-packer.js';
import { packContext } from '../src/core/agents/context-packer.js';
import { percentile, report, round } from './report.js';

const SCENARIOS = 60;
const BUDGET = 8000;

let state = 20_240_611;
const random = (): number => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
};
const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const MODULES = ['auth', 'billing', 'orders', 'search', 'sync', 'export', 'inbox', 'reports'];
const NOUNS = ['session', 'invoice', 'cursor', 'token', 'ledger', 'batch', 'digest', 'quota'];
const VERBS = ['refresh', 'validate', 'compact', 'resolve', 'reconcile', 'rotate', 'flush'];
const TABLES = ['users', 'accounts', 'orders', 'events', 'invoices', 'sessions', 'jobs'];
const LIBS = ['zod', 'kysely', 'pino', 'undici', 'p-limit', 'lru-cache', 'date-fns', 'hono'];
const ENV = ['MAX_RETRIES', 'CACHE_TTL_SECONDS', 'POOL_SIZE', 'RATE_LIMIT_RPS', 'BATCH_SIZE'];
const ERRORS = ['E_CONFLICT', 'E_TIMEOUT', 'ERR_SOCKET_CLOSED', 'SQLITE_BUSY', 'E_QUOTA'];

const cap = (word: string): string => word[0]!.toUpperCase() + word.slice(1);
const path = (): string => `src/${pick(MODULES)}/${pick(NOUNS)}-${pick(VERBS)}.ts`;
const fn = (): string => `${pick(VERBS)}${cap(pick(NOUNS))}${int(2, 99)}`;
const time = (second: number): string =>
  `2025-03-${String(int(10, 28)).padStart(2, '0')}T${String(int(8, 18)).padStart(2, '0')}:` +
  `${String(int(0, 59)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}Z`;

/** A fact line and the string the downstream step needs from it. */
function fact(): { line: string; needed: string } {
  switch (int(0, 9)) {
    case 0: {
      const file = path();
      return { line: `Wrote ${file} (${int(20, 400)} lines).`, needed: file };
    }
    case 1: {
      const lib = pick(LIBS);
      return {
        line: `Decision: use ${lib} for the ${pick(NOUNS)} layer; the hand-written one was rejected.`,
        needed: lib,
      };
    }
    case 2: {
      const code = `${pick(ERRORS)}_${int(100, 999)}`;
      return {
        line: `ERROR ${code}: ${pick(NOUNS)} ${pick(VERBS)} failed at ${path()}:${int(10, 300)}`,
        needed: code,
      };
    }
    case 3: {
      const handler = fn();
      return {
        line: `The new endpoint is POST /api/${pick(NOUNS)}s/${pick(VERBS)}, handled by ${handler}().`,
        needed: handler,
      };
    }
    case 4: {
      const setting = `${pick(ENV)}=${int(2, 500)}`;
      return { line: `Set ${setting} in .env.example`, needed: setting };
    }
    case 5: {
      const after = `${int(5, 90)} ms`;
      return {
        line: `p99 latency of the ${pick(NOUNS)} query went from ${int(100, 900)} ms to ${after} after adding the index.`,
        needed: after,
      };
    }
    case 6: {
      const test = `${pick(NOUNS)} ${pick(VERBS)}s a stale ${pick(NOUNS)} #${int(1, 999)}`;
      return {
        line: `Tests: ${int(40, 300)} passed, 1 failed — failing: "${test}"`,
        needed: test,
      };
    }
    case 7: {
      const migration = `${String(int(1, 80)).padStart(4, '0')}_add_${pick(NOUNS)}_${pick(TABLES)}`;
      return {
        line: `Migration ${migration} adds column ${pick(NOUNS)}_id to table ${pick(TABLES)}.`,
        needed: migration,
      };
    }
    case 8: {
      const version = `${pick(LIBS)}@${int(1, 9)}.${int(0, 30)}.${int(0, 20)}`;
      return { line: `Pinned ${version} because newer releases break the build.`, needed: version };
    }
    default: {
      const flag = `--${pick(VERBS)}-${pick(NOUNS)}`;
      return {
        line: `Note for the next step: run the importer with ${flag} or it skips archived rows.`,
        needed: flag,
      };
    }
  }
}

/** What tools and agents print around the facts. */
function noise(second: number): string[] {
  switch (int(0, 11)) {
    case 0:
      return [`[${time(second)}] DEBUG pool: connection ${int(1, 20)} acquired`];
    case 1:
      return [`[${time(second)}] INFO GET /health 200 ${int(1, 9)}ms`];
    case 2:
      return [`Downloading ${pick(LIBS)} (${int(1, 99)}%)`];
    case 3:
      return [`[${time(second)}] INFO worker heartbeat ok`];
    case 4:
      return [`  ✓ ${pick(NOUNS)} ${pick(VERBS)}s correctly (${int(1, 40)} ms)`];
    case 5:
      return [`Let me look at ${path()} to understand how it is structured.`];
    case 6:
      return ['waiting for the dev server to be ready...'];
    case 7:
      return [`[${'='.repeat(int(1, 20))}>${' '.repeat(int(0, 10))}] ${int(1, 99)}%`];
    case 8:
      return [
        'I went through the module and the overall structure seems reasonable to me, and the',
        'code mostly follows the conventions that the rest of the project uses.',
      ];
    case 9:
      return [
        '```ts',
        `const ${pick(NOUNS)} = await db.selectFrom('${pick(TABLES)}').selectAll().execute();`,
        `return ${pick(NOUNS)}.map((row) => row.id);`,
        '```',
      ];
    case 10:
      return [`[${time(second)}] TRACE scheduler tick (${int(0, 4)} ready)`];
    default:
      return [`Reading ${path()}...`];
  }
}

interface Scenario {
  readonly sections: ContextSection[];
  readonly needed: string[];
}

function scenario(index: number): Scenario {
  const upstream = int(2, 4);
  const needed: string[] = [];
  const sections: ContextSection[] = [];
  const keys: string[] = [];
  for (let u = 0; u < upstream; u++) {
    const key = `${pick(['design', 'build', 'test', 'research', 'review', 'migrate'])}-${u + 1}`;
    keys.push(key);
    const lines: string[] = [];
    const facts = int(2, 5);
    const length = int(60, 260);
    const factAt = new Set<number>();
    while (factAt.size < facts) factAt.add(int(0, length - 1));
    for (let i = 0; i < length; i++) {
      if (factAt.has(i)) {
        const { line, needed: string } = fact();
        lines.push(line);
        needed.push(string);
      } else {
        lines.push(...noise(i));
      }
    }
    sections.push({
      kind: 'dependency',
      title: `Output of step ${key}`,
      text: lines.join('\n'),
      relevance: 0.9,
    });
  }
  if (random() < 0.4) {
    const trace = [`Error: ${pick(NOUNS)} ${pick(VERBS)} timed out after ${int(10, 60)} s`];
    for (let i = 0; i < int(8, 20); i++) {
      trace.push(
        `    at ${fn()} (node_modules/${pick(LIBS)}/dist/index.js:${int(1, 900)}:${int(1, 80)})`,
      );
    }
    sections.push({
      kind: 'history',
      title: 'Earlier attempts',
      text: `- Attempt 1 (timeout): timed out\n  Its output ended with:\n${trace.join('\n')}`,
      relevance: 0.8,
    });
  }
  const task =
    `Scenario ${index + 1}: finish the ${pick(NOUNS)} ${pick(VERBS)} feature of the ` +
    `${pick(MODULES)} module. Use what steps ${keys.join(', ')} found: the files they wrote, ` +
    'their decisions, the settings and measurements they reported, and the failures to fix.';
  sections.unshift({ kind: 'task', title: 'Task', text: task, relevance: 1 });
  return { sections, needed };
}

const countTokens = await createGptTokenizer().load();
const scenarios = Array.from({ length: SCENARIOS }, (_, index) => scenario(index));

// Warm up the tokenizer's merge cache and the JIT, then measure.
for (const each of scenarios.slice(0, 5))
  packContext(each.sections, { budget: BUDGET, countTokens });

let naive = 0;
let packed = 0;
let factsTotal = 0;
let factsKept = 0;
let overBudget = 0;
const times: number[] = [];
const missing: string[] = [];
for (const each of scenarios) {
  const started = performance.now();
  const result = packContext(each.sections, { budget: BUDGET, countTokens });
  times.push(performance.now() - started);
  naive += result.naiveTokens;
  packed += result.tokens;
  if (result.tokens > BUDGET) overBudget++;
  for (const string of each.needed) {
    factsTotal++;
    if (result.text.includes(string)) factsKept++;
    else missing.push(string);
  }
}
times.sort((a, b) => a - b);

const reduction = (1 - packed / naive) * 100;
const common = { scenarios: SCENARIOS, budget: BUDGET, encoding: 'o200k_base' };
report({
  bench: 'context-packer',
  metric: 'context-packer-reduction',
  value: round(reduction, 1),
  unit: '%',
  target: 30,
  better: 'higher',
  naiveTokens: naive,
  packedTokens: packed,
  ...common,
});
report({
  bench: 'context-packer',
  metric: 'context-packer-facts',
  value: round((factsKept / factsTotal) * 100, 2),
  unit: '%',
  target: 100,
  better: 'higher',
  facts: factsTotal,
  kept: factsKept,
  ...(missing.length > 0 ? { missing: missing.slice(0, 10) } : {}),
  overBudget,
  ...common,
});
report({
  bench: 'context-packer',
  metric: 'context-packer-time',
  value: round(percentile(times, 99), 2),
  unit: 'ms',
  p50: round(percentile(times, 50), 2),
  ...common,
});
