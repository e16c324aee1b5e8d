/* appeasement--0.1.0--0.2.0.sql: idempotent retries, previews, refund priorities, reasons, returns, security, refund lifecycle */

\echo Use "ALTER EXTENSION appeasement UPDATE TO '0.2.0'" to load this file. \quit

/*
 * Idempotency keys: a request that carries a key creates its credit note
 * once per sales channel; a retry with the same key and the same request
 * gets that credit note's document back and creates nothing.
 */
CREATE TABLE @extschema@.idempotency_keys (
	sales_channel_id text NOT NULL,
	idempotency_key	text NOT NULL,
	request			jsonb NOT NULL,
	credit_note_number text,
	document		jsonb,
	created_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (sales_channel_id, idempotency_key)
);
COMMENT ON TABLE @extschema@.idempotency_keys IS
'the idempotency key of each keyed request, per sales channel, with the request, and the credit note and document it created';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.idempotency_keys', '');

REVOKE ALL ON @extschema@.idempotency_keys FROM PUBLIC;

/*
 * Refund priorities: a line's refund goes to the order's payments lowest
 * refund_priority first (by default, the order the payments were listed
 * in, which is what 0.1.0 did).
 */
ALTER TABLE @extschema@.payments ADD COLUMN refund_priority integer;
UPDATE @extschema@.payments SET refund_priority = position;
ALTER TABLE @extschema@.payments ALTER COLUMN refund_priority SET NOT NULL;
COMMENT ON COLUMN @extschema@.payments.refund_priority IS
'lower is refunded first; by default the payment''s position in the registered order';

/*
 * Previews: the document a request would create, writing nothing.
 */
