/**
 * The storage port's part for documents (docs/command-center.md "Documents"): the records, their
 * extracted text (kept apart, so lists and audit entries never carry it) and their analyses.
 * Part of `Repositories` (ports/store.ts); each runs inside the caller's transaction.
 */

import type { DocAnalysis, Document } from '../domain/document.js';

export interface DocumentFilter {
  readonly projectId?: string | undefined;
  /** Only documents carrying every one of these tags. */
  readonly tags?: readonly string[] | undefined;
  readonly includeArchived?: boolean | undefined;
}

export interface DocumentRepository {
  insert(doc: Document): Promise<void>;
  update(doc: Document): Promise<void>;
  /** `lock` holds the row until the transaction ends, so a read-modify-write is not lost. */
  findById(
    id: string,
    options?: { readonly lock?: boolean | undefined },
  ): Promise<Document | undefined>;
  findByRef(
    ref: string,
    options?: { readonly lock?: boolean | undefined },
  ): Promise<Document | undefined>;
  /** The project's document (archived or not) with this content, the oldest first. */
  findBySha256(projectId: string, sha256: string): Promise<Document | undefined>;
  /** Stores a document's text (once, when it is added). */
  putText(docId: string, text: string): Promise<void>;
  textOf(docId: string): Promise<string | undefined>;
  /** The newest first. */
  list(filter: DocumentFilter): Promise<Document[]>;
}

export interface DocAnalysisRepository {
  insert(analysis: DocAnalysis): Promise<void>;
  /** Only what may change: the proposals applied. */
  update(analysis: DocAnalysis): Promise<void>;
  findBySeq(docId: string, seq: number): Promise<DocAnalysis | undefined>;
  findById(id: string): Promise<DocAnalysis | undefined>;
  /** A document's analyses, the newest (highest number) first. */
  listOf(docId: string, limit?: number): Promise<DocAnalysis[]>;
}

export interface DocumentRepositories {
  readonly documents: DocumentRepository;
  readonly docAnalyses: DocAnalysisRepository;
}
