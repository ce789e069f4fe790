// Bulk writes with COPY: the fastest way to load rows, on both drivers
// (postgres.js streams COPY FROM STDIN; PGlite reads COPY FROM a blob).
import type { Database, Tx } from './index';

export type CopyValue = string | number | boolean | null | undefined | Date | object;

/** COPY text format: backslash escapes, \N for null. */
function field(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  else if (v instanceof Date) return v.toISOString();
  else s = JSON.stringify(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;
}

export function copyText(rows: ReadonlyArray<ReadonlyArray<CopyValue>>): string {
  let out = '';
  for (const r of rows) {
    for (let i = 0; i < r.length; i++) out += (i ? '\t' : '') + field(r[i]);
    out += '\n';
  }
  return out;
}

const CHUNK = 1 << 16;
const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * COPY rows into `table` inside the given transaction (or on the ORM).
 * Table and column names are fixed identifiers from our code, checked anyway.
 */
export async function copyRows(
  db: Database,
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<CopyValue>>,
): Promise<void> {
  if (rows.length === 0) return;
  if (!IDENT.test(table) || !columns.every((c) => IDENT.test(c))) throw new Error('bad identifier in COPY');
  const text = copyText(rows);
  const client = (tx as unknown as { session: { client: unknown } }).session.client;
  const stmt = `COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM`;
  if (db.kind === 'postgres') {
    const pg = client as { unsafe(q: string): { writable(): Promise<NodeJS.WritableStream> } };
    const w = await pg.unsafe(`${stmt} STDIN`).writable();
    // postgres.js frames each write as one CopyData message; 64 KiB writes
    // are about twice as fast as one large one.
    const buf = Buffer.from(text);
    await new Promise<void>((resolve, reject) => {
      w.on('error', reject);
      w.on('finish', () => resolve());
      (async () => {
        for (let o = 0; o < buf.length; o += CHUNK) {
          if (!w.write(buf.subarray(o, o + CHUNK))) await new Promise((r) => w.once('drain', r));
        }
        w.end();
      })().catch(reject);
    });
  } else {
    const lite = client as { query(q: string, p: unknown[], o: { blob: Blob }): Promise<unknown> };
    await lite.query(`${stmt} '/dev/blob'`, [], { blob: new Blob([text]) });
  }
}
