-- Loyalty points: purchases earn, refunds take back (cancelled while pending, debited once
-- available), redemptions spend, and no balance ever goes below zero.
SELECT appeasement.set_credit_note_series('loy-web', 'LOY-', 1);
-- The agent of these refunds has no limits (whatever '*' has).
SELECT appeasement.set_agent_limit('loy-agent', 'EUR', NULL);

-- An order of one member, ordered some days ago, captured in full.
CREATE FUNCTION regress.loy_order(id text, customer text, gross text, days_ago int) RETURNS text
LANGUAGE sql AS $$
  SELECT appeasement.register_order(jsonb_build_object(
    'order_id', id, 'sales_channel_id', 'loy-web', 'currency', 'EUR', 'customer_id', customer,
    'ordered_at', now() - days_ago * interval '1 day',
    'lines', jsonb_build_array(jsonb_build_object('line_number', 1, 'order_item_id', 'A', 'kind', 'product',
                                                  'quantity', 2, 'gross', gross)),
    'payments', jsonb_build_array(jsonb_build_object('payment_id', 'P1', 'amount', gross, 'captured', gross))))
$$;
CREATE FUNCTION regress.loy_refund(id text, amount numeric) RETURNS text
LANGUAGE sql AS $$
  SELECT appeasement.create_appeasement(id, 1, amount, 'Goodwill', 'loyalty', 'loy-agent') #>> '{refund,credit_note_number}'
$$;

-- Until the programme is configured, no points move.
SELECT regress.loy_order('LOY-0', 'M-NONE', '50.00', 1);
SELECT * FROM appeasement.loyalty_balance('M-NONE');
SELECT count(*) AS lots FROM appeasement.loyalty_lots;

-- Bad configurations: 22023, nothing written.
SELECT appeasement.configure_loyalty(-1);
\echo :SQLSTATE
SELECT appeasement.configure_loyalty(NULL);
\echo :SQLSTATE
SELECT appeasement.configure_loyalty(30, 0);
\echo :SQLSTATE
SELECT appeasement.configure_loyalty(30, NULL);
\echo :SQLSTATE
SELECT appeasement.configure_loyalty(30, 1, 0);
\echo :SQLSTATE
SELECT count(*) AS configurations FROM appeasement.loyalty_settings;

-- Use case A: 30 non-spendable days.
SELECT appeasement.configure_loyalty(30);
-- A 50.00 purchase earns 50 pending points, 30 days left; refunded in full 10 days later:
-- 50 cancelled, 0 pending and 0 available.
SELECT regress.loy_order('LOY-A1', 'M-A1', '50.00', 10);
SELECT points, status, days_left FROM appeasement.loyalty_history('M-A1', now() - interval '10 days');
SELECT regress.loy_refund('LOY-A1', 50.00);
SELECT receipt_id, points, status, days_left FROM appeasement.loyalty_history('M-A1');
SELECT * FROM appeasement.loyalty_balance('M-A1');
-- Before the refund the balance was 50 pending: time is an argument.
SELECT * FROM appeasement.loyalty_balance('M-A1', now() - interval '1 day');

-- Two pending purchases (50.00, then 30.00), refunds of 60.00 in all: a refund is not tied
-- to its purchase, the oldest pending points go first: 50 from the first, then 10 from the
-- second; 20 stay pending.
SELECT regress.loy_order('LOY-A2a', 'M-A2', '50.00', 15);
SELECT regress.loy_order('LOY-A2b', 'M-A2', '30.00', 5);
SELECT regress.loy_refund('LOY-A2b', 30.00);
SELECT regress.loy_refund('LOY-A2a', 30.00);
SELECT l.receipt_id AS purchase, m.reference AS refund, m.kind, m.points
  FROM appeasement.loyalty_movements m JOIN appeasement.loyalty_lots l USING (lot_id)
 WHERE m.customer_id = 'M-A2' ORDER BY m.movement_id;
SELECT pending, available, cancelled, debited, not_recovered FROM appeasement.loyalty_balance('M-A2');
-- 30 days after the second purchase its 20 points are available.
SELECT pending, available FROM appeasement.loyalty_balance('M-A2', now() + interval '25 days 1 minute');

