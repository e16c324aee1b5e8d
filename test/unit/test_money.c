/*-------------------------------------------------------------------------
 *
 * test_money.c
 *	  Unit tests of src/money.c: the currency table, parsing and formatting
 *	  of amounts and rates, checked arithmetic, and the two tax/percentage
 *	  helpers (SPEC section 2).
 *
 * Table-driven where possible; the 128-bit arithmetic is also compared
 * with a reference on random operands (fixed seed), which matters most
 * when this file is built with -DMONEY_NO_INT128 against the portable
 * fallback (the Makefile's test_money_portable).
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "unit.h"

#ifndef __SIZEOF_INT128__
#error "the reference arithmetic in this test needs unsigned __int128"
#endif

#define MAX		MONEY_MAX_ABS

/* ---------------------------------------------------------------- currencies */

static void
test_currency_table(void)
{
	int			count = money_currency_count();

	CHECK(count >= 155 && count <= 180, "currency count %d", count);
	CHECK(money_currency_at(-1) == NULL, "index -1");
	CHECK(money_currency_at(count) == NULL, "index count");

	for (int i = 0; i < count; i++)
	{
		const Currency *c = money_currency_at(i);
		bool		letters = true;

		for (int k = 0; k < 3; k++)
			if (c->code[k] < 'A' || c->code[k] > 'Z')
				letters = false;
		CHECK(letters && c->code[3] == '\0', "entry %d is not three letters", i);
		CHECK(c->exponent == 0 || c->exponent == 2 || c->exponent == 3 ||
			  c->exponent == 4, "%s has exponent %d", c->code, c->exponent);
		if (i > 0)
			CHECK(memcmp(money_currency_at(i - 1)->code, c->code, 3) < 0,
				  "table not sorted and unique at %s", c->code);
		CHECK(money_find_currency(c->code, 3) == c, "%s not found by its code", c->code);
	}
}

