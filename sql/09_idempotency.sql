-- Idempotent retries: a request with an idempotency_key creates its credit note once.
SELECT appeasement.register_order('{
  "order_id": "IDEM-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "100.00",
             "taxes": [{"type": "VAT", "rate": "20"}]}],
  "payments": [{"payment_id": "P1", "amount": "100.00", "captured": "100.00"}]}');

CREATE TEMP TABLE first AS
SELECT appeasement.create_appeasement('{"appeasement": {"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-42",
  "lines": [{"line_number": 1, "amount": "10.00", "reason": "Late", "reason_description": "Late delivery"}]}}') AS doc;
SELECT doc #>> '{refund,credit_note_number}' LIKE 'CN%' AS created FROM first;

-- The same request again, with or without the wrapper: the same document, nothing created.
SELECT regress.save();
SELECT appeasement.create_appeasement('{"appeasement": {"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-42",
  "lines": [{"line_number": 1, "amount": "10.00", "reason": "Late", "reason_description": "Late delivery"}]}}') = doc AS same_document
  FROM first;
SELECT appeasement.create_appeasement('{"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-42",
  "lines": [{"line_number": 1, "amount": "10.00", "reason": "Late", "reason_description": "Late delivery"}]}') = doc AS same_document
  FROM first;
SELECT regress.unchanged();
SELECT refunded FROM appeasement.line_balances WHERE order_id = 'IDEM-1';

-- The same key with another request: 23505, nothing written.
SELECT appeasement.create_appeasement('{"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-42",
  "lines": [{"line_number": 1, "amount": "20.00", "reason": "Late", "reason_description": "Late delivery"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();

-- A call that fails leaves its key free: the corrected retry creates the credit note.
SELECT appeasement.create_appeasement('{"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-43",
  "lines": [{"line_number": 1, "amount": "500.00", "reason": "Broken", "reason_description": "Too much"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.create_appeasement('{"order_id": "IDEM-1", "user": "agent1",
  "idempotency_key": "ticket-43",
  "lines": [{"line_number": 1, "amount": "50.00", "reason": "Broken", "reason_description": "Half"}]}')
  #>> '{refund,lines,0,payments,0,details,cost_gross}' AS refunded_now;

-- Keys are per sales channel: the same key on another channel's order is another request.
SELECT appeasement.register_order('{
  "order_id": "IDEM-2", "sales_channel_id": "store", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "30.00"}],
  "payments": [{"payment_id": "P1", "amount": "30.00", "captured": "30.00"}]}');
SELECT appeasement.create_appeasement('{"order_id": "IDEM-2", "user": "agent1",
  "idempotency_key": "ticket-42",
  "lines": [{"line_number": 1, "amount": "5.00", "reason": "Late", "reason_description": "Late delivery"}]}')
  #>> '{refund,order_id}' AS order_id;

SELECT sales_channel_id, idempotency_key, credit_note_number IS NOT NULL AS has_credit_note,
       document #>> '{refund,order_id}' AS order_id
  FROM appeasement.idempotency_keys ORDER BY 1, 2;
SELECT order_id, count(*) AS credit_notes FROM appeasement.credit_notes
 WHERE order_id LIKE 'IDEM-%' GROUP BY 1 ORDER BY 1;
