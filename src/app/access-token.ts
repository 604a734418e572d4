/**
 * The bearer token that guards `bosun serve` (the MCP endpoint and the API): 32 random bytes as
 * base64url in `.bosun/token` (mode 0600, git-ignored), written by `bosun init` — or by the first
 * `bosun serve` of an older workspace — or given as BOSUN_TOKEN, which wins.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BosunError } from '../shared/errors.js';

export const TOKEN_FILE = 'token';

/** Tokens shorter than this are refused: a guessable token guards nothing. */
const MIN_TOKEN_LENGTH = 16;

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes a new token file (readable by its owner only) unless one exists; returns its path. */
export function ensureTokenFile(workspaceDir: string): { path: string; created: boolean } {
  const path = join(workspaceDir, TOKEN_FILE);
  if (existsSync(path)) return { path, created: false };
  writeFileSync(path, `${generateToken()}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, created: true };
}

export interface AccessToken {
  readonly token: string;
  /** Where it came from, to tell the person: `BOSUN_TOKEN` or the file's path. */
  readonly source: string;
  readonly created: boolean;
}

/**
 * The token `bosun serve` requires: BOSUN_TOKEN, else `.bosun/token` (created when missing).
 * Without either — a store named by --db alone — there is none to find: refused.
 */
export function resolveAccessToken(
  workspaceDir: string | null,
  env: Readonly<Record<string, string | undefined>>,
): AccessToken {
  const fromEnv = env['BOSUN_TOKEN']?.trim();
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_TOKEN_LENGTH) {
      throw new BosunError(
        'invalid_input',
        `BOSUN_TOKEN: must be at least ${MIN_TOKEN_LENGTH} characters; 'openssl rand -base64 32' makes one`,
        { details: { field: 'BOSUN_TOKEN' } },
      );
    }
    return { token: fromEnv, source: 'BOSUN_TOKEN', created: false };
  }
  if (workspaceDir === null) {
    throw new BosunError(
      'invalid_input',
      'token: no workspace folder to keep .bosun/token in; set BOSUN_TOKEN',
      { details: { field: 'BOSUN_TOKEN' } },
    );
  }
  const { path, created } = ensureTokenFile(workspaceDir);
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new BosunError(
      'invalid_input',
      `token: ${path} holds fewer than ${MIN_TOKEN_LENGTH} characters; delete it and a new one is made`,
      { details: { field: 'token', path } },
    );
  }
  return { token, source: path, created };
}

/** `Authorization: Bearer <token>` checked in constant time. */
export function bearerMatches(header: string | undefined | null, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
