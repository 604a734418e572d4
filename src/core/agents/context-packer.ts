/**
 * The context packer: builds the context of an agent's prompt under a token budget. It is handed
 * sections — the task spec, the outputs of the step's dependencies, earlier attempts, memories,
 * patterns — each with a relevance, and a token counter (injected: core/ never loads a
 * tokenizer). The task spec is kept whole and first; the rest follow most relevant first, with
 * lines already said elsewhere left out, a long section cut down to a handoff excerpt of the lines
 * that carry facts (paths, identifiers, numbers, decisions, errors: see `factScore`), and the
 * whole cut at the budget. The accounting is exact for the counter: `tokens` is the count of the
 * returned text, and the sections' tokens add up to it. Alongside, it counts the naive prompt —
 * the task and every upstream output and earlier attempt pasted whole — for comparison.
 */

import type { CountTokens } from '../../ports/tokenizer.js';

export const CONTEXT_SECTION_KINDS = [
  'task',
  'dependency',
  'history',
  'memory',
  'pattern',
] as const;
export type ContextSectionKind = (typeof CONTEXT_SECTION_KINDS)[number];

/** Kinds the naive prompt pastes whole: the task, upstream output and the step's own history. */
const NAIVE_KINDS: ReadonlySet<ContextSectionKind> = new Set(['task', 'dependency', 'history']);

export interface ContextSection {
  readonly kind: ContextSectionKind;
  /** The section's heading in the prompt (`Output of step build`). */
  readonly title: string;
  readonly text: string;
  /** Higher comes first (0–1 by convention); ignored for the task, which always leads. */
  readonly relevance: number;
}

export interface PackOptions {
  /** The most tokens the packed context may take; the task spec alone may exceed it. */
  readonly budget: number;
  readonly countTokens: CountTokens;
  /** A section longer than this (tokens, after dedupe) becomes a handoff excerpt. Default 300. */
  readonly handoffTokens?: number;
}

export interface PackedSection {
  readonly kind: ContextSectionKind;
  readonly title: string;
  /** What the section adds to the prompt, heading and separator included. */
  readonly tokens: number;
  /** Its lines as given, and how many of them the prompt keeps. */
  readonly lines: number;
  readonly keptLines: number;
  /** Cut down to the lines that carry facts (a long section), or further to fit the budget. */
  readonly excerpt: boolean;
}

export interface DroppedSection {
  readonly kind: ContextSectionKind;
  readonly title: string;
  /** What it would have cost whole. */
  readonly tokens: number;
  /** `duplicate`: everything it says is already in the prompt; `budget`: no room left. */
  readonly reason: 'duplicate' | 'budget';
}

export interface PackedContext {
  readonly text: string;
  /** countTokens(text), exactly; the sum of the sections' tokens. */
  readonly tokens: number;
  readonly budget: number;
  /** The task spec alone is larger than the budget (it is never cut). */
  readonly overBudget: boolean;
  /** Tokens of the naive prompt: task, dependency outputs and history pasted whole. */
  readonly naiveTokens: number;
  readonly sections: readonly PackedSection[];
  readonly dropped: readonly DroppedSection[];
}

export const DEFAULT_HANDOFF_TOKENS = 300;
/** A section is cut to fit what is left of the budget only when at least this much is left. */
const MIN_PARTIAL_TOKENS = 40;
/** Lines scoring at least this carry a fact; an excerpt keeps them. */
const FACT_SCORE = 2;
/** Shorter normalized lines (`}`, `---`, `ok`) are structure, never deduplicated. */
const MIN_DEDUPE_CHARS = 8;
const SEPARATOR = '\n\n';

