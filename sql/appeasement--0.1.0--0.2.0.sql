/* appeasement--0.1.0--0.2.0.sql: idempotent retries, previews, refund priorities */

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
