// One HTTP server in its own process for the scan benchmark. argv: "app"
// <database url> (the service as `npm start` builds it, on PostgreSQL) or
// "bare" (a Hono app with one route returning "ok": the limit of Hono on
// node-server on this machine). Prints "listening <port>" when ready.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from '../src/app';
import { testConfig } from '../src/config';
import { connectPostgres } from '../src/db/connect';
import type { Deps } from '../src/http/context';
import { systemClock } from '../src/lib/clock';
import { JobRunner } from '../src/lib/jobs';
import { createLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';

const [mode, dbUrl] = process.argv.slice(2);
let fetch: (req: Request, env?: unknown) => Response | Promise<Response>;
if (mode === 'bare') {
  const bare = new Hono();
  bare.get('/ok', (c) => c.text('ok'));
  fetch = bare.fetch;
} else {
  const logger = createLogger((process.env.BENCH_LOG_LEVEL as 'warn') ?? 'warn', { svc: 'bench' }, (line) => process.stderr.write(line + '\n'));
  // The pool of `npm start` (10 connections).
  const db = await connectPostgres(dbUrl!);
  const deps: Deps = {
    db,
    clock: systemClock,
    // One client (the load generator) makes every request: the per-client limit is raised, not removed, so its bookkeeping is measured.
    config: testConfig({ DATABASE_URL: dbUrl, PUBLIC_RATE_PER_MIN: 1_000_000_000, PUBLIC_BASE_URL: 'http://127.0.0.1' }),
    logger,
    storage: new FsStorage('bench/out/scan-files'),
    jobs: new JobRunner(logger),
  };
  fetch = createApp(deps).fetch;
}
const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
