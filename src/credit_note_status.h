/*-------------------------------------------------------------------------
 *
 * credit_note_status.h
 *	  Moving an issued credit note through its statuses: the lock, the
 *	  status history, the amounts given back, the refund.updated event.
 *
 * Used by the payment provider's answers (refund_result.c) and by the
 * approvals (approval.c).  Every function needs SPI connected.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_CREDIT_NOTE_STATUS_H
#define APPEASEMENT_CREDIT_NOTE_STATUS_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/jsonb.h"

/* What a status change needs to know of the credit note, read under its order's lock. */
typedef struct IssuedCreditNote
{
	char	   *number;
	char	   *order_id;
	char	   *sales_channel_id;
	char	   *user;			/* the agent who created it */
	char	   *currency;
	char	   *status;
	char	   *status_reason;
	int64		gross;
} IssuedCreditNote;

/*
 * Locks the order of a credit note (FOR UPDATE, as every change of an
 * order's balances does) and reads the credit note again under that lock.
 * P0002 when there is no such credit note.
 */
extern IssuedCreditNote *LockIssuedCreditNote(const char *number);

/* Sets the status of the credit note's allocations to one payment, or to all when payment_id is NULL. */
extern void SetAllocationStatus(const char *number, const char *payment_id, const char *status);

/*
 * Gives the amounts of the credit note's allocations to one payment (all
 * when payment_id is NULL) back to the line, payment and order balances
 * and to its agent's day total, through compensating records, and the
 * loyalty points they took back to the member.
 */
extern void GiveBackAllocations(IssuedCreditNote *note, const char *payment_id);

/* Appends the change to the status history and sets the credit note's status. */
extern void ChangeCreditNoteStatus(IssuedCreditNote *note, const char *status,
								   const char *status_reason, const char *who, const char *why);

/*
 * Publishes the credit note's document in its current status as a
 * refund.updated event and returns it, allocated in the caller's memory
 * context of before SPI_connect (upper executor context).
 */
extern Jsonb *PublishCreditNoteUpdate(IssuedCreditNote *note);

/* A text argument that must not be null. */
extern char *RequiredTextArg(FunctionCallInfo fcinfo, int arg, const char *name);

/* A text argument that may be null, at most JSON_TEXT_MAX bytes. */
extern char *OptionalTextArg(FunctionCallInfo fcinfo, int arg, const char *name);

#endif							/* APPEASEMENT_CREDIT_NOTE_STATUS_H */