-- Once available, points taken back are debited: a purchase 40 days ago.
SELECT regress.loy_order('LOY-A3', 'M-A3', '80.00', 40);
SELECT regress.loy_refund('LOY-A3', 30.00);
SELECT receipt_id, points, status, days_left FROM appeasement.loyalty_history('M-A3');
SELECT * FROM appeasement.loyalty_balance('M-A3');

-- Use case B: no non-spendable period.
SELECT appeasement.configure_loyalty(0);
-- A 50.00 purchase (available at once), 30 points redeemed, then a 50.00 refund:
-- 20 debited, 30 not recovered, 0 available, never negative.
SELECT regress.loy_order('LOY-B1', 'M-B1', '50.00', 2);
SELECT appeasement.redeem_points('M-B1', 30, 'voucher-5%', now() - interval '1 day') AS still_available;
SELECT regress.loy_refund('LOY-B1', 50.00);
SELECT receipt_id, points, status, days_left FROM appeasement.loyalty_history('M-B1');
SELECT * FROM appeasement.loyalty_balance('M-B1');

-- Redemptions: more than available is 23514; bad arguments 22023; nothing written.
SELECT regress.loy_order('LOY-B2', 'M-B2', '12.99', 1);
SELECT count(*) AS movements FROM appeasement.loyalty_movements;
SELECT appeasement.redeem_points('M-B2', 13, 'too many');
\echo :SQLSTATE
SELECT appeasement.redeem_points('M-B2', 0, 'none');
\echo :SQLSTATE
SELECT appeasement.redeem_points('M-B2', 1, ' ');
\echo :SQLSTATE
SELECT appeasement.redeem_points(NULL, 1, 'x');
\echo :SQLSTATE
SELECT appeasement.redeem_points('M-B2', 1, 'x', 'infinity');
\echo :SQLSTATE
SELECT appeasement.redeem_points('M-NOBODY', 1, 'x');
\echo :SQLSTATE
SELECT count(*) AS movements FROM appeasement.loyalty_movements;
-- trunc(12.99 x 1) = 12 points; all of them can be spent, oldest first.
SELECT appeasement.redeem_points('M-B2', 12, 'all');
SELECT available, spent FROM appeasement.loyalty_balance('M-B2');

-- points_per_unit and validity: 2.5 points per euro, valid 365 days.
SELECT appeasement.configure_loyalty(0, 2.5, 365);
SELECT regress.loy_order('LOY-C1', 'M-C1', '10.01', 400);
SELECT regress.loy_order('LOY-C2', 'M-C1', '10.01', 100);
SELECT receipt_id, points, status, days_left FROM appeasement.loyalty_history('M-C1');
SELECT pending, available, expired FROM appeasement.loyalty_balance('M-C1');
-- Expired points cannot be spent or taken back: a refund of the old order debits the newer lot.
SELECT regress.loy_refund('LOY-C1', 4.00);
SELECT available, debited, expired, not_recovered FROM appeasement.loyalty_balance('M-C1');

-- Without include_appeasements, appeasements keep the points; returns still take them back.
SELECT appeasement.configure_loyalty(0, 1, NULL, false);
SELECT regress.loy_order('LOY-D1', 'M-D1', '40.00', 1);
SELECT regress.loy_refund('LOY-D1', 10.00);
SELECT appeasement.create_return_refund('{"order_id": "LOY-D1", "user": "loy-agent", "rma": "RMA-D1",
  "lines": [{"line_number": 1, "quantity": 1, "reason": "r", "reason_description": "d"}]}') #>> '{refund,credit_note_number}';
SELECT available, debited FROM appeasement.loyalty_balance('M-D1');

