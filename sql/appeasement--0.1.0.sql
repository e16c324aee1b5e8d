/* appeasement--0.1.0.sql: install script of the appeasement extension */

\echo Use "CREATE EXTENSION appeasement" to load this file. \quit

/*
 * Storage.  Every bigint amount is in integer minor units of the order's
 * currency; the views below present them as numeric with the currency's
 * digits.  Running totals (refunded, captured) live on the rows they cap,
 * so a refund never scans credit-note history; those tables leave room in
 * their pages (fillfactor) so the updates of the totals stay HOT.
 *
 * The caps are CHECK constraints on the rows that carry the running
 * totals (orders, order_lines, payments), so even a bug could not store an
 * over-refund.  The credit-note tables are written only by the extension's
 * functions, which compute and check every value and reference under the
 * order's row lock; they carry no foreign keys or CHECK constraints, which
 * PostgreSQL would evaluate again for every refund.
 */

CREATE TABLE @extschema@.orders (
	order_id		text PRIMARY KEY,
	sales_channel_id text NOT NULL,
	store_id		text,
	customer_id		text,
	currency		text NOT NULL,
	exponent		smallint NOT NULL,
	ordered_at		timestamptz NOT NULL,
	registered_at	timestamptz NOT NULL DEFAULT now(),
	registration	jsonb NOT NULL,
	gross			bigint NOT NULL,
	captured		bigint NOT NULL DEFAULT 0,
	refunded		bigint NOT NULL DEFAULT 0,
	CONSTRAINT order_amounts CHECK (gross >= 0 AND captured >= 0 AND refunded >= 0
									AND refunded <= captured)
) WITH (fillfactor = 80);
COMMENT ON TABLE @extschema@.orders IS
'orders registered by the OMS, with running totals of captured and refunded minor units';

CREATE TABLE @extschema@.order_lines (
	order_id		text NOT NULL REFERENCES @extschema@.orders,
	line_number		integer NOT NULL,
	order_item_id	text NOT NULL,
	kind			text NOT NULL,
	sku				text,
	quantity		integer NOT NULL,
	gross			bigint NOT NULL,
	tax_types		text[] NOT NULL,
	tax_rates		numeric[] NOT NULL,
	tax_amounts		bigint[] NOT NULL,
	tax_refunded	bigint[] NOT NULL,
	refunded		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (order_id, line_number),
	UNIQUE (order_id, order_item_id),
	CONSTRAINT order_line_values CHECK (kind IN ('product', 'virtual', 'shipping') AND quantity >= 1
										AND gross >= 0 AND refunded >= 0 AND refunded <= gross)
) WITH (fillfactor = 80);
COMMENT ON TABLE @extschema@.order_lines IS
'order lines with their tax components and running refunded totals (gross and per component)';

CREATE TABLE @extschema@.payments (
	order_id		text NOT NULL REFERENCES @extschema@.orders,
	payment_id		text NOT NULL,
	position		integer NOT NULL,
	method			text,
	psp				text,
	psp_reference	text,
	amount			bigint NOT NULL,
	captured		bigint NOT NULL,
	refunded		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (order_id, payment_id),
	UNIQUE (order_id, position),
	CONSTRAINT payment_amounts CHECK (amount >= 0 AND captured >= 0 AND captured <= amount
									  AND refunded >= 0 AND refunded <= captured)
) WITH (fillfactor = 80);
COMMENT ON TABLE @extschema@.payments IS
'payments of an order, refunded in position order, with running captured and refunded totals';

CREATE TABLE @extschema@.captures (
	order_id		text NOT NULL,
	payment_id		text NOT NULL,
	amount			bigint NOT NULL CHECK (amount > 0),
	captured_at		timestamptz NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (order_id, payment_id) REFERENCES @extschema@.payments
);
CREATE INDEX ON @extschema@.captures (order_id, payment_id);
COMMENT ON TABLE @extschema@.captures IS
'every capture recorded after registration, as reported by the payment provider';

/*
 * Credit-note numbering.  A channel with a series row draws from that
 * series' sequence; every other channel uses the default series "CN".
 */
CREATE SEQUENCE @extschema@.credit_note_number_seq;
COMMENT ON SEQUENCE @extschema@.credit_note_number_seq IS
'counter of the default credit-note series "CN", shared by channels without a series';

