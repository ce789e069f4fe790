// Scan benchmark: GET /r/:token (look the token up among 1,000,000 issued
// piece tokens, record the scan, redirect) under load from wrk, a separate
// process on 127.0.0.1, against the service on PostgreSQL; in the same run a
// bare Hono route returning "ok" on the same server stack, as the limit, and
// two floors: a route doing nothing but the scan's write (the service's
// recording function, same database) and the redirect, answering after the
// write and before it. Then bookings: 1,000 concurrent attempts across 100
// slots, with the count of seats taken checked against capacity afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { testConfig } from '../src/config';
import { connectPostgres } from '../src/db/connect';
import { rows } from '../src/db';
import { createDealer } from '../src/dealers';
import type { Deps } from '../src/http/context';
import { addDays, putCalendar } from '../src/landing/calendar';
import { bookTestDrive } from '../src/landing/booking';
import { localDate, systemClock } from '../src/lib/clock';
import { JobRunner } from '../src/lib/jobs';
import { randomToken, uuidv7 } from '../src/lib/ids';
import { silentLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: string | null;
}

function parseMs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(url: string, script: string | null, seconds: number, connections: number): WrkResult {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
  const r = spawnSync('wrk', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = parseMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = parseMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const errs = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx or 3xx responses: \d+/.exec(out)?.[0]].filter(Boolean).join('; ');
  return { rps, p50, p99, requests, errors: errs || null };
}

const TICK = 100; // USER_HZ
/** CPU seconds of a process (user + system), from /proc. */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}
/** CPU seconds of every PostgreSQL process visible here (the server's share of the work). */
function pgCpu(): number {
  let sum = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') sum += cpuOf(Number(d));
    } catch {
      /* gone */
    }
  }
  return sum;
}
/** Busy CPU seconds of the whole machine. */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / TICK;
}

/** wrk against a server, with the CPU the server, PostgreSQL and the machine spent meanwhile. */
function measuredWrk(pid: number, url: string, script: string | null, seconds: number, connections: number) {
  const c0 = cpuOf(pid);
  const p0 = pgCpu();
  const m0 = machineBusy();
  const r = wrk(url, script, seconds, connections);
  const cpu = { server: cpuOf(pid) - c0, pg: pgCpu() - p0, machine: machineBusy() - m0 };
  const per = (x: number) => ((x / r.requests) * 1e6).toFixed(0);
  const line = `  CPU: server ${(cpu.server / seconds).toFixed(2)} cores (${per(cpu.server)} µs/request), PostgreSQL ${(cpu.pg / seconds).toFixed(2)} cores (${per(cpu.pg)} µs/request), whole machine ${(cpu.machine / seconds).toFixed(2)} of 2 cores`;
  return { ...r, line };
}

