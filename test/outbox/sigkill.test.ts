// Issue 4: killing the worker process (SIGKILL) at any moment and restarting
// it delivers every recipient exactly once. The dispatcher runs in a separate
// Node process (test/outbox/dispatch-child.ts) against the same database; this
// process holds a real SMTP server and the Twilio-shaped HTTP server
// (test/helpers/providers.ts), launches a campaign of 150 SMS and 150 emails,
// SIGKILLs the child again and again at random moments (seeded), then lets one
// child finish and counts what the providers received.
//
// PostgreSQL only: a second process cannot share the in-process PGlite
// database, so without TEST_DATABASE_URL this suite is reported as skipped
// (under CI=true TEST_DATABASE_URL is always set; test/helpers/db.ts insists).
//
// SIGKILL_SEED=<n> replays one sequence of kill delays; the seed is printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { BODY } from './fixtures';
import { startSmtpSink, startTwilioServer, type SmtpSink, type TwilioServer } from '../helpers/providers';

const URL_ENV = process.env.TEST_DATABASE_URL;
const AUTH = 'test-auth-token-0123456789abcdef';
const SID = 'AC00000000000000000000000000000001';
const FROM = '+15005550006';
const BASE = 'https://dm.example.cn';
const DOMAIN = 'dm.example.cn';
const OLD = new Date('2025-06-01T00:00:00Z');
/** Well before any real clock the child will see: every delivery is due at once. */
const WAVE_AT = '2025-01-01T00:00:00Z';
const CONTACTS = 150;
const KILLS = 6;
const LEASE_MS = 1500;
const CHILD = fileURLToPath(new URL('./dispatch-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.SIGKILL_SEED ?? 20260301) >>> 0;


/** mulberry32: a small seeded PRNG, so a failing sequence of kills can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The providers' maps of distinct messages, counting every receipt per delivery
 * id (and when the last one came). For reporting and for aiming kills only: the
 * assertions use the helpers' own `messages` and `receipts`.
 */
class CountingMap<V> extends Map<string, V> {
  readonly hits = new Map<string, number>();
  readonly last = new Map<string, number>();
  constructor(
    private readonly on: 'get' | 'set',
    private readonly key: (k: string) => string,
  ) {
    super();
  }
  private hit(k: string) {
    const id = this.key(k);
    this.hits.set(id, (this.hits.get(id) ?? 0) + 1);
    this.last.set(id, Date.now());
  }
  override get(k: string) {
    if (this.on === 'get') this.hit(k);
    return super.get(k);
  }
  override set(k: string, v: V) {
    if (this.on === 'set') this.hit(k);
    return super.set(k, v);
  }
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
}

describe.runIf(!!URL_ENV)(`SIGKILL of the dispatcher process on postgres${URL_ENV ? '' : ' (skipped: TEST_DATABASE_URL is not set; needs a server, not PGlite)'}`, () => {
  let t: TestApp;
  let smtp: SmtpSink;
  let tw: TwilioServer;
  let dbUrl: string;
  let dir: string;
  let campaignId: string;
  let live: Child | null = null;
  const people: { id: string; phone: string; email: string }[] = [];

  function startChild(): Child {
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        ...['--db', dbUrl, '--smtp', smtp.url, '--twilio-base', tw.base, '--sid', SID, '--auth', AUTH, '--from', FROM, '--base-url', BASE],
        ...['--lease-ms', String(LEASE_MS), '--batch', '5', '--concurrency', '4', '--poll-ms', '50', '--data-dir', dir, '--watch-parent'],
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4000)));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    live = { proc, exited, stderr: () => err };
    return live;
  }

  async function ready(c: Child): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the dispatcher process did not start in 30 s: ${c.stderr()}`)), 30_000);
      c.proc.stdout!.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.proc.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`the dispatcher process exited before it was ready (${code ?? sig}): ${c.stderr()}`));
      });
    });
  }

  async function kill(c: Child): Promise<void> {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
    if (live === c) live = null;
  }

  async function countByStatus(): Promise<Record<string, number>> {
    const r = await rows<{ status: string; n: number }>(t.deps.db.orm, sql`SELECT status, count(*)::int AS n FROM outbox WHERE campaign_id = ${campaignId}::uuid GROUP BY status`);
    return Object.fromEntries(r.map((x) => [x.status, x.n]));
  }

  /** Rows in 'sending' claimed by the process started at `since` (lease_until = claim time + lease). */
  async function claimedSince(since: number): Promise<string[]> {
    const r = await rows<{ id: string }>(
      t.deps.db.orm,
      sql`SELECT id FROM outbox WHERE campaign_id = ${campaignId}::uuid AND status = 'sending' AND lease_until > ${new Date(since + LEASE_MS).toISOString()}::timestamptz`,
    );
    return r.map((x) => x.id);
  }

  beforeAll(async () => {
    smtp = await startSmtpSink();
    tw = await startTwilioServer();
    smtp.messages = new CountingMap('set', (k) => k.replace(/^<|@.*$/g, ''));
    tw.messages = new CountingMap('get', (k) => k);
    dir = await mkdtemp(join(tmpdir(), 'dm-sigkill-'));
    t = await createTestApp('postgres', { PUBLIC_BASE_URL: BASE, TWILIO_AUTH_TOKEN: AUTH, FREQUENCY_CAP_DAYS: 0 });
    const [{ name }] = (await rows<{ name: string }>(t.deps.db.orm, sql`SELECT current_database() AS name`)) as [{ name: string }];
    const u = new URL(URL_ENV!);
    u.pathname = `/${name}`;
    dbUrl = u.toString();

    for (let i = 1; i <= CONTACTS; i++) {
      const p = { id: uuidv7(), phone: `+86139${String(i).padStart(8, '0')}`, email: `owner${i}@example.cn` };
      people.push(p);
    }
    await t.deps.db.orm.insert(contacts).values(
      people.map(
        (p, i) =>
          ({ id: p.id, dealerId: t.dealerId, kind: 'prior_owner', fullName: `车主${i + 1}`, gender: i % 2 ? 'female' : 'male', phone: p.phone, email: p.email, createdAt: OLD, updatedAt: OLD }) as typeof contacts.$inferInsert,
      ),
    );
    const tpl = await t.req('POST', '/v1/templates', { body: { name: '试驾短信与邮件', body: BODY } });
    expect(tpl.status, await tpl.clone().text()).toBe(201);
    const templateId = ((await tpl.json()) as { id: string }).id;
    const seg = await t.req('POST', '/v1/segments', { body: { name: '全部车主', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
    expect(seg.status, await seg.clone().text()).toBe(201);
    const segmentId = ((await seg.json()) as { id: string }).id;
    const c = await t.req('POST', '/v1/campaigns', {
      body: { name: '试驾邀请', purpose: 'test_drive', segmentId, waves: [{ channel: 'sms', templateId, scheduledAt: WAVE_AT }, { channel: 'email', templateId, scheduledAt: WAVE_AT }] },
    });
    expect(c.status, await c.clone().text()).toBe(201);
    campaignId = ((await c.json()) as { id: string }).id;
    const l = await t.req('POST', `/v1/campaigns/${campaignId}/launch`);
    expect(l.status, await l.clone().text()).toBe(200);
  });

  afterAll(async () => {
    if (live) await kill(live);
    await t?.close();
    await smtp?.close();
    await tw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers every recipient exactly once across repeated SIGKILLs and restarts', { timeout: 120_000 }, async () => {
    const started = Date.now();
    // Launched with the test's fixed clock; the child uses the wall clock: everything must be due and running.
    const [due] = (await rows<{ n: number; late: number }>(
      t.deps.db.orm,
      sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE next_attempt_at <= now())::int AS late FROM outbox o JOIN campaigns c ON c.id = o.campaign_id
          WHERE o.campaign_id = ${campaignId}::uuid AND o.status = 'pending' AND c.status = 'running'`,
    )) as [{ n: number; late: number }];
    expect(due).toEqual({ n: 2 * CONTACTS, late: 2 * CONTACTS });

    const rand = prng(SEED);
    const kills: { startMs: number; delayMs: number; claimed: number; receivedUnrecorded: number; before: Record<string, number> }[] = [];
    for (let k = 0; k < KILLS; k++) {
      const before = await countByStatus();
      if (!before.pending && !before.sending) break; // nothing left to interrupt
      const since = Date.now();
      const child = startChild();
      await ready(child);
      const startMs = Date.now() - since;
      const delayMs = 100 + Math.floor(rand() * 500);
      await sleep(delayMs);
      // Aim: first try to land between a provider's receipt and the row being marked sent (the
      // case the delivery id exists for), then settle for any row this process holds in 'sending'.
      const aimUntil = Date.now() + 1000;
      const giveUp = Date.now() + 8000;
      let claimed: string[] = [];
      let receivedUnrecorded = 0;
      for (;;) {
        claimed = await claimedSince(since);
        const sms = tw.messages as CountingMap<unknown>;
        const mail = smtp.messages as CountingMap<unknown>;
        receivedUnrecorded = claimed.filter((id) => (sms.last.get(id) ?? 0) > since || (mail.last.get(id) ?? 0) > since).length;
        if (receivedUnrecorded > 0) break;
        if (claimed.length > 0 && Date.now() > aimUntil) break;
        if (Date.now() > giveUp) break;
        const now = await countByStatus();
        if (!now.pending && !now.sending) break;
      }
      await kill(child);
      kills.push({ startMs, delayMs, claimed: claimed.length, receivedUnrecorded, before });
    }

    // One more run, left alone until nothing of the campaign is pending or sending.
    const finalAt = Date.now();
    const last = startChild();
    await ready(last);
    const deadline = Date.now() + 60_000;
    let left = await countByStatus();
    while ((left.pending || left.sending) && Date.now() < deadline) {
      await sleep(100);
      left = await countByStatus();
    }
    const finalMs = Date.now() - finalAt;
    await kill(last);
    // Nothing went wrong in the last run (Node's own "(node:…) Warning" lines aside).
    expect(last.stderr().split('\n').filter((l) => l.trim() && !/^\(node:\d+\)|--trace-warnings/.test(l))).toEqual([]);

    const d = await rows<{ id: string; contact_id: string; channel: string; status: string; attempts: number; provider_ref: string | null; address: string | null }>(
      t.deps.db.orm,
      sql`SELECT id, contact_id, channel, status, attempts, provider_ref, address FROM outbox WHERE campaign_id = ${campaignId}::uuid`,
    );
    const sms = tw.messages as CountingMap<unknown>;
    const mail = smtp.messages as CountingMap<unknown>;
    const retried = (m: CountingMap<unknown>) => [...m.hits.values()].filter((n) => n > 1).length;
    const report = {
      seed: SEED,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      kills: kills.map((x) => `ready in ${x.startMs} ms, killed ${x.delayMs}+ ms later: ${x.before.sent ?? 0} sent before, ${x.claimed} claimed, ${x.receivedUnrecorded} received but unrecorded`),
      finalRunMs: finalMs,
      sms: { receipts: tw.receipts, distinct: tw.messages.size, idsReceivedTwiceOrMore: retried(sms) },
      email: { receipts: smtp.receipts, distinct: smtp.messages.size, idsReceivedTwiceOrMore: retried(mail) },
      maxAttempts: Math.max(...d.map((x) => x.attempts)),
      statuses: left,
    };
    console.log('sigkill test:', JSON.stringify(report, null, 2));

    // Nothing is left behind, and every delivery was sent.
    expect(left).toEqual({ sent: 2 * CONTACTS });
    expect(d).toHaveLength(2 * CONTACTS);
    const sentSms = d.filter((x) => x.channel === 'sms' && x.status === 'sent');
    const sentMail = d.filter((x) => x.channel === 'email' && x.status === 'sent');
    expect(sentSms).toHaveLength(CONTACTS);
    expect(sentMail).toHaveLength(CONTACTS);

    // The providers got as many distinct messages as there are sent rows, one per delivery id…
    expect(tw.messages.size).toBe(sentSms.length);
    expect(smtp.messages.size).toBe(sentMail.length);
    expect(new Set(tw.messages.keys())).toEqual(new Set(sentSms.map((x) => x.id)));
    expect(new Set(smtp.messages.keys())).toEqual(new Set(sentMail.map((x) => `<${x.id}@${DOMAIN}>`)));
    // …and each recipient exactly one, on the row recorded for that recipient.
    const smsTo = new Map<string, string[]>();
    for (const [id, m] of tw.messages) smsTo.set(m.to, [...(smsTo.get(m.to) ?? []), id]);
    const mailTo = new Map<string, string[]>();
    for (const [id, m] of smtp.messages) for (const to of m.to) mailTo.set(to, [...(mailTo.get(to) ?? []), id]);
    for (const p of people) {
      const rs = sentSms.find((x) => x.contact_id === p.id)!;
      const rm = sentMail.find((x) => x.contact_id === p.id)!;
      expect(smsTo.get(p.phone), p.phone).toEqual([rs.id]);
      expect(mailTo.get(p.email), p.email).toEqual([`<${rm.id}@${DOMAIN}>`]);
      expect(rs).toMatchObject({ address: p.phone, provider_ref: tw.messages.get(rs.id)!.sid });
      expect(rm).toMatchObject({ address: p.email, provider_ref: `<${rm.id}@${DOMAIN}>` });
    }

    // The test proved something: kills hit rows in flight, and retries after them reached the
    // providers with the same delivery id (more receipts than distinct messages).
    expect(kills.filter((x) => x.claimed > 0).length).toBeGreaterThanOrEqual(1);
    expect(tw.receipts + smtp.receipts).toBeGreaterThan(tw.messages.size + smtp.messages.size);
    // A crash is not a provider failure: rows taken over from a killed process keep their attempt count.
    expect(report.maxAttempts).toBe(1);
  });
});
