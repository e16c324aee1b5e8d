#!/usr/bin/env bash
# publisher-restart.sh: the publisher worker neither loses nor repeats a
# refund event across its restarts.
#
#   1. SIGTERM, repeatedly: writers create events in several sessions
#      (their ids commit out of order) while the worker is terminated
#      every few hundred milliseconds; the postmaster restarts it.  A
#      listener that ran throughout must have every committed event once,
#      in event_id order.
#   2. Crash: writers create events while an open transaction holds back
#      their publication, the server is stopped in immediate mode (a
#      crash) and started again.  publisher_state must catch up
#      with every committed event without a new refund to wake it; nothing
#      a listener had before the crash is notified again; a listener that
#      resumes from the last id it got, through refund_events_after and
#      then LISTEN, sees every committed id once.
#
# Runs against a server with the publisher serving the database:
#   PGHOST PGPORT PGUSER PGDATABASE    the connection (libpq variables)
#   APPEASEMENT_PG_CTL                 pg_ctl preset with -D and -l, run as the
#                                      server's owner (test/scripts/cluster.sh)
#   or PGDATA and PG_CTL (or PG_BINDIR)  for the crash part; without any of
#                                      them the crash part is skipped
#   RESTART_WRITERS (4), RESTART_EVENTS (150 per writer and part)
#
# Changes appeasement.publisher_batch_size with ALTER SYSTEM for the run
# and resets it at the end.  Prints one final line
#   publisher-restart: N passed, M failed
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LISTEN_EVENTS="$ROOT/test/bin/listen_events"
WRITERS=${RESTART_WRITERS:-4}
EVENTS=${RESTART_EVENTS:-150}
PSQL="psql"
if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/psql" ]; then
	PSQL="$PG_BINDIR/psql"
fi
WORK=$(mktemp -d /tmp/publisher-restart-XXXXXX)
chmod 755 "$WORK"

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
CHILDREN=()

check() {
	local name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
	fi
}

