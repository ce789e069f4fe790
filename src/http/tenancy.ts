// Who is calling and for which dealer. Every handler after this middleware
// reads c.get('auth').dealerId and scopes its queries with it.
import type { MiddlewareHandler } from 'hono';
import { authenticateToken } from '../dealers';
import { forbidden, unauthorized } from '../lib/errors';
import type { AppEnv, Role } from './context';

export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw unauthorized('send an API token as "Authorization: Bearer <token>"');
  const auth = await authenticateToken(c.get('deps').db.orm, m[1]!);
  if (!auth) throw unauthorized('API token is invalid or revoked');
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
