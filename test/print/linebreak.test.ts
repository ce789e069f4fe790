// Line breaking for mixed Chinese/Latin text and shrink-to-fit. Exact
// expectations use a synthetic advance (every CJK character 1 em, everything
// else 0.5 em); the real font (Source Han Sans SC) is used for invariants that
// must hold at every line width.
import { describe, expect, it } from 'vitest';
import { fontFor } from '../../src/print/fonts';
import { breakLines, fitText, type Advance } from '../../src/print/linebreak';

/** CJK (and full-width forms) 1 em, Latin, digits, spaces 0.5 em. */
const syn: Advance = (cp) => (cp >= 0x2e80 ? 1 : 0.5);
const synWidth = (s: string): number => Array.from(s).reduce((w, c) => w + syn(c.codePointAt(0)!), 0);

const font = fontFor('regular');
const real: Advance = (cp) => font.advance(cp);
const realWidth = (s: string): number => font.width(s);

const CLOSING = Array.from('，。！？；：、）》」』】');
const OPENING = Array.from('（《「『【');

describe('breakLines (synthetic advance)', () => {
  it('breaks Chinese between any two characters', () => {
    expect(breakLines('一二三四五六七八九十', 4, syn)).toEqual(['一二三四', '五六七八', '九十']);
    expect(breakLines('一二三四五六七八九十', 3, syn)).toEqual(['一二三', '四五六', '七八九', '十']);
    expect(breakLines('一二三', 10, syn)).toEqual(['一二三']);
  });

  it('never starts a line with closing punctuation: the previous character moves down with it', () => {
    // Greedy would give 一二三四 / ，五六.
    expect(breakLines('一二三四，五六', 4, syn)).toEqual(['一二三', '四，五六']);
    expect(breakLines('一二三四。五六', 4, syn)).toEqual(['一二三', '四。五六']);
    expect(breakLines('一二三四）五', 4, syn)).toEqual(['一二三', '四）五']);
    expect(breakLines('一二三四》五', 4, syn)).toEqual(['一二三', '四》五']);
    // Two closing marks in a row stay together after the pushed-down character.
    expect(breakLines('一二三四。」五', 4, syn)).toEqual(['一二三', '四。」五']);
    // ASCII punctuation after a Chinese character too.
    expect(breakLines('一二三四!五', 4, syn)).toEqual(['一二三', '四!五']);
  });

  it('never ends a line with opening punctuation: it moves down to the next line', () => {
    expect(breakLines('一二三《四五》', 4, syn)).toEqual(['一二三', '《四五》']);
    expect(breakLines('一二三（四五）', 4, syn)).toEqual(['一二三', '（四五）']);
    expect(breakLines('一二三「四五」', 4, syn)).toEqual(['一二三', '「四五」']);
  });

  it('keeps Latin words whole in mixed text and drops the spaces at the break', () => {
    expect(breakLines('欢迎试驾 Toyota Camry 2026 款', 6, syn)).toEqual(['欢迎试驾', 'Toyota Camry', '2026 款']);
    expect(breakLines('欢迎试驾 Toyota Camry 2026 款', 100, syn)).toEqual(['欢迎试驾 Toyota Camry 2026 款']);
    // A Latin word directly after Chinese (no space) moves down whole.
    expect(breakLines('欢迎试驾Camry', 5, syn)).toEqual(['欢迎试驾', 'Camry']);
  });

  it('splits a Latin word that is longer than the whole line', () => {
    expect(breakLines('abcdefghij', 2, syn)).toEqual(['abcd', 'efgh', 'ij']);
    expect(breakLines('abcdefghij', 2.5, syn)).toEqual(['abcde', 'fghij']);
  });

  it('splits a too-long Latin word that follows other text on the line', () => {
    // No line may be wider than the limit when a break can avoid it.
    const lines = breakLines('一 abcdefghij', 2, syn);
    for (const l of lines) expect(synWidth(l)).toBeLessThanOrEqual(2);
    expect(lines.join('')).toBe('一abcdefghij');
    const lines2 = breakLines('一二三abcdefghijkl', 4, syn);
    for (const l of lines2) expect(synWidth(l)).toBeLessThanOrEqual(4);
    expect(lines2.join('')).toBe('一二三abcdefghijkl');
  });

  it('keeps explicit line breaks, including empty lines', () => {
    expect(breakLines('一二\n三四', 10, syn)).toEqual(['一二', '三四']);
    expect(breakLines('一\n\n二', 10, syn)).toEqual(['一', '', '二']);
    expect(breakLines('ab\r\ncd', 10, syn)).toEqual(['ab', 'cd']);
    // A hard break and a soft break in one text.
    expect(breakLines('一二三四五\n六', 3, syn)).toEqual(['一二三', '四五', '六']);
  });

  it('gives a single character wider than the line a line of its own', () => {
    expect(breakLines('一二', 0.5, syn)).toEqual(['一', '二']);
  });
});

