/*-------------------------------------------------------------------------
 *
 * tax.h
 *	  Exact apportionment of a line's recorded tax over the refunds of
 *	  that line, and of one refund over several payments.
 *
 * Free of PostgreSQL headers, like money.h.  The rules (SPEC section 2):
 *
 *	- each tax component is refunded in proportion to the line's own
 *	  recorded component amount, cumulatively: after every refund, the
 *	  cumulative refunded amount of a component differs from
 *	  component * cumulative_gross / line_gross by less than one minor unit;
 *	- a line refunded in full has refunded exactly its recorded components;
 *	- in every refund, each component is >= 0 and their sum is <= the
 *	  refunded gross (so net = gross - sum is >= 0).
 *
 * The line's net (gross minus all components) is kept within one unit of
 * its proportional value too.  Per refund, each cumulative value is the
 * exact proportional value rounded half away from zero, moved to the other
 * neighbouring integer where needed for the values to add up to the
 * cumulative gross, unless that choice could leave some later refund
 * without a valid answer; then the units go to the shares whose exact
 * values reach their next integer first, a choice that always keeps every
 * later refund possible (tax.c gives the argument).  Rounding the
 * components alone is not enough: a line of gross 10 with four components
 * of 2, refunded 2 then 3, would need 4 units of tax in a refund of 3.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_TAX_H
#define APPEASEMENT_TAX_H

#include <stdbool.h>
#include <stdint.h>

/* Most tax components a line may carry (US state + county + city + ...). */
#define TAX_MAX_COMPONENTS	16

/*
 * A line as far as its tax is concerned, before a refund.
 *
 * gross:	the line's gross amount (> 0 for a refund to be possible)
 * refunded:	cumulative gross refunded so far (0 <= refunded <= gross)
 * ncomponents:	number of tax components (0 .. TAX_MAX_COMPONENTS)
 * component:	recorded tax amount per component (>= 0, sum <= gross)
 * component_refunded:	cumulative refunded tax per component
 */
typedef struct TaxLine
{
	int64_t		gross;
	int64_t		refunded;
	int			ncomponents;
	const int64_t *component;
	const int64_t *component_refunded;
} TaxLine;

/*
 * Tax of refunding `amount` more of the line (0 < amount <= gross -
 * refunded): writes the refunded amount of each component into out[].
 * Returns false, writing nothing meaningful, when the line's state is
 * inconsistent (bad arguments, or a cumulative state no sequence of calls
 * to this function could have produced and from which the rules cannot be
 * met).
 */
extern bool tax_apportion_refund(const TaxLine *line, int64_t amount, int64_t *out);

/*
 * The tax of refunding `amount` more of a line whose state the rules above
 * can no longer hold exactly: after a refund that failed at the payment
 * provider was given back, a component's cumulative refund may be a few
 * units off its share.  Then each component gets its share rounded, kept
 * within 0 <= out[j] <= component - refunded, the sum within the amount,
 * and the cumulative tax high enough that the rest of the line can still
 * be refunded with its exact recorded tax; a refund that completes the
 * line refunds exactly the rest of every component.  Returns false only on
 * inconsistent arguments.
 */
extern bool tax_apportion_recovering(const TaxLine *line, int64_t amount, int64_t *out);

/*
 * Splits one refund (gross, with its components tax[0..ncomponents-1])
 * over nparts allocations whose grosses part_gross[] add up to gross.
 * Writes part i's component j into out[i * ncomponents + j].  Each part
 * obeys the per-refund rules above, and the parts add up exactly to the
 * refund's components.  Returns false on inconsistent arguments.
 */
extern bool tax_split(int64_t gross, int ncomponents, const int64_t *tax,
					  int nparts, const int64_t *part_gross, int64_t *out);

#endif							/* APPEASEMENT_TAX_H */
