/*-------------------------------------------------------------------------
 *
 * refund_engine.c
 *	  Checks a refund request against its order and writes the credit note.
 *
 * Locks: the order row, FOR UPDATE, before anything about the order is
 * read (a preview takes no lock and writes nothing).  Every change to an order's lines, payments and totals goes
 * through that lock (record_capture takes it too), so at READ COMMITTED a
 * second refund of the same order waits for the first to end and then
 * reads the committed running totals: the caps hold without serialization
 * failures and without reading credit-note history.  Refunds of different
 * orders do not wait for each other.
 *
 * Caps, all in minor units:
 *	- line:		line.refunded + amount <= line.gross
 *	- order:	order.refunded + credit note <= order.captured
 *	- payment:	each payment's refunded <= its captured; a line's amount is
 *				allocated over the payments in refund order (lower
 *				refund_priority first, then registration order).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include <limits.h>
#include "utils/timestamp.h"

#include "credit_note_number.h"
#include "events.h"
#include "json_fields.h"
#include "loyalty.h"
#include "money.h"
#include "money_sql.h"
#include "refund.h"
#include "spi_util.h"
#include "tax.h"

#define ORDER_QUERY \
	"SELECT o.sales_channel_id, o.store_id, o.currency, o.exponent, o.captured, o.refunded, " \
	CREDIT_NOTE_SERIES_COLUMNS ", coalesce(c.require_known_reason, false)," \
	"       coalesce(c.settlement_mode, 'immediate'), a.agent IS NOT NULL, a.max_amount," \
	"       (a.max_percent * 1000000)::pg_catalog.int8, a.daily_amount, o.customer_id," \
	"       EXISTS (SELECT FROM appeasement.loyalty_settings)" \
	"  FROM appeasement.orders o" \
	"  LEFT JOIN appeasement.credit_note_series s ON s.sales_channel_id = o.sales_channel_id" \
	"  LEFT JOIN appeasement.channel_settings c ON c.sales_channel_id = o.sales_channel_id" \
	"  LEFT JOIN LATERAL (SELECT l.agent, l.max_amount, l.max_percent, l.daily_amount" \
	"                       FROM appeasement.agent_limits l" \
	"                      WHERE l.currency = o.currency AND l.agent IN ($2, '*')" \
	"                      ORDER BY l.agent = '*' LIMIT 1) AS a ON true" \
	" WHERE o.order_id = $1"

static SpiStatement lock_order = {
	ORDER_QUERY " FOR UPDATE OF o",
	2, {TEXTOID, TEXTOID}
};

/* A preview reads the order without locking it: it writes nothing. */
static SpiStatement read_order = {
	ORDER_QUERY,
	2, {TEXTOID, TEXTOID}
};

/*
 * The agent's day total with this credit note added, for an agent with a
 * daily limit.  The row stays locked until the transaction ends, so two
 * refunds of one agent add up one after the other.
 */
static SpiStatement add_to_day_total = {
	"INSERT INTO appeasement.agent_day_totals AS t (agent, currency, day, total)"
	" VALUES ($1, $2, ($3 AT TIME ZONE 'UTC')::pg_catalog.date, $4)"
	" ON CONFLICT ON CONSTRAINT agent_day_totals_pkey DO UPDATE SET total = t.total + excluded.total"
	" RETURNING total",
	4, {TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID}
};

/* The same total for a preview, which adds nothing. */
static SpiStatement read_day_total = {
	"SELECT coalesce((SELECT total FROM appeasement.agent_day_totals"
	"                  WHERE agent = $1 AND currency = $2"
	"                    AND day = ($3 AT TIME ZONE 'UTC')::pg_catalog.date), 0) + $4",
	4, {TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID}
};

/*
 * The requested lines, each with the order's payments as arrays in
 * refund order (refund_priority, then position); one row with null line columns when no line matches.
 * Read after the order's lock, so it sees the committed totals.
 */
