// A campaign whose print wave was rendered and mailed, so its pieces carry
// real tracking tokens; a browser-like client for the public pages (cookies,
// Origin, forms); and helpers to read the pages.
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { uuidv7 } from '../../src/lib/ids';
import type { TestApp } from '../helpers/app';

const OLD = new Date('2025-06-01T00:00:00Z');

export interface PieceInfo {
  pieceId: string;
  token: string;
  contactId: string;
  name: string | null;
}

export interface MailedCampaign {
  campaignId: string;
  waveId: string;
  runId: string;
  pieces: PieceInfo[];
}

export interface PersonSeed {
  fullName: string;
  gender?: 'male' | 'female';
  phone?: string;
  email?: string;
  language?: string;
  street?: string;
}

/** Contacts, a test-drive card template, a one-wave mail campaign launched, printed and mailed on `mailedOn`. */
export async function mailedCampaign(t: TestApp, people: PersonSeed[], mailedOn = '2026-03-01'): Promise<MailedCampaign> {
  const kind = `k${uuidv7().slice(-6)}`;
  for (const [i, p] of people.entries()) {
    await t.deps.db.orm.insert(contacts).values({
      id: uuidv7(),
      dealerId: t.dealerId,
      kind: 'prior_owner',
      fullName: p.fullName,
      gender: p.gender ?? 'male',
      phone: p.phone ?? null,
      email: p.email ?? null,
      language: p.language ?? null,
      country: 'CN',
      province: '福建省',
      city: '福州市',
      district: '鼓楼区',
      street: p.street ?? `五四路${i + 1}号`,
      postcode: String(350001 + i),
      householdKey: `hh-${kind}-${i}`,
      attributes: { batch: kind },
      createdAt: OLD,
      updatedAt: OLD,
    } as typeof contacts.$inferInsert);
  }
  const tpl = await t.req('POST', '/v1/templates', { body: { name: '试驾邀请', builtin: 'test-drive-invitation-zh' } });
  expect(tpl.status, await tpl.clone().text()).toBe(201);
  const templateId = ((await tpl.json()) as { id: string }).id;
  const names = people.map((p) => p.fullName);
  const seg = await t.req('POST', '/v1/segments', { body: { name: kind, rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } });
  const segmentId = ((await seg.json()) as { id: string }).id;
  const res = await t.req('POST', '/v1/campaigns', { body: { name: '春季试驾', purpose: 'test_drive', segmentId, holdoutPct: 0, waves: [{ channel: 'mail', templateId }] } });
  expect(res.status, await res.clone().text()).toBe(201);
  const campaignId = ((await res.json()) as { id: string }).id;
  expect((await t.req('POST', `/v1/campaigns/${campaignId}/waves/1/approve-proof`)).status).toBe(200);
  const launch = await t.req('POST', `/v1/campaigns/${campaignId}/launch`);
  expect(launch.status, await launch.clone().text()).toBe(200);
  await t.deps.jobs.idle();
  const view = (await (await t.req('GET', `/v1/campaigns/${campaignId}`)).json()) as { waves: { id: string; printRunId: string }[] };
  const runId = view.waves[0]!.printRunId;
  const run = (await (await t.req('GET', `/v1/print-runs/${runId}`)).json()) as { status: string };
  expect(run.status).toBe('completed');
  await t.deps.db.orm.execute(sql`UPDATE print_runs SET job_status = 'mailed', mailed_on = ${mailedOn}::date WHERE id = ${runId}::uuid`);
  const pieces = await rows<{ id: string; token: string; contact_id: string; full_name: string | null }>(
    t.deps.db.orm,
    sql`SELECT p.id, p.token, p.contact_id, c.full_name FROM pieces p JOIN contacts c ON c.id = p.contact_id
        WHERE p.print_run_id = ${runId}::uuid AND p.status = 'rendered'`,
  );
  const byName = new Map(pieces.map((p) => [p.full_name, p]));
  return {
    campaignId,
    waveId: view.waves[0]!.id,
    runId,
    pieces: names.filter((n) => byName.has(n)).map((n) => {
      const p = byName.get(n)!;
      return { pieceId: p.id, token: p.token, contactId: p.contact_id, name: p.full_name };
    }),
  };
}

/** A phone's view of the public pages: keeps cookies, sends the Origin a browser sends with a form. */
export function browser(t: TestApp, origin = 'http://localhost') {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  return {
    jar,
    async get(path: string, headers: Record<string, string> = {}) {
      return keep(await t.app.request(path, { headers: { cookie: cookie(), 'user-agent': 'Mozilla/5.0 (iPhone) test', ...headers } }));
    },
    async post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of ([] as string[]).concat(v)) body.append(k, x);
      return keep(
        await t.app.request(path, {
          method: 'POST',
          headers: { cookie: cookie(), origin, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mozilla/5.0 (iPhone) test', ...headers },
          body: body.toString(),
        }),
      );
    },
  };
}

/** The value of a hidden or text input in a page. */
export function field(html: string, name: string): string {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html) ?? new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html);
  if (!m) throw new Error(`no input ${name} in the page`);
  return m[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** The enabled slot options of a page (values YYYY-MM-DDTHH:MM). */
export function slotOptions(html: string): string[] {
  return [...html.matchAll(/<option value="(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})"(?![^>]*disabled)[^>]*>/g)].map((m) => m[1]!);
}
