/**
 * bosun's own operations as tools an llm agent may call (`tools: [note.add, memory.search]` in
 * bosun.yaml): each tool is the operation's zod input schema and summary, executed through the
 * operation runner, so an agent's call is validated, transactional and audited like anyone's —
 * under the actor `agent:<name>`.
 */

import type { ToolSet } from 'ai';
import { tool } from 'ai';
import type { OperationRunner } from '../operations/catalog.js';
import { findOperation } from '../operations/catalog.js';
import type { StepAttemptContext } from '../ports/runner.js';

export function createOperationTools(
  operations: () => OperationRunner,
): (names: readonly string[], attempt: StepAttemptContext) => ToolSet {
  return (names, attempt) => {
    const tools: ToolSet = {};
    for (const name of names) {
      const operation = findOperation(name);
      // An unknown name is left out: the runner refuses an agent whose tools it cannot give.
      if (!operation) continue;
      tools[name] = tool({
        description: operation.summary,
        inputSchema: operation.input,
        execute: (input: unknown) =>
          operations().run(operation, input, `agent:${attempt.agent?.name ?? 'llm'}`),
      });
    }
    return tools;
  };
}