static SpiStatement lines_and_payments = {
	"SELECT l.line_number, l.order_item_id, l.gross, l.refunded, l.tax_types,"
	"       l.tax_rates::pg_catalog.text[], l.tax_amounts, l.tax_refunded,"
	"       p.payment_ids, p.methods, p.captured, p.refunded, l.kind,"
	"       l.quantity, l.returned_quantity"
	"  FROM (SELECT pg_catalog.array_agg(payment_id ORDER BY refund_priority, position) AS payment_ids,"
	"               pg_catalog.array_agg(method ORDER BY refund_priority, position) AS methods,"
	"               pg_catalog.array_agg(captured ORDER BY refund_priority, position) AS captured,"
	"               pg_catalog.array_agg(refunded ORDER BY refund_priority, position) AS refunded"
	"          FROM appeasement.payments WHERE order_id = $1) AS p"
	"  LEFT JOIN appeasement.order_lines l"
	"    ON l.order_id = $1 AND l.line_number OPERATOR(pg_catalog.=) ANY ($2)",
	2, {TEXTOID, INT4ARRAYOID}
};

static SpiStatement known_reasons = {
	"SELECT code, kinds FROM appeasement.reasons"
	" WHERE active AND code OPERATOR(pg_catalog.=) ANY ($1)",
	1, {TEXTARRAYOID}
};

/* The credit note and its event, with the order's and the payments' running totals. */
static SpiStatement insert_credit_note = {
	"WITH o AS (UPDATE appeasement.orders SET refunded = refunded + $10 WHERE order_id = $2),"
	"     p AS (UPDATE appeasement.payments p SET refunded = p.refunded + t.taken"
	"             FROM ROWS FROM (pg_catalog.unnest($13::pg_catalog.text[]),"
	"                            pg_catalog.unnest($14::pg_catalog.int8[])) AS t(payment_id, taken)"
	"            WHERE p.order_id = $2 AND p.payment_id = t.payment_id),"
	"     e AS (INSERT INTO appeasement.refund_events (event_id, event_type, credit_note_number, payload)"
	"           VALUES ($15, $16, $1, $17))"
	" INSERT INTO appeasement.issued_credit_notes (credit_note_number, order_id, sales_channel_id,"
	" refund_type, status, status_reason, created_at, requested_at, \"user\", gross, vat,"
	" custom_attributes, rma, last_event_id)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $18, $15)",
	18, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TEXTOID, INT8OID, INT8OID, JSONBOID, TEXTARRAYOID, INT8ARRAYOID, INT8OID, TEXTOID, JSONBOID,
	TEXTOID}
};

/*
 * A credit-note line, its allocations over the payments, and the order
 * line's running totals.  Allocation i's tax components are the slice
 * i of the flattened array $12 ($13 components each).
 */
static SpiStatement insert_line = {
	"WITH l AS (UPDATE appeasement.order_lines SET refunded = refunded + $4, tax_refunded = $8,"
	"                   returned_quantity = returned_quantity + $15"
	"            WHERE order_id = $2 AND line_number = $3),"
	"     a AS (INSERT INTO appeasement.credit_note_allocations (credit_note_number, line_number,"
	"             payment_id, order_id, gross, tax_amounts, status)"
	"           SELECT $1, $3, t.payment_id, $2, t.gross,"
	"                  $12[((t.i - 1) * $13 + 1)::pg_catalog.int4 : (t.i * $13)::pg_catalog.int4], $11"
	"             FROM ROWS FROM (pg_catalog.unnest($9::pg_catalog.text[]),"
	"                            pg_catalog.unnest($10::pg_catalog.int8[]))"
	"                  WITH ORDINALITY AS t(payment_id, gross, i))"
	" INSERT INTO appeasement.issued_credit_note_lines (credit_note_number, order_id, line_number,"
	" gross, tax_amounts, vat, reason, reason_description, quantity)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $14, $15)",
	15, {TEXTOID, TEXTOID, INT4OID, INT8OID, INT8ARRAYOID, INT8OID, TEXTOID, INT8ARRAYOID,
	TEXTARRAYOID, INT8ARRAYOID, TEXTOID, INT8ARRAYOID, INT4OID, TEXTOID, INT4OID}
};

