// Blob storage port: uploaded lists, error reports, and later print files.
// Node keeps them on disk (src/main/fs-storage.ts); Workers would use R2.

export interface StoredObject {
  bytes: number;
  sha256: string;
}

export interface Storage {
  /** Store a stream; aborts with `TooLarge` once more than maxBytes arrive. */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, opts?: { maxBytes?: number }): Promise<StoredObject>;
  get(key: string): Promise<ReadableStream<Uint8Array>>;
  delete(key: string): Promise<void>;
}

export class TooLarge extends Error {
  constructor(readonly limit: number) {
    super(`object larger than ${limit} bytes`);
  }
}

/** Read a whole stored object (artwork, small files). */
export async function readBytes(storage: Storage, key: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = (await storage.get(key)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
