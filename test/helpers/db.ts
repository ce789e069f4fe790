// Every database test runs on embedded PGlite and, when TEST_DATABASE_URL is
// set, on the PostgreSQL server too. Each test file gets its own database.
import postgres from 'postgres';
import { connectPglite, connectPostgres, migrate } from '../../src/db/connect';
import type { Database } from '../../src/db';
import { randomToken } from '../../src/lib/ids';

export type DbKind = 'pglite' | 'postgres';

const url = process.env.TEST_DATABASE_URL;
if (process.env.CI === 'true' && !url) {
  throw new Error('CI=true but TEST_DATABASE_URL is not set: database tests must run on PostgreSQL in CI');
}

/** The database kinds to run each database test on. */
export const DB_KINDS: DbKind[] = url ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDb {
  db: Database;
  close(): Promise<void>;
}

/** A fresh, migrated database (or empty, for migration tests). On PostgreSQL: a new database dropped on close. */
export async function openTestDb(kind: DbKind, opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const migrated = opts.migrate ?? true;
  if (kind === 'pglite') {
    const db = await connectPglite();
    if (migrated) await migrate(db);
    return { db, close: () => db.close() };
  }
  const admin = postgres(url!, { max: 1, onnotice: () => {} });
  const name = `t_${randomToken(9).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (e) {
    await admin.end();
    throw new Error(`PostgreSQL at TEST_DATABASE_URL is not usable: ${(e as Error).message}`);
  }
  const u = new URL(url!);
  u.pathname = `/${name}`;
  const db = await connectPostgres(u.toString(), { max: 4 });
  if (migrated) await migrate(db);
  return {
    db,
    close: async () => {
      await db.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