static Datum
Column(int row, int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, isnull);
}

static char *
TextColumn(int row, int column)
{
	bool		isnull;
	Datum		d = Column(row, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* A bigint column; null reads as 0 and sets *isnull when isnull is given. */
static int64
Int64Column(int row, int column, bool *isnull)
{
	bool		null;
	Datum		d = Column(row, column, &null);

	if (isnull != NULL)
		*isnull = null;
	return null ? 0 : DatumGetInt64(d);
}

/* Elements of a one-dimensional array column, at most max of them; nulls optional. */
static int
ArrayColumn(int row, int column, Oid elemtype, int max, Datum **elems, bool **nulls)
{
	bool		isnull;
	ArrayType  *array = DatumGetArrayTypeP(Column(row, column, &isnull));
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool	   *elemnulls;
	int			n;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign, elems, &elemnulls, &n);
	if (n > max)
		elog(ERROR, "array of %d elements where at most %d are expected", n, max);
	if (nulls != NULL)
		*nulls = elemnulls;
	return n;
}

static void
LockOrder(CreditNote *note, bool lock)
{
	RefundRequest *request = note->request;
	Datum		keys[2];
	bool		isnull;

	keys[0] = CStringGetTextDatum(request->order_id);
	keys[1] = CStringGetTextDatum(request->user);
	SpiExecute(lock ? &lock_order : &read_order, keys, NULL, !lock, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("order \"%s\" does not exist", request->order_id)));

	note->order.order_id = request->order_id;
	note->order.sales_channel_id = TextColumn(0, 1);
	note->order.store_id = TextColumn(0, 2);
	note->order.currency = TextColumn(0, 3);
	note->order.exponent = DatumGetInt16(Column(0, 4, &isnull));
	note->order.captured = Int64Column(0, 5, NULL);
	note->order.refunded = Int64Column(0, 6, NULL);
	note->series_prefix = TextColumn(0, 7);
	note->series_counter = DatumGetObjectId(Column(0, 8, &isnull));
	note->series_gapless = DatumGetBool(Column(0, 9, &isnull));
	note->require_known_reason = DatumGetBool(Column(0, 10, &isnull));
	if (strcmp(TextColumn(0, 11), "async") == 0)
	{
		/* the payment provider confirms later: record_refund_result */
		note->status = CREDIT_NOTE_PENDING;
		note->status_reason = "REQUESTED";
		note->payment_status = "PENDING";
	}
	note->limits.exists = DatumGetBool(Column(0, 12, &isnull));
	note->limits.max_amount = Int64Column(0, 13, &note->limits.no_max_amount);
	note->limits.max_percent = Int64Column(0, 14, &note->limits.no_max_percent);
	note->limits.daily_amount = Int64Column(0, 15, &note->limits.no_daily_amount);
	note->order.customer_id = TextColumn(0, 16);
	note->loyalty_configured = DatumGetBool(Column(0, 17, &isnull));

	if (request->sales_channel_id != NULL &&
		strcmp(request->sales_channel_id, note->order.sales_channel_id) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sales_channel_id \"%s\" does not match order \"%s\"",
						request->sales_channel_id, request->order_id),
				 errdetail("The order belongs to sales channel \"%s\".",
						   note->order.sales_channel_id)));
}

