#!/usr/bin/env bash
# run-tests.sh: what "make test" runs.  Installs the dependencies, builds
# and installs the extension, starts a throwaway cluster and runs every
# suite, each one even when an earlier one failed:
#
#   regress    pg_regress over sql/*.sql (install scripts excepted)
#   isolation  pg_isolation_regress over test/specs/*.spec
#   pgtap      pg_prove over test/pgtap/*.sql, one count per assertion
#   scripts    test/scripts/t-*.sh and test/scripts/publisher-restart.sh
#   unit       make -C test/unit run
#   fuzz       make -C test/fuzz run FUZZ_SECONDS=${FUZZ_SECONDS:-60}
#
# A suite without files counts nothing.  The last line printed is
# "N passed, M failed" over all suites; the exit status is 0 only when
# M = 0 and N > 0.  On failure the regression diffs and the tail of the
# server log are printed, and the log is kept in .build/server-test.log.
#
# Environment: FUZZ_SECONDS, APPEASEMENT_TEST_PORT (see cluster.sh),
# APPEASEMENT_SUITE_TIMEOUT (seconds per suite or script, default 1200),
# PGISOLATIONTIMEOUT (seconds a stuck isolation step gets, default 60).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$APPEASEMENT_ROOT" || exit 1

mkdir -p "$APPEASEMENT_BUILD_DIR"
exec 9>"$APPEASEMENT_BUILD_DIR/run-tests.lock"
flock -n 9 || die "another run-tests.sh is running in this checkout"

# This run's own cluster; a demo cluster left running is not touched.
export APPEASEMENT_CLUSTER_STATE="$APPEASEMENT_BUILD_DIR/cluster-test.env"
OUT="$APPEASEMENT_BUILD_DIR/test-output"
rm -rf "$OUT" "$APPEASEMENT_BUILD_DIR/server-test.log"
mkdir -p "$OUT"
SUITE_TIMEOUT=${APPEASEMENT_SUITE_TIMEOUT:-1200}

PASSED=0
FAILED=0
SUMMARY=()

