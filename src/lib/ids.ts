// Identifiers and secrets. Web Crypto only, so the core runs on Workers too.

const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// Ids and tokens are minted by the million (imports) and on every request
// (request ids, scans): one getRandomValues call per 4 KiB instead of one per
// value. Each pooled byte is handed out once.
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function pooled(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const b = pool.slice(poolAt, poolAt + n);
  poolAt += n;
  return b;
}

export function randomBytes(n: number): Uint8Array {
  if (n <= 256) return pooled(n);
  const b = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(b.subarray(at, Math.min(n, at + 65536)));
  return b;
}

/** The last id's time and random bits (RFC 9562 §6.2, monotonic random). */
let lastMs = -1;
const last = new Uint8Array(16);
/** An id's 74 random bits as a counter, least significant first: [byte, bits of it] (rand_b, then rand_a). */
const RANDOM_DIGITS: readonly (readonly [number, number])[] = [[15, 8], [14, 8], [13, 8], [12, 8], [11, 8], [10, 8], [9, 8], [8, 6], [7, 8], [6, 4]];

/**
 * UUIDv7 (RFC 9562): time-ordered, so bulk inserts append to the B-tree and
 * ids sort by creation, which cursor pagination and "newest first" lists rely
 * on. Within one millisecond (or if the clock steps back) an id keeps the
 * last id's time and adds a random increment of 1–65,536 to its 74 random
 * bits, so ids made by this process always ascend.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const r = pooled(16);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    last.set(r);
  } else {
    let carry = 1 + r[15]! + (r[14]! << 8);
    for (const [i, bits] of RANDOM_DIGITS) {
      if (!carry) break;
      const mask = (1 << bits) - 1;
      const v = (last[i]! & mask) + carry;
      last[i] = v & mask;
      carry = v >>> bits;
    }
    // 74 bits used up within one millisecond: the next millisecond, fresh bits.
    if (carry) {
      lastMs++;
      last.set(r);
    }
  }
  let ms = lastMs;
  let time = '';
  for (let i = 5; i >= 0; i--) {
    time = hex[ms % 256]! + time;
    ms = Math.floor(ms / 256);
  }
  return (
    time.slice(0, 8) + '-' + time.slice(8) + '-' +
    hex[(last[6]! & 0x0f) | 0x70]! + hex[last[7]!]! + '-' +
    hex[(last[8]! & 0x3f) | 0x80]! + hex[last[9]!]! + '-' +
    hex[last[10]!]! + hex[last[11]!]! + hex[last[12]!]! + hex[last[13]!]! + hex[last[14]!]! + hex[last[15]!]!
  );
}

export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const x of bytes) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unguessable token: 256 random bits unless told otherwise. */
export function randomToken(bytes = 32): string {
  return base64url(randomBytes(bytes));
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const buf = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', buf as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (x) => hex[x]).join('');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID_RE.test(s);

// Tracking tokens: what a piece's QR code, short URL and printed response code
// carry. 80 random bits in Crockford base32 (no I, L, O or U), so staff can type
// the printed code back without ambiguity.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 16 characters, 80 random bits. */
export function trackingToken(): string {
  const b = randomBytes(10);
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
  }
  return out;
}

/** The token as printed: XXXX-XXXX-XXXX-XXXX. */
export function responseCode(token: string): string {
  return token.replace(/(.{4})(?=.)/g, '$1-');
}

/** A typed or scanned response code back to its token; null when it cannot be one. */
export function parseResponseCode(input: string): string | null {
  const s = input
    .toUpperCase()
    .replace(/[\s\-–—_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(s) ? s : null;
}
