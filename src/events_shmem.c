/*-------------------------------------------------------------------------
 *
 * events_shmem.c
 *	  Shared memory of event delivery: which event ids are settled, and the
 *	  publisher's latch.
 *
 * Event ids come from the sequence appeasement.refund_events_event_id_seq,
 * so the transactions that draw them may commit in another order than the
 * ids.  The publisher must never notify an id while a smaller one may still
 * commit.  It reads a horizon H: every id below H is settled (committed and
 * visible to a snapshot taken after H was read, or never to commit).
 *
 *	- allocated_max is the largest id whose nextval has completed;
 *	- each backend has a slot (floor, active).  Before its first nextval in
 *	  a top-level transaction a backend sets floor = allocated_max + 1 and
 *	  active; after each nextval it raises allocated_max; when the
 *	  transaction ends (after it is visible to new snapshots) the slot is
 *	  cleared and the publisher woken;
 *	- H = allocated_max + 1, lowered to the floor of every active slot.
 *
 * Why: a backend that set its slot before H was read has floor <= its ids,
 * so none of them is below H while it is active; one that set its slot
 * after the read draws ids after the read, and the sequence is monotone, so
 * they exceed every id counted in allocated_max at the read.  Any other id
 * below H belongs to a transaction that had ended before the read.
 *
 * The state is keyed by the sequence's OID: if the extension is dropped and
 * created again, the new sequence starts afresh and allocated_max with it.
 * After a restart shared memory starts empty; until an id is drawn, the
 * publisher and refund_events_after raise allocated_max to the sequence's
 * last value (EventsRestoreAllocatedMax), or the horizon would stay at 1.
 *
 * Locks: one spinlock, held for a few instructions on each slot change and
 * while the horizon scans the active slots (one per backend).  Nothing else.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

#if PG_VERSION_NUM < 150000
#include "postmaster/autovacuum.h"
#include "replication/walsender.h"
#endif
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#else
#include "storage/backendid.h"
#endif

#include "events_internal.h"

typedef struct EventSlot
{
	int64		floor;			/* no id of the open transaction is below */
	bool		active;			/* the transaction has drawn an event id */
} EventSlot;

typedef struct EventsShared
{
	slock_t		mutex;
	Oid			seq_relid;		/* sequence allocated_max counts */
	int64		allocated_max;	/* largest id whose nextval has completed */
	int			nactive;		/* active slots */
	Latch	   *publisher_latch;	/* NULL while no publisher runs */
	int			publisher_pid;
	int			nslots;
	EventSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} EventsShared;

static EventsShared *events_shared = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* This backend's slot, and whether it is active in the current transaction. */
static EventSlot *my_slot = NULL;
static bool my_slot_active = false;
static bool xact_callback_registered = false;

static void EventsXactCallback(XactEvent event, void *arg);

/*
 * One slot per process that can run a transaction.  MaxBackends is known
 * when shmem_request_hook runs (15 and later); before 15 it is computed
 * after _PG_init, from the same settings.
 */
static int
EventsSlotCount(void)
{
#if PG_VERSION_NUM >= 150000
	return MaxBackends;
#else
	return MaxConnections + autovacuum_max_workers + 1 +
		max_worker_processes + max_wal_senders;
#endif
}

static Size
EventsShmemSize(void)
{
	return add_size(offsetof(EventsShared, slots),
					mul_size(EventsSlotCount(), sizeof(EventSlot)));
}

#if PG_VERSION_NUM >= 150000
static void
EventsShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(EventsShmemSize());
}
#endif

