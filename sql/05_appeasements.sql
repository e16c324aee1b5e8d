-- Appeasements: amounts and percents, several lines, caps, tax apportionment.
SELECT appeasement.register_order('{
  "order_id": "APP-1", "sales_channel_id": "web", "store_id": "S1", "currency": "EUR",
  "lines": [
    {"line_number": 1, "order_item_id": "L1", "kind": "product", "sku": "SOFA", "quantity": 1,
     "gross": "100.00", "taxes": [{"type": "VAT", "rate": "20", "amount": "16.67"}]},
    {"line_number": 2, "order_item_id": "L2", "kind": "virtual", "sku": "WARRANTY", "quantity": 1,
     "gross": "10.00", "taxes": [{"type": "VAT", "rate": "20"}]},
    {"line_number": 3, "order_item_id": "L3", "kind": "shipping", "quantity": 1,
     "gross": "5.90", "taxes": [{"type": "VAT", "rate": "20"}]}
  ],
  "payments": [{"payment_id": "CARD", "method": "card", "amount": "115.90"}]}');

-- Nothing captured yet: 55000, nothing written.
SELECT regress.save();
SELECT appeasement.create_appeasement('APP-1', 1, 10, 'Scratch', 'Small scratch', 'agent1');
\echo :SQLSTATE
SELECT regress.unchanged();

SELECT appeasement.record_capture('APP-1', 'CARD', 115.90);