-- A credit note awaiting approval takes nothing back until it is approved; a rejected one never.
SELECT appeasement.configure_loyalty(0);
SELECT appeasement.set_agent_limit('loy-agent', 'EUR', 5);
SELECT appeasement.set_agent_limit('loy-lead', 'EUR', 1000);
SELECT regress.loy_order('LOY-E1', 'M-E1', '40.00', 1);
CREATE TEMP TABLE waiting AS SELECT regress.loy_refund('LOY-E1', 10.00) AS a, regress.loy_refund('LOY-E1', 20.00) AS b;
SELECT available, debited FROM appeasement.loyalty_balance('M-E1');
SELECT appeasement.approve_credit_note(a, 'loy-lead') #>> '{refund,status,code}' FROM waiting;
SELECT appeasement.reject_credit_note(b, 'loy-lead', 'no') #>> '{refund,status,code}' FROM waiting;
SELECT available, debited FROM appeasement.loyalty_balance('M-E1');

-- The seed's use cases exactly, with store receipts on their dates.
CREATE FUNCTION regress.loy_receipt(id text, customer text, issued text, VARIADIC amounts numeric[]) RETURNS text
LANGUAGE sql AS $$
  SELECT appeasement.import_receipt(jsonb_build_object(
    'receipt_id', id, 'customer_id', customer, 'store_id', 'STORE-1', 'issued_at', issued, 'currency', 'EUR',
    'lines', (SELECT jsonb_agg(jsonb_build_object('sku', 'SKU-' || i, 'quantity', 1, 'total_line_amount', a::text) ORDER BY i)
                FROM unnest(amounts) WITH ORDINALITY AS t(a, i))))
$$;
SELECT appeasement.configure_loyalty(30);
-- A: a 50.00 purchase, 50 pending points with 30 days left; refunded in full 10 days later.
SELECT regress.loy_receipt('SA1-P', 'SEED-A1', '2026-03-01T10:00:00Z', 50.00);
SELECT * FROM appeasement.loyalty_history('SEED-A1', '2026-03-01T10:00:00Z');
SELECT regress.loy_receipt('SA1-R', 'SEED-A1', '2026-03-11T10:00:00Z', -50.00);
SELECT * FROM appeasement.loyalty_history('SEED-A1', '2026-03-11T10:00:00Z');
SELECT * FROM appeasement.loyalty_balance('SEED-A1', '2026-03-11T10:00:00Z');
-- A: 50.00 on day 0, 30.00 on day 10, a 60.00 refund on day 15: 50 cancelled from the first,
-- 10 from the second, 20 still pending (for 25 more days).
SELECT regress.loy_receipt('SA2-P1', 'SEED-A2', '2026-03-01T10:00:00Z', 50.00);
SELECT regress.loy_receipt('SA2-P2', 'SEED-A2', '2026-03-11T10:00:00Z', 30.00);
SELECT regress.loy_receipt('SA2-R', 'SEED-A2', '2026-03-16T10:00:00Z', -60.00);
SELECT * FROM appeasement.loyalty_history('SEED-A2', '2026-03-16T10:00:00Z');
SELECT * FROM appeasement.loyalty_balance('SEED-A2', '2026-03-16T10:00:00Z');
SELECT pending, available FROM appeasement.loyalty_balance('SEED-A2', '2026-04-10T10:00:00Z');
-- A: what the pending points cannot cover is debited from the available ones.
SELECT regress.loy_receipt('SA3-P1', 'SEED-A3', '2026-01-01T10:00:00Z', 40.00);
SELECT regress.loy_receipt('SA3-P2', 'SEED-A3', '2026-03-01T10:00:00Z', 20.00);
SELECT regress.loy_receipt('SA3-R', 'SEED-A3', '2026-03-05T10:00:00Z', -50.00);
SELECT receipt_id, points, status, days_left FROM appeasement.loyalty_history('SEED-A3', '2026-03-05T10:00:00Z');
SELECT pending, available, cancelled, debited FROM appeasement.loyalty_balance('SEED-A3', '2026-03-05T10:00:00Z');
-- An exchange in store (a purchase and a refund on one receipt): it earns, then takes back.
SELECT regress.loy_receipt('SA2-X', 'SEED-A2', '2026-03-20T10:00:00Z', 30.00, -45.50);
SELECT receipt_id, total, status FROM appeasement.receipts WHERE receipt_id = 'SA2-X';
SELECT * FROM appeasement.loyalty_balance('SEED-A2', '2026-03-20T10:00:00Z');
-- Importing the same receipt again moves no points.
SELECT regress.loy_receipt('SA2-X', 'SEED-A2', '2026-03-20T10:00:00Z', 30.00, -45.50);
SELECT * FROM appeasement.loyalty_balance('SEED-A2', '2026-03-20T10:00:00Z');

