// Structured JSON-line logs. Callers pass ids and counts, never names, phones,
// emails or addresses: the fields below are the whole vocabulary we log.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether a line at this level would be written: for fields that cost something to gather. */
  enabled(level: LogLevel): boolean;
}

export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = (l) => console.log(l),
): Logger {
  return new JsonLogger(order[level], base, write);
}

/** One per request (child): a plain object with shared methods, cheap to make. */
class JsonLogger implements Logger {
  constructor(
    private readonly min: number,
    private readonly base: LogFields,
    private readonly write: (line: string) => void,
    /** A child's own fields, merged over the parent's only when a line is written (a child per request costs nothing below the level). */
    private readonly parent?: JsonLogger,
  ) {}
  private fields(): LogFields {
    return this.parent ? { ...this.parent.fields(), ...this.base } : this.base;
  }
  enabled(lvl: LogLevel): boolean {
    return order[lvl] >= this.min;
  }
  private emit(lvl: LogLevel, msg: string, fields?: LogFields) {
    if (!this.enabled(lvl)) return;
    this.write(JSON.stringify({ t: new Date().toISOString(), level: lvl, msg, ...this.fields(), ...fields }));
  }
  debug(m: string, f?: LogFields) {
    this.emit('debug', m, f);
  }
  info(m: string, f?: LogFields) {
    this.emit('info', m, f);
  }
  warn(m: string, f?: LogFields) {
    this.emit('warn', m, f);
  }
  error(m: string, f?: LogFields) {
    this.emit('error', m, f);
  }
  child(f: LogFields): Logger {
    return new JsonLogger(this.min, f, this.write, this);
  }
}

export const silentLogger: Logger = createLogger('error', {}, () => {});

/**
 * An error as a log field without the data it may carry: query errors quote
 * their parameters (names, phones), so only the driver's code and message go out.
 */
export function errorField(e: unknown): string {
  if (!(e instanceof Error)) return 'non-error thrown';
  const cause = (e as { cause?: { code?: string } }).cause;
  const code = (e as { code?: unknown }).code ?? cause?.code;
  // A database message can quote the offending value; its SQLSTATE code cannot.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `${e.name}: SQLSTATE ${code}`;
  if (e.message.startsWith('Failed query')) return `${e.name}: query failed`;
  return `${e.name}: ${e.message.split('\n')[0]!.slice(0, 200)}`;
}

/** The SQLSTATE of a database error (drizzle wraps the driver's error as cause). */
export function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code ?? (e as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
