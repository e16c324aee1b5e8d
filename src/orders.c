/*-------------------------------------------------------------------------
 *
 * orders.c
 *	  What the OMS tells the extension about orders (SPEC section 3):
 *
 *	  appeasement.register_order(order jsonb) returns text
 *	  appeasement.record_capture(order_id text, payment_id text,
 *								 amount numeric, captured_at timestamptz)
 *
 * register_order validates the whole document before writing anything and
 * keeps a canonical form of it, so that registering the same order again
 * is a no-op and registering other content under the same order_id is
 * 23505.  Two sessions registering one order_id at once are serialized by
 * the primary key (INSERT ... ON CONFLICT waits for the other to commit).
 *
 * record_capture locks the order row (FOR UPDATE), as create_appeasement
 * does, so a capture and a refund of one order never interleave.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "json_fields.h"
#include "loyalty.h"
#include "jsonb_build.h"
#include "money.h"
#include "money_sql.h"
#include "spi_util.h"
#include "tax.h"
#include "utc_time.h"

/* Most lines and payments one order may have. */
#define ORDER_MAX_LINES		10000
#define ORDER_MAX_PAYMENTS	100

typedef struct TaxInput
{
	char	   *type;
	int64		rate;
	int64		amount;
	bool		amount_given;
} TaxInput;

typedef struct LineInput
{
	int32		line_number;
	char	   *order_item_id;
	char	   *kind;
	char	   *sku;
	int32		quantity;
	int64		gross;
	int			ntaxes;
	TaxInput	taxes[TAX_MAX_COMPONENTS];
} LineInput;

typedef struct PaymentInput
{
	char	   *payment_id;
	char	   *method;
	char	   *psp;
	char	   *psp_reference;
	int64		amount;
	int64		captured;
	bool		priority_given;
	int32		refund_priority;	/* lower is refunded first */
} PaymentInput;

typedef struct OrderInput
{
	char	   *order_id;
	char	   *sales_channel_id;
	char	   *store_id;
	char	   *customer_id;
	char	   *currency;
	int			exponent;
	bool		ordered_at_given;
	TimestampTz ordered_at;
	int			nlines;
	LineInput  *lines;
	int			npayments;
	PaymentInput *payments;
	int64		gross;
	int64		captured;
} OrderInput;

static SpiStatement insert_order = {
	"INSERT INTO appeasement.orders (order_id, sales_channel_id, store_id, customer_id,"
	" currency, exponent, ordered_at, registration, gross, captured)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	" ON CONFLICT (order_id) DO NOTHING",
	10, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT2OID, TIMESTAMPTZOID, JSONBOID,
	INT8OID, INT8OID}
};

static SpiStatement same_registration = {
	"SELECT registration OPERATOR(pg_catalog.=) $2 FROM appeasement.orders WHERE order_id = $1",
	2, {TEXTOID, JSONBOID}
};

static SpiStatement insert_line = {
	"INSERT INTO appeasement.order_lines (order_id, line_number, order_item_id, kind, sku,"
	" quantity, gross, tax_types, tax_rates, tax_amounts, tax_refunded)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::pg_catalog.numeric[], $10, $11)",
	11, {TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, INT4OID, INT8OID, TEXTARRAYOID,
	TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};

static SpiStatement insert_payment = {
	"INSERT INTO appeasement.payments (order_id, payment_id, position, method, psp,"
	" psp_reference, amount, captured, refund_priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	9, {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT4OID}
};

static SpiStatement lock_order_for_capture = {
	"SELECT exponent FROM appeasement.orders WHERE order_id = $1 FOR UPDATE",
	1, {TEXTOID}
};

static SpiStatement payment_for_capture = {
	"SELECT amount, captured FROM appeasement.payments"
	" WHERE order_id = $1 AND payment_id = $2",
	2, {TEXTOID, TEXTOID}
};

static SpiStatement apply_capture = {
	"WITH p AS (UPDATE appeasement.payments SET captured = captured + $3"
	"            WHERE order_id = $1 AND payment_id = $2),"
	"     o AS (UPDATE appeasement.orders SET captured = captured + $3 WHERE order_id = $1)"
	" INSERT INTO appeasement.captures (order_id, payment_id, amount, captured_at)"
	" VALUES ($1, $2, $3, $4)",
	4, {TEXTOID, TEXTOID, INT8OID, TIMESTAMPTZOID}
};

static void
ReportBadOrder(const char *message, const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("The offending field is \"%s\".", field)));
}

