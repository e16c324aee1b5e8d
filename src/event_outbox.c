/*-------------------------------------------------------------------------
 *
 * event_outbox.c
 *	  The refund-events outbox: one row per event in
 *	  appeasement.refund_events, its NOTIFY payload, the inline NOTIFY, and
 *	  refund_events_after() for listeners catching up.
 *
 * Payload, the same in both modes:
 *	  {"event_id": N, "event_type": "...", "refund": {...}}
 * or, when that reaches REFUND_EVENT_PAYLOAD_LIMIT bytes:
 *	  {"event_id": N, "event_type": "...", "credit_note_number": "...",
 *	   "truncated": true}
 *
 * Locks: RowExclusiveLock on refund_events (and, for an inline event, on
 * refund_events_sent_inline) through the INSERTs;
 * an inline NOTIFY takes, at commit, the cluster-wide lock every NOTIFY
 * takes.  refund_events_after takes AccessShareLock on refund_events and
 * the events spinlock (events_shmem.c) to read the horizon.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "events.h"
#include "events_internal.h"
#include "spi_util.h"

/* NOTIFY refuses payloads of this many bytes (async.c). */
#define NOTIFY_PAYLOAD_REFUSED	(BLCKSZ - NAMEDATALEN - 128)
#define PAYLOAD_LIMIT	Min(REFUND_EVENT_PAYLOAD_LIMIT, NOTIFY_PAYLOAD_REFUSED)

/* refund_events_after: max_rows bounds */
#define EVENTS_AFTER_MAX_ROWS	100000

static SpiStatement insert_event = {
	"INSERT INTO appeasement.refund_events"
	" (event_id, event_type, credit_note_number, payload)"
	" VALUES ($1, $2, $3, $4)",
	4, {INT8OID, TEXTOID, TEXTOID, JSONBOID}
};

static SpiStatement insert_sent_inline = {
	"INSERT INTO appeasement.refund_events_sent_inline (event_id) VALUES ($1)",
	1, {INT8OID}
};

static SpiStatement sequence_last_value = {
	"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
	"  FROM appeasement.refund_events_event_id_seq",
	0, {InvalidOid}
};

static SpiStatement events_after_horizon = {
	"SELECT event_id, created_at, event_type, credit_note_number, payload"
	"  FROM appeasement.refund_events"
	" WHERE event_id > $1 AND event_id < $2"
	" ORDER BY event_id LIMIT $3",
	3, {INT8OID, INT8OID, INT8OID}
};

static SpiStatement events_after = {
	"SELECT event_id, created_at, event_type, credit_note_number, payload"
	"  FROM appeasement.refund_events"
	" WHERE event_id > $1"
	" ORDER BY event_id LIMIT $2",
	2, {INT8OID, INT8OID}
};

/*
 * OID of appeasement.refund_events_event_id_seq.
 */
Oid
RefundEventSequence(void)
{
	Oid			relid;

	relid = get_relname_relid("refund_events_event_id_seq",
							  get_namespace_oid("appeasement", false));
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("sequence \"appeasement.refund_events_event_id_seq\" does not exist")));
	return relid;
}

/*
 * In the publisher's database, after a restart and before any event id is
 * drawn, makes the horizon count the ids of the previous server: raises
 * allocated_max to the sequence's last value.  Needs SPI.
 */
void
EventsRestoreAllocatedMax(void)
{
	Oid			seq_relid = RefundEventSequence();
	bool		isnull;
	Datum		last_value;

	if (EventsSequenceKnown(seq_relid))
		return;

	SpiExecute(&sequence_last_value, NULL, NULL, false, 0);
	if (SPI_processed != 1)
		elog(ERROR, "could not read the last value of appeasement.refund_events_event_id_seq");
	last_value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "could not read the last value of appeasement.refund_events_event_id_seq");
	EventsRaiseAllocatedMax(seq_relid, DatumGetInt64(last_value));
}

/* Appends a JSON value as text. */
static void
AppendJsonbValue(StringInfo buf, JsonbValue *value)
{
	if (value->type == jbvBinary)
		(void) JsonbToCString(buf, value->val.binary.data, value->val.binary.len);
	else
	{
		Jsonb	   *scalar = JsonbValueToJsonb(value);

		(void) JsonbToCString(buf, &scalar->root, VARSIZE(scalar));
	}
}

/* Starts a payload afresh: {"event_id": N, "event_type": "..." */
static void
StartPayload(StringInfo buf, int64 event_id, const char *event_type)
{
	resetStringInfo(buf);
	appendStringInfo(buf, "{\"event_id\": " INT64_FORMAT ", \"event_type\": ", event_id);
	escape_json(buf, event_type);
}

/*
 * The NOTIFY payload of an event, palloc'd.  Keys come in the documented
 * order, so the text is built by hand rather than through jsonb.
 */
char *
RefundEventPayload(int64 event_id, const char *event_type,
				   const char *credit_note_number, Jsonb *document)
{
	StringInfoData buf;
	JsonbValue	refund;

	if (!JB_ROOT_IS_OBJECT(document) ||
		getKeyJsonValueFromContainer(&document->root, "refund", strlen("refund"),
									 &refund) == NULL)
		elog(ERROR, "document of refund event " INT64_FORMAT " has no \"refund\" key",
			 event_id);

	initStringInfo(&buf);
	StartPayload(&buf, event_id, event_type);
	appendStringInfoString(&buf, ", \"refund\": ");
	AppendJsonbValue(&buf, &refund);
	appendStringInfoChar(&buf, '}');
	if (buf.len < PAYLOAD_LIMIT)
		return buf.data;

	/* too large: the listener reads the document from the table */
	StartPayload(&buf, event_id, event_type);
	appendStringInfoString(&buf, ", \"credit_note_number\": ");
	escape_json(&buf, credit_note_number);
	appendStringInfoString(&buf, ", \"truncated\": true}");
	if (buf.len < PAYLOAD_LIMIT)
		return buf.data;

	/* an absurd credit note number must not make creation fail either */
	StartPayload(&buf, event_id, event_type);
	appendStringInfoString(&buf, ", \"truncated\": true}");
	return buf.data;
}