export function packContext(
  sections: readonly ContextSection[],
  options: PackOptions,
): PackedContext {
  const { budget, countTokens } = options;
  const handoffTokens = options.handoffTokens ?? DEFAULT_HANDOFF_TOKENS;
  const naiveText = sections
    .filter((section) => NAIVE_KINDS.has(section.kind))
    .map((section) => render(section.title, section.text))
    .join(SEPARATOR);

  const packed: PackedSection[] = [];
  const dropped: DroppedSection[] = [];
  const seen = new Set<string>();
  const taskTerms = new Set<string>();
  let text = '';
  let used = 0;
  /**
   * What `block` adds to the text: the whole text is counted again, since a tokenizer may merge
   * across the joint (punctuation absorbs the newlines after it), which keeps the sum exact.
   */
  const totalWith = (block: string): number =>
    countTokens(text === '' ? block : text + SEPARATOR + block);
  const append = (block: string, total: number): number => {
    text = text === '' ? block : text + SEPARATOR + block;
    const cost = total - used;
    used = total;
    return cost;
  };

  for (const task of sections.filter((section) => section.kind === 'task')) {
    const lines = splitLines(task.text);
    for (const line of lines) {
      const key = dedupeKey(line);
      if (key.length >= MIN_DEDUPE_CHARS) seen.add(key);
      for (const term of termsOf(line)) taskTerms.add(term);
    }
    const block = render(task.title, task.text.trim());
    const tokens = append(block, totalWith(block));
    packed.push({
      kind: 'task',
      title: task.title,
      tokens,
      lines: lines.length,
      keptLines: lines.length,
      excerpt: false,
    });
  }
  const overBudget = used > budget;

  const rest = sections
    .map((section, index) => ({ section, index }))
    .filter(({ section }) => section.kind !== 'task')
    .sort((a, b) => b.section.relevance - a.section.relevance || a.index - b.index);

  for (const { section } of rest) {
    const original = splitLines(section.text);
    const lines = uniqueLines(original, seen);
    if (!lines.some((line) => line.key.length > 0 && line.text.trim() !== '')) {
      dropped.push({
        kind: section.kind,
        title: section.title,
        tokens: countTokens(render(section.title, section.text)),
        reason: 'duplicate',
      });
      continue;
    }
    for (const line of lines) line.score = factScore(line.text, taskTerms);
    const whole = bodyOf(lines, lines);
    let kept = lines;
    let excerpt = false;
    if (countTokens(whole) > handoffTokens) {
      kept = handoffLines(lines);
      excerpt = kept.length < lines.length;
    }
    let block = render(headingOf(section, excerpt), bodyOf(lines, kept));
    let total = totalWith(block);
    if (total > budget) {
      const room = budget - used;
      const fitted = room >= MIN_PARTIAL_TOKENS ? fitLines(section, lines, kept, room) : null;
      if (fitted === null) {
        dropped.push({
          kind: section.kind,
          title: section.title,
          tokens: countTokens(render(section.title, section.text)),
          reason: 'budget',
        });
        continue;
      }
      ({ kept, block, total } = fitted);
      excerpt = true;
    }
    const tokens = append(block, total);
    for (const line of kept) if (line.key.length >= MIN_DEDUPE_CHARS) seen.add(line.key);
    packed.push({
      kind: section.kind,
      title: section.title,
      tokens,
      lines: original.length,
      keptLines: kept.length,
      excerpt,
    });
  }

  return {
    text,
    tokens: used,
    budget,
    overBudget,
    naiveTokens: naiveText === '' ? 0 : countTokens(naiveText),
    sections: packed,
    dropped,
  };

  /**
   * The section cut to `room` tokens: the best-scoring of its kept lines, in their order. The
   * per-line counts only guide the choice; the block's cost is counted exactly and lines are let
   * go (the weakest first) until it fits.
   */
  function fitLines(
    section: ContextSection,
    all: readonly Line[],
    candidates: readonly Line[],
    room: number,
  ): { kept: Line[]; block: string; total: number } | null {
    const heading = headingOf(section, true);
    const ranked = [...candidates].sort((a, b) => b.score - a.score || a.index - b.index);
    let estimate = countTokens(`## ${heading}\n`) + 8;
    const chosen = new Set<Line>();
    for (const line of ranked) {
      const lineTokens = countTokens(line.text) + 1;
      if (estimate + lineTokens > room) continue;
      estimate += lineTokens;
      chosen.add(line);
    }
    while (chosen.size > 0) {
      const kept = candidates.filter((line) => chosen.has(line));
      const block = render(heading, bodyOf(all, kept));
      const total = totalWith(block);
      if (total - used <= room) return { kept, block, total };
      // The weakest line goes: ranked is best first, so the last chosen one in it.
      const weakest = ranked.filter((line) => chosen.has(line)).at(-1)!;
      chosen.delete(weakest);
    }
    return null;
  }
}