static void
EventsShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	events_shared = ShmemInitStruct("appeasement refund events",
									EventsShmemSize(), &found);
	if (!found)
	{
		SpinLockInit(&events_shared->mutex);
		events_shared->seq_relid = InvalidOid;
		events_shared->allocated_max = 0;
		events_shared->nactive = 0;
		events_shared->publisher_latch = NULL;
		events_shared->publisher_pid = 0;
		events_shared->nslots = EventsSlotCount();
		memset(events_shared->slots, 0,
			   sizeof(EventSlot) * events_shared->nslots);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Called from EventsInit while shared_preload_libraries is processed.
 */
void
EventsShmemInit(void)
{
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = EventsShmemRequest;
#else
	RequestAddinShmemSpace(EventsShmemSize());
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = EventsShmemStartup;
}

bool
EventsShmemAttached(void)
{
	return events_shared != NULL;
}

/*
 * Starts the drawing of one event id from sequence seq_relid in this
 * top-level transaction: activates this backend's slot the first time.
 * The caller then calls nextval and EventsEndAllocation.
 */
void
EventsBeginAllocation(Oid seq_relid)
{
	int			index;

	Assert(events_shared != NULL);

	if (!xact_callback_registered)
	{
		RegisterXactCallback(EventsXactCallback, NULL);
		xact_callback_registered = true;
	}

	if (my_slot == NULL)
	{
#if PG_VERSION_NUM >= 170000
		index = MyProcNumber;
#else
		index = MyBackendId - 1;
#endif
		if (index < 0 || index >= events_shared->nslots)
			elog(ERROR, "process number %d has no refund event slot (%d slots)",
				 index, events_shared->nslots);
		my_slot = &events_shared->slots[index];
	}

	SpinLockAcquire(&events_shared->mutex);
	if (events_shared->seq_relid != seq_relid)
	{
		/* a new sequence (extension created again): count from its start */
		events_shared->seq_relid = seq_relid;
		events_shared->allocated_max = 0;
	}
	if (!my_slot_active)
	{
		my_slot->floor = events_shared->allocated_max + 1;
		my_slot->active = true;
		events_shared->nactive++;
	}
	else if (my_slot->floor > events_shared->allocated_max + 1)
	{
		/* only after a reset above: keep floor <= every id still to come */
		my_slot->floor = events_shared->allocated_max + 1;
	}
	SpinLockRelease(&events_shared->mutex);

	my_slot_active = true;
}

/*
 * Records that nextval returned event_id.
 */
void
EventsEndAllocation(int64 event_id)
{
	Assert(events_shared != NULL && my_slot_active);

	SpinLockAcquire(&events_shared->mutex);
	if (event_id > events_shared->allocated_max)
		events_shared->allocated_max = event_id;
	SpinLockRelease(&events_shared->mutex);
}

/*
 * Clears this backend's slot at the end of its transaction and wakes the
 * publisher: the events may be ready, or events of other transactions that
 * this one held back.  Runs after commit, so it must not fail.
 */
static void
EventsReleaseSlot(void)
{
	Latch	   *latch;

	SpinLockAcquire(&events_shared->mutex);
	my_slot->active = false;
	events_shared->nactive--;
	latch = events_shared->publisher_latch;
	SpinLockRelease(&events_shared->mutex);

	my_slot_active = false;

	if (latch != NULL)
		SetLatch(latch);
}

static void
EventsXactCallback(XactEvent event, void *arg)
{
	if (!my_slot_active)
		return;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot PREPARE a transaction that has created refund events")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			EventsReleaseSlot();
			break;
		default:
			break;
	}
}

/*
 * The horizon: every event id below it is settled.  Take the snapshot that
 * reads the events after calling this.
 */
int64
EventsHorizon(void)
{
	int64		horizon;

	Assert(events_shared != NULL);

	SpinLockAcquire(&events_shared->mutex);
	horizon = events_shared->allocated_max + 1;
	if (events_shared->nactive > 0)
	{
		for (int i = 0; i < events_shared->nslots; i++)
		{
			if (events_shared->slots[i].active &&
				events_shared->slots[i].floor < horizon)
				horizon = events_shared->slots[i].floor;
		}
	}
	SpinLockRelease(&events_shared->mutex);

	return horizon;
}

/*
 * Raises allocated_max to the last value the sequence seq_relid has handed
 * out, read just before: ids up to it were drawn by transactions that have
 * ended (a restart ended those of the previous server) or that hold an
 * active slot.  Safe at any time.
 */
void
EventsRaiseAllocatedMax(Oid seq_relid, int64 event_id)
{
	Assert(events_shared != NULL);

	SpinLockAcquire(&events_shared->mutex);
	if (events_shared->seq_relid != seq_relid)
	{
		events_shared->seq_relid = seq_relid;
		events_shared->allocated_max = event_id;
	}
	else if (event_id > events_shared->allocated_max)
		events_shared->allocated_max = event_id;
	SpinLockRelease(&events_shared->mutex);
}

/*
 * Whether allocated_max counts sequence seq_relid: false in fresh shared
 * memory (after a restart) until an id is drawn or the last value raised.
 */
bool
EventsSequenceKnown(Oid seq_relid)
{
	bool		known;

	Assert(events_shared != NULL);

	SpinLockAcquire(&events_shared->mutex);
	known = (events_shared->seq_relid == seq_relid);
	SpinLockRelease(&events_shared->mutex);

	return known;
}

/*
 * The publisher announces itself (running) or leaves.
 */
void
EventsSetPublisher(bool running)
{
	Assert(events_shared != NULL);

	SpinLockAcquire(&events_shared->mutex);
	events_shared->publisher_latch = running ? MyLatch : NULL;
	events_shared->publisher_pid = running ? MyProcPid : 0;
	SpinLockRelease(&events_shared->mutex);
}

/* pid of the running publisher, or 0 */
int
EventsPublisherPid(void)
{
	int			pid;

	if (events_shared == NULL)
		return 0;

	SpinLockAcquire(&events_shared->mutex);
	pid = events_shared->publisher_pid;
	SpinLockRelease(&events_shared->mutex);

	return pid;
}
