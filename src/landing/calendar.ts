// The dealer's test-drive calendar: opening hours per weekday cut into slots,
// seats per slot, holidays, how far ahead one may book. Slots are computed from
// the calendar; a slot becomes a row (booking_slots) on its first booking or
// when staff give it a capacity of its own. Seats are taken by one conditional
// UPDATE, so concurrent bookings never overbook.
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { rows, type Tx } from '../db';
import { bookingCalendars, bookingSlots, type OpeningHours } from '../db/schema-responses';
import type { Clock } from '../lib/clock';
import { localDate, zonedTime } from '../lib/clock';
import { uuidv7 } from '../lib/ids';

export interface Calendar {
  slotMinutes: number;
  capacity: number;
  hours: OpeningHours;
  closedDates: string[];
  models: string[];
  daysAhead: number;
}

const EVERY_DAY: [string, string][] = [['09:00', '12:00'], ['13:00', '17:00']];

/** A dealer that has not set a calendar: every day 09:00–12:00 and 13:00–17:00, hourly slots of 3 seats. */
export const DEFAULT_CALENDAR: Calendar = {
  slotMinutes: 60,
  capacity: 3,
  hours: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, EVERY_DAY])),
  closedDates: [],
  models: [],
  daysAhead: 14,
};

export async function getCalendar(db: Tx, dealerId: string): Promise<Calendar> {
  const [row] = await db.select().from(bookingCalendars).where(eq(bookingCalendars.dealerId, dealerId));
  if (!row) return DEFAULT_CALENDAR;
  return { slotMinutes: row.slotMinutes, capacity: row.capacity, hours: row.hours, closedDates: row.closedDates, models: row.models, daysAhead: row.daysAhead };
}