async function startServer(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('node', ['--max-old-space-size=256', '--max-semi-space-size=4', script, ...args], {
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /listening (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { child, port };
}

async function stop(child: ChildProcess) {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** A dealer, a mailed print run of a campaign, and `n` rendered pieces with known tokens (hex: a subset of Crockford base32). */
async function seed(dbUrl: string, n: number) {
  const db = await connectPostgres(dbUrl, { max: 2 });
  const now = new Date();
  const dealer = await createDealer(db.orm, systemClock, { name: '基准汽车4S店' });
  const tpl = uuidv7();
  const version = uuidv7();
  const campaign = uuidv7();
  const wave = uuidv7();
  const run = uuidv7();
  await db.orm.execute(sql`INSERT INTO templates (id, dealer_id, name, purpose, locale, latest_version, created_at, updated_at)
    VALUES (${tpl}::uuid, ${dealer.id}::uuid, '试驾邀请', 'test_drive', 'zh-CN', 1, now(), now())`);
  await db.orm.execute(sql`INSERT INTO template_versions (id, dealer_id, template_id, version, body, created_at) VALUES (${version}::uuid, ${dealer.id}::uuid, ${tpl}::uuid, 1, '{}'::jsonb, now())`);
  await db.orm.execute(sql`INSERT INTO campaigns (id, dealer_id, name, purpose, status, seed, created_at, updated_at, launched_at)
    VALUES (${campaign}::uuid, ${dealer.id}::uuid, '春季试驾', 'test_drive', 'running', 's', now(), now(), now())`);
  await db.orm.execute(sql`INSERT INTO waves (id, dealer_id, campaign_id, seq, channel, template_version_id, scheduled_at, status, created_at)
    VALUES (${wave}::uuid, ${dealer.id}::uuid, ${campaign}::uuid, 1, 'mail', ${version}::uuid, now(), 'printing', now())`);
  await db.orm.execute(sql`INSERT INTO print_runs (id, dealer_id, template_version_id, status, options, campaign_id, wave_id, job_status, mailed_on, created_at)
    VALUES (${run}::uuid, ${dealer.id}::uuid, ${version}::uuid, 'completed', '{}'::jsonb, ${campaign}::uuid, ${wave}::uuid, 'mailed', current_date, now())`);
  const t0 = performance.now();
  await db.orm.execute(sql`INSERT INTO pieces (id, dealer_id, print_run_id, contact_id, token, seq, status, created_at)
    SELECT gen_random_uuid(), ${dealer.id}::uuid, ${run}::uuid, gen_random_uuid(), upper(substr(md5('scan' || i), 1, 16)), i, 'rendered', ${now.toISOString()}::timestamptz
    FROM generate_series(1, ${n}) i`);
  await db.orm.execute(sql`ANALYZE pieces; ANALYZE print_runs`);
  console.log(`issued ${fmt(n)} piece tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const sample = await rows<{ token: string }>(db.orm, sql`SELECT token FROM pieces TABLESAMPLE SYSTEM (20) LIMIT 100000`);
  await db.close();
  return { dealerId: dealer.id, tokens: sample.map((r) => r.token) };
}

async function bookingBench(dbUrl: string, dealerId: string, tokens: string[]) {
  const ATTEMPTS = 1000;
  const CAPACITY = 5;
  console.log(`\n== bookings: ${fmt(ATTEMPTS)} concurrent attempts across 100 slots of ${CAPACITY} seats (the service's booking function, pool of 10) ==`);
  const db = await connectPostgres(dbUrl);
  const deps: Deps = { db, clock: systemClock, config: testConfig(), logger: silentLogger, storage: new FsStorage('bench/out/scan-files'), jobs: new JobRunner(silentLogger) };
  // Ten slots a day (09:00–19:00) on each of the next ten days: 100 slots.
  await putCalendar(db.orm, systemClock, dealerId, {
    slotMinutes: 60,
    capacity: CAPACITY,
    hours: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [['09:00', '19:00']] as [string, string][]])),
    closedDates: [],
    models: [],
    daysAhead: 14,
  });
  const today = localDate(new Date(), 'Asia/Shanghai');
  const slots = Array.from({ length: 100 }, (_, i) => ({ date: addDays(today, 1 + Math.floor(i / 10)), time: `${String(9 + (i % 10)).padStart(2, '0')}:00` }));
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: ATTEMPTS }, (_, i) => {
      const s = slots[i % slots.length]!;
      return bookTestDrive(deps, tokens[i]!, { nonce: randomToken(16), date: s.date, time: s.time, model: '', name: '客户', phone: `+86139${String(i).padStart(8, '0')}`, locale: 'zh-CN' });
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  const booked = outcomes.filter((o) => o.ok).length;
  const full = outcomes.filter((o) => !o.ok && o.problem === 'full').length;
  const other = ATTEMPTS - booked - full;
  const [check] = await rows<{ over: number; seats: number; bookings: number; worst: number }>(
    db.orm,
    sql`SELECT (SELECT count(*)::int FROM booking_slots WHERE booked > capacity) AS over,
               (SELECT coalesce(sum(booked), 0)::int FROM booking_slots) AS seats,
               (SELECT count(*)::int FROM bookings WHERE status = 'booked') AS bookings,
               (SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM bookings GROUP BY slot_id) x) AS worst`,
  );
  console.log(`attempts: ${fmt(ATTEMPTS / sec)}/s (${sec.toFixed(2)} s); booked ${booked} (${fmt(booked / sec)} bookings/s), "slot full" ${full}, other ${other}`);
  console.log(`overbooked slots: ${check!.over}; seats taken ${check!.seats} = bookings ${check!.bookings}; most bookings in one slot ${check!.worst} (capacity ${CAPACITY})`);
  await db.close();
}

export async function scanBench(dbUrl: string, out: string, n: number, seconds: number, connections: number) {
  console.log(`machine load before the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores, shared)`);
  console.log(`\n== scans: GET /r/:token against PostgreSQL with ${fmt(n)} issued tokens; wrk -t1 -c${connections} -d${seconds}s from another process ==`);
  if (spawnSync('wrk', ['--version']).error) throw new Error('the scan benchmark needs wrk (apt-get install wrk)');
  const dir = join(out, 'scan');
  await mkdir(dir, { recursive: true });
  const { dealerId, tokens } = await seed(dbUrl, n);
  const tokenFile = join(dir, 'tokens.txt');
  writeFileSync(tokenFile, tokens.join('\n') + '\n');
  const lua = join(dir, 'scan.lua');
  writeFileSync(
    lua,
    `local tokens = {}
for line in io.lines("${tokenFile}") do tokens[#tokens + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/r/" .. tokens[math.random(#tokens)])
end
`,
  );
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ['bench/scan-server.ts'],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: dir,
    entryNames: '[name]',
    outExtension: { '.js': '.mjs' },
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    logLevel: 'warning',
  });
  const script = join(dir, 'scan-server.mjs');

  const bare = await startServer(script, ['bare']);
  wrk(`http://127.0.0.1:${bare.port}/ok`, null, 3, connections); // warm-up
  const b = measuredWrk(bare.child.pid!, `http://127.0.0.1:${bare.port}/ok`, null, seconds, connections);
  await stop(bare.child);
  console.log(`bare Hono route "ok":  ${fmt(b.rps)} req/s  p50 ${b.p50.toFixed(2)} ms  p99 ${b.p99.toFixed(2)} ms${b.errors ? `  (${b.errors})` : ''}`);
  console.log(b.line);

  /** GET /r/:token under wrk against a server mode; the scans it recorded, from the database. */
  const scans = async (mode: string) => {
    const db = await connectPostgres(dbUrl, { max: 1 });
    const count = async () => (await rows<{ n: number }>(db.orm, sql`SELECT count(*)::int AS n FROM responses WHERE kind = 'scan'`))[0]!.n;
    const before = await count();
    const srv = await startServer(script, [mode, dbUrl]);
    wrk(`http://127.0.0.1:${srv.port}/`, lua, 3, connections); // warm-up: JIT, prepared statements, pool
    const r = measuredWrk(srv.child.pid!, `http://127.0.0.1:${srv.port}/`, lua, seconds, connections);
    await stop(srv.child);
    const recorded = (await count()) - before;
    await db.close();
    return { ...r, recorded };
  };
  const s = await scans('app');
  console.log(`GET /r/:token (302):   ${fmt(s.rps)} req/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms${s.errors ? `  (${s.errors})` : ''}`);
  console.log(s.line);
  console.log(`scans recorded: ${fmt(s.recorded)} (warm-up included)`);
  console.log(`ratio to the bare route: ${(s.rps / b.rps).toFixed(3)}  (targets: >= 5,000 req/s, p99 < 25 ms, ratio >= 0.3)`);

  // The floors: one route doing nothing but the scan's write and the
  // redirect (no middleware, no rate limit, no request id or log line), on
  // the same database; "behind" answers before the write. What the service
  // could reach at best with this database on this machine.
  for (const [mode, label] of [
    ['floor', 'floor: write, then answer'],
    ['floor-behind', 'floor: answer, then write'],
  ] as const) {
    const f = await scans(mode);
    console.log(`${label}:  ${fmt(f.rps)} req/s  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms, scans recorded ${fmt(f.recorded)}, ratio to the bare route ${(f.rps / b.rps).toFixed(3)}${f.errors ? `  (${f.errors})` : ''}`);
    console.log(f.line);
  }

  await bookingBench(dbUrl, dealerId, tokens);
}
