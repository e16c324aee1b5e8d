/* appeasement--0.2.0--0.3.0.sql: agent limits and approvals, refunds in the CRM view, receipts, loyalty points */

\echo Use "ALTER EXTENSION appeasement UPDATE TO '0.3.0'" to load this file. \quit

/* ---- Agent limits and approvals ---- */

/*
 * What an agent may refund without approval, per currency; agent '*' is
 * everyone without a row of their own.  A null limit is no limit.
 * Amounts in minor units of the currency.
 */
CREATE TABLE @extschema@.agent_limits (
	agent			text NOT NULL CHECK (length(agent) BETWEEN 1 AND 255),
	currency		text NOT NULL,
	max_amount		bigint CHECK (max_amount >= 0),
	max_percent		numeric CHECK (max_percent > 0 AND max_percent <= 100 AND scale(max_percent) <= 6),
	daily_amount	bigint CHECK (daily_amount >= 0),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (agent, currency)
);
COMMENT ON TABLE @extschema@.agent_limits IS
'per agent (''*'': everyone else) and currency: the largest credit note, line percent and day total created without approval; null is no limit';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.agent_limits', '');
REVOKE ALL ON @extschema@.agent_limits FROM PUBLIC;

/*
 * Running day totals of the agents that have a daily limit, in the same
 * way as the order's running totals: the row is locked by the credit note
 * that adds to it, so two refunds of one agent cannot both pass the limit.
 */
CREATE TABLE @extschema@.agent_day_totals (
	agent			text NOT NULL,
	currency		text NOT NULL,
	day				date NOT NULL,
	total			bigint NOT NULL,
	PRIMARY KEY (agent, currency, day)
);
COMMENT ON TABLE @extschema@.agent_day_totals IS
'per agent with a daily limit, currency and UTC day: the credit notes created, less what failed or was rejected, in minor units';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.agent_day_totals', '');
REVOKE ALL ON @extschema@.agent_day_totals FROM PUBLIC;

