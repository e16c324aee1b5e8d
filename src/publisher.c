/*-------------------------------------------------------------------------
 *
 * publisher.c
 *	  The publisher background worker, which sends the NOTIFY of every
 *	  refund event of the database appeasement.database after its
 *	  transaction commits, in event_id order, and publisher_status().
 *
 * Refund transactions in that database only write their outbox row and
 * wake the publisher at commit (events_shmem.c), so they do not take the
 * cluster-wide lock a notifying transaction holds through its commit.
 *
 * One round, in one transaction:
 *	- read the horizon H (every id below it is settled), then take the
 *	  snapshots that read the events;
 *	- lock the highest publisher_state row and read last_event_id;
 *	- notify the events last_event_id < event_id < H in event_id order, at
 *	  most appeasement.publisher_batch_size, except those their own
 *	  transaction notified (refund_events_sent_inline);
 *	- move last_event_id to the last one and commit.
 * The notifications and the cursor commit together: a restart, clean or
 * after a crash, neither loses nor repeats one.  A full batch starts the
 * next round at once; otherwise the worker sleeps until a refund
 * transaction wakes it (and then lets appeasement.publisher_delay pass, so
 * that the commits of those milliseconds share the batch), or
 * appeasement.publisher_naptime passes.
 *
 * An error ends the process; the postmaster starts it again after a second.
 *
 * Locks: per round, RowShareLock + the tuple lock of the publisher_state
 * row (FOR UPDATE), AccessShareLock on refund_events, RowExclusiveLock on
 * publisher_state and refund_events_sent_inline, the cluster-wide NOTIFY
 * lock during its commit; the events spinlock to read the horizon.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/snapmgr.h"

#include "events.h"
#include "events_internal.h"
#include "spi_util.h"

static SpiStatement extension_installed = {
	"SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'appeasement'",
	0, {InvalidOid}
};

/*
 * The position is the highest row of publisher_state: a dump restored into
 * a fresh installation adds its row beside the installation's 0, and the
 * next move keeps only one.
 */
static SpiStatement lock_state = {
	"SELECT last_event_id FROM appeasement.publisher_state"
	" ORDER BY last_event_id DESC LIMIT 1 FOR UPDATE",
	0, {InvalidOid}
};

static SpiStatement next_batch = {
	"SELECT e.event_id, e.event_type, e.credit_note_number, e.payload,"
	"       i.event_id IS NOT NULL"
	"  FROM appeasement.refund_events e"
	"  LEFT JOIN appeasement.refund_events_sent_inline i ON i.event_id = e.event_id"
	" WHERE e.event_id > $1 AND e.event_id < $2"
	" ORDER BY e.event_id LIMIT $3",
	3, {INT8OID, INT8OID, INT8OID}
};

static SpiStatement move_cursor = {
	"WITH old AS (DELETE FROM appeasement.publisher_state)"
	" INSERT INTO appeasement.publisher_state (last_event_id, published_at)"
	" VALUES ($1, pg_catalog.now())",
	1, {INT8OID}
};

static SpiStatement forget_sent_inline = {
	"DELETE FROM appeasement.refund_events_sent_inline WHERE event_id <= $1",
	1, {INT8OID}
};

static SpiStatement state_last_event_id = {
	"SELECT max(last_event_id) FROM appeasement.publisher_state",
	0, {InvalidOid}
};

/* Said once that the extension is missing, until it appears. */
static bool reported_missing = false;

void
PublisherRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "appeasement");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "PublisherMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, "appeasement publisher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "appeasement publisher");
	worker.bgw_main_arg = (Datum) 0;
	worker.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&worker);
}

static void
PublisherLeave(int code, Datum arg)
{
	EventsSetPublisher(false);
}

/* Reads a one-column int8 result, or returns false when there is no row. */
static bool
SpiGetInt64(int64 *result)
{
	bool		isnull;
	Datum		value;

	if (SPI_processed == 0)
		return false;
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	if (isnull)
		return false;
	*result = DatumGetInt64(value);
	return true;
}

/*
 * One round.  Returns true when the batch was full, so more events may be
 * waiting.
 */
