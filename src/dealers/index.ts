// Dealers (a dealer group with its stores) and the API tokens that act for them.
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Tx } from '../db';
import { apiTokens, dealers, stores } from '../db/schema';
import { dealerUnitCosts } from '../db/schema-staff';
import type { Clock } from '../lib/clock';
import { randomToken, sha256Hex, uuidv7 } from '../lib/ids';
import type { Auth, Role } from '../http/context';

export interface NewDealer {
  name: string;
  country?: string;
  timezone?: string;
  stores?: { name: string }[];
}

export async function createDealer(db: Tx, clock: Clock, input: NewDealer) {
  const now = clock.now();
  const id = uuidv7(now.getTime());
  const [dealer] = await db
    .insert(dealers)
    .values({ id, name: input.name, country: input.country ?? 'CN', timezone: input.timezone ?? 'Asia/Shanghai', createdAt: now })
    .returning();
  for (const s of input.stores ?? []) {
    await db.insert(stores).values({ id: uuidv7(now.getTime()), dealerId: id, name: s.name, createdAt: now });
  }
  return dealer!;
}

export async function getDealer(db: Tx, dealerId: string) {
  const [d] = await db.select().from(dealers).where(eq(dealers.id, dealerId));
  return d;
}

/** What the dealer pays per unit (print, postage, SMS segment, email), in `currency`. */
export interface UnitCosts {
  currency: string;
  printPiece: number;
  postagePiece: number;
  smsSegment: number;
  emailMessage: number;
}

/** The dealer's unit costs, or null when none are set. */
export async function getUnitCosts(db: Tx, dealerId: string): Promise<UnitCosts | null> {
  const [row] = await db.select().from(dealerUnitCosts).where(eq(dealerUnitCosts.dealerId, dealerId));
  if (!row) return null;
  return { currency: row.currency, printPiece: Number(row.printPiece), postagePiece: Number(row.postagePiece), smsSegment: Number(row.smsSegment), emailMessage: Number(row.emailMessage) };
}

/** Issue an API token; the plain token is returned once and only its hash is kept. */
export async function issueApiToken(db: Tx, clock: Clock, dealerId: string, role: Role, name: string) {
  const token = `dm_${randomToken(32)}`;
  const id = uuidv7(clock.now().getTime());
  await db.insert(apiTokens).values({ id, dealerId, role, name, tokenHash: await sha256Hex(token), createdAt: clock.now() });
  return { id, token };
}

/** The dealer's API tokens (never the tokens themselves), newest first. */
export async function listApiTokens(db: Tx, dealerId: string) {
  const rows = await db.select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role, createdAt: apiTokens.createdAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens).where(eq(apiTokens.dealerId, dealerId)).orderBy(desc(apiTokens.id));
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role as Role, createdAt: r.createdAt.toISOString(), revokedAt: r.revokedAt?.toISOString() ?? null }));
}

/** Revoke one of the dealer's tokens (at once: the next request with it is refused); false when there is none. */
export async function revokeApiToken(db: Tx, clock: Clock, dealerId: string, id: string): Promise<boolean> {
  const done = await db.update(apiTokens).set({ revokedAt: clock.now() })
    .where(and(eq(apiTokens.dealerId, dealerId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).returning({ id: apiTokens.id });
  if (done.length) return true;
  const [exists] = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(eq(apiTokens.dealerId, dealerId), eq(apiTokens.id, id)));
  return !!exists;
}

export async function authenticateToken(db: Tx, token: string): Promise<Auth | undefined> {
  const hash = await sha256Hex(token);
  const [row] = await db
    .select({ id: apiTokens.id, dealerId: apiTokens.dealerId, role: apiTokens.role })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt)));
  return row ? { dealerId: row.dealerId, role: row.role as Role, tokenId: row.id } : undefined;
}
