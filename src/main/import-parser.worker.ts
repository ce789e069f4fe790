// Worker thread body for src/main/import-parser.ts.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { countFile, errorToData, parseFile, type ParseInput } from '../imports/parse';

const data = workerData as { mode: 'count' | 'batches'; path: string; input: ParseInput; skipThrough?: number; batchRows?: number };
const port = parentPort!;
const source = () => createReadStream(data.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;

async function main() {
  if (data.mode === 'count') {
    const result = await countFile(source(), data.input, (bytes) => port.postMessage({ type: 'progress', bytes }));
    port.postMessage({ type: 'counted', result });
    return;
  }
  let ask: (() => void) | undefined;
  port.on('message', () => ask?.());
  for await (const batch of parseFile(source(), data.input, data.skipThrough ?? 0, data.batchRows ?? 5000)) {
    const acked = new Promise<void>((r) => (ask = r));
    port.postMessage({ type: 'batch', batch });
    // Parse the next batch while this one is merged, but no further ahead.
    await acked;
  }
  port.postMessage({ type: 'done' });
}

main().catch((e: unknown) => port.postMessage({ type: 'error', error: errorToData(e) }));
