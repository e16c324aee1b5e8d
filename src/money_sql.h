/*-------------------------------------------------------------------------
 *
 * money_sql.h
 *	  The bridge between the pure money core and PostgreSQL: currency
 *	  lookup with proper errors, amounts as text and numeric.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_MONEY_SQL_H
#define APPEASEMENT_MONEY_SQL_H

#include "postgres.h"

/* Exponent of an active ISO 4217 currency; ERROR 22023 naming `field` if unknown. */
extern int	CurrencyExponent(const char *code, const char *field);

/* Minor units as text with exactly the currency's digits (palloc'd). */
extern char *FormatAmount(int64 minor, int exponent);

/* A rate scaled by RATE_ONE as text without trailing zeros (palloc'd). */
extern char *FormatRate(int64 rate);

/* A numeric Datum's value as minor units; 22023 naming `field` if it does not fit. */
extern int64 NumericToMinor(Datum numeric, int exponent, const char *field);

/* A numeric Datum's value as a rate scaled by RATE_ONE. */
extern int64 NumericToRate(Datum numeric, const char *field);

/* Checked addition of amounts; ERROR 22023 naming `what` on overflow. */
extern int64 AddAmounts(int64 a, int64 b, const char *what);

#endif							/* APPEASEMENT_MONEY_SQL_H */
