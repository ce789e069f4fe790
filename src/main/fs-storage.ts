// Storage on the local filesystem (Node). Keys map to files under a root folder.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { TooLarge, type Storage, type StoredObject } from '../lib/storage';

export class FsStorage implements Storage {
  private root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(key: string): string {
    const p = resolve(join(this.root, key));
    if (!p.startsWith(this.root + sep)) throw new Error('storage key escapes the root');
    return p;
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, opts: { maxBytes?: number } = {}): Promise<StoredObject> {
    const path = this.localPath(key);
    await mkdir(dirname(path), { recursive: true });
    const hash = createHash('sha256');
    const out = createWriteStream(path);
    // Failures surface through the write callbacks; an unheard 'error' event would end the process.
    out.on('error', () => {});
    let bytes = 0;
    const max = opts.maxBytes ?? Infinity;
    const write = (chunk: Uint8Array) =>
      new Promise<void>((res, rej) => {
        out.write(chunk, (err) => (err ? rej(err) : res()));
      });
    try {
      if (body instanceof Uint8Array) {
        if (body.byteLength > max) throw new TooLarge(max);
        hash.update(body);
        bytes = body.byteLength;
        await write(body);
      } else {
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          if (bytes > max) {
            await reader.cancel().catch(() => {});
            throw new TooLarge(max);
          }
          hash.update(value);
          await write(value);
        }
      }
      await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
    } catch (e) {
      out.destroy();
      await rm(path, { force: true });
      throw e;
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  async get(key: string): Promise<ReadableStream<Uint8Array>> {
    return Readable.toWeb(createReadStream(this.localPath(key), { highWaterMark: 256 * 1024 })) as ReadableStream<Uint8Array>;
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }
}
