/*-------------------------------------------------------------------------
 *
 * approval.c
 *	  Deciding on a credit note created beyond its agent's limits:
 *
 *	  appeasement.approve_credit_note(credit_note_number text,
 *			approver text) returns jsonb
 *	  appeasement.reject_credit_note(credit_note_number text,
 *			approver text, reason text) returns jsonb
 *
 * Such a credit note is AWAITING_APPROVAL: its amounts already count
 * against every cap (they are reserved), but no money moves.  Approval,
 * by another user whose own limits cover the credit note, continues it in
 * its channel's settlement mode: RELEASED at once, or PENDINGRELEASE until
 * the payment provider answers.  Rejection makes it REJECTED and gives the
 * reserved amounts back.  Either is a status change with its history row
 * and refund.updated event; a credit note not awaiting approval is 55000.
 *
 * Locks: the order row, FOR UPDATE (credit_note_status.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "credit_note_status.h"
#include "loyalty.h"
#include "refund.h"
#include "spi_util.h"

/*
 * Whether the approver's limits (their own, else those of '*'; none at
 * all is no limit) cover the credit note's amount and every line's
 * percent of its order line, and the channel's settlement mode.
 */
static SpiStatement approver_covers = {
	"SELECT l.max_amount IS NULL OR c.gross <= l.max_amount,"
	"       l.max_percent IS NULL OR NOT EXISTS ("
	"         SELECT 1 FROM appeasement.issued_credit_note_lines cl"
	"           JOIN appeasement.order_lines ol ON ol.order_id = cl.order_id AND ol.line_number = cl.line_number"
	"          WHERE cl.credit_note_number = c.credit_note_number"
	"            AND cl.gross * 100::pg_catalog.numeric > l.max_percent * ol.gross),"
	"       coalesce(s.settlement_mode, 'immediate')"
	"  FROM appeasement.issued_credit_notes c"
	"  LEFT JOIN LATERAL (SELECT a.max_amount, a.max_percent FROM appeasement.agent_limits a"
	"                      WHERE a.currency = $3 AND a.agent IN ($2, '*')"
	"                      ORDER BY a.agent = '*' LIMIT 1) AS l ON true"
	"  LEFT JOIN appeasement.channel_settings s ON s.sales_channel_id = c.sales_channel_id"
	" WHERE c.credit_note_number = $1",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

static void
CheckAwaitingApproval(IssuedCreditNote *note)
{
	if (strcmp(note->status, CREDIT_NOTE_AWAITING_APPROVAL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("credit note \"%s\" is %s and awaits no approval", note->number, note->status)));
}

static char *
ApproverArg(FunctionCallInfo fcinfo)
{
	char	   *approver = RequiredTextArg(fcinfo, 1, "approver");

	if (approver[strspn(approver, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("approver must not be blank")));
	return approver;
}

PG_FUNCTION_INFO_V1(approve_credit_note);
Datum
approve_credit_note(PG_FUNCTION_ARGS)
{
	char	   *number = RequiredTextArg(fcinfo, 0, "credit_note_number");
	char	   *approver = ApproverArg(fcinfo);
	IssuedCreditNote *note;
	Datum		args[3];
	bool		isnull;
	bool		async;
	Jsonb	   *document;

	SPI_connect();
	note = LockIssuedCreditNote(number);
	CheckAwaitingApproval(note);
	if (strcmp(approver, note->user) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("credit note \"%s\" must be approved by another user than \"%s\", who created it",
						number, note->user)));

	args[0] = CStringGetTextDatum(number);
	args[1] = CStringGetTextDatum(approver);
	args[2] = CStringGetTextDatum(note->currency);
	SpiExecute(&approver_covers, args, NULL, false, 1);
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("limits of \"%s\" do not cover credit note \"%s\"", approver, number),
				 errdetail("Its amount is above the approver's max_amount in %s.", note->currency)));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("limits of \"%s\" do not cover credit note \"%s\"", approver, number),
				 errdetail("A line refunds more of its order line than the approver's max_percent.")));
	async = strcmp(TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
													 3, &isnull)), "async") == 0;

	/* the channel's settlement mode as it is now */
	if (async)
	{
		SetAllocationStatus(number, NULL, "PENDING");
		ChangeCreditNoteStatus(note, CREDIT_NOTE_PENDING, "REQUESTED", approver, NULL);
	}
	else
	{
		SetAllocationStatus(number, NULL, "REFUNDED");
		ChangeCreditNoteStatus(note, CREDIT_NOTE_RELEASED, "RELEASESUCCESS", approver, NULL);
	}
	/* its refund receipt takes back the loyalty points now */
	LoyaltyTakeBackCreditNote(number);
	document = PublishCreditNoteUpdate(note);
	SPI_finish();
	PG_RETURN_JSONB_P(document);
}

PG_FUNCTION_INFO_V1(reject_credit_note);
Datum
reject_credit_note(PG_FUNCTION_ARGS)
{
	char	   *number = RequiredTextArg(fcinfo, 0, "credit_note_number");
	char	   *approver = ApproverArg(fcinfo);
	char	   *reason = RequiredTextArg(fcinfo, 2, "reason");
	IssuedCreditNote *note;
	Jsonb	   *document;

	if (reason[strspn(reason, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason of a rejection must not be blank")));

	SPI_connect();
	note = LockIssuedCreditNote(number);
	CheckAwaitingApproval(note);
	SetAllocationStatus(number, NULL, "CANCELLED");
	GiveBackAllocations(note, NULL);
	ChangeCreditNoteStatus(note, CREDIT_NOTE_REJECTED, "REJECTED", approver, reason);
	document = PublishCreditNoteUpdate(note);
	SPI_finish();
	PG_RETURN_JSONB_P(document);
}
