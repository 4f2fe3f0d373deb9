#!/bin/bash
# tests/deb.sh - `make deb` builds the four Debian packages into build/deb/,
# each holds the files that the guest install test and users rely on, and
# lintian reports no error on them or on the source package.  Prints TAP
# lines "ok - deb: ..."; exit status 0 only if everything passed.
#
# Environment: MAKE (default make).
# shellcheck disable=SC2317 # the checks are functions called through each()
set -eu

MAKE=${MAKE:-make}
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$top/VERSION")
deb=$top/build/deb
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
log=$top/build/deb.log
bad=0

ok() {
	echo "ok - deb: $1"
}

not_ok() {
	echo "not ok - deb: $1"
	shift
	printf '%s\n' "$@" | sed 's/^/# /'
	bad=1
}

each() {
	local what=$1
	shift
	if "$@" >"$top/build/deb-each.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what" "$(head -n 30 "$top/build/deb-each.out")"
	fi
}

mkdir -p "$top/build"
if "$MAKE" -C "$top" deb >"$log" 2>&1; then
	ok "make deb builds"
else
	not_ok "make deb builds" "$(tail -n 30 "$log")"
	exit 1
fi

# has PACKAGE FILE...: the package's .deb holds every FILE.
has() {
	local pkg=$1 f list
	shift
	list=$(dpkg-deb -c "$pkg" | awk '{ print $6 }' | sed 's|^\./|/|')
	for f in "$@"; do
		if ! grep -qxF "$f" <<<"$list"; then
			echo "$pkg has no $f"
			return 1
		fi
	done
}

# field PACKAGE NAME WANT: a control field of the .deb.
field() {
	local got
	got=$(dpkg-deb -f "$1" "$2")
	[ "$got" = "$3" ] || {
		echo "$1: $2 is '$got', want '$3'"
		return 1
	}
}

dkms=$deb/vio9p-dkms_${version}_all.deb
utils=$deb/vio9p-utils_${version}_$arch.deb
lib=$deb/libvio9p0_${version}_$arch.deb
dev=$deb/libvio9p-dev_${version}_$arch.deb
src=/usr/src/vio9p-$version

each "vio9p-dkms: the module source and dkms.conf under $src, vio9p(4)" \
	has "$dkms" "$src/dkms.conf" "$src/Kbuild" "$src/main.c" "$src/chan.c" \
	"$src/compat.h" "$src/vio9p.h" "$src/include/vio9p.h" \
	/usr/share/man/man4/vio9p.4.gz
dkms_conf_version() {
	dpkg-deb --fsys-tarfile "$dkms" | tar -xOf - ".$src/dkms.conf" |
		grep -qx "PACKAGE_VERSION=\"$version\""
}
each "vio9p-dkms: dkms.conf carries VERSION" dkms_conf_version
blacklisted() {
	dpkg-deb --fsys-tarfile "$dkms" | tar -xOf - ./lib/modprobe.d/vio9p.conf |
		grep -qx 'blacklist vio9p'
}
each "vio9p-dkms: /lib/modprobe.d/vio9p.conf binds no device until configured" \
	blacklisted
dkms_scripts() {
	dpkg-deb -f "$dkms" Depends | grep -q dkms &&
		dpkg-deb -I "$dkms" postinst | grep -q dkms &&
		dpkg-deb -I "$dkms" prerm | grep -q 'dkms remove'
}
each "vio9p-dkms: depends on dkms, builds and removes through it" dkms_scripts
each "vio9p-utils: the command, vio9p(1), the udev rule and vio9p_id" \
	has "$utils" /usr/bin/vio9p /usr/share/man/man1/vio9p.1.gz \
	/lib/udev/rules.d/60-vio9p.rules /lib/udev/vio9p_id \
	/usr/share/doc/vio9p-utils/examples/61-vio9p-local.rules
if [ -f "$top/systemd/vio9p-relay@.service" ]; then
	each "vio9p-utils: the relay's unit" \
		has "$utils" "/lib/systemd/system/vio9p-relay@.service"
fi
each "libvio9p0: the shared library under its SONAME" \
	has "$lib" "/usr/lib/$multiarch/libvio9p.so.$version" \
	"/usr/lib/$multiarch/libvio9p.so.0"
lib_control() {
	dpkg-deb -I "$lib" symbols | grep -q '^libvio9p.so.0 libvio9p0 ' &&
		dpkg-deb -I "$lib" shlibs | grep -q '^libvio9p 0 libvio9p0'
}
each "libvio9p0: a symbols file and shlibs for libvio9p.so.0" lib_control
each "libvio9p0: Multi-Arch same" field "$lib" Multi-Arch same
each "libvio9p-dev: headers, .so link, static library, vio9p.pc" \
	has "$dev" /usr/include/v9p.h /usr/include/vio9p.h \
	"/usr/lib/$multiarch/libvio9p.so" "/usr/lib/$multiarch/libvio9p.a" \
	"/usr/lib/$multiarch/pkgconfig/vio9p.pc"
each "libvio9p-dev: depends on this libvio9p0" \
	grep -qF "libvio9p0 (= $version)" <(dpkg-deb -f "$dev" Depends)
versions() {
	local p
	for p in "$dkms" "$utils" "$lib" "$dev"; do
		field "$p" Version "$version" || return 1
	done
}
each "every package is version VERSION" versions

# lintian: no error (E:) on the source and binary packages; warnings and
# notes are shown as diagnostics.
changes=$deb/vio9p_${version}_$arch.changes
rc=0
lintian --allow-root --pedantic --display-info "$changes" \
	>"$top/build/lintian.log" 2>&1 || rc=$?
# lintian exits 1 when it reports an error, 2 and more when it failed.
if [ "$rc" -gt 1 ] || grep -q '^E: ' "$top/build/lintian.log"; then
	not_ok "lintian reports no errors (exit $rc)" \
		"$(grep -v '^N:' "$top/build/lintian.log" | head -n 30)"
else
	ok "lintian reports no errors"
	grep '^[WIPX]: ' "$top/build/lintian.log" | sed 's/^/# /' || true
fi
exit "$bad"
