-- Refunds over several payments, over random orders: each payment gives back at most what it
-- captured, in refund_priority order, and the tax of every line is split exactly over them.
BEGIN;
SET LOCAL search_path = public, appeasement;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS appeasement;
SELECT plan(6);

SELECT setseed(0.1717);

-- 40 orders of two lines, paid by one to three payments in random priority order.
CREATE TEMP TABLE split_orders AS
SELECT 'SPLIT-' || i AS order_id,
       (ARRAY['JPY', 'EUR', 'KWD'])[1 + i % 3] AS currency,
       (100 + floor(random() * 500000))::bigint AS gross1,
       (1 + floor(random() * 90000))::bigint AS gross2,
       1 + i % 3 AS npayments
  FROM generate_series(1, 40) AS i;

SELECT lives_ok($$
  SELECT appeasement.register_order(jsonb_build_object(
    'order_id', o.order_id, 'sales_channel_id', 'split', 'currency', o.currency,
    'lines', jsonb_build_array(
      jsonb_build_object('line_number', 1, 'order_item_id', 'A', 'kind', 'product',
        'gross', appeasement.to_amount(o.gross1, o.currency)::text,
        'taxes', jsonb_build_array(jsonb_build_object('type', 'VAT', 'rate', '19'),
                                   jsonb_build_object('type', 'LOCAL', 'rate', '1.5'))),
      jsonb_build_object('line_number', 2, 'order_item_id', 'S', 'kind', 'shipping',
        'gross', appeasement.to_amount(o.gross2, o.currency)::text,
        'taxes', jsonb_build_array(jsonb_build_object('type', 'VAT', 'rate', '7')))),
    'payments', (SELECT jsonb_agg(jsonb_build_object(
        'payment_id', 'P' || p, 'method', 'm' || p,
        'refund_priority', (p * 7 + length(o.order_id)) % 5,
        'amount', appeasement.to_amount(share, o.currency)::text,
        'captured', appeasement.to_amount(share, o.currency)::text) ORDER BY p)
      FROM (SELECT p, CASE WHEN p < o.npayments THEN (o.gross1 + o.gross2) / (o.npayments + 1)
                           ELSE (o.gross1 + o.gross2) - (o.npayments - 1) * ((o.gross1 + o.gross2) / (o.npayments + 1)) END AS share
              FROM generate_series(1, o.npayments) AS p) AS shares)))
  FROM split_orders o
$$, 'random orders with several payments register');

-- Refund each order in three random steps of both lines, then the rest.
DO $$
DECLARE
  o record;
  l int;
  left_minor bigint;
  amount bigint;
BEGIN
  FOR o IN SELECT * FROM split_orders LOOP
    FOR l IN 1 .. 2 LOOP
      FOR step IN 1 .. 4 LOOP
        SELECT gross - refunded INTO left_minor FROM appeasement.order_lines WHERE order_id = o.order_id AND line_number = l;
        EXIT WHEN left_minor = 0;
        amount := CASE WHEN step = 4 THEN left_minor ELSE greatest(1, floor(random() * left_minor / 2)::bigint) END;
        PERFORM appeasement.create_appeasement(o.order_id, l, appeasement.to_amount(amount, o.currency), 'split', 'step', 'prop');
      END LOOP;
    END LOOP;
  END LOOP;
END $$;

SELECT is((SELECT count(*) FROM appeasement.payments p JOIN split_orders o USING (order_id)
            WHERE p.refunded <> p.captured), 0::bigint, 'every payment gave back exactly what it captured');

SELECT is((SELECT count(*) FROM appeasement.issued_credit_note_lines cl JOIN split_orders o USING (order_id)
            WHERE cl.gross <> (SELECT sum(a.gross) FROM appeasement.credit_note_allocations a
                                WHERE a.credit_note_number = cl.credit_note_number AND a.line_number = cl.line_number)
               OR cl.tax_amounts <> (SELECT array_agg(t ORDER BY j) FROM (
                      SELECT j, sum(a.tax_amounts[j]) AS t
                        FROM appeasement.credit_note_allocations a, generate_subscripts(a.tax_amounts, 1) AS j
                       WHERE a.credit_note_number = cl.credit_note_number AND a.line_number = cl.line_number
                       GROUP BY j) AS per_component)::bigint[]),
          0::bigint, 'the allocations of every credit-note line add up to its gross and each tax component');

SELECT is((SELECT count(*) FROM appeasement.credit_note_allocations a JOIN split_orders o USING (order_id),
                  LATERAL (SELECT coalesce(sum(t), 0) AS tax, bool_and(t >= 0) AS nonnegative FROM unnest(a.tax_amounts) t) x
            WHERE x.tax > a.gross OR NOT coalesce(x.nonnegative, true)), 0::bigint,
          'every allocation: tax components >= 0, and their sum <= its gross');

-- The first credit note of an order goes first to its payment of lowest refund_priority.
SELECT is((SELECT count(*)
             FROM split_orders o,
                  LATERAL (SELECT e.credit_note_number FROM appeasement.refund_events e
                            WHERE e.payload #>> '{refund,order_id}' = o.order_id
                            ORDER BY e.event_id LIMIT 1) AS first_note,
                  LATERAL (SELECT p.payment_id FROM appeasement.payments p
                            WHERE p.order_id = o.order_id
                            ORDER BY p.refund_priority, p.position LIMIT 1) AS first_payment
            WHERE NOT EXISTS (SELECT FROM appeasement.credit_note_allocations a
                               WHERE a.credit_note_number = first_note.credit_note_number
                                 AND a.payment_id = first_payment.payment_id)),
          0::bigint, 'the first refund of every order goes to its payment of lowest refund_priority');

SELECT is((SELECT count(*) FROM appeasement.order_lines l JOIN split_orders o USING (order_id)
            WHERE l.tax_refunded <> l.tax_amounts), 0::bigint,
          'lines refunded in full over several payments refund exactly their recorded tax');

SELECT * FROM finish();
ROLLBACK;
