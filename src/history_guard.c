/*-------------------------------------------------------------------------
 *
 * history_guard.c
 *	  Keeps the refund history append-only.
 *
 *	  appeasement.refuse_history_change() returns trigger
 *
 * A statement-level BEFORE UPDATE, DELETE or TRUNCATE trigger on the
 * credit-note tables and the refund events: it refuses the statement for
 * every role, superusers included, unless the extension's own code runs it
 * (HistoryExecute: a credit note's status moving through its lifecycle).
 * History is corrected by new records, never by editing old ones.  (A superuser can still switch triggers off,
 * with session_replication_role or ALTER TABLE; nothing inside the
 * database can stop that.)
 *
 * Locks: none.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "history_guard.h"

/* Set only while HistoryExecute runs one of the extension's statements. */
static bool history_change_allowed = false;

void
HistoryExecute(SpiStatement *stmt, Datum *values, const char *nulls)
{
	history_change_allowed = true;
	PG_TRY();
	{
		SpiExecute(stmt, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		history_change_allowed = false;
	}
	PG_END_TRY();
}

PG_FUNCTION_INFO_V1(refuse_history_change);
Datum
refuse_history_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *action;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "refuse_history_change must be called as a trigger");
	if (history_change_allowed)
		return PointerGetDatum(NULL);

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		action = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		action = "DELETE";
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		action = "TRUNCATE";
	else
		action = "this change";

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s of appeasement.%s is not allowed: the refund history is append-only",
					action, RelationGetRelationName(trigdata->tg_relation)),
			 errhint("A credit note is corrected by a new record, never by editing history.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}