static void
LoadLine(RefundLine *line, int row)
{
	bool		isnull;
	Datum	   *types;
	Datum	   *rates;
	Datum	   *amounts;
	Datum	   *refunded;
	int			n;

	line->order_item_id = TextColumn(row, 2);
	line->kind = TextColumn(row, 13);
	line->line_quantity = DatumGetInt32(Column(row, 14, &isnull));
	line->line_returned = DatumGetInt32(Column(row, 15, &isnull));
	line->line_gross = Int64Column(row, 3, NULL);
	line->line_refunded = Int64Column(row, 4, NULL);
	n = ArrayColumn(row, 5, TEXTOID, TAX_MAX_COMPONENTS, &types, NULL);
	if (ArrayColumn(row, 6, TEXTOID, TAX_MAX_COMPONENTS, &rates, NULL) != n ||
		ArrayColumn(row, 7, INT8OID, TAX_MAX_COMPONENTS, &amounts, NULL) != n ||
		ArrayColumn(row, 8, INT8OID, TAX_MAX_COMPONENTS, &refunded, NULL) != n)
		elog(ERROR, "tax arrays of an order line differ in length");
	line->ntaxes = n;
	for (int j = 0; j < n; j++)
	{
		line->tax_type[j] = TextDatumGetCString(types[j]);
		line->tax_rate_text[j] = TextDatumGetCString(rates[j]);
		line->tax_rate[j] = ParseRate(line->tax_rate_text[j], strlen(line->tax_rate_text[j]),
									  "tax rate");
		line->tax_amount[j] = DatumGetInt64(amounts[j]);
		line->tax_refunded[j] = DatumGetInt64(refunded[j]);
	}
}

/* Reads the requested order lines and checks the request's ids against them. */
static void
LoadLines(CreditNote *note)
{
	RefundRequest *request = note->request;
	Datum	   *numbers = palloc(sizeof(Datum) * request->nlines);
	Datum		args[2];

	for (int i = 0; i < request->nlines; i++)
		numbers[i] = Int32GetDatum(request->lines[i].line_number);
	args[0] = CStringGetTextDatum(request->order_id);
	args[1] = PointerGetDatum(construct_array(numbers, request->nlines, INT4OID, 4, true,
											  TYPALIGN_INT));
	SpiExecute(&lines_and_payments, args, NULL, false, 0);

	note->lines = palloc0(sizeof(RefundLine) * request->nlines);
	for (int i = 0; i < request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		int			row = -1;

		line->request = &request->lines[i];
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		number = Column(r, 1, &isnull);

			if (!isnull && DatumGetInt32(number) == line->request->line_number)
				row = r;
		}
		if (row < 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("line %d of order \"%s\" does not exist",
							line->request->line_number, request->order_id)));
		LoadLine(line, row);
		if (line->request->order_item_id != NULL &&
			strcmp(line->request->order_item_id, line->order_item_id) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("id \"%s\" does not match line %d of order \"%s\"",
							line->request->order_item_id, line->request->line_number,
							request->order_id),
					 errdetail("The line's order_item_id is \"%s\".", line->order_item_id)));
	}
}

/*
 * Where the channel requires known reasons: every line's reason is an
 * active code of the catalogue whose kinds (null: all) include the line's.
 */
static void
CheckReasons(CreditNote *note)
{
	RefundRequest *request = note->request;
	Datum	   *codes;
	Datum		arg;

	if (!note->require_known_reason)
		return;

	codes = palloc(sizeof(Datum) * request->nlines);
	for (int i = 0; i < request->nlines; i++)
		codes[i] = CStringGetTextDatum(request->lines[i].reason);
	arg = PointerGetDatum(construct_array(codes, request->nlines, TEXTOID, -1, false,
										  TYPALIGN_INT));
	SpiExecute(&known_reasons, &arg, NULL, false, 0);

	for (int i = 0; i < request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		int			row = -1;
		bool		isnull;

		for (uint64 r = 0; r < SPI_processed; r++)
			if (strcmp(TextColumn(r, 1), line->request->reason) == 0)
				row = r;
		if (row < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reason \"%s\" of line %d is not an active reason code",
							line->request->reason, line->request->line_number),
					 errdetail("Sales channel \"%s\" requires known reasons.",
							   note->order.sales_channel_id),
					 errhint("The codes are set with appeasement.set_reason.")));
		(void) Column(row, 2, &isnull);
		if (!isnull)
		{
			Datum	   *allowed;
			int			n = ArrayColumn(row, 2, TEXTOID, INT_MAX, &allowed, NULL);
			bool		found = false;

			for (int k = 0; k < n; k++)
				if (strcmp(TextDatumGetCString(allowed[k]), line->kind) == 0)
					found = true;
			if (!found)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("reason \"%s\" does not apply to line %d, a %s line",
								line->request->reason, line->request->line_number, line->kind)));
		}
	}
}

