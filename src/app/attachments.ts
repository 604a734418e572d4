/**
 * Reads a file attached to a test result (`testcase record --attach FILE`): its name, size,
 * sha256 and base64 content. Files over 1 MB are refused before they are read in full; a larger
 * piece of evidence belongs behind a link.
 */

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { AttachmentReader } from '../core/services/service-context.js';
import { MAX_ATTACHMENT_BYTES } from '../domain/quality.js';
import { BosunError, invalidInput } from '../shared/errors.js';

export function createAttachmentReader(cwd: string): AttachmentReader {
  return async (path) => {
    const full = resolve(cwd, path);
    let size: number;
    try {
      const info = await stat(full);
      if (!info.isFile()) throw invalidInput('attach', `${path} is not a file`);
      size = info.size;
    } catch (error) {
      if (error instanceof BosunError) throw error;
      throw new BosunError(
        'not_found',
        `attach: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        { details: { field: 'attach', path } },
      );
    }
    if (size > MAX_ATTACHMENT_BYTES) {
      throw invalidInput(
        'attach',
        `${path} is ${size} bytes; attachments may be at most 1 MB (${MAX_ATTACHMENT_BYTES} bytes): link to larger evidence with --links`,
      );
    }
    const bytes = await readFile(full);
    return {
      name: basename(full),
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      content: bytes.toString('base64'),
    };
  };
}
