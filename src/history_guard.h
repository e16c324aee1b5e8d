/*-------------------------------------------------------------------------
 *
 * history_guard.h
 *	  The append-only refund history, and the one way the extension's own
 *	  code changes it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_HISTORY_GUARD_H
#define APPEASEMENT_HISTORY_GUARD_H

#include "postgres.h"

#include "spi_util.h"

/*
 * Runs a kept statement that updates the refund history (a credit note's
 * or an allocation's status), which the append_only triggers refuse to
 * everything else.  SPI connected.
 */
extern void HistoryExecute(SpiStatement *stmt, Datum *values, const char *nulls);

#endif							/* APPEASEMENT_HISTORY_GUARD_H */
