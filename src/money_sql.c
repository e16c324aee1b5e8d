/*-------------------------------------------------------------------------
 *
 * money_sql.c
 *	  The bridge between the pure money core and PostgreSQL, and the
 *	  SQL-callable money helpers:
 *
 *	  appeasement.currency_exponent(currency text) returns integer
 *	  appeasement.currencies() returns setof (currency text, exponent integer)
 *	  appeasement.to_amount(minor bigint, currency text) returns numeric
 *	  appeasement.to_minor(amount numeric, currency text) returns bigint
 *
 * None of them takes a lock or touches a table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "compat.h"
#include "money.h"
#include "money_sql.h"

int
CurrencyExponent(const char *code, const char *field)
{
	const Currency *currency = money_find_currency(code, strlen(code));

	if (currency == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown currency \"%s\" in field \"%s\"", code, field),
				 errhint("Use an active ISO 4217 code in upper case, such as \"EUR\".")));
	return currency->exponent;
}

char *
FormatAmount(int64 minor, int exponent)
{
	char	   *buf = palloc(MONEY_FORMAT_BUFLEN);

	money_format(minor, exponent, buf);
	return buf;
}

char *
FormatRate(int64 rate)
{
	char	   *buf = palloc(MONEY_FORMAT_BUFLEN);

	rate_format(rate, buf);
	return buf;
}

int64
NumericToMinor(Datum numeric, int exponent, const char *field)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, numeric));
	int64		minor = 0;

	switch (money_parse(text, strlen(text), exponent, &minor))
	{
		case MONEY_OK:
			return minor;
		case MONEY_TOO_PRECISE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s has more decimal places than the currency allows", field),
					 errdetail("The amount is %s; the currency has %d decimal places.",
							   text, exponent)));
			break;
		case MONEY_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s is out of range", field)));
			break;
		case MONEY_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s: %s", field, text)));
			break;
	}
	return 0;					/* keep compiler quiet */
}

int64
NumericToRate(Datum numeric, const char *field)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out, numeric));
	int64		rate = 0;

	if (rate_parse(text, strlen(text), &rate) != MONEY_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a valid rate: %s", field, text),
				 errhint("A rate is a percentage between 0 and 1000 with at most %d decimal places.",
						 RATE_DECIMALS)));
	return rate;
}

int64
AddAmounts(int64 a, int64 b, const char *what)
{
	int64		result;

	if (!money_add(a, b, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is out of range", what),
				 errdetail("Amounts have at most 18 digits.")));
	return result;
}

PG_FUNCTION_INFO_V1(currency_exponent);
Datum
currency_exponent(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_INT32(CurrencyExponent(code, "currency"));
}

PG_FUNCTION_INFO_V1(currencies);
Datum
currencies(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	MaterializeSetResult(fcinfo);
	for (int i = 0; i < money_currency_count(); i++)
	{
		const Currency *c = money_currency_at(i);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(c->code);
		values[1] = Int32GetDatum(c->exponent);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(to_amount);
Datum
to_amount(PG_FUNCTION_ARGS)
{
	int64		minor = PG_GETARG_INT64(0);
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			exponent = CurrencyExponent(code, "currency");

	PG_RETURN_DATUM(DirectFunctionCall3(numeric_in,
										CStringGetDatum(FormatAmount(minor, exponent)),
										ObjectIdGetDatum(InvalidOid),
										Int32GetDatum(-1)));
}

PG_FUNCTION_INFO_V1(to_minor);
Datum
to_minor(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			exponent = CurrencyExponent(code, "currency");

	PG_RETURN_INT64(NumericToMinor(PG_GETARG_DATUM(0), exponent, "amount"));
}
