// Channel pieces without a database: SMS segment counting, signature and
// opt-out line, quiet hours, opt-out words, and the file channels used when no
// provider is configured (a retry of a delivery is recognised there too).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileEmail } from '../../src/channels/email';
import { fileSms, isOptOut, notQuiet, parseQuietHours, smsSegments, smsText } from '../../src/channels/sms';

describe('SMS text', () => {
  it('counts GSM-7 and UCS-2 segments at the 160/153 and 70/67 boundaries', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('试'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('试'.repeat(71)).segments).toBe(2);
    expect(smsSegments('试'.repeat(134)).segments).toBe(2);
    expect(smsSegments('试'.repeat(135)).segments).toBe(3);
    expect(smsSegments('𠮷').units).toBe(2);
  });

  it('signs Chinese messages and appends the opt-out line once', () => {
    const style = { dealerName: '闽星汽车', locale: 'zh-CN' as const, optOutZh: '拒收请回复R', optOutEn: 'Reply STOP to opt out' };
    expect(smsText('周末试驾', style)).toBe('【闽星汽车】周末试驾 拒收请回复R');
    expect(smsText('【闽星汽车】周末试驾 拒收请回复R', style)).toBe('【闽星汽车】周末试驾 拒收请回复R');
    expect(smsText('Test drive this weekend', { ...style, locale: 'en' })).toBe('Test drive this weekend Reply STOP to opt out');
  });

  it('recognises opt-out replies', () => {
    for (const w of ['STOP', 'stop', ' Unsubscribe ', '退订', 'TD', 't', 'R', 'r。']) expect(isOptOut(w), w).toBe(true);
    for (const w of ['好的', 'Stop by tomorrow', 'RR', '']) expect(isOptOut(w), w).toBe(false);
  });

  it('holds messages during quiet hours until they end, in the recipient zone', () => {
    const q = parseQuietHours('21:00-08:00');
    const tz = 'Asia/Shanghai';
    expect(notQuiet(new Date('2026-03-01T02:00:00Z'), tz, q).toISOString()).toBe('2026-03-01T02:00:00.000Z'); // 10:00
    expect(notQuiet(new Date('2026-03-01T13:30:00Z'), tz, q).toISOString()).toBe('2026-03-02T00:00:00.000Z'); // 21:30
    expect(notQuiet(new Date('2026-03-01T19:15:00Z'), tz, q).toISOString()).toBe('2026-03-02T00:00:00.000Z'); // 03:15
    expect(notQuiet(new Date('2026-03-02T00:00:00Z'), tz, q).toISOString()).toBe('2026-03-02T00:00:00.000Z'); // 08:00
    expect(() => parseQuietHours('9pm-8am')).toThrow(/21:00-08:00/);
  });
});

describe('file channels (no provider configured)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dm-outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes one .eml per delivery, with the unsubscribe headers, and a retry rewrites the same file', async () => {
    const email = fileEmail(dir);
    const m = { deliveryId: '01a20c3e-0000-7000-8000-000000000001', from: 'dealer <noreply@example.cn>', to: 'li@example.cn', subject: '诚邀试驾', html: '<p>您好</p>', text: '您好', unsubscribeUrl: 'https://dm.example.cn/u/x.sig', domain: 'dm.example.cn' };
    await email.send(m);
    await email.send(m);
    const files = await readdir(join(dir, 'email'));
    expect(files).toEqual([`${m.deliveryId}.eml`]);
    const raw = await readFile(join(dir, 'email', files[0]!), 'utf8');
    expect(raw).toMatch(/^Message-ID: <01a20c3e-0000-7000-8000-000000000001@dm\.example\.cn>$/m);
    expect(raw).toMatch(/^List-Unsubscribe: <https:\/\/dm\.example\.cn\/u\/x\.sig>$/m);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
  });

  it('appends one JSON line per delivery, even when a delivery is retried by a new process', async () => {
    await fileSms(dir).send({ deliveryId: 'd1', to: '+8613800000001', body: 'a', statusCallback: null });
    await fileSms(dir).send({ deliveryId: 'd1', to: '+8613800000001', body: 'a', statusCallback: null });
    await fileSms(dir).send({ deliveryId: 'd2', to: '+8613800000002', body: 'b', statusCallback: null });
    const lines = (await readFile(join(dir, 'sms.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { deliveryId: string });
    expect(lines.map((l) => l.deliveryId)).toEqual(['d1', 'd2']);
  });
});

describe('email tracking', () => {
  it('sends outside links through signed click redirects, leaves our own links, and adds an open pixel', async () => {
    const { trackEmailHtml, verifyClick, verifyOpenPixel } = await import('../../src/channels/links');
    const secret = 'a-link-secret-for-tests';
    const id = '01a20000-0000-7000-8000-000000000abc';
    const html =
      '<html><body><p><a href="https://www.example.com/models?a=1&amp;b=2">车型</a> <a href="https://dm.example.cn/r/ABCDEFGHJKMNPQRS">预约</a> <a href="mailto:x@example.cn">邮件</a></p></body></html>';
    const out = trackEmailHtml(html, 'https://dm.example.cn', secret, id);
    const click = /href="(https:\/\/dm\.example\.cn\/c\/[^"]+)"/.exec(out)![1]!.replace(/&amp;/g, '&');
    const u = new URL(click);
    expect(u.searchParams.get('u')).toBe('https://www.example.com/models?a=1&b=2');
    expect(verifyClick(secret, u.pathname.split('/')[2]!, u.searchParams.get('u')!)).toBe(id);
    // Re-pointing the redirect breaks its signature.
    expect(verifyClick(secret, u.pathname.split('/')[2]!, 'https://evil.example.com/')).toBeNull();
    expect(out).toContain('href="https://dm.example.cn/r/ABCDEFGHJKMNPQRS"');
    expect(out).toContain('href="mailto:x@example.cn"');
    const pixel = /<img src="https:\/\/dm\.example\.cn\/o\/([^"]+)"[^>]*><\/body>/.exec(out)![1]!;
    expect(verifyOpenPixel(secret, pixel)).toBe(id);
  });
});
