// Print-run benchmark: N personalized greeting cards with their reply cards
// (two panels per piece) rendered by the service into print-run files, and in
// the same run the same card as HTML printed by headless Chromium.
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyRows } from '../src/db/bulk';
import { connectPostgres } from '../src/db/connect';
import { createDealer } from '../src/dealers';
import { systemClock } from '../src/lib/clock';
import { uuidv7 } from '../src/lib/ids';
import { rng } from './gen';
import { chromiumPeer } from './print-chromium';

/** The recipients: seeded, realistic names and addresses, loaded with COPY. */
async function seedContacts(url: string, N: number): Promise<string> {
  const db = await connectPostgres(url, { max: 1 });
  const dealer = await createDealer(db.orm, systemClock, { name: '福州闽星汽车销售服务有限公司' });
  const now = new Date();
  const FAMILY = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈欧阳'.split('');
  const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍鹏建红梅飞鑫波宇浩凯然䶮喆堃淼'.split('');
  const PLACES = [
    ['福建省', '福州市', '鼓楼区', '3500'],
    ['福建省', '厦门市', '思明区', '3610'],
    ['广东省', '广州市', '天河区', '5106'],
    ['浙江省', '杭州市', '西湖区', '3100'],
    ['上海市', '上海市', '浦东新区', '2001'],
  ] as const;
  const ROADS = ['五四路', '工业路', '八一七北路', '湖东路', '六一中路', '杨桥东路', '华林路', '东街'];
  const rand = rng(20261124);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  for (let at = 0; at < N; at += 5000) {
    const batch: unknown[][] = [];
    for (let i = at; i < Math.min(N, at + 5000); i++) {
      const id = uuidv7(now.getTime());
      const [prov, city, district, pc] = pick(PLACES);
      const name = pick(FAMILY) + pick(GIVEN) + (rand() < 0.6 ? pick(GIVEN) : '');
      batch.push([id, dealer.id, 'prior_owner', name, rand() < 0.5 ? 'male' : 'female', 'CN', prov, city, district,
        `${pick(ROADS)}${1 + Math.floor(rand() * 300)}号${rand() < 0.5 ? `${pick(['金山', '万达', '融侨', '世茂'])}大厦${1 + Math.floor(rand() * 30)}0${1 + Math.floor(rand() * 8)}室` : ''}`,
        `${pc}${String(Math.floor(rand() * 100)).padStart(2, '0')}`, now, now]);
    }
    await db.orm.transaction((tx) =>
      copyRows(db, tx, 'contacts', ['id', 'dealer_id', 'kind', 'full_name', 'gender', 'country', 'province', 'city', 'district', 'street', 'postcode', 'created_at', 'updated_at'], batch as never),
    );
  }
  await db.close();
  return dealer.id;
}


export async function printBench(dbUrl: string, out: string, pieces: number, chromiumDocs: number): Promise<void> {
  console.log(`\n== print run: ${pieces.toLocaleString()} greeting cards + reply cards (2 panels each) ==`);
  const dir = join(out, 'print-files');
  await rm(dir, { recursive: true, force: true });
  const dealerId = await seedContacts(dbUrl, pieces);
  // Built like `npm start` (esbuild bundle, plain node, the same heap cap and
  // malloc arenas), so the peak RSS is the service's, not the TypeScript loader's.
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: ['bench/print-child.ts', 'src/print/worker.ts'],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: out,
    entryNames: '[name]',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const child = spawnSync('node', ['--max-old-space-size=256', '--max-semi-space-size=4', join(out, 'print-child.mjs'), dbUrl, dealerId, dir, '2'], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`print child failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
  if (r.status !== 'completed') throw new Error(`print run ended ${r.status}: ${r.error}`);
  const rate = r.pieces / r.seconds;
  console.log(
    `service print run:  ${r.seconds.toFixed(1)} s  ${Math.round(rate).toLocaleString()} pieces/s  ${r.files} files  ${Math.round(r.bytes / r.pieces).toLocaleString()} bytes/piece  peak RSS ${Math.round(r.maxRssMB)} MB  CPU ${r.cpuSeconds.toFixed(1)} s (${(r.cpuSeconds / r.seconds).toFixed(2)} cores busy on average)`,
  );
  const c = await chromiumPeer(join(out, 'chromium'), chromiumDocs, 1000, 2);
  const cRate = c.pieces / c.seconds;
  console.log(
    `chromium --print-to-pdf: ${c.seconds.toFixed(1)} s for ${c.pieces.toLocaleString()} pieces (${chromiumDocs} documents of 1,000, 2 at a time)  ${Math.round(cRate).toLocaleString()} pieces/s  ${Math.round(c.bytes / c.pieces).toLocaleString()} bytes/piece`,
  );
  console.log(`ratio to Chromium: ${(rate / cRate).toFixed(1)}x  (target >= 10x)   peak RSS target < 400 MB`);
}
