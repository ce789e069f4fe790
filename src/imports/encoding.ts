// Which text encoding a list upload is in. Chinese Excel saves "CSV" as GBK
// (GB18030 is its superset); "Unicode text" exports are UTF-16LE with a BOM.

export type TextEncodingName = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

export interface Detected {
  encoding: TextEncodingName;
  /** Bytes of byte-order mark to skip. */
  bomLength: number;
}

export type Detection = { ok: true; value: Detected } | { ok: false; reason: string };

/**
 * Decide from a leading sample (the first MiB or so). `complete` says the
 * sample is the whole file, so a multi-byte sequence cut at its end is an error.
 */
export function detectEncoding(sample: Uint8Array, complete: boolean): Detection {
  if (sample.length >= 3 && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) {
    return { ok: true, value: { encoding: 'utf-8', bomLength: 3 } };
  }
  if (sample.length >= 2 && sample[0] === 0xff && sample[1] === 0xfe) return { ok: true, value: { encoding: 'utf-16le', bomLength: 2 } };
  if (sample.length >= 2 && sample[0] === 0xfe && sample[1] === 0xff) return { ok: true, value: { encoding: 'utf-16be', bomLength: 2 } };
  if (sample.includes(0)) {
    return { ok: false, reason: 'the file contains NUL bytes: it looks binary (an .xlsx?), not CSV text; save it as CSV' };
  }
  if (validUtf8(sample, complete)) return { ok: true, value: { encoding: 'utf-8', bomLength: 0 } };
  if (validGb18030(sample, complete)) return { ok: true, value: { encoding: 'gb18030', bomLength: 0 } };
  return {
    ok: false,
    reason: 'could not detect the text encoding (neither UTF-8 nor GBK/GB18030); save the file as "CSV UTF-8" or name the encoding',
  };
}

/** Strict UTF-8 check; a sequence cut at the end of an incomplete sample is allowed. */
export function validUtf8(b: Uint8Array, complete: boolean): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) (need = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (need = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (need = 3), (min = 0x10000);
    else return false;
    if (i + need >= n) {
      // Truncated at the end of the sample.
      if (complete) return false;
      for (let k = i + 1; k < n; k++) if ((b[k]! & 0xc0) !== 0x80) return false;
      return true;
    }
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** GB18030 structure: 1 byte < 0x80; 2 bytes 81–FE + 40–7E/80–FE; 4 bytes 81–FE 30–39 81–FE 30–39. */
export function validGb18030(b: Uint8Array, complete: boolean): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c === 0x80 || c === 0xff) return false;
    if (i + 1 >= n) return !complete;
    const d = b[i + 1]!;
    if ((d >= 0x40 && d <= 0x7e) || (d >= 0x80 && d <= 0xfe)) {
      i += 2;
      continue;
    }
    if (d >= 0x30 && d <= 0x39) {
      if (i + 3 >= n) return !complete;
      const e = b[i + 2]!;
      const f = b[i + 3]!;
      if (e < 0x81 || e > 0xfe || f < 0x30 || f > 0x39) return false;
      i += 4;
      continue;
    }
    return false;
  }
  return true;
}

export const ENCODING_ALIASES: Record<string, TextEncodingName> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  gb18030: 'gb18030',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
};
