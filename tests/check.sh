#!/bin/bash
# Everything `make check` runs, stage by stage, as one TAP stream: each
# stage's output is kept under build/results/<id>.log, a failing stage does
# not stop the others, and the run ends with "N passed, N failed".  A stage
# that fails without reporting a failing case counts as one.
#
# Environment (the Makefile sets these): KVER, KVER_BPO, MAKE.
set -u
: "${KVER:?}" "${MAKE:=make}"
results=build/results
all=$results/all.tap
rm -rf "$results"
mkdir -p "$results"
: >"$all"

# emit: copy TAP lines from stdin to the terminal and to the run's record.
emit() {
	tee -a "$all"
}

# failed ID WHAT STATUS: report a stage that failed, with its log's tail.
failed() {
	echo "not ok - $2: exited with status $3" | emit
	tail -n 30 "$results/$1.log" | sed 's/^/# /'
}

# stage ID WHAT COMMAND...: one case for a command that passes or fails as
# a whole.
stage() {
	local id=$1 what=$2 rc=0
	shift 2
	"$@" >"$results/$id.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok - build: $what" | emit
	else
		failed "$id" "build: $what" "$rc"
	fi
	return "$rc"
}

# suite ID INDENT COMMAND...: a command that writes TAP of its own; each of
# its cases (lines indented by INDENT) becomes "ok - ID: case".
suite() {
	local id=$1 indent=$2 rc=0
	shift 2
	"$@" >"$results/$id.log" 2>&1 || rc=$?
	sed -n "s/^$indent\\(\\(not \\)\\{0,1\\}ok\\) [0-9]* \\(.*\\)/\\1 - $id: \\3/p" \
		"$results/$id.log" | emit
	if [ "$rc" != 0 ] && ! grep -q "^not ok - $id:" "$all"; then
		failed "$id" "$id" "$rc"
	fi
}

# guest ID ENV...: the guest suites in one QEMU guest (tests/run-guest),
# with the given environment.
guest() {
	local id=$1 rc=0
	shift
	env "$@" GUEST_BIN=build/guest PATTERN=build/host/pattern \
		STALLFS=build/host/stallfs \
		tests/run-guest "$id" >"$results/$id.log" 2>&1 || rc=$?
	grep -E '^(not )?ok - ' "$results/$id.log" | emit
	grep '^# ' "$results/$id.log" | head -n 40
	if [ "$rc" != 0 ] && ! grep -q "^not ok - $id:" "$all"; then
		failed "$id" "$id" "$rc"
	fi
}

# bg_start ID COMMAND...: start a long stage (a kernel or image build) in
# the background, niced, so that it overlaps with the stages that follow;
# bg_wait ID WHAT reports it like `stage` once it ends.
declare -A bg_pid
bg_start() {
	local id=$1
	shift
	nice -n 10 "$@" >"$results/$id.log" 2>&1 &
	bg_pid[$id]=$!
}
bg_wait() {
	local id=$1 what=$2 rc=0
	wait "${bg_pid[$id]}" || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok - build: $what" | emit
	else
		failed "$id" "build: $what" "$rc"
	fi
	return "$rc"
}

# tap ID COMMAND...: a command that prints "ok - ID: ..." lines itself.
tap() {
	local id=$1 rc=0
	shift
	"$@" >"$results/$id.log" 2>&1 || rc=$?
	grep -E '^(not )?ok - ' "$results/$id.log" | emit
	if [ "$rc" != 0 ] && ! grep -q "^not ok - $id:" "$all"; then
		failed "$id" "$id" "$rc"
	fi
}

modpath() {
	"$MAKE" -s --no-print-directory module-path "$@"
}

# The debug kernel takes longest to build (about 20 minutes on 2 cores the
# first time, then cached): start it first.
bg_start debug-kernel scripts/build-debug-kernel.sh
# The Debian 12 guest's root filesystem (tests/debian-guest/run), also cached.
bg_start debian-guest-image scripts/build-debian-guest.sh

stage module "vio9p.ko builds with W=1 and no warnings" \
	"$MAKE" module W=1 KCFLAGS=-Werror
