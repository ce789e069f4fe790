// Returned mail: a piece the post brought back. Staff mark it by its response
// code or piece id, one at a time or as a CSV; the piece is recorded as a
// 'returned' response and its address is suppressed for print (the household
// when known, else the contact), so no later drop prints it again. Marking a
// piece twice changes nothing; a bad row is reported with its row number and
// the rest go on.
import { sql } from 'drizzle-orm';
import { rows } from '../db';
import { suppress } from '../contacts/suppression';
import type { Deps } from '../http/context';
import { openCsvBytes } from '../imports/csv';
import { findColumn } from '../imports/headers';
import { AppError } from '../lib/errors';
import { recordResponse } from '../responses/record';
import { findPiece, type PieceRef } from '../surveys/service';

export type ReturnResult =
  | { ok: true; pieceId: string; alreadyMarked: boolean; suppressed: 'household' | 'contact' }
  | { ok: false; field: 'code' | 'piece_id'; reason: string };

/** Mark one piece returned. */
export async function markReturned(deps: Deps, dealerId: string, ref: PieceRef, by: string | null, reason: string | null = null): Promise<ReturnResult> {
  const db = deps.db.orm;
  const field = ref.code ? 'code' : 'piece_id';
  const piece = await findPiece(db, dealerId, ref);
  if (!piece) return { ok: false, field, reason: ref.code ? 'no printed piece has this response code' : 'no printed piece has this id' };
  if (piece.status !== 'rendered') return { ok: false, field, reason: 'this piece was not printed' };
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT 1 FROM pieces WHERE id = ${piece.id}::uuid FOR UPDATE`);
    const [c] = await rows<{ household_key: string | null }>(tx, sql`SELECT household_key FROM contacts WHERE id = ${piece.contact_id}::uuid AND dealer_id = ${dealerId}::uuid`);
    const target = c?.household_key ? ('household' as const) : ('contact' as const);
    const [done] = await rows(tx, sql`SELECT 1 AS one FROM responses WHERE dealer_id = ${dealerId}::uuid AND piece_id = ${piece.id}::uuid AND kind = 'returned' LIMIT 1`);
    if (!done) {
      await recordResponse(tx, deps.clock, { dealerId, kind: 'returned', source: { pieceId: piece.id }, data: { markedBy: by, ...(reason ? { reason } : {}) } });
    }
    await suppress(tx, deps.clock, dealerId, {
      channel: 'mail',
      target,
      value: target === 'household' ? c!.household_key! : piece.contact_id,
      reason: 'undeliverable_address',
      source: 'returned_mail',
      note: reason,
    });
    return { ok: true, pieceId: piece.id, alreadyMarked: !!done, suppressed: target };
  });
}

export interface ReturnsReport {
  marked: number;
  alreadyMarked: number;
  errors: { row: number; field: string; value: string; reason: string }[];
}

const MAX_ROWS = 50_000;

/**
 * Mark the pieces of a CSV returned: a header with `code` (response code) or
 * `piece_id`, optionally `reason`; UTF-8 or GB18030, comma or tab.
 */
export async function markReturnedCsv(deps: Deps, dealerId: string, bytes: Uint8Array, by: string | null): Promise<ReturnsReport> {
  const csv = await openCsvBytes(bytes);
  const codeCol = findColumn(csv.header, ['code', 'response code', '回执码', '编码']);
  const idCol = findColumn(csv.header, ['piece id', 'piece']);
  const reasonCol = findColumn(csv.header, ['reason', '原因']);
  if (codeCol < 0 && idCol < 0) {
    csv.close();
    throw new AppError(422, 'missing_column', 'the file needs a "code" (response code) or "piece_id" column', [{ path: 'header', message: `found: ${csv.header.join(', ')}` }]);
  }
  const report: ReturnsReport = { marked: 0, alreadyMarked: 0, errors: [] };
  let n = 0;
  for await (const rec of csv.records()) {
    if (++n > MAX_ROWS) {
      report.errors.push({ row: rec.row, field: '', value: '', reason: `only the first ${MAX_ROWS.toLocaleString('en')} rows are read; send the rest in another file` });
      csv.close();
      break;
    }
    const code = codeCol >= 0 ? (rec.cells[codeCol] ?? '').trim() : '';
    const id = idCol >= 0 ? (rec.cells[idCol] ?? '').trim() : '';
    if (!code && !id) {
      if (rec.cells.every((c) => !c.trim())) continue;
      report.errors.push({ row: rec.row, field: codeCol >= 0 ? 'code' : 'piece_id', value: '', reason: 'empty' });
      continue;
    }
    let ref: PieceRef;
    if (code) ref = { code };
    else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) ref = { pieceId: id.toLowerCase() };
    else {
      report.errors.push({ row: rec.row, field: 'piece_id', value: id, reason: 'not a piece id' });
      continue;
    }
    const r = await markReturned(deps, dealerId, ref, by, reasonCol >= 0 ? (rec.cells[reasonCol] ?? '').trim().slice(0, 200) || null : null);
    if (r.ok) {
      if (r.alreadyMarked) report.alreadyMarked++;
      else report.marked++;
    } else report.errors.push({ row: rec.row, field: r.field, value: code || id, reason: r.reason });
  }
  return report;
}
