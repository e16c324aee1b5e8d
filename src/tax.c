/*-------------------------------------------------------------------------
 *
 * tax.c
 *	  Apportionment of a line's recorded tax components over successive
 *	  refunds of the line, and of one refund over several payments
 *	  (SPEC section 2).
 *
 * The model.  A line of gross g carries components w_0 .. w_{n-1} and a
 * net w_n = g - sum(w_j); call all n + 1 of them "shares".  After refunds
 * totalling C (the cumulative gross), share j has been refunded v_j, with
 * sum(v_j) = C, and its exact proportional value is e_j = w_j * C / g.
 * The rules of the SPEC, per share, become:
 *
 *	- |v_j - e_j| < 1, so v_j is floor(e_j) or ceil(e_j);
 *	- no refund lowers any v_j: that is "each component >= 0" for the
 *	  components and "sum of components <= refunded gross" for the net;
 *	- at C = g every e_j is the integer w_j, so the line ends exact.
 *
 * Keeping the net within one unit of its exact value too is stronger than
 * the SPEC asks; it is what makes the rules satisfiable forever.  Think of
 * each unit of gross as a slot that one share takes: share j's k-th unit
 * may not be taken before e_j exceeds k - 1 and must be taken once e_j
 * reaches k, i.e. by "deadline" ceil(k * g / w_j).  Whether a state can
 * still be completed is then a unit-task scheduling question, answered by
 * Hall's condition: for every later cumulative gross t, the units whose
 * deadline is <= t must fit into the t - C slots left,
 *
 *		D(t) = sum_j max(0, floor(t * w_j / g) - v_j) <= t - C.
 *
 * From the empty state the condition holds (sum_j floor(t * w_j / g) <=
 * t).  In each refund, every share has at most one free unit (floor(e_j)
 * or ceil(e_j)); giving the free units to the shares with the earliest
 * deadlines minimizes D(t) for every t at once, so that choice keeps the
 * state completable whenever any choice does.  By induction, a line only
 * ever refunded through this function never gets stuck.
 *
 * Rounding each share's value half away from zero is what people expect
 * (20 % VAT of a 10.00 refund on a 120.00 line is 1.67, not 1.66), but it
 * is not always completable once a line has three shares or more: two
 * large shares can reach an integer together one unit later, with only
 * one slot for both.  So the rounded choice is used when it provably
 * keeps the state completable: always with two shares or fewer, otherwise
 * when it equals the earliest-deadline choice or when D(t) <= t - C can
 * be checked over the few cumulative grosses where the two differ (at
 * most CHECK_WINDOW of them).  Otherwise the earliest-deadline choice is
 * used.  Everything is exact integer arithmetic on values below
 * MONEY_MAX_ABS, with 128-bit products through money_muldiv_round().
 *
 * No PostgreSQL headers; unit-tested and fuzzed on its own.  No locks, no
 * allocation.
 *
 *-------------------------------------------------------------------------
 */
#include "tax.h"

#include "money.h"

/* Components plus the net. */
#define MAX_SHARES		(TAX_MAX_COMPONENTS + 1)

/*
 * Most cumulative grosses over which the rounded choice is checked before
 * falling back to the earliest-deadline choice.  The window is the time a
 * share needs to earn one unit, about g / w_j: 13 for 8.25 % VAT, 101 for
 * a 1 % city tax.  Only very small components relative to the line hit
 * the limit, and the cost is CHECK_WINDOW * shares additions at worst.
 */
#define CHECK_WINDOW	4096

/* One share (a tax component or the net) during one refund. */
typedef struct Share
{
	int64_t		weight;			/* w_j: recorded amount of the share */
	int64_t		prev;			/* cumulative refunded before this refund */
	int64_t		floor;			/* floor(e_j) */
	int64_t		rem;			/* e_j = floor + rem / gross */
	int64_t		lo;				/* lowest allowed new cumulative value */
	int64_t		hi;				/* highest allowed: ceil(e_j) */
	int64_t		deadline;		/* if lo < hi: cumulative gross by which e_j
								 * reaches hi, ceil(hi * gross / weight) */
} Share;