static bool
PublishBatch(void)
{
	int64		horizon;
	int64		last_event_id;
	int64		new_last = 0;
	bool		any_sent_inline = false;
	uint64		nevents;
	Datum		args[3];
	char	   *event_type;
	char	   *credit_note_number;
	Jsonb	   *document;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "publishing refund events");

	SpiExecute(&extension_installed, NULL, NULL, false, 0);
	if (SPI_processed == 0)
	{
		if (!reported_missing)
			ereport(LOG,
					(errmsg("appeasement publisher waits for the extension in database \"%s\"",
							events_database),
					 errhint("Run CREATE EXTENSION appeasement in that database.")));
		reported_missing = true;
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		return false;
	}
	reported_missing = false;

	/* after a restart, before the first event id is drawn */
	EventsRestoreAllocatedMax();

	/*
	 * The horizon before any snapshot that reads events: each statement
	 * below takes its own (READ COMMITTED, not read-only).
	 */
	horizon = EventsHorizon();

	SpiExecute(&lock_state, NULL, NULL, false, 0);
	if (!SpiGetInt64(&last_event_id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("appeasement.publisher_state has no row"),
				 errhint("Insert the row with the last event id listeners have received.")));

	args[0] = Int64GetDatum(last_event_id);
	args[1] = Int64GetDatum(horizon);
	args[2] = Int64GetDatum(publisher_batch_size);
	SpiExecute(&next_batch, args, NULL, false, 0);
	nevents = SPI_processed;

	for (uint64 row = 0; row < nevents; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		event_id;

		event_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		new_last = event_id;

		if (DatumGetBool(SPI_getbinval(tuple, desc, 5, &isnull)))
		{
			/* its own transaction notified it */
			any_sent_inline = true;
			continue;
		}

		event_type = TextDatumGetCString(SPI_getbinval(tuple, desc, 2, &isnull));
		credit_note_number = TextDatumGetCString(SPI_getbinval(tuple, desc, 3, &isnull));
		document = DatumGetJsonbP(SPI_getbinval(tuple, desc, 4, &isnull));
		Async_Notify(REFUND_EVENTS_CHANNEL,
					 RefundEventPayload(event_id, event_type, credit_note_number,
										document));
	}

	if (nevents > 0)
	{
		args[0] = Int64GetDatum(new_last);
		SpiExecute(&move_cursor, args, NULL, false, 0);
		if (any_sent_inline)
			SpiExecute(&forget_sent_inline, args, NULL, false, 0);
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);

	return nevents >= (uint64) publisher_batch_size;
}

void
PublisherMain(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(events_database, NULL, 0);

	/*
	 * Every statement must see what committed before it started: the
	 * horizon is read before the snapshots.  The cursor must be durable
	 * before listeners are told.
	 */
	SetConfigOption("application_name", "appeasement publisher",
					PGC_USERSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog, pg_temp",
					PGC_SUSET, PGC_S_OVERRIDE);
	if (synchronous_commit == SYNCHRONOUS_COMMIT_OFF)
		SetConfigOption("synchronous_commit", "on",
						PGC_SUSET, PGC_S_OVERRIDE);

	before_shmem_exit(PublisherLeave, (Datum) 0);
	EventsSetPublisher(true);

	ereport(LOG,
			(errmsg("appeasement publisher started for database \"%s\"",
					events_database)));

	for (;;)
	{
		int			rc;

		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (PublishBatch())
			continue;

		pgstat_report_activity(STATE_IDLE, NULL);
		rc = WaitLatch(MyLatch,
					   WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   publisher_naptime,
					   PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);

		/*
		 * Woken by a commit: let the commits of the next few milliseconds
		 * join this batch, so that under load one transaction notifies many
		 * events instead of one.
		 */
		if ((rc & WL_LATCH_SET) != 0 && publisher_delay > 0)
			(void) WaitLatch(NULL, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 publisher_delay, PG_WAIT_EXTENSION);
	}
}

/*
 * publisher_status(OUT running boolean, OUT pid integer, OUT database text,
 *					OUT last_event_id bigint, OUT horizon bigint)
 *
 * Whether the publisher runs and its pid, the database it serves, the last
 * event it notified (publisher_state of the current database), and the
 * horizon of the current database's events (NULL where the publisher does
 * not serve it).
 *
 * Locks: AccessShareLock on publisher_state; the events spinlock.
 */
PG_FUNCTION_INFO_V1(publisher_status);
Datum
publisher_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5];
	int			pid;
	int64		last_event_id;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	memset(nulls, 0, sizeof(nulls));

	pid = EventsPublisherPid();
	values[0] = BoolGetDatum(pid != 0);
	if (pid != 0)
		values[1] = Int32GetDatum(pid);
	else
		nulls[1] = true;

	if (events_database != NULL)
		values[2] = CStringGetTextDatum(events_database);
	else
		nulls[2] = true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SpiExecute(&state_last_event_id, NULL, NULL, false, 0);
	if (SpiGetInt64(&last_event_id))
		values[3] = Int64GetDatum(last_event_id);
	else
		nulls[3] = true;
	if (EventsServesCurrentDatabase())
	{
		EventsRestoreAllocatedMax();
		values[4] = Int64GetDatum(EventsHorizon());
	}
	else
		nulls[4] = true;
	SPI_finish();

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
