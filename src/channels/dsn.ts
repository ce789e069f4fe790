// RFC 3464 delivery status notifications (bounces): which of our deliveries,
// which recipient, and the status class (5.x.x permanent, 4.x.x transient).

export interface Bounce {
  /** Our delivery id, from X-Delivery-Id or the Message-ID of the returned headers. */
  deliveryId: string | null;
  recipient: string | null;
  /** The first per-recipient Status, e.g. 5.1.1. */
  status: string;
  permanent: boolean;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Parse a bounce; null when the message carries no delivery status. */
export function parseDsn(raw: string): Bounce | null {
  // Unfold header continuation lines so each field is on one line.
  const text = raw.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(text)?.[1];
  if (!status) return null;
  const recipient = /^(?:Final|Original)-Recipient:\s*rfc822;\s*<?([^\s>]+)>?/im.exec(text)?.[1] ?? null;
  const deliveryId =
    new RegExp(`^X-Delivery-Id:\\s*(${UUID})`, 'im').exec(text)?.[1] ??
    new RegExp(`^Message-ID:\\s*<(${UUID})@`, 'im').exec(text)?.[1] ??
    null;
  return { deliveryId: deliveryId?.toLowerCase() ?? null, recipient: recipient?.toLowerCase() ?? null, status, permanent: status.startsWith('5') };
}
