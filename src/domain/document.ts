/**
 * Document: the text of a file a project keeps (a brief, minutes, a contract), extracted once
 * from Markdown, plain text or PDF and stored with what says where it came from: file name,
 * media type, size, SHA-256 of the bytes, pages, characters and words. The text itself is kept
 * apart from the record (its own table), so lists and the audit log never carry it; the SHA-256
 * says which content a record stands for. An analysis of a document (document-analysis.ts) is
 * stored beside it, each numbered per document.
 */

import { z } from 'zod';
import {
  dateSchema,
  idSchema,
  optionalText,
  ratingSchema,
  requiredText,
  tagSchema,
  timestampSchema,
} from './fields.js';
import { projectRecordFields } from './project-record.js';

export const DOC_MEDIA_TYPES = ['text/markdown', 'text/plain', 'application/pdf'] as const;
export type DocMediaType = (typeof DOC_MEDIA_TYPES)[number];

/** The file extensions a document may be added from (lower case), and what each is. */
export const DOC_EXTENSIONS: Readonly<Record<string, DocMediaType>> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
};

/** The largest file `doc add` reads: 20 MiB. */
export const MAX_DOC_FILE_BYTES = 20 * 1024 * 1024;
/** Characters of extracted text kept; the rest is cut and the document marked truncated. */
export const MAX_DOC_TEXT_CHARS = 1_000_000;

export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex');

export const DocumentSchema = z.object({
  ...projectRecordFields('doc'),
  title: requiredText(200),
  description: optionalText(10_000),
  tags: z.array(tagSchema),
  fileName: z.string(),
  mediaType: z.enum(DOC_MEDIA_TYPES),
  /** The size of the file (or of the text given, in UTF-8). */
  bytes: z.number().int().nonnegative(),
  sha256: sha256Schema,
  /** A PDF's pages; null for text. */
  pages: z.number().int().nonnegative().nullable(),
  /** Characters and words of the whole extracted text, before any cut. */
  characters: z.number().int().nonnegative(),
  words: z.number().int().nonnegative(),
  /** The stored text holds only the first MAX_DOC_TEXT_CHARS characters. */
  truncated: z.boolean(),
  addedBy: z.string(),
});
export type Document = Readonly<z.infer<typeof DocumentSchema>>;

// ── analyses

/** A risk the analysis proposes; `doc apply` turns it into a risk of the register. */
export const ProposedRiskSchema = z.object({
  title: requiredText(200),
  description: optionalText(10_000).default(''),
  likelihood: ratingSchema,
  impact: ratingSchema,
  mitigation: optionalText(10_000).default(''),
});

/** An action the analysis proposes; `doc apply` turns it into an action item. */
export const ProposedActionSchema = z.object({
  title: requiredText(200),
  owner: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .nullable()
    .default(null),
  due: dateSchema.nullable().default(null),
});

/**
 * What an analysis says, whoever wrote it (a model or the extractive rules): the shape a model
 * is asked for, checked before anything is stored.
 */
export const DocAnalysisResultSchema = z.object({
  summary: requiredText(5_000),
  risks: z.array(ProposedRiskSchema).max(50, 'must hold at most 50 risks').default([]),
  actions: z.array(ProposedActionSchema).max(50, 'must hold at most 50 actions').default([]),
  decisions: z.array(requiredText(1_000)).max(50, 'must hold at most 50 decisions').default([]),
  deadlines: z
    .array(z.object({ what: requiredText(500), date: dateSchema }))
    .max(50, 'must hold at most 50 deadlines')
    .default([]),
});
export type DocAnalysisResult = z.infer<typeof DocAnalysisResultSchema>;
export type ProposedRisk = z.infer<typeof ProposedRiskSchema>;
export type ProposedAction = z.infer<typeof ProposedActionSchema>;

export const DOC_ANALYSIS_METHODS = ['model', 'extractive'] as const;
export type DocAnalysisMethod = (typeof DOC_ANALYSIS_METHODS)[number];

/** A proposal (R1, A2) made into a record of the project (HOME-R3, HOME-A7). */
export const AppliedProposalSchema = z.object({
  proposal: z.string().regex(/^[RA][1-9]\d*$/),
  ref: z.string(),
});
export type AppliedProposal = z.infer<typeof AppliedProposalSchema>;

export const DocAnalysisSchema = z.object({
  id: idSchema,
  docId: idSchema,
  /** 1, 2, … per document: `doc apply HOME-D1 --analysis 2`. */
  seq: z.number().int().positive(),
  method: z.enum(DOC_ANALYSIS_METHODS),
  /** The agent that analysed it; null for extractive or a model named alone. */
  agent: z.string().nullable(),
  /** The configured model that answered; null for extractive. */
  model: z.string().nullable(),
  result: DocAnalysisResultSchema,
  /** Why the method is what it is, or what was cut. */
  note: z.string().nullable(),
  applied: z.array(AppliedProposalSchema),
  createdBy: z.string(),
  createdAt: timestampSchema,
});
export type DocAnalysis = Readonly<z.infer<typeof DocAnalysisSchema>>;

export const Document = {
  /** The media type of a file name by its extension, or undefined when it is not supported. */
  mediaTypeOf(fileName: string): DocMediaType | undefined {
    const dot = fileName.lastIndexOf('.');
    return dot < 0 ? undefined : DOC_EXTENSIONS[fileName.slice(dot).toLowerCase()];
  },
  /** `.md, .markdown, .txt or .pdf`, for messages. */
  supportedExtensions(): string {
    const all = Object.keys(DOC_EXTENSIONS);
    return `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`;
  },
  /**
   * Text as stored: line ends made `\n`, NUL and other control characters but tab and newline
   * dropped (PostgreSQL refuses NUL in text), a byte-order mark removed.
   */
  normalizeText(text: string): string {
    return text
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, ''); // eslint-disable-line no-control-regex
  },
  countWords(text: string): number {
    return text.match(/\S+/g)?.length ?? 0;
  },
  /** The proposal numbers of an analysis: R1…Rn for its risks, A1…An for its actions. */
  proposalsOf(result: DocAnalysisResult): { risks: string[]; actions: string[] } {
    return {
      risks: result.risks.map((_, index) => `R${index + 1}`),
      actions: result.actions.map((_, index) => `A${index + 1}`),
    };
  },
};
