// A booking's confirmation: an SMS to the number booked with, and an email
// with an .ics attachment when the contact has an email address; both carry
// the reschedule/cancel link. Sent through the dispatcher's providers
// (deps.channels); a failed send is logged (ids only) and never undoes the booking.
import { formatAddress } from '../contacts/normalize';
import type { Deps } from '../http/context';
import { localDate } from '../lib/clock';
import { errorField } from '../lib/log';
import { uuidv7 } from '../lib/ids';
import type { RunContext } from '../print/compose';
import { runContext } from '../templates/context';
import type { BookingRow, Recipient } from './booking';
import { manageUrl } from './booking';
import { isoWeekday } from './calendar';
import { messages, slotLabel, type Locale } from './i18n';

/** RFC 5545 TEXT escaping. */
function icsText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Fold a content line at 75 octets, never inside a UTF-8 character. */
function fold(line: string): string {
  const out: string[] = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (octets + n > (out.length ? 74 : 75)) {
      out.push(cur);
      cur = '';
      octets = 0;
    }
    cur += ch;
    octets += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

const icsTime = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export interface IcsEvent {
  uid: string;
  stamp: Date;
  start: Date;
  end: Date;
  summary: string;
  location: string;
  description: string;
  url: string;
  cancelled?: boolean;
  sequence?: number;
}

/** One event as an iCalendar file (CRLF lines, folded, times in UTC). */
export function icsFile(e: IcsEvent): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//dealer-mail//test drive//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${e.cancelled ? 'CANCEL' : 'PUBLISH'}`,
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `SEQUENCE:${e.sequence ?? 0}`,
    `DTSTAMP:${icsTime(e.stamp)}`,
    `DTSTART:${icsTime(e.start)}`,
    `DTEND:${icsTime(e.end)}`,
    `SUMMARY:${icsText(e.summary)}`,
    `LOCATION:${icsText(e.location)}`,
    `DESCRIPTION:${icsText(e.description)}`,
    `URL:${e.url}`,
    `STATUS:${e.cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}

/** "3月5日 周四 10:00" in the dealer's time zone. */
export function whenLabel(at: Date, timeZone: string, locale: Locale): string {
  const date = localDate(at, timeZone);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return slotLabel(date, isoWeekday(date), time, locale);
}

export function dealerAddressLine(run: RunContext): string {
  const a = run.dealer.address;
  return formatAddress({ country: a.country ?? 'CN', province: a.province, city: a.city, district: a.district, street: a.street, postcode: a.postcode }).join(' ');
}

/** Send the confirmation of a new or moved booking; what was sent (for the page and the tests). */
export async function sendConfirmation(deps: Deps, booking: BookingRow, recipient: Pick<Recipient, 'dealerName' | 'timeZone' | 'contact'>): Promise<{ sms: boolean; email: boolean }> {
  const sent = { sms: false, email: false };
  const channels = deps.channels;
  if (!channels) {
    deps.logger.warn('no channels configured: booking confirmation not sent', { booking: booking.id });
    return sent;
  }
  const locale: Locale = booking.locale === 'en' ? 'en' : 'zh-CN';
  const m = messages(locale);
  const when = whenLabel(booking.startsAt, recipient.timeZone, locale);
  const link = manageUrl(deps, booking.id);
  const run = await runContext(deps.db.orm, booking.dealerId);
  try {
    await channels.sms.send({ deliveryId: uuidv7(deps.clock.now().getTime()), to: booking.phone, body: m.smsConfirm(recipient.dealerName, when, link), statusCallback: null });
    sent.sms = true;
  } catch (e) {
    deps.logger.error('booking confirmation SMS failed', { booking: booking.id, err: errorField(e) });
  }
  const email = recipient.contact?.email;
  if (email) {
    const location = [recipient.dealerName, dealerAddressLine(run)].filter(Boolean).join(', ');
    const ics = icsFile({
      uid: `${booking.id}@${new URL(deps.config.PUBLIC_BASE_URL).hostname || 'localhost'}`,
      stamp: deps.clock.now(),
      start: booking.startsAt,
      end: new Date(booking.startsAt.getTime() + 60 * 60_000),
      summary: m.icsSummary(recipient.dealerName),
      location,
      description: `${m.confirmed(when)} ${m.reschedule}/${m.cancel}: ${link}`,
      url: link,
      sequence: Math.floor((booking.updatedAt.getTime() - booking.createdAt.getTime()) / 1000),
    });
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    try {
      await channels.email.send({
        deliveryId: uuidv7(deps.clock.now().getTime()),
        from: deps.config.EMAIL_FROM,
        to: email,
        subject: m.emailSubject(when),
        text: `${m.confirmed(when)}\n${location}\n\n${m.reschedule} / ${m.cancel}: ${link}\n`,
        html: `<p>${esc(m.confirmed(when))}</p><p>${esc(location)}</p><p><a href="${esc(link)}">${esc(m.reschedule)} / ${esc(m.cancel)}</a></p>`,
        domain: new URL(deps.config.PUBLIC_BASE_URL).hostname || 'localhost',
        attachments: [{ filename: 'test-drive.ics', content: ics, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' }],
      });
      sent.email = true;
    } catch (e) {
      deps.logger.error('booking confirmation email failed', { booking: booking.id, err: errorField(e) });
    }
  }
  return sent;
}