finish() {
	local pid
	for pid in "${CHILDREN[@]}"; do
		kill "$pid" 2>/dev/null
	done
	q "ALTER SYSTEM RESET appeasement.publisher_batch_size" >/dev/null 2>&1 &&
		q "SELECT pg_reload_conf()" >/dev/null 2>&1
	rm -rf -- "$WORK"
	printf 'publisher-restart: %d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
trap finish EXIT

# q SQL: one value (or rows) from the server, unaligned.
q() {
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

# wait_for SECONDS SQL: until SQL returns "t".
wait_for() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(q "$2" 2>/dev/null)" = t ] && return 0
		sleep 0.05
	done
	return 1
}

CAUGHT_UP="SELECT s.last_event_id >= (SELECT coalesce(max(event_id), 0) FROM appeasement.refund_events)
             FROM appeasement.publisher_status() s"
RUNNING="SELECT running FROM appeasement.publisher_status()"

# start_listener FILE: a listener in the background, until killed.
start_listener() {
	"$LISTEN_EVENTS" "" 0 600 >"$1" 2>"$1.err" &
	LISTENER=$!
	CHILDREN+=("$LISTENER")
	local i
	for i in $(seq 1 100); do
		grep -q '^listening$' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

stop_listener() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ids FILE: the event ids of the notifications in FILE, in arrival order.
ids() {
	grep -o '^{"event_id": [0-9]*' "$1" | grep -o '[0-9]*$'
}

# start_writers TAG: WRITERS sessions creating EVENTS events each, one
# transaction per event, 30 ms apart, on orders of their own.
start_writers() {
	local w
	WRITER_PIDS=()
	for w in $(seq 1 "$WRITERS"); do
		{
			for _ in $(seq 1 "$EVENTS"); do
				echo "SELECT 1 FROM appeasement.create_appeasement('RESTART-$w', 1, 1.20, 'restart test', '$1', 'publisher-restart');"
				echo "SELECT pg_sleep(0.03);"
			done
		} >"$WORK/writer-$1-$w.sql"
		"$PSQL" -X -q -o /dev/null -f "$WORK/writer-$1-$w.sql" >/dev/null 2>"$WORK/writer-$1-$w.err" &
		WRITER_PIDS+=($!)
		CHILDREN+=($!)
	done
}

wait_writers() {
	local pid
	for pid in "${WRITER_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
}

# ---------------------------------------------------------------- setup

if [ ! -x "$LISTEN_EVENTS" ]; then
	make -s -C "$ROOT/test/tools" >/dev/null || { echo "cannot build test/tools" >&2; FAILED=1; exit 1; }
fi

if ! q "SELECT 1" >/dev/null; then
	echo "publisher-restart: no server (PGHOST=${PGHOST:-} PGPORT=${PGPORT:-})" >&2
	FAILED=1
	exit 1
fi

q "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS appeasement" >/dev/null
check "the publisher serves database ${PGDATABASE:-?}" \
	wait_for 10 "SELECT running AND horizon IS NOT NULL FROM appeasement.publisher_status()"
[ "$FAILED" -eq 0 ] || exit 1

for w in $(seq 1 $((WRITERS + 1))); do
	q "DO \$\$
	BEGIN
		IF NOT EXISTS (SELECT FROM appeasement.orders WHERE order_id = 'RESTART-$w') THEN
			PERFORM appeasement.register_order(jsonb_build_object(
				'order_id', 'RESTART-$w', 'sales_channel_id', 'RESTART', 'currency', 'USD',
				'lines', jsonb_build_array(jsonb_build_object(
					'line_number', 1, 'order_item_id', '1', 'kind', 'product',
					'quantity', 1, 'gross', '9000000.00',
					'taxes', jsonb_build_array(jsonb_build_object(
						'type', 'VAT', 'rate', '20', 'amount', '1500000.00')))),
				'payments', jsonb_build_array(jsonb_build_object(
					'payment_id', 'P1', 'amount', '9000000.00'))));
			PERFORM appeasement.record_capture('RESTART-$w', 'P1', 9000000.00);
		END IF;
	END \$\$" >/dev/null
done

# Small batches, so that terminations fall between them and inside them.
q "ALTER SYSTEM SET appeasement.publisher_batch_size = 5" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait_for 10 "$CAUGHT_UP" || true

# ---------------------------------------------------------------- 1. SIGTERM

log "SIGTERM: $WRITERS writers x $EVENTS events, the publisher terminated repeatedly"
BASE=$(q "SELECT coalesce(max(event_id), 0) FROM appeasement.refund_events")
start_listener "$WORK/sigterm.out" || echo "listener did not start" >&2
L1=$LISTENER
start_writers sigterm

TERMINATIONS=0
PIDS_SEEN=$(q "SELECT pid FROM appeasement.publisher_status()")
while :; do
	alive=0
	for pid in "${WRITER_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && alive=1
	done
	[ "$alive" -eq 1 ] || break
	sleep 0.3
	if [ "$(q "SELECT pg_terminate_backend(pid) FROM appeasement.publisher_status() WHERE running")" = t ]; then
		TERMINATIONS=$((TERMINATIONS + 1))
	fi
done
wait_writers
log "terminated the publisher $TERMINATIONS times"

check "the publisher came back after SIGTERM" wait_for 15 "$RUNNING"
check "the publisher caught up after SIGTERM" wait_for 30 "$CAUGHT_UP"
sleep 0.5
stop_listener "$L1"

q "SELECT event_id FROM appeasement.refund_events WHERE event_id > $BASE ORDER BY event_id" >"$WORK/sigterm.committed"
ids "$WORK/sigterm.out" >"$WORK/sigterm.notified"
COMMITTED=$(wc -l <"$WORK/sigterm.committed")
log "committed $COMMITTED events, notified $(wc -l <"$WORK/sigterm.notified")"
check "SIGTERM: the publisher was terminated while events were written" [ "$TERMINATIONS" -ge 2 ]
check "SIGTERM: events were written" [ "$COMMITTED" -ge $((WRITERS * EVENTS)) ]
check "SIGTERM: the listener got every committed event once, in event_id order" \
	cmp -s "$WORK/sigterm.committed" "$WORK/sigterm.notified"
check "SIGTERM: no duplicate notification" \
	[ -z "$(sort -n "$WORK/sigterm.notified" | uniq -d)" ]

# ---------------------------------------------------------------- 2. crash

PG_CTL_CMD=()
if [ -n "${APPEASEMENT_PG_CTL:-}" ]; then
	PG_CTL_CMD=("$APPEASEMENT_PG_CTL")
elif [ -n "${PGDATA:-}" ]; then
	ctl=${PG_CTL:-${PG_BINDIR:+$PG_BINDIR/pg_ctl}}
	ctl=${ctl:-$(command -v pg_ctl)}
	if [ -n "$ctl" ]; then
		owner=$(stat -c %U "$PGDATA")
		if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
			PG_CTL_CMD=(runuser -u "$owner" -- "$ctl" -D "$PGDATA" -l "$PGDATA/publisher-restart.log")
		else
			PG_CTL_CMD=("$ctl" -D "$PGDATA" -l "$PGDATA/publisher-restart.log")
		fi
	fi
fi

if [ ${#PG_CTL_CMD[@]} -eq 0 ]; then
	log "crash: skipped (set APPEASEMENT_PG_CTL, or PGDATA and PG_CTL)"
	exit
fi

log "crash: $WRITERS writers and a transaction holding them back, then an immediate stop and a start"
BASE=$(q "SELECT coalesce(max(event_id), 0) FROM appeasement.refund_events")
start_listener "$WORK/before.out" || echo "listener did not start" >&2
L1=$LISTENER
start_writers crash
sleep 0.5
# An open transaction with an event: the events committed after it wait
# for it, so the crash leaves committed events the publisher has not sent.
"$PSQL" -X -q -o /dev/null -c "BEGIN" \
	-c "SELECT appeasement.create_appeasement('RESTART-$((WRITERS + 1))', 1, 1.20, 'restart test', 'held open', 'publisher-restart')" \
	-c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
CHILDREN+=($!)
sleep 1
(cd / && "${PG_CTL_CMD[@]}" -m immediate -w stop) >/dev/null 2>&1
wait_writers
stop_listener "$L1"
check "crash: the server started again" \
	bash -c 'cd / && "$@" -w -t 60 start >/dev/null 2>&1' _ "${PG_CTL_CMD[@]}"
for _ in $(seq 1 200); do
	q "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.05
done
start_listener "$WORK/after.out" || echo "listener did not start" >&2
L2=$LISTENER

# No refund wakes it: the publisher must find the backlog by itself.
check "crash: publisher_state caught up with every committed event" wait_for 30 "$CAUGHT_UP"
check "crash: the publisher runs" wait_for 15 "$RUNNING"

# A listener that resumes from the last id it got: catch up, then LISTEN.
ids "$WORK/before.out" >"$WORK/before.notified"
LAST=$(tail -n 1 "$WORK/before.notified")
LAST=${LAST:-$BASE}
q "SELECT event_id FROM appeasement.refund_events_after($LAST, 100000)" >"$WORK/caught-up"

# New events after the restart reach the listener.
"$PSQL" -X -q -o /dev/null -c "SELECT appeasement.create_appeasement('RESTART-1', 1, 1.20, 'restart test', 'after crash', 'publisher-restart') FROM generate_series(1, 5)" >/dev/null 2>&1
wait_for 15 "$CAUGHT_UP" || true
sleep 0.5
stop_listener "$L2"
ids "$WORK/after.out" >"$WORK/after.notified"

q "SELECT event_id FROM appeasement.refund_events WHERE event_id > $BASE ORDER BY event_id" >"$WORK/crash.committed"
LAST_AFTER_CATCHUP=$(tail -n 1 "$WORK/caught-up")
LAST_AFTER_CATCHUP=${LAST_AFTER_CATCHUP:-$LAST}
{
	cat "$WORK/before.notified" "$WORK/caught-up"
	awk -v last="$LAST_AFTER_CATCHUP" '$1 > last' "$WORK/after.notified"
} >"$WORK/crash.seen"
log "committed $(wc -l <"$WORK/crash.committed") events; notified $(wc -l <"$WORK/before.notified") before the crash, $(wc -l <"$WORK/after.notified") after"

AT_CRASH=$(($(wc -l <"$WORK/crash.committed") - 5))
check "crash: events were notified before the crash" [ "$(wc -l <"$WORK/before.notified")" -gt 0 ]
check "crash: committed events were waiting for the publisher at the crash" \
	[ "$AT_CRASH" -gt "$(wc -l <"$WORK/before.notified")" ]
check "crash: nothing notified before the crash is notified again" \
	[ -z "$(sort -n "$WORK/before.notified" "$WORK/after.notified" | uniq -d)" ]
check "crash: notifications after the restart come in event_id order" \
	bash -c 'sort -n -c "$1" 2>/dev/null' _ "$WORK/after.notified"
check "crash: the events created after the restart were notified" \
	[ "$(grep -c '"after crash"' "$WORK/after.out")" -eq 5 ]
check "crash: listener + refund_events_after see every committed id once, in order" \
	cmp -s "$WORK/crash.committed" "$WORK/crash.seen"