CREATE TABLE @extschema@.credit_note_series (
	sales_channel_id text PRIMARY KEY,
	prefix			text NOT NULL UNIQUE,
	counter			regclass NOT NULL,
	gapless			boolean NOT NULL DEFAULT false,
	next_value		bigint NOT NULL,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.credit_note_series IS
'credit-note number series per sales channel: prefix, and either the sequence giving its counter or, when gapless, next_value';

CREATE SEQUENCE @extschema@.credit_note_series_key_seq;
COMMENT ON SEQUENCE @extschema@.credit_note_series_key_seq IS
'numbers naming the counter sequence of each credit-note series';

CREATE TABLE @extschema@.issued_credit_notes (
	credit_note_number text PRIMARY KEY,
	order_id		text NOT NULL,
	sales_channel_id text NOT NULL,
	refund_type		text NOT NULL,
	status			text NOT NULL,
	status_reason	text NOT NULL,
	created_at		timestamptz NOT NULL,
	requested_at	timestamptz,
	"user"			text NOT NULL,
	gross			bigint NOT NULL,
	vat				bigint NOT NULL,
	custom_attributes jsonb NOT NULL
);
CREATE INDEX ON @extschema@.issued_credit_notes (order_id);
COMMENT ON TABLE @extschema@.issued_credit_notes IS
'credit notes as issued, one row each; amounts in minor units';

CREATE TABLE @extschema@.issued_credit_note_lines (
	credit_note_number text NOT NULL,
	line_number		integer NOT NULL,
	order_id		text NOT NULL,
	gross			bigint NOT NULL,
	tax_amounts		bigint[] NOT NULL,
	vat				bigint NOT NULL,
	reason			text NOT NULL,
	reason_description text NOT NULL,
	PRIMARY KEY (credit_note_number, line_number)
);
COMMENT ON TABLE @extschema@.issued_credit_note_lines IS
'lines of issued credit notes: refunded gross and tax per component, in minor units';

CREATE TABLE @extschema@.credit_note_allocations (
	credit_note_number text NOT NULL,
	line_number		integer NOT NULL,
	payment_id		text NOT NULL,
	order_id		text NOT NULL,
	gross			bigint NOT NULL,
	tax_amounts		bigint[] NOT NULL,
	status			text NOT NULL,
	PRIMARY KEY (credit_note_number, line_number, payment_id)
);
COMMENT ON TABLE @extschema@.credit_note_allocations IS
'how each credit-note line is paid back: gross and tax per payment it goes to';

/*
 * Refund events: the outbox.  A refund transaction appends a row; the
 * notification goes out either from the transaction itself or from the
 * publisher background worker once the row is committed.
 */
CREATE TABLE @extschema@.refund_events (
	event_id		bigint PRIMARY KEY,
	created_at		timestamptz NOT NULL DEFAULT now(),
	event_type		text NOT NULL,
	credit_note_number text NOT NULL,
	payload			jsonb NOT NULL
);
COMMENT ON TABLE @extschema@.refund_events IS
'every refund event in event_id order; payload is the refund document';

CREATE SEQUENCE @extschema@.refund_events_event_id_seq OWNED BY @extschema@.refund_events.event_id;
COMMENT ON SEQUENCE @extschema@.refund_events_event_id_seq IS
'source of event ids; never reused, gaps possible on rollback';

/*
 * One row, replaced by each move.  It is not a singleton key: restoring a
 * dump adds the dumped position beside this installation's 0, and the
 * publisher goes on from the highest.
 */
CREATE TABLE @extschema@.publisher_state (
	last_event_id	bigint NOT NULL,
	published_at	timestamptz
);
INSERT INTO @extschema@.publisher_state (last_event_id) VALUES (0);
COMMENT ON TABLE @extschema@.publisher_state IS
'the last event the publisher worker has notified (the highest row), moved in the same transaction as its notifications';

CREATE TABLE @extschema@.refund_events_sent_inline (
	event_id		bigint PRIMARY KEY
);
COMMENT ON TABLE @extschema@.refund_events_sent_inline IS
'events their own transaction notified (notify_mode inline, or no publisher for the database); the publisher skips them and deletes these rows';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.orders', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.order_lines', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.payments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.captures', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_series', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.issued_credit_notes', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.issued_credit_note_lines', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_allocations', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refund_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.publisher_state', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refund_events_sent_inline', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_number_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refund_events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_series_key_seq', '');

/*
 * Money helpers, also used by the views.
 */
CREATE FUNCTION @extschema@.currency_exponent(currency text)
RETURNS integer
AS 'MODULE_PATHNAME', 'currency_exponent'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.currency_exponent(text) IS
'number of minor-unit digits of an active ISO 4217 currency; 22023 for an unknown code';

