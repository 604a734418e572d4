/**
 * Context packing end to end through the CLI: an llm agent's step that needs a noisy upstream
 * step gets a packed prompt — the task, a handoff of the upstream output keeping its fact lines,
 * and a memory found by the task's words — and the accounting is journaled (`context-pack`),
 * exact against gpt-tokenizer for the prompt the model received, and shown by `step show`.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { startFakeOpenAIServer } from '../src/testing/fake-openai-server.js';
import { bosunJson, fakeModelConfig, initWorkspace, runBosun } from './helpers/cli.js';

interface EventJson {
  kind: string;
  stepId: string | null;
  data: Record<string, unknown>;
}

describe('context packing', () => {
  it('sends an llm agent a packed prompt under its budget and journals the accounting', async () => {
    const server = await startFakeOpenAIServer({ apiKey: 'test-key' });
    try {
      server.enqueue({
        type: 'text',
        text: 'Fixed.',
        usage: { promptTokens: 100, completionTokens: 5 },
      });
      const cwd = await initWorkspace('bosun-context-', [
        ...fakeModelConfig(server.url),
        'agents:',
        '  fixer:',
        '    role: fixer',
        '    runner: llm',
        '    model: local',
        '    context_tokens: 3000',
      ]);
      const stored = await runBosun(
        ['memory', 'store', 'The exporter must keep CRLF line endings for Excel.', '-k', 'lesson'],
        { cwd },
      );
      expect(stored.status, stored.stderr).toBe(0);
      // 300 lines of debug noise around two facts the next step needs.
      const log = [
        'for i in $(seq 1 300); do echo "[2025-01-02T10:00:00Z] DEBUG poll tick $i"; done',
        'echo "ERROR E_EXPORT_17: invalid byte sequence in fixtures/latin1.csv"',
        'echo "Decision: use iconv-lite to decode the exporter input"',
      ].join('; ');
      writeFileSync(
        join(cwd, 'fix.yaml'),
        [
          'name: fix',
          'steps:',
          '  - id: probe',
          '    runner: shell',
          `    with: { command: ${JSON.stringify(log)} }`,
          '  - id: fix',
          '    role: fixer',
          '    needs: [probe]',
          '    input: Fix the exporter failure that probe found.',
        ].join('\n'),
      );
      const run = await runBosun(['run', 'start', 'fix.yaml'], {
        cwd,
        env: { FAKE_OPENAI_KEY: 'test-key' },
      });
      expect(run.status, run.stderr + run.stdout).toBe(0);

      const user = server.requests[0]!.messages.find((message) => message.role === 'user')!;
      const prompt = typeof user.content === 'string' ? user.content : JSON.stringify(user.content);
      expect(prompt).toMatch(/^## Task\nFix the exporter failure that probe found\./);
      expect(prompt).toContain('## Output of step probe (handoff: the lines that carry facts)');
      expect(prompt).toContain('ERROR E_EXPORT_17: invalid byte sequence in fixtures/latin1.csv');
      expect(prompt).toContain('Decision: use iconv-lite to decode the exporter input');
      expect(prompt).toContain('CRLF line endings');
      expect(prompt).not.toContain('DEBUG poll tick 150\n');

      const events = (await bosunJson<{ events: EventJson[] }>(['run', 'events', 'last'], { cwd }))
        .events;
      const packs = events.filter((event) => event.kind === 'context-pack');
      // Only the agent's step is packed; the shell step is not.
      expect(packs.map((event) => event.data['step'])).toEqual(['fix']);
      const data = packs[0]!.data as {
        tokens: number;
        naiveTokens: number;
        budget: number;
        sections: { kind: string; tokens: number }[];
        dropped: unknown[];
      };
      expect(data.tokens).toBe(countTokens(prompt));
      expect(data.budget).toBe(3000);
      expect(data.tokens).toBeLessThanOrEqual(3000);
      expect(data.naiveTokens).toBeGreaterThan(data.tokens * 3);
      expect(data.sections.map((section) => section.kind)).toEqual([
        'task',
        'dependency',
        'memory',
      ]);
      expect(data.sections.reduce((sum, section) => sum + section.tokens, 0)).toBe(data.tokens);

      const step = await bosunJson<{
        attempts: { number: number; contextTokens: number | null; naiveTokens: number | null }[];
      }>(['step', 'show', 'last', 'fix'], { cwd });
      expect(step.attempts).toEqual([
        expect.objectContaining({
          number: 1,
          contextTokens: data.tokens,
          naiveTokens: data.naiveTokens,
        }),
      ]);
    } finally {
      await server.close();
    }
  });
});