/*
 * floor(a * b / c) and the remainder, for a, b >= 0, c > 0 and a quotient
 * within MONEY_MAX_ABS.  money_muldiv_round() gives the rounded quotient q;
 * a * b - q * c lies within +-c/2, so computing it modulo 2^64 loses
 * nothing, and a negative value means q was rounded up.
 */
static bool
DivMod(int64_t a, int64_t b, int64_t c, int64_t *quotient, int64_t *remainder)
{
	int64_t		q;
	uint64_t	r;

	if (!money_muldiv_round(a, b, c, &q))
		return false;
	r = (uint64_t) a * (uint64_t) b - (uint64_t) q * (uint64_t) c;
	if (r > (uint64_t) INT64_MAX)
	{
		q--;
		r += (uint64_t) c;		/* wraps back to c - |r| */
	}
	*quotient = q;
	*remainder = (int64_t) r;
	return true;
}

/*
 * Recorded components of a line of the given gross: each within
 * [0, gross], their sum too.  The running sum stays below 2 * MONEY_MAX_ABS.
 */
static bool
ValidComponents(int64_t gross, int ncomponents, const int64_t *component,
				int64_t *total)
{
	int64_t		sum = 0;

	if (ncomponents < 0 || ncomponents > TAX_MAX_COMPONENTS)
		return false;
	if (ncomponents > 0 && component == NULL)
		return false;
	for (int j = 0; j < ncomponents; j++)
	{
		if (component[j] < 0 || component[j] > gross)
			return false;
		sum += component[j];
		if (sum > gross)
			return false;
	}
	*total = sum;
	return true;
}

/* Does share a come before share b by deadline, then by index? */
static bool
EarlierDeadline(const Share *shares, int a, int b)
{
	if (shares[a].deadline != shares[b].deadline)
		return shares[a].deadline < shares[b].deadline;
	return a < b;
}

/*
 * The earliest-deadline choice: every share at lo, then one more unit to
 * each of the `extra` free shares with the earliest deadlines.  Writes
 * new cumulative values into value[].
 */
static void
ChooseEarliestDeadline(const Share *shares, int nshares, int64_t extra,
					   int64_t *value)
{
	int			order[MAX_SHARES];
	int			nfree = 0;

	for (int j = 0; j < nshares; j++)
	{
		value[j] = shares[j].lo;
		if (shares[j].lo < shares[j].hi)
		{
			/* Insertion sort: at most MAX_SHARES entries. */
			int			k = nfree++;

			while (k > 0 && EarlierDeadline(shares, j, order[k - 1]))
			{
				order[k] = order[k - 1];
				k--;
			}
			order[k] = j;
		}
	}
	for (int k = 0; k < extra && k < nfree; k++)
		value[order[k]]++;
}

/*
 * Should share a be moved before share b?  Lowering (down = true) takes
 * the smallest fractional part first, raising the largest; equal
 * fractions go by deadline (the later deadline is lowered first, the
 * earlier raised first, which is what keeps states completable), then by
 * index so results are deterministic.  With use_deadline false (the
 * fallback below, where deadlines mean nothing) only the index breaks ties.
 */
static bool
MovesFirst(const Share *shares, int a, int b, bool down, bool use_deadline)
{
	if (shares[a].rem != shares[b].rem)
		return down ? shares[a].rem < shares[b].rem : shares[a].rem > shares[b].rem;
	if (use_deadline && shares[a].deadline != shares[b].deadline)
		return down ? shares[a].deadline > shares[b].deadline
			: shares[a].deadline < shares[b].deadline;
	return a < b;
}

/*
 * The rounded choice for the components 0 .. n-1: each e_j rounded half
 * away from zero and clamped to [lo, hi], then moved one unit at a time,
 * in MovesFirst() order, until their sum lies in [low_sum, high_sum].
 * False if it cannot.  Writes new cumulative values into value[0 .. n-1].
 */
