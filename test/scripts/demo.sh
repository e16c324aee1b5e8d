#!/usr/bin/env bash
# demo.sh: what "make demo" runs.  Installs the dependencies, builds and
# installs the extension, starts a fresh throwaway cluster (stopping the
# one an earlier demo left) and plays the seed example: an order of 48.71
# USD, credit-note series "CUS" at 148, and a full appeasement of its line,
# with a listener on channel refund_events.  Prints the refund document and
# the notification, and leaves the cluster running.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$APPEASEMENT_ROOT"

bash "$APPEASEMENT_SCRIPTS/install-deps.sh"
bash "$APPEASEMENT_SCRIPTS/build.sh"
require_pg_config

section "cluster"
bash "$APPEASEMENT_SCRIPTS/cluster.sh" start
load_cluster_env
CONNINFO=$(cluster_conninfo)
WORK=$(mktemp -d /tmp/appeasement-demo-XXXXXX)
LISTENER_PID=''
cleanup() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

how_to_connect() {
	cat <<EOF

The cluster keeps running.
  connect:  psql -h $PGHOST -p $PGPORT -U $PGUSER $PGDATABASE
            (or: bash test/scripts/cluster.sh psql)
  env:      eval "\$(bash test/scripts/cluster.sh env)"
  log:      $APPEASEMENT_PG_LOG
  stop:     bash test/scripts/cluster.sh stop
EOF
}

failed() {
	err "the demo failed; the server log ends with:"
	tail -n 20 "$APPEASEMENT_PG_LOG" >&2 || true
	how_to_connect >&2
	exit 1
}

# demo_sql SQL [PSQL OPTIONS]: echoes the statement, then runs it.
demo_sql() {
	printf '\n%s\n' "appeasement_test=# $1"
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "${@:2}" -c "$1" || failed
}

# demo_json SQL: same, for a statement returning one jsonb_pretty value,
# printed as is.
demo_json() {
	demo_sql "$1" --no-align --tuples-only
}

section "extension"
demo_sql "CREATE EXTENSION IF NOT EXISTS appeasement;"

section "listener"
LISTENER=test/bin/listen_events
if [ -x "$LISTENER" ]; then
	echo "$LISTENER \"$CONNINFO\" 1 10 &"
	"$LISTENER" "$CONNINFO" 1 10 >"$WORK/listener.out" 2>&1 &
	LISTENER_PID=$!
	# It prints "listening" once its LISTEN is in force.
	for _ in $(seq 100); do
		grep -q '^listening' "$WORK/listener.out" && break
		kill -0 "$LISTENER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/listener.out"
	grep -q '^listening' "$WORK/listener.out" || warn "the listener is not listening; going on"
else
	warn "$LISTENER not built (test/tools); the event will be read from appeasement.refund_events"
fi

section "order and credit-note series"
demo_sql "SELECT appeasement.set_credit_note_series('200001', 'CUS', 148);"
demo_sql "SELECT appeasement.register_order('{
  \"order_id\": \"100000000000001\", \"sales_channel_id\": \"200001\", \"store_id\": \"200001\",
  \"customer_id\": \"C-1001\", \"currency\": \"USD\",
  \"lines\": [{\"line_number\": 1, \"order_item_id\": \"190\", \"kind\": \"product\", \"sku\": \"TABLE-OAK\",
             \"quantity\": 1, \"gross\": \"48.71\",
             \"taxes\": [{\"type\": \"VAT\", \"rate\": \"8.25\", \"amount\": \"3.72\"}]}],
  \"payments\": [{\"payment_id\": \"P1\", \"method\": \"card\", \"psp\": \"adyen\", \"psp_reference\": \"8535\",
                \"amount\": \"48.71\", \"captured\": \"48.71\"}]}');"

section "appeasement"
demo_json "SELECT jsonb_pretty(appeasement.create_appeasement('{\"appeasement\": {
  \"order_id\": \"100000000000001\", \"sales_channel_id\": \"200001\", \"user\": \"userB\",
  \"credit_note_date\": \"2018-03-15T11:18:25+00:00\",
  \"lines\": [{\"line_number\": \"1\", \"id\": \"190\", \"amount\": \"48.71\",
             \"reason\": \"Item too big\", \"reason_description\": \"Item too big\"}]}}')) AS refund;"

section "notification on channel refund_events"
got_event=0
if [ -n "$LISTENER_PID" ]; then
	# It exits after one event, or after 10 s without one.
	wait "$LISTENER_PID" || true
	LISTENER_PID=''
	# Every line but "listening" is a payload: shown as sent, then pretty.
	while IFS= read -r payload; do
		[ "$payload" = listening ] && continue
		got_event=1
		echo "payload received ($(printf '%s' "$payload" | wc -c) bytes), as sent:"
		echo "$payload"
		echo
		echo "the same, shown pretty:"
		echo "SELECT jsonb_pretty(:'payload'::jsonb);" |
			"$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -v payload="$payload" 2>/dev/null ||
			echo "$payload"
	done < <(grep -v '^listen_events: ' "$WORK/listener.out")
	grep '^listen_events: ' "$WORK/listener.out" >&2 || true
	[ "$got_event" -eq 1 ] || warn "the listener received no event"
fi
if [ "$got_event" -eq 0 ]; then
	echo "The event, from table appeasement.refund_events:"
	demo_json "SELECT jsonb_pretty(jsonb_build_object('event_id', event_id, 'event_type', event_type) || payload)
	           FROM appeasement.refund_events ORDER BY event_id DESC LIMIT 1;"
fi

how_to_connect
