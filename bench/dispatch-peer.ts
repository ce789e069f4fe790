// The transport's limit: nodemailer alone (the pooled SMTP transport the
// service uses, src/channels/email.ts smtpEmail, with the same pool size)
// sending the messages the dispatcher sent, pre-rendered by the parent into a
// JSON-lines file, to the same SMTP sink, with no database. argv: smtpUrl file
// inFlight. Prints one JSON line: seconds, sent, failed, peak RSS, CPU seconds.
import { readFileSync } from 'node:fs';
import { smtpEmail, type EmailMessage } from '../src/channels/email';
import { SMTP_POOL } from './dispatch-config';

const [smtpUrl, file, inFlightArg] = process.argv.slice(2) as [string, string, string];
// The file stays one buffer (outside the JS heap); a message is parsed when it is sent.
const buf = readFileSync(file);
const starts: number[] = [];
for (let at = 0; at < buf.length; ) {
  const nl = buf.indexOf(10, at);
  const end = nl < 0 ? buf.length : nl;
  if (end > at) starts.push(at, end);
  at = end + 1;
}
const total = starts.length / 2;
const email = smtpEmail(smtpUrl, { maxConnections: SMTP_POOL });

let next = 0;
let sent = 0;
let failed = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const worker = async () => {
  while (next < total) {
    const i = next++;
    const m = JSON.parse(buf.toString('utf8', starts[2 * i]!, starts[2 * i + 1]!)) as EmailMessage;
    try {
      await email.send(m);
      sent++;
    } catch {
      failed++;
    }
  }
};
await Promise.all(Array.from({ length: Number(inFlightArg) }, worker));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await email.close();
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
process.stdout.write(JSON.stringify({ seconds, sent, failed, maxRssMB: hwm, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
