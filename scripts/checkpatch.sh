#!/bin/sh
# Run the kernel's checkpatch.pl --strict over the driver and the public
# header.  checkpatch comes from Debian's linux-source package (the headers
# package lacks it), unpacked once under ~/.cache/vio9p.
set -eu

tarball=
for t in /usr/src/linux-source-*.tar.xz; do
	[ -f "$t" ] && tarball=$t
done
[ -n "$tarball" ] || { echo "checkpatch: no /usr/src/linux-source-*.tar.xz" >&2; exit 1; }
ver=$(basename "$tarball" .tar.xz)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vio9p/$ver
if [ ! -f "$cache/scripts/checkpatch.pl" ]; then
	mkdir -p "$cache.tmp"
	tar -xJf "$tarball" -C "$cache.tmp" --strip-components=1 \
		"$ver/scripts/checkpatch.pl" "$ver/scripts/spelling.txt" \
		"$ver/scripts/const_structs.checkpatch"
	rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
perl "$cache/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
	-f "$@"
