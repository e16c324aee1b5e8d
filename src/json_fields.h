/*-------------------------------------------------------------------------
 *
 * json_fields.h
 *	  Reading typed fields out of a jsonb request, with errors that name
 *	  the offending field.
 *
 * Every malformed field is ERROR 22023 (invalid_parameter_value) with a
 * message naming the field by its path, e.g. "lines[0].amount".  A JSON
 * null counts as absent.
 *
 *-------------------------------------------------------------------------
 */
#ifndef APPEASEMENT_JSON_FIELDS_H
#define APPEASEMENT_JSON_FIELDS_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/*
 * Longest identifier (order_id, order_item_id, payment_id, channel, ...):
 * identifiers are keys of indexes, whose entries must fit a page.  Free
 * text (reasons, user) may be longer, up to JSON_TEXT_MAX characters.
 */
#define JSON_IDENTIFIER_MAX	255
#define JSON_TEXT_MAX		10000

/* ERROR 22023 naming `field` when value has more than max characters. */
extern void CheckTextLength(const char *value, int max, const char *field);

/* A JSON object being read, with its path for messages ("" for the root). */
typedef struct JsonObject
{
	JsonbContainer *container;
	const char *path;
} JsonObject;

/* A JSON array being read. */
typedef struct JsonArray
{
	JsonbContainer *container;
	const char *path;
	int			size;
} JsonArray;

/* The root of a jsonb argument, which must be an object. */
extern JsonObject JsonRootObject(Jsonb *jb, const char *what);

/* Path of a member, for messages and nested reads: "a.b", "lines[2]". */
extern char *JsonFieldPath(const char *parent, const char *key);
extern char *JsonElementPath(const char *parent, int index);

/* Finds a member; false when absent or null. */
extern bool JsonFind(JsonObject obj, const char *key, JsonbValue *value);

/* Nested object or array; *found false (and result undefined) when absent. */
extern bool JsonGetObject(JsonObject obj, const char *key, JsonObject *result);
extern bool JsonGetArray(JsonObject obj, const char *key, JsonArray *result);
extern JsonObject JsonArrayObject(JsonArray arr, int index);

/*
 * A string member.  required: absent is an error; otherwise NULL.
 * nonblank: a string of only white space is an error.
 */
extern char *JsonGetString(JsonObject obj, const char *key, bool required, bool nonblank);

/* A string or an integral number, as text (identifiers such as line numbers). */
extern char *JsonGetScalarText(JsonObject obj, const char *key, bool required);

/* An integer given as a number or a string of digits, within [min, max]. */
extern bool JsonGetInt32(JsonObject obj, const char *key, int32 min, int32 max,
						 int32 *result);

/* An amount given as a string or a number, in minor units of the currency. */
extern bool JsonGetAmount(JsonObject obj, const char *key, int exponent, int64 *result);

/* A rate or percentage given as a string or a number, scaled by RATE_ONE. */
extern bool JsonGetRate(JsonObject obj, const char *key, int64 *result);

/* A timestamp with time zone given as a string. */
extern bool JsonGetTimestamp(JsonObject obj, const char *key, TimestampTz *result);

/* Parses text as an amount of the currency, naming `field` in errors. */
extern int64 ParseAmount(const char *text, int len, int exponent, const char *field);

/* Parses text as a rate, naming `field` in errors. */
extern int64 ParseRate(const char *text, int len, const char *field);

#endif							/* APPEASEMENT_JSON_FIELDS_H */
