// A dispatcher in a process of its own, for test/outbox/sigkill.test.ts, which
// SIGKILLs it at random moments and starts it again. It is what the service
// runs (src/main/node.ts): PostgreSQL, the wall clock, the twilio package and
// nodemailer talking to real protocol peers, only with a short lease so rows
// of a killed process come back within the test's time.
//
//   node --import tsx test/outbox/dispatch-child.ts \
//     --db postgres://…/t_xxx --smtp smtp://127.0.0.1:2525 --twilio-base http://127.0.0.1:8080 \
//     --sid AC… --auth … --from +15005550006 --base-url https://dm.example.cn \
//     [--lease-ms 1500] [--batch 5] [--concurrency 4] [--poll-ms 50] [--data-dir DIR] [--watch-parent]
//
// It prints one line "ready" on stdout once the dispatcher polls, and runs
// until it is killed. With --watch-parent it exits when its stdin closes (the
// test process died), so no orphan keeps sending. DISPATCH_CHILD_LOG=debug|info|…
// writes the service's log lines to stderr.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { smtpEmail } from '../../src/channels/email';
import { twilioSms } from '../../src/channels/sms';
import { testConfig } from '../../src/config';
import { connectPostgres } from '../../src/db/connect';
import type { Deps } from '../../src/http/context';
import { systemClock } from '../../src/lib/clock';
import { JobRunner } from '../../src/lib/jobs';
import { createLogger, silentLogger, type LogLevel } from '../../src/lib/log';
import { FsStorage } from '../../src/main/fs-storage';
import { Dispatcher } from '../../src/outbox/dispatcher';

const { values: a } = parseArgs({
  options: {
    db: { type: 'string' },
    smtp: { type: 'string' },
    'twilio-base': { type: 'string' },
    sid: { type: 'string' },
    auth: { type: 'string' },
    from: { type: 'string', default: '+15005550006' },
    'base-url': { type: 'string', default: 'https://dm.example.cn' },
    'lease-ms': { type: 'string', default: '1500' },
    batch: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
    'poll-ms': { type: 'string', default: '50' },
    'data-dir': { type: 'string' },
    'watch-parent': { type: 'boolean', default: false },
  },
  strict: true,
});

function required(name: string, v: string | undefined): string {
  if (!v) {
    process.stderr.write(`dispatch-child: --${name} is required\n`);
    process.exit(2);
  }
  return v;
}

const dbUrl = required('db', a.db);
const smtpUrl = required('smtp', a.smtp);
const twilioBase = required('twilio-base', a['twilio-base']);
const sid = required('sid', a.sid);
const auth = required('auth', a.auth);
const leaseMs = Number(a['lease-ms']);
const pollMs = Number(a['poll-ms']);

const level = process.env.DISPATCH_CHILD_LOG as LogLevel | undefined;
const logger = level ? createLogger(level, { pid: process.pid }, (l) => process.stderr.write(l + '\n')) : silentLogger;
const dir = a['data-dir'] ?? mkdtempSync(join(tmpdir(), 'dm-dispatch-child-'));

const db = await connectPostgres(dbUrl, { max: 5 });
const deps: Deps = {
  db,
  clock: systemClock,
  config: testConfig({
    DATA_DIR: dir,
    OUTBOX_DIR: join(dir, 'outbox'),
    PUBLIC_BASE_URL: a['base-url']!,
    TWILIO_ACCOUNT_SID: sid,
    TWILIO_AUTH_TOKEN: auth,
    TWILIO_FROM: a.from!,
    TWILIO_API_BASE: twilioBase,
    SMTP_URL: smtpUrl,
    // Several campaigns to one contact are not what this test is about.
    FREQUENCY_CAP_DAYS: 0,
    // The wall clock decides quiet hours here; start = end is an empty window (notQuiet in src/channels/sms.ts).
    SMS_QUIET_HOURS: '00:00-00:00',
  }),
  logger,
  storage: new FsStorage(join(dir, 'files')),
  jobs: new JobRunner(logger),
};

const dispatcher = new Dispatcher(
  deps,
  { sms: twilioSms({ accountSid: sid, authToken: auth, from: a.from!, apiBase: twilioBase }), email: smtpEmail(smtpUrl) },
  { batch: Number(a.batch), concurrency: Number(a.concurrency), leaseMs },
);
dispatcher.start(pollMs);
process.stdout.write('ready\n');

if (a['watch-parent']) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
