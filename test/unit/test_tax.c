/*-------------------------------------------------------------------------
 *
 * test_tax.c
 *	  Unit and property tests of src/tax.c: apportioning a line's tax
 *	  components over successive refunds, and one refund over payments
 *	  (SPEC section 2).
 *
 * Three layers:
 *	- examples with known answers (the SPEC's, and pathological lines);
 *	- an exhaustive walk over every state reachable on small lines, with
 *	  every possible next refund;
 *	- random lines and refund sequences from a fixed seed (printed; set
 *	  UNIT_SEED to try another), in currencies with 0, 2 and 3 decimals.
 *
 * After every refund the SPEC's rules are checked exactly (128-bit
 * products, no rounding): each component >= 0, their sum <= the refunded
 * gross, each cumulative component strictly within one unit of
 * component * cumulative gross / gross, cumulative net never above the
 * line's net, and the line refunded in full refunds exactly its
 * components.  The cumulative net is also checked to stay within one unit
 * of its proportional value, the property tax.c relies on.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "tax.h"
#include "unit.h"

#ifndef __SIZEOF_INT128__
#error "the exact checks in this test need __int128"
#endif

typedef __int128 int128;

/* A line under test and what has been refunded of it so far. */
typedef struct Line
{
	int64_t		gross;
	int64_t		refunded;
	int			n;
	int64_t		component[TAX_MAX_COMPONENTS];
	int64_t		cum[TAX_MAX_COMPONENTS];
} Line;

static void
LineInit(Line *line, int64_t gross, int n, const int64_t *component)
{
	memset(line, 0, sizeof(*line));
	line->gross = gross;
	line->n = n;
	for (int j = 0; j < n; j++)
		line->component[j] = component[j];
}

static void
LineDescribe(const Line *line, char *buf, size_t size)
{
	int			len = snprintf(buf, size, "gross %" PRId64 " refunded %" PRId64 " components {",
							   line->gross, line->refunded);

	for (int j = 0; j < line->n && len > 0 && (size_t) len < size; j++)
		len += snprintf(buf + len, size - (size_t) len, "%s%" PRId64 "/%" PRId64,
						j ? ", " : "", line->cum[j], line->component[j]);
	if (len > 0 && (size_t) len < size)
		snprintf(buf + len, size - (size_t) len, "} (refunded/recorded)");
}

/* |v * g - w * C| < g: v is strictly within one unit of w * C / g. */
static bool
WithinOne(int64_t v, int64_t w, int64_t C, int64_t g)
{
	int128		diff = (int128) v * g - (int128) w * C;

	return diff < g && diff > -(int128) g;
}

/*
 * Refunds `amount` more of the line and checks every rule; on failure
 * writes the reason into why and leaves the line unchanged.
 */
static bool
RefundChecked(Line *line, int64_t amount, int64_t *out, char *why, size_t whysize)
{
	TaxLine		tl;
	int64_t		buf[TAX_MAX_COMPONENTS];
	int64_t		sum = 0;
	int64_t		tax = 0;
	int64_t		total = 0;
	int64_t		C = line->refunded + amount;
	char		state[600];

	if (out == NULL)
		out = buf;
	LineDescribe(line, state, sizeof(state));
	tl.gross = line->gross;
	tl.refunded = line->refunded;
	tl.ncomponents = line->n;
	tl.component = line->component;
	tl.component_refunded = line->cum;
	if (!tax_apportion_refund(&tl, amount, out))
	{
		snprintf(why, whysize, "%s: refund of %" PRId64 " refused", state, amount);
		return false;
	}
	for (int j = 0; j < line->n; j++)
	{
		if (out[j] < 0)
		{
			snprintf(why, whysize, "%s: refund of %" PRId64 ": component %d is %" PRId64,
					 state, amount, j, out[j]);
			return false;
		}
		sum += out[j];
		tax += line->cum[j] + out[j];
		total += line->component[j];
	}
	if (sum > amount)
	{
		snprintf(why, whysize, "%s: refund of %" PRId64 " carries tax %" PRId64,
				 state, amount, sum);
		return false;
	}
	for (int j = 0; j < line->n; j++)
		if (!WithinOne(line->cum[j] + out[j], line->component[j], C, line->gross))
		{
			snprintf(why, whysize, "%s: refund of %" PRId64 ": cumulative component %d = %"
					 PRId64 " is a unit or more off", state, amount, j,
					 line->cum[j] + out[j]);
			return false;
		}
	if (C - tax > line->gross - total)
	{
		snprintf(why, whysize, "%s: refund of %" PRId64 ": cumulative net %" PRId64
				 " above the line's", state, amount, C - tax);
		return false;
	}
	if (!WithinOne(C - tax, line->gross - total, C, line->gross))
	{
		snprintf(why, whysize, "%s: refund of %" PRId64 ": cumulative net %" PRId64
				 " a unit or more off", state, amount, C - tax);
		return false;
	}
	for (int j = 0; j < line->n; j++)
	{
		line->cum[j] += out[j];
		if (C == line->gross && line->cum[j] != line->component[j])
		{
			snprintf(why, whysize, "%s: full refund ends with component %d at %" PRId64,
					 state, j, line->cum[j]);
			return false;
		}
	}
	line->refunded = C;
	return true;
}

