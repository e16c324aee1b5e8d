/*-------------------------------------------------------------------------
 *
 * appeasement.c
 *	  Module entry point of the appeasement extension.
 *
 * Loaded on first use, or at server start through shared_preload_libraries,
 * in which case it also sets up the publisher background worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "events.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	EventsInit();
}