# record SUITE PASSED FAILED [NOTE]
record() {
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	SUMMARY+=("$(printf '  %-28s %5d passed, %5d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}

# run_logged FILE CMD...: runs CMD under the suite time limit, output to
# the terminal and to FILE; returns CMD's status.
run_logged() {
	local file=$1
	shift
	timeout -k 30 "$SUITE_TIMEOUT" "$@" 2>&1 | tee "$file"
	local rc=${PIPESTATUS[0]}
	[ "$rc" -eq 124 ] && err "timed out after ${SUITE_TIMEOUT}s: $*"
	return "$rc"
}

# count_regress FILE: "PASSED FAILED" from pg_regress output (PG <= 15:
# "test name ... ok   12 ms"; PG >= 16: "ok 1 - name   12 ms").
count_regress() {
	awk '
		/ \.\.\. +ok( |$)/ || /^ok [0-9]+ / || / \.\.\. +failed \(ignored\)/ { p++; next }
		/ \.\.\. +FAILED/ || /^not ok [0-9]+ /                           { f++ }
		END { print p + 0, f + 0 }' "$1"
}

# count_last_line FILE: "PASSED FAILED" from the last "<name>: N passed,
# M failed" (or bare "N passed, M failed") line of FILE, or nothing.
count_last_line() {
	sed -n -E 's/^([A-Za-z0-9_.-]+: )?([0-9]+) passed, ([0-9]+) failed.*$/\2 \3/p' "$1" | tail -n 1
}

finish() {
	section "summary"
	if [ ${#SUMMARY[@]} -gt 0 ]; then
		printf '%s\n' "${SUMMARY[@]}"
	fi
	local rc=0
	if [ "$FAILED" -ne 0 ]; then
		rc=1
	elif [ "$PASSED" -eq 0 ]; then
		err "no test ran"
		rc=1
	fi
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	exit "$rc"
}

stop_cluster_at_exit() {
	bash "$APPEASEMENT_SCRIPTS/cluster.sh" stop >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- setup

section "dependencies"
if ! bash "$APPEASEMENT_SCRIPTS/install-deps.sh"; then
	record dependencies 0 1
	finish
fi
require_pg_config

section "build"
BUILD_OK=1
if ! bash "$APPEASEMENT_SCRIPTS/build.sh"; then
	BUILD_OK=0
	record build 0 1 "the server suites did not run"
fi

CLUSTER_OK=0
if [ "$BUILD_OK" -eq 1 ]; then
	section "cluster"
	trap stop_cluster_at_exit EXIT
	trap 'exit 130' INT TERM
	if bash "$APPEASEMENT_SCRIPTS/cluster.sh" start; then
		load_cluster_env
		CLUSTER_OK=1
	else
		record cluster 0 1 "the server suites did not run"
	fi
fi
export APPEASEMENT_ROOT PG_CONFIG PG_BINDIR PGXS_DIR

# ---------------------------------------------------------------- suites

suite_regress() {
	local tests=() f n
	for f in sql/*.sql; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .sql)
		case "$n" in appeasement--*) continue ;; esac
		tests+=("$n")
	done
	[ ${#tests[@]} -gt 0 ] || { log "no tests in sql/"; return; }
	mapfile -t tests < <(printf '%s\n' "${tests[@]}" | LC_ALL=C sort)

	rm -rf results regression.diffs regression.out
	run_logged "$OUT/regress.out" "$PGXS_DIR/src/test/regress/pg_regress" \
		--inputdir=. --bindir="$PG_BINDIR" --use-existing \
		--dbname="$PGDATABASE" --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
		"${tests[@]}"
	local rc=$? p f
	read -r p f < <(count_regress "$OUT/regress.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		record regress "$p" "$f" "pg_regress exited with status $rc"
	else
		record regress "$p" "$f"
	fi
	if [ "$f" -ne 0 ] && [ -s regression.diffs ]; then
		section "regression.diffs"
		cat regression.diffs
	fi
}

suite_isolation() {
	local specs=() f
	for f in test/specs/*.spec; do
		[ -e "$f" ] && specs+=("$(basename "$f" .spec)")
	done
	[ ${#specs[@]} -gt 0 ] || { log "no specs in test/specs/"; return; }
	mapfile -t specs < <(printf '%s\n' "${specs[@]}" | LC_ALL=C sort)

	rm -rf output_iso
	# A step still running after this many seconds and not waiting on
	# another session's lock is cancelled, and the spec fails (default 300).
	PGISOLATIONTIMEOUT=${PGISOLATIONTIMEOUT:-60} run_logged "$OUT/isolation.out" "$PGXS_DIR/src/test/isolation/pg_isolation_regress" \
		--inputdir=test --outputdir=output_iso --bindir="$PG_BINDIR" --use-existing \
		--dbname="$PGDATABASE" --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
		"${specs[@]}"
	local rc=$? p f
	read -r p f < <(count_regress "$OUT/isolation.out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		record isolation "$p" "$f" "pg_isolation_regress exited with status $rc"
	else
		record isolation "$p" "$f"
	fi
	if [ "$f" -ne 0 ] && [ -s output_iso/regression.diffs ]; then
		section "output_iso/regression.diffs"
		cat output_iso/regression.diffs
	fi
}

# One pg_prove per file, so that a file that dies is told apart.  Each
# assertion counts; assertions planned but never run count as failed.
suite_pgtap() {
	local files=() f
	for f in test/pgtap/*.sql; do
		[ -e "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || { log "no pgTAP files in test/pgtap/"; return; }
	mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)
	command -v pg_prove >/dev/null 2>&1 || { record pgtap 0 1 "pg_prove not found"; return; }

	local tp=0 tf=0 rc p fl out
	for f in "${files[@]}"; do
		out="$OUT/pgtap-$(basename "$f" .sql).out"
		run_logged "$out" pg_prove --verbose --ext .sql --psql-bin "$PG_BINDIR/psql" \
			--host "$PGHOST" --port "$PGPORT" --username "$PGUSER" --dbname "$PGDATABASE" "$f"
		rc=$?
		read -r p fl < <(awk '
			/^1\.\.[0-9]+/          { plan = substr($1, 4) + 0 }
			/^not ok [0-9]+/        { if ($0 ~ /# *TODO/) p++; else f++; next }
			/^ok [0-9]+/            { p++ }
			END { if (plan > p + f) f += plan - p - f; print p + 0, f + 0 }' "$out")
		if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then
			fl=1
			err "pgtap: $f: pg_prove exited with status $rc"
		fi
		tp=$((tp + p))
		tf=$((tf + fl))
	done
	record pgtap "$tp" "$tf"
}

# Runs CMD (output to FILE) and records its last "N passed, M failed"
# line under NAME; a missing line or a failing status with no failure
# counted counts as one failure.
run_counted() {
	local name=$1 file=$2
	shift 2
	run_logged "$file" "$@"
	local rc=$? counts p f
	counts=$(count_last_line "$file")
	if [ -z "$counts" ]; then
		record "$name" 0 1 "exit status $rc, no 'N passed, M failed' line"
		return
	fi
	read -r p f <<<"$counts"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		record "$name" "$p" 1 "exit status $rc"
	else
		record "$name" "$p" "$f"
	fi
}

# Scripts may restart or crash the server: each one gets it back running.
suite_scripts() {
	local scripts=() s name
	for s in test/scripts/t-*.sh test/scripts/publisher-restart.sh; do
		[ -f "$s" ] && scripts+=("$s")
	done
	[ ${#scripts[@]} -gt 0 ] || { log "no test scripts"; return; }
	for s in "${scripts[@]}"; do
		name=$(basename "$s" .sh)
		section "script $name"
		run_counted "script $name" "$OUT/script-$name.out" bash "$s"
		if ! "$PG_BINDIR/pg_isready" -q -t 5; then
			warn "the server is down after $name; starting it again"
			"$APPEASEMENT_PG_CTL" -w -t 60 start >/dev/null 2>&1 ||
				record "restart after $name" 0 1 "server did not start"
		fi
	done
}

suite_make() {
	local dir=$1 name=$2
	shift 2
	if [ ! -f "$dir/Makefile" ]; then
		log "no $dir/Makefile"
		return
	fi
	run_counted "$name" "$OUT/$name.out" make -C "$dir" run PG_CONFIG="$PG_CONFIG" "$@"
}

if [ "$CLUSTER_OK" -eq 1 ]; then
	section "pg_regress"
	suite_regress
	section "isolation"
	suite_isolation
	section "pgTAP"
	suite_pgtap
	suite_scripts
fi
section "unit"
suite_make test/unit unit
section "fuzz"
suite_make test/fuzz fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

# ---------------------------------------------------------------- teardown

if [ "$CLUSTER_OK" -eq 1 ]; then
	section "cluster"
	if [ "$FAILED" -ne 0 ]; then
		bash "$APPEASEMENT_SCRIPTS/cluster.sh" stop --keep-log "$APPEASEMENT_BUILD_DIR/server-test.log"
		if [ -f "$APPEASEMENT_BUILD_DIR/server-test.log" ]; then
			section "server log (tail; whole log in .build/server-test.log)"
			tail -n 60 "$APPEASEMENT_BUILD_DIR/server-test.log"
		fi
	else
		bash "$APPEASEMENT_SCRIPTS/cluster.sh" stop
	fi
	trap - EXIT
fi
finish
