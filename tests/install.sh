#!/bin/bash
# tests/install.sh - `make install DESTDIR=... PREFIX=/usr` lays out exactly
# the expected files, each like its source, and `make uninstall` with the
# same variables removes every one of them.  Prints TAP lines
# "ok - install: ..."; exit status 0 only if everything passed.
#
# Environment: MAKE (default make), WORK (default build/install-test).
# shellcheck disable=SC2317 # the checks are functions called through each()
set -eu

MAKE=${MAKE:-make}
top=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$top/build/install-test}
dest=$WORK/root
version=$(cat "$top/VERSION")
bad=0

rm -rf "$WORK"
mkdir -p "$WORK"

ok() {
	echo "ok - install: $1"
}

not_ok() {
	echo "not ok - install: $1"
	shift
	printf '%s\n' "$@" | sed 's/^/# /'
	bad=1
}

# The layout of mk/install.mk for PREFIX=/usr (UDEVDIR and SYSTEMDUNITDIR
# are given, since they come from pkg-config otherwise).
vars=(DESTDIR="$dest" PREFIX=/usr UDEVDIR=/lib/udev
	SYSTEMDUNITDIR=/lib/systemd/system)
src=/usr/src/vio9p-$version
{
	echo /usr/bin/vio9p
	echo "/usr/lib/libvio9p.so.$version"
	echo /usr/lib/libvio9p.so.0
	echo /usr/lib/libvio9p.so
	echo /usr/lib/libvio9p.a
	echo /usr/lib/pkgconfig/vio9p.pc
	echo /usr/include/v9p.h
	echo /usr/include/vio9p.h
	echo /usr/share/man/man1/vio9p.1
	echo /usr/share/man/man4/vio9p.4
	echo /usr/share/doc/vio9p/examples/61-vio9p-local.rules
	echo /lib/udev/rules.d/60-vio9p.rules
	echo /lib/udev/vio9p_id
	echo /lib/modprobe.d/vio9p.conf
	[ -f "$top/systemd/vio9p-relay@.service" ] &&
		echo "/lib/systemd/system/vio9p-relay@.service"
	for f in "$top"/driver/Kbuild "$top"/driver/*.c "$top"/driver/*.h; do
		echo "$src/${f##*/}"
	done
	echo "$src/include/vio9p.h"
	echo "$src/dkms.conf"
} | sort >"$WORK/want"

# present: the files and links under $dest, as absolute paths.
present() {
	(cd "$dest" 2>/dev/null && find . \( -type f -o -type l \) -printf '/%P\n') |
		sort
}

if "$MAKE" -C "$top" install "${vars[@]}" >"$WORK/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr succeeds"
else
	not_ok "make install DESTDIR PREFIX=/usr succeeds" \
		"$(tail -n 20 "$WORK/install.log")"
fi

present >"$WORK/got"
if diff -u "$WORK/want" "$WORK/got" >"$WORK/diff"; then
	ok "make install lays out exactly the expected files"
else
	not_ok "make install lays out exactly the expected files" "$(cat "$WORK/diff")"
fi

# each CHECK WHAT COMMAND...: one case for a check of the laid-out tree.
each() {
	local what=$1
	shift
	if "$@" >"$WORK/each.out" 2>&1; then
		ok "$what"
	else
		not_ok "$what" "$(head -n 20 "$WORK/each.out")"
	fi
}

# The checks of the laid-out tree, one function each; $r is the tree.
r=$dest

modes() {
	local p want
	for p in /usr/bin/vio9p:755 /lib/udev/vio9p_id:755 \
		/usr/lib/libvio9p.a:644 /usr/include/v9p.h:644 \
		/lib/udev/rules.d/60-vio9p.rules:644 \
		/lib/modprobe.d/vio9p.conf:644 \
		/usr/share/man/man4/vio9p.4:644 "$src/dkms.conf:644"; do
		want=${p##*:}
		p=$r${p%:*}
		if [ "$(stat -c %a "$p")" != "$want" ]; then
			echo "$p: mode $(stat -c %a "$p"), want $want"
			return 1
		fi
	done
}

module_source() {
	local f
	for f in "$top"/driver/Kbuild "$top"/driver/*.c "$top"/driver/*.h; do
		cmp "$f" "$r$src/${f##*/}" || return 1
	done
	cmp "$top/include/vio9p.h" "$r$src/include/vio9p.h"
}

library_links() {
	local d=$r/usr/lib
	[ "$(readlink "$d/libvio9p.so")" = libvio9p.so.0 ] &&
		[ "$(readlink "$d/libvio9p.so.0")" = "libvio9p.so.$version" ] &&
		objdump -p "$d/libvio9p.so.$version" | grep -q 'SONAME *libvio9p.so.0$'
}

pc_file() {
	local pc=(env PKG_CONFIG_PATH="$r/usr/lib/pkgconfig" pkg-config)
	[ "$("${pc[@]}" --variable=libdir vio9p)" = /usr/lib ] &&
		[ "$("${pc[@]}" --variable=includedir vio9p)" = /usr/include ] &&
		[ "$("${pc[@]}" --modversion vio9p)" = "$version" ]
}

# A program that includes both headers, links with -lvio9p, and gets
# ENOENT from v9p_connect on a missing device.
builds_against_it() {
	cat >"$WORK/probe.c" <<'EOF_C'
#include <errno.h>
#include <stddef.h>
#include <v9p.h>
#include <vio9p.h>

int main(int argc, char **argv)
{
	char tag[VIO9P_MOUNT_TAG_SIZE];

	(void)tag;
	return argc == 2 && v9p_connect(argv[1], 0) == NULL &&
	       errno == ENOENT ? 0 : 1;
}
EOF_C
	cc -std=c11 -Wall -Werror -I"$r/usr/include" -o "$WORK/probe" \
		"$WORK/probe.c" -L"$r/usr/lib" -lvio9p -pthread &&
		LD_LIBRARY_PATH=$r/usr/lib "$WORK/probe" "$WORK/no-such-dir/9p/0"
}

same_as_repo() {
	cmp "$top/cmd/vio9p" "$r/usr/bin/vio9p" &&
		cmp "$top/udev/60-vio9p.rules" "$r/lib/udev/rules.d/60-vio9p.rules" &&
		cmp "$top/docs/vio9p.1" "$r/usr/share/man/man1/vio9p.1"
}

each "programs are 0755, data files 0644" modes
each "the module source is the driver, with include/vio9p.h" module_source
each "dkms.conf carries VERSION" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$r$src/dkms.conf"
each "the library's links lead to the versioned file, whose SONAME is libvio9p.so.0" \
	library_links
each "vio9p.pc gives /usr's libdir and includedir, and VERSION" pc_file
each "a program builds against the installed headers and library" \
	builds_against_it
each "the installed command, rule and man page are the repository's" \
	same_as_repo

# An unrelated file in a shared folder must survive the uninstall.
mkdir -p "$dest/usr/bin"
echo keep >"$dest/usr/bin/other"
if "$MAKE" -C "$top" uninstall "${vars[@]}" >"$WORK/uninstall.log" 2>&1; then
	ok "make uninstall succeeds"
else
	not_ok "make uninstall succeeds" "$(tail -n 20 "$WORK/uninstall.log")"
fi
present >"$WORK/left"
if [ "$(cat "$WORK/left")" = /usr/bin/other ]; then
	ok "make uninstall removes every installed file and nothing else"
else
	not_ok "make uninstall removes every installed file and nothing else" \
		"left: $(tr '\n' ' ' <"$WORK/left")"
fi
each "make uninstall removes the module source folder" \
	test ! -e "$r$src"
exit "$bad"
