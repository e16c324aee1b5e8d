/*-------------------------------------------------------------------------
 *
 * refund.h
 *	  A refund request, the state it is checked against, and the credit
 *	  note it becomes.
 *
 * refund_request.c reads a request, refund_engine.c checks it against the
 * order under the order's row lock and writes the credit note, and
 * refund_document.c turns the credit note into the refund document that
 * is returned and published.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_REFUND_H
#define APPEASEMENT_REFUND_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "tax.h"

/* Most lines one request may refund. */
#define REFUND_MAX_LINES	1000

/* One line of a request, as given; amounts are parsed once the currency is known. */
typedef struct RefundLineRequest
{
	const char *path;			/* "lines[0]", for messages */
	int32		line_number;
	char	   *order_item_id;	/* the request's "id", or NULL */
	char	   *amount_text;	/* appeasements: exactly one of amount_text and */
	char	   *percent_text;	/* percent_text; returns: amount_text or neither */
	int32		quantity;		/* units returned; 0 for an appeasement */
	char	   *reason;
	char	   *reason_description;
} RefundLineRequest;

typedef struct RefundRequest
{
	bool		is_return;		/* create_return_refund rather than an appeasement */
	char	   *rma;			/* returns: the return authorisation */
	char	   *order_id;
	char	   *sales_channel_id;	/* NULL: the order's */
	char	   *user;
	bool		has_requested_at;
	TimestampTz requested_at;	/* the request's credit_note_date */
	Jsonb	   *custom_attributes;	/* an array, [] when absent */
	char	   *idempotency_key;	/* or NULL */
	Jsonb	   *keyed_request;	/* the request as compared for a retry */
	int			nlines;
	RefundLineRequest *lines;
} RefundRequest;

/* The order as locked for the refund. */
typedef struct RefundOrder
{
	char	   *order_id;
	char	   *sales_channel_id;
	char	   *store_id;
	char	   *customer_id;	/* or NULL */
	char	   *currency;
	int			exponent;
	int64		captured;
	int64		refunded;
} RefundOrder;

typedef struct RefundPayment
{
	char	   *payment_id;
	char	   *method;
	int64		captured;
	int64		refunded;
	int64		taken;			/* allocated to this credit note */
} RefundPayment;

/* The part of a credit-note line paid back to one payment. */
typedef struct RefundAllocation
{
	int			payment;		/* index into the payments */
	int64		gross;
	int64		tax[TAX_MAX_COMPONENTS];
} RefundAllocation;

/* A credit-note line, with the order line's state it was computed from. */
typedef struct RefundLine
{
	RefundLineRequest *request;
	char	   *order_item_id;
	char	   *kind;			/* product, virtual or shipping */
	int32		line_quantity;	/* units bought */
	int32		line_returned;	/* units returned so far */
	int64		line_gross;
	int64		line_refunded;
	int			ntaxes;
	char	   *tax_type[TAX_MAX_COMPONENTS];
	char	   *tax_rate_text[TAX_MAX_COMPONENTS];
	int64		tax_rate[TAX_MAX_COMPONENTS];
	int64		tax_amount[TAX_MAX_COMPONENTS];
	int64		tax_refunded[TAX_MAX_COMPONENTS];

	/* computed */
	int64		gross;
	int64		tax[TAX_MAX_COMPONENTS];
	int64		vat;
	int			nallocations;
	RefundAllocation *allocations;
} RefundLine;

/* The limits of the requesting agent in the order's currency (agent_limits). */
typedef struct AgentLimits
{
	bool		exists;			/* the agent's row, or the row of '*' */
	bool		no_max_amount;
	int64		max_amount;
	bool		no_max_percent;
	int64		max_percent;	/* scaled by RATE_ONE */
	bool		no_daily_amount;
	int64		daily_amount;
} AgentLimits;

typedef struct CreditNote
{
	RefundRequest *request;
	RefundOrder order;
	int			npayments;
	RefundPayment *payments;
	RefundLine *lines;			/* request->nlines of them */
	char	   *series_prefix;	/* credit-note series of the order's channel */
	Oid			series_counter;
	bool		series_gapless;
	bool		require_known_reason;	/* the channel's setting */
	AgentLimits limits;
	bool		loyalty_configured; /* the loyalty programme is */
	char	   *number;			/* NULL in a preview */
	int64		event_id;		/* its refund.created event */
	Jsonb	   *document;		/* the refund document */
	const char *refund_type;	/* "Appeasement" or "Return" */
	const char *status;			/* "RELEASED", or as the channel and limits say */
	const char *status_reason;	/* "RELEASESUCCESS" */
	const char *payment_status; /* "REFUNDED" */
	TimestampTz created_at;
	int64		gross;
	int64		vat;
} CreditNote;

/* refund_request.c */
extern RefundRequest *ParseRefundRequest(Jsonb *request, bool is_return);

/* Event types of a credit note: created, and a later status change. */
#define REFUND_CREATED		"refund.created"
#define REFUND_UPDATED		"refund.updated"

/* Statuses of a credit note (with their reason codes). */
#define CREDIT_NOTE_RELEASED	"RELEASED"		/* RELEASESUCCESS */
#define CREDIT_NOTE_PENDING		"PENDINGRELEASE"	/* REQUESTED */
#define CREDIT_NOTE_FAILED		"FAILED"		/* RELEASEFAILED */
#define CREDIT_NOTE_AWAITING_APPROVAL	"AWAITING_APPROVAL" /* the limit exceeded */
#define CREDIT_NOTE_REJECTED	"REJECTED"		/* REJECTED */

/*
 * refund_engine.c: checks, numbers and writes the credit note and its
 * event, and builds its document; SPI connected.
 */
extern CreditNote *CreateCreditNote(RefundRequest *request);

/* The same credit note as it would be created now, unnumbered, writing nothing. */
extern CreditNote *PreviewCreditNote(RefundRequest *request);

/* refund_document.c */
extern Jsonb *RefundDocument(CreditNote *note);

/*
 * idempotency.c: IdempotencyClaim returns the document of the credit note
 * an earlier call with the same key and request created (NULL when this
 * call is the first and now holds the key); IdempotencyLookup does the
 * same without claiming (for a preview); IdempotencyRecord stores the
 * credit note this call created.  SPI connected.
 */
extern Jsonb *IdempotencyClaim(RefundRequest *request);
extern Jsonb *IdempotencyLookup(RefundRequest *request);
extern void IdempotencyRecord(RefundRequest *request, CreditNote *note);

#endif							/* APPEASEMENT_REFUND_H */
