// Every row-error reason the import writes has a Chinese wording on the
// import page: the English sentences are read from the code that writes them,
// so a new one without a translation fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reasonZh } from '../../src/web/lists';

describe('import row-error reasons in Chinese', () => {
  it('translates every fixed reason of the normalizers and the row reader', () => {
    const sources = ['src/contacts/normalize.ts', 'src/imports/rows.ts'].map((f) => readFileSync(f, 'utf8')).join('\n');
    const fixed = new Set<string>();
    for (const m of sources.matchAll(/fail\('([^']+)'\)|fail\('[a-z_]+', '([^']+)'|reason: '([^']+)'/g)) fixed.add((m[1] ?? m[2] ?? m[3])!);
    expect(fixed.size).toBeGreaterThan(25);
    const missing = [...fixed].filter((r) => reasonZh(r) === r);
    expect(missing).toEqual([]);
  });

  it('translates the reasons that carry a value, and leaves unknown ones as written', () => {
    expect(reasonZh('row has 5 fields but the header has 4')).toBe('此行有 5 列，表头有 4 列');
    expect(reasonZh('not a valid phone number for CN')).toBe('不是有效的手机号码（CN）');
    expect(reasonZh('postcode is not valid for HK')).toBe('邮编无效（HK）');
    expect(reasonZh('something new')).toBe('something new');
  });
});
