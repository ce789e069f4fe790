// Dispatch benchmark: N emails through the outbox to a local SMTP sink, against
// nodemailer alone sending the same N messages to the same sink with no
// database (the transport's limit); then N SMS through the outbox to a local
// Twilio-shaped server with the rate limit lifted. The dispatcher runs built
// like `npm start` (esbuild bundle, plain node, the same heap cap and malloc
// arenas) in a child process, so its peak RSS and CPU are its own; the sink and
// the Twilio-shaped server run here, in the parent.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createCampaign, launchCampaign } from '../src/campaigns/service';
import { copyRows } from '../src/db/bulk';
import { connectPostgres } from '../src/db/connect';
import { rows, type Database } from '../src/db';
import { createDealer } from '../src/dealers';
import type { Deps } from '../src/http/context';
import { systemClock } from '../src/lib/clock';
import { uuidv7 } from '../src/lib/ids';
import { JobRunner } from '../src/lib/jobs';
import { silentLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';
import { trackEmailHtml, unsubscribeUrl } from '../src/channels/links';
import type { Rule } from '../src/segments/rules';
import { createSegment } from '../src/segments/service';
import { pieceContext, recipientsByIds, runContext } from '../src/templates/context';
import { compileHtml, compileText } from '../src/templates/hbs';
import { createTemplate, getVersionById } from '../src/templates/service';
import type { EmailMessage } from '../src/channels/email';
import { benchConfig, BODY, SMTP_POOL, type ChildArgs } from './dispatch-config';
import { startSmtpSink, startTwilioSink } from './dispatch-sinks';
import { rng } from './gen';

/**
 * Dispatcher options. batch: rows claimed per tick (one UPDATE … SKIP LOCKED,
 * then two reads for the batch's contacts); large enough to amortize those and
 * the wait for the slowest delivery at the end of each tick. concurrency:
 * deliveries in flight, each a suppression read, the provider call and an
 * UPDATE: enough to keep the SMTP pool (4 connections) fed and the database
 * pool (10, as `npm start`) busy while others wait on the provider.
 */
const BATCH = Number(process.env.BENCH_DISPATCH_BATCH ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_DISPATCH_CONCURRENCY ?? 64);
const DB_MAX = 10;
/** Sends the nodemailer peer keeps in flight: more than the pool takes, so it never waits on us. */
const PEER_IN_FLIGHT = 256;

const FAMILY = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈'.split('');
const PINYIN = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu', 'guo'];
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍鹏建红梅飞鑫波宇浩凯然'.split('');
const MODELS = [
  ['一汽-大众', '迈腾'],
  ['一汽-大众', '速腾'],
  ['上汽大众', '帕萨特'],
  ['广汽丰田', '凯美瑞'],
  ['东风本田', '思域'],
  ['比亚迪', '汉 EV'],
] as const;

/** N contacts with a mobile number, an email address and one car; 2,000 suppressions of other addresses. COPY throughout. */
async function seed(db: Database, N: number): Promise<string> {
  const dealer = await createDealer(db.orm, systemClock, { name: '福州闽星汽车销售服务有限公司', country: 'CN', timezone: 'Asia/Shanghai' });
  const now = new Date();
  const rand = rng(20261125);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  for (let at = 0; at < N; at += 5000) {
    const cs: unknown[][] = [];
    const vs: unknown[][] = [];
    for (let i = at; i < Math.min(N, at + 5000); i++) {
      const id = uuidv7(now.getTime());
      const name = pick(FAMILY) + pick(GIVEN) + (rand() < 0.6 ? pick(GIVEN) : '');
      const bought = `20${String(15 + Math.floor(rand() * 10))}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-15`;
      cs.push([id, dealer.id, 'prior_owner', name, rand() < 0.5 ? 'male' : 'female', `+86138${String(i).padStart(8, '0')}`,
        `${pick(PINYIN)}.${i}@mail${i % 7}.example.cn`, 'CN', '福建省', '福州市', '鼓楼区', `五四路${1 + (i % 300)}号`, '350001',
        `hh-${i}`, bought, bought, now, now]);
      const [make, model] = pick(MODELS);
      vs.push([uuidv7(now.getTime()), dealer.id, id, `bench-${i}`, make, model, bought, now, now]);
    }
    await db.orm.transaction(async (tx) => {
      await copyRows(db, tx, 'contacts', ['id', 'dealer_id', 'kind', 'full_name', 'gender', 'phone_e164', 'email', 'country', 'province', 'city', 'district', 'street', 'postcode', 'household_key', 'first_purchase_date', 'last_purchase_date', 'created_at', 'updated_at'], cs as never);
      await copyRows(db, tx, 'vehicles', ['id', 'dealer_id', 'contact_id', 'vehicle_key', 'make', 'model', 'purchase_date', 'created_at', 'updated_at'], vs as never);
    });
  }
  // A suppression list of realistic size that names none of the recipients,
  // so every send-time check looks but every message goes.
  const sup: unknown[][] = [];
  for (let i = 0; i < 1000; i++) {
    sup.push([uuidv7(now.getTime()), dealer.id, 'sms', 'phone', `+86139${String(i).padStart(8, '0')}`, 'unsubscribed', 'bench', now]);
    sup.push([uuidv7(now.getTime()), dealer.id, 'email', 'email', `gone.${i}@mail.example.cn`, 'bounced', 'bench', now]);
  }
  await db.orm.transaction((tx) => copyRows(db, tx, 'suppressions', ['id', 'dealer_id', 'channel', 'target', 'value', 'reason', 'source', 'created_at'], sup as never));
  return dealer.id;
}

/**
 * The messages the dispatcher sends for an email campaign, rendered the way it
 * renders them (same template functions, context, tracking links, open pixel,
 * unsubscribe link and Message-ID domain), as JSON lines for the nodemailer peer.
 */
async function renderEmails(deps: Deps, dealerId: string, campaignId: string, versionId: string, file: string): Promise<number> {
  const db = deps.db.orm;
  const cfg = deps.config;
  const { body } = await getVersionById(db, dealerId, versionId);
  const e = body.email!;
  const subject = compileText(e.subject);
  const html = compileHtml(e.html);
  const text = compileText(e.text);
  const run = await runContext(db, dealerId);
  const domain = new URL(cfg.PUBLIC_BASE_URL).hostname || 'localhost';
  const out = createWriteStream(file);
  let n = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await rows<{ id: string; contact_id: string; token: string }>(
      db,
      sql`SELECT id, contact_id, token FROM outbox WHERE campaign_id = ${campaignId}::uuid AND id > ${after}::uuid ORDER BY id LIMIT 5000`,
    );
    if (batch.length === 0) break;
    const rs = new Map((await recipientsByIds(db, dealerId, batch.map((b) => b.contact_id))).map((r) => [r.id, r]));
    let chunk = '';
    for (const b of batch) {
      const r = rs.get(b.contact_id)!;
      const ctx = pieceContext(run, r, b.token, cfg.PUBLIC_BASE_URL);
      const m: EmailMessage = {
        deliveryId: b.id,
        from: cfg.EMAIL_FROM,
        to: r.email!,
        subject: subject(ctx, body.locale).replace(/[\r\n]+/g, ' '),
        html: trackEmailHtml(html(ctx, body.locale), cfg.PUBLIC_BASE_URL, cfg.LINK_SECRET, b.id),
        text: text(ctx, body.locale),
        unsubscribeUrl: unsubscribeUrl(cfg.PUBLIC_BASE_URL, cfg.LINK_SECRET, b.id),
        domain,
      };
      chunk += JSON.stringify(m) + '\n';
      n++;
    }
    if (!out.write(chunk)) await once(out, 'drain');
    after = batch[batch.length - 1]!.id;
  }
  out.end();
  await once(out, 'finish');
  return n;
}