// ── lines

interface Line {
  readonly index: number;
  readonly text: string;
  /** Normalized for comparison: '' for a blank line. */
  readonly key: string;
  /** How many times the line occurred in its section (repeats are said once). */
  repeats: number;
  score: number;
}

function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  return lines;
}

/* eslint-disable no-control-regex */
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
/* eslint-enable no-control-regex */
const TIMESTAMP =
  /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b|\b\d{2}:\d{2}:\d{2}(\.\d+)?\b/g;

/**
 * A line as compared for duplicates: colours, timestamps, case and spacing do not make two
 * lines different (a log repeating itself every second), anything else — a number — does.
 */
function dedupeKey(line: string): string {
  return line
    .replace(ANSI, '')
    .replace(TIMESTAMP, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^[\s[\]()|:>*-]+|[\s[\]()|:]+$/g, '')
    .trim();
}

/**
 * The section's lines less those said before: in an earlier section (`seen`) or earlier in this
 * one (counted as a repeat of the first). Blank and short structural lines always stay.
 */
function uniqueLines(lines: readonly string[], seen: ReadonlySet<string>): Line[] {
  const result: Line[] = [];
  const first = new Map<string, Line>();
  lines.forEach((text, index) => {
    const key = dedupeKey(text);
    if (key.length >= MIN_DEDUPE_CHARS) {
      if (seen.has(key)) return;
      const earlier = first.get(key);
      if (earlier) {
        earlier.repeats++;
        return;
      }
    }
    const line: Line = { index, text: text.replace(ANSI, '').trimEnd(), key, repeats: 1, score: 0 };
    if (key.length >= MIN_DEDUPE_CHARS) first.set(key, line);
    result.push(line);
  });
  return result;
}

/**
 * The body of a section from its `kept` lines, in their order: a repeated line says how often,
 * and every gap left by lines not kept is marked, so the reader knows something was left out.
 */
