// Wave rules shared by the outbox (SMS, email) and print runs: who gets which
// A/B variant, and who counts as having answered the campaign (the
// "not responded yet" condition of a follow-up wave).
import { sql, type SQL } from 'drizzle-orm';
import type { WaveVariant } from '../db/schema-campaigns';

/** Responses that show a recipient answered (an email open, a returned piece or an opt-out does not). */
export const ANSWERED_KINDS = ['scan', 'click', 'booking', 'survey', 'sms_reply', 'attended', 'sale'] as const;

/**
 * A recipient's bucket (0–99) in a wave: from the campaign's seed, the wave's
 * number and a key (the contact id; for print, the household, so a household's
 * members share one variant and the one-piece-per-household rule can hold).
 * The same seed and audience give the same split.
 */
export function variantBucket(seed: string, waveSeq: number, key: SQL): SQL {
  return sql`(('x' || substr(md5(${seed} || ':wave ' || ${String(waveSeq)} || ':' || ${key}), 1, 8))::bit(32)::bigint % 100)`;
}

/** Each variant's bucket range [from, to), in order: A 0–49, B 50–99 for a 50/50 split. */
export function variantRanges(variants: readonly WaveVariant[]): (WaveVariant & { from: number; to: number })[] {
  let from = 0;
  return variants.map((v) => {
    const r = { ...v, from, to: from + v.percent };
    from = r.to;
    return r;
  });
}

/** The variant whose range holds `bucket`. */
export function variantOf(variants: readonly WaveVariant[], bucket: number): WaveVariant {
  return variantRanges(variants).find((v) => bucket >= v.from && bucket < v.to) ?? variants[variants.length - 1]!;
}
