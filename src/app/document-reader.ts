/**
 * Reads a document file for `doc add`: Markdown and plain text decoded as UTF-8 (a file that is
 * not UTF-8 is refused, not guessed at), a PDF's text layer extracted page by page with unpdf
 * (Mozilla's PDF.js built for servers). unpdf is loaded only when a PDF is read, so no other
 * command pays for it. Bytes a caller sent (doc.add's `data`) are read the same way. Every refusal
 * names the field (`file`, or `data` and `name` for sent bytes) and says why.
 */

import { basename, extname } from 'node:path';
import type { DocMediaType } from '../domain/document.js';
import { Document, MAX_DOC_FILE_BYTES } from '../domain/document.js';
import type { DocumentFile, DocumentReader } from '../ports/document-reader.js';
import { invalidInput } from '../shared/errors.js';
import { readBoundedFile } from './bounded-file.js';

export function createDocumentReader(cwd: string): DocumentReader {
  return {
    read: async (path) => {
      const fileName = basename(path);
      const mediaType = mediaTypeOf(fileName, 'file');
      const data = await readBoundedFile({
        path,
        cwd,
        field: 'file',
        maxBytes: MAX_DOC_FILE_BYTES,
        tooLarge,
      });
      return decodeDocument(fileName, mediaType, new Uint8Array(data), 'file');
    },
    decode: async (fileName, data, field) => {
      const mediaType = mediaTypeOf(basename(fileName), 'name');
      if (data.length > MAX_DOC_FILE_BYTES) throw invalidInput(field, tooLarge(data.length));
      return decodeDocument(basename(fileName), mediaType, data, field);
    },
  };
}

function mediaTypeOf(fileName: string, field: string): DocMediaType {
  const mediaType = Document.mediaTypeOf(fileName);
  if (mediaType === undefined) {
    const extension = extname(fileName) || 'none';
    throw invalidInput(
      field,
      `must be a ${Document.supportedExtensions()} file (its extension: ${extension})`,
    );
  }
  return mediaType;
}

const tooLarge = (size: number): string =>
  `must be at most ${MAX_DOC_FILE_BYTES / 1024 / 1024} MiB (it is ${(size / 1024 / 1024).toFixed(1)} MiB)`;

/** The text of a file's bytes: UTF-8 for Markdown and plain text, the text layer of a PDF. */
async function decodeDocument(
  fileName: string,
  mediaType: DocMediaType,
  data: Uint8Array,
  field: string,
): Promise<DocumentFile> {
  if (mediaType === 'application/pdf')
    return { fileName, mediaType, data, ...(await pdfText(data, field)) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw invalidInput(field, 'is not UTF-8 text');
  }
  return { fileName, mediaType, data, text, pages: null, title: null };
}

async function pdfText(
  data: Uint8Array,
  field: string,
): Promise<{ text: string; pages: number; title: string | null }> {
  // Every PDF starts with `%PDF-` (ISO 32000-1, 7.5.2), give or take a little leading junk.
  const head = new TextDecoder('latin1').decode(data.subarray(0, 1024));
  if (!head.includes('%PDF-')) throw invalidInput(field, 'is not a PDF (no %PDF- header)');
  const { extractText, getDocumentProxy, getMeta } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: PDF.js may take the buffer over. Verbosity 0: errors only, no console warnings.
    pdf = await getDocumentProxy(data.slice(), { verbosity: 0 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidInput(field, `is not a readable PDF (${reason})`);
  }
  try {
    const { totalPages, text } = await extractText(pdf, { mergePages: false });
    const { info } = await getMeta(pdf);
    const title = (info as { Title?: unknown }).Title;
    return {
      text: text.join('\n\n'),
      pages: totalPages,
      title: typeof title === 'string' && title.trim() !== '' ? title.trim() : null,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidInput(field, `is not a readable PDF (${reason})`);
  } finally {
    await pdf.destroy();
  }
}
