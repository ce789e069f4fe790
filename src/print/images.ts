// Artwork for print: PNG or JPEG in, a CMYK image out, prepared once per run
// and embedded once per print file. CMYK JPEGs pass through untouched; RGB and
// grey images are separated to CMYK (full grey-component replacement, so greys
// print on black only) and Flate-compressed; transparency becomes a soft mask.
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** Decoded size cap: a 10 MB file can still expand to gigabytes of pixels. 40 MP is A3 at 300 dpi with bleed. */
export const MAX_IMAGE_PIXELS = 40_000_000;

export class ImageError extends Error {}

export interface PreparedImage {
  width: number;
  height: number;
  /** 'dct': JPEG data as is (CMYK); 'flate': deflated 8-bit CMYK samples. */
  filter: 'dct' | 'flate';
  data: Uint8Array;
  /** Adobe CMYK JPEGs store inverted samples. */
  inverted?: boolean;
  /** Deflated 8-bit alpha, when the image has transparency. */
  alpha?: Uint8Array;
}

export function imageType(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Width, height and component count from a JPEG's frame header, and whether it has an Adobe marker. */
function jpegInfo(b: Uint8Array): { width: number; height: number; components: number; adobe: boolean } {
  let i = 2;
  if (b.length < 12) throw new ImageError('the JPEG is damaged (too short)');
  let adobe = false;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new ImageError('the JPEG is damaged (no marker where one was expected)');
    const marker = b[i + 1]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (marker === 0xee && b[i + 4] === 0x41 && b[i + 5] === 0x64) adobe = true;
    if ((marker >= 0xc0 && marker <= 0xcf) && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 10 > b.length) throw new ImageError('the JPEG is damaged (truncated frame header)');
      return { height: (b[i + 5]! << 8) | b[i + 6]!, width: (b[i + 7]! << 8) | b[i + 8]!, components: b[i + 9]!, adobe };
    }
    i += 2 + len;
  }
  throw new ImageError('the JPEG has no frame header');
}

/** Image size without decoding, for layout. */
export function imageSize(bytes: Uint8Array): { width: number; height: number; type: 'png' | 'jpeg' } {
  const type = imageType(bytes);
  if (type === 'png') {
    // Signature, then the IHDR chunk: length, "IHDR", width, height.
    if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new ImageError('the PNG is damaged (no image header)');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: view.getUint32(16), height: view.getUint32(20), type };
  }
  if (type === 'jpeg') {
    const j = jpegInfo(bytes);
    return { width: j.width, height: j.height, type };
  }
  throw new ImageError('not a PNG or JPEG image');
}

function separate(rgba: Uint8Array, width: number, height: number): { cmyk: Uint8Array; alpha?: Uint8Array } {
  const px = width * height;
  const cmyk = new Uint8Array(px * 4);
  let alpha: Uint8Array | undefined;
  for (let p = 0; p < px; p++) {
    const r = rgba[p * 4]!;
    const g = rgba[p * 4 + 1]!;
    const b = rgba[p * 4 + 2]!;
    const a = rgba[p * 4 + 3]!;
    const max = Math.max(r, g, b);
    const k = 255 - max;
    if (max > 0) {
      cmyk[p * 4] = Math.round(((max - r) * 255) / max);
      cmyk[p * 4 + 1] = Math.round(((max - g) * 255) / max);
      cmyk[p * 4 + 2] = Math.round(((max - b) * 255) / max);
    }
    cmyk[p * 4 + 3] = k;
    if (a !== 255) {
      if (!alpha) {
        alpha = new Uint8Array(px).fill(255);
      }
      alpha[p] = a;
    }
  }
  return alpha ? { cmyk, alpha } : { cmyk };
}

/** Decode and separate an image for print. Throws ImageError with a reason a user can act on. */
export function prepareImage(bytes: Uint8Array): PreparedImage {
  if (bytes.length > MAX_IMAGE_BYTES) throw new ImageError(`the image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
  const type = imageType(bytes);
  if (!type) throw new ImageError('not a PNG or JPEG image');
  const size = imageSize(bytes);
  if (size.width * size.height > MAX_IMAGE_PIXELS)
    throw new ImageError(`the image is ${size.width}×${size.height} pixels; at most ${MAX_IMAGE_PIXELS / 1_000_000} million pixels are accepted`);
  if (size.width === 0 || size.height === 0) throw new ImageError('the image has no pixels');
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (type === 'jpeg') {
      const info = jpegInfo(bytes);
      if (info.components === 4) {
        return { width: info.width, height: info.height, filter: 'dct', data: bytes, inverted: info.adobe };
      }
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 60, maxMemoryUsageInMB: 400 });
      rgba = img.data;
      width = img.width;
      height = img.height;
    } else {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      rgba = img.data;
      width = img.width;
      height = img.height;
    }
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError(`the ${type.toUpperCase()} cannot be decoded: ${(e as Error).message}`);
  }
  const { cmyk, alpha } = separate(rgba, width, height);
  return {
    width,
    height,
    filter: 'flate',
    data: deflateSync(cmyk),
    ...(alpha ? { alpha: deflateSync(alpha) } : {}),
  };
}
