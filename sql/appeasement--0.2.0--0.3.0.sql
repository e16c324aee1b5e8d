/* appeasement--0.2.0--0.3.0.sql: agent limits and approvals, refunds in the CRM view, receipts, loyalty points */

\echo Use "ALTER EXTENSION appeasement UPDATE TO '0.3.0'" to load this file. \quit

/* ---- Agent limits and approvals ---- */

/* ---- Refunds as negative orders, and receipts ---- */

/*
 * Refunds as the CRM sees them: a credit note is a negative order.  Every
 * order line is a sale of its quantity; every credit-note line that gave
 * money back is a sale of quantity 0 at minus the line's unit price, for
 * minus the refunded gross.  Credit notes waiting for approval or rejected
 * gave nothing back and are left out; a failed refund counts only for what
 * its compensations did not give back to the balances.
 *
 * The unit price is the line's gross over its quantity, rounded half away
 * from zero to the minor unit, computed on the minor units: gross >= 0 and
 * quantity >= 1, so (2 * gross + quantity) / (2 * quantity) in integers is
 * that rounding, exactly.
 */
CREATE VIEW @extschema@.sales AS
SELECT o.order_id AS sale_id, o.order_id, o.customer_id, o.store_id, o.sales_channel_id,
	   o.ordered_at AS sold_at, 'order'::text AS kind, l.sku, l.quantity,
	   @extschema@.to_amount((2 * l.gross + l.quantity) / (2 * l.quantity::bigint), o.currency) AS price,
	   @extschema@.to_amount(l.gross, o.currency) AS total_price,
	   o.currency
  FROM @extschema@.orders o
  JOIN @extschema@.order_lines l ON l.order_id = o.order_id
UNION ALL
SELECT c.credit_note_number, c.order_id, o.customer_id, o.store_id, o.sales_channel_id,
	   c.created_at, 'refund'::text, l.sku, 0,
	   @extschema@.to_amount(-((2 * l.gross + l.quantity) / (2 * l.quantity::bigint)), o.currency),
	   @extschema@.to_amount(-(cl.gross - coalesce(k.gross, 0)), o.currency),
	   o.currency
  FROM @extschema@.issued_credit_notes c
  JOIN @extschema@.issued_credit_note_lines cl ON cl.credit_note_number = c.credit_note_number
  JOIN @extschema@.order_lines l ON l.order_id = cl.order_id AND l.line_number = cl.line_number
  JOIN @extschema@.orders o ON o.order_id = c.order_id
  LEFT JOIN (SELECT k.order_id, k.credit_note_number, k.line_number, sum(k.gross)::bigint AS gross
			   FROM @extschema@.credit_note_compensations k
			  GROUP BY k.order_id, k.credit_note_number, k.line_number) k
		 ON k.order_id = cl.order_id AND k.credit_note_number = cl.credit_note_number
			AND k.line_number = cl.line_number
 WHERE c.status NOT IN ('AWAITING_APPROVAL', 'REJECTED')
   AND cl.gross <> coalesce(k.gross, 0);
COMMENT ON VIEW @extschema@.sales IS
'one row per order line (kind order) and per credit-note line that gave money back (kind refund: quantity 0, negative price and total_price), for the CRM';
REVOKE ALL ON @extschema@.sales FROM PUBLIC;

/*
 * Dashboard figures over [from, to): a refund counts as an order, turnover
 * sums both signs, products sold sums the quantities (0 for refunds).  The
 * average is computed on minor units, where half away from zero is
 * div(2 |turnover| + orders, 2 orders): exact, whatever the magnitudes.
 */
CREATE FUNCTION @extschema@.sales_kpis("from" timestamptz, "to" timestamptz, currency text DEFAULT NULL,
									   OUT orders bigint, OUT turnover numeric,
									   OUT average_order numeric, OUT products_sold bigint)
