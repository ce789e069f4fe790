// Staff accounts: people who sign in, each with one dealer and one role
// (admin: users and settings; marketer: lists, segments, templates, campaigns;
// manager: everything read-only, reports and exports; printer: the print jobs
// released to them). Passwords are kept as scrypt hashes; a session is a
// random 256-bit id in an HttpOnly cookie, stored as its SHA-256, with a CSRF
// token derived from it for every unsafe request. Sign-in attempts are limited
// per account and per client.
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../db';
import { dealers } from '../db/schema';
import { sessions, users } from '../db/schema-staff';
import type { Auth, Role } from '../http/context';
import type { Clock } from '../lib/clock';
import { conflict, notFound } from '../lib/errors';
import { isUuid, sha256Hex, uuidv7 } from '../lib/ids';
import { signature, verifySignature } from '../channels/links';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const ROLES = ['admin', 'marketer', 'manager', 'printer'] as const;
/** 2^15 × 8 × 128 B = 32 MiB and about 50–100 ms per hash here. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const SESSION_DAYS = 7;
export const SESSION_COOKIE = 'dm_staff';

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFKC'), salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const key = await scrypt(password.normalize('NFKC'), Buffer.from(m[4]!, 'base64url'), expected.length, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(key, expected);
}

/** A hash to compare against when the account does not exist, so both answers take as long. */
let decoy: Promise<string> | null = null;

export const userBody = z.object({
  email: z.string().trim().toLowerCase().email().max(200),
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  /** At least 10 characters; long passphrases welcome. */
  password: z.string().min(10, 'at least 10 characters').max(200),
});

export type UserRow = typeof users.$inferSelect;

export function presentUser(u: UserRow) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, createdAt: u.createdAt.toISOString(), lastLoginAt: u.lastLoginAt?.toISOString() ?? null, disabled: !!u.disabledAt };
}

export async function createUser(db: Tx, clock: Clock, dealerId: string, input: z.infer<typeof userBody>): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({ id: uuidv7(clock.now().getTime()), dealerId, email: input.email, name: input.name, role: input.role, passwordHash: await hashPassword(input.password), createdAt: clock.now() })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict('email_taken', 'an account with this email already exists', [{ path: 'email', message: 'already used' }]);
  return row;
}

export async function getUser(db: Tx, dealerId: string, id: string): Promise<UserRow> {
  const [u] = await db.select().from(users).where(and(eq(users.dealerId, dealerId), eq(users.id, id)));
  if (!u) throw notFound('user');
  return u;
}

export async function listUsers(db: Tx, dealerId: string): Promise<UserRow[]> {
  return db.select().from(users).where(eq(users.dealerId, dealerId)).orderBy(asc(users.email));
}

/** Change a user's role or disable them (their sessions end at once). */
export async function updateUser(db: Tx, clock: Clock, dealerId: string, id: string, patch: { role?: Role; disabled?: boolean }): Promise<UserRow> {
  const [row] = await db
    .update(users)
    .set({ ...(patch.role ? { role: patch.role } : {}), ...(patch.disabled === undefined ? {} : { disabledAt: patch.disabled ? clock.now() : null }) })
    .where(and(eq(users.dealerId, dealerId), eq(users.id, id)))
    .returning();
  if (!row) throw notFound('user');
  if (patch.disabled || patch.role) await db.update(sessions).set({ revokedAt: clock.now() }).where(and(eq(sessions.userId, id), isNull(sessions.revokedAt)));
  return row;
}

/**
 * Who recorded actions are by: actors as the audit log and responses keep them
 * (user:<id>, or an API token id) → the dealer's user of that id. Other
 * actors, and users of other dealers, are not in the map.
 */
export async function actorUsers(db: Tx, dealerId: string, actors: readonly (string | null | undefined)[]): Promise<Map<string, { name: string; email: string }>> {
  const ids = [...new Set(actors.map((a) => (a?.startsWith('user:') ? a.slice(5) : null)).filter((x): x is string => !!x && isUuid(x)))];
  if (!ids.length) return new Map();
  const found = await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(and(eq(users.dealerId, dealerId), inArray(users.id, ids)));
  return new Map(found.map((u) => [`user:${u.id}`, { name: u.name, email: u.email }]));
}

/** The user behind an email and password, or null (unknown, wrong password, disabled: one answer). */
export async function checkCredentials(db: Tx, email: string, password: string): Promise<UserRow | null> {
  const [u] = await db.select().from(users).where(eq(users.email, email.trim().toLowerCase()));
  if (!u) {
    decoy ??= hashPassword('not a password of anyone');
    await verifyPassword(password, await decoy);
    return null;
  }
  const ok = await verifyPassword(password, u.passwordHash);
  return ok && !u.disabledAt ? u : null;
}

/** A new session for the user: the cookie value (shown once) and its row id. */
export async function startSession(db: Tx, clock: Clock, u: UserRow): Promise<{ token: string; id: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_DAYS * 86_400_000);
  const id = uuidv7(now.getTime());
  await db.insert(sessions).values({ id, tokenHash: await sha256Hex(token), userId: u.id, dealerId: u.dealerId, createdAt: now, expiresAt });
  await db.update(users).set({ lastLoginAt: now }).where(eq(users.id, u.id));
  return { token, id, expiresAt };
}

export interface SessionAuth extends Auth {
  sessionId: string;
  userId: string;
  /** Who is signed in, for the pages' header (same query: a page needs no second one). */
  name: string;
  email: string;
  dealerName: string;
  timezone: string;
}

/** The signed-in user of a session cookie: live session, enabled user, role as it is now. */
export async function authenticateSession(db: Tx, clock: Clock, token: string): Promise<SessionAuth | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const hash = await sha256Hex(token);
  const [row] = await db
    .select({ sessionId: sessions.id, userId: users.id, dealerId: users.dealerId, role: users.role, name: users.name, email: users.email, dealerName: dealers.name, timezone: dealers.timezone })
    .from(sessions)
    .innerJoin(users, and(eq(users.id, sessions.userId), eq(users.dealerId, sessions.dealerId)))
    .innerJoin(dealers, eq(dealers.id, users.dealerId))
    .where(and(eq(sessions.tokenHash, hash), isNull(sessions.revokedAt), gt(sessions.expiresAt, clock.now()), isNull(users.disabledAt)));
  if (!row) return undefined;
  const { userId, dealerId, role, sessionId, name, email, dealerName, timezone } = row;
  return { dealerId, role: role as Role, tokenId: `user:${userId}`, sessionId, userId, name, email, dealerName, timezone };
}

export async function endSession(db: Tx, clock: Clock, sessionId: string): Promise<void> {
  await db.update(sessions).set({ revokedAt: clock.now() }).where(eq(sessions.id, sessionId));
}

/** The CSRF token of a session: forms and scripts send it back on every unsafe request. */
export function csrfToken(secret: string, sessionToken: string): string {
  return signature(secret, 'staff-csrf', sessionToken);
}

export function checkCsrf(secret: string, sessionToken: string, given: string | undefined): boolean {
  return !!given && verifySignature(secret, 'staff-csrf', sessionToken, given);
}

/** Sessions past their expiry, for housekeeping. */
export async function purgeSessions(db: Tx, clock: Clock): Promise<void> {
  await db.execute(sql`DELETE FROM sessions WHERE expires_at < ${clock.now().toISOString()}::timestamptz`);
}
