// The dispatcher: claims due deliveries, checks them at send time (consent,
// suppression, the wave's condition, frequency cap, quiet hours; one query per
// check for the whole claimed batch), renders each message, hands it to the
// channel with its delivery id, and records what happened (one statement per
// group of outcomes). A recipient the wave's channel cannot reach falls back to
// the wave's next channel. One bad recipient fails with its reason; the rest go on.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { fileEmail, smtpEmail, type EmailProvider } from '../channels/email';
import { fileSms, notQuiet, parseQuietHours, smsSegments, smsText, twilioSms, type SmsProvider } from '../channels/sms';
import { trackEmailHtml, unsubscribeUrl } from '../channels/links';
import { ChannelError } from '../channels/types';
import { blockedSends, suppress } from '../contacts/suppression';
import { getDealer } from '../dealers';
import type { Deps } from '../http/context';
import { errorField } from '../lib/log';
import { RateLimiter } from '../lib/ratelimit';
import type { RunContext } from '../print/compose';
import { compileHtml, compileText, type Render } from '../templates/hbs';
import { pieceContext, recipientsByIds, runContext, type RecipientRow } from '../templates/context';
import type { TemplateBody } from '../templates/layout';
import { getVersionById } from '../templates/service';
import { ANSWERED_KINDS } from '../campaigns/waves';
import { addDeliveries, claimDue, extendLease, recentlySent, recordOutcomes, type NewDelivery, type Outcome, type OutboxRow } from './outbox';

export interface Channels {
  email: EmailProvider;
  sms: SmsProvider;
}

export interface DispatcherOptions {
  batch: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  /** Batches in progress at once in start(): one lane claims and checks while another sends its batch's tail. */
  lanes: number;
}

const DEFAULTS: DispatcherOptions = { batch: 200, concurrency: 16, leaseMs: 120_000, maxAttempts: 5, lanes: 2 };

/** Outcomes are written in groups of this many (and at the end of every batch). */
const OUTCOME_GROUP = 50;
/** How stale a campaign's status may be when a message is about to go: pause and cancel act within this. */
const STATUS_TTL_MS = 1000;

interface WaveInfo {
  campaignId: string;
  condition: string;
  /** The wave's channel, then its fallback channels, in order. */
  channels: string[];
}

interface Extra {
  sms_consent: string | null;
  email_consent: string | null;
  household_key: string | null;
}

/** A delivery the checks let through, or what became of it instead (and whether to try the next channel). */
type Verdict = { go: true } | { go: false; outcome: Outcome; fallback?: boolean };


interface Compiled {
  body: TemplateBody;
  sms?: Render;
  email?: { subject: Render; html: Render; text: Render };
}

/** Backoff after a transient failure: 1, 4, 16, 64 … minutes. */
export function backoffMs(attempts: number): number {
  return 60_000 * 4 ** Math.max(0, attempts - 1);
}

