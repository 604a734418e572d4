/**
 * Analysing a document's text, two ways. With a model: the instructions and prompt that ask for
 * one JSON object (summary, risks, actions, decisions, deadlines), and reading the answer back
 * through DocAnalysisResultSchema, so nothing a model says is stored unchecked. Without one: an
 * extractive analysis by fixed rules, labelled as such — the summary is the document's
 * highest-scoring sentences (by how often their words occur in it), and deadlines, actions,
 * risks and decisions are sentences holding dates and keywords (docs/command-center.md
 * "Documents" lists them). Both are pure: no I/O, the same text gives the same analysis.
 */

import { tryParseJson } from '../shared/json.js';
import type { DocAnalysisResult, ProposedAction, ProposedRisk } from './document.js';
import { DocAnalysisResultSchema } from './document.js';
import { dateSchema } from './fields.js';

/** Characters of a document's text given to a model; the rest is left out, with a note. */
export const MODEL_TEXT_CHARS = 48_000;
/** Sentences in an extractive summary, and most items of each kind it proposes. */
const SUMMARY_SENTENCES = 3;
const MAX_EXTRACTED = 20;
/** The rating an extractive risk gets on both scales: a placeholder to review. */
export const EXTRACTIVE_RATING = 3;

// ── model

export const ANALYSIS_INSTRUCTIONS = `You analyse a project document for the person running the project. Reply with one JSON object and nothing else: no prose before or after it, no code fence. Its shape:
{"summary": "at most five sentences",
 "risks": [{"title": "...", "description": "...", "likelihood": 1-5, "impact": 1-5, "mitigation": "..."}],
 "actions": [{"title": "...", "owner": "name or null", "due": "YYYY-MM-DD or null"}],
 "decisions": ["..."],
 "deadlines": [{"what": "...", "date": "YYYY-MM-DD"}]}
- Use only what the document says; leave a list empty when it says nothing of that kind. Never invent names or dates.
- likelihood and impact are whole numbers from 1 (lowest) to 5 (highest).
- Titles are short (at most 200 characters); dates are calendar dates written YYYY-MM-DD.`;

export interface AnalysisPrompt {
  readonly prompt: string;
  /** Set when the text was cut to MODEL_TEXT_CHARS. */
  readonly cut: boolean;
}

export function analysisPrompt(
  doc: { readonly ref: string; readonly title: string; readonly fileName: string },
  text: string,
): AnalysisPrompt {
  const cut = text.length > MODEL_TEXT_CHARS;
  const body = cut ? text.slice(0, MODEL_TEXT_CHARS) : text;
  return {
    prompt: [
      `Document ${doc.ref}: ${JSON.stringify(doc.title)} (file ${doc.fileName})`,
      ...(cut ? [`Only its first ${MODEL_TEXT_CHARS} characters follow.`] : []),
      '',
      '--- document ---',
      body,
      '--- end of document ---',
    ].join('\n'),
    cut,
  };
}

/** The prompt that sends an invalid answer back once, with what was wrong with it. */
export function repairPrompt(original: string, answer: string, problems: string): string {
  return [
    original,
    '',
    `Your previous answer was not a valid analysis: ${problems}.`,
    '--- previous answer ---',
    answer.slice(0, 8_000),
    '--- end of previous answer ---',
    'Reply again with the corrected JSON object only.',
  ].join('\n');
}

export type ReadAnalysis =
  | { readonly ok: true; readonly result: DocAnalysisResult }
  | { readonly ok: false; readonly problems: string };

/**
 * Reads a model's answer as an analysis: the JSON object in it (a code fence or words around it
 * are tolerated), checked by DocAnalysisResultSchema; otherwise what is wrong, field by field.
 */
export function readAnalysisAnswer(answer: string): ReadAnalysis {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, problems: 'it holds no JSON object' };
  const parsed = tryParseJson(answer.slice(start, end + 1));
  if (parsed === undefined) return { ok: false, problems: 'it is not valid JSON' };
  const checked = DocAnalysisResultSchema.safeParse(parsed);
  if (checked.success) return { ok: true, result: checked.data };
  const problems = checked.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(the answer)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problems };
}

// ── extractive

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTH =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})\b/g;
const DAY_MONTH_YEAR = new RegExp(
  `\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+${MONTH}\\.?,?\\s+(\\d{4})\\b`,
  'gi',
);
const MONTH_DAY_YEAR = new RegExp(
  `\\b${MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`,
  'gi',
);
/** A date is a deadline when its sentence says one of these. */
const DEADLINE_CUE = /\b(by|due|before|until|deadline|no later than)\b/i;