/* The gross of each requested line, from its amount or its percent. */
static void
ComputeAmounts(CreditNote *note)
{
	int			exponent = note->order.exponent;

	note->gross = 0;
	for (int i = 0; i < note->request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		RefundLineRequest *req = line->request;

		if (req->quantity > 0 && req->quantity > line->line_quantity - line->line_returned)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("quantity %d exceeds the units of line %d of order \"%s\" not yet returned",
							req->quantity, req->line_number, note->order.order_id),
					 errdetail("%d of the %d units bought can still be returned.",
							   line->line_quantity - line->line_returned, line->line_quantity)));

		if (req->amount_text == NULL && req->percent_text == NULL)
		{
			/* a return without an amount: its units' share of the line, within the balance */
			if (!money_muldiv_round(line->line_gross, req->quantity, line->line_quantity,
									&line->gross))
				elog(ERROR, "share of a line out of range");
			line->gross = Min(line->gross, line->line_gross - line->line_refunded);
			if (line->gross <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_CHECK_VIOLATION),
						 errmsg("line %d of order \"%s\" has nothing left to refund",
								req->line_number, note->order.order_id),
						 errdetail("The line's refundable balance is 0.")));
		}
		else if (req->amount_text != NULL)
		{
			line->gross = ParseAmount(req->amount_text, strlen(req->amount_text), exponent,
									  JsonFieldPath(req->path, "amount"));
			if (line->gross <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("amount of line %d must be greater than zero", req->line_number)));
		}
		else
		{
			int64		percent = ParseRate(req->percent_text, strlen(req->percent_text),
											JsonFieldPath(req->path, "percent"));

			if (percent <= 0 || percent > RATE_HUNDRED)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("percent of line %d must be greater than 0 and at most 100",
								req->line_number)));
			if (!money_percent_of(line->line_gross, percent, &line->gross))
				elog(ERROR, "percent of a line out of range");
			if (line->gross <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s %% of line %d is less than one minor unit",
								req->percent_text, req->line_number)));
		}
		note->gross = AddAmounts(note->gross, line->gross, "credit note gross");
	}
}

static void
CheckCaps(CreditNote *note)
{
	RefundOrder *order = &note->order;

	if (order->captured == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("order \"%s\" has no captured payment", order->order_id),
				 errhint("Money goes back only once the payment provider has captured it; record it with record_capture.")));

	for (int i = 0; i < note->request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		int64		refundable = line->line_gross - line->line_refunded;

		if (line->gross > refundable)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("amount %s exceeds the refundable balance of line %d of order \"%s\"",
							FormatAmount(line->gross, order->exponent),
							line->request->line_number, order->order_id),
					 errdetail("The line's refundable balance is %s %s.",
							   FormatAmount(refundable, order->exponent), order->currency)));
	}

	if (note->gross > order->captured - order->refunded)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("credit note of %s exceeds the refundable balance of order \"%s\"",
						FormatAmount(note->gross, order->exponent), order->order_id),
				 errdetail("The order's refundable balance is %s %s (captured %s, refunded %s).",
						   FormatAmount(order->captured - order->refunded, order->exponent),
						   order->currency,
						   FormatAmount(order->captured, order->exponent),
						   FormatAmount(order->refunded, order->exponent))));
}

