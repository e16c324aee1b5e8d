-- Refund events: one row per credit note, read back in event_id order.
SELECT appeasement.register_order('{
  "order_id": "EVT-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "100.00",
             "taxes": [{"type": "VAT", "rate": "20"}]}],
  "payments": [{"payment_id": "P1", "amount": "100.00", "captured": "100.00"}]}');

SELECT max(event_id) AS last_seen FROM appeasement.refund_events \gset
SELECT appeasement.create_appeasement('EVT-1', 1, 1, 'r', 'first', 'u') IS NOT NULL AS created;
SELECT appeasement.create_appeasement('EVT-1', 1, 2, 'r', 'second', 'u') IS NOT NULL AS created;

SELECT event_id - :last_seen AS n, event_type, payload #>> '{refund,lines,0,reason_description}' AS what,
       payload #>> '{refund,order_id}' AS order_id
  FROM appeasement.refund_events_after(:last_seen) ORDER BY event_id;
SELECT count(*) FROM appeasement.refund_events_after(:last_seen, 1);

-- A rolled-back appeasement leaves no event.
BEGIN;
SELECT appeasement.create_appeasement('EVT-1', 1, 3, 'r', 'rolled back', 'u') IS NOT NULL AS created;
ROLLBACK;
SELECT count(*) AS events FROM appeasement.refund_events_after(:last_seen);

-- A document above 8000 bytes is stored whole; creation never fails because of its size.
SELECT length(appeasement.create_appeasement(format('{"order_id": "EVT-1", "user": "u",
  "custom_attributes": [{"note": "%s"}],
  "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "large"}]}',
  repeat('x', 9000))::jsonb)::text) > 9000 AS large;
SELECT length(payload::text) > 9000 AS stored_whole FROM appeasement.refund_events
 WHERE event_id = (SELECT max(event_id) FROM appeasement.refund_events);

-- Bad arguments.
SELECT * FROM appeasement.refund_events_after(0, 0);
\echo :SQLSTATE