const CHECKBOX = /^\s*(?:[-*+]|\d+[.)])\s+\[ \]\s+(.+)$/;
const ACTION_LABEL = /\b(?:TODO|action(?: item)?)\s*:\s*(.+)$/i;
const TODO_WORD = /\bTODO\b\s*(.+)$/;
const OBLIGATION = /\b(must|needs? to|has to|have to)\b/i;
/** `Ana will …`, `We will …`: a subject, then `will`, at the start of a sentence. */
const WILL = /^([A-Z][\w'-]*)\s+will\s+\S/;
const NOT_AN_OWNER = new Set([
  'we',
  'i',
  'it',
  'this',
  'that',
  'there',
  'they',
  'he',
  'she',
  'you',
  'the',
  'which',
  'what',
  'who',
  'everyone',
  'nobody',
]);
const MENTION = /(?:^|\s)@([\w.-]+)/;
const OWNER_LABEL = /\bowner\s*:\s*([\w.-]+)/i;
const RISK_CUE = /\b(risks?|risky|may fail|might|could fail|concerns?|concerned|danger|threat)\b/i;
const DECISION_CUE = /\b(decided|decision|agreed|approved|we chose|we will go with)\b/i;

const STOP_WORDS = new Set(
  (
    'the a an and or but if of to in on at by for with from as is are was were be been being it ' +
    'its this that these those there their they them we our you your he she his her i me my not ' +
    'no so do does did done has have had will would can could should may might must shall than ' +
    'then also into over under about after before up out all any each more most some such only ' +
    'own same too very just which who whom what when where why how while'
  ).split(' '),
);

interface Sentence {
  readonly text: string;
  /** Its line opened with a markdown heading. */
  readonly heading: boolean;
  /** Its line was an unchecked checklist item (`- [ ] …`); the text is the item. */
  readonly checkbox: boolean;
}

/** The document's sentences, line by line: markdown markers dropped, headings marked. */
export function sentencesOf(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  for (const rawLine of text.split('\n')) {
    const box = CHECKBOX.exec(rawLine);
    if (box) {
      sentences.push({ text: clean(box[1]!), heading: false, checkbox: true });
      continue;
    }
    const heading = /^\s*#{1,6}\s/.test(rawLine);
    const line = rawLine
      .replace(/^\s*#{1,6}\s+/, '')
      .replace(/^\s*>\s?/, '')
      .replace(/^\s*(?:[-*+]|\d+[.)])\s+(?:\[[xX]\]\s+)?/, '')
      .trim();
    if (line === '') continue;
    for (const part of line.split(/(?<=[.!?])\s+(?=[A-Z0-9"'(@[])/)) {
      const sentence = clean(part);
      if (sentence !== '') sentences.push({ text: sentence, heading, checkbox: false });
    }
  }
  return sentences;
}

function clean(text: string): string {
  return text
    .replace(/\*\*|__|`/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function wordsIn(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).filter(
    (word) => word.length >= 3 && !STOP_WORDS.has(word),
  );
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function calendarDay(year: number, month: number, day: number): string | null {
  const date = `${year}-${pad2(month)}-${pad2(day)}`;
  return dateSchema.safeParse(date).success ? date : null;
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase().slice(0, 3);
  return MONTHS.findIndex((month) => month.startsWith(lower)) + 1;
}

/** Every unambiguous date written in the text, as YYYY-MM-DD, in order of appearance. */
export function datesIn(text: string): string[] {
  const found: { at: number; date: string }[] = [];
  for (const match of text.matchAll(ISO_DATE)) {
    const date = calendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
    if (date) found.push({ at: match.index, date });
  }
  for (const match of text.matchAll(DAY_MONTH_YEAR)) {
    const date = calendarDay(Number(match[3]), monthNumber(match[2]!), Number(match[1]));
    if (date) found.push({ at: match.index, date });
  }
  for (const match of text.matchAll(MONTH_DAY_YEAR)) {
    const date = calendarDay(Number(match[3]), monthNumber(match[1]!), Number(match[2]));
    if (date) found.push({ at: match.index, date });
  }
  return found.sort((a, b) => a.at - b.at).map((each) => each.date);
}

function summaryOf(sentences: readonly Sentence[]): string {
  const body = sentences.filter((s) => !s.heading && !s.checkbox && wordsIn(s.text).length >= 3);
  if (body.length === 0) {
    const any = sentences.map((s) => s.text).join(' ');
    return any === '' ? '(the document has no sentences to summarize)' : shorten(any, 600);
  }
  const frequency = new Map<string, number>();
  for (const sentence of body)
    for (const word of wordsIn(sentence.text)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const scored = body.map((sentence, index) => {
    const words = new Set(wordsIn(sentence.text));
    let score = 0;
    for (const word of words) score += frequency.get(word) ?? 0;
    // Long sentences hold more words, not more meaning; the opening one usually says what it is.
    score /= Math.sqrt(Math.max(words.size, 1));
    if (index === 0) score *= 1.5;
    return { index, score };
  });
  const chosen = [...scored]
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, SUMMARY_SENTENCES)
    .sort((a, b) => a.index - b.index);
  return shorten(chosen.map(({ index }) => body[index]!.text).join(' '), 1_500);
}

function ownerOf(sentence: string): string | null {
  const labelled = OWNER_LABEL.exec(sentence) ?? MENTION.exec(sentence);
  if (labelled) return labelled[1]!.replace(/[.]+$/, '');
  const will = WILL.exec(sentence);
  if (will && !NOT_AN_OWNER.has(will[1]!.toLowerCase())) return will[1]!;
  return null;
}

function actionOf(sentence: Sentence): ProposedAction | null {
  let title: string | null = null;
  if (sentence.checkbox) title = sentence.text;
  else if (!sentence.heading) {
    const labelled = ACTION_LABEL.exec(sentence.text) ?? TODO_WORD.exec(sentence.text);
    if (labelled) title = labelled[1]!;
    else if (OBLIGATION.test(sentence.text) || WILL.test(sentence.text)) title = sentence.text;
  }
  if (title === null) return null;
  title = shorten(title.replace(/^[:\s-]+/, '').trim(), 200);
  if (title === '') return null;
  const owner = ownerOf(sentence.text);
  return {
    title,
    owner: owner === null ? null : shorten(owner, 100),
    due: datesIn(sentence.text)[0] ?? null,
  };
}

function riskOf(sentence: Sentence): ProposedRisk | null {
  if (sentence.heading || sentence.checkbox || !RISK_CUE.test(sentence.text)) return null;
  if (wordsIn(sentence.text).length < 2) return null;
  return {
    title: shorten(sentence.text, 200),
    description: shorten(sentence.text, 10_000),
    likelihood: EXTRACTIVE_RATING,
    impact: EXTRACTIVE_RATING,
    mitigation: '',
  };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item).toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The extractive analysis of a text: no model, fixed rules, the same text gives the same result.
 * Risks get EXTRACTIVE_RATING on both scales, to be reviewed before they are applied.
 */
export function extractiveAnalysis(text: string): DocAnalysisResult {
  const sentences = sentencesOf(text);
  const deadlines = uniqueBy(
    sentences
      .filter((s) => !s.heading && DEADLINE_CUE.test(s.text))
      .flatMap((s) => datesIn(s.text).map((date) => ({ what: shorten(s.text, 500), date }))),
    (d) => `${d.date} ${d.what}`,
  ).slice(0, MAX_EXTRACTED);
  const actions = uniqueBy(
    sentences.map(actionOf).filter((a): a is ProposedAction => a !== null),
    (a) => a.title,
  ).slice(0, MAX_EXTRACTED);
  const actionTitles = new Set(actions.map((a) => a.title));
  const risks = uniqueBy(
    sentences
      .map(riskOf)
      .filter((r): r is ProposedRisk => r !== null && !actionTitles.has(r.title)),
    (r) => r.title,
  ).slice(0, MAX_EXTRACTED);
  const decisions = uniqueBy(
    sentences
      .filter((s) => !s.heading && !s.checkbox && DECISION_CUE.test(s.text))
      .map((s) => shorten(s.text, 1_000)),
    (d) => d,
  ).slice(0, MAX_EXTRACTED);
  return DocAnalysisResultSchema.parse({
    summary: summaryOf(sentences),
    risks,
    actions,
    decisions,
    deadlines,
  });
}

/** What an extractive analysis's note says about how it was made. */
export const EXTRACTIVE_NOTE = `extractive analysis: the summary is the highest-scoring sentences; deadlines, actions, risks and decisions are sentences matched by dates and keywords; proposed risks are rated ${EXTRACTIVE_RATING} × ${EXTRACTIVE_RATING} until reviewed`;
