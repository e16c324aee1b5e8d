/*-------------------------------------------------------------------------
 *
 * refund_result.c
 *	  The payment provider's answer for one payment of a credit note that
 *	  waits for it (settlement mode async):
 *
 *	  appeasement.record_refund_result(credit_note_number text,
 *			payment_id text, succeeded boolean, psp_reference text,
 *			failure_reason text) returns jsonb
 *
 * A succeeded payment becomes REFUNDED; when every payment has, the credit
 * note becomes RELEASED / RELEASESUCCESS.  A failed payment becomes FAILED,
 * its amounts go back to the line, payment and order balances through a
 * compensating record (the history is never edited), and the credit note
 * becomes FAILED / RELEASEFAILED.  Each status change is appended to the
 * status history and published as a refund.updated event carrying the
 * whole document in its new status.  A second answer for a payment, or an
 * answer for a credit note that is not waiting, is 55000.
 *
 * Locks: the order row, FOR UPDATE, as every change of an order's balances
 * takes it; then the credit note is read again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "events.h"
#include "history_guard.h"
#include "json_fields.h"
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

static SpiStatement note_status = {
	"SELECT status FROM appeasement.issued_credit_notes WHERE credit_note_number = $1",
	1, {TEXTOID}
};

static SpiStatement payment_allocations = {
	"SELECT count(*), count(*) FILTER (WHERE status <> 'PENDING'), coalesce(sum(gross), 0)::pg_catalog.int8"
	"  FROM appeasement.credit_note_allocations WHERE credit_note_number = $1 AND payment_id = $2",
	2, {TEXTOID, TEXTOID}
};

static SpiStatement insert_result = {
	"INSERT INTO appeasement.refund_results (credit_note_number, payment_id, succeeded,"
	" psp_reference, failure_reason, recorded_at, recorded_by)"
	" VALUES ($1, $2, $3, $4, $5, pg_catalog.clock_timestamp(), $6)",
	6, {TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID}
};

static SpiStatement set_allocation_status = {
	"UPDATE appeasement.credit_note_allocations SET status = $3"
	" WHERE credit_note_number = $1 AND payment_id = $2",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

/*
 * A failed payment's allocations go back: a compensating record each, and
 * the running totals of the lines (gross and every tax component), the
 * payment and the order.
 */
static SpiStatement compensate = {
	"WITH a AS (SELECT * FROM appeasement.credit_note_allocations"
	"            WHERE credit_note_number = $1 AND payment_id = $2),"
	"     c AS (INSERT INTO appeasement.credit_note_compensations (credit_note_number, line_number,"
	"             payment_id, order_id, gross, tax_amounts, created_at)"
	"           SELECT credit_note_number, line_number, payment_id, order_id, gross, tax_amounts,"
	"                  pg_catalog.clock_timestamp() FROM a),"
	"     l AS (UPDATE appeasement.order_lines ol SET refunded = ol.refunded - a.gross,"
	"                  tax_refunded = coalesce((SELECT pg_catalog.array_agg(ol.tax_refunded[j] - a.tax_amounts[j] ORDER BY j)"
	"                                            FROM pg_catalog.generate_subscripts(ol.tax_refunded, 1) AS j),"
	"                                          '{}')"
	"             FROM a WHERE ol.order_id = a.order_id AND ol.line_number = a.line_number),"
	"     p AS (UPDATE appeasement.payments SET refunded = refunded - $3"
	"            WHERE order_id = $4 AND payment_id = $2)"
	" UPDATE appeasement.orders SET refunded = refunded - $3 WHERE order_id = $4",
	4, {TEXTOID, TEXTOID, INT8OID, TEXTOID}
};

static SpiStatement allocation_summary = {
	"SELECT bool_or(status = 'FAILED'), bool_and(status = 'REFUNDED')"
	"  FROM appeasement.credit_note_allocations WHERE credit_note_number = $1",
	1, {TEXTOID}
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
RequiredArg(FunctionCallInfo fcinfo, int arg, const char *name)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be null", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

static char *
OptionalArg(FunctionCallInfo fcinfo, int arg, const char *name)
{
	char	   *value;

	if (PG_ARGISNULL(arg))
		return NULL;
	value = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	CheckTextLength(value, JSON_TEXT_MAX, name);
	return value;
}

static Datum
FirstColumn(int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, isnull);
}

