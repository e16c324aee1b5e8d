-- Previews: the document a request would create, writing nothing and taking no number.
SELECT appeasement.set_credit_note_series('preview', 'PV-', 1);
SELECT appeasement.register_order('{
  "order_id": "PREV-1", "sales_channel_id": "preview", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "50.00",
             "taxes": [{"type": "VAT", "rate": "20"}]},
            {"line_number": 2, "order_item_id": "S", "kind": "shipping", "gross": "5.90"}],
  "payments": [{"payment_id": "GIFT", "method": "gift_card", "amount": "10.00", "captured": "10.00"},
               {"payment_id": "CARD", "method": "card", "amount": "45.90", "captured": "45.90"}]}');

SELECT regress.save();
CREATE TEMP TABLE preview AS
SELECT regress.masked(appeasement.preview_appeasement('{"order_id": "PREV-1", "user": "agent1",
  "lines": [{"line_number": 1, "amount": "25.00", "reason": "Damaged", "reason_description": "Dent"},
            {"line_number": 2, "percent": "100", "reason": "Late", "reason_description": "Late"}]}')) AS doc;
SELECT regress.unchanged();
SELECT jsonb_pretty(doc) FROM preview;

-- Creating it afterwards gives the same document, numbered with the first number of the
-- series: the preview took none.
CREATE TEMP TABLE created AS
SELECT regress.masked(appeasement.create_appeasement('{"order_id": "PREV-1", "user": "agent1",
  "lines": [{"line_number": 1, "amount": "25.00", "reason": "Damaged", "reason_description": "Dent"},
            {"line_number": 2, "percent": "100", "reason": "Late", "reason_description": "Late"}]}')) AS doc;
SELECT jsonb_set(c.doc, '{refund,credit_note_number}', 'null') = p.doc AS same_document,
       c.doc #>> '{refund,credit_note_number}' AS number
  FROM preview p, created c;

-- The same errors as creation, and still nothing written.
SELECT regress.save();
SELECT appeasement.preview_appeasement('{"order_id": "PREV-1", "user": "agent1",
  "lines": [{"line_number": 1, "amount": "25.01", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.preview_appeasement('{"order_id": "PREV-404", "user": "agent1",
  "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.preview_appeasement('{"order_id": "PREV-1", "user": "agent1",
  "lines": [{"line_number": 1, "amount": "1.001", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
