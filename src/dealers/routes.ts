// The caller's dealer: its settings and stores.
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { dealers, stores } from '../db/schema';
import type { AppEnv } from '../http/context';
import { notFound } from '../lib/errors';

export const dealerRoutes = new Hono<AppEnv>();

dealerRoutes.get('/', async (c) => {
  const { db } = c.get('deps');
  const { dealerId, role } = c.get('auth');
  const [d] = await db.orm.select().from(dealers).where(eq(dealers.id, dealerId));
  if (!d) throw notFound('dealer');
  const ss = await db.orm.select().from(stores).where(eq(stores.dealerId, dealerId)).orderBy(asc(stores.id));
  return c.json({
    id: d.id,
    name: d.name,
    country: d.country,
    timezone: d.timezone,
    role,
    stores: ss.map((s) => ({ id: s.id, name: s.name, city: s.city, phone: s.phone })),
  });
});