CREATE FUNCTION @extschema@.set_agent_limit(agent text, currency text, max_amount numeric,
											max_percent numeric DEFAULT NULL,
											daily_amount numeric DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	today date := (now() AT TIME ZONE 'UTC')::date;
	day_start timestamptz := today::timestamp AT TIME ZONE 'UTC';
BEGIN
	IF agent IS NULL OR btrim(agent) = '' OR length(agent) > 255 THEN
		RAISE EXCEPTION 'agent must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value', HINT = 'The agent ''*'' is everyone without limits of their own.';
	END IF;
	IF currency IS NULL THEN
		RAISE EXCEPTION 'currency must not be null' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@.currency_exponent(currency);
	IF max_amount < 0 OR daily_amount < 0 THEN
		RAISE EXCEPTION 'limits of agent "%" must not be negative', agent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF max_percent <= 0 OR max_percent > 100 OR scale(max_percent) > 6 THEN
		RAISE EXCEPTION 'max_percent of agent "%" must be greater than 0 and at most 100, with at most 6 decimals', agent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	INSERT INTO @extschema@.agent_limits AS l (agent, currency, max_amount, max_percent, daily_amount)
	VALUES (set_agent_limit.agent, set_agent_limit.currency,
			@extschema@.to_minor(set_agent_limit.max_amount, set_agent_limit.currency),
			set_agent_limit.max_percent,
			@extschema@.to_minor(set_agent_limit.daily_amount, set_agent_limit.currency))
	ON CONFLICT ON CONSTRAINT agent_limits_pkey DO UPDATE
	   SET max_amount = excluded.max_amount, max_percent = excluded.max_percent,
		   daily_amount = excluded.daily_amount, updated_at = now();

	/* A daily limit counts the whole day, also what was created before it was set. */
	IF daily_amount IS NOT NULL THEN
		INSERT INTO @extschema@.agent_day_totals AS t (agent, currency, day, total)
		SELECT c."user", o.currency, today,
			   (sum(c.gross) - coalesce(sum((SELECT sum(g.gross) FROM @extschema@.credit_note_compensations g
											  WHERE g.credit_note_number = c.credit_note_number)), 0))::bigint
		  FROM @extschema@.issued_credit_notes c
		  JOIN @extschema@.orders o ON o.order_id = c.order_id
		 WHERE c.created_at >= day_start AND c.created_at < day_start + interval '1 day'
		   AND o.currency = set_agent_limit.currency
		   AND (set_agent_limit.agent = '*' OR c."user" = set_agent_limit.agent)
		   AND c.status <> 'REJECTED'
		 GROUP BY c."user", o.currency
		ON CONFLICT ON CONSTRAINT agent_day_totals_pkey DO UPDATE SET total = excluded.total;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.set_agent_limit(text, text, numeric, numeric, numeric) IS
'sets what an agent (''*'': everyone without limits of their own) may refund in a currency without approval: per credit note, per line percent, per UTC day; null is no limit';
REVOKE ALL ON FUNCTION @extschema@.set_agent_limit(text, text, numeric, numeric, numeric) FROM PUBLIC;

CREATE FUNCTION @extschema@.approve_credit_note(credit_note_number text, approver text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'approve_credit_note'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.approve_credit_note(text, text) IS
'approves a credit note AWAITING_APPROVAL: another user whose own limits cover it; it goes on in its channel''s settlement mode; returns its document';
REVOKE ALL ON FUNCTION @extschema@.approve_credit_note(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.reject_credit_note(credit_note_number text, approver text, reason text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'reject_credit_note'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.reject_credit_note(text, text, text) IS
'rejects a credit note AWAITING_APPROVAL: it becomes REJECTED and its reserved amounts go back to the balances; returns its document';
REVOKE ALL ON FUNCTION @extschema@.reject_credit_note(text, text, text) FROM PUBLIC;

/* Credit notes waiting for a decision, oldest first. */
CREATE VIEW @extschema@.awaiting_approval AS
SELECT c.credit_note_number, c.order_id, c.sales_channel_id, c."user", c.status_reason AS limit_exceeded,
	   c.created_at, o.currency, @extschema@.to_amount(c.gross, o.currency) AS gross
  FROM @extschema@.issued_credit_notes c
  JOIN @extschema@.orders o ON o.order_id = c.order_id
 WHERE c.status = 'AWAITING_APPROVAL';
COMMENT ON VIEW @extschema@.awaiting_approval IS
'credit notes waiting for approve_credit_note or reject_credit_note, with the limit they exceeded';

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

/*
 * The loyalty programme: every configuration is kept, the latest applies
 * to the receipts recorded after it.  No row: no points move.
 */
CREATE TABLE @extschema@.loyalty_settings (
	settings_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	non_spendable_days integer NOT NULL CHECK (non_spendable_days >= 0),
	points_per_unit	numeric NOT NULL CHECK (points_per_unit > 0),
	validity_days	integer CHECK (validity_days >= 1),
	include_appeasements boolean NOT NULL,
	configured_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.loyalty_settings IS
'every configuration of the loyalty programme; the latest applies to the receipts recorded after it';
COMMENT ON SEQUENCE @extschema@.loyalty_settings_settings_id_seq IS 'numbers the loyalty configurations';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_settings_settings_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_settings', '');
REVOKE ALL ON @extschema@.loyalty_settings FROM PUBLIC;

/* One row per member: locked by every movement of the member's points, so they happen one after the other. */
CREATE TABLE @extschema@.loyalty_accounts (
	customer_id		text PRIMARY KEY,
	created_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.loyalty_accounts IS
'loyalty members; a member''s row is locked by each movement of their points';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_accounts', '');
REVOKE ALL ON @extschema@.loyalty_accounts FROM PUBLIC;

/* Points earned by a receipt: pending until available_at, available until expires_at. */
CREATE TABLE @extschema@.loyalty_lots (
	lot_id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id		text NOT NULL,
	receipt_id		text NOT NULL,
	earned_at		timestamptz NOT NULL,
	available_at	timestamptz NOT NULL,
	expires_at		timestamptz,
	points			bigint NOT NULL CHECK (points > 0),
	settings_id		bigint NOT NULL
);
CREATE INDEX ON @extschema@.loyalty_lots (customer_id, earned_at);
COMMENT ON TABLE @extschema@.loyalty_lots IS
'points earned by a purchase receipt: pending until available_at, then available until expires_at (null: never)';
COMMENT ON SEQUENCE @extschema@.loyalty_lots_lot_id_seq IS 'numbers the loyalty lots, oldest first';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_lots_lot_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_lots', '');
REVOKE ALL ON @extschema@.loyalty_lots FROM PUBLIC;

/*
 * Points leaving a lot: cancelled (pending, by a refund), debited
 * (available, by a refund), spent (a redemption); and what a refund could
 * not take back (not_recovered, no lot).  A refund that fails at the
 * payment provider gives its points back by the same movements with
 * negative points (reinstated), never by editing the ledger.
 */
CREATE TABLE @extschema@.loyalty_movements (
	movement_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id		text NOT NULL,
	lot_id			bigint,
	reference		text NOT NULL,
	at				timestamptz NOT NULL,
	kind			text NOT NULL CHECK (kind IN ('cancelled', 'debited', 'spent', 'not_recovered')),
	points			bigint NOT NULL CHECK (points <> 0),
	settings_id		bigint,
	CHECK ((kind = 'not_recovered') = (lot_id IS NULL)),
	CHECK (points > 0 OR kind <> 'spent')
);
CREATE INDEX ON @extschema@.loyalty_movements (customer_id, at);
CREATE INDEX ON @extschema@.loyalty_movements (lot_id);
COMMENT ON TABLE @extschema@.loyalty_movements IS
'points leaving a lot (cancelled, debited, spent) and points a refund could not take back (not_recovered), negative when a failed refund reinstates them; reference is the receipt or the redemption; settings_id the configuration a refund applied';
COMMENT ON SEQUENCE @extschema@.loyalty_movements_movement_id_seq IS 'numbers the loyalty movements in the order they happened';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_movements_movement_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.loyalty_movements', '');
REVOKE ALL ON @extschema@.loyalty_movements FROM PUBLIC;

CREATE FUNCTION @extschema@.configure_loyalty(non_spendable_days integer, points_per_unit numeric DEFAULT 1,
											  validity_days integer DEFAULT NULL,
											  include_appeasements boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF non_spendable_days IS NULL OR non_spendable_days < 0 OR non_spendable_days > 3650 THEN
		RAISE EXCEPTION 'non_spendable_days must be between 0 and 3650'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF points_per_unit IS NULL OR points_per_unit <= 0 OR points_per_unit > 1000000 THEN
		RAISE EXCEPTION 'points_per_unit must be greater than 0 and at most 1000000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF validity_days < 1 OR validity_days > 36500 THEN
		RAISE EXCEPTION 'validity_days must be null or between 1 and 36500'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO @extschema@.loyalty_settings (non_spendable_days, points_per_unit, validity_days,
											  include_appeasements)
	VALUES (configure_loyalty.non_spendable_days, configure_loyalty.points_per_unit,
			configure_loyalty.validity_days, coalesce(configure_loyalty.include_appeasements, true));
END
$$;
COMMENT ON FUNCTION @extschema@.configure_loyalty(integer, numeric, integer, boolean) IS
'configures the loyalty programme for the receipts recorded from now on: non-spendable days, points per currency unit, validity, whether appeasements take points back';
REVOKE ALL ON FUNCTION @extschema@.configure_loyalty(integer, numeric, integer, boolean) FROM PUBLIC;

/*
 * What is left of a member's lots now, with what each lot was at a time:
 * the lots earned by then, each with the points no movement has taken
 * (whenever it happened, so that nothing is ever taken twice).
 */
CREATE FUNCTION @extschema@.loyalty_lots_left(customer_id text)
RETURNS TABLE (lot_id bigint, earned_at timestamptz, available_at timestamptz,
			   expires_at timestamptz, points_left bigint)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT l.lot_id, l.earned_at, l.available_at, l.expires_at,
		   l.points - coalesce((SELECT sum(m.points) FROM @extschema@.loyalty_movements m
								 WHERE m.lot_id = l.lot_id), 0)::bigint
	  FROM @extschema@.loyalty_lots l
	 WHERE l.customer_id = loyalty_lots_left.customer_id
$$;
COMMENT ON FUNCTION @extschema@.loyalty_lots_left(text) IS
'internal: a member''s lots with the points no movement has taken yet';
REVOKE ALL ON FUNCTION @extschema@.loyalty_lots_left(text) FROM PUBLIC;

/*
 * Takes points out of a member's lots, oldest first, among the lots that
 * are pending (or available) at the given time; returns what it could not take.
 */
CREATE FUNCTION @extschema@.loyalty_take(customer_id text, points bigint, reference text,
										 at timestamptz, pending boolean, kind text, settings_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	lot record;
	part bigint;
	wanted bigint := points;
BEGIN
	FOR lot IN
		SELECT l.lot_id, l.points_left
		  FROM @extschema@.loyalty_lots_left(loyalty_take.customer_id) AS l
		 WHERE l.points_left > 0 AND l.earned_at <= loyalty_take.at
		   AND CASE WHEN pending THEN l.available_at > loyalty_take.at
					ELSE l.available_at <= loyalty_take.at
						 AND (l.expires_at IS NULL OR l.expires_at > loyalty_take.at) END
		 ORDER BY l.earned_at, l.lot_id
	LOOP
		EXIT WHEN wanted = 0;
		part := least(wanted, lot.points_left);
		INSERT INTO @extschema@.loyalty_movements (customer_id, lot_id, reference, at, kind, points, settings_id)
		VALUES (loyalty_take.customer_id, lot.lot_id, loyalty_take.reference, loyalty_take.at,
				loyalty_take.kind, part, loyalty_take.settings_id);
		wanted := wanted - part;
	END LOOP;
	RETURN wanted;
END
$$;
COMMENT ON FUNCTION @extschema@.loyalty_take(text, bigint, text, timestamptz, boolean, text, bigint) IS
'internal: takes points out of a member''s pending or available lots, oldest first; returns what was left untaken';
REVOKE ALL ON FUNCTION @extschema@.loyalty_take(text, bigint, text, timestamptz, boolean, text, bigint) FROM PUBLIC;

/*
 * The points of one receipt, in the transaction that records it: its
 * positive lines (earned) earn trunc(sum x points_per_unit); its negative
 * lines (taken_back, as a positive amount) take back trunc(sum x
 * points_per_unit): with a non-spendable period, pending points first,
 * oldest first, then available ones; without, available ones; what is
 * left is not recovered.  Amounts in minor units of the currency.
 */
CREATE FUNCTION @extschema@.loyalty_record_receipt(customer_id text, receipt_id text, issued_at timestamptz,
												   currency text, earned bigint, taken_back bigint,
												   is_appeasement boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	settings @extschema@.loyalty_settings;
	earned_points bigint;
	points bigint;
	left_over bigint;
	available timestamptz;
BEGIN
	SELECT * INTO settings FROM @extschema@.loyalty_settings ORDER BY settings_id DESC LIMIT 1;
	IF NOT FOUND OR loyalty_record_receipt.customer_id IS NULL THEN
		RETURN;
	END IF;
	INSERT INTO @extschema@.loyalty_accounts AS a (customer_id) VALUES (loyalty_record_receipt.customer_id)
	ON CONFLICT ON CONSTRAINT loyalty_accounts_pkey DO NOTHING;
	PERFORM FROM @extschema@.loyalty_accounts a WHERE a.customer_id = loyalty_record_receipt.customer_id FOR UPDATE;

	earned_points := trunc(@extschema@.to_amount(earned, currency) * settings.points_per_unit);
	IF earned_points > 0 THEN
		available := issued_at + settings.non_spendable_days * interval '1 day';
		INSERT INTO @extschema@.loyalty_lots (customer_id, receipt_id, earned_at, available_at, expires_at,
											  points, settings_id)
		VALUES (loyalty_record_receipt.customer_id, receipt_id, issued_at, available,
				available + settings.validity_days * interval '1 day', earned_points, settings.settings_id);
	END IF;

	IF is_appeasement AND NOT settings.include_appeasements THEN
		RETURN;
	END IF;
	points := trunc(@extschema@.to_amount(taken_back, currency) * settings.points_per_unit);
	IF points > 0 THEN
		left_over := points;
		IF settings.non_spendable_days >= 1 THEN
			left_over := @extschema@.loyalty_take(loyalty_record_receipt.customer_id, left_over, receipt_id,
												  issued_at, true, 'cancelled', settings.settings_id);
		END IF;
		left_over := @extschema@.loyalty_take(loyalty_record_receipt.customer_id, left_over, receipt_id,
											  issued_at, false, 'debited', settings.settings_id);
		IF left_over > 0 THEN
			INSERT INTO @extschema@.loyalty_movements (customer_id, lot_id, reference, at, kind, points, settings_id)
			VALUES (loyalty_record_receipt.customer_id, NULL, receipt_id, issued_at, 'not_recovered', left_over,
					settings.settings_id);
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.loyalty_record_receipt(text, text, timestamptz, text, bigint, bigint, boolean) IS
'internal: earns and takes back the points of one receipt (amounts in minor units), in the transaction that records it';
REVOKE ALL ON FUNCTION @extschema@.loyalty_record_receipt(text, text, timestamptz, text, bigint, bigint, boolean) FROM PUBLIC;

/*
 * A credit note whose payments failed gave part of its amount back: its
 * refund receipt now takes back trunc((gross - failed) x points_per_unit)
 * points, with the points_per_unit it applied.  What it took beyond that
 * is reinstated, last taken first (not recovered, then debited, then
 * cancelled), by movements with negative points at the time of the
 * failure.
 */
CREATE FUNCTION @extschema@.loyalty_refund_failed(credit_note_number text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	note record;
	taken bigint;
	applied bigint;
	excess bigint;
	part bigint;
	group_taken record;
BEGIN
	SELECT c.gross, o.currency, o.customer_id,
		   coalesce((SELECT sum(k.gross) FROM @extschema@.credit_note_compensations k
					  WHERE k.credit_note_number = c.credit_note_number), 0)::bigint AS failed
	  INTO note
	  FROM @extschema@.issued_credit_notes c
	  JOIN @extschema@.orders o ON o.order_id = c.order_id
	 WHERE c.credit_note_number = loyalty_refund_failed.credit_note_number;
	IF NOT FOUND OR note.customer_id IS NULL THEN
		RETURN;
	END IF;
	PERFORM FROM @extschema@.loyalty_accounts a WHERE a.customer_id = note.customer_id FOR UPDATE;

	SELECT sum(m.points), max(m.settings_id) INTO taken, applied
	  FROM @extschema@.loyalty_movements m
	 WHERE m.customer_id = note.customer_id AND m.reference = loyalty_refund_failed.credit_note_number;
	IF taken IS NULL OR taken <= 0 THEN
		RETURN;
	END IF;
	excess := taken - trunc(@extschema@.to_amount(note.gross - note.failed, note.currency)
							* (SELECT s.points_per_unit FROM @extschema@.loyalty_settings s
								WHERE s.settings_id = applied));
	FOR group_taken IN
		SELECT x.lot_id, x.kind, sum(x.points) AS points
		  FROM @extschema@.loyalty_movements x
		 WHERE x.customer_id = note.customer_id AND x.reference = loyalty_refund_failed.credit_note_number
		 GROUP BY x.lot_id, x.kind
		 ORDER BY min(x.movement_id) DESC
	LOOP
		EXIT WHEN excess <= 0;
		CONTINUE WHEN group_taken.points <= 0;
		part := least(excess, group_taken.points);
		INSERT INTO @extschema@.loyalty_movements (customer_id, lot_id, reference, at, kind, points, settings_id)
		VALUES (note.customer_id, group_taken.lot_id, loyalty_refund_failed.credit_note_number, now(), group_taken.kind, -part,
				applied);
		excess := excess - part;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.loyalty_refund_failed(text) IS
'internal: reinstates the loyalty points a credit note took back beyond what its payments really refunded';
REVOKE ALL ON FUNCTION @extschema@.loyalty_refund_failed(text) FROM PUBLIC;

CREATE FUNCTION @extschema@.redeem_points(customer_id text, points bigint, reference text,
										  at timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	available bigint;
BEGIN
	IF customer_id IS NULL OR btrim(customer_id) = '' OR length(customer_id) > 255 THEN
		RAISE EXCEPTION 'customer_id must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF points IS NULL OR points <= 0 THEN
		RAISE EXCEPTION 'points to redeem must be greater than zero'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF reference IS NULL OR btrim(reference) = '' OR length(reference) > 255 THEN
		RAISE EXCEPTION 'reference of a redemption must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF at IS NULL OR NOT isfinite(at) THEN
		RAISE EXCEPTION 'at must be a finite timestamp' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM FROM @extschema@.loyalty_accounts a WHERE a.customer_id = redeem_points.customer_id FOR UPDATE;

	SELECT coalesce(sum(l.points_left), 0) INTO available
	  FROM @extschema@.loyalty_lots_left(redeem_points.customer_id) AS l
	 WHERE l.earned_at <= redeem_points.at AND l.available_at <= redeem_points.at
	   AND (l.expires_at IS NULL OR l.expires_at > redeem_points.at);
	IF points > available THEN
		RAISE EXCEPTION 'customer "%" has % points available, not %', customer_id, available, points
			USING ERRCODE = 'check_violation';
	END IF;
	PERFORM @extschema@.loyalty_take(redeem_points.customer_id, points, reference, redeem_points.at, false, 'spent', NULL);
	RETURN available - points;
END
$$;
COMMENT ON FUNCTION @extschema@.redeem_points(text, bigint, text, timestamptz) IS
'spends a member''s available points, oldest first; more than available is 23514; returns the points still available';
REVOKE ALL ON FUNCTION @extschema@.redeem_points(text, bigint, text, timestamptz) FROM PUBLIC;

CREATE FUNCTION @extschema@.loyalty_history(customer_id text, as_of timestamptz DEFAULT now())
RETURNS TABLE (at timestamptz, receipt_id text, points bigint, status text, days_left integer)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT h.at, h.receipt_id, h.points, h.status, h.days_left
	  FROM (SELECT l.earned_at AS at, l.receipt_id, l.points,
				   CASE WHEN as_of < l.available_at THEN 'pending'
						WHEN l.expires_at <= as_of AND l.points > coalesce(
							(SELECT sum(m.points) FROM @extschema@.loyalty_movements m
							  WHERE m.lot_id = l.lot_id AND m.at <= as_of), 0) THEN 'expired'
						ELSE 'available' END AS status,
				   CASE WHEN as_of < l.available_at
						THEN ceil(extract(epoch FROM l.available_at - as_of) / 86400)::integer
						WHEN l.expires_at > as_of
						THEN ceil(extract(epoch FROM l.expires_at - as_of) / 86400)::integer END AS days_left,
				   0 AS movement, l.lot_id AS id
			  FROM @extschema@.loyalty_lots l
			 WHERE l.customer_id = loyalty_history.customer_id AND l.earned_at <= as_of
			UNION ALL
			SELECT m.at, m.reference, -m.points,
				   CASE WHEN m.points < 0 THEN 'reinstated' ELSE m.kind END, NULL, 1, m.movement_id
			  FROM @extschema@.loyalty_movements m
			 WHERE m.customer_id = loyalty_history.customer_id AND m.at <= as_of) AS h
	 ORDER BY h.at, h.movement, h.id
$$;
COMMENT ON FUNCTION @extschema@.loyalty_history(text, timestamptz) IS
'a member''s points as of a time: earned (pending with days left, available, expired), cancelled, debited, spent, not_recovered, reinstated';
REVOKE ALL ON FUNCTION @extschema@.loyalty_history(text, timestamptz) FROM PUBLIC;

CREATE FUNCTION @extschema@.loyalty_balance(customer_id text, as_of timestamptz DEFAULT now())
RETURNS TABLE (pending bigint, available bigint, spent bigint, cancelled bigint, debited bigint,
			   expired bigint, not_recovered bigint)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	WITH lots AS (
		SELECT l.available_at, l.expires_at,
			   l.points - coalesce((SELECT sum(m.points) FROM @extschema@.loyalty_movements m
									 WHERE m.lot_id = l.lot_id AND m.at <= as_of), 0) AS points_left
		  FROM @extschema@.loyalty_lots l
		 WHERE l.customer_id = loyalty_balance.customer_id AND l.earned_at <= as_of),
	moved AS (
		SELECT m.kind, sum(m.points) AS points
		  FROM @extschema@.loyalty_movements m
		 WHERE m.customer_id = loyalty_balance.customer_id AND m.at <= as_of
		 GROUP BY m.kind)
	SELECT coalesce((SELECT sum(points_left) FROM lots WHERE as_of < available_at), 0)::bigint,
		   coalesce((SELECT sum(points_left) FROM lots
					  WHERE as_of >= available_at AND (expires_at IS NULL OR as_of < expires_at)), 0)::bigint,
		   coalesce((SELECT points FROM moved WHERE kind = 'spent'), 0)::bigint,
		   coalesce((SELECT points FROM moved WHERE kind = 'cancelled'), 0)::bigint,
		   coalesce((SELECT points FROM moved WHERE kind = 'debited'), 0)::bigint,
		   coalesce((SELECT sum(points_left) FROM lots WHERE expires_at <= as_of), 0)::bigint,
		   coalesce((SELECT points FROM moved WHERE kind = 'not_recovered'), 0)::bigint
$$;
COMMENT ON FUNCTION @extschema@.loyalty_balance(text, timestamptz) IS
'a member''s points as of a time: pending, available, spent, cancelled, debited, expired, not recovered';
REVOKE ALL ON FUNCTION @extschema@.loyalty_balance(text, timestamptz) FROM PUBLIC;

/* ---- Security ---- */

/* The jobs gain the functions and views of this version. */
CREATE OR REPLACE FUNCTION @extschema@.grant_job(job text, role regrole)
RETURNS void
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	functions text[];
	f text;
BEGIN
	functions := CASE job
		WHEN 'agent' THEN ARRAY['create_appeasement(jsonb)',
								'create_appeasement(text, integer, numeric, text, text, text)',
								'preview_appeasement(jsonb)', 'create_return_refund(jsonb)']
		WHEN 'lead' THEN ARRAY['set_reason(text, text, text[], boolean)',
							   'set_require_known_reason(text, boolean)',
							   'set_credit_note_series(text, text, bigint, boolean)',
							   'set_settlement_mode(text, text)',
							   'set_agent_limit(text, text, numeric, numeric, numeric)',
							   'approve_credit_note(text, text)',
							   'reject_credit_note(text, text, text)',
							   'configure_loyalty(integer, numeric, integer, boolean)']
		WHEN 'integration' THEN ARRAY['register_order(jsonb)',
									  'record_capture(text, text, numeric, timestamp with time zone)',
									  'record_refund_result(text, text, boolean, text, text)',
									  'refund_events_after(bigint, integer)', 'publisher_status()',
									  'import_receipt(jsonb)',
									  'redeem_points(text, bigint, text, timestamp with time zone)']
		WHEN 'reader' THEN ARRAY['to_amount(bigint, text)', 'to_minor(numeric, text)',
								 'currency_exponent(text)', 'currencies()',
								 'sales_kpis(timestamp with time zone, timestamp with time zone, text)',
								 'customer_stats(timestamp with time zone, timestamp with time zone)',
								 'loyalty_history(text, timestamp with time zone)',
								 'loyalty_balance(text, timestamp with time zone)']
	END;
	IF functions IS NULL THEN
		RAISE EXCEPTION 'unknown job "%"', job USING ERRCODE = 'invalid_parameter_value';
	END IF;
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %s', role);
	FOREACH f IN ARRAY functions LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO %s', f, role);
	END LOOP;
	IF job = 'reader' THEN
		EXECUTE format('GRANT SELECT ON @extschema@.line_balances, @extschema@.order_balances,'
					   ' @extschema@.credit_notes, @extschema@.credit_note_lines,'
					   ' @extschema@.awaiting_approval, @extschema@.sales, @extschema@.receipts TO %s', role);
	END IF;
END
$$;
