import { hash2x32 } from '../lib/hash';

// A Bloom filter over identity keys (phones, emails, name+household, VINs).
// It answers "certainly never seen" for most rows of a fresh list, so only the
// rows that might match a known contact cost a database lookup. ~1% false
// positives at 10 bits per key; memory stays a few MB per million keys.

export class Bloom {
  private bits: Uint32Array;
  private m: number;
  private readonly k = 7;

  constructor(expectedKeys: number) {
    const m = Math.max(1 << 16, Math.ceil(expectedKeys * 10));
    this.m = m;
    this.bits = new Uint32Array(Math.ceil(m / 32));
  }

  add(s: string): void {
    const [a, h2] = hash2x32(s);
    const b = h2 | 1;
    for (let i = 0; i < this.k; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const j = bit % this.m;
      this.bits[j >>> 5]! |= 1 << (j & 31);
    }
  }

  has(s: string): boolean {
    const [a, h2] = hash2x32(s);
    const b = h2 | 1;
    for (let i = 0; i < this.k; i++) {
      const j = ((a + Math.imul(i, b)) >>> 0) % this.m;
      if ((this.bits[j >>> 5]! & (1 << (j & 31))) === 0) return false;
    }
    return true;
  }
}