static bool
ChooseRounded(const Share *shares, int n, int64_t gross,
			  int64_t low_sum, int64_t high_sum, bool use_deadline,
			  int64_t *value)
{
	int64_t		sum = 0;

	for (int j = 0; j < n; j++)
	{
		const Share *s = &shares[j];
		/* rem >= gross / 2, without overflow: rem < gross <= MONEY_MAX_ABS */
		int64_t		v = s->floor + (s->rem >= gross - s->rem ? 1 : 0);

		if (v < s->lo)
			v = s->lo;
		if (v > s->hi)
			v = s->hi;
		value[j] = v;
		sum += v;
	}

	/*
	 * Each pass moves the first movable component in order; n <= 16 and at
	 * most one move per component, so quadratic is fine.
	 */
	while (sum > high_sum || sum < low_sum)
	{
		bool		down = sum > high_sum;
		int			best = -1;

		for (int j = 0; j < n; j++)
		{
			bool		movable = down ? value[j] > shares[j].lo
				: value[j] < shares[j].hi;

			/* A component already moved sits at its bound: not movable. */
			if (movable && (best < 0 || MovesFirst(shares, j, best, down, use_deadline)))
				best = j;
		}
		if (best < 0)
			return false;
		value[best] += down ? -1 : 1;
		sum += down ? -1 : 1;
	}
	return true;
}

/*
 * Is the state with new cumulative values value[] at cumulative gross C
 * completable, as far as the cumulative grosses C + 1 .. last go?  Hall's
 * condition D(t) <= t - C, with floor(t * w_j / g) kept incrementally.
 */
static bool
CompletableUntil(const Share *shares, int nshares, int64_t gross,
				 int64_t C, int64_t last, const int64_t *value)
{
	int64_t		fl[MAX_SHARES];
	int64_t		rem[MAX_SHARES];

	for (int j = 0; j < nshares; j++)
	{
		fl[j] = shares[j].floor;
		rem[j] = shares[j].rem;
	}
	for (int64_t t = C + 1; t <= last; t++)
	{
		int64_t		due = 0;

		for (int j = 0; j < nshares; j++)
		{
			/* weight <= gross: at most one carry per step, no overflow */
			rem[j] += shares[j].weight;
			if (rem[j] >= gross)
			{
				rem[j] -= gross;
				fl[j]++;
			}
			if (fl[j] > value[j])
				due += fl[j] - value[j];
		}
		if (due > t - C)
			return false;
	}
	return true;
}

