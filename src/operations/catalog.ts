/** The operation catalog: every capability of bosun, in one list. */

import { actionOperations } from './action-operations.js';
import { agentOperations } from './agent-operations.js';
import { askOperations } from './ask-operations.js';
import { briefingOperations } from './briefing-operations.js';
import { commandCenterOperations } from './command-center-operations.js';
import { costOperations } from './cost-operations.js';
import { dbOperations } from './db-operations.js';
import { documentOperations } from './document-operations.js';
import { memoryOperations } from './memory-operations.js';
import { modelOperations } from './model-operations.js';
import type { AnyOperation } from './operation.js';
import { planOperations } from './plan-operations.js';
import { projectOperations } from './project-operations.js';
import { riskOperations } from './risk-operations.js';
import { ruleOperations } from './rule-operations.js';
import { qualityOperations } from './quality-operations.js';
import { runOperations } from './run-operations.js';
import { stakeholderOperations } from './stakeholder-operations.js';
import { projectBudgetOperations } from './project-budget-operations.js';
import { milestoneOperations } from './milestone-operations.js';
import { lessonOperations } from './lesson-operations.js';
import { taskOperations } from './task-operations.js';
import { workspaceOperations } from './workspace-operations.js';

export const OPERATIONS: readonly AnyOperation[] = [
  ...projectOperations,
  ...taskOperations,
  ...planOperations,
  ...runOperations,
  ...agentOperations,
  ...costOperations,
  ...modelOperations,
  ...workspaceOperations,
  ...dbOperations,
  ...commandCenterOperations,
  ...riskOperations,
  ...ruleOperations,
  ...qualityOperations,
  ...actionOperations,
  ...stakeholderOperations,
  ...documentOperations,
  ...projectBudgetOperations,
  ...milestoneOperations,
  ...lessonOperations,
  ...memoryOperations,
  ...askOperations,
  ...briefingOperations,
];

const BY_NAME = new Map(OPERATIONS.map((operation) => [operation.name, operation]));

export function findOperation(name: string): AnyOperation | undefined {
  return BY_NAME.get(name);
}

export type { AnyOperation, Operation, Effects, CliHints, CellColor } from './operation.js';
export { defineOperation } from './operation.js';
export { createOperationRunner, parseInput } from './operation-runner.js';
export type { OperationRunner, OperationRunnerSettings } from './operation-runner.js';