RETURNS record
LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	per_currency record;
	currencies text[] := '{}';
	sales_currency text;
	exponent integer;
	turnover_minor numeric;
BEGIN
	IF sales_kpis."from" IS NULL OR sales_kpis."to" IS NULL THEN
		RAISE EXCEPTION 'the period of sales_kpis needs both from and to'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF sales_kpis.currency IS NOT NULL THEN
		PERFORM @extschema@.currency_exponent(sales_kpis.currency);		-- 22023 when unknown
	END IF;

	FOR per_currency IN
		SELECT s.currency,
			   count(DISTINCT s.sale_id) FILTER (WHERE s.kind = 'order')
			   + count(DISTINCT s.sale_id) FILTER (WHERE s.kind = 'refund') AS orders,
			   sum(s.total_price) AS turnover,
			   sum(s.quantity) AS products_sold
		  FROM @extschema@.sales s
		 WHERE s.sold_at >= sales_kpis."from" AND s.sold_at < sales_kpis."to"
		   AND (sales_kpis.currency IS NULL OR s.currency = sales_kpis.currency)
		 GROUP BY s.currency
		 ORDER BY s.currency
	LOOP
		currencies := currencies || per_currency.currency;
		sales_currency := per_currency.currency;
		orders := per_currency.orders;
		turnover := per_currency.turnover;
		products_sold := per_currency.products_sold;
	END LOOP;

	IF cardinality(currencies) > 1 THEN
		RAISE EXCEPTION 'the period has sales in several currencies'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The currencies are %s.', array_to_string(currencies, ', ')),
				  HINT = 'Pass the currency whose figures you want.';
	END IF;
	IF cardinality(currencies) = 0 THEN
		orders := 0;
		turnover := CASE WHEN sales_kpis.currency IS NULL THEN 0
						 ELSE @extschema@.to_amount(0, sales_kpis.currency) END;
		average_order := NULL;
		products_sold := 0;
		RETURN;
	END IF;

	exponent := @extschema@.currency_exponent(sales_currency);
	turnover_minor := turnover * 10::numeric ^ exponent;
	average_order := round(sign(turnover_minor) * div(2 * abs(turnover_minor) + orders, 2 * orders)
						   * 10::numeric ^ (-exponent), exponent);
END
$$;
COMMENT ON FUNCTION @extschema@.sales_kpis(timestamptz, timestamptz, text) IS
'orders (refunds included), turnover (both signs), average order (rounded half away from zero to the minor unit) and products sold over [from, to), in one currency';
REVOKE ALL ON FUNCTION @extschema@.sales_kpis(timestamptz, timestamptz, text) FROM PUBLIC;

/*
 * Per customer and currency over [from, to): what segments are written
 * against.  turnover sums both signs; purchase_orders leaves refunds out,
 * so "spent more than 100 on at least 3 orders" is
 * WHERE turnover > 100 AND purchase_orders >= 3.
 */
