#!/usr/bin/env bash
# bench.sh: what "make bench" runs.  On one fresh throwaway server, with
# pgbench (-n -c 2 -j 2 -T $BENCH_SECONDS, default 20) it measures:
#
#   a. baseline     one-row INSERT into a scratch table
#   b. naive        the same INSERT plus NOTIFY in one transaction
#
# Every timed run has a listener on the channel its transactions notify
# (test/bin/listen_events), as an integration would.  a and c run in two
# alternating halves (a, c, a, c) and each is the mean of its halves, so a
# drift of this shared machine's speed weighs on both alike.
#   c. throughput   create_appeasement of 0.01 on one of 2,000 captured
#                   orders; goal: c / a >= 0.5
#   c'. inline      the same with appeasement.notify_mode = inline, for
#                   comparison with the publisher worker
#   c''. gapless    the same with the channel on a gapless series, the
#                   cost of numbering without gaps
#   d. slowdown     (c) again after 40,000 more credit notes;
#                   goal: tps before / tps after <= 1.15
#   e. latency      test/bin/event_latency, 1,000 events;
#                   goal: p99 <= 50 ms
#
# and prints a summary with each goal met or not met.  Takes about three
# minutes with the defaults.  Exits 1 when a measurement could not be
# taken (not when a goal is missed).
#
# Environment: BENCH_SECONDS (default 20), BENCH_WARMUP_SECONDS (default 10).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$APPEASEMENT_ROOT"

SECONDS_PER_RUN=${BENCH_SECONDS:-20}
WARMUP=${BENCH_WARMUP_SECONDS:-10}
ORDERS=2000
MORE_NOTES_PER_CLIENT=20000

bash "$APPEASEMENT_SCRIPTS/install-deps.sh"
bash "$APPEASEMENT_SCRIPTS/build.sh"
require_pg_config

mkdir -p "$APPEASEMENT_BUILD_DIR"
exec 9>"$APPEASEMENT_BUILD_DIR/bench.lock"
flock -n 9 || die "another bench.sh is running in this checkout"

# This run's own cluster; a demo cluster left running is not touched.
export APPEASEMENT_CLUSTER_STATE="$APPEASEMENT_BUILD_DIR/cluster-bench.env"
WORK=$(mktemp -d /tmp/appeasement-bench-XXXXXX)
cleanup() {
	bash "$APPEASEMENT_SCRIPTS/cluster.sh" stop >/dev/null 2>&1 || true
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

section "cluster"
bash "$APPEASEMENT_SCRIPTS/cluster.sh" start
load_cluster_env
CONNINFO=$(cluster_conninfo)

section "setup"
log "extension, scratch table and $ORDERS captured orders"
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -o /dev/null <<SQL
CREATE EXTENSION IF NOT EXISTS appeasement;
CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v int);
SELECT count(appeasement.register_order(jsonb_build_object(
	'order_id', 'BENCH-' || i,
	'sales_channel_id', '900001',
	'store_id', '900001',
	'currency', 'USD',
	'lines', jsonb_build_array(jsonb_build_object(
		'line_number', 1, 'order_item_id', 'BENCH-' || i || '-1', 'kind', 'product',
		'sku', 'BENCH', 'quantity', 1, 'gross', '1000000.00',
		'taxes', jsonb_build_array(jsonb_build_object('type', 'VAT', 'rate', '20')))),
	'payments', jsonb_build_array(jsonb_build_object(
		'payment_id', 'P1', 'method', 'card', 'psp', 'bench', 'psp_reference', 'BENCH-' || i,
		'amount', '1000000.00', 'captured', '1000000.00')))))
FROM generate_series(1, $ORDERS) AS i;
VACUUM ANALYZE;
SQL

cat >"$WORK/insert.sql" <<'EOF'
INSERT INTO bench_insert (v) VALUES (1);
EOF
cat >"$WORK/insert_notify.sql" <<'EOF'
BEGIN;
INSERT INTO bench_insert (v) VALUES (1);
NOTIFY bench_channel, 'x';
END;
EOF
cat >"$WORK/appease.sql" <<EOF
\set k random(1, $ORDERS)
SELECT appeasement.create_appeasement('BENCH-' || :k, 1, 0.01, 'bench', 'throughput', 'bench');
EOF