bool
tax_apportion_refund(const TaxLine *line, int64_t amount, int64_t *out)
{
	Share		shares[MAX_SHARES];
	int64_t		value[MAX_SHARES];
	int64_t		rounded[MAX_SHARES];
	int64_t		total_tax;
	int64_t		prev_tax = 0;
	int64_t		sum_lo = 0;
	int64_t		sum_hi = 0;
	int64_t		C;
	int			n;
	int			nshares;
	bool		in_model = true;
	Share	   *net;

	if (line == NULL)
		return false;
	n = line->ncomponents;
	if (line->gross <= 0 || line->gross > MONEY_MAX_ABS)
		return false;
	if (line->refunded < 0 || line->refunded > line->gross)
		return false;
	if (amount <= 0 || amount > line->gross - line->refunded)
		return false;
	if (!ValidComponents(line->gross, n, line->component, &total_tax))
		return false;
	if (n > 0 && (line->component_refunded == NULL || out == NULL))
		return false;
	for (int j = 0; j < n; j++)
	{
		if (line->component_refunded[j] < 0 ||
			line->component_refunded[j] > line->component[j])
			return false;
		prev_tax += line->component_refunded[j];
	}

	nshares = n + 1;
	for (int j = 0; j < n; j++)
	{
		shares[j].weight = line->component[j];
		shares[j].prev = line->component_refunded[j];
	}
	net = &shares[n];
	net->weight = line->gross - total_tax;
	net->prev = line->refunded - prev_tax;
	/* Refunded tax above refunded gross, or net above the line's net. */
	if (net->prev < 0 || net->prev > net->weight)
		return false;

	C = line->refunded + amount;
	for (int j = 0; j < nshares; j++)
	{
		Share	   *s = &shares[j];

		if (!DivMod(s->weight, C, line->gross, &s->floor, &s->rem))
			return false;		/* cannot happen: the quotient is <= weight */
		s->hi = s->floor + (s->rem != 0 ? 1 : 0);
		s->lo = s->prev > s->floor ? s->prev : s->floor;
		s->deadline = 0;
		if (s->rem != 0)
		{
			int64_t		q;
			int64_t		r;

			/* rem != 0 implies weight > 0 */
			if (!DivMod(s->hi, line->gross, s->weight, &q, &r))
				return false;	/* cannot happen: hi <= weight */
			s->deadline = q + (r != 0 ? 1 : 0);
		}
		sum_lo += s->lo;
		sum_hi += s->hi;
	}

	for (int j = 0; j < nshares; j++)
		if (shares[j].lo > shares[j].hi)
			in_model = false;
	if (sum_lo > C || C > sum_hi)
		in_model = false;

	if (in_model &&
		ChooseRounded(shares, n, line->gross, C - net->hi, C - net->lo,
					  true, rounded))
	{
		int64_t		tax = 0;
		int			positive = 0;
		bool		same = true;
		int64_t		last = 0;

		for (int j = 0; j < n; j++)
			tax += rounded[j];
		rounded[n] = C - tax;

		ChooseEarliestDeadline(shares, nshares, C - sum_lo, value);
		for (int j = 0; j < nshares; j++)
		{
			if (shares[j].weight > 0)
				positive++;
			if (rounded[j] != value[j])
				same = false;
			/* Shares the rounded choice raises and the other does not. */
			if (rounded[j] > value[j] && shares[j].deadline - 1 > last)
				last = shares[j].deadline - 1;
		}

		/*
		 * With two shares any choice is completable: their exact values add
		 * up to an integer, so they reach integers at the same cumulative
		 * grosses, and the one share given a free unit owes nothing until
		 * then; only the other can fall due.  With more, the two choices'
		 * D(t) differ only below the latest deadline of a share the rounded
		 * choice raises and the earliest-deadline choice does not.
		 */
		if (positive <= 2 || same ||
			(last - C <= CHECK_WINDOW &&
			 CompletableUntil(shares, nshares, line->gross, C, last, rounded)))
		{
			for (int j = 0; j < nshares; j++)
				value[j] = rounded[j];
		}
	}
	else
	{
		/*
		 * The state is not one this function produces (the net is more
		 * than a unit off its exact value, or a component cannot stay
		 * within a unit of its own).  Still honour the SPEC's rules for
		 * this refund if possible, without the completability guarantee:
		 * cumulative tax at most prev_tax + amount (each refund's net is
		 * >= 0) and at least C - line net (cumulative net never above the
		 * line's).
		 */
		for (int j = 0; j < n; j++)
			if (shares[j].lo > shares[j].hi)
				return false;	/* no value within a unit and not lowered */
		if (!ChooseRounded(shares, n, line->gross, C - net->weight,
						   prev_tax + amount, false, value))
			return false;
	}

	for (int j = 0; j < n; j++)
		out[j] = value[j] - shares[j].prev;
	return true;
}

