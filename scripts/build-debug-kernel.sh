#!/bin/sh
# Build, once, a guest kernel with the kernel's own checkers on (KASAN,
# lockdep, kmemleak, UBSAN, DEBUG_ATOMIC_SLEEP) from Debian's linux-source
# package and scripts/debug-kernel.config, and cache it under
# ~/.cache/vio9p/debug-kernel/<package version>-<config hash>.
#
# Prints the cache folder; in it: src/ (the build tree, a KDIR for
# `make module`), vmlinuz, modules/ (the modules of kernel release
# $(cat release)) and release.
set -eu
# Run from make (make check), the kernel's make would inherit the outer
# one's flags: its jobserver, and --print-directory, whose "Entering
# directory" lines would end up in $(make kernelrelease).
unset MAKEFLAGS MFLAGS MAKELEVEL

here=$(cd "$(dirname "$0")" && pwd)
tarball=
for t in /usr/src/linux-source-*.tar.xz; do
	[ -f "$t" ] && tarball=$t
done
[ -n "$tarball" ] || { echo "build-debug-kernel: no linux-source package" >&2; exit 1; }
pkg=$(basename "$tarball" .tar.xz)
pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
hash=$(sha256sum <"$here/debug-kernel.config" | cut -c1-12)
out=${XDG_CACHE_HOME:-$HOME/.cache}/vio9p/debug-kernel/$pkgver-$hash

if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out/src"
echo "build-debug-kernel: building $pkg $pkgver into $out" >&2
tar -xJf "$tarball" -C "$out/src" --strip-components=1
cd "$out/src"
# The build's output goes to build.log; its tail is shown if a step fails.
exec 3>&1 4>&2 >"$out/build.log" 2>&1
# shellcheck disable=SC2154 # st is set inside the trap
trap 'st=$?; [ "$st" = 0 ] || tail -n 40 "$out/build.log" >&4' EXIT
make -s defconfig
scripts/kconfig/merge_config.sh -m .config "$here/debug-kernel.config"
make -s olddefconfig
# Every option of the fragment must have survived olddefconfig: each y or
# m as set, and each n absent or not set.
grep '^CONFIG_.*=[ym]$' "$here/debug-kernel.config" >"$out/wanted"
grep '^CONFIG_.*=n$' "$here/debug-kernel.config" |
	sed 's/=n$/=/' >"$out/unwanted"
missing=$(grep -vxFf .config "$out/wanted" || true)
present=$(grep -Ff "$out/unwanted" .config || true)
if [ -n "$missing$present" ]; then
	echo "debug-kernel.config did not take: $missing $present"
	exit 1
fi
# Beside make check's other stages a parallel build may fail for want of
# something the others hold for a moment: say so, and finish it alone.
if ! make -s -j"$(nproc)" bzImage modules; then
	echo "build-debug-kernel: the parallel build failed (the end of build.log above); building on alone (-j1)" >&4
	tail -n 40 "$out/build.log" >&4
	make -s -j1 bzImage modules
fi
make -s modules_install INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1
release=$(make -s --no-print-directory kernelrelease)
echo "$release" >"$out/release"
cp arch/x86/boot/bzImage "$out/vmlinuz"
mv "$out/modroot/lib/modules/$release" "$out/modules"
rm -rf "$out/modroot"
touch "$out/done"
exec >&3 2>&4
# Builds of other configurations or versions are of no more use.
for old in "${out%/*}"/*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$out"
