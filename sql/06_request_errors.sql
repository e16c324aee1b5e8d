-- Malformed appeasement requests: each fails with its SQLSTATE and writes nothing.
SELECT appeasement.register_order('{
  "order_id": "ERR-1", "sales_channel_id": "web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "20.00",
             "taxes": [{"type": "VAT", "rate": "20"}]},
            {"line_number": 2, "order_item_id": "B", "kind": "product", "gross": "10.00"}],
  "payments": [{"payment_id": "P1", "amount": "30.00", "captured": "30.00"}]}');
SELECT regress.save();

-- 22023: missing or wrongly typed fields
SELECT appeasement.create_appeasement('"just a string"');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "  ", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u"}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": []}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": "all"}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [42]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1.5, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": true, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
-- both or neither of amount and percent
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1", "percent": "10", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
-- bad amounts and percents
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1.001", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "0", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": -5, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1,00", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1e2", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": {"value": 1}, "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "percent": "0", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "percent": "100.01", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 2, "percent": "0.01", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
-- blank or missing reasons
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": " \t "}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('ERR-1', 1, 1, '', 'd', 'u');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('ERR-1', 1, 1, 'r', 'd', ' ');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('ERR-1', 1, 1.001, 'r', 'd', 'u');
\echo :SQLSTATE
-- the same line twice
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [
  {"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"},
  {"line_number": "1", "amount": "2", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
-- id or sales_channel_id not matching the order
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 1, "id": "B", "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "sales_channel_id": "store", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
-- bad credit_note_date and custom_attributes
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "credit_note_date": "soon", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "custom_attributes": {"a": 1}, "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE

-- a blank or overlong idempotency key
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "idempotency_key": " ", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement(jsonb_build_object('order_id', 'ERR-1', 'user', 'u', 'idempotency_key', repeat('k', 256),
  'lines', '[{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]'::jsonb));
\echo :SQLSTATE

-- P0002: unknown order or line
SELECT appeasement.create_appeasement('{"order_id": "NOPE", "user": "u", "lines": [{"line_number": 1, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "ERR-1", "user": "u", "lines": [{"line_number": 3, "amount": "1", "reason": "r", "reason_description": "d"}]}');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('NOPE', 1, 1, 'r', 'd', 'u');
\echo :SQLSTATE

-- NULL arguments of the typed variant give NULL, and create nothing.
SELECT appeasement.create_appeasement('ERR-1', 1, NULL, 'r', 'd', 'u') IS NULL AS is_null;

SELECT regress.unchanged();
