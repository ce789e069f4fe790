// One HTTP server in its own process for the scan benchmark. argv: "app"
// <database url> (the service as `npm start` builds it, on PostgreSQL),
// "bare" (a Hono app with one route returning "ok": the limit of Hono on
// node-server on this machine), or "floor" / "floor-behind" <database url>:
// a Hono app with one route GET /r/:token that does nothing but the scan's
// write through the service's recording function (ResponseBatcher) and the
// redirect, no middleware; "floor" answers after the write (as the service
// does), "floor-behind" answers first and writes after. The floors are what
// any handler that records each scan in this database can reach here.
// Prints "listening <port>" when ready.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createApp } from '../src/app';
import { testConfig } from '../src/config';
import { connectPostgres } from '../src/db/connect';
import type { Deps } from '../src/http/context';
import { systemClock } from '../src/lib/clock';
import { parseResponseCode } from '../src/lib/ids';
import { JobRunner } from '../src/lib/jobs';
import { createLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';
import { ResponseBatcher } from '../src/responses/record';

const [mode, dbUrl] = process.argv.slice(2);
let fetch: (req: Request, env?: unknown) => Response | Promise<Response>;
if (mode === 'bare') {
  const bare = new Hono();
  bare.get('/ok', (c) => c.text('ok'));
  fetch = bare.fetch;
} else if (mode === 'floor' || mode === 'floor-behind') {
  const db = await connectPostgres(dbUrl!);
  const batcher = new ResponseBatcher(db.orm, systemClock);
  const behind = mode === 'floor-behind';
  const floor = new Hono();
  floor.get('/r/:token', async (c) => {
    const token = parseResponseCode(c.req.param('token'));
    if (!token) return c.text('not found', 404);
    const written = batcher.record({ kind: 'scan', source: { token }, data: { userAgent: c.req.header('user-agent') ?? null }, durable: false });
    if (behind) written.catch(() => {});
    else if (!(await written)) return c.text('not found', 404);
    return c.body(null, 302, { Location: `/l/${token}` });
  });
  fetch = floor.fetch;
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
