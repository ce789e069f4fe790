// Contacts, their consents, and the suppression list.
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { contacts, dealers, suppressions } from '../db/schema';
import type { AppEnv } from '../http/context';
import { idempotent } from '../http/idempotency';
import { decodeCursor, page, pageQuery } from '../http/pagination';
import { requireRole } from '../http/tenancy';
import { jsonBody, queryParams, uuidParam } from '../http/validate';
import { AppError, notFound, validationError } from '../lib/errors';
import { audit } from '../staff/audit';
import { eraseContact } from './erasure';
import { sha256Hex } from '../lib/ids';
import { householdId, normalizeEmail, normalizePhone, parseAddress } from './normalize';
import { contactDetail, presentContact, presentSuppression, searchContacts } from './service';
import { liftSuppression, suppress } from './suppression';
import { CHANNELS, CONTACT_KINDS, SUPPRESSION_REASONS, type Channel } from './types';

export const contactRoutes = new Hono<AppEnv>();


const listQuery = pageQuery.extend({
  q: z.string().trim().min(1).max(200).optional(),
  kind: z.enum(CONTACT_KINDS).optional(),
  address: z.string().trim().min(1).max(200).optional(),
});

/** Search: a phone or email matches exactly (normalized), anything else is a name prefix; `address`: postcode or address text. */
contactRoutes.get('/', async (c) => {
  const q = queryParams(c, listQuery);
  const items = await searchContacts(c.get('deps').db.orm, c.get('auth').dealerId, q, q.limit, decodeCursor(q.cursor));
  const p = page(items, q.limit);
  return c.json({ data: p.data.map(presentContact), nextCursor: p.nextCursor });
});

contactRoutes.get('/:id', async (c) => {
  const id = uuidParam(c.req.param('id'), 'contact');
  return c.json(await contactDetail(c.get('deps').db.orm, c.get('auth').dealerId, id));
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
