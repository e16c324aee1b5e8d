#!/usr/bin/env bash
# t-dump-restore.sh: a database using the extension survives pg_dump and a
# restore into a new database (README: the tables "are included in
# pg_dump").
#
# In a scratch database of its own (appeasement_dump_src; no publisher
# worker serves it, so it notifies inline) the script registers orders in
# USD, JPY and KWD, records a capture, sets credit-note series (a sequence
# series, a gapless one, one whose prefix changed; one channel stays on the
# default "CN"), and creates appeasements, one rolled back so that its
# series has a gap.  Two store receipts are imported (one an exchange).  A
# publisher position is recorded as a worker would.
# Then pg_dump, psql -f into appeasement_dump_dst, and checks:
#   - the dump and the restore succeed without error;
#   - every table has the same rows (orders, order_lines, payments,
#     captures, credit_note_series, issued_credit_notes,
#     issued_credit_note_lines, credit_note_allocations, refund_events,
#     refund_events_sent_inline, imported_receipts, imported_receipt_lines,
#     agent_limits, agent_day_totals, credit_note_status_history,
#     credit_note_compensations, and the loyalty tables)
#     and publisher_state the same highest
#     last_event_id;
#   - every sequence of the extension, each series' counter among them,
#     has the same position; the views and refund_events_after give the
#     same rows;
#   - one more appeasement per channel gets the same number and event id
#     in both databases, a number never issued before; a new series works;
#   - DROP EXTENSION and CREATE EXTENSION give a working extension again
#     in both databases (the restored counters lose their OWNED BY, which
#     pg_dump does not keep for an extension's table; a new installation
#     skips their names).
# Both databases are dropped at the end (WITH (FORCE)).
#
# Environment: the libpq variables (PGHOST, PGPORT, PGUSER; PGDATABASE is
# not used), PG_BINDIR (optional).  Prints one final line
#   dump-restore: N passed, M failed
set -uo pipefail

SRC=appeasement_dump_src
DST=appeasement_dump_dst
BIN=${PG_BINDIR:+$PG_BINDIR/}
PSQL=${BIN}psql
PG_DUMP=${BIN}pg_dump
if [ -n "${PG_BINDIR:-}" ] && [ ! -x "$PSQL" ]; then
	PSQL=psql
	PG_DUMP=pg_dump
fi
WORK=$(mktemp -d /tmp/dump-restore-XXXXXX)
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

