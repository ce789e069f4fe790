// Database access. Both drivers (PGlite embedded, postgres.js for a server)
// give the same drizzle API; `rows` hides their different raw-result shapes.
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;
/** The ORM or a transaction on it: domain functions accept either. */
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0] | Orm;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly orm: Orm;
  close(): Promise<void>;
}

/** Run raw SQL (built with drizzle's `sql` tag: always parameterized) and return rows. */
export async function rows<T = Record<string, unknown>>(q: Tx, query: SQL): Promise<T[]> {
  const r = (await q.execute(query)) as unknown;
  if (Array.isArray(r)) return r as T[];
  return ((r as { rows?: T[] }).rows ?? []) as T[];
}

export async function one<T = Record<string, unknown>>(q: Tx, query: SQL): Promise<T | undefined> {
  return (await rows<T>(q, query))[0];
}