/*
 * RefundEventNewId (events.h)
 *
 * In the publisher's database (library preloaded, appeasement.database)
 * every event id is drawn under the slot protocol of events_shmem.c, so
 * the publisher never passes an id that may still commit.
 */
int64
RefundEventNewId(void)
{
	bool		served = EventsServesCurrentDatabase();
	Oid			seq_relid = RefundEventSequence();
	int64		event_id;

	if (served)
		EventsBeginAllocation(seq_relid);
	event_id = nextval_internal(seq_relid, false);
	if (served)
		EventsEndAllocation(event_id);
	return event_id;
}

/*
 * RefundEventWritten (events.h)
 *
 * In worker mode the publisher notifies the event after commit.  Elsewhere,
 * or with notify_mode inline, the transaction notifies it itself and
 * records it in refund_events_sent_inline: the publisher skips those
 * events, also the ones written before it served the database (the library
 * preloaded later, or appeasement.database changed), and deletes the
 * records.
 */
void
RefundEventWritten(int64 event_id, const char *event_type,
				   const char *credit_note_number, Jsonb *document)
{
	MemoryContext payload_context;
	MemoryContext oldcontext;
	Datum		value;

	if (EventsEffectiveMode() != EVENTS_NOTIFY_INLINE)
		return;

	payload_context = AllocSetContextCreate(CurrentMemoryContext,
											"refund event payload",
											ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(payload_context);
	Async_Notify(REFUND_EVENTS_CHANNEL,
				 RefundEventPayload(event_id, event_type, credit_note_number, document));
	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(payload_context);

	value = Int64GetDatum(event_id);
	SpiExecute(&insert_sent_inline, &value, NULL, false, 0);
}

/*
 * RefundEventAppend (events.h)
 */
int64
RefundEventAppend(const char *event_type, const char *credit_note_number,
				  Jsonb *document)
{
	int64		event_id;
	Datum		values[4];

	if (event_type == NULL || credit_note_number == NULL || document == NULL)
		elog(ERROR, "refund event needs a type, a credit note number and a document");

	event_id = RefundEventNewId();
	values[0] = Int64GetDatum(event_id);
	values[1] = CStringGetTextDatum(event_type);
	values[2] = CStringGetTextDatum(credit_note_number);
	values[3] = JsonbPGetDatum(document);
	SpiExecute(&insert_event, values, NULL, false, 0);

	RefundEventWritten(event_id, event_type, credit_note_number, document);
	return event_id;
}

/*
 * refund_events_after(last_event_id bigint, max_rows int) returns setof
 * appeasement.refund_events
 *
 * Committed events with event_id > last_event_id, in event_id order, at
 * most max_rows.  In the publisher's database only events below the
 * horizon are returned, so a listener that goes on from the last id it got
 * never skips an event that commits later with a smaller id.  The events
 * are read with a snapshot taken after the horizon (a fresh one, also in a
 * REPEATABLE READ transaction), which makes the function volatile.
 *
 * Locks: AccessShareLock on refund_events; the events spinlock.
 */
PG_FUNCTION_INFO_V1(refund_events_after);
Datum
refund_events_after(PG_FUNCTION_ARGS)
{
	int64		last_event_id = PG_GETARG_INT64(0);
	int32		max_rows = PG_GETARG_INT32(1);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	result_desc;
	int			natts;
	int		   *source;
	Datum	   *values;
	bool	   *nulls;
	Datum		args[3];

	if (max_rows < 1 || max_rows > EVENTS_AFTER_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_rows must be between 1 and %d", EVENTS_AFTER_MAX_ROWS),
				 errdetail("max_rows is %d.", max_rows)));

	MaterializeSetResult(fcinfo);
	result_desc = rsinfo->setDesc;
	natts = result_desc->natts;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	args[0] = Int64GetDatum(last_event_id);
	if (EventsServesCurrentDatabase())
	{
		EventsRestoreAllocatedMax();
		args[1] = Int64GetDatum(EventsHorizon());
		args[2] = Int64GetDatum(max_rows);
		PushActiveSnapshot(GetLatestSnapshot());
		SpiExecute(&events_after_horizon, args, NULL, true, 0);
	}
	else
	{
		args[1] = Int64GetDatum(max_rows);
		PushActiveSnapshot(GetLatestSnapshot());
		SpiExecute(&events_after, args, NULL, true, 0);
	}
	PopActiveSnapshot();

	/* map the result row type's columns to the query's, by name */
	source = palloc(sizeof(int) * natts);
	values = palloc(sizeof(Datum) * natts);
	nulls = palloc(sizeof(bool) * natts);
	for (int i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(result_desc, i);

		source[i] = att->attisdropped ? SPI_ERROR_NOATTRIBUTE :
			SPI_fnumber(SPI_tuptable->tupdesc, NameStr(att->attname));
	}

	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];

		for (int i = 0; i < natts; i++)
		{
			if (source[i] <= 0)
			{
				values[i] = (Datum) 0;
				nulls[i] = true;
			}
			else
				values[i] = SPI_getbinval(tuple, SPI_tuptable->tupdesc,
										  source[i], &nulls[i]);
		}
		tuplestore_putvalues(rsinfo->setResult, result_desc, values, nulls);
	}

	SPI_finish();
	return (Datum) 0;
}
