/*-------------------------------------------------------------------------
 *
 * receipts.c
 *	  Store receipts that never went through an order:
 *
 *	  appeasement.import_receipt(receipt jsonb) returns text	-- the receipt_id
 *
 * The receipt is validated whole before anything is written, with the
 * field readers register_order uses (json_fields.c), so a malformed
 * receipt is 22023 exactly where a malformed order would be.  Its lines
 * are signed: a positive total_line_amount is a sale, a negative one a
 * unit taken back (an exchange in store has both); zero is refused.
 *
 * A canonical form of the receipt is kept, so importing the same receipt
 * again is a no-op and other content under the same receipt_id is 23505.
 * Orders and credit notes are receipts too (the receipts view), under
 * their order_id and credit_note_number, so a new receipt whose id one of
 * them already uses is 23505 as well.  Orders registered and credit notes
 * numbered after the import are not checked against it: that would put a
 * lookup on the refund path.
 *
 * Locks: none taken explicitly.  Two sessions importing one receipt_id at
 * once are serialized by the primary key: INSERT ... ON CONFLICT waits for
 * the other to commit, then compares.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "json_fields.h"
#include "jsonb_build.h"
#include "loyalty.h"
#include "money_sql.h"
#include "spi_util.h"
#include "utc_time.h"

/* As many lines as an order may have. */
#define RECEIPT_MAX_LINES	10000

typedef struct ReceiptLineInput
{
	char	   *sku;
	int32		quantity;
	int64		amount;			/* signed, never 0 */
} ReceiptLineInput;

typedef struct ReceiptInput
{
	char	   *receipt_id;
	char	   *customer_id;
	char	   *store_id;
	char	   *currency;
	int			exponent;
	TimestampTz issued_at;
	int			nlines;
	ReceiptLineInput *lines;
} ReceiptInput;

static SpiStatement receipt_id_taken = {
	"SELECT EXISTS (SELECT FROM appeasement.orders WHERE order_id = $1),"
	"       EXISTS (SELECT FROM appeasement.issued_credit_notes WHERE credit_note_number = $1)",
	1, {TEXTOID}
};

static SpiStatement insert_receipt = {
	"INSERT INTO appeasement.imported_receipts (receipt_id, customer_id, store_id, issued_at,"
	" currency, document) VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (receipt_id) DO NOTHING",
	6, {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, JSONBOID}
};

static SpiStatement same_receipt = {
	"SELECT document OPERATOR(pg_catalog.=) $2 AND issued_at OPERATOR(pg_catalog.=) $3"
	"  FROM appeasement.imported_receipts WHERE receipt_id = $1",
	3, {TEXTOID, JSONBOID, TIMESTAMPTZOID}
};

static SpiStatement insert_receipt_line = {
	"INSERT INTO appeasement.imported_receipt_lines (receipt_id, position, sku, quantity, amount)"
	" VALUES ($1, $2, $3, $4, $5)",
	5, {TEXTOID, INT4OID, TEXTOID, INT4OID, INT8OID}
};

static void
ReportBadReceipt(const char *message, const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errdetail("The offending field is \"%s\".", field)));
}

static void
ParseReceiptLine(JsonObject line_obj, int exponent, ReceiptLineInput *line)
{
	line->sku = JsonGetString(line_obj, "sku", false, false);
	/* units sold or taken back: the sign is the amount's */
	if (!JsonGetInt32(line_obj, "quantity", 1, PG_INT32_MAX, &line->quantity))
		line->quantity = 1;
	if (!JsonGetAmount(line_obj, "total_line_amount", exponent, &line->amount))
		ReportBadReceipt("every receipt line needs a total_line_amount",
						 JsonFieldPath(line_obj.path, "total_line_amount"));
	if (line->amount == 0)
		ReportBadReceipt("a receipt line's total_line_amount must not be zero",
						 JsonFieldPath(line_obj.path, "total_line_amount"));
}

static void
ParseReceipt(Jsonb *document, ReceiptInput *receipt)
{
	JsonObject	root = JsonRootObject(document, "receipt");
	JsonArray	lines;
	int64		total = 0;

	receipt->receipt_id = JsonGetScalarText(root, "receipt_id", true);
	if (receipt->receipt_id[0] == '\0')
		ReportBadReceipt("receipt_id must not be empty", "receipt_id");
	/* a receipt is the customer's: loyalty has nobody to credit without one */
	receipt->customer_id = JsonGetScalarText(root, "customer_id", true);
	if (receipt->customer_id[0] == '\0')
		ReportBadReceipt("customer_id must not be empty", "customer_id");
	receipt->store_id = JsonGetScalarText(root, "store_id", false);
	receipt->currency = JsonGetString(root, "currency", true, false);
	receipt->exponent = CurrencyExponent(receipt->currency, "currency");
	if (!JsonGetTimestamp(root, "issued_at", &receipt->issued_at))
		ReportBadReceipt("a receipt needs issued_at", "issued_at");

	if (!JsonGetArray(root, "lines", &lines))
		ReportBadReceipt("a receipt needs lines", "lines");
	if (lines.size < 1 || lines.size > RECEIPT_MAX_LINES)
		ReportBadReceipt(psprintf("a receipt has between 1 and %d lines", RECEIPT_MAX_LINES),
						 "lines");
	receipt->nlines = lines.size;
	receipt->lines = palloc0(sizeof(ReceiptLineInput) * lines.size);
	for (int i = 0; i < lines.size; i++)
	{
		ParseReceiptLine(JsonArrayObject(lines, i), receipt->exponent, &receipt->lines[i]);
		/* the receipts view sums the lines: the total must be an amount too */
		total = AddAmounts(total, receipt->lines[i].amount, "receipt total");
	}
}

