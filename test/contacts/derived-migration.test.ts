// Databases that already hold contacts get the derived columns filled in by
// the migration that adds them: a database at the previous migration, with
// contacts, vehicles and suppressions, is migrated forward and checked against
// the definition (and against values worked out by hand).
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { MIGRATIONS_DIR, migrate } from '../../src/db/connect';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { derivedDrift } from '../helpers/derived';

/** The migrations before the one that adds the derived columns. */
const BEFORE = ['0000_init', '0001_segment_count_indexes'];

describe.each(DB_KINDS)('the derived-columns migration on a database with data, on %s', (kind) => {
  let t: TestDb;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDb(kind, { migrate: false });
    dir = await mkdtemp(join(tmpdir(), 'dm-migrations-'));
    await mkdir(join(dir, 'meta'));
    const journal = JSON.parse(await readFile(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => BEFORE.includes(e.tag));
    expect(journal.entries.map((e) => e.tag)).toEqual(BEFORE);
    await writeFile(join(dir, 'meta', '_journal.json'), JSON.stringify(journal));
    for (const tag of BEFORE) await copyFile(join(MIGRATIONS_DIR, `${tag}.sql`), join(dir, `${tag}.sql`));
    await migrate(t.db, dir);
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fills the vehicle spans and suppressed flags of existing contacts', async () => {
    const db = t.db.orm;
    const A = '00000000-0000-7000-8000-00000000000a';
    const B = '00000000-0000-7000-8000-00000000000b';
    const c1 = '00000000-0000-7000-8000-000000000001';
    const c2 = '00000000-0000-7000-8000-000000000002';
    const c3 = '00000000-0000-7000-8000-000000000003';
    const c4 = '00000000-0000-7000-8000-000000000004';
    // Written with the columns of the previous schema.
    await db.execute(sql`INSERT INTO dealers (id, name, created_at) VALUES (${A}, 'A', now()), (${B}, 'B', now())`);
    await db.execute(sql`
      INSERT INTO contacts (id, dealer_id, kind, full_name, phone_e164, email, household_key, created_at, updated_at) VALUES
        (${c1}, ${A}, 'prior_owner', 'c1', '+8613800000001', NULL, 'h1', now(), now()),
        (${c2}, ${A}, 'prior_owner', 'c2', '+8613800000002', 'c2@example.cn', 'h2', now(), now()),
        (${c3}, ${A}, 'prospect', 'c3', NULL, 'c3@example.cn', NULL, now(), now()),
        (${c4}, ${B}, 'prospect', 'c4', '+8613800000001', 'c3@example.cn', 'h2', now(), now())`);
    await db.execute(sql`
      INSERT INTO vehicles (id, dealer_id, contact_id, vehicle_key, purchase_date, insurance_expiry, created_at, updated_at) VALUES
        (gen_random_uuid(), ${A}, ${c1}, 'v1', '2019-05-01', '2026-07-01', now(), now()),
        (gen_random_uuid(), ${A}, ${c1}, 'v2', '2016-02-03', NULL, now(), now()),
        (gen_random_uuid(), ${A}, ${c1}, 'v3', NULL, '2026-04-15', now(), now()),
        (gen_random_uuid(), ${A}, ${c2}, 'v4', NULL, NULL, now(), now()),
        -- the other dealer's row pointing at c3 never counts
        (gen_random_uuid(), ${B}, ${c3}, 'v5', '2010-01-01', '2026-05-05', now(), now())`);
    await db.execute(sql`
      INSERT INTO suppressions (id, dealer_id, channel, target, value, reason, source, created_at) VALUES
        (gen_random_uuid(), ${A}, 'sms', 'phone', '+8613800000001', 'unsubscribed', 'test', now()),
        (gen_random_uuid(), ${A}, 'all', 'household', 'h2', 'do_not_contact', 'test', now()),
        (gen_random_uuid(), ${A}, 'mail', 'contact', ${c3}, 'undeliverable_address', 'test', now()),
        (gen_random_uuid(), ${B}, 'email', 'email', 'c3@example.cn', 'bounced', 'test', now())`);

    await migrate(t.db);

    expect(await derivedDrift(db)).toEqual([]);
    const got = await rows<Record<string, string | boolean | null>>(
      db,
      sql`SELECT full_name, first_purchase_date::text AS fp, last_purchase_date::text AS lp,
                 first_insurance_expiry::text AS fi, last_insurance_expiry::text AS li,
                 mail_suppressed AS mail, sms_suppressed AS sms, email_suppressed AS email
          FROM contacts ORDER BY full_name`,
    );
    expect(got).toEqual([
      { full_name: 'c1', fp: '2016-02-03', lp: '2019-05-01', fi: '2026-04-15', li: '2026-07-01', mail: false, sms: true, email: false },
      { full_name: 'c2', fp: null, lp: null, fi: null, li: null, mail: true, sms: true, email: true },
      { full_name: 'c3', fp: null, lp: null, fi: null, li: null, mail: true, sms: false, email: false },
      { full_name: 'c4', fp: null, lp: null, fi: null, li: null, mail: false, sms: false, email: true },
    ]);
  });
});
