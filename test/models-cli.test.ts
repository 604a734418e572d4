/**
 * `bosun models check` end to end: the built CLI sends each model of bosun.yaml one prompt over
 * real sockets (a fake OpenAI-compatible server), prints a row per model with the reason a model
 * failed, and exits non-zero when any did.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, runBosun, tempDir } from './helpers/cli.js';

const CHECK_FAILED_EXIT = 12;
const NOT_FOUND_EXIT = 4;

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startFakeOpenAIServer({ apiKey: 'sk-right' });
});
afterEach(async () => {
  await server.close();
});

/** One model whose key the server takes, one whose key it refuses. */
async function workspace(): Promise<string> {
  const cwd = tempDir('bosun-models-');
  const init = await runBosun(['init'], { cwd });
  expect(init.status, init.stderr).toBe(0);
  const config = join(cwd, '.bosun', 'bosun.yaml');
  const models = [
    'models:',
    `  good: { provider: openai-compatible, model: qwen-good, base_url: "${server.url}", api_key_env: GOOD_KEY, price: { input: 0.5, output: 1 } }`,
    `  bad: { provider: openai-compatible, model: qwen-bad, base_url: "${server.url}", api_key_env: BAD_KEY }`,
  ];
  writeFileSync(config, `${readFileSync(config, 'utf8')}\n${models.join('\n')}\n`);
  return cwd;
}

const env = { GOOD_KEY: 'sk-right', BAD_KEY: 'sk-wrong' };

interface CheckJson {
  ok: boolean;
  models: { name: string; ok: boolean; inputTokens: number | null; reason: string | null }[];
}

describe('bosun models check', () => {
  it('checks every model, names the failed one with its reason, and exits non-zero', async () => {
    const cwd = await workspace();
    server.enqueue({ type: 'text', text: 'OK', usage: { promptTokens: 12, completionTokens: 1 } });

    const result = await runBosun(['models', 'check'], { cwd, env });

    expect(result.status, result.stderr).toBe(CHECK_FAILED_EXIT);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PROVIDER\s+MODEL\s+OK\s+MS\s+IN\s+OUT\s+CHARS\s+REASON$/);
    expect(lines[1]).toMatch(/^good\s+openai-compatible\s+qwen-good\s+yes\s+\d+\s+12\s+1\s+2\s+-$/);
    expect(lines[2]).toMatch(
      /^bad\s+openai-compatible\s+qwen-bad\s+no\s+\d+\s+-\s+-\s+-\s+unauthorized: the key in BAD_KEY \(set\) was refused/,
    );
  });

  it('gives scripts the whole reason with --json, exiting non-zero all the same', async () => {
    const cwd = await workspace();
    server.enqueue({ type: 'text', text: 'OK' });

    const result = await runBosun(['models', 'check', '--json'], { cwd, env });

    expect(result.status, result.stderr).toBe(CHECK_FAILED_EXIT);
    const report = JSON.parse(result.stdout) as CheckJson;
    expect(report.ok).toBe(false);
    expect(report.models.map((row) => [row.name, row.ok])).toEqual([
      ['good', true],
      ['bad', false],
    ]);
    expect(report.models[1]!.reason).toBe(
      `unauthorized: the key in BAD_KEY (set) was refused: 401 Incorrect API key provided. (${server.url})`,
    );
  });

  it('exits 0 when the one model asked for answers', async () => {
    const cwd = await workspace();
    server.enqueue({ type: 'text', text: 'OK' });

    const report = await bosunJson<CheckJson>(['models', 'check', '--model', 'good'], {
      cwd,
      env,
    });

    expect(report).toMatchObject({ ok: true, models: [{ name: 'good', ok: true }] });
    expect(server.requests.map((request) => request.model)).toEqual(['qwen-good']);
  });

  it('refuses a model bosun.yaml does not declare', async () => {
    const cwd = await workspace();

    const result = await runBosun(['models', 'check', 'nope'], { cwd, env });

    expect(result.status).toBe(NOT_FOUND_EXIT);
    expect(result.stderr).toBe(
      "error[not_found]: model 'nope' is not in bosun.yaml (models: good, bad)\n",
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('bosun models list', () => {
  it('shows each model with its provider, id, base URL and prices', async () => {
    const cwd = await workspace();

    const result = await runBosun(['models', 'list'], { cwd });

    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+PROVIDER\s+MODEL\s+BASE URL\s+IN \$\/M\s+OUT \$\/M\s+CONTEXT$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(`^good\\s+openai-compatible\\s+qwen-good\\s+${server.url}\\s+0.5\\s+1\\s+-$`),
    );
    expect(lines).toHaveLength(3);
  });
});