static void
test_currency_lookup(void)
{
	static const struct
	{
		const char *code;
		int			exponent;	/* -1: must be unknown */
	}			cases[] = {
		{"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"AED", 2}, {"ZWG", 2},
		{"XCG", 2}, {"SLE", 2}, {"VED", 2}, {"VES", 2}, {"MRU", 2}, {"STN", 2},
		{"BYN", 2}, {"HUF", 2}, {"IDR", 2}, {"XCD", 2},
		{"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0},
		{"KMF", 0}, {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0},
		{"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
		{"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3},
		{"TND", 3},
		{"CLF", 4}, {"UYW", 4},
		/* withdrawn */
		{"HRK", -1}, {"SLL", -1}, {"ZWL", -1}, {"VEF", -1}, {"MRO", -1},
		{"STD", -1}, {"BYR", -1}, {"LTL", -1}, {"LVL", -1}, {"ANG", -1},
		{"DEM", -1}, {"FRF", -1},
		/* ISO codes that are not money */
		{"XAU", -1}, {"XAG", -1}, {"XPD", -1}, {"XPT", -1}, {"XDR", -1},
		{"XSU", -1}, {"XUA", -1}, {"XBA", -1}, {"XBB", -1}, {"XBC", -1},
		{"XBD", -1}, {"XTS", -1}, {"XXX", -1},
		/* not codes at all */
		{"usd", -1}, {"Usd", -1}, {"AAA", -1}, {"ZZZ", -1}, {"U$D", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const Currency *c = money_find_currency(cases[i].code, 3);

		if (cases[i].exponent < 0)
			CHECK(c == NULL, "%s should be unknown", cases[i].code);
		else
			CHECK(c != NULL && c->exponent == cases[i].exponent &&
				  strcmp(c->code, cases[i].code) == 0,
				  "%s: expected exponent %d", cases[i].code, cases[i].exponent);
	}

	/* The length, not a terminating zero, delimits the code. */
	CHECK(money_find_currency("US", 2) == NULL, "US");
	CHECK(money_find_currency("USDX", 4) == NULL, "USDX");
	CHECK(money_find_currency("", 0) == NULL, "empty");
	CHECK(money_find_currency(NULL, 3) == NULL, "NULL");
	CHECK(money_find_currency("US\0", 3) == NULL, "embedded zero");
	CHECK(money_find_currency("USDollar", 3) != NULL &&
		  strcmp(money_find_currency("USDollar", 3)->code, "USD") == 0,
		  "prefix of a longer buffer");
}

/* ---------------------------------------------------------------- amounts */

typedef struct ParseCase
{
	const char *text;
	int			exponent;
	MoneyStatus status;
	int64_t		value;			/* when MONEY_OK */
} ParseCase;

static const char *
StatusName(MoneyStatus s)
{
	switch (s)
	{
		case MONEY_OK:
			return "OK";
		case MONEY_SYNTAX:
			return "SYNTAX";
		case MONEY_TOO_PRECISE:
			return "TOO_PRECISE";
		case MONEY_OUT_OF_RANGE:
			return "OUT_OF_RANGE";
	}
	return "?";
}

static void
test_money_parse(void)
{
	static const ParseCase cases[] = {
		/* SPEC section 2 examples */
		{"48.71", 2, MONEY_OK, 4871},
		{"1200", 0, MONEY_OK, 1200},
		{"12.500", 3, MONEY_OK, 12500},
		{"-0.05", 2, MONEY_OK, -5},
		{"3.72", 2, MONEY_OK, 372},
		/* fewer fractional digits than the exponent are scaled */
		{"48.7", 2, MONEY_OK, 4870},
		{"48", 2, MONEY_OK, 4800},
		{"12.5", 3, MONEY_OK, 12500},
		{"1", 4, MONEY_OK, 10000},
		{"0.0001", 4, MONEY_OK, 1},
		{"0.001", 3, MONEY_OK, 1},
		{"7", 0, MONEY_OK, 7},
		/* zero, signed zero and leading zeros */
		{"0", 0, MONEY_OK, 0},
		{"0", 2, MONEY_OK, 0},
		{"-0", 2, MONEY_OK, 0},
		{"-0.00", 2, MONEY_OK, 0},
		{"-0", 0, MONEY_OK, 0},
		{"000", 2, MONEY_OK, 0},
		{"007.50", 2, MONEY_OK, 750},
		{"000000000000000000000001", 0, MONEY_OK, 1},
		{"000000000000000000000001", 2, MONEY_OK, 100},
		{"-000000000000000000000000000000000000000000000000000.01", 2, MONEY_OK, -1},
		/* syntax */
		{"", 2, MONEY_SYNTAX, 0},
		{"-", 2, MONEY_SYNTAX, 0},
		{"1.", 2, MONEY_SYNTAX, 0},
		{".5", 2, MONEY_SYNTAX, 0},
		{"-.5", 2, MONEY_SYNTAX, 0},
		{"-1.", 2, MONEY_SYNTAX, 0},
		{"+1", 2, MONEY_SYNTAX, 0},
		{"1e2", 2, MONEY_SYNTAX, 0},
		{"1E2", 2, MONEY_SYNTAX, 0},
		{" 1", 2, MONEY_SYNTAX, 0},
		{"1 ", 2, MONEY_SYNTAX, 0},
		{"1 000", 2, MONEY_SYNTAX, 0},
		{"1,5", 2, MONEY_SYNTAX, 0},
		{"1,000.00", 2, MONEY_SYNTAX, 0},
		{"--1", 2, MONEY_SYNTAX, 0},
		{"-+1", 2, MONEY_SYNTAX, 0},
		{"1-", 2, MONEY_SYNTAX, 0},
		{"1..2", 2, MONEY_SYNTAX, 0},
		{"1.2.3", 2, MONEY_SYNTAX, 0},
		{"0x10", 2, MONEY_SYNTAX, 0},
		{"NaN", 2, MONEY_SYNTAX, 0},
		{"Infinity", 2, MONEY_SYNTAX, 0},
		{"\xd9\xa1", 2, MONEY_SYNTAX, 0},	/* Arabic-Indic digit one */
		{"1\n", 2, MONEY_SYNTAX, 0},
		{"1.5x", 2, MONEY_SYNTAX, 0},
		/* syntax is reported before precision and range */
		{"99999999999999999999.999x", 2, MONEY_SYNTAX, 0},
		/* too precise, even with zeros */
		{"1.000", 2, MONEY_TOO_PRECISE, 0},
		{"1.230", 2, MONEY_TOO_PRECISE, 0},
		{"1.0", 0, MONEY_TOO_PRECISE, 0},
		{"0.00001", 4, MONEY_TOO_PRECISE, 0},
		{"12.5000", 3, MONEY_TOO_PRECISE, 0},
		{"-0.001", 2, MONEY_TOO_PRECISE, 0},
		/* precision is reported before range */
		{"99999999999999999999.999", 2, MONEY_TOO_PRECISE, 0},
		/* MONEY_MAX_ABS edges */
		{"999999999999999999", 0, MONEY_OK, MAX},
		{"-999999999999999999", 0, MONEY_OK, -MAX},
		{"1000000000000000000", 0, MONEY_OUT_OF_RANGE, 0},
		{"-1000000000000000000", 0, MONEY_OUT_OF_RANGE, 0},
		{"9999999999999999.99", 2, MONEY_OK, MAX},
		{"-9999999999999999.99", 2, MONEY_OK, -MAX},
		{"9999999999999999.9", 2, MONEY_OK, MAX - 9},
		{"10000000000000000", 2, MONEY_OUT_OF_RANGE, 0},
		{"10000000000000000.00", 2, MONEY_OUT_OF_RANGE, 0},
		{"999999999999999.999", 3, MONEY_OK, MAX},
		{"1000000000000000", 3, MONEY_OUT_OF_RANGE, 0},
		{"99999999999999.9999", 4, MONEY_OK, MAX},
		{"99999999999999.99990", 4, MONEY_TOO_PRECISE, 0},
		{"100000000000000", 4, MONEY_OUT_OF_RANGE, 0},
		/* int64_t and uint64_t boundaries must not wrap */
		{"9223372036854775807", 0, MONEY_OUT_OF_RANGE, 0},
		{"9223372036854775808", 0, MONEY_OUT_OF_RANGE, 0},
		{"-9223372036854775808", 0, MONEY_OUT_OF_RANGE, 0},
		{"18446744073709551616", 0, MONEY_OUT_OF_RANGE, 0},
		{"184467440737095516160000000000", 2, MONEY_OUT_OF_RANGE, 0},
		{"1844674407370955161.6", 2, MONEY_OUT_OF_RANGE, 0},
		/* exponents outside 0..18 are a caller's bug */
		{"1", -1, MONEY_SYNTAX, 0},
		{"1", 19, MONEY_SYNTAX, 0},
		{"0.999999999999999999", 18, MONEY_OK, MAX},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const ParseCase *c = &cases[i];
		int64_t		value = INT64_C(-42);
		MoneyStatus status = money_parse(c->text, strlen(c->text), c->exponent, &value);

		CHECK(status == c->status && (status != MONEY_OK || value == c->value),
			  "money_parse(\"%s\", %d) = %s %" PRId64 ", expected %s %" PRId64,
			  c->text, c->exponent, StatusName(status), value,
			  StatusName(c->status), c->value);
		if (status != MONEY_OK)
			CHECK(value == INT64_C(-42), "\"%s\": output written on error", c->text);
	}

	/* The length delimits the text: embedded zeros and longer buffers. */
	{
		int64_t		v = 0;

		CHECK(money_parse("12\0" "3", 4, 2, &v) == MONEY_SYNTAX, "embedded zero");
		CHECK(money_parse("48.71xyz", 5, 2, &v) == MONEY_OK && v == 4871, "prefix");
		CHECK(money_parse("48.71", 4, 2, &v) == MONEY_OK && v == 4870, "shorter length");
		CHECK(money_parse("48.71", 3, 2, &v) == MONEY_SYNTAX, "\"48.\"");
		CHECK(money_parse(NULL, 0, 2, &v) == MONEY_SYNTAX, "NULL text");
	}

	/* A very long run of digits must be rejected, not wrapped. */
	{
		char		longtext[400];
		int64_t		v = 0;

		memset(longtext, '9', sizeof(longtext));
		CHECK(money_parse(longtext, sizeof(longtext), 2, &v) == MONEY_OUT_OF_RANGE,
			  "400 nines");
		memset(longtext, '0', sizeof(longtext));
		longtext[sizeof(longtext) - 1] = '7';
		CHECK(money_parse(longtext, sizeof(longtext), 3, &v) == MONEY_OK && v == 7000,
			  "399 zeros then 7");
	}
}

typedef struct FormatCase
{
	int64_t		minor;
	int			exponent;
	const char *text;
} FormatCase;

static void
test_money_format(void)
{
	static const FormatCase cases[] = {
		{4871, 2, "48.71"},
		{1200, 0, "1200"},
		{12500, 3, "12.500"},
		{-5, 2, "-0.05"},
		{372, 2, "3.72"},
		{4499, 2, "44.99"},
		{0, 0, "0"},
		{0, 2, "0.00"},
		{0, 4, "0.0000"},
		{1, 2, "0.01"},
		{-1, 0, "-1"},
		{100, 2, "1.00"},
		{5, 4, "0.0005"},
		{-123456, 3, "-123.456"},
		{MAX, 0, "999999999999999999"},
		{-MAX, 0, "-999999999999999999"},
		{MAX, 2, "9999999999999999.99"},
		{-MAX, 3, "-999999999999999.999"},
		{MAX, 4, "99999999999999.9999"},
		/* outside MONEY_MAX_ABS: still correct, no overflow */
		{INT64_MAX, 2, "92233720368547758.07"},
		{INT64_MIN, 2, "-92233720368547758.08"},
		{INT64_MIN, 0, "-9223372036854775808"},
		{1, 18, "0.000000000000000001"},
		{INT64_MIN, 18, "-9.223372036854775808"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		buf[MONEY_FORMAT_BUFLEN];
		size_t		len = money_format(cases[i].minor, cases[i].exponent, buf);

		CHECK(strcmp(buf, cases[i].text) == 0 && len == strlen(buf),
			  "money_format(%" PRId64 ", %d) = \"%s\" (%zu), expected \"%s\"",
			  cases[i].minor, cases[i].exponent, buf, len, cases[i].text);
	}

	{
		char		buf[MONEY_FORMAT_BUFLEN] = "x";

		CHECK(money_format(1, 19, buf) == 0 && buf[0] == '\0', "exponent 19");
		CHECK(money_format(1, -1, buf) == 0 && buf[0] == '\0', "exponent -1");
	}
}

/* format(parse(x)) == x for canonical texts, parse(format(v)) == v always. */
static void
test_money_round_trip(void)
{
	static const char *const canonical[] = {
		"0", "1", "-1", "48", "1200", "999999999999999999", "-999999999999999999",
		"0.00", "48.71", "-0.05", "9999999999999999.99", "0.01",
		"12.500", "0.001", "-999999999999999.999",
		"0.0001", "99999999999999.9999",
	};
	static const int64_t values[] = {
		0, 1, -1, 9, 10, 99, 100, 101, 4871, -4871, 123456789, MAX, -MAX,
		MAX - 1, -MAX + 1, INT64_C(1000000000000000), INT64_C(-987654321012345678),
	};

	for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++)
	{
		const char *text = canonical[i];
		const char *dot = strchr(text, '.');
		int			exponent = dot ? (int) strlen(dot + 1) : 0;
		int64_t		v = 0;
		char		buf[MONEY_FORMAT_BUFLEN];

		CHECK(money_parse(text, strlen(text), exponent, &v) == MONEY_OK &&
			  money_format(v, exponent, buf) > 0 && strcmp(buf, text) == 0,
			  "round trip of \"%s\" gave \"%s\"", text, buf);
	}

	for (int exponent = 0; exponent <= 4; exponent++)
		for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		{
			char		buf[MONEY_FORMAT_BUFLEN];
			size_t		len = money_format(values[i], exponent, buf);
			int64_t		v = 0;

			CHECK(money_parse(buf, len, exponent, &v) == MONEY_OK && v == values[i],
				  "parse(format(%" PRId64 ", %d)) via \"%s\" gave %" PRId64,
				  values[i], exponent, buf, v);
		}
}

/* ---------------------------------------------------------------- arithmetic */

static void
test_add_sub(void)
{
	static const struct
	{
		int64_t		a;
		int64_t		b;
		bool		add_ok;
		int64_t		sum;
		bool		sub_ok;
		int64_t		difference;
	}			cases[] = {
		{1, 2, true, 3, true, -1},
		{-5, 3, true, -2, true, -8},
		{MAX, 0, true, MAX, true, MAX},
		{MAX, 1, false, 0, true, MAX - 1},
		{MAX, -1, true, MAX - 1, false, 0},
		{-MAX, -1, false, 0, true, -MAX + 1},
		{-MAX, 1, true, -MAX + 1, false, 0},
		{MAX, MAX, false, 0, true, 0},
		{MAX, -MAX, true, 0, false, 0},
		{-MAX, -MAX, false, 0, true, 0},
		/* operands beyond MONEY_MAX_ABS: no int64_t overflow, exact answer */
		{INT64_MAX, 1, false, 0, false, 0},
		{INT64_MIN, -1, false, 0, false, 0},
		{INT64_MAX, INT64_MIN, true, -1, false, 0},
		{INT64_MIN, INT64_MIN, false, 0, true, 0},
		{INT64_MAX, INT64_MAX, false, 0, true, 0},
		{INT64_MIN, INT64_MAX, true, -1, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int64_t		r = 0;
		bool		ok = money_add(cases[i].a, cases[i].b, &r);

		CHECK(ok == cases[i].add_ok && (!ok || r == cases[i].sum),
			  "money_add(%" PRId64 ", %" PRId64 ") = %d %" PRId64,
			  cases[i].a, cases[i].b, ok, r);
		r = 0;
		ok = money_sub(cases[i].a, cases[i].b, &r);
		CHECK(ok == cases[i].sub_ok && (!ok || r == cases[i].difference),
			  "money_sub(%" PRId64 ", %" PRId64 ") = %d %" PRId64,
			  cases[i].a, cases[i].b, ok, r);
	}
}

/* Reference: round(a * b / c) half away from zero, c > 0, in 128 bits. */
static bool
RefMulDivRound(int64_t a, int64_t b, int64_t c, int64_t *result)
{
	unsigned __int128 ma = a < 0 ? (unsigned __int128) 0 - (unsigned __int128) a : (unsigned __int128) a;
	unsigned __int128 mb = b < 0 ? (unsigned __int128) 0 - (unsigned __int128) b : (unsigned __int128) b;
	unsigned __int128 p;
	unsigned __int128 q;
	unsigned __int128 r;

	/* int64_t magnitudes are at most 2^63, so the product fits */
	p = ma * mb;
	q = p / (unsigned __int128) c;
	r = p % (unsigned __int128) c;
	if (2 * r >= (unsigned __int128) c)
		q++;
	if (q > (unsigned __int128) MAX)
		return false;
	*result = ((a < 0) != (b < 0)) ? -(int64_t) q : (int64_t) q;
	return true;
}

static void
test_muldiv(void)
{
	static const struct
	{
		int64_t		a;
		int64_t		b;
		int64_t		c;
		bool		ok;
		int64_t		result;
	}			cases[] = {
		{10, 1, 4, true, 3},	/* 2.5 */
		{-10, 1, 4, true, -3},
		{10, -1, 4, true, -3},
		{-10, -1, 4, true, 3},
		{9, 1, 4, true, 2},		/* 2.25 */
		{-9, 1, 4, true, -2},
		{11, 1, 4, true, 3},	/* 2.75 */
		{-11, 1, 4, true, -3},
		{1, 1, 2, true, 1},		/* 0.5 */
		{-1, 1, 2, true, -1},
		{1, 1, 3, true, 0},
		{2, 1, 3, true, 1},
		{0, 12345, 7, true, 0},
		{0, -12345, 7, true, 0},
		{7, 0, 7, true, 0},
		{1, 1, 0, false, 0},
		{1, 1, -3, false, 0},
		{MAX, MAX, MAX, true, MAX},
		{-MAX, MAX, MAX, true, -MAX},
		{MAX, 2, 2, true, MAX},
		{MAX, 2, 1, false, 0},
		{MAX, MAX, MAX - 1, false, 0},
		{MAX, INT64_C(100000000000000000), INT64_C(100000000000000000), true, MAX},
		{INT64_MAX, INT64_MAX, INT64_MAX, false, 0},
		{INT64_MIN, 1, INT64_MAX, true, -1},
		{INT64_MIN, INT64_MIN, INT64_MAX, false, 0},
		{INT64_MIN, -1, INT64_MAX, true, 1},
		/* 2 * MAX / 4 = 499999999999999999.5: the rounding step at the edge */
		{MAX, 2, 4, true, INT64_C(500000000000000000)},
		{MAX, 1, 1, true, MAX},
		{MAX + 1, 1, 1, false, 0},
		{2 * MAX + 1, 1, 2, false, 0},	/* MAX + 0.5 rounds up, out of range */
		{2 * MAX, 1, 2, true, MAX},
		{2 * MAX - 1, 1, 2, true, MAX},	/* MAX - 0.5 rounds up to MAX */
		{-(2 * MAX - 1), 1, 2, true, -MAX},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int64_t		r = 0;
		bool		ok = money_muldiv_round(cases[i].a, cases[i].b, cases[i].c, &r);

		CHECK(ok == cases[i].ok && (!ok || r == cases[i].result),
			  "money_muldiv_round(%" PRId64 ", %" PRId64 ", %" PRId64 ") = %d %" PRId64,
			  cases[i].a, cases[i].b, cases[i].c, ok, r);
	}
}

/* splitmix64: small, good enough, and the same everywhere. */
static uint64_t
NextRandom(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Random int64_t of a random bit length, so small and huge both occur. */
static int64_t
RandomOperand(uint64_t *state)
{
	int			bits = (int) (NextRandom(state) % 64);
	uint64_t	v = NextRandom(state) >> (63 - bits);

	return (NextRandom(state) & 1) ? -(int64_t) (v >> 1) : (int64_t) (v >> 1);
}

static void
test_muldiv_random(uint64_t seed)
{
	uint64_t	state = seed;
	long		mismatches = 0;
	const long	rounds = 200000;

	for (long i = 0; i < rounds; i++)
	{
		int64_t		a = RandomOperand(&state);
		int64_t		b = RandomOperand(&state);
		int64_t		c = RandomOperand(&state);
		int64_t		got = 0;
		int64_t		want = 0;
		bool		ok;
		bool		ref;

		if (c < 0)
			c = -c;
		if (c == 0)
			c = 1;
		ok = money_muldiv_round(a, b, c, &got);
		ref = RefMulDivRound(a, b, c, &want);
		if (ok != ref || (ok && got != want))
		{
			if (mismatches++ < 5)
				CHECK(false, "money_muldiv_round(%" PRId64 ", %" PRId64 ", %" PRId64
					  ") = %d %" PRId64 ", reference %d %" PRId64,
					  a, b, c, ok, got, ref, want);
		}
	}
	CHECK(mismatches == 0, "%ld of %ld random money_muldiv_round calls differ from the reference",
		  mismatches, rounds);
}

/* ---------------------------------------------------------------- rates */

static void
test_rate_parse(void)
{
	static const ParseCase cases[] = {
		{"8.25", 0, MONEY_OK, 8250000},
		{"20", 0, MONEY_OK, 20000000},
		{"20.00", 0, MONEY_OK, 20000000},
		{"20.000000", 0, MONEY_OK, 20000000},
		{"0", 0, MONEY_OK, 0},
		{"0.5", 0, MONEY_OK, 500000},
		{"0.000001", 0, MONEY_OK, 1},
		{"5.5", 0, MONEY_OK, 5500000},
		{"008.25", 0, MONEY_OK, 8250000},
		{"1000", 0, MONEY_OK, RATE_MAX},
		{"1000.000000", 0, MONEY_OK, RATE_MAX},
		{"999.999999", 0, MONEY_OK, RATE_MAX - 1},
		{"20.0000001", 0, MONEY_TOO_PRECISE, 0},
		{"20.0000000", 0, MONEY_TOO_PRECISE, 0},
		{"1000.000001", 0, MONEY_OUT_OF_RANGE, 0},
		{"1001", 0, MONEY_OUT_OF_RANGE, 0},
		{"99999999999999999999999999", 0, MONEY_OUT_OF_RANGE, 0},
		{"", 0, MONEY_SYNTAX, 0},
		{"-1", 0, MONEY_SYNTAX, 0},
		{"-0", 0, MONEY_SYNTAX, 0},
		{"+8.25", 0, MONEY_SYNTAX, 0},
		{"8.25%", 0, MONEY_SYNTAX, 0},
		{"8,25", 0, MONEY_SYNTAX, 0},
		{".25", 0, MONEY_SYNTAX, 0},
		{"8.", 0, MONEY_SYNTAX, 0},
		{"1e1", 0, MONEY_SYNTAX, 0},
		{" 20", 0, MONEY_SYNTAX, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int64_t		rate = INT64_C(-42);
		MoneyStatus status = rate_parse(cases[i].text, strlen(cases[i].text), &rate);

		CHECK(status == cases[i].status && (status != MONEY_OK || rate == cases[i].value),
			  "rate_parse(\"%s\") = %s %" PRId64 ", expected %s %" PRId64,
			  cases[i].text, StatusName(status), rate,
			  StatusName(cases[i].status), cases[i].value);
	}
	{
		int64_t		rate = 0;

		CHECK(rate_parse(NULL, 0, &rate) == MONEY_SYNTAX, "NULL rate");
	}
}

static void
test_rate_format(void)
{
	static const FormatCase cases[] = {
		{8250000, 0, "8.25"},
		{20000000, 0, "20"},
		{500000, 0, "0.5"},
		{0, 0, "0"},
		{1, 0, "0.000001"},
		{100000, 0, "0.1"},
		{1234567, 0, "1.234567"},
		{10000000, 0, "10"},
		{RATE_MAX, 0, "1000"},
		{-2500000, 0, "-2.5"},
		{INT64_MIN, 0, "-9223372036854.775808"},
		{INT64_MAX, 0, "9223372036854.775807"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char		buf[MONEY_FORMAT_BUFLEN];
		size_t		len = rate_format(cases[i].minor, buf);

		CHECK(strcmp(buf, cases[i].text) == 0 && len == strlen(buf),
			  "rate_format(%" PRId64 ") = \"%s\", expected \"%s\"",
			  cases[i].minor, buf, cases[i].text);
	}

	/* Every rate round-trips, on a grid and at the edges. */
	for (int64_t rate = 0; rate <= RATE_MAX; rate += (rate < 2000 ? 1 : 999983))
	{
		char		buf[MONEY_FORMAT_BUFLEN];
		size_t		len = rate_format(rate, buf);
		int64_t		back = -1;

		if (rate_parse(buf, len, &back) != MONEY_OK || back != rate)
		{
			CHECK(false, "rate %" PRId64 " formatted as \"%s\" parsed back as %" PRId64,
				  rate, buf, back);
			break;
		}
	}
	CHECK(true, "rate round trip grid");
}

/* ---------------------------------------------------------------- tax, percent */

static void
test_tax_included(void)
{
	static const struct
	{
		int64_t		gross;
		int64_t		rate;
		bool		ok;
		int64_t		tax;
	}			cases[] = {
		/* SPEC: 48.71 at 8.25 % gives tax 3.71, net 45.00 */
		{4871, 8250000, true, 371},
		{12000, 20000000, true, 2000},
		{120, 20000000, true, 20},
		{10, 20000000, true, 2},	/* 1.67 */
		{1, 20000000, true, 0},		/* 0.17 */
		{5, 100000000, true, 3},	/* 2.5 at 100 %: half away from zero */
		{-5, 100000000, true, -3},
		{3, 100000000, true, 2},	/* 1.5 */
		{-3, 100000000, true, -2},
		{7, 100000000, true, 4},	/* 3.5 */
		{4871, 0, true, 0},
		{0, 8250000, true, 0},
		{11, RATE_MAX, true, 10},	/* 11 * 1000 / 1100 */
		{MAX, RATE_MAX, true, INT64_C(909090909090909090)},
		{MAX, 1, true, INT64_C(9999999900)},	/* 0.000001 % rate on MAX */
		{4871, -1, false, 0},
		{4871, RATE_MAX + 1, false, 0},
		{MAX + 1, 8250000, false, 0},
		{-MAX - 1, 8250000, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int64_t		tax = 0;
		bool		ok = money_tax_included(cases[i].gross, cases[i].rate, &tax);

		CHECK(ok == cases[i].ok && (!ok || tax == cases[i].tax),
			  "money_tax_included(%" PRId64 ", %" PRId64 ") = %d %" PRId64
			  ", expected %" PRId64, cases[i].gross, cases[i].rate, ok, tax,
			  cases[i].tax);
	}

	/* The SPEC example end to end, through the parsers. */
	{
		int64_t		gross = 0;
		int64_t		rate = 0;
		int64_t		tax = 0;
		int64_t		net = 0;
		char		buf[MONEY_FORMAT_BUFLEN];

		CHECK(money_parse("48.71", 5, 2, &gross) == MONEY_OK &&
			  rate_parse("8.25", 4, &rate) == MONEY_OK &&
			  money_tax_included(gross, rate, &tax) &&
			  money_sub(gross, tax, &net) &&
			  money_format(net, 2, buf) > 0 && strcmp(buf, "45.00") == 0,
			  "48.71 at 8.25 %% gives net %s", buf);
	}
}

static void
test_percent_of(void)
{
	static const struct
	{
		int64_t		amount;
		int64_t		percent;
		bool		ok;
		int64_t		result;
	}			cases[] = {
		{4871, 50000000, true, 2436},	/* 2435.5 */
		{-4871, 50000000, true, -2436},
		{4871, 100000000, true, 4871},
		{4871, 0, true, 0},
		{4871, 10000000, true, 487},	/* 487.1 */
		{4875, 10000000, true, 488},	/* 487.5 */
		{1, 50000000, true, 1},
		{1, 49999999, true, 0},
		{-1, 50000000, true, -1},
		{3, 33333333, true, 1},
		{10000, 8250000, true, 825},
		{MAX, 100000000, true, MAX},
		{MAX, 100000001, false, 0},
		{MAX, RATE_MAX, false, 0},
		{100, RATE_MAX, true, 1000},
		{4871, -1, false, 0},
		{4871, RATE_MAX + 1, false, 0},
		{MAX + 1, 1, false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		int64_t		r = 0;
		bool		ok = money_percent_of(cases[i].amount, cases[i].percent, &r);

		CHECK(ok == cases[i].ok && (!ok || r == cases[i].result),
			  "money_percent_of(%" PRId64 ", %" PRId64 ") = %d %" PRId64,
			  cases[i].amount, cases[i].percent, ok, r);
	}
}

int
main(void)
{
	uint64_t	seed = UINT64_C(20240625);
	const char *env = getenv("UNIT_SEED");

	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 10);
	printf("test_money: seed %" PRIu64 " (set UNIT_SEED to change), %s 128-bit arithmetic\n",
		   seed,
#if defined(MONEY_NO_INT128)
		   "portable"
#else
		   "compiler"
#endif
		);

	test_currency_table();
	test_currency_lookup();
	test_money_parse();
	test_money_format();
	test_money_round_trip();
	test_add_sub();
	test_muldiv();
	test_muldiv_random(seed);
	test_rate_parse();
	test_rate_format();
	test_tax_included();
	test_percent_of();
	return unit_finish();
}
