// Reading a list file: pass 1 checks and counts it, pass 2 yields normalized
// batches. Pure CPU work on a byte stream behind the ImportParser port, so a
// runtime can move it elsewhere (a worker thread measured slower here: cloning
// each batch across threads cost more than the parsing it moved).
import type { ContactKind } from '../contacts/types';
import { FileError, openCsv, type CsvOptions } from './csv';
import type { BatchRow } from './merge';
import { buildColumnMap, describeMapping, normalizeRow, type MappingOverride, type RowError } from './rows';

export interface ParseInput {
  csv: CsvOptions;
  mapping: MappingOverride;
  country: string;
  defaultKind?: ContactKind;
}

export interface CountResult {
  rows: number;
  encoding: string;
  delimiter: string;
  mapping: Record<string, string | null>;
}

export interface ParsedBatch {
  rows: BatchRow[];
  errors: { row: number; errs: RowError[] }[];
  /** The last row number this batch covers (the resume point once merged). */
  lastRow: number;
  bytesRead: number;
}

/** The seam between the import job and whatever reads the file. */
export interface ImportParser {
  count(fileKey: string, input: ParseInput, onBytes: (n: number) => void): Promise<CountResult>;
  batches(fileKey: string, input: ParseInput, skipThrough: number, batchRows: number): AsyncIterable<ParsedBatch>;
}

/** Open the file and resolve its columns; a bad mapping releases the file. */
async function openMapped(source: AsyncIterable<Uint8Array>, input: ParseInput) {
  const csv = await openCsv(source, input.csv);
  try {
    return { csv, map: buildColumnMap(csv.header, input.mapping) };
  } catch (e) {
    csv.close();
    throw e;
  }
}

export async function countFile(source: AsyncIterable<Uint8Array>, input: ParseInput, onBytes: (n: number) => void): Promise<CountResult> {
  const { csv, map } = await openMapped(source, input);
  let n = 0;
  let seen = 0;
  for await (const rec of csv.records()) {
    if (!isBlank(rec.cells)) n++;
    if ((++seen & 0x3fff) === 0) onBytes(csv.bytesRead());
  }
  if (n === 0) throw new FileError('header_only', 'the file has a header row but no data rows');
  return { rows: n, encoding: csv.encoding, delimiter: csv.delimiter, mapping: describeMapping(map) };
}

export async function* parseFile(
  source: AsyncIterable<Uint8Array>,
  input: ParseInput,
  skipThrough: number,
  batchRows: number,
): AsyncGenerator<ParsedBatch> {
  const { csv, map } = await openMapped(source, input);
  const ctx = { country: input.country, defaultKind: input.defaultKind };
  const width = csv.header.length;
  let rows: BatchRow[] = [];
  let errors: ParsedBatch['errors'] = [];
  let lastRow = skipThrough;
  for await (const rec of csv.records()) {
    if (rec.row <= skipThrough) continue;
    if (isBlank(rec.cells)) {
      // Spreadsheets export trailing rows of bare commas: not data, not errors.
      lastRow = rec.row;
      continue;
    }
    if (rec.cells.length > width && rec.cells.slice(width).some((x) => x.trim() !== '')) {
      errors.push({ row: rec.row, errs: [{ column: null, reason: `row has ${rec.cells.length} fields but the header has ${width}`, value: null }] });
    } else {
      const r = normalizeRow(rec.cells, map, ctx);
      if (r.ok) rows.push({ row: rec.row, contact: r.contact });
      else errors.push({ row: rec.row, errs: r.errors });
    }
    lastRow = rec.row;
    if (rows.length + errors.length >= batchRows) {
      yield { rows, errors, lastRow, bytesRead: csv.bytesRead() };
      rows = [];
      errors = [];
    }
  }
  if (rows.length || errors.length) yield { rows, errors, lastRow, bytesRead: csv.bytesRead() };
}

const isBlank = (cells: string[]) => cells.every((x) => x.trim() === '');

/** Parsing on the calling thread, reading through the Storage port. */
export function inThreadParser(open: (fileKey: string) => Promise<AsyncIterable<Uint8Array>>): ImportParser {
  return {
    count: async (fileKey, input, onBytes) => countFile(await open(fileKey), input, onBytes),
    async *batches(fileKey, input, skipThrough, batchRows) {
      yield* parseFile(await open(fileKey), input, skipThrough, batchRows);
    },
  };
}
