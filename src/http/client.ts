// Who a public request comes from, for per-client rate limits only: the
// address is kept in memory while its bucket lives, never stored or logged.
import type { Context } from 'hono';
import type { AppEnv } from './context';

export function clientKey(c: Context<AppEnv>): string {
  if (c.get('deps').config.TRUST_PROXY) {
    const first = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (first) return first;
  }
  // @hono/node-server passes the Node request as env.incoming.
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'local';
}
