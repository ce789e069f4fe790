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

  private static h(s: string): [number, number] {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    return [h1 >>> 0, (h2 >>> 0) | 1];
  }

  add(s: string): void {
    const [a, b] = Bloom.h(s);
    for (let i = 0; i < this.k; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const j = bit % this.m;
      this.bits[j >>> 5]! |= 1 << (j & 31);
    }
  }

  has(s: string): boolean {
    const [a, b] = Bloom.h(s);
    for (let i = 0; i < this.k; i++) {
      const j = ((a + Math.imul(i, b)) >>> 0) % this.m;
      if ((this.bits[j >>> 5]! & (1 << (j & 31))) === 0) return false;
    }
    return true;
  }
}
