-- The loyalty ledger over random members: random purchase, refund, mixed and redemption
-- receipts in time order, with and without a non-spendable period and a validity.  No lot
-- ever gives more than it earned, every refund takes back exactly its points (taken or not
-- recovered), cancelled points were pending and debited ones available when taken, and
-- every earned point is pending, available, expired, spent, cancelled or debited.
BEGIN;
SET LOCAL search_path = public, appeasement;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS appeasement;
SELECT plan(8);

SELECT setseed(0.4242);

-- Receipts of 30 members over 200 days: each member has its own configuration.
CREATE TEMP TABLE members AS
SELECT 'PROP-M' || m AS customer_id, (ARRAY[0, 1, 30])[1 + m % 3] AS days,
       (ARRAY[NULL, 60, 365])[1 + (m / 3) % 3] AS validity,
       (ARRAY['JPY', 'EUR', 'KWD'])[1 + (m / 9) % 3] AS currency
  FROM generate_series(1, 30) AS m;

CREATE TEMP TABLE events AS
SELECT e.customer_id, e.currency, e.days, e.validity, n.n,
       timestamptz '2026-01-01' + (n.n * 200.0 / 40) * interval '1 day' + random() * interval '3 hours' AS at,
       (ARRAY['purchase', 'purchase', 'refund', 'mixed', 'redeem'])[1 + floor(random() * 5)::int] AS kind,
       (1 + floor(random() * 200000))::bigint AS amount,
       (1 + floor(random() * 120000))::bigint AS back
  FROM members e, generate_series(1, 40) AS n(n);

CREATE TEMP TABLE redeemed (customer_id text, wanted bigint, outcome text);

DO $$
DECLARE
  e record;
  wanted bigint;
BEGIN
  FOR e IN SELECT * FROM events ORDER BY customer_id, n LOOP
    -- the member's configuration applies from its first receipt on
    IF e.n = 1 THEN
      PERFORM appeasement.configure_loyalty(e.days, 1, e.validity);
    ELSE
      INSERT INTO appeasement.loyalty_settings (non_spendable_days, points_per_unit, validity_days, include_appeasements)
      VALUES (e.days, 1, e.validity, true);
    END IF;
    IF e.kind = 'redeem' THEN
      wanted := 1 + floor(random() * 800)::bigint;
      BEGIN
        PERFORM appeasement.redeem_points(e.customer_id, wanted, 'R' || e.n, e.at);
        INSERT INTO redeemed VALUES (e.customer_id, wanted, 'spent');
      EXCEPTION WHEN check_violation THEN
        INSERT INTO redeemed VALUES (e.customer_id, wanted, 'refused');
      END;
    ELSE
      PERFORM appeasement.loyalty_record_receipt(e.customer_id, e.customer_id || '-' || e.n, e.at, e.currency,
        CASE WHEN e.kind IN ('purchase', 'mixed') THEN e.amount ELSE 0 END,
        CASE WHEN e.kind IN ('refund', 'mixed') THEN e.back ELSE 0 END, false);
    END IF;
  END LOOP;
END
$$;

SELECT cmp_ok((SELECT count(*) FROM appeasement.loyalty_lots WHERE customer_id LIKE 'PROP-%'), '>', 200::bigint,
              'the random receipts earned points');

SELECT is((SELECT count(*) FROM appeasement.loyalty_lots l
            WHERE l.customer_id LIKE 'PROP-%'
              AND l.points < (SELECT coalesce(sum(m.points), 0) FROM appeasement.loyalty_movements m WHERE m.lot_id = l.lot_id)),
          0::bigint, 'no lot ever gives more points than it earned');

-- Each refund receipt took back trunc(amount) points, in the currency's units: taken or not recovered.
SELECT is((SELECT count(*) FROM events e
            WHERE e.kind IN ('refund', 'mixed')
              AND trunc(appeasement.to_amount(e.back, e.currency)) <>
                  (SELECT coalesce(sum(m.points), 0) FROM appeasement.loyalty_movements m
                    WHERE m.reference = e.customer_id || '-' || e.n)),
          0::bigint, 'every refund takes back exactly its points');

SELECT is((SELECT count(*) FROM appeasement.loyalty_movements m JOIN appeasement.loyalty_lots l USING (lot_id)
            WHERE m.customer_id LIKE 'PROP-%' AND m.kind = 'cancelled' AND NOT (l.earned_at <= m.at AND m.at < l.available_at)),
          0::bigint, 'cancelled points were pending when taken');

SELECT is((SELECT count(*) FROM appeasement.loyalty_movements m JOIN appeasement.loyalty_lots l USING (lot_id)
            WHERE m.customer_id LIKE 'PROP-%' AND m.kind IN ('debited', 'spent')
              AND NOT (l.available_at <= m.at AND (l.expires_at IS NULL OR m.at < l.expires_at))),
          0::bigint, 'debited and spent points were available when taken');

-- Pending points are taken before available ones, oldest first: a refund never debits while
-- it left a pending lot of the member untouched, and never leaves points unrecovered while a lot
-- it could take from still had some.
SELECT is((SELECT count(*) FROM appeasement.loyalty_movements m
            WHERE m.customer_id LIKE 'PROP-%' AND m.kind = 'not_recovered'
              AND EXISTS (SELECT FROM appeasement.loyalty_lots l
                           WHERE l.customer_id = m.customer_id AND l.earned_at <= m.at
                             AND (l.expires_at IS NULL OR m.at < l.expires_at)
                             AND l.points > (SELECT coalesce(sum(x.points), 0) FROM appeasement.loyalty_movements x
                                              WHERE x.lot_id = l.lot_id AND x.movement_id < m.movement_id))),
          0::bigint, 'nothing is left unrecovered while a lot had points to give');

-- Every earned point is accounted for, at every tenth day.
SELECT is((SELECT count(*)
             FROM members mb, generate_series(timestamptz '2026-01-01', timestamptz '2027-06-01', interval '10 days') AS t,
                  appeasement.loyalty_balance(mb.customer_id, t) AS b
            WHERE b.pending < 0 OR b.available < 0 OR b.expired < 0
               OR b.pending + b.available + b.expired + b.spent + b.cancelled + b.debited <>
                  (SELECT coalesce(sum(points), 0) FROM appeasement.loyalty_lots l
                    WHERE l.customer_id = mb.customer_id AND l.earned_at <= t)),
          0::bigint, 'balances are never negative and add up to the points earned');

SELECT is((SELECT coalesce(sum(wanted), 0) FROM redeemed WHERE outcome = 'spent'),
          (SELECT coalesce(sum(points), 0) FROM appeasement.loyalty_movements
            WHERE customer_id LIKE 'PROP-%' AND kind = 'spent'),
          'redemptions spend exactly what was asked, or nothing');

SELECT * FROM finish();
ROLLBACK;
