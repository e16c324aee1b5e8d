-- Registering orders and recording captures (SPEC section 3).
SELECT regress.save();

SELECT appeasement.register_order('{
  "order_id": "ORD-1", "sales_channel_id": "web", "store_id": "S1", "customer_id": "C-1",
  "currency": "USD", "ordered_at": "2026-03-01T10:00:00+00:00",
  "lines": [
    {"line_number": 1, "order_item_id": "190", "kind": "product", "sku": "TABLE-OAK",
     "quantity": 1, "gross": "48.71", "taxes": [{"type": "VAT", "rate": "8.25"}]},
    {"line_number": 2, "order_item_id": "191", "kind": "shipping", "quantity": 1,
     "gross": "5.90", "taxes": [{"type": "VAT", "rate": "20"}]},
    {"line_number": 3, "order_item_id": "192", "kind": "virtual", "quantity": 2,
     "gross": 10, "taxes": []}
  ],
  "payments": [
    {"payment_id": "P1", "method": "card", "psp": "adyen", "psp_reference": "8535",
     "amount": "64.61", "captured": "0"}
  ]
}');

-- A rate without an amount: round(gross x rate / (100 + rate)), computed once.
SELECT line_number, kind, gross, tax_types, tax_rates, tax_amounts, tax_refunded, refunded
  FROM appeasement.order_lines WHERE order_id = 'ORD-1' ORDER BY line_number;
SELECT * FROM appeasement.order_balances WHERE order_id = 'ORD-1';

-- The same order again, written differently but meaning the same: a no-op.
SELECT appeasement.register_order('{
  "order_id": "ORD-1", "sales_channel_id": "web", "store_id": "S1", "customer_id": "C-1",
  "currency": "USD", "ordered_at": "2026-03-01T11:00:00+01:00",
  "lines": [
    {"line_number": "1", "order_item_id": "190", "kind": "product", "sku": "TABLE-OAK",
     "gross": 48.71, "taxes": [{"type": "VAT", "rate": 8.250}]},
    {"line_number": 2, "order_item_id": "191", "kind": "shipping", "quantity": 1,
     "gross": "5.9", "taxes": [{"type": "VAT", "rate": "20"}]},
    {"line_number": 3, "order_item_id": "192", "kind": "virtual", "quantity": 2,
     "gross": "10.00"}
  ],
  "payments": [
    {"payment_id": "P1", "method": "card", "psp": "adyen", "psp_reference": "8535",
     "amount": "64.61"}
  ]
}');
SELECT count(*) AS orders FROM appeasement.orders WHERE order_id = 'ORD-1';

-- Other content under the same order_id: 23505, nothing written.
SELECT regress.save();
SELECT appeasement.register_order('{
  "order_id": "ORD-1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "190", "kind": "product", "gross": "1.00"}],
  "payments": []}');
\echo :SQLSTATE
SELECT regress.unchanged();

-- Captures add up to the payment amount, never beyond it.
SELECT appeasement.record_capture('ORD-1', 'P1', 50.00, '2026-03-02T10:00:00+00:00');
SELECT appeasement.record_capture('ORD-1', 'P1', 14.61, '2026-03-03T10:00:00+00:00');
SELECT payment_id, amount, captured, refunded FROM appeasement.payments WHERE order_id = 'ORD-1';
SELECT order_id, amount, captured_at FROM appeasement.captures WHERE order_id = 'ORD-1' ORDER BY captured_at;

SELECT regress.save();
SELECT appeasement.record_capture('ORD-1', 'P1', 0.01);
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.record_capture('ORD-1', 'P1', 0.001);
\echo :SQLSTATE
SELECT regress.unchanged();
SELECT appeasement.record_capture('ORD-1', 'P1', 0);
\echo :SQLSTATE
SELECT appeasement.record_capture('ORD-1', 'P1', -1);
\echo :SQLSTATE
SELECT appeasement.record_capture('ORD-404', 'P1', 1);
\echo :SQLSTATE
SELECT appeasement.record_capture('ORD-1', 'P9', 1);
\echo :SQLSTATE
SELECT regress.unchanged();

-- A recorded tax amount is authoritative: 48.71 with a VAT of 3.72.
SELECT appeasement.register_order('{
  "order_id": "ORD-2", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "48.71",
             "taxes": [{"type": "VAT", "rate": "8.25", "amount": "3.72"}]}],
  "payments": [{"payment_id": "P1", "amount": "48.71", "captured": "48.71"}]}');
SELECT tax_amounts, customer_id, store_id FROM appeasement.order_lines JOIN appeasement.orders USING (order_id)
 WHERE order_id = 'ORD-2';

-- Several components, each computed over the sum of the rates; 0 and 3 decimal currencies.
SELECT appeasement.register_order('{
  "order_id": "ORD-3", "sales_channel_id": "web", "currency": "JPY",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": 1100,
             "taxes": [{"type": "national", "rate": "7.8"}, {"type": "local", "rate": "2.2"}]}],
  "payments": [{"payment_id": "P1", "amount": 1100, "captured": 1100}]}');
SELECT appeasement.register_order('{
  "order_id": "ORD-4", "sales_channel_id": "web", "currency": "KWD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "12.500",
             "taxes": [{"type": "VAT", "rate": "5"}]}],
  "payments": [{"payment_id": "P1", "amount": "12.500", "captured": "12.5"}]}');
SELECT order_id, o.currency, l.gross, l.tax_amounts
  FROM appeasement.order_lines l JOIN appeasement.orders o USING (order_id)
 WHERE order_id IN ('ORD-3', 'ORD-4') ORDER BY order_id;
SELECT * FROM appeasement.line_balances WHERE order_id IN ('ORD-3', 'ORD-4') ORDER BY order_id;

-- Malformed orders: 22023, nothing written.
SELECT regress.save();
SELECT appeasement.register_order('[]');
\echo :SQLSTATE
SELECT appeasement.register_order('{"sales_channel_id": "web", "currency": "USD", "lines": []}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "currency": "USD", "lines": []}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "usd",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "ABC",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD", "lines": []}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "gift", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.001"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "-1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "abc"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "quantity": 0, "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "shipping", "quantity": 2, "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"},
            {"line_number": 1, "order_item_id": "B", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"},
            {"line_number": 2, "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00",
             "taxes": [{"type": "VAT", "rate": "20", "amount": "1.01"}]}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00",
             "taxes": [{"type": "VAT", "amount": "0.10"}]}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00",
             "taxes": [{"type": "VAT", "rate": "-5"}]}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}],
  "payments": [{"payment_id": "P1", "amount": "1.00", "captured": "1.01"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}],
  "payments": [{"payment_id": "P1", "amount": "1.00"}, {"payment_id": "P1", "amount": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "ordered_at": "yesterday-ish",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": "one", "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": {"line_number": 1}}');
\echo :SQLSTATE
SELECT appeasement.register_order(jsonb_build_object('order_id', repeat('x', 256), 'sales_channel_id', 'web',
  'currency', 'USD', 'lines', '[{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}]'::jsonb));
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "9999999999999999.99"},
            {"line_number": 2, "order_item_id": "B", "kind": "product", "gross": "9999999999999999.99"}]}');
\echo :SQLSTATE
SELECT appeasement.record_capture('ORD-1', 'P1', 1, 'infinity');
\echo :SQLSTATE
SELECT appeasement.register_order('{"order_id": "X1", "sales_channel_id": "web", "currency": 840,
  "lines": [{"line_number": 1, "order_item_id": "A", "kind": "product", "gross": "1.00"}]}');
\echo :SQLSTATE
SELECT regress.unchanged();
