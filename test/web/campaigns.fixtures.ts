// What campaign page tests build on: a dealer's list (imported through the
// API), a segment, a print template and an SMS template, unit costs; and, for
// browser tests, signing in through the page and walking the campaign wizard.
import { join } from 'node:path';
import { signInThroughPage } from '../helpers/staff';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/app';

export interface CampaignData {
  segmentId: string;
  printTemplateId: string;
  smsTemplateId: string;
  /** Contacts in the segment. */
  contacts: number;
}

export const UNIT_COSTS = { currency: 'CNY', printPiece: 0.8, postagePiece: 1.2, smsSegment: 0.05, emailMessage: 0.01 };

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text.slice(0, 1000)).toBe(status);
  return JSON.parse(text) as T;
}

/**
 * Twelve prior owners (ten with a postal address, eleven with a mobile number,
 * five with an email address), the segment of all prior owners, the built-in
 * test-drive card (version 2 with an SMS text too) and an SMS/email template,
 * and the dealer's unit costs.
 */
export async function seedCampaignData(t: TestApp, opts: { token?: string; unitCosts?: boolean } = {}): Promise<CampaignData> {
  const token = opts.token;
  const lines = ['姓名,手机,邮箱,省,市,区,街道,邮编'];
  for (let i = 0; i < 12; i++) {
    const phone = i === 11 ? '' : `1380013${String(8000 + i)}`;
    const email = i < 4 || i === 11 ? `owner${i}@example.cn` : '';
    const street = i >= 10 ? '' : `五四路${i + 1}号`;
    const postcode = i >= 10 ? '' : String(350001 + i);
    lines.push(`车主${i},${phone},${email},福建省,福州市,鼓楼区,${street},${postcode}`);
  }
  const imp = await ok<{ id: string }>(
    await t.req('POST', '/v1/imports?filename=owners.csv&kind=prior_owner', { token, body: lines.join('\r\n') + '\r\n', headers: { 'content-type': 'text/csv' } }),
    202,
  );
  await t.deps.jobs.idle();
  const done = await ok<{ status: string; counts: { accepted: number } }>(await t.req('GET', `/v1/imports/${imp.id}`, { token }));
  expect(done.status).toBe('completed');
  expect(done.counts.accepted).toBe(12);
  const print = await ok<{ id: string }>(await t.req('POST', '/v1/templates', { token, body: { name: '试驾邀请卡', builtin: 'test-drive-invitation-zh' } }), 201);
  // Version 2 of the card adds an SMS text, for an SMS fallback to those without a postal address.
  const card = await ok<{ body: Record<string, unknown> }>(await t.req('GET', `/v1/templates/${print.id}/versions/1`, { token }));
  await ok(await t.req('PUT', `/v1/templates/${print.id}`, { token, body: { body: { ...card.body, sms: { text: '{{salutation}}，试驾邀请函已寄出，欢迎到店：{{trackingUrl}}' } }, note: 'SMS fallback' } }));
  const sms = await ok<{ id: string }>(
    await t.req('POST', '/v1/templates', {
      token,
      body: {
        name: '试驾跟进短信',
        body: {
          purpose: 'test_drive',
          locale: 'zh-CN',
          sms: { text: '{{salutation}}，本周末展厅试驾日，欢迎到店：{{trackingUrl}}' },
          email: { subject: '试驾邀请', html: '<p>{{salutation}}</p>', text: '{{salutation}}' },
        },
      },
    }),
    201,
  );
  const seg = await ok<{ id: string }>(await t.req('POST', '/v1/segments', { token, body: { name: '全部老车主', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } } }), 201);
  if (opts.unitCosts !== false) await ok(await t.req('PUT', '/v1/dealer/unit-costs', { token, body: UNIT_COSTS }));
  return { segmentId: seg.id, printTemplateId: print.id, smsTemplateId: sms.id, contacts: 12 };
}

/** Sign in through the /app/login form; lands on the role's home page. */
export async function signInPage(page: Page, base: string, email: string, password: string): Promise<void> {
  await signInThroughPage(page, base, email, undefined, password);
}

