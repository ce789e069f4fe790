// Who is calling and for which dealer. Every handler after this middleware
// reads c.get('auth').dealerId and scopes its queries with it.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { authenticateToken } from '../dealers';
import { authenticateSession, checkCsrf, SESSION_COOKIE } from '../staff/accounts';
import { forbidden, unauthorized } from '../lib/errors';
import type { AppEnv, Role } from './context';

/**
 * An API token (`Authorization: Bearer …`) or a staff session cookie. With a
 * cookie, unsafe requests must also carry the session's CSRF token
 * (`X-CSRF-Token`), so another site cannot act with a signed-in browser.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.get('deps');
  const header = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (m) {
    const auth = await authenticateToken(deps.db.orm, m[1]!);
    if (!auth) throw unauthorized('API token is invalid or revoked');
    c.set('auth', auth);
    return next();
  }
  const session = getCookie(c, SESSION_COOKIE);
  if (!session) throw unauthorized('sign in, or send an API token as "Authorization: Bearer <token>"');
  const auth = await authenticateSession(deps.db.orm, deps.clock, session);
  if (!auth) throw unauthorized('the session has ended; sign in again');
  if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && !checkCsrf(deps.config.LINK_SECRET, session, c.req.header('x-csrf-token'))) {
    throw forbidden('missing or wrong X-CSRF-Token');
  }
  c.set('auth', auth);
  await next();
};

/** Roles allowed to write (the manager role reads only; printers see print jobs only). */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { role } = c.get('auth');
    if (!roles.includes(role)) throw forbidden(`the ${role} role may not do this`);
    await next();
  };
}
