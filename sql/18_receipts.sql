-- Receipts, as loyalty reads them: orders and credit notes of customers, and store receipts
-- imported with import_receipt.

-- regress.unchanged() looks at imported receipts too from here on.
ALTER FUNCTION regress.footprint() RENAME TO footprint_without_receipts;
CREATE FUNCTION regress.footprint() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(' ', regress.footprint_without_receipts(),
    (SELECT count(*) FROM appeasement.imported_receipts),
    (SELECT count(*) || '/' || coalesce(sum(amount), 0) FROM appeasement.imported_receipt_lines))
$$;

SELECT appeasement.set_credit_note_series('rcpt-web', 'RCPTCN-', 1);
SELECT appeasement.set_credit_note_series('rcpt-async', 'RCPTCNA-', 1);
SELECT appeasement.set_settlement_mode('rcpt-async', 'async');

-- A receipt with its credit note's creation time shown as such, for stable output.
CREATE FUNCTION pg_temp.receipts(customer_like text)
RETURNS TABLE (receipt_id text, customer_id text, store_id text, issued_at text, currency text,
			   total numeric, status text) LANGUAGE sql AS $$
  SELECT r.receipt_id, r.customer_id, r.store_id,
         CASE WHEN c.credit_note_number IS NULL THEN to_char(r.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
              WHEN r.issued_at = c.credit_note_date THEN '(credit note date)' END,
         r.currency, r.total, r.status
    FROM appeasement.receipts r
    LEFT JOIN appeasement.credit_notes c ON c.credit_note_number = r.receipt_id
   WHERE r.customer_id LIKE customer_like
   ORDER BY r.customer_id, r.issued_at, r.receipt_id
$$;

/*
 * An order with a customer is a purchase receipt at ordered_at under its order_id; each of
 * its credit notes a refund receipt at its creation, negative, under its number.
 */
SELECT appeasement.register_order('{
  "order_id": "RC-1", "sales_channel_id": "rcpt-web", "store_id": "S1", "customer_id": "RCPT-C1",
  "currency": "EUR", "ordered_at": "2026-04-01T09:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "1", "kind": "product", "sku": "SHOE", "gross": "30.00"},
            {"line_number": 2, "order_item_id": "2", "kind": "shipping", "gross": "5.00"}],
  "payments": [{"payment_id": "P1", "amount": "35.00", "captured": "35.00"}]}');
SELECT appeasement.create_appeasement('RC-1', 1, 10.00, 'Scratched', 'Scratched heel', 'rcpt-agent')
       #>> '{refund,credit_note_number}';
-- An order without a customer, and its credit note, are nobody's receipts.
SELECT appeasement.register_order('{
  "order_id": "RC-2", "sales_channel_id": "rcpt-web", "store_id": "S1", "currency": "EUR",
  "ordered_at": "2026-04-01T10:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "1", "kind": "product", "gross": "12.00"}],
  "payments": [{"payment_id": "P1", "amount": "12.00", "captured": "12.00"}]}');
SELECT appeasement.create_appeasement('RC-2', 1, 12.00, 'Lost', 'Lost parcel', 'rcpt-agent')
       #>> '{refund,credit_note_number}';
SELECT * FROM pg_temp.receipts('RCPT-C1');
SELECT count(*) AS receipts_of_rc2 FROM appeasement.receipts WHERE receipt_id IN ('RC-2', 'RCPTCN-2');

-- A refund waiting for the payment provider is a refund receipt for its whole amount; once
-- a payment failed, for what the others gave back; once all failed, no receipt.
SELECT appeasement.register_order('{
  "order_id": "RC-3", "sales_channel_id": "rcpt-async", "customer_id": "RCPT-C3", "currency": "EUR",
  "ordered_at": "2026-04-02T09:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "1", "kind": "product", "sku": "COAT", "gross": "50.00"}],
  "payments": [{"payment_id": "GIFT", "amount": "10.00", "captured": "10.00"},
               {"payment_id": "CARD", "amount": "40.00", "captured": "40.00"}]}');
