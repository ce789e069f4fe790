// Test-drive bookings from a recipient's landing page: who the token names,
// booking a seat (a response of kind 'booking'), rescheduling, cancelling,
// and staff marking a booking attended (a response too) or a no-show.
import { and, eq, sql } from 'drizzle-orm';
import { one, rows, type Tx } from '../db';
import { bookings } from '../db/schema-responses';
import { signature, verifySignature } from '../channels/links';
import { cleanText, normalizePhone } from '../contacts/normalize';
import type { Deps } from '../http/context';
import { isUuid, uuidv7 } from '../lib/ids';
import { recordResponse, tokenSource, type ResponseSource } from '../responses/record';
import { recipientsByIds, type RecipientRow } from '../templates/context';
import { checkSlot, getCalendar, releaseSeat, takeSeat, type Calendar } from './calendar';
import type { BookingProblem } from './i18n';

/** Who a tracking token names: the piece or delivery, its campaign, the dealer and the contact. */
export interface Recipient {
  token: string;
  dealerId: string;
  dealerName: string;
  country: string;
  timeZone: string;
  campaignId: string | null;
  waveId: string | null;
  channel: string;
  contactId: string;
  /** Null when the contact was erased. */
  contact: RecipientRow | null;
}

/** The recipient behind a token, or null (unknown, unsent or expired: indistinguishable). */
export async function resolveRecipient(deps: Deps, token: string): Promise<Recipient | null> {
  const r = await one<{ dealer_id: string; name: string; country: string; timezone: string; campaign_id: string | null; wave_id: string | null; channel: string; contact_id: string }>(
    deps.db.orm,
    sql`SELECT t.dealer_id, d.name, d.country, d.timezone, t.campaign_id, t.wave_id, t.channel, t.contact_id
        FROM ${tokenSource(token, deps.clock.now(), deps.config.TRACKING_TOKEN_DAYS)} t JOIN dealers d ON d.id = t.dealer_id`,
  );
  if (!r) return null;
  const [contact] = await recipientsByIds(deps.db.orm, r.dealer_id, [r.contact_id]);
  return {
    token,
    dealerId: r.dealer_id,
    dealerName: r.name,
    country: r.country,
    timeZone: r.timezone,
    campaignId: r.campaign_id,
    waveId: r.wave_id,
    channel: r.channel,
    contactId: r.contact_id,
    contact: contact ?? null,
  };
}

// ── the reschedule/cancel link ────────────────────────────────────────────────
export function manageToken(secret: string, bookingId: string): string {
  return `${bookingId}.${signature(secret, 'booking', bookingId)}`;
}

/** The booking id of a valid manage token, or null. */
export function verifyManageToken(secret: string, token: string): string | null {
  const dot = token.indexOf('.');
  const id = token.slice(0, dot);
  if (dot < 0 || !isUuid(id)) return null;
  return verifySignature(secret, 'booking', id, token.slice(dot + 1)) ? id : null;
}

export function manageUrl(deps: Deps, bookingId: string): string {
  return `${deps.config.PUBLIC_BASE_URL.replace(/\/+$/, '')}/b/${manageToken(deps.config.LINK_SECRET, bookingId)}`;
}

// ── booking ───────────────────────────────────────────────────────────────────
export interface BookingForm {
  nonce: string;
  date: string;
  time: string;
  model: string;
  name: string;
  phone: string;
  locale: string;
  userAgent?: string | null;
}

export type BookingRow = typeof bookings.$inferSelect;

export type BookingOutcome = { ok: true; booking: BookingRow; replayed: boolean } | { ok: false; problem: BookingProblem | 'not_found' };

/** Name, phone and model as the form gave them, checked; or the first problem. */
export function checkPerson(cal: Calendar, country: string, f: Pick<BookingForm, 'name' | 'phone' | 'model'>): { name: string; phone: string; model: string | null } | { problem: BookingProblem } {
  const name = cleanText(f.name);
  if (!name || Array.from(name).length > 50) return { problem: 'name' };
  const phone = normalizePhone(f.phone.slice(0, 40), country);
  if (!phone.ok) return { problem: 'phone' };
  const model = cleanText(f.model);
  if (model && !cal.models.includes(model)) return { problem: 'model' };
  return { name, phone: phone.value, model };
}

/**
 * Book a test drive for the recipient of `token`. The seat, the booking and
 * its response are written in one transaction: a full slot writes nothing. A
 * form sent twice (its nonce already used) finds the first booking.
 */
