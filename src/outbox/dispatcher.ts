// The dispatcher: claims due deliveries, checks each at send time (consent,
// suppression, frequency cap, quiet hours), renders the message, hands it to
// the channel with its delivery id, and records what happened. One bad
// recipient fails with its reason; the rest go on.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { fileEmail, smtpEmail, type EmailProvider } from '../channels/email';
import { fileSms, notQuiet, parseQuietHours, smsSegments, smsText, twilioSms, type SmsProvider } from '../channels/sms';
import { unsubscribeUrl } from '../channels/links';
import { ChannelError } from '../channels/types';
import { suppress, suppressionFor } from '../contacts/suppression';
import { getDealer } from '../dealers';
import type { Deps } from '../http/context';
import { errorField } from '../lib/log';
import { RateLimiter } from '../lib/ratelimit';
import type { RunContext } from '../print/compose';
import { compileHtml, compileText, type Render } from '../templates/hbs';
import { pieceContext, recipientsByIds, runContext, type RecipientRow } from '../templates/context';
import type { TemplateBody } from '../templates/layout';
import { getVersionById } from '../templates/service';
import { claimDue, markFinal, markSent, recentlySent, retryAt, type OutboxRow } from './outbox';

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
}

const DEFAULTS: DispatcherOptions = { batch: 200, concurrency: 16, leaseMs: 120_000, maxAttempts: 5 };

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
    const claimed = await claimDue(this.deps.db.orm, now, this.opts.batch, this.opts.leaseMs, randomUUID());
    if (claimed.length === 0) return 0;
    const byDealer = new Map<string, OutboxRow[]>();
    for (const r of claimed) byDealer.set(r.dealer_id, [...(byDealer.get(r.dealer_id) ?? []), r]);
    for (const [dealerId, list] of byDealer) {
      const recipients = new Map((await recipientsByIds(this.deps.db.orm, dealerId, [...new Set(list.map((r) => r.contact_id))])).map((r) => [r.id, r]));
      const extra = new Map(
        (
          await rows<{ id: string; sms_consent: string | null; email_consent: string | null; household_key: string | null }>(
            this.deps.db.orm,
            sql`SELECT id, sms_consent, email_consent, household_key FROM contacts WHERE dealer_id = ${dealerId}::uuid AND id = ANY(${sql.param(list.map((r) => r.contact_id))}::uuid[])`,
          )
        ).map((r) => [r.id, r]),
      );
      let next = 0;
      const worker = async () => {
        while (next < list.length) {
          const row = list[next++]!;
          try {
            await this.deliver(row, recipients.get(row.contact_id), extra.get(row.contact_id));
          } catch (e) {
            // A bug or an outage on our side: the lease runs out and the row is tried again.
            this.deps.logger.error('delivery failed unexpectedly', { deliveryId: row.id, err: errorField(e) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, list.length) }, worker));
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
    this.loop ??= (async () => {
      while (!this.stopped) {
        let n = 0;
        try {
          n = await this.tick();
        } catch (e) {
          this.deps.logger.error('dispatcher tick failed', { err: errorField(e) });
        }
        if (n === 0 && !this.stopped) await new Promise((r) => setTimeout(r, pollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.loop = null;
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

  private async deliver(
    row: OutboxRow,
    r: RecipientRow | undefined,
    extra: { sms_consent: string | null; email_consent: string | null; household_key: string | null } | undefined,
  ): Promise<void> {
    const db = this.deps.db.orm;
    const cfg = this.deps.config;
    const now = this.deps.clock.now();
    if (!r || !extra) return markFinal(db, row, 'skipped', 'the contact no longer exists');
    if (row.channel === 'mail') return markFinal(db, row, 'skipped', 'printed pieces go through print runs');
    const address = row.channel === 'sms' ? r.phone_e164 : r.email;
    if (!address) return markFinal(db, row, 'failed', row.channel === 'sms' ? 'no mobile number' : 'no email address');
    if ((row.channel === 'sms' ? extra.sms_consent : extra.email_consent) === 'revoked')
      return markFinal(db, row, 'suppressed', `${row.channel} consent revoked`);
    const blocked = await suppressionFor(db, row.dealer_id, row.channel, {
      contactId: r.id,
      phone: r.phone_e164,
      email: r.email,
      householdKey: extra.household_key,
    });
    if (blocked) return markFinal(db, row, 'suppressed', `suppressed: ${blocked.reason}`);
    if (cfg.FREQUENCY_CAP_DAYS > 0) {
      const since = new Date(now.getTime() - cfg.FREQUENCY_CAP_DAYS * 86_400_000);
      if (await recentlySent(db, row.dealer_id, r.id, row.channel, since, row.id))
        return markFinal(db, row, 'skipped', `frequency cap: another ${row.channel} within ${cfg.FREQUENCY_CAP_DAYS} days`);
    }
    const dealer = await this.dealer(row.dealer_id);
    if (row.channel === 'sms') {
      const allowed = notQuiet(now, dealer.timeZone, parseQuietHours(cfg.SMS_QUIET_HOURS));
      if (allowed.getTime() > now.getTime()) return retryAt(db, row, allowed, 'held for quiet hours', false);
    }
    let t: Compiled;
    try {
      t = await this.template(row.template_version_id, row.dealer_id);
    } catch (e) {
      return markFinal(db, row, 'failed', `template unavailable: ${(e as Error).message}`);
    }
    const ctx = pieceContext(dealer.run, r, row.token, cfg.PUBLIC_BASE_URL);
    try {
      if (row.channel === 'sms') {
        if (!t.sms) return markFinal(db, row, 'failed', 'the template has no SMS text');
        const body = smsText(t.sms(ctx, t.body.locale), { dealerName: dealer.run.dealer.name, locale: t.body.locale, optOutZh: cfg.SMS_OPT_OUT_ZH, optOutEn: cfg.SMS_OPT_OUT_EN });
        await this.smsRate.take();
        const res = await this.channels.sms.send({
          deliveryId: row.id,
          to: address,
          body,
          statusCallback: `${cfg.PUBLIC_BASE_URL.replace(/\/+$/, '')}/webhooks/twilio/status?d=${row.id}`,
        });
        return markSent(db, row, this.deps.clock.now(), res.providerRef, address, smsSegments(body).segments);
      }
      if (!t.email) return markFinal(db, row, 'failed', 'the template has no email');
      const domain = new URL(cfg.PUBLIC_BASE_URL).hostname || 'localhost';
      const res = await this.channels.email.send({
        deliveryId: row.id,
        from: cfg.EMAIL_FROM,
        to: address,
        subject: t.email.subject(ctx, t.body.locale).replace(/[\r\n]+/g, ' '),
        html: t.email.html(ctx, t.body.locale),
        text: t.email.text(ctx, t.body.locale),
        unsubscribeUrl: unsubscribeUrl(cfg.PUBLIC_BASE_URL, cfg.LINK_SECRET, row.id),
        domain,
      });
      return markSent(db, row, this.deps.clock.now(), res.providerRef, address, null);
    } catch (e) {
      if (!(e instanceof ChannelError)) {
        // Rendering failed for this recipient (a helper threw): this one fails, the rest go on.
        return markFinal(db, row, 'failed', `could not render the message: ${(e as Error).message}`);
      }
      if (e.kind === 'opted_out') {
        await suppress(db, this.deps.clock, row.dealer_id, { channel: 'sms', target: 'phone', value: address, reason: 'unsubscribed', source: 'provider' });
        return markFinal(db, row, 'suppressed', e.message);
      }
      if (e.kind === 'permanent') return markFinal(db, row, 'failed', e.message);
      if (row.attempts >= this.opts.maxAttempts) return markFinal(db, row, 'failed', `${e.message}; gave up after ${row.attempts} attempts`);
      const delay = e.kind === 'rate_limited' ? 30_000 : backoffMs(row.attempts);
      return retryAt(db, row, new Date(now.getTime() + delay), e.message, true);
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
