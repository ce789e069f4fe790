// Line breaking for mixed Chinese and Latin text, and shrink-to-fit.
//
// Chinese breaks between any two characters; Latin words stay whole (unless a
// word alone is wider than the line). The usual rules of Chinese typesetting
// (禁则) apply: no line starts with closing punctuation such as ，。！？；：、）》」,
// and none ends with opening punctuation such as （《「. A violating character
// is fixed by pushing the previous character down with it.

/** Advance width of one code point in ems. */
export type Advance = (cp: number) => number;

const NO_START = new Set(
  Array.from(
    '，。！？；：、）》」』】〕〉〗〙〛”’…‥—～·・ー々〻ゝゞァィゥェォッャュョ' + ',.!?;:)]}%' + '％！），．：；？］｝｡｣､･ﾞﾟ',
    (c) => c.codePointAt(0)!,
  ),
);
const NO_END = new Set(Array.from('（《「『【〔〈〖〘〚“‘' + '([{' + '（［｛｢', (c) => c.codePointAt(0)!));

function isWide(cp: number): boolean {
  return (
    (cp >= 0x2e80 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x20000 && cp <= 0x3ffff) ||
    cp === 0x201c || cp === 0x201d || cp === 0x2018 || cp === 0x2019 || cp === 0x2026 || cp === 0x2014
  );
}

function isSpace(cp: number): boolean {
  return cp === 0x20 || cp === 0x09 || cp === 0x3000 || cp === 0xa0;
}

interface Unit {
  text: string;
  width: number;
  space: boolean;
  first: number;
  last: number;
}

function units(paragraph: string, advance: Advance): Unit[] {
  const out: Unit[] = [];
  let word = '';
  let wordW = 0;
  let wordFirst = 0;
  let wordLast = 0;
  const flush = (): void => {
    if (word) out.push({ text: word, width: wordW, space: false, first: wordFirst, last: wordLast });
    word = '';
    wordW = 0;
  };
  for (const ch of paragraph) {
    const cp = ch.codePointAt(0)!;
    if (isSpace(cp)) {
      flush();
      out.push({ text: ch, width: advance(cp), space: true, first: cp, last: cp });
    } else if (isWide(cp)) {
      flush();
      out.push({ text: ch, width: advance(cp), space: false, first: cp, last: cp });
    } else {
      if (!word) wordFirst = cp;
      word += ch;
      wordW += advance(cp);
      wordLast = cp;
    }
  }
  flush();
  return out;
}

/** Split a word wider than the line into pieces that fit (at least one character each). */
function splitWord(u: Unit, limit: number, advance: Advance): Unit[] {
  const out: Unit[] = [];
  let cur = '';
  let w = 0;
  let first = 0;
  let last = 0;
  for (const ch of u.text) {
    const cp = ch.codePointAt(0)!;
    const a = advance(cp);
    if (cur && w + a > limit) {
      out.push({ text: cur, width: w, space: false, first, last });
      cur = '';
      w = 0;
    }
    if (!cur) first = cp;
    cur += ch;
    w += a;
    last = cp;
  }
  if (cur) out.push({ text: cur, width: w, space: false, first, last });
  return out;
}

function lineWidth(line: Unit[]): number {
  let w = 0;
  for (const u of line) w += u.width;
  return w;
}

function trimSpaces(line: Unit[]): Unit[] {
  let a = 0;
  let b = line.length;
  while (a < b && line[a]!.space) a++;
  while (b > a && line[b - 1]!.space) b--;
  return a === 0 && b === line.length ? line : line.slice(a, b);
}

/**
 * Break text into lines no wider than `limit` ems. Hard line breaks (\n) are
 * kept. A single character wider than the line still gets a line of its own
 * (the caller's width check reports the overflow).
 */
export function breakLines(text: string, limit: number, advance: Advance): string[] {
  const result: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    const lines: Unit[][] = [[]];
    let queue = units(paragraph, advance);
    for (let i = 0; i < queue.length; i++) {
      let u = queue[i]!;
      let line = lines[lines.length - 1]!;
      if (u.space) {
        if (line.length > 0) line.push(u);
        continue;
      }
      if (u.width > limit && u.text.length > 1 && !isWide(u.first)) {
        // A word longer than a whole line: split it by character.
        const parts = splitWord(u, limit, advance);
        queue = [...queue.slice(0, i), ...parts, ...queue.slice(i + 1)];
        u = parts[0]!;
      }
      const w = lineWidth(trimSpaces(line));
      const trailing = lineWidth(line) - w;
      if (w + trailing + u.width <= limit + 1e-9 || trimSpaces(line).length === 0) {
        line.push(u);
        continue;
      }
      // Break before u.
      const prev = trimSpaces(line);
      const next: Unit[] = [u];
      // No line may start with closing punctuation: push characters down with it.
      while (NO_START.has(next[0]!.first) && prev.length > 1) next.unshift(prev.pop()!);
      // No line may end with opening punctuation.
      while (prev.length > 1 && NO_END.has(prev[prev.length - 1]!.last)) next.unshift(prev.pop()!);
      lines[lines.length - 1] = prev;
      // In a box only two or three characters wide the pushed-down line may
      // still be too wide; fitText's width check then reports the overflow.
      line = next;
      lines.push(line);
    }
    for (const l of lines) result.push(trimSpaces(l).map((u) => u.text).join(''));
  }
  return result;
}

export interface FitOptions {
  /** Box width and height in points. */
  width: number;
  height: number;
  /** Preferred and smallest font size in points. */
  size: number;
  minSize: number;
  /** Line pitch as a multiple of the font size. */
  lineHeight: number;
  maxLines?: number;
}

export interface Fitted {
  lines: string[];
  size: number;
  /** False when even the minimum size overflows the box. */
  fits: boolean;
  /** Widest line in points at the chosen size. */
  widest: number;
}

/** The largest size from `size` down to `minSize` (0.5 pt steps) at which the text fits the box. */
export function fitText(text: string, opts: FitOptions, advance: Advance, widthOf: (s: string) => number): Fitted {
  let size = opts.size;
  let last: Fitted | null = null;
  for (;;) {
    const lines = breakLines(text, opts.width / size, advance);
    let widest = 0;
    for (const l of lines) widest = Math.max(widest, widthOf(l) * size);
    const height = (lines.length - 1) * size * opts.lineHeight + size;
    const fits =
      widest <= opts.width + 0.01 &&
      height <= opts.height + 0.01 &&
      (opts.maxLines === undefined || lines.length <= opts.maxLines);
    last = { lines, size, fits, widest };
    if (fits || size <= opts.minSize) return last;
    size = Math.max(opts.minSize, Math.round((size - 0.5) * 2) / 2);
  }
}
