// Builders for list-import tests: CSV text generated in code, encoded the way
// real exports are (UTF-8, UTF-8 with BOM, GBK, UTF-16LE "Unicode text"), and a
// small client that calls the API as one dealer.
import { and, count, eq } from 'drizzle-orm';
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { contacts, importErrors, imports, vehicles } from '../../src/db/schema';
import type { Role } from '../../src/http/context';
import type { TestApp } from '../helpers/app';

// ── CSV text and encodings ────────────────────────────────────────────────────
export type Cell = string | number | null | undefined;

/** One cell, quoted when it holds the delimiter, a quote or a line break. */
export function csvCell(v: Cell, delimiter = ','): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return s.includes('"') || s.includes(delimiter) || /[\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows → CSV text (CRLF line ends, as Excel writes them). */
export function csvText(rows: Cell[][], opts: { delimiter?: string; eol?: string } = {}): string {
  const d = opts.delimiter ?? ',';
  const eol = opts.eol ?? '\r\n';
  return rows.map((r) => r.map((c) => csvCell(c, d)).join(d)).join(eol) + eol;
}

export type Bytes = Uint8Array<ArrayBuffer>;
export const utf8 = (s: string): Bytes => new TextEncoder().encode(s);
export const utf8Bom = (s: string): Bytes => bytes([0xef, 0xbb, 0xbf], utf8(s));
/** GBK, as Chinese Excel saves "CSV (逗号分隔)". */
export const gbk = (s: string): Bytes => new Uint8Array(iconv.encode(s, 'gbk'));
/** UTF-16LE with a BOM, as Excel saves "Unicode text" (tab-separated). */
export const utf16leBom = (s: string): Bytes => new Uint8Array(Buffer.from('\uFEFF' + s, 'utf16le'));

export function bytes(...parts: (Uint8Array | number[])[]): Bytes {
  const arrs = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrs.reduce((n, a) => n + a.byteLength, 0));
  let o = 0;
  for (const a of arrs) {
    out.set(a, o);
    o += a.byteLength;
  }
  return out;
}

/**
 * A body produced lazily, chunk by chunk, cut at fixed byte sizes (so UTF-8
 * characters are split across chunks as on a real socket).
 */
export function lazyStream(lines: () => Generator<string>, chunkBytes = 4093): ReadableStream<Uint8Array> {
  const it = lines();
  const enc = new TextEncoder();
  let pending: Bytes = new Uint8Array(0);
  let done = false;
  return new ReadableStream<Uint8Array>({
    pull(ctl) {
      while (!done && pending.byteLength < chunkBytes) {
        const r = it.next();
        if (r.done) done = true;
        else pending = bytes(pending, enc.encode(r.value));
      }
      if (pending.byteLength === 0) {
        ctl.close();
        return;
      }
      const n = Math.min(chunkBytes, pending.byteLength);
      ctl.enqueue(pending.slice(0, n));
      pending = pending.slice(n);
    },
  });
}

// ── API views ─────────────────────────────────────────────────────────────────
export interface Counts {
  rows: number;
  accepted: number;
  rejected: number;
  created: number;
  updated: number;
  unchanged: number;
  duplicatesMerged: number;
}

export interface ImportView {
  id: string;
  status: string;
  filename: string | null;
  bytes: number;
  encoding: string | null;
  delimiter: string | null;
  mapping: Record<string, string | null> | null;
  progress: { phase: string; percent: number; rowsProcessed: number; rowsTotal: number };
  counts: Counts;
  error: { code: string; message: string; details: Record<string, unknown> | null } | null;
}

export interface ContactView {
  id: string;
  kind: string;
  fullName: string | null;
  gender: string | null;
  title: string | null;
  phone: string | null;
  email: string | null;
  address: {
    country: string;
    province: string | null;
    city: string | null;
    district: string | null;
    street: string | null;
    postcode: string | null;
    lines: string[];
  } | null;
  company: string | null;
  tier: string | null;
  attributes: Record<string, string>;
}

export interface ContactDetail extends ContactView {
  vehicles: {
    id: string;
    vin: string | null;
    make: string | null;
    model: string | null;
    purchaseDate: string | null;
    lastServiceDate: string | null;
    mileageKm: number | null;
    insuranceExpiry: string | null;
  }[];
  consents: Record<string, { status: string; source: string; at: string }>;
  suppressions: { id: string; channel: string; target: string; value: string | null; reason: string }[];
  merges: { importId: string; row: number; matchedOn: string; changed: string[]; at: string }[];
}

