/**
 * Documents and their analyses over Kysely, the same on both dialects. A document's text has its
 * own table, written once when it is added and read only by `doc show --text` and analysis; the
 * tags and an analysis's result are JSON text, and a tag filter is applied to the rows read.
 */

import type { Kysely } from 'kysely';
import type { DocAnalysis, Document } from '../../../domain/document.js';
import type { DocAnalysisRepository, DocumentRepository } from '../../../ports/document-store.js';
import type { StoreDialect } from '../../../ports/store.js';
import type { DocAnalysesTable, DocumentsTable } from './sql-document-schema.js';
import { inScope, recordRows } from './sql-project-records.js';
import type { Database } from './sql-schema.js';

// Our own rows, written by the mappers below: no outside JSON is parsed here.
const parseStored = <T>(text: string): T => JSON.parse(text) as T;
const num = (value: number | string): number => Number(value);

export function toDocument(row: DocumentsTable): Document {
  return {
    id: row.id,
    projectId: row.project_id,
    ref: row.ref,
    title: row.title,
    description: row.description,
    tags: parseStored<string[]>(row.tags),
    fileName: row.file_name,
    mediaType: row.media_type as Document['mediaType'],
    bytes: num(row.bytes),
    sha256: row.sha256,
    pages: row.pages === null ? null : num(row.pages),
    characters: num(row.characters),
    words: num(row.words),
    truncated: num(row.truncated) === 1,
    addedBy: row.added_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export function toDocumentRow(doc: Document): DocumentsTable {
  return {
    id: doc.id,
    project_id: doc.projectId,
    ref: doc.ref,
    title: doc.title,
    description: doc.description,
    tags: JSON.stringify(doc.tags),
    file_name: doc.fileName,
    media_type: doc.mediaType,
    bytes: doc.bytes,
    sha256: doc.sha256,
    pages: doc.pages,
    characters: doc.characters,
    words: doc.words,
    truncated: doc.truncated ? 1 : 0,
    added_by: doc.addedBy,
    created_at: doc.createdAt,
    updated_at: doc.updatedAt,
    archived_at: doc.archivedAt,
  };
}

function toAnalysis(row: DocAnalysesTable): DocAnalysis {
  return {
    id: row.id,
    docId: row.doc_id,
    seq: num(row.seq),
    method: row.method as DocAnalysis['method'],
    agent: row.agent,
    model: row.model,
    result: parseStored<DocAnalysis['result']>(row.result),
    note: row.note,
    applied: parseStored<DocAnalysis['applied']>(row.applied),
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

function toAnalysisRow(analysis: DocAnalysis): DocAnalysesTable {
  return {
    id: analysis.id,
    doc_id: analysis.docId,
    seq: analysis.seq,
    method: analysis.method,
    agent: analysis.agent,
    model: analysis.model,
    result: JSON.stringify(analysis.result),
    note: analysis.note,
    applied: JSON.stringify(analysis.applied),
    created_by: analysis.createdBy,
    created_at: analysis.createdAt,
  };
}

export function documentRepository(
  db: Kysely<Database>,
  dialect: StoreDialect,
): DocumentRepository {
  return {
    ...recordRows(db, dialect, 'documents', toDocument, toDocumentRow),
    async findBySha256(projectId, sha256) {
      const row = await db
        .selectFrom('documents')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('sha256', '=', sha256)
        .orderBy('created_at')
        .orderBy('id')
        .executeTakeFirst();
      return row && toDocument(row);
    },
    async putText(docId, text) {
      await db.insertInto('document_texts').values({ doc_id: docId, body: text }).execute();
    },
    async textOf(docId) {
      const row = await db
        .selectFrom('document_texts')
        .select('body')
        .where('doc_id', '=', docId)
        .executeTakeFirst();
      return row?.body;
    },
    async list(filter) {
      const query = inScope(db.selectFrom('documents').selectAll(), filter);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      const docs = rows.map(toDocument);
      const wanted = filter.tags ?? [];
      return wanted.length === 0
        ? docs
        : docs.filter((doc) => wanted.every((tag) => doc.tags.includes(tag)));
    },
  };
}

export function docAnalysisRepository(db: Kysely<Database>): DocAnalysisRepository {
  return {
    async insert(analysis) {
      await db.insertInto('doc_analyses').values(toAnalysisRow(analysis)).execute();
    },
    async update(analysis) {
      await db
        .updateTable('doc_analyses')
        .set({ applied: JSON.stringify(analysis.applied) })
        .where('id', '=', analysis.id)
        .execute();
    },
    async findBySeq(docId, seq) {
      const row = await db
        .selectFrom('doc_analyses')
        .selectAll()
        .where('doc_id', '=', docId)
        .where('seq', '=', seq)
        .executeTakeFirst();
      return row && toAnalysis(row);
    },
    async findById(id) {
      const row = await db
        .selectFrom('doc_analyses')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toAnalysis(row);
    },
    async listOf(docId, limit) {
      let query = db
        .selectFrom('doc_analyses')
        .selectAll()
        .where('doc_id', '=', docId)
        .orderBy('seq', 'desc');
      if (limit !== undefined) query = query.limit(limit);
      return (await query.execute()).map(toAnalysis);
    },
  };
}
