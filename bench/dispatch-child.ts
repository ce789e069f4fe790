// One dispatcher in its own process, so its peak RSS and CPU are its own (the
// SMTP sink and the Twilio-shaped server run in the parent). argv: one JSON
// ChildArgs. Runs the Dispatcher until the campaign has no pending or sending
// rows, then prints one JSON line: seconds, counts by status, peak RSS (VmHWM),
// CPU seconds (its own and its PostgreSQL backends'), and the unexpected
// errors the dispatcher logged.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { smtpEmail } from '../src/channels/email';
import { twilioSms } from '../src/channels/sms';
import { rows } from '../src/db';
import { connectPostgres } from '../src/db/connect';
import type { Deps } from '../src/http/context';
import { systemClock } from '../src/lib/clock';
import { JobRunner } from '../src/lib/jobs';
import { createLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';
import { Dispatcher } from '../src/outbox/dispatcher';
import { benchConfig, SMTP_POOL, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, type ChildArgs } from './dispatch-config';

const a = JSON.parse(process.argv[2]!) as ChildArgs;
let errors = 0;
const firstErrors: string[] = [];
const logger = createLogger(process.env.BENCH_LOG ? 'debug' : 'warn', {}, (line) => {
  if (process.env.BENCH_LOG) process.stderr.write(line + '\n');
  if (/"level":"error"/.test(line) && ++errors <= 5) firstErrors.push(line);
});
const db = await connectPostgres(a.dbUrl, { max: a.dbMax });
const config = benchConfig({ SMTP_URL: a.smtpUrl, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM, TWILIO_API_BASE: a.twilioBase });
const deps: Deps = { db, clock: systemClock, config, logger, storage: new FsStorage(join(tmpdir(), 'dm-bench-dispatch')), jobs: new JobRunner(logger) };
const email = smtpEmail(a.smtpUrl, { maxConnections: SMTP_POOL });
const sms = twilioSms({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: TWILIO_FROM, apiBase: a.twilioBase });
const dispatcher = new Dispatcher(deps, { email, sms }, { batch: a.batch, concurrency: a.concurrency });

const unfinished = async () =>
  (
    await rows<{ n: number }>(
      db.orm,
      sql`SELECT count(*)::int AS n FROM outbox WHERE campaign_id = ${a.campaignId}::uuid AND status IN ('pending', 'sending')`,
    )
  )[0]!.n;

/**
 * CPU seconds used so far by each PostgreSQL backend serving this database
 * (the dispatcher's pool; the parent's idle connection adds nothing), read
 * from /proc: the server's share of the work, apart from anything else it
 * serves. Null when the server's processes are not visible here.
 */
async function backendCpu(): Promise<Map<number, number> | null> {
  const pids = await rows<{ pid: number }>(db.orm, sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`);
  const m = new Map<number, number>();
  for (const { pid } of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(pid, (Number(f[11]) + Number(f[12])) / 100); // utime + stime, in clock ticks of 1/100 s
    } catch {
      return null;
    }
  }
  return m;
}

const pg0 = await backendCpu();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// The dispatcher as the service runs it (start(): its lanes claim and send
// concurrently); done when the campaign has nothing pending or sending.
dispatcher.start(50);
let idleSince: number | null = null;
let last = -1;
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const left = await unfinished();
  if (left === 0) break;
  // Rows leased or due later (retries): wait, but not forever.
  if (left !== last) idleSince = null;
  last = left;
  idleSince ??= performance.now();
  if (performance.now() - idleSince > 30_000) break;
}
await dispatcher.stop();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const pg1 = await backendCpu();
const pgCpuSeconds = pg0 && pg1 ? [...pg1].reduce((n, [pid, s]) => n + s - (pg0.get(pid) ?? 0), 0) : null;
const byStatus = Object.fromEntries(
  (await rows<{ status: string; n: number }>(db.orm, sql`SELECT status, count(*)::int AS n FROM outbox WHERE campaign_id = ${a.campaignId}::uuid GROUP BY 1 ORDER BY 1`)).map((r) => [
    r.status,
    r.n,
  ]),
);
await email.close();
await db.close();
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
process.stdout.write(
  JSON.stringify({ seconds, byStatus, maxRssMB: hwm, cpuSeconds: (cpu.user + cpu.system) / 1e6, pgCpuSeconds, errors, firstErrors }) + '\n',
);
