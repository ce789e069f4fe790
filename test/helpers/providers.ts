// Real protocol peers in the test process: an SMTP server (smtp-server) that
// keeps every message it accepts, and an HTTP server shaped like Twilio's REST
// API that receives the twilio package's real calls. Both recognise a retry of
// the same delivery (Message-ID, or the delivery id in the status callback URL)
// the way a provider honouring our delivery id does, and count raw receipts too.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  to: string[];
  raw: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  /** Distinct messages by Message-ID. */
  messages: Map<string, ReceivedMail>;
  /** Every DATA the server accepted, retries included. */
  receipts: number;
  /** Reply to the next n messages with this SMTP code instead of accepting them. */
  failNext(n: number, code: number): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  let failing = 0;
  let failCode = 451;
  const sink: SmtpSink = {
    port: 0,
    url: '',
    messages: new Map(),
    receipts: 0,
    failNext(n, code) {
      failing = n;
      failCode = code;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          const err = new Error('try later') as Error & { responseCode: number };
          err.responseCode = failCode;
          return cb(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? `no-id-${sink.receipts}`;
        sink.receipts++;
        sink.messages.set(messageId, { messageId, to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  // A client killed mid-session resets its connection: that is the peer's problem, not a test failure.
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  return sink;
}

export interface SentSms {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  deliveryId: string | null;
}

export interface TwilioServer {
  base: string;
  /** Distinct messages by delivery id. */
  messages: Map<string, SentSms>;
  receipts: number;
  /** Answer the next n requests with this HTTP status (and Twilio error code). */
  failNext(n: number, status: number, code?: number): void;
  close(): Promise<void>;
}

export async function startTwilioServer(): Promise<TwilioServer> {
  let failing = 0;
  let failStatus = 500;
  let failCode: number | undefined;
  let seq = 0;
  const t: TwilioServer = {
    base: '',
    messages: new Map(),
    receipts: 0,
    failNext(n, status, code) {
      failing = n;
      failStatus = status;
      failCode = code;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m) {
        res.writeHead(404).end();
        return;
      }
      if (!req.headers.authorization?.startsWith('Basic ')) {
        res.writeHead(401).end();
        return;
      }
      if (failing > 0) {
        failing--;
        res.writeHead(failStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ code: failCode ?? failStatus, message: 'failure', status: failStatus }));
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const cb = form.get('StatusCallback');
      const deliveryId = cb ? new URL(cb).searchParams.get('d') : null;
      t.receipts++;
      const known = deliveryId ? t.messages.get(deliveryId) : undefined;
      const sms: SentSms = known ?? { sid: `SM${String(++seq).padStart(32, '0')}`, to: form.get('To')!, from: form.get('From')!, body: form.get('Body')!, statusCallback: cb, deliveryId };
      if (!known) t.messages.set(deliveryId ?? sms.sid, sms);
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({ sid: sms.sid, account_sid: m[1], to: sms.to, from: sms.from, body: sms.body, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', uri: `/2010-04-01/Accounts/${m[1]}/Messages/${sms.sid}.json` }),
      );
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return t;
}
