import { describe, expect, it } from 'vitest';
import { Bloom } from '../../src/imports/bloom';
import { hash64 } from '../../src/lib/hash';

describe('Bloom filter over identity keys', () => {
  it('never forgets a key it was given, and rarely claims one it was not', () => {
    const b = new Bloom(50_000);
    for (let i = 0; i < 50_000; i++) b.add(`p:+86138${String(i).padStart(8, '0')}`);
    for (let i = 0; i < 50_000; i++) expect(b.has(`p:+86138${String(i).padStart(8, '0')}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 50_000; i++) if (b.has(`p:+86139${String(i).padStart(8, '0')}`)) falsePositives++;
    // 10 bits and 7 probes per key: about 1% in theory.
    expect(falsePositives / 50_000).toBeLessThan(0.02);
  });
});

describe('hash64 (household ids)', () => {
  it('is stable, 16 hex characters, and tells near-identical addresses apart', () => {
    expect(hash64('cn|福建省|福州市|鼓楼区|五四路123号')).toBe(hash64('cn|福建省|福州市|鼓楼区|五四路123号'));
    expect(hash64('cn|福建省|福州市|鼓楼区|五四路123号')).toMatch(/^[0-9a-f]{16}$/);
    expect(hash64('cn|福建省|福州市|鼓楼区|五四路123号')).not.toBe(hash64('cn|福建省|福州市|鼓楼区|五四路124号'));
  });
});
