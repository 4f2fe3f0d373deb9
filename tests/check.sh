#!/bin/bash
# Everything `make check` runs, stage by stage.  Each stage records one or
# more TAP streams in build/results (tests/tap-lib.sh: NAME.tap, NAME.rc,
# NAME.log) and names them in build/results/expected before it runs; a
# failing stage does not stop the others.  At the end perl's TAP::Harness
# judges every stream (tests/tap-judge): a stream fails when it has no
# plan, reports fewer or more cases than its plan, has a failing case or
# exited non-zero, and a skip fails unless its reason is one that make
# check cannot remove (tests/skips-allowed).  The run ends with
# "N passed, N failed, N skipped".
#
# Environment (the Makefile sets these): KVER, KVER_BPO, MAKE.
set -u
: "${KVER:?}" "${MAKE:=make}"
here=$(cd "$(dirname "$0")" && pwd)
export TAP_DIR=$PWD/build/results
rm -rf "$TAP_DIR"
mkdir -p "$TAP_DIR"
: >"$TAP_DIR/expected"
# shellcheck source=tests/tap-lib.sh
. "$here/tap-lib.sh"

# say LINE: progress on the terminal.
say() {
	echo "# $(date +%T) $*"
}

# show NAME...: the cases of streams just recorded, on the terminal.
show() {
	local n
	for n in "$@"; do
		grep -hE '^(not )?ok ' "$TAP_DIR/$n.tap" 2>/dev/null | sed "s/^/$n: /"
	done
}

# guest ID ENV...: the guest suites in one QEMU guest (tests/run-guest),
# with the given environment: a stream ID.SUITE for each suite and
# ID.host for the host's checks.
guest() {
	local id=$1
	shift
	say "guest $id"
	env "$@" GUEST_BIN=build/guest PATTERN=build/host/pattern \
		STALLFS=build/host/stallfs \
		tests/run-guest "$id" >"$TAP_DIR/$id.log" 2>&1
	tail -n 1 "$TAP_DIR/$id.log"
}

modpath() {
	"$MAKE" -s --no-print-directory module-path "$@"
}

# bg_start ID COMMAND...: start a long build (a kernel or an image) in
# the background, niced, so that it overlaps with the stages that follow;
# bg_wait ID WHAT records it as one case once it ends.
declare -A bg_pid
bg_start() {
	local id=$1
	shift
	tap_expect "$id"
	nice -n 10 "$@" >"$TAP_DIR/$id.log" 2>&1 &
	bg_pid[$id]=$!
}
bg_wait() {
	local id=$1 what=$2 rc=0
	wait "${bg_pid[$id]}" || rc=$?
	tap_build_result "$id" "$what" "$rc"
	show "$id"
	return "$rc"
}

# The debug kernel takes longest to build (about 15 minutes on 2 cores the
# first time, then cached): start it first.
bg_start debug-kernel scripts/build-debug-kernel.sh
# The Debian 12 guest's root filesystem (tests/debian-guest/run), also cached.
bg_start debian-guest-image scripts/build-debian-guest.sh

# The streams of the stages below that run only if an earlier step
# passed: a stage that never ran fails.
# t_lib: the library's renameat and unlinkat against QEMU's server (7
# cases; Debian 12's diod lacks both), its tree checked in ID.host; and
# its put of a file, spliced into the channel (1 case).
GUEST_SUITES="t_chan t_session t_reset t_stress t_stall t_lib t_cmd t_unplug t_msize t_module t_choose"
# virtio-mmio devices cannot be unplugged: t_unplug is for PCI.
MMIO_SUITES=${GUEST_SUITES/ t_unplug/}
guest_streams() { # ID SUITES
	local s
	for s in $2; do
		tap_expect "$1.$s"
	done
	tap_expect "$1.host"
}

say "builds and lint"
tap_build module "vio9p.ko builds with W=1 and no warnings" \
	"$MAKE" module W=1 KCFLAGS=-Werror
tap_build lint "checkpatch --strict, mandoc -Tlint and shellcheck are clean" \
	"$MAKE" lint
tap_build sparse "sparse (C=2) finds nothing in the driver" "$MAKE" sparse
tap_build guest-build "guest test programs build" "$MAKE" guest-tests
show module lint sparse guest-build

