/*-------------------------------------------------------------------------
 *
 * jsonb_build.h
 *	  Small helpers to build a jsonb document key by key.
 *
 * Thin wrappers over pushJsonbValue that pick WJB_VALUE or WJB_ELEM from
 * the container being built, so callers write the document top-down.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_JSONB_BUILD_H
#define APPEASEMENT_JSONB_BUILD_H

#include "postgres.h"
#include "utils/jsonb.h"

extern void JbBeginObject(JsonbParseState **state);
extern void JbBeginArray(JsonbParseState **state);
extern JsonbValue *JbEnd(JsonbParseState **state, bool object);
extern void JbKey(JsonbParseState **state, const char *key);

/* Scalars: a key's value inside an object, an element inside an array. */
extern void JbString(JsonbParseState **state, const char *value);	/* NULL: null */
extern void JbStringLen(JsonbParseState **state, const char *value, int len);
extern void JbBool(JsonbParseState **state, bool value);
extern void JbNull(JsonbParseState **state);
extern void JbJsonb(JsonbParseState **state, Jsonb *value);

/* Shorthands for a key and its value. */
extern void JbKeyString(JsonbParseState **state, const char *key, const char *value);
extern void JbKeyJsonb(JsonbParseState **state, const char *key, Jsonb *value);

#endif							/* APPEASEMENT_JSONB_BUILD_H */
