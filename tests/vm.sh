# shellcheck shell=bash
# Helpers to build a busybox initramfs guest with vio9p and boot it under
# QEMU; sourced by tests/run-guest and scripts/demo.
#
# Needs: GUEST_KVER, VIO9P_KO; optional GUEST_KERNEL, GUEST_MODDIR, QEMU,
# VM_ACCEL, VM_MEM (MiB, default 512), VM_SMP (vCPUs, default 2), VM_POOL_MIN
# (QEMU main-loop worker threads kept, default 40; see vm_boot).

GUEST_KERNEL=${GUEST_KERNEL:-/boot/vmlinuz-$GUEST_KVER}
GUEST_MODDIR=${GUEST_MODDIR:-/lib/modules/$GUEST_KVER}
QEMU=${QEMU:-qemu-system-x86_64}
VIRTIO_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_mmio"
# The kernel's own 9P stack, in load order; copied (those that are
# modules) but not loaded.
V9FS_MODULES="netfs fscache 9pnet 9pnet_virtio 9p"

# vm_module NAME DEST: copy module NAME of the guest kernel, uncompressed.
vm_module() {
	local src
	src=$(find "$GUEST_MODDIR/kernel" -name "$1.ko*" | head -n 1)
	if [ -z "$src" ]; then
		echo "vm: no $1 module in $GUEST_MODDIR" >&2
		return 1
	fi
	case $src in
	*.xz) xz -dc "$src" >"$2" ;;
	*.zst) zstd -qdc "$src" >"$2" ;;
	*) cp "$src" "$2" ;;
	esac
}

# vm_builtin NAME: whether module NAME is built into the guest kernel.
vm_builtin() {
	grep -q "/$1\.ko\$" "$GUEST_MODDIR/modules.builtin" 2>/dev/null
}

# vm_root DIR: lay out busybox, the virtio modules (in load order, listed in
# lib/modules/order), the 9P stack (lib/modules/v9fs/, order in its
# order file) and vio9p.ko (lib/vio9p/vio9p.ko) under DIR.
vm_root() {
	local root=$1 m
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,lib/modules/v9fs,lib/vio9p}
	cp /bin/busybox "$root/bin/busybox"
	: >"$root/lib/modules/order"
	# Debian's 6.12 builds the virtio core and virtio_pci in.
	for m in $VIRTIO_MODULES; do
		vm_builtin "$m" && continue
		vm_module "$m" "$root/lib/modules/$m.ko" || return 1
		echo "$m" >>"$root/lib/modules/order"
	done
	: >"$root/lib/modules/v9fs/order"
	# A kernel may build some of these in, or not need them.
	for m in $V9FS_MODULES; do
		vm_module "$m" "$root/lib/modules/v9fs/$m.ko" 2>/dev/null &&
			echo "$m" >>"$root/lib/modules/v9fs/order"
	done
	cp "$VIO9P_KO" "$root/lib/vio9p/vio9p.ko"
}

# vm_bin ROOT PROGRAM...: copy dynamically linked PROGRAMs (full paths) into
# ROOT at the same paths, with the shared libraries ldd names for them.
vm_bin() {
	local root=$1 p f
	shift
	for p in "$@"; do
		if [ ! -e "$p" ]; then
			echo "vm: no $p" >&2
			return 1
		fi
		for f in "$p" $(ldd "$p" 2>/dev/null | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$f")"
			cp -L "$f" "$root$f"
		done
	done
}

# vm_kmods ROOT NAME...: copy the guest kernel's modules NAME (those that are
# modules: a kernel may build some in) to ROOT/lib/modules/extra/, in order,
# listed in its order file; `vm_load_extra` in /init loads them.
vm_kmods() {
	local root=$1 m
	shift
	mkdir -p "$root/lib/modules/extra"
	for m in "$@"; do
		vm_module "$m" "$root/lib/modules/extra/$m.ko" 2>/dev/null &&
			echo "$m" >>"$root/lib/modules/extra/order"
	done
	return 0
}

# vm_init_head OUT [VIO9P-PARAMS]: the start of every guest's /init: mounts,
# then the modules; OUT is the guest device that failures are reported on,
# VIO9P-PARAMS the module parameters vio9p is loaded with (e.g. tags=a,b).
vm_init_head() {
	printf '#!/bin/busybox sh\nout=%s\nvio9p_params="%s"\n' "$1" "${2:-}"
	cat <<'EOF_INIT'
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m.ko || echo "# insmod $m failed" >$out
done
insmod /lib/vio9p/vio9p.ko $vio9p_params || echo "# insmod vio9p failed" >$out
# vm_load_extra: the modules vm_kmods copied, in order.
vm_load_extra() {
	for m in $(cat /lib/modules/extra/order 2>/dev/null); do
		insmod /lib/modules/extra/$m.ko || echo "# insmod $m failed" >$out
	done
}
EOF_INIT
}

# vm_pack DIR FILE: DIR as a gzipped newc cpio archive.
vm_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}

# vm_fsdev ID PATH TAG [EXTRA]: QEMU arguments for one virtio-9p device, on
# PCI, or on MMIO when VM_TRANSPORT=mmio (where EXTRA is dropped: it holds
# PCI properties).
vm_fsdev() {
	local dev=virtio-9p-pci extra=${4:-}
	if [ "${VM_TRANSPORT:-pci}" = mmio ]; then
		dev=virtio-9p-device
		extra=
	fi
	printf -- '-fsdev local,id=%s,path=%s,security_model=none -device %s,id=dev-%s,fsdev=%s,mount_tag=%s%s\n' \
		"$1" "$2" "$dev" "$1" "$1" "$3" "$extra"
}

