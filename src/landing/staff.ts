// Staff API for test drives: the slot calendar (hours, seats, holidays,
// models), one slot's capacity, the bookings with their attribution, and
// marking a booking attended or a no-show. Every query is scoped to the
// caller's dealer.
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { rows } from '../db';
import { bookings } from '../db/schema-responses';
import { getDealer } from '../dealers';
import type { AppEnv } from '../http/context';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { localDate } from '../lib/clock';
import { conflict, notFound, unprocessable } from '../lib/errors';
import { markBooking, type BookingRow } from './booking';
import { checkSlot, getCalendar, openSlots, putCalendar, setSlotCapacity } from './calendar';

export const bookingStaffRoutes = new Hono<AppEnv>();
const write = requireRole('admin', 'marketer');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 09:00');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-03-05');

const calendarBody = z
  .object({
    slotMinutes: z.number().int().min(10).max(480),
    capacity: z.number().int().min(1).max(1000),
    hours: z.partialRecord(z.enum(['1', '2', '3', '4', '5', '6', '7']), z.array(z.tuple([hhmm, hhmm])).max(6)),
    closedDates: z.array(day).max(1000).default([]),
    models: z.array(z.string().trim().min(1).max(60)).max(100).default([]),
    daysAhead: z.number().int().min(1).max(180).default(14),
  })
  .superRefine((c, ctx) => {
    for (const [d, spans] of Object.entries(c.hours)) {
      spans.forEach(([a, b], i) => {
        if (a >= b) ctx.addIssue({ code: 'custom', path: ['hours', d, i], message: 'the opening time must be before the closing time' });
      });
    }
  });

bookingStaffRoutes.get('/booking/calendar', async (c) => c.json(await getCalendar(c.get('deps').db.orm, c.get('auth').dealerId)));

bookingStaffRoutes.put('/booking/calendar', write, async (c) => {
  const body = await jsonBody(c, calendarBody);
  const deps = c.get('deps');
  return c.json(await putCalendar(deps.db.orm, deps.clock, c.get('auth').dealerId, body as Parameters<typeof putCalendar>[3]));
});

/** Slots of a run of days (the dealer's dates) with capacity and seats taken. */
bookingStaffRoutes.get('/booking/slots', async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const dealer = (await getDealer(deps.db.orm, dealerId))!;
  const q = queryParams(c, z.object({ from: day.optional(), days: z.coerce.number().int().min(1).max(62).default(7) }));
  const cal = await getCalendar(deps.db.orm, dealerId);
  const from = q.from ?? localDate(deps.clock.now(), dealer.timezone);
  const slots = await openSlots(deps.db.orm, dealerId, cal, dealer.timezone, deps.clock.now(), { from, days: q.days });
  return c.json({ data: slots.map((s) => ({ date: s.date, time: s.time, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString(), capacity: s.capacity, booked: s.booked })) });
});

/** One slot's capacity (`:slot` is the local YYYY-MM-DDTHH:MM); never below the seats taken. */
bookingStaffRoutes.put('/booking/slots/:slot', write, async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const body = await jsonBody(c, z.object({ capacity: z.number().int().min(0).max(1000) }));
  const [date = '', time = ''] = c.req.param('slot').split('T');
  const dealer = (await getDealer(deps.db.orm, dealerId))!;
  const cal = await getCalendar(deps.db.orm, dealerId);
  const slot = checkSlot(cal, dealer.timezone, deps.clock.now(), date, time);
  if ('problem' in slot) throw unprocessable('not_a_slot', `no bookable slot at ${date} ${time} (${slot.problem})`);
  const r = await setSlotCapacity(deps.db.orm, deps.clock, dealerId, slot, body.capacity);
  if (!r.ok) throw conflict('seats_taken', `${r.booked} seats are already booked in this slot`, { booked: r.booked });
  return c.json({ date, time, startsAt: slot.startsAt.toISOString(), capacity: body.capacity, booked: r.booked });
});