# pgbench_tps NAME SCRIPT ARGS...: runs pgbench, keeps its output in
# $WORK/NAME.out and prints the tps, or nothing when it failed.
pgbench_tps() {
	local name=$1 script=$2
	shift 2
	if ! "$PG_BINDIR/pgbench" -n -c 2 -j 2 "$@" -f "$script" >"$WORK/$name.out" 2>&1; then
		err "pgbench $name failed:"
		tail -n 15 "$WORK/$name.out" >&2
		return 0
	fi
	sed -n -E 's/^tps = ([0-9.]+).*/\1/p' "$WORK/$name.out" | tail -n 1 |
		awk '{ printf "%.1f\n", $1 }'
}

# measure LABEL NAME SCRIPT CHANNEL: a timed run while a listener takes
# the notifications of CHANNEL, as an integration would; prints the tps.
measure() {
	local tps listener
	test/bin/listen_events "$CONNINFO" 0 $((SECONDS_PER_RUN + 30)) "$4" >/dev/null 2>&1 &
	listener=$!
	sleep 0.5
	tps=$(pgbench_tps "$2" "$3" -T "$SECONDS_PER_RUN")
	kill "$listener" 2>/dev/null || true
	wait "$listener" 2>/dev/null || true
	printf '  %-52s %s\n' "$1" "${tps:-failed} tps" >&2
	echo "$tps"
}

credit_notes() {
	psql_q "SELECT count(*) FROM appeasement.credit_notes" 2>/dev/null || echo '?'
}

section "warmup (${WARMUP}s each)"
pgbench_tps warmup_insert "$WORK/insert.sql" -T "$WARMUP" >/dev/null
pgbench_tps warmup_appease "$WORK/appease.sql" -T "$WARMUP" >/dev/null
# Start the measurements from a checkpoint, after the first autovacuum of
# the new tables, rather than in the middle of either.
psql_q "VACUUM ANALYZE" >/dev/null
psql_q "CHECKPOINT" >/dev/null

section "measurements (${SECONDS_PER_RUN}s each, 2 clients)"
# a and c alternate, half the time each round, so that a drift of the
# machine's speed during the run weighs on both alike.
NOTES_BEFORE=$(credit_notes)
HALF=$(( (SECONDS_PER_RUN + 1) / 2 ))
TPS_A1=$(SECONDS_PER_RUN=$HALF measure "a. INSERT (1/2)" insert1 "$WORK/insert.sql" bench_channel)
TPS_C1=$(SECONDS_PER_RUN=$HALF measure "c. create_appeasement (1/2, $NOTES_BEFORE credit notes at start)" appease1 "$WORK/appease.sql" refund_events)
TPS_A2=$(SECONDS_PER_RUN=$HALF measure "a. INSERT (2/2)" insert2 "$WORK/insert.sql" bench_channel)
TPS_C2=$(SECONDS_PER_RUN=$HALF measure "c. create_appeasement (2/2)" appease2 "$WORK/appease.sql" refund_events)
mean() { [ -n "$1" ] && [ -n "$2" ] && awk -v x="$1" -v y="$2" 'BEGIN { printf "%.1f", (x + y) / 2 }'; }
TPS_A=$(mean "$TPS_A1" "$TPS_A2")
TPS_C=$(mean "$TPS_C1" "$TPS_C2")

log "creating $((2 * MORE_NOTES_PER_CLIENT)) more credit notes"
start=$(date +%s)
if [ -z "$(pgbench_tps more_notes "$WORK/appease.sql" -t "$MORE_NOTES_PER_CLIENT")" ]; then
	err "could not create the credit notes"