function bodyOf(all: readonly Line[], kept: readonly Line[]): string {
  const keep = new Set(kept);
  const out: string[] = [];
  let omitted = 0;
  const flush = () => {
    if (omitted > 0) out.push(`[… ${omitted} line${omitted === 1 ? '' : 's'} omitted]`);
    omitted = 0;
  };
  for (const line of all) {
    if (!keep.has(line)) {
      if (line.key !== '') omitted += line.repeats;
      continue;
    }
    flush();
    out.push(line.repeats > 1 ? `${line.text} [×${line.repeats}]` : line.text);
  }
  flush();
  // Blank lines next to an omission marker or each other say nothing.
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The lines of a handoff excerpt: every line that carries a fact, plus the first and the last
 * lines with content (an output usually opens with what it is and ends with how it went).
 */
function handoffLines(lines: readonly Line[]): Line[] {
  const content = lines.filter((line) => line.key !== '');
  const ends = new Set([...content.slice(0, 1), ...content.slice(-2)]);
  return lines.filter((line) => line.key !== '' && (line.score >= FACT_SCORE || ends.has(line)));
}

// ── the fact heuristic

const ERROR_WORDS =
  /\b(error|errors|failed|fails|failure|fatal|exception|panic|denied|refused|cannot|can't|unable|invalid|missing|not found|timed? ?out|conflict|broken|regression|bug)\b/i;
const DECISION_WORDS =
  /\b(decided|decision|decide|chose|chosen|choose|conclusion|concluded|result|results|summary|because|therefore|must|should|requires?|instead|todo|note|important|fixed|fix|root cause|recommend|next|created|wrote|adds?|added|adding|removed|renamed|changed|updated|moved|deleted|merged|uses?|set to|switched|found|answer|went from|improved|reduced|increased|decreased|dropped|faster|slower)\b/i;
const PATH =
  /(?:^|[\s'"`(=:])(?:~|\.{1,2})?\/?[\w@.-]+\/[\w@./-]+|\b[\w-]+\.[a-z]{1,5}\b(?=[\s'"`),:;]|$)/i;
const URL = /\bhttps?:\/\/\S+/i;
const IDENTIFIER =
  /`[^`]+`|\b[a-z]+[A-Z]\w*\b|\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b|\b[A-Z][A-Z0-9]{2,}\b|\b\w+\(\)|\b[a-z]\w*\.[a-z]\w*\(/;
const QUANTITY =
  /\b\d+(\.\d+)?\s?(ms|s|sec|seconds|min|minutes|h|hours|kb|mb|gb|tb|b|bytes|%|tokens|rps|qps|req\/s|usd|eur|x|items|rows|lines|files|users|requests)\b|\$\d|\bv?\d+\.\d+(\.\d+)*\b|\b[0-9a-f]{7,40}\b/i;
const KEY_VALUE = /^\s*[-*]?\s*[\w .-]{1,40}\s?[:=]\s?\S/;
const HEADING = /^\s*(#{1,6}\s|[A-Z][\w ]{0,30}:\s*$)/;
/** Chatter: log levels below info, progress, polling, an agent narrating what it is about to do. */
const NOISE =
  /\b(debug|trace|verbose)\b|\[\s*[=#>.-]*\s*\]|\b\d{1,3}%|\b(downloading|fetching|resolving|waiting|heartbeat|polling|progress|spinner|idle|tick|keep-?alive)\b|^\s*(let me|let's|i'll|i will now|now i|okay|ok,|hmm|looking at|checking|reading|scanning|thinking)\b/i;
const STOP_TERMS = new Set(
  'about above after again against their there these those which while would could should with from into that this than then them they were what when where your have been being does done each other more most only over same some such very will just also'.split(
    ' ',
  ),
);

/** Distinctive words of a text (5+ letters, not common words): what a task talks about. */
function termsOf(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9_]{4,}/g) ?? []).filter(
    (term) => !STOP_TERMS.has(term),
  );
}

/**
 * How likely a line is to carry a fact the next step needs. Errors and decisions say the most
 * (+3); a path, URL or identifier names something the next step will touch (+2); a quantity
 * (a measure with its unit, a version, a hash) or a `key: value` pair is a fact in itself (+1);
 * a heading frames what follows (+2); words the task itself uses raise a line (+1 each, at most
 * +2). Chatter — debug and trace logs, progress, polling, narration — weighs against (−3).
 * Timestamps are removed first: a log line is not a fact because it says when it was written.
 */
export function factScore(line: string, taskTerms: ReadonlySet<string> = new Set()): number {
  const text = line.replace(ANSI, '').replace(TIMESTAMP, '').trim();
  if (text === '') return 0;
  let score = 0;
  if (ERROR_WORDS.test(text)) score += 3;
  if (DECISION_WORDS.test(text)) score += 3;
  if (PATH.test(text) || URL.test(text)) score += 2;
  if (IDENTIFIER.test(text)) score += 2;
  if (QUANTITY.test(text)) score += 1;
  if (KEY_VALUE.test(text)) score += 1;
  if (HEADING.test(text)) score += 2;
  let overlap = 0;
  for (const term of termsOf(text)) if (taskTerms.has(term)) overlap++;
  score += Math.min(2, overlap);
  if (NOISE.test(text)) score -= 3;
  return score;
}

// ── rendering

function render(title: string, body: string): string {
  return `## ${title}\n${body.trim()}`;
}

function headingOf(section: ContextSection, excerpt: boolean): string {
  if (!excerpt) return section.title;
  return section.kind === 'dependency'
    ? `${section.title} (handoff: the lines that carry facts)`
    : `${section.title} (excerpt)`;
}
