/*-------------------------------------------------------------------------
 *
 * credit_note_status.c
 *	  Moving an issued credit note through its statuses.
 *
 * A status change never edits what was refunded: it appends to the status
 * history, gives amounts back through compensating records, and publishes
 * the whole document in its new status as a refund.updated event.  The
 * document is the payload of the credit note's last event with its
 * status, refund_reason and payment statuses set to what they are now.
 *
 * Locks: the order row of the credit note, FOR UPDATE, as every change of
 * an order's balances takes it; the credit note is read again under it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "credit_note_status.h"
#include "events.h"
#include "history_guard.h"
#include "json_fields.h"
#include "loyalty.h"
#include "refund.h"
#include "spi_util.h"
#include "utc_time.h"

static SpiStatement note_order = {
	"SELECT order_id FROM appeasement.issued_credit_notes WHERE credit_note_number = $1",
	1, {TEXTOID}
};

static SpiStatement lock_order = {
	"SELECT 1 FROM appeasement.orders WHERE order_id = $1 FOR UPDATE",
	1, {TEXTOID}
};

static SpiStatement read_note = {
	"SELECT c.order_id, c.sales_channel_id, c.\"user\", o.currency, c.status, c.status_reason, c.gross"
	"  FROM appeasement.issued_credit_notes c"
	"  JOIN appeasement.orders o ON o.order_id = c.order_id"
	" WHERE c.credit_note_number = $1",
	1, {TEXTOID}
};

static SpiStatement set_allocation_status = {
	"UPDATE appeasement.credit_note_allocations SET status = $3"
	" WHERE credit_note_number = $1 AND ($2::pg_catalog.text IS NULL OR payment_id = $2)",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

/*
 * The allocations given back: a compensating record each; the running
 * totals of each line (gross and every tax component, summed over the
 * line's allocations), of each payment and of the order; and the agent's
 * day total when the agent has one.
 */
static SpiStatement give_back = {
	"WITH a AS (SELECT * FROM appeasement.credit_note_allocations"
	"            WHERE credit_note_number = $1 AND ($2::pg_catalog.text IS NULL OR payment_id = $2)),"
	"     c AS (INSERT INTO appeasement.credit_note_compensations (credit_note_number, line_number,"
	"             payment_id, order_id, gross, tax_amounts, created_at)"
	"           SELECT credit_note_number, line_number, payment_id, order_id, gross, tax_amounts,"
	"                  pg_catalog.clock_timestamp() FROM a),"
	"     lg AS (SELECT line_number, pg_catalog.sum(gross)::pg_catalog.int8 AS gross FROM a GROUP BY line_number),"
	"     lt AS (SELECT line_number, pg_catalog.array_agg(tax ORDER BY j) AS tax"
	"              FROM (SELECT a.line_number, t.j, pg_catalog.sum(t.v)::pg_catalog.int8 AS tax"
	"                      FROM a, pg_catalog.unnest(a.tax_amounts) WITH ORDINALITY AS t(v, j)"
	"                     GROUP BY a.line_number, t.j) AS s"
	"             GROUP BY line_number),"
	"     l AS (UPDATE appeasement.order_lines ol SET refunded = ol.refunded - lg.gross,"
	"                  tax_refunded = coalesce((SELECT pg_catalog.array_agg(ol.tax_refunded[j] - lt.tax[j] ORDER BY j)"
	"                                            FROM pg_catalog.generate_subscripts(ol.tax_refunded, 1) AS j),"
	"                                          '{}')"
	"             FROM lg LEFT JOIN lt ON lt.line_number = lg.line_number"
	"            WHERE ol.order_id = $3 AND ol.line_number = lg.line_number),"
	"     p AS (UPDATE appeasement.payments p SET refunded = p.refunded - s.gross"
	"             FROM (SELECT payment_id, pg_catalog.sum(gross)::pg_catalog.int8 AS gross FROM a"
	"                    GROUP BY payment_id) AS s"
	"            WHERE p.order_id = $3 AND p.payment_id = s.payment_id),"
	"     d AS (UPDATE appeasement.agent_day_totals t"
	"              SET total = t.total - (SELECT pg_catalog.sum(gross)::pg_catalog.int8 FROM a)"
	"             FROM appeasement.issued_credit_notes n"
	"            WHERE n.credit_note_number = $1 AND t.agent = n.\"user\" AND t.currency = $4"
	"              AND t.day = (n.created_at AT TIME ZONE 'UTC')::pg_catalog.date)"
	" UPDATE appeasement.orders"
	"    SET refunded = refunded - coalesce((SELECT pg_catalog.sum(gross)::pg_catalog.int8 FROM a), 0)"
	"  WHERE order_id = $3",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

static SpiStatement set_note_status = {
	"WITH h AS (INSERT INTO appeasement.credit_note_status_history (credit_note_number, changed_at,"
	"             changed_by, from_status, to_status, reason)"
	"           VALUES ($1, pg_catalog.clock_timestamp(), $5, $4, $2, $6))"
	" UPDATE appeasement.issued_credit_notes SET status = $2, status_reason = $3"
	" WHERE credit_note_number = $1",
	6, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

/*
 * The credit note's latest document (the payload of its last event) with
 * its status, its refund_reason and the status of every payment element
 * set to what they are now.
 */
static SpiStatement current_document = {
	"WITH d AS (SELECT e.payload FROM appeasement.issued_credit_notes c"
	"             JOIN appeasement.refund_events e ON e.event_id = c.last_event_id"
	"            WHERE c.credit_note_number = $1)"
	" SELECT pg_catalog.jsonb_set(pg_catalog.jsonb_set(pg_catalog.jsonb_set(d.payload,"
	"   '{refund,lines}', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_set(l.value, '{payments}',"
	"       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_set(p.value, '{status}',"
	"                   pg_catalog.jsonb_build_object('code', a.status, 'name', a.status)) ORDER BY p.ordinality)"
	"          FROM pg_catalog.jsonb_array_elements(l.value -> 'payments') WITH ORDINALITY AS p"
	"          JOIN appeasement.credit_note_allocations a"
	"            ON a.credit_note_number = $1 AND a.line_number = (l.value ->> 'order_line')::pg_catalog.int4"
	"           AND a.payment_id = p.value ->> 'payment_id')) ORDER BY l.ordinality)"
	"      FROM pg_catalog.jsonb_array_elements(d.payload -> 'refund' -> 'lines') WITH ORDINALITY AS l)),"
	"   '{refund,status}', pg_catalog.jsonb_build_object('code', $2::pg_catalog.text, 'date', $4::pg_catalog.text,"
	"       'name', $2::pg_catalog.text, 'reason_code', $3::pg_catalog.text, 'reason_name', $3::pg_catalog.text)),"
	"   '{refund,refund_reason}', pg_catalog.to_jsonb($3::pg_catalog.text))"
	"  FROM d",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

static SpiStatement set_last_event = {
	"UPDATE appeasement.issued_credit_notes SET last_event_id = $2 WHERE credit_note_number = $1",
	2, {TEXTOID, INT8OID}
};

static char *
TextColumn(int column)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

IssuedCreditNote *
LockIssuedCreditNote(const char *number)
{
	IssuedCreditNote *note = palloc0(sizeof(IssuedCreditNote));
	Datum		key = CStringGetTextDatum(number);
	Datum		order_id;
	bool		isnull;

	SpiExecute(&note_order, &key, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("credit note \"%s\" does not exist", number)));
	order_id = CStringGetTextDatum(TextColumn(1));
	SpiExecute(&lock_order, &order_id, NULL, false, 1);

	/* read again under the lock: another change may have committed meanwhile */
	SpiExecute(&read_note, &key, NULL, false, 1);
	note->number = pstrdup(number);
	note->order_id = TextColumn(1);
	note->sales_channel_id = TextColumn(2);
	note->user = TextColumn(3);
	note->currency = TextColumn(4);
	note->status = TextColumn(5);
	note->status_reason = TextColumn(6);
	note->gross = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 7,
											  &isnull));
	return note;
}

