/*-------------------------------------------------------------------------
 *
 * json_fields.c
 *	  Reading typed fields out of a jsonb request, with errors that name
 *	  the offending field.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "json_fields.h"
#include "money.h"

static const char *
JsonTypeName(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

static void
ReportMissing(const char *field)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("field \"%s\" is required", field)));
}

static void
ReportWrongType(const char *field, const char *expected, JsonbValue *v)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("field \"%s\" must be %s, not %s", field, expected, JsonTypeName(v))));
}

void
CheckTextLength(const char *value, int max, const char *field)
{
	int			len = strlen(value);

	/* bytes are never fewer than characters: count only when it matters */
	if (len > max && pg_mbstrlen_with_len(value, len) > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have at most %d characters", field, max)));
}

JsonObject
JsonRootObject(Jsonb *jb, const char *what)
{
	JsonObject	obj;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", what)));
	obj.container = &jb->root;
	obj.path = "";
	return obj;
}

char *
JsonFieldPath(const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		return pstrdup(key);
	return psprintf("%s.%s", parent, key);
}

char *
JsonElementPath(const char *parent, int index)
{
	return psprintf("%s[%d]", parent, index);
}

bool
JsonFind(JsonObject obj, const char *key, JsonbValue *value)
{
	JsonbValue *v;

	v = getKeyJsonValueFromContainer(obj.container, key, strlen(key), value);
	return v != NULL && v->type != jbvNull;
}

bool
JsonGetObject(JsonObject obj, const char *key, JsonObject *result)
{
	JsonbValue	v;

	if (!JsonFind(obj, key, &v))
		return false;
	if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		ReportWrongType(JsonFieldPath(obj.path, key), "an object", &v);
	result->container = v.val.binary.data;
	result->path = JsonFieldPath(obj.path, key);
	return true;
}

bool
JsonGetArray(JsonObject obj, const char *key, JsonArray *result)
{
	JsonbValue	v;

	if (!JsonFind(obj, key, &v))
		return false;
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		ReportWrongType(JsonFieldPath(obj.path, key), "an array", &v);
	result->container = v.val.binary.data;
	result->path = JsonFieldPath(obj.path, key);
	result->size = JsonContainerSize(v.val.binary.data);
	return true;
}

JsonObject
JsonArrayObject(JsonArray arr, int index)
{
	JsonbValue *v = getIthJsonbValueFromContainer(arr.container, index);
	JsonObject	obj;

	obj.path = JsonElementPath(arr.path, index);
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
	{
		JsonbValue	null;

		null.type = jbvNull;
		ReportWrongType(obj.path, "an object", v ? v : &null);
	}
	obj.container = v->val.binary.data;
	return obj;
}

static bool
IsBlank(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (!isspace((unsigned char) s[i]))
			return false;
	return true;
}

char *
JsonGetString(JsonObject obj, const char *key, bool required, bool nonblank)
{
	JsonbValue	v;

	if (!JsonFind(obj, key, &v))
	{
		if (required)
			ReportMissing(JsonFieldPath(obj.path, key));
		return NULL;
	}
	if (v.type != jbvString)
		ReportWrongType(JsonFieldPath(obj.path, key), "a string", &v);
	if (nonblank && IsBlank(v.val.string.val, v.val.string.len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" must not be blank", JsonFieldPath(obj.path, key))));
	if (memchr(v.val.string.val, '\0', v.val.string.len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" must not contain a NUL character",
						JsonFieldPath(obj.path, key))));
	{
		char	   *value = pnstrdup(v.val.string.val, v.val.string.len);

		CheckTextLength(value, JSON_TEXT_MAX,
						psprintf("field \"%s\"", JsonFieldPath(obj.path, key)));
		return value;
	}
}

/* Text of a string or number member; NULL when absent. */
static char *
ScalarText(JsonObject obj, const char *key, const char *expected, bool required)
{
	JsonbValue	v;

	if (!JsonFind(obj, key, &v))
	{
		if (required)
			ReportMissing(JsonFieldPath(obj.path, key));
		return NULL;
	}
	if (v.type == jbvString)
		return pnstrdup(v.val.string.val, v.val.string.len);
	if (v.type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(v.val.numeric)));
	ReportWrongType(JsonFieldPath(obj.path, key), expected, &v);
	return NULL;				/* keep compiler quiet */
}

