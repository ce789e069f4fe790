// The sign-in refuses bodies another site's form could send (login CSRF):
// only JSON sent as application/json, which needs a CORS preflight cross-site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { staffUser, STAFF_PASSWORD, type StaffClient } from '../helpers/staff';

describe.each(DB_KINDS)('sign-in content type on %s', (kind) => {
  let t: TestApp;
  let marketer: StaffClient;

  beforeAll(async () => {
    t = await createTestApp(kind);
    marketer = await staffUser(t, 'marketer');
  });
  afterAll(() => t.close());

  it('login refuses a text/plain body (what a cross-site <form enctype=text/plain> sends: login CSRF)', async () => {
    // <form method=post action=/v1/auth/login enctype=text/plain><input name='{"email":"x","password":"y","p":"' value='"}'>
    const body = `{"email":"${marketer.email}","password":"${STAFF_PASSWORD}","p":"="}`;
    const res = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(res.status).toBe(415);
    expect(res.headers.get('set-cookie')).toBeNull();
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': type }, body });
      expect(r.status).toBe(415);
    }
    // The sign-in page's script (and API clients) send JSON as JSON.
    const ok = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    expect(ok.status).toBe(200);
  });
});