# The library and the command, under ASan and UBSan, against a real diod.
say "library and command"
tap_expect lib.test_marshal lib.test_parse lib.test_rpc lib.test_diod lib.fuzz
tap_build lib "the library and its tests build, and its test runner ends" \
	"$MAKE" -C lib check
tap_record cmd "$MAKE" -s --no-print-directory -C cmd check
show lib lib.test_marshal lib.test_parse lib.test_rpc lib.test_diod lib.fuzz cmd

# The driver in a guest of the Debian kernel it was built for, on
# virtio-pci (modern and transitional devices), then on virtio-mmio (a
# microvm; tests/vm.sh says how its boot hang was cured).
ko=$(modpath)
guest_streams "debian-$KVER" "$GUEST_SUITES"
guest "debian-$KVER" GUEST_KVER="$KVER" VIO9P_KO="$ko" SUITES="$GUEST_SUITES"
# Suspend to RAM and resume with a channel in use (QMP system_wakeup).
tap_record "suspend-$KVER" env GUEST_KVER="$KVER" VIO9P_KO="$ko" \
	GUEST_BIN=build/guest tests/suspend/run-guest "suspend-$KVER"
show "suspend-$KVER"
guest_streams "mmio-$KVER" "$MMIO_SUITES"
guest "mmio-$KVER" GUEST_KVER="$KVER" VIO9P_KO="$ko" VM_TRANSPORT=mmio \
	SUITES="$MMIO_SUITES"

# The same suites on bookworm-backports' kernel (6.12) under its QEMU
# (10.0, unpacked beside the system's 7.2 by scripts/qemu-backports.sh);
# scripts/backports-deps.sh installed both.
bpo=/usr/src/linux-headers-${KVER_BPO:-none}
guest_streams "debian-bpo" "$GUEST_SUITES"
tap_expect suspend-bpo
if tap_build bpo-module "vio9p.ko builds for ${KVER_BPO:-the backports kernel} with W=1 and no warnings" \
	"$MAKE" module KDIR="$bpo" W=1 KCFLAGS=-Werror &&
	tap_build bpo-qemu "QEMU of bookworm-backports is unpacked" \
		scripts/qemu-backports.sh; then
	# QEMU 10.0's multi-threaded TCG was seen to abort on the QMP
	# unplug (iotlb_to_section: Assertion `section_index <
	# d->map.sections_nb' failed) while the other vCPU ran: one thread.
	guest "debian-bpo" GUEST_KVER="$KVER_BPO" VM_ACCEL=tcg,thread=single \
		VIO9P_KO="$(modpath KDIR="$bpo")" SUITES="$GUEST_SUITES" \
		QEMU="$(tail -n 1 "$TAP_DIR/bpo-qemu.log")"
	tap_record suspend-bpo env GUEST_KVER="$KVER_BPO" \
		VIO9P_KO="$(modpath KDIR="$bpo")" GUEST_BIN=build/guest \
		VM_ACCEL=tcg,thread=single \
		QEMU="$(tail -n 1 "$TAP_DIR/bpo-qemu.log")" \
		tests/suspend/run-guest suspend-bpo
	show suspend-bpo
fi
tap_build bpo-sparse "sparse (C=2) finds nothing in the driver for ${KVER_BPO:-the backports kernel}" \
	"$MAKE" sparse KDIR="$bpo"
show bpo-sparse

# vio9p mount (FUSE): against diod here, then as a non-root user in a guest.
# The guest runs under QEMU 10: QEMU 7.2's server fails every mknod with
# ENXIO, which would turn t_users' FIFO case into a skip.
say "fuse"
qemu10=$(tail -n 1 "$TAP_DIR/bpo-qemu.log" 2>/dev/null)
tap_expect fuse-host fuse-guest
tap_build fuse "make check-fuse builds and its runners end" \
	env QEMU="${qemu10:-qemu-system-x86_64}" VM_ACCEL=tcg,thread=single \
	"$MAKE" check-fuse KVER="$KVER"
show fuse fuse-host fuse-guest

