/**
 * Child process of engine.bench.ts: runs one zero-latency chain of N steps in a fresh SQLite
 * workspace and prints `{ ms, steps, rssBeforeMb, maxRssMb }` — its own peak resident set, which
 * a process can only read about itself. Usage: node --import tsx bench/engine-child.ts N
 */

import { chain, createSqliteWorkspace, openBenchRuntime, timeRun } from './engine-harness.js';

const steps = Number(process.argv[2]);
if (!Number.isInteger(steps) || steps < 1) throw new Error('usage: engine-child.ts STEPS');

const runtime = await openBenchRuntime(await createSqliteWorkspace('rss'));
const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
const { ms, cpuMs } = await timeRun(runtime, chain(steps));
await runtime.close();
// resourceUsage().maxRSS is in kilobytes.
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ ms, cpuMs, steps, rssBeforeMb, maxRssMb })}\n`);