PG_FUNCTION_INFO_V1(record_refund_result);
Datum
record_refund_result(PG_FUNCTION_ARGS)
{
	char	   *number = RequiredArg(fcinfo, 0, "credit_note_number");
	char	   *payment_id = RequiredArg(fcinfo, 1, "payment_id");
	char	   *psp_reference = OptionalArg(fcinfo, 3, "psp_reference");
	char	   *failure_reason = OptionalArg(fcinfo, 4, "failure_reason");
	char	   *who = GetUserNameFromId(GetOuterUserId(), false);
	bool		succeeded;
	Datum		args[6];
	char		nulls[7] = "      ";
	bool		isnull;
	char	   *order_id;
	char	   *status;
	const char *new_status;
	const char *new_reason;
	int64		gross;
	Jsonb	   *document;
	Jsonb	   *result;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("succeeded must not be null")));
	succeeded = PG_GETARG_BOOL(2);

	SPI_connect();
	args[0] = CStringGetTextDatum(number);
	args[1] = CStringGetTextDatum(payment_id);

	SpiExecute(&note_order, args, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("credit note \"%s\" does not exist", number)));
	order_id = TextDatumGetCString(FirstColumn(1, &isnull));
	args[3] = CStringGetTextDatum(order_id);
	SpiExecute(&lock_order, &args[3], NULL, false, 1);

	/* read again under the lock: another answer may have committed meanwhile */
	SpiExecute(&note_status, args, NULL, false, 1);
	status = TextDatumGetCString(FirstColumn(1, &isnull));
	if (strcmp(status, CREDIT_NOTE_PENDING) != 0 && strcmp(status, CREDIT_NOTE_FAILED) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("credit note \"%s\" is %s and waits for no answer", number, status)));

	SpiExecute(&payment_allocations, args, NULL, false, 1);
	if (DatumGetInt64(FirstColumn(1, &isnull)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("payment \"%s\" is not refunded by credit note \"%s\"", payment_id, number)));
	if (DatumGetInt64(FirstColumn(2, &isnull)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("payment \"%s\" of credit note \"%s\" already has its answer", payment_id, number)));
	gross = DatumGetInt64(FirstColumn(3, &isnull));

	args[2] = BoolGetDatum(succeeded);
	args[3] = SpiNullableText(psp_reference, &nulls[3]);
	args[4] = SpiNullableText(failure_reason, &nulls[4]);
	args[5] = CStringGetTextDatum(who);
	SpiExecute(&insert_result, args, nulls, false, 0);

	args[2] = CStringGetTextDatum(succeeded ? "REFUNDED" : "FAILED");
	HistoryExecute(&set_allocation_status, args, NULL);

	if (!succeeded)
	{
		Datum		comp[4] = {args[0], args[1], Int64GetDatum(gross), CStringGetTextDatum(order_id)};

		SpiExecute(&compensate, comp, NULL, false, 0);
	}

	SpiExecute(&allocation_summary, args, NULL, false, 1);
	if (DatumGetBool(FirstColumn(1, &isnull)))
	{
		new_status = CREDIT_NOTE_FAILED;
		new_reason = "RELEASEFAILED";
	}
	else if (DatumGetBool(FirstColumn(2, &isnull)))
	{
		new_status = CREDIT_NOTE_RELEASED;
		new_reason = "RELEASESUCCESS";
	}
	else
	{
		new_status = CREDIT_NOTE_PENDING;
		new_reason = "REQUESTED";
	}

	if (strcmp(new_status, status) != 0)
	{
		Datum		values[6];
		char		hnulls[7] = "      ";

		values[0] = CStringGetTextDatum(number);
		values[1] = CStringGetTextDatum(new_status);
		values[2] = CStringGetTextDatum(new_reason);
		values[3] = CStringGetTextDatum(status);
		values[4] = CStringGetTextDatum(who);
		values[5] = SpiNullableText(succeeded ? NULL : failure_reason, &hnulls[5]);
		HistoryExecute(&set_note_status, values, hnulls);
	}

	{
		Datum		values[4];

		values[0] = CStringGetTextDatum(number);
		values[1] = CStringGetTextDatum(new_status);
		values[2] = CStringGetTextDatum(new_reason);
		values[3] = CStringGetTextDatum(FormatUtcTimestamp(GetCurrentTransactionStartTimestamp()));
		SpiExecute(&current_document, values, NULL, false, 1);
		if (SPI_processed != 1)
			elog(ERROR, "credit note \"%s\" has no document", number);
		document = DatumGetJsonbPCopy(FirstColumn(1, &isnull));
	}
	{
		Datum		values[2];

		values[0] = CStringGetTextDatum(number);
		values[1] = Int64GetDatum(RefundEventAppend(REFUND_UPDATED, number, document));
		HistoryExecute(&set_last_event, values, NULL);
	}

	result = SPI_palloc(VARSIZE(document));
	memcpy(result, document, VARSIZE(document));
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}