-- Three partial refunds of line 1 (16.67 of VAT on 100.00), then the rest:
-- each step's cumulative VAT stays within one cent of 16.67 x refunded / 100,
-- and the full refund gives back exactly 16.67.
SELECT d #>> '{refund,credit_note_number}' AS number,
       (d #> '{refund,lines,0,payments,0,details}') - 'vat_detail' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-1', 1, 33.33, 'Scratch', 'Small scratch', 'agent1'))) AS t(d);
SELECT (d #> '{refund,lines,0,payments,0,details}') - 'vat_detail' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-1', 1, 33.33, 'Scratch', 'Another scratch', 'agent1'))) AS t(d);
SELECT (d #> '{refund,lines,0,payments,0,details}') - 'vat_detail' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-1', 1, 0.01, 'Scratch', 'One cent', 'agent1'))) AS t(d);
SELECT refunded, tax_refunded FROM appeasement.order_lines WHERE order_id = 'APP-1' AND line_number = 1;
SELECT (d #> '{refund,lines,0,payments,0,details}') - 'vat_detail' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-1', 1, 33.33, 'Scratch', 'The rest', 'agent1'))) AS t(d);
SELECT refunded, tax_amounts, tax_refunded FROM appeasement.order_lines WHERE order_id = 'APP-1' AND line_number = 1;

-- Above the line's refundable balance: 23514 with the balance in DETAIL, nothing written.
SELECT regress.save();
SELECT appeasement.create_appeasement('APP-1', 1, 0.01, 'Scratch', 'Too much', 'agent1');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('APP-1', 2, 10.01, 'Broken', 'Too much', 'agent1');
\echo :SQLSTATE
SELECT regress.unchanged();

-- Several lines in one request, by amount and by percent (half away from zero: 33.3 % of 5.90 = 1.9647 -> 1.96).
SELECT jsonb_pretty(regress.masked(appeasement.create_appeasement('{
  "order_id": "APP-1", "sales_channel_id": "web", "user": "agent2",
  "custom_attributes": [{"key": "ticket", "value": "T-42"}],
  "lines": [
    {"line_number": 2, "id": "L2", "percent": "25", "reason": "Late", "reason_description": "Warranty late"},
    {"line_number": 3, "percent": 33.3, "reason": "Late", "reason_description": "Shipping late"}]}')));

-- All or nothing: the second line is above its balance, so the first is not refunded either.
SELECT regress.save();
SELECT appeasement.create_appeasement('{
  "order_id": "APP-1", "user": "agent2",
  "lines": [
    {"line_number": 2, "amount": "1.00", "reason": "Late", "reason_description": "ok alone"},
    {"line_number": 3, "amount": "5.00", "reason": "Late", "reason_description": "too much"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT * FROM appeasement.line_balances WHERE order_id = 'APP-1' ORDER BY line_number;

-- The order cap: captured 20.00 of a 100.00 order; the lines alone would allow more.
SELECT appeasement.register_order('{
  "order_id": "APP-2", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "100.00",
             "taxes": [{"type": "state", "rate": "6.25"}, {"type": "county", "rate": "1"}, {"type": "city", "rate": "1.5"}]}],
  "payments": [{"payment_id": "P1", "amount": "100.00", "captured": "20.00"}]}');
SELECT d #> '{refund,lines,0,payments,0,details}' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-2', 1, 15.00, 'Damaged', 'Dent', 'agent1'))) AS t(d);
SELECT regress.save();
SELECT appeasement.create_appeasement('APP-2', 1, 5.01, 'Damaged', 'Dent', 'agent1');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT * FROM appeasement.order_balances WHERE order_id = 'APP-2';

-- Several payments: refunded in position order, never above what each captured,
-- with the tax split exactly over them.
SELECT appeasement.register_order('{
  "order_id": "APP-3", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "50.00",
             "taxes": [{"type": "VAT", "rate": "20"}]}],
  "payments": [{"payment_id": "GIFT", "method": "gift_card", "amount": "10.00", "captured": "10.00"},
               {"payment_id": "CARD", "method": "card", "amount": "40.00", "captured": "40.00"}]}');
SELECT jsonb_pretty(d #> '{refund,lines,0,payments}')
  FROM (VALUES (appeasement.create_appeasement('APP-3', 1, 25.00, 'Damaged', 'Half', 'agent1'))) AS t(d);
SELECT payment_id, captured, refunded FROM appeasement.payments WHERE order_id = 'APP-3' ORDER BY position;

-- refund_priority chooses the order: the gift card, listed second, is refunded first.
SELECT appeasement.register_order('{
  "order_id": "APP-5", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "50.00",
             "taxes": [{"type": "VAT", "rate": "20"}]}],
  "payments": [{"payment_id": "CARD", "method": "card", "amount": "40.00", "captured": "40.00", "refund_priority": 2},
               {"payment_id": "GIFT", "method": "gift_card", "amount": "10.00", "captured": "10.00", "refund_priority": 1}]}');
SELECT p #>> '{payment_id}' AS payment_id, p #>> '{method}' AS method, p #>> '{details,cost_gross}' AS gross,
       p #>> '{details,cost_vat}' AS vat
  FROM jsonb_array_elements(appeasement.create_appeasement('APP-5', 1, 15.00, 'Damaged', 'Dent', 'agent1')
                            #> '{refund,lines,0,payments}') AS p;
SELECT appeasement.register_order('{"order_id": "X-PRIO", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}],
  "payments": [{"payment_id": "P1", "amount": "1.00", "refund_priority": "first"}]}');
\echo :SQLSTATE

-- Currencies with 0 and 3 decimals.
SELECT appeasement.register_order('{
  "order_id": "APP-JPY", "sales_channel_id": "web", "currency": "JPY",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": 1099,
             "taxes": [{"type": "consumption", "rate": "10"}]}],
  "payments": [{"payment_id": "P1", "amount": 1099, "captured": 1099}]}');
SELECT d #> '{refund,lines,0,payments,0,details}' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-JPY', 1, 333, 'Late', 'Late', 'agent1'))) AS t(d);
SELECT appeasement.create_appeasement('APP-JPY', 1, 1.5, 'Late', 'Late', 'agent1');
\echo :SQLSTATE
SELECT appeasement.register_order('{
  "order_id": "APP-KWD", "sales_channel_id": "web", "currency": "KWD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "10.000",
             "taxes": [{"type": "VAT", "rate": "5"}]}],
  "payments": [{"payment_id": "P1", "amount": "10.000", "captured": "10.000"}]}');
SELECT d #> '{refund,lines,0,payments,0,details}' AS details
  FROM (VALUES (appeasement.create_appeasement('APP-KWD', 1, 3.333, 'Late', 'Late', 'agent1'))) AS t(d);
SELECT d #> '{refund,lines,0,payments,0,details}' AS details
  FROM (VALUES (appeasement.create_appeasement('{"order_id": "APP-KWD", "user": "agent1",
    "lines": [{"line_number": 1, "amount": "6.667", "reason": "Late", "reason_description": "rest"}]}'))) AS t(d);

-- A tax-free line, and the default series "CN" of channels without one.
SELECT appeasement.register_order('{
  "order_id": "APP-4", "sales_channel_id": "marketplace", "currency": "GBP",
  "lines": [{"line_number": 7, "order_item_id": "Z", "kind": "virtual", "gross": "9.99"}],
  "payments": [{"payment_id": "P1", "amount": "9.99", "captured": "9.99"}]}');
SELECT d #>> '{refund,credit_note_number}' LIKE 'CN%' AS default_series,
       d #> '{refund,lines,0,payments,0,details}' AS details,
       d #>> '{refund,store_id}' IS NULL AS no_store
  FROM (VALUES (appeasement.create_appeasement('APP-4', 7, 9.99, 'Gesture', 'Goodwill', 'agent1'))) AS t(d);

-- Every credit-note line: tax >= 0, tax <= gross, net = gross - tax; allocations add up.
SELECT count(*) AS bad_lines FROM appeasement.issued_credit_note_lines
 WHERE vat < 0 OR vat > gross
    OR vat <> (SELECT coalesce(sum(t), 0) FROM unnest(tax_amounts) t);
SELECT count(*) AS bad_allocations
  FROM appeasement.issued_credit_note_lines l
 WHERE l.gross <> (SELECT sum(a.gross) FROM appeasement.credit_note_allocations a
                    WHERE a.credit_note_number = l.credit_note_number AND a.line_number = l.line_number);
-- Running totals equal the history they summarize.
SELECT count(*) AS drifting_lines FROM appeasement.order_lines ol
 WHERE ol.refunded <> (SELECT coalesce(sum(gross), 0) FROM appeasement.issued_credit_note_lines cl
                        WHERE cl.order_id = ol.order_id AND cl.line_number = ol.line_number);
SELECT count(*) AS drifting_orders FROM appeasement.orders o
 WHERE o.refunded <> (SELECT coalesce(sum(gross), 0) FROM appeasement.issued_credit_notes c
                       WHERE c.order_id = o.order_id)
    OR o.refunded <> (SELECT coalesce(sum(refunded), 0) FROM appeasement.payments p
                       WHERE p.order_id = o.order_id);
