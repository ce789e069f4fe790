// /v1/auth (sign in and out), /v1/users (admins manage their dealer's staff),
// /v1/api-tokens (admins issue and revoke integration tokens), /v1/audit
// (admins read the audit log).
import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { one } from '../db';
import { clientKey } from '../http/client';
import type { AppEnv, Deps } from '../http/context';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { AppError, notFound, unauthorized } from '../lib/errors';
import { issueApiToken, listApiTokens, revokeApiToken } from '../dealers';
import { KeyedRateLimiter } from '../lib/ratelimit';
import { checkCredentials, createUser, getUser, csrfToken, endSession, listUsers, presentUser, ROLES, SESSION_COOKIE, SESSION_DAYS, startSession, updateUser, userBody } from './accounts';
import { audit, listAudit } from './audit';

const loginBody = z.object({ email: z.string().trim().toLowerCase().max(200), password: z.string().max(200) });

/**
 * POST /v1/auth/login: `{email, password}` → the session cookie (HttpOnly,
 * SameSite=Lax, Secure behind https) and the CSRF token to send as
 * `X-CSRF-Token` with every unsafe request. Lax, not Strict: a link to a page
 * from mail or chat opens it signed in; other sites' posts still carry no
 * session, and every unsafe request needs the token besides. Attempts are limited per account
 * (5 failures in 15 minutes) and per client (30 attempts in 15 minutes); a wrong password, an
 * unknown account and a disabled one get the same answer.
 */
export function loginHandler(deps: Deps) {
  // Failed attempts per account in the last 15 minutes (a success clears them).
  const failures = new Map<string, number[]>();
  const WINDOW = 15 * 60_000;
  const recentFailures = (email: string) => (failures.get(email) ?? []).filter((at) => at > deps.clock.now().getTime() - WINDOW);
  const perClient = new KeyedRateLimiter(30 / 15, 30, () => deps.clock.now().getTime());
  const small = bodyLimit({ maxSize: 4096, onError: () => { throw new AppError(413, 'payload_too_large', 'request body is larger than 4 KB'); } });
  return [
    small,
    async (c: Context<AppEnv>) => {
      // Only JSON sent as JSON: another site's form (text/plain, urlencoded, multipart) could
      // otherwise sign a visitor's browser in to an account of its choosing (login CSRF).
      if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
        throw new AppError(415, 'unsupported_media_type', 'send the sign-in as JSON (Content-Type: application/json)');
      }
      const input = await jsonBody(c, loginBody);
      if (!perClient.allow(clientKey(c)) || recentFailures(input.email).length >= 5) {
        c.header('Retry-After', '900');
        throw new AppError(429, 'too_many_attempts', 'too many sign-in attempts; try again in 15 minutes');
      }
      const user = await checkCredentials(deps.db.orm, input.email, input.password);
      if (!user) {
        if (failures.size > 100_000) failures.clear();
        failures.set(input.email, [...recentFailures(input.email), deps.clock.now().getTime()]);
        const known = await one<{ id: string; dealer_id: string }>(deps.db.orm, sql`SELECT id, dealer_id FROM users WHERE email = ${input.email}`);
        if (known) await audit(deps.db.orm, deps.clock, { dealerId: known.dealer_id, actor: `user:${known.id}`, action: 'login_failed' });
        throw unauthorized('email or password is wrong');
      }
      failures.delete(input.email);
      const s = await startSession(deps.db.orm, deps.clock, user);
      setCookie(c, SESSION_COOKIE, s.token, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: deps.config.PUBLIC_BASE_URL.startsWith('https:'),
        path: '/',
        maxAge: SESSION_DAYS * 86_400,
      });
      await audit(deps.db.orm, deps.clock, { dealerId: user.dealerId, actor: `user:${user.id}`, action: 'login' });
      return c.json({ user: presentUser(user), csrfToken: csrfToken(deps.config.LINK_SECRET, s.token), expiresAt: s.expiresAt.toISOString() });
    },
  ] as const;
}

export const authRoutes = new Hono<AppEnv>();

authRoutes.get('/me', async (c) => {
  const auth = c.get('auth');
  const token = getCookie(c, SESSION_COOKIE);
  if (!('userId' in auth) || !token) throw unauthorized('not signed in (API tokens have no session)');
  const u = await getUser(c.get('deps').db.orm, auth.dealerId, String(auth.userId));
  return c.json({ user: presentUser(u), csrfToken: csrfToken(c.get('deps').config.LINK_SECRET, token) });
});

authRoutes.post('/logout', async (c) => {
  const auth = c.get('auth');
  const deps = c.get('deps');
  if ('sessionId' in auth) {
    await endSession(deps.db.orm, deps.clock, (auth as { sessionId: string }).sessionId);
    await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'logout' });
  }
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.body(null, 204);
});

export const userRoutes = new Hono<AppEnv>();
userRoutes.use('*', requireRole('admin'));

userRoutes.get('/', async (c) => c.json({ data: (await listUsers(c.get('deps').db.orm, c.get('auth').dealerId)).map(presentUser) }));

userRoutes.post('/', async (c) => {
  const input = await jsonBody(c, userBody);
  const deps = c.get('deps');
  const auth = c.get('auth');
  const u = await createUser(deps.db.orm, deps.clock, auth.dealerId, input);
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'user_created', subject: { type: 'user', id: u.id }, data: { role: u.role } });
  return c.json(presentUser(u), 201);
});

userRoutes.patch('/:id', async (c) => {
  const input = await jsonBody(c, z.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() }));
  const deps = c.get('deps');
  const auth = c.get('auth');
  const u = await updateUser(deps.db.orm, deps.clock, auth.dealerId, uuidParam(c.req.param('id'), 'user'), input);
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'user_changed', subject: { type: 'user', id: u.id }, data: input });
  return c.json(presentUser(u));
});

export const auditRoutes = new Hono<AppEnv>();
auditRoutes.use('*', requireRole('admin'));
auditRoutes.get('/', async (c) => {
  const q = queryParams(c, z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.string().uuid().optional() }));
  return c.json({ data: await listAudit(c.get('deps').db.orm, c.get('auth').dealerId, q.limit, q.before) });
});

/**
 * API tokens for integrations: admins issue one with a name and a role (the
 * token is in the answer once; only its hash is kept) and revoke it.
 */
export const tokenRoutes = new Hono<AppEnv>();
tokenRoutes.use('*', requireRole('admin'));

tokenRoutes.get('/', async (c) => c.json({ data: await listApiTokens(c.get('deps').db.orm, c.get('auth').dealerId) }));

tokenRoutes.post('/', async (c) => {
  const input = await jsonBody(c, z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES) }));
  const deps = c.get('deps');
  const auth = c.get('auth');
  const issued = await issueApiToken(deps.db.orm, deps.clock, auth.dealerId, input.role, input.name);
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'token_created', subject: { type: 'api_token', id: issued.id }, data: { role: input.role } });
  return c.json({ id: issued.id, name: input.name, role: input.role, token: issued.token }, 201);
});

tokenRoutes.delete('/:id', async (c) => {
  const deps = c.get('deps');
  const auth = c.get('auth');
  const id = uuidParam(c.req.param('id'), 'API token');
  if (!(await revokeApiToken(deps.db.orm, deps.clock, auth.dealerId, id))) throw notFound('API token');
  await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'token_revoked', subject: { type: 'api_token', id } });
  return c.body(null, 204);
});
