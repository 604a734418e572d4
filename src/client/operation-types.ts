/**
 * Each operation's input and output types, by name, read from the catalog's zod schemas through
 * type-only imports: nothing of the server is bundled into the client, yet a renamed field is a
 * compile error in the dashboard. Operations in a list typed as plain `AnyOperation[]` carry no
 * name type and fall back to `call(name: string, input: unknown): Promise<unknown>`.
 */

import type { z } from 'zod';
import type { actionOperations } from '../operations/action-operations.js';
import type { agentOperations } from '../operations/agent-operations.js';
import type { askOperations } from '../operations/ask-operations.js';
import type { briefingOperations } from '../operations/briefing-operations.js';
import type { commandCenterOperations } from '../operations/command-center-operations.js';
import type { costOperations } from '../operations/cost-operations.js';
import type { dbOperations } from '../operations/db-operations.js';
import type { documentOperations } from '../operations/document-operations.js';
import type { lessonOperations } from '../operations/lesson-operations.js';
import type { memoryOperations } from '../operations/memory-operations.js';
import type { milestoneOperations } from '../operations/milestone-operations.js';
import type { modelOperations } from '../operations/model-operations.js';
import type { planOperations } from '../operations/plan-operations.js';
import type { projectBudgetOperations } from '../operations/project-budget-operations.js';
import type { projectOperations } from '../operations/project-operations.js';
import type { qualityOperations } from '../operations/quality-operations.js';
import type { riskOperations } from '../operations/risk-operations.js';
import type { ruleOperations } from '../operations/rule-operations.js';
import type { runOperations } from '../operations/run-operations.js';
import type { stakeholderOperations } from '../operations/stakeholder-operations.js';
import type { taskOperations } from '../operations/task-operations.js';
import type { workspaceOperations } from '../operations/workspace-operations.js';

type Catalog = (
  | typeof actionOperations
  | typeof agentOperations
  | typeof askOperations
  | typeof briefingOperations
  | typeof commandCenterOperations
  | typeof costOperations
  | typeof dbOperations
  | typeof documentOperations
  | typeof lessonOperations
  | typeof memoryOperations
  | typeof milestoneOperations
  | typeof modelOperations
  | typeof planOperations
  | typeof projectBudgetOperations
  | typeof projectOperations
  | typeof qualityOperations
  | typeof riskOperations
  | typeof ruleOperations
  | typeof runOperations
  | typeof stakeholderOperations
  | typeof taskOperations
  | typeof workspaceOperations
)[number];

/** The operations whose name is known as a literal type. */
type Typed<C> = C extends { readonly name: infer N } ? (string extends N ? never : C) : never;
type TypedOperation = Typed<Catalog>;

export type OperationName = TypedOperation['name'];
type Named<N extends OperationName> = Extract<TypedOperation, { readonly name: N }>;
/** What the operation accepts (defaults may be left out). */
export type OperationInput<N extends OperationName> = z.input<Named<N>['input']>;
/** What the operation answers. */
export type OperationOutput<N extends OperationName> = z.output<Named<N>['output']>;
