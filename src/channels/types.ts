// What every channel returns or throws, so the outbox can decide what happens
// next without knowing the provider.

export interface SendResult {
  /** The provider's id for the message (Twilio SID, SMTP queue id, file name). */
  providerRef: string;
}

/**
 * permanent: the recipient fails with the reason; transient: retried with
 * backoff; rate_limited: retried later, and the channel slows down;
 * opted_out: the address is suppressed and the recipient marked suppressed.
 */
export type ChannelErrorKind = 'permanent' | 'transient' | 'rate_limited' | 'opted_out';

export class ChannelError extends Error {
  constructor(
    readonly kind: ChannelErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}
