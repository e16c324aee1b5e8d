-- SPEC section 2 invariants, checked over random orders and refunds in
-- currencies with 0, 2 and 3 decimals (a fixed seed keeps runs repeatable).
BEGIN;
SET LOCAL search_path = public, appeasement;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS appeasement;
SELECT plan(14);

SELECT setseed(0.4242);

-- 60 orders: random gross, one to three tax components (some given, some computed).
CREATE TEMP TABLE prop_orders AS
SELECT 'PROP-' || i AS order_id,
       (ARRAY['JPY', 'EUR', 'KWD'])[1 + i % 3] AS currency,
       (1 + floor(random() * 2000000))::bigint AS gross_minor,
       1 + i % 3 AS ncomponents
  FROM generate_series(1, 60) AS i;

SELECT lives_ok($$
  SELECT appeasement.register_order(jsonb_build_object(
    'order_id', o.order_id, 'sales_channel_id', 'prop', 'currency', o.currency,
    'lines', jsonb_build_array(jsonb_build_object(
      'line_number', 1, 'order_item_id', 'A', 'kind', 'product',
      'gross', appeasement.to_amount(o.gross_minor, o.currency)::text,
      'taxes', (SELECT jsonb_agg(CASE WHEN c = 1 THEN
                   jsonb_build_object('type', 'T' || c, 'rate', (5 + c * 3)::text,
                                      'amount', appeasement.to_amount(o.gross_minor * (c + 2) / 100, o.currency)::text)
                 ELSE jsonb_build_object('type', 'T' || c, 'rate', (c * 1.25)::text) END)
                  FROM generate_series(1, o.ncomponents) AS c))),
    'payments', jsonb_build_array(jsonb_build_object(
      'payment_id', 'P', 'amount', appeasement.to_amount(o.gross_minor, o.currency)::text,
      'captured', appeasement.to_amount(o.gross_minor, o.currency)::text))))
  FROM prop_orders o
$$, 'random orders register');

-- Refund each line in random partial steps, then whatever is left.
CREATE TEMP TABLE prop_steps (order_id text, step int, cumulative bigint, taxes bigint[], cum_taxes bigint[]);
DO $$
DECLARE
  o record;
  left_minor bigint;
  amount bigint;
  step int;
  doc jsonb;
BEGIN
  FOR o IN SELECT * FROM prop_orders LOOP
    left_minor := o.gross_minor;
    step := 0;
    WHILE left_minor > 0 LOOP
      step := step + 1;
      amount := CASE WHEN step >= 4 THEN left_minor
                     ELSE greatest(1, floor(random() * left_minor / 2)::bigint) END;
      doc := appeasement.create_appeasement(o.order_id, 1, appeasement.to_amount(amount, o.currency), 'prop', 'step ' || step, 'prop');
      left_minor := left_minor - amount;
      INSERT INTO prop_steps
      SELECT o.order_id, step, l.refunded, cl.tax_amounts, l.tax_refunded
        FROM appeasement.order_lines l
        JOIN appeasement.issued_credit_note_lines cl
          ON cl.order_id = l.order_id AND cl.line_number = l.line_number
       WHERE l.order_id = o.order_id AND cl.credit_note_number = doc #>> '{refund,credit_note_number}';
    END LOOP;
  END LOOP;
END $$;

SELECT ok((SELECT count(*) FROM prop_steps) >= 120, 'at least two refunds per line');

SELECT is((SELECT count(*) FROM appeasement.order_lines l JOIN prop_orders o USING (order_id)
            WHERE l.refunded <> l.gross), 0::bigint, 'every line is refunded in full');

SELECT is((SELECT count(*) FROM appeasement.order_lines l JOIN prop_orders o USING (order_id)
            WHERE l.tax_refunded <> l.tax_amounts), 0::bigint,
          'a line refunded in full refunds exactly its recorded tax, per component');

SELECT is((SELECT count(*) FROM prop_steps s, unnest(s.taxes) t WHERE t < 0), 0::bigint,
          'no component of any credit-note line is negative');

SELECT is((SELECT count(*) FROM appeasement.issued_credit_note_lines cl JOIN prop_orders o USING (order_id)
            WHERE cl.vat > cl.gross), 0::bigint, 'no credit-note line refunds more tax than gross');

SELECT is((SELECT count(*) FROM appeasement.credit_note_lines v JOIN prop_orders o USING (order_id)
            WHERE v.net <> v.gross - v.vat), 0::bigint, 'net = gross - tax on every line');

-- After every credit note: |cumulative component - component x cumulative gross / gross| < 1 unit.
SELECT is((SELECT count(*)
             FROM prop_steps s
             JOIN appeasement.order_lines l ON l.order_id = s.order_id AND l.line_number = 1,
                  generate_subscripts(s.cum_taxes, 1) AS j
            WHERE abs(s.cum_taxes[j]::numeric * l.gross - l.tax_amounts[j]::numeric * s.cumulative) >= l.gross),
          0::bigint, 'cumulative tax stays within one minor unit of its exact proportion');

SELECT is((SELECT count(*) FROM appeasement.issued_credit_note_lines cl JOIN prop_orders o USING (order_id)
            WHERE cl.vat <> (SELECT sum(t) FROM unnest(cl.tax_amounts) t)), 0::bigint,
          'the tax of a line is the sum of its components');

SELECT is((SELECT count(*) FROM appeasement.orders o JOIN prop_orders p USING (order_id)
            WHERE o.refunded <> o.captured), 0::bigint, 'every order refunded up to its capture');

-- Output amounts carry exactly the currency's digits.
SELECT is((SELECT count(*) FROM appeasement.refund_events e
             JOIN prop_orders o ON o.order_id = e.payload #>> '{refund,order_id}',
                  jsonb_path_query(e.payload, '$.refund.lines[*].payments[*].details.cost_gross') g
            WHERE (g #>> '{}') !~ CASE o.currency WHEN 'JPY' THEN '^[0-9]+$'
                                                    WHEN 'EUR' THEN '^[0-9]+\.[0-9]{2}$'
                                                    ELSE '^[0-9]+\.[0-9]{3}$' END),
          0::bigint, 'amounts are written with the currency''s digits');

-- Nothing more to refund: the caps hold.
SELECT throws_ok($$SELECT appeasement.create_appeasement('PROP-1', 1, 1, 'x', 'x', 'x')$$,
                 '23514', NULL, 'a line refunded in full refuses more');

-- Percent refunds round half away from zero to the minor unit.
SELECT appeasement.register_order('{"order_id": "PROP-PCT", "sales_channel_id": "prop", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "0.05"}],
  "payments": [{"payment_id": "P", "amount": "0.05", "captured": "0.05"}]}');
SELECT is(appeasement.create_appeasement('{"order_id": "PROP-PCT", "user": "x",
  "lines": [{"line_number": 1, "percent": "50", "reason": "x", "reason_description": "x"}]}')
  #>> '{refund,lines,0,payments,0,details,cost_gross}', '0.03', '50 % of 0.05 is 0.03');
SELECT is(appeasement.create_appeasement('{"order_id": "PROP-PCT", "user": "x",
  "lines": [{"line_number": 1, "percent": "40", "reason": "x", "reason_description": "x"}]}')
  #>> '{refund,lines,0,payments,0,details,cost_gross}', '0.02', '40 % of 0.05 is 0.02');

SELECT * FROM finish();
ROLLBACK;
