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