CREATE FUNCTION @extschema@.preview_appeasement(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'preview_appeasement'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.preview_appeasement(jsonb) IS
'the refund document a request would create now, with a null credit_note_number; writes nothing and takes no number';
REVOKE ALL ON FUNCTION @extschema@.preview_appeasement(jsonb) FROM PUBLIC;

/*
 * Reason catalogue, and the channels that require its codes.
 */
CREATE TABLE @extschema@.reasons (
	code			text PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 255),
	description		text NOT NULL,
	kinds			text[] CHECK (kinds <@ ARRAY['product', 'virtual', 'shipping']),
	active			boolean NOT NULL DEFAULT true,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.reasons IS
'appeasement reason codes: what they mean, the kinds of line they apply to (null: all), whether they can be used';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reasons', '');
REVOKE ALL ON @extschema@.reasons FROM PUBLIC;

CREATE TABLE @extschema@.channel_settings (
	sales_channel_id text PRIMARY KEY,
	require_known_reason boolean NOT NULL DEFAULT false,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.channel_settings IS
'settings of a sales channel: whether its appeasements must use reason codes of the catalogue';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.channel_settings', '');
REVOKE ALL ON @extschema@.channel_settings FROM PUBLIC;

CREATE FUNCTION @extschema@.set_reason(code text, description text, kinds text[] DEFAULT NULL,
									   active boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF code IS NULL OR btrim(code) = '' OR length(code) > 255 THEN
		RAISE EXCEPTION 'reason code must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF description IS NULL OR btrim(description) = '' THEN
		RAISE EXCEPTION 'description of reason "%" must not be blank', code
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF kinds IS NOT NULL AND (cardinality(kinds) = 0
							  OR NOT kinds <@ ARRAY['product', 'virtual', 'shipping']) THEN
		RAISE EXCEPTION 'kinds of reason "%" must be null or some of product, virtual and shipping', code
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('The kinds given are %s.', kinds);
	END IF;
	INSERT INTO @extschema@.reasons AS r (code, description, kinds, active)
	VALUES (set_reason.code, set_reason.description, set_reason.kinds, coalesce(set_reason.active, true))
	ON CONFLICT ON CONSTRAINT reasons_pkey DO UPDATE
	   SET description = excluded.description, kinds = excluded.kinds,
		   active = excluded.active, updated_at = now();
END
$$;
COMMENT ON FUNCTION @extschema@.set_reason(text, text, text[], boolean) IS
'adds or changes a reason code: its description, the kinds of line it applies to (null: all), whether it can be used';
REVOKE ALL ON FUNCTION @extschema@.set_reason(text, text, text[], boolean) FROM PUBLIC;

CREATE FUNCTION @extschema@.set_require_known_reason(sales_channel_id text, required boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF btrim(sales_channel_id) = '' OR length(sales_channel_id) > 255 THEN
		RAISE EXCEPTION 'sales_channel_id must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO @extschema@.channel_settings AS c (sales_channel_id, require_known_reason)
	VALUES (set_require_known_reason.sales_channel_id, required)
	ON CONFLICT ON CONSTRAINT channel_settings_pkey DO UPDATE
	   SET require_known_reason = excluded.require_known_reason, updated_at = now();
END
$$;
COMMENT ON FUNCTION @extschema@.set_require_known_reason(text, boolean) IS
'whether the appeasements of a sales channel must give, on every line, an active reason code that applies to the line''s kind';
REVOKE ALL ON FUNCTION @extschema@.set_require_known_reason(text, boolean) FROM PUBLIC;

/*
 * Return refunds: the units returned per line, the rma of a credit note.
 */
ALTER TABLE @extschema@.order_lines ADD COLUMN returned_quantity integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.order_lines.returned_quantity IS
'units of the line returned so far, over all return refunds (never above quantity)';
ALTER TABLE @extschema@.issued_credit_notes ADD COLUMN rma text NOT NULL DEFAULT '';
COMMENT ON COLUMN @extschema@.issued_credit_notes.rma IS
'the return authorisation of a return refund; empty for an appeasement';
ALTER TABLE @extschema@.issued_credit_note_lines ADD COLUMN quantity integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN @extschema@.issued_credit_note_lines.quantity IS
'units returned with this line; 0 for an appeasement';

CREATE FUNCTION @extschema@.create_return_refund(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'create_return_refund'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.create_return_refund(jsonb) IS
'creates a credit note refunding returned units of order lines, with the same caps as appeasements, and returns its refund document';
REVOKE ALL ON FUNCTION @extschema@.create_return_refund(jsonb) FROM PUBLIC;

/*
 * Refund lifecycle: channels whose refunds wait for the payment provider,
 * the provider's answers, the status history, and the compensating
 * records that give a failed refund's amounts back to the balances.
 */
ALTER TABLE @extschema@.channel_settings
	ADD COLUMN settlement_mode text NOT NULL DEFAULT 'immediate'
	CONSTRAINT settlement_modes CHECK (settlement_mode IN ('immediate', 'async'));

CREATE FUNCTION @extschema@.set_settlement_mode(sales_channel_id text, mode text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF btrim(sales_channel_id) = '' OR length(sales_channel_id) > 255 THEN
		RAISE EXCEPTION 'sales_channel_id must have between 1 and 255 characters, not only blanks'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF mode NOT IN ('immediate', 'async') THEN
		RAISE EXCEPTION 'unknown settlement mode "%"', mode
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'The modes are "immediate" and "async".';
	END IF;
	INSERT INTO @extschema@.channel_settings AS c (sales_channel_id, settlement_mode)
	VALUES (set_settlement_mode.sales_channel_id, mode)
	ON CONFLICT ON CONSTRAINT channel_settings_pkey DO UPDATE
	   SET settlement_mode = excluded.settlement_mode, updated_at = now();
END
$$;
COMMENT ON FUNCTION @extschema@.set_settlement_mode(text, text) IS
'immediate (default): credit notes are created RELEASED; async: created PENDINGRELEASE until record_refund_result';
REVOKE ALL ON FUNCTION @extschema@.set_settlement_mode(text, text) FROM PUBLIC;

CREATE TABLE @extschema@.credit_note_status_history (
	credit_note_number text NOT NULL,
	changed_at		timestamptz NOT NULL,
	changed_by		text NOT NULL,
	from_status		text NOT NULL,
	to_status		text NOT NULL,
	reason			text
);
CREATE INDEX ON @extschema@.credit_note_status_history (credit_note_number);
COMMENT ON TABLE @extschema@.credit_note_status_history IS
'every status change of a credit note: who, when, from, to and why';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_status_history', '');
REVOKE ALL ON @extschema@.credit_note_status_history FROM PUBLIC;

CREATE TABLE @extschema@.refund_results (
	credit_note_number text NOT NULL,
	payment_id		text NOT NULL,
	succeeded		boolean NOT NULL,
	psp_reference	text,
	failure_reason	text,
	recorded_at		timestamptz NOT NULL,
	recorded_by		text NOT NULL,
	PRIMARY KEY (credit_note_number, payment_id)
);
COMMENT ON TABLE @extschema@.refund_results IS
'the payment provider''s answer for each payment of a credit note settled asynchronously';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.refund_results', '');
REVOKE ALL ON @extschema@.refund_results FROM PUBLIC;

CREATE TABLE @extschema@.credit_note_compensations (
	credit_note_number text NOT NULL,
	line_number		integer NOT NULL,
	payment_id		text NOT NULL,
	order_id		text NOT NULL,
	gross			bigint NOT NULL,
	tax_amounts		bigint[] NOT NULL,
	created_at		timestamptz NOT NULL
);
CREATE INDEX ON @extschema@.credit_note_compensations (order_id);
COMMENT ON TABLE @extschema@.credit_note_compensations IS
'amounts of failed refunds given back to the line, payment and order balances: the history is never edited';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_note_compensations', '');
REVOKE ALL ON @extschema@.credit_note_compensations FROM PUBLIC;

/* The latest event of a credit note: its document, for the next refund.updated event. */
ALTER TABLE @extschema@.issued_credit_notes ADD COLUMN last_event_id bigint;
COMMENT ON COLUMN @extschema@.issued_credit_notes.last_event_id IS
'the credit note''s latest refund event, whose payload is its current document';

CREATE FUNCTION @extschema@.record_refund_result(credit_note_number text, payment_id text,
												 succeeded boolean, psp_reference text DEFAULT NULL,
												 failure_reason text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'record_refund_result'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.record_refund_result(text, text, boolean, text, text) IS
'the payment provider''s answer for one payment of a pending credit note; returns the document in its new status';
REVOKE ALL ON FUNCTION @extschema@.record_refund_result(text, text, boolean, text, text) FROM PUBLIC;

/*
 * Security.  The functions that read or write the extension's tables run
 * as the extension's owner (SECURITY DEFINER) with a pinned search_path,
 * so that no object of the caller's schemas can stand in for one of ours;
 * roles get exactly the functions of their job through grant_agent,
 * grant_lead, grant_integration and grant_reader.  Nothing is granted to
 * PUBLIC.
 */
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN
		SELECT p.oid::regprocedure
		  FROM pg_catalog.pg_proc p
		 WHERE p.pronamespace = '@extschema@'::regnamespace
		   AND p.proname IN ('register_order', 'record_capture', 'create_appeasement',
							 'preview_appeasement', 'create_return_refund', 'set_credit_note_series',
							 'set_reason', 'set_require_known_reason', 'refund_events_after',
							 'publisher_status', 'set_settlement_mode', 'record_refund_result')
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f);
	END LOOP;
END
$$;

/* The refund history is append-only, for every role; only the extension's own functions
 * change a credit note's status (history_guard.c). */
CREATE FUNCTION @extschema@.refuse_history_change()
RETURNS trigger
AS 'MODULE_PATHNAME', 'refuse_history_change'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.refuse_history_change() IS
'trigger refusing UPDATE, DELETE and TRUNCATE of the refund history (credit notes, their lines and allocations, refund events)';
REVOKE ALL ON FUNCTION @extschema@.refuse_history_change() FROM PUBLIC;

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.issued_credit_notes
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.issued_credit_note_lines
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.credit_note_allocations
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.refund_events
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.credit_note_status_history
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.refund_results
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON @extschema@.credit_note_compensations
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.refuse_history_change();

/*
 * grant_<job>(role): the functions (and, for readers, the views) of a job.
 * Only the extension's owner or a superuser may call them.
 */
CREATE FUNCTION @extschema@.grant_job(job text, role regrole)
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
							   'set_settlement_mode(text, text)']
		WHEN 'integration' THEN ARRAY['register_order(jsonb)',
									  'record_capture(text, text, numeric, timestamp with time zone)',
									  'record_refund_result(text, text, boolean, text, text)',
									  'refund_events_after(bigint, integer)', 'publisher_status()']
		WHEN 'reader' THEN ARRAY['to_amount(bigint, text)', 'to_minor(numeric, text)',
								 'currency_exponent(text)', 'currencies()']
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
					   ' @extschema@.credit_notes, @extschema@.credit_note_lines TO %s', role);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.grant_job(text, regrole) IS
'grants a role the functions of a job (agent, lead, integration, reader); used by grant_agent and the others';
REVOKE ALL ON FUNCTION @extschema@.grant_job(text, regrole) FROM PUBLIC;

CREATE FUNCTION @extschema@.grant_agent(role regrole) RETURNS void
LANGUAGE sql STRICT VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.grant_job('agent', role) $$;
COMMENT ON FUNCTION @extschema@.grant_agent(regrole) IS
'lets a role create, preview and return-refund appeasements';
REVOKE ALL ON FUNCTION @extschema@.grant_agent(regrole) FROM PUBLIC;

CREATE FUNCTION @extschema@.grant_lead(role regrole) RETURNS void
LANGUAGE sql STRICT VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.grant_job('lead', role) $$;
COMMENT ON FUNCTION @extschema@.grant_lead(regrole) IS
'lets a role manage reason codes, their requirement per channel, credit-note series and settlement modes';
REVOKE ALL ON FUNCTION @extschema@.grant_lead(regrole) FROM PUBLIC;

CREATE FUNCTION @extschema@.grant_integration(role regrole) RETURNS void
LANGUAGE sql STRICT VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.grant_job('integration', role) $$;
COMMENT ON FUNCTION @extschema@.grant_integration(regrole) IS
'lets a role register orders, captures and the payment provider''s refund results, and read refund events';
REVOKE ALL ON FUNCTION @extschema@.grant_integration(regrole) FROM PUBLIC;

CREATE FUNCTION @extschema@.grant_reader(role regrole) RETURNS void
LANGUAGE sql STRICT VOLATILE SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@.grant_job('reader', role) $$;
COMMENT ON FUNCTION @extschema@.grant_reader(regrole) IS
'lets a role read the balance and credit-note views';
REVOKE ALL ON FUNCTION @extschema@.grant_reader(regrole) FROM PUBLIC;