/* The payments, from the arrays of the first row of lines_and_payments. */
static void
LoadPayments(CreditNote *note)
{
	bool		isnull;
	Datum	   *ids;
	Datum	   *methods;
	bool	   *method_nulls;
	Datum	   *captured;
	Datum	   *refunded;

	note->npayments = 0;
	(void) Column(0, 9, &isnull);
	if (!isnull)
	{
		note->npayments = ArrayColumn(0, 9, TEXTOID, INT_MAX, &ids, NULL);
		if (ArrayColumn(0, 10, TEXTOID, INT_MAX, &methods, &method_nulls) != note->npayments ||
			ArrayColumn(0, 11, INT8OID, INT_MAX, &captured, NULL) != note->npayments ||
			ArrayColumn(0, 12, INT8OID, INT_MAX, &refunded, NULL) != note->npayments)
			elog(ERROR, "payment arrays of an order differ in length");
	}
	note->payments = palloc0(sizeof(RefundPayment) * Max(note->npayments, 1));
	for (int i = 0; i < note->npayments; i++)
	{
		RefundPayment *payment = &note->payments[i];

		payment->payment_id = TextDatumGetCString(ids[i]);
		payment->method = method_nulls[i] ? NULL : TextDatumGetCString(methods[i]);
		payment->captured = DatumGetInt64(captured[i]);
		payment->refunded = DatumGetInt64(refunded[i]);
		payment->taken = 0;
	}
}

/*
 * Allocates each line's gross over the payments in refund order, never
 * above a payment's captured minus refunded amount, and splits the line's
 * tax exactly over its allocations.
 */
static void
Allocate(CreditNote *note)
{
	for (int i = 0; i < note->request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		int64		left = line->gross;
		int64	   *part_gross;
		int64	   *part_tax;

		line->allocations = palloc0(sizeof(RefundAllocation) * Max(note->npayments, 1));
		line->nallocations = 0;
		for (int p = 0; p < note->npayments && left > 0; p++)
		{
			RefundPayment *payment = &note->payments[p];
			int64		available = payment->captured - payment->refunded - payment->taken;
			int64		take = Min(available, left);

			if (take <= 0)
				continue;
			line->allocations[line->nallocations].payment = p;
			line->allocations[line->nallocations].gross = take;
			line->nallocations++;
			payment->taken += take;
			left -= take;
		}
		if (left > 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("line %d exceeds the refundable balance of the payments of order \"%s\"",
							line->request->line_number, note->order.order_id),
					 errdetail("The payments can refund %s %s less than requested.",
							   FormatAmount(left, note->order.exponent), note->order.currency)));

		part_gross = palloc(sizeof(int64) * Max(line->nallocations, 1));
		part_tax = palloc(sizeof(int64) * Max(line->nallocations * line->ntaxes, 1));
		for (int a = 0; a < line->nallocations; a++)
			part_gross[a] = line->allocations[a].gross;
		if (!tax_split(line->gross, line->ntaxes, line->tax, line->nallocations, part_gross,
					   part_tax))
			elog(ERROR, "could not split the tax of line %d over its payments",
				 line->request->line_number);
		for (int a = 0; a < line->nallocations; a++)
			for (int j = 0; j < line->ntaxes; j++)
				line->allocations[a].tax[j] = part_tax[a * line->ntaxes + j];
	}
}

static void
ComputeTaxes(CreditNote *note)
{
	note->vat = 0;
	for (int i = 0; i < note->request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		TaxLine		state;

		state.gross = line->line_gross;
		state.refunded = line->line_refunded;
		state.ncomponents = line->ntaxes;
		state.component = line->tax_amount;
		state.component_refunded = line->tax_refunded;
		/* a failed refund given back can leave a state the strict rules cannot continue */
		if (!tax_apportion_refund(&state, line->gross, line->tax) &&
			!tax_apportion_recovering(&state, line->gross, line->tax))
			elog(ERROR, "tax state of line %d of order \"%s\" is inconsistent",
				 line->request->line_number, note->order.order_id);
		line->vat = 0;
		for (int j = 0; j < line->ntaxes; j++)
			line->vat += line->tax[j];
		note->vat += line->vat;
	}
}

/*
 * A credit note beyond its agent's limits (their own, else those of '*')
 * waits for approval: larger than max_amount, a line refunding more than
 * max_percent of its order line, or the agent's day total in the currency
 * above daily_amount.  It is still written and reserves its amounts; the
 * day total counts it either way.
 */
