-- Credit-note number series per sales channel (SPEC section 5).
SELECT appeasement.register_order(format('{
  "order_id": "SER-%s", "sales_channel_id": "%s", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "100.00"}],
  "payments": [{"payment_id": "P1", "amount": "100.00", "captured": "100.00"}]}', c, c)::jsonb)
  FROM unnest(ARRAY['fr', 'de', 'it']) AS c;

SELECT appeasement.set_credit_note_series('fr', 'FR-', 1);
SELECT appeasement.set_credit_note_series('de', 'DE/2026/', 1000);

SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
SELECT appeasement.create_appeasement('SER-de', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
-- "it" has no series: the shared default series "CN".
SELECT appeasement.create_appeasement('SER-it', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}' LIKE 'CN%';

-- A rolled-back appeasement may leave a gap in sequence mode; numbers are never reused.
BEGIN;
SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
ROLLBACK;
SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';

-- Moving a series forward is fine; moving it back onto issued numbers is not.
SELECT appeasement.set_credit_note_series('fr', 'FR-', 100);
SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
SELECT appeasement.set_credit_note_series('fr', 'FR-', 50);
\echo :SQLSTATE
-- A new prefix starts its own numbers.
SELECT appeasement.set_credit_note_series('fr', 'AV-', 1);
SELECT appeasement.create_appeasement('SER-fr', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';

-- Gapless series: numbers follow each other without holes, even after a rollback.
SELECT appeasement.set_credit_note_series('it', 'IT-', 1, gapless => true);
SELECT appeasement.create_appeasement('SER-it', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
BEGIN;
SELECT appeasement.create_appeasement('SER-it', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';
ROLLBACK;
SELECT appeasement.create_appeasement('SER-it', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}';

SELECT sales_channel_id, prefix, gapless FROM appeasement.credit_note_series ORDER BY 1;

-- Bad configurations: 22023, or 23505 for a prefix another channel uses.
SELECT regress.save();
SELECT appeasement.set_credit_note_series('es', 'AV-', 1000);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'FR-', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'CN', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'ES1', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', '', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'E S', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'ES-', 0);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('', 'ES-', 1);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series('es', 'ES-', 1000000000000000);
\echo :SQLSTATE
SELECT appeasement.set_credit_note_series(repeat('x', 256), 'ES-', 1);
\echo :SQLSTATE
SELECT regress.unchanged();
