// The survey entry and returned-mail pages: a mailed-back card looked up by
// its printed code shows the questions as printed; unknown codes and other
// dealers' codes get the same answer; a card entered before shows its first
// entry instead of being entered twice; everything typed is escaped; returned
// pieces are marked one by one or from a CSV with the bad rows listed. In
// Chromium, a fake camera shows a card's QR code: the page reads it, the
// answers are ticked and saved, and the same card entered again is shown as
// a second entry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db';
import { contacts } from '../../src/db/schema';
import { responseCode, uuidv7 } from '../../src/lib/ids';
import { createTestApp, type TestApp } from '../helpers/app';
import { DB_KINDS } from '../helpers/db';
import { artifactsDir, hasChromium, launchChromium, listen, STAFF_PASSWORD, staffUser, type StaffClient, signInThroughPage } from '../helpers/staff';
import { browser as phone, field, mailedCampaign } from '../landing/fixtures';

const OLD = new Date('2025-06-01T00:00:00Z');

interface Card {
  pieceId: string;
  token: string;
  code: string;
  name: string;
}

/** The dealer (of `t`, or the one `as` names) mails the reply-paid survey card (builtin survey-reply-cn) to new contacts. */
async function surveyCards(t: TestApp, names: string[], as?: { dealerId: string; token: string }): Promise<Card[]> {
  const dealerId = as?.dealerId ?? t.dealerId;
  const req = (method: string, path: string, body?: object) => t.req(method, path, { body, token: as?.token });
  const batch = `s${uuidv7().slice(-6)}`;
  for (const [i, fullName] of names.entries()) {
    await t.deps.db.orm.insert(contacts).values({
      id: uuidv7(), dealerId, kind: 'prior_owner', fullName, gender: 'male', country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区',
      street: `八一七路${i + 1}号`, postcode: String(350001 + i), householdKey: `hh-${batch}-${i}`, attributes: { batch }, createdAt: OLD, updatedAt: OLD,
    } as typeof contacts.$inferInsert);
  }
  const tpl = await req('POST', '/v1/templates', { name: '满意度回函', builtin: 'survey-reply-cn' });
  expect(tpl.status, await tpl.clone().text()).toBe(201);
  const templateId = ((await tpl.json()) as { id: string }).id;
  const seg = await req('POST', '/v1/segments', { name: batch, rule: { field: 'kind', op: 'eq', value: 'prior_owner' } });
  const segmentId = ((await seg.json()) as { id: string }).id;
  const res = await req('POST', '/v1/campaigns', { name: '回访调查', purpose: 'survey', segmentId, holdoutPct: 0, waves: [{ channel: 'mail', templateId }] });
  expect(res.status, await res.clone().text()).toBe(201);
  const campaignId = ((await res.json()) as { id: string }).id;
  expect((await req('POST', `/v1/campaigns/${campaignId}/waves/1/approve-proof`)).status).toBe(200);
  expect((await req('POST', `/v1/campaigns/${campaignId}/launch`)).status).toBe(200);
  await t.deps.jobs.idle();
  const found = await rows<{ id: string; token: string; full_name: string }>(
    t.deps.db.orm,
    sql`SELECT p.id, p.token, c.full_name FROM pieces p JOIN print_runs r ON r.id = p.print_run_id JOIN contacts c ON c.id = p.contact_id
        WHERE r.campaign_id = ${campaignId}::uuid AND p.status = 'rendered'`,
  );
  return names.map((n) => {
    const p = found.find((x) => x.full_name === n);
    expect(p, `a printed piece for ${n}`).toBeTruthy();
    return { pieceId: p!.id, token: p!.token, code: responseCode(p!.token), name: n };
  });
}