# vm_qmp SOCKET COMMAND-JSON...: send QMP commands to a running guest.
vm_qmp() {
	local sock=$1
	shift
	{
		echo '{"execute":"qmp_capabilities"}'
		printf '%s\n' "$@"
		sleep 1
	} | socat - "UNIX-CONNECT:$sock"
}

# vm_qmp_add SOCKET DEVICE-ADD-JSON: plug a device in, once QEMU has let
# go of the one it replaces.  QEMU removes a device after device_del only
# when the guest has ejected its slot through ACPI, which comes after the
# guest's driver let go of it and can take seconds on a debug kernel; until
# then device_add fails with "Duplicate device ID".  Retried for 60 s.
vm_qmp_add() {
	local sock=$1 cmd=$2 out i
	for i in $(seq 60); do
		out=$(vm_qmp "$sock" "$cmd")
		printf '%s\n' "$out"
		case $out in
		*'Duplicate device ID'*) echo "# try $i: the old device is still there" ;;
		*) return 0 ;;
		esac
	done
	return 1
}

# vm_hotplug_agent TAPLOG SOCKET PID: while process PID (the guest) runs,
# act on the requests that guest tests write on their TAP port, and log
# QEMU's answers in SOCKET.log:
#   # qmp device_del ID
#   # qmp device_add DRIVER ID FSDEV TAG
vm_hotplug_agent() {
	local log=$1 sock=$2 pid=$3 seen=0 n line
	while kill -0 "$pid" 2>/dev/null; do
		n=$(wc -l <"$log")
		if [ "$n" -gt "$seen" ]; then
			sed -n "$((seen + 1)),${n}p" "$log" | tr -d '\r' |
				grep '^# qmp ' | while read -r line; do
				# shellcheck disable=SC2086
				set -- $line
				case $3 in
				device_del)
					vm_qmp "$sock" "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$4\"}}" ;;
				device_add)
					vm_qmp_add "$sock" "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"$4\",\"id\":\"$5\",\"fsdev\":\"$6\",\"mount_tag\":\"$7\"}}" ;;
				esac >>"$sock.log" 2>&1
			done
			seen=$n
		fi
		sleep 0.5
	done
}

# vm_boot TIMEOUT INITRAMFS QEMU-ARGS...: boot the guest kernel, under TCG
# unless VM_ACCEL says otherwise (e.g. VM_ACCEL=kvm).  A writable /dev/kvm
# is no proof that KVM works: on a nested host, guests were seen to hang
# in the kernel's real-mode setup, printing nothing.
#
# VM_TRANSPORT=mmio boots a microvm, whose virtio-mmio devices the kernel
# finds through ACPI, with the modern (version 2) interface.  A microvm has
# no HPET and no ACPI PM timer, and under TCG the kernel's PIT calibration
# of the TSC fails, so the kernel marks the TSC unstable, and 6.1 then
# waited forever in calibrate_delay() after "tsc: Marking TSC unstable due
# to could not calculate TSC khz" (every boot, on a loaded host).  TCG's
# TSC counts at the host's rate: tsc_early_khz= gives the kernel that rate,
# added here to the -append argument.
vm_boot() {
	local timeout=$1 initrd=$2 accel="-accel ${VM_ACCEL:-tcg}" machine=""
	local arg prev="" args=()
	shift 2
	if [ "${VM_TRANSPORT:-pci}" = mmio ]; then
		machine="-M microvm,acpi=on,pit=on,pic=on,rtc=on -global virtio-mmio.force-legacy=false"
		for arg in "$@"; do
			[ "$prev" = -append ] && arg="$arg tsc_early_khz=$(vm_tsc_khz)"
			args+=("$arg")
			prev=$arg
		done
		set -- "${args[@]}"
	fi
	# QEMU's 9P server runs each file system call in a worker of the
	# main loop's thread pool, which starts a new worker for a call only
	# when it counts no idle one; a worker woken for one call but not
	# yet running still counts as idle, so a second call close behind
	# can wait in the pool's queue.  When the first is a read that
	# stallfs holds, the second waits as long, and every later call
	# behind it.  More workers kept (thread-pool-min, QEMU 7.1 and
	# later) than the requests the devices hold at once avoids that.
	# shellcheck disable=SC2086
	timeout "$timeout" "$QEMU" $machine $accel -m "${VM_MEM:-512}" -smp "${VM_SMP:-2}" \
		-nodefaults -no-user-config -display none -no-reboot \
		-object main-loop,id=mainloop,thread-pool-min=${VM_POOL_MIN:-40} \
		-kernel "$GUEST_KERNEL" -initrd "$initrd" "$@"
}

# vm_tsc_khz: the host's TSC rate in kHz, as its first CPU's "cpu MHz"
# (exact on a virtual host like this one, whose kernel reports the TSC's
# rate there; near it elsewhere, which is enough to boot), else 2 GHz.
vm_tsc_khz() {
	awk '/^cpu MHz/ { printf "%d\n", $4 * 1000; f = 1; exit }
		END { if (!f) print 2000000 }' /proc/cpuinfo
}
