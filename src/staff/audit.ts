// The audit log: sign-ins, exports, launches, pauses, cancellations,
// downloads, erasures. One function writes it, with ids and counts only (no
// names, addresses or phone numbers); admins read it.
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Tx } from '../db';
import { auditLog } from '../db/schema-staff';
import type { Clock } from '../lib/clock';
import { uuidv7 } from '../lib/ids';

export const AUDIT_ACTIONS = [
  'login', 'login_failed', 'logout', 'user_created', 'user_changed', 'token_created', 'token_revoked',
  'export', 'download', 'launch', 'pause', 'resume', 'cancel', 'erasure',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  dealerId: string;
  /** user:<id> or token:<id> (Auth.tokenId is one of these or a bare token id). */
  actor: string | null;
  action: AuditAction;
  subject?: { type: string; id: string };
  data?: Record<string, unknown>;
}

export async function audit(db: Tx, clock: Clock, e: AuditEntry): Promise<void> {
  const now = clock.now();
  await db.insert(auditLog).values({
    id: uuidv7(now.getTime()),
    dealerId: e.dealerId,
    actor: e.actor,
    action: e.action,
    subjectType: e.subject?.type ?? null,
    subjectId: e.subject?.id ?? null,
    data: e.data ?? {},
    at: now,
  });
}

/** Newest first, `limit` at a time; `before` is the id of the last entry of the previous page. */
export async function listAudit(db: Tx, dealerId: string, limit: number, before?: string) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.dealerId, dealerId), before ? lt(auditLog.id, before) : undefined))
    .orderBy(desc(auditLog.id))
    .limit(limit);
  return rows.map((r) => ({ id: r.id, actor: r.actor, action: r.action, subject: r.subjectId ? { type: r.subjectType, id: r.subjectId } : null, data: r.data, at: r.at.toISOString() }));
}
