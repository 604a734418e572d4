/**
 * Finding, creating and opening a workspace. A workspace is a `.bosun/` folder (settings + SQLite
 * store) found by walking up from the current directory, or named by --workspace / BOSUN_HOME.
 * `--db` / BOSUN_DB may instead point at any SQLite file or a PostgreSQL URL. Nothing is ever
 * written outside the workspace.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { EmbeddingsConfig } from '../domain/memory.js';
import type { RuleDefinition } from '../domain/workflow-rule.js';
import type { Store } from '../ports/store.js';
import { BosunError } from '../shared/errors.js';
import { ensureTokenFile } from './access-token.js';
import { CONFIG_FILE, DEFAULT_DB_FILE, defaultConfigText, parseConfig } from './config.js';

export const WORKSPACE_DIR = '.bosun';

export interface WorkspaceOptions {
  readonly cwd: string;
  /** --workspace: the folder holding `.bosun/` (or `.bosun/` itself). */
  readonly workspace?: string | undefined;
  /** --db: a SQLite file path or a postgres:// URL. */
  readonly db?: string | undefined;
  /** --as: who is acting. */
  readonly actor?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedWorkspace {
  /** The `.bosun/` folder, or null when only --db / BOSUN_DB names a store. */
  readonly dir: string | null;
  readonly db: string;
  readonly actor: string;
  /** PostgreSQL: where `db.query` connects, as a read-only role; null: the store's own URL. */
  readonly queryDb: string | null;
  /** Memory's embedding model (`embeddings:` in bosun.yaml); null: full-text search only. */
  readonly embeddings?: EmbeddingsConfig | null;
  /** The workflow rules of bosun.yaml (`rules:`), in order; none without a workspace folder. */
  readonly rules?: readonly RuleDefinition[];
}

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

function asWorkspaceDir(path: string): string {
  const full = resolve(path);
  return basename(full) === WORKSPACE_DIR ? full : join(full, WORKSPACE_DIR);
}

/** Walks up from `start` to the nearest folder holding `.bosun/`. */
export function findWorkspaceDir(start: string): string | null {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, WORKSPACE_DIR);
    if (existsSync(join(candidate, CONFIG_FILE))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** An environment variable, with an empty value treated as unset. */
export function envValue(env: WorkspaceOptions['env'], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export async function resolveWorkspace(options: WorkspaceOptions): Promise<ResolvedWorkspace> {
  const named = options.workspace ?? envValue(options.env, 'BOSUN_HOME');
  let dir: string | null;
  if (named) {
    dir = asWorkspaceDir(resolve(options.cwd, named));
    if (!existsSync(join(dir, CONFIG_FILE))) {
      throw new BosunError(
        'not_found',
        `workspace: no bosun workspace at ${dir}; create one with 'bosun init'`,
        {
          details: { field: 'workspace', path: dir },
        },
      );
    }
  } else {
    dir = findWorkspaceDir(options.cwd);
  }
  const config = dir
    ? parseConfig(readFileSync(join(dir, CONFIG_FILE), 'utf8'), join(dir, CONFIG_FILE))
    : null;
  const explicitDb = options.db ?? envValue(options.env, 'BOSUN_DB');
  let db: string;
  if (explicitDb) {
    db = isPostgresUrl(explicitDb) ? explicitDb : resolve(options.cwd, explicitDb);
  } else if (dir && config) {
    db = isPostgresUrl(config.db) || isAbsolute(config.db) ? config.db : join(dir, config.db);
  } else {
    throw new BosunError(
      'not_found',
      `workspace: no bosun workspace in ${options.cwd} or any parent; run 'bosun init' here, or pass --workspace DIR or --db PATH|URL`,
      { details: { field: 'workspace', cwd: options.cwd } },
    );
  }
  const actor =
    options.actor ?? envValue(options.env, 'BOSUN_ACTOR') ?? config?.actor ?? osUser(options.env);
  // A SQLite store's queries run on a read-only connection of their own; no role to pick.
  const queryDb = isPostgresUrl(db)
    ? (envValue(options.env, 'BOSUN_QUERY_DB') ?? config?.query_db)
    : undefined;
  if (queryDb !== undefined && !isPostgresUrl(queryDb)) {
    throw new BosunError('invalid_input', 'BOSUN_QUERY_DB: must be a postgres:// URL', {
      details: { field: 'BOSUN_QUERY_DB' },
    });
  }
  return {
    dir,
    db,
    actor,
    queryDb: queryDb ?? null,
    embeddings: config?.embeddings ?? null,
    rules: config?.rules ?? [],
  };
}

function osUser(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

export interface InitResult {
  readonly workspace: string;
  readonly config: string;
  readonly db: string;
  /** The bearer token file that `bosun serve` requires (mode 0600). */
  readonly token: string;
}

/** Creates `.bosun/` in `root` with its settings file and an empty, migrated store. */
export async function initWorkspace(root: string, db: string | undefined): Promise<InitResult> {
  const dir = asWorkspaceDir(root);
  const configPath = join(dir, CONFIG_FILE);
  if (existsSync(configPath)) {
    throw new BosunError('conflict', `workspace: ${dir} is already a bosun workspace`, {
      details: { field: 'workspace', path: dir },
    });
  }
  const dbSetting = db ?? DEFAULT_DB_FILE;
  const dbLocation =
    isPostgresUrl(dbSetting) || isAbsolute(dbSetting) ? dbSetting : join(dir, dbSetting);
  mkdirSync(dir, { recursive: true });
  // Open (and so migrate) the store before writing the settings, so a bad --db leaves nothing behind.
  const store = await openStore(dbLocation);
  await store.close();
  writeFileSync(configPath, defaultConfigText(dbSetting));
  writeFileSync(
    join(dir, '.gitignore'),
    '# the SQLite store and its WAL files, and the token of `bosun serve`\n*.db\n*.db-wal\n*.db-shm\ntoken\n',
  );
  const token = ensureTokenFile(dir).path;
  return { workspace: dir, config: configPath, db: dbLocation, token };
}

/** Opens the store a workspace names; the PostgreSQL driver is loaded only when used. */
export async function openStore(db: string, queryDb: string | null = null): Promise<Store> {
  if (isPostgresUrl(db)) {
    const { createPostgresStore } = await import('../adapters/storage/postgres/index.js');
    return createPostgresStore({ url: db, queryUrl: queryDb ?? undefined });
  }
  if (!existsSync(dirname(db))) {
    throw new BosunError('not_found', `db: folder ${dirname(db)} does not exist`, {
      details: { field: 'db', path: db },
    });
  }
  const { createSqliteStore } = await import('../adapters/storage/sqlite/index.js');
  return createSqliteStore({ path: db });
}
