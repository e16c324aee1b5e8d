/*-------------------------------------------------------------------------
 *
 * loyalty.h
 *	  The loyalty points of receipts, moved in the transaction that
 *	  records them (the ledger itself is SQL: loyalty_record_receipt).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_LOYALTY_H
#define APPEASEMENT_LOYALTY_H

#include "postgres.h"
#include "utils/timestamp.h"

/*
 * Earns the points of a receipt's positive lines (earned) and takes back
 * those of its negative lines (taken_back, as a positive amount), both in
 * minor units of the currency.  Nothing happens until the programme is
 * configured or when there is no customer.  SPI connected.
 */
extern void LoyaltyRecordReceipt(const char *customer_id, const char *receipt_id,
								 TimestampTz issued_at, const char *currency, int64 earned,
								 int64 taken_back, bool is_appeasement);

/* Takes back the points of an issued credit note now (an approved one).  SPI connected. */
extern void LoyaltyTakeBackCreditNote(const char *credit_note_number);

/*
 * Reinstates the points a credit note took back beyond what its payments
 * refunded, once amounts of it were given back.  SPI connected.
 */
extern void LoyaltyRefundFailed(const char *credit_note_number);

#endif							/* APPEASEMENT_LOYALTY_H */
