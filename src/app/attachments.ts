/**
 * Reads a file attached to a test result (`testcase record --attach FILE`): its name, size,
 * sha256 and base64 content. Files over 1 MB are refused before they are read in full; a larger
 * piece of evidence belongs behind a link.
 */

import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { AttachmentReader } from '../core/services/service-context.js';
import { MAX_ATTACHMENT_BYTES } from '../domain/quality.js';
import { readBoundedFile } from './bounded-file.js';

export function createAttachmentReader(cwd: string): AttachmentReader {
  return async (path) => {
    const bytes = await readBoundedFile({
      path,
      cwd,
      field: 'attach',
      maxBytes: MAX_ATTACHMENT_BYTES,
      tooLarge: (size) =>
        `${path} is ${size} bytes; attachments may be at most 1 MB (${MAX_ATTACHMENT_BYTES} bytes): link to larger evidence with --links`,
    });
    return {
      name: basename(path),
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      content: bytes.toString('base64'),
    };
  };
}
