/*-------------------------------------------------------------------------
 *
 * loyalty.c
 *	  Moving the loyalty points of a receipt in the transaction that
 *	  records it: a registered order with a customer (a purchase receipt),
 *	  a credit note of such an order (a refund receipt), an imported store
 *	  receipt.
 *
 * The ledger is SQL (loyalty_record_receipt, in the install script); it
 * locks the member's loyalty_accounts row, so two receipts of one member
 * move points one after the other and a balance never goes below zero.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "loyalty.h"
#include "spi_util.h"

static SpiStatement record_receipt = {
	"SELECT appeasement.loyalty_record_receipt($1, $2, $3, $4, $5, $6, $7)",
	7, {TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, INT8OID, INT8OID, BOOLOID}
};

static SpiStatement take_back_credit_note = {
	"SELECT appeasement.loyalty_record_receipt(o.customer_id, c.credit_note_number, $2, o.currency,"
	"                                          0, c.gross, c.refund_type = 'Appeasement')"
	"  FROM appeasement.issued_credit_notes c"
	"  JOIN appeasement.orders o ON o.order_id = c.order_id"
	" WHERE c.credit_note_number = $1 AND o.customer_id IS NOT NULL",
	2, {TEXTOID, TIMESTAMPTZOID}
};

static SpiStatement refund_failed = {
	"SELECT appeasement.loyalty_refund_failed($1)",
	1, {TEXTOID}
};

void
LoyaltyRecordReceipt(const char *customer_id, const char *receipt_id, TimestampTz issued_at,
					 const char *currency, int64 earned, int64 taken_back, bool is_appeasement)
{
	Datum		values[7];

	if (customer_id == NULL)
		return;
	values[0] = CStringGetTextDatum(customer_id);
	values[1] = CStringGetTextDatum(receipt_id);
	values[2] = TimestampTzGetDatum(issued_at);
	values[3] = CStringGetTextDatum(currency);
	values[4] = Int64GetDatum(earned);
	values[5] = Int64GetDatum(taken_back);
	values[6] = BoolGetDatum(is_appeasement);
	SpiExecute(&record_receipt, values, NULL, false, 0);
}

void
LoyaltyTakeBackCreditNote(const char *credit_note_number)
{
	Datum		values[2];

	values[0] = CStringGetTextDatum(credit_note_number);
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	SpiExecute(&take_back_credit_note, values, NULL, false, 0);
}

void
LoyaltyRefundFailed(const char *credit_note_number)
{
	Datum		value = CStringGetTextDatum(credit_note_number);

	SpiExecute(&refund_failed, &value, NULL, false, 0);
}
