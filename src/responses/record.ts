// Recording a response: the one way a row reaches `responses`. Scans, clicks,
// opens, bookings, attended test drives, opt-outs (and later surveys, SMS
// replies, returned mail, sales) all come through `recordResponse`, which
// attributes the response to the campaign, wave, channel, variant and contact
// of what it came through and decides whether it falls inside the campaign's
// response window. One round trip: a QR scan costs one statement.
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rows, type Tx } from '../db';
import type { Clock } from '../lib/clock';
import { isUuid, uuidv7 } from '../lib/ids';

export const RESPONSE_KINDS = ['scan', 'open', 'click', 'booking', 'survey', 'sms_reply', 'attended', 'sale', 'returned', 'opt_out'] as const;
export type ResponseKind = (typeof RESPONSE_KINDS)[number];

/** How long after its mail or send date a tracking token still opens its landing page. */
export const DEFAULT_TOKEN_DAYS = 365;

/** What a response came through; attribution follows from it. */
export type ResponseSource =
  /** A piece's or delivery's tracking token (a QR scan, a short link, the landing page's forms). Unknown, unsent or expired tokens record nothing. */
  | { token: string; tokenDays?: number }
  /** A printed piece (a mailed-back card typed in by staff, a returned piece). */
  | { pieceId: string }
  /** A delivery (an email open or click, an SMS reply). */
  | { deliveryId: string }
  /** Follows an earlier response of the same recipient (an attended test drive follows its booking). */
  | { after: string }
  /**
   * Attributed directly: the dealer's general pages (channel 'web'), a holdout
   * member matched by phone (control: true), a sale matched by VIN.
   */
  | { direct: { channel: string; contactId?: string | null; campaignId?: string | null; waveId?: string | null; variant?: string | null; control?: boolean } };

export interface ResponseInput {
  /**
   * The dealer the response must belong to. Required for `after` and `direct`;
   * a token, piece or delivery names its dealer (pass it anyway when known, to
   * scope the lookup).
   */
  dealerId?: string;
  kind: ResponseKind;
  source: ResponseSource;
  occurredAt?: Date;
  /** Kind-specific detail (booking id, user agent, answers …). Never a raw IP address. */
  data?: Record<string, unknown>;
  /** Use this id (e.g. to reference the response from a row written in the same transaction). */
  id?: string;
  /**
   * false: commit without waiting for the WAL to reach disk (synchronous_commit
   * off for this one statement's transaction). For high-volume signals (scans,
   * opens, clicks): a crash of the database server can lose the last fraction
   * of a second of them, never corrupt anything. Bookings, opt-outs and
   * everything staff enter keep the default. Only outside a transaction:
   * inside one it would relax the caller's whole commit.
   */
  durable?: boolean;
}

export interface RecordedResponse {
  id: string;
  dealerId: string;
  kind: ResponseKind;
  campaignId: string | null;
  waveId: string | null;
  channel: string | null;
  variant: string | null;
  contactId: string | null;
  pieceId: string | null;
  deliveryId: string | null;
  control: boolean;
  inWindow: boolean;
  occurredAt: Date;
}

interface Row {
  id: string;
  dealer_id: string;
  kind: ResponseKind;
  campaign_id: string | null;
  wave_id: string | null;
  channel: string | null;
  variant: string | null;
  contact_id: string | null;
  piece_id: string | null;
  delivery_id: string | null;
  control: boolean;
  in_window: boolean;
  occurred_at: Date | string;
}

/** The oldest mail or send date a token may have and still resolve. */
function tokenOldest(now: Date, days = DEFAULT_TOKEN_DAYS): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

/**
 * The piece or delivery a tracking token names, as a row source of attribution
 * columns (dealer_id, campaign_id, wave_id, channel, variant, contact_id,
 * piece_id, delivery_id): a rendered piece of a print run, or a delivery that
 * was sent, within `days` of its mail or send date. Everything else (unknown,
 * excluded, unsent, expired) is no row, so callers cannot tell those apart and
 * neither can a client. The rule lives in the SQL function token_target
 * (migrations/0010_record_response_function.sql); record_responses holds the same rule.
 */
export function tokenSource(token: string, now: Date, days = DEFAULT_TOKEN_DAYS): SQL {
  return sql`token_target(${token}::text, ${tokenOldest(now, days)}::timestamptz)`;
}