/** Accept every confirm() the pages ask (data-confirm). */
export function acceptDialogs(page: Page): void {
  page.on('dialog', (d) => void d.accept());
}

export interface WizardWave {
  channel: 'mail' | 'sms' | 'email';
  templateId: string;
  /** datetime-local value in the dealer's time zone; empty: at launch. */
  scheduledAt?: string;
  notResponded?: boolean;
  fallback?: ('sms' | 'email')[];
}

/**
 * Walk the campaign wizard from the list page to launch: audience, waves,
 * summary, proof approval of every print wave, launch. Screenshots of each
 * step go to `shots` (when given) as <prefix>-<n>-<step>.png. The page must
 * accept confirm() dialogs (acceptDialogs). Returns the campaign id; the page
 * is left on the campaign's live view.
 */
export async function walkCampaignWizard(
  page: Page,
  base: string,
  input: { name: string; segmentId: string; holdoutPct: number; waves: WizardWave[]; purpose?: string },
  shots?: { dir: string; prefix: string },
): Promise<string> {
  const shot = async (n: number, step: string) => {
    if (shots) await page.screenshot({ path: join(shots.dir, `${shots.prefix}-${n}-${step}.png`), fullPage: true });
  };
  await page.goto(`${base}/app/campaigns`);
  await Promise.all([page.waitForURL(/\/app\/campaigns\/new$/), page.click('#new-campaign')]);
  // 1. audience
  await page.fill('#c-name', input.name);
  await page.selectOption('#c-purpose', input.purpose ?? 'test_drive');
  await page.selectOption('#c-segment', input.segmentId);
  await page.waitForSelector('#segment-count[data-count]:not([data-count=""])');
  await page.fill('#c-holdout', String(input.holdoutPct));
  await shot(1, 'audience');
  await Promise.all([page.waitForURL(/\/edit\?step=waves$/), page.click('#audience-form button[type=submit]')]);
  const id = /\/app\/campaigns\/([0-9a-f-]{36})\/edit/.exec(page.url())![1]!;
  // 2. waves and templates
  for (const [k, w] of input.waves.entries()) {
    if (k > 0) await page.click('#add-wave');
    const wave = page.locator('#waves [data-wave]').nth(k);
    await wave.locator('select[data-channel]').selectOption(w.channel);
    await wave.locator('[data-single] select').selectOption(w.templateId);
    if (w.scheduledAt) await wave.locator('input[type=datetime-local]').fill(w.scheduledAt);
    if (w.notResponded) await wave.locator('input[name$=".notResponded"]').check();
    for (const f of w.fallback ?? []) await wave.locator(`input[data-fallback][value=${f}]`).check();
  }
  await shot(2, 'waves');
  await Promise.all([page.waitForURL(/\/edit\?step=summary$/), page.click('#waves-form button[type=submit]')]);
  // 3. pre-launch summary
  await page.waitForSelector('#summary-cost');
  await shot(3, 'summary');
  await Promise.all([page.waitForURL(/\/edit\?step=proof$/), page.click('#next-step')]);
  // 4. proof approval of each print wave
  for (;;) {
    const button = page.locator('button[data-approve]').first();
    if ((await button.count()) === 0) break;
    const seq = await button.getAttribute('data-approve');
    // The proof the page links to is a PDF of the wave's pinned version.
    for (const link of await page.locator(`[data-proof-wave="${seq}"] a[data-proof-pdf]`).all()) {
      const pdf = await page.request.get(new URL((await link.getAttribute('href'))!, base).href);
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect(Buffer.from(await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    }
    await button.click();
    await page.waitForSelector(`[data-proof-wave="${seq}"] [data-approved]`);
  }
  await shot(4, 'proof');
  await Promise.all([page.waitForURL(/\/edit\?step=launch$/), page.click('#next-step')]);
  // 5. schedule and launch
  await shot(5, 'launch');
  await Promise.all([page.waitForURL(new RegExp(`/app/campaigns/${id}$`)), page.click('#launch')]);
  await page.waitForSelector('#progress-body');
  return id;
}