describe('breakLines (Source Han Sans SC)', () => {
  const mixed =
    '尊敬的王先生：值此新春佳节来临之际，《测试汽车4S店》全体员工衷心感谢您一直以来的信任与支持！' +
    '欢迎试驾 Toyota Camry 2026 款（限时优惠），详情请致电 400-800-1234；「到店即享」专属礼遇。';

  it('respects the line width, 禁则 rules and keeps every character, at every width', () => {
    const latin = ['Toyota', 'Camry', '2026', '400-800-1234', '4S'];
    // From 8 em every Latin word fits on a line together with a punctuation mark
    // (a word alone on a line followed by a mark that cannot fit is a different case).
    expect(Math.max(...latin.map(realWidth)) + 1).toBeLessThan(8);
    for (let limit = 8; limit <= 40; limit += 0.25) {
      const lines = breakLines(mixed, limit, real);
      expect(lines.join('').replace(/ /g, '')).toBe(mixed.replace(/ /g, ''));
      for (const [i, l] of lines.entries()) {
        expect(realWidth(l), `line ${i} at ${limit} em: ${l}`).toBeLessThanOrEqual(limit + 1e-9);
        expect(CLOSING.includes(Array.from(l)[0]!), `line ${i} at ${limit} em starts with closing punctuation: ${l}`).toBe(false);
        if (i < lines.length - 1) {
          expect(OPENING.includes(Array.from(l).at(-1)!), `line ${i} at ${limit} em ends with opening punctuation: ${l}`).toBe(false);
        }
        expect(l).toBe(l.trim());
      }
      // Latin words are never cut.
      for (const w of latin) expect(lines.some((l) => l.includes(w)), `${w} whole at ${limit} em`).toBe(true);
    }
  });

  it('breaks the mixed example into whole words with the real metrics', () => {
    // 欢迎试驾 is 4 em; "Toyota" alone does not fit beside it in 5 em.
    const lines = breakLines('欢迎试驾 Toyota Camry 2026 款', 5, real);
    expect(lines).toEqual(['欢迎试驾', 'Toyota', 'Camry', '2026 款']);
    expect(breakLines('欢迎试驾 Toyota Camry 2026 款', 9, real)).toEqual(['欢迎试驾 Toyota', 'Camry 2026 款']);
  });

  it('handles characters outside the BMP as one character', () => {
    // 𠮷 (U+20BB7) is a surrogate pair in JS strings.
    expect(breakLines('𠮷野家𠮷野家', 3, real)).toEqual(['𠮷野家', '𠮷野家']);
  });
});

