/*-------------------------------------------------------------------------
 *
 * fuzz_money.c
 *	  libFuzzer target for the money and tax core (src/money.c, src/tax.c).
 *
 * Every input is used twice:
 *	- as text, for money_parse() in exponents 0, 2, 3 and 4, rate_parse()
 *	  and money_find_currency(): results must match a straightforward
 *	  reference parser, and format(parse(x)) must parse back to the same
 *	  value;
 *	- as a stream of parameters: operands for the checked arithmetic
 *	  (compared with 128-bit references), then a line with tax components
 *	  refunded in a sequence of partial refunds ending in a full one, then
 *	  a tax_split() of that line over several parts.  Every SPEC section 2
 *	  rule is checked exactly after every step.
 *
 * Any violation prints what broke and aborts, which libFuzzer reports as a
 * crash with the input saved.  Built by test/fuzz/Makefile with
 * -fsanitize=fuzzer,address,undefined.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "tax.h"

typedef __int128 int128;
typedef unsigned __int128 uint128;

#define FUZZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_money: invariant failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---------------------------------------------------------------- text */

/*
 * Reference parser: a character-by-character state machine with a
 * saturating 128-bit accumulator, written independently of money.c.
 */
static MoneyStatus
RefParse(const uint8_t *text, size_t len, bool allow_minus, int exponent,
		 int64_t max, int64_t *value)
{
	enum
	{
		START, SIGN, INT, POINT, FRAC
	}			state = START;
	uint128		acc = 0;
	int			frac = 0;
	bool		negative = false;

	for (size_t i = 0; i < len; i++)
	{
		uint8_t		ch = text[i];
		bool		digit = ch >= '0' && ch <= '9';

		if (state == START && ch == '-' && allow_minus)
		{
			negative = true;
			state = SIGN;
		}
		else if ((state == START || state == SIGN || state == INT) && digit)
			state = INT;
		else if (state == INT && ch == '.')
			state = POINT;
		else if ((state == POINT || state == FRAC) && digit)
		{
			state = FRAC;
			frac++;
		}
		else
			return MONEY_SYNTAX;
		if (digit && acc <= (uint128) max)
			acc = acc * 10 + (uint128) (ch - '0');
	}
	if (state != INT && state != FRAC)
		return MONEY_SYNTAX;
	if (frac > exponent)
		return MONEY_TOO_PRECISE;
	for (int i = frac; i < exponent && acc <= (uint128) max; i++)
		acc *= 10;
	if (acc > (uint128) max)
		return MONEY_OUT_OF_RANGE;
	*value = negative ? -(int64_t) acc : (int64_t) acc;
	return MONEY_OK;
}

static void
FuzzText(const uint8_t *data, size_t size)
{
	static const int exponents[] = {0, 2, 3, 4};
	const char *text = (const char *) data;
	char		buf[MONEY_FORMAT_BUFLEN];
	int64_t		value;
	int64_t		ref;
	int64_t		back;
	MoneyStatus status;
	MoneyStatus refstatus;

	for (int e = 0; e < 4; e++)
	{
		int			exponent = exponents[e];
		size_t		len;

		value = ref = 0;
		status = money_parse(text, size, exponent, &value);
		refstatus = RefParse(data, size, true, exponent, MONEY_MAX_ABS, &ref);
		FUZZ_ASSERT(status == refstatus, "money_parse status %d, reference %d (exponent %d)",
					(int) status, (int) refstatus, exponent);
		if (status != MONEY_OK)
			continue;
		FUZZ_ASSERT(value == ref, "money_parse %lld, reference %lld",
					(long long) value, (long long) ref);

		len = money_format(value, exponent, buf);
		FUZZ_ASSERT(len == strlen(buf) && len < MONEY_FORMAT_BUFLEN, "format length %zu", len);
		back = 0;
		FUZZ_ASSERT(money_parse(buf, len, exponent, &back) == MONEY_OK && back == value,
					"\"%s\" does not parse back to %lld", buf, (long long) value);
		/* exactly `exponent` fractional digits, none when 0 */
		FUZZ_ASSERT(exponent == 0 ? strchr(buf, '.') == NULL
					: strchr(buf, '.') != NULL && strlen(strchr(buf, '.') + 1) == (size_t) exponent,
					"\"%s\" has the wrong number of decimals for %d", buf, exponent);
	}

	value = ref = 0;
	status = rate_parse(text, size, &value);
	refstatus = RefParse(data, size, false, RATE_DECIMALS, RATE_MAX, &ref);
	FUZZ_ASSERT(status == refstatus, "rate_parse status %d, reference %d",
				(int) status, (int) refstatus);
	if (status == MONEY_OK)
	{
		size_t		len = rate_format(value, buf);

		FUZZ_ASSERT(value == ref, "rate_parse %lld, reference %lld",
					(long long) value, (long long) ref);
		back = -1;
		FUZZ_ASSERT(rate_parse(buf, len, &back) == MONEY_OK && back == value,
					"rate \"%s\" does not parse back to %lld", buf, (long long) value);
		FUZZ_ASSERT(strchr(buf, '.') == NULL || (buf[len - 1] != '0' && buf[len - 1] != '.'),
					"rate \"%s\" has trailing zeros", buf);
	}

	if (size >= 3)
	{
		const Currency *c = money_find_currency(text, 3);

		FUZZ_ASSERT(c == NULL || memcmp(c->code, text, 3) == 0, "currency lookup");
	}
}

