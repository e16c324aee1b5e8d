/*-------------------------------------------------------------------------
 *
 * money.c
 *	  ISO 4217 currency table, parsing and formatting of amounts and tax
 *	  rates, and checked integer arithmetic on minor units (SPEC section 2).
 *
 * Amounts are int64_t minor units whose magnitude never exceeds
 * MONEY_MAX_ABS; every operation checks its result against that bound
 * instead of relying on int64_t overflow, and nothing here uses floating
 * point.  Products are formed exactly in 128 bits: with the compiler's
 * unsigned __int128 where it has one, with a portable 64x64->128 multiply
 * and a bitwise 128/64 division otherwise (defining MONEY_NO_INT128 forces
 * the portable code; test/unit tests both).
 *
 * No PostgreSQL headers: this file is unit-tested and fuzzed on its own.
 * It takes no locks and allocates nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "money.h"

#include <string.h>

/*
 * Every active ISO 4217 currency with a minor unit, sorted by code for
 * money_find_currency()'s binary search.
 *
 * This reflects ISO 4217 List One as published on 2024-06-25 (with ZWG,
 * Zimbabwe Gold, and SLE; without ZWL, SLL, HRK) plus XCG, the Caribbean
 * guilder that replaced ANG in Curacao and Sint Maarten on 2025-03-31;
 * ANG is left out because it stopped being legal tender on 2025-06-30.
 * Codes whose minor unit is "N.A." (XAU, XAG, XPD, XPT, XDR, XSU, XUA, the
 * bond-market units XBA..XBD, the test code XTS and XXX) are not amounts
 * of money and are not listed.  Fund codes with a minor unit (BOV, CHE,
 * CHW, CLF, COU, MXV, USN, UYI, UYW) are listed because orders may carry
 * them.  When ISO publishes an amendment, update this table and the date
 * above together; test_money checks that it stays sorted and unique.
 */
