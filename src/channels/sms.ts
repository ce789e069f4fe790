// SMS: the message as sent (signature, opt-out line), its segment count and
// cost basis, quiet hours, and the providers: Twilio through the twilio
// package, or JSON lines under ./outbox/ when no provider is configured.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import twilio from 'twilio';
import { ChannelError, type SendResult } from './types';

// GSM 03.38 default alphabet; the extension table costs two septets a character.
const GSM7 = new Set(
  Array.from('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'),
);
const GSM7_EXT = new Set(Array.from('^{}\\[~]|€\f'));

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/** Segments a message takes: GSM-7 160 single / 153 per part, UCS-2 70 / 67. */
export function smsSegments(text: string): SmsSegments {
  let gsm = true;
  let septets = 0;
  for (const ch of text) {
    if (GSM7.has(ch)) septets += 1;
    else if (GSM7_EXT.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length; // UTF-16 code units: a character outside the BMP takes two
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

export interface SmsStyle {
  dealerName: string;
  locale: 'zh-CN' | 'en';
  optOutZh: string;
  optOutEn: string;
}

/** Chinese messages start with the sender signature 【dealer】; every message ends with how to opt out. */
export function smsText(body: string, s: SmsStyle): string {
  const text = body.trim();
  if (s.locale === 'zh-CN') {
    const signed = text.startsWith('【') ? text : `【${s.dealerName}】${text}`;
    return signed.includes(s.optOutZh) ? signed : `${signed} ${s.optOutZh}`;
  }
  return text.includes(s.optOutEn) ? text : `${text} ${s.optOutEn}`;
}

/** Words that opt a number out, as sent back (case and surrounding space ignored). */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', '退订', 'TD', 'T', 'R']);

export function isOptOut(body: string): boolean {
  return OPT_OUT.has(body.trim().toUpperCase().replace(/[。.!！]+$/, ''));
}

/** Minutes since local midnight in a time zone. */
const formats = new Map<string, Intl.DateTimeFormat>();

function localMinutes(at: Date, timeZone: string): number {
  let f = formats.get(timeZone);
  if (!f) {
    // Building a formatter costs about 0.16 ms: one per zone, not one per message.
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const h = Number(parts.find((p) => p.type === 'hour')!.value);
  const m = Number(parts.find((p) => p.type === 'minute')!.value);
  return h * 60 + m;
}

export interface QuietHours {
  /** Minutes after midnight, local time: no SMS from `start` until `end` (the window may cross midnight). */
  start: number;
  end: number;
}

export function parseQuietHours(s: string): QuietHours {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(s.trim());
  if (!m) throw new Error(`quiet hours must look like 21:00-08:00, not "${s}"`);
  return { start: Number(m[1]) * 60 + Number(m[2]), end: Number(m[3]) * 60 + Number(m[4]) };
}

/** When an SMS due at `at` may go out in `timeZone`: `at` itself, or the end of the quiet hours. */
export function notQuiet(at: Date, timeZone: string, q: QuietHours): Date {
  const now = localMinutes(at, timeZone);
  const inside = q.start <= q.end ? now >= q.start && now < q.end : now >= q.start || now < q.end;
  if (!inside) return at;
  const wait = (q.end - now + 24 * 60) % (24 * 60);
  const out = new Date(at.getTime() + wait * 60_000);
  out.setUTCSeconds(0, 0);
  return out;
}

// ── providers ─────────────────────────────────────────────────────────────────
export interface SmsMessage {
  deliveryId: string;
  to: string;
  body: string;
  /** Where the provider reports delivery; carries the delivery id. */
  statusCallback: string | null;
}

export interface SmsProvider {
  readonly name: string;
  send(m: SmsMessage): Promise<SendResult>;
}

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another base URL for Twilio's REST API (a regional edge or a compatible gateway). */
  apiBase?: string;
}

/**
 * Twilio through the twilio package. The delivery id travels in the status
 * callback URL, which a Twilio-compatible gateway uses to recognise a retry.
 */
export function twilioSms(cfg: TwilioConfig): SmsProvider {
  const base = cfg.apiBase?.replace(/\/+$/, '');
  class Rewriting extends twilio.RequestClient {
    override request<T>(opts: Parameters<twilio.RequestClient['request']>[0]): Promise<T> {
      if (base) opts.uri = opts.uri.replace(/^https:\/\/api\.twilio\.com/, base);
      return super.request(opts) as Promise<T>;
    }
  }
  const client = twilio(cfg.accountSid, cfg.authToken, { httpClient: new Rewriting() });
  return {
    name: 'twilio',
    async send(m) {
      try {
        const msg = await client.messages.create({ to: m.to, from: cfg.from, body: m.body, ...(m.statusCallback ? { statusCallback: m.statusCallback } : {}) });
        return { providerRef: msg.sid };
      } catch (e) {
        throw twilioError(e);
      }
    },
  };
}

function twilioError(e: unknown): ChannelError {
  const err = e as { status?: number; code?: number; message?: string };
  const status = err.status ?? 0;
  if (err.code === 21610) return new ChannelError('opted_out', 'the recipient has opted out (Twilio 21610)', { code: 21610 });
  if (status === 429) return new ChannelError('rate_limited', 'the provider asked to slow down (429)');
  if (status >= 500 || status === 0) return new ChannelError('transient', `provider unavailable (${status || 'no response'})`);
  return new ChannelError('permanent', `refused by the provider (${status}${err.code ? `, code ${err.code}` : ''})`, { code: err.code });
}

/** No provider configured: each message becomes a JSON line in ./outbox/sms.jsonl; nothing leaves the machine. */
export function fileSms(dir: string): SmsProvider {
  const file = join(dir, 'sms.jsonl');
  let seen: Set<string> | null = null;
  return {
    name: 'file',
    async send(m) {
      await mkdir(dir, { recursive: true });
      if (!seen) {
        seen = new Set();
        const text = await readFile(file, 'utf8').catch(() => '');
        for (const line of text.split('\n')) if (line) seen.add((JSON.parse(line) as { deliveryId: string }).deliveryId);
      }
      // A retry of a delivery already written is recognised by its id.
      if (!seen.has(m.deliveryId)) {
        await appendFile(file, JSON.stringify({ deliveryId: m.deliveryId, to: m.to, body: m.body }) + '\n');
        seen.add(m.deliveryId);
      }
      return { providerRef: `file:${m.deliveryId}` };
    },
  };
}
