/**
 * The HTTP API under load: the built `bosun serve --no-worker` on a 500-task workspace, two
 * concurrent keep-alive clients calling `POST /api/task.next` back to back for 5 s.
 *
 *   api-task-next  requests per second over both clients ≥ 3,000
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { createBenchWorkspace } from './bench-workspace.js';
import { report, round } from './report.js';

const BIN = resolve(import.meta.dirname, '../bin/bosun.js');
const CLIENTS = 2;
const WARM_MS = 1_000;
const MEASURE_MS = 5_000;

const workspace = createBenchWorkspace('api');
workspace.bosun('import', workspace.writeDocument({ tasks: 500, doneShare: 0.3 }));
const token = readFileSync(join(workspace.dir, '.bosun', 'token'), 'utf8').trim();

const server = spawn(process.execPath, [BIN, 'serve', '--no-worker', '--port', '0', '--json'], {
  cwd: workspace.dir,
  env: { ...process.env, BOSUN_HOME: '', BOSUN_DB: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<URL>((resolveUrl, reject) => {
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const line = /\{.*"url".*\}/.exec(out);
    if (line) resolveUrl(new URL((JSON.parse(line[0]) as { url: string }).url));
  });
  server.once('exit', (code) => reject(new Error(`bosun serve exited ${code}`)));
});

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
const body = JSON.stringify({});

function taskNext(): Promise<void> {
  return new Promise((done, fail) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/api/task.next',
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            fail(new Error(`task.next: ${res.statusCode} ${Buffer.concat(chunks).toString()}`));
          } else done();
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

async function hammer(until: number): Promise<number> {
  let count = 0;
  while (performance.now() < until) {
    await taskNext();
    count++;
  }
  return count;
}

try {
  const warm = performance.now() + WARM_MS;
  await Promise.all(Array.from({ length: CLIENTS }, () => hammer(warm)));
  const start = performance.now();
  const counts = await Promise.all(
    Array.from({ length: CLIENTS }, () => hammer(start + MEASURE_MS)),
  );
  const seconds = (performance.now() - start) / 1000;
  const total = counts.reduce((sum, n) => sum + n, 0);
  report({
    bench: 'api-task-next',
    metric: 'req_per_s',
    value: round(total / seconds, 0),
    unit: 'req/s',
    target: 3_000,
    better: 'higher',
    clients: CLIENTS,
    requests: total,
    tasks: 500,
  });
} finally {
  agent.destroy();
  if (server.pid !== undefined) process.kill(server.pid, 'SIGTERM');
}
