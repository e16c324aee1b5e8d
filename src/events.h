/*-------------------------------------------------------------------------
 *
 * events.h
 *	  Refund events: the outbox row written by a refund transaction, and
 *	  its notification on channel "refund_events", sent either inside that
 *	  transaction (inline mode) or by the publisher background worker after
 *	  commit (worker mode).
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_EVENTS_H
#define APPEASEMENT_EVENTS_H

#include "postgres.h"
#include "utils/jsonb.h"

/* Channel of every notification. */
#define REFUND_EVENTS_CHANNEL	"refund_events"

/* Notification payloads of this many bytes or more are sent truncated. */
#define REFUND_EVENT_PAYLOAD_LIMIT	8000

/*
 * Appends one event to appeasement.refund_events in the current
 * transaction and returns its event_id.  document is the refund document
 * ({"refund": {...}}) stored as the payload.  In inline mode the NOTIFY
 * is queued in the same transaction; in worker mode the publisher sends it
 * after commit.  The caller must be connected to SPI.
 */
extern int64 RefundEventAppend(const char *event_type,
							   const char *credit_note_number,
							   Jsonb *document);

/*
 * The same in two steps, for a caller that inserts the row itself within
 * a statement of its own: RefundEventNewId draws the event id (it must be
 * called in the transaction that inserts the row), and RefundEventWritten,
 * called once the row is inserted, queues the inline NOTIFY where that is
 * the mode.  The caller must be connected to SPI.
 */
extern int64 RefundEventNewId(void);
extern void RefundEventWritten(int64 event_id, const char *event_type,
							   const char *credit_note_number, Jsonb *document);

/*
 * Called from _PG_init: defines the appeasement.* GUCs of event delivery
 * and, when loaded through shared_preload_libraries, requests the shared
 * memory of the publisher and registers its background worker.
 */
extern void EventsInit(void);

#endif							/* APPEASEMENT_EVENTS_H */
