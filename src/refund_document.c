/*-------------------------------------------------------------------------
 *
 * refund_document.c
 *	  The refund document of a credit note (SPEC section 4): what
 *	  create_appeasement returns and what the refund event carries.
 *
 * Amounts are strings with exactly the currency's digits, rates have no
 * trailing zeros, dates are UTC "YYYY-MM-DDTHH:MM:SS+00:00".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "jsonb_build.h"
#include "money_sql.h"
#include "refund.h"
#include "utc_time.h"

static void
PushStatus(JsonbParseState **state, const char *code)
{
	JbKey(state, "status");
	JbBeginObject(state);
	JbKeyString(state, "code", code);
	JbKeyString(state, "name", code);
	JbEnd(state, true);
}

static void
PushAllocation(JsonbParseState **state, CreditNote *note, RefundLine *line,
			   RefundAllocation *alloc)
{
	int			exponent = note->order.exponent;
	int64		vat = 0;
	int64		rate_sum = 0;

	for (int j = 0; j < line->ntaxes; j++)
	{
		vat += alloc->tax[j];
		rate_sum += line->tax_rate[j];
	}

	JbBeginObject(state);
	JbKey(state, "details");
	JbBeginObject(state);
	JbKeyString(state, "cost_gross", FormatAmount(alloc->gross, exponent));
	JbKeyString(state, "cost_net", FormatAmount(alloc->gross - vat, exponent));
	JbKeyString(state, "cost_vat", FormatAmount(vat, exponent));
	JbKey(state, "vat_detail");
	JbBeginArray(state);
	for (int j = 0; j < line->ntaxes; j++)
	{
		JbBeginObject(state);
		JbKeyString(state, "amount", FormatAmount(alloc->tax[j], exponent));
		JbKeyString(state, "rate", FormatRate(line->tax_rate[j]));
		JbKeyString(state, "type", line->tax_type[j]);
		JbEnd(state, true);
	}
	JbEnd(state, false);
	JbKeyString(state, "vat_rate", FormatRate(rate_sum));
	JbEnd(state, true);
	JbKeyString(state, "method", note->payments[alloc->payment].method);
	JbKeyString(state, "payment_id", note->payments[alloc->payment].payment_id);
	PushStatus(state, note->payment_status);
	JbEnd(state, true);
}

Jsonb *
RefundDocument(CreditNote *note)
{
	JsonbParseState *state = NULL;
	char	   *created = FormatUtcTimestamp(note->created_at);
	JsonbValue *result;

	JbBeginObject(&state);
	JbKey(&state, "refund");
	JbBeginObject(&state);
	JbKeyString(&state, "credit_note_date", created);
	JbKeyString(&state, "credit_note_number", note->number);
	JbKeyJsonb(&state, "custom_attributes", note->request->custom_attributes);

	JbKey(&state, "lines");
	JbBeginArray(&state);
	for (int i = 0; i < note->request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];

		JbBeginObject(&state);
		JbKeyString(&state, "order_item_id", line->order_item_id);
		JbKeyString(&state, "order_line", psprintf("%d", line->request->line_number));
		JbKey(&state, "payments");
		JbBeginArray(&state);
		for (int a = 0; a < line->nallocations; a++)
			PushAllocation(&state, note, line, &line->allocations[a]);
		JbEnd(&state, false);
		JbKeyString(&state, "reason", line->request->reason);
		JbKeyString(&state, "reason_description", line->request->reason_description);
		JbEnd(&state, true);
	}
	JbEnd(&state, false);

	JbKeyString(&state, "order_id", note->order.order_id);
	JbKeyString(&state, "refund_reason", note->status_reason);
	JbKeyString(&state, "refund_type", note->refund_type);
	JbKeyString(&state, "rma", note->request->rma != NULL ? note->request->rma : "");
	JbKeyString(&state, "sales_channel_id", note->order.sales_channel_id);

	JbKey(&state, "status");
	JbBeginObject(&state);
	JbKeyString(&state, "code", note->status);
	JbKeyString(&state, "date", created);
	JbKeyString(&state, "name", note->status);
	JbKeyString(&state, "reason_code", note->status_reason);
	JbKeyString(&state, "reason_name", note->status_reason);
	JbEnd(&state, true);

	JbKeyString(&state, "store_id", note->order.store_id);
	JbKeyString(&state, "user", note->request->user);
	JbEnd(&state, true);
	result = JbEnd(&state, true);
	return JsonbValueToJsonb(result);
}