static void
CheckAgentLimits(CreditNote *note, bool write)
{
	AgentLimits *limits = &note->limits;
	const char *exceeded = NULL;

	if (!limits->exists)
		return;

	if (!limits->no_max_amount && note->gross > limits->max_amount)
		exceeded = "AMOUNTLIMIT";
	for (int i = 0; i < note->request->nlines && exceeded == NULL && !limits->no_max_percent; i++)
	{
		RefundLine *line = &note->lines[i];

		/* gross / line gross > max_percent / 100, exactly */
		if ((int128) line->gross * RATE_HUNDRED > (int128) limits->max_percent * line->line_gross)
			exceeded = "PERCENTLIMIT";
	}
	if (!limits->no_daily_amount)
	{
		Datum		values[4];
		bool		isnull;
		int64		total;

		values[0] = CStringGetTextDatum(note->request->user);
		values[1] = CStringGetTextDatum(note->order.currency);
		values[2] = TimestampTzGetDatum(note->created_at);
		values[3] = Int64GetDatum(note->gross);
		SpiExecute(write ? &add_to_day_total : &read_day_total, values, NULL, !write, 1);
		total = DatumGetInt64(Column(0, 1, &isnull));
		if (exceeded == NULL && total > limits->daily_amount)
			exceeded = "DAILYLIMIT";
	}

	if (exceeded != NULL)
	{
		note->status = CREDIT_NOTE_AWAITING_APPROVAL;
		note->status_reason = exceeded;
		note->payment_status = CREDIT_NOTE_AWAITING_APPROVAL;
	}
}

static void
WriteCreditNote(CreditNote *note)
{
	RefundRequest *request = note->request;
	Datum		number = CStringGetTextDatum(note->number);
	Datum		order_id = CStringGetTextDatum(note->order.order_id);

	{
		Datum		values[18];
		char		nulls[19] = "                  ";
		Datum	   *payment_ids = palloc(sizeof(Datum) * Max(note->npayments, 1));
		Datum	   *taken = palloc(sizeof(Datum) * Max(note->npayments, 1));
		int			ntaken = 0;

		for (int p = 0; p < note->npayments; p++)
		{
			if (note->payments[p].taken == 0)
				continue;
			payment_ids[ntaken] = CStringGetTextDatum(note->payments[p].payment_id);
			taken[ntaken] = Int64GetDatum(note->payments[p].taken);
			ntaken++;
		}

		values[0] = number;
		values[1] = order_id;
		values[2] = CStringGetTextDatum(note->order.sales_channel_id);
		values[3] = CStringGetTextDatum(note->refund_type);
		values[4] = CStringGetTextDatum(note->status);
		values[5] = CStringGetTextDatum(note->status_reason);
		values[6] = TimestampTzGetDatum(note->created_at);
		values[7] = TimestampTzGetDatum(request->requested_at);
		if (!request->has_requested_at)
			nulls[7] = 'n';
		values[8] = CStringGetTextDatum(request->user);
		values[9] = Int64GetDatum(note->gross);
		values[10] = Int64GetDatum(note->vat);
		values[11] = JsonbPGetDatum(request->custom_attributes);
		values[12] = PointerGetDatum(construct_array(payment_ids, ntaken, TEXTOID, -1, false,
													 TYPALIGN_INT));
		values[13] = PointerGetDatum(construct_array(taken, ntaken, INT8OID, 8, FLOAT8PASSBYVAL,
													 TYPALIGN_DOUBLE));
		values[14] = Int64GetDatum(note->event_id);
		values[15] = CStringGetTextDatum(REFUND_CREATED);
		values[16] = JsonbPGetDatum(note->document);
		values[17] = CStringGetTextDatum(request->rma != NULL ? request->rma : "");
		SpiExecute(&insert_credit_note, values, nulls, false, 0);
	}

	for (int i = 0; i < request->nlines; i++)
	{
		RefundLine *line = &note->lines[i];
		int64		cumulative[TAX_MAX_COMPONENTS];
		Datum	   *payment_ids = palloc(sizeof(Datum) * Max(line->nallocations, 1));
		int64	   *alloc_gross = palloc(sizeof(int64) * Max(line->nallocations, 1));
		int64	   *alloc_tax = palloc(sizeof(int64) * Max(line->nallocations * line->ntaxes, 1));
		Datum		values[15];

		for (int j = 0; j < line->ntaxes; j++)
			cumulative[j] = line->tax_refunded[j] + line->tax[j];
		for (int a = 0; a < line->nallocations; a++)
		{
			RefundAllocation *alloc = &line->allocations[a];

			payment_ids[a] = CStringGetTextDatum(note->payments[alloc->payment].payment_id);
			alloc_gross[a] = alloc->gross;
			for (int j = 0; j < line->ntaxes; j++)
				alloc_tax[a * line->ntaxes + j] = alloc->tax[j];
		}
		values[0] = number;
		values[1] = order_id;
		values[2] = Int32GetDatum(line->request->line_number);
		values[3] = Int64GetDatum(line->gross);
		values[4] = SpiInt8Array(line->tax, line->ntaxes);
		values[5] = Int64GetDatum(line->vat);
		values[6] = CStringGetTextDatum(line->request->reason);
		values[7] = SpiInt8Array(cumulative, line->ntaxes);
		values[8] = PointerGetDatum(construct_array(payment_ids, line->nallocations, TEXTOID, -1,
													false, TYPALIGN_INT));
		values[9] = SpiInt8Array(alloc_gross, line->nallocations);
		values[10] = CStringGetTextDatum(note->payment_status);
		values[11] = SpiInt8Array(alloc_tax, line->nallocations * line->ntaxes);
		values[12] = Int32GetDatum(line->ntaxes);
		values[13] = CStringGetTextDatum(line->request->reason_description);
		values[14] = Int32GetDatum(line->request->quantity);
		SpiExecute(&insert_line, values, NULL, false, 0);
	}
}

