#!/bin/sh
# Stand-in Debian packages for tests/debian-guest/run while `make deb` does
# not exist yet: vio9p-dkms (the driver's source under /usr/src with a
# dkms.conf; DKMS builds it at install and for every new kernel's headers)
# and vio9p-utils (the vio9p command and a udev rule for
# /dev/9p/by-tag/<tag>).  No relay unit: the test reports it as pending.
#
#   tests/debian-guest/standin-debs.sh OUTDIR VIO9P-BINARY
set -eu

out=${1:?usage: standin-debs.sh OUTDIR VIO9P-BINARY}
bin=${2:?usage: standin-debs.sh OUTDIR VIO9P-BINARY}
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=0.0.0
debver=$ver~standin1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# control PKG ARCH DEPENDS DESCRIPTION: DEBIAN/control of package PKG.
control() {
	mkdir -p "$tmp/$1/DEBIAN"
	cat >"$tmp/$1/DEBIAN/control" <<EOF
Package: $1
Version: $debver
Architecture: $2
Maintainer: vio9p tests <vio9p@localhost>
Depends: $3
Section: kernel
Priority: optional
Description: $4
 Stand-in package built by tests/debian-guest/standin-debs.sh.
EOF
}

# vio9p-dkms
p=vio9p-dkms
src=$tmp/$p/usr/src/vio9p-$ver
control $p all "dkms (>= 3), make, gcc" "vio9p driver source for DKMS (stand-in)"
mkdir -p "$src/include"
cp "$top"/driver/Kbuild "$top"/driver/*.c "$top"/driver/*.h "$src/"
cp "$top/include/vio9p.h" "$src/include/"
cat >"$src/dkms.conf" <<EOF
PACKAGE_NAME="vio9p"
PACKAGE_VERSION="$ver"
BUILT_MODULE_NAME[0]="vio9p"
DEST_MODULE_LOCATION[0]="/updates/dkms"
AUTOINSTALL="yes"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/vio9p/$ver/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/vio9p/$ver/build clean"
EOF
cat >"$tmp/$p/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
[ "\$1" = configure ] || exit 0
dkms status -m vio9p -v $ver | grep -q . || dkms add -m vio9p -v $ver
for k in /lib/modules/*; do
	[ -e "\$k/build" ] || continue
	dkms install -m vio9p -v $ver -k "\${k##*/}"
done
EOF
cat >"$tmp/$p/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
dkms remove -m vio9p -v $ver --all || true
EOF
chmod 755 "$tmp/$p/DEBIAN/postinst" "$tmp/$p/DEBIAN/prerm"

# vio9p-utils
p=vio9p-utils
control $p amd64 "libc6" "vio9p command and udev rule (stand-in)"
mkdir -p "$tmp/$p/usr/bin" "$tmp/$p/lib/udev/rules.d"
install -m 755 "$bin" "$tmp/$p/usr/bin/vio9p"
cat >"$tmp/$p/lib/udev/rules.d/60-vio9p.rules" <<'EOF'
# /dev/9p/by-tag/<mount tag> for each vio9p channel.
SUBSYSTEM=="vio9p", ATTR{mount_tag}=="?*", SYMLINK+="9p/by-tag/$attr{mount_tag}"
EOF

for p in vio9p-dkms vio9p-utils; do
	dpkg-deb --root-owner-group -Zxz --build "$tmp/$p" "$out/${p}_${debver}_$(sed -n 's/^Architecture: //p' "$tmp/$p/DEBIAN/control").deb" >/dev/null
done
