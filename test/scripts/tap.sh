# tap.sh: the counters and TAP lines of the test scripts (t-*.sh,
# publisher-restart.sh).  Sourced, never run.  The scripts print
# "ok - ..." / "not ok - ..." per check and end with their own
# "<name>: N passed, M failed" line, which run-tests.sh adds up.

PASSED=0
FAILED=0

log() { printf '==> %s\n' "$*"; }

pass() {
	PASSED=$((PASSED + 1))
	printf 'ok - %s\n' "$1"
}

fail() {
	FAILED=$((FAILED + 1))
	printf 'not ok - %s\n' "$1"
}