export class Dispatcher {
  private readonly opts: DispatcherOptions;
  private readonly templates = new Map<string, Compiled>();
  private readonly dealers = new Map<string, { run: RunContext; timeZone: string }>();
  private readonly waveInfo = new Map<string, WaveInfo>();
  private statuses = new Map<string, string>();
  private statusesAt = 0;
  private statusRead: Promise<void> | null = null;
  /** dealer:contact:channel of messages being sent by any lane of this dispatcher. */
  private readonly inFlight = new Set<string>();
  private stopped = false;
  /** Per sender: the configured SMS rate (messages per second). */
  private readonly smsRate: RateLimiter;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly deps: Deps,
    private readonly channels: Channels,
    opts: Partial<DispatcherOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.smsRate = new RateLimiter(deps.config.SMS_RATE_PER_SEC);
  }

  /** Claim and process one batch; the number of deliveries claimed. */
  async tick(): Promise<number> {
    const now = this.deps.clock.now();
    const claimId = randomUUID();
    const claimed = await claimDue(this.deps.db.orm, now, this.opts.batch, this.opts.leaseMs, claimId);
    if (claimed.length === 0) return 0;
    // The lease is renewed while the batch is at work, so that neither another
    // lane nor another process takes over rows still being sent.
    const renewal = this.renewLease(claimed.map((r) => r.id), claimId);
    try {
      return await this.process(claimed, now);
    } finally {
      await renewal.stop();
    }
  }

  /** Renews the claim's lease every third of it until stopped; stop() also waits for a renewal under way (nothing outlives the tick). */
  private renewLease(ids: string[], claimId: string): { stop(): Promise<void> } {
    let running: Promise<void> | null = null;
    const timer = setInterval(() => {
      running ??= extendLease(this.deps.db.orm, ids, claimId, new Date(this.deps.clock.now().getTime() + this.opts.leaseMs))
        .catch((e: unknown) => this.deps.logger.warn('renewing a delivery lease failed', { deliveries: ids.length, err: errorField(e) }))
        .finally(() => (running = null));
    }, Math.max(20, Math.floor(this.opts.leaseMs / 3)));
    timer.unref?.();
    return {
      async stop() {
        clearInterval(timer);
        await running;
      },
    };
  }

  private async process(claimed: OutboxRow[], now: Date): Promise<number> {
    await this.loadWaves(claimed);
    await this.refreshStatuses(claimed, true);
    const byDealer = new Map<string, OutboxRow[]>();
    for (const r of claimed) byDealer.set(r.dealer_id, [...(byDealer.get(r.dealer_id) ?? []), r]);
    const pending: Outcome[] = [];
    const fallbacks: OutboxRow[] = [];
    // (contact, channel) pairs this batch is sending to: held until its outcomes are written, so the frequency cap sees them.
    const pairs: string[] = [];
    let writing: Promise<void> = Promise.resolve();
    // Outcomes go out in groups, one write at a time, in the order produced.
    const flush = () => {
      const group = pending.splice(0);
      const next = fallbacks.splice(0);
      writing = writing
        .then(async () => {
          await this.insertFallbacks(next);
          await recordOutcomes(this.deps.db.orm, group);
        })
        // Rows whose outcome was not written stay claimed until their lease runs out, then are tried again.
        .catch((e: unknown) => this.deps.logger.error('recording delivery outcomes failed', { deliveries: group.length, err: errorField(e) }));
      return writing;
    };
    const record = (row: OutboxRow, outcome: Outcome, fallback = false) => {
      if (fallback) fallbacks.push(row);
      pending.push(outcome);
      if (pending.length >= OUTCOME_GROUP) void flush();
    };
    try {
      for (const [dealerId, list] of byDealer) {
        const db = this.deps.db.orm;
        const ids = [...new Set(list.map((r) => r.contact_id))];
        const recipients = new Map((await recipientsByIds(db, dealerId, ids)).map((r) => [r.id, r]));
        const extra = new Map(
          (
            await rows<Extra & { id: string }>(
              db,
              sql`SELECT id, sms_consent, email_consent, household_key FROM contacts WHERE dealer_id = ${dealerId}::uuid AND id = ANY(${sql.param(ids)}::uuid[])`,
            )
          ).map((r) => [r.id, r]),
        );
        const verdicts = await this.check(dealerId, list, recipients, extra, now, pairs);
        const go: OutboxRow[] = [];
        for (const row of list) {
          const v = verdicts.get(row.id)!;
          if (v.go) go.push(row);
          else record(row, v.outcome, v.fallback);
        }
        let next = 0;
        const worker = async () => {
          while (next < go.length) {
            const row = go[next++]!;
            try {
              const r = await this.deliver(row, recipients.get(row.contact_id)!);
              record(row, r.outcome, r.fallback);
            } catch (e) {
              // A bug or an outage on our side: the lease runs out and the row is tried again.
              this.deps.logger.error('delivery failed unexpectedly', { deliveryId: row.id, err: errorField(e) });
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, go.length) }, worker));
      }
      await flush();
    } finally {
      for (const p of pairs) this.inFlight.delete(p);
    }
    return claimed.length;
  }

  /** Process until nothing is due (tests, benchmarks). */
  async drain(): Promise<void> {
    while ((await this.tick()) > 0) {
      /* keep going */
    }
  }

  start(pollMs = 1000): void {
    this.stopped = false;
    const lane = async () => {
      while (!this.stopped) {
        let n = 0;
        try {
          n = await this.tick();
        } catch (e) {
          this.deps.logger.error('dispatcher tick failed', { err: errorField(e) });
        }
        if (n === 0 && !this.stopped) await new Promise((r) => setTimeout(r, pollMs));
      }
    };
    this.loop ??= Promise.all(Array.from({ length: this.opts.lanes }, lane)).then(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.loop = null;
  }

  /** Waves do not change after launch: their condition and channels are read once. */
  private async loadWaves(claimed: OutboxRow[]): Promise<void> {
    const missing = [...new Set(claimed.map((r) => r.wave_id))].filter((id) => !this.waveInfo.has(id));
    if (missing.length === 0) return;
    if (this.waveInfo.size > 10_000) this.waveInfo.clear();
    const found = await rows<{ id: string; campaign_id: string; channel: string; condition: string; fallback: string[] }>(
      this.deps.db.orm,
      sql`SELECT id, campaign_id, channel, condition, fallback FROM waves WHERE id = ANY(${sql.param(missing)}::uuid[])`,
    );
    for (const w of found) this.waveInfo.set(w.id, { campaignId: w.campaign_id, condition: w.condition, channels: [w.channel, ...(w.fallback ?? [])] });
  }

  /** Campaign statuses, re-read when older than STATUS_TTL_MS (or now, when `force`); concurrent callers share one read. */
  private refreshStatuses(claimed: readonly { campaign_id: string }[], force = false): Promise<void> {
    const at = performance.now();
    const known = claimed.every((r) => this.statuses.has(r.campaign_id));
    if (!force && known && at - this.statusesAt < STATUS_TTL_MS) return Promise.resolve();
    this.statusRead ??= (async () => {
      try {
        const ids = [...new Set([...claimed.map((r) => r.campaign_id), ...this.statuses.keys()])];
        const found = await rows<{ id: string; status: string }>(this.deps.db.orm, sql`SELECT id, status FROM campaigns WHERE id = ANY(${sql.param(ids)}::uuid[])`);
        this.statuses = new Map(found.map((c) => [c.id, c.status]));
        this.statusesAt = at;
      } finally {
        this.statusRead = null;
      }
    })();
    return this.statusRead;
  }

  /** A paused or cancelled campaign's claimed rows go back (or are skipped) instead of being sent. */
  private async stillRunning(row: OutboxRow): Promise<Outcome | null> {
    await this.refreshStatuses([row]);
    const status = this.statuses.get(row.campaign_id);
    if (status === 'running') return null;
    if (status === 'cancelled') return { claim: row, status: 'skipped', reason: 'campaign cancelled' };
    return { claim: row, status: 'pending', at: this.deps.clock.now(), reason: `campaign ${status ?? 'gone'}`, countAttempt: false };
  }

  /** The send-time checks for one dealer's part of a batch, each one query for all of it. */
  private async check(dealerId: string, list: OutboxRow[], recipients: Map<string, RecipientRow>, extra: Map<string, Extra>, now: Date, mine: string[]): Promise<Map<string, Verdict>> {
    const db = this.deps.db.orm;
    const cfg = this.deps.config;
    const out = new Map<string, Verdict>();
    const stop = (row: OutboxRow, outcome: Outcome, fallback = false) => out.set(row.id, { go: false, outcome, fallback });
    const open: OutboxRow[] = [];
    for (const row of list) {
      const r = recipients.get(row.contact_id);
      const x = extra.get(row.contact_id);
      if (!r || !x) stop(row, { claim: row, status: 'skipped', reason: 'the contact no longer exists' });
      else if (row.channel === 'mail') stop(row, { claim: row, status: 'skipped', reason: 'printed pieces go through print runs' });
      else if (!(row.channel === 'sms' ? r.phone_e164 : r.email))
        stop(row, { claim: row, status: 'failed', reason: row.channel === 'sms' ? 'no mobile number' : 'no email address' }, true);
      else if ((row.channel === 'sms' ? x.sms_consent : x.email_consent) === 'revoked')
        stop(row, { claim: row, status: 'suppressed', reason: `${row.channel} consent revoked` }, true);
      else open.push(row);
    }
    const blocked = await blockedSends(
      db,
      dealerId,
      open.map((row) => {
        const r = recipients.get(row.contact_id)!;
        return { key: row.id, channel: row.channel as 'sms' | 'email', contactId: r.id, phone: r.phone_e164, email: r.email, householdKey: extra.get(r.id)!.household_key };
      }),
    );
    const answered = await this.answered(open.filter((row) => this.waveInfo.get(row.wave_id)?.condition === 'not_responded'));
    const capped =
      cfg.FREQUENCY_CAP_DAYS > 0
        ? await recentlySent(db, dealerId, open.map((row) => ({ id: row.id, contactId: row.contact_id, channel: row.channel })), new Date(now.getTime() - cfg.FREQUENCY_CAP_DAYS * 86_400_000))
        : new Set<string>();
    const dealer = await this.dealer(dealerId);
    const quietUntil = notQuiet(now, dealer.timeZone, parseQuietHours(cfg.SMS_QUIET_HOURS));
    for (const row of open) {
      const reason = blocked.get(row.id);
      const pair = `${row.dealer_id}:${row.contact_id}:${row.channel}`;
      if (reason) stop(row, { claim: row, status: 'suppressed', reason: `suppressed: ${reason}` }, true);
      else if (answered.has(`${row.campaign_id}:${row.contact_id}`)) stop(row, { claim: row, status: 'skipped', reason: 'already responded to the campaign' });
      else if (capped.has(row.id)) stop(row, { claim: row, status: 'skipped', reason: `frequency cap: another ${row.channel} within ${cfg.FREQUENCY_CAP_DAYS} days` });
      // Two messages for one contact and channel at once (two campaigns): the first goes, the other waits and is checked again.
      else if (this.inFlight.has(pair)) stop(row, { claim: row, status: 'pending', at: new Date(now.getTime() + 60_000), reason: 'another message to this contact is being sent', countAttempt: false });
      else if (row.channel === 'sms' && quietUntil.getTime() > now.getTime()) stop(row, { claim: row, status: 'pending', at: quietUntil, reason: 'held for quiet hours', countAttempt: false });
      else {
        this.inFlight.add(pair);
        mine.push(pair);
        out.set(row.id, { go: true });
      }
    }
    return out;
  }

  /** `campaign:contact` of these rows' recipients who have answered their campaign. */
  private async answered(list: OutboxRow[]): Promise<Set<string>> {
    if (list.length === 0) return new Set();
    const found = await rows<{ campaign_id: string; contact_id: string }>(
      this.deps.db.orm,
      sql`SELECT DISTINCT campaign_id, contact_id FROM responses
          WHERE dealer_id = ${list[0]!.dealer_id}::uuid AND campaign_id = ANY(${sql.param([...new Set(list.map((r) => r.campaign_id))])}::uuid[])
            AND contact_id = ANY(${sql.param(list.map((r) => r.contact_id))}::uuid[]) AND kind = ANY(${sql.param([...ANSWERED_KINDS])}::text[])`,
    );
    return new Set(found.map((r) => `${r.campaign_id}:${r.contact_id}`));
  }

  /** The next channel of the wave for each row that could not be reached on its own. */
  private async insertFallbacks(list: OutboxRow[]): Promise<void> {
    const now = this.deps.clock.now();
    const next: NewDelivery[] = [];
    for (const row of list) {
      const channels = this.waveInfo.get(row.wave_id)?.channels ?? [];
      const at = channels.indexOf(row.channel);
      const channel = at >= 0 ? channels[at + 1] : undefined;
      if (!channel) continue;
      next.push({ dealerId: row.dealer_id, campaignId: row.campaign_id, waveId: row.wave_id, contactId: row.contact_id, channel, templateVersionId: row.template_version_id, variant: row.variant, dueAt: now });
    }
    await addDeliveries(this.deps.db.orm, now, next);
  }

  private async template(versionId: string, dealerId: string): Promise<Compiled> {
    let t = this.templates.get(versionId);
    if (!t) {
      const { body } = await getVersionById(this.deps.db.orm, dealerId, versionId);
      t = { body };
      if (body.sms) t.sms = compileText(body.sms.text);
      if (body.email) t.email = { subject: compileText(body.email.subject), html: compileHtml(body.email.html), text: compileText(body.email.text) };
      this.templates.set(versionId, t);
    }
    return t;
  }

  private async dealer(dealerId: string) {
    let d = this.dealers.get(dealerId);
    if (!d) {
      const dealer = await getDealer(this.deps.db.orm, dealerId);
      d = { run: await runContext(this.deps.db.orm, dealerId), timeZone: dealer?.timezone ?? 'Asia/Shanghai' };
      this.dealers.set(dealerId, d);
    }
    return d;
  }

  /** Render and send one checked delivery; what became of it. */
  private async deliver(row: OutboxRow, r: RecipientRow): Promise<{ outcome: Outcome; fallback?: boolean }> {
    const cfg = this.deps.config;
    const now = this.deps.clock.now();
    const fail = (status: 'failed' | 'suppressed', reason: string, fallback = false) => ({ outcome: { claim: row, status, reason } as Outcome, fallback });
    const address = (row.channel === 'sms' ? r.phone_e164 : r.email)!;
    const dealer = await this.dealer(row.dealer_id);
    let t: Compiled;
    try {
      t = await this.template(row.template_version_id, row.dealer_id);
    } catch (e) {
      return fail('failed', `template unavailable: ${(e as Error).message}`);
    }
    const ctx = pieceContext(dealer.run, r, row.token, cfg.PUBLIC_BASE_URL);
    try {
      if (row.channel === 'sms') {
        if (!t.sms) return fail('failed', 'the template has no SMS text', true);
        const body = smsText(t.sms(ctx, t.body.locale), { dealerName: dealer.run.dealer.name, locale: t.body.locale, optOutZh: cfg.SMS_OPT_OUT_ZH, optOutEn: cfg.SMS_OPT_OUT_EN });
        await this.smsRate.take();
        const held = await this.stillRunning(row);
        if (held) return { outcome: held };
        const res = await this.channels.sms.send({
          deliveryId: row.id,
          to: address,
          body,
          statusCallback: `${cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}/webhooks/twilio/status?d=${row.id}`,
        });
        return { outcome: { claim: row, status: 'sent', at: this.deps.clock.now(), providerRef: res.providerRef, address, segments: smsSegments(body).segments } };
      }
      if (!t.email) return fail('failed', 'the template has no email', true);
      const domain = new URL(cfg.PUBLIC_BASE_URL).hostname || 'localhost';
      const message = {
        deliveryId: row.id,
        from: cfg.EMAIL_FROM,
        to: address,
        subject: t.email.subject(ctx, t.body.locale).replace(/[\r\n]+/g, ' '),
        html: trackEmailHtml(t.email.html(ctx, t.body.locale), cfg.PUBLIC_BASE_URL, cfg.LINK_SECRET, row.id),
        text: t.email.text(ctx, t.body.locale),
        unsubscribeUrl: unsubscribeUrl(cfg.PUBLIC_BASE_URL, cfg.LINK_SECRET, row.id),
        domain,
      };
      const held = await this.stillRunning(row);
      if (held) return { outcome: held };
      const res = await this.channels.email.send(message);
      return { outcome: { claim: row, status: 'sent', at: this.deps.clock.now(), providerRef: res.providerRef, address, segments: null } };
    } catch (e) {
      if (!(e instanceof ChannelError)) {
        // Rendering failed for this recipient (a helper threw): this one fails, the rest go on.
        return fail('failed', `could not render the message: ${(e as Error).message}`);
      }
      if (e.kind === 'opted_out') {
        await suppress(this.deps.db.orm, this.deps.clock, row.dealer_id, { channel: 'sms', target: 'phone', value: address, reason: 'unsubscribed', source: 'provider' });
        return fail('suppressed', e.message, true);
      }
      if (e.kind === 'permanent') return fail('failed', e.message, true);
      if (row.attempts >= this.opts.maxAttempts) return fail('failed', `${e.message}; gave up after ${row.attempts} attempts`);
      const delay = e.kind === 'rate_limited' ? 30_000 : backoffMs(row.attempts);
      return { outcome: { claim: row, status: 'pending', at: new Date(now.getTime() + delay), reason: e.message, countAttempt: true } };
    }
  }
}

