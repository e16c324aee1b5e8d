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

/* ---- Loyalty points ---- */

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
							   'reject_credit_note(text, text, text)']
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
					   ' @extschema@.credit_notes, @extschema@.credit_note_lines,'
					   ' @extschema@.awaiting_approval TO %s', role);
	END IF;
END
$$;
