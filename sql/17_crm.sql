-- Refunds as negative orders, for the CRM: the sales view, sales_kpis and customer_stats.
SELECT appeasement.set_credit_note_series('crm-web', 'CRMCN-', 1);
SELECT appeasement.set_credit_note_series('crm-async', 'CRMCNA-', 1);
SELECT appeasement.set_settlement_mode('crm-async', 'async');

-- A one-line order of one product, paid and captured in full.
CREATE FUNCTION pg_temp.sale(order_id text, customer_id text, currency text, gross text,
							 ordered_at timestamptz DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT appeasement.register_order(jsonb_build_object(
    'order_id', order_id, 'sales_channel_id', 'crm-web', 'customer_id', customer_id,
    'currency', currency, 'ordered_at', ordered_at,
    'lines', jsonb_build_array(jsonb_build_object('line_number', 1, 'order_item_id', '1',
                                                  'kind', 'product', 'sku', 'SHIRT', 'gross', gross)),
    'payments', jsonb_build_array(jsonb_build_object('payment_id', 'P1', 'amount', gross, 'captured', gross))))
$$;
-- A refund of a one-line order: the credit note's number.
CREATE FUNCTION pg_temp.refund(order_id text, amount numeric) RETURNS text LANGUAGE sql AS $$
  SELECT appeasement.create_appeasement(order_id, 1, amount, 'Returned', 'Returned in store', 'crm-agent')
         #>> '{refund,credit_note_number}'
$$;

/*
 * The sales view: an order line sells its quantity at gross / quantity (rounded half away
 * from zero to the minor unit); a credit-note line sells quantity 0 at minus that price, for
 * minus the refunded gross, dated when the credit note was created.
 */
SELECT appeasement.register_order('{
  "order_id": "CRM-1", "sales_channel_id": "crm-web", "store_id": "S1", "customer_id": "CRM-C1",
  "currency": "EUR", "ordered_at": "2026-02-01T10:00:00+00:00",
  "lines": [
    {"line_number": 1, "order_item_id": "1", "kind": "product", "sku": "TABLE", "quantity": 3,
     "gross": "100.00", "taxes": [{"type": "VAT", "rate": "20"}]},
    {"line_number": 2, "order_item_id": "2", "kind": "product", "sku": "MUG", "quantity": 2,
     "gross": "0.05"},
    {"line_number": 3, "order_item_id": "3", "kind": "shipping", "gross": "5.90"}],
  "payments": [{"payment_id": "P1", "amount": "105.95", "captured": "105.95"}]}');
-- A partial refund of the tables, then the mugs and the shipping in full, in one credit note.
SELECT pg_temp.refund('CRM-1', 40.00);
SELECT appeasement.create_appeasement('{"order_id": "CRM-1", "user": "crm-agent", "lines": [
  {"line_number": 2, "amount": "0.05", "reason": "Broken", "reason_description": "Both mugs broken"},
  {"line_number": 3, "amount": "5.90", "reason": "Late", "reason_description": "Late delivery"}]}')
  #>> '{refund,credit_note_number}';
SELECT s.sale_id, s.order_id, s.customer_id, s.store_id, s.sales_channel_id, s.kind, s.sku,
       s.quantity, s.price, s.total_price, s.currency,
       s.sold_at = coalesce(c.credit_note_date, '2026-02-01T10:00:00+00:00') AS dated
  FROM appeasement.sales s LEFT JOIN appeasement.credit_notes c ON s.kind = 'refund' AND c.credit_note_number = s.sale_id
 WHERE s.order_id = 'CRM-1'
 ORDER BY s.kind, s.sale_id, s.total_price DESC;

-- A refund waiting for the payment provider counts at once, for its whole amount.
SELECT appeasement.register_order('{
  "order_id": "CRM-2", "sales_channel_id": "crm-async", "customer_id": "CRM-C2", "currency": "EUR",
  "ordered_at": "2026-02-02T10:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "1", "kind": "product", "sku": "BOOK", "gross": "50.00"}],
  "payments": [{"payment_id": "GIFT", "method": "gift_card", "amount": "10.00", "captured": "10.00"},
               {"payment_id": "CARD", "method": "card", "amount": "40.00", "captured": "40.00"}]}');
SELECT appeasement.create_appeasement('CRM-2', 1, 30.00, 'Damaged', 'Torn cover', 'crm-agent')
       #>> '{refund,status,code}' AS status;
SELECT sale_id, kind, quantity, price, total_price FROM appeasement.sales
 WHERE order_id = 'CRM-2' ORDER BY kind, sale_id;

-- The gift card gives its 10.00 back, the card fails: the refund counts for 10.00 only.
SELECT appeasement.record_refund_result('CRMCNA-1', 'GIFT', true) #>> '{refund,status,code}' AS status;
SELECT appeasement.record_refund_result('CRMCNA-1', 'CARD', false, NULL, 'card expired')
       #>> '{refund,status,code}' AS status;
