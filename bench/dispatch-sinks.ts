// The far ends of the dispatch benchmark, run in the bench's parent process so
// their CPU is not charged to the process measured: an SMTP sink (smtp-server)
// and an HTTP server shaped like Twilio's Messages API. Unlike the test helpers
// (test/helpers/providers.ts) they keep no message bodies, only counts and the
// ids that tell a retry from a new message, so 100,000 messages cost them little.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  /** Every DATA accepted, retries included. */
  receipts: number;
  /** Distinct Message-IDs. */
  ids: Set<string>;
  bytes: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sink: SmtpSink = {
    url: '',
    receipts: 0,
    ids: new Set(),
    bytes: 0,
    reset() {
      sink.receipts = 0;
      sink.ids = new Set();
      sink.bytes = 0;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, cb) {
      let head = '';
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        // The Message-ID is in the header, well inside the first few KB.
        if (head.length < 8192) head += c.toString('latin1', 0, Math.min(c.length, 8192));
      });
      stream.on('end', () => {
        sink.receipts++;
        sink.bytes += n;
        const id = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(head)?.[1];
        if (id) sink.ids.add(id);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return sink;
}

export interface TwilioSink {
  /** Base URL for TWILIO_API_BASE. */
  base: string;
  receipts: number;
  /** Distinct delivery ids (from the StatusCallback URL's d parameter). */
  ids: Set<string>;
  reset(): void;
  close(): Promise<void>;
}

export async function startTwilioSink(): Promise<TwilioSink> {
  let seq = 0;
  const t: TwilioSink = {
    base: '',
    receipts: 0,
    ids: new Set(),
    reset() {
      t.receipts = 0;
      t.ids = new Set();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
      if (!req.headers.authorization?.startsWith('Basic ')) return void res.writeHead(401).end();
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const cb = form.get('StatusCallback');
      const d = cb ? /[?&]d=([^&]+)/.exec(cb)?.[1] : undefined;
      t.receipts++;
      if (d) t.ids.add(d);
      const sid = `SM${String(++seq).padStart(32, '0')}`;
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          sid,
          account_sid: m[1],
          to: form.get('To'),
          from: form.get('From'),
          body: form.get('Body'),
          status: 'queued',
          num_segments: '1',
          direction: 'outbound-api',
          api_version: '2010-04-01',
          uri: `/2010-04-01/Accounts/${m[1]}/Messages/${sid}.json`,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return t;
}