// ── CPU accounting (clock ticks, 100 a second) ────────────────────────────────
const HZ = 100;
/** Busy CPU time of the whole machine, in seconds. */
function machineBusy(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + (f[4] ?? 0);
  return (f.reduce((a, b) => a + b, 0) - idle) / HZ;
}
interface Usage {
  wall: number;
  sink: number;
  machine: number;
}
async function measured<T>(f: () => Promise<T>): Promise<{ r: T; u: Usage }> {
  const c0 = process.cpuUsage();
  const m0 = machineBusy();
  const t0 = performance.now();
  const r = await f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { r, u: { wall, sink: (c.user + c.system) / 1e6, machine: machineBusy() - m0 } };
}

/** Run a bundled child with the flags of `npm start`; never spawnSync: the sinks answer on this event loop. */
async function runChild(script: string, args: string[]): Promise<Record<string, unknown>> {
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each child, for finding where its time goes.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn('node', ['--max-old-space-size=256', '--max-semi-space-size=4', ...prof, script, ...args], {
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/**
 * Cores busy on average (CPU seconds / wall seconds): the child and its
 * PostgreSQL backends over the child's own timed run; the sink in this process
 * and the whole machine over the child's life (a second longer: start-up); the
 * rest is anything else running, PostgreSQL's background processes included.
 */
const usageLine = (u: Usage, label: string, seconds: number, childCpu: number, pgCpu: number | null) => {
  const child = childCpu / seconds;
  const pg = pgCpu !== null ? pgCpu / seconds : 0;
  return (
    `  cores: ${label} ${child.toFixed(2)} (CPU ${childCpu.toFixed(1)} s / wall ${seconds.toFixed(1)} s)` +
    (pgCpu !== null ? `, its PostgreSQL backends ${pg.toFixed(2)}` : '') +
    `, sink ${(u.sink / u.wall).toFixed(2)}, whole machine ${(u.machine / u.wall).toFixed(2)}` +
    ` (other processes ${Math.max(0, (u.machine - u.sink) / u.wall - child - pg).toFixed(2)})`
  );
};
const perMessage = (n: number, childCpu: number, pgCpu: number | null, sinkCpu: number) =>
  `  CPU per message: ${((childCpu / n) * 1000).toFixed(2)} ms in the sender` +
  (pgCpu !== null ? ` + ${((pgCpu / n) * 1000).toFixed(2)} ms in PostgreSQL` : '') +
  ` + ${((sinkCpu / n) * 1000).toFixed(2)} ms in the sink`;

export async function dispatchBench(dbUrl: string, out: string, N: number): Promise<void> {
  console.log(`\n== dispatch: ${N.toLocaleString('en-US')} emails and ${N.toLocaleString('en-US')} SMS through the outbox ==`);
  const dir = join(out, 'dispatch');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const db = await connectPostgres(dbUrl, { max: 2 });
  const deps: Deps = { db, clock: systemClock, config: benchConfig(), logger: silentLogger, storage: new FsStorage(join(dir, 'files')), jobs: new JobRunner(silentLogger) };
  let t0 = performance.now();
  const dealerId = await seed(db, N);
  console.log(`seeded ${fmt(N)} contacts (mobile, email, one car each) with COPY in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { template, version } = await createTemplate(deps, dealerId, { name: '试驾短信与邮件', body: BODY });
  const everyone = await createSegment(deps, dealerId, { name: '全部车主', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } as Rule });
  const campaign = (channel: 'email' | 'sms') =>
    createCampaign(deps, dealerId, { name: `试驾邀请 (${channel})`, purpose: 'test_drive', segmentId: everyone.id, holdoutPct: 0, waves: [{ channel, templateId: template.id }] });
  const launch = async (id: string, channel: string) => {
    const t = performance.now();
    await launchCampaign(deps, dealerId, id);
    const s = (performance.now() - t) / 1000;
    // What autovacuum would do within its first minute after the bulk insert, done now so both runs start alike.
    await db.orm.execute(sql`ANALYZE outbox`);
    console.log(`launched the ${channel} campaign: ${fmt(N)} outbox rows in ${s.toFixed(1)} s`);
  };
  await db.orm.execute(sql`ANALYZE contacts; ANALYZE vehicles; ANALYZE suppressions`);

  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ['bench/dispatch-child.ts', 'bench/dispatch-peer.ts'],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: dir,
    entryNames: '[name]',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const smtp = await startSmtpSink();
  const twilio = await startTwilioSink();
  const child = (campaignId: string): ChildArgs => ({ dbUrl, campaignId, smtpUrl: smtp.url, twilioBase: twilio.base, batch: BATCH, concurrency: CONCURRENCY, dbMax: DB_MAX });
  console.log(`dispatcher options: batch ${BATCH}, concurrency ${CONCURRENCY}; database pool ${DB_MAX}; SMTP pool ${SMTP_POOL} connections (both runs)`);
  try {
    // ── email ──
    const ec = await campaign('email');
    await launch(ec.id, 'email');
    const mails = join(dir, 'emails.jsonl');
    t0 = performance.now();
    const rendered = await renderEmails(deps, dealerId, ec.id, version.id, mails);
    console.log(`rendered the same ${fmt(rendered)} messages for the nodemailer peer in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const e = await measured(() => runChild(join(dir, 'dispatch-child.mjs'), [JSON.stringify(child(ec.id))]));
    const er = e.r as { seconds: number; byStatus: Record<string, number>; maxRssMB: number; cpuSeconds: number; pgCpuSeconds: number | null; errors: number; firstErrors: string[]; ticks: number };
    const eSent = er.byStatus.sent ?? 0;
    const eRate = eSent / er.seconds;
    const eSink = { receipts: smtp.receipts, distinct: smtp.ids.size, bytes: smtp.bytes };
    console.log(
      `outbox → SMTP:        ${er.seconds.toFixed(1)} s  ${fmt(eRate)} messages/s  peak RSS ${Math.round(er.maxRssMB)} MB  ${JSON.stringify(er.byStatus)}  sink: ${fmt(eSink.receipts)} received, ${fmt(eSink.distinct)} distinct, ${fmt(eSink.bytes / Math.max(1, eSink.receipts))} bytes each${er.errors ? `  ${er.errors} unexpected errors, first: ${er.firstErrors[0]}` : ''}`,
    );
    console.log(usageLine(e.u, 'dispatcher', er.seconds, er.cpuSeconds, er.pgCpuSeconds));
    console.log(perMessage(Math.max(1, eSent), er.cpuSeconds, er.pgCpuSeconds, e.u.sink));

    smtp.reset();
    const p = await measured(() => runChild(join(dir, 'dispatch-peer.mjs'), [smtp.url, mails, String(PEER_IN_FLIGHT)]));
    const pr = p.r as { seconds: number; sent: number; failed: number; maxRssMB: number; cpuSeconds: number };
    const pRate = pr.sent / pr.seconds;
    console.log(
      `nodemailer alone:     ${pr.seconds.toFixed(1)} s  ${fmt(pRate)} messages/s  peak RSS ${Math.round(pr.maxRssMB)} MB  (${fmt(pr.sent)} sent, ${pr.failed} failed, ${PEER_IN_FLIGHT} in flight)  sink: ${fmt(smtp.receipts)} received, ${fmt(smtp.ids.size)} distinct`,
    );
    console.log(usageLine(p.u, 'nodemailer', pr.seconds, pr.cpuSeconds, null));
    console.log(perMessage(Math.max(1, pr.sent), pr.cpuSeconds, null, p.u.sink));
    console.log(`ratio to nodemailer alone: ${(eRate / pRate).toFixed(3)}  (target >= 0.5)`);

    // ── SMS ──
    const sc = await campaign('sms');
    await launch(sc.id, 'SMS');
    const s = await measured(() => runChild(join(dir, 'dispatch-child.mjs'), [JSON.stringify(child(sc.id))]));
    const sr = s.r as typeof er;
    const sSent = sr.byStatus.sent ?? 0;
    console.log(
      `outbox → Twilio API:  ${sr.seconds.toFixed(1)} s  ${fmt(sSent / sr.seconds)} messages/s  peak RSS ${Math.round(sr.maxRssMB)} MB  ${JSON.stringify(sr.byStatus)}  server: ${fmt(twilio.receipts)} requests, ${fmt(twilio.ids.size)} distinct${sr.errors ? `  ${sr.errors} unexpected errors, first: ${sr.firstErrors[0]}` : ''}`,
    );
    console.log(usageLine(s.u, 'dispatcher', sr.seconds, sr.cpuSeconds, sr.pgCpuSeconds));
    console.log(perMessage(Math.max(1, sSent), sr.cpuSeconds, sr.pgCpuSeconds, s.u.sink));
  } finally {
    await smtp.close();
    await twilio.close();
    await db.close();
  }
}
