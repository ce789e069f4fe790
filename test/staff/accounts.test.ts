// Staff accounts: admins create users with roles; people sign in with a
// password (scrypt) and get an HttpOnly session cookie plus a CSRF token that
// unsafe requests must carry; sign-in attempts are limited; each role is
// refused what it may not do; one dealer's users cannot reach another's data;
// the audit log records sign-ins, launches, pauses, cancellations and downloads.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { BODY } from '../outbox/fixtures';

const OLD = new Date('2025-06-01T00:00:00Z');
const PASSWORD = 'correct horse battery';

describe.each(DB_KINDS)('staff accounts on %s', (kind) => {
  let t: TestApp;

  /** A browser signed in as `email`: sends the cookie, and the CSRF token on unsafe requests unless told not to. */
  async function signIn(email: string, password = PASSWORD) {
    const res = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    expect(res.status, await res.clone().text()).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return {
      cookie,
      req: (method: string, path: string, body?: object, opts: { csrf?: boolean } = {}) =>
        t.app.request(path, {
          method,
          headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}), ...(opts.csrf === false ? {} : { 'x-csrf-token': csrfToken }) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }),
    };
  }
  const login = (email: string, password: string) =>
    t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

  beforeAll(async () => {
    t = await createTestApp(kind);
    for (const [email, role] of [['admin@dealer.cn', 'admin'], ['mkt@dealer.cn', 'marketer'], ['boss@dealer.cn', 'manager'], ['print@shop.cn', 'printer']]) {
      const res = await t.req('POST', '/v1/users', { body: { email, name: role, role, password: PASSWORD } });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('creates users with checked input, and keeps only scrypt hashes of passwords', async () => {
    expect((await t.req('POST', '/v1/users', { body: { email: 'MKT@dealer.cn', name: 'x', role: 'marketer', password: PASSWORD } })).status).toBe(409);
    const short = await t.req('POST', '/v1/users', { body: { email: 'new@dealer.cn', name: 'x', role: 'marketer', password: 'short' } });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('at least 10 characters');
    const hashes = await rows<{ password_hash: string }>(t.deps.db.orm, sql`SELECT password_hash FROM users`);
    expect(hashes.every((h) => h.password_hash.startsWith('scrypt$32768$8$1$') && !h.password_hash.includes(PASSWORD))).toBe(true);
  });

  it('signs in with a session cookie, and refuses unsafe requests without the CSRF token', async () => {
    const wrong = await login('mkt@dealer.cn', 'not the password');
    const unknown = await login('nobody@dealer.cn', PASSWORD);
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await wrong.text()).toBe(await unknown.text());
    const mkt = await signIn('mkt@dealer.cn');
    expect((await mkt.req('GET', '/v1/auth/me')).status).toBe(200);
    expect((await mkt.req('GET', '/v1/segments')).status).toBe(200);
    const rule = { name: '全部', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } };
    expect((await mkt.req('POST', '/v1/segments', rule, { csrf: false })).status).toBe(403);
    expect((await mkt.req('POST', '/v1/segments', rule)).status).toBe(201);
    expect((await t.app.request('/v1/segments', { headers: { cookie: 'dm_staff=forged' } })).status).toBe(401);
    // Signed out: the cookie no longer works.
    expect((await mkt.req('POST', '/v1/auth/logout')).status).toBe(204);
    expect((await mkt.req('GET', '/v1/segments')).status).toBe(401);
  });

  it('refuses each role what it may not do', async () => {
    const boss = await signIn('boss@dealer.cn');
    const printer = await signIn('print@shop.cn');
    const mkt = await signIn('mkt@dealer.cn');
    expect((await boss.req('GET', '/v1/contacts')).status).toBe(200);
    expect((await boss.req('POST', '/v1/segments', { name: 'x', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } })).status).toBe(403);
    expect((await printer.req('GET', '/v1/contacts')).status).toBe(403);
    expect((await printer.req('GET', '/v1/campaigns/00000000-0000-7000-8000-000000000000')).status).toBe(403);
    expect((await printer.req('GET', '/v1/print-runs')).status).toBe(200);
    expect((await mkt.req('GET', '/v1/users')).status).toBe(403);
    expect((await mkt.req('GET', '/v1/audit')).status).toBe(403);
    expect((await boss.req('POST', '/v1/users', { email: 'x@dealer.cn', name: 'x', role: 'admin', password: PASSWORD })).status).toBe(403);
  });

  it("keeps one dealer's users out of another dealer's contacts, even by id", async () => {
    const other = await t.addDealer('另一家店');
    const theirs = uuidv7();
    await t.deps.db.orm.insert(contacts).values({ id: theirs, dealerId: other.dealerId, kind: 'prior_owner', fullName: '别家客户', createdAt: OLD, updatedAt: OLD } as typeof contacts.$inferInsert);
    const res = await t.req('POST', '/v1/users', { token: other.token, body: { email: 'admin@other.cn', name: 'o', role: 'marketer', password: PASSWORD } });
    expect(res.status).toBe(201);
    const mine = await signIn('mkt@dealer.cn');
    expect((await mine.req('GET', `/v1/contacts/${theirs}`)).status).toBe(404);
    const them = await signIn('admin@other.cn');
    expect((await them.req('GET', `/v1/contacts/${theirs}`)).status).toBe(200);
  });

  it('limits sign-in attempts per account, and ends the sessions of a disabled user at once', async () => {
    for (let i = 0; i < 5; i++) expect((await login('boss@dealer.cn', `wrong ${i}`)).status).toBe(401);
    const limited = await login('boss@dealer.cn', PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('900');
    t.clock.advance(16 * 60_000);
    const print = await signIn('print@shop.cn');
    const [u] = await rows<{ id: string }>(t.deps.db.orm, sql`SELECT id FROM users WHERE email = 'print@shop.cn'`);
    expect((await t.req('PATCH', `/v1/users/${u!.id}`, { body: { disabled: true } })).status).toBe(200);
    expect((await print.req('GET', '/v1/print-runs')).status).toBe(401);
    expect((await login('print@shop.cn', PASSWORD)).status).toBe(401);
  });

  it('records sign-ins, failed ones, user changes, launches and cancellations in the audit log, readable by admins', async () => {
    const admin = await signIn('admin@dealer.cn');
    const tpl = await admin.req('POST', '/v1/templates', { name: 't', body: BODY });
    const seg = await admin.req('POST', '/v1/segments', { name: 's', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } });
    const camp = await admin.req('POST', '/v1/campaigns', {
      name: 'c', purpose: 'test_drive', segmentId: ((await seg.json()) as { id: string }).id,
      waves: [{ channel: 'sms', templateId: ((await tpl.json()) as { id: string }).id, scheduledAt: '2026-12-01T09:00' }],
    });
    const id = ((await camp.json()) as { id: string }).id;
    expect((await admin.req('POST', `/v1/campaigns/${id}/launch`)).status).toBe(200);
    expect((await admin.req('POST', `/v1/campaigns/${id}/cancel`)).status).toBe(200);
    const log = (await (await admin.req('GET', '/v1/audit?limit=500')).json()) as { data: { action: string; actor: string | null }[] };
    const actions = new Set(log.data.map((e) => e.action));
    for (const a of ['login', 'login_failed', 'logout', 'user_created', 'user_changed', 'launch', 'cancel']) expect(actions.has(a), a).toBe(true);
    // No personal data: actors are ids.
    expect(log.data.every((e) => e.actor === null || /^(user:)?[0-9a-f-]{36}$/.test(e.actor))).toBe(true);
  });
});