export async function bookTestDrive(deps: Deps, token: string, f: BookingForm): Promise<BookingOutcome> {
  const recipient = await resolveRecipient(deps, token);
  if (!recipient) return { ok: false, problem: 'not_found' };
  return placeBooking(deps, recipient, f, () => ({ source: { token, tokenDays: deps.config.TRACKING_TOKEN_DAYS } }));
}

/** Who books: the dealer (and its country and zone), and the contact and campaign when known. */
export interface Booker {
  dealerId: string;
  country: string;
  timeZone: string;
  contactId: string | null;
  campaignId: string | null;
}

/**
 * The dealer's general booking page (no token): the phone given is matched to
 * a contact of the dealer. A contact who is a recipient of a campaign still
 * inside its response window (the latest launched) has the booking attributed
 * to it through the 'web' channel; a holdout member's booking is a control
 * response. Anyone else books without attribution.
 */
export async function bookGeneral(deps: Deps, dealer: { id: string; country: string; timezone: string }, f: BookingForm): Promise<BookingOutcome> {
  const who: Booker = { dealerId: dealer.id, country: dealer.country, timeZone: dealer.timezone, contactId: null, campaignId: null };
  return placeBooking(deps, who, f, async (phone, tx) => {
    const match = await one<{ contact_id: string; campaign_id: string | null; holdout: boolean | null }>(
      tx,
      sql`SELECT c.id AS contact_id, r.campaign_id, r.holdout
          FROM contacts c
          LEFT JOIN LATERAL (
            SELECT r.campaign_id, r.holdout FROM campaign_recipients r JOIN campaigns k ON k.id = r.campaign_id AND k.dealer_id = r.dealer_id
            WHERE r.dealer_id = c.dealer_id AND r.contact_id = c.id AND k.launched_at IS NOT NULL
              AND k.launched_at + make_interval(days => k.response_window_days) > ${deps.clock.now().toISOString()}::timestamptz
            ORDER BY k.launched_at DESC LIMIT 1) r ON true
          WHERE c.dealer_id = ${dealer.id}::uuid AND c.phone_e164 = ${phone}
          ORDER BY c.id LIMIT 1`,
    );
    who.contactId = match?.contact_id ?? null;
    who.campaignId = match?.campaign_id ?? null;
    return { source: { direct: { channel: 'web', contactId: who.contactId, campaignId: who.campaignId, control: match?.holdout ?? false } } };
  });
}