CREATE FUNCTION @extschema@.currencies(OUT currency text, OUT exponent integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'currencies'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.currencies() IS
'the ISO 4217 currencies the extension knows, with their minor-unit digits';

CREATE FUNCTION @extschema@.to_amount(minor bigint, currency text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'to_amount'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.to_amount(bigint, text) IS
'minor units as a numeric amount with exactly the currency''s digits';

CREATE FUNCTION @extschema@.to_minor(amount numeric, currency text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'to_minor'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.to_minor(numeric, text) IS
'an amount in minor units of the currency; 22023 when it has more digits than the currency allows';

/*
 * Orders.
 */
CREATE FUNCTION @extschema@.register_order(order_document jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'register_order'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.register_order(jsonb) IS
'registers an order with its lines, taxes and payments; a repeat with identical content is a no-op';

CREATE FUNCTION @extschema@.record_capture(order_id text, payment_id text, amount numeric,
										   captured_at timestamptz DEFAULT now())
RETURNS void
AS 'MODULE_PATHNAME', 'record_capture'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.record_capture(text, text, numeric, timestamptz) IS
'adds a capture to a payment; the captured total never exceeds the payment amount';

/*
 * Appeasements.
 */
CREATE FUNCTION @extschema@.create_appeasement(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'create_appeasement'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.create_appeasement(jsonb) IS
'creates a credit note refunding parts of order lines, all or nothing, and returns its refund document';

CREATE FUNCTION @extschema@.create_appeasement(order_id text, line_number integer, amount numeric,
											   reason text, reason_description text, "user" text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'create_appeasement_line'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.create_appeasement(text, integer, numeric, text, text, text) IS
'creates a one-line appeasement of a gross amount and returns its refund document';

CREATE FUNCTION @extschema@.set_credit_note_series(sales_channel_id text, prefix text,
												   start_with bigint DEFAULT 1,
												   gapless boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'set_credit_note_series'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.set_credit_note_series(text, text, bigint, boolean) IS
'gives a sales channel its own credit-note prefix and counter';

/*
 * Events.
 */
CREATE FUNCTION @extschema@.refund_events_after(last_event_id bigint, max_rows integer DEFAULT 1000)
RETURNS SETOF @extschema@.refund_events
AS 'MODULE_PATHNAME', 'refund_events_after'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.refund_events_after(bigint, integer) IS
'committed refund events after an event id, in event_id order, for a listener catching up';

CREATE FUNCTION @extschema@.publisher_status(OUT running boolean, OUT pid integer,
											 OUT database text, OUT last_event_id bigint,
											 OUT horizon bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'publisher_status'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.publisher_status() IS
'state of the publisher worker: whether it runs, its database, the last event it notified';

/*
 * Views for DBAs.
 */
CREATE VIEW @extschema@.line_balances AS
SELECT l.order_id, l.line_number, l.order_item_id, l.kind, o.currency,
	   @extschema@.to_amount(l.gross, o.currency) AS gross,
	   @extschema@.to_amount(l.refunded, o.currency) AS refunded,
	   @extschema@.to_amount(l.gross - l.refunded, o.currency) AS refundable
  FROM @extschema@.order_lines l
  JOIN @extschema@.orders o USING (order_id);
COMMENT ON VIEW @extschema@.line_balances IS
'per order line: gross, refunded so far and still refundable, in the order''s currency';

CREATE VIEW @extschema@.order_balances AS
SELECT o.order_id, o.currency,
	   @extschema@.to_amount(o.gross, o.currency) AS gross,
	   @extschema@.to_amount(o.captured, o.currency) AS captured,
	   @extschema@.to_amount(o.refunded, o.currency) AS refunded,
	   @extschema@.to_amount(LEAST(o.captured, o.gross) - o.refunded, o.currency) AS refundable
  FROM @extschema@.orders o;
COMMENT ON VIEW @extschema@.order_balances IS
'per order: gross, captured, refunded and still refundable, in the order''s currency';

CREATE VIEW @extschema@.credit_notes AS
SELECT c.credit_note_number, c.order_id, c.sales_channel_id, c.refund_type, c.status,
	   c.created_at AS credit_note_date, c."user",
	   @extschema@.to_amount(c.gross, o.currency) AS gross,
	   @extschema@.to_amount(c.gross - c.vat, o.currency) AS net,
	   @extschema@.to_amount(c.vat, o.currency) AS vat
  FROM @extschema@.issued_credit_notes c
  JOIN @extschema@.orders o USING (order_id);
COMMENT ON VIEW @extschema@.credit_notes IS
'one row per credit note with its gross, net and tax';

CREATE VIEW @extschema@.credit_note_lines AS
SELECT cl.credit_note_number, cl.order_id, cl.line_number, l.order_item_id,
	   @extschema@.to_amount(cl.gross, o.currency) AS gross,
	   @extschema@.to_amount(cl.gross - cl.vat, o.currency) AS net,
	   @extschema@.to_amount(cl.vat, o.currency) AS vat,
	   cl.reason, cl.reason_description
  FROM @extschema@.issued_credit_note_lines cl
  JOIN @extschema@.order_lines l USING (order_id, line_number)
  JOIN @extschema@.orders o USING (order_id);
COMMENT ON VIEW @extschema@.credit_note_lines IS
'one row per credit-note line with its gross, net, tax and reason';

/* Nothing that moves money is open to everyone. */
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
