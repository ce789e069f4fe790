// Contacts, their consents, and the suppression list.
import { and, asc, desc, eq, inArray, like, lt, or } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { contactMerges, contacts, dealers, suppressions, vehicles } from '../db/schema';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { AppError, notFound, validationError } from '../lib/errors';
import { audit } from '../staff/audit';
import { eraseContact } from './erasure';
import { sha256Hex } from '../lib/ids';
import { formatAddress, householdId, normalizeEmail, normalizePhone, parseAddress } from './normalize';
import { liftSuppression, suppress, suppressionsOf } from './suppression';
import { CHANNELS, CONTACT_KINDS, SUPPRESSION_REASONS, type Channel } from './types';

export const contactRoutes = new Hono<AppEnv>();


const listQuery = pageQuery.extend({
  q: z.string().trim().min(1).max(200).optional(),
  kind: z.enum(CONTACT_KINDS).optional(),
});

/** Search: a phone or email matches exactly (normalized), anything else is a name prefix. */
contactRoutes.get('/', async (c) => {
  const q = queryParams(c, listQuery);
  const { db } = c.get('deps');
  const { dealerId } = c.get('auth');
  const conds = [eq(contacts.dealerId, dealerId)];
  if (q.kind) conds.push(eq(contacts.kind, q.kind));
  if (q.q) {
    const [dealer] = await db.orm.select({ country: dealers.country }).from(dealers).where(eq(dealers.id, dealerId));
    const phone = /\d{5,}/.test(q.q.replace(/[\s-]/g, '')) ? normalizePhone(q.q, dealer?.country ?? 'CN') : undefined;
    const email = q.q.includes('@') ? normalizeEmail(q.q) : undefined;
    if (phone?.ok) conds.push(eq(contacts.phone, phone.value));
    else if (email?.ok) conds.push(eq(contacts.email, email.value));
    else {
      const esc = q.q.replace(/[\\%_]/g, (m) => `\\${m}`);
      conds.push(or(like(contacts.fullName, `${esc}%`), like(contacts.company, `${esc}%`))!);
    }
  }
  const cursor = decodeCursor(q.cursor);
  if (cursor) conds.push(lt(contacts.id, cursor));
  const items = await db.orm
    .select()
    .from(contacts)
    .where(and(...conds))
    .orderBy(desc(contacts.id))
    .limit(q.limit + 1);
  const p = page(items, q.limit);
  return c.json({ data: p.data.map(presentContact), nextCursor: p.nextCursor });
});

contactRoutes.get('/:id', async (c) => {
  const id = uuidParam(c.req.param('id'), 'contact');
  const { db } = c.get('deps');
  const { dealerId } = c.get('auth');
  const [row] = await db.orm.select().from(contacts).where(and(eq(contacts.id, id), eq(contacts.dealerId, dealerId)));
  if (!row) throw notFound('contact');
  const [vs, merges] = await Promise.all([
    db.orm.select().from(vehicles).where(and(eq(vehicles.contactId, id), eq(vehicles.dealerId, dealerId))).orderBy(asc(vehicles.id)),
    db.orm
      .select()
      .from(contactMerges)
      .where(and(eq(contactMerges.contactId, id), eq(contactMerges.dealerId, dealerId)))
      .orderBy(desc(contactMerges.id))
      .limit(100),
  ]);
  const sups = await suppressionsOf(db.orm, dealerId, { contactId: id, phone: row.phone, email: row.email, householdKey: row.householdKey });
  return c.json({
    ...presentContact(row),
    vehicles: vs.map((v) => ({
      id: v.id,
      vin: v.vin,
      make: v.make,
      model: v.model,
      purchaseDate: v.purchaseDate,
      lastServiceDate: v.lastServiceDate,
      mileageKm: v.mileageKm,
      insuranceExpiry: v.insuranceExpiry,
    })),
    consents: consentsOf(row),
    suppressions: sups.map(presentSuppression),
    merges: merges.map((m) => ({ importId: m.importId, row: m.rowNumber, matchedOn: m.matchedOn, changed: m.changed, at: m.createdAt.toISOString() })),
  });
});

