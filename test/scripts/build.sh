#!/usr/bin/env bash
# build.sh: builds and installs the extension, then the test tools.
#
#   make                  (WERROR=1 when CI is set)
#   make install          (through sudo when not root and the PostgreSQL
#                          directories are not writable)
#   make -C test/tools    (when test/tools has a Makefile: listen_events,
#                          event_latency into test/bin/)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_pg_config
cd "$APPEASEMENT_ROOT"

make_args=("PG_CONFIG=$PG_CONFIG")
if [ -n "${CI:-}" ]; then
	make_args+=(WERROR=1)
fi
jobs=$(nproc 2>/dev/null || echo 2)

log "build: make ${make_args[*]}"
make -j"$jobs" "${make_args[@]}"

# make install writes to pkglibdir and sharedir/extension (and the
# bitcode directory under pkglibdir).
needs_sudo() {
	is_root && return 1
	local d
	for d in "$("$PG_CONFIG" --pkglibdir)" "$("$PG_CONFIG" --sharedir)/extension"; do
		[ -w "$d" ] || return 0
	done
	return 1
}

if needs_sudo; then
	command -v sudo >/dev/null 2>&1 ||
		die "make install needs root to write to $("$PG_CONFIG" --pkglibdir); install sudo or run as root"
	log "build: sudo make install"
	sudo make install "${make_args[@]}"
else
	log "build: make install"
	make install "${make_args[@]}"
fi

if [ -f test/tools/Makefile ]; then
	log "build: make -C test/tools"
	make -C test/tools "${make_args[@]}"
fi
log "build: done"
