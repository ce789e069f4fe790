// Runs one import in its own process so its peak RSS is its own.
// argv: databaseUrl csvPath
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createApp } from '../src/app';
import { testConfig } from '../src/config';
import { connectPostgres } from '../src/db/connect';
import { createDealer } from '../src/dealers';
import type { Deps } from '../src/http/context';
import { createImport, storeUpload, getImport } from '../src/imports/service';
import { systemClock } from '../src/lib/clock';
import { JobRunner } from '../src/lib/jobs';
import { silentLogger, createLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';

const [url, csvPath, dataDir] = process.argv.slice(2) as [string, string, string];
const db = await connectPostgres(url, { max: 4 });
const logger = process.env.BENCH_LOG ? createLogger('debug') : silentLogger;
const storage = new FsStorage(dataDir);
const deps: Deps = {
  db,
  clock: systemClock,
  config: testConfig({ DATA_DIR: dataDir, IMPORT_MAX_BYTES: 2 * 1024 ** 3 }),
  logger,
  storage,
  jobs: new JobRunner(logger),
};
createApp(deps);
const dealer = await createDealer(db.orm, systemClock, { name: 'bench' });
const t0 = performance.now();
const upload = await storeUpload(deps, dealer.id, Readable.toWeb(createReadStream(csvPath)) as ReadableStream<Uint8Array>);
const row = await createImport(deps, dealer.id, upload, {});
await deps.jobs.idle();
const seconds = (performance.now() - t0) / 1000;
const done = await getImport(deps, dealer.id, row.id);
await db.close();
process.stdout.write(
  JSON.stringify({
    dealerId: dealer.id,
    status: done.status,
    error: done.error,
    rows: done.rowsTotal,
    accepted: done.rowsAccepted,
    rejected: done.rowsRejected,
    created: done.contactsCreated,
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
