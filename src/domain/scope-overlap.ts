/**
 * Do two sets of file globs touch a common path? Two agents may work in parallel only on tasks
 * whose scopes are disjoint. Globs use `*` and `?` within one path segment, `**` for any number of
 * segments, `[abc]` classes and `{a,b}` alternatives. The test is exact for these forms: it asks
 * whether some path exists that both globs match, segment by segment.
 */

type Token =
  | { kind: 'char'; value: string }
  | { kind: 'any' } // ?
  | { kind: 'star' } // *
  | { kind: 'class'; chars: Set<string>; negated: boolean };

type Segment = { kind: 'globstar' } | { kind: 'pattern'; tokens: Token[] };

export function scopesOverlap(a: readonly string[], b: readonly string[]): boolean {
  return a.some((x) => b.some((y) => globsOverlap(x, y)));
}

export function globsOverlap(a: string, b: string): boolean {
  const left = parseAlternatives(a);
  const right = parseAlternatives(b);
  return left.some((x) => right.some((y) => segmentsIntersect(x, y)));
}

function parseAlternatives(glob: string): Segment[][] {
  return expandBraces(glob.trim()).flatMap(normalise).map(parseGlob);
}

/** One brace-free glob → the globs it stands for. */
function normalise(glob: string): string[] {
  const trimmed = glob.replace(/^\.\//, '').replace(/\/+/g, '/');
  // A directory names everything under it: `src/` or a plain `src` overlaps `src/a.ts`.
  if (trimmed.endsWith('/')) return [`${trimmed}**`];
  if (!/[*?[]/.test(trimmed)) return [trimmed, `${trimmed}/**`];
  return [trimmed];
}

function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      const options = splitTopLevel(glob.slice(open + 1, i));
      const rest = glob.slice(i + 1);
      return options.flatMap((option) => expandBraces(glob.slice(0, open) + option + rest));
    }
  }
  return [glob]; // unbalanced: treat literally
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    current += ch;
  }
  parts.push(current);
  return parts;
}

function parseGlob(glob: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of glob.split('/')) {
    if (part === '**') {
      if (segments.at(-1)?.kind !== 'globstar') segments.push({ kind: 'globstar' });
    } else {
      segments.push({ kind: 'pattern', tokens: parseSegment(part) });
    }
  }
  return segments;
}

function parseSegment(part: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < part.length; i++) {
    const ch = part[i]!;
    if (ch === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') {
      tokens.push({ kind: 'any' });
    } else if (ch === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) {
        tokens.push({ kind: 'char', value: ch });
        continue;
      }
      let body = part.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      tokens.push({ kind: 'class', chars: expandClass(body), negated });
      i = close;
    } else if (ch === '\\' && i + 1 < part.length) {
      tokens.push({ kind: 'char', value: part[++i]! });
    } else {
      tokens.push({ kind: 'char', value: ch });
    }
  }
  return tokens;
}

function expandClass(body: string): Set<string> {
  const chars = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === '-' && i + 2 < body.length) {
      for (let c = body.charCodeAt(i); c <= body.charCodeAt(i + 2); c++)
        chars.add(String.fromCharCode(c));
      i += 2;
    } else {
      chars.add(body[i]!);
    }
  }
  return chars;
}

/** Is there a sequence of path segments matched by both segment lists? */
function segmentsIntersect(a: readonly Segment[], b: readonly Segment[]): boolean {
  const memo = new Map<string, boolean>();
  const visit = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false);
    let result: boolean;
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) result = true;
    else if (x === undefined) result = y!.kind === 'globstar' && visit(i, j + 1);
    else if (y === undefined) result = x.kind === 'globstar' && visit(i + 1, j);
    else if (x.kind === 'globstar')
      // ** matches no more segments, or absorbs the other side's next segment and stays.
      result = visit(i + 1, j) || visit(i, j + 1);
    else if (y.kind === 'globstar') result = visit(i, j + 1) || visit(i + 1, j);
    else result = tokensIntersect(x.tokens, y.tokens) && visit(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return visit(0, 0);
}

/** Is there one non-empty segment matched by both token lists? */
function tokensIntersect(a: readonly Token[], b: readonly Token[]): boolean {
  const memo = new Map<string, boolean>();
  const visit = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false);
    const x = a[i];
    const y = b[j];
    let result: boolean;
    if (x === undefined && y === undefined) result = true;
    else if (x?.kind === 'star' && visit(i + 1, j)) result = true;
    else if (y?.kind === 'star' && visit(i, j + 1)) result = true;
    else if (x === undefined || y === undefined) result = false;
    else {
      // Both consume one character; a star may also stay to consume more.
      const common = sharedChar(x, y);
      result =
        common &&
        (visit(i + 1, j + 1) ||
          (x.kind === 'star' && visit(i, j + 1)) ||
          (y.kind === 'star' && visit(i + 1, j)) ||
          (x.kind === 'star' && y.kind === 'star' && visit(i, j)));
    }
    memo.set(key, result);
    return result;
  };
  return visit(0, 0);
}

function sharedChar(x: Token, y: Token): boolean {
  const accepts = (token: Token, ch: string): boolean => {
    switch (token.kind) {
      case 'char':
        return token.value === ch;
      case 'class':
        return token.chars.has(ch) !== token.negated && ch !== '/';
      default:
        return ch !== '/';
    }
  };
  if (x.kind === 'char') return accepts(y, x.value);
  if (y.kind === 'char') return accepts(x, y.value);
  if (x.kind === 'class' && !x.negated) return [...x.chars].some((ch) => accepts(y, ch));
  if (y.kind === 'class' && !y.negated) return [...y.chars].some((ch) => accepts(x, ch));
  return true; // wildcards and negated classes always share some character
}
