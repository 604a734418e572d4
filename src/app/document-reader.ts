/**
 * Reads a document file for `doc add`: Markdown and plain text decoded as UTF-8 (a file that is
 * not UTF-8 is refused, not guessed at), a PDF's text layer extracted page by page with unpdf
 * (Mozilla's PDF.js built for servers). unpdf is loaded only when a PDF is read, so no other
 * command pays for it. Every refusal names the field `file` and says why.
 */

import { readFile, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { DocumentFile, DocumentReader } from '../ports/document-reader.js';
import { Document, MAX_DOC_FILE_BYTES } from '../domain/document.js';
import { BosunError, invalidInput } from '../shared/errors.js';

export function createDocumentReader(cwd: string): DocumentReader {
  return { read: (path) => readDocument(resolve(cwd, path), path) };
}

async function readDocument(path: string, typed: string): Promise<DocumentFile> {
  const fileName = basename(path);
  const mediaType = Document.mediaTypeOf(fileName);
  if (mediaType === undefined) {
    const extension = extname(fileName) || 'none';
    throw invalidInput(
      'file',
      `must be a ${Document.supportedExtensions()} file (its extension: ${extension})`,
    );
  }
  let size: number;
  try {
    const found = await stat(path);
    if (!found.isFile()) throw invalidInput('file', `'${typed}' is not a file`);
    size = found.size;
  } catch (error) {
    if (error instanceof BosunError) throw error;
    throw new BosunError('not_found', `file: no file '${typed}'`, {
      details: { field: 'file', kind: 'file', key: typed },
    });
  }
  if (size > MAX_DOC_FILE_BYTES) {
    throw invalidInput(
      'file',
      `must be at most ${MAX_DOC_FILE_BYTES / 1024 / 1024} MiB (it is ${(size / 1024 / 1024).toFixed(1)} MiB)`,
    );
  }
  const data = new Uint8Array(await readFile(path));
  if (mediaType === 'application/pdf')
    return { fileName, mediaType, data, ...(await pdfText(data)) };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw invalidInput('file', 'is not UTF-8 text');
  }
  return { fileName, mediaType, data, text, pages: null, title: null };
}

async function pdfText(
  data: Uint8Array,
): Promise<{ text: string; pages: number; title: string | null }> {
  // Every PDF starts with `%PDF-` (ISO 32000-1, 7.5.2), give or take a little leading junk.
  const head = new TextDecoder('latin1').decode(data.subarray(0, 1024));
  if (!head.includes('%PDF-')) throw invalidInput('file', 'is not a PDF (no %PDF- header)');
  const { extractText, getDocumentProxy, getMeta } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // A copy: PDF.js may take the buffer over. Verbosity 0: errors only, no console warnings.
    pdf = await getDocumentProxy(data.slice(), { verbosity: 0 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalidInput('file', `is not a readable PDF (${reason})`);
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
    throw invalidInput('file', `is not a readable PDF (${reason})`);
  } finally {
    await pdf.destroy();
  }
}