static void
ParseTaxes(JsonObject line_obj, int exponent, LineInput *line)
{
	JsonArray	taxes;
	int64		rate_sum = 0;
	int64		tax_sum = 0;

	line->ntaxes = 0;
	if (!JsonGetArray(line_obj, "taxes", &taxes))
		return;
	if (taxes.size > TAX_MAX_COMPONENTS)
		ReportBadOrder(psprintf("a line may have at most %d tax components", TAX_MAX_COMPONENTS),
					   taxes.path);

	for (int i = 0; i < taxes.size; i++)
	{
		JsonObject	tax_obj = JsonArrayObject(taxes, i);
		TaxInput   *tax = &line->taxes[i];

		tax->type = JsonGetString(tax_obj, "type", true, true);
		if (!JsonGetRate(tax_obj, "rate", &tax->rate))
			ReportBadOrder("every tax component needs a rate",
						   JsonFieldPath(tax_obj.path, "rate"));
		tax->amount_given = JsonGetAmount(tax_obj, "amount", exponent, &tax->amount);
		rate_sum += tax->rate;
	}
	line->ntaxes = taxes.size;

	for (int i = 0; i < line->ntaxes; i++)
	{
		TaxInput   *tax = &line->taxes[i];

		if (!tax->amount_given)
		{
			/* computed once, at registration: round(gross x rate / (100 + all rates)) */
			if (!money_muldiv_round(line->gross, tax->rate, RATE_HUNDRED + rate_sum, &tax->amount))
				ReportBadOrder("tax amount is out of range", taxes.path);
		}
		if (tax->amount < 0)
			ReportBadOrder("a tax amount must not be negative",
						   JsonFieldPath(JsonElementPath(taxes.path, i), "amount"));
		tax_sum = AddAmounts(tax_sum, tax->amount, "sum of tax amounts");
	}
	if (tax_sum > line->gross)
		ReportBadOrder("the taxes of a line must not exceed its gross amount", taxes.path);
}

static void
ParseLine(JsonObject line_obj, int exponent, LineInput *line)
{
	if (!JsonGetInt32(line_obj, "line_number", 0, PG_INT32_MAX, &line->line_number))
		ReportBadOrder("every line needs a line_number", JsonFieldPath(line_obj.path, "line_number"));
	line->order_item_id = JsonGetScalarText(line_obj, "order_item_id", true);
	line->kind = JsonGetString(line_obj, "kind", true, false);
	if (strcmp(line->kind, "product") != 0 && strcmp(line->kind, "virtual") != 0 &&
		strcmp(line->kind, "shipping") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown kind \"%s\" in field \"%s\"", line->kind,
						JsonFieldPath(line_obj.path, "kind")),
				 errhint("A line's kind is \"product\", \"virtual\" or \"shipping\".")));
	line->sku = JsonGetString(line_obj, "sku", false, false);
	if (!JsonGetInt32(line_obj, "quantity", 1, PG_INT32_MAX, &line->quantity))
		line->quantity = 1;
	if (strcmp(line->kind, "shipping") == 0 && line->quantity != 1)
		ReportBadOrder("a shipping line has quantity 1", JsonFieldPath(line_obj.path, "quantity"));
	if (!JsonGetAmount(line_obj, "gross", exponent, &line->gross))
		ReportBadOrder("every line needs a gross amount", JsonFieldPath(line_obj.path, "gross"));
	if (line->gross < 0)
		ReportBadOrder("a line's gross amount must not be negative",
					   JsonFieldPath(line_obj.path, "gross"));

	ParseTaxes(line_obj, exponent, line);
}

