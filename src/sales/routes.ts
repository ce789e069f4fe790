// /v1/sales: upload sold cars (CSV: VIN or phone, date) to match them back to
// campaigns (admins and marketers; managers read the results in the reports).
import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { requireRole } from '../http/tenancy';
import { rawBody } from '../http/validate';
import { importSales } from './service';

export const salesRoutes = new Hono<AppEnv>();

salesRoutes.post('/', requireRole('admin', 'marketer'), async (c) => {
  const bytes = await rawBody(c, 20 * 1024 * 1024, 'the sales file');
  return c.json(await importSales(c.get('deps'), c.get('auth').dealerId, bytes));
});
