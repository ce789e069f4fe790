// Node entry: PGlite (./data) or PostgreSQL (DATABASE_URL), files on disk,
// background jobs in-process. `npm start` runs this.
import { serve } from '@hono/node-server';
import { writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { connectPglite, connectPostgres, migrate } from '../db/connect';
import { dealers } from '../db/schema';
import { createDealer, issueApiToken } from '../dealers';
import type { Deps } from '../http/context';
import { resumeImports } from '../imports/service';
import { channelsFromConfig, Dispatcher } from '../outbox/dispatcher';
import { workerRenderer } from '../print/pool';
import { resumePrintRuns } from '../print/runs';
import { CampaignClock } from '../campaigns/scheduler';
import { systemClock } from '../lib/clock';
import { JobRunner } from '../lib/jobs';
import { createLogger } from '../lib/log';
import { FsStorage } from './fs-storage';

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, { svc: 'dealer-mail' });
  const dataDir = resolve(config.DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const db = config.DATABASE_URL ? await connectPostgres(config.DATABASE_URL) : await connectPglite(join(dataDir, 'pglite'));
  logger.info('database', { kind: db.kind, where: db.kind === 'pglite' ? join(dataDir, 'pglite') : 'DATABASE_URL' });
  await migrate(db);

  const storage = new FsStorage(join(dataDir, 'files'));
  const deps: Deps = {
    db,
    clock: systemClock,
    config,
    logger,
    storage,
    jobs: new JobRunner(logger),
    printRenderer: workerRenderer(),
  };
  // One set of providers for the dispatcher and for messages sent from requests (booking confirmations).
  deps.channels = channelsFromConfig(config, logger);
  await bootstrap(deps, dataDir);
  const app = createApp(deps);
  const resumed = await resumeImports(deps);
  if (resumed) logger.info('resuming unfinished imports', { count: resumed });
  const runs = await resumePrintRuns(deps);
  if (runs) logger.info('resuming unfinished print runs', { count: runs });
  const dispatcher = new Dispatcher(deps, deps.channels);
  dispatcher.start();
  // Scheduled waves, print waves coming due, campaigns completing.
  const campaignClock = new CampaignClock(deps);
  campaignClock.start();

  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info('listening', { url: `http://localhost:${info.port}` });
  });
  const stop = async (sig: string) => {
    logger.info('stopping', { signal: sig });
    server.close();
    await campaignClock.stop();
    await dispatcher.stop();
    await deps.printRenderer?.close();
    await db.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** A fresh database gets a first dealer and an admin API token, written to a file (never logged). */
async function bootstrap(deps: Deps, dataDir: string) {
  const existing = await deps.db.orm.select({ id: dealers.id }).from(dealers).limit(1);
  if (existing.length) return;
  const dealer = await createDealer(deps.db.orm, deps.clock, { name: 'My Dealership', country: 'CN', timezone: 'Asia/Shanghai' });
  const { token } = await issueApiToken(deps.db.orm, deps.clock, dealer.id, 'admin', 'bootstrap');
  const file = join(dataDir, 'admin-token.txt');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  deps.logger.info('created the first dealer; its admin API token is in the file named here', { dealer: dealer.id, tokenFile: file });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
