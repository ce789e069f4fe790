import { sql } from 'drizzle-orm';
import { connectPostgres } from '../src/db/connect';
import { rows } from '../src/db';
import { refreshSuppressionFlags } from '../src/contacts/suppression';
const db = await connectPostgres('postgres://postgres@127.0.0.1:5432/dm_ab', { max: 1 });
const [d] = await rows<{ id: string }>(db.orm, sql`select dealer_id as id from contacts limit 1`);
const ids = (await rows<{id:string}>(db.orm, sql`select id from contacts order by id desc limit 5000`)).map(r=>r.id);
for (const explain of [true, false, false]) await db.orm.transaction(async (tx) => {
  if (explain) {
    const ex = tx.execute.bind(tx);
    (tx as any).execute = async (q: any) => {
      const plan = await ex(sql`EXPLAIN (ANALYZE, BUFFERS) ${q}`);
      console.log((plan as any[]).map((r) => String(Object.values(r)[0]).slice(0, 160)).join('\n'));
      return [];
    };
  }
  const t0 = performance.now();
  await refreshSuppressionFlags(tx, d!.id, { contactIds: ids });
  console.log('ms', Math.round(performance.now() - t0));
  throw new Error('rollback');
}).catch(() => {});
await db.close();
