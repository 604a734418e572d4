/**
 * Reads a file an operation names (`doc add FILE`, `testcase record --attach FILE`) when it is a
 * file and not over the operation's limit, checked before anything is read. Every refusal names the
 * operation's field: `not_found` for a path that is not there, `invalid_input` for a folder or a
 * file too large (with the operation's own message).
 */

import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BosunError, invalidInput } from '../shared/errors.js';

export interface BoundedFile {
  /** The path as typed (for messages). */
  readonly path: string;
  /** What it is relative to. */
  readonly cwd: string;
  /** The input field that named it. */
  readonly field: string;
  readonly maxBytes: number;
  /** Why a file of `size` bytes is refused (after `<field>: `). */
  tooLarge(size: number): string;
}

export async function readBoundedFile(file: BoundedFile): Promise<Buffer> {
  const full = resolve(file.cwd, file.path);
  let size: number;
  try {
    const found = await stat(full);
    if (!found.isFile()) throw invalidInput(file.field, `'${file.path}' is not a file`);
    size = found.size;
  } catch (error) {
    if (error instanceof BosunError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new BosunError(
      'not_found',
      `${file.field}: ${code === 'ENOENT' ? 'no file' : `cannot read (${code ?? 'error'})`} '${file.path}'`,
      { details: { field: file.field, kind: 'file', key: file.path } },
    );
  }
  if (size > file.maxBytes) throw invalidInput(file.field, file.tooLarge(size));
  return readFile(full);
}
