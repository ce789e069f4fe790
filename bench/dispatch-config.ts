// What the dispatch benchmark's parent (seeding, launch, the messages the
// nodemailer peer sends) and its measured child share: the configuration, the
// template and the provider settings.
import { testConfig, type Config } from '../src/config';

export const BASE_URL = 'https://dm.example.cn';
export const TWILIO_SID = 'AC00000000000000000000000000000001';
export const TWILIO_TOKEN = 'bench-auth-token-0123456789abcdef';
export const TWILIO_FROM = '+15005550006';
/**
 * nodemailer's pooled SMTP connections, the same for the dispatcher and the
 * peer: smtpEmail's default, which `npm start` uses (BENCH_SMTP_POOL to try another).
 */
export const SMTP_POOL = Number(process.env.BENCH_SMTP_POOL ?? 4);

/**
 * No frequency cap (its check is a query per delivery, and every contact gets
 * one email and one SMS here), quiet hours that never hold anything
 * ("00:00-00:00": notQuiet's window start <= now < end is empty), and no
 * SMS or email rate limit: the benchmark measures the dispatcher, not a limit.
 */
export function benchConfig(over: Partial<Config> = {}): Config {
  return testConfig({
    PUBLIC_BASE_URL: BASE_URL,
    LINK_SECRET: 'bench-link-secret-0123456789abcdef',
    EMAIL_FROM: '福州闽星汽车 <noreply@dm.example.cn>',
    FREQUENCY_CAP_DAYS: 0,
    SMS_QUIET_HOURS: '00:00-00:00',
    SMS_RATE_PER_SEC: 0,
    EMAIL_RATE_PER_SEC: 0,
    ...over,
  });
}

/** SMS and email from one template, the one the outbox tests send. */
export { BODY } from '../test/outbox/fixtures';

/** What the parent hands the measured child (one JSON argv). */
export interface ChildArgs {
  dbUrl: string;
  campaignId: string;
  smtpUrl: string;
  twilioBase: string;
  batch: number;
  concurrency: number;
  dbMax: number;
}
