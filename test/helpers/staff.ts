// Staff people for page and browser tests: a user with a role (created
// through the admin API), signed in, with a client that sends the session
// cookie and, on unsafe requests, the CSRF token, as the page script does.
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Role } from '../../src/http/context';
import type { TestApp } from './app';

export const STAFF_PASSWORD = 'correct horse battery';

export interface StaffClient {
  email: string;
  cookie: string;
  csrf: string;
  /** A page (or any GET) as this user; redirects are not followed. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** The page's HTML, asserting a 200. */
  html(path: string): Promise<string>;
  /** An unsafe call as the page script makes it (JSON body, X-CSRF-Token unless csrf: false). */
  send(method: string, path: string, body?: unknown, opts?: { csrf?: boolean; headers?: Record<string, string> }): Promise<Response>;
}

let n = 0;

/** A new user of `role` on the test app's main dealer (or the dealer of `adminToken`), signed in. */
export async function staffUser(t: TestApp, role: Role, opts: { email?: string; name?: string; adminToken?: string } = {}): Promise<StaffClient> {
  const email = opts.email ?? `${role}${++n}.${Date.now()}@dealer.test`;
  const created = await t.req('POST', '/v1/users', { token: opts.adminToken, body: { email, name: opts.name ?? `${role} ${n}`, role, password: STAFF_PASSWORD } });
  expect(created.status, await created.clone().text()).toBe(201);
  return signIn(t, email);
}

export async function signIn(t: TestApp, email: string, password = STAFF_PASSWORD): Promise<StaffClient> {
  const res = await t.app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  expect(res.status, await res.clone().text()).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const client: StaffClient = {
    email,
    cookie,
    csrf: csrfToken,
    get: async (path, headers = {}) => t.app.request(path, { headers: { cookie, ...headers } }),
    async html(path) {
      const r = await client.get(path);
      const text = await r.text();
      expect(r.status, text.slice(0, 2000)).toBe(200);
      return text;
    },
    send: async (method, path, body, o = {}) =>
      t.app.request(path, {
        method,
        headers: {
          cookie,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(o.csrf === false ? {} : { 'x-csrf-token': csrfToken }),
          ...o.headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      }),
  };
  return client;
}

/** The test app listening on 127.0.0.1 (for a real browser); links it prints point here. */
export async function listen(t: TestApp): Promise<{ base: string; close(): Promise<void> }> {
  const server: ServerType = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.deps.config.PUBLIC_BASE_URL = base;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium is there; under CI=true its absence fails the run instead of skipping. */
export const hasChromium = (() => {
  const found = existsSync(CHROMIUM);
  if (!found && process.env.CI === 'true') throw new Error(`Debian chromium (${CHROMIUM}) is required under CI=true (apt-get install chromium)`);
  return found;
})();

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** Where page screenshots are kept (git-ignored; CI keeps them as artifacts). */
export function artifactsDir(...sub: string[]): string {
  const dir = join(process.cwd(), 'test', 'artifacts', ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Sign in through the /app/login form; lands on `next` (or, without it, the role's home page). */
export async function signInThroughPage(page: Page, base: string, email: string, next?: string, password = STAFF_PASSWORD): Promise<void> {
  await page.goto(`${base}/app/login${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    next ? page.waitForURL(`${base}${next}`) : page.waitForURL((u) => !u.pathname.startsWith('/app/login')),
    page.click('#login button[type=submit]'),
  ]);
}
