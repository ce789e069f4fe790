// Print files are CPU-bound (layout, PDF writing, compression): render them in
// worker threads, one file per worker at a time, so every core is used while
// the main thread reads the database and stores files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sharedFontBytes } from './fonts';
import type { Sink } from './pdf';
import { renderFile, type RenderResult, type RenderSetup, type RenderTask } from './render';

export interface Renderer {
  readonly size: number;
  /** Render one file; its bytes go to `sink` in order as they are produced. */
  render(setup: RenderSetup, task: RenderTask, sink: Sink): Promise<RenderResult>;
  close(): Promise<void>;
}

/** Renders in the calling thread (proofs, tests, runtimes without threads). */
export function inlineRenderer(): Renderer {
  return { size: 1, render: (setup, task, sink) => renderFile(setup, task, sink), close: async () => {} };
}

// Workers run plain JavaScript. Loading the TypeScript source through tsx in
// every worker cost about 72 MB per idle worker here (a loader thread and a
// compiler each) against about 43 MB for the bundle. A built service has the worker bundle beside it (npm run build); from
// source (tests, tsx) the worker module is bundled once with esbuild (the
// compiler tsx itself uses) into a plain ES module placed where its
// dependencies resolve.
const require = createRequire(import.meta.url);
let bundled: Promise<URL> | null = null;

function workerModule(): Promise<URL> {
  // A built service (npm start) ships the worker bundle next to itself.
  const prebuilt = new URL('./worker.mjs', import.meta.url);
  if (import.meta.url.endsWith('.mjs') && existsSync(fileURLToPath(prebuilt))) return Promise.resolve(prebuilt);
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.contents;
    const dir = join(dirname(require.resolve('pdf-lib/package.json')), '..', '.cache', 'dealer-mail');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `print-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    if (!existsSync(file)) writeFileSync(file, code);
    return pathToFileURL(file);
  })();
  return bundled;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  setupKey: string | null;
  pending: Map<number, { resolve: (r: RenderResult) => void; reject: (e: Error) => void; sink: Sink }>;
}

/** A pool of `size` worker threads (default: one per core). */
export function workerRenderer(size = Math.max(1, availableParallelism())): Renderer {
  const waiting: (() => void)[] = [];
  let nextId = 1;
  let closing = false;
  const spawn = (url: URL, fonts: Record<string, Uint8Array>, slot: Slot): void => {
    const worker = new Worker(url, {
      workerData: { fonts },
      // A bounded heap makes the collector keep up with a large file.
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 4 },
    });
    slot.worker = worker;
    slot.setupKey = null;
    worker.on('message', (msg: { id: number; chunk?: Uint8Array; result?: RenderResult; error?: string }) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      if (msg.chunk) {
        p.sink(msg.chunk);
        return;
      }
      slot.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result!);
    });
    const fail = (e: Error): void => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('error', fail);
    // A worker that dies (out of memory, a crash) fails its file and is replaced.
    worker.on('exit', (code) => {
      fail(new Error(`print worker stopped (exit code ${code})`));
      if (!closing && slot.worker === worker) spawn(url, fonts, slot);
    });
  };
  const slots: Promise<Slot[]> = workerModule().then((url) => {
    const fonts = sharedFontBytes();
    return Array.from({ length: size }, () => {
      const slot = { busy: false, setupKey: null, pending: new Map() } as unknown as Slot;
      spawn(url, fonts, slot);
      return slot;
    });
  });
  const acquire = async (): Promise<Slot> => {
    const all = await slots;
    for (;;) {
      const free = all.find((s) => !s.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  return {
    size,
    async render(setup, task, sink) {
      const slot = await acquire();
      try {
        const id = nextId++;
        const sendSetup = slot.setupKey !== setup.key;
        slot.setupKey = setup.key;
        return await new Promise<RenderResult>((resolve, reject) => {
          slot.pending.set(id, { resolve, reject, sink });
          slot.worker.postMessage({ id, setupKey: setup.key, task, ...(sendSetup ? { setup } : {}) });
        });
      } finally {
        slot.busy = false;
        waiting.shift()?.();
      }
    },
    async close() {
      closing = true;
      const all = await slots;
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}