export async function putCalendar(db: Tx, clock: Clock, dealerId: string, cal: Calendar): Promise<Calendar> {
  const values = { ...cal, dealerId, updatedAt: clock.now() };
  await db.insert(bookingCalendars).values(values).onConflictDoUpdate({ target: bookingCalendars.dealerId, set: values });
  return cal;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** YYYY-MM-DD plus n days. */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** ISO weekday, 1 (Monday) … 7 (Sunday), of a calendar date. */
export function isoWeekday(date: string): number {
  const d = new Date(`${date}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The slot start times (HH:MM) of a date, in order; none on a closed day. */
export function slotTimes(cal: Calendar, date: string): string[] {
  if (cal.closedDates.includes(date)) return [];
  const out: string[] = [];
  for (const [open, close] of cal.hours[String(isoWeekday(date))] ?? []) {
    for (let m = minutes(open); m + cal.slotMinutes <= minutes(close); m += cal.slotMinutes) out.push(hhmm(m));
  }
  return out;
}

export interface Slot {
  date: string;
  time: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  booked: number;
}

export type SlotProblem = 'invalid' | 'past' | 'too_far' | 'closed' | 'not_a_slot';

/** Check a wanted date and time against the calendar; the slot's instants, or what is wrong. */
export function checkSlot(cal: Calendar, timeZone: string, now: Date, date: string, time: string): { startsAt: Date; endsAt: Date } | { problem: SlotProblem } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}$/.test(time) || Number.isNaN(new Date(`${date}T00:00:00Z`).getTime()) || addDays(date, 0) !== date) {
    return { problem: 'invalid' };
  }
  const today = localDate(now, timeZone);
  if (date < today) return { problem: 'past' };
  if (date > addDays(today, cal.daysAhead)) return { problem: 'too_far' };
  const startsAt = zonedTime(`${date}T${time}`, timeZone);
  if (startsAt.getTime() <= now.getTime()) return { problem: 'past' };
  const times = slotTimes(cal, date);
  if (times.length === 0) return { problem: 'closed' };
  if (!times.includes(time)) return { problem: 'not_a_slot' };
  return { startsAt, endsAt: new Date(startsAt.getTime() + cal.slotMinutes * 60_000) };
}

/**
 * The slots with seats taken: by default the bookable ones (from now for
 * daysAhead days); staff may ask for any run of days, past ones included.
 */
export async function openSlots(db: Tx, dealerId: string, cal: Calendar, timeZone: string, now: Date, range?: { from: string; days: number }): Promise<Slot[]> {
  const from = range?.from ?? localDate(now, timeZone);
  const days = range ? range.days - 1 : cal.daysAhead;
  const out: Slot[] = [];
  for (let i = 0; i <= days; i++) {
    const date = addDays(from, i);
    for (const time of slotTimes(cal, date)) {
      const startsAt = zonedTime(`${date}T${time}`, timeZone);
      if (!range && startsAt.getTime() <= now.getTime()) continue;
      out.push({ date, time, startsAt, endsAt: new Date(startsAt.getTime() + cal.slotMinutes * 60_000), capacity: cal.capacity, booked: 0 });
    }
  }
  if (out.length === 0) return out;
  const taken = await db
    .select({ startsAt: bookingSlots.startsAt, capacity: bookingSlots.capacity, booked: bookingSlots.booked })
    .from(bookingSlots)
    .where(and(eq(bookingSlots.dealerId, dealerId), gte(bookingSlots.startsAt, out[0]!.startsAt), lt(bookingSlots.startsAt, out[out.length - 1]!.endsAt)));
  const byStart = new Map(taken.map((t) => [t.startsAt.getTime(), t]));
  for (const s of out) {
    const t = byStart.get(s.startsAt.getTime());
    if (t) {
      s.capacity = t.capacity;
      s.booked = t.booked;
    }
  }
  return out;
}

/**
 * Take one seat of the slot starting at `startsAt`; its id, or null when it is
 * full. The row is created with the calendar's capacity if it does not exist;
 * the seat is taken by `booked = booked + 1 WHERE booked < capacity`, which
 * concurrent transactions apply one after another on the row's lock, each
 * re-checking the condition against the committed count.
 */
export async function takeSeat(tx: Tx, clock: Clock, dealerId: string, slot: { startsAt: Date; endsAt: Date }, capacity: number): Promise<string | null> {
  await tx.execute(sql`INSERT INTO booking_slots (id, dealer_id, starts_at, ends_at, capacity, booked, created_at)
    VALUES (${uuidv7(clock.now().getTime())}::uuid, ${dealerId}::uuid, ${slot.startsAt.toISOString()}::timestamptz, ${slot.endsAt.toISOString()}::timestamptz,
            ${capacity}, 0, ${clock.now().toISOString()}::timestamptz)
    ON CONFLICT (dealer_id, starts_at) DO NOTHING`);
  const [row] = await rows<{ id: string }>(
    tx,
    sql`UPDATE booking_slots SET booked = booked + 1
        WHERE dealer_id = ${dealerId}::uuid AND starts_at = ${slot.startsAt.toISOString()}::timestamptz AND booked < capacity
        RETURNING id`,
  );
  return row?.id ?? null;
}

/** Give a seat back (a cancelled or moved booking). */
export async function releaseSeat(tx: Tx, dealerId: string, slotId: string): Promise<void> {
  await tx.execute(sql`UPDATE booking_slots SET booked = booked - 1 WHERE id = ${slotId}::uuid AND dealer_id = ${dealerId}::uuid AND booked > 0`);
}

/** Staff set one slot's capacity; never below the seats already taken (false then). */
export async function setSlotCapacity(db: Tx, clock: Clock, dealerId: string, slot: { startsAt: Date; endsAt: Date }, capacity: number): Promise<{ ok: boolean; booked: number }> {
  const [row] = await rows<{ booked: number; capacity: number }>(
    db,
    sql`INSERT INTO booking_slots (id, dealer_id, starts_at, ends_at, capacity, booked, created_at)
        VALUES (${uuidv7(clock.now().getTime())}::uuid, ${dealerId}::uuid, ${slot.startsAt.toISOString()}::timestamptz, ${slot.endsAt.toISOString()}::timestamptz,
                ${capacity}, 0, ${clock.now().toISOString()}::timestamptz)
        ON CONFLICT (dealer_id, starts_at) DO UPDATE SET capacity = excluded.capacity WHERE booking_slots.booked <= excluded.capacity
        RETURNING booked, capacity`,
  );
  if (row) return { ok: true, booked: row.booked };
  const [cur] = await db.select({ booked: bookingSlots.booked }).from(bookingSlots).where(and(eq(bookingSlots.dealerId, dealerId), eq(bookingSlots.startsAt, slot.startsAt)));
  return { ok: false, booked: cur?.booked ?? 0 };
}
