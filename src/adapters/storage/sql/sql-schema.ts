/** Row types of the SQL schema shared by the SQLite and PostgreSQL stores (snake_case columns). */

import type { Generated } from 'kysely';
import type { QualityTables } from './sql-quality-schema.js';
import type { DocumentTables } from './sql-document-schema.js';

export interface ProjectsTable {
  id: string;
  key: string;
  name: string;
  description: string;
  status: string;
  owner: string | null;
  start_date: string | null;
  due_date: string | null;
  budget_amount: number | null;
  budget_currency: string | null;
  task_seq: number;
  created_at: string;
  updated_at: string;
}

export interface SprintsTable {
  id: string;
  project_id: string;
  name: string;
  goal: string;
  status: string;
  start_date: string | null;
  end_date: string | null;
  created_at: string;
  updated_at: string;
}

export interface TasksTable {
  id: string;
  ref: string;
  project_id: string;
  title: string;
  description: string;
  details: string;
  acceptance: string;
  priority: string;
  priority_rank: number;
  role: string | null;
  tags: string;
  estimate: number | null;
  parent_id: string | null;
  sprint_id: string | null;
  assignee: string | null;
  status: string;
  scope: string;
  lease_expires_at: string | null;
  open_deps: number;
  downstream_depth: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface TaskTagsTable {
  task_id: string;
  tag: string;
}

export interface DependenciesTable {
  task_id: string;
  depends_on_id: string;
  created_at: string;
}

export interface TodosTable {
  id: string;
  task_id: string;
  text: string;
  done: number;
  position: number;
  created_at: string;
  updated_at: string;
}

export interface NotesTable {
  id: string;
  task_id: string;
  author: string;
  body: string;
  created_at: string;
}

export interface AuditTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  operation: string;
  target_kind: string;
  target_id: string;
  target_label: string | null;
  changes: string;
}

export interface ProjectCountersTable {
  project_id: string;
  kind: string;
  seq: number;
}

export interface RisksTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  description: string;
  likelihood: number;
  impact: number;
  score: number;
  mitigation: string;
  owner: string | null;
  status: string;
  review_date: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface ActionsTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  description: string;
  owner: string | null;
  due_date: string | null;
  status: string;
  source: string;
  source_ref: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface StakeholdersTable {
  id: string;
  project_id: string;
  ref: string;
  name: string;
  role: string;
  organisation: string;
  influence: number;
  interest: number;
  contact: string;
  notes: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface BriefingsTable {
  id: string;
  project_id: string | null;
  since: string;
  until: string;
  method: string;
  agent: string | null;
  model: string | null;
  digest: string;
  narrative: string | null;
  note: string | null;
  created_at: string;
  created_by: string;
  archived_at: string | null;
}

export interface MilestonesTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  description: string;
  owner: string | null;
  due_date: string | null;
  status: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface MilestoneTasksTable {
  milestone_id: string;
  task_id: string;
  created_at: string;
}

export interface LessonsTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  context: string;
  insight: string;
  /** JSON array of tags. */
  tags: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface LessonValidationsTable {
  id: string;
  lesson_id: string;
  /** 1 helped, 0 did not. */
  helped: number;
  note: string;
  task_id: string | null;
  actor: string;
  created_at: string;
}

export interface LessonApplicationsTable {
  id: string;
  lesson_id: string;
  task_id: string;
  note: string;
  actor: string;
  created_at: string;
  outcome: string | null;
  outcome_note: string;
  outcome_by: string | null;
  outcome_at: string | null;
}

export interface BudgetLinesTable {
  id: string;
  project_id: string;
  ref: string;
  category: string;
  description: string;
  /** bigint: PostgreSQL hands it back as a string. */
  planned_minor: number | string;
  alert_percent: number | null;
  owner: string | null;
  alert_state: string;
  alerted_at: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface BudgetTransactionsTable {
  id: string;
  project_id: string;
  ref: string;
  line_id: string;
  date: string;
  /** bigint: PostgreSQL hands it back as a string. */
  amount_minor: number | string;
  vendor: string;
  note: string;
  source: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

/** Quality and workflow rules' tables are in sql-quality-schema.ts. */
export interface Database extends QualityTables, DocumentTables {
  projects: ProjectsTable;
  sprints: SprintsTable;
  tasks: TasksTable;
  task_tags: TaskTagsTable;
  dependencies: DependenciesTable;
  todos: TodosTable;
  notes: NotesTable;
  audit: AuditTable;
  project_counters: ProjectCountersTable;
  risks: RisksTable;
  actions: ActionsTable;
  stakeholders: StakeholdersTable;
  milestones: MilestonesTable;
  milestone_tasks: MilestoneTasksTable;
  lessons: LessonsTable;
  lesson_validations: LessonValidationsTable;
  lesson_applications: LessonApplicationsTable;
  briefings: BriefingsTable;
  budget_lines: BudgetLinesTable;
  budget_transactions: BudgetTransactionsTable;
  bosun_migrations: MigrationsTable;
}