/* ---------------------------------------------------------------- examples */

/* Refunds a sequence and compares every refund's components. */
static void
CheckSequence(const char *name, int64_t gross, int n, const int64_t *component,
			  int nrefunds, const int64_t *amounts, const int64_t *expected)
{
	Line		line;
	char		why[1024] = "";
	bool		ok = true;

	LineInit(&line, gross, n, component);
	for (int r = 0; r < nrefunds && ok; r++)
	{
		int64_t		out[TAX_MAX_COMPONENTS];

		ok = RefundChecked(&line, amounts[r], out, why, sizeof(why));
		for (int j = 0; j < n && ok && expected != NULL; j++)
			if (out[j] != expected[r * n + j])
			{
				snprintf(why, sizeof(why), "refund %d component %d is %" PRId64
						 ", expected %" PRId64, r, j, out[j], expected[r * n + j]);
				ok = false;
			}
	}
	CHECK(ok, "%s: %s", name, why);
}

static void
test_examples(void)
{
	/* The seed example: VAT 3.72 on 48.71, refunded at once and in two. */
	{
		const int64_t c[] = {372};
		const int64_t a1[] = {4871};
		const int64_t e1[] = {372};
		const int64_t a2[] = {1000, 3871};
		const int64_t e2[] = {76, 296};	/* 76.37 rounds to 76 */
		const int64_t a3[] = {2436, 2435};
		const int64_t e3[] = {186, 186};	/* 186.04, then the rest */

		CheckSequence("4871/372 at once", 4871, 1, c, 1, a1, e1);
		CheckSequence("4871/372 in two", 4871, 1, c, 2, a2, e2);
		CheckSequence("4871/372 in halves", 4871, 1, c, 2, a3, e3);
	}

	/* Rounding half away from zero with one component. */
	{
		const int64_t c[] = {2000};
		const int64_t a[] = {1000, 11000};
		const int64_t e[] = {167, 1833};	/* 166.67 rounds up */
		const int64_t c2[] = {1};
		const int64_t a2[] = {1, 1};
		const int64_t e2[] = {1, 0};	/* 0.5 rounds away from zero */

		CheckSequence("20 % VAT, 10.00 of 120.00", 12000, 1, c, 2, a, e);
		CheckSequence("1 of 2 with tax 1", 2, 1, c2, 2, a2, e2);
	}

	/* Unit-by-unit refunds: the tax moves one unit at a time. */
	{
		const int64_t c[] = {372};
		int64_t		a[60];

		for (int i = 0; i < 59; i++)
			a[i] = 1;
		a[59] = 4871 - 59;
		CheckSequence("4871/372 unit by unit", 4871, 1, c, 60, a, NULL);
	}

	/* Pathological: all tax, no net; three equal components. */
	{
		const int64_t c[] = {1, 1, 1};
		const int64_t a1[] = {1, 1, 1};
		const int64_t e1[] = {1, 0, 0, 0, 0, 1, 0, 1, 0};
		const int64_t a2[] = {2, 1};
		const int64_t a3[] = {1, 2};

		CheckSequence("3 of {1,1,1} unit by unit", 3, 3, c, 3, a1, e1);
		CheckSequence("3 of {1,1,1} as 2+1", 3, 3, c, 2, a2, NULL);
		CheckSequence("3 of {1,1,1} as 1+2", 3, 3, c, 2, a3, NULL);
	}

	/* Tax equal to gross: every refund is all tax. */
	{
		const int64_t c[] = {60, 40};
		const int64_t a[] = {33, 33, 34};

		CheckSequence("gross 100, tax {60, 40}", 100, 2, c, 3, a, NULL);
	}

	/*
	 * gross 10, tax {2, 2, 2, 2}: refunding 2 then 3.  Rounding the
	 * components alone gives {0, 0, 0, 0} after the first refund, and the
	 * second then needs 4 units of tax in a refund of 3.
	 */
	{
		const int64_t c[] = {2, 2, 2, 2};
		const int64_t a[] = {2, 3, 5};

		CheckSequence("gross 10, tax {2,2,2,2} as 2+3+5", 10, 4, c, 3, a, NULL);
	}

	/* Zero tax: no components, or components of zero. */
	{
		const int64_t c[] = {0, 0, 0};
		const int64_t a[] = {1, 4870};
		const int64_t e[] = {0, 0, 0, 0, 0, 0};

		CheckSequence("no components", 4871, 0, NULL, 2, a, NULL);
		CheckSequence("zero components", 4871, 3, c, 2, a, e);
	}

	/* One minor unit of gross. */
	{
		const int64_t c1[] = {1};
		const int64_t c0[] = {0};
		const int64_t a[] = {1};
		const int64_t e1[] = {1};
		const int64_t e0[] = {0};

		CheckSequence("gross 1 tax 1", 1, 1, c1, 1, a, e1);
		CheckSequence("gross 1 tax 0", 1, 1, c0, 1, a, e0);
	}

	/* Sixteen components, US style, refunded in uneven steps. */
	{
		int64_t		c[TAX_MAX_COMPONENTS];
		const int64_t a[] = {1, 1, 7, 100, 999, 3, 25000, 50000, 1, 23888};

		for (int j = 0; j < TAX_MAX_COMPONENTS; j++)
			c[j] = 125 + 37 * j;
		CheckSequence("16 components", 100000, TAX_MAX_COMPONENTS, c, 10, a, NULL);
		for (int j = 0; j < TAX_MAX_COMPONENTS; j++)
			c[j] = 6250;		/* sum == gross */
		CheckSequence("16 components, all tax", 100000, TAX_MAX_COMPONENTS, c, 10, a, NULL);
	}

	/* Largest amounts. */
	{
		const int64_t c[] = {MONEY_MAX_ABS / 3, MONEY_MAX_ABS / 3, 1};
		const int64_t a[] = {1, MONEY_MAX_ABS / 2, MONEY_MAX_ABS - 1 - MONEY_MAX_ABS / 2};

		CheckSequence("MONEY_MAX_ABS line", MONEY_MAX_ABS, 3, c, 3, a, NULL);
	}

	/*
	 * A sequence found by random search.  At its 31st refund the rounded
	 * choice cannot be completed (the two equal components are due to gain
	 * a unit at the same cumulative gross), so tax.c must take the
	 * earliest-deadline choice; had it rounded, the refund of 1 that
	 * follows could not keep every share within a unit.
	 */
	{
		const int64_t c[] = {455607398, 50182264, 7168894, 7168894};
		const int64_t a[] = {
			238963163, 159308776, 1, 228386464, 30350469, 1, 1, 19960205,
			21956025, 5988128, 6626706, 1, 1783183, 1, 1, 1188788, 1, 1,
			792525, 528350, 1, 766303, 96799, 1, 64532, 43021, 28681, 8392,
			16323, 1, 1, 1, 32645,
		};

		CheckSequence("rounded choice not completable", 716889491, 4, c,
					  (int) (sizeof(a) / sizeof(a[0])), a, NULL);
	}
}