/** The seat, the booking and its response in one transaction; `attribution` names the response's source once the phone is checked. */
async function placeBooking(
  deps: Deps,
  who: Booker,
  f: BookingForm,
  attribution: (phone: string, tx: Tx) => { source: ResponseSource } | Promise<{ source: ResponseSource }>,
): Promise<BookingOutcome> {
  const replay = await findByNonce(deps.db.orm, who.dealerId, f.nonce);
  if (replay) return { ok: true, booking: replay, replayed: true };
  const cal = await getCalendar(deps.db.orm, who.dealerId);
  const person = checkPerson(cal, who.country, f);
  if ('problem' in person) return { ok: false, problem: person.problem };
  const now = deps.clock.now();
  const slot = checkSlot(cal, who.timeZone, now, f.date, f.time);
  if ('problem' in slot) return { ok: false, problem: slot.problem };

  const id = uuidv7(now.getTime());
  const responseId = uuidv7(now.getTime());
  try {
    const booking = await deps.db.orm.transaction(async (tx) => {
      const slotId = await takeSeat(tx, deps.clock, who.dealerId, slot, cal.capacity);
      if (!slotId) return null;
      const { source } = await attribution(person.phone, tx);
      const response = await recordResponse(tx, deps.clock, {
        id: responseId,
        dealerId: who.dealerId,
        kind: 'booking',
        source,
        data: { bookingId: id, model: person.model, slotStartsAt: slot.startsAt.toISOString(), userAgent: f.userAgent?.slice(0, 300) ?? null },
      });
      if (!response) throw new Error('the token stopped resolving inside the booking transaction');
      const [row] = await tx
        .insert(bookings)
        .values({
          id,
          dealerId: who.dealerId,
          slotId,
          startsAt: slot.startsAt,
          status: 'booked',
          model: person.model,
          name: person.name,
          phone: person.phone,
          locale: f.locale === 'en' ? 'en' : 'zh-CN',
          contactId: who.contactId,
          campaignId: who.campaignId,
          responseId: response.id,
          formNonce: f.nonce,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return row!;
    });
    if (!booking) return { ok: false, problem: 'full' };
    return { ok: true, booking, replayed: false };
  } catch (e) {
    // The same form sent twice at once: the second insert hits the nonce's unique index.
    const again = await findByNonce(deps.db.orm, who.dealerId, f.nonce);
    if (again) return { ok: true, booking: again, replayed: true };
    throw e;
  }
}

async function findByNonce(db: Tx, dealerId: string, nonce: string): Promise<BookingRow | undefined> {
  const [row] = await db.select().from(bookings).where(and(eq(bookings.dealerId, dealerId), eq(bookings.formNonce, nonce)));
  return row;
}

export async function getBooking(db: Tx, bookingId: string, dealerId?: string): Promise<BookingRow | undefined> {
  const [row] = await db
    .select()
    .from(bookings)
    .where(and(eq(bookings.id, bookingId), dealerId ? eq(bookings.dealerId, dealerId) : undefined));
  return row;
}

/** Cancel a booking and give its seat back; false when it is no longer booked. */
export async function cancelBooking(deps: Deps, booking: BookingRow): Promise<boolean> {
  return deps.db.orm.transaction(async (tx) => {
    const [row] = await rows<{ slot_id: string }>(
      tx,
      sql`UPDATE bookings SET status = 'cancelled', updated_at = ${deps.clock.now().toISOString()}::timestamptz
          WHERE id = ${booking.id}::uuid AND dealer_id = ${booking.dealerId}::uuid AND status = 'booked' RETURNING slot_id`,
    );
    if (!row) return false;
    await releaseSeat(tx, booking.dealerId, row.slot_id);
    return true;
  });
}

/** The booking changed under us (cancelled, or moved in another tab): the transaction is undone. */
class BookingLocked extends Error {}

/** Move a booking to another slot: the new seat is taken before the old one is given back. */
export async function rescheduleBooking(deps: Deps, booking: BookingRow, date: string, time: string): Promise<{ ok: true; booking: BookingRow } | { ok: false; problem: BookingProblem }> {
  if (booking.status !== 'booked') return { ok: false, problem: 'locked' };
  const [dealer] = await rows<{ timezone: string }>(deps.db.orm, sql`SELECT timezone FROM dealers WHERE id = ${booking.dealerId}::uuid`);
  const cal = await getCalendar(deps.db.orm, booking.dealerId);
  const slot = checkSlot(cal, dealer!.timezone, deps.clock.now(), date, time);
  if ('problem' in slot) return { ok: false, problem: slot.problem };
  if (slot.startsAt.getTime() === booking.startsAt.getTime()) return { ok: true, booking };
  const moved = await deps.db.orm.transaction(async (tx) => {
    const slotId = await takeSeat(tx, deps.clock, booking.dealerId, slot, cal.capacity);
    if (!slotId) return 'full' as const;
    const [row] = await tx
      .update(bookings)
      .set({ slotId, startsAt: slot.startsAt, updatedAt: deps.clock.now() })
      .where(and(eq(bookings.id, booking.id), eq(bookings.dealerId, booking.dealerId), eq(bookings.status, 'booked'), eq(bookings.slotId, booking.slotId)))
      .returning();
    if (!row) throw new BookingLocked();
    await releaseSeat(tx, booking.dealerId, booking.slotId);
    return row!;
  }).catch((e: unknown) => {
    if (e instanceof BookingLocked) return 'locked' as const;
    throw e;
  });
  if (moved === 'full' || moved === 'locked') return { ok: false, problem: moved };
  return { ok: true, booking: moved };
}

/**
 * Staff mark a booking attended or a no-show. Attending records a response of
 * kind 'attended' attributed like the booking (once, however often it is marked).
 */
export async function markBooking(deps: Deps, dealerId: string, bookingId: string, status: 'attended' | 'no_show'): Promise<BookingRow | 'not_found' | 'cancelled'> {
  return deps.db.orm.transaction(async (tx) => {
    const [cur] = await tx.select().from(bookings).where(and(eq(bookings.id, bookingId), eq(bookings.dealerId, dealerId))).for('update');
    if (!cur) return 'not_found' as const;
    if (cur.status === 'cancelled') return 'cancelled' as const;
    if (cur.status === status) return cur;
    const [row] = await tx.update(bookings).set({ status, updatedAt: deps.clock.now() }).where(eq(bookings.id, bookingId)).returning();
    if (status === 'attended') {
      const already = await one(tx, sql`SELECT 1 AS one FROM responses WHERE dealer_id = ${dealerId}::uuid AND kind = 'attended' AND data->>'bookingId' = ${bookingId}`);
      if (!already) {
        await recordResponse(tx, deps.clock, {
          dealerId,
          kind: 'attended',
          source: cur.responseId ? { after: cur.responseId } : { direct: { channel: 'web', contactId: cur.contactId } },
          data: { bookingId },
        });
      }
    }
    return row!;
  });
}