/** Every count adds up: accepted + rejected = rows; the merge outcomes = accepted. */
export function expectCountsAddUp(c: Counts): void {
  expect(c.accepted + c.rejected).toBe(c.rows);
  expect(c.created + c.updated + c.unchanged + c.duplicatesMerged).toBe(c.accepted);
}

export type ImportParams = {
  filename?: string;
  kind?: string;
  country?: string;
  encoding?: string;
  delimiter?: 'comma' | 'tab' | 'semicolon';
  mapping?: Record<string, string | null>;
};

export function importPath(params: ImportParams = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const s = q.toString();
  return s ? `/v1/imports?${s}` : '/v1/imports';
}

/** The API as one dealer (each test takes its own dealer, so counts are its own). */
export class Client {
  constructor(
    readonly t: TestApp,
    readonly token: string,
    readonly dealerId: string,
  ) {}

  req(method: string, path: string, init: { body?: BodyInit | object; headers?: Record<string, string> } = {}) {
    return this.t.req(method, path, { ...init, token: this.token });
  }

  async json<T = any>(method: string, path: string, init?: { body?: BodyInit | object; headers?: Record<string, string> }): Promise<T> {
    const res = await this.req(method, path, init);
    const body = await res.json();
    expect(res.status, `${method} ${path}: ${JSON.stringify(body)}`).toBeLessThan(300);
    return body as T;
  }

  /** POST the file; the import is queued (202). */
  async upload(body: BodyInit, params: ImportParams = {}, headers?: Record<string, string>): Promise<ImportView> {
    // Each import a moment later, so ids (UUIDv7) order as the imports were made.
    this.t.clock.advance(1000);
    const res = await this.req('POST', importPath(params), { body, headers });
    const json = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(202);
    return json as ImportView;
  }

  /** Upload, let the job run, and return the finished import. */
  async importFile(body: BodyInit, params: ImportParams = {}): Promise<ImportView> {
    const queued = await this.upload(body, params);
    expect(queued.status).toBe('queued');
    await this.t.deps.jobs.idle();
    return this.getImport(queued.id);
  }

  getImport(id: string): Promise<ImportView> {
    return this.json<ImportView>('GET', `/v1/imports/${id}`);
  }

  /** errors.csv: the raw bytes (to see the BOM) and the parsed records. */
  async errorsCsv(id: string): Promise<{ bytes: Uint8Array; records: string[][]; text: string }> {
    const res = await this.req('GET', `/v1/imports/${id}/errors.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const b = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
    const records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
    return { bytes: b, records, text };
  }

  /** All contacts, walking the cursor pages. */
  async contacts(limit = 500): Promise<ContactView[]> {
    const out: ContactView[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: ContactView[]; nextCursor: string | null } = await this.json(
        'GET',
        `/v1/contacts?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      out.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** The one contact with this name (fails when there are none or several). */
  async contactNamed(name: string): Promise<ContactDetail> {
    const all = (await this.contacts()).filter((c) => c.fullName === name);
    expect(all.map((c) => c.fullName), `contacts named ${name}`).toEqual([name]);
    return this.contact(all[0]!.id);
  }

  contact(id: string): Promise<ContactDetail> {
    return this.json<ContactDetail>('GET', `/v1/contacts/${id}`);
  }

  // Direct counts from the database, for "nothing was written" checks.
  async contactCount(): Promise<number> {
    const [r] = await this.t.deps.db.orm.select({ n: count() }).from(contacts).where(eq(contacts.dealerId, this.dealerId));
    return Number(r!.n);
  }
  async vehicleCount(): Promise<number> {
    const [r] = await this.t.deps.db.orm.select({ n: count() }).from(vehicles).where(eq(vehicles.dealerId, this.dealerId));
    return Number(r!.n);
  }
  async importCount(): Promise<number> {
    const [r] = await this.t.deps.db.orm.select({ n: count() }).from(imports).where(eq(imports.dealerId, this.dealerId));
    return Number(r!.n);
  }
  async importErrorCount(importId: string): Promise<number> {
    const [r] = await this.t.deps.db.orm
      .select({ n: count() })
      .from(importErrors)
      .where(and(eq(importErrors.importId, importId)));
    return Number(r!.n);
  }
  async importRow(importId: string) {
    const [r] = await this.t.deps.db.orm.select().from(imports).where(eq(imports.id, importId));
    return r!;
  }
}

let dealers = 0;
/** A new dealer (with its own empty contact list) and a client for it. */
export async function newDealer(t: TestApp, role: Role = 'admin'): Promise<Client> {
  const d = await t.addDealer(`经销商 ${++dealers}`, role);
  return new Client(t, d.token, d.dealerId);
}
