#!/usr/bin/env bash
# cluster.sh: a throwaway PostgreSQL cluster for tests, the demo and the
# benchmark.
#
#   cluster.sh start     stop the cluster recorded in the state file, if
#                        any, then initdb and start a fresh one and create
#                        database appeasement_test
#   cluster.sh stop [--keep-log FILE]
#                        stop it and remove its directory (copying the
#                        server log to FILE first)
#   cluster.sh psql ARGS run psql against it
#   cluster.sh env       print its environment: eval "$(bash test/scripts/cluster.sh env)"
#   cluster.sh status    pg_ctl status
#
# Layout of the cluster's directory, mktemp -d /tmp/appeasement-XXXXXX:
#   data/             PGDATA                         (owned by the server's OS user)
#   run/              the Unix socket, PGHOST        (owned by the server's OS user)
#   log/server.log    the server log                 (owned by the server's OS user)
#   pg_ctl            pg_ctl preset with -D and -l, run as the server's OS user
#
# The server runs as the unprivileged "postgres" OS user when we are root
# (through runuser), as the current user otherwise.  It listens on no TCP
# address, only on the socket in run/, so clusters of several checkouts
# or runs never meet.
#
# The state file (default .build/cluster.env, or APPEASEMENT_CLUSTER_STATE)
# records the cluster for "stop" and for callers, who source it.  It
# exports:
#   PGHOST PGPORT PGUSER PGDATABASE PGDATA PG_BINDIR
#   APPEASEMENT_CLUSTER_DIR   the directory above
#   APPEASEMENT_PG_LOG        the server log
#   APPEASEMENT_PG_CTL        e.g. "$APPEASEMENT_PG_CTL restart -m immediate"
#                             restarts the server as its owner, keeping the log
#   APPEASEMENT_CLUSTER_OWNER the OS user running the server
#
# Environment read by "start":
#   APPEASEMENT_TEST_PORT     port (socket name) of the server, default 54329
#   APPEASEMENT_TEST_LISTEN   TCP addresses to listen on as well (default:
#                             none); the port must then be free
#   APPEASEMENT_PRELOAD       shared_preload_libraries, default 'appeasement'
#                             (set once appeasement_test exists, then the
#                             server restarts; empty: no preload)
#   APPEASEMENT_PG_OPTIONS    extra postgresql.conf lines (newline separated)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DBNAME=appeasement_test

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# stop_cluster [--keep-log FILE]
stop_cluster() {
	local keep_log=''
	if [ "${1:-}" = --keep-log ]; then
		keep_log=${2:?--keep-log needs a file}
	fi
	local state
	state=$(cluster_state_file)
	if ! load_cluster_env; then
		log "cluster: none running (no $state)"
		return 0
	fi
	local dir=${APPEASEMENT_CLUSTER_DIR:-}
	if [ -n "$dir" ] && [ -f "$PGDATA/postmaster.pid" ]; then
		if ! as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -m fast stop >/dev/null 2>&1; then
			warn "cluster: fast shutdown failed, trying immediate"
			as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$PGDATA" -w -t 30 -m immediate stop >/dev/null 2>&1 || true
		fi
	fi
	if [ -n "$keep_log" ] && [ -f "$APPEASEMENT_PG_LOG" ]; then
		mkdir -p "$(dirname "$keep_log")"
		cp "$APPEASEMENT_PG_LOG" "$keep_log"
	fi
	# Remove only what mktemp made for us.
	case "$dir" in
	/tmp/appeasement-??????) rm -rf -- "$dir" ;;
	*) [ -z "$dir" ] || warn "cluster: not removing unexpected directory '$dir'" ;;
	esac
	rm -f -- "$state"
	log "cluster: stopped${dir:+ and removed $dir}"
}

# EXIT trap of a start: on failure, shows the server log and removes
# what the start made.
undo_failed_start() {
	local rc=$? dir=$STARTING_DIR
	[ "$rc" -ne 0 ] || return 0
	err "cluster: start failed"
	if [ -f "$dir/log/server.log" ]; then
		tail -n 30 "$dir/log/server.log" >&2
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf -- "$dir"
	rm -f -- "$STARTING_STATE"
}

