-- record_response: the one way a row reaches `responses` (called by
-- recordResponse in src/responses/record.ts). It finds what the response came
-- through (a tracking token, a piece, a delivery, an earlier response, or
-- direct attribution), attributes it to campaign, wave, channel, variant and
-- contact, decides whether it falls inside the campaign's response window, and
-- inserts it. PL/pgSQL so that its statements are planned once per connection:
-- a QR scan is the hottest write of the service, and planning the same query
-- as one statement cost five times its execution.
--
-- p_source: 'token' | 'piece' | 'delivery' | 'after' | 'direct'; p_ref: the
-- token, or the piece, delivery or earlier response id. A token names a
-- rendered piece (its print run mailed or created since p_token_oldest) or a
-- sent delivery (sent since p_token_oldest): token_target; anything else
-- records nothing.
-- p_dealer: the dealer the response must belong to (required for 'after' and
-- 'direct'). p_relaxed: commit without waiting for the WAL flush.
-- Window: the response's date in the dealer's time zone is on or after the
-- first day (mail date, else the run's creation date; send date; the
-- campaign's launch for direct attribution) and before first day + the
-- campaign's response_window_days. No campaign: always in.
-- token_target: what a tracking token names, as attribution columns; no row
-- for an unknown, excluded, unsent or expired token (all alike).
CREATE OR REPLACE FUNCTION token_target(p_token text, p_oldest timestamptz)
RETURNS TABLE (dealer_id uuid, campaign_id uuid, wave_id uuid, channel text, variant text, contact_id uuid, piece_id uuid, delivery_id uuid)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN QUERY
    SELECT p.dealer_id, r.campaign_id, r.wave_id, 'mail'::text, r.variant, p.contact_id, p.id, NULL::uuid
      FROM pieces p JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
      WHERE p.token = p_token AND p.status = 'rendered' AND coalesce(r.mailed_on::timestamptz, r.created_at) >= p_oldest;
  IF NOT FOUND THEN
    RETURN QUERY
      SELECT o.dealer_id, o.campaign_id, o.wave_id, o.channel, o.variant, o.contact_id, NULL::uuid, o.id
        FROM outbox o WHERE o.token = p_token AND o.sent_at IS NOT NULL AND o.sent_at >= p_oldest;
  END IF;
END
$fn$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION record_response(
  p_id uuid, p_dealer uuid, p_kind text, p_source text, p_ref text, p_token_oldest timestamptz,
  p_channel text, p_contact uuid, p_campaign uuid, p_wave uuid, p_variant text, p_control boolean,
  p_occurred timestamptz, p_data jsonb, p_now timestamptz, p_relaxed boolean
) RETURNS SETOF responses LANGUAGE plpgsql AS $fn$
DECLARE
  v_dealer uuid; v_campaign uuid; v_wave uuid; v_channel text; v_variant text; v_contact uuid;
  v_piece uuid; v_delivery uuid; v_control boolean := false;
  v_tz text; v_first date; v_days int; v_launch date; v_day date; v_in boolean := true;
BEGIN
  IF p_relaxed THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  IF p_source = 'token' THEN
    SELECT t.dealer_id, t.campaign_id, t.wave_id, t.channel, t.variant, t.contact_id, t.piece_id, t.delivery_id
      INTO v_dealer, v_campaign, v_wave, v_channel, v_variant, v_contact, v_piece, v_delivery
      FROM token_target(p_ref, p_token_oldest) t;
  ELSIF p_source = 'piece' THEN
    SELECT p.dealer_id, r.campaign_id, r.wave_id, 'mail', r.variant, p.contact_id, p.id
      INTO v_dealer, v_campaign, v_wave, v_channel, v_variant, v_contact, v_piece
      FROM pieces p JOIN print_runs r ON r.id = p.print_run_id AND r.dealer_id = p.dealer_id
      WHERE p.id = p_ref::uuid;
  ELSIF p_source = 'delivery' THEN
    SELECT o.dealer_id, o.campaign_id, o.wave_id, o.channel, o.variant, o.contact_id, o.id
      INTO v_dealer, v_campaign, v_wave, v_channel, v_variant, v_contact, v_delivery
      FROM outbox o WHERE o.id = p_ref::uuid;
  ELSIF p_source = 'after' THEN
    SELECT x.dealer_id, x.campaign_id, x.wave_id, x.channel, x.variant, x.contact_id, x.piece_id, x.delivery_id, x.control
      INTO v_dealer, v_campaign, v_wave, v_channel, v_variant, v_contact, v_piece, v_delivery, v_control
      FROM responses x WHERE x.id = p_ref::uuid AND x.dealer_id = p_dealer;
  ELSIF p_source = 'direct' THEN
    v_dealer := p_dealer; v_campaign := p_campaign; v_wave := p_wave; v_channel := p_channel;
    v_variant := p_variant; v_contact := p_contact; v_control := coalesce(p_control, false);
  ELSE
    RAISE EXCEPTION 'record_response: unknown source %', p_source;
  END IF;
  IF v_dealer IS NULL OR (p_dealer IS NOT NULL AND v_dealer <> p_dealer) THEN
    RETURN;
  END IF;

  SELECT d.timezone INTO v_tz FROM dealers d WHERE d.id = v_dealer;
  IF v_campaign IS NOT NULL THEN
    SELECT c.response_window_days, (c.launched_at AT TIME ZONE v_tz)::date INTO v_days, v_launch
      FROM campaigns c WHERE c.id = v_campaign AND c.dealer_id = v_dealer;
    IF v_piece IS NOT NULL THEN
      SELECT coalesce(r.mailed_on, (r.created_at AT TIME ZONE v_tz)::date) INTO v_first
        FROM pieces p JOIN print_runs r ON r.id = p.print_run_id WHERE p.id = v_piece;
    ELSIF v_delivery IS NOT NULL THEN
      SELECT (o.sent_at AT TIME ZONE v_tz)::date INTO v_first FROM outbox o WHERE o.id = v_delivery;
    END IF;
    v_first := coalesce(v_first, v_launch);
    IF v_days IS NOT NULL AND v_first IS NOT NULL THEN
      v_day := (p_occurred AT TIME ZONE v_tz)::date;
      v_in := v_day >= v_first AND v_day < v_first + v_days;
    END IF;
  END IF;

  RETURN QUERY
    INSERT INTO responses (id, dealer_id, kind, campaign_id, wave_id, channel, variant, contact_id, piece_id, delivery_id, control, in_window, occurred_at, data, created_at)
    VALUES (p_id, v_dealer, p_kind, v_campaign, v_wave, v_channel, v_variant, v_contact, v_piece, v_delivery, v_control, v_in, p_occurred, p_data, p_now)
    RETURNING *;
END
$fn$;