/** Erase the contact's personal data everywhere (admins; on the person's request). Counts in reports stay right. */
contactRoutes.delete('/:id', requireRole('admin'), async (c) => {
  const deps = c.get('deps');
  const auth = c.get('auth');
  const report = await eraseContact(deps, auth.dealerId, uuidParam(c.req.param('id'), 'contact'));
  if (!report.alreadyErased) await audit(deps.db.orm, deps.clock, { dealerId: auth.dealerId, actor: auth.tokenId, action: 'erasure', subject: { type: 'contact', id: report.contactId } });
  return c.json(report);
});

const consentBody = z.object({
  status: z.enum(['granted', 'revoked']),
  source: z.string().trim().min(1).max(200),
});

/** Record consent given or withdrawn for one channel (e.g. a signed form at the store). */
contactRoutes.put('/:id/consents/:channel', requireRole('admin', 'marketer'), async (c) => {
  const id = uuidParam(c.req.param('id'), 'contact');
  const channel = z.enum(CHANNELS).safeParse(c.req.param('channel'));
  if (!channel.success) throw validationError('unknown channel', [{ path: 'channel', message: `one of ${CHANNELS.join(', ')}` }]);
  const body = await jsonBody(c, consentBody);
  const { db, clock } = c.get('deps');
  const { dealerId } = c.get('auth');
  const [row] = await db.orm.select({ id: contacts.id }).from(contacts).where(and(eq(contacts.id, id), eq(contacts.dealerId, dealerId)));
  if (!row) throw notFound('contact');
  const now = clock.now();
  await db.orm
    .update(contacts)
    .set(consentColumns(channel.data, body.status, body.source, now))
    .where(and(eq(contacts.id, id), eq(contacts.dealerId, dealerId)));
  return c.json({ channel: channel.data, status: body.status, source: body.source, at: now.toISOString() });
});

/** The consent columns for one channel, as a drizzle update. */
export function consentColumns(channel: Channel, status: 'granted' | 'revoked', source: string, at: Date) {
  const cols = {
    mail: { mailConsent: status, mailConsentSource: source, mailConsentAt: at },
    sms: { smsConsent: status, smsConsentSource: source, smsConsentAt: at },
    email: { emailConsent: status, emailConsentSource: source, emailConsentAt: at },
  } as const;
  return cols[channel];
}

function consentsOf(r: typeof contacts.$inferSelect) {
  const out: Partial<Record<Channel, { status: string; source: string | null; at: string | null }>> = {};
  const add = (ch: Channel, status: string | null, source: string | null, at: Date | null) => {
    if (status) out[ch] = { status, source, at: at?.toISOString() ?? null };
  };
  add('mail', r.mailConsent, r.mailConsentSource, r.mailConsentAt);
  add('sms', r.smsConsent, r.smsConsentSource, r.smsConsentAt);
  add('email', r.emailConsent, r.emailConsentSource, r.emailConsentAt);
  return out;
}

export function presentContact(r: typeof contacts.$inferSelect) {
  const addr = {
    country: r.country ?? 'CN',
    province: r.province,
    city: r.city,
    district: r.district,
    street: r.street,
    postcode: r.postcode,
  };
  return {
    id: r.id,
    kind: r.kind,
    fullName: r.fullName,
    gender: r.gender,
    title: r.title,
    birthday: r.birthday,
    language: r.language,
    phone: r.phone,
    email: r.email,
    address: r.street ? { ...addr, lines: formatAddress(addr) } : null,
    company: r.company,
    jobTitle: r.jobTitle,
    fleetSize: r.fleetSize,
    club: r.club,
    tier: r.tier,
    joinDate: r.joinDate,
    attributes: r.attributes ?? {},
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    erasedAt: r.erasedAt?.toISOString() ?? null,
  };
}

// ── suppression list ──────────────────────────────────────────────────────────
export const suppressionRoutes = new Hono<AppEnv>();

const suppressionBody = z
  .object({
    channel: z.enum([...CHANNELS, 'all']),
    reason: z.enum(SUPPRESSION_REASONS),
    contactId: z.string().uuid().optional(),
    phone: z.string().max(50).optional(),
    email: z.string().max(254).optional(),
    address: z.string().max(500).optional(),
    country: z.string().length(2).optional(),
    note: z.string().max(500).optional(),
  })
  .refine((b) => [b.contactId, b.phone, b.email, b.address].filter(Boolean).length === 1, {
    message: 'give exactly one of contactId, phone, email, address',
  });