# qd DB SQL: rows from DB, unaligned, stopping at the first error.
qd() {
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

drop_databases() {
	qd postgres "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" >/dev/null 2>&1
	qd postgres "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >/dev/null 2>&1
}

finish() {
	drop_databases
	rm -rf -- "$WORK"
	printf 'dump-restore: %d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
trap finish EXIT

# same NAME SQL: SQL succeeds and gives the same output in both databases.
same() {
	local name=$1 sql=$2 a b ra rb
	a=$(qd "$SRC" "$sql" 2>&1)
	ra=$?
	b=$(qd "$DST" "$sql" 2>&1)
	rb=$?
	if [ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] && [ "$a" = "$b" ] && [ -n "$a" ]; then
		pass "$name"
	else
		fail "$name"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 20 | sed 's/^/#   /'
	fi
}

if ! qd postgres "SELECT 1" >/dev/null; then
	echo "dump-restore: no server (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-})" >&2
	FAILED=$((FAILED + 1))
	exit 1
fi

# ---------------------------------------------------------------- the source

drop_databases
qd postgres "CREATE DATABASE $SRC" >/dev/null || { fail "create database $SRC"; exit 1; }

log "populating $SRC"
if "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$SRC" >"$WORK/populate.out" 2>&1 <<'SQL'; then
SET client_min_messages = warning;
CREATE EXTENSION appeasement;

SELECT appeasement.set_credit_note_series('200001', 'CUS', 148);
SELECT appeasement.set_credit_note_series('200002', 'GAP', 1, true);
SELECT appeasement.set_credit_note_series('200004', 'SHOP', 1000);
-- Channel 200003 has no series: it numbers "CN1", "CN2", ...

SELECT appeasement.register_order('{
  "order_id": "DR-USD-1", "sales_channel_id": "200001", "store_id": "200001",
  "customer_id": "C-1001", "currency": "USD", "ordered_at": "2018-03-01T10:00:00+00:00",
  "lines": [{"line_number": 1, "order_item_id": "190", "kind": "product", "sku": "TABLE-OAK",
             "quantity": 1, "gross": "48.71", "taxes": [{"type": "VAT", "rate": "8.25", "amount": "3.72"}]},
            {"line_number": 2, "order_item_id": "191", "kind": "shipping", "gross": "5.90",
             "taxes": [{"type": "VAT", "rate": "20"}]},
            {"line_number": 3, "order_item_id": "192", "kind": "virtual", "quantity": 3, "gross": "120.00",
             "taxes": [{"type": "state", "rate": "6.25", "amount": "6.94"},
                       {"type": "county", "rate": "1.5"}, {"type": "city", "rate": "0.75"}]}],
  "payments": [{"payment_id": "P1", "method": "card", "psp": "adyen", "psp_reference": "8535",
                "amount": "100.00", "captured": "100.00"},
               {"payment_id": "P2", "method": "giftcard", "amount": "74.61", "captured": "20.00"}]}');
SELECT appeasement.record_capture('DR-USD-1', 'P2', 30.00, '2018-03-02T09:00:00+00:00');

SELECT appeasement.register_order('{
  "order_id": "DR-JPY-1", "sales_channel_id": "200002", "currency": "JPY",
  "lines": [{"line_number": 10, "order_item_id": "A", "kind": "product", "gross": 12800,
             "taxes": [{"type": "CT", "rate": "10"}]},
            {"line_number": 20, "order_item_id": "B", "kind": "shipping", "gross": "800"}],
  "payments": [{"payment_id": "PP", "amount": "13600", "captured": "13600"}]}');

SELECT appeasement.register_order('{
  "order_id": "DR-KWD-1", "sales_channel_id": "200003", "currency": "KWD",
  "lines": [{"line_number": 1, "order_item_id": "K1", "kind": "product", "gross": "12.500",
             "taxes": [{"type": "VAT", "rate": "5", "amount": "0.595"}]}],
  "payments": [{"payment_id": "P1", "amount": "12.500", "captured": "12.500"}]}');

SELECT appeasement.register_order('{
  "order_id": "DR-SHOP-1", "sales_channel_id": "200004", "currency": "EUR",
  "lines": [{"line_number": 1, "order_item_id": "S1", "kind": "product", "gross": "99.99",
             "taxes": [{"type": "VAT", "rate": "19"}]}],
  "payments": [{"payment_id": "P1", "amount": "99.99", "captured": "99.99"}]}');

SELECT appeasement.register_order('{
  "order_id": "DR-NOCAP-1", "sales_channel_id": "200001", "currency": "USD",
  "lines": [{"line_number": 1, "order_item_id": "N1", "kind": "product", "gross": "10.00"}],
  "payments": [{"payment_id": "P1", "amount": "10.00"}]}');

SELECT appeasement.create_appeasement('{"appeasement": {
  "order_id": "DR-USD-1", "sales_channel_id": "200001", "user": "userB",
  "credit_note_date": "2018-03-15T11:18:25+00:00",
  "custom_attributes": [{"key": "ticket", "value": "T-42"}],
  "lines": [{"line_number": "1", "id": "190", "amount": "48.71",
             "reason": "Item too big", "reason_description": "Item too big"},
            {"line_number": 2, "percent": "50", "reason": "Late delivery",
             "reason_description": "Parcel 4 days late"}]}}');
SELECT appeasement.create_appeasement('DR-USD-1', 3, 33.33, 'Goodwill', 'Unhappy customer', 'agent-7');
-- Rolled back: its number is taken from the sequence and never issued.
BEGIN;
SELECT appeasement.create_appeasement('DR-USD-1', 3, 1.00, 'Goodwill', 'rolled back', 'agent-7');
ROLLBACK;
SELECT appeasement.create_appeasement('DR-USD-1', 3, 12.34, 'Goodwill', 'after the gap', 'agent-7');

SELECT appeasement.create_appeasement('DR-JPY-1', 10, 1000, 'Damaged', 'Scratched', 'agent-jp');
SELECT appeasement.create_appeasement('{"order_id": "DR-JPY-1", "user": "agent-jp",
  "lines": [{"line_number": 20, "percent": "100", "reason": "Late", "reason_description": "Free shipping"},
            {"line_number": "10", "amount": 333, "reason": "Damaged", "reason_description": "More"}]}');

SELECT appeasement.create_appeasement('DR-KWD-1', 1, 1.250, 'Late', 'One day', 'agent-kw');
SELECT appeasement.create_appeasement('DR-KWD-1', 1, 0.001, 'Late', 'One fils', 'agent-kw');

SELECT appeasement.create_appeasement('DR-SHOP-1', 1, 10.00, 'Goodwill', 'before the new prefix', 'agent-eu');
SELECT appeasement.set_credit_note_series('200004', 'SHOQ', 2000);
SELECT appeasement.create_appeasement('DR-SHOP-1', 1, 10.00, 'Goodwill', 'after the new prefix', 'agent-eu');

-- Limits: one credit note approved, one rejected; the loyalty programme, whose points the
-- store receipts below move, and a redemption.
SELECT appeasement.set_agent_limit('agent-lim', 'USD', 1, NULL, 100);
SELECT appeasement.set_agent_limit('lead-dr', 'USD', NULL);
SELECT appeasement.create_appeasement('DR-USD-1', 3, 2.00, 'Goodwill', 'to approve', 'agent-lim');
SELECT appeasement.create_appeasement('DR-USD-1', 3, 3.00, 'Goodwill', 'to reject', 'agent-lim');
SELECT appeasement.approve_credit_note(min(credit_note_number), 'lead-dr')
  FROM appeasement.issued_credit_notes WHERE "user" = 'agent-lim' AND status = 'AWAITING_APPROVAL';
SELECT appeasement.reject_credit_note(min(credit_note_number), 'lead-dr', 'no')
  FROM appeasement.issued_credit_notes WHERE "user" = 'agent-lim' AND status = 'AWAITING_APPROVAL';
SELECT appeasement.configure_loyalty(0, 1, 3650);

SELECT appeasement.import_receipt('{"receipt_id": "DR-STORE-1", "customer_id": "C-7", "store_id": "S-1",
  "issued_at": "2018-03-03T10:00:00+01:00", "currency": "EUR",
  "lines": [{"sku": "A", "quantity": 2, "total_line_amount": "19.80"}]}');
SELECT appeasement.import_receipt('{"receipt_id": "DR-STORE-2", "customer_id": "C-7", "currency": "KWD",
  "issued_at": "2018-03-04T10:00:00.123456+03:00",
  "lines": [{"sku": "B", "total_line_amount": "-1.250"}, {"sku": "C", "total_line_amount": "2.5"}]}');

SELECT appeasement.redeem_points('C-7', 5, 'DR-VOUCHER');

-- Where a publisher worker would be: it notified all but the last event.
INSERT INTO appeasement.publisher_state (last_event_id, published_at)
SELECT max(event_id) - 1, now() FROM appeasement.refund_events;
SQL
	pass "the source database was populated"
else
	fail "the source database was populated"
	tail -n 20 "$WORK/populate.out" | sed 's/^/#   /'
	exit 1
fi
qd "$SRC" "SELECT credit_note_number FROM appeasement.issued_credit_notes ORDER BY 1" >"$WORK/issued-before"
log "issued: $(tr '\n' ' ' <"$WORK/issued-before")"

# ---------------------------------------------------------------- dump and restore

if "$PG_DUMP" -d "$SRC" -f "$WORK/dump.sql" 2>"$WORK/dump.err"; then
	pass "pg_dump of $SRC"
else
	fail "pg_dump of $SRC"
	sed 's/^/#   /' "$WORK/dump.err"
	exit 1
fi

qd postgres "CREATE DATABASE $DST" >/dev/null || { fail "create database $DST"; exit 1; }
if "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DST" -f "$WORK/dump.sql" >"$WORK/restore.out" 2>&1 &&
	! grep -q -E '^(psql:.*)?(ERROR|WARNING|FATAL)' "$WORK/restore.out"; then
	pass "the dump restores into $DST without error"
else
	fail "the dump restores into $DST without error"
	grep -E 'ERROR|WARNING|FATAL' "$WORK/restore.out" | head -n 10 | sed 's/^/#   /'
	exit 1
fi

# ---------------------------------------------------------------- contents

for t in orders order_lines payments captures credit_note_series issued_credit_notes \
	issued_credit_note_lines credit_note_allocations refund_events refund_events_sent_inline \
	imported_receipts imported_receipt_lines agent_limits agent_day_totals credit_note_status_history \
	credit_note_compensations loyalty_settings loyalty_accounts loyalty_lots loyalty_movements; do
	n=$(qd "$SRC" "SELECT count(*) FROM appeasement.$t")
	same "table $t: the same $n rows" \
		"SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) FROM appeasement.$t t"
done
same "publisher_state: the same highest last_event_id ($(qd "$SRC" "SELECT max(last_event_id) FROM appeasement.publisher_state"))" \
	"SELECT max(last_event_id) FROM appeasement.publisher_state"

same "every sequence of the schema has the same position" \
	"SELECT string_agg(format('%s start %s last %s', sequencename, start_value, last_value), E'\n' ORDER BY sequencename)
	   FROM pg_catalog.pg_sequences WHERE schemaname = 'appeasement'"
same "each series' counter sequence is restored with its position" \
	"SELECT string_agg(format('%s %s %s gapless %s next %s last %s', s.sales_channel_id, s.prefix, s.counter, s.gapless,
	                          s.next_value, q.last_value), E'\n' ORDER BY s.sales_channel_id)
	   FROM appeasement.credit_note_series s
	   JOIN pg_catalog.pg_sequences q ON format('%I.%I', q.schemaname, q.sequencename)::regclass = s.counter"