/*
 * Everything a credit note is before it is numbered and written: the
 * order read (and locked, unless previewing), the request checked against
 * it, the amounts, taxes and allocations computed.
 */
static CreditNote *
ComputeCreditNote(RefundRequest *request, bool lock)
{
	CreditNote *note = palloc0(sizeof(CreditNote));

	note->request = request;
	note->refund_type = request->is_return ? "Return" : "Appeasement";
	note->status = CREDIT_NOTE_RELEASED;
	note->status_reason = "RELEASESUCCESS";
	note->payment_status = "REFUNDED";
	note->created_at = GetCurrentTransactionStartTimestamp();

	LockOrder(note, lock);
	LoadLines(note);
	LoadPayments(note);
	CheckReasons(note);
	ComputeAmounts(note);
	CheckCaps(note);
	ComputeTaxes(note);
	Allocate(note);
	CheckAgentLimits(note, lock);
	return note;
}

CreditNote *
CreateCreditNote(RefundRequest *request)
{
	CreditNote *note = ComputeCreditNote(request, true);

	note->number = TakeCreditNoteNumber(note->order.sales_channel_id, note->series_prefix,
										note->series_counter, note->series_gapless);
	note->event_id = RefundEventNewId();
	note->document = RefundDocument(note);
	WriteCreditNote(note);
	RefundEventWritten(note->event_id, REFUND_CREATED, note->number, note->document);

	/* a refund receipt for the loyalty points; one awaiting approval takes them back once approved */
	if (note->loyalty_configured && note->order.customer_id != NULL &&
		strcmp(note->status, CREDIT_NOTE_AWAITING_APPROVAL) != 0)
		LoyaltyRecordReceipt(note->order.customer_id, note->number, note->created_at,
							 note->order.currency, 0, note->gross, !note->request->is_return);
	return note;
}

CreditNote *
PreviewCreditNote(RefundRequest *request)
{
	CreditNote *note = ComputeCreditNote(request, false);

	note->number = NULL;
	note->document = RefundDocument(note);
	return note;
}
