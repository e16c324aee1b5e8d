-- Return refunds: units returned, an rma, and the same caps as appeasements.
SELECT appeasement.register_order('{
  "order_id": "RET-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "sku": "GLASS", "quantity": 3,
             "gross": "100.00", "taxes": [{"type": "VAT", "rate": "20"}]},
            {"line_number": 2, "order_item_id": "B", "kind": "product", "sku": "PLATE", "quantity": 2,
             "gross": "20.00"}],
  "payments": [{"payment_id": "P1", "method": "card", "amount": "120.00", "captured": "120.00"}]}');

-- One glass of three, no amount: 100.00 x 1 / 3 = 33.33.
SELECT jsonb_pretty(regress.masked(appeasement.create_return_refund('{"return": {
  "order_id": "RET-1", "user": "agent1", "rma": "RMA-1001",
  "lines": [{"line_number": 1, "quantity": 1, "reason": "Broken", "reason_description": "Arrived broken"}]}}'))
  #- '{refund,credit_note_number}');

-- An appeasement on the same line, then the two other glasses: the default is capped by what is left.
SELECT appeasement.create_appeasement('RET-1', 1, 50.00, 'Chipped', 'Gesture', 'agent1') #>> '{refund,refund_type}';
SELECT d #>> '{refund,refund_type}' AS type, d #>> '{refund,rma}' AS rma,
       d #>> '{refund,lines,0,payments,0,details,cost_gross}' AS gross
  FROM (VALUES (appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-1002",
    "lines": [{"line_number": 1, "quantity": 2, "reason": "Unwanted", "reason_description": "Changed mind"}]}'))) AS t(d);
SELECT line_number, quantity, returned_quantity, refunded FROM appeasement.order_lines WHERE order_id = 'RET-1' ORDER BY 1;

-- An explicit amount.
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-1003",
  "lines": [{"line_number": 2, "quantity": 1, "amount": "8.00", "reason": "Unwanted", "reason_description": "One plate"}]}')
  #>> '{refund,lines,0,payments,0,details,cost_gross}' AS gross;
SELECT credit_note_number LIKE 'CN%' AS numbered, refund_type, gross FROM appeasement.credit_notes
 WHERE order_id = 'RET-1' ORDER BY gross;
SELECT rma, quantity FROM appeasement.issued_credit_notes JOIN appeasement.issued_credit_note_lines USING (credit_note_number)
 WHERE issued_credit_notes.order_id = 'RET-1' ORDER BY rma;

-- More units than bought, nothing left to refund, above the balance, malformed: nothing written.
SELECT appeasement.create_appeasement('RET-1', 2, 11.00, 'Chipped', 'Gesture', 'agent1') #>> '{refund,refund_type}';
SELECT regress.save();
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "quantity": 2, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "quantity": 1, "amount": "1.01", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.create_appeasement('RET-1', 2, 1.00, 'Chipped', 'The rest', 'agent1') #>> '{refund,refund_type}';
SELECT regress.save();
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "quantity": 1, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1",
  "lines": [{"line_number": 2, "quantity": 1, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": " ",
  "lines": [{"line_number": 2, "quantity": 1, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "quantity": 0, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_return_refund('{"order_id": "RET-1", "user": "agent1", "rma": "RMA-2",
  "lines": [{"line_number": 2, "quantity": 1, "percent": "50", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
