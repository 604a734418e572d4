/**
 * The tables of documents (migration 13): the records, their text apart (so a list or an update
 * never reads it), and their analyses, whose result and applied proposals are JSON text.
 */

export interface DocumentsTable {
  id: string;
  project_id: string;
  ref: string;
  title: string;
  description: string;
  /** A JSON array of tags. */
  tags: string;
  file_name: string;
  media_type: string;
  bytes: number;
  sha256: string;
  pages: number | null;
  characters: number;
  words: number;
  /** 1 when the stored text was cut. */
  truncated: number;
  added_by: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface DocumentTextsTable {
  doc_id: string;
  body: string;
}

export interface DocAnalysesTable {
  id: string;
  doc_id: string;
  seq: number;
  method: string;
  agent: string | null;
  model: string | null;
  /** The validated analysis, as JSON. */
  result: string;
  note: string | null;
  /** A JSON array of {proposal, ref}. */
  applied: string;
  created_by: string;
  created_at: string;
}

export interface DocumentTables {
  documents: DocumentsTable;
  document_texts: DocumentTextsTable;
  doc_analyses: DocAnalysesTable;
}
