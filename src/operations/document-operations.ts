/**
 * Documents (docs/command-center.md "Documents"): a file's text kept with a project (Markdown,
 * plain text or PDF), analysed by the analyst agent's model or extractively, its proposed risks
 * and actions created on request. The file is read and the model asked in `prepare`, outside the
 * transaction; each handler writes in one.
 */

import { z } from 'zod';
import {
  addDocument,
  analyseDocument,
  applyProposals,
  archiveDocument,
  listAnalyses,
  listDocuments,
  prepareDocument,
  restoreDocument,
  showDocument,
  storeAnalysis,
  updateDocument,
} from '../core/services/document-service.js';
import { ActionViewSchema } from '../domain/action.js';
import { DocAnalysisSchema, DocumentSchema, MAX_DOC_FILE_BYTES } from '../domain/document.js';
import { optionalText, requiredText, tagSchema } from '../domain/fields.js';
import { RiskViewSchema } from '../domain/risk.js';
import { actorName, projectKey } from './common-schemas.js';
import { defineOperation } from './operation.js';

const docKey = z.string().trim().min(1, 'must name a document by ref (HOME-D3) or id');

export const DOC_COLUMNS = [
  'ref',
  'title',
  'fileName:FILE',
  'mediaType:TYPE',
  'pages',
  'words',
  'tags',
  'addedBy:BY',
];

const ANALYSIS_COLUMNS = ['seq:ANALYSIS', 'createdAt:AT', 'method', 'agent', 'model', 'note'];

/**
 * A little over the base64 of MAX_DOC_FILE_BYTES: the limit proper is checked on the decoded
 * bytes, in the same words as for a file; this one only stops a huge string early.
 */
const BASE64_MAX = Math.ceil((MAX_DOC_FILE_BYTES + 1024) / 3) * 4;

const docFields = {
  title: requiredText(200).optional(),
  description: optionalText(10_000).optional(),
};

const DocDetailSchema = z.object({
  doc: DocumentSchema,
  analysis: DocAnalysisSchema.nullable(),
  analyses: z.array(DocAnalysisSchema).optional(),
  text: z.string().optional(),
  report: z.string(),
});

const modelField = z
  .string()
  .trim()
  .min(1, 'must name a model from bosun.yaml')
  .nullable()
  .optional();

const proposalNumbers = z
  .array(z.number().int('must be a whole number').min(1, 'must be at least 1'))
  .optional();