/** A YUV4MPEG2 video (640×480, 4:2:0) whose frames all show the QR code of `text`, black on white with a quiet zone. */
function qrVideo(text: string, file: string, frames = 6): void {
  const W = 640;
  const H = 480;
  const m = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const quiet = 4;
  const scale = Math.floor(400 / (m.size + 2 * quiet));
  const side = (m.size + 2 * quiet) * scale;
  const x0 = Math.floor((W - side) / 2) + quiet * scale;
  const y0 = Math.floor((H - side) / 2) + quiet * scale;
  const y = new Uint8Array(W * H).fill(235);
  for (let r = 0; r < m.size; r++)
    for (let c = 0; c < m.size; c++) {
      if (!m.data[r * m.size + c]) continue;
      for (let dy = 0; dy < scale; dy++) y.fill(16, (y0 + r * scale + dy) * W + x0 + c * scale, (y0 + r * scale + dy) * W + x0 + (c + 1) * scale);
    }
  const chroma = new Uint8Array((W / 2) * (H / 2) * 2).fill(128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma]);
  writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({ length: frames }, () => frame)]));
}

describe.each(DB_KINDS)('survey entry and returned mail pages on %s', (kind) => {
  let t: TestApp;
  let admin: StaffClient;
  let marketer: StaffClient;
  let manager: StaffClient;
  let printer: StaffClient;
  let cards: Card[];
  let foreign: Card;
  let testDrive: { token: string };
  const card = (name: string) => cards.find((c) => c.name === name)!;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await staffUser(t, 'admin', { name: '王管理' });
    marketer = await staffUser(t, 'marketer', { name: '李<i>市场</i>' });
    manager = await staffUser(t, 'manager', { name: '赵经理' });
    printer = await staffUser(t, 'printer');
    cards = await surveyCards(t, ['林一', '林二', '<b>林三</b>', '林四', '林五', '林六', '林七']);
    // A card of another dealer: its code must look exactly like a code that names nothing.
    const other = await t.addDealer('别家汽车');
    foreign = (await surveyCards(t, ['外店客户'], other))[0]!;
    // A test-drive invitation: printed without survey questions.
    const mc = await mailedCampaign(t, [{ fullName: '试驾客户' }]);
    testDrive = mc.pieces[0]!;
  });
  afterAll(() => t.close());

  const cardHtml = async (who: StaffClient, code: string) => {
    const res = await who.get(`/app/surveys/card?code=${encodeURIComponent(code)}`, { 'x-fragment': '1' });
    return { status: res.status, html: await res.text() };
  };

  it('shows the questions of a mailed card as printed, by its code typed any way, on the page and as a fragment', async () => {
    const c = card('<b>林三</b>');
    for (const typed of [c.code, c.code.toLowerCase().replace(/-/g, ' '), c.token, c.code.replace(/0/g, 'O').replace(/1/g, 'l')]) {
      const { status, html } = await cardHtml(marketer, typed);
      expect(status, typed).toBe(200);
      expect(html).toContain(`<strong id="card-code">${c.code}</strong>`);
    }
    const { html } = await cardHtml(marketer, c.code);
    expect(html).toContain('客户满意度调查');
    for (const label of ['您对我们的销售与售后服务是否满意？', '您向亲友推荐我们的可能性（1 = 不太可能，5 = 非常可能）', '您近期感兴趣的服务', '您的其他意见或建议']) expect(html).toContain(label);
    expect(html).toMatch(/<input type="radio" name="answers\.satisfaction" id="q-satisfaction-2" value="满意"\/?>/);
    expect(html).toMatch(/<input type="radio" name="answers\.recommend" id="q-recommend-5" value="5" data-type="number"\/?>/);
    expect(html).toMatch(/<input type="checkbox" name="answers\.interests" id="q-interests-4" value="二手车置换" data-type="array"\/?>/);
    expect(html).toContain('<textarea id="q-comments" name="answers.comments"');
    expect(html).toContain('<input type="hidden" name="correction" data-type="json" value="false"');
    expect(html).toContain('data-entered="no"');
    // The recipient's name, escaped, and the campaign it was mailed in.
    expect(html).toContain('&lt;b&gt;林三&lt;/b&gt;');
    expect(html).not.toContain('<b>林三');
    expect(html).toContain('回访调查');

    // The page with ?code= shows the same card, and loads the camera reader and the page script.
    const pageHtml = await marketer.html(`/app/surveys?code=${c.code}`);
    expect(pageHtml).toContain(`<strong id="card-code">${c.code}</strong>`);
    expect(pageHtml).toContain('<script src="/app/static/survey-entry.js" defer="">');
    expect(pageHtml).toContain('id="scan"');
    // The QR reader is fetched when the camera is first used.
    expect(await (await marketer.get('/app/static/survey-entry.js')).text()).toContain("'/app/static/jsqr.js'");
    const jsqr = await marketer.get('/app/static/jsqr.js');
    expect(jsqr.headers.get('content-type')).toMatch(/javascript/);
    expect(await jsqr.text()).toContain('jsQR');

    // A test-drive card has nothing to enter.
    const drive = await cardHtml(marketer, responseCode(testDrive.token));
    expect(drive.status).toBe(200);
    expect(drive.html).toContain('id="no-survey"');
    expect(drive.html).not.toContain('id="card-form"');
  });

  it('answers a code that names nothing and another dealer\'s code the same way', async () => {
    const unknown = await cardHtml(admin, 'ABCD-EFGH-JKMN-PQRS');
    const other = await cardHtml(admin, foreign.code);
    expect(unknown.status).toBe(404);
    expect(other).toEqual(unknown);
    expect(other.html).toContain('id="card-unknown"');
    expect(other.html).not.toContain('外店客户');
    const byToken = await cardHtml(admin, foreign.token);
    expect(byToken).toEqual(unknown);
    // The page with a foreign code in the URL: the same box, nothing of the other dealer.
    const pageHtml = await admin.html(`/app/surveys?code=${foreign.code}`);
    expect(pageHtml).toContain(unknown.html);
    expect(pageHtml).not.toContain('外店客户');
    // Something that cannot be a code gets a hint about the format instead.
    const typo = await cardHtml(admin, 'ABC-123');
    expect(typo.status).toBe(422);
    expect(typo.html).toContain('data-unknown="format"');
  });

  it('shows a card entered before with its first entry (who, when, answers, escaped) and offers a correction, never a second entry', async () => {
    const c = card('林一');
    const first = await marketer.send('POST', '/v1/surveys/entries', {
      code: c.code,
      answers: { satisfaction: '满意', recommend: 4, interests: ['新车试驾', '保险续保'], comments: '<script>alert(1)</script> 周末<b>延长</b>' },
    });
    expect(first.status, await first.clone().text()).toBe(201);

    const { status, html } = await cardHtml(admin, c.code.toLowerCase());
    expect(status).toBe(200);
    expect(html).toContain('data-entered="yes"');
    expect(html).toContain('id="already-entered"');
    // Who and when (the dealer's time: the clock stands at 2026-03-01 02:00Z = 10:00 in Shanghai).
    expect(html).toContain('<span id="first-entry-by">李&lt;i&gt;市场&lt;/i&gt;</span>');
    expect(html).toMatch(/邮寄回函 · 2026\/03\/01 10:00/);
    expect(html).toContain('<dd data-answer="satisfaction">满意</dd>');
    expect(html).toContain('<dd data-answer="recommend">4 / 5</dd>');
    expect(html).toContain('<dd data-answer="interests">新车试驾、保险续保</dd>');
    expect(html).toContain('<dd data-answer="comments">&lt;script&gt;alert(1)&lt;/script&gt; 周末&lt;b&gt;延长&lt;/b&gt;</dd>');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<b>延长');
    // The form is hidden behind "replace", prefilled, and sends a correction.
    expect(html).toContain('id="replace-open"');
    expect(html).toMatch(/<form id="card-form" hidden="" data-correction="yes">/);
    expect(html).toContain('<input type="hidden" name="correction" data-type="json" value="true"');
    expect(html).toMatch(/id="q-satisfaction-2" value="满意" checked=""/);
    expect(html).toMatch(/id="q-interests-3" value="保险续保" checked="" data-type="array"/);
    expect(html).toMatch(/id="q-interests-2" value="保养维修" data-type="array"/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; 周末&lt;b&gt;延长&lt;/b&gt;</textarea>');

    // The API refuses a plain second entry; the correction replaces the answers and the card says so.
    const again = await admin.send('POST', '/v1/surveys/entries', { code: c.code, answers: { satisfaction: '一般' } });
    expect(again.status).toBe(409);
    const fix = await admin.send('POST', '/v1/surveys/entries', { code: c.code, answers: { satisfaction: '一般' }, correction: true });
    expect(fix.status).toBe(200);
    const after = (await cardHtml(admin, c.code)).html;
    expect(after).toContain('<dd data-answer="satisfaction">一般</dd>');
    expect(after).toContain('<dd data-answer="comments">—</dd>');
    expect(after).toContain('已更正');
    // Still entered by the marketer: the first entry is the one shown.
    expect(after).toContain('<span id="first-entry-by">李&lt;i&gt;市场&lt;/i&gt;</span>');
    const n = await rows<{ n: number }>(t.deps.db.orm, sql`SELECT count(*)::int AS n FROM responses WHERE piece_id = ${c.pieceId}::uuid AND kind = 'survey'`);
    expect(n[0]!.n).toBe(1);

    // The recent entries on the page link back to the card.
    const pageHtml = await admin.html('/app/surveys?lang=en');
    expect(pageHtml).toContain(`<a href="/app/surveys?code=${c.code}">${c.code}</a>`);
    expect(pageHtml).toContain('Survey entry');
  });

  it('shows an online answer as the first entry of the mailed-back card', async () => {
    const c = card('林二');
    const b = phone(t);
    const form = await (await b.get(`/l/${c.token}/survey`)).text();
    const ok = await b.post(`/l/${c.token}/survey`, { csrf: field(form, 'csrf'), q_satisfaction: '非常满意', q_recommend: '5' });
    expect(ok.status).toBe(200);
    const { html } = await cardHtml(marketer, c.code);
    expect(html).toContain('id="already-entered"');
    expect(html).toContain('在线填写（扫码）');
    expect(html).toContain('<span id="first-entry-by">收件人本人（在线）</span>');
    expect(html).toContain('<dd data-answer="satisfaction">非常满意</dd>');
    expect(html).toContain('<dd data-answer="recommend">5 / 5</dd>');
  });

  it('lets managers look but not enter, and refuses the print shop', async () => {
    const entered = await cardHtml(manager, card('林一').code);
    expect(entered.status).toBe(200);
    expect(entered.html).toContain('id="already-entered"');
    expect(entered.html).not.toContain('id="card-form"');
    expect(entered.html).not.toContain('id="replace-open"');
    const fresh = await cardHtml(manager, card('林四').code);
    expect(fresh.html).toContain('id="read-only"');
    expect(fresh.html).toContain('<fieldset disabled="">');
    expect(fresh.html).not.toContain('id="card-form"');
    expect((await manager.send('POST', '/v1/surveys/entries', { code: card('林四').code, answers: { recommend: 3 } })).status).toBe(403);
    const returns = await manager.html('/app/returns');
    expect(returns).toContain('id="read-only"');
    expect(returns).not.toContain('data-api="/v1/returns"');
    expect(returns).not.toContain('/app/static/returns.js');
    expect((await manager.send('POST', '/v1/returns', { code: card('林四').code })).status).toBe(403);

    for (const path of ['/app/surveys', '/app/returns', `/app/surveys/card?code=${card('林四').code}`]) {
      const res = await printer.get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('id="refused"');
    }
  });

  it('marks returned mail by code, and lists what was returned', async () => {
    const html = await marketer.html('/app/returns');
    expect(html).toContain('<form id="return-form" data-api="/v1/returns" data-method="POST" data-then="none" data-transform="returnRef">');
    expect(html).toContain('<script src="/app/static/returns.js" defer="">');
    expect(html).toContain('id="returns-upload"');
    const c = card('林五');
    const res = await marketer.send('POST', '/v1/returns', { code: c.code.toLowerCase(), reason: '查无此人<script>' });
    expect(res.status, await res.clone().text()).toBe(200);
    const bad = await marketer.send('POST', '/v1/returns', { code: 'ABCD-EFGH-JKMN-PQRS' });
    expect(bad.status).toBe(422);
    const after = await marketer.html('/app/returns');
    expect(after).toContain('id="recent-returns"');
    expect(after).toContain(`<td>${c.code}</td>`);
    expect(after).toContain('<td>查无此人&lt;script&gt;</td>');
    expect(after).toContain('<td>李&lt;i&gt;市场&lt;/i&gt;</td>');
    const script = await marketer.get('/app/static/returns.js');
    expect(await script.text()).toContain("'content-type', 'text/csv'");
  });

  describe.skipIf(!hasChromium)('in Chromium', () => {
    let chromium: Browser;
    let server: { base: string; close(): Promise<void> };
    let dir: string;
    let email: string;

    beforeAll(async () => {
      server = await listen(t);
      dir = mkdtempSync(join(tmpdir(), 'dm-camera-'));
      const video = join(dir, 'card.y4m');
      // The QR code printed on 林六's card: the scan URL of the piece.
      qrVideo(`${server.base}/r/${card('林六').token}`, video);
      chromium = await launchChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
      email = `scanner.${Date.now()}@dealer.test`;
      expect((await t.req('POST', '/v1/users', { body: { email, name: '周<u>录入</u>', role: 'marketer', password: STAFF_PASSWORD } })).status).toBe(201);
    });
    afterAll(async () => {
      await chromium?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('reads a card\'s QR code with the camera, saves the ticked answers, shows the card as entered when it comes again, and marks returned mail', async () => {
      const c = card('林六');
      const context = await chromium.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
      await context.grantPermissions(['camera'], { origin: server.base });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      // Answers with 4xx statuses (a conflict, a wrong code) are logged by the browser as failed loads: expected here.
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`${m.location().url}: ${m.text()}`);
      });
      const shots = artifactsDir('web');

      await signInThroughPage(page, server.base, email, '/app/surveys');

      await page.click('#scan');
      await page.waitForFunction((code) => (document.querySelector('#code') as HTMLInputElement).value === code, c.code, { timeout: 30_000 });
      await page.waitForSelector('#card-form', { state: 'visible' });
      expect(await page.textContent('#card-code')).toBe(c.code);
      // The camera is off once the code is read.
      expect(await page.isHidden('#camera')).toBe(true);
      expect(await page.evaluate(() => (document.querySelector('#camera') as HTMLVideoElement).srcObject)).toBeNull();
      await page.check('#q-satisfaction-2');
      await page.check('#q-recommend-5');
      await page.check('#q-interests-1');
      await page.check('#q-interests-4');
      await page.fill('#q-comments', '希望<b>周末</b>也能试驾');
      await page.screenshot({ path: join(shots, 'survey-entry.png'), fullPage: true });
      await page.click('#save-answers');
      await page.waitForSelector('#saved', { state: 'visible' });
      expect(await page.textContent('#saved')).toContain(`已保存卡片 ${c.code}：4 个回答`);
      expect(await page.inputValue('#code')).toBe('');
      const stored = (await (await t.req('GET', `/v1/surveys/entries?code=${c.code}`)).json()) as { entry: { answers: object; source: string } };
      expect(stored.entry).toMatchObject({ source: 'mail', answers: { satisfaction: '满意', recommend: 5, interests: ['新车试驾', '二手车置换'], comments: '希望<b>周末</b>也能试驾' } });

      // The same card again, typed this time: shown as entered, with the first entry.
      await page.fill('#code', c.code.toLowerCase().replace(/-/g, ''));
      await page.click('#lookup-button');
      await page.waitForSelector('#already-entered', { state: 'visible' });
      expect(await page.isHidden('#card-form')).toBe(true);
      expect(await page.textContent('#first-entry-by')).toBe('周<u>录入</u>');
      expect(await page.textContent('[data-answer="comments"]')).toBe('希望<b>周末</b>也能试驾');
      expect(await page.textContent('[data-answer="interests"]')).toBe('新车试驾、二手车置换');
      expect(await page.locator('#already-entered b, #already-entered u').count()).toBe(0);
      await page.screenshot({ path: join(shots, 'survey-entry-duplicate.png'), fullPage: true });

      // A correction is explicit: open it, change an answer, save.
      await page.click('#replace-open');
      await page.waitForSelector('#card-form', { state: 'visible' });
      expect(await page.isChecked('#q-interests-4')).toBe(true);
      await page.check('#q-satisfaction-3');
      await page.click('#save-answers');
      await page.waitForSelector('#saved', { state: 'visible' });
      expect(await page.textContent('#saved')).toContain(`已更正卡片 ${c.code}`);
      const corrected = (await (await t.req('GET', `/v1/surveys/entries?code=${c.code}`)).json()) as { entry: { answers: { satisfaction: string }; corrected: boolean } };
      expect(corrected.entry).toMatchObject({ corrected: true, answers: { satisfaction: '一般' } });

      // Someone else enters a card while it is open here: saving shows their entry instead.
      const other = card('林七');
      await page.fill('#code', other.code);
      await page.click('#lookup-button');
      await page.waitForSelector('#card-form', { state: 'visible' });
      // Nothing ticked: refused, said in the page's language.
      await page.click('#save-answers');
      await page.waitForSelector('#card-form [data-error]', { state: 'visible' });
      expect(await page.textContent('#card-form [data-error]')).toContain('有些答案与卡片不符：');
      expect(await page.textContent('#card-form [data-error]')).toContain('没有勾选或填写任何答案');
      expect((await t.req('POST', '/v1/surveys/entries', { body: { code: other.code, answers: { recommend: 2 } } })).status).toBe(201);
      await page.check('#q-recommend-4');
      await page.click('#save-answers');
      await page.waitForSelector('#save-conflict', { state: 'visible' });
      expect(await page.textContent('#save-conflict')).toMatch(/^这张卡片已于 .+从寄回的卡片录入；如需替换答案，请作为更正提交。$/);
      await page.waitForSelector('#already-entered', { state: 'visible' });
      expect(await page.textContent('[data-answer="recommend"]')).toBe('2 / 5');

      // Returned mail: one by one, then a CSV with bad rows.
      await page.goto(`${server.base}/app/returns`);
      await page.fill('#ref', card('林四').code.toLowerCase());
      await page.fill('#reason', '地址不详');
      await page.click('#return-submit');
      await page.waitForSelector('#return-log li');
      expect(await page.textContent('#return-log li')).toContain(`${card('林四').code} — 已标记为退回`);
      expect(await page.inputValue('#ref')).toBe('');
      await page.fill('#ref', 'ABCD-EFGH-JKMN-PQRS');
      await page.click('#return-submit');
      await page.waitForSelector('#return-form [data-error]', { state: 'visible' });
      expect(await page.textContent('#return-form [data-error]')).toContain('没有此回执码的已印刷邮件');
      expect(await page.textContent('#return-form [data-error]')).not.toMatch(/[a-z]{4}/);

      const csv = ['code,piece_id,reason', `${card('林五').code},,拒收`, `${c.code},,查无此人`, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ,,', ',not-an-id,', ',,迁移', ''].join('\n');
      // Spreadsheet programs on Windows label .csv files as Excel: the page sends them as CSV anyway.
      await page.setInputFiles('#returns-file', { name: '退回.csv', mimeType: 'application/vnd.ms-excel', buffer: Buffer.from(csv) });
      await page.click('#returns-upload-button');
      await page.waitForSelector('#returns-summary');
      expect(await page.textContent('#returns-summary')).toBe('共 5 行：新标记 1，之前已标记 1，出错 3。');
      const errorRows = await page.$$eval('#returns-errors tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
      expect(errorRows).toEqual([
        ['4', 'code', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ', '没有此回执码的已印刷邮件'],
        ['5', 'piece_id', 'not-an-id', '不是邮件编号'],
        ['6', 'code', '', '空白'],
      ]);
      await page.screenshot({ path: join(shots, 'returns.png'), fullPage: true });
      const returned = await rows<{ n: number }>(t.deps.db.orm, sql`SELECT count(DISTINCT piece_id)::int AS n FROM responses WHERE dealer_id = ${t.dealerId}::uuid AND kind = 'returned'`);
      expect(returned[0]!.n).toBe(3);
      expect(problems).toEqual([]);
      await context.close();
    }, 180_000);
  });
});
