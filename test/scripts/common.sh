# common.sh: shell functions shared by the scripts in test/scripts.
#
# Sourced, never run.  Sets APPEASEMENT_ROOT (the repository), PG_CONFIG,
# PG_BINDIR and PGXS_DIR (once PostgreSQL is installed), and defines the
# log helpers and the helpers that run a command as the owner of the
# throwaway cluster (the "postgres" OS user when we are root, ourselves
# otherwise).
#
# Environment read:
#   PG_CONFIG              pg_config to use (default: PostgreSQL 15's)
#   APPEASEMENT_PG_MAJOR   major version looked for when PG_CONFIG is unset (15)

# Sourced twice is harmless, but do the work once.
if [ -n "${APPEASEMENT_COMMON_SOURCED:-}" ]; then
	return 0
fi
APPEASEMENT_COMMON_SOURCED=1

APPEASEMENT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
APPEASEMENT_SCRIPTS="$APPEASEMENT_ROOT/test/scripts"
APPEASEMENT_PG_MAJOR=${APPEASEMENT_PG_MAJOR:-15}
APPEASEMENT_BUILD_DIR="$APPEASEMENT_ROOT/.build"

# ---------------------------------------------------------------- logging

# Colour only on a terminal, never in CI logs.
if [ -t 1 ] && [ -z "${CI:-}" ] && [ -z "${NO_COLOR:-}" ]; then
	_c_bold=$'\033[1m' _c_red=$'\033[31m' _c_yellow=$'\033[33m' _c_reset=$'\033[0m'
else
	_c_bold='' _c_red='' _c_yellow='' _c_reset=''
fi

log()     { printf '%s\n' "==> $*"; }
warn()    { printf '%s\n' "${_c_yellow}warning:${_c_reset} $*" >&2; }
err()     { printf '%s\n' "${_c_red}error:${_c_reset} $*" >&2; }
die()     { err "$@"; exit 1; }
section() { printf '\n%s\n' "${_c_bold}======== $* ========${_c_reset}"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- PostgreSQL

# Sets PG_CONFIG, PG_BINDIR and PGXS_DIR (the directory of pgxs.mk's
# tree: $PGXS_DIR/src/test/regress/pg_regress).  Returns 1, with nothing
# set, when no pg_config is found.
find_pg_config() {
	local cand=${PG_CONFIG:-}
	if [ -z "$cand" ]; then
		if [ -x "/usr/lib/postgresql/$APPEASEMENT_PG_MAJOR/bin/pg_config" ]; then
			cand="/usr/lib/postgresql/$APPEASEMENT_PG_MAJOR/bin/pg_config"
		else
			cand=$(command -v pg_config 2>/dev/null) || return 1
		fi
	fi
	"$cand" --version >/dev/null 2>&1 || return 1
	PG_CONFIG=$cand
	PG_BINDIR=$("$PG_CONFIG" --bindir)
	# --pgxs prints .../lib/pgxs/src/makefiles/pgxs.mk
	PGXS_DIR=$(cd "$(dirname "$("$PG_CONFIG" --pgxs)")/../.." && pwd)
	export PG_CONFIG PG_BINDIR PGXS_DIR
}

require_pg_config() {
	find_pg_config || die "pg_config for PostgreSQL $APPEASEMENT_PG_MAJOR not found; run: bash test/scripts/install-deps.sh"
}

# The OS user that owns and runs the throwaway cluster.
cluster_os_user() {
	if is_root; then echo postgres; else id -un; fi
}

# as_cluster_owner CMD ARGS...: runs CMD as the cluster's OS user.  From
# root that is "postgres" through runuser, started in / so that an
# unreadable working directory (/root) does not bother it.
as_cluster_owner() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Where cluster.sh records the running cluster (sourced by callers).
# demo.sh and a bare "cluster.sh start" use the default; run-tests.sh and
# bench.sh keep their own so a demo cluster left running is not touched.
cluster_state_file() {
	echo "${APPEASEMENT_CLUSTER_STATE:-$APPEASEMENT_BUILD_DIR/cluster.env}"
}

# Loads the cluster's environment (PGHOST, PGPORT, ...) from the state
# file.  Returns 1 when there is none.
load_cluster_env() {
	local f
	f=$(cluster_state_file)
	[ -f "$f" ] || return 1
	# shellcheck disable=SC1090
	. "$f"
}

# A libpq connection string for the cluster in the environment.
cluster_conninfo() {
	echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"
}

# psql_q SQL: runs one statement in the cluster's database, quietly,
# stopping on the first error, and prints unaligned tuples only.
psql_q() {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At -c "$1"
}