start_cluster() {
	require_pg_config
	local port=${APPEASEMENT_TEST_PORT:-54329}
	local listen=${APPEASEMENT_TEST_LISTEN:-}
	local preload=${APPEASEMENT_PRELOAD-appeasement}
	local owner state
	owner=$(cluster_os_user)
	state=$(cluster_state_file)

	case "$port" in
	'' | *[!0-9]*) die "APPEASEMENT_TEST_PORT must be a number, not '$port'" ;;
	esac
	if is_root; then
		id postgres >/dev/null 2>&1 ||
			die "no 'postgres' OS user: install postgresql-$APPEASEMENT_PG_MAJOR (bash test/scripts/install-deps.sh)"
		command -v runuser >/dev/null 2>&1 || die "runuser not found: apt-get install util-linux"
	fi

	# One cluster per state file: a leftover of an earlier run goes first.
	stop_cluster

	if [ -n "$listen" ]; then
		local addr=${listen%%,*}
		[ "$addr" = '*' ] && addr=127.0.0.1
		if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then
			die "port $port on $addr is already in use; choose another with APPEASEMENT_TEST_PORT"
		fi
	fi

	local dir
	dir=$(mktemp -d /tmp/appeasement-XXXXXX)
	chmod 755 "$dir"
	STARTING_DIR=$dir STARTING_STATE=$state
	trap undo_failed_start EXIT

	mkdir -m 700 "$dir/data"
	mkdir -m 755 "$dir/run" "$dir/log"
	if is_root; then
		chown postgres:postgres "$dir/data" "$dir/run" "$dir/log"
	fi
	local data=$dir/data sock=$dir/run logfile=$dir/log/server.log

	log "cluster: initdb in $data (server runs as $owner)"
	if ! as_cluster_owner "$PG_BINDIR/initdb" -D "$data" -U "$owner" --auth=trust \
		--encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	fi

	# ALTER SYSTEM writes postgresql.auto.conf, which would win over these;
	# tests that need other settings should use it (and restart).
	{
		echo
		echo "# appeasement throwaway cluster (test/scripts/cluster.sh)"
		echo "port = $port"
		echo "listen_addresses = '$listen'"
		echo "unix_socket_directories = '$sock'"
		echo "max_connections = 100"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		echo "log_timezone = 'UTC'"
		if [ -n "${APPEASEMENT_PG_OPTIONS:-}" ]; then
			printf '%s\n' "$APPEASEMENT_PG_OPTIONS"
		fi
	} | as_cluster_owner tee -a "$data/postgresql.conf" >/dev/null

	# pg_ctl preset for this cluster, for scripts that restart or crash it.
	local runas=''
	is_root && runas='runuser -u postgres -- '
	cat >"$dir/pg_ctl" <<EOF
#!/bin/sh
# pg_ctl of the throwaway cluster in $dir, run as $owner.
cd / || exit 1
exec ${runas}$(printf '%q' "$PG_BINDIR/pg_ctl") -D $(printf '%q' "$data") -l $(printf '%q' "$logfile") "\$@"
EOF
	chmod 755 "$dir/pg_ctl"

	log "cluster: starting on socket $sock, port $port"
	if ! as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$logfile" -w -t 60 start >/dev/null; then
		die "the server did not start; its log follows"
	fi

	mkdir -p "$(dirname "$state")"
	{
		echo "# throwaway cluster started by test/scripts/cluster.sh on $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
		printf 'export APPEASEMENT_CLUSTER_DIR=%q\n' "$dir"
		printf 'export APPEASEMENT_CLUSTER_OWNER=%q\n' "$owner"
		printf 'export APPEASEMENT_PG_LOG=%q\n' "$logfile"
		printf 'export APPEASEMENT_PG_CTL=%q\n' "$dir/pg_ctl"
		printf 'export PG_BINDIR=%q\n' "$PG_BINDIR"
		printf 'export PGDATA=%q\n' "$data"
		printf 'export PGHOST=%q\n' "$sock"
		printf 'export PGPORT=%q\n' "$port"
		printf 'export PGUSER=%q\n' "$owner"
		printf 'export PGDATABASE=%q\n' "$DBNAME"
	} >"$state"

	load_cluster_env
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "CREATE DATABASE $DBNAME" >/dev/null ||
		die "could not create database $DBNAME"

	# The library goes in only now, so that its background worker finds
	# its database from the first start on.
	if [ -n "$preload" ]; then
		{
			echo "shared_preload_libraries = '$preload'"
			echo "appeasement.database = '$DBNAME'"
		} | as_cluster_owner tee -a "$data/postgresql.conf" >/dev/null
		log "cluster: restarting with shared_preload_libraries = '$preload'"
		as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$logfile" -w -t 60 -m fast restart >/dev/null ||
			die "the server did not restart with shared_preload_libraries = '$preload'; its log follows"
	fi

	trap - EXIT
	log "cluster: running; connect with: psql -h $PGHOST -p $PGPORT -U $PGUSER $PGDATABASE"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
start)
	start_cluster
	;;
stop)
	stop_cluster "$@"
	;;
psql)
	load_cluster_env || die "no cluster running (start one with: bash test/scripts/cluster.sh start)"
	exec "$PG_BINDIR/psql" "$@"
	;;
env)
	load_cluster_env || die "no cluster running (start one with: bash test/scripts/cluster.sh start)"
	grep '^export ' "$(cluster_state_file)"
	;;
status)
	load_cluster_env || die "no cluster running"
	"$APPEASEMENT_PG_CTL" status
	;;
*)
	usage
	;;
esac
