/*-------------------------------------------------------------------------
 *
 * events_internal.h
 *	  What the files of event delivery share among themselves: the GUCs,
 *	  the shared-memory protocol that orders event ids for the publisher,
 *	  the payload builder and the publisher worker's entry point.
 *
 *	  events_guc.c		GUCs, notify mode, EventsInit
 *	  events_shmem.c	shared memory, event id slots, horizon, wakeup
 *	  event_outbox.c	RefundEventAppend, payloads, refund_events_after
 *	  publisher.c		the background worker, publisher_status
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_EVENTS_INTERNAL_H
#define APPEASEMENT_EVENTS_INTERNAL_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

/* Values of appeasement.notify_mode. */
typedef enum EventsNotifyMode
{
	EVENTS_NOTIFY_AUTO,
	EVENTS_NOTIFY_WORKER,
	EVENTS_NOTIFY_INLINE
} EventsNotifyMode;

/* GUCs (events_guc.c) */
extern char *events_database;
extern int	events_notify_mode;
extern int	publisher_batch_size;
extern int	publisher_naptime;
extern int	publisher_delay;

/* events_guc.c */
extern bool EventsServesCurrentDatabase(void);
extern EventsNotifyMode EventsEffectiveMode(void);

/* events_shmem.c */
extern void EventsShmemInit(void);
extern bool EventsShmemAttached(void);
extern void EventsBeginAllocation(Oid seq_relid);
extern void EventsEndAllocation(int64 event_id);
extern int64 EventsHorizon(void);
extern void EventsRaiseAllocatedMax(Oid seq_relid, int64 event_id);
extern bool EventsSequenceKnown(Oid seq_relid);
extern void EventsSetPublisher(bool running);
extern int	EventsPublisherPid(void);

/* event_outbox.c */
extern Oid	RefundEventSequence(void);
extern void EventsRestoreAllocatedMax(void);
extern char *RefundEventPayload(int64 event_id, const char *event_type,
								const char *credit_note_number,
								Jsonb *document);

/* publisher.c */
extern void PublisherRegister(void);
extern PGDLLEXPORT void PublisherMain(Datum main_arg);

#endif							/* APPEASEMENT_EVENTS_INTERNAL_H */
