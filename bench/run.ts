// npm run bench [-- --rows 1000000 --pieces 100000 --messages 100000 --tokens 1000000 --only import|segments|print|dispatch|scan]
// Each benchmark prints its figures next to a peer measured in the same run.
import { spawnSync } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { connectPostgres, migrate } from '../src/db/connect';
import { dispatchBench } from './dispatch';
import { writeCsv } from './gen';
import { printBench } from './print';
import { scanBench } from './scan';
import { segmentBench } from './segments';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const N = Number(opt('rows', '1000000'));
const only = opt('only', 'all');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'dm_bench';
const out = resolve('bench/out');

function dbUrl(name: string) {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drop and recreate a benchmark database, migrated; its URL. */
async function freshDatabase(name: string): Promise<string> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const db = await connectPostgres(dbUrl(name), { max: 2 });
  await migrate(db);
  await db.close();
  return dbUrl(name);
}

async function importBench(csv: string) {
  console.log(`\n== import: ${N.toLocaleString()} rows into PostgreSQL ==`);
  // Peer: psql \copy of the same file into a bare table of text columns.
  const admin = postgres(dbUrl(DB_NAME), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP TABLE IF EXISTS copy_baseline`);
  await admin.unsafe(
    `CREATE TABLE copy_baseline (${Array.from({ length: 13 }, (_, i) => `c${i} text`).join(', ')})`,
  );
  await admin.end();
  let t0 = performance.now();
  const cp = spawnSync('psql', [dbUrl(DB_NAME), '-qc', `\\copy copy_baseline FROM '${csv}' WITH (FORMAT csv, HEADER true)`], {
    encoding: 'utf8',
  });
  const copySec = (performance.now() - t0) / 1000;
  if (cp.status !== 0) throw new Error(`psql \\copy failed: ${cp.stderr}`);
  const copyRate = N / copySec;
  console.log(`psql \\copy (bare table):  ${copySec.toFixed(2)} s  ${Math.round(copyRate).toLocaleString()} rows/s`);

  const dir = join(out, 'files');
  await rm(dir, { recursive: true, force: true });
  t0 = performance.now();
  const child = spawnSync('npx', ['tsx', 'bench/import-child.ts', dbUrl(DB_NAME), csv, dir], {
    encoding: 'utf8',
    // The same heap cap as `npm start`: V8 otherwise grows lazily far past the live data.
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' },
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`import child failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
  if (r.status !== 'completed') throw new Error(`import ended ${r.status}: ${JSON.stringify(r.error)}`);
  const rate = r.rows / r.seconds;
  console.log(
    `service import:           ${r.seconds.toFixed(2)} s  ${Math.round(rate).toLocaleString()} rows/s  peak RSS ${Math.round(r.maxRssMB)} MB  (accepted ${r.accepted.toLocaleString()}, rejected ${r.rejected}, created ${r.created.toLocaleString()})`,
  );
  console.log(`ratio to \\copy: ${(rate / copyRate).toFixed(3)}  (target >= 0.25)   peak RSS target < 300 MB`);

  // The floor under any import into this schema: psql \copy of the already
  // normalized rows into tables with the same columns and indexes.
  const dump = (t: string) => join(out, `floor-${t}.tsv`);
  const sh = (sql: string) => {
    const p = spawnSync('psql', [dbUrl(DB_NAME), '-qc', sql], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(p.stderr);
  };
  sh(`\\copy (SELECT * FROM contacts WHERE dealer_id = '${r.dealerId}') TO '${dump('contacts')}'`);
  sh(`\\copy (SELECT * FROM vehicles WHERE dealer_id = '${r.dealerId}') TO '${dump('vehicles')}'`);
  sh('DROP TABLE IF EXISTS floor_contacts, floor_vehicles');
  sh('CREATE TABLE floor_contacts (LIKE contacts INCLUDING ALL); CREATE TABLE floor_vehicles (LIKE vehicles INCLUDING ALL)');
  t0 = performance.now();
  sh(`\\copy floor_contacts FROM '${dump('contacts')}'`);
  sh(`\\copy floor_vehicles FROM '${dump('vehicles')}'`);
  const floorSec = (performance.now() - t0) / 1000;
  sh('DROP TABLE floor_contacts, floor_vehicles');
  console.log(
    `floor: \\copy of the normalized rows into indexed contacts + vehicles: ${floorSec.toFixed(2)} s  ${Math.round(N / floorSec).toLocaleString()} rows/s  (ratio to bare \\copy ${(N / floorSec / copyRate).toFixed(3)})`,
  );
  return r.dealerId as string;
}

await mkdir(out, { recursive: true });
const csv = join(out, `list-${N}.csv`);
let dealerId: string | undefined;
if (only === 'all' || only === 'import' || only === 'segments') {
  try {
    await stat(csv);
  } catch {
    console.log(`generating ${csv}`);
    await writeCsv(csv, N);
  }
  await freshDatabase(DB_NAME);
  dealerId = await importBench(csv);
}
if ((only === 'all' || only === 'segments') && dealerId) await segmentBench(dbUrl(DB_NAME), dealerId, N);
if (only === 'all' || only === 'print') {
  await printBench(await freshDatabase('dm_bench_print'), out, Number(opt('pieces', '100000')), Number(opt('chromium-docs', '4')));
}
if (only === 'dispatch') {
  await dispatchBench(await freshDatabase('dm_bench_dispatch'), out, Number(opt('messages', '100000')));
}
if (only === 'scan') {
  await scanBench(await freshDatabase('dm_bench_scan'), out, Number(opt('tokens', '1000000')), Number(opt('seconds', '20')), Number(opt('connections', '50')));
}
