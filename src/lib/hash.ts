// Fast non-cryptographic string hashing (cyrb53-style): household ids and the
// import's Bloom filter. Never for secrets or tokens.

/** Two well-mixed 32-bit hashes of a string. */
export function hash2x32(s: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

/** 64 bits as 16 hex characters. */
export function hash64(s: string): string {
  const [h1, h2] = hash2x32(s);
  return h2.toString(16).padStart(8, '0') + h1.toString(16).padStart(8, '0');
}