export const documentOperations = [
  defineOperation({
    name: 'doc.add',
    summary:
      'Add a document to a project: the text of a .md, .txt or .pdf file, with its metadata (ref PROJECT-D<n>)',
    effects: 'write',
    input: z.strictObject({
      project: projectKey,
      /** A path relative to the caller's directory; API and MCP callers pass text or data, and name. */
      file: z.string().trim().min(1, 'must be a path to a .md, .txt or .pdf file').optional(),
      text: z
        .string()
        .max(MAX_DOC_FILE_BYTES, `must be at most ${MAX_DOC_FILE_BYTES} characters`)
        .optional(),
      data: z
        .base64('must be base64 (the file’s bytes)')
        .max(BASE64_MAX, `must be at most ${BASE64_MAX} characters of base64 (20 MiB of bytes)`)
        .describe(
          'the file’s bytes as base64, for API and MCP callers (a PDF, or a text file), with name; read exactly like a file of that name',
        )
        .optional(),
      name: z
        .string()
        .trim()
        .min(1, 'must not be empty')
        .max(255, 'must be at most 255 characters')
        .optional(),
      ...docFields,
      tag: z.array(tagSchema).optional(),
      force: z.boolean().optional(),
    }),
    output: DocumentSchema,
    cli: {
      positional: ['project', 'file'],
      aliases: ['create', 'new'],
      short: { t: 'title', d: 'description' },
      columns: DOC_COLUMNS,
      examples: [
        'bosun doc add HOME notes/backup-plan.md --tag plan',
        'bosun doc add HOME contract.pdf -t "NAS support contract"',
        'bosun doc add HOME contract.pdf --force     # the same content once more',
        'bosun call doc.add --input \'{"project":"HOME","name":"minutes.md","text":"# Minutes ..."}\'',
        'bosun call doc.add --input \'{"project":"HOME","name":"contract.pdf","data":"JVBERi0x..."}\'',
      ],
    },
    prepare: (ctx, input) => prepareDocument(ctx, input),
    handler: (ctx, input, prepared) => addDocument(ctx, input, prepared),
  }),
  defineOperation({
    name: 'doc.list',
    summary: 'Documents, newest first: filter by project or tags',
    effects: 'read',
    input: z.strictObject({
      project: projectKey.optional(),
      tag: z.array(tagSchema).optional(),
      archived: z.boolean().optional(),
    }),
    output: z.array(DocumentSchema),
    cli: {
      positional: ['project'],
      aliases: ['ls'],
      columns: DOC_COLUMNS,
      empty: 'No documents match.',
      examples: ['bosun doc list HOME', 'bosun doc list --tag plan --archived'],
    },
    handler: (ctx, input) => listDocuments(ctx, input),
  }),
  defineOperation({
    name: 'doc.show',
    summary:
      'Show a document: its metadata and latest analysis; its text with --text, every analysis with --history',
    effects: 'read',
    input: z.strictObject({
      doc: docKey,
      text: z.boolean().optional(),
      history: z.boolean().optional(),
    }),
    output: DocDetailSchema,
    cli: {
      positional: ['doc'],
      aliases: ['get', 'view'],
      text: 'report',
      examples: ['bosun doc show HOME-D1', 'bosun doc show HOME-D1 --text | less'],
    },
    handler: (ctx, input) => showDocument(ctx, input),
  }),
  defineOperation({
    name: 'doc.update',
    summary: 'Change a document’s title, description or tags (its text never changes)',
    effects: 'write',
    input: z.strictObject({
      doc: docKey,
      ...docFields,
      tag: z.array(tagSchema).nullable().optional(),
    }),
    output: DocumentSchema,
    cli: {
      positional: ['doc'],
      aliases: ['edit', 'set'],
      short: { t: 'title', d: 'description' },
      columns: DOC_COLUMNS,
      examples: [
        'bosun doc update HOME-D1 -t "Backup plan 2027" --tag plan --tag nas',
        'bosun doc update HOME-D1 --no-tag',
      ],
    },
    handler: (ctx, input) => updateDocument(ctx, input),
  }),
  defineOperation({
    name: 'doc.archive',
    summary:
      'Take a document off the list (it keeps its ref, text, analyses and history; doc restore brings it back)',
    effects: 'write',
    input: z.strictObject({ doc: docKey }),
    output: DocumentSchema,
    cli: { positional: ['doc'], aliases: ['delete', 'rm', 'remove'], columns: DOC_COLUMNS },
    handler: (ctx, input) => archiveDocument(ctx, input),
  }),
  defineOperation({
    name: 'doc.restore',
    summary: 'Bring an archived document back onto the list',
    effects: 'write',
    input: z.strictObject({ doc: docKey }),
    output: DocumentSchema,
    cli: { positional: ['doc'], columns: DOC_COLUMNS },
    handler: (ctx, input) => restoreDocument(ctx, input),
  }),
  defineOperation({
    name: 'doc.analyze',
    summary:
      'Analyse a document (summary, risks, actions, decisions, deadlines) with the analyst agent’s model, or extractively without one; the analysis is stored',
    // A model's analysis costs money too: its spend goes to the cost ledger.
    effects: 'write',
    input: z.strictObject({
      doc: docKey,
      agent: actorName.optional(),
      /** A model of bosun.yaml; null (`--no-model`): the extractive analysis. */
      model: modelField,
    }),
    output: z.object({
      doc: z.string(),
      analysis: DocAnalysisSchema,
      apply: z.string().nullable(),
      report: z.string(),
    }),
    cli: {
      positional: ['doc'],
      aliases: ['analyse'],
      text: 'report',
      examples: [
        'bosun doc analyze HOME-D1                # the analyst agent, else extractive',
        'bosun doc analyze HOME-D1 --model local  # this model must answer',
        'bosun doc analyze HOME-D1 --no-model     # extractive: sentences, dates and keywords',
      ],
    },
    prepare: (ctx, input) => analyseDocument(ctx, input),
    handler: (ctx, _input, prepared) => storeAnalysis(ctx, prepared),
  }),
  defineOperation({
    name: 'doc.analyses',
    summary: 'Every analysis of a document, newest first',
    effects: 'read',
    input: z.strictObject({ doc: docKey }),
    output: z.array(DocAnalysisSchema),
    cli: {
      positional: ['doc'],
      columns: ANALYSIS_COLUMNS,
      empty: 'No analyses yet.',
      examples: ['bosun doc analyses HOME-D1'],
    },
    handler: (ctx, input) => listAnalyses(ctx, input),
  }),
  defineOperation({
    name: 'doc.apply',
    summary:
      'Create the risks and actions an analysis proposes (by number, or --all), in one transaction; each proposal once',
    effects: 'write',
    input: z.strictObject({
      doc: docKey,
      /** The analysis's number (2) or id; the newest by default. */
      analysis: z.string().trim().min(1, 'must be an analysis number (1, 2, …) or id').optional(),
      risk: proposalNumbers,
      action: proposalNumbers,
      all: z.boolean().optional(),
    }),
    output: z.object({
      doc: z.string(),
      analysis: z.number().int(),
      applied: z.array(z.object({ proposal: z.string(), ref: z.string() })),
      risks: z.array(RiskViewSchema),
      actions: z.array(ActionViewSchema),
      report: z.string(),
    }),
    cli: {
      positional: ['doc'],
      text: 'report',
      examples: [
        'bosun doc apply HOME-D1 --risk 1 --risk 3 --action 2',
        'bosun doc apply HOME-D1 --analysis 2 --all',
      ],
    },
    handler: (ctx, input) => applyProposals(ctx, input),
  }),
];
