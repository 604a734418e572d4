/**
 * `bosun mcp` over stdio with the official SDK client, on a 500-task workspace:
 *
 *   mcp-cold-start      spawn → initialize result (the SDK client's connect), median of 20 ≤ 300 ms
 *   mcp-task-next-warm  a `task_next` round trip on a warm connection, 500 calls after 50 warm-up:
 *                       p50 ≤ 1 ms, p99 ≤ 5 ms
 */

import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createBenchWorkspace } from './bench-workspace.js';
import { percentile, report, round } from './report.js';

const BIN = resolve(import.meta.dirname, '../bin/bosun.js');
const workspace = createBenchWorkspace('mcp');
workspace.bosun('import', workspace.writeDocument({ tasks: 500, doneShare: 0.3 }));

async function connect(): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp'],
      cwd: workspace.dir,
      env: { PATH: process.env.PATH ?? '' },
    }),
  );
  return client;
}

// ── cold start
{
  await (await connect()).close(); // the OS file cache, as a client's second start would find it
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const client = await connect();
    times.push(performance.now() - start);
    await client.close();
  }
  times.sort((a, b) => a - b);
  report({
    bench: 'mcp-cold-start',
    metric: 'median, spawn → initialize result',
    value: round(percentile(times, 50), 1),
    unit: 'ms',
    target: 300,
    p90: round(percentile(times, 90), 1),
  });
}

// ── warm round trips
{
  const client = await connect();
  const call = () => client.callTool({ name: 'task_next', arguments: {} });
  for (let i = 0; i < 50; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < 500; i++) {
    const start = performance.now();
    const result = await call();
    times.push(performance.now() - start);
    if (result.isError) throw new Error(`task_next failed: ${JSON.stringify(result.content)}`);
  }
  await client.close();
  times.sort((a, b) => a - b);
  report({
    bench: 'mcp-task-next-warm',
    metric: 'p50 of 500 round trips (p99 ≤ 5 ms)',
    value: round(percentile(times, 50), 3),
    unit: 'ms',
    target: 1,
    p99: round(percentile(times, 99), 3),
    p99Target: 5,
    tasks: 500,
  });
}
