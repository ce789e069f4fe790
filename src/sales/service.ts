// Sales matched back to campaigns: the dealer exports sold cars (VIN or phone,
// and the date) from the DMS and uploads the CSV, now or months later. Each
// sale is matched to a contact (VIN first, then phone) and recorded as a
// 'sale' response for every campaign the contact was in and that had launched
// by the sale date, attributed to the campaign's last touch before the sale
// (wave, channel, variant); a holdout member's sale counts as a control
// response. Whether it falls inside the campaign's response window is decided
// as for every response (src/responses/record.ts). Uploading the same file
// again records nothing twice. A row that cannot be read or matched is
// reported with its row number and reason; the rest go on.
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { normalizePhone, normalizeVin, parseDate } from '../contacts/normalize';
import { getDealer } from '../dealers';
import type { Deps } from '../http/context';
import { openCsvBytes } from '../imports/csv';
import { findColumn } from '../imports/headers';
import { zonedTime } from '../lib/clock';
import { AppError } from '../lib/errors';
import { recordResponse } from '../responses/record';

export interface SalesReport {
  rows: number;
  /** Sales matched to a contact. */
  matched: number;
  /** Sale responses recorded (one per campaign the buyer was in, or one without a campaign). */
  recorded: number;
  /** Of those, sales of holdout members (control responses). */
  control: number;
  /** Already recorded by an earlier upload. */
  duplicates: number;
  errors: { row: number; field: string; value: string; reason: string }[];
}

const COLUMNS: Record<'vin' | 'phone' | 'date', string[]> = {
  vin: ['vin', '车架号', 'vin码', '车辆识别代号'],
  phone: ['phone', 'mobile', '手机', '手机号', '电话', '联系电话'],
  date: ['date', 'sold on', 'sale date', '日期', '成交日期', '销售日期', '开票日期'],
};
const MAX_ROWS = 200_000;

interface Touch {
  wave_id: string | null;
  channel: string | null;
  variant: string | null;
}