SELECT sale_id, kind, quantity, price, total_price FROM appeasement.sales
 WHERE order_id = 'CRM-2' ORDER BY kind, sale_id;

-- A refund that failed for all its money gave nothing back: it is no sale.
SELECT appeasement.register_order('{
  "order_id": "CRM-3", "sales_channel_id": "crm-async", "customer_id": "CRM-C3", "currency": "EUR",
  "ordered_at": "2026-02-03T10:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "1", "kind": "product", "sku": "LAMP", "gross": "20.00"}],
  "payments": [{"payment_id": "CARD", "amount": "20.00", "captured": "20.00"}]}');
SELECT pg_temp.refund('CRM-3', 20.00);
SELECT appeasement.record_refund_result('CRMCNA-2', 'CARD', false, NULL, 'declined')
       #>> '{refund,status,code}' AS status;
SELECT c.credit_note_number, c.status, c.gross FROM appeasement.credit_notes c WHERE c.order_id = 'CRM-3';
SELECT sale_id, kind, quantity, price, total_price FROM appeasement.sales
 WHERE order_id = 'CRM-3' ORDER BY kind, sale_id;

/*
 * The seed's worked example: four orders of 20.00 for one product each, one refunded in
 * full.  The dashboard shows 5 orders, a turnover of 60.00, an average order of 12.00 and 4
 * products sold.  Inside one transaction every order and credit note is dated now(), so the
 * period [now(), now() + 1 second) holds exactly this example.
 */
BEGIN;
SELECT pg_temp.sale('SEED-' || n, 'SEED-C', 'EUR', '20.00') FROM generate_series(1, 4) AS n;
SELECT pg_temp.refund('SEED-4', 20.00);
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'EUR');
SELECT sale_id, kind, sku, quantity, price, total_price FROM appeasement.sales
 WHERE order_id LIKE 'SEED-%' ORDER BY kind, sale_id;
SELECT * FROM appeasement.customer_stats(now(), now() + interval '1 second');
COMMIT;

/*
 * sales_kpis in one currency: named, or the only one of the period.  Sales in several
 * currencies and no currency named: 22023.
 */
BEGIN;
SELECT pg_temp.sale('KPI-EUR', 'KPI-C', 'EUR', '12.50'), pg_temp.sale('KPI-USD', 'KPI-C', 'USD', '7.00');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'EUR');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'USD');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'GBP');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second');
\echo :SQLSTATE
ROLLBACK;
-- A period without sales; bad arguments: 22023.
SELECT * FROM appeasement.sales_kpis('2000-01-01', '2000-02-01', 'EUR');
SELECT * FROM appeasement.sales_kpis('2000-01-01', '2000-02-01');
SELECT * FROM appeasement.sales_kpis('2000-01-01', '2000-02-01', 'eur');
\echo :SQLSTATE
SELECT * FROM appeasement.sales_kpis('2000-01-01', '2000-02-01', 'ABC');
\echo :SQLSTATE
SELECT * FROM appeasement.sales_kpis(NULL, '2000-02-01', 'EUR');
\echo :SQLSTATE
SELECT * FROM appeasement.customer_stats('2000-01-01', NULL);
\echo :SQLSTATE
-- The period is [from, to): a sale at from counts, a sale at to does not.
SELECT pg_temp.sale('EDGE-1', 'EDGE-C', 'EUR', '1.00', '2025-06-01T00:00:00+00:00');
SELECT orders, turnover FROM appeasement.sales_kpis('2025-06-01T00:00:00+00:00', '2025-06-02T00:00:00+00:00', 'EUR');
SELECT orders, turnover FROM appeasement.sales_kpis('2025-05-31T00:00:00+00:00', '2025-06-01T00:00:00+00:00', 'EUR');

/*
 * The average order is rounded half away from zero to the currency's minor unit: up for a
 * positive turnover, down for a negative one (a period of refunds only).  Orders are placed
 * in one transaction and refunded in the next, so each period holds one of the two.
 */
