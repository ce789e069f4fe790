// Email over SMTP with nodemailer (pooled connections), or .eml files under
// ./outbox/ when no SMTP server is configured. The delivery id is the
// Message-ID, so a receiving system recognises a retry of the same message.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ChannelError, type SendResult } from './types';

export interface EmailMessage {
  deliveryId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** One-click unsubscribe URL (RFC 8058); absent on a transactional message (a booking confirmation). */
  unsubscribeUrl?: string;
  /** Files to attach (a booking's .ics). */
  attachments?: { filename: string; content: string | Uint8Array; contentType: string }[];
  /** Domain part of the Message-ID. */
  domain: string;
}

export interface EmailProvider {
  readonly name: string;
  send(m: EmailMessage): Promise<SendResult>;
  close(): Promise<void>;
}

function mailOptions(m: EmailMessage) {
  return {
    from: m.from,
    to: m.to,
    subject: m.subject,
    html: m.html,
    text: m.text,
    messageId: `<${m.deliveryId}@${m.domain}>`,
    headers: {
      'X-Delivery-Id': m.deliveryId,
      // RFC 8058: both headers, the URL in angle brackets, each on one line.
      ...(m.unsubscribeUrl
        ? { 'List-Unsubscribe': { prepared: true, value: `<${m.unsubscribeUrl}>` }, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : {}),
    },
    ...(m.attachments?.length
      ? { attachments: m.attachments.map((a) => ({ filename: a.filename, content: typeof a.content === 'string' ? a.content : Buffer.from(a.content), contentType: a.contentType })) }
      : {}),
  };
}

export function smtpEmail(url: string, opts: { maxConnections?: number; ratePerSecond?: number } = {}): EmailProvider {
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: opts.maxConnections ?? 4,
    ...(opts.ratePerSecond ? { rateDelta: 1000, rateLimit: opts.ratePerSecond } : {}),
  } as never);
  return {
    name: 'smtp',
    async send(m) {
      try {
        const info = (await transport.sendMail(mailOptions(m))) as { messageId: string; response?: string };
        return { providerRef: info.messageId };
      } catch (e) {
        const err = e as { responseCode?: number; code?: string; message: string };
        const code = err.responseCode ?? 0;
        if (code >= 500 && code < 600) throw new ChannelError('permanent', `refused by the SMTP server (${code})`);
        throw new ChannelError('transient', `SMTP unavailable (${code || err.code || 'no response'})`);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** No SMTP server configured: each message is written as outbox/email/<delivery id>.eml; nothing leaves the machine. */
export function fileEmail(dir: string): EmailProvider {
  const out = join(dir, 'email');
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'file',
    async send(m) {
      await mkdir(out, { recursive: true });
      const info = (await builder.sendMail(mailOptions(m))) as { message: Buffer };
      // Named by delivery id: a retry rewrites the same file.
      await writeFile(join(out, `${m.deliveryId}.eml`), info.message);
      return { providerRef: `file:${m.deliveryId}.eml` };
    },
    async close() {},
  };
}
