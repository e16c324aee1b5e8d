#!/usr/bin/env bash
# t-gapless-crash.sh: a gapless credit-note series has no gap after
# concurrent appeasements, rollbacks and a crash.
#
# Writers in several sessions create appeasements on a channel with a
# gapless series; every third one is rolled back.  While they run, the
# server is stopped in immediate mode (a crash) and started again.  The
# committed credit notes of the series must then be numbered 1..N without
# a hole or a repeat, given one transaction after the other (their event
# ids, drawn under the same row lock, rise with them), and the next
# appeasement must get N + 1.
#
# Runs against the cluster of run-tests.sh: PGHOST PGPORT PGUSER PGDATABASE
# and APPEASEMENT_PG_CTL (pg_ctl preset with -D and -l, run as the server's
# owner).  Prints one final line
#   gapless-crash: N passed, M failed
set -uo pipefail

WRITERS=${GAPLESS_WRITERS:-4}
CALLS=${GAPLESS_CALLS:-200}
PSQL=psql
if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/psql" ]; then
	PSQL="$PG_BINDIR/psql"
fi
RUN=$$
CHANNEL="gapless-crash-$RUN"
PREFIX="GLC$RUN-"
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
finish() { echo "gapless-crash: $PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]; exit $?; }
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

if [ -z "${APPEASEMENT_PG_CTL:-}" ]; then
	echo "APPEASEMENT_PG_CTL is not set: cannot crash the server"
	fail "the server can be crashed"
	finish
fi

q "CREATE EXTENSION IF NOT EXISTS appeasement" >/dev/null 2>&1
q "SELECT appeasement.set_credit_note_series('$CHANNEL', '$PREFIX', 1, gapless => true)" >/dev/null
q "SELECT count(appeasement.register_order(jsonb_build_object(
     'order_id', '$CHANNEL-' || w, 'sales_channel_id', '$CHANNEL', 'currency', 'EUR',
     'lines', jsonb_build_array(jsonb_build_object('line_number', 1, 'order_item_id', 'A',
                                                   'kind', 'product', 'gross', '100000.00')),
     'payments', jsonb_build_array(jsonb_build_object('payment_id', 'P1', 'amount', '100000.00',
                                                      'captured', '100000.00')))))
     FROM generate_series(1, $WRITERS) AS w" >/dev/null

# writer W: CALLS appeasements of 0.01 on its own order, one in three rolled back
writer() {
	local w=$1
	for i in $(seq 1 "$CALLS"); do
		if [ $((i % 3)) -eq 0 ]; then
			echo "BEGIN; SELECT appeasement.create_appeasement('$CHANNEL-$w', 1, 0.01, 'r', 'rolled back', 'w$w'); ROLLBACK;"
		else
			echo "SELECT appeasement.create_appeasement('$CHANNEL-$w', 1, 0.01, 'r', 'kept', 'w$w');"
		fi
	done | "$PSQL" -X -q -At -o /dev/null >/dev/null 2>&1
}

pids=()
for w in $(seq 1 "$WRITERS"); do
	writer "$w" &
	pids+=($!)
done
sleep 1.5
"$APPEASEMENT_PG_CTL" stop -m immediate >/dev/null 2>&1
for pid in "${pids[@]}"; do
	wait "$pid" 2>/dev/null
done
if "$APPEASEMENT_PG_CTL" start -w >/dev/null 2>&1; then
	pass "the server restarts after the crash"
else
	fail "the server restarts after the crash"
	finish
fi
for _ in $(seq 1 50); do
	q "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.2
done

counters=$(q "SELECT count(*) || ' ' || coalesce(min(n), 0) || ' ' || coalesce(max(n), 0) || ' ' || count(DISTINCT n)
                FROM (SELECT substr(credit_note_number, length('$PREFIX') + 1)::bigint AS n
                        FROM appeasement.issued_credit_notes
                       WHERE sales_channel_id = '$CHANNEL') AS s")
read -r count low high distinct <<<"$counters"
if [ "$count" -gt 0 ]; then
	pass "credit notes were committed before the crash ($count)"
else
	fail "credit notes were committed before the crash"
fi
if [ "$count" -eq 0 ] || { [ "$low" -eq 1 ] && [ "$high" -eq "$count" ] && [ "$distinct" -eq "$count" ]; }; then
	pass "the committed numbers are 1..$high, without a gap or a repeat"
else
	fail "the committed numbers are 1..N without a gap or a repeat (count $count, min $low, max $high, distinct $distinct)"
fi

# Each transaction draws its event id while it holds the series row, which
# it keeps until it commits: ids rising with the numbers show that the
# numbers were given one transaction after the other.
disorder=$(q "SELECT count(*) FROM (
                SELECT e.event_id < lag(e.event_id) OVER (ORDER BY substr(c.credit_note_number, length('$PREFIX') + 1)::bigint) AS earlier
                  FROM appeasement.issued_credit_notes c
                  JOIN appeasement.refund_events e ON e.credit_note_number = c.credit_note_number
                 WHERE c.sales_channel_id = '$CHANNEL') AS s
               WHERE earlier")
if [ "$disorder" = 0 ]; then
	pass "numbers were given one committing transaction after the other"
else
	fail "numbers were given one committing transaction after the other ($disorder out of order)"
fi

next=$(q "SELECT appeasement.create_appeasement('$CHANNEL-1', 1, 0.01, 'r', 'after the crash', 'w1') #>> '{refund,credit_note_number}'")
if [ "$next" = "$PREFIX$((high + 1))" ]; then
	pass "the next number after the crash is $next"
else
	fail "the next number after the crash is $PREFIX$((high + 1)), not $next"
fi

finish
