// Segment counts over the imported list: three rules a dealer actually runs,
// each counted several times; the median is what a marketer waits for.
import { sql } from 'drizzle-orm';
import { lockSuppressionFlags, refreshSuppressionFlags } from '../src/contacts/suppression';
import { connectPostgres } from '../src/db/connect';
import { localDate } from '../src/lib/clock';
import { countMembers } from '../src/segments/service';
import type { Rule } from '../src/segments/rules';

export const RULES: { name: string; rule: Rule }[] = [
  {
    name: 'replacement: prior owners, bought > 3 years ago, reachable by SMS',
    rule: {
      and: [
        { field: 'kind', op: 'eq', value: 'prior_owner' },
        { field: 'vehicle.purchase_date', op: 'more_than_ago', value: { amount: 3, unit: 'year' } },
        { reachable: 'sms' },
      ],
    } as Rule,
  },
  {
    name: 'club: gold/diamond members, postcode 350…, SMS consent',
    rule: {
      and: [
        { field: 'tier', op: 'in', value: ['gold', 'diamond'] },
        { field: 'postcode', op: 'starts_with', value: '350' },
        { consent: 'sms' },
      ],
    } as Rule,
  },
  {
    name: 'care: birthday in March not suppressed, or insurance due within 60 days',
    rule: {
      or: [
        { and: [{ field: 'birthday', op: 'month_is', value: 3 }, { not_suppressed: 'sms' }] },
        { field: 'vehicle.insurance_expiry', op: 'within_next', value: { amount: 60, unit: 'day' } },
      ],
    } as Rule,
  },
];

export async function segmentBench(url: string, dealerId: string, n: number): Promise<void> {
  console.log(`\n== segment counts over ${n.toLocaleString()} contacts (PostgreSQL) ==`);
  const db = await connectPostgres(url, { max: 2 });
  // A realistic suppression list: 2% of phones opted out (chosen by hash, so every run is alike),
  // written in bulk, then the contacts' suppressed flags brought in step as the service does.
  const t0 = performance.now();
  await db.orm.transaction(async (tx) => {
    await lockSuppressionFlags(tx, dealerId);
    await tx.execute(sql`
      INSERT INTO suppressions (id, dealer_id, channel, target, value, reason, source, created_at)
      SELECT gen_random_uuid(), dealer_id, 'sms', 'phone', phone_e164, 'unsubscribed', 'bench', now()
      FROM contacts WHERE dealer_id = ${dealerId} AND phone_e164 IS NOT NULL AND abs(hashtext(phone_e164)) % 50 = 0
      ON CONFLICT DO NOTHING`);
    const flagged = await refreshSuppressionFlags(tx, dealerId, 'dealer');
    console.log(`suppressed ${flagged.toLocaleString()} contacts' phones in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  await db.orm.execute(sql`VACUUM ANALYZE contacts`);
  await db.orm.execute(sql`VACUUM ANALYZE vehicles`);
  await db.orm.execute(sql`ANALYZE suppressions`);
  const today = localDate(new Date(), 'Asia/Shanghai');
  for (const { name, rule } of RULES) {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      count = await countMembers(db.orm, dealerId, rule, { today, timeZone: 'Asia/Shanghai' });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[3]!;
    console.log(
      `${name}\n  count ${count.toLocaleString()}  median ${median.toFixed(0)} ms  (min ${times[0]!.toFixed(0)}, max ${times[6]!.toFixed(0)})  target < 200 ms`,
    );
  }
  await db.close();
}
