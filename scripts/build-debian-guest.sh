#!/bin/sh
# Build, once, the Debian 12 guest of tests/debian-guest/run: a root
# filesystem made by mmdebstrap from this machine's own apt sources for
# bookworm (no mirror is named here), with systemd, DKMS, gcc, the
# bookworm kernel and its headers (tests/debian-guest/packages.txt), and the
# bookworm-backports kernel's packages (with those of their dependencies
# the image lacks) downloaded to /var/cache/vio9p-upgrade but not
# installed, so that the guest can upgrade its kernel without a network:
# apt-get install /var/cache/vio9p-upgrade/*.deb.  The package lists are
# left out: apt in the guest then starts in seconds rather than a minute
# under TCG.  Initramfs images built in the guest hold only the modules its
# devices need (MODULES=dep), which makes the kernel upgrade quicker.  Cached under
# ~/.cache/vio9p/debian-guest/<key>, the key a hash of the package list and
# of this script; older builds are removed.
#
# Prints the cache folder.  In it:
#   root.img	the root filesystem (raw ext4, sparse); boot a copy-on-write
#		overlay of it (qemu-img create -b), never the image itself
#   vmlinuz, initrd.img, kver	the bookworm kernel to boot it with
#   upgrade-kver	the release of the backports kernel the guest can install
#   packages	dpkg -l of the image
#
# The guest runs, at each boot, the script /mnt/ctl/guest.sh of the
# virtio-9p device with mount tag "ctl" (mounted with v9fs), its output on
# the second serial port, then powers off (see vio9p-test-hook below).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
pkgfile=$top/tests/debian-guest/packages.txt
key=$(cat "$pkgfile" "$0" | sha256sum | cut -c1-16)
base=${XDG_CACHE_HOME:-$HOME/.cache}/vio9p/debian-guest
out=$base/$key

# prune DIR: remove an old build.  A build that was killed may have left
# the kernel file systems mmdebstrap mounts in its root: unmount them
# first, and never fail the run over what cannot be removed.
prune() {
	findmnt -rn -o TARGET | grep -F "$1/" | sort -r |
		while read -r m; do umount -l "$m" || true; done
	rm -rf "$1" || echo "build-debian-guest: could not remove $1" >&2
}

mkdir -p "$base"
# One build at a time: make check may start one in the background.
exec 9>"$base/.lock"
flock 9
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "build-debian-guest: mmdebstrap --mode=root needs root" >&2
	exit 1
fi
start=$(date +%s)
prune "$out"
mkdir -p "$out"
echo "build-debian-guest: building $out (log: $out/build.log)" >&2
exec 3>&1 4>&2 >"$out/build.log" 2>&1
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; [ "$st" = 0 ] || { tail -n 40 "$out/build.log" >&4; rm -rf "$out/root"; }' EXIT

# The machine's own sources for bookworm and its updates and security
# suites, deb822 stanzas and one-line entries alike, plus bookworm-backports
# from the same archive (scripts/apt-backports.sh -n) unless already there.
sources=$out/sources
mkdir -p "$sources"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
		/(^|\n)Suites:[^\n]*[ \t]bookworm/ && /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/' "$f"
done >"$sources/host.sources"
cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
	grep -E '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm' \
		>"$sources/host.list" || true
if ! grep -qs bookworm-backports "$sources/host.sources" "$sources/host.list"; then
	sh "$here/apt-backports.sh" -n >"$sources/backports.sources"
fi
mirrors=
for f in "$sources"/*; do
	[ -s "$f" ] && mirrors="$mirrors $f"
done
[ -n "$mirrors" ] || { echo "no apt source for bookworm" >&2; exit 1; }

pkgs=$(grep -v '^#' "$pkgfile" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')

# The guest's side of the test rig, put in by the customize hook.
cat >"$out/hook" <<'EOF_HOOK'
#!/bin/sh
# vio9p-test-hook: mount the test runner's virtio-9p share "ctl" with v9fs,
# run its guest.sh with the output on the second serial port, power off.
out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
mkdir -p /mnt/ctl
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ctl /mnt/ctl; then
	sh /mnt/ctl/guest.sh >$out 2>&1
else
	echo "not ok - the ctl share mounts with v9fs" >$out
fi
echo "# hook done" >$out
sync
systemctl poweroff --no-block
EOF_HOOK
cat >"$out/hook.service" <<'EOF_UNIT'
[Unit]
Description=vio9p test hook: run the test runner's script from the share "ctl"
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vio9p-test-hook
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF_UNIT

# apt runs its hooks with dash, which takes only one-digit descriptors:
# leave mmdebstrap the low ones (hence 3>&- 4>&- 9>&-).
# shellcheck disable=SC2016,SC2086 # $1 is the hook's; one argument a file
mmdebstrap --mode=root --variant=apt --format=directory \
	--aptopt='APT::Install-Recommends "false"' \
	--aptopt='Acquire::Languages "none"' \
	--dpkgopt='force-unsafe-io' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/vio9p*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--include="$pkgs" \
	--customize-hook='echo debian-guest >"$1/etc/hostname"' \
	--customize-hook='echo "127.0.0.1 localhost debian-guest" >"$1/etc/hosts"' \
	--customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 0\n" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" useradd --create-home --shell /bin/sh tester' \
	--customize-hook="install -m 755 '$out/hook' \"\$1/usr/local/sbin/vio9p-test-hook\"" \
	--customize-hook="install -m 644 '$out/hook.service' \"\$1/etc/systemd/system/vio9p-test-hook.service\"" \
	--customize-hook='chroot "$1" systemctl enable vio9p-test-hook.service' \
	--customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service' \
	--customize-hook='mkdir -p "$1/var/cache/vio9p-upgrade/partial"' \
	--customize-hook='chroot "$1" apt-get install --download-only -y -q -o Dir::Cache::Archives=/var/cache/vio9p-upgrade/ linux-image-amd64/bookworm-backports linux-headers-amd64/bookworm-backports' \
	--customize-hook='rm -rf "$1/var/cache/vio9p-upgrade/partial" "$1/var/cache/vio9p-upgrade/lock"' \
	--customize-hook='echo MODULES=dep >"$1/etc/initramfs-tools/conf.d/vio9p-guest"' \
	bookworm "$out/root" $mirrors 3>&- 4>&- 9>&-

root=$out/root
# The kernels: the installed one to boot, the downloaded one to upgrade to.
kver=$(find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' |
	sort -V | tail -n 1)
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
echo "$kver" >"$out/kver"
find "$root/var/cache/vio9p-upgrade" -name 'linux-image-*.deb' -printf '%f\n' |
	sed -n 's/^linux-image-\([^_]*-amd64\)_.*\.deb$/\1/p' | grep -v unsigned |
	sort -V | tail -n 1 >"$out/upgrade-kver"
[ -s "$out/upgrade-kver" ] || { echo "no backports kernel downloaded" >&2; exit 1; }
chroot "$root" dpkg -l >"$out/packages"

# The root filesystem as a sparse raw ext4 image; room for the upgrade.
truncate -s 8G "$out/root.img"
mke2fs -q -F -t ext4 -L debian-guest -d "$root" "$out/root.img"
rm -rf "$root"
echo "$(($(date +%s) - start))" >"$out/build-seconds"
touch "$out/done"
exec >&3 2>&4
for old in "$base"/*; do
	[ "$old" = "$out" ] || prune "$old"
done
echo "$out"
