-- Reason catalogue: channels that require it accept only active codes that fit the line's kind.
SELECT appeasement.set_reason('LATE', 'Late delivery', ARRAY['shipping']);
SELECT appeasement.set_reason('DAMAGED', 'Damaged on arrival', ARRAY['product', 'virtual']);
SELECT appeasement.set_reason('GOODWILL', 'Commercial gesture');
SELECT appeasement.set_reason('OLD', 'No longer used', NULL, false);
SELECT code, description, kinds, active FROM appeasement.reasons ORDER BY code;

SELECT appeasement.register_order('{
  "order_id": "REA-1", "sales_channel_id": "strict", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "50.00"},
            {"line_number": 2, "order_item_id": "S", "kind": "shipping", "gross": "5.90"}],
  "payments": [{"payment_id": "P1", "amount": "55.90", "captured": "55.90"}]}');

-- Free text is fine until the channel requires known reasons.
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'Scratched', 'Small scratch', 'agent1') #>> '{refund,lines,0,reason}';
SELECT appeasement.set_require_known_reason('strict', true);

SELECT appeasement.create_appeasement('{"order_id": "REA-1", "user": "agent1", "lines": [
  {"line_number": 1, "amount": "5.00", "reason": "DAMAGED", "reason_description": "Dent"},
  {"line_number": 2, "amount": "5.90", "reason": "LATE", "reason_description": "Four days late"}]}')
  #> '{refund,lines}' @? '$[*] ? (@.reason == "LATE")' AS accepted;

-- Unknown, inactive, or not for this kind of line: 22023, nothing written.
SELECT regress.save();
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'Scratched', 'Small scratch', 'agent1');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'OLD', 'Retired code', 'agent1');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'LATE', 'Wrong kind', 'agent1');
\echo :SQLSTATE
SELECT appeasement.create_appeasement('{"order_id": "REA-1", "user": "agent1", "lines": [
  {"line_number": 1, "amount": "1.00", "reason": "GOODWILL", "reason_description": "fine"},
  {"line_number": 2, "amount": "0.01", "reason": "DAMAGED", "reason_description": "not for shipping"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();

-- A code for every kind, and a channel that stops requiring them.
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'GOODWILL', 'Gesture', 'agent1') #>> '{refund,lines,0,reason}';
SELECT appeasement.set_require_known_reason('strict', false);
SELECT appeasement.create_appeasement('REA-1', 1, 1, 'Anything', 'Free text again', 'agent1') #>> '{refund,lines,0,reason}';

-- Bad catalogue entries: 22023.
SELECT appeasement.set_reason('', 'blank code');
\echo :SQLSTATE
SELECT appeasement.set_reason('X', ' ');
\echo :SQLSTATE
SELECT appeasement.set_reason('X', 'wrong kind', ARRAY['gift']);
\echo :SQLSTATE
SELECT appeasement.set_reason('X', 'no kind', ARRAY[]::text[]);
\echo :SQLSTATE
SELECT appeasement.set_require_known_reason(' ', true);
\echo :SQLSTATE