SELECT appeasement.create_appeasement('RC-3', 1, 30.00, 'Stain', 'Stained sleeve', 'rcpt-agent')
       #>> '{refund,credit_note_number}';
SELECT * FROM pg_temp.receipts('RCPT-C3');
SELECT appeasement.record_refund_result('RCPTCNA-1', 'GIFT', true) #>> '{refund,status,code}' AS status;
SELECT appeasement.record_refund_result('RCPTCNA-1', 'CARD', false, NULL, 'card expired') #>> '{refund,status,code}' AS status;
SELECT * FROM pg_temp.receipts('RCPT-C3');
-- (the gift card has nothing left to refund: this one goes to the card alone)
SELECT appeasement.create_appeasement('RC-3', 1, 5.00, 'Stain', 'Second stain', 'rcpt-agent')
       #>> '{refund,credit_note_number}';
SELECT appeasement.record_refund_result('RCPTCNA-2', 'CARD', false, NULL, 'card expired') #>> '{refund,status,code}' AS status;
SELECT * FROM pg_temp.receipts('RCPT-C3');

/*
 * Store receipts that never went through an order: lines positive (sold) or negative (taken
 * back); the status follows their signs.
 */
SELECT regress.save();
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-1", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-02T15:30:00+02:00",
  "lines": [{"sku": "SHIRT", "quantity": 2, "total_line_amount": "39.80"},
            {"sku": "SOCKS", "total_line_amount": 4.5}]}');
-- A return in store: negative only.
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-2", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-03T10:00:00+00:00",
  "lines": [{"sku": "SHIRT", "quantity": 1, "total_line_amount": "-19.90"}]}');
-- An exchange in store: the shirt taken back, a bigger one sold.
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-3", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-04T11:00:00+00:00",
  "lines": [{"sku": "SHIRT-M", "quantity": 1, "total_line_amount": "-19.90"},
            {"sku": "SHIRT-L", "quantity": 1, "total_line_amount": "24.90"}]}');
-- Amounts with the currency's digits: none for JPY, three for KWD; a receipt_id may be a number.
SELECT appeasement.import_receipt('{
  "receipt_id": 4711, "customer_id": "RCPT-C9", "store_id": "TOKYO-01", "currency": "JPY",
  "issued_at": "2026-05-05T09:00:00+09:00",
  "lines": [{"sku": "TEA", "quantity": 3, "total_line_amount": 1500}]}');
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-5", "customer_id": "RCPT-C9", "currency": "KWD",
  "issued_at": "2026-05-06T09:00:00+03:00",
  "lines": [{"sku": "DATES", "total_line_amount": "12.5"}, {"sku": "BOX", "total_line_amount": "-0.250"}]}');
SELECT * FROM pg_temp.receipts('RCPT-C9');
SELECT receipt_id, position, sku, quantity, amount FROM appeasement.imported_receipt_lines
 WHERE receipt_id IN ('ST-1', 'ST-3', '4711', 'ST-5') ORDER BY receipt_id, position;

-- The same receipt again, written differently but meaning the same: a no-op.
SELECT regress.save();
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-1", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-02T13:30:00Z", "channel": "pos",
  "lines": [{"sku": "SHIRT", "quantity": "2", "total_line_amount": 39.8},
            {"sku": "SOCKS", "quantity": 1, "total_line_amount": "4.50"}]}');
SELECT appeasement.import_receipt('{"receipt_id": "4711", "customer_id": "RCPT-C9", "store_id": "TOKYO-01",
  "currency": "JPY", "issued_at": "2026-05-05T00:00:00Z",
  "lines": [{"sku": "TEA", "quantity": 3, "total_line_amount": "1500"}]}');
SELECT regress.unchanged();