/* ---------------------------------------------------------------- parameters */

/* Consumes the input as little-endian integers; zeros once it runs out. */
typedef struct Reader
{
	const uint8_t *data;
	size_t		size;
	size_t		pos;
} Reader;

static uint64_t
ReadBytes(Reader *r, int nbytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < nbytes; i++)
	{
		uint64_t	b = r->pos < r->size ? r->data[r->pos++] : 0;

		v |= b << (8 * i);
	}
	return v;
}

/* A value in [0, max], of a size picked by one byte. */
static int64_t
ReadUpTo(Reader *r, int64_t max)
{
	uint64_t	raw;

	if (max <= 0)
		return 0;
	switch (ReadBytes(r, 1) % 4)
	{
		case 0:
			raw = ReadBytes(r, 1);
			break;
		case 1:
			raw = ReadBytes(r, 2);
			break;
		case 2:
			raw = ReadBytes(r, 4);
			break;
		default:
			raw = ReadBytes(r, 8);
			break;
	}
	return (int64_t) (raw % ((uint64_t) max + 1));
}

static int64_t
ReadSigned(Reader *r)
{
	return (int64_t) ReadBytes(r, 8);
}

static bool
RefMulDivRound(int64_t a, int64_t b, int64_t c, int64_t *result)
{
	uint128		ma = a < 0 ? (uint128) 0 - (uint128) a : (uint128) a;
	uint128		mb = b < 0 ? (uint128) 0 - (uint128) b : (uint128) b;
	uint128		p = ma * mb;
	uint128		q = p / (uint128) c;

	if (2 * (p % (uint128) c) >= (uint128) c)
		q++;
	if (q > (uint128) MONEY_MAX_ABS)
		return false;
	*result = (a < 0) != (b < 0) ? -(int64_t) q : (int64_t) q;
	return true;
}

static void
FuzzArithmetic(Reader *r)
{
	int64_t		a = ReadSigned(r);
	int64_t		b = ReadSigned(r);
	int64_t		c = ReadSigned(r);
	int64_t		got = 0;
	int64_t		want = 0;
	int128		exact;
	bool		ok;
	bool		ref;

	exact = (int128) a + b;
	ok = money_add(a, b, &got);
	FUZZ_ASSERT(ok == (exact >= -MONEY_MAX_ABS && exact <= MONEY_MAX_ABS) &&
				(!ok || got == (int64_t) exact), "money_add(%lld, %lld)",
				(long long) a, (long long) b);
	exact = (int128) a - b;
	ok = money_sub(a, b, &got);
	FUZZ_ASSERT(ok == (exact >= -MONEY_MAX_ABS && exact <= MONEY_MAX_ABS) &&
				(!ok || got == (int64_t) exact), "money_sub(%lld, %lld)",
				(long long) a, (long long) b);

	ok = money_muldiv_round(a, b, c, &got);
	ref = c > 0 && RefMulDivRound(a, b, c, &want);
	FUZZ_ASSERT(ok == ref && (!ok || got == want), "money_muldiv_round(%lld, %lld, %lld)",
				(long long) a, (long long) b, (long long) c);

	/* rate in range: the helpers are muldiv with fixed denominators */
	{
		int64_t		rate = ReadUpTo(r, RATE_MAX);
		int64_t		amount = ReadUpTo(r, MONEY_MAX_ABS) * ((a & 1) ? -1 : 1);

		ok = money_tax_included(amount, rate, &got);
		FUZZ_ASSERT(ok && RefMulDivRound(amount, rate, RATE_HUNDRED + rate, &want) &&
					got == want, "money_tax_included(%lld, %lld)",
					(long long) amount, (long long) rate);
		ok = money_percent_of(amount, rate, &got);
		ref = RefMulDivRound(amount, rate, RATE_HUNDRED, &want);
		FUZZ_ASSERT(ok == ref && (!ok || got == want), "money_percent_of(%lld, %lld)",
					(long long) amount, (long long) rate);
	}
}

