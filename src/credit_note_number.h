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
 * The next credit-note number of the channel's series (the default series
 * "CN" when the channel has none).  The caller must be connected to SPI.
 */
extern char *NextCreditNoteNumber(const char *sales_channel_id);

#endif							/* APPEASEMENT_CREDIT_NOTE_NUMBER_H */
