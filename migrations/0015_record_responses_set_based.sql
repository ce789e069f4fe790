-- record_responses: the one way rows reach `responses` (called by
-- recordResponses in src/responses/record.ts), now one set-based statement
-- per batch instead of record_response once per row: a batch of QR scans is
-- resolved by joins and inserted by one INSERT … SELECT, about a third of the
-- per-row work. PL/pgSQL only so that the statement is planned once per
-- connection.
--
-- p_batch: a JSON array of {id, dealer, kind, source, ref, ref_id, oldest,
-- channel, contact, campaign, wave, variant, control, occurred, data}.
-- source: 'token' (ref: the token; oldest: the earliest mail or send date it
-- may name) | 'piece' | 'delivery' | 'after' (ref_id: the piece, delivery or
-- earlier response) | 'direct' (the attribution given). A token names a
-- rendered piece (its print run mailed or created since `oldest`), else a
-- delivery sent since `oldest` (token_target holds the same rule for lookups).
-- dealer: the dealer the response must belong to (required for 'after' and
-- 'direct'); rows naming nothing, or another dealer's, are not inserted.
-- Window: the response's date in the dealer's time zone is on or after the
-- first day (the print job's mail date, else the run's creation date; the
-- delivery's send date; else the campaign's launch) and before first day +
-- the campaign's response_window_days. No campaign: always in.
-- p_relaxed: commit without waiting for the WAL flush.
CREATE OR REPLACE FUNCTION record_responses(p_batch jsonb, p_now timestamptz, p_relaxed boolean)
RETURNS SETOF responses LANGUAGE plpgsql AS $fn$
BEGIN
  IF p_relaxed THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN QUERY
    WITH i AS (
      SELECT * FROM jsonb_to_recordset(p_batch) AS x(id uuid, dealer uuid, kind text, source text, ref text, ref_id uuid, oldest timestamptz,
                                                     channel text, contact uuid, campaign uuid, wave uuid, variant text, control boolean,
                                                     occurred timestamptz, data jsonb)
    ),
    token_piece AS (
      SELECT i.id, p.dealer_id, r.campaign_id, r.wave_id, 'mail'::text AS channel, r.variant, p.contact_id, p.id AS piece_id, NULL::uuid AS delivery_id,
             false AS control, r.mailed_on AS mailed_on, r.created_at AS run_created, NULL::timestamptz AS sent_at, true AS known_first
        FROM i JOIN pieces p ON p.token = i.ref AND p.status = 'rendered'
               JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
       WHERE i.source = 'token' AND coalesce(r.mailed_on::timestamptz, r.created_at) >= i.oldest
    ),
    target AS (
      SELECT * FROM token_piece
      UNION ALL
      SELECT i.id, o.dealer_id, o.campaign_id, o.wave_id, o.channel, o.variant, o.contact_id, NULL, o.id, false, NULL, NULL, o.sent_at, true
        FROM i JOIN outbox o ON o.token = i.ref
       WHERE i.source = 'token' AND o.sent_at IS NOT NULL AND o.sent_at >= i.oldest
         AND NOT EXISTS (SELECT 1 FROM token_piece tp WHERE tp.id = i.id)
      UNION ALL
      SELECT i.id, p.dealer_id, r.campaign_id, r.wave_id, 'mail', r.variant, p.contact_id, p.id, NULL, false, r.mailed_on, r.created_at, NULL, true
        FROM i JOIN pieces p ON p.id = i.ref_id JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
       WHERE i.source = 'piece'
      UNION ALL
      SELECT i.id, o.dealer_id, o.campaign_id, o.wave_id, o.channel, o.variant, o.contact_id, NULL, o.id, false, NULL, NULL, o.sent_at, true
        FROM i JOIN outbox o ON o.id = i.ref_id
       WHERE i.source = 'delivery'
      UNION ALL
      SELECT i.id, x.dealer_id, x.campaign_id, x.wave_id, x.channel, x.variant, x.contact_id, x.piece_id, x.delivery_id, x.control, NULL, NULL, NULL, false
        FROM i JOIN responses x ON x.id = i.ref_id AND x.dealer_id = i.dealer
       WHERE i.source = 'after'
      UNION ALL
      SELECT i.id, i.dealer, i.campaign, i.wave, i.channel, i.variant, i.contact, NULL, NULL, coalesce(i.control, false), NULL, NULL, NULL, false
        FROM i WHERE i.source = 'direct'
    ),
    placed AS (
      SELECT i.id, t.dealer_id, i.kind, t.campaign_id, t.wave_id, t.channel, t.variant, t.contact_id, t.piece_id, t.delivery_id, t.control,
             i.occurred, i.data, d.timezone AS tz, c.response_window_days AS days,
             coalesce(
               -- The window's first day: known from the source's own row, else looked up (an 'after' response's piece or delivery).
               CASE WHEN t.known_first THEN coalesce(t.mailed_on, (t.run_created AT TIME ZONE d.timezone)::date, (t.sent_at AT TIME ZONE d.timezone)::date)
                    WHEN t.piece_id IS NOT NULL THEN (SELECT coalesce(r.mailed_on, (r.created_at AT TIME ZONE d.timezone)::date)
                                                        FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE p.id = t.piece_id)
                    WHEN t.delivery_id IS NOT NULL THEN (SELECT (o.sent_at AT TIME ZONE d.timezone)::date FROM outbox o WHERE o.id = t.delivery_id)
               END,
               (c.launched_at AT TIME ZONE d.timezone)::date) AS first_day
        FROM target t JOIN i ON i.id = t.id
        JOIN dealers d ON d.id = t.dealer_id
        LEFT JOIN campaigns c ON c.id = t.campaign_id AND c.dealer_id = t.dealer_id
       WHERE i.dealer IS NULL OR t.dealer_id = i.dealer
    )
    INSERT INTO responses (id, dealer_id, kind, campaign_id, wave_id, channel, variant, contact_id, piece_id, delivery_id, control, in_window, occurred_at, data, created_at)
    SELECT pl.id, pl.dealer_id, pl.kind, pl.campaign_id, pl.wave_id, pl.channel, pl.variant, pl.contact_id, pl.piece_id, pl.delivery_id, pl.control,
           CASE WHEN pl.campaign_id IS NULL OR pl.days IS NULL OR pl.first_day IS NULL THEN true
                ELSE (pl.occurred AT TIME ZONE pl.tz)::date >= pl.first_day AND (pl.occurred AT TIME ZONE pl.tz)::date < pl.first_day + pl.days END,
           pl.occurred, pl.data, p_now
      FROM placed pl
    RETURNING *;
END
$fn$;
--> statement-breakpoint
DROP FUNCTION IF EXISTS record_response(uuid, uuid, text, text, text, timestamptz, text, uuid, uuid, uuid, text, boolean, timestamptz, jsonb, timestamptz, boolean);
