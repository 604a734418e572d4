/**
 * What an agent's step recalls, end to end through the CLI with an llm agent on the fake OpenAI
 * server: a forked run never sees what a sibling fork learned (while a run outside the family
 * does), and once an agent has done a kind of work well a few times, the next step of that kind
 * is offered the proven pattern.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, fakeModelConfig, initWorkspace, runBosun } from './helpers/cli.js';

const ENV = { FAKE_OPENAI_KEY: 'test-key' };

/** A workspace with one llm agent (role fixer) on the fake server and a probe → fix workflow. */
async function init(server: FakeOpenAIServer): Promise<string> {
  const cwd = await initWorkspace('bosun-recall-', [
    ...fakeModelConfig(server.url),
    'agents:',
    '  fixer:',
    '    role: fixer',
    '    runner: llm',
    '    model: local',
  ]);
  writeFileSync(
    join(cwd, 'fix.yaml'),
    [
      'name: fix',
      'steps:',
      '  - id: probe',
      '    runner: shell',
      '    with: { command: "echo probe saw the exporter reject latin1 input" }',
      '  - id: fix',
      '    role: fixer',
      '    needs: [probe]',
      '    input: Fix the exporter failure that probe found.',
    ].join('\n'),
  );
  return cwd;
}

/** The prompt of the fake server's request number `index`. */
function promptOf(server: FakeOpenAIServer, index: number): string {
  const user = server.requests[index]!.messages.find((message) => message.role === 'user')!;
  return typeof user.content === 'string' ? user.content : JSON.stringify(user.content);
}

function answerWith(server: FakeOpenAIServer, text: string): void {
  server.enqueue({ type: 'text', text, usage: { promptTokens: 100, completionTokens: 10 } });
}

describe('memory recall', () => {
  it('keeps a fork from recalling what a sibling fork learned', async () => {
    const server = await startFakeOpenAIServer({ apiKey: 'test-key' });
    try {
      const cwd = await init(server);
      answerWith(server, 'Root fix: decode the exporter input with iconv-lite.');
      const root = await runBosun(['run', 'start', 'fix.yaml'], { cwd, env: ENV });
      expect(root.status, root.stderr + root.stdout).toBe(0);
      const rootId = (await bosunJson<{ run: { id: string } }>(['run', 'show', 'last'], { cwd }))
        .run.id;

      // Fork one learns something; fork two, forked from the same run later, must not see it.
      answerWith(server, 'Exporter failure cause: quirk ALPHA in the fixture generator.');
      const first = await runBosun(['run', 'fork', rootId, '--from', 'fix'], { cwd, env: ENV });
      expect(first.status, first.stderr + first.stdout).toBe(0);
      answerWith(server, 'Second branch done.');
      const second = await runBosun(['run', 'fork', rootId, '--from', 'fix'], { cwd, env: ENV });
      expect(second.status, second.stderr + second.stdout).toBe(0);
      // A run outside the family recalls everything, the first fork's lesson included.
      answerWith(server, 'Fresh run done.');
      const fresh = await runBosun(['run', 'start', 'fix.yaml'], { cwd, env: ENV });
      expect(fresh.status, fresh.stderr + fresh.stdout).toBe(0);

      // The first fork's output was captured as a memory of its run.
      const captured = await bosunJson<{ id: string; kind: string; runId: string }[]>(
        ['memory', 'search', 'ALPHA', '--json'],
        { cwd },
      );
      expect(captured).toHaveLength(1);
      expect(captured[0]).toMatchObject({ kind: 'raw_interaction' });

      expect(server.requests).toHaveLength(4);
      // The root's own lesson reaches both forks (written before they were forked).
      expect(promptOf(server, 1)).toContain('iconv-lite');
      expect(promptOf(server, 2)).toContain('iconv-lite');
      expect(promptOf(server, 2)).not.toContain('ALPHA');
      expect(promptOf(server, 3)).toContain('ALPHA');
      // And a person can search as the second fork recalls.
      const forks = (
        await bosunJson<{ id: string; source: string }[]>(['run', 'list', '--json'], { cwd })
      ).filter((run) => run.source === 'fork');
      expect(forks).toHaveLength(2);
      const secondFork = forks.find((run) => run.id !== captured[0]!.runId)!;
      const asSecond = await bosunJson<{ id: string }[]>(
        ['memory', 'search', 'ALPHA exporter', '--run', secondFork.id, '--json'],
        { cwd },
      );
      expect(asSecond.map((hit) => hit.id)).not.toContain(captured[0]!.id);
    } finally {
      await server.close();
    }
  });

  it('offers a step the proven pattern of its kind of work', async () => {
    const server = await startFakeOpenAIServer({ apiKey: 'test-key' });
    try {
      const cwd = await init(server);
      for (let i = 0; i < 3; i++) {
        answerWith(server, `Fixed, attempt ${i}.`);
        const run = await runBosun(['run', 'start', 'fix.yaml'], { cwd, env: ENV });
        expect(run.status, run.stderr + run.stdout).toBe(0);
      }
      // The first two steps had no proven pattern yet; the third had two successes behind it.
      expect(promptOf(server, 0)).not.toContain('proven patterns');
      expect(promptOf(server, 1)).not.toContain('proven patterns');
      expect(promptOf(server, 2)).toContain(
        '## What worked before on similar work (proven patterns)',
      );
      expect(promptOf(server, 2)).toMatch(
        /- role fixer, small work: fixer \(local\) on llm succeeded 2 of 2 tries/,
      );
      const patterns = await bosunJson<{ agent: string; successes: number; tries: number }[]>(
        ['memory', 'patterns', '--role', 'fixer', '--json'],
        { cwd },
      );
      expect(patterns).toEqual([
        expect.objectContaining({ agent: 'fixer', successes: 3, tries: 3 }),
      ]);
    } finally {
      await server.close();
    }
  });
});
