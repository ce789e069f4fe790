// The peer: the same card designed as HTML (greeting panel and reply-card
// panel, inline SVG QR codes, the same font by @font-face) and printed by
// headless Chromium with --print-to-pdf, 1,000 pieces per document.
import { spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import QRCode from 'qrcode';
import { benchCard } from './print-card';

const require = createRequire(import.meta.url);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function html(pieces: { name: string; address: string; code: string; url: string }[]): string {
  const font = pathToFileURL(require.resolve('node-source-han-sans-sc/SourceHanSansSC-Regular.otf')).href;
  const bold = pathToFileURL(require.resolve('node-source-han-sans-sc/SourceHanSansSC-Bold.otf')).href;
  const banner = pathToFileURL(join(process.cwd(), 'templates/art/spring-banner.png')).href;
  const logo = pathToFileURL(join(process.cwd(), 'templates/art/logo.png')).href;
  const survey = benchCard().survey!.questions;
  const questions = survey
    .map((q, i) => {
      const opts = q.type === 'rating' ? ['1', '2', '3', '4', '5'] : (q.options ?? []);
      const body = q.type === 'text' ? '<div class="rule"></div><div class="rule"></div>' : `<div class="opts">${opts.map((o) => `<span><i></i>${esc(o)}</span>`).join('')}</div>`;
      return `<div class="q">${i + 1}. ${esc(q.label)}${body}</div>`;
    })
    .join('');
  const pages = pieces
    .map((p) => {
      const qr = QRCode.toString(p.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }) as unknown as string;
      return `<section class="page"><img class="banner" src="${banner}"><h1>恭贺新禧 · 新春快乐</h1>
<p class="greet">尊敬的${esc(p.name)}：<br>值此新春佳节来临之际，福州闽星汽车销售服务有限公司全体员工衷心感谢您一直以来的信任与支持，恭祝您和家人新春快乐、阖家幸福、万事如意！</p>
<div class="qr">${qr}</div><div class="hint">扫码预约新春保养 / 试驾</div><img class="logo" src="${logo}"><div class="sig">福州闽星汽车销售服务有限公司 敬贺</div><div class="code">回执码 ${p.code}</div></section>
<section class="page"><h2>客户满意度调查</h2><div class="hello">${esc(p.name)}，感谢您抽空填写本卡。</div><div class="survey">${questions}</div>
<div class="qr2">${qr}</div><div class="hint2">也可扫码在线填写</div><div class="code2">回执码<br>${p.code}</div></section>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
@font-face { font-family: S; src: url(${font}); } @font-face { font-family: S; font-weight: bold; src: url(${bold}); }
@page { size: 154mm 106mm; margin: 0 }
* { margin: 0; padding: 0; box-sizing: border-box }
body { font-family: S; font-size: 10.5pt; color: #000 }
.page { width: 154mm; height: 106mm; position: relative; overflow: hidden; page-break-after: always }
.banner { position: absolute; left: 0; top: 0; width: 154mm; height: 36mm; object-fit: cover }
h1 { position: absolute; left: 11mm; top: 11mm; width: 132mm; text-align: center; font-size: 22pt; color: #f5d33a; font-weight: bold }
.greet { position: absolute; left: 11mm; top: 38mm; width: 92mm; line-height: 1.5 }
.qr, .qr2 { position: absolute; left: 113mm; top: 40mm; width: 28mm; height: 28mm } .qr svg, .qr2 svg { width: 100%; height: 100% }
.qr2 { left: 117mm; top: 11mm; width: 26mm; height: 26mm }
.hint { position: absolute; left: 107mm; top: 69mm; width: 40mm; text-align: center; font-size: 7.5pt }
.hint2 { position: absolute; left: 111mm; top: 39mm; width: 36mm; text-align: center; font-size: 7pt }
.logo { position: absolute; left: 11mm; top: 89mm; width: 8mm }
.sig { position: absolute; left: 21mm; top: 90mm; font-size: 9pt }
.code { position: absolute; left: 107mm; top: 89mm; width: 40mm; text-align: center; font-size: 7pt }
.code2 { position: absolute; left: 111mm; top: 89mm; width: 36mm; text-align: center; font-size: 7pt }
h2 { position: absolute; left: 9mm; top: 8mm; font-size: 12pt; font-weight: bold }
.hello { position: absolute; left: 9mm; top: 16mm; font-size: 7.5pt }
.survey { position: absolute; left: 9mm; top: 24mm; width: 100mm; font-size: 7.5pt; line-height: 1.4 }
.opts span { margin-right: 3mm } .opts i { display: inline-block; width: 2.2mm; height: 2.2mm; border: 0.2mm solid #000; margin: 0 1mm }
.rule { border-bottom: 0.15mm solid #000; height: 4mm }
</style></head><body>${pages}</body></html>`;
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-pdf-header-footer', '--allow-file-access-from-files'];

function print(htmlFile: string, pdfFile: string, profile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/chromium', [...FLAGS, `--user-data-dir=${profile}`, `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chromium exited ${code}`))));
  });
}

/** Print `docs` documents of `perDoc` pieces, `parallel` at a time; pieces per second over the wall time. */
export async function chromiumPeer(dir: string, docs: number, perDoc: number, parallel: number): Promise<{ seconds: number; pieces: number; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let d = 0; d < docs; d++) {
    const pieces = Array.from({ length: perDoc }, (_, i) => {
      const token = `B${String(d * perDoc + i).padStart(15, '0')}`;
      return { name: `王${'小明丽娜伟强'[i % 6]}先生`, address: '', code: token.replace(/(.{4})(?=.)/g, '$1-'), url: `https://dm.example.cn/r/${token}` };
    });
    const f = join(dir, `doc-${d}.html`);
    writeFileSync(f, html(pieces));
    files.push(f);
  }
  const t0 = performance.now();
  let next = 0;
  const lane = async (l: number) => {
    while (next < files.length) {
      const f = files[next++]!;
      await print(f, f.replace(/\.html$/, '.pdf'), join(dir, `profile-${l}`));
    }
  };
  await Promise.all(Array.from({ length: parallel }, (_, l) => lane(l)));
  const seconds = (performance.now() - t0) / 1000;
  const bytes = files.reduce((n, f) => n + statSync(f.replace(/\.html$/, '.pdf')).size, 0);
  return { seconds, pieces: docs * perDoc, bytes };
}
