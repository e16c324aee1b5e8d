-- Refunds that wait for the payment provider: PENDINGRELEASE until every payment has its
-- answer; a failed payment gives its amounts back through a compensating record.
SELECT appeasement.set_settlement_mode('async-web', 'async');
SELECT appeasement.set_credit_note_series('async-web', 'LIFE-', 1);
SELECT appeasement.set_credit_note_series('sync-web', 'SYNC-', 1);
SELECT appeasement.register_order('{
  "order_id": "LIFE-1", "sales_channel_id": "async-web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "50.00",
             "taxes": [{"type": "VAT", "rate": "20", "amount": "8.33"}]}],
  "payments": [{"payment_id": "GIFT", "method": "gift_card", "amount": "10.00", "captured": "10.00"},
               {"payment_id": "CARD", "method": "card", "amount": "40.00", "captured": "40.00"}]}');

CREATE TEMP TABLE note AS
SELECT appeasement.create_appeasement('LIFE-1', 1, 30.00, 'Damaged', 'Dent', 'agent1') AS doc;
SELECT (doc #> '{refund,status}') - 'date' AS status, doc #>> '{refund,refund_reason}' AS refund_reason,
       jsonb_path_query_array(doc, '$.refund.lines[0].payments[*].status.code') AS payments
  FROM note;
-- The pending amount already counts against every cap.
SELECT refunded, refundable FROM appeasement.order_balances WHERE order_id = 'LIFE-1';

-- The gift card succeeds: the credit note still waits for the card.
SELECT (d #> '{refund,status}') - 'date' AS status,
       jsonb_path_query_array(d, '$.refund.lines[0].payments[*].status.code') AS payments
  FROM (SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'GIFT', true, 'psp-1') AS d
          FROM note) AS t;

-- A second answer for the same payment: 55000, nothing written.
SELECT regress.save();
SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'GIFT', false) FROM note;
\echo :SQLSTATE
SELECT regress.unchanged();

-- The card fails: the credit note is FAILED and the card's 20.00 go back to the balances.
SELECT (d #> '{refund,status}') - 'date' AS status, d #>> '{refund,refund_reason}' AS refund_reason,
       jsonb_path_query_array(d, '$.refund.lines[0].payments[*].status.code') AS payments
  FROM (SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'CARD', false,
                                                NULL, 'card expired') AS d FROM note) AS t;
SELECT refunded, refundable FROM appeasement.order_balances WHERE order_id = 'LIFE-1';
SELECT payment_id, captured, refunded FROM appeasement.payments WHERE order_id = 'LIFE-1' ORDER BY position;
SELECT refunded, tax_refunded FROM appeasement.order_lines WHERE order_id = 'LIFE-1';
SELECT line_number, payment_id, gross, tax_amounts FROM appeasement.credit_note_compensations WHERE order_id = 'LIFE-1';
SELECT c.status, h.from_status, h.to_status, h.reason, h.changed_by = current_user AS by_caller
  FROM appeasement.issued_credit_notes c JOIN appeasement.credit_note_status_history h USING (credit_note_number)
 WHERE c.order_id = 'LIFE-1';
SELECT event_type, payload #>> '{refund,status,code}' AS status
  FROM appeasement.refund_events e, note WHERE e.credit_note_number = note.doc #>> '{refund,credit_note_number}'
 ORDER BY event_id;
SELECT succeeded, psp_reference, failure_reason FROM appeasement.refund_results r, note
 WHERE r.credit_note_number = note.doc #>> '{refund,credit_note_number}' ORDER BY payment_id;

-- The line can be refunded again, up to its gross, and ends with exactly its recorded tax.
CREATE TEMP TABLE second AS
SELECT appeasement.create_appeasement('LIFE-1', 1, 40.00, 'Damaged', 'The rest', 'agent1') AS doc;
SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', p, true) #>> '{refund,status,code}' AS status
  FROM second, (VALUES ('CARD')) AS v(p);
SELECT refunded, tax_amounts, tax_refunded FROM appeasement.order_lines WHERE order_id = 'LIFE-1';
SELECT status, refund_type FROM appeasement.credit_notes WHERE order_id = 'LIFE-1' ORDER BY credit_note_date, status;

-- Other transitions: 55000; unknown credit notes and payments: P0002; nulls: 22023.
SELECT regress.save();
SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'CARD', true) FROM second;
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "LIFE-2", "sales_channel_id": "sync-web", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "5.00"}],
  "payments": [{"payment_id": "P1", "amount": "5.00", "captured": "5.00"}]}');
SELECT regress.save();
SELECT appeasement.record_refund_result(appeasement.create_appeasement('LIFE-2', 1, 1, 'r', 'd', 'u') #>> '{refund,credit_note_number}', 'P1', true);
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.record_refund_result('NO-SUCH-NOTE', 'P1', true);
\echo :SQLSTATE
SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'P9', true) FROM note;
\echo :SQLSTATE
SELECT appeasement.record_refund_result(doc #>> '{refund,credit_note_number}', 'CARD', NULL) FROM second;
\echo :SQLSTATE
SELECT appeasement.set_settlement_mode('async-web', 'later');
\echo :SQLSTATE
SELECT regress.unchanged();
