#!/bin/bash
# Boot a guest that shares the repo's examples/ folder through a
# virtio-9p-pci device, load vio9p, and show a 9P session through
# /dev/9p/0 with the example client (examples/9pls.c).  Run by `make demo`.
#
# Environment (the Makefile sets these): GUEST_KVER, VIO9P_KO, and 9PLS, the
# static example client.
set -eu

: "${GUEST_KVER:?}" "${VIO9P_KO:?}" "${NINEPLS:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$top/build/vm/demo}
. "$top/tests/vm.sh"

rm -rf "$WORK"
root=$WORK/root
vm_root "$root"
cp "$NINEPLS" "$root/bin/9pls"
{
	vm_init_head /dev/ttyS1
	cat <<'EOF_INIT'
exec >$out 2>&1
stty raw -echo 2>/dev/null
echo "guest: $(uname -sr), vio9p loaded: $(grep -c '^vio9p ' /proc/modules) module"
echo
echo "\$ ls -l /dev/9p"
ls -l /dev/9p
echo
echo "\$ cat /sys/class/vio9p/vio9p0/mount_tag"
cat /sys/class/vio9p/vio9p0/mount_tag
echo
echo "\$ 9pls /dev/9p/0"
9pls /dev/9p/0
echo
echo "\$ 9pls -q /dev/9p/0 no-such-dir"
9pls -q /dev/9p/0 no-such-dir
echo "(exit status $?)"
poweroff -f
EOF_INIT
} >"$root/init"
chmod +x "$root/init"
vm_pack "$root" "$WORK/initramfs.gz"

echo "Booting $GUEST_KVER under QEMU, sharing $top/examples as mount tag \"examples\"..."
vm_boot 300 "$WORK/initramfs.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/init quiet" \
	-serial "file:$WORK/console.log" -serial "file:$WORK/session.log" \
	-fsdev "local,id=fs0,path=$top/examples,security_model=none,readonly=on" \
	-device virtio-9p-pci,fsdev=fs0,mount_tag=examples \
	>"$WORK/qemu.log" 2>&1 || { cat "$WORK/qemu.log" >&2; exit 1; }
echo
tr -d '\r' <"$WORK/session.log"
grep -q '^Treaddir' "$WORK/session.log" || {
	echo "demo: the guest did not list the share; kernel log: $WORK/console.log" >&2
	exit 1
}