# Packaging: make install/uninstall in a scratch DESTDIR, make deb with
# lintian, and udev/60-vio9p.rules under systemd-udevd in a guest.
say "packaging"
tap_counted install 12 tests/install.sh
tap_counted deb 14 tests/deb.sh
tap_expect udev
tap_build udev-build "vio9p_id builds" "$MAKE" udev &&
	tap_counted udev 33 env GUEST_KVER="$KVER" VIO9P_KO="$ko" \
		VIO9P_ID=build/udev/vio9p_id VIO9P_ID_SAN=build/udev/vio9p_id-san \
		tests/udev/run-guest udev
show install deb udev-build udev

# vio9p relay: on the host against diod (ASan, UBSan), then in a guest
# where v9fs mounts through it (trans=unix, trans=fd) with a 60 s soak.
say "relay"
tap_record relay "$MAKE" -s --no-print-directory -C cmd check-relay
# The guest's fairness case (a client whose reads block in QEMU does not
# starve the others) runs with QEMU's thread pool kept at 40 threads:
# tests/vm.sh (vm_boot) says why.
tap_counted relay-guest 30 env GUEST_KVER="$KVER" VIO9P_KO="$ko" \
	tests/relay/run-guest relay-guest
show relay relay-guest

# The packages of build/deb (tests/deb.sh) on a real Debian 12 guest with
# systemd: DKMS, the module at boot beside v9fs, udev, a user, the relay, a
# kernel upgrade, purge.  Its timings are in build/results/debian-guest.out.
# It runs before the debug kernel's guests, so that the debug kernel's
# build goes on meanwhile.
say "debian guest"
tap_expect debian-guest
if bg_wait debian-guest-image "Debian 12 guest image builds (cached under ~/.cache/vio9p)"; then
	tap_counted debian-guest 59 tests/debian-guest/run
	show debian-guest
	grep '^# time' "$TAP_DIR/debian-guest.out"
fi

# The same suites on a debug kernel (KASAN, lockdep, kmemleak, UBSAN),
# built once and cached: on virtio-pci and virtio-mmio, and the FUSE
# mount, udev and relay guests too.
say "debug kernel"
guest_streams "debug" "$GUEST_SUITES"
guest_streams "debug-mmio" "$MMIO_SUITES"
tap_expect debug-fuse-guest debug-udev debug-relay-guest
if bg_wait debug-kernel "debug kernel builds (cached under ~/.cache/vio9p)"; then
	dbg=$(tail -n 1 "$TAP_DIR/debug-kernel.log")
	if tap_build debug-module "vio9p.ko builds for the debug kernel with W=1" \
		"$MAKE" module KDIR="$dbg/src" W=1 KCFLAGS=-Werror; then
		dbg_env=(GUEST_KVER="$(cat "$dbg/release")"
			GUEST_KERNEL="$dbg/vmlinuz" GUEST_MODDIR="$dbg/modules"
			VIO9P_KO="$(modpath KDIR="$dbg/src")" VM_MEM=1536)
		guest "debug" "${dbg_env[@]}" SUITES="$GUEST_SUITES" \
			VM_APPEND=VIO9P_TEST_CYCLES=2000 KMEMLEAK=1
		guest "debug-mmio" "${dbg_env[@]}" SUITES="$MMIO_SUITES" \
			VM_TRANSPORT=mmio VM_APPEND=VIO9P_TEST_CYCLES=500 KMEMLEAK=1
		say "debug kernel: fuse, udev, relay"
		tap_record debug-fuse-guest env "${dbg_env[@]}" \
			QEMU="${qemu10:-qemu-system-x86_64}" VM_ACCEL=tcg,thread=single \
			GUEST_BIN=build/guest PATTERN=build/host/pattern \
			VIO9P_CMD=cmd/vio9p-static WORK=build/vm/debug-fuse \
			tests/fuse/run-guest
		tap_counted debug-udev 33 env "${dbg_env[@]}" \
			VIO9P_ID=build/udev/vio9p_id VIO9P_ID_SAN=build/udev/vio9p_id-san \
			tests/udev/run-guest debug-udev
		tap_counted debug-relay-guest 30 env "${dbg_env[@]}" \
			tests/relay/run-guest debug-relay-guest
		show debug-fuse-guest debug-udev debug-relay-guest
	fi
fi

echo
"$here/tap-judge" --skips "$here/skips-allowed" "$TAP_DIR"