void
SetAllocationStatus(const char *number, const char *payment_id, const char *status)
{
	Datum		values[3];
	char		nulls[4] = "   ";

	values[0] = CStringGetTextDatum(number);
	values[1] = SpiNullableText(payment_id, &nulls[1]);
	values[2] = CStringGetTextDatum(status);
	HistoryExecute(&set_allocation_status, values, nulls);
}

void
GiveBackAllocations(IssuedCreditNote *note, const char *payment_id)
{
	Datum		values[4];
	char		nulls[5] = "    ";

	values[0] = CStringGetTextDatum(note->number);
	values[1] = SpiNullableText(payment_id, &nulls[1]);
	values[2] = CStringGetTextDatum(note->order_id);
	values[3] = CStringGetTextDatum(note->currency);
	SpiExecute(&give_back, values, nulls, false, 0);

	/* the loyalty points of what was given back, if it took any */
	LoyaltyRefundFailed(note->number);
}

void
ChangeCreditNoteStatus(IssuedCreditNote *note, const char *status, const char *status_reason,
					   const char *who, const char *why)
{
	Datum		values[6];
	char		nulls[7] = "      ";

	values[0] = CStringGetTextDatum(note->number);
	values[1] = CStringGetTextDatum(status);
	values[2] = CStringGetTextDatum(status_reason);
	values[3] = CStringGetTextDatum(note->status);
	values[4] = CStringGetTextDatum(who);
	values[5] = SpiNullableText(why, &nulls[5]);
	HistoryExecute(&set_note_status, values, nulls);
	note->status = pstrdup(status);
	note->status_reason = pstrdup(status_reason);
}

Jsonb *
PublishCreditNoteUpdate(IssuedCreditNote *note)
{
	Datum		values[4];
	bool		isnull;
	Jsonb	   *document;
	Jsonb	   *result;

	values[0] = CStringGetTextDatum(note->number);
	values[1] = CStringGetTextDatum(note->status);
	values[2] = CStringGetTextDatum(note->status_reason);
	values[3] = CStringGetTextDatum(FormatUtcTimestamp(GetCurrentTransactionStartTimestamp()));
	SpiExecute(&current_document, values, NULL, false, 1);
	if (SPI_processed != 1)
		elog(ERROR, "credit note \"%s\" has no document", note->number);
	document = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											&isnull));
	result = SPI_palloc(VARSIZE(document));
	memcpy(result, document, VARSIZE(document));

	values[1] = Int64GetDatum(RefundEventAppend(REFUND_UPDATED, note->number, result));
	HistoryExecute(&set_last_event, values, NULL);
	return result;
}

char *
RequiredTextArg(FunctionCallInfo fcinfo, int arg, const char *name)
{
	char	   *value;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be null", name)));
	value = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	CheckTextLength(value, JSON_TEXT_MAX, name);
	return value;
}

char *
OptionalTextArg(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		return NULL;
	return RequiredTextArg(fcinfo, arg, name);
}