/*
 * The receipt as imported, with every amount in the currency's digits and
 * the default quantity written out, so that two documents with the same
 * meaning compare equal ("20" and 20.00 are one amount).  issued_at is
 * written to the second for a reader; the comparison uses the column.
 */
static Jsonb *
CanonicalReceipt(ReceiptInput *receipt)
{
	JsonbParseState *state = NULL;

	JbBeginObject(&state);
	JbKeyString(&state, "receipt_id", receipt->receipt_id);
	JbKeyString(&state, "customer_id", receipt->customer_id);
	JbKeyString(&state, "store_id", receipt->store_id);
	JbKeyString(&state, "currency", receipt->currency);
	JbKeyString(&state, "issued_at", FormatUtcTimestamp(receipt->issued_at));
	JbKey(&state, "lines");
	JbBeginArray(&state);
	for (int i = 0; i < receipt->nlines; i++)
	{
		ReceiptLineInput *line = &receipt->lines[i];

		JbBeginObject(&state);
		JbKeyString(&state, "sku", line->sku);
		JbKeyString(&state, "quantity", psprintf("%d", line->quantity));
		JbKeyString(&state, "total_line_amount", FormatAmount(line->amount, receipt->exponent));
		JbEnd(&state, true);
	}
	JbEnd(&state, false);
	return JsonbValueToJsonb(JbEnd(&state, true));
}

static void
CheckReceiptIdFree(Datum receipt_id, const char *receipt_id_text)
{
	bool		isnull;

	SpiExecute(&receipt_id_taken, &receipt_id, NULL, false, 1);
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("receipt_id \"%s\" is the order_id of a registered order", receipt_id_text),
				 errhint("An order is a receipt under its order_id; give store receipts ids of their own.")));
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("receipt_id \"%s\" is the number of a credit note", receipt_id_text),
				 errhint("A credit note is a receipt under its credit_note_number; give store receipts ids of their own.")));
}

static void
InsertReceiptLines(ReceiptInput *receipt, Datum receipt_id)
{
	for (int i = 0; i < receipt->nlines; i++)
	{
		ReceiptLineInput *line = &receipt->lines[i];
		Datum		values[5];
		char		nulls[6] = "     ";

		values[0] = receipt_id;
		values[1] = Int32GetDatum(i + 1);
		values[2] = SpiNullableText(line->sku, &nulls[2]);
		values[3] = Int32GetDatum(line->quantity);
		values[4] = Int64GetDatum(line->amount);
		SpiExecute(&insert_receipt_line, values, nulls, false, 0);
	}
}

PG_FUNCTION_INFO_V1(import_receipt);
Datum
import_receipt(PG_FUNCTION_ARGS)
{
	Jsonb	   *document = PG_GETARG_JSONB_P(0);
	ReceiptInput receipt;
	Jsonb	   *canonical;
	Datum		values[6];
	char		nulls[7] = "      ";

	ParseReceipt(document, &receipt);
	canonical = CanonicalReceipt(&receipt);

	SPI_connect();

	values[0] = CStringGetTextDatum(receipt.receipt_id);
	values[1] = CStringGetTextDatum(receipt.customer_id);
	values[2] = SpiNullableText(receipt.store_id, &nulls[2]);
	values[3] = TimestampTzGetDatum(receipt.issued_at);
	values[4] = CStringGetTextDatum(receipt.currency);
	values[5] = JsonbPGetDatum(canonical);

	SpiExecute(&insert_receipt, values, nulls, false, 0);

	if (SPI_processed == 0)
	{
		Datum		args[3] = {values[0], values[5], values[3]};
		bool		isnull;
		bool		same;

		SpiExecute(&same_receipt, args, NULL, false, 1);
		same = SPI_processed == 1 &&
			DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("receipt \"%s\" is already imported with other content",
							receipt.receipt_id),
					 errhint("Receipts are immutable; a correction is a receipt of its own.")));
	}
	else
	{
		/* only a new receipt: a retry stays a no-op whatever came since */
		int64		earned = 0;
		int64		taken_back = 0;

		CheckReceiptIdFree(values[0], receipt.receipt_id);
		InsertReceiptLines(&receipt, values[0]);

		/* its positive lines earn loyalty points, its negative ones take them back */
		for (int i = 0; i < receipt.nlines; i++)
		{
			if (receipt.lines[i].amount > 0)
				earned = AddAmounts(earned, receipt.lines[i].amount, "receipt purchases");
			else
				taken_back = AddAmounts(taken_back, -receipt.lines[i].amount, "receipt refunds");
		}
		LoyaltyRecordReceipt(receipt.customer_id, receipt.receipt_id, receipt.issued_at,
							 receipt.currency, earned, taken_back, false);
	}

	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(receipt.receipt_id));
}
