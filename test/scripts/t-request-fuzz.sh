#!/usr/bin/env bash
# t-request-fuzz.sh: a bounded, deterministic fuzz of every input the C
# code parses: register_order(jsonb), create_appeasement(jsonb) (also as
# preview_appeasement and, with an rma and quantities, create_return_refund),
# create_appeasement(text, int, numeric, text, text, text), record_capture,
# set_credit_note_series, import_receipt(jsonb), and the decisions
# approve_credit_note and reject_credit_note on credit notes one of its
# agents (agent-7, with limits in every currency it meets) created beyond its limits.
#
# The inputs are generated inside the database by PL/pgSQL (pg_temp
# functions, written below), from a fixed seed: the random choices of
# input i depend on (seed, i) only, its amounts also on the state of the
# order it refunds (a repeated receipt: on the receipts imported before),
# so a failing input can be generated again.  They start
# from valid documents (orders with several lines, taxes with and without
# amounts, several payments; requests with amount and percent lines) and
# mutate them: dropped keys, changed types, huge and tiny numbers, many
# decimals, exponents, "NaN", very long strings, unicode, duplicate keys,
# deep nesting, empty and huge arrays, out-of-range line numbers, rates
# above 1000, 17 tax components, bad currencies and timestamps, ...  Valid
# appeasements, captures, series changes and decisions are mixed in, so the state the
# malformed inputs meet keeps moving.
#
# Inputs run in batches, one psql session and one transaction per batch,
# each input in its own subtransaction (BEGIN ... EXCEPTION WHEN OTHERS).
# Checks:
#   - per batch: the server survived (the session ended normally and the
#     checkpointer is the same process: no crash and restart);
#   - per batch: every error has a documented SQLSTATE (SPEC section 10:
#     22023, P0002, 55000, 23514, 23505; 42501 for an approver whose limits
#     do not cover the credit note).  Input the jsonb type's
#     own parser refuses (\u0000, lone surrogates) never reaches the
#     extension and is only counted;
#   - at the end: the failed calls left nothing behind (credit notes,
#     credit-note lines, events and captures added = those the successful
#     calls reported), every cap holds for every order, line and payment,
#     the running totals equal the sums of the credit notes, each credit
#     note adds up, and every credit note has its event; every imported
#     receipt has the lines of its document, and every order's rows in the
#     sales view add up to its gross less what was refunded (credit notes
#     awaiting approval reserve amounts but refund nothing yet);
#   - at the end: the fuzz reached every documented error and created
#     credit notes (the generator works).
#
# Environment: the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE),
# PG_BINDIR (optional), and
#   T_REQUEST_FUZZ_INPUTS   number of inputs (default 20000)
#   T_REQUEST_FUZZ_SEED     the seed (default 4871)
#   T_REQUEST_FUZZ_BATCH    inputs per batch (default 1000)
#   T_REQUEST_FUZZ_SECONDS  no batch starts after this many seconds (default 60)
#
# Its orders, channels and series are named after a tag drawn per run, so
# runs never meet.  Prints one final line
#   request-fuzz: N passed, M failed
set -uo pipefail

INPUTS=${T_REQUEST_FUZZ_INPUTS:-20000}
SEED=${T_REQUEST_FUZZ_SEED:-4871}
BATCH=${T_REQUEST_FUZZ_BATCH:-1000}
MAX_SECONDS=${T_REQUEST_FUZZ_SECONDS:-60}
PSQL=psql
if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/psql" ]; then
	PSQL="$PG_BINDIR/psql"
fi
for v in INPUTS SEED BATCH MAX_SECONDS; do
	case ${!v} in
	'' | *[!0-9]*)
		echo "request-fuzz: $v must be a non-negative integer" >&2
		echo "request-fuzz: 0 passed, 1 failed"
		exit 1
		;;
	esac
done
[ "$BATCH" -gt 0 ] || BATCH=1000

