// The tracking endpoints recipients' devices hit: the QR / short link
// (GET /r/:token), an email's open pixel (GET /o/:id.sig.gif) and its click
// redirects (GET /c/:id.sig?u=). Each records one response and answers at
// once. A bad token or signature records nothing and gets the same answer
// whatever was wrong with it. These are the high-volume responses: those
// arriving together are written by one statement (ResponseBatcher), committed
// without waiting for the WAL flush (see recordResponse's `durable`).
import type { Context, Hono } from 'hono';
import { verifyClick, verifyOpenPixel } from '../channels/links';
import type { AppEnv } from '../http/context';
import { parseResponseCode } from '../lib/ids';
import { ResponseBatcher } from './record';

/** A 1×1 transparent GIF. */
const PIXEL = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (ch) => ch.charCodeAt(0));

const userAgent = (c: Context<AppEnv>) => c.req.header('user-agent')?.slice(0, 300) ?? null;

export function trackingRoutes(app: Hono<AppEnv>, notFound: (c: Context<AppEnv>) => Response | Promise<Response>) {
  // One batcher per app: scans, opens and clicks arriving together share a statement and a commit.
  let batcher: ResponseBatcher | undefined;
  const record = (c: Context<AppEnv>, input: Parameters<ResponseBatcher['record']>[0]) => {
    const deps = c.get('deps');
    batcher ??= new ResponseBatcher(deps.db.orm, deps.clock);
    return batcher.record(input);
  };

  app.get('/r/:token', async (c) => {
    const deps = c.get('deps');
    // Typed from a card or an SMS: case, dashes and look-alike letters are forgiven.
    const token = parseResponseCode(c.req.param('token'));
    if (!token) return notFound(c);
    const r = await record(c, {
      kind: 'scan',
      source: { token, tokenDays: deps.config.TRACKING_TOKEN_DAYS },
      data: { userAgent: userAgent(c) },
      durable: false,
    });
    if (!r) return notFound(c);
    return c.redirect(`/l/${token}`, 302);
  });

  app.get('/o/:pixel', async (c) => {
    const deps = c.get('deps');
    const deliveryId = verifyOpenPixel(deps.config.LINK_SECRET, c.req.param('pixel'));
    if (deliveryId) await record(c, { kind: 'open', source: { deliveryId }, data: { userAgent: userAgent(c) }, durable: false });
    // A pixel either way: mail clients show a broken image for anything else.
    return c.body(PIXEL, deliveryId ? 200 : 404, { 'Content-Type': 'image/gif' });
  });

  app.get('/c/:link', async (c) => {
    const deps = c.get('deps');
    const target = c.req.query('u');
    const deliveryId = verifyClick(deps.config.LINK_SECRET, c.req.param('link'), target);
    // Only a target signed for this delivery is followed: never an open redirect.
    if (!deliveryId) return notFound(c);
    const r = await record(c, { kind: 'click', source: { deliveryId }, data: { userAgent: userAgent(c), url: target!.slice(0, 500) }, durable: false });
    if (!r) return notFound(c);
    return c.redirect(target!, 302);
  });
}