/** The channels the configuration names; files under OUTBOX_DIR when a provider is not configured. */
export function channelsFromConfig(cfg: Deps['config'], logger: Deps['logger']): Channels {
  const dir = cfg.OUTBOX_DIR;
  const sms =
    cfg.TWILIO_ACCOUNT_SID && cfg.TWILIO_AUTH_TOKEN && cfg.TWILIO_FROM
      ? twilioSms({ accountSid: cfg.TWILIO_ACCOUNT_SID, authToken: cfg.TWILIO_AUTH_TOKEN, from: cfg.TWILIO_FROM, ...(cfg.TWILIO_API_BASE ? { apiBase: cfg.TWILIO_API_BASE } : {}) })
      : fileSms(dir);
  const email = cfg.SMTP_URL ? smtpEmail(cfg.SMTP_URL, { ratePerSecond: cfg.EMAIL_RATE_PER_SEC || undefined }) : fileEmail(dir);
  if (sms.name === 'file') logger.warn('no SMS provider configured (TWILIO_*): SMS are written to a file and nothing leaves this machine', { file: `${dir}/sms.jsonl` });
  if (email.name === 'file') logger.warn('no SMTP server configured (SMTP_URL): emails are written as .eml files and nothing leaves this machine', { dir: `${dir}/email` });
  return { sms, email };
}
