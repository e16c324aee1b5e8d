/*-------------------------------------------------------------------------
 *
 * events_guc.c
 *	  Settings of event delivery and the choice, per event, of who sends
 *	  the notification: the refund transaction itself (inline) or the
 *	  publisher background worker after commit (worker).
 *
 *	  appeasement.database				database the publisher serves
 *	  appeasement.notify_mode			auto | worker | inline
 *	  appeasement.publisher_batch_size	events per publisher transaction
 *	  appeasement.publisher_naptime		idle poll of the publisher, ms
 *	  appeasement.publisher_delay		wait after a wake-up, to batch, ms
 *
 * Locks: none (a catalog lookup of the current database's name, once).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "events.h"
#include "events_internal.h"

char	   *events_database = NULL;
int			events_notify_mode = EVENTS_NOTIFY_AUTO;
int			publisher_batch_size = 500;
int			publisher_naptime = 1000;
int			publisher_delay = 10;

/* Loaded through shared_preload_libraries: shared memory and worker exist. */
static bool events_preloaded = false;

/* Whether the publisher serves this backend's database: -1 not known yet. */
static int	serves_current_database = -1;

static const struct config_enum_entry notify_mode_options[] = {
	{"auto", EVENTS_NOTIFY_AUTO, false},
	{"worker", EVENTS_NOTIFY_WORKER, false},
	{"inline", EVENTS_NOTIFY_INLINE, false},
	{NULL, 0, false}
};

void
EventsInit(void)
{
	/*
	 * A PGC_POSTMASTER setting may only be defined while preloading; loaded
	 * later the library has no worker, and the setting is only shown (by
	 * publisher_status), so it is defined reloadable there.
	 */
	DefineCustomStringVariable("appeasement.database",
							   "Database whose refund events the publisher worker notifies.",
							   "Used when appeasement is in shared_preload_libraries.",
							   &events_database,
							   "postgres",
							   process_shared_preload_libraries_in_progress ?
							   PGC_POSTMASTER : PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);

	DefineCustomEnumVariable("appeasement.notify_mode",
							 "Who sends the NOTIFY of a refund event.",
							 "auto: the publisher worker in the database it serves, "
							 "the refund transaction elsewhere; worker: the publisher "
							 "worker, after commit; inline: the refund transaction.",
							 &events_notify_mode,
							 EVENTS_NOTIFY_AUTO,
							 notify_mode_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("appeasement.publisher_batch_size",
							"Most refund events the publisher notifies in one transaction.",
							NULL,
							&publisher_batch_size,
							500, 1, 100000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("appeasement.publisher_naptime",
							"Time the idle publisher waits before looking for events unasked.",
							"Committing refund transactions wake it at once; this is a safety net.",
							&publisher_naptime,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("appeasement.publisher_delay",
							"Time the publisher lets events gather after a commit wakes it.",
							"Notifying a batch costs one transaction, so under load a short "
							"wait saves many; it adds at most this much to the delivery delay.",
							&publisher_delay,
							10, 0, 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("appeasement");
#else
	EmitWarningsOnPlaceholders("appeasement");
#endif

	if (!process_shared_preload_libraries_in_progress)
		return;

	events_preloaded = true;
	EventsShmemInit();
	PublisherRegister();
}

/*
 * Whether the publisher serves the current database: the library was
 * preloaded and the database is appeasement.database.  Needs a transaction
 * the first time (catalog lookup); a connected database cannot be renamed,
 * so the answer is kept.
 */
bool
EventsServesCurrentDatabase(void)
{
	if (!events_preloaded || !EventsShmemAttached())
		return false;

	if (serves_current_database < 0)
	{
		char	   *name = get_database_name(MyDatabaseId);

		serves_current_database = (name != NULL && events_database != NULL &&
								   strcmp(name, events_database) == 0);
	}
	return serves_current_database == 1;
}

/*
 * Resolves appeasement.notify_mode for an event of the current transaction:
 * EVENTS_NOTIFY_WORKER or EVENTS_NOTIFY_INLINE.
 */
EventsNotifyMode
EventsEffectiveMode(void)
{
	bool		served = EventsServesCurrentDatabase();

	switch (events_notify_mode)
	{
		case EVENTS_NOTIFY_INLINE:
			return EVENTS_NOTIFY_INLINE;
		case EVENTS_NOTIFY_WORKER:
			if (!events_preloaded)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("appeasement.notify_mode \"worker\" needs the publisher worker"),
						 errdetail("appeasement is not in shared_preload_libraries."),
						 errhint("Add appeasement to shared_preload_libraries and restart the server, "
								 "or set appeasement.notify_mode to \"auto\" or \"inline\".")));
			if (!served)
			{
				char	   *name = get_database_name(MyDatabaseId);

				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("appeasement.notify_mode \"worker\" is not available in database \"%s\"",
								name ? name : "?"),
						 errdetail("The publisher worker serves database \"%s\" (appeasement.database).",
								   events_database),
						 errhint("Set appeasement.notify_mode to \"auto\" or \"inline\", "
								 "or set appeasement.database to this database and restart the server.")));
			}
			return EVENTS_NOTIFY_WORKER;
		case EVENTS_NOTIFY_AUTO:
		default:
			return served ? EVENTS_NOTIFY_WORKER : EVENTS_NOTIFY_INLINE;
	}
}