-- JPY, no decimals: 1001 / 2 = 500.5.
BEGIN;
SELECT pg_temp.sale('AVG-JPY-1', 'AVG-C', 'JPY', '1000'), pg_temp.sale('AVG-JPY-2', 'AVG-C', 'JPY', '1');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second');
COMMIT;
BEGIN;
SELECT pg_temp.refund('AVG-JPY-1', 1000), pg_temp.refund('AVG-JPY-2', 1);
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'JPY');
COMMIT;
-- EUR, 2 decimals: 10.01 / 2 = 5.005.
BEGIN;
SELECT pg_temp.sale('AVG-EUR-1', 'AVG-C', 'EUR', '10.00'), pg_temp.sale('AVG-EUR-2', 'AVG-C', 'EUR', '0.01');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'EUR');
COMMIT;
BEGIN;
SELECT pg_temp.refund('AVG-EUR-1', 10.00), pg_temp.refund('AVG-EUR-2', 0.01);
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'EUR');
COMMIT;
-- KWD, 3 decimals: 1.001 / 2 = 0.5005; and 2.000 / 3 = 0.666..., not a tie.
BEGIN;
SELECT pg_temp.sale('AVG-KWD-1', 'AVG-C', 'KWD', '1.000'), pg_temp.sale('AVG-KWD-2', 'AVG-C', 'KWD', '0.001');
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'KWD');
COMMIT;
BEGIN;
SELECT pg_temp.sale('AVG-KWD-' || n, 'AVG-C', 'KWD', CASE n WHEN 3 THEN '2.000' ELSE '0.000' END)
  FROM generate_series(3, 5) AS n;
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'KWD');
COMMIT;
-- BHD, 3 decimals, refunds only: -2.001 / 2 = -1.0005.
BEGIN;
SELECT pg_temp.sale('AVG-BHD-1', 'AVG-C', 'BHD', '2.000'), pg_temp.sale('AVG-BHD-2', 'AVG-C', 'BHD', '0.001');
COMMIT;
BEGIN;
SELECT pg_temp.refund('AVG-BHD-1', 2.000), pg_temp.refund('AVG-BHD-2', 0.001);
SELECT * FROM appeasement.sales_kpis(now(), now() + interval '1 second', 'BHD');
COMMIT;

/*
 * customer_stats: per customer and currency, refunds in the turnover but not in the purchase
 * orders.  The seed's segment "spent more than 100 on at least 3 orders in the last 3 months"
 * is then one WHERE clause.
 */
SELECT pg_temp.sale('SEG-VIP-' || n, 'SEG-VIP', 'EUR', '40.00') FROM generate_series(1, 3) AS n;
SELECT pg_temp.sale('SEG-RET-' || n, 'SEG-RET', 'EUR', '40.00') FROM generate_series(1, 3) AS n;
SELECT pg_temp.refund('SEG-RET-3', 40.00);
SELECT pg_temp.sale('SEG-PART-' || n, 'SEG-PART', 'EUR', '30.00') FROM generate_series(1, 4) AS n;
SELECT pg_temp.refund('SEG-PART-1', 10.00);
SELECT pg_temp.sale('SEG-FEW-' || n, 'SEG-FEW', 'EUR', '80.00') FROM generate_series(1, 2) AS n;
SELECT pg_temp.sale('SEG-OLD-' || n, 'SEG-OLD', 'EUR', '60.00', CASE n WHEN 1 THEN timestamptz '2020-01-01T00:00:00+00:00' END)
  FROM generate_series(1, 3) AS n;

SELECT * FROM appeasement.customer_stats(now() - interval '3 months', now())
 WHERE customer_id LIKE 'SEG-%' ORDER BY customer_id;
-- The segment (LIKE keeps other tests' customers out).
SELECT customer_id FROM appeasement.customer_stats(now() - interval '3 months', now())
 WHERE turnover > 100 AND purchase_orders >= 3 AND customer_id LIKE 'SEG-%'
 ORDER BY customer_id;

-- Failed and partly failed refunds count for what they gave back.
SELECT * FROM appeasement.customer_stats('-infinity', 'infinity')
 WHERE customer_id LIKE 'CRM-%' ORDER BY customer_id;

-- Credit notes waiting for approval or rejected gave nothing back: no sale, until approved.
SELECT appeasement.set_agent_limit('crm-limited', 'EUR', 0.50);
SELECT appeasement.set_agent_limit('crm-lead', 'EUR', NULL);
SELECT pg_temp.sale('CRM-LIM', 'CRM-C4', 'EUR', '30.00');
SELECT appeasement.create_appeasement('CRM-LIM', 1, 5.00, 'Returned', 'waits', 'crm-limited')
       #>> '{refund,credit_note_number}' AS waiting \gset
SELECT appeasement.create_appeasement('CRM-LIM', 1, 6.00, 'Returned', 'rejected', 'crm-limited')
       #>> '{refund,credit_note_number}' AS rejected \gset
SELECT appeasement.reject_credit_note(:'rejected', 'crm-lead', 'no') #>> '{refund,status,code}' AS status;
SELECT kind, total_price FROM appeasement.sales WHERE order_id = 'CRM-LIM' ORDER BY kind;
SELECT appeasement.approve_credit_note(:'waiting', 'crm-lead') #>> '{refund,status,code}' AS status;
SELECT kind, total_price FROM appeasement.sales WHERE order_id = 'CRM-LIM' ORDER BY kind;
