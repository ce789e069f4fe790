// Streaming CSV reader for list uploads: detects the encoding and delimiter,
// decodes as it goes and yields one record at a time, so a list of any length
// is never held in memory. Uses node:stream (csv-parse needs it).
import { Readable } from 'node:stream';
import { parse, CsvError, type Options } from 'csv-parse';
import iconv from 'iconv-lite';
import { AppError } from '../lib/errors';
import { detectEncoding, type TextEncodingName } from './encoding';

const SAMPLE_BYTES = 1 << 20;

/** A problem with the whole file: nothing from it is imported. */
export class FileError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(422, code, message, details);
  }
}

export interface CsvOptions {
  encoding?: TextEncodingName;
  delimiter?: ',' | '\t' | ';';
}

export interface CsvRecord {
  /** Row number as a spreadsheet shows it: the header is row 1. */
  row: number;
  cells: string[];
}

export interface CsvReader {
  encoding: TextEncodingName;
  delimiter: string;
  header: string[];
  /** Bytes consumed from the source so far (for progress). */
  bytesRead(): number;
  /** Stop reading and release the source; records() does this when it ends. */
  close(): void;
  records(): AsyncGenerator<CsvRecord>;
}

interface Decoder {
  write(b: Uint8Array): string;
  end(): string;
}

function makeDecoder(enc: TextEncodingName): Decoder {
  if (enc === 'utf-8' || enc === 'utf-16le' || enc === 'utf-16be') {
    const td = new TextDecoder(enc, { fatal: enc === 'utf-8' });
    return { write: (b) => td.decode(b, { stream: true }), end: () => td.decode() };
  }
  const d = iconv.getDecoder('gb18030');
  return { write: (b) => d.write(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), end: () => d.end() ?? '' };
}

/** Count delimiters outside quotes on the first line; the most frequent wins. */
export function detectDelimiter(text: string): ',' | '\t' | ';' {
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) break;
    else if (!inQuotes && (ch === ',' || ch === '\t' || ch === ';')) counts[ch]++;
  }
  if (counts['\t'] > counts[','] && counts['\t'] >= counts[';']) return '\t';
  if (counts[';'] > counts[',']) return ';';
  return ',';
}

function csvErrorMessage(e: CsvError, recordStartLine: number): { message: string; details: Record<string, unknown> } {
  // An unclosed quote is only noticed at the end of the file (and csv-parse counts
  // CR and LF apart inside quotes): name the line where the broken record starts.
  const line =
    e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_MAX_RECORD_SIZE'
      ? recordStartLine
      : (e as unknown as { lines?: number }).lines;
  const what: Record<string, string> = {
    CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
    CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by other characters',
    CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a closing quote is followed by other characters',
    CSV_MAX_RECORD_SIZE: 'a record is too long',
  };
  const reason = what[e.code] ?? e.message;
  return { message: `malformed CSV${line ? ` at line ${line}` : ''}: ${reason}`, details: { line: line ?? null, code: e.code } };
}

/** Open a CSV byte stream: reads a sample, detects encoding and delimiter, reads the header. */
export async function openCsv(source: AsyncIterable<Uint8Array>, opts: CsvOptions = {}): Promise<CsvReader> {
  const it = source[Symbol.asyncIterator]();
  let bytes = 0;
  const head: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < SAMPLE_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.byteLength;
  }
  bytes = headLen;
  const sample = concat(head, headLen);
  if (sample.length === 0) throw new FileError('empty_file', 'the file is empty');

  let encoding: TextEncodingName;
  let bom = 0;
  if (opts.encoding) {
    encoding = opts.encoding;
    if (encoding === 'utf-8' && sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) bom = 3;
    if (encoding.startsWith('utf-16') && (sample[0] === 0xff || sample[0] === 0xfe)) bom = 2;
  } else {
    const det = detectEncoding(sample, done);
    if (!det.ok) throw new FileError('unknown_encoding', det.reason);
    encoding = det.value.encoding;
    bom = det.value.bomLength;
  }

  const decoder = makeDecoder(encoding);
  let firstText: string;
  try {
    firstText = decoder.write(sample.subarray(bom));
  } catch {
    throw new FileError('invalid_encoding', `the file is not valid ${encoding}`);
  }
  if (firstText.replace(/\uFEFF/g, '').trim() === '' && done) throw new FileError('empty_file', 'the file is empty');
  const delimiter = opts.delimiter ?? detectDelimiter(firstText);

  async function* text(): AsyncGenerator<string> {
    try {
      if (firstText) yield firstText;
      if (!done) {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          bytes += r.value.byteLength;
          let s: string;
          try {
            s = decoder.write(r.value);
          } catch {
            throw new FileError('invalid_encoding', `the file is not valid ${encoding} (near byte ${bytes})`);
          }
          if (s) yield s;
        }
      }
      let tail: string;
      try {
        tail = decoder.end();
      } catch {
        throw new FileError('invalid_encoding', `the file is not valid ${encoding} (it ends inside a character)`);
      }
      if (tail) yield tail;
    } finally {
      // Stopped early (an error, a cancel): release the file.
      await it.return?.();
    }
  }

  // The line on which the last complete record ended: a broken record starts after it.
  let lastRecordLine = 0;
  const textStream = Readable.from(text(), { objectMode: true });
  const options: Options<CsvRecord, string[]> = {
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    // A record larger than this is a broken quote, not a real row.
    max_record_size: 1 << 20,
    // Row numbers as a spreadsheet shows them: a skipped blank line is still a row there.
    on_record: (cells, ctx) => {
      lastRecordLine = ctx.lines;
      return { row: ctx.records + ctx.empty_lines, cells };
    },
  };
  const parser = textStream.pipe(parse(options as unknown as Options));
  // pipe() does not forward errors: a decoding error must fail the parser, not leave it waiting.
  textStream.on('error', (e: Error) => parser.destroy(e));
  const recIt = parser[Symbol.asyncIterator]() as AsyncIterator<CsvRecord>;

  async function next(): Promise<CsvRecord | undefined> {
    try {
      const r = await recIt.next();
      return r.done ? undefined : r.value;
    } catch (e) {
      if (e instanceof FileError) throw e;
      if (e instanceof CsvError) {
        const m = csvErrorMessage(e, lastRecordLine + 1);
        throw new FileError('malformed_csv', m.message, m.details);
      }
      throw e;
    }
  }

  const close = () => {
    parser.destroy();
    textStream.destroy();
  };
  const first = await next().catch((e: unknown) => {
    close();
    throw e;
  });
  const header = first?.cells;
  if (!header || header.every((h) => h.trim() === '')) {
    close();
    throw new FileError('empty_file', 'the file has no header row');
  }

  return {
    encoding,
    delimiter,
    header,
    bytesRead: () => bytes,
    close,
    async *records() {
      try {
        for (;;) {
          const rec = await next();
          if (!rec) return;
          yield rec;
        }
      } finally {
        close();
      }
    },
  };
}

function concat(parts: Uint8Array[], len: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** A CSV already in memory (a small upload: returns, sales), with the same encoding and delimiter detection. */
export function openCsvBytes(bytes: Uint8Array, opts: CsvOptions = {}): Promise<CsvReader> {
  return openCsv(
    (async function* () {
      yield bytes;
    })(),
    opts,
  );
}
