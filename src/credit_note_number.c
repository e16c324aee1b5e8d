/*-------------------------------------------------------------------------
 *
 * credit_note_number.c
 *	  Credit-note numbers: a series' prefix followed by its counter
 *	  ("CUS148"), SPEC section 5.
 *
 *	  appeasement.set_credit_note_series(sales_channel_id text, prefix text,
 *										 start_with bigint, gapless boolean)
 *
 * A channel with a series draws from that series; every other channel
 * uses the default series "CN".  In sequence mode the counter is a
 * sequence of the series' own: unique and increasing, with gaps when a
 * transaction rolls back.  In gapless mode the counter is the series row's
 * next_value, incremented under the row lock, which is held to the end of
 * the transaction: numbers are then given in commit order, without gaps,
 * and a crash loses no number that was committed.
 *
 * Locks: set_credit_note_series takes SHARE ROW EXCLUSIVE on the series
 * table, so configurations are serialized with each other and with
 * gapless numbering; a gapless number takes the series row's lock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "credit_note_number.h"
#include "json_fields.h"
#include "spi_util.h"

#define PREFIX_MAX_LENGTH	32

/*
 * Highest start of a counter: fifteen digits leave a series room for more
 * credit notes than it will ever issue, far from where a sequence or a
 * bigint would run out.
 */
#define COUNTER_START_MAX	INT64CONST(999999999999999)

static SpiStatement take_gapless_number = {
	"UPDATE appeasement.credit_note_series SET next_value = next_value + 1"
	" WHERE sales_channel_id = $1 RETURNING next_value - 1",
	1, {TEXTOID}
};

static SpiStatement lock_series = {
	"LOCK TABLE appeasement.credit_note_series IN SHARE ROW EXCLUSIVE MODE",
	0, {InvalidOid}
};

static SpiStatement prefix_owner = {
	"SELECT sales_channel_id FROM appeasement.credit_note_series"
	" WHERE prefix = $1 AND sales_channel_id <> $2",
	2, {TEXTOID, TEXTOID}
};

static SpiStatement highest_issued = {
	"SELECT max(pg_catalog.substr(credit_note_number, pg_catalog.length($1) + 1)::pg_catalog.numeric)::pg_catalog.text"
	"  FROM appeasement.issued_credit_notes"
	" WHERE pg_catalog.starts_with(credit_note_number, $1)"
	"   AND pg_catalog.substr(credit_note_number, pg_catalog.length($1) + 1) OPERATOR(pg_catalog.~) '^[0-9]+$'",
	1, {TEXTOID}
};

static SpiStatement existing_series = {
	"SELECT counter::pg_catalog.oid FROM appeasement.credit_note_series WHERE sales_channel_id = $1",
	1, {TEXTOID}
};

static SpiStatement update_series = {
	"UPDATE appeasement.credit_note_series"
	"   SET prefix = $2, gapless = $3, next_value = $4, updated_at = pg_catalog.now()"
	" WHERE sales_channel_id = $1",
	4, {TEXTOID, TEXTOID, BOOLOID, INT8OID}
};

static SpiStatement insert_series = {
	"INSERT INTO appeasement.credit_note_series (sales_channel_id, prefix, counter, gapless, next_value)"
	" VALUES ($1, $2, $5::pg_catalog.regclass, $3, $4)",
	5, {TEXTOID, TEXTOID, BOOLOID, INT8OID, TEXTOID}
};

static SpiStatement restart_counter = {
	"SELECT pg_catalog.setval($1, $2, false)",
	2, {OIDOID, INT8OID}
};

char *
TakeCreditNoteNumber(const char *sales_channel_id, const char *prefix, Oid counter,
					 bool gapless)
{
	int64		value;

	if (gapless)
	{
		Datum		channel = CStringGetTextDatum(sales_channel_id);
		bool		isnull;

		SpiExecute(&take_gapless_number, &channel, NULL, false, 0);
		if (SPI_processed != 1)
			elog(ERROR, "gapless series of channel \"%s\" vanished", sales_channel_id);
		value = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	else
		value = nextval_internal(counter, false);

	return psprintf("%s" INT64_FORMAT, prefix, value);
}

static void
ValidatePrefix(const char *prefix)
{
	size_t		len = strlen(prefix);

	if (len == 0 || pg_mbstrlen_with_len(prefix, len) > PREFIX_MAX_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prefix must have between 1 and %d characters", PREFIX_MAX_LENGTH)));
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char) prefix[i]) || iscntrl((unsigned char) prefix[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("prefix \"%s\" must not contain white space or control characters",
							prefix)));
	/* "CUS1" + 48 and "CUS" + 148 would both be "CUS148". */
	if (isdigit((unsigned char) prefix[len - 1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prefix \"%s\" must not end with a digit", prefix),
				 errdetail("A number is the prefix followed by the counter; a trailing digit would make numbers ambiguous.")));
	if (strcmp(prefix, CREDIT_NOTE_DEFAULT_PREFIX) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("prefix \"%s\" is reserved for the default series", CREDIT_NOTE_DEFAULT_PREFIX)));
}