CREATE FUNCTION @extschema@.customer_stats("from" timestamptz, "to" timestamptz)
RETURNS TABLE (customer_id text, currency text, turnover numeric, purchase_orders bigint,
			   refund_orders bigint, products_bought bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF customer_stats."from" IS NULL OR customer_stats."to" IS NULL THEN
		RAISE EXCEPTION 'the period of customer_stats needs both from and to'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT s.customer_id, s.currency, sum(s.total_price),
		   count(DISTINCT s.sale_id) FILTER (WHERE s.kind = 'order'),
		   count(DISTINCT s.sale_id) FILTER (WHERE s.kind = 'refund'),
		   sum(s.quantity)::bigint
	  FROM @extschema@.sales s
	 WHERE s.customer_id IS NOT NULL
	   AND s.sold_at >= customer_stats."from" AND s.sold_at < customer_stats."to"
	 GROUP BY s.customer_id, s.currency;
END
$$;
COMMENT ON FUNCTION @extschema@.customer_stats(timestamptz, timestamptz) IS
'per customer and currency over [from, to): turnover (both signs), purchase orders, refund orders and products bought';
REVOKE ALL ON FUNCTION @extschema@.customer_stats(timestamptz, timestamptz) FROM PUBLIC;

/*
 * Store receipts that never went through an order, as import_receipt
 * (receipts.c) checked them.  Amounts are signed minor units: a line
 * sold is positive, a line taken back is negative, never zero.
 */
CREATE TABLE @extschema@.imported_receipts (
	receipt_id		text PRIMARY KEY,
	customer_id		text NOT NULL,
	store_id		text,
	issued_at		timestamptz NOT NULL,
	currency		text NOT NULL,
	document		jsonb NOT NULL,
	imported_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.imported_receipts IS
'store receipts imported with import_receipt, with the canonical document a repeated import is compared with';
COMMENT ON COLUMN @extschema@.imported_receipts.document IS
'the receipt with amounts in the currency''s digits and defaults filled in; issued_at is compared on its own column, to the microsecond';

CREATE TABLE @extschema@.imported_receipt_lines (
	receipt_id		text NOT NULL REFERENCES @extschema@.imported_receipts,
	position		integer NOT NULL,
	sku				text,
	quantity		integer NOT NULL CHECK (quantity >= 1),
	amount			bigint NOT NULL CHECK (amount <> 0),
	PRIMARY KEY (receipt_id, position)
);
COMMENT ON TABLE @extschema@.imported_receipt_lines IS
'lines of imported store receipts in their order: units and the signed total_line_amount in minor units';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.imported_receipts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.imported_receipt_lines', '');
REVOKE ALL ON @extschema@.imported_receipts FROM PUBLIC;
REVOKE ALL ON @extschema@.imported_receipt_lines FROM PUBLIC;

CREATE FUNCTION @extschema@.import_receipt(receipt jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'import_receipt'
LANGUAGE C STRICT VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.import_receipt(jsonb) IS
'imports a store receipt that never went through an order and returns its receipt_id; a repeat with identical content is a no-op';
REVOKE ALL ON FUNCTION @extschema@.import_receipt(jsonb) FROM PUBLIC;

/*
 * Receipts, as loyalty reads them: every order with a customer is a
 * purchase receipt, every credit note of such an order that gave money
 * back a refund receipt (the refund rows of sales), and every imported
 * store receipt is one.  A receipt's status follows the signs of its
 * lines.
 */
CREATE VIEW @extschema@.receipts AS
SELECT r.receipt_id, r.customer_id, r.store_id, r.issued_at, r.currency,
	   sum(r.amount) AS total,
	   CASE WHEN bool_and(r.amount >= 0) THEN 'purchase'
			WHEN bool_and(r.amount <= 0) THEN 'refund'
			ELSE 'purchase_and_refund' END AS status
  FROM (SELECT s.kind AS source, s.sale_id AS receipt_id, s.customer_id, s.store_id,
			   s.sold_at AS issued_at, s.currency, s.total_price AS amount
		  FROM @extschema@.sales s
		 WHERE s.customer_id IS NOT NULL
		UNION ALL
		SELECT 'import', i.receipt_id, i.customer_id, i.store_id, i.issued_at, i.currency,
			   @extschema@.to_amount(il.amount, i.currency)
		  FROM @extschema@.imported_receipts i
		  JOIN @extschema@.imported_receipt_lines il ON il.receipt_id = i.receipt_id) r
 GROUP BY r.source, r.receipt_id, r.customer_id, r.store_id, r.issued_at, r.currency;
COMMENT ON VIEW @extschema@.receipts IS
'one row per receipt of a customer: orders (purchase), credit notes (refund, negative) and imported store receipts; status purchase, refund or purchase_and_refund';
REVOKE ALL ON @extschema@.receipts FROM PUBLIC;

/* ---- Loyalty points ---- */

/* ---- Security ---- */
