import { z } from 'zod';

const bytes = z
  .string()
  .regex(/^\d+\s*(b|kb|mb|gb)?$/i, 'a size such as 200MB or 1048576')
  .transform((s) => {
    const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(s)!;
    const unit = (m[2] ?? 'b').toLowerCase();
    const mult = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
    return Number(m[1]) * mult;
  });

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(8787),
  HOST: z.string().default('0.0.0.0'),
  /** PostgreSQL URL; when unset the service uses embedded PGlite in DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Largest list upload accepted. */
  IMPORT_MAX_BYTES: bytes.default(200 * 1024 * 1024),
  /** Rows merged per transaction during an import. */
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(1).max(50_000).default(5000),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:8787'),
  /** Secret for signed links (unsubscribe, tracking); set it in production. */
  LINK_SECRET: z.string().min(16).default('development-link-secret-change-me'),
  /** SMTP server URL (smtp://user:pass@host:587); unset: emails are written to OUTBOX_DIR. */
  SMTP_URL: z.string().url().optional(),
  EMAIL_FROM: z.string().default('dealer-mail <noreply@localhost>'),
  EMAIL_RATE_PER_SEC: z.coerce.number().min(0).default(0),
  /** Twilio credentials; unset: SMS are written to OUTBOX_DIR. */
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  /** Another base URL for Twilio's REST API (an edge or a compatible gateway). */
  TWILIO_API_BASE: z.string().url().optional(),
  SMS_RATE_PER_SEC: z.coerce.number().min(0).default(10),
  SMS_QUIET_HOURS: z.string().regex(/^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/).default('21:00-08:00'),
  SMS_OPT_OUT_ZH: z.string().default('拒收请回复R'),
  SMS_OPT_OUT_EN: z.string().default('Reply STOP to opt out'),
  /** Price of one SMS segment, for pre-launch estimates (in the dealer's currency). */
  SMS_SEGMENT_COST: z.coerce.number().min(0).default(0.05),
  /** At most one marketing message per contact per channel in this many days, across campaigns. */
  FREQUENCY_CAP_DAYS: z.coerce.number().int().min(0).default(7),
  /** Bearer token the MTA presents on POST /webhooks/email/bounce; unset: bounces are refused (503). */
  BOUNCE_TOKEN: z.string().min(16).optional(),
  OUTBOX_DIR: z.string().default('./outbox'),
  /** Requests per minute one client may make to the public pages (/r, /l, /b, /o, /c); 0: no limit. */
  PUBLIC_RATE_PER_MIN: z.coerce.number().int().min(0).default(60),
  /** Behind a reverse proxy: the client is the first X-Forwarded-For address (for rate limits only; never stored). */
  TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Days after its mail or send date that a piece's or message's tracking link still opens its landing page. */
  TRACKING_TOKEN_DAYS: z.coerce.number().int().min(1).default(365),
});

export type Config = z.infer<typeof schema>;

/** Parse the environment; fail with every bad variable named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const k of Object.keys(schema.shape)) {
    const v = env[k];
    if (v !== undefined && v !== '') picked[k] = v;
  }
  const r = schema.safeParse(picked);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${lines}`);
  }
  return r.data;
}

export function testConfig(over: Partial<Config> = {}): Config {
  return { ...schema.parse({}), ...over };
}
