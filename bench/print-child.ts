// One print run in its own process, so its peak RSS (main thread and render
// workers together) is its own. argv: databaseUrl dealerId dataDir workers
// (the dealer's contacts are loaded beforehand by ./print.ts).
// Prints one JSON line: seconds, pieces, bytes, peak RSS, CPU seconds.
import { readFileSync } from 'node:fs';
import { createApp } from '../src/app';
import { testConfig } from '../src/config';
import { connectPostgres } from '../src/db/connect';
import type { Deps } from '../src/http/context';
import { systemClock } from '../src/lib/clock';
import { JobRunner } from '../src/lib/jobs';
import { createLogger, silentLogger } from '../src/lib/log';
import { FsStorage } from '../src/main/fs-storage';
import { workerRenderer } from '../src/print/pool';
import { createPrintRun, getPrintRun } from '../src/print/runs';
import type { Rule } from '../src/segments/rules';
import { createSegment } from '../src/segments/service';
import { builtinTemplate } from '../src/templates/builtin';
import { createAsset, createTemplate, putPrintProfile } from '../src/templates/service';
import { benchCard } from './print-card';

const [url, dealerId, dataDir, workersArg] = process.argv.slice(2) as [string, string, string, string];
const db = await connectPostgres(url, { max: 4 });
const logger = process.env.BENCH_LOG ? createLogger('debug') : silentLogger;
const renderer = workerRenderer(Number(workersArg));
const deps: Deps = {
  db,
  clock: systemClock,
  config: testConfig({ DATA_DIR: dataDir, PUBLIC_BASE_URL: 'https://dm.example.cn' }),
  logger,
  storage: new FsStorage(dataDir),
  jobs: new JobRunner(logger),
  printRenderer: renderer,
};
createApp(deps);
const dealer = { id: dealerId };
await putPrintProfile(deps, dealer.id, {
  phone: '0591-88888888',
  website: null,
  hours: null,
  replyDepartment: '市场部',
  replyName: null,
  replyAddress: { country: 'CN', province: '福建省', city: '福州市', district: '鼓楼区', street: '五四路100号', postcode: '350001' },
  replyPermit: '（闽）字第0591号',
});

// The card: greeting panel and reply-card panel (see ./print-card.ts), artwork uploaded once.
const spring = builtinTemplate('spring-festival-card')!;
const assets: Record<string, string> = {};
for (const [name, file] of Object.entries(spring.assetFiles)) assets[name] = (await createAsset(deps, dealer.id, name, new Uint8Array(readFileSync(file)))).id;
const { template } = await createTemplate(deps, dealer.id, { name: 'bench card', body: { ...benchCard(), assets } });

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const everyone = await createSegment(deps, dealer.id, { name: 'everyone', rule: { field: 'kind', op: 'eq', value: 'prior_owner' } as Rule });
const run = await createPrintRun(deps, dealer.id, {
  templateId: template.id,
  audience: { segmentId: everyone.id },
  piecesPerFile: 5000,
  cropMarks: true,
});
await deps.jobs.idle();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const done = await getPrintRun(deps, dealer.id, run.id);
await renderer.close();
await db.close();
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
process.stdout.write(
  JSON.stringify({
    status: done.status,
    error: done.error,
    seconds,
    pieces: done.piecesRendered,
    excluded: done.piecesExcluded,
    files: done.files.length,
    bytes: done.files.reduce((n, f) => n + f.bytes, 0),
    maxRssMB: hwm,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }) + '\n',
);