suppressionRoutes.post('/', requireRole('admin', 'marketer'), async (c) => {
  const body = await jsonBody(c, suppressionBody);
  const { db, clock } = c.get('deps');
  const { dealerId, tokenId } = c.get('auth');
  const [dealer] = await db.orm.select().from(dealers).where(eq(dealers.id, dealerId));
  const country = body.country?.toUpperCase() ?? dealer?.country ?? 'CN';
  let target: 'contact' | 'phone' | 'email' | 'household';
  let value: string;
  if (body.contactId) {
    const [row] = await db.orm
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.id, body.contactId), eq(contacts.dealerId, dealerId)));
    if (!row) throw notFound('contact');
    (target = 'contact'), (value = row.id);
  } else if (body.phone) {
    const p = normalizePhone(body.phone, country);
    if (!p.ok) throw validationError('invalid phone', [{ path: 'phone', message: p.reason }]);
    (target = 'phone'), (value = p.value);
  } else if (body.email) {
    const e = normalizeEmail(body.email);
    if (!e.ok) throw validationError('invalid email', [{ path: 'email', message: e.reason }]);
    (target = 'email'), (value = e.value);
  } else {
    const a = parseAddress(body.address!, country);
    const key = householdId({ ...a, country });
    if (!key) throw validationError('invalid address', [{ path: 'address', message: 'no street could be read from the address' }]);
    (target = 'household'), (value = key);
  }
  const hash = await sha256Hex(JSON.stringify(body));
  return idempotent(c, hash, async () => {
    const r = await suppress(db.orm, clock, dealerId, {
      channel: body.channel,
      target,
      value,
      reason: body.reason,
      source: `api:${tokenId}`,
      note: body.note ?? null,
    });
    return { status: r.created ? 201 : 200, body: presentSuppression(r.row) };
  });
});

suppressionRoutes.get('/', async (c) => {
  const q = queryParams(c, pageQuery.extend({ channel: z.enum([...CHANNELS, 'all']).optional() }));
  const { db } = c.get('deps');
  const { dealerId } = c.get('auth');
  const cursor = decodeCursor(q.cursor);
  const items = await db.orm
    .select()
    .from(suppressions)
    .where(
      and(
        eq(suppressions.dealerId, dealerId),
        q.channel ? inArray(suppressions.channel, [q.channel]) : undefined,
        cursor ? lt(suppressions.id, cursor) : undefined,
      ),
    )
    .orderBy(desc(suppressions.id))
    .limit(q.limit + 1);
  const p = page(items, q.limit);
  return c.json({ data: p.data.map(presentSuppression), nextCursor: p.nextCursor });
});

/** Lifting a suppression is an admin act; a person's own opt-out is never lifted by staff. */
suppressionRoutes.delete('/:id', requireRole('admin'), async (c) => {
  const id = uuidParam(c.req.param('id'), 'suppression');
  const { db } = c.get('deps');
  const { dealerId } = c.get('auth');
  const [row] = await db.orm.select().from(suppressions).where(and(eq(suppressions.id, id), eq(suppressions.dealerId, dealerId)));
  if (!row) throw notFound('suppression');
  if (row.reason === 'unsubscribed' || row.reason === 'complaint') {
    throw new AppError(409, 'opt_out_permanent', 'the person opted out themselves; only a new opt-in from them can lift it');
  }
  // Lifting recomputes the suppressed flags of the contacts it named (segments read them).
  await liftSuppression(db.orm, dealerId, row.id);
  return c.body(null, 204);
});

function presentSuppression(s: typeof suppressions.$inferSelect) {
  // Household keys are internal; show which kind of address is suppressed.
  return {
    id: s.id,
    channel: s.channel,
    target: s.target,
    value: s.target === 'household' ? null : s.value,
    reason: s.reason,
    source: s.source,
    note: s.note,
    createdAt: s.createdAt.toISOString(),
  };
}


