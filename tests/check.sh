#!/bin/bash
# Everything `make check` runs, stage by stage, as one TAP stream: each
# stage's results are kept under build/results, a failing stage does not
# stop the others, and the run ends with "N passed, N failed".
#
# Environment (the Makefile sets these): KVER, MAKE.
set -u
: "${KVER:?}" "${MAKE:=make}"
results=build/results
rm -rf "$results"
mkdir -p "$results"

# stage NAME COMMAND...: one TAP line for a command that passes or fails
# as a whole; its output goes to $results/NAME.log.
stage() {
	local name=$1
	shift
	if "$@" >"$results/$name.log" 2>&1; then
		echo "ok - build: $name" | tee "$results/$name.tap"
	else
		echo "not ok - build: $name" | tee "$results/$name.tap"
		tail -n 30 "$results/$name.log" | sed 's/^/# /'
	fi
}

stage "vio9p.ko builds with W=1 and no warnings" \
	"$MAKE" module W=1 KCFLAGS=-Werror
stage "checkpatch --strict, mandoc -Tlint and shellcheck are clean" "$MAKE" lint
stage "guest test programs build" "$MAKE" guest-tests

# suite NAME INDENT COMMAND...: a command that writes TAP of its own; each
# of its cases (lines indented by INDENT) becomes "ok - NAME: case".
suite() {
	local name=$1 indent=$2 rc=0
	shift 2
	"$@" >"$results/$name.log" 2>&1 || rc=$?
	sed -n "s/^$indent\(\(not \)\{0,1\}ok\) [0-9]* \(.*\)/\1 - $name: \3/p" \
		"$results/$name.log" | tee "$results/$name.tap"
	if [ "$rc" != 0 ] && ! grep -q '^not ok' "$results/$name.tap"; then
		echo "not ok - $name: exited with status $rc" |
			tee -a "$results/$name.tap"
		tail -n 30 "$results/$name.log" | sed 's/^/# /'
	fi
}

# The library and the command, under ASan and UBSan, against a real diod.
suite lib "    " "$MAKE" -C lib check
suite cmd "" "$MAKE" -C cmd check

# The driver in a guest of the Debian kernel it was built for.
ko=$("$MAKE" -s module-path)
GUEST_KVER=$KVER VIO9P_KO=$ko GUEST_BIN=build/guest \
	PATTERN=build/host/pattern tests/run-guest "debian-$KVER" |
	tee "$results/guest-debian.tap"
VM_TRANSPORT=mmio GUEST_KVER=$KVER VIO9P_KO=$ko GUEST_BIN=build/guest \
	PATTERN=build/host/pattern tests/run-guest "debian-$KVER-mmio" |
	tee "$results/guest-debian-mmio.tap"

# The same suites on a debug kernel (KASAN, lockdep, kmemleak, UBSAN),
# built once and cached.
stage "debug kernel builds (cached in ~/.cache/vio9p)" \
	scripts/build-debug-kernel.sh
dbg=$(tail -n 1 "$results/debug kernel builds (cached in ~/.cache/vio9p).log")
if [ -f "$dbg/done" ]; then
	stage "vio9p.ko builds for the debug kernel with W=1" \
		"$MAKE" module KDIR="$dbg/src" W=1 KCFLAGS=-Werror
	ko=$("$MAKE" -s module-path KDIR="$dbg/src")
	GUEST_KVER=$(cat "$dbg/release") GUEST_KERNEL=$dbg/vmlinuz \
		GUEST_MODDIR=$dbg/modules VIO9P_KO=$ko VM_MEM=1536 \
		GUEST_BIN=build/guest PATTERN=build/host/pattern \
		tests/run-guest debug-6.1 | tee "$results/guest-debug.tap"
fi

echo
tests/tap-summary "$results"/*.tap