static void
ParsePayment(JsonObject pay_obj, int exponent, PaymentInput *payment)
{
	payment->payment_id = JsonGetScalarText(pay_obj, "payment_id", true);
	payment->method = JsonGetString(pay_obj, "method", false, false);
	payment->psp = JsonGetString(pay_obj, "psp", false, false);
	payment->psp_reference = JsonGetScalarText(pay_obj, "psp_reference", false);
	if (!JsonGetAmount(pay_obj, "amount", exponent, &payment->amount))
		ReportBadOrder("every payment needs an amount", JsonFieldPath(pay_obj.path, "amount"));
	if (payment->amount < 0)
		ReportBadOrder("a payment amount must not be negative",
					   JsonFieldPath(pay_obj.path, "amount"));
	if (!JsonGetAmount(pay_obj, "captured", exponent, &payment->captured))
		payment->captured = 0;
	if (payment->captured < 0)
		ReportBadOrder("a captured amount must not be negative",
					   JsonFieldPath(pay_obj.path, "captured"));
	if (payment->captured > payment->amount)
		ReportBadOrder("a payment's captured amount must not exceed its amount",
					   JsonFieldPath(pay_obj.path, "captured"));
	payment->priority_given = JsonGetInt32(pay_obj, "refund_priority", PG_INT32_MIN + 1,
										   PG_INT32_MAX, &payment->refund_priority);
}

static void
ParseOrder(Jsonb *document, OrderInput *order)
{
	JsonObject	root = JsonRootObject(document, "order");
	JsonArray	lines;
	JsonArray	payments;

	order->order_id = JsonGetScalarText(root, "order_id", true);
	if (order->order_id[0] == '\0')
		ReportBadOrder("order_id must not be empty", "order_id");
	order->sales_channel_id = JsonGetScalarText(root, "sales_channel_id", true);
	order->store_id = JsonGetScalarText(root, "store_id", false);
	order->customer_id = JsonGetScalarText(root, "customer_id", false);
	order->currency = JsonGetString(root, "currency", true, false);
	order->exponent = CurrencyExponent(order->currency, "currency");
	order->ordered_at_given = JsonGetTimestamp(root, "ordered_at", &order->ordered_at);
	if (!order->ordered_at_given)
		order->ordered_at = GetCurrentTransactionStartTimestamp();

	if (!JsonGetArray(root, "lines", &lines))
		ReportBadOrder("an order needs lines", "lines");
	if (lines.size < 1 || lines.size > ORDER_MAX_LINES)
		ReportBadOrder(psprintf("an order has between 1 and %d lines", ORDER_MAX_LINES), "lines");
	order->nlines = lines.size;
	order->lines = palloc0(sizeof(LineInput) * lines.size);
	order->gross = 0;
	for (int i = 0; i < lines.size; i++)
	{
		LineInput  *line = &order->lines[i];

		ParseLine(JsonArrayObject(lines, i), order->exponent, line);
		for (int j = 0; j < i; j++)
		{
			if (order->lines[j].line_number == line->line_number)
				ReportBadOrder(psprintf("line_number %d appears twice", line->line_number),
							   JsonFieldPath(JsonElementPath("lines", i), "line_number"));
			if (strcmp(order->lines[j].order_item_id, line->order_item_id) == 0)
				ReportBadOrder(psprintf("order_item_id \"%s\" appears twice", line->order_item_id),
							   JsonFieldPath(JsonElementPath("lines", i), "order_item_id"));
		}
		order->gross = AddAmounts(order->gross, line->gross, "order gross");
	}

	order->npayments = 0;
	order->captured = 0;
	if (JsonGetArray(root, "payments", &payments))
	{
		if (payments.size > ORDER_MAX_PAYMENTS)
			ReportBadOrder(psprintf("an order has at most %d payments", ORDER_MAX_PAYMENTS),
						   "payments");
		order->npayments = payments.size;
		order->payments = palloc0(sizeof(PaymentInput) * Max(payments.size, 1));
		for (int i = 0; i < payments.size; i++)
		{
			PaymentInput *payment = &order->payments[i];

			ParsePayment(JsonArrayObject(payments, i), order->exponent, payment);
			for (int j = 0; j < i; j++)
				if (strcmp(order->payments[j].payment_id, payment->payment_id) == 0)
					ReportBadOrder(psprintf("payment_id \"%s\" appears twice", payment->payment_id),
								   JsonFieldPath(JsonElementPath("payments", i), "payment_id"));
			order->captured = AddAmounts(order->captured, payment->captured, "order captured");
		}
	}
}

/*
 * The order as registered, with every amount in the currency's digits and
 * defaults left out, so that two documents with the same meaning compare
 * equal ("48.7" and 48.70 are one amount).
 */
