#!/usr/bin/env bash
# install-deps.sh: makes sure the Debian packages needed to build, test,
# demo and benchmark the extension are installed.
#
# As root: installs whatever is missing (one "apt-get update", then
# "apt-get install --no-install-recommends").  As another user: prints
# the command to run and exits 1 when something is missing.
#
# Debian's postgresql-15 package may create and start its own "main"
# cluster on port 5432; it is harmless and never used: the scripts run
# their own throwaway cluster (cluster.sh).
#
# Environment: APPEASEMENT_SKIP_DEPS=1 skips the check altogether.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ -n "${APPEASEMENT_SKIP_DEPS:-}" ]; then
	log "dependencies: check skipped (APPEASEMENT_SKIP_DEPS)"
	exit 0
fi

v=$APPEASEMENT_PG_MAJOR
packages=(
	"postgresql-$v"                         # server, initdb, pg_ctl, pgbench
	"postgresql-server-dev-$v"              # pg_config, PGXS, pg_regress, pg_isolation_regress
	"postgresql-$v-pgtap"                   # pgTAP extension
	libtap-parser-sourcehandler-pgtap-perl  # pg_prove
	libpq-dev                               # libpq for test/tools
	make gcc libc6-dev
	clang libclang-rt-14-dev                # fuzzing (-fsanitize=fuzzer)
	util-linux                              # runuser, flock
	coreutils                               # timeout, mktemp
)

if ! command -v dpkg-query >/dev/null 2>&1; then
	warn "not a Debian system (no dpkg-query): cannot check packages; make sure these are installed: ${packages[*]}"
	exit 0
fi

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	log "dependencies: all installed"
	exit 0
fi

if ! is_root; then
	err "missing Debian packages: ${missing[*]}"
	echo "Install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

log "dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
apt-get "${apt_opts[@]}" update -q
apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}" </dev/null
log "dependencies: installed"
