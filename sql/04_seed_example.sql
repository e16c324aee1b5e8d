-- The seed example: gross 48.71 with a recorded VAT of 3.72 at 8.25 %,
-- series "CUS" positioned at 148, refunded in full by userB.
SELECT appeasement.set_credit_note_series('200001', 'CUS', 148);

SELECT appeasement.register_order('{
  "order_id": "100000000000001", "sales_channel_id": "200001", "store_id": "200001",
  "customer_id": "C-1001", "currency": "USD", "ordered_at": "2018-03-01T10:00:00+00:00",
  "lines": [
    {"line_number": 1, "order_item_id": "190", "kind": "product", "sku": "TABLE-OAK",
     "quantity": 1, "gross": "48.71",
     "taxes": [{"type": "VAT", "rate": "8.25", "amount": "3.72"}]},
    {"line_number": 2, "order_item_id": "191", "kind": "shipping", "quantity": 1,
     "gross": "5.90", "taxes": [{"type": "VAT", "rate": "20"}]}
  ],
  "payments": [
    {"payment_id": "P1", "method": "card", "psp": "adyen", "psp_reference": "8535",
     "amount": "54.61", "captured": "54.61"}
  ]
}');

CREATE TEMP TABLE seed AS
SELECT appeasement.create_appeasement('{"appeasement": {
  "credit_note_date": "2018-03-15T11:18:25+00:00",
  "lines": [{"amount": "48.71", "id": "190", "line_number": "1",
             "reason": "Item too big", "reason_description": "Item too big"}],
  "order_id": "100000000000001", "sales_channel_id": "200001", "user": "userB"}}') AS doc;

-- The document, dates masked: exactly the seed's refund event.
SELECT jsonb_pretty(regress.masked(doc)) FROM seed;

-- Key by key, the seed's refund event (its dates are creation times, masked here), with
-- the payment_id and method that each payment element carries since 0.2.0.
SELECT regress.masked(doc) = '{"refund": {
  "credit_note_date": "(now)", "credit_note_number": "CUS148", "custom_attributes": [],
  "lines": [{"order_item_id": "190", "order_line": "1",
             "payments": [{"details": {"cost_gross": "48.71", "cost_net": "44.99", "cost_vat": "3.72",
                                       "vat_detail": [{"amount": "3.72", "rate": "8.25", "type": "VAT"}],
                                       "vat_rate": "8.25"},
                           "method": "card", "payment_id": "P1",
                           "status": {"code": "REFUNDED", "name": "REFUNDED"}}],
             "reason": "Item too big", "reason_description": "Item too big"}],
  "order_id": "100000000000001", "refund_reason": "RELEASESUCCESS", "refund_type": "Appeasement",
  "rma": "", "sales_channel_id": "200001",
  "status": {"code": "RELEASED", "date": "(now)", "name": "RELEASED",
             "reason_code": "RELEASESUCCESS", "reason_name": "RELEASESUCCESS"},
  "store_id": "200001", "user": "userB"}}'::jsonb AS is_seed_document
  FROM seed;

-- Dates are the creation time in UTC, not the requested credit_note_date.
SELECT regress.dated_now(doc) FROM seed;

-- The same document is the event payload.
SELECT e.event_type, e.credit_note_number, e.payload = s.doc AS payload_is_document
  FROM appeasement.refund_events e, seed s
 WHERE e.credit_note_number = 'CUS148';

SELECT credit_note_number, order_id, sales_channel_id, refund_type, status, "user", gross, net, vat
  FROM appeasement.credit_notes WHERE order_id = '100000000000001';
SELECT * FROM appeasement.credit_note_lines WHERE order_id = '100000000000001';
SELECT * FROM appeasement.line_balances WHERE order_id = '100000000000001' ORDER BY line_number;
SELECT * FROM appeasement.order_balances WHERE order_id = '100000000000001';

-- The requested date is kept, apart from the creation date.
SELECT requested_at AT TIME ZONE 'UTC' AS requested_at_utc FROM appeasement.issued_credit_notes
 WHERE credit_note_number = 'CUS148';

-- The next credit note of the channel is CUS149: the shipping line, by percent.
SELECT jsonb_pretty(regress.masked(appeasement.create_appeasement('{
  "order_id": "100000000000001", "user": "userB",
  "lines": [{"line_number": 2, "percent": "100", "reason": "Late delivery",
             "reason_description": "Parcel arrived 4 days late"}]}')));

-- Nothing is left to refund on either line.
SELECT appeasement.create_appeasement('100000000000001', 1, 0.01, 'again', 'again', 'userB');
\echo :SQLSTATE
