// Parse list files on a worker thread, so normalizing the next batch uses the
// second core while this thread and the database merge the current one.
import { Worker } from 'node:worker_threads';
import { errorFromData, type CountResult, type ImportParser, type ParseInput, type ParsedBatch } from '../imports/parse';

const BOOT = new URL('./ts-worker.mjs', import.meta.url);
const ENTRY = new URL('./import-parser.worker.ts', import.meta.url).href;

type FromWorker =
  | { type: 'progress'; bytes: number }
  | { type: 'counted'; result: CountResult }
  | { type: 'batch'; batch: ParsedBatch }
  | { type: 'done' }
  | { type: 'error'; error: Parameters<typeof errorFromData>[0] };

function start(data: object): Worker {
  // Parsing holds one batch at a time; a small heap keeps the process's memory flat.
  return new Worker(BOOT, { workerData: { entry: ENTRY, ...data }, resourceLimits: { maxOldGenerationSizeMb: 96 } });
}

export function workerParser(localPath: (fileKey: string) => string): ImportParser {
  return {
    count(fileKey, input, onBytes) {
      return new Promise<CountResult>((resolve, reject) => {
        const w = start({ mode: 'count', path: localPath(fileKey), input });
        w.on('message', (m: FromWorker) => {
          if (m.type === 'progress') onBytes(m.bytes);
          else if (m.type === 'counted') resolve(m.result);
          else if (m.type === 'error') reject(errorFromData(m.error));
        });
        w.on('error', reject);
        w.on('exit', () => reject(new Error('parser worker exited')));
      });
    },
    batches(fileKey: string, input: ParseInput, skipThrough: number, batchRows: number): AsyncIterable<ParsedBatch> {
      return {
        [Symbol.asyncIterator]() {
          const w = start({ mode: 'batches', path: localPath(fileKey), input, skipThrough, batchRows });
          // The worker stays one batch ahead: it sends a batch, then waits for 'next'.
          const queue: FromWorker[] = [];
          let wake: (() => void) | undefined;
          let failure: Error | undefined;
          w.on('message', (m: FromWorker) => {
            queue.push(m);
            wake?.();
          });
          w.on('error', (e) => {
            failure = e;
            wake?.();
          });
          return {
            async next(): Promise<IteratorResult<ParsedBatch>> {
              for (;;) {
                const m = queue.shift();
                if (m?.type === 'batch') {
                  w.postMessage('next');
                  return { done: false, value: m.batch };
                }
                if (m?.type === 'done') {
                  await w.terminate();
                  return { done: true, value: undefined };
                }
                if (m?.type === 'error') {
                  await w.terminate();
                  throw errorFromData(m.error);
                }
                if (failure) throw failure;
                if (!m) await new Promise<void>((r) => (wake = r));
              }
            },
            async return(): Promise<IteratorResult<ParsedBatch>> {
              await w.terminate();
              return { done: true, value: undefined };
            },
          };
        },
      };
    },
  };
}