static Jsonb *
CanonicalOrder(OrderInput *order)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	JbBeginObject(&state);
	JbKeyString(&state, "order_id", order->order_id);
	JbKeyString(&state, "sales_channel_id", order->sales_channel_id);
	JbKeyString(&state, "store_id", order->store_id);
	JbKeyString(&state, "customer_id", order->customer_id);
	JbKeyString(&state, "currency", order->currency);
	JbKeyString(&state, "ordered_at",
				order->ordered_at_given ? FormatUtcTimestamp(order->ordered_at) : NULL);
	JbKey(&state, "lines");
	JbBeginArray(&state);
	for (int i = 0; i < order->nlines; i++)
	{
		LineInput  *line = &order->lines[i];

		JbBeginObject(&state);
		JbKeyString(&state, "line_number", psprintf("%d", line->line_number));
		JbKeyString(&state, "order_item_id", line->order_item_id);
		JbKeyString(&state, "kind", line->kind);
		JbKeyString(&state, "sku", line->sku);
		JbKeyString(&state, "quantity", psprintf("%d", line->quantity));
		JbKeyString(&state, "gross", FormatAmount(line->gross, order->exponent));
		JbKey(&state, "taxes");
		JbBeginArray(&state);
		for (int j = 0; j < line->ntaxes; j++)
		{
			TaxInput   *tax = &line->taxes[j];

			JbBeginObject(&state);
			JbKeyString(&state, "type", tax->type);
			JbKeyString(&state, "rate", FormatRate(tax->rate));
			JbKeyString(&state, "amount",
						tax->amount_given ? FormatAmount(tax->amount, order->exponent) : NULL);
			JbEnd(&state, true);
		}
		JbEnd(&state, false);
		JbEnd(&state, true);
	}
	JbEnd(&state, false);
	JbKey(&state, "payments");
	JbBeginArray(&state);
	for (int i = 0; i < order->npayments; i++)
	{
		PaymentInput *payment = &order->payments[i];

		JbBeginObject(&state);
		JbKeyString(&state, "payment_id", payment->payment_id);
		JbKeyString(&state, "method", payment->method);
		JbKeyString(&state, "psp", payment->psp);
		JbKeyString(&state, "psp_reference", payment->psp_reference);
		JbKeyString(&state, "amount", FormatAmount(payment->amount, order->exponent));
		JbKeyString(&state, "captured", FormatAmount(payment->captured, order->exponent));
		/* only when given: orders registered before priorities compare equal */
		if (payment->priority_given)
			JbKeyString(&state, "refund_priority", psprintf("%d", payment->refund_priority));
		JbEnd(&state, true);
	}
	JbEnd(&state, false);
	result = JbEnd(&state, true);
	return JsonbValueToJsonb(result);
}

