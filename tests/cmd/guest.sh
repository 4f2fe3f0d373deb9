#!/bin/sh
# guest.sh VIO9P TAG [ADDRESS [ANAME]] - check vio9p(1) inside a guest.
#
# VIO9P is the command (a static build: cmd/vio9p-static); TAG is the
# mount tag of a vio9p channel whose shared folder is empty at start.
# With ADDRESS (or $VIO9P_ADDR) the checks go to that 9P server instead
# (-a ADDRESS -A ANAME), which is how the host runs this script against
# diod.  Runs under busybox sh with busybox tools only (no bash, no GNU
# flags) and is self-contained because the guest rig copies it alone.
# Prints TAP; exits 1 if anything failed.  Afterwards the share holds
# tree/ (a copy of the test tree) and tree.sha256 (its checksums, made
# with "cd tree && sha256sum FILES") for the host to check.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: guest.sh VIO9P TAG [ADDRESS [ANAME]]" >&2
	exit 2
fi
VIO9P=$1
TAG=$2
ADDR=${3:-${VIO9P_ADDR:-}}
ANAME=${4:-${VIO9P_ANAME:-}}
PLAN=19
case $VIO9P in
/*) ;;
*/*) VIO9P=$(pwd)/$VIO9P ;; # the checks run in a scratch directory
esac

W=$(mktemp -d /tmp/vio9p-guest.XXXXXX)
trap 'cd /; rm -rf "$W"' EXIT
cd "$W"

n=0
failed=0
echo "TAP version 13"
echo "1..$PLAN"

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" | sed 's/^/# /'
	fi
}

# check NAME WANT GOT
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "want:" "$2" "got:" "$3"
	fi
}

v() {
	if [ -n "$ADDR" ]; then
		"$VIO9P" -a "$ADDR" -A "$ANAME" "$@"
	else
		"$VIO9P" -t "$TAG" "$@"
	fi
}

# out CMD... - stdout and stderr of CMD, then "rc=N"
out() {
	rc=0
	"$@" >"$W/o" 2>&1 || rc=$?
	cat "$W/o"
	echo "rc=$rc"
}

# sums DIR - "sha256 path" of every file under DIR, sorted
sums() {
	(cd "$1" && find . -type f | sort | while read -r f; do
		sha256sum "$f"
	done)
}

# 1-2: the channel
if [ -n "$ADDR" ]; then
	check "list runs" "rc=0" "$(out "$VIO9P" list | tail -n 1)"
	ok "tag prints the mount tag # SKIP a server address has no tag"
else
	got=$("$VIO9P" list | grep " $TAG " || true)
	case $got in
	/dev/9p/*" $TAG free") ok "list shows the channel free" ;;
	*) not_ok "list shows the channel free" "got: $got" ;;
	esac
	check "tag prints the mount tag" "$TAG
rc=0" "$(out v tag)"
fi

# 3: an empty share
check "ls of the empty share" "rc=0" "$(out v ls)"

# 4-6: a tree there and back
mkdir -p tree/d1/d2/d3
echo hello >tree/a.txt
dd if=/dev/urandom of=tree/d1/big.bin bs=1024 count=3072 2>/dev/null
: >tree/d1/d2/empty
echo deep >tree/d1/d2/d3/deep.txt
ln -s ../a.txt tree/d1/link
touch -d "2021-03-04 05:06:07" tree/a.txt
check "put -r -p of a tree" "rc=0" "$(out v put -r -p tree)"
check "ls -R of the tree" "tree:
a.txt
d1

tree/d1:
big.bin
d2
link

tree/d1/d2:
d3
empty

tree/d1/d2/d3:
deep.txt
rc=0" "$(out v ls -R tree)"
check "get -r -p of the tree" "rc=0" "$(out v get -r -p tree back)"

# 7-9: what came back
check "checksums of the tree" "$(sums tree)" "$(sums back)"
if cmp tree/d1/big.bin back/d1/big.bin >/dev/null 2>&1; then
	ok "the 3 MiB file is identical"
else
	not_ok "the 3 MiB file is identical"
fi
check "symlink and mtime kept" "../a.txt $(stat -c %Y tree/a.txt)" \
	"$(readlink back/d1/link) $(stat -c %Y back/a.txt)"

# 10-11: cat and stat
check "cat" "hello
deep
rc=0" "$(out v cat tree/a.txt tree/d1/d2/d3/deep.txt)"
check "stat" "type: regular file
size: 6
rc=0" "$(out v stat tree/a.txt | grep -E '^(type|size|rc)')"

# 12-14: mkdir, mv, ln -s, rm
check "mkdir -p and mv" "a
x
rc=0" "$(v mkdir -p scratch/a/b && v mv scratch/a/b scratch/x &&
	out v ls scratch)"
check "ln -s" "file: scratch/l -> ../tree/a.txt
rc=0" "$(v ln -s ../tree/a.txt scratch/l && out v stat scratch/l | grep -E '^(file|rc)')"
check "rm -r" "tree
rc=0" "$(v rm -r scratch && out v ls)"

# 15: df
check "df" "Channel rc=0" "$(out v df | awk 'NR == 1 { printf "%s ", $1 } /^rc=/')"

# 16: errors
check "error for a missing path" "vio9p: cat nope: No such file or directory
rc=1" "$(out v cat nope)"

# 17-18: a source that shrinks while put sends it: the copy ends as a
# read of the file would, with a prefix of the file at least as long as
# what is left of it (and never dies of SIGBUS, should put ever send from
# a mapping of the file).
dd if=/dev/urandom of=shrink.bin bs=1024 count=16384 2>/dev/null
cp shrink.bin shrink.orig
if command -v truncate >/dev/null 2>&1; then
	rc=0
	v put shrink.bin shrunk.bin >"$W/o" 2>&1 &
	pid=$!
	sleep 0.2 2>/dev/null || sleep 1
	truncate -s 1000000 shrink.bin
	wait "$pid" || rc=$?
	check "put of a file truncated meanwhile exits 0" "rc=0" \
		"$(cat "$W/o")rc=$rc"
	size=$(v stat shrunk.bin 2>/dev/null | sed -n 's/^size: //p')
	echo "# the copy has ${size:-no} bytes (1000000 to 16777216 allowed)"
	v get shrunk.bin shrunk.got >/dev/null 2>&1 || true
	head -c "${size:-0}" shrink.orig >shrink.head
	if [ -n "$size" ] && [ "$size" -ge 1000000 ] &&
	    [ "$size" -le 16777216 ] && cmp shrink.head shrunk.got >/dev/null 2>&1; then
		ok "it holds a prefix of the file, no shorter than the file is now"
	else
		not_ok "it holds a prefix of the file, no shorter than the file is now" \
			"size: ${size:-none}"
	fi
	v rm shrunk.bin >/dev/null 2>&1 || true
else
	ok "put of a file truncated meanwhile exits 0 # SKIP no truncate(1)"
	ok "it holds a prefix of the file, no shorter than the file is now # SKIP no truncate(1)"
fi

# 19: a manifest for the host
(cd tree && find . -type f | sort | while read -r f; do sha256sum "$f"; done) \
	>tree.sha256
check "put the manifest" "rc=0" "$(out v put tree.sha256)"

if [ "$n" -ne "$PLAN" ]; then
	echo "# planned $PLAN tests, ran $n"
	failed=$((failed + 1))
fi
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
