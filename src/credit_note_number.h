/*-------------------------------------------------------------------------
 *
 * credit_note_number.h
 *	  Credit-note numbers per sales channel series.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_CREDIT_NOTE_NUMBER_H
#define APPEASEMENT_CREDIT_NOTE_NUMBER_H

#include "postgres.h"

/*
 * The series of a channel, as columns of a query that joins
 * appeasement.credit_note_series AS s on the channel: prefix, counter
 * (the sequence's oid) and gapless, the default series "CN" when the
 * channel has none.  The refund engine reads them with the order, in the
 * statement that locks it.
 */
#define CREDIT_NOTE_DEFAULT_PREFIX	"CN"
#define CREDIT_NOTE_SERIES_COLUMNS \
	"coalesce(s.prefix, '" CREDIT_NOTE_DEFAULT_PREFIX "'), " \
	"coalesce(s.counter, 'appeasement.credit_note_number_seq'::pg_catalog.regclass)::pg_catalog.oid, " \
	"coalesce(s.gapless, false)"

/*
 * Takes the next number of a series read through CREDIT_NOTE_SERIES_COLUMNS.
 * The caller must be connected to SPI.
 */
extern char *TakeCreditNoteNumber(const char *sales_channel_id, const char *prefix,
								  Oid counter, bool gapless);

#endif							/* APPEASEMENT_CREDIT_NOTE_NUMBER_H */