static Datum
TextArray(char **items, int n)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		datums[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(datums, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static void
InsertLines(OrderInput *order)
{
	for (int i = 0; i < order->nlines; i++)
	{
		LineInput  *line = &order->lines[i];
		char	   *types[TAX_MAX_COMPONENTS];
		char	   *rates[TAX_MAX_COMPONENTS];
		int64		amounts[TAX_MAX_COMPONENTS];
		int64		refunded[TAX_MAX_COMPONENTS];
		Datum		values[11];
		char		nulls[12] = "           ";

		for (int j = 0; j < line->ntaxes; j++)
		{
			types[j] = line->taxes[j].type;
			rates[j] = FormatRate(line->taxes[j].rate);
			amounts[j] = line->taxes[j].amount;
			refunded[j] = 0;
		}
		values[0] = CStringGetTextDatum(order->order_id);
		values[1] = Int32GetDatum(line->line_number);
		values[2] = CStringGetTextDatum(line->order_item_id);
		values[3] = CStringGetTextDatum(line->kind);
		values[4] = SpiNullableText(line->sku, &nulls[4]);
		values[5] = Int32GetDatum(line->quantity);
		values[6] = Int64GetDatum(line->gross);
		values[7] = TextArray(types, line->ntaxes);
		values[8] = TextArray(rates, line->ntaxes);
		values[9] = SpiInt8Array(amounts, line->ntaxes);
		values[10] = SpiInt8Array(refunded, line->ntaxes);
		SpiExecute(&insert_line, values, nulls, false, 0);
	}
}

static void
InsertPayments(OrderInput *order)
{
	for (int i = 0; i < order->npayments; i++)
	{
		PaymentInput *payment = &order->payments[i];
		Datum		values[9];
		char		nulls[10] = "         ";

		values[0] = CStringGetTextDatum(order->order_id);
		values[1] = CStringGetTextDatum(payment->payment_id);
		values[2] = Int32GetDatum(i + 1);
		values[3] = SpiNullableText(payment->method, &nulls[3]);
		values[4] = SpiNullableText(payment->psp, &nulls[4]);
		values[5] = SpiNullableText(payment->psp_reference, &nulls[5]);
		values[6] = Int64GetDatum(payment->amount);
		values[7] = Int64GetDatum(payment->captured);
		/* by default, payments are refunded in the order they are listed */
		values[8] = Int32GetDatum(payment->priority_given ? payment->refund_priority : i + 1);
		SpiExecute(&insert_payment, values, nulls, false, 0);
	}
}

PG_FUNCTION_INFO_V1(register_order);
Datum
register_order(PG_FUNCTION_ARGS)
{
	Jsonb	   *document = PG_GETARG_JSONB_P(0);
	OrderInput	order;
	Jsonb	   *canonical;
	Datum		values[10];
	char		nulls[11] = "          ";

	ParseOrder(document, &order);
	canonical = CanonicalOrder(&order);

	SPI_connect();

	values[0] = CStringGetTextDatum(order.order_id);
	values[1] = CStringGetTextDatum(order.sales_channel_id);
	values[2] = SpiNullableText(order.store_id, &nulls[2]);
	values[3] = SpiNullableText(order.customer_id, &nulls[3]);
	values[4] = CStringGetTextDatum(order.currency);
	values[5] = Int16GetDatum(order.exponent);
	values[6] = TimestampTzGetDatum(order.ordered_at);
	values[7] = JsonbPGetDatum(canonical);
	values[8] = Int64GetDatum(order.gross);
	values[9] = Int64GetDatum(order.captured);
	SpiExecute(&insert_order, values, nulls, false, 0);

	if (SPI_processed == 0)
	{
		Datum		args[2] = {values[0], values[7]};
		bool		isnull;
		bool		same;

		SpiExecute(&same_registration, args, NULL, false, 1);
		same = SPI_processed == 1 &&
			DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("order \"%s\" is already registered with other content",
							order.order_id),
					 errhint("Orders are immutable; captures are recorded with record_capture.")));
	}
	else
	{
		InsertLines(&order);
		InsertPayments(&order);
		/* with a customer, the order is a purchase receipt */
		LoyaltyRecordReceipt(order.customer_id, order.order_id, order.ordered_at, order.currency,
							 order.gross, 0, false);
	}

	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(order.order_id));
}

PG_FUNCTION_INFO_V1(record_capture);
Datum
record_capture(PG_FUNCTION_ARGS)
{
	text	   *order_id = PG_GETARG_TEXT_PP(0);
	text	   *payment_id = PG_GETARG_TEXT_PP(1);
	Datum		amount_numeric = PG_GETARG_DATUM(2);
	TimestampTz captured_at = PG_GETARG_TIMESTAMPTZ(3);
	Datum		keys[2] = {PointerGetDatum(order_id), PointerGetDatum(payment_id)};
	bool		isnull;
	int			exponent;
	int64		amount;
	int64		payment_amount;
	int64		payment_captured;

	SPI_connect();

	SpiExecute(&lock_order_for_capture, keys, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("order \"%s\" does not exist", text_to_cstring(order_id))));
	exponent = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	SpiExecute(&payment_for_capture, keys, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("payment \"%s\" of order \"%s\" does not exist",
						text_to_cstring(payment_id), text_to_cstring(order_id))));
	payment_amount = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	payment_captured = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

	if (TIMESTAMP_NOT_FINITE(captured_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("captured_at must be a finite timestamp")));
	amount = NumericToMinor(amount_numeric, exponent, "capture amount");
	if (amount <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture amount must be greater than zero")));
	if (amount > payment_amount - payment_captured)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("capture of payment \"%s\" would exceed its amount",
						text_to_cstring(payment_id)),
				 errdetail("The payment can capture at most %s more.",
						   FormatAmount(payment_amount - payment_captured, exponent))));

	{
		Datum		values[4] = {keys[0], keys[1], Int64GetDatum(amount),
		TimestampTzGetDatum(captured_at)};

		SpiExecute(&apply_capture, values, NULL, false, 0);
	}

	SPI_finish();
	PG_RETURN_VOID();
}