export async function importSales(deps: Deps, dealerId: string, bytes: Uint8Array): Promise<SalesReport> {
  const db = deps.db.orm;
  const dealer = (await getDealer(db, dealerId))!;
  const csv = await openCsvBytes(bytes);
  const col = (k: keyof typeof COLUMNS) => findColumn(csv.header, COLUMNS[k]);
  const [vinCol, phoneCol, dateCol] = [col('vin'), col('phone'), col('date')];
  if ((vinCol < 0 && phoneCol < 0) || dateCol < 0) {
    csv.close();
    throw new AppError(422, 'missing_column', 'the file needs a "date" column and a "vin" or "phone" column', [{ path: 'header', message: `found: ${csv.header.join(', ')}` }]);
  }
  const report: SalesReport = { rows: 0, matched: 0, recorded: 0, control: 0, duplicates: 0, errors: [] };
  for await (const rec of csv.records()) {
    if (rec.cells.every((c) => !c.trim())) continue;
    if (++report.rows > MAX_ROWS) {
      report.rows--;
      report.errors.push({ row: rec.row, field: '', value: '', reason: `only the first ${MAX_ROWS.toLocaleString('en')} rows are read; send the rest in another file` });
      csv.close();
      break;
    }
    const cell = (i: number) => (i >= 0 ? (rec.cells[i] ?? '').trim() : '');
    const date = parseDate(cell(dateCol), dealer.country);
    if (!date.ok) {
      report.errors.push({ row: rec.row, field: 'date', value: cell(dateCol), reason: date.reason });
      continue;
    }
    const vin = cell(vinCol) ? normalizeVin(cell(vinCol)) : null;
    const phone = cell(phoneCol) ? normalizePhone(cell(phoneCol), dealer.country) : null;
    if (!vin?.ok && !phone?.ok) {
      const [field, value, reason] = vin ? ['vin', cell(vinCol), (vin as { reason: string }).reason] : phone ? ['phone', cell(phoneCol), (phone as { reason: string }).reason] : ['vin', '', 'give a VIN or a phone number'];
      report.errors.push({ row: rec.row, field: field!, value: value!, reason: reason! });
      continue;
    }
    const [contact] = await rows<{ id: string }>(
      db,
      sql`SELECT id FROM (
            SELECT v.contact_id AS id, 1 AS pref FROM vehicles v WHERE v.dealer_id = ${dealerId}::uuid AND v.vin = ${vin?.ok ? vin.value : null}
            UNION ALL
            SELECT c.id, 2 FROM contacts c WHERE c.dealer_id = ${dealerId}::uuid AND c.phone_e164 = ${phone?.ok ? phone.value : null}) m
          ORDER BY pref, id LIMIT 1`,
    );
    if (!contact) {
      report.errors.push({ row: rec.row, field: vin?.ok ? 'vin' : 'phone', value: vin?.ok ? vin.value : cell(phoneCol), reason: 'no contact has this VIN or phone number' });
      continue;
    }
    report.matched++;
    const soldOn = date.value;
    const at = zonedTime(`${soldOn}T12:00`, dealer.timezone);
    const endOfDay = zonedTime(`${soldOn}T23:59:59`, dealer.timezone).toISOString();
    const campaigns = await rows<{ campaign_id: string; holdout: boolean }>(
      db,
      sql`SELECT r.campaign_id, r.holdout FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id AND c.dealer_id = r.dealer_id
          WHERE r.dealer_id = ${dealerId}::uuid AND r.contact_id = ${contact.id}::uuid AND c.launched_at <= ${endOfDay}::timestamptz
          ORDER BY c.launched_at`,
    );
    const key = vin?.ok ? vin.value : phone!.ok ? phone!.value : '';
    const targets: ({ campaignId: string; holdout: boolean } | null)[] = campaigns.length ? campaigns.map((c) => ({ campaignId: c.campaign_id, holdout: c.holdout })) : [null];
    for (const t of targets) {
      const [seen] = await rows(
        db,
        sql`SELECT 1 AS one FROM responses WHERE dealer_id = ${dealerId}::uuid AND kind = 'sale' AND contact_id = ${contact.id}::uuid
            AND campaign_id IS NOT DISTINCT FROM ${t?.campaignId ?? null}::uuid AND data->>'soldOn' = ${soldOn} AND data->>'key' = ${key} LIMIT 1`,
      );
      if (seen) {
        report.duplicates++;
        continue;
      }
      // The campaign's last touch of this contact on or before the sale day.
      const [touch] = t
        ? await rows<Touch>(
            db,
            sql`SELECT wave_id, channel, variant FROM (
                  SELECT pr.wave_id, 'mail'::text AS channel, pr.variant, coalesce(pr.mailed_on::timestamptz, pr.created_at) AS at
                  FROM pieces p JOIN print_runs pr ON pr.id = p.print_run_id AND pr.dealer_id = p.dealer_id
                  WHERE pr.campaign_id = ${t.campaignId}::uuid AND p.contact_id = ${contact.id}::uuid AND p.status = 'rendered'
                  UNION ALL
                  SELECT o.wave_id, o.channel, o.variant, o.sent_at FROM outbox o
                  WHERE o.campaign_id = ${t.campaignId}::uuid AND o.contact_id = ${contact.id}::uuid AND o.sent_at IS NOT NULL) x
                WHERE x.at <= ${endOfDay}::timestamptz ORDER BY x.at DESC LIMIT 1`,
          )
        : [];
      const r = await recordResponse(db, deps.clock, {
        dealerId,
        kind: 'sale',
        occurredAt: at,
        source: {
          direct: {
            channel: touch?.channel ?? 'store',
            contactId: contact.id,
            campaignId: t?.campaignId ?? null,
            waveId: touch?.wave_id ?? null,
            variant: touch?.variant ?? null,
            control: t?.holdout ?? false,
          },
        },
        data: { soldOn, key, ...(vin?.ok ? { vin: vin.value } : {}), matchedBy: vin?.ok ? 'vin' : 'phone', row: rec.row },
      });
      if (r) {
        report.recorded++;
        if (r.control) report.control++;
      }
    }
  }
  return report;
}
