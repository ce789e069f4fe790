// Worker-thread entry: renders print files sent by ./pool.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { adoptFontBytes } from './fonts';
import { renderFile, type RenderSetup, type RenderTask } from './render';

adoptFontBytes((workerData as { fonts: Parameters<typeof adoptFontBytes>[0] }).fonts);

const setups = new Map<string, RenderSetup>();

parentPort!.on('message', async (msg: { id: number; setup?: RenderSetup; setupKey: string; task: RenderTask }) => {
  try {
    if (msg.setup) {
      setups.clear();
      setups.set(msg.setup.key, msg.setup);
    }
    const setup = setups.get(msg.setupKey);
    if (!setup) throw new Error('render setup missing');
    const result = await renderFile(setup, msg.task, (chunk) => parentPort!.postMessage({ id: msg.id, chunk }, [chunk.buffer as ArrayBuffer]));
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
  }
});
