/*-------------------------------------------------------------------------
 *
 * idempotency.c
 *	  Idempotent retries of create_appeasement: a request that carries an
 *	  idempotency_key creates its credit note once per sales channel.
 *
 * The key is claimed by inserting its row before the order is touched.  A
 * second call with the same key waits on the key's unique index until the
 * first one ends: if the first committed, the second finds its row and
 * gets the same document back (or 23505 when its request differs); if the
 * first rolled back, the second claims the key itself.  So two concurrent
 * calls with one key create one credit note, and nothing is created for a
 * retry.  A call that fails after claiming the key rolls the claim back
 * with everything else.
 *
 * Locks: the key's row through INSERT ... ON CONFLICT (and its wait for a
 * concurrent claim of the same key).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "refund.h"
#include "spi_util.h"

/* Orders never change channel, so reading it unlocked is safe. */
static SpiStatement order_channel = {
	"SELECT sales_channel_id FROM appeasement.orders WHERE order_id = $1",
	1, {TEXTOID}
};

static SpiStatement claim_key = {
	"INSERT INTO appeasement.idempotency_keys (sales_channel_id, idempotency_key, request)"
	" VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	3, {TEXTOID, TEXTOID, JSONBOID}
};

static SpiStatement earlier_use = {
	"SELECT request OPERATOR(pg_catalog.=) $3, document FROM appeasement.idempotency_keys"
	" WHERE sales_channel_id = $1 AND idempotency_key = $2",
	3, {TEXTOID, TEXTOID, JSONBOID}
};

static SpiStatement record_key = {
	"UPDATE appeasement.idempotency_keys SET credit_note_number = $3, document = $4"
	" WHERE sales_channel_id = $1 AND idempotency_key = $2",
	4, {TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

/* The channel the key belongs to: the request's, else the order's; NULL for an unknown order. */
static char *
KeyChannel(RefundRequest *request)
{
	Datum		order_id;
	bool		isnull;

	if (request->sales_channel_id != NULL)
		return request->sales_channel_id;
	order_id = CStringGetTextDatum(request->order_id);
	SpiExecute(&order_channel, &order_id, NULL, false, 1);
	if (SPI_processed == 0)
		return NULL;
	return TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											 1, &isnull));
}

/*
 * The document of the earlier use of the request's key, or NULL when the
 * key is unused; 23505 when it was used with another request.
 */
static Jsonb *
EarlierUse(RefundRequest *request, Datum *args, const char *channel)
{
	bool		isnull;
	bool		same;
	Datum		document;

	SpiExecute(&earlier_use, args, NULL, false, 1);
	if (SPI_processed != 1)
		return NULL;
	same = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("idempotency_key \"%s\" was used for another request",
						request->idempotency_key),
				 errdetail("Keys are unique per sales channel (\"%s\").", channel),
				 errhint("Send a new key for a new request.")));
	document = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
		elog(ERROR, "idempotency key \"%s\" has no credit note", request->idempotency_key);
	return DatumGetJsonbPCopy(document);
}

/* Fills args with channel, key and request; false when there is no key to look at. */
static bool
KeyArgs(RefundRequest *request, Datum *args, char **channel)
{
	if (request->idempotency_key == NULL)
		return false;
	*channel = KeyChannel(request);
	if (*channel == NULL)
		return false;			/* the refund reports the unknown order */
	args[0] = CStringGetTextDatum(*channel);
	args[1] = CStringGetTextDatum(request->idempotency_key);
	args[2] = JsonbPGetDatum(request->keyed_request);
	return true;
}

Jsonb *
IdempotencyClaim(RefundRequest *request)
{
	Datum		args[3];
	char	   *channel;
	Jsonb	   *document;

	if (!KeyArgs(request, args, &channel))
		return NULL;
	SpiExecute(&claim_key, args, NULL, false, 0);
	if (SPI_processed == 1)
		return NULL;
	document = EarlierUse(request, args, channel);
	if (document == NULL)
		elog(ERROR, "idempotency key \"%s\" vanished", request->idempotency_key);
	return document;
}

Jsonb *
IdempotencyLookup(RefundRequest *request)
{
	Datum		args[3];
	char	   *channel;

	if (!KeyArgs(request, args, &channel))
		return NULL;
	return EarlierUse(request, args, channel);
}

void
IdempotencyRecord(RefundRequest *request, CreditNote *note)
{
	Datum		args[4];

	if (request->idempotency_key == NULL)
		return;
	args[0] = CStringGetTextDatum(note->order.sales_channel_id);
	args[1] = CStringGetTextDatum(request->idempotency_key);
	args[2] = CStringGetTextDatum(note->number);
	args[3] = JsonbPGetDatum(note->document);
	SpiExecute(&record_key, args, NULL, false, 0);
	if (SPI_processed != 1)
		elog(ERROR, "idempotency key \"%s\" was not claimed", request->idempotency_key);
}