bool
tax_apportion_recovering(const TaxLine *line, int64_t amount, int64_t *out)
{
	int64_t		cumulative;
	int64_t		total = 0;
	int64_t		refunded_tax = 0;
	int64_t		room_total = 0;
	int64_t		sum = 0;
	int64_t		low;
	int64_t		high;

	if (line == NULL || out == NULL || line->ncomponents < 0 ||
		line->ncomponents > TAX_MAX_COMPONENTS ||
		(line->ncomponents > 0 && (line->component == NULL || line->component_refunded == NULL)) ||
		line->gross <= 0 || line->refunded < 0 || amount <= 0 ||
		amount > line->gross - line->refunded)
		return false;
	cumulative = line->refunded + amount;

	for (int j = 0; j < line->ncomponents; j++)
	{
		int64_t		c = line->component[j];
		int64_t		r = line->component_refunded[j];

		if (c < 0 || r < 0 || r > c)
			return false;
		total += c;
		refunded_tax += r;
		room_total += c - r;
	}
	if (total > line->gross)
		return false;

	/* bounds of this refund's tax: not above the amount, enough to finish the line exactly */
	low = total - line->gross + cumulative - refunded_tax;
	if (low < 0)
		low = 0;
	high = amount < room_total ? amount : room_total;
	if (low > high)
		return false;

	for (int j = 0; j < line->ncomponents; j++)
	{
		int64_t		room = line->component[j] - line->component_refunded[j];
		int64_t		share;

		if (cumulative == line->gross)
			share = line->component[j];
		else if (!money_muldiv_round(line->component[j], cumulative, line->gross, &share))
			return false;
		out[j] = share - line->component_refunded[j];
		if (out[j] < 0)
			out[j] = 0;
		if (out[j] > room)
			out[j] = room;
		sum += out[j];
	}

	/* into [low, high]: take from the largest components first, give to those with room */
	while (sum > high)
	{
		int			largest = 0;
		int64_t		take;

		for (int j = 1; j < line->ncomponents; j++)
			if (out[j] > out[largest])
				largest = j;
		/* each round empties a component or reaches high: at most ncomponents rounds */
		take = out[largest] < sum - high ? out[largest] : sum - high;
		out[largest] -= take;
		sum -= take;
	}
	for (int j = 0; j < line->ncomponents && sum < low; j++)
	{
		int64_t		room = line->component[j] - line->component_refunded[j] - out[j];
		int64_t		add = low - sum < room ? low - sum : room;

		out[j] += add;
		sum += add;
	}
	return sum >= low && sum <= high;
}

bool
tax_split(int64_t gross, int ncomponents, const int64_t *tax,
		  int nparts, const int64_t *part_gross, int64_t *out)
{
	int64_t		refunded_tax[TAX_MAX_COMPONENTS] = {0};
	int64_t		total_tax;
	int64_t		sum = 0;
	TaxLine		line;

	if (gross < 0 || gross > MONEY_MAX_ABS || nparts < 0)
		return false;
	if (!ValidComponents(gross, ncomponents, tax, &total_tax))
		return false;
	if (nparts > 0 && part_gross == NULL)
		return false;
	if (ncomponents > 0 && nparts > 0 && out == NULL)
		return false;
	for (int i = 0; i < nparts; i++)
	{
		if (part_gross[i] < 0 || part_gross[i] > gross - sum)
			return false;
		sum += part_gross[i];
	}
	if (sum != gross)
		return false;

	/*
	 * The refund is a "line" whose components are its tax, refunded part
	 * after part: the parts then add up exactly, each part's components are
	 * >= 0 with a sum <= the part's gross, and every cumulative share stays
	 * within a unit of its proportional value.
	 */
	line.gross = gross;
	line.refunded = 0;
	line.ncomponents = ncomponents;
	line.component = tax;
	line.component_refunded = refunded_tax;
	for (int i = 0; i < nparts && ncomponents > 0; i++)
	{
		int64_t    *part = out + (size_t) i * (size_t) ncomponents;

		if (part_gross[i] == 0)
		{
			for (int j = 0; j < ncomponents; j++)
				part[j] = 0;
			continue;
		}
		if (!tax_apportion_refund(&line, part_gross[i], part))
			return false;
		for (int j = 0; j < ncomponents; j++)
			refunded_tax[j] += part[j];
		line.refunded += part_gross[i];
	}
	return true;
}