SELECT appeasement.configure_loyalty(0);
-- B: a 50.00 purchase, 30 points redeemed, then a 50.00 refund: 20 debited, 30 not
-- recovered, 0 available, never negative.
SELECT regress.loy_receipt('SB-P', 'SEED-B', '2026-03-01T10:00:00Z', 50.00);
SELECT appeasement.redeem_points('SEED-B', 30, 'voucher-5%', '2026-03-02T10:00:00Z');
SELECT regress.loy_receipt('SB-R', 'SEED-B', '2026-03-03T10:00:00Z', -50.00);
SELECT * FROM appeasement.loyalty_history('SEED-B', '2026-03-03T10:00:00Z');
SELECT * FROM appeasement.loyalty_balance('SEED-B', '2026-03-03T10:00:00Z');

-- A refund that fails at the payment provider gives back the points it took beyond what
-- its payments really refunded: reinstated, last taken first.
SELECT appeasement.set_settlement_mode('loy-async', 'async');
SELECT appeasement.set_agent_limit('loy-agent', 'EUR', NULL);
SELECT appeasement.configure_loyalty(30);
SELECT appeasement.register_order(jsonb_build_object(
  'order_id', 'LOY-F1', 'sales_channel_id', 'loy-async', 'currency', 'EUR', 'customer_id', 'M-F1',
  'ordered_at', now() - interval '5 days',
  'lines', jsonb_build_array(jsonb_build_object('line_number', 1, 'order_item_id', 'A', 'kind', 'product', 'gross', '50.00')),
  'payments', jsonb_build_array(jsonb_build_object('payment_id', 'GIFT', 'amount', '10.00', 'captured', '10.00'),
                                jsonb_build_object('payment_id', 'CARD', 'amount', '40.00', 'captured', '40.00'))));
SELECT appeasement.create_appeasement('LOY-F1', 1, 30.00, 'Goodwill', 'async', 'loy-agent') #>> '{refund,credit_note_number}' AS number \gset
SELECT pending, cancelled FROM appeasement.loyalty_balance('M-F1');
-- The gift card refunds its 10.00, the card's 20.00 fail: 10 points stay cancelled, 20 come back.
SELECT appeasement.record_refund_result(:'number', 'GIFT', true) #>> '{refund,status,code}' AS status;
SELECT appeasement.record_refund_result(:'number', 'CARD', false, NULL, 'declined') #>> '{refund,status,code}' AS status;
SELECT pending, cancelled FROM appeasement.loyalty_balance('M-F1');
SELECT receipt_id = :'number' AS the_refund, points, status FROM appeasement.loyalty_history('M-F1');
-- Use case B: points the refund could not recover are the first to be reinstated.
SELECT appeasement.configure_loyalty(0);
SELECT appeasement.register_order(jsonb_build_object(
  'order_id', 'LOY-F2', 'sales_channel_id', 'loy-async', 'currency', 'EUR', 'customer_id', 'M-F2',
  'ordered_at', now() - interval '5 days',
  'lines', jsonb_build_array(jsonb_build_object('line_number', 1, 'order_item_id', 'A', 'kind', 'product', 'gross', '20.00')),
  'payments', jsonb_build_array(jsonb_build_object('payment_id', 'CARD', 'amount', '20.00', 'captured', '20.00'))));
SELECT appeasement.redeem_points('M-F2', 15, 'voucher');
SELECT appeasement.create_appeasement('LOY-F2', 1, 20.00, 'Goodwill', 'async', 'loy-agent') #>> '{refund,credit_note_number}' AS number \gset
SELECT available, debited, not_recovered FROM appeasement.loyalty_balance('M-F2');
SELECT appeasement.record_refund_result(:'number', 'CARD', false, NULL, 'declined') #>> '{refund,status,code}' AS status;
SELECT available, spent, debited, not_recovered FROM appeasement.loyalty_balance('M-F2');
SELECT points, status FROM appeasement.loyalty_history('M-F2');