for v in line_balances order_balances credit_notes credit_note_lines sales receipts; do
	same "view $v: the same rows" \
		"SELECT count(*) || ' ' || md5(coalesce(string_agg(v::text, E'\n' ORDER BY v::text), '')) FROM appeasement.$v v"
done
same "refund_events_after(0) gives the same events" \
	"SELECT count(*) || ' ' || md5(coalesce(string_agg(e::text, E'\n' ORDER BY e.event_id), '')) FROM appeasement.refund_events_after(0) e"

# ---------------------------------------------------------------- numbering goes on

MAX_EVENT=$(qd "$SRC" "SELECT max(event_id) FROM appeasement.refund_events")
for spec in "DR-USD-1 3 CUS" "DR-JPY-1 10 GAP" "DR-KWD-1 1 CN" "DR-SHOP-1 1 SHOQ"; do
	read -r order line prefix <<<"$spec"
	sql="SELECT r -> 'refund' ->> 'credit_note_number' FROM appeasement.create_appeasement('$order', $line, 1, 'After restore', 'one more', 'agent') r"
	a=$(qd "$SRC" "$sql" 2>&1)
	b=$(qd "$DST" "$sql" 2>&1)
	ea=$(qd "$SRC" "SELECT event_id FROM appeasement.refund_events WHERE credit_note_number = '$a'" 2>&1)
	eb=$(qd "$DST" "SELECT event_id FROM appeasement.refund_events WHERE credit_note_number = '$b'" 2>&1)
	if [ "$a" = "$b" ] && [[ "$b" == "$prefix"[0-9]* ]] && ! grep -qx -- "$b" "$WORK/issued-before" &&
		[ "$ea" = "$eb" ] && [ "${eb:-0}" -gt "$MAX_EVENT" ] 2>/dev/null; then
		pass "$order: the next credit note is $b in both databases, never issued before, event $eb"
	else
		fail "$order: the next credit note and event in the restored database (source: $a, event $ea; restored: $b, event $eb)"
	fi
