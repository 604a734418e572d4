/**
 * Reading a document from a file: the bytes and the text extracted from them (Markdown and plain
 * text decoded as UTF-8, a PDF's text layer page by page). Its implementation lives in app/ (it
 * touches the file system and loads the PDF library); core/ sees only this.
 */

import type { DocMediaType } from '../domain/document.js';

export interface DocumentFile {
  /** The file's own name, without its folder. */
  readonly fileName: string;
  readonly mediaType: DocMediaType;
  readonly data: Uint8Array;
  /** The whole extracted text, not yet normalized or cut. */
  readonly text: string;
  /** A PDF's pages; null for text. */
  readonly pages: number | null;
  /** A PDF's own title (its metadata), when it has one. */
  readonly title: string | null;
}

export interface DocumentReader {
  /**
   * Reads a .md, .markdown, .txt or .pdf file at `path` (relative to the caller's directory).
   * Throws a BosunError naming the field `file`: not_found for a missing file, invalid_input for
   * an unsupported extension, a file over the size limit, text that is not UTF-8, or a PDF that
   * cannot be read.
   */
  read(path: string): Promise<DocumentFile>;
  /**
   * Reads bytes a caller sent (doc.add's `data`) exactly as a file named `fileName` would be
   * read, the same size limit and extraction; refusals name `field` (an unsupported extension
   * names `name`, the field that gave it).
   */
  decode(fileName: string, data: Uint8Array, field: string): Promise<DocumentFile>;
}