/**
 * Record one response. Returns it with its attribution, or null when the
 * source names nothing (an unknown or expired token, another dealer's piece).
 *
 * The work is the SQL function record_responses
 * (migrations/0015_record_responses_set_based.sql): one set-based statement
 * per batch, in PL/pgSQL so that it is planned once per connection. In the window: the response's date in the dealer's time zone is
 * on or after the window's first day (the print job's mail date, else the
 * run's creation date; the delivery's send date; the campaign's launch for
 * direct attribution) and before that day plus the campaign's
 * response_window_days. A response tied to no campaign is always in.
 */
export async function recordResponse(db: Tx, clock: Clock, input: ResponseInput): Promise<RecordedResponse | null> {
  return (await recordResponses(db, clock, [input]))[0]!;
}

/** One input as record_responses reads it. Keys left out are NULL there (jsonb_to_recordset), so they are not sent. */
interface Call {
  id: string;
  dealer?: string;
  kind: string;
  source: string;
  /** The token ('token' source). */
  ref?: string;
  /** The piece, delivery or earlier response ('piece', 'delivery', 'after'). */
  ref_id?: string;
  oldest?: string;
  channel?: string;
  contact?: string;
  campaign?: string;
  wave?: string;
  variant?: string;
  control?: boolean;
  occurred: string;
  data: Record<string, unknown>;
}

/** One input as record_responses reads it; null when it cannot name anything. `oldest`: tokenOldest of the batch's now. */
function call(input: ResponseInput, now: Date, oldestOf: (days: number | undefined) => string): Call | null {
  const s = input.source;
  let source: string;
  let ref: string | null = null;
  let oldest: string | null = null;
  let direct: Extract<ResponseSource, { direct: unknown }>['direct'] | null = null;
  if ('token' in s) {
    source = 'token';
    ref = s.token;
    oldest = oldestOf(s.tokenDays);
  } else if ('pieceId' in s) {
    source = 'piece';
    ref = s.pieceId;
  } else if ('deliveryId' in s) {
    source = 'delivery';
    ref = s.deliveryId;
  } else if ('after' in s) {
    source = 'after';
    ref = s.after;
  } else {
    source = 'direct';
    direct = s.direct;
  }
  if ((source === 'after' || source === 'direct') && !input.dealerId) throw new Error(`recordResponse: a dealerId is required for a '${source}' source`);
  // Ids that are not UUIDs name nothing (and must not reach a ::uuid cast).
  if ((source === 'piece' || source === 'delivery' || source === 'after') && !isUuid(ref!)) return null;
  const c: Call = {
    id: input.id ?? uuidv7(now.getTime()),
    kind: input.kind,
    source,
    occurred: (input.occurredAt ?? now).toISOString(),
    data: input.data ?? {},
  };
  if (input.dealerId) c.dealer = input.dealerId;
  if (source === 'token') c.ref = ref!;
  else if (ref !== null) c.ref_id = ref;
  if (oldest !== null) c.oldest = oldest;
  if (direct) {
    if (direct.channel != null) c.channel = direct.channel;
    if (direct.contactId != null) c.contact = direct.contactId;
    if (direct.campaignId != null) c.campaign = direct.campaignId;
    if (direct.waveId != null) c.wave = direct.waveId;
    if (direct.variant != null) c.variant = direct.variant;
    if (direct.control) c.control = true;
  }
  return c;
}

/**
 * Record several responses in one statement (one round trip, one commit):
 * the SQL function record_responses attributes and inserts the whole batch
 * set-based. The answers line up with the inputs. `durable: false` relaxes
 * the whole statement's commit, so it is honoured only when every input asks
 * for it.
 */
export async function recordResponses(db: Tx, clock: Clock, inputs: readonly ResponseInput[]): Promise<(RecordedResponse | null)[]> {
  const found = await writeBatch<Row>(db, clock, inputs, sql`id, dealer_id, kind, campaign_id, wave_id, channel, variant, contact_id, piece_id, delivery_id, control, in_window, occurred_at`);
  return found.map((r) => (r ? present(r) : null));
}