done

sql="SELECT appeasement.set_credit_note_series('200003', 'NEW', 7);
     SELECT r -> 'refund' ->> 'credit_note_number' FROM appeasement.create_appeasement('DR-KWD-1', 1, 0.100, 'After restore', 'new series', 'agent') r"
a=$(qd "$SRC" "$sql" 2>&1 | tail -n 1)
b=$(qd "$DST" "$sql" 2>&1 | tail -n 1)
if [ "$a" = NEW7 ] && [ "$b" = NEW7 ]; then
	pass "a series created after the restore numbers from its start (NEW7)"
else
	fail "a series created after the restore numbers from its start (source: $a, restored: $b)"
fi

# ---------------------------------------------------------------- the extension can go and come back

OWNED="SELECT string_agg(format('%s owned by %s', c.relname, coalesce(d.refobjid::regclass || '.' || a.attname, 'nothing')),
                         E'\n' ORDER BY c.relname)
         FROM appeasement.credit_note_series s
         JOIN pg_catalog.pg_class c ON c.oid = s.counter
         LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                         AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'a'
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
own_src=$(qd "$SRC" "$OWNED" 2>&1)
own_dst=$(qd "$DST" "$OWNED" 2>&1)
RECREATE="SET client_min_messages = warning;
          DROP EXTENSION appeasement;
          CREATE EXTENSION appeasement;
          SELECT appeasement.set_credit_note_series('200001', 'CUS', 1);
          SELECT count(*) FROM appeasement.credit_note_series"
# last_line_or_error: the first ERROR line of stdin, or its last line.
last_line_or_error() {
	local out
	out=$(cat)
	printf '%s\n' "$out" | grep -m 1 'ERROR' || printf '%s\n' "$out" | tail -n 1
}
re_src=$(qd "$SRC" "$RECREATE" 2>&1 | last_line_or_error)
re_dst=$(qd "$DST" "$RECREATE" 2>&1 | last_line_or_error)
# pg_dump does not keep OWNED BY for a sequence owned by an extension's
# table (README, Troubleshooting): the restored counters may be owned by
# nothing, and a new installation skips their names.
if [ "$re_src" = 1 ] && [ "$re_dst" = 1 ]; then
	pass "DROP EXTENSION, CREATE EXTENSION and a new series work in both databases"
else
	fail "DROP EXTENSION, CREATE EXTENSION and a new series work in both databases"
	echo "#   after DROP and CREATE EXTENSION, set_credit_note_series: source: $re_src; restored: $re_dst"
fi
echo "#   counter ownership in the source:   $(printf '%s' "$own_src" | tr '\n' ';')"
echo "#   counter ownership after restoring: $(printf '%s' "$own_dst" | tr '\n' ';')"