describe('fitText', () => {
  const ten = '一二三四五六七八九十';

  it('keeps the preferred size when the text fits', () => {
    const r = fitText(ten, { width: 100, height: 12, size: 10, minSize: 5, lineHeight: 1.2 }, syn, synWidth);
    expect(r).toEqual({ lines: [ten], size: 10, fits: true, widest: 100 });
  });

  it('shrinks from size toward minSize in 0.5 pt steps', () => {
    // One line needs 10 em ≤ width / size; two lines (size + 1.2 size) never fit 8 pt of height.
    const r = fitText(ten, { width: 50, height: 8, size: 10, minSize: 4, lineHeight: 1.2 }, syn, synWidth);
    expect(r.fits).toBe(true);
    expect(r.size).toBe(5);
    expect(r.lines).toEqual([ten]);
    expect(r.widest).toBeCloseTo(50, 9);
    // 47 pt wide: 4.7 pt would fit, but sizes go in 0.5 pt steps, so 4.5 pt.
    const r2 = fitText(ten, { width: 47, height: 8, size: 10, minSize: 4, lineHeight: 1.2 }, syn, synWidth);
    expect(r2.fits).toBe(true);
    expect(r2.size).toBe(4.5);
    expect(r2.widest).toBeCloseTo(45, 9);
  });

  it('wraps instead of shrinking when there is room for more lines', () => {
    const r = fitText(ten, { width: 50, height: 40, size: 10, minSize: 5, lineHeight: 1.2 }, syn, synWidth);
    expect(r).toMatchObject({ size: 10, fits: true, lines: ['一二三四五', '六七八九十'] });
  });

  it('reports fits=false at minSize when even minSize overflows', () => {
    const r = fitText(ten, { width: 50, height: 12, size: 10, minSize: 6, lineHeight: 1.2 }, syn, synWidth);
    expect(r.fits).toBe(false);
    expect(r.size).toBe(6);
    expect(r.lines.join('')).toBe(ten);
    // A character wider than the box at minSize: the widest line is reported.
    const r2 = fitText('一', { width: 5, height: 100, size: 10, minSize: 8, lineHeight: 1.2 }, syn, synWidth);
    expect(r2).toMatchObject({ fits: false, size: 8, lines: ['一'] });
    expect(r2.widest).toBeCloseTo(8, 9);
  });

  it('never shrinks below the size when minSize equals size', () => {
    const r = fitText(ten, { width: 50, height: 12, size: 10, minSize: 10, lineHeight: 1.2 }, syn, synWidth);
    expect(r).toMatchObject({ size: 10, fits: false });
  });

  it('respects maxLines', () => {
    const opts = { width: 30, height: 100, size: 10, minSize: 5, lineHeight: 1.2 };
    // Without a line limit the text wraps at the preferred size.
    expect(fitText('一二三四五六', opts, syn, synWidth)).toMatchObject({ size: 10, fits: true, lines: ['一二三', '四五六'] });
    // With one line allowed it shrinks until it is one line (6 em in 30 pt: 5 pt).
    expect(fitText('一二三四五六', { ...opts, maxLines: 1 }, syn, synWidth)).toMatchObject({ size: 5, fits: true, lines: ['一二三四五六'] });
    // Hard line breaks count: two paragraphs never fit one line.
    const r = fitText('一\n二', { ...opts, maxLines: 1 }, syn, synWidth);
    expect(r).toMatchObject({ size: 5, fits: false, lines: ['一', '二'] });
  });

  it('works with the real font metrics', () => {
    const text = '欢迎试驾 Toyota Camry 2026 款，到店即享专属礼遇。';
    const r = fitText(text, { width: 120, height: 30, size: 12, minSize: 6, lineHeight: 1.3 }, real, realWidth);
    expect(r.fits).toBe(true);
    expect(r.size).toBeLessThanOrEqual(12);
    expect(r.size * 2).toBe(Math.round(r.size * 2));
    expect(r.widest).toBeLessThanOrEqual(120 + 0.01);
    expect((r.lines.length - 1) * r.size * 1.3 + r.size).toBeLessThanOrEqual(30 + 0.01);
    for (const l of r.lines) expect(realWidth(l) * r.size).toBeLessThanOrEqual(r.widest + 1e-9);
    // At the next 0.5 pt step up it would not have fitted.
    if (r.size < 12) {
      const bigger = fitText(text, { width: 120, height: 30, size: r.size + 0.5, minSize: r.size + 0.5, lineHeight: 1.3 }, real, realWidth);
      expect(bigger.fits).toBe(false);
    }
  });
});