/** recordResponses answering only the new responses' ids (null: nothing recorded): what the tracking links need. */
export async function recordResponseIds(db: Tx, clock: Clock, inputs: readonly ResponseInput[]): Promise<(string | null)[]> {
  return (await writeBatch<{ id: string }>(db, clock, inputs, sql`id`)).map((r) => r?.id ?? null);
}

async function writeBatch<T extends { id: string }>(db: Tx, clock: Clock, inputs: readonly ResponseInput[], columns: SQL): Promise<(T | null)[]> {
  const now = clock.now();
  // Every token in a batch is judged against the same instant.
  const oldest = new Map<number | undefined, string>();
  const oldestOf = (days: number | undefined) => {
    let o = oldest.get(days);
    if (o === undefined) oldest.set(days, (o = tokenOldest(now, days)));
    return o;
  };
  const calls = inputs.map((i) => call(i, now, oldestOf));
  const live = calls.filter((c): c is Call => c !== null);
  if (live.length === 0) return calls.map(() => null);
  const relaxed = inputs.every((i) => i.durable === false);
  // The batch travels as one JSON parameter: the same on both drivers, whatever the values.
  const found = await preparedRows<T>(
    db,
    sql`SELECT ${columns} FROM record_responses(${JSON.stringify(live)}::jsonb, ${now.toISOString()}::timestamptz, ${relaxed}::boolean)`,
  );
  const byId = new Map(found.map((r) => [r.id, r]));
  return calls.map((c) => (c ? (byId.get(c.id) ?? null) : null));
}

/**
 * Gathers responses arriving at about the same time into one statement
 * (recordResponseIds), and answers each caller with the id of its response,
 * or null when nothing was recorded. One batch is written at
 * a time (`maxInFlight`): what arrives meanwhile waits and goes in the next
 * statement, so under load batches grow with the load (as group commit does)
 * and a scan costs a fraction of a round trip, of a statement and of a commit;
 * alone, a scan waits for nothing but the end of the current turn of the
 * event loop.
 */
export class ResponseBatcher {
  private queue: { input: ResponseInput; resolve: (id: string | null) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly later: (f: () => void) => void =
    (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate ?? ((f) => setTimeout(f, 0));

  constructor(
    private readonly db: Tx,
    private readonly clock: Clock,
    private readonly max = 256,
    private readonly maxInFlight = 1,
  ) {}

  record(input: ResponseInput): Promise<string | null> {
    return new Promise((resolve, reject) => {
      // The time it happened, not the time its batch is written.
      this.queue.push({ input: { ...input, occurredAt: input.occurredAt ?? this.clock.now() }, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.later(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const items = this.queue.splice(0, this.max);
      this.inFlight++;
      recordResponseIds(
        this.db,
        this.clock,
        items.map((i) => i.input),
      )
        .then(
          (rs) => items.forEach((it, k) => it.resolve(rs[k]!)),
          (e: unknown) => items.forEach((it) => it.reject(e)),
        )
        .finally(() => {
          this.inFlight--;
          this.flush();
        });
    }
  }
}

const dialect = new PgDialect();

/**
 * rows(), as a named prepared statement on PostgreSQL. postgres.js sends an
 * unprepared statement with parameters as Parse/Describe, waits, then
 * Bind/Execute: two round trips and no pipelining. A prepared one is a single
 * Bind/Execute, which is what a QR scan (this statement) needs under load.
 * PGlite and anything else: plain rows().
 */
async function preparedRows<T>(db: Tx, query: SQL): Promise<T[]> {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client as
    | { unsafe?: (q: string, p: unknown[], o: { prepare: boolean }) => Promise<T[]>; query?: unknown }
    | undefined;
  if (!client?.unsafe || client.query) return rows<T>(db, query);
  const q = dialect.sqlToQuery(query);
  return [...(await client.unsafe(q.sql, q.params, { prepare: true }))];
}

function present(r: Row): RecordedResponse {
  return {
    id: r.id,
    dealerId: r.dealer_id,
    kind: r.kind,
    campaignId: r.campaign_id,
    waveId: r.wave_id,
    channel: r.channel,
    variant: r.variant,
    contactId: r.contact_id,
    pieceId: r.piece_id,
    deliveryId: r.delivery_id,
    control: r.control,
    inWindow: r.in_window,
    occurredAt: r.occurred_at instanceof Date ? r.occurred_at : new Date(r.occurred_at),
  };
}