static const Currency currencies[] = {
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2},
	{"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2},
	{"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
	{"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
	{"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2},
	{"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2},
	{"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
	{"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
	{"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2},
	{"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2},
	{"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
	{"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2},
	{"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
	{"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3},
	{"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
	{"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2},
	{"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2},
	{"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
	{"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
	{"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2},
	{"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2},
	{"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2},
	{"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0},
	{"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0},
	{"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
	{"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2},
	{"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2},
	{"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2},
	{"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2},
	{"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2},
	{"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0},
	{"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2},
	{"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2},
	{"ZWG", 2},
};

#define NUM_CURRENCIES	((int) (sizeof(currencies) / sizeof(currencies[0])))

/*
 * Largest exponent money_parse() and money_format() accept.  10^18 is the
 * largest power of ten an int64_t holds; real currencies stop at 4.
 */
#define MAX_EXPONENT	18

const Currency *
money_find_currency(const char *code, size_t len)
{
	int			low = 0;
	int			high = NUM_CURRENCIES - 1;

	if (code == NULL || len != 3)
		return NULL;
	/* Lower case, digits and bytes beyond ASCII are never a valid code. */
	for (size_t i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return NULL;

	while (low <= high)
	{
		int			mid = low + (high - low) / 2;
		int			cmp = memcmp(code, currencies[mid].code, 3);

		if (cmp == 0)
			return &currencies[mid];
		if (cmp < 0)
			high = mid - 1;
		else
			low = mid + 1;
	}
	return NULL;
}

int
money_currency_count(void)
{
	return NUM_CURRENCIES;
}

const Currency *
money_currency_at(int index)
{
	if (index < 0 || index >= NUM_CURRENCIES)
		return NULL;
	return &currencies[index];
}

/*
 * Parses "[0-9]+(.[0-9]+)?" into value * 10^exponent, bounded by max.
 *
 * The whole text is checked for syntax and precision before any digit is
 * accumulated, so the status does not depend on where a long input would
 * have overflowed: syntax errors win over precision errors, which win over
 * range errors.  Every accumulation step is checked against max first, so
 * nothing overflows however many (leading zero) digits the text has.
 */
static MoneyStatus
ParseUnsignedDecimal(const char *text, size_t len, int exponent,
					 uint64_t max, uint64_t *value)
{
	size_t		fracdigits = 0;
	size_t		pos = 0;
	uint64_t	acc = 0;

	while (pos < len && text[pos] >= '0' && text[pos] <= '9')
		pos++;
	if (pos == 0)
		return MONEY_SYNTAX;		/* no integer digit: "", ".5", "-" */
	if (pos < len)
	{
		if (text[pos] != '.')
			return MONEY_SYNTAX;
		pos++;
		while (pos < len && text[pos] >= '0' && text[pos] <= '9')
		{
			pos++;
			fracdigits++;
		}
		if (fracdigits == 0 || pos != len)
			return MONEY_SYNTAX;
	}

	/* Amounts are never rounded on input, not even "1.230" in cents. */
	if (fracdigits > (size_t) exponent)
		return MONEY_TOO_PRECISE;

	/*
	 * The digits without the point, then the zeros that scale the value to
	 * 10^exponent.  Each step first checks that acc * 10 + digit stays
	 * within max (< 2^63), so nothing can wrap.
	 */
	for (size_t i = 0; i < len; i++)
	{
		unsigned	digit;

		if (text[i] == '.')
			continue;
		digit = (unsigned) (text[i] - '0');
		if (acc > (max - digit) / 10)
			return MONEY_OUT_OF_RANGE;
		acc = acc * 10 + digit;
	}
	for (size_t i = fracdigits; i < (size_t) exponent; i++)
	{
		if (acc > max / 10)
			return MONEY_OUT_OF_RANGE;
		acc *= 10;
	}

	*value = acc;
	return MONEY_OK;
}

MoneyStatus
money_parse(const char *text, size_t len, int exponent, int64_t *minor)
{
	bool		negative = false;
	uint64_t	magnitude;
	MoneyStatus status;

	if (text == NULL || exponent < 0 || exponent > MAX_EXPONENT)
		return MONEY_SYNTAX;
	if (len > 0 && text[0] == '-')
	{
		negative = true;
		text++;
		len--;
	}
	status = ParseUnsignedDecimal(text, len, exponent,
								  (uint64_t) MONEY_MAX_ABS, &magnitude);
	if (status != MONEY_OK)
		return status;

	/* "-0" and "-0.00" are plain zero: there is no negative zero. */
	*minor = negative ? -(int64_t) magnitude : (int64_t) magnitude;
	return MONEY_OK;
}

/*
 * Writes magnitude as a decimal with exactly `exponent` fractional digits
 * (none and no point when exponent is 0), preceded by '-' if negative.
 */
static size_t
FormatScaled(uint64_t magnitude, bool negative, int exponent, char *buf)
{
	char		digits[24];
	int			ndigits = 0;
	size_t		len = 0;

	/* Least significant digit first, padded so there is an integer digit. */
	do
	{
		digits[ndigits++] = (char) ('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	while (ndigits <= exponent)
		digits[ndigits++] = '0';

	if (negative)
		buf[len++] = '-';
	for (int i = ndigits - 1; i >= 0; i--)
	{
		if (i == exponent - 1)
			buf[len++] = '.';
		buf[len++] = digits[i];
	}
	buf[len] = '\0';
	return len;
}

/* Magnitude of any int64_t, INT64_MIN included, without overflow. */
static uint64_t
Magnitude(int64_t v)
{
	return v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
}

size_t
money_format(int64_t minor, int exponent, char *buf)
{
	/* Only a caller's bug gets here: write something visibly empty. */
	if (exponent < 0 || exponent > MAX_EXPONENT)
	{
		buf[0] = '\0';
		return 0;
	}
	return FormatScaled(Magnitude(minor), minor < 0, exponent, buf);
}

/* Signed result of a checked operation, if its magnitude is allowed. */
static bool
InRange(int64_t v)
{
	return v >= -MONEY_MAX_ABS && v <= MONEY_MAX_ABS;
}

bool
money_add(int64_t a, int64_t b, int64_t *result)
{
	/* Exact for any int64_t operands: out-of-int64 sums are out of range. */
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		return false;
	if (!InRange(a + b))
		return false;
	*result = a + b;
	return true;
}

bool
money_sub(int64_t a, int64_t b, int64_t *result)
{
	if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b))
		return false;
	if (!InRange(a - b))
		return false;
	*result = a - b;
	return true;
}

/*
 * round(x * y / d) for unsigned x, y and d > 0, half up; false when the
 * result exceeds MONEY_MAX_ABS.  Callers apply the sign, which turns "half
 * up" on magnitudes into "half away from zero".
 */
#if defined(__SIZEOF_INT128__) && !defined(MONEY_NO_INT128)

static bool
MulDivRoundUnsigned(uint64_t x, uint64_t y, uint64_t d, uint64_t *result)
{
	unsigned __int128 product = (unsigned __int128) x * y;
	unsigned __int128 quotient = product / d;
	uint64_t	remainder = (uint64_t) (product % d);

	/* remainder < d < 2^63, so the test cannot wrap. */
	if (remainder >= d - remainder)
		quotient++;
	if (quotient > (unsigned __int128) MONEY_MAX_ABS)
		return false;
	*result = (uint64_t) quotient;
	return true;
}

#else							/* no unsigned __int128 */

/* 64x64->128 multiply on 32-bit halves: (*hi, *lo) = x * y. */
static void
MulWide(uint64_t x, uint64_t y, uint64_t *hi, uint64_t *lo)
{
	uint64_t	x0 = x & 0xFFFFFFFFu;
	uint64_t	x1 = x >> 32;
	uint64_t	y0 = y & 0xFFFFFFFFu;
	uint64_t	y1 = y >> 32;
	uint64_t	p00 = x0 * y0;
	uint64_t	p01 = x0 * y1;
	uint64_t	p10 = x1 * y0;
	uint64_t	p11 = x1 * y1;
	/* Each term is below 2^32, so the sum fits in 64 bits. */
	uint64_t	middle = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);

	*lo = (middle << 32) | (p00 & 0xFFFFFFFFu);
	*hi = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

static bool
MulDivRoundUnsigned(uint64_t x, uint64_t y, uint64_t d, uint64_t *result)
{
	uint64_t	hi;
	uint64_t	lo;
	uint64_t	quotient = 0;
	uint64_t	remainder;

	MulWide(x, y, &hi, &lo);

	/* A quotient of 2^64 or more is far above MONEY_MAX_ABS. */
	if (hi >= d)
		return false;

	/*
	 * Restoring division of (hi, lo) by d, one bit of lo at a time.  The
	 * running remainder stays below d, but shifting it left can carry out
	 * of 64 bits; then the true value is 2^64 + remainder >= d and the
	 * wrapped subtraction below still yields the right remainder.
	 */
	remainder = hi;
	for (int bit = 63; bit >= 0; bit--)
	{
		uint64_t	carry = remainder >> 63;

		remainder = (remainder << 1) | ((lo >> bit) & 1);
		quotient <<= 1;
		if (carry || remainder >= d)
		{
			remainder -= d;
			quotient |= 1;
		}
	}

	if (remainder >= d - remainder)
	{
		if (quotient >= (uint64_t) MONEY_MAX_ABS)
			return false;
		quotient++;
	}
	if (quotient > (uint64_t) MONEY_MAX_ABS)
		return false;
	*result = quotient;
	return true;
}

#endif							/* __SIZEOF_INT128__ */

bool
money_muldiv_round(int64_t a, int64_t b, int64_t c, int64_t *result)
{
	uint64_t	magnitude;

	if (c <= 0)
		return false;
	if (!MulDivRoundUnsigned(Magnitude(a), Magnitude(b), (uint64_t) c, &magnitude))
		return false;
	*result = (a < 0) != (b < 0) ? -(int64_t) magnitude : (int64_t) magnitude;
	return true;
}

MoneyStatus
rate_parse(const char *text, size_t len, int64_t *rate)
{
	uint64_t	value;
	MoneyStatus status;

	if (text == NULL)
		return MONEY_SYNTAX;
	status = ParseUnsignedDecimal(text, len, RATE_DECIMALS,
								  (uint64_t) RATE_MAX, &value);
	if (status != MONEY_OK)
		return status;
	*rate = (int64_t) value;
	return MONEY_OK;
}

/*
 * buf must hold MONEY_FORMAT_BUFLEN bytes, as for money_format(): any
 * int64_t fits ("-9223372036854.775808").
 */
size_t
rate_format(int64_t rate, char *buf)
{
	size_t		len = FormatScaled(Magnitude(rate), rate < 0, RATE_DECIMALS, buf);

	/* "8.250000" -> "8.25", "20.000000" -> "20". */
	while (buf[len - 1] == '0')
		len--;
	if (buf[len - 1] == '.')
		len--;
	buf[len] = '\0';
	return len;
}

bool
money_tax_included(int64_t gross, int64_t rate, int64_t *tax)
{
	/* Also keeps the denominator positive and well inside int64_t. */
	if (rate < 0 || rate > RATE_MAX || !InRange(gross))
		return false;
	return money_muldiv_round(gross, rate, RATE_HUNDRED + rate, tax);
}

bool
money_percent_of(int64_t amount, int64_t percent, int64_t *result)
{
	if (percent < 0 || percent > RATE_MAX || !InRange(amount))
		return false;
	return money_muldiv_round(amount, percent, RATE_HUNDRED, result);
}
