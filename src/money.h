/*-------------------------------------------------------------------------
 *
 * money.h
 *	  Amounts in integer minor units of an ISO 4217 currency, and tax rates
 *	  as scaled integers.
 *
 * This header and money.c are free of PostgreSQL headers on purpose: the
 * arithmetic is unit-tested and fuzzed on its own (test/unit, test/fuzz).
 * Nothing here allocates memory or uses floating point.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_MONEY_H
#define APPEASEMENT_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Largest magnitude of any amount, in minor units: eighteen nines.  Every
 * sum, difference and product result is checked against it, so a value
 * that passes the checks can always be added to another without
 * overflowing int64_t.
 */
#define MONEY_MAX_ABS		INT64_C(999999999999999999)

/* Room for "-999999999999999999.999" plus the terminating zero. */
#define MONEY_FORMAT_BUFLEN	32

/*
 * Tax rates and percentages are decimal numbers with at most
 * RATE_DECIMALS fractional digits, held as value * 10^RATE_DECIMALS:
 * "8.25" is 8250000.  RATE_MAX is the largest rate accepted (1000 %).
 */
#define RATE_DECIMALS		6
#define RATE_ONE			INT64_C(1000000)
#define RATE_HUNDRED		(100 * RATE_ONE)
#define RATE_MAX			(1000 * RATE_ONE)

typedef enum MoneyStatus
{
	MONEY_OK = 0,
	MONEY_SYNTAX,				/* not a plain decimal number */
	MONEY_TOO_PRECISE,			/* more fractional digits than allowed */
	MONEY_OUT_OF_RANGE			/* magnitude above the allowed maximum */
} MoneyStatus;

typedef struct Currency
{
	char		code[4];		/* ISO 4217 alphabetic code, NUL-terminated */
	int			exponent;		/* number of minor-unit digits: 0, 2, 3 or 4 */
} Currency;

/*
 * Looks up an active ISO 4217 currency by its code (exactly three upper
 * case letters, not NUL-terminated necessarily: len gives the length).
 * Returns NULL for an unknown code.
 */
extern const Currency *money_find_currency(const char *code, size_t len);

/* The currency table, for listing: index 0 .. money_currency_count() - 1. */
extern int	money_currency_count(void);
extern const Currency *money_currency_at(int index);

/*
 * Parses a decimal amount "-?[0-9]+(.[0-9]+)?" of len bytes (no sign other
 * than a leading minus, no exponent, no blanks) into minor units of a
 * currency with the given exponent.  More fractional digits than the
 * exponent allows is MONEY_TOO_PRECISE, even when they are zeros: amounts
 * are never rounded on input.
 */
extern MoneyStatus money_parse(const char *text, size_t len, int exponent,
							   int64_t *minor);

/*
 * Writes minor units as a decimal with exactly `exponent` fractional
 * digits ("48.71", "1200", "12.500", "-0.05") into buf, which must hold
 * MONEY_FORMAT_BUFLEN bytes.  Returns the length written, without the NUL.
 */
extern size_t money_format(int64_t minor, int exponent, char *buf);

/* Checked arithmetic: false when the result's magnitude exceeds MONEY_MAX_ABS. */
extern bool money_add(int64_t a, int64_t b, int64_t *result);
extern bool money_sub(int64_t a, int64_t b, int64_t *result);

/*
 * round(a * b / c), half away from zero, computed exactly in 128 bits.
 * c must be positive.  False when the result's magnitude exceeds
 * MONEY_MAX_ABS.
 */
extern bool money_muldiv_round(int64_t a, int64_t b, int64_t c, int64_t *result);

/*
 * Parses a rate or percentage "[0-9]+(.[0-9]+)?" with at most
 * RATE_DECIMALS fractional digits and a value of at most RATE_MAX.
 * Trailing zeros are allowed here ("20.00" is 20 %).
 */
extern MoneyStatus rate_parse(const char *text, size_t len, int64_t *rate);

/*
 * Writes a rate without trailing zeros ("20", "8.25", "0.5") into buf,
 * which must hold MONEY_FORMAT_BUFLEN bytes.  Returns the length written.
 */
extern size_t rate_format(int64_t rate, char *buf);

/*
 * Tax included in a gross amount at a rate, computed once at registration:
 * round(gross * rate / (100 + rate)), half away from zero.
 */
extern bool money_tax_included(int64_t gross, int64_t rate, int64_t *tax);

/*
 * A percentage of an amount: round(amount * percent / 100), half away
 * from zero.
 */
extern bool money_percent_of(int64_t amount, int64_t percent, int64_t *result);

#endif							/* APPEASEMENT_MONEY_H */