fi
log "done in $(($(date +%s) - start)) s"
# The same starting conditions as for c: vacuumed, from a checkpoint.
psql_q "VACUUM ANALYZE" >/dev/null
psql_q "CHECKPOINT" >/dev/null
NOTES_AFTER=$(credit_notes)
TPS_D=$(measure "d. create_appeasement ($NOTES_AFTER credit notes at start)" appease_after "$WORK/appease.sql" refund_events)

# For comparison, after the goals' measurements.
TPS_B=$(measure "b. INSERT + NOTIFY" insert_notify "$WORK/insert_notify.sql" bench_channel)
TPS_CI=$(PGOPTIONS="-c appeasement.notify_mode=inline" measure "c'. create_appeasement, notify_mode inline" appease_inline "$WORK/appease.sql" refund_events)
# The cost of gapless numbering: the same channel switched to a gapless series.
psql_q "SELECT appeasement.set_credit_note_series('900001', 'BG-', 1, gapless => true)" >/dev/null
TPS_CG=$(measure "c''. create_appeasement, gapless series" appease_gapless "$WORK/appease.sql" refund_events)

section "event latency"
LATENCY_LINE=''
if [ -x test/bin/event_latency ]; then
	if test/bin/event_latency "$CONNINFO" 1000 2000 >"$WORK/latency.out" 2>&1; then
		cat "$WORK/latency.out"
		LATENCY_LINE=$(grep -E '^event latency:' "$WORK/latency.out" | tail -n 1 || true)
	else
		err "event_latency failed:"
		tail -n 15 "$WORK/latency.out" >&2
	fi
else
	warn "test/bin/event_latency not built (test/tools)"
fi
P99=$(sed -n -E 's/.* p99=([0-9.]+) ms.*/\1/p' <<<"$LATENCY_LINE")

# ---------------------------------------------------------------- summary

# verdict VALUE OP GOAL: "met" / "not met" / "not measured"
verdict() {
	[ -n "$1" ] || { echo "not measured"; return; }
	awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? (v >= g) : (v <= g)
		print ok ? "met" : "not met" }'
}
ratio() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0) printf "%.2f", x / y }'
}
RATIO=$(ratio "$TPS_C" "$TPS_A")
SLOWDOWN=$(ratio "$TPS_C" "$TPS_D")

section "summary"
cat <<EOF
PostgreSQL $("$PG_CONFIG" --version | awk '{print $2}'), $(nproc) cores, pgbench -n -c 2 -j 2 -T $SECONDS_PER_RUN
  a. INSERT                          ${TPS_A:-failed} tps   (two halves: ${TPS_A1:-failed}, ${TPS_A2:-failed})
  b. INSERT + NOTIFY                 ${TPS_B:-failed} tps
  c. create_appeasement              ${TPS_C:-failed} tps   (two halves: ${TPS_C1:-failed}, ${TPS_C2:-failed}; $NOTES_BEFORE credit notes at start)
     ratio c / a                     ${RATIO:-n/a}   goal >= 0.5    $(verdict "$RATIO" '>=' 0.5)
  c'. the same, notify_mode inline   ${TPS_CI:-failed} tps   (ratio to a: $(ratio "$TPS_CI" "$TPS_A"))
  c''. the same, gapless series      ${TPS_CG:-failed} tps   (ratio to a: $(ratio "$TPS_CG" "$TPS_A"), to c: $(ratio "$TPS_CG" "$TPS_C"))
  d. create_appeasement              ${TPS_D:-failed} tps   ($NOTES_AFTER credit notes at start)
     slowdown c / d                  ${SLOWDOWN:-n/a}   goal <= 1.15   $(verdict "$SLOWDOWN" '<=' 1.15)
  e. ${LATENCY_LINE:-event latency: not measured}
     p99                             ${P99:-n/a} ms   goal <= 50 ms  $(verdict "$P99" '<=' 50)
EOF

if [ -z "$TPS_A" ] || [ -z "$TPS_B" ] || [ -z "$TPS_C" ] || [ -z "$TPS_D" ] || [ -z "$P99" ]; then
	exit 1
fi