/* A state this module never produces: the fallback still obeys the rules. */
static void
test_foreign_state(void)
{
	/* net 2 after refunding 5 of 100 where 3.5 is exact: off by 1.5 */
	const int64_t c[] = {10, 10, 10};
	const int64_t cr[] = {1, 1, 1};
	int64_t		out[3] = {-1, -1, -1};
	TaxLine		tl = {100, 5, 3, c, cr};

	CHECK(tax_apportion_refund(&tl, 1, out) &&
		  out[0] == 0 && out[1] == 0 && out[2] == 0,
		  "foreign state: got %d {%" PRId64 ", %" PRId64 ", %" PRId64 "}",
		  tax_apportion_refund(&tl, 1, out), out[0], out[1], out[2]);
}

static void
test_invalid(void)
{
	const int64_t c[] = {10, 20};
	const int64_t zero[] = {0, 0};
	const int64_t over[] = {11, 0};
	const int64_t neg[] = {-1, 0};
	const int64_t big[] = {60, 50};
	const int64_t negc[] = {-10, 20};
	int64_t		many[TAX_MAX_COMPONENTS + 1] = {0};
	int64_t		out[TAX_MAX_COMPONENTS + 1];
	const struct
	{
		const char *name;
		TaxLine		line;
		int64_t		amount;
	}			cases[] = {
		{"amount 0", {100, 0, 2, c, zero}, 0},
		{"amount < 0", {100, 0, 2, c, zero}, -1},
		{"amount above the rest", {100, 40, 2, c, zero}, 61},
		{"amount above gross", {100, 0, 2, c, zero}, 101},
		{"gross 0", {0, 0, 2, zero, zero}, 1},
		{"gross < 0", {-100, 0, 2, c, zero}, 1},
		{"gross above MONEY_MAX_ABS", {MONEY_MAX_ABS + 1, 0, 2, c, zero}, 1},
		{"refunded < 0", {100, -1, 2, c, zero}, 1},
		{"refunded above gross", {100, 101, 2, c, zero}, 1},
		{"fully refunded", {100, 100, 2, c, c}, 1},
		{"component < 0", {100, 0, 2, negc, zero}, 1},
		{"components above gross", {100, 0, 2, big, zero}, 1},
		{"refunded component above component", {100, 50, 2, c, over}, 1},
		{"refunded component < 0", {100, 50, 2, c, neg}, 1},
		{"refunded tax above refunded gross", {100, 5, 2, c, c}, 1},
		{"refunded net above the line's", {100, 80, 2, c, zero}, 1},
		{"ncomponents < 0", {100, 0, -1, c, zero}, 1},
		{"ncomponents above the maximum", {100, 0, TAX_MAX_COMPONENTS + 1, many, many}, 1},
		{"component array missing", {100, 0, 2, NULL, zero}, 1},
		{"refunded array missing", {100, 0, 2, c, NULL}, 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(!tax_apportion_refund(&cases[i].line, cases[i].amount, out),
			  "%s: accepted", cases[i].name);
	CHECK(!tax_apportion_refund(NULL, 1, out), "NULL line accepted");
	{
		TaxLine		ok = {100, 0, 2, c, zero};

		CHECK(!tax_apportion_refund(&ok, 1, NULL), "NULL out accepted");
		CHECK(tax_apportion_refund(&ok, 100, out) && out[0] == 10 && out[1] == 20,
			  "valid full refund");
	}
}

/* ---------------------------------------------------------------- exhaustive */

/*
 * Every state reachable on a line of gross g with components c (each
 * state is (refunded, cum[]), visited once), and from each every possible
 * next refund.  visited is indexed in base g + 1.
 */
static bool
WalkStates(Line *line, unsigned char *visited, char *why, size_t whysize)
{
	size_t		key = (size_t) line->refunded;

	for (int j = 0; j < line->n; j++)
		key = key * (size_t) (line->gross + 1) + (size_t) line->cum[j];
	if (visited[key])
		return true;
	visited[key] = 1;

	for (int64_t amount = 1; amount <= line->gross - line->refunded; amount++)
	{
		Line		next = *line;

		if (!RefundChecked(&next, amount, NULL, why, whysize))
			return false;
		if (next.refunded < next.gross && !WalkStates(&next, visited, why, whysize))
			return false;
	}
	return true;
}

static void
test_exhaustive(int maxgross, int n)
{
	int64_t		c[TAX_MAX_COMPONENTS];
	long		lines = 0;
	long		failed = 0;

	for (int64_t g = 1; g <= maxgross; g++)
	{
		size_t		size = 1;
		unsigned char *visited;

		for (int j = 0; j <= n; j++)
			size *= (size_t) (g + 1);
		visited = malloc(size);
		if (visited == NULL)
		{
			CHECK(false, "out of memory");
			return;
		}

		/* every component vector with sum <= g, as an odometer */
		for (int j = 0; j < n; j++)
			c[j] = 0;
		for (;;)
		{
			int64_t		sum = 0;
			int			k;

			for (int j = 0; j < n; j++)
				sum += c[j];
			if (sum <= g)
			{
				Line		line;
				char		why[1024] = "";

				LineInit(&line, g, n, c);
				memset(visited, 0, size);
				lines++;
				if (!WalkStates(&line, visited, why, sizeof(why)) && failed++ < 5)
					CHECK(false, "exhaustive: %s", why);
			}
			for (k = 0; k < n; k++)
			{
				if (++c[k] <= g)
					break;
				c[k] = 0;
			}
			if (k == n)
				break;
		}
		free(visited);
	}
	CHECK(failed == 0, "exhaustive, gross <= %d, %d components: %ld of %ld lines failed",
		  maxgross, n, failed, lines);
	printf("test_tax: exhaustive gross <= %d with %d components: %ld lines\n",
		   maxgross, n, lines);
}

/* ---------------------------------------------------------------- random */

static uint64_t
NextRandom(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi], lo <= hi (modulo bias is irrelevant here). */
static int64_t
RandomRange(uint64_t *state, int64_t lo, int64_t hi)
{
	return lo + (int64_t) (NextRandom(state) % ((uint64_t) (hi - lo) + 1));
}

static int64_t
RandomGross(uint64_t *state)
{
	switch (NextRandom(state) % 6)
	{
		case 0:
			return RandomRange(state, 1, 10);
		case 1:
			return RandomRange(state, 11, 10000);
		case 2:
			return RandomRange(state, 10001, INT64_C(1000000000));
		case 3:
			return RandomRange(state, 1, INT64_C(1000000000000000));
		case 4:
			return RandomRange(state, INT64_C(1000000000000000), MONEY_MAX_ABS);
		default:
			return RandomRange(state, 1, 300);
	}
}

/* Random components with sum <= gross, in several shapes. */
static int
RandomComponents(uint64_t *state, int64_t gross, int64_t *c)
{
	static const int64_t rates[] = {
		8250000, 20000000, 5500000, 1000000, 500000, 10000000, 7000000, 2900000,
	};
	int			n = (NextRandom(state) % 20 == 0) ? (int) RandomRange(state, 6, TAX_MAX_COMPONENTS)
		: (int) RandomRange(state, 0, 5);
	int			shape = (int) (NextRandom(state) % 5);
	int64_t		left = gross;

	for (int j = 0; j < n; j++)
	{
		switch (shape)
		{
			case 0:				/* realistic: a rate's tax in the gross */
				if (!money_tax_included(gross / (n + 1),
										rates[NextRandom(state) % 8], &c[j]))
					c[j] = 0;
				break;
			case 1:				/* tiny components */
				c[j] = RandomRange(state, 0, 2);
				break;
			case 2:				/* anything that still fits */
				c[j] = RandomRange(state, 0, left);
				break;
			default:			/* a share of what is left */
				c[j] = left / RandomRange(state, 1, n + 1);
				break;
		}
		if (c[j] > left)
			c[j] = left;
		left -= c[j];
	}
	/* Sometimes all tax: the last component takes the rest. */
	if (n > 0 && NextRandom(state) % 8 == 0)
		c[n - 1] += left;
	return n;
}

/* The next refund amount, at most `rest`. */
static int64_t
RandomAmount(uint64_t *state, int64_t rest)
{
	switch (NextRandom(state) % 5)
	{
		case 0:
			return 1;
		case 1:
			return RandomRange(state, 1, rest);
		case 2:
			return rest / 2 > 0 ? rest / 2 : 1;
		case 3:
			return rest / 3 > 0 ? rest / 3 : 1;
		default:
			return RandomRange(state, 1, rest < 100 ? rest : 100);
	}
}

/* format then parse gives the value back */
static bool
RoundTrips(int64_t v, int exponent)
{
	char		buf[MONEY_FORMAT_BUFLEN];
	size_t		len = money_format(v, exponent, buf);
	int64_t		back = 0;

	return money_parse(buf, len, exponent, &back) == MONEY_OK && back == v;
}

static void
test_random_refunds(uint64_t seed, long nlines)
{
	static const int exponents[] = {0, 2, 3};
	uint64_t	state = seed;
	long		failed = 0;
	long		refunds = 0;

	for (long i = 0; i < nlines; i++)
	{
		int			exponent = exponents[i % 3];
		int64_t		c[TAX_MAX_COMPONENTS];
		int64_t		gross = RandomGross(&state);
		int			n = RandomComponents(&state, gross, c);
		int			partials = (int) RandomRange(&state, 0, 8);
		Line		line;
		char		why[1024] = "";
		bool		ok = RoundTrips(gross, exponent);

		if (!ok)
			snprintf(why, sizeof(why), "gross %" PRId64 " does not round-trip", gross);
		LineInit(&line, gross, n, c);
		for (int j = 0; j < n && ok; j++)
			if (!RoundTrips(c[j], exponent))
			{
				snprintf(why, sizeof(why), "component %" PRId64 " does not round-trip", c[j]);
				ok = false;
			}

		/* partial refunds, then the rest */
		for (int r = 0; ok && line.refunded < gross; r++)
		{
			int64_t		rest = gross - line.refunded;
			int64_t		amount = r < partials ? RandomAmount(&state, rest) : rest;
			int64_t		out[TAX_MAX_COMPONENTS];

			ok = RoundTrips(amount, exponent) &&
				RefundChecked(&line, amount, out, why, sizeof(why));
			for (int j = 0; j < n && ok; j++)
				ok = RoundTrips(out[j], exponent);
			refunds++;
		}
		if (ok)
			CHECK(true, "random line");
		else if (failed++ < 5)
			CHECK(false, "random line %ld (exponent %d): %s", i, exponent, why);
	}
	CHECK(failed == 0, "%ld of %ld random lines failed", failed, nlines);
	printf("test_tax: %ld random lines, %ld refunds\n", nlines, refunds);
}

/* ---------------------------------------------------------------- tax_split */

/* Checks one split; on failure writes why. */
static bool
SplitChecked(int64_t gross, int n, const int64_t *tax, int nparts,
			 const int64_t *parts, char *why, size_t whysize)
{
	int64_t		out[8 * TAX_MAX_COMPONENTS];
	int64_t		cum[TAX_MAX_COMPONENTS] = {0};
	int64_t		C = 0;

	if (!tax_split(gross, n, tax, nparts, parts, out))
	{
		snprintf(why, whysize, "split of %" PRId64 " in %d parts refused", gross, nparts);
		return false;
	}
	for (int i = 0; i < nparts; i++)
	{
		int64_t		sum = 0;

		C += parts[i];
		for (int j = 0; j < n; j++)
		{
			int64_t		v = out[i * n + j];

			if (v < 0 || (parts[i] == 0 && v != 0))
			{
				snprintf(why, whysize, "gross %" PRId64 ": part %d (%" PRId64
						 ") component %d is %" PRId64, gross, i, parts[i], j, v);
				return false;
			}
			sum += v;
			cum[j] += v;
			if (!WithinOne(cum[j], tax[j], C, gross))
			{
				snprintf(why, whysize, "gross %" PRId64 ": after part %d component %d"
						 " is a unit or more off", gross, i, j);
				return false;
			}
		}
		if (sum > parts[i])
		{
			snprintf(why, whysize, "gross %" PRId64 ": part %d (%" PRId64
					 ") carries tax %" PRId64, gross, i, parts[i], sum);
			return false;
		}
	}
	for (int j = 0; j < n; j++)
		if (cum[j] != tax[j])
		{
			snprintf(why, whysize, "gross %" PRId64 ": component %d adds up to %" PRId64
					 " instead of %" PRId64, gross, j, cum[j], tax[j]);
			return false;
		}
	return true;
}

static void
test_split_examples(void)
{
	char		why[512] = "";

	{
		/* 48.71 with VAT 3.72, paid 30.00 by card and 18.71 by voucher */
		const int64_t tax[] = {372};
		const int64_t parts[] = {3000, 1871};
		int64_t		out[2];

		CHECK(tax_split(4871, 1, tax, 2, parts, out) && out[0] == 229 && out[1] == 143,
			  "48.71/3.72 over 30.00 + 18.71: %" PRId64 " + %" PRId64, out[0], out[1]);
	}
	{
		const int64_t tax[] = {1, 1, 1};
		const int64_t parts[] = {1, 1, 1};

		CHECK(SplitChecked(3, 3, tax, 3, parts, why, sizeof(why)), "{1,1,1}: %s", why);
	}
	{
		const int64_t tax[] = {10, 20};
		const int64_t parts[] = {0, 100, 0};

		CHECK(SplitChecked(100, 2, tax, 3, parts, why, sizeof(why)), "zero parts: %s", why);
	}
	{
		const int64_t parts[] = {60, 40};

		CHECK(tax_split(100, 0, NULL, 2, parts, NULL), "no components");
	}
	{
		const int64_t tax[] = {0};
		int64_t		out[1] = {-1};
		const int64_t parts[] = {0};

		CHECK(tax_split(0, 1, tax, 1, parts, out) && out[0] == 0, "gross 0");
	}

	/* invalid arguments */
	{
		const int64_t tax[] = {10, 20};
		const int64_t toomuch[] = {60, 50};
		const int64_t short_parts[] = {50, 49};
		const int64_t long_parts[] = {50, 51};
		const int64_t neg_parts[] = {101, -1};
		int64_t		out[2 * 2];

		CHECK(!tax_split(100, 2, tax, 2, short_parts, out), "parts below gross");
		CHECK(!tax_split(100, 2, tax, 2, long_parts, out), "parts above gross");
		CHECK(!tax_split(100, 2, tax, 2, neg_parts, out), "negative part");
		CHECK(!tax_split(100, 2, toomuch, 2, long_parts, out), "tax above gross");
		CHECK(!tax_split(-100, 2, tax, 2, neg_parts, out), "negative gross");
		CHECK(!tax_split(100, -1, tax, 2, short_parts, out), "ncomponents < 0");
		CHECK(!tax_split(100, TAX_MAX_COMPONENTS + 1, tax, 2, short_parts, out),
			  "too many components");
		CHECK(!tax_split(100, 2, tax, -1, short_parts, out), "nparts < 0");
		CHECK(!tax_split(100, 2, tax, 0, NULL, out), "no parts for a gross");
		CHECK(!tax_split(100, 2, tax, 2, NULL, out), "parts missing");
		CHECK(!tax_split(100, 2, tax, 2, long_parts, NULL), "out missing");
		CHECK(!tax_split(MONEY_MAX_ABS + 1, 0, NULL, 1, long_parts, NULL), "gross too large");
	}
}

static void
test_random_splits(uint64_t seed, long nsplits)
{
	uint64_t	state = seed ^ UINT64_C(0x5157);
	long		failed = 0;

	for (long i = 0; i < nsplits; i++)
	{
		int64_t		tax[TAX_MAX_COMPONENTS];
		int64_t		parts[8];
		int64_t		gross = RandomGross(&state);
		int			n = RandomComponents(&state, gross, tax);
		int			nparts = (int) RandomRange(&state, 1, 8);
		int64_t		left = gross;
		char		why[512] = "";

		for (int p = 0; p < nparts - 1; p++)
		{
			parts[p] = (NextRandom(&state) % 4 == 0) ? 0 : RandomAmount(&state, left > 0 ? left : 1);
			if (parts[p] > left)
				parts[p] = left;
			left -= parts[p];
		}
		parts[nparts - 1] = left;
		if (SplitChecked(gross, n, tax, nparts, parts, why, sizeof(why)))
			CHECK(true, "random split");
		else if (failed++ < 5)
			CHECK(false, "random split %ld: %s", i, why);
	}
	CHECK(failed == 0, "%ld of %ld random splits failed", failed, nsplits);
	printf("test_tax: %ld random splits\n", nsplits);
}

/*
 * Refunds where an earlier refund is given back now and then (a payment
 * that failed at the provider): whenever the strict rules cannot hold,
 * tax_apportion_recovering must still give components >= 0, within what
 * is left of each, summing to at most the amount, and the line must end
 * with exactly its recorded tax.
 */
static void
test_recovering(uint64_t seed, long nlines)
{
	uint64_t	state = seed ^ UINT64_C(0xfa11);
	long		failed = 0;
	long		recovered = 0;

	for (long i = 0; i < nlines; i++)
	{
		int64_t		comp[TAX_MAX_COMPONENTS];
		int64_t		cum[TAX_MAX_COMPONENTS] = {0};
		int64_t		gross = RandomGross(&state);
		int			n = RandomComponents(&state, gross, comp);
		int64_t		refunded = 0;
		int64_t		given[8][TAX_MAX_COMPONENTS];
		int64_t		given_gross[8];
		int			ngiven = 0;
		bool		ok = true;

		for (int step = 0; step < 40 && ok && refunded < gross; step++)
		{
			int64_t		out[TAX_MAX_COMPONENTS];
			int64_t		amount;
			int64_t		sum = 0;
			TaxLine		line = {gross, refunded, n, comp, cum};

			/* now and then, give back one of the last refunds */
			if (ngiven > 0 && NextRandom(&state) % 4 == 0)
			{
				int			k = (int) (NextRandom(&state) % ngiven);

				refunded -= given_gross[k];
				for (int j = 0; j < n; j++)
					cum[j] -= given[k][j];
				given_gross[k] = given_gross[ngiven - 1];
				memcpy(given[k], given[ngiven - 1], sizeof(given[k]));
				ngiven--;
				continue;
			}
			amount = step >= 30 ? gross - refunded : RandomAmount(&state, gross - refunded);
			line.refunded = refunded;
			if (!tax_apportion_refund(&line, amount, out))
			{
				recovered++;
				if (!tax_apportion_recovering(&line, amount, out))
				{
					ok = false;
					break;
				}
			}
			for (int j = 0; j < n; j++)
			{
				if (out[j] < 0 || cum[j] + out[j] > comp[j])
					ok = false;
				sum += out[j];
			}
			if (sum > amount)
				ok = false;
			for (int j = 0; j < n; j++)
				cum[j] += out[j];
			refunded += amount;
			if (ngiven < 8)
			{
				given_gross[ngiven] = amount;
				memcpy(given[ngiven], out, sizeof(int64_t) * n);
				ngiven++;
			}
		}
		if (ok && refunded < gross)
		{
			int64_t		out[TAX_MAX_COMPONENTS];
			TaxLine		line = {gross, refunded, n, comp, cum};

			if (!tax_apportion_refund(&line, gross - refunded, out) &&
				!tax_apportion_recovering(&line, gross - refunded, out))
				ok = false;
			for (int j = 0; ok && j < n; j++)
				cum[j] += out[j];
			refunded = gross;
		}
		for (int j = 0; ok && j < n; j++)
			if (cum[j] != comp[j])
				ok = false;
		if (ok)
			CHECK(true, "recovering line");
		else if (failed++ < 5)
			CHECK(false, "recovering line %ld (gross %" PRId64 ", %d components) broke a rule",
				  i, gross, n);
	}
	CHECK(failed == 0, "%ld of %ld lines with given-back refunds failed", failed, nlines);
	printf("test_tax: %ld lines with given-back refunds, %ld refunds needed recovery\n",
		   nlines, recovered);
}

int
main(void)
{
	uint64_t	seed = UINT64_C(4871372);
	const char *env = getenv("UNIT_SEED");

	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 10);
	printf("test_tax: seed %" PRIu64 " (set UNIT_SEED to change)\n", seed);

	test_examples();
	test_foreign_state();
	test_invalid();
	test_exhaustive(14, 0);
	test_exhaustive(14, 1);
	test_exhaustive(14, 2);
	test_exhaustive(12, 3);
	test_exhaustive(8, 4);
	test_random_refunds(seed, 30000);
	test_split_examples();
	test_random_splits(seed, 20000);
	test_recovering(seed, 20000);
	return unit_finish();
}
