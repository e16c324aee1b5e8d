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
 * Locks: the order row, FOR UPDATE (credit_note_status.c).
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

#include "credit_note_status.h"
#include "refund.h"
#include "spi_util.h"

static SpiStatement payment_allocations = {
	"SELECT count(*), count(*) FILTER (WHERE status <> 'PENDING')"
	"  FROM appeasement.credit_note_allocations WHERE credit_note_number = $1 AND payment_id = $2",
	2, {TEXTOID, TEXTOID}
};

static SpiStatement insert_result = {
	"INSERT INTO appeasement.refund_results (credit_note_number, payment_id, succeeded,"
	" psp_reference, failure_reason, recorded_at, recorded_by)"
	" VALUES ($1, $2, $3, $4, $5, pg_catalog.clock_timestamp(), $6)",
	6, {TEXTOID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID}
};

static SpiStatement allocation_summary = {
	"SELECT bool_or(status = 'FAILED'), bool_and(status = 'REFUNDED')"
	"  FROM appeasement.credit_note_allocations WHERE credit_note_number = $1",
	1, {TEXTOID}
};

static Datum
FirstColumn(int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, isnull);
}

PG_FUNCTION_INFO_V1(record_refund_result);
Datum
record_refund_result(PG_FUNCTION_ARGS)
{
	char	   *number = RequiredTextArg(fcinfo, 0, "credit_note_number");
	char	   *payment_id = RequiredTextArg(fcinfo, 1, "payment_id");
	char	   *psp_reference = OptionalTextArg(fcinfo, 3, "psp_reference");
	char	   *failure_reason = OptionalTextArg(fcinfo, 4, "failure_reason");
	char	   *who = GetUserNameFromId(GetOuterUserId(), false);
	bool		succeeded;
	Datum		args[6];
	char		nulls[7] = "      ";
	bool		isnull;
	IssuedCreditNote *note;
	const char *new_status;
	const char *new_reason;
	Jsonb	   *document;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("succeeded must not be null")));
	succeeded = PG_GETARG_BOOL(2);

	SPI_connect();
	note = LockIssuedCreditNote(number);
	if (strcmp(note->status, CREDIT_NOTE_PENDING) != 0 &&
		strcmp(note->status, CREDIT_NOTE_FAILED) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("credit note \"%s\" is %s and waits for no answer", number, note->status)));

	args[0] = CStringGetTextDatum(number);
	args[1] = CStringGetTextDatum(payment_id);
	SpiExecute(&payment_allocations, args, NULL, false, 1);
	if (DatumGetInt64(FirstColumn(1, &isnull)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("payment \"%s\" is not refunded by credit note \"%s\"", payment_id, number)));
	if (DatumGetInt64(FirstColumn(2, &isnull)) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("payment \"%s\" of credit note \"%s\" already has its answer", payment_id, number)));

	args[2] = BoolGetDatum(succeeded);
	args[3] = SpiNullableText(psp_reference, &nulls[3]);
	args[4] = SpiNullableText(failure_reason, &nulls[4]);
	args[5] = CStringGetTextDatum(who);
	SpiExecute(&insert_result, args, nulls, false, 0);

	SetAllocationStatus(number, payment_id, succeeded ? "REFUNDED" : "FAILED");
	if (!succeeded)
		GiveBackAllocations(note, payment_id);

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
	if (strcmp(new_status, note->status) != 0)
		ChangeCreditNoteStatus(note, new_status, new_reason, who,
							   succeeded ? NULL : failure_reason);

	document = PublishCreditNoteUpdate(note);
	SPI_finish();
	PG_RETURN_JSONB_P(document);
}