WORK=$(mktemp -d /tmp/request-fuzz-XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

finish() {
	rm -rf -- "$WORK"
	printf 'request-fuzz: %d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
trap finish EXIT

# q SQL: rows from the server, unaligned, stopping at the first error.
q() {
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

# A process that restarts when any backend crashes: the postmaster then
# restarts every child, the checkpointer too.
CHECKPOINTER_SQL="SELECT pid FROM pg_catalog.pg_stat_activity WHERE backend_type = 'checkpointer'"

# wait_server SECONDS: until the server accepts queries.
wait_server() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		q "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# ---------------------------------------------------------------- the generator

cat >"$WORK/fuzz.sql" <<'SQL'
SET client_min_messages = warning;

-- Randomness: one setseed per input, so input i depends on (seed, i) only.
CREATE FUNCTION pg_temp.fz_seed(seed bigint, i bigint) RETURNS void LANGUAGE sql AS
$$ SELECT setseed((hashint8extended(i, seed) & 1073741823)::float8 / 1073741823.0 * 2 - 1) $$;
CREATE FUNCTION pg_temp.fz_r(n int) RETURNS int LANGUAGE sql AS
$$ SELECT floor(random() * n)::int $$;
CREATE FUNCTION pg_temp.fz_chance(p float8) RETURNS boolean LANGUAGE sql AS
$$ SELECT random() < p $$;
CREATE FUNCTION pg_temp.fz_pick(a anyarray) RETURNS anyelement LANGUAGE sql AS
$$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;
CREATE FUNCTION pg_temp.fz_pickj(a jsonb) RETURNS jsonb LANGUAGE sql AS
$$ SELECT a -> floor(random() * jsonb_array_length(a))::int $$;

-- An amount of minor units as text with the currency's digits, and as JSON
-- (a string mostly, a number sometimes).
CREATE FUNCTION pg_temp.fz_amt(minor bigint, e int) RETURNS text LANGUAGE sql AS
$$ SELECT round(minor::numeric / 10::numeric ^ e, e)::text $$;
CREATE FUNCTION pg_temp.fz_amount_json(minor bigint, e int) RETURNS jsonb LANGUAGE sql AS
$$ SELECT CASE WHEN random() < 0.7 THEN to_jsonb(pg_temp.fz_amt(minor, e))
               ELSE to_jsonb(pg_temp.fz_amt(minor, e)::numeric) END $$;

-- Borderline values by field.  jsonb keeps numbers as numeric, so -0 and
-- 1e2 reach the extension as "0" and "100"; their string forms are here too.
CREATE FUNCTION pg_temp.fz_list(name text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS
$f$ SELECT CASE name
 WHEN 'amount' THEN $j$[0, -0, "-0", "-0.00", "0.00", 1, -1, "-1", "-0.01", 0.5, "0.5", 0.01, "0.001",
   0.001, "1.000", 1.0, 10.000, 1e2, 1E-2, 1e-8, 1e18, 1e19, 1e400, 1e-400, 999999999999999999,
   9999999999999999.99, 10000000000000000.00, "9999999999999999.99", "999999999999999999",
   "1000000000000000000", "99999999999999999999999999999", 9223372036854775807,
   9223372036854775808, -9223372036854775808, "NaN", "nan", "Infinity", "-Infinity", "inf",
   "1e2", "1E2", "+1", " 1", "1 ", "01", "00000000000000000000000000001", "1.", ".5", "1,5",
   "1.2.3", "0x10", "١٢", "１２", "", " ", "-", "--1", "½", true, false, null, [], {}, [1],
   {"amount": 1}, "48.71", "48.710", 48.71, "48.7", 4871e-2, 0.0000000000000000000000000000001,
   "0.000000000000000000000000000001", "5.90", "0.10", 0.1]$j$::jsonb
 WHEN 'rate' THEN $j$[0, "0", 1000, "1000", 1000.000001, "1000.000001", 1001, "1001", 100,
   100.000001, "100.0000001", 8.25, "8.25", "8.2500001", 8.250000, "-8.25", -1, "-0", 1e3, 1e4,
   1e-6, 1e-7, 0.000001, "0.0000001", 33.333333, 33.3333333, "20.000000", 99999999999, 1e400,
   "NaN", "Infinity", "", " ", "8,25", "8.25%", "1e1", true, null, [], {}, 0.5, "12.345678"]$j$::jsonb
 WHEN 'int' THEN $j$[0, -0, 1, -1, 2, 3, "1", "2", "01", " 1", "1 ", "+1", "-1", 1.0, "1.0", 1.5,
   "1.5", 1e2, "1e2", 2147483647, 2147483648, -2147483648, -2147483649, "2147483647",
   "2147483648", "-2147483649", 4294967296, 9223372036854775807, 9223372036854775808, 1e20,
   1e400, "", " ", "one", "NaN", true, false, null, [], {}, [1], "٣", "１", "00000000000000000001"]$j$::jsonb
 WHEN 'currency' THEN $j$["USD", "usd", "Usd", "US", "U", "USDD", "", "  ", "XXX", "XAU", "XTS",
   "ABC", "ZZZ", "EUR", "JPY", "KWD", "CLF", "UYW", "BHD", "ANG", "HRK", " USD", "USD ", "ÜSD",
   "U$D", "€", "ＵＳＤ", 840, "840", true, null, [], {}]$j$::jsonb
 WHEN 'timestamp' THEN $j$["2018-03-15T11:18:25+00:00", "2018-03-15", "2018-02-30T00:00:00Z",
   "2018-03-15T25:00:00Z", "2018-03-15T11:18:25+99:00", "2018-03-15T11:18:25+14:00",
   "294276-12-31T23:59:59Z", "294277-01-01T00:00:00Z", "4713-01-01 BC", "4714-11-24 00:00:00+00 BC",
   "4714-11-23 BC", "infinity", "-infinity", "Infinity", "epoch", "now", "today", "tomorrow",
   "allballs", "", "  ", "garbage", "2018-13-01", "0000-01-01", "99999-01-01", "J2451187",
   "1521112705", 1521112705, true, null, [], {}, "2018-03-15T11:18:25.123456789+00:00",
   "2018-03-15 11:18:25 Europe/Paris", "2018-03-15 11:18:25 Mars/Olympus"]$j$::jsonb
 WHEN 'kind' THEN $j$["product", "virtual", "shipping", "Product", "PRODUCT", " product",
   "product ", "refund", "return", "", "  ", null, 1, true, [], {}, ["product"]]$j$::jsonb
 WHEN 'string' THEN $j$["", " ", "\t", "\n", "  \r\n ", "x", "0", "-1", "null", "true", "NaN", "ü",
   "😀", "👨‍👩‍👧", "\u200b", "\u00a0", "\u0001", "\u001f", "\u007f", "a\"b", "a\\b", "\\u0000",
   "%s%n%x", "' OR 1=1 --", "Robert\"); DROP TABLE orders;--", "مرحبا", "שלום", "ＡＢＣ",
   "\ud83d\ude00", "e\u0301", 0, 1, -1, 1.5, 1e2, 190, 1e400, true, false, null, [], {}, ["x"],
   {"a": "b"}]$j$::jsonb
 WHEN 'array' THEN $j$[[], [{}], [null], [1], ["x"], [[]], [[{}]], {}, "[]", null, true, 0,
   [{"x": 1}], [{}, {}]]$j$::jsonb
 WHEN 'element' THEN $j$[null, {}, [], 1, "x", true, [{}], {"line_number": 1},
   {"type": "VAT"}, {"payment_id": "P1"}, {"rate": "20"}]$j$::jsonb
 WHEN 'other' THEN $j$[null, true, false, 0, 1, -1, "", "x", [], {}, [null], {"x": 1},
   [[1]], "0"]$j$::jsonb
 WHEN 'numeric' THEN $j$["0", "-0", "-1", "-0.01", "NaN", "Infinity", "-Infinity", "0.001",
   "1e-20", "1e20", "1e100", "1e-100", "1e1000", "999999999999999999", "9999999999999999.99",
   "10000000000000000", "0.0000000000000000000001", "12345678901234567890.12345678901234567890",
   "0.01", "1.0", "1.00", "1.000", "5", "100000"]$j$::jsonb
 END $f$;

-- The same request as a return refund: an rma, and one unit per line in
-- place of a percent.  Anything that is not an object of lines is kept.
CREATE FUNCTION pg_temp.fz_as_return(doc jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT CASE WHEN jsonb_typeof(doc) = 'object' AND jsonb_typeof(doc -> 'lines') = 'array'
				THEN jsonb_set(doc || '{"rma": "RMA-FUZZ"}', '{lines}',
							   (SELECT coalesce(jsonb_agg(CASE WHEN jsonb_typeof(e) = 'object'
															   THEN (e - 'percent') || '{"quantity": 1}'
															   ELSE e END), '[]')
								  FROM jsonb_array_elements(doc -> 'lines') AS e))
				ELSE doc END
$$;
CREATE FUNCTION pg_temp.fz_long_string() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	n int := pg_temp.fz_pick(ARRAY[33, 100, 1000, 2705, 3000, 10000, 100000, 1000000]);
BEGIN
	IF n = 1000000 AND pg_temp.fz_chance(0.7) THEN
		n := 100000;
	END IF;
	RETURN to_jsonb(CASE pg_temp.fz_r(5)
		WHEN 0 THEN repeat('x', n)
		WHEN 1 THEN left(repeat('é€😀', n / 3 + 1), n)
		WHEN 2 THEN (SELECT string_agg(md5(g::text || random()::text), '')
					   FROM generate_series(1, n / 32 + 1) g)
		WHEN 3 THEN repeat(' ', n)
		ELSE repeat('9', n) END);
END $$;

CREATE FUNCTION pg_temp.fz_long_number() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	n int := pg_temp.fz_pick(ARRAY[17, 18, 19, 20, 40, 100, 1000, 16000]);
BEGIN
	RETURN CASE pg_temp.fz_r(8)
		WHEN 0 THEN repeat('9', n)::jsonb
		WHEN 1 THEN to_jsonb(repeat('9', n))
		WHEN 2 THEN ('0.' || repeat('0', n - 1) || '1')::jsonb
		WHEN 3 THEN ('1.' || repeat('0', n))::jsonb
		WHEN 4 THEN to_jsonb('1.' || repeat('0', n))
		WHEN 5 THEN ('1e' || n)::jsonb
		WHEN 6 THEN ('1e-' || n)::jsonb
		ELSE to_jsonb('0.' || repeat('0', n - 1) || '1') END;
END $$;

CREATE FUNCTION pg_temp.fz_deep() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	n int := pg_temp.fz_pick(ARRAY[2, 10, 100, 1000, 2000]);
BEGIN
	IF pg_temp.fz_chance(0.5) THEN
		RETURN (repeat('[', n) || '1' || repeat(']', n))::jsonb;
	END IF;
	RETURN (repeat('{"a": ', n) || '1' || repeat('}', n))::jsonb;
END $$;

CREATE FUNCTION pg_temp.fz_weird() RETURNS jsonb LANGUAGE sql AS
$$ SELECT CASE floor(random() * 10)::int
	WHEN 0 THEN pg_temp.fz_long_string()
	WHEN 1 THEN pg_temp.fz_long_number()
	WHEN 2 THEN pg_temp.fz_deep()
	WHEN 3 THEN pg_temp.fz_pickj(pg_temp.fz_list('amount'))
	WHEN 4 THEN pg_temp.fz_pickj(pg_temp.fz_list('int'))
	WHEN 5 THEN pg_temp.fz_pickj(pg_temp.fz_list('other'))
	ELSE pg_temp.fz_pickj(pg_temp.fz_list('string')) END $$;

-- A borderline value for a field, by its name.
CREATE FUNCTION pg_temp.fz_value_for(key text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF pg_temp.fz_chance(0.1) THEN
		RETURN pg_temp.fz_weird();
	END IF;
	RETURN CASE
		WHEN key IN ('gross', 'amount', 'captured', 'total_line_amount') THEN
			CASE WHEN pg_temp.fz_chance(0.8) THEN pg_temp.fz_pickj(pg_temp.fz_list('amount'))
				 ELSE pg_temp.fz_long_number() END
		WHEN key IN ('rate', 'percent') THEN pg_temp.fz_pickj(pg_temp.fz_list('rate'))
		WHEN key IN ('line_number', 'quantity') THEN pg_temp.fz_pickj(pg_temp.fz_list('int'))
		WHEN key = 'currency' THEN pg_temp.fz_pickj(pg_temp.fz_list('currency'))
		WHEN key IN ('ordered_at', 'credit_note_date', 'issued_at') THEN pg_temp.fz_pickj(pg_temp.fz_list('timestamp'))
		WHEN key = 'kind' THEN pg_temp.fz_pickj(pg_temp.fz_list('kind'))
		WHEN key IN ('lines', 'taxes', 'payments', 'custom_attributes') THEN
			pg_temp.fz_pickj(pg_temp.fz_list('array'))
		WHEN key = 'appeasement' THEN pg_temp.fz_pickj('[{}, [], "x", 1, true, [{}], null]')
		WHEN key ~ '^[0-9]+$' THEN pg_temp.fz_pickj(pg_temp.fz_list('element'))
		WHEN pg_temp.fz_chance(0.15) THEN pg_temp.fz_long_string()
		ELSE pg_temp.fz_pickj(pg_temp.fz_list('string')) END;
END $$;

-- A nearby key name.
CREATE FUNCTION pg_temp.fz_rename(key text) RETURNS text LANGUAGE sql AS
$$ SELECT CASE floor(random() * 8)::int
	WHEN 0 THEN upper(key) WHEN 1 THEN key || ' ' WHEN 2 THEN ' ' || key
	WHEN 3 THEN replace(key, '_', '') WHEN 4 THEN initcap(key) WHEN 5 THEN key || 's'
	WHEN 6 THEN left(key, -1) ELSE key || E'\u200b' END $$;

-- A value near another one: scaled, negated, more decimals, type flipped.
CREATE FUNCTION pg_temp.fz_perturb(v jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	s text := CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' WHEN 'number' THEN v::text END;
	x numeric;
BEGIN
	IF s IS NULL OR s !~ '^-?[0-9]+(\.[0-9]+)?$' THEN
		RETURN CASE jsonb_typeof(v)
			WHEN 'string' THEN pg_temp.fz_pickj('[0, 1, -1, null, true, 1e400]')
			ELSE to_jsonb(coalesce(v::text, 'null')) END;
	END IF;
	x := s::numeric;
	RETURN CASE pg_temp.fz_r(12)
		WHEN 0 THEN to_jsonb(-x)
		WHEN 1 THEN to_jsonb(x * 1000000)
		WHEN 2 THEN to_jsonb(x / 1000)
		WHEN 3 THEN to_jsonb(x + 0.001)
		WHEN 4 THEN to_jsonb(s || '0')
		WHEN 5 THEN to_jsonb(x * 10::numeric ^ 20)
		WHEN 6 THEN to_jsonb('-' || s)
		WHEN 7 THEN to_jsonb(s || 'e2')
		WHEN 8 THEN (s || 'e0')::jsonb
		WHEN 9 THEN CASE jsonb_typeof(v) WHEN 'string' THEN to_jsonb(x) ELSE to_jsonb(s) END
		WHEN 10 THEN to_jsonb(x + 1)
		ELSE to_jsonb(' ' || s) END;
END $$;

-- A random path into a document (objects and arrays, 8 levels at most).
CREATE FUNCTION pg_temp.fz_random_path(doc jsonb) RETURNS text[] LANGUAGE sql AS $$
WITH RECURSIVE p(path, v) AS (
	SELECT ARRAY[]::text[], doc
	UNION ALL
	SELECT p.path || c.k, c.v
	  FROM p CROSS JOIN LATERAL (
			SELECT e.key AS k, e.value AS v
			  FROM jsonb_each(CASE WHEN jsonb_typeof(p.v) = 'object' THEN p.v END) e
			UNION ALL
			SELECT (a.ord - 1)::text, a.value
			  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.v) = 'array' THEN p.v END)
				   WITH ORDINALITY a(value, ord)) c
	 WHERE cardinality(p.path) < 8
)
SELECT path FROM p WHERE cardinality(path) > 0 ORDER BY random() LIMIT 1
$$;

CREATE FUNCTION pg_temp.fz_mutate(doc jsonb, nmut int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	path text[];
	parent text[];
	leaf text;
	pv jsonb;
	v jsonb;
	m int;
BEGIN
	FOR k IN 1..nmut LOOP
		IF jsonb_typeof(doc) NOT IN ('object', 'array') THEN
			EXIT;
		END IF;
		path := pg_temp.fz_random_path(doc);
		IF path IS NULL THEN
			doc := CASE jsonb_typeof(doc) WHEN 'object' THEN doc || '{"x": 1}' ELSE doc || '[{}]' END;
			CONTINUE;
		END IF;
		leaf := path[cardinality(path)];
		parent := path[1:cardinality(path) - 1];
		pv := doc #> parent;
		v := doc #> path;
		CASE pg_temp.fz_r(13)
			WHEN 0, 1 THEN
				doc := doc #- path;
			WHEN 2, 3, 4, 5 THEN
				doc := jsonb_set(doc, path, pg_temp.fz_value_for(leaf));
			WHEN 6 THEN
				doc := jsonb_set(doc, path, pg_temp.fz_weird());
			WHEN 7 THEN
				doc := jsonb_set(doc, path, pg_temp.fz_pickj(pg_temp.fz_list('other')));
			WHEN 8 THEN
				IF jsonb_typeof(pv) = 'array' THEN
					doc := jsonb_insert(doc, path, v, pg_temp.fz_chance(0.5));
				ELSE
					doc := jsonb_set(doc, parent || pg_temp.fz_pick(ARRAY['x', 'idempotency_key',
						'appeasement', 'lines', 'amount', 'percent', 'id', 'taxes', 'payments',
						'custom_attributes', 'captured', 'rate', 'credit_note_date']),
						pg_temp.fz_value_for(leaf));
				END IF;
			WHEN 9 THEN
				IF jsonb_typeof(pv) = 'object' THEN
					doc := jsonb_set(doc #- path, parent || pg_temp.fz_rename(leaf), v);
				END IF;
			WHEN 10 THEN
				IF jsonb_typeof(v) = 'array' AND jsonb_array_length(v) > 0 THEN
					m := pg_temp.fz_pick(ARRAY[2, 17, 101, 1001, 3000]);
					doc := jsonb_set(doc, path, (SELECT jsonb_agg(v -> (g % jsonb_array_length(v)))
												   FROM generate_series(0, m - 1) g));
				ELSE
					doc := jsonb_set(doc, path, jsonb_build_array(v));
				END IF;
			ELSE
				doc := jsonb_set(doc, path, pg_temp.fz_perturb(v));
		END CASE;
	END LOOP;
	RETURN doc;
END $$;

-- A valid order: lines of every kind (some with gross 0), taxes absent,
-- empty, one with or without amount, US state/county/city, up to 16;
-- payments: 0 all captured, 1 half captured, 2 none captured, 3 none.
CREATE FUNCTION pg_temp.fz_order(p_id text, p_channel text, p_currency text, p_nlines int,
								 p_capmode int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	e int := appeasement.currency_exponent(p_currency);
	lines jsonb[] := '{}';
	pays jsonb[] := '{}';
	line jsonb;
	taxes jsonb[];
	total bigint := 0;
	g bigint;
	ln int := 0;
	nt int;
	rates numeric[];
	ratesum numeric;
	npay int;
	part bigint;
	rest bigint;
	cap bigint;
	kind text;
	doc jsonb;
BEGIN
	FOR k IN 1..p_nlines LOOP
		ln := ln + 1 + pg_temp.fz_r(3);
		kind := pg_temp.fz_pick(ARRAY['product', 'product', 'virtual', 'shipping']);
		g := CASE WHEN pg_temp.fz_r(15) = 0 THEN pg_temp.fz_r(3) ELSE 100 + pg_temp.fz_r(500000) END;
		line := jsonb_build_object(
			'line_number', CASE WHEN pg_temp.fz_chance(0.7) THEN to_jsonb(ln) ELSE to_jsonb(ln::text) END,
			'order_item_id', (180 + k)::text, 'kind', kind, 'gross', pg_temp.fz_amount_json(g, e));
		IF pg_temp.fz_chance(0.5) THEN
			line := line || jsonb_build_object('sku', 'SKU-' || k);
		END IF;
		IF kind <> 'shipping' AND pg_temp.fz_chance(0.4) THEN
			line := line || jsonb_build_object('quantity', 1 + pg_temp.fz_r(5));
		END IF;
		nt := CASE pg_temp.fz_r(8) WHEN 0 THEN -1 WHEN 1 THEN 0 WHEN 2 THEN 3
								   WHEN 3 THEN 2 + pg_temp.fz_r(15) ELSE 1 END;
		IF nt >= 0 THEN
			rates := ARRAY(SELECT pg_temp.fz_pick(ARRAY[0, 0.5, 2.9, 5, 5.5, 7.7, 8.25, 10, 19, 20,
														 21, 25, 12.345678]::numeric[])
							 FROM generate_series(1, nt));
			ratesum := coalesce((SELECT sum(x) FROM unnest(rates) x), 0);
			taxes := '{}';
			FOR j IN 1..nt LOOP
				taxes := taxes || (jsonb_build_object(
					'type', CASE WHEN nt = 3 THEN (ARRAY['state', 'county', 'city'])[j] ELSE 'VAT' END,
					'rate', CASE WHEN pg_temp.fz_chance(0.7) THEN to_jsonb(rates[j]::text)
								 ELSE to_jsonb(rates[j]) END)
					|| CASE WHEN pg_temp.fz_chance(0.5) THEN jsonb_build_object('amount',
						   pg_temp.fz_amount_json(greatest(0, floor(g * rates[j] / (100 + ratesum))::bigint
															  - pg_temp.fz_r(2)), e))
							ELSE '{}' END);
			END LOOP;
			line := line || jsonb_build_object('taxes', to_jsonb(taxes));
		END IF;
		lines := lines || line;
		total := total + g;
	END LOOP;

	doc := jsonb_build_object('order_id', p_id, 'sales_channel_id', p_channel, 'currency', p_currency,
							  'lines', to_jsonb(lines));
	IF pg_temp.fz_chance(0.6) THEN
		doc := doc || jsonb_build_object('store_id', p_channel, 'customer_id', 'C-' || pg_temp.fz_r(1000));
	END IF;
	IF pg_temp.fz_chance(0.5) THEN
		doc := doc || jsonb_build_object('ordered_at', pg_temp.fz_pick(ARRAY['2018-03-01T10:00:00+00:00',
			'2018-03-01 12:00:00+02', '2024-02-29T23:59:59Z']));
	END IF;
	IF p_capmode <> 3 THEN
		npay := 1 + pg_temp.fz_r(3);
		rest := total;
		FOR j IN 1..npay LOOP
			part := CASE WHEN j = npay THEN rest ELSE rest / 2 END;
			rest := rest - part;
			cap := CASE p_capmode WHEN 0 THEN part WHEN 1 THEN part / 2 ELSE 0 END;
			pays := pays || (jsonb_build_object('payment_id', 'P' || j,
				'method', pg_temp.fz_pick(ARRAY['card', 'paypal', 'giftcard']), 'psp', 'adyen',
				'psp_reference', (8534 + j)::text, 'amount', pg_temp.fz_amount_json(part, e))
				|| CASE WHEN cap > 0 OR pg_temp.fz_chance(0.5)
						THEN jsonb_build_object('captured', pg_temp.fz_amount_json(cap, e)) ELSE '{}' END);
		END LOOP;
		doc := doc || jsonb_build_object('payments', to_jsonb(pays));
	END IF;
	RETURN doc;
END $$;

-- An order of n identical lines, cheap to build.
CREATE FUNCTION pg_temp.fz_big_order(p_id text, p_channel text, n int, gross text) RETURNS jsonb
LANGUAGE sql AS $$
SELECT jsonb_build_object('order_id', p_id, 'sales_channel_id', p_channel, 'currency', 'USD',
	'lines', (SELECT jsonb_agg(jsonb_build_object('line_number', g, 'order_item_id', 'I' || g,
			'kind', 'product', 'gross', gross, 'taxes', '[{"type": "VAT", "rate": "20"}]'::jsonb))
			    FROM generate_series(1, n) g),
	'payments', jsonb_build_array(jsonb_build_object('payment_id', 'P1',
		'amount', (gross::numeric * n)::text, 'captured', (gross::numeric * n)::text)))
$$;

-- A valid request against the order's current state: 1 to 3 lines (20
-- sometimes), small amounts or percents, every optional key sometimes.
CREATE FUNCTION pg_temp.fz_request(p_order text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	o record;
	l record;
	lines jsonb[] := '{}';
	line jsonb;
	req jsonb;
	n int := CASE WHEN pg_temp.fz_chance(0.05) THEN 1 + pg_temp.fz_r(20) ELSE 1 + pg_temp.fz_r(3) END;
	-- Rows are picked by a hash of their key, not in scan order, which
	-- depends on the table's physical layout.
	pick bigint := pg_temp.fz_r(1000000000);
BEGIN
	SELECT sales_channel_id, exponent INTO o FROM appeasement.orders WHERE order_id = p_order;
	FOR l IN SELECT line_number, order_item_id, gross, refunded FROM appeasement.order_lines
			  WHERE order_id = p_order ORDER BY hashint4extended(line_number, pick), line_number LIMIT n LOOP
		line := jsonb_build_object(
			'line_number', CASE WHEN pg_temp.fz_chance(0.5) THEN to_jsonb(l.line_number)
								ELSE to_jsonb(l.line_number::text) END,
			'reason', pg_temp.fz_pick(ARRAY['Item too big', 'Late delivery', 'Geste commercial', '遅延']),
			'reason_description', pg_temp.fz_pick(ARRAY['Parcel 4 days late', 'Damaged box', 'x', 'ü😀']));
		IF pg_temp.fz_chance(0.5) THEN
			line := line || jsonb_build_object('id', l.order_item_id);
		END IF;
		IF pg_temp.fz_chance(0.7) THEN
			line := line || jsonb_build_object('amount', pg_temp.fz_amount_json(
				1 + pg_temp.fz_r(least(greatest(1, (l.gross - l.refunded) / 30), 2000000000)::int),
				coalesce(o.exponent, 2)));
		ELSE
			line := line || jsonb_build_object('percent', pg_temp.fz_pickj(
				'["0.5", "1", "1.5", "2", 2.5, "3", "4.75", "10", "0.01", "100", 0.000001]'));
		END IF;
		lines := lines || line;
	END LOOP;
	req := jsonb_build_object('order_id', p_order,
		'user', pg_temp.fz_pick(ARRAY['userB', 'agent-7', 'Zoë']), 'lines', to_jsonb(lines));
	IF pg_temp.fz_chance(0.4) THEN
		req := req || jsonb_build_object('sales_channel_id', o.sales_channel_id);
	END IF;
	IF pg_temp.fz_chance(0.4) THEN
		req := req || jsonb_build_object('credit_note_date', '2018-03-15T11:18:25+00:00');
	END IF;
	IF pg_temp.fz_chance(0.3) THEN
		req := req || jsonb_build_object('custom_attributes',
			pg_temp.fz_pickj('[[], [{"key": "ticket", "value": "T-42"}], [1, "x", null, {"a": []}]]'));
	END IF;
	IF pg_temp.fz_chance(0.5) THEN
		req := jsonb_build_object('appeasement', req);
	END IF;
	RETURN req;
END $$;

-- A valid store receipt: 1 to 4 lines, sold (positive) or taken back
-- (negative; an exchange has both), with or without sku and quantity.
CREATE FUNCTION pg_temp.fz_receipt(p_id text, p_currency text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	e int := appeasement.currency_exponent(p_currency);
	lines jsonb[] := '{}';
	line jsonb;
	doc jsonb;
BEGIN
	FOR k IN 1..1 + pg_temp.fz_r(4) LOOP
		line := jsonb_build_object('total_line_amount', pg_temp.fz_amount_json(
			(1 + pg_temp.fz_r(500000)) * CASE WHEN pg_temp.fz_chance(0.3) THEN -1 ELSE 1 END, e));
		IF pg_temp.fz_chance(0.7) THEN
			line := line || jsonb_build_object('sku', 'SKU-' || pg_temp.fz_r(50));
		END IF;
		IF pg_temp.fz_chance(0.5) THEN
			line := line || jsonb_build_object('quantity', 1 + pg_temp.fz_r(5));
		END IF;
		lines := lines || line;
	END LOOP;
	doc := jsonb_build_object('receipt_id', p_id, 'customer_id', 'C-' || pg_temp.fz_r(1000),
		'currency', p_currency, 'lines', to_jsonb(lines),
		'issued_at', pg_temp.fz_pick(ARRAY['2018-03-01T10:00:00+00:00', '2018-03-01 12:00:00+02',
										   '2024-02-29T23:59:59Z']));
	IF pg_temp.fz_chance(0.6) THEN
		doc := doc || jsonb_build_object('store_id', 'STORE-' || pg_temp.fz_r(20));
	END IF;
	RETURN doc;
END $$;

-- Input i: what to call and with what.  target is register, request,
-- line, capture, series, receipt, or parser (the jsonb parser refused the
-- text).
CREATE FUNCTION pg_temp.fz_case(p_seed bigint, p_tag text, p_i int, p_bases text[],
	OUT target text, OUT kind text, OUT doc jsonb, OUT t1 text, OUT t2 text, OUT t3 text,
	OUT t4 text, OUT i1 int, OUT n1 numeric, OUT b1 bigint, OUT ts timestamptz, OUT bl boolean)
LANGUAGE plpgsql AS $$
DECLARE
	r int;
	s int;
	base text;
	txt text;
	lr record;
	ex int;
	currencies text[] := ARRAY['USD', 'EUR', 'JPY', 'KWD', 'CLF', 'BHD', 'GBP', 'KRW', 'TND', 'UYW', 'CHF'];
	channel text;
	pick bigint;
BEGIN
	PERFORM pg_temp.fz_seed(p_seed, p_i);
	-- Rows are picked by a hash of their key, not in scan order.
	pick := pg_temp.fz_r(1000000000);
	base := p_bases[1 + pg_temp.fz_r(cardinality(p_bases))];
	channel := p_tag || '-C' || (1 + pg_temp.fz_r(6));
	r := pg_temp.fz_r(100);

	IF r < 27 THEN
		target := 'register';
		doc := pg_temp.fz_order(p_tag || '-R' || p_i, channel, pg_temp.fz_pick(currencies),
								1 + pg_temp.fz_r(5), pg_temp.fz_r(4));
		IF pg_temp.fz_chance(0.9) THEN
			kind := 'register.mutated';
			doc := pg_temp.fz_mutate(doc, 1 + pg_temp.fz_r(3));
		ELSE
			kind := 'register.valid';
		END IF;

	ELSIF r < 33 THEN
		target := 'register';
		doc := pg_temp.fz_order(p_tag || '-S' || p_i, channel, 'USD', 2 + pg_temp.fz_r(3), 0);
		s := pg_temp.fz_r(36);
		kind := 'register.special.' || s;
		CASE s
			WHEN 0 THEN		-- 17 tax components
				doc := jsonb_set(doc, '{lines,0,taxes}', (SELECT jsonb_agg(jsonb_build_object('type', 'T' || g,
					'rate', '0.5')) FROM generate_series(1, 17) g));
			WHEN 1 THEN		-- a rate above 1000
				doc := jsonb_set(doc, '{lines,0,taxes}', jsonb_build_array(jsonb_build_object('type', 'VAT',
					'rate', pg_temp.fz_pickj('["1000.000001", 1001, 1e4, "1000", 1000.0000001]'))));
			WHEN 2 THEN
				doc := jsonb_set(doc, '{currency}', pg_temp.fz_pickj(pg_temp.fz_list('currency')));
			WHEN 3 THEN
				doc := jsonb_set(doc, '{lines,0,line_number}', pg_temp.fz_pickj(
					'[2147483648, -1, -2147483648, 9223372036854775808, "2147483648", 1e10, "-0"]'));
			WHEN 4 THEN
				doc := jsonb_set(doc, '{ordered_at}', pg_temp.fz_pickj(pg_temp.fz_list('timestamp')));
			WHEN 5 THEN		-- a line number twice, maybe as "1" and 1
				doc := jsonb_set(doc, '{lines,1,line_number}', to_jsonb((doc #>> '{lines,0,line_number}')));
			WHEN 6 THEN
				doc := jsonb_set(doc, '{lines,1,order_item_id}', doc #> '{lines,0,order_item_id}');
			WHEN 7 THEN
				doc := jsonb_set(doc, '{payments}', jsonb_build_array(doc #> '{payments,0}', doc #> '{payments,0}'));
			WHEN 8 THEN		-- captured above amount
				doc := jsonb_set(doc, '{payments,0,captured}', to_jsonb(((doc #>> '{payments,0,amount}')::numeric + 0.01)::text));
			WHEN 9 THEN		-- taxes above gross
				doc := jsonb_set(doc, '{lines,0,taxes}', jsonb_build_array(
					jsonb_build_object('type', 'VAT', 'rate', '20', 'amount', doc #> '{lines,0,gross}'),
					jsonb_build_object('type', 'VAT2', 'rate', '1', 'amount', '0.01')));
			WHEN 10 THEN	-- 100 or 101 payments
				doc := jsonb_set(doc, '{payments}', (SELECT jsonb_agg(jsonb_build_object('payment_id', 'P' || g,
					'amount', '0.01')) FROM generate_series(1, 100 + pg_temp.fz_r(2)) g));
			WHEN 11 THEN
				doc := jsonb_set(doc, pg_temp.fz_pick(ARRAY['{lines,0,gross}', '{payments,0,amount}',
					'{payments,0,captured}', '{lines,1,gross}'])::text[], pg_temp.fz_pickj('["-0.01", -1, "-100.00", -0.01]'));
			WHEN 12 THEN	-- the order's gross above 18 digits of minor units
				doc := jsonb_set(jsonb_set(doc, '{lines,0,gross}', '"9999999999999999.99"'),
								 '{lines,1,gross}', '"9999999999999999.99"');
			WHEN 13 THEN	-- the order's captured total above 18 digits of minor units
				doc := jsonb_set(doc, '{payments}', '[{"payment_id": "P1", "amount": "9999999999999999.99", "captured": "9999999999999999.99"},
													   {"payment_id": "P2", "amount": "9999999999999999.99", "captured": "9999999999999999.99"}]');
			WHEN 14 THEN	-- the sum of a line's taxes above 18 digits of minor units
				doc := jsonb_set(jsonb_set(doc, '{lines,0,gross}', '"9999999999999999.99"'), '{lines,0,taxes}',
					(SELECT jsonb_agg(jsonb_build_object('type', 'T' || g, 'rate', '1', 'amount', '9999999999999999.99'))
					   FROM generate_series(1, 2 + pg_temp.fz_r(15)) g));
			WHEN 15 THEN	-- a long order_id
				doc := jsonb_set(doc, '{order_id}', to_jsonb(p_tag || '-S' || p_i || '-' ||
					(SELECT string_agg(md5(g::text || p_i), '') FROM generate_series(1, 100 + pg_temp.fz_r(300)) g)));
			WHEN 16 THEN	-- a long order_item_id, payment_id, sales_channel_id or sku
				doc := jsonb_set(doc, pg_temp.fz_pick(ARRAY['{lines,0,order_item_id}', '{payments,0,payment_id}',
					'{sales_channel_id}', '{lines,0,sku}', '{customer_id}'])::text[],
					to_jsonb((SELECT string_agg(md5(g::text || p_i), '') FROM generate_series(1, 100 + pg_temp.fz_r(300)) g)));
			WHEN 17 THEN	-- 10,001 lines
				doc := pg_temp.fz_big_order(p_tag || '-S' || p_i, channel, 10001, '1.00');
			WHEN 18 THEN	-- 10,000 lines (sometimes) or 3,000
				doc := pg_temp.fz_big_order(p_tag || '-S' || p_i, channel,
											CASE WHEN pg_temp.fz_chance(0.3) THEN 10000 ELSE 3000 END, '0.10');
			WHEN 19 THEN
				doc := jsonb_set(doc, '{lines}', pg_temp.fz_pickj('[[], {}, [[]], [null], "lines"]'));
			WHEN 20 THEN	-- an order registered again with the same content: a no-op
				SELECT registration INTO doc FROM appeasement.orders WHERE order_id = base;
			WHEN 21 THEN	-- an order_id registered again with other content
				doc := jsonb_set(doc, '{order_id}', to_jsonb(base));
			WHEN 22 THEN
				doc := pg_temp.fz_pickj('[[], "order", 1, null, true, [{"order_id": "x"}]]');
			WHEN 23 THEN	-- duplicate keys: the last one counts
				txt := left(doc::text, -1) || ', "' || pg_temp.fz_pick(ARRAY['currency', 'order_id', 'lines', 'payments'])
					|| '": ' || pg_temp.fz_pick(ARRAY['"usd"', '"' || p_tag || '-S' || p_i || 'b"', '[]', 'null', '{}']) || '}';
				doc := txt::jsonb;
			WHEN 24 THEN	-- NUL and lone surrogates: refused by jsonb itself
				txt := replace(doc::text, '"order_id": "', '"order_id": "' ||
					pg_temp.fz_pick(ARRAY['\u0000', '\ud800', '\udfff', 'a\u0000b']));
				BEGIN
					doc := txt::jsonb;
				EXCEPTION WHEN OTHERS THEN
					target := 'parser';
					kind := 'parser.' || SQLSTATE;
					doc := NULL;
				END;
			WHEN 25 THEN	-- 16 components at 1000 % each, without amounts
				doc := jsonb_set(doc, '{lines,0,taxes}', (SELECT jsonb_agg(jsonb_build_object('type', 'T' || g,
					'rate', '1000')) FROM generate_series(1, 16) g));
			WHEN 26 THEN
				doc := jsonb_set(jsonb_set(doc, '{lines,0,kind}', '"shipping"'), '{lines,0,quantity}',
					pg_temp.fz_pickj('[2, 0, "1", 1.0, -1]'));
			WHEN 27 THEN
				doc := jsonb_set(doc, '{lines,0,quantity}', pg_temp.fz_pickj(pg_temp.fz_list('int')));
			WHEN 28 THEN
				doc := jsonb_set(doc, '{lines,0,kind}', pg_temp.fz_pickj(pg_temp.fz_list('kind')));
			WHEN 29 THEN	-- exponents, as numbers and strings
				doc := jsonb_set(doc, '{lines,0,gross}', pg_temp.fz_pickj('[1e2, 4871e-2, "1e2", "4871e-2", 1E+2, 0.5e1]'));
			WHEN 30 THEN	-- more decimals than the currency has
				doc := jsonb_set(jsonb_set(doc, '{currency}', to_jsonb(pg_temp.fz_pick(ARRAY['USD', 'JPY', 'KWD', 'CLF']))),
					'{lines,0,gross}', pg_temp.fz_pickj('["48.710", "1.0", "1.2345", "0.00001", 48.710, 1.0, "1.000", "1.0000"]'));
			WHEN 31 THEN
				doc := jsonb_set(doc, '{lines,0,taxes}', '[{"type": "VAT", "rate": "20", "amount": "0"}]');
			WHEN 32 THEN	-- deep nesting, ignored or in the way
				doc := jsonb_set(doc, pg_temp.fz_pick(ARRAY['{x}', '{lines,0}', '{lines,0,taxes}', '{payments,0}', '{lines,0,x}'])::text[],
								 pg_temp.fz_deep());
			WHEN 33 THEN
				doc := jsonb_set(doc, '{ordered_at}', pg_temp.fz_pickj('["4713-01-01 BC", "294276-12-31T23:59:59Z", "1900-01-01T00:00:00+00:00", "2038-01-19T03:14:08Z"]'));
			WHEN 34 THEN	-- many lines, each with a 16-component tax of computed amounts
				doc := jsonb_set(doc, '{lines}', (SELECT jsonb_agg(jsonb_build_object('line_number', g,
					'order_item_id', 'I' || g, 'kind', 'virtual', 'gross', (g % 997)::text || '.' || lpad((g % 100)::text, 2, '0'),
					'taxes', (SELECT jsonb_agg(jsonb_build_object('type', 'T' || t, 'rate', (t * 1.25)::text)) FROM generate_series(1, 16) t)))
					FROM generate_series(1, 500) g));
			ELSE			-- unknown keys everywhere: ignored
				doc := doc || '{"extra": {"a": [1, 2, {"b": null}]}, "LINES": 5}';
		END CASE;

	ELSIF r < 58 THEN
		target := 'request';
		kind := 'request.mutated';
		doc := pg_temp.fz_mutate(pg_temp.fz_request(base), 1 + pg_temp.fz_r(3));

	ELSIF r < 65 THEN
		target := 'request';
		doc := pg_temp.fz_request(base);
		IF doc ? 'appeasement' THEN
			doc := doc -> 'appeasement';
		END IF;
		SELECT line_number, order_item_id, gross - refunded AS refundable INTO lr
		  FROM appeasement.order_lines WHERE order_id = base
		 ORDER BY hashint4extended(line_number, pick), line_number LIMIT 1;
		SELECT exponent INTO ex FROM appeasement.orders WHERE order_id = base;
		s := pg_temp.fz_r(24);
		kind := 'request.special.' || s;
		CASE s
			WHEN 0 THEN
				doc := doc || jsonb_build_object('idempotency_key', pg_temp.fz_pickj('["k-1", 1, "", {}, []]'));
			WHEN 1 THEN		-- 1,001 lines
				doc := jsonb_set(doc, '{lines}', (SELECT jsonb_agg(jsonb_build_object('line_number', g, 'amount', '0.01',
					'reason', 'r', 'reason_description', 'd')) FROM generate_series(1, 1001) g));
			WHEN 2 THEN		-- 1,000 lines of the big order
				doc := jsonb_build_object('order_id', p_tag || '-B0-L', 'user', 'u', 'lines',
					(SELECT jsonb_agg(jsonb_build_object('line_number', g, 'amount', '0.01', 'reason', 'r',
						'reason_description', 'd')) FROM generate_series(1 + 200 * pg_temp.fz_r(2), 1000 + 200 * pg_temp.fz_r(2)) g));
			WHEN 3 THEN
				doc := pg_temp.fz_pickj('[[], "x", 1, true, [{"order_id": "x"}], {}]');
			WHEN 4 THEN
				doc := CASE pg_temp.fz_r(4)
					WHEN 0 THEN jsonb_build_object('appeasement', jsonb_build_array(doc))
					WHEN 1 THEN jsonb_build_object('appeasement', jsonb_build_object('appeasement', doc))
					WHEN 2 THEN doc || '{"appeasement": null}'
					ELSE jsonb_build_object('appeasement', doc::text) END;
			WHEN 5 THEN		-- a line twice: as 1, "1", "01" or 1.0
				doc := jsonb_set(doc, '{lines}', jsonb_build_array(doc #> '{lines,0}',
					jsonb_set(doc #> '{lines,0}', '{line_number}', pg_temp.fz_pickj(jsonb_build_array(
						lr.line_number, lr.line_number::text, '0' || lr.line_number, lr.line_number::numeric(10, 1))))));
				doc := jsonb_set(doc, '{lines,0,line_number}', to_jsonb(lr.line_number));
			WHEN 6 THEN		-- both amount and percent, or neither
				doc := CASE WHEN pg_temp.fz_chance(0.5)
					THEN jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') || '{"amount": "0.01", "percent": "1"}')
					ELSE jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') - 'amount' - 'percent') END;
			WHEN 7 THEN
				doc := jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') - 'amount' || jsonb_build_object('percent',
					pg_temp.fz_pickj('["0", "100", "100.000001", "0.000001", 1e-6, "1e-6", 1e2, "-1", 100.0000001, "33.3333333"]')));
			WHEN 8 THEN		-- more decimals than the currency has
				doc := jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') - 'percent' || jsonb_build_object('amount',
					CASE ex WHEN 0 THEN '"1.0"' WHEN 2 THEN '"0.001"' WHEN 3 THEN '"0.0001"' ELSE '"0.00001"' END::jsonb));
			WHEN 9 THEN
				doc := jsonb_set(doc, '{lines,0,line_number}', pg_temp.fz_pickj('[-1, 2147483647, 2147483648, -2147483648, 999999, "999999", 0]'));
			WHEN 10 THEN
				doc := jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') || jsonb_build_object('id',
					pg_temp.fz_pickj(jsonb_build_array(lr.order_item_id || ' ', 'nope', '', lower(lr.order_item_id),
						CASE WHEN lr.order_item_id ~ '^[0-9]{1,9}$' THEN to_jsonb(lr.order_item_id::int) ELSE to_jsonb(lr.order_item_id) END))));
			WHEN 11 THEN
				doc := doc || jsonb_build_object('sales_channel_id', pg_temp.fz_pickj(jsonb_build_array(p_tag || '-C9', '', 1, lower(p_tag) || '-c1')));
			WHEN 12 THEN	-- large, deep or mistyped custom_attributes
				doc := doc || jsonb_build_object('custom_attributes', CASE pg_temp.fz_r(4)
					WHEN 0 THEN (SELECT jsonb_agg(jsonb_build_object('key', 'k' || g, 'value', repeat('v', 100))) FROM generate_series(1, 1000) g)
					WHEN 1 THEN jsonb_build_array(pg_temp.fz_deep())
					WHEN 2 THEN pg_temp.fz_pickj('[{}, "x", 1, true]')
					ELSE jsonb_build_array(pg_temp.fz_long_string()) END);
			WHEN 13 THEN
				doc := jsonb_set(doc, pg_temp.fz_pick(ARRAY['{lines,0,reason}', '{lines,0,reason_description}'])::text[],
					CASE WHEN pg_temp.fz_chance(0.3) THEN pg_temp.fz_long_string()
						 ELSE pg_temp.fz_pickj('["", " ", "\t\n", "\u00a0", "\u200b", 1, null, [], "😀"]') END);
			WHEN 14 THEN
				doc := jsonb_set(doc, '{user}', CASE WHEN pg_temp.fz_chance(0.3) THEN pg_temp.fz_long_string()
					ELSE pg_temp.fz_pickj('["", " ", "\t", 1, null, [], {}, "😀", true]') END);
			WHEN 15 THEN
				doc := doc || jsonb_build_object('credit_note_date', pg_temp.fz_pickj(pg_temp.fz_list('timestamp')));
			WHEN 16 THEN	-- nothing captured, no payments
				doc := jsonb_set(doc, '{order_id}', to_jsonb(p_tag || pg_temp.fz_pick(ARRAY['-B0-11', '-B0-12'])));
			WHEN 17 THEN	-- above the line's or the order's refundable balance
				doc := jsonb_set(doc, '{lines}', jsonb_build_array(jsonb_build_object('line_number', lr.line_number,
					'amount', pg_temp.fz_amt(lr.refundable + 1 + pg_temp.fz_r(2) * 1000000, ex), 'reason', 'r', 'reason_description', 'd')));
			WHEN 18 THEN	-- two lines of 18 digits each: their sum is out of range
				doc := jsonb_set(doc, '{lines}', (SELECT jsonb_agg(jsonb_build_object('line_number', x.line_number,
					'amount', pg_temp.fz_amt(999999999999999999, ex), 'reason', 'r', 'reason_description', 'd'))
					FROM (SELECT line_number FROM appeasement.order_lines WHERE order_id = base ORDER BY line_number LIMIT 2) x));
			WHEN 19 THEN	-- duplicate keys: the last one counts
				txt := left(doc::text, -1) || ', "' || pg_temp.fz_pick(ARRAY['order_id', 'lines', 'user'])
					|| '": ' || pg_temp.fz_pick(ARRAY['"nope"', '[]', 'null', '{}', '"u"']) || '}';
				doc := txt::jsonb;
			WHEN 20 THEN	-- NUL and lone surrogates: refused by jsonb itself
				txt := replace(doc::text, '"user": "', '"user": "' || pg_temp.fz_pick(ARRAY['\u0000', '\udbff', 'x\u0000']));
				BEGIN
					doc := txt::jsonb;
				EXCEPTION WHEN OTHERS THEN
					target := 'parser';
					kind := 'parser.' || SQLSTATE;
					doc := NULL;
				END;
			WHEN 21 THEN
				doc := jsonb_set(doc, '{lines}', pg_temp.fz_pickj('[[], {}, [null], [[]], "x", [1]]'));
			WHEN 22 THEN
				doc := jsonb_set(doc, '{lines,0}', (doc #> '{lines,0}') - 'percent' || jsonb_build_object('amount',
					pg_temp.fz_pickj('[1e-2, 1e400, 1e-400, "1e-2", 0.01, 1E0]')));
			ELSE			-- the order_id as a number, or another type
				doc := jsonb_set(doc, '{order_id}', pg_temp.fz_pickj('[987654321098765, 1e2, true, [], {}, ""]'));
		END CASE;

	ELSIF r < 72 THEN
		target := 'line';
		kind := 'line.typed';
		SELECT line_number, gross - refunded AS refundable INTO lr
		  FROM appeasement.order_lines WHERE order_id = base
		 ORDER BY hashint4extended(line_number, pick), line_number LIMIT 1;
		SELECT exponent INTO ex FROM appeasement.orders WHERE order_id = base;
		t1 := CASE WHEN pg_temp.fz_chance(0.9) THEN base
				   ELSE pg_temp.fz_pick(ARRAY['', ' ', 'nope', '😀', repeat('z', 5000),
											  md5(p_i::text) || repeat(md5(p_seed::text), 200)]) END;
		i1 := CASE WHEN pg_temp.fz_chance(0.85) THEN lr.line_number
				   ELSE pg_temp.fz_pick(ARRAY[-1, 0, 2147483647, -2147483648, 999]) END;
		n1 := CASE WHEN pg_temp.fz_chance(0.6)
				   THEN pg_temp.fz_amt(1 + pg_temp.fz_r(least(greatest(1, lr.refundable / 20), 1000000000)::int), coalesce(ex, 2))::numeric
				   ELSE (pg_temp.fz_pickj(pg_temp.fz_list('numeric')) #>> '{}')::numeric END;
		t2 := CASE WHEN pg_temp.fz_chance(0.85) THEN 'Late delivery'
				   ELSE pg_temp.fz_pick(ARRAY['', ' ', E'\t\n', repeat('r', 100000), '遅延', NULL]) END;
		t3 := CASE WHEN pg_temp.fz_chance(0.85) THEN 'Parcel 4 days late'
				   ELSE pg_temp.fz_pick(ARRAY['', ' ', E'\r', repeat('d', 10000), 'ü', NULL]) END;
		t4 := CASE WHEN pg_temp.fz_chance(0.85) THEN 'userB'
				   ELSE pg_temp.fz_pick(ARRAY['', '  ', E'\v', repeat('u', 10000), 'Zoë', NULL]) END;

	ELSIF r < 77 THEN
		target := 'capture';
		kind := 'capture';
		SELECT payment_id, amount - captured AS left_ INTO lr
		  FROM appeasement.payments WHERE order_id = base
		 ORDER BY hashtextextended(payment_id, pick), payment_id LIMIT 1;
		SELECT exponent INTO ex FROM appeasement.orders WHERE order_id = base;
		t1 := CASE WHEN pg_temp.fz_chance(0.9) THEN base ELSE pg_temp.fz_pick(ARRAY['', 'nope', repeat('o', 3000)]) END;
		t2 := CASE WHEN pg_temp.fz_chance(0.9) THEN coalesce(lr.payment_id, 'P1')
				   ELSE pg_temp.fz_pick(ARRAY['', 'P9', 'p1', repeat('p', 3000)]) END;
		n1 := CASE pg_temp.fz_r(3)
			WHEN 0 THEN pg_temp.fz_amt(1 + pg_temp.fz_r(least(greatest(1, coalesce(lr.left_, 1) / 5), 1000000000)::int), coalesce(ex, 2))::numeric
			WHEN 1 THEN pg_temp.fz_amt(coalesce(lr.left_, 0) + pg_temp.fz_r(2), coalesce(ex, 2))::numeric
			ELSE (pg_temp.fz_pickj(pg_temp.fz_list('numeric')) #>> '{}')::numeric END;
		ts := CASE WHEN pg_temp.fz_chance(0.8) THEN now()
				   ELSE pg_temp.fz_pick(ARRAY['infinity', '-infinity', '4713-01-01 00:00:00+00 BC',
						'294276-12-31 23:59:59+00', 'epoch', NULL]::timestamptz[]) END;

	ELSIF r < 80 THEN
		target := 'series';
		kind := 'series';
		t1 := CASE WHEN pg_temp.fz_chance(0.9) THEN channel
				   ELSE pg_temp.fz_pick(ARRAY['', p_tag || ' ', p_tag || '-😀', p_tag || repeat('c', 3000)]) END;
		-- Valid prefixes carry the tag, so no run takes another's.
		t2 := CASE WHEN pg_temp.fz_chance(0.6)
				   THEN 'Z' || p_tag || chr(65 + pg_temp.fz_r(26)) || chr(65 + pg_temp.fz_r(26)) || chr(65 + pg_temp.fz_r(26))
				   ELSE pg_temp.fz_pick(ARRAY['', ' ', 'A B', E'A\tB', E'A\x01B', 'Z' || p_tag || '1', 'CN',
						repeat('A', 33), repeat('é', 20), 'Z' || p_tag || 'A', 'Ж' || p_tag, 'Z' || p_tag || '-']) END;
		b1 := CASE WHEN pg_temp.fz_chance(0.7) THEN 1000000 * (1 + pg_temp.fz_r(1000)) + pg_temp.fz_r(1000)
				   ELSE pg_temp.fz_pick(ARRAY[1, 0, -1, -9223372036854775808, 2, 9223372036854775807,
						9223372036854775806, 999999999999999999, 1000000000000000000]) END;
		bl := CASE WHEN pg_temp.fz_chance(0.95) THEN pg_temp.fz_chance(0.5) END;

	ELSIF r < 85 THEN
		target := 'receipt';
		doc := pg_temp.fz_receipt(p_tag || '-T' || p_i, pg_temp.fz_pick(currencies));
		s := pg_temp.fz_r(10);
		IF s < 6 THEN
			kind := 'receipt.mutated';
			doc := pg_temp.fz_mutate(doc, 1 + pg_temp.fz_r(3));
		ELSIF s < 8 THEN
			kind := 'receipt.valid';
		ELSE
			-- A receipt of this run again: as imported (a no-op), with one
			-- amount changed (23505), or under a base order's id (23505).
			kind := 'receipt.again';
			SELECT document INTO txt FROM appeasement.imported_receipts
			 WHERE starts_with(receipt_id, p_tag)
			 ORDER BY hashtextextended(receipt_id, pick), receipt_id LIMIT 1;
			IF txt IS NOT NULL THEN
				doc := txt::jsonb;
				CASE pg_temp.fz_r(3)
					WHEN 0 THEN
						NULL;
					WHEN 1 THEN
						doc := jsonb_set(doc, '{lines,0,total_line_amount}',
										 to_jsonb((doc #>> '{lines,0,total_line_amount}')::numeric * 2));
					ELSE
						doc := jsonb_set(doc, '{receipt_id}', to_jsonb(base));
				END CASE;
			END IF;
		END IF;

	ELSIF r < 89 THEN
		-- A decision on a credit note agent-7 created beyond its limits: by
		-- the lead or by someone whose limits do not cover it, on a credit
		-- note that waits or no longer does, with a reason or a blank one.
		target := 'decision';
		kind := 'decision';
		SELECT credit_note_number INTO t1 FROM appeasement.issued_credit_notes
		 WHERE starts_with(order_id, p_tag) AND "user" = 'agent-7'
		   AND (status = 'AWAITING_APPROVAL' OR pg_temp.fz_chance(0.2))
		 ORDER BY hashtextextended(credit_note_number, pick), credit_note_number LIMIT 1;
		IF t1 IS NULL OR pg_temp.fz_chance(0.05) THEN
			t1 := pg_temp.fz_pick(ARRAY['', 'nope', p_tag || '-no-such-note', repeat('n', 20000), NULL]);
		END IF;
		i1 := pg_temp.fz_r(2);
		t2 := CASE WHEN pg_temp.fz_chance(0.7) THEN 'fz-lead'
				   WHEN pg_temp.fz_chance(0.5) THEN pg_temp.fz_pick(ARRAY['agent-7', 'fz-small'])
				   ELSE pg_temp.fz_pick(ARRAY['userB', '', ' ', NULL, repeat('a', 20000)]) END;
		t3 := CASE WHEN pg_temp.fz_chance(0.85) THEN 'not justified'
				   ELSE pg_temp.fz_pick(ARRAY['', E'\t', NULL, repeat('r', 20000)]) END;

	ELSE
		target := 'request';
		kind := 'request.valid';
		doc := pg_temp.fz_request(base);
	END IF;

	-- An order this run registers is named after its tag, whatever the
	-- mutation made of order_id ("x", " ", 190...): the fuzz never takes an
	-- order_id another suite or run could use.  "" stays: it is refused.
	IF target = 'register' AND jsonb_typeof(doc) = 'object'
	   AND jsonb_typeof(doc -> 'order_id') IN ('string', 'number') AND doc ->> 'order_id' <> ''
	   AND NOT starts_with(doc ->> 'order_id', p_tag) THEN
		doc := jsonb_set(doc, '{order_id}', to_jsonb(p_tag || '-N' || p_i || '-' || (doc ->> 'order_id')));
	END IF;
	-- The same for the receipts this run imports.
	IF target = 'receipt' AND jsonb_typeof(doc) = 'object'
	   AND jsonb_typeof(doc -> 'receipt_id') IN ('string', 'number') AND doc ->> 'receipt_id' <> ''
	   AND NOT starts_with(doc ->> 'receipt_id', p_tag) THEN
		doc := jsonb_set(doc, '{receipt_id}', to_jsonb(p_tag || '-N' || p_i || '-' || (doc ->> 'receipt_id')));
	END IF;
END $$;

-- Two fresh orders per batch, so that the fuzz keeps meeting refundable
-- lines; returns the orders inputs refund (every base order so far).
CREATE FUNCTION pg_temp.fz_prepare(p_seed bigint, p_tag text, p_batch int) RETURNS text[]
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_temp.fz_seed(p_seed, -1 - p_batch);
	FOR k IN 1..2 LOOP
		PERFORM appeasement.register_order(pg_temp.fz_order(p_tag || '-B' || p_batch || '-' || k,
			p_tag || '-C' || (1 + pg_temp.fz_r(6)),
			pg_temp.fz_pick(ARRAY['USD', 'EUR', 'JPY', 'KWD', 'CLF', 'GBP']), 2 + pg_temp.fz_r(5), k - 1));
	END LOOP;
	RETURN (SELECT array_agg(order_id ORDER BY order_id) FROM appeasement.orders WHERE order_id LIKE p_tag || '-B%');
END $$;

-- Runs inputs p_first .. p_last, each in a subtransaction, and returns
-- lines: stat|target|sqlstate|count, bad|..., acct|what|expected|actual.
CREATE FUNCTION pg_temp.fz_batch(p_seed bigint, p_tag text, p_batch int, p_first int, p_last int)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	c record;
	st text;
	msg text;
	res jsonb;
	bases text[];
	ok_notes bigint := 0;
	ok_lines bigint := 0;
	ok_captures bigint := 0;
	ok_receipts bigint := 0;
	ok_receipt_lines bigint := 0;
	ok_updates bigint := 0;
	known_receipt boolean;
	before_notes bigint;
	before_lines bigint;
	before_events bigint;
	before_captures bigint;
	before_receipts bigint;
	before_receipt_lines bigint;
	allowed text[] := ARRAY['22023', 'P0002', '55000', '23514', '23505', '42501'];
	n bigint;
BEGIN
	CREATE TEMP TABLE fz_stats (target text, sqlstate text, n bigint, PRIMARY KEY (target, sqlstate));
	CREATE TEMP TABLE fz_bad (target text, kind text, sqlstate text, i int, msg text, input text);
	bases := pg_temp.fz_prepare(p_seed, p_tag, p_batch);

	SELECT count(*) INTO before_notes FROM appeasement.issued_credit_notes;
	SELECT count(*) INTO before_lines FROM appeasement.issued_credit_note_lines;
	SELECT count(*) INTO before_events FROM appeasement.refund_events;
	SELECT count(*) INTO before_captures FROM appeasement.captures;
	SELECT count(*) INTO before_receipts FROM appeasement.imported_receipts;
	SELECT count(*) INTO before_receipt_lines FROM appeasement.imported_receipt_lines;

	FOR i IN p_first..p_last LOOP
		RAISE NOTICE 'fz-case %', i;
		BEGIN
			c := pg_temp.fz_case(p_seed, p_tag, i, bases);
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			INSERT INTO fz_bad VALUES ('generator', 'generator', st, i, msg, '');
			CONTINUE;
		END;
		res := NULL;
		st := '00000';
		msg := NULL;
		IF c.target <> 'parser' THEN
			BEGIN
				CASE c.target
					WHEN 'register' THEN
						PERFORM appeasement.register_order(c.doc);
					WHEN 'request' THEN
						-- one request in six is previewed (it creates nothing), one in six
						-- made a return refund
						CASE i % 6
							WHEN 0 THEN
								PERFORM appeasement.preview_appeasement(c.doc);
							WHEN 1 THEN
								res := appeasement.create_return_refund(pg_temp.fz_as_return(c.doc));
							ELSE
								res := appeasement.create_appeasement(c.doc);
						END CASE;
					WHEN 'line' THEN
						res := appeasement.create_appeasement(c.t1, c.i1, c.n1, c.t2, c.t3, c.t4);
					WHEN 'capture' THEN
						PERFORM appeasement.record_capture(c.t1, c.t2, c.n1, c.ts);
						IF c.t1 IS NOT NULL AND c.t2 IS NOT NULL AND c.n1 IS NOT NULL AND c.ts IS NOT NULL THEN
							ok_captures := ok_captures + 1;
						END IF;
					WHEN 'series' THEN
						PERFORM appeasement.set_credit_note_series(c.t1, c.t2, c.b1, c.bl);
					WHEN 'decision' THEN
						-- a decision publishes one refund.updated event
						IF c.i1 = 0 THEN
							PERFORM appeasement.approve_credit_note(c.t1, c.t2);
						ELSE
							PERFORM appeasement.reject_credit_note(c.t1, c.t2, c.t3);
						END IF;
						ok_updates := ok_updates + 1;
					WHEN 'receipt' THEN
						-- a receipt imported before is a no-op: it writes nothing
						known_receipt := jsonb_typeof(c.doc) = 'object' AND EXISTS (
							SELECT FROM appeasement.imported_receipts r WHERE r.receipt_id = c.doc ->> 'receipt_id');
						PERFORM appeasement.import_receipt(c.doc);
						IF c.doc IS NOT NULL AND NOT known_receipt THEN
							ok_receipts := ok_receipts + 1;
							ok_receipt_lines := ok_receipt_lines + jsonb_array_length(c.doc -> 'lines');
						END IF;
				END CASE;
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			END;
			IF res IS NOT NULL THEN
				ok_notes := ok_notes + 1;
				ok_lines := ok_lines + jsonb_array_length(res -> 'refund' -> 'lines');
			END IF;
		ELSE
			st := substr(c.kind, 8);
		END IF;
		INSERT INTO fz_stats VALUES (c.target, st, 1)
			ON CONFLICT (target, sqlstate) DO UPDATE SET n = fz_stats.n + 1 RETURNING fz_stats.n INTO n;
		IF c.target <> 'parser' AND st <> '00000' AND st <> ALL (allowed) AND n <= 3 THEN
			INSERT INTO fz_bad VALUES (c.target, c.kind, st, i, left(msg, 300),
				left(coalesce(left(c.doc::text, 400), format('%L, %s, %s, %L, %L, %L, %s, %s, %s', left(c.t1, 40),
					c.i1, left(c.n1::text, 40), left(c.t2, 40), left(c.t3, 40), left(c.t4, 40), c.b1, c.bl, c.ts)), 400));
		END IF;
	END LOOP;

	RETURN QUERY SELECT format('stat|%s|%s|%s', s.target, s.sqlstate, s.n) FROM fz_stats s ORDER BY 1;
	RETURN QUERY SELECT format('bad|%s|%s|%s|%s|%s|%s', b.target, b.kind, b.sqlstate, b.i,
		regexp_replace(b.msg, '[|\s]+', ' ', 'g'), regexp_replace(b.input, '[|\s]+', ' ', 'g')) FROM fz_bad b;
	RETURN QUERY SELECT format('acct|credit notes|%s|%s', ok_notes,
		(SELECT count(*) FROM appeasement.issued_credit_notes) - before_notes);
	RETURN QUERY SELECT format('acct|credit-note lines|%s|%s', ok_lines,
		(SELECT count(*) FROM appeasement.issued_credit_note_lines) - before_lines);
	RETURN QUERY SELECT format('acct|refund events|%s|%s', ok_notes + ok_updates,
		(SELECT count(*) FROM appeasement.refund_events) - before_events);
	RETURN QUERY SELECT format('acct|captures|%s|%s', ok_captures,
		(SELECT count(*) FROM appeasement.captures) - before_captures);
	RETURN QUERY SELECT format('acct|receipts|%s|%s', ok_receipts,
		(SELECT count(*) FROM appeasement.imported_receipts) - before_receipts);
	RETURN QUERY SELECT format('acct|receipt lines|%s|%s', ok_receipt_lines,
		(SELECT count(*) FROM appeasement.imported_receipt_lines) - before_receipt_lines);
END $$;

-- Once per run: the first base orders, a big one, and two series.
CREATE FUNCTION pg_temp.fz_setup(p_seed bigint, p_tag text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	currencies text[] := ARRAY['USD', 'EUR', 'JPY', 'KWD', 'CLF', 'BHD', 'USD', 'GBP', 'KRW', 'TND', 'USD', 'EUR'];
BEGIN
	PERFORM pg_temp.fz_seed(p_seed, -1);
	FOR k IN 1..12 LOOP
		PERFORM appeasement.register_order(pg_temp.fz_order(p_tag || '-B0-' || k,
			p_tag || '-C' || (1 + (k - 1) % 6), currencies[k], 2 + pg_temp.fz_r(5),
			CASE k WHEN 11 THEN 2 WHEN 12 THEN 3 ELSE (k % 2) END));
	END LOOP;
	PERFORM appeasement.register_order(pg_temp.fz_big_order(p_tag || '-B0-L', p_tag || '-C3', 1200, '5.00'));
	PERFORM appeasement.set_credit_note_series(p_tag || '-C1', 'Z' || p_tag || 'Q', 148);
	PERFORM appeasement.set_credit_note_series(p_tag || '-C2', 'Z' || p_tag || 'G', 1, true);
	-- agent-7 has limits in every currency (beyond them: AWAITING_APPROVAL), fz-lead none,
	-- fz-small too small to approve anything
	PERFORM appeasement.set_agent_limit('agent-7', c, 20, 50, 200), appeasement.set_agent_limit('fz-lead', c, NULL),
			appeasement.set_agent_limit('fz-small', c, 1)
	   FROM unnest(ARRAY['USD', 'EUR', 'JPY', 'KWD', 'CLF', 'BHD', 'GBP', 'KRW', 'TND', 'UYW', 'CHF']) AS c;
END $$;
SQL

# ---------------------------------------------------------------- invariants

cat >"$WORK/invariants.sql" <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE inv_lines AS
SELECT l.order_id, l.line_number, l.gross, l.refunded, l.tax_amounts, l.tax_refunded,
	   (SELECT coalesce(sum(x), 0) FROM unnest(l.tax_amounts) x) AS tax,
	   (SELECT coalesce(sum(x), 0) FROM unnest(l.tax_refunded) x) AS tax_refunded_sum
  FROM appeasement.order_lines l;

WITH checks(name, bad, sample) AS (
	SELECT 'every order: 0 <= refunded <= captured <= its payments'' amounts', count(*), min(o.order_id)
	  FROM appeasement.orders o
	 WHERE NOT (o.refunded >= 0 AND o.refunded <= o.captured AND o.captured <=
				(SELECT coalesce(sum(p.amount), 0) FROM appeasement.payments p WHERE p.order_id = o.order_id))
	UNION ALL
	SELECT 'every order: refunded = its credit notes less what failed refunds gave back, captured and refunded = its payments, gross = its lines',
		   count(*), min(o.order_id)
	  FROM appeasement.orders o
	  LEFT JOIN (SELECT order_id, sum(g) AS g
				   FROM (SELECT order_id, gross AS g FROM appeasement.issued_credit_notes
						 UNION ALL
						 SELECT order_id, -gross FROM appeasement.credit_note_compensations) x
				  GROUP BY 1) n USING (order_id)
	  LEFT JOIN (SELECT order_id, sum(captured) AS c, sum(refunded) AS r FROM appeasement.payments GROUP BY 1) p USING (order_id)
	  LEFT JOIN (SELECT order_id, sum(gross) AS g FROM appeasement.order_lines GROUP BY 1) l USING (order_id)
	 WHERE o.refunded <> coalesce(n.g, 0) OR o.captured <> coalesce(p.c, 0)
		OR o.refunded <> coalesce(p.r, 0) OR o.gross <> coalesce(l.g, 0)
	UNION ALL
	SELECT 'every line: 0 <= refunded <= gross, refunded tax <= refunded, refunded net <= net', count(*),
		   min(order_id || ' line ' || line_number)
	  FROM inv_lines
	 WHERE NOT (refunded >= 0 AND refunded <= gross AND tax_refunded_sum <= refunded
				AND refunded - tax_refunded_sum <= gross - tax)
	UNION ALL
	SELECT 'every tax component: 0 <= refunded <= recorded, within one minor unit of its share, exact when the line is refunded in full',
		   count(*), min(l.order_id || ' line ' || l.line_number || ' component ' || j)
	  FROM inv_lines l CROSS JOIN LATERAL generate_subscripts(l.tax_amounts, 1) AS j
	 WHERE NOT (l.tax_refunded[j] >= 0 AND l.tax_refunded[j] <= l.tax_amounts[j]
				AND (l.gross = 0 OR abs(l.tax_refunded[j]::numeric * l.gross - l.tax_amounts[j]::numeric * l.refunded) <= l.gross
					 OR EXISTS (SELECT FROM appeasement.credit_note_compensations k
								 WHERE k.order_id = l.order_id AND k.line_number = l.line_number))
				AND (l.refunded <> l.gross OR l.tax_refunded[j] = l.tax_amounts[j]))
		OR cardinality(l.tax_refunded) <> cardinality(l.tax_amounts)
	UNION ALL
	SELECT 'every line: refunded = the sum of its credit-note lines less compensations', count(*),
		   min(l.order_id || ' line ' || l.line_number)
	  FROM inv_lines l
	  LEFT JOIN (SELECT order_id, line_number, sum(g) AS g
				   FROM (SELECT order_id, line_number, gross AS g FROM appeasement.issued_credit_note_lines
						 UNION ALL
						 SELECT order_id, line_number, -gross FROM appeasement.credit_note_compensations) x
				  GROUP BY 1, 2) s
			 USING (order_id, line_number)
	 WHERE l.refunded <> coalesce(s.g, 0)
	UNION ALL
	SELECT 'every tax component: refunded = the sum of its credit-note lines less compensations', count(*),
		   min(c.order_id || ' line ' || c.line_number || ' component ' || c.j)
	  FROM (SELECT l.order_id, l.line_number, j, l.tax_refunded[j] AS refunded
			  FROM inv_lines l CROSS JOIN LATERAL generate_subscripts(l.tax_amounts, 1) AS j) c
	  FULL JOIN (SELECT order_id, line_number, j, sum(t) AS s
				   FROM (SELECT cl.order_id, cl.line_number, j, cl.tax_amounts[j] AS t
						   FROM appeasement.issued_credit_note_lines cl
						  CROSS JOIN LATERAL generate_subscripts(cl.tax_amounts, 1) AS j
						 UNION ALL
						 SELECT k.order_id, k.line_number, j, -k.tax_amounts[j]
						   FROM appeasement.credit_note_compensations k
						  CROSS JOIN LATERAL generate_subscripts(k.tax_amounts, 1) AS j) x
				  GROUP BY 1, 2, 3) s USING (order_id, line_number, j)
	 WHERE c.refunded IS DISTINCT FROM coalesce(s.s, 0)
	UNION ALL
	SELECT 'every payment: 0 <= refunded <= captured <= amount, refunded = its allocations less compensations', count(*),
		   min(p.order_id || ' payment ' || p.payment_id)
	  FROM appeasement.payments p
	  LEFT JOIN (SELECT order_id, payment_id, sum(g) AS g
				   FROM (SELECT order_id, payment_id, gross AS g FROM appeasement.credit_note_allocations
						 UNION ALL
						 SELECT order_id, payment_id, -gross FROM appeasement.credit_note_compensations) x
				  GROUP BY 1, 2) a
			 USING (order_id, payment_id)
	 WHERE NOT (p.refunded >= 0 AND p.refunded <= p.captured AND p.captured <= p.amount)
		OR p.refunded <> coalesce(a.g, 0)
	UNION ALL
	SELECT 'every payment: captured = captured at registration + its captures', count(*),
		   min(p.order_id || ' payment ' || p.payment_id)
	  FROM appeasement.payments p
	  JOIN appeasement.orders o USING (order_id)
	  LEFT JOIN (SELECT order_id, payment_id, sum(amount) AS a FROM appeasement.captures GROUP BY 1, 2) c
			 USING (order_id, payment_id)
	 WHERE p.captured <> coalesce(c.a, 0) + (SELECT appeasement.to_minor((r ->> 'captured')::numeric, o.currency)
											   FROM jsonb_array_elements(o.registration -> 'payments') r
											  WHERE r ->> 'payment_id' = p.payment_id)
	UNION ALL
	SELECT 'every credit note: gross and tax = the sums of its lines; every line: tax = its components, 0 <= tax <= gross',
		   count(*), min(n.credit_note_number)
	  FROM appeasement.issued_credit_notes n
	  LEFT JOIN (SELECT credit_note_number, sum(gross) AS g, sum(vat) AS v, count(*) AS k,
						bool_and(vat = (SELECT coalesce(sum(x), 0) FROM unnest(tax_amounts) x)
								 AND 0 <= ALL (tax_amounts) AND vat >= 0 AND vat <= gross AND gross > 0) AS ok
				   FROM appeasement.issued_credit_note_lines GROUP BY 1) l USING (credit_note_number)
	 WHERE l.k IS NULL OR n.gross <> l.g OR n.vat <> l.v OR NOT l.ok
	UNION ALL
	SELECT 'every credit-note line: its allocations add up to its gross', count(*),
		   min(cl.credit_note_number || ' line ' || cl.line_number)
	  FROM appeasement.issued_credit_note_lines cl
	  LEFT JOIN (SELECT credit_note_number, line_number, sum(gross) AS g
				   FROM appeasement.credit_note_allocations GROUP BY 1, 2) a USING (credit_note_number, line_number)
	 WHERE cl.gross IS DISTINCT FROM a.g
	UNION ALL
	SELECT 'every credit-note line: its allocations add up to each tax component', count(*),
		   min(c.credit_note_number || ' line ' || c.line_number || ' component ' || c.j)
	  FROM (SELECT cl.credit_note_number, cl.line_number, j, cl.tax_amounts[j] AS tax
			  FROM appeasement.issued_credit_note_lines cl CROSS JOIN LATERAL generate_subscripts(cl.tax_amounts, 1) AS j) c
	  FULL JOIN (SELECT a.credit_note_number, a.line_number, j, sum(a.tax_amounts[j]) AS s
				   FROM appeasement.credit_note_allocations a
				  CROSS JOIN LATERAL generate_subscripts(a.tax_amounts, 1) AS j
				  GROUP BY 1, 2, 3) s USING (credit_note_number, line_number, j)
	 WHERE c.tax IS DISTINCT FROM s.s
	UNION ALL
	SELECT 'every credit note has exactly one refund.created event with its document, and every event a credit note',
		   count(*), min(coalesce(n.credit_note_number, e.credit_note_number))
	  FROM appeasement.issued_credit_notes n
	  FULL JOIN (SELECT credit_note_number, count(*) AS k,
						bool_and(payload -> 'refund' ->> 'credit_note_number' = credit_note_number) AS ok
				   FROM appeasement.refund_events WHERE event_type = 'refund.created' GROUP BY 1) e
			 USING (credit_note_number)
	 WHERE n.credit_note_number IS NULL OR e.credit_note_number IS NULL OR e.k <> 1 OR NOT e.ok
	UNION ALL
	SELECT 'every imported receipt: the lines of its document, none zero, and in the receipts view for their sum',
		   count(*), min(i.receipt_id)
	  FROM appeasement.imported_receipts i
	  LEFT JOIN (SELECT receipt_id, count(*) AS k, sum(amount)::bigint AS s,
						bool_and(amount <> 0 AND quantity >= 1) AS ok
				   FROM appeasement.imported_receipt_lines GROUP BY 1) l USING (receipt_id)
	  LEFT JOIN appeasement.receipts r
			 ON r.receipt_id = i.receipt_id AND r.customer_id = i.customer_id AND r.issued_at = i.issued_at
	 WHERE l.k IS DISTINCT FROM jsonb_array_length(i.document -> 'lines') OR NOT l.ok
		OR l.s IS DISTINCT FROM (SELECT sum(appeasement.to_minor((x ->> 'total_line_amount')::numeric, i.currency))
								   FROM jsonb_array_elements(i.document -> 'lines') x)
		OR r.total IS DISTINCT FROM appeasement.to_amount(l.s, i.currency)
	UNION ALL
	SELECT 'every order: its rows in the sales view add up to its gross less what was refunded', count(*),
		   min(o.order_id)
	  FROM appeasement.orders o
	  LEFT JOIN (SELECT order_id, sum(total_price) AS t FROM appeasement.sales GROUP BY 1) s USING (order_id)
	  -- credit notes awaiting approval reserve their amounts but refund nothing yet
	  LEFT JOIN (SELECT order_id, sum(gross) AS g FROM appeasement.issued_credit_notes
				  WHERE status = 'AWAITING_APPROVAL' GROUP BY 1) w USING (order_id)
	 WHERE s.t IS DISTINCT FROM appeasement.to_amount((o.gross - o.refunded + coalesce(w.g, 0))::bigint, o.currency)
)
SELECT format('inv|%s|%s|%s', name, bad, coalesce(left(sample, 120), '')) FROM checks;
SQL

# ---------------------------------------------------------------- run

if ! q "SELECT 1" >/dev/null; then
	echo "request-fuzz: no server (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGDATABASE=${PGDATABASE:-})" >&2
	FAILED=$((FAILED + 1))
	exit 1
fi
q "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS appeasement" >/dev/null

# A tag of letters for this run's orders, channels and prefixes.
TAG=FZ$(printf '%s' "$(date +%s%N)$$" | md5sum | tr -dc 'a-f' | tr 'a-f' 'A-F' | head -c 5)
while [ ${#TAG} -lt 7 ]; do TAG=${TAG}X; done
log "seed $SEED, tag $TAG, $INPUTS inputs in batches of $BATCH, at most ${MAX_SECONDS}s"

if "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/fuzz.sql" \
	-c "SELECT pg_temp.fz_setup($SEED, '$TAG')" >"$WORK/setup.out" 2>&1; then
	pass "setup: base orders and series registered"
else
	fail "setup: base orders and series registered"
	cat "$WORK/setup.out"
	exit 1
fi

CHECKPOINTER=$(q "$CHECKPOINTER_SQL")
declare -A STATS=()
declare -A ACCT_EXPECTED=()
declare -A ACCT_ACTUAL=()
BAD_SEEN=()
declare -A BAD_SHOWN=()
START=$SECONDS
RAN=0
BATCHES=0
first=1
while [ "$first" -le "$INPUTS" ]; do
	if [ $((SECONDS - START)) -ge "$MAX_SECONDS" ]; then
		log "time is up after ${MAX_SECONDS}s: $RAN of $INPUTS inputs ran"
		break
	fi
	last=$((first + BATCH - 1))
	[ "$last" -le "$INPUTS" ] || last=$INPUTS
	BATCHES=$((BATCHES + 1))
	b=$BATCHES
	t0=$(date +%s%N)
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/fuzz.sql" \
		-c "SET client_min_messages = notice; SET statement_timeout = '600s'; SELECT * FROM pg_temp.fz_batch($SEED, '$TAG', $b, $first, $last)" \
		>"$WORK/batch.out" 2>"$WORK/batch.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	now_checkpointer=$(q "$CHECKPOINTER_SQL" 2>/dev/null)
	label="batch $b (inputs $first-$last, ${ms} ms)"

	if [ "$rc" -eq 2 ] || [ "$now_checkpointer" != "$CHECKPOINTER" ]; then
		fail "$label: the server survived"
		lastcase=$(grep -o 'fz-case [0-9]*' "$WORK/batch.err" | tail -n 1 | grep -o '[0-9]*$')
		echo "# the server went down at input ${lastcase:-?} (seed $SEED, tag $TAG):"
		grep -v 'fz-case' "$WORK/batch.err" | tail -n 5 | sed 's/^/#   /'
		if wait_server 120; then
			CHECKPOINTER=$(q "$CHECKPOINTER_SQL")
			if [ -n "$lastcase" ]; then
				# Generated again as the batch had it, in a transaction rolled back.
				"$PSQL" -X -q -At -f "$WORK/fuzz.sql" -c "BEGIN" \
					-c "SELECT format('%s %s %s', target, kind, left(coalesce(doc::text, format('%L, %s, %s, %L, %L, %L, %s, %s, %s',
							left(t1, 60), i1, n1, left(t2, 60), left(t3, 60), left(t4, 60), b1, bl, ts)), 1000))
						  FROM pg_temp.fz_case($SEED, '$TAG', $lastcase, pg_temp.fz_prepare($SEED, '$TAG', $b))" \
					-c "ROLLBACK" 2>&1 | sed 's/^/#   input: /'
			fi
		else
			echo "# the server did not come back" >&2
			exit 1
		fi
		first=$((last + 1))
		continue
	fi
	if [ "$rc" -ne 0 ]; then
		fail "$label: ran to completion"
		grep -v 'fz-case' "$WORK/batch.err" | tail -n 10 | sed 's/^/#   /'
		first=$((last + 1))
		continue
	fi
	pass "$label: the server survived"
	RAN=$((RAN + last - first + 1))

	unexpected=0
	while IFS='|' read -r kind f1 f2 f3 f4 f5 f6; do
		case "$kind" in
		stat)
			STATS["$f1 $f2"]=$((${STATS["$f1 $f2"]:-0} + f3))
			case "$f1:$f2" in
			*:00000 | *:22023 | *:P0002 | *:55000 | *:23514 | *:23505 | decision:42501 | parser:*) ;;
			*) unexpected=$((unexpected + f3)) ;;
			esac
			;;
		bad)
			# bad|target|kind|sqlstate|input number|message|input
			if [ "$f1" = generator ]; then
				unexpected=$((unexpected + 1))
			fi
			key="$f1 $f3"
			if [ "${BAD_SHOWN[$key]:-0}" -lt 3 ]; then
				BAD_SHOWN[$key]=$((${BAD_SHOWN[$key]:-0} + 1))
				BAD_SEEN+=("$f3 from $f1 ($f2), input $f4: $f5")
				BAD_SEEN+=("    input: $f6")
			fi
			;;
		acct)
			ACCT_EXPECTED[$f1]=$((${ACCT_EXPECTED[$f1]:-0} + f2))
			ACCT_ACTUAL[$f1]=$((${ACCT_ACTUAL[$f1]:-0} + f3))
			;;
		esac
	done <"$WORK/batch.out"
	if [ "$unexpected" -eq 0 ]; then
		pass "batch $b: every error has a documented SQLSTATE"
	else
		fail "batch $b: every error has a documented SQLSTATE ($unexpected did not)"
	fi
	first=$((last + 1))
done
ELAPSED=$((SECONDS - START))

if [ ${#BAD_SEEN[@]} -gt 0 ]; then
	echo "# undocumented SQLSTATEs (at most 3 examples each):"
	printf '#   %s\n' "${BAD_SEEN[@]}"
fi

echo "# outcomes by call and SQLSTATE (00000: success; parser: refused by jsonb's own input parser):"
for k in "${!STATS[@]}"; do
	printf '#   %-10s %-6s %7d\n' ${k} "${STATS[$k]}"
done | sort

# ---------------------------------------------------------------- checks after the run

if [ "$RAN" -gt 0 ]; then
	acct_bad=''
	for k in "credit notes" "credit-note lines" "refund events" "captures" "receipts" "receipt lines"; do
		if [ "${ACCT_EXPECTED[$k]:-0}" -ne "${ACCT_ACTUAL[$k]:-0}" ]; then
			acct_bad="$acct_bad $k: ${ACCT_ACTUAL[$k]:-0} written for ${ACCT_EXPECTED[$k]:-0} reported;"
		fi
	done
	log "successful calls wrote ${ACCT_ACTUAL[credit notes]:-0} credit notes, ${ACCT_ACTUAL[credit-note lines]:-0} credit-note lines, ${ACCT_ACTUAL[captures]:-0} captures, ${ACCT_ACTUAL[receipts]:-0} receipts"
	if [ -z "$acct_bad" ]; then
		pass "failed calls left nothing behind (credit notes, lines, events, captures, receipts = what the successful calls reported)"
	else
		fail "failed calls left nothing behind:$acct_bad"
	fi

	missing=''
	for s in 22023 P0002 55000 23514 23505 42501; do
		found=0
		for k in "${!STATS[@]}"; do
			case "$k" in *" $s") found=1 ;; esac
		done
		[ "$found" -eq 1 ] || missing="$missing $s"
	done
	if [ -z "$missing" ] && [ "${ACCT_ACTUAL[credit notes]:-0}" -gt 0 ]; then
		pass "the fuzz created credit notes and met every documented SQLSTATE"
	else
		fail "the fuzz created credit notes (${ACCT_ACTUAL[credit notes]:-0}) and met every documented SQLSTATE (missing:${missing:- none})"
	fi
fi

if "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -f "$WORK/invariants.sql" >"$WORK/inv.out" 2>&1; then
	while IFS='|' read -r kind name bad sample; do
		[ "$kind" = inv ] || continue
		if [ "$bad" -eq 0 ]; then
			pass "invariant: $name"
		else
			fail "invariant: $name ($bad violations, e.g. $sample)"
		fi
	done <"$WORK/inv.out"
else
	fail "invariants: the queries ran"
	cat "$WORK/inv.out"
fi

log "$RAN inputs in $BATCHES batches, ${ELAPSED}s (seed $SEED, tag $TAG)"