stage lint "checkpatch --strict, mandoc -Tlint and shellcheck are clean" \
	"$MAKE" lint
stage guest-build "guest test programs build" "$MAKE" guest-tests

# The library and the command, under ASan and UBSan, against a real diod.
suite lib "    " "$MAKE" -C lib check
suite cmd "" "$MAKE" -C cmd check

# The driver in a guest of the Debian kernel it was built for, on
# virtio-pci (modern and transitional devices), then on virtio-mmio (a
# microvm; tests/vm.sh says how its boot hang was cured).
ko=$(modpath)
guest "debian-$KVER" GUEST_KVER="$KVER" VIO9P_KO="$ko"
guest "mmio-$KVER" GUEST_KVER="$KVER" VIO9P_KO="$ko" VM_TRANSPORT=mmio

# The same suites on bookworm-backports' kernel (6.12) under its QEMU
# (10.0, unpacked beside the system's 7.2 by scripts/qemu-backports.sh);
# scripts/backports-deps.sh installed both.
bpo=/usr/src/linux-headers-${KVER_BPO:-none}
if stage bpo-module "vio9p.ko builds for ${KVER_BPO:-the backports kernel} with W=1 and no warnings" \
	"$MAKE" module KDIR="$bpo" W=1 KCFLAGS=-Werror &&
	stage bpo-qemu "QEMU of bookworm-backports is unpacked" \
		scripts/qemu-backports.sh; then
	guest "debian-$KVER_BPO" GUEST_KVER="$KVER_BPO" \
		VIO9P_KO="$(modpath KDIR="$bpo")" \
		QEMU="$(tail -n 1 "$results/bpo-qemu.log")"
fi

# vio9p mount (FUSE): against diod here, then as a non-root user in a guest.
suite fuse "" "$MAKE" check-fuse KVER="$KVER"

# Packaging: make install/uninstall in a scratch DESTDIR, make deb with
# lintian, and udev/60-vio9p.rules under systemd-udevd in a guest.
tap install tests/install.sh
tap deb tests/deb.sh
stage udev-build "vio9p_id builds" "$MAKE" udev &&
	tap udev env GUEST_KVER="$KVER" VIO9P_KO="$ko" \
		VIO9P_ID=build/udev/vio9p_id VIO9P_ID_SAN=build/udev/vio9p_id-san \
		tests/udev/run-guest udev

# vio9p relay: on the host against diod (ASan, UBSan), then in a guest
# where v9fs mounts through it (trans=unix, trans=fd) with a 60 s soak.
suite relay "" "$MAKE" -C cmd check-relay
tap relay-guest env GUEST_KVER="$KVER" VIO9P_KO="$ko" \
	tests/relay/run-guest relay-guest

# The same suites on a debug kernel (KASAN, lockdep, kmemleak, UBSAN),
# built once and cached.
if bg_wait debug-kernel "debug kernel builds (cached under ~/.cache/vio9p)"; then
	dbg=$(tail -n 1 "$results/debug-kernel.log")
	if stage debug-module "vio9p.ko builds for the debug kernel with W=1" \
		"$MAKE" module KDIR="$dbg/src" W=1 KCFLAGS=-Werror; then
		guest "debug-$(cat "$dbg/release")" \
			GUEST_KVER="$(cat "$dbg/release")" \
			GUEST_KERNEL="$dbg/vmlinuz" GUEST_MODDIR="$dbg/modules" \
			VIO9P_KO="$(modpath KDIR="$dbg/src")" VM_MEM=1536 \
			VM_APPEND=VIO9P_TEST_CYCLES=2000
	fi
fi

# The packages of build/deb (tests/deb.sh) on a real Debian 12 guest with
# systemd: DKMS, the module at boot beside v9fs, udev, a user, the relay, a
# kernel upgrade, purge.  Its timings are in build/results/debian-guest.log.
if bg_wait debian-guest-image "Debian 12 guest image builds (cached under ~/.cache/vio9p)"; then
	tap debian-guest tests/debian-guest/run
	grep '^# time' "$results/debian-guest.log"
fi

echo
tests/tap-summary "$all"