interface Attribution {
  response_id: string;
  campaign_id: string | null;
  wave_id: string | null;
  channel: string | null;
  variant: string | null;
  piece_id: string | null;
  delivery_id: string | null;
  control: boolean;
  in_window: boolean;
}

function present(b: BookingRow, a: Attribution | undefined) {
  return {
    id: b.id,
    status: b.status,
    startsAt: b.startsAt.toISOString(),
    model: b.model,
    name: b.name,
    phone: b.phone,
    locale: b.locale,
    contactId: b.contactId,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    attribution: a
      ? { responseId: a.response_id, campaignId: a.campaign_id, waveId: a.wave_id, channel: a.channel, variant: a.variant, pieceId: a.piece_id, deliveryId: a.delivery_id, control: a.control, inWindow: a.in_window }
      : null,
  };
}

async function attributions(db: Parameters<typeof rows>[0], dealerId: string, ids: (string | null)[]): Promise<Map<string, Attribution>> {
  const list = ids.filter((x): x is string => !!x);
  if (!list.length) return new Map();
  const found = await rows<Attribution>(
    db,
    sql`SELECT id AS response_id, campaign_id, wave_id, channel, variant, piece_id, delivery_id, control, in_window
        FROM responses WHERE dealer_id = ${dealerId}::uuid AND id = ANY(${sql.param(list)}::uuid[])`,
  );
  return new Map(found.map((a) => [a.response_id, a]));
}

/** Bookings, newest first, filtered by slot time (from, to), status and campaign. */
bookingStaffRoutes.get('/bookings', async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const q = queryParams(
    c,
    pageQuery.extend({
      from: z.string().datetime({ offset: true }).optional(),
      to: z.string().datetime({ offset: true }).optional(),
      status: z.enum(['booked', 'cancelled', 'attended', 'no_show']).optional(),
      campaignId: z.string().uuid().optional(),
    }),
  );
  const cursor = decodeCursor(q.cursor);
  const where: (SQL | undefined)[] = [
    eq(bookings.dealerId, dealerId),
    q.from ? gte(bookings.startsAt, new Date(q.from)) : undefined,
    q.to ? lt(bookings.startsAt, new Date(q.to)) : undefined,
    q.status ? eq(bookings.status, q.status) : undefined,
    q.campaignId ? eq(bookings.campaignId, q.campaignId) : undefined,
    cursor ? lt(bookings.id, cursor) : undefined,
  ];
  const found = await deps.db.orm.select().from(bookings).where(and(...where)).orderBy(desc(bookings.id)).limit(q.limit + 1);
  const attr = await attributions(deps.db.orm, dealerId, found.map((b) => b.responseId));
  // Newest first: the next page starts below the last id shown.
  const p = page(found, q.limit);
  return c.json({ data: p.data.map((b) => present(b, b.responseId ? attr.get(b.responseId) : undefined)), nextCursor: p.nextCursor });
});

bookingStaffRoutes.get('/bookings/:id', async (c) => {
  const deps = c.get('deps');
  const { dealerId } = c.get('auth');
  const [b] = await deps.db.orm.select().from(bookings).where(and(eq(bookings.id, uuidParam(c.req.param('id'), 'booking')), eq(bookings.dealerId, dealerId)));
  if (!b) throw notFound('booking');
  const attr = await attributions(deps.db.orm, dealerId, [b.responseId]);
  return c.json(present(b, b.responseId ? attr.get(b.responseId) : undefined));
});

for (const [path, status] of [['attended', 'attended'], ['no-show', 'no_show']] as const) {
  bookingStaffRoutes.post(`/bookings/:id/${path}`, write, async (c) => {
    const deps = c.get('deps');
    const { dealerId } = c.get('auth');
    const r = await markBooking(deps, dealerId, uuidParam(c.req.param('id'), 'booking'), status);
    if (r === 'not_found') throw notFound('booking');
    if (r === 'cancelled') throw conflict('booking_cancelled', 'a cancelled booking cannot be marked');
    const attr = await attributions(deps.db.orm, dealerId, [r.responseId]);
    return c.json(present(r, r.responseId ? attr.get(r.responseId) : undefined));
  });
}