-- Other content under the same receipt_id: 23505, nothing written.
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-1", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-02T13:30:00Z",
  "lines": [{"sku": "SHIRT", "quantity": 2, "total_line_amount": "39.80"},
            {"sku": "SOCKS", "total_line_amount": "4.60"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-1", "customer_id": "RCPT-C9", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-02T13:30:00.000001Z",
  "lines": [{"sku": "SHIRT", "quantity": 2, "total_line_amount": "39.80"},
            {"sku": "SOCKS", "total_line_amount": "4.50"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{
  "receipt_id": "ST-2", "customer_id": "RCPT-C8", "store_id": "PARIS-01", "currency": "EUR",
  "issued_at": "2026-05-03T10:00:00+00:00",
  "lines": [{"sku": "SHIRT", "quantity": 1, "total_line_amount": "-19.90"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();

-- A receipt_id that is an order's or a credit note's: 23505, nothing written.
SELECT appeasement.import_receipt('{"receipt_id": "RC-1", "customer_id": "RCPT-C1", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "RC-2", "customer_id": "RCPT-C1", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "RCPTCN-1", "customer_id": "RCPT-C1", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "-1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();

/*
 * Malformed receipts: 22023, nothing written, with the rules of orders.  import_receipt is
 * strict: a null receipt is a null result.
 */
SELECT appeasement.import_receipt(NULL) IS NULL AS null_receipt;
SELECT regress.unchanged();
SELECT appeasement.import_receipt('[]');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": ["X1"], "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt(jsonb_build_object('receipt_id', repeat('x', 256), 'customer_id', 'RCPT-C9',
  'currency', 'EUR', 'issued_at', '2026-05-01T10:00:00Z', 'lines', '[{"total_line_amount": "1.00"}]'::jsonb));
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt(jsonb_build_object('receipt_id', 'X1', 'customer_id', 'RCPT-C9',
  'store_id', repeat('s', 256), 'currency', 'EUR', 'issued_at', '2026-05-01T10:00:00Z',
  'lines', '[{"total_line_amount": "1.00"}]'::jsonb));
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "eur",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "ABC",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": 978,
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "yesterday-ish", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "infinity", "lines": [{"total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z"}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": []}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": {"total_line_amount": "1.00"}}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": ["1.00"]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "quantity": 1}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "0.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "-0"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "1.001"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "JPY",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "100.0"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "abc"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "1e2"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": true}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "quantity": 0, "total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "quantity": -1, "total_line_amount": "-1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "quantity": 1.5, "total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": 190, "total_line_amount": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt('{"receipt_id": "X1", "customer_id": "RCPT-C9", "currency": "EUR",
  "issued_at": "2026-05-01T10:00:00Z", "lines": [{"sku": "A", "total_line_amount": "9999999999999999.99"},
                                                {"sku": "B", "total_line_amount": "9999999999999999.99"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.import_receipt(jsonb_build_object('receipt_id', 'X1', 'customer_id', 'RCPT-C9',
  'currency', 'EUR', 'issued_at', '2026-05-01T10:00:00Z',
  'lines', (SELECT jsonb_agg(jsonb_build_object('total_line_amount', '0.01')) FROM generate_series(1, 10001))));
\echo :SQLSTATE
SELECT regress.unchanged();

-- A receipt of 10,000 lines, the most there may be.
SELECT appeasement.import_receipt(jsonb_build_object('receipt_id', 'ST-BIG', 'customer_id', 'RCPT-C7',
  'currency', 'EUR', 'issued_at', '2026-05-07T10:00:00Z',
  'lines', (SELECT jsonb_agg(jsonb_build_object('sku', 'S' || g, 'total_line_amount', CASE WHEN g % 2 = 0 THEN '-0.01' ELSE '0.02' END))
              FROM generate_series(1, 10000) AS g)));
SELECT * FROM pg_temp.receipts('RCPT-C7');