/* |v * g - w * C| < g */
static bool
WithinOne(int64_t v, int64_t w, int64_t C, int64_t g)
{
	int128		diff = (int128) v * g - (int128) w * C;

	return diff < g && diff > -(int128) g;
}

static void
FuzzRefunds(Reader *r)
{
	int64_t		component[TAX_MAX_COMPONENTS];
	int64_t		cum[TAX_MAX_COMPONENTS] = {0};
	int64_t		out[TAX_MAX_COMPONENTS];
	int64_t		parts[8];
	int64_t		split[8 * TAX_MAX_COMPONENTS];
	int64_t		gross;
	int64_t		left;
	int64_t		total = 0;
	int64_t		refunded = 0;
	int			n;
	int			nparts;
	TaxLine		line;

	switch (ReadBytes(r, 1) % 4)
	{
		case 0:
			gross = 1 + ReadUpTo(r, 15);
			break;
		case 1:
			gross = 1 + ReadUpTo(r, 9999);
			break;
		case 2:
			gross = 1 + ReadUpTo(r, INT64_C(999999999));
			break;
		default:
			gross = 1 + ReadUpTo(r, MONEY_MAX_ABS - 1);
			break;
	}
	n = (int) (ReadBytes(r, 1) % (TAX_MAX_COMPONENTS + 1));
	left = gross;
	for (int j = 0; j < n; j++)
	{
		component[j] = ReadUpTo(r, left);
		left -= component[j];
		total += component[j];
	}

	line.gross = gross;
	line.ncomponents = n;
	line.component = component;
	line.component_refunded = cum;
	for (int step = 0; refunded < gross; step++)
	{
		int64_t		rest = gross - refunded;
		int64_t		amount = step < 64 ? 1 + ReadUpTo(r, rest - 1) : rest;
		int64_t		C = refunded + amount;
		int64_t		sum = 0;
		int64_t		tax = 0;

		line.refunded = refunded;
		FUZZ_ASSERT(tax_apportion_refund(&line, amount, out),
					"refund %lld of %lld refused", (long long) amount, (long long) gross);
		for (int j = 0; j < n; j++)
		{
			FUZZ_ASSERT(out[j] >= 0, "component %d negative", j);
			sum += out[j];
			cum[j] += out[j];
			tax += cum[j];
			FUZZ_ASSERT(WithinOne(cum[j], component[j], C, gross),
						"component %d a unit off", j);
		}
		FUZZ_ASSERT(sum <= amount, "tax %lld in a refund of %lld",
					(long long) sum, (long long) amount);
		FUZZ_ASSERT(C - tax <= gross - total, "cumulative net above the line's");
		FUZZ_ASSERT(WithinOne(C - tax, gross - total, C, gross), "net a unit off");
		refunded = C;
	}
	for (int j = 0; j < n; j++)
		FUZZ_ASSERT(cum[j] == component[j], "full refund not exact for %d", j);

	/* The same amounts split over up to 8 parts. */
	nparts = 1 + (int) (ReadBytes(r, 1) % 8);
	left = gross;
	for (int i = 0; i < nparts - 1; i++)
	{
		parts[i] = ReadUpTo(r, left);
		left -= parts[i];
	}
	parts[nparts - 1] = left;
	FUZZ_ASSERT(tax_split(gross, n, component, nparts, parts, split), "split refused");
	for (int j = 0; j < n; j++)
		cum[j] = 0;
	refunded = 0;
	for (int i = 0; i < nparts; i++)
	{
		int64_t		sum = 0;

		refunded += parts[i];
		for (int j = 0; j < n; j++)
		{
			int64_t		v = split[i * n + j];

			FUZZ_ASSERT(v >= 0 && (parts[i] > 0 || v == 0), "split part %d component %d", i, j);
			sum += v;
			cum[j] += v;
			FUZZ_ASSERT(WithinOne(cum[j], component[j], refunded, gross),
						"split component %d a unit off", j);
		}
		FUZZ_ASSERT(sum <= parts[i], "split part %d carries too much tax", i);
	}
	for (int j = 0; j < n; j++)
		FUZZ_ASSERT(cum[j] == component[j], "split parts do not add up for %d", j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Reader		r = {data, size, 0};

	FuzzText(data, size);
	FuzzArithmetic(&r);
	FuzzRefunds(&r);
	return 0;
}
