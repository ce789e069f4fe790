import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import { describe, expect, it } from 'vitest';
import { fontFor } from '../../src/print/fonts';

const require = createRequire(import.meta.url);

describe('compact CFF indexes', () => {
  it('draws and subsets the same glyphs as a freshly parsed font', () => {
    const ours = fontFor('regular').font as unknown as fontkit.Font & Record<string, any>;
    const plain = fontkit.create(readFileSync(require.resolve('node-source-han-sans-sc/SourceHanSansSC-Regular.otf'))) as fontkit.Font & Record<string, any>;
    const charStrings = ours['CFF '].topDict.CharStrings;
    expect(charStrings.length).toBe(plain['CFF '].topDict.CharStrings.length);
    // The index is no longer an array of objects held on the heap.
    expect(Object.keys(charStrings)).toHaveLength(0);
    for (const ch of ['陈', '𠮷', '䶮', 'A', '，']) {
      const cp = ch.codePointAt(0)!;
      expect(ours.glyphForCodePoint(cp).path.toSVG()).toBe(plain.glyphForCodePoint(cp).path.toSVG());
    }
    const subset = (f: any) => {
      const s = f.createSubset();
      for (const ch of '陈先生您好𠮷') s.includeGlyph(f.glyphForCodePoint(ch.codePointAt(0)!));
      return Buffer.from(s.encode()).toString('base64');
    };
    expect(subset(ours)).toBe(subset(plain));
  });
});