/*
 * The sequence of a new series.  It is owned by the series table, so it
 * goes with the extension, and named after a number drawn for it; a name
 * already taken (a sequence left behind by an earlier installation, as a
 * restored dump can leave: pg_dump does not keep their ownership) is
 * skipped.
 */
static char *
CreateCounter(int64 start_with)
{
	Oid			schema = get_namespace_oid("appeasement", false);
	Oid			keys = get_relname_relid("credit_note_series_key_seq", schema);
	char	   *relname;
	char	   *ddl;

	do
	{
		relname = psprintf("credit_note_series_" INT64_FORMAT "_seq",
						   nextval_internal(keys, false));
	} while (OidIsValid(get_relname_relid(relname, schema)));

	/* DDL takes no parameters; every part of it here is generated, none is user text. */
	ddl = psprintf("CREATE SEQUENCE appeasement.%s START WITH " INT64_FORMAT
				   " OWNED BY appeasement.credit_note_series.counter", relname, start_with);
	if (SPI_execute(ddl, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not create the counter of a credit-note series");
	return psprintf("appeasement.%s", relname);
}

PG_FUNCTION_INFO_V1(set_credit_note_series);
Datum
set_credit_note_series(PG_FUNCTION_ARGS)
{
	char	   *channel = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *prefix = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		start_with = PG_GETARG_INT64(2);
	bool		gapless = PG_GETARG_BOOL(3);
	Datum		args[5];
	bool		isnull;

	if (channel[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sales_channel_id must not be empty")));
	ValidatePrefix(prefix);
	CheckTextLength(channel, JSON_IDENTIFIER_MAX, "sales_channel_id");
	if (start_with < 1 || start_with > COUNTER_START_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_with must be between 1 and " INT64_FORMAT, COUNTER_START_MAX)));

	SPI_connect();
	SpiExecute(&lock_series, NULL, NULL, false, 0);

	args[0] = CStringGetTextDatum(prefix);
	args[1] = CStringGetTextDatum(channel);
	SpiExecute(&prefix_owner, args, NULL, false, 1);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("prefix \"%s\" is already used by sales channel \"%s\"", prefix,
						TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1, &isnull)))));

	SpiExecute(&highest_issued, args, NULL, false, 1);
	{
		Datum		highest = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			char	   *digits = TextDatumGetCString(highest);
			bool		reissue = strlen(digits) < 19 &&
				strtoll(digits, NULL, 10) >= start_with;

			if (strlen(digits) >= 19 || reissue)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("start_with " INT64_FORMAT " would issue credit-note numbers again",
								start_with),
						 errdetail("Credit note %s%s has already been issued.", prefix, digits),
						 errhint("Start the series after the highest number issued with this prefix.")));
		}
	}

	args[0] = CStringGetTextDatum(channel);
	SpiExecute(&existing_series, args, NULL, false, 1);
	if (SPI_processed > 0)
	{
		Oid			counter = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 1, &isnull));
		Datum		restart[2] = {ObjectIdGetDatum(counter), Int64GetDatum(start_with)};

		args[1] = CStringGetTextDatum(prefix);
		args[2] = BoolGetDatum(gapless);
		args[3] = Int64GetDatum(start_with);
		SpiExecute(&update_series, args, NULL, false, 0);
		SpiExecute(&restart_counter, restart, NULL, false, 0);
	}
	else
	{
		char	   *counter = CreateCounter(start_with);

		args[1] = CStringGetTextDatum(prefix);
		args[2] = BoolGetDatum(gapless);
		args[3] = Int64GetDatum(start_with);
		args[4] = CStringGetTextDatum(counter);
		SpiExecute(&insert_series, args, NULL, false, 0);
	}

	SPI_finish();
	PG_RETURN_VOID();
}
