#!/bin/sh
# QEMU from bookworm-backports beside the system's own (bookworm's 7.2,
# which stays installed): its packages are unpacked, not installed, under
# ~/.cache/vio9p/qemu-<version>/, and run through a wrapper that points the
# binary at its own firmware (-L) and modules.  Prints the wrapper's path,
# which works as QEMU= for tests/vm.sh.
#
#   scripts/qemu-backports.sh
#
# The libraries it links against come from bookworm itself; those missing
# are installed with apt-get (needs root), and the script fails, naming
# them, if the unpacked binary still cannot find one.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vio9p
pkgs="qemu-system-x86 qemu-system-common qemu-system-data seabios"

bpo_version() { # PACKAGE: its version in bookworm-backports, if known
	apt-cache show "$1/bookworm-backports" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1
}

ver=$(bpo_version qemu-system-x86)
if [ -z "$ver" ]; then
	"$here/apt-backports.sh" >&2
	ver=$(bpo_version qemu-system-x86)
fi
if [ -z "$ver" ]; then
	echo "qemu-backports: no qemu-system-x86 in bookworm-backports" >&2
	exit 1
fi
out=$cache/qemu-${ver#*:}
wrapper=$out/qemu-system-x86_64
if [ -f "$out/done" ]; then
	echo "$wrapper"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out/debs"
echo "qemu-backports: unpacking QEMU $ver into $out" >&2
for p in $pkgs; do
	# apt-get download writes to the current folder, as the _apt user
	# where it can.
	(cd "$out/debs" && apt-get download -q "$p/bookworm-backports" >&2)
done
for d in "$out"/debs/*.deb; do
	dpkg-deb -x "$d" "$out/root"
done

# The shared libraries: bookworm's packages named in the dependencies.
libs=$(for p in qemu-system-x86 qemu-system-common; do
	apt-cache show "$p/bookworm-backports" | sed -n 's/^Depends: //p' | head -n 1
done | tr ',' '\n' | sed 's/[(|].*//; s/ //g' |
	grep -v -e '^qemu-' -e '^seabios$' -e '^ipxe-qemu$' -e '^$' | sort -u)
missing=
for p in $libs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "qemu-backports: installing$missing" >&2
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$missing >&2
fi

bin=$out/root/usr/bin/qemu-system-x86_64
lib=$out/root/usr/lib/x86_64-linux-gnu
notfound=$(LD_LIBRARY_PATH=$lib ldd "$bin" | grep 'not found' || true)
if [ -n "$notfound" ]; then
	echo "qemu-backports: $bin lacks libraries: $notfound" >&2
	exit 1
fi

# The firmware from the unpacked packages comes first: QEMU's own data
# (linuxboot_dma.bin, kvmvapic.bin...), then SeaBIOS (bios-256k.bin,
# bios-microvm.bin); only what they lack falls back to the system's.
cat >"$wrapper" <<EOF
#!/bin/sh
# QEMU $ver, unpacked by scripts/qemu-backports.sh.
LD_LIBRARY_PATH="$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \\
QEMU_MODULE_DIR="$lib/qemu" \\
exec "$bin" -L "$out/root/usr/share/qemu" -L "$out/root/usr/share/seabios" "\$@"
EOF
chmod +x "$wrapper"
"$wrapper" --version | head -n 1 >&2
rm -rf "$out/debs"
touch "$out/done"
# Unpacked versions other than this one are of no more use.
for old in "$cache"/qemu-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$wrapper"
