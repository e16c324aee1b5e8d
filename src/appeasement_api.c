/*-------------------------------------------------------------------------
 *
 * appeasement_api.c
 *	  SQL-callable entry points of appeasements (SPEC section 4):
 *
 *	  appeasement.create_appeasement(request jsonb) returns jsonb
 *	  appeasement.create_appeasement(order_id text, line_number integer,
 *			amount numeric, reason text, reason_description text,
 *			"user" text) returns jsonb
 *	  appeasement.preview_appeasement(request jsonb) returns jsonb
 *
 * Both check the request, create the credit note and its refund.created
 * event under the order's row lock (refund_engine.c), and return the
 * refund document.  A request with an idempotency_key that was already
 * used with the same request returns the document of that credit note
 * and creates nothing (idempotency.c).  All of it happens in the caller's transaction: an
 * error anywhere leaves nothing behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "json_fields.h"
#include "refund.h"

/* Creates the credit note and its event; returns the document in the caller's context. */
static Jsonb *
Appease(RefundRequest *request)
{
	CreditNote *note;
	Jsonb	   *document;
	Jsonb	   *result;

	SPI_connect();
	document = IdempotencyClaim(request);
	if (document == NULL)
	{
		note = CreateCreditNote(request);
		IdempotencyRecord(request, note);
		document = note->document;
	}
	result = SPI_palloc(VARSIZE(document));
	memcpy(result, document, VARSIZE(document));
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(create_appeasement);
Datum
create_appeasement(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(Appease(ParseRefundRequest(PG_GETARG_JSONB_P(0), false)));
}

/*
 * appeasement.create_return_refund(request jsonb) returns jsonb
 *
 * A refund for returned goods: like an appeasement, with the request's rma
 * and, per line, the quantity returned (never more units than bought, over
 * all returns) and an optional amount (by default the line's gross times
 * the quantity over the quantity bought, rounded half away from zero,
 * capped by the line's refundable balance).  It shares the caps and
 * balances of appeasements.
 */
PG_FUNCTION_INFO_V1(create_return_refund);
Datum
create_return_refund(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(Appease(ParseRefundRequest(PG_GETARG_JSONB_P(0), true)));
}

/*
 * appeasement.preview_appeasement(request jsonb) returns jsonb
 *
 * The document create_appeasement would return now, with a null
 * credit_note_number: the same checks and errors, no lock, no number, no
 * write.  For a key already used with the same request, that credit
 * note's document.
 */
PG_FUNCTION_INFO_V1(preview_appeasement);
Datum
preview_appeasement(PG_FUNCTION_ARGS)
{
	RefundRequest *request = ParseRefundRequest(PG_GETARG_JSONB_P(0), false);
	Jsonb	   *document;
	Jsonb	   *result;

	SPI_connect();
	document = IdempotencyLookup(request);
	if (document == NULL)
		document = PreviewCreditNote(request)->document;
	result = SPI_palloc(VARSIZE(document));
	memcpy(result, document, VARSIZE(document));
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

static char *
RequiredText(FunctionCallInfo fcinfo, int arg, const char *name)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	bool		blank = true;

	for (char *c = value; *c; c++)
		if (!isspace((unsigned char) *c))
			blank = false;
	if (blank)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be blank", name)));
	CheckTextLength(value, JSON_TEXT_MAX, name);
	return value;
}

PG_FUNCTION_INFO_V1(create_appeasement_line);
Datum
create_appeasement_line(PG_FUNCTION_ARGS)
{
	RefundRequest *request = palloc0(sizeof(RefundRequest));
	RefundLineRequest *line = palloc0(sizeof(RefundLineRequest));

	request->order_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	request->user = RequiredText(fcinfo, 5, "user");
	request->custom_attributes = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																	CStringGetDatum("[]")));
	request->nlines = 1;
	request->lines = line;
	line->path = "";
	line->line_number = PG_GETARG_INT32(1);
	line->amount_text = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(2)));
	line->reason = RequiredText(fcinfo, 3, "reason");
	line->reason_description = RequiredText(fcinfo, 4, "reason_description");

	PG_RETURN_JSONB_P(Appease(request));
}
