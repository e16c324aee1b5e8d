/*-------------------------------------------------------------------------
 *
 * refund_request.c
 *	  Reading an appeasement request (SPEC section 4).
 *
 * Everything that can be checked without the order is checked here, so a
 * malformed request fails before any lock is taken.  Amounts stay text
 * until the order's currency is known.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "json_fields.h"
#include "refund.h"

static void
ReportBadRequest(const char *message, const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("The offending field is \"%s\".", field)));
}

static void
ParseLine(JsonObject obj, bool is_return, RefundLineRequest *line)
{
	line->path = obj.path;
	if (!JsonGetInt32(obj, "line_number", 0, PG_INT32_MAX, &line->line_number))
		ReportBadRequest("every line needs a line_number", JsonFieldPath(obj.path, "line_number"));
	line->order_item_id = JsonGetScalarText(obj, "id", false);
	line->amount_text = JsonGetScalarText(obj, "amount", false);
	if (is_return)
	{
		/* a returned quantity, and an amount that defaults to its share of the line */
		JsonbValue	v;

		if (!JsonGetInt32(obj, "quantity", 1, PG_INT32_MAX, &line->quantity))
			ReportBadRequest("every line of a return needs the quantity returned",
							 JsonFieldPath(obj.path, "quantity"));
		if (JsonFind(obj, "percent", &v))
			ReportBadRequest("a return line gives an amount or nothing, not a percent",
							 JsonFieldPath(obj.path, "percent"));
	}
	else
	{
		line->percent_text = JsonGetScalarText(obj, "percent", false);
		if ((line->amount_text == NULL) == (line->percent_text == NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("line \"%s\" must give exactly one of \"amount\" and \"percent\"", obj.path)));
	}
	line->reason = JsonGetString(obj, "reason", true, true);
	line->reason_description = JsonGetString(obj, "reason_description", true, true);
}

RefundRequest *
ParseRefundRequest(Jsonb *document, bool is_return)
{
	RefundRequest *request = palloc0(sizeof(RefundRequest));
	JsonObject	root = JsonRootObject(document, "request");
	JsonObject	wrapped;
	JsonArray	lines;
	JsonArray	custom;
	bool		wrapped_request = false;

	/* {"appeasement": {...}} (or {"return": {...}}) and {...} are the same request. */
	request->is_return = is_return;
	if (JsonGetObject(root, is_return ? "return" : "appeasement", &wrapped))
	{
		root = wrapped;
		wrapped_request = true;
	}

	request->order_id = JsonGetScalarText(root, "order_id", true);
	request->sales_channel_id = JsonGetScalarText(root, "sales_channel_id", false);
	request->user = JsonGetString(root, "user", true, true);
	if (is_return)
	{
		request->rma = JsonGetScalarText(root, "rma", true);
		if (request->rma[strspn(request->rma, " \t\r\n")] == '\0')
			ReportBadRequest("a return needs its rma", "rma");
	}
	request->has_requested_at = JsonGetTimestamp(root, "credit_note_date", &request->requested_at);

	if (JsonGetArray(root, "custom_attributes", &custom))
	{
		JsonbValue	v;

		(void) JsonFind(root, "custom_attributes", &v);
		request->custom_attributes = JsonbValueToJsonb(&v);
	}
	else
		request->custom_attributes = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("[]")));

	request->idempotency_key = JsonGetString(root, "idempotency_key", false, true);
	if (request->idempotency_key != NULL)
	{
		CheckTextLength(request->idempotency_key, JSON_IDENTIFIER_MAX, "field \"idempotency_key\"");
		/* the request proper, without the optional wrapper */
		if (wrapped_request)
		{
			JsonbValue	v;

			(void) JsonFind(JsonRootObject(document, "request"), is_return ? "return" : "appeasement",
							&v);
			request->keyed_request = JsonbValueToJsonb(&v);
		}
		else
			request->keyed_request = document;
	}

	if (!JsonGetArray(root, "lines", &lines))
		ReportBadRequest("a request needs lines", JsonFieldPath(root.path, "lines"));
	if (lines.size < 1 || lines.size > REFUND_MAX_LINES)
		ReportBadRequest(psprintf("a request has between 1 and %d lines", REFUND_MAX_LINES),
						 lines.path);

	request->nlines = lines.size;
	request->lines = palloc0(sizeof(RefundLineRequest) * lines.size);
	for (int i = 0; i < lines.size; i++)
	{
		RefundLineRequest *line = &request->lines[i];

		ParseLine(JsonArrayObject(lines, i), is_return, line);
		for (int j = 0; j < i; j++)
			if (request->lines[j].line_number == line->line_number)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("line_number %d appears twice in the request", line->line_number),
						 errdetail("The offending field is \"%s\".",
								   JsonFieldPath(line->path, "line_number"))));
	}
	return request;
}