char *
JsonGetScalarText(JsonObject obj, const char *key, bool required)
{
	char	   *value = ScalarText(obj, key, "a string or a number", required);

	if (value != NULL)
		CheckTextLength(value, JSON_IDENTIFIER_MAX,
						psprintf("field \"%s\"", JsonFieldPath(obj.path, key)));
	return value;
}

bool
JsonGetInt32(JsonObject obj, const char *key, int32 min, int32 max, int32 *result)
{
	char	   *text = ScalarText(obj, key, "an integer", false);
	int64		value = 0;
	int			i = 0;

	if (text == NULL)
		return false;
	if (text[0] == '-')
		i++;
	if (text[i] == '\0')
		goto bad;
	for (; text[i] != '\0'; i++)
	{
		if (!isdigit((unsigned char) text[i]))
			goto bad;
		value = value * 10 + (text[i] - '0');
		if (value > (int64) PG_INT32_MAX + 1)
			goto bad;
	}
	if (text[0] == '-')
		value = -value;
	if (value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" must be between %d and %d",
						JsonFieldPath(obj.path, key), min, max)));
	*result = (int32) value;
	return true;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("field \"%s\" must be an integer, not \"%s\"",
					JsonFieldPath(obj.path, key), text)));
	return false;
}

int64
ParseAmount(const char *text, int len, int exponent, const char *field)
{
	int64		minor = 0;

	switch (money_parse(text, len, exponent, &minor))
	{
		case MONEY_OK:
			return minor;
		case MONEY_TOO_PRECISE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" has more decimal places than the currency allows",
							field),
					 errdetail("The amount is \"%.*s\"; the currency has %d decimal places.",
							   len, text, exponent)));
			break;
		case MONEY_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" is out of range", field)));
			break;
		case MONEY_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" is not a valid amount: \"%.*s\"", field, len, text)));
			break;
	}
	return 0;					/* keep compiler quiet */
}

int64
ParseRate(const char *text, int len, const char *field)
{
	int64		rate = 0;

	switch (rate_parse(text, len, &rate))
	{
		case MONEY_OK:
			return rate;
		case MONEY_TOO_PRECISE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" has more than %d decimal places", field, RATE_DECIMALS)));
			break;
		case MONEY_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" is out of range", field)));
			break;
		case MONEY_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" is not a valid rate: \"%.*s\"", field, len, text)));
			break;
	}
	return 0;					/* keep compiler quiet */
}

bool
JsonGetAmount(JsonObject obj, const char *key, int exponent, int64 *result)
{
	char	   *text = ScalarText(obj, key, "an amount", false);

	if (text == NULL)
		return false;
	*result = ParseAmount(text, strlen(text), exponent, JsonFieldPath(obj.path, key));
	return true;
}

bool
JsonGetRate(JsonObject obj, const char *key, int64 *result)
{
	char	   *text = ScalarText(obj, key, "a rate", false);

	if (text == NULL)
		return false;
	*result = ParseRate(text, strlen(text), JsonFieldPath(obj.path, key));
	return true;
}

/*
 * timestamptz_in reports bad input as 22007; a request field is 22023
 * like every other malformed field.  timestamptz_in holds no resources, so
 * catching its error without a subtransaction is safe.
 */
bool
JsonGetTimestamp(JsonObject obj, const char *key, TimestampTz *result)
{
	char	   *text = JsonGetString(obj, key, false, false);
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile bool ok = true;

	if (text == NULL)
		return false;
	PG_TRY();
	{
		*result = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
														  CStringGetDatum(text),
														  ObjectIdGetDatum(InvalidOid),
														  Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcontext);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok || TIMESTAMP_NOT_FINITE(*result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" is not a valid timestamp: \"%s\"",
						JsonFieldPath(obj.path, key), text)));
	return true;
}
