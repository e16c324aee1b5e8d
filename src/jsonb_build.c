/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *	  Small helpers to build a jsonb document key by key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "jsonb_build.h"

static void
PushScalar(JsonbParseState **state, JsonbValue *value)
{
	JsonbIteratorToken token;

	Assert(*state != NULL);
	token = (*state)->contVal.type == jbvArray ? WJB_ELEM : WJB_VALUE;
	(void) pushJsonbValue(state, token, value);
}

void
JbBeginObject(JsonbParseState **state)
{
	(void) pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
}

void
JbBeginArray(JsonbParseState **state)
{
	(void) pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
}

JsonbValue *
JbEnd(JsonbParseState **state, bool object)
{
	return pushJsonbValue(state, object ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
}

void
JbKey(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
}

void
JbStringLen(JsonbParseState **state, const char *value, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) value;
	v.val.string.len = len;
	PushScalar(state, &v);
}

void
JbString(JsonbParseState **state, const char *value)
{
	if (value == NULL)
		JbNull(state);
	else
		JbStringLen(state, value, strlen(value));
}

void
JbBool(JsonbParseState **state, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	PushScalar(state, &v);
}

void
JbNull(JsonbParseState **state)
{
	JsonbValue	v;

	v.type = jbvNull;
	PushScalar(state, &v);
}

/* pushJsonbValue unpacks a binary container pushed as a value or element. */
void
JbJsonb(JsonbParseState **state, Jsonb *value)
{
	JsonbValue	v;

	if (JB_ROOT_IS_SCALAR(value))
	{
		if (!JsonbExtractScalar(&value->root, &v))
			elog(ERROR, "could not extract jsonb scalar");
	}
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &value->root;
		v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	}
	PushScalar(state, &v);
}

void
JbKeyString(JsonbParseState **state, const char *key, const char *value)
{
	JbKey(state, key);
	JbString(state, value);
}

void
JbKeyJsonb(JsonbParseState **state, const char *key, Jsonb *value)
{
	JbKey(state, key);
	JbJsonb(state, value);
}
