#!/bin/sh
# run.sh - host tests of the vio9p(1) command: the real binary ($VIO9P,
# built with ASan+UBSan by `make -C cmd check`) against a real diod
# ($DIOD, default /usr/sbin/diod) that this script starts on a unix socket
# in a mktemp -d directory and always stops.  Each case starts from an
# empty export and checks exact output, stderr and exit status against
# the host file system.  TAP on stdout, then "P passed, F failed".
set -eu

here=$(cd "$(dirname "$0")" && pwd)
VIO9P=${VIO9P:-$here/../../cmd/vio9p}
DIOD=${DIOD:-/usr/sbin/diod}
TAP_TMP=$(mktemp -d /tmp/vio9p-cmd.XXXXXX)
T=$TAP_TMP
: >"$T/diod.pids"
EXP=$T/exp
W=$T/work
export TZ=UTC LC_ALL=C
umask 022
# ASan: no leak report noise from the exit of a failing verb.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"

# shellcheck source=SCRIPTDIR/tap.sh
. "$here/tap.sh"

cleanup() {
	while read -r p; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done <"$T/diod.pids"
	! mountpoint -q "$T/exp2" || umount "$T/exp2"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_sock SOCK - wait up to 5 s for the unix socket SOCK
wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ "$i" -lt 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ -S "$1" ]
}

# start_diod SOCK EXPORT [OPTION...] - start diod in the background and
# wait for it
start_diod() {
	sock=$1
	exp=$2
	shift 2
	# diod 1.0.24 has been seen to crash at shutdown, and it turns core
	# dumps on: run it in the scratch dir, so that a core goes with it.
	(cd "$T" && exec "$DIOD" -f -n -c /dev/null -l "$sock" -e "$exp" \
		-L "$T/diod.log" "$@") >>"$T/diod.out" 2>&1 &
	echo "$!" >>"$T/diod.pids"
	wait_sock "$sock"
}

# start_hostile SCENARIO [ARG] - the scripted server of hostile replies
# (tests/cmd/hostile.c) on $T/sock2, where fresh() stops it
start_hostile() {
	[ -n "${HOSTILE:-}" ] || tap_skip "HOSTILE (tests/cmd/hostile.c) not built"
	"$HOSTILE" "$T/sock2" "$@" >>"$T/diod.out" 2>&1 &
	echo "$!" >>"$T/diod.pids"
	wait_sock "$T/sock2"
}

# h ARGS... - the command under test, on the hostile server
h() {
	timeout 20 "$VIO9P" -a "unix:$T/sock2" "$@"
}

# v ARGS... - the command under test, on the test's diod
v() {
	timeout 60 "$VIO9P" -a "unix:$T/sock" -A "$EXP" "$@"
}

tap_start
if [ ! -x "$DIOD" ]; then
	echo "1..0 # SKIP $DIOD not installed (apt-get install diod)"
	exit 0
fi
mkdir "$EXP" "$W"
start_diod "$T/sock" "$EXP"
cd "$W"

# Reset the export and the local work directory before each case.
fresh() {
	cd "$T"
	if [ -e "$T/sock2" ]; then
		# A case's own diod may have died already (diod 1.0.24 was
		# seen to, after an interrupted client): that is no failure
		# of the next case.
		kill "$(tail -n 1 "$T/diod.pids")" 2>/dev/null || true
		wait "$(tail -n 1 "$T/diod.pids")" 2>/dev/null || true
		rm -f "$T/sock2"
	fi
	! mountpoint -q "$T/exp2" || umount "$T/exp2"
	rm -rf "$T/exp2"
	rm -rf "$EXP" "$W"
	mkdir "$EXP" "$W"
	cd "$W"
}

# make_tree DIR - nested dirs, a symlink, a 3 MiB file, an empty file
make_tree() {
	mkdir -p "$1/d1/d2/d3"
	printf 'hello\n' >"$1/a.txt"
	head -c 3145728 /dev/urandom >"$1/d1/big.bin"
	: >"$1/d1/d2/empty"
	printf 'deep\n' >"$1/d1/d2/d3/deep.txt"
	ln -s ../a.txt "$1/d1/link"
	chmod 0600 "$1/a.txt"
	chmod 0750 "$1/d1/d2"
	chmod 0755 "$1/d1/d2/d3/deep.txt"
	touch -d '2021-03-04 05:06:07.123456789' "$1/a.txt" "$1/d1/big.bin"
	touch -d '2019-01-01 00:00:00' "$1/d1/d2/d3" "$1/d1/d2"
}

# tree_sums DIR - "mode mtime type size sha256 path" of every entry
tree_sums() {
	(cd "$1" && find . -mindepth 1 | sort | while read -r p; do
		if [ -f "$p" ] && [ ! -L "$p" ]; then
			s=$(sha256sum <"$p" | cut -d' ' -f1)
		elif [ -L "$p" ]; then
			s=$(readlink "$p")
		else
			s=-
		fi
		printf '%s %s %s\n' "$(stat -c '%F %a' "$p")" "$s" "$p"
	done)
}

# tree_times DIR - "mtime path" of every file and directory (not links)
tree_times() {
	(cd "$1" && find . -mindepth 1 ! -type l | sort | while read -r p; do
		printf '%s %s\n' "$(stat -c '%.9Y' "$p")" "$p"
	done)
}

# no_temps DIR - no ".*.vio9p.*" temporary left anywhere under DIR
no_temps() {
	[ -z "$(find "$1" -name '.*.vio9p.*')" ]
}

# ---- usage ---------------------------------------------------------------

help_lists_every_verb() {
	run "$VIO9P" --help
	expect_rc 0
	expect_err ""
	expect_out "usage: vio9p [-d device | -t tag | -a address] [-A aname] [-m msize] verb [arg ...]
verbs:
    list
    tag
    ls [-lR] [path ...]
    stat path ...
    cat path ...
    get [-pr] src [dst]
    put [-pr] src [dst]
    mkdir [-p] path ...
    rm [-r] path ...
    mv src dst
    ln -s target link
    df [path ...]
    mount [-f] [-o options] mountpoint
    relay [-v] [-l path [-m mode]] [--fd n] [-u user] [--peer-uid] [--max-fids n]"
}

every_verb_has_help() {
	for verb in list tag ls stat cat get put mkdir rm mv ln df mount relay; do
		want=$("$VIO9P" --help | sed -n "s/^    \($verb\)\( \|\$\)/\1\2/p")
		for flag in -h --help; do
			run "$VIO9P" "$verb" "$flag"
			expect_rc 0
			expect_out "usage: vio9p $want"
			expect_err ""
		done
	done
}

bad_usage_exits_1() {
	run v ls -x
	expect_rc 1
	expect_out ""
	expect_err "usage: vio9p ls [-lR] [path ...]"
	run v ln a b
	expect_rc 1
	expect_err "usage: vio9p ln -s target link"
	run v mv a
	expect_rc 1
	expect_err "usage: vio9p mv src dst"
	run "$VIO9P" frobnicate
	expect_rc 1
	expect_eq "$(head -n 1 "$T/err")" "vio9p: frobnicate: unknown verb" \
		"unknown verb"
	run "$VIO9P"
	expect_rc 1
	run "$VIO9P" -d /dev/x -t t tag
	expect_rc 1
	expect_err "vio9p: -d, -t and -a exclude each other"
}

msize_is_parsed_with_bounds() {
	run v -m 100 df
	expect_rc 1
	expect_err "vio9p: msize 100: too small"
	run v -m 99999999999999999999 df
	expect_rc 1
	expect_err "vio9p: msize 99999999999999999999: too large"
	run v -m 8k df
	expect_rc 1
	expect_err "vio9p: msize 8k: invalid"
	run v -m -1 df
	expect_rc 1
	expect_err "vio9p: msize -1: invalid"
	head -c 100000 /dev/urandom >f
	run v -m 600 put f
	expect_rc 0
	expect_true "put with msize 600 differs" cmp -s f "$EXP/f"
}

# ---- channels ------------------------------------------------------------

# fake_channels - a device directory and a sysfs tree the command reads
# through VIO9P_DEVDIR / VIO9P_SYSFS; 10 has no sysfs entry (the ioctl
# fallback answers ENOTTY on a plain file, so its tag is unknown); by-tag/
# is udev's folder of links, which is not a channel.
fake_channels() {
	mkdir -p "$T/fdev/by-tag" "$T/fsys/vio9p0" "$T/fsys/vio9p2"
	ln -sfn ../0 "$T/fdev/by-tag/alpha"
	: >"$T/fdev/0"
	: >"$T/fdev/2"
	: >"$T/fdev/10"
	echo alpha >"$T/fsys/vio9p0/mount_tag"
	echo beta >"$T/fsys/vio9p2/mount_tag"
}

list_shows_channels_tags_and_state() {
	fake_channels
	run env VIO9P_DEVDIR="$T/fdev" VIO9P_SYSFS="$T/fsys" "$VIO9P" list
	expect_rc 0
	expect_err ""
	expect_out "$T/fdev/0 alpha free
$T/fdev/2 beta free
$T/fdev/10 - free"
	mkdir "$T/none"
	run env VIO9P_DEVDIR="$T/none" "$VIO9P" list
	expect_rc 0
	expect_out ""
	run env VIO9P_DEVDIR="$T/missing" "$VIO9P" list
	expect_rc 0
	expect_out ""
}

channel_is_chosen_by_tag_or_device() {
	fake_channels
	e="env VIO9P_DEVDIR=$T/fdev VIO9P_SYSFS=$T/fsys"
	run $e "$VIO9P" -t beta tag
	expect_rc 0
	expect_out "beta"
	run $e "$VIO9P" -d "$T/fdev/0" tag
	expect_rc 0
	expect_out "alpha"
	run $e "$VIO9P" -t gamma tag
	expect_rc 1
	expect_err "vio9p: no channel with mount tag gamma in $T/fdev"
	run $e "$VIO9P" tag
	expect_rc 1
	expect_err "vio9p: 3 channels in $T/fdev: $T/fdev/0 $T/fdev/2 $T/fdev/10; choose one with -d or -t"
	rm "$T/fdev/2" "$T/fdev/10"
	run $e "$VIO9P" tag
	expect_rc 0
	expect_out "alpha"
	rm "$T/fdev/0"
	run $e "$VIO9P" ls
	expect_rc 1
	expect_err "vio9p: no channel in $T/fdev; name a server with -a"
	run v tag
	expect_rc 1
	expect_err "vio9p: tag unix:$T/sock: not a vio9p device"
	run "$VIO9P" -d "$T/nodev" ls
	expect_rc 1
	expect_err "vio9p: $T/nodev: No such file or directory"
	run "$VIO9P" -a "unix:$T/nosock" ls
	expect_rc 1
	expect_err "vio9p: unix:$T/nosock: No such file or directory"
	run "$VIO9P" -a "unix:$T/sock" -A /etc ls
	expect_rc 1
	expect_err "vio9p: attach /etc: Operation not permitted"
}

# ---- names ---------------------------------------------------------------

ls_lists_sorted_names() {
	mkdir "$EXP/b" "$EXP/b/sub"
	: >"$EXP/c"
	: >"$EXP/a"
	: >"$EXP/.hidden"
	run v ls
	expect_rc 0
	expect_err ""
	expect_out ".hidden
a
b
c"
	run v ls /b
	expect_out "sub"
	run v ls c b
	expect_out "c

b:
sub"
}

ls_long_shows_attributes() {
	printf '12345' >"$EXP/f"
	chmod 4751 "$EXP/f"
	mkdir "$EXP/d"
	ln -s f "$EXP/l"
	touch -d '2022-05-06 07:08:09' "$EXP/f" "$EXP/d"
	touch -h -d '2022-05-06 07:08:09' "$EXP/l"
	run v ls -l
	expect_rc 0
	expect_out "drwxr-xr-x 2 0 0 $(stat -c %s "$EXP/d") 2022-05-06 07:08 d
-rwsr-x--x 1 0 0 5 2022-05-06 07:08 f
lrwxrwxrwx 1 0 0 1 2022-05-06 07:08 l -> f"
	run v ls -l f
	expect_out "-rwsr-x--x 1 0 0 5 2022-05-06 07:08 f"
}

ls_recursive_walks_tree() {
	mkdir -p "$EXP/a/b" "$EXP/c"
	: >"$EXP/a/b/f"
	: >"$EXP/a/g"
	ln -s a "$EXP/la"
	run v ls -R
	expect_rc 0
	expect_out "/:
a
c
la

/a:
b
g

/a/b:
f

/c:"
	run v ls -R a
	expect_out "a:
b
g

a/b:
f"
}

# ls -l and -R of more entries than any request window (they go in
# batches, each step of a batch in flight at once): name order, a symlink,
# and the error of every entry that fails, here a directory that user
# nobody may read but not search.
ls_long_batches_keep_order_links_and_errors() {
	mkdir "$EXP/many" "$EXP/many/ro"
	want=
	i=0
	while [ "$i" -lt 150 ]; do
		n=$(printf 'f%03d' "$i")
		head -c "$i" /dev/zero >"$EXP/many/$n"
		want="$want-rw-r--r-- 1 0 0 $i 2022-05-06 07:08 $n
"
		i=$((i + 1))
	done
	ln -s f007 "$EXP/many/link"
	errs=
	i=0
	while [ "$i" -lt 70 ]; do
		n=$(printf 'g%02d' "$i")
		: >"$EXP/many/ro/$n"
		errs="${errs}vio9p: ls many/ro/$n: Permission denied
"
		i=$((i + 1))
	done
	touch -d '2022-05-06 07:08:09' "$EXP"/many/f* "$EXP/many/ro"
	touch -h -d '2022-05-06 07:08:09' "$EXP/many/link"
	chmod 0444 "$EXP/many/ro"
	want="${want}lrwxrwxrwx 1 0 0 4 2022-05-06 07:08 link -> f007
dr--r--r-- 2 0 0 $(stat -c %s "$EXP/many/ro") 2022-05-06 07:08 ro"
	run v ls -l many
	expect_rc 0
	expect_err ""
	expect_out "$want"
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		tap_skip "needs root and setpriv to list as another user"
	fi
	chmod 0711 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		timeout 60 "$VIO9P" -a "unix:$T/sock" -A "$EXP" ls -lR many
	chmod 0700 "$T"
	expect_rc 1
	expect_out "many:
$want

many/ro:"
	expect_err "${errs%?}"
}

ls_missing_warns_and_goes_on() {
	: >"$EXP/x"
	run v ls nope x /nope/deeper
	expect_rc 1
	expect_out "x"
	expect_err "vio9p: ls nope: No such file or directory
vio9p: ls /nope/deeper: No such file or directory"
}

stat_prints_attributes() {
	printf 'abc' >"$EXP/f"
	chmod 0640 "$EXP/f"
	touch -d '2020-02-03 04:05:06.5' "$EXP/f"
	ln -s f "$EXP/l"
	run v stat f l
	expect_rc 0
	expect_err ""
	expect_out "file: f
type: regular file
size: 3
mode: 0640 (-rw-r-----)
uid: 0
gid: 0
links: 1
inode: $(stat -c %i "$EXP/f")
access: $(stat -c %x "$EXP/f")
modify: 2020-02-03 04:05:06.500000000 +0000
change: $(stat -c %z "$EXP/f")
file: l -> f
type: symbolic link
size: 1
mode: 0777 (lrwxrwxrwx)
uid: 0
gid: 0
links: 1
inode: $(stat -c %i "$EXP/l")
access: $(stat -c %x "$EXP/l")
modify: $(stat -c %y "$EXP/l")
change: $(stat -c %z "$EXP/l")"
	run v stat nope
	expect_rc 1
	expect_out ""
	expect_err "vio9p: stat nope: No such file or directory"
}

cat_concatenates_and_goes_on() {
	printf 'one\n' >"$EXP/a"
	printf 'two\n' >"$EXP/b"
	mkdir "$EXP/d"
	run v cat a nope b d
	expect_rc 1
	expect_out "one
two"
	expect_err "vio9p: cat nope: No such file or directory
vio9p: cat d: Is a directory"
	head -c 200000 /dev/urandom >"$EXP/big"
	run v cat big
	expect_rc 0
	expect_true "cat big differs" cmp -s "$EXP/big" "$T/out"
}

full_stdout_fails_loudly() {
	printf 'x\n' >"$EXP/a"
	rc=0
	v ls >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_err "vio9p: stdout: No space left on device"
	rc=0
	v cat a >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_err "vio9p: cat a: No space left on device"
}

mkdir_makes_directories() {
	run v mkdir a a/b
	expect_rc 0
	expect_err ""
	expect_eq "$(stat -c %a "$EXP/a/b")" 755 "mode of a/b"
	run v mkdir a x/y c
	expect_rc 1
	expect_err "vio9p: mkdir a: File exists
vio9p: mkdir x/y: No such file or directory"
	expect_true "c not made" test -d "$EXP/c"
	run v mkdir -p a/b/c/d a
	expect_rc 0
	expect_true "a/b/c/d not made" test -d "$EXP/a/b/c/d"
	: >"$EXP/f"
	run v mkdir -p f/g
	expect_rc 1
	expect_err "vio9p: mkdir f/g: Not a directory"
}

rm_removes_files_and_trees() {
	mkdir -p "$EXP/d/e"
	: >"$EXP/d/e/f"
	: >"$EXP/g"
	ln -s d "$EXP/l"
	run v rm g nope d l
	expect_rc 1
	expect_err "vio9p: rm nope: No such file or directory
vio9p: rm d: Is a directory"
	expect_true "g left" test ! -e "$EXP/g"
	expect_true "link left (or its target gone)" \
		test ! -L "$EXP/l" -a -d "$EXP/d"
	run v rm -r d
	expect_rc 0
	expect_err ""
	expect_true "d left" test ! -e "$EXP/d"
	run v rm -r / ""
	expect_rc 1
	expect_err "vio9p: rm /: refusing to remove the root
vio9p: rm : refusing to remove the root"
}

mv_renames_and_moves_into_directories() {
	printf 'x' >"$EXP/a"
	mkdir "$EXP/d"
	run v mv a b
	expect_rc 0
	expect_err ""
	expect_eq "$(cat "$EXP/b")" x "b"
	run v mv b d
	expect_rc 0
	expect_true "d/b missing" test -f "$EXP/d/b"
	run v mv nope c
	expect_rc 1
	expect_err "vio9p: mv nope: No such file or directory"
	run v mv d/b nodir/c
	expect_rc 1
	expect_err "vio9p: mv nodir/c: No such file or directory"
}

ln_makes_symbolic_links() {
	mkdir "$EXP/d"
	run v ln -s ../target d/link
	expect_rc 0
	expect_err ""
	expect_eq "$(readlink "$EXP/d/link")" ../target "link target"
	run v ln -s other d/link
	expect_rc 1
	expect_err "vio9p: ln d/link: File exists"
}

# rm of a last name "." or ".." removes nothing, as GNU rm: "d/.." is the
# parent of d, and rm -r of it used to empty the parent and remove d.
rm_refuses_dot_and_dot_dot() {
	mkdir -p "$EXP/victim/d"
	: >"$EXP/victim/d/f"
	: >"$EXP/victim/g"
	run v rm -r victim/d/.. victim/. victim/d/../ . ..
	expect_rc 1
	expect_out ""
	expect_err "vio9p: rm: refusing to remove '.' or '..' directory: skipping 'victim/d/..'
vio9p: rm: refusing to remove '.' or '..' directory: skipping 'victim/.'
vio9p: rm: refusing to remove '.' or '..' directory: skipping 'victim/d/../'
vio9p: rm: refusing to remove '.' or '..' directory: skipping '.'
vio9p: rm: refusing to remove '.' or '..' directory: skipping '..'"
	expect_true "victim/d/f removed" test -f "$EXP/victim/d/f"
	expect_true "victim/g removed" test -f "$EXP/victim/g"
	run v rm -r victim/d/f victim/..d
	expect_rc 1
	expect_err "vio9p: rm victim/..d: No such file or directory"
	expect_true "victim/d/f left" test ! -e "$EXP/victim/d/f"
}

df_reports_export_file_system() {
	run v df
	expect_rc 0
	expect_err ""
	expect_eq "$(sed -n 1p "$T/out")" \
		"Channel                 1K-blocks         Used    Available Use%     Inodes      IFree" \
		"df header"
	want=$(stat -f -c '%b %S' "$EXP" | awk '{ printf "%d", $1 * $2 / 1024 }')
	expect_eq "$(sed -n 2p "$T/out" | awk '{ print $1, $2 }')" \
		"unix:$T/sock $want" "df size"
	# A path operand, as df(1): the file system holding it.
	mkdir "$EXP/d"
	run v df d /
	expect_rc 0
	expect_err ""
	expect_eq "$(wc -l <"$T/out")" 3 "df d / lines"
	expect_eq "$(sed -n 2p "$T/out" | awk '{ print $1, $2 }')" \
		"unix:$T/sock $want" "df d size"
	run v df nope d
	expect_rc 1
	expect_err "vio9p: df nope: No such file or directory"
	expect_eq "$(wc -l <"$T/out")" 2 "df nope d lines"
}

version_prints_version_file() {
	run "$VIO9P" --version
	expect_rc 0
	expect_err ""
	expect_out "vio9p $(cat "$here/../../VERSION")"
}

# ---- get and put ---------------------------------------------------------

get_copies_file_and_mode() {
	printf 'data\n' >"$EXP/f"
	chmod 0754 "$EXP/f"
	mkdir "$EXP/d" sub
	run v get f
	expect_rc 0
	expect_err ""
	expect_out ""
	expect_true "f differs" cmp -s "$EXP/f" f
	expect_eq "$(stat -c %a f)" 754 "mode (umask 022)"
	run v get /f sub
	expect_true "sub/f differs" cmp -s "$EXP/f" sub/f
	run v get f g
	expect_true "g differs" cmp -s "$EXP/f" g
	(umask 077 && v get f h)
	expect_eq "$(stat -c %a h)" 700 "mode under umask 077"
	run v get nope
	expect_rc 1
	expect_err "vio9p: get nope: No such file or directory"
	run v get d
	expect_rc 1
	expect_err "vio9p: get d: Is a directory"
	run v get f nodir/f
	expect_rc 1
	expect_err "vio9p: get nodir/f: No such file or directory"
	expect_true "temporary left" no_temps .
}

put_copies_file_and_mode() {
	printf 'data\n' >f
	chmod 0741 f
	mkdir "$EXP/d" ldir
	run v put f
	expect_rc 0
	expect_err ""
	expect_true "f differs" cmp -s f "$EXP/f"
	expect_eq "$(stat -c %a "$EXP/f")" 741 "mode"
	run v put f d
	expect_true "d/f differs" cmp -s f "$EXP/d/f"
	run v put f /d/g
	expect_true "d/g differs" cmp -s f "$EXP/d/g"
	printf 'new\n' >f
	run v put f
	expect_rc 0
	expect_true "f not replaced" cmp -s f "$EXP/f"
	run v put nope
	expect_rc 1
	expect_err "vio9p: put nope: No such file or directory"
	run v put ldir
	expect_rc 1
	expect_err "vio9p: put ldir: Is a directory"
	run v put f nodir/f
	expect_rc 1
	expect_err "vio9p: put nodir/f: No such file or directory"
	expect_true "temporary left" no_temps "$EXP"
}

preserve_keeps_mode_and_times() {
	printf 'p\n' >f
	chmod 0604 f
	touch -d '2001-02-03 04:05:06.789' f
	run v put -p f
	expect_rc 0
	expect_eq "$(stat -c '%a %.9Y' "$EXP/f")" "604 $(stat -c %.9Y f)" \
		"put -p"
	run v put f g
	expect_true "put without -p kept the mtime" \
		test "$(stat -c %Y "$EXP/g")" != "$(stat -c %Y f)"
	rm f
	run v get -p f
	expect_rc 0
	expect_eq "$(stat -c '%a %.9Y' f)" "604 $(stat -c %.9Y "$EXP/f")" \
		"get -p"
}

tree_round_trips_with_checksums() {
	make_tree src
	run v put -r -p src
	expect_rc 0
	expect_err ""
	expect_eq "$(tree_sums "$EXP/src")" "$(tree_sums src)" "tree on server"
	expect_eq "$(tree_times "$EXP/src")" "$(tree_times src)" \
		"times on server"
	run v get -r -p src back
	expect_rc 0
	expect_err ""
	expect_eq "$(tree_sums back)" "$(tree_sums src)" "tree got back"
	expect_eq "$(tree_times back)" "$(tree_times src)" "times got back"
	expect_true "3 MiB file differs" cmp -s src/d1/big.bin back/d1/big.bin
	expect_true "temporary left" no_temps "$EXP"
	expect_true "temporary left" no_temps .
	# Into existing directories, merging, and the root's contents.
	mkdir all
	run v get -r / all
	expect_rc 0
	expect_eq "$(tree_sums all/src)" "$(tree_sums src)" "get -r /"
	run v put src
	expect_rc 1
	expect_err "vio9p: put src: Is a directory"
}

# get of a symbolic link (without -r) copies what it points to, with that
# file's mode and times; targets resolve inside the export, an absolute
# one from its root.
get_of_a_link_gives_the_target_mode_and_times() {
	printf 'target\n' >"$EXP/t"
	chmod 0604 "$EXP/t"
	touch -d '2020-02-03 04:05:06.5' "$EXP/t"
	mkdir "$EXP/d"
	ln -s t "$EXP/l"
	ln -s ../l "$EXP/d/up"
	ln -s /t "$EXP/d/abs"
	ln -s d "$EXP/ld"
	ln -s nope "$EXP/dangling"
	run v get l
	expect_rc 0
	expect_err ""
	expect_true "l differs" cmp -s "$EXP/t" l
	expect_eq "$(stat -c %a l)" 604 "mode of l"
	run v get -p l lp
	expect_rc 0
	expect_eq "$(stat -c '%a %.9Y' lp)" "604 $(stat -c %.9Y "$EXP/t")" \
		"get -p l"
	run v get -p d/up up
	expect_rc 0
	expect_eq "$(stat -c '%a %.9Y' up)" "604 $(stat -c %.9Y "$EXP/t")" \
		"get -p d/up (a link to a link)"
	run v get d/abs abs
	expect_rc 0
	expect_true "abs differs" cmp -s "$EXP/t" abs
	run v get ld
	expect_rc 1
	expect_err "vio9p: get ld: Is a directory"
	run v get dangling
	expect_rc 1
	expect_err "vio9p: get dangling: No such file or directory"
	expect_true "temporary left" no_temps .
}

get_never_leaves_a_partial_file() {
	head -c 3145728 /dev/urandom >"$EXP/big"
	printf 'old\n' >big
	# The local write fails half way (EFBIG past 1 MiB).
	rc=0
	(trap '' XFSZ && ulimit -f 2048 && v get big) 2>"$T/err" || rc=$?
	expect_rc 1
	expect_err "vio9p: get ./big: File too large"
	expect_eq "$(cat big)" old "the old file was replaced"
	expect_true "temporary left" no_temps .
	rm big
	rc=0
	(trap '' XFSZ && ulimit -f 2048 && v get big) 2>"$T/err" || rc=$?
	expect_rc 1
	expect_true "partial file under the final name" test ! -e big
	expect_true "temporary left" no_temps .
}

put_never_leaves_a_partial_file() {
	# The server cannot rename a file over a directory: the complete
	# temporary must go.
	mkdir -p "$EXP/d/f/x"
	printf 'data\n' >f
	run v put f d
	expect_rc 1
	expect_err "vio9p: put d/f: Is a directory"
	expect_true "temporary left on the server" no_temps "$EXP"
	# A second diod on a 1 MiB tmpfs: the writes fail half way.
	mkdir "$T/exp2"
	mount -t tmpfs -o size=1m tmpfs "$T/exp2" 2>/dev/null ||
		tap_skip "cannot mount a tmpfs (not root?)"
	printf 'old\n' >"$T/exp2/big"
	start_diod "$T/sock2" "$T/exp2"
	head -c 3145728 /dev/urandom >big
	run "$VIO9P" -a "unix:$T/sock2" -A "$T/exp2" put big
	expect_rc 1
	expect_err "vio9p: put /big: No space left on device"
	expect_eq "$(cat "$T/exp2/big")" old "the old file was replaced"
	run "$VIO9P" -a "unix:$T/sock2" -A "$T/exp2" put big new
	expect_rc 1
	expect_true "partial file under the final name" test ! -e "$T/exp2/new"
	expect_true "temporary left on the server" no_temps "$T/exp2"
}

# put makes the data durable (Tfsync) before the rename that shows it:
# diod's protocol trace (-d 1) has a Tfsync before the Trenameat.
put_syncs_before_the_rename() {
	start_diod "$T/sock2" "$EXP" -d 1 -L "$T/trace.log"
	printf 'data\n' >f
	run "$VIO9P" -a "unix:$T/sock2" -A "$EXP" put f
	expect_rc 0
	expect_err ""
	expect_true "f differs" cmp -s f "$EXP/f"
	expect_eq "$(grep -o 'P9_T\(FSYNC\|RENAMEAT\|RENAME\) ' "$T/trace.log" |
		head -n 1)" "P9_TFSYNC " "first of Tfsync and Trename(at) in diod's trace"
	expect_eq "$(grep -c 'P9_TFSYNC ' "$T/trace.log")" 1 "Tfsyncs"
}

# put_interrupted INT|TERM - the copy of a big file in small messages is
# interrupted by SIGNAL once its temporary exists: the temporary goes and
# the command dies of the signal.  On a diod of its own: diod 1.0.24 has
# been seen to crash now and then after clients die with requests in
# flight, and the other cases should not pay for it.
put_interrupted() {
	start_diod "$T/sock2" "$EXP"
	head -c 67108864 /dev/zero >big
	env --default-signal="$1" "$VIO9P" -a "unix:$T/sock2" -A "$EXP" \
		-m 512 put big 2>"$T/err" &
	pid=$!
	i=0
	while [ -z "$(find "$EXP" -name '.big.vio9p.*')" ] && [ "$i" -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	sleep 0.2
	kill -s "$1" "$pid"
	rc=0
	wait "$pid" || rc=$?
	case $1 in INT) want=130 ;; TERM) want=143 ;; esac
	expect_rc "$want"
	expect_err ""
	expect_true "the copy ended before the signal" test "$i" -lt 500
	expect_true "big made on the server" test ! -e "$EXP/big"
	expect_true "temporary left on the server" no_temps "$EXP"
}

put_interrupted_by_sigint_removes_its_temporary() {
	put_interrupted INT
}

put_interrupted_by_sigterm_removes_its_temporary() {
	put_interrupted TERM
}

# get likewise removes its local temporary.
get_interrupted_by_sigint_removes_its_temporary() {
	start_diod "$T/sock2" "$EXP"
	head -c 67108864 /dev/zero >"$EXP/big"
	env --default-signal=INT "$VIO9P" -a "unix:$T/sock2" -A "$EXP" \
		-m 512 get big 2>"$T/err" &
	pid=$!
	i=0
	while [ -z "$(find . -name '.big.vio9p.*')" ] && [ "$i" -lt 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	sleep 0.2
	kill -s INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_rc 130
	expect_err ""
	expect_true "the copy ended before the signal" test "$i" -lt 500
	expect_true "big made" test ! -e big
	expect_true "temporary left" no_temps .
}

# ---- a hostile server ------------------------------------------------------

# Names from Rreaddir that are empty, hold a '/', or are a second "." or
# ".." are refused, each named; the good ones go on.
server_names_are_refused_and_the_rest_goes_on() {
	start_hostile names
	bad='vio9p: ls /: bad name from the server: ""
vio9p: ls /: bad name from the server: "a/b"
vio9p: ls /: bad name from the server: ".."
vio9p: ls /: bad name from the server: "."'
	run h ls /
	expect_rc 1
	expect_out "ok"
	expect_err "$bad"
	run h get -r / got
	expect_rc 1
	expect_err "$(printf '%s\n' "$bad" | sed 's/ls \//get \//')"
	expect_eq "$(cd got && find . | sort | tr '\n' ' ')" ". ./ok " \
		"files made by get -r"
	expect_true "a file made outside got" test ! -e a -a ! -e ok
}

# Rreaddir offsets that never advance: EPROTO, not a loop.
readdir_offsets_that_do_not_advance_are_eproto() {
	start_hostile loop
	run h ls /
	expect_rc 1
	expect_err "vio9p: ls /: Protocol error"
}

# Each Rread is short (1000 bytes) but the file is 100000 bytes long.
short_reads_before_the_size_are_not_the_end() {
	start_hostile short
	perl -e 'print map { chr($_ % 251) } 0 .. 99999' >want
	run h get f
	expect_rc 0
	expect_err ""
	expect_true "f differs (short reads taken as the end?)" cmp -s want f
	run h cat f
	expect_rc 0
	expect_true "cat f differs" cmp -s want "$T/out"
}

# The server lists d/x twice: first a symbolic link to a folder outside
# the destination, which get -r makes, then a directory holding a file:
# get -r must not write that file through the link it made.
get_r_never_writes_through_a_link_it_made() {
	mkdir "$T/outside"
	start_hostile escape "$T/outside"
	run h get -r d got
	expect_rc 1
	expect_err "vio9p: get got/x: Not a directory"
	expect_eq "$(readlink got/x)" "$T/outside" "the link got/x"
	expect_eq "$(ls -A "$T/outside")" "" "files written outside"
	expect_true "temporary left" no_temps got
}

# ---- 32-bit x86 --------------------------------------------------------------

# The library and the command build for i386 (gcc -m32, without the
# mount) with the same warnings as errors, and the result works.
builds_and_runs_for_32_bit_x86() {
	[ -n "${CMD_DIR:-}" ] || tap_skip "CMD_DIR (the cmd folder to build in) not set"
	printf 'int main(void) { return 0; }\n' >m32.c
	gcc -m32 -o m32 m32.c 2>/dev/null ||
		tap_skip "gcc -m32 cannot link (install gcc-multilib)"
	run make -s -C "$CMD_DIR" vio9p-m32
	expect_rc 0
	[ "$rc" -eq 0 ] || return 0
	m32="$CMD_DIR/vio9p-m32"
	expect_eq "$(od -An -tx1 -j4 -N1 "$m32" | tr -d ' ')" 01 "ELF class (32-bit)"
	head -c 3000000 /dev/urandom >f
	run "$m32" -a "unix:$T/sock" -A "$EXP" put f
	expect_rc 0
	run "$m32" -a "unix:$T/sock" -A "$EXP" get f g
	expect_rc 0
	expect_true "g differs" cmp -s f g
	run "$m32" -a "unix:$T/sock" -A "$EXP" ls -l f
	expect_rc 0
	expect_eq "$(cut -d' ' -f5 "$T/out")" 3000000 "size in ls -l"
	run "$m32" -a "unix:$T/sock" -A "$EXP" mount "$T/mnt"
	expect_rc 1
	expect_err "vio9p: mount: this vio9p was built without FUSE (libfuse3)"
}

concurrent_commands_share_the_server() {
	for i in 1 2 3 4 5 6; do
		head -c $((1048576 + i)) /dev/urandom >"f$i"
	done
	pids=""
	for i in 1 2 3 4 5 6; do
		(v put "f$i" && v get "f$i" "g$i" && v ls -l >/dev/null) \
			>"$T/c$i.out" 2>&1 &
		pids="$pids $!"
	done
	st=0
	for j in $pids; do
		wait "$j" || st=1
	done
	expect_eq "$st" 0 "a concurrent command failed: $(cat "$T"/c*.out)"
	for i in 1 2 3 4 5 6; do
		expect_true "f$i differs on the server" cmp -s "f$i" "$EXP/f$i"
		expect_true "g$i differs" cmp -s "f$i" "g$i"
	done
	run v ls
	expect_out "f1
f2
f3
f4
f5
f6"
}

guest_script_passes_under_busybox() {
	command -v busybox >/dev/null || tap_skip "busybox not installed"
	run busybox sh "$here/guest.sh" "$VIO9P" notag "unix:$T/sock" "$EXP"
	expect_rc 0
	expect_eq "$(grep -c '^ok ' "$T/out")" 19 "guest.sh cases passed"
	[ "$rc" -eq 0 ] || tap_diag "$(grep -A3 '^not ok' "$T/out")"
	expect_true "manifest does not match" \
		sh -c "cd '$EXP/tree' && sha256sum -c --quiet ../tree.sha256"
}

# A progress bar on stderr only when it is a terminal: script(1) gives the
# command a pseudo-terminal and keeps what it wrote there.
progress_bar_only_on_a_terminal() {
	head -c 2097152 /dev/urandom >"$EXP/big"
	rc=0
	script -qec "timeout 60 '$VIO9P' -a 'unix:$T/sock' -A '$EXP' get big '$W/big'" \
		"$T/typescript" </dev/null >/dev/null 2>&1 || rc=$?
	expect_rc 0
	expect_true "get under a terminal differs" cmp -s "$EXP/big" "$W/big"
	expect_true "no progress bar reached 100% on the terminal" \
		grep -q 'big  *\[####################\] 100% 2.0M/2.0M' \
		"$T/typescript"
	rm -f "$W/big"
	run v get big "$W/big"
	expect_rc 0
	expect_err ""
	expect_true "get differs" cmp -s "$EXP/big" "$W/big"
}

# The cases, declared up front as the plan: a run that ends early fails.
set -- help_lists_every_verb every_verb_has_help bad_usage_exits_1 \
	msize_is_parsed_with_bounds list_shows_channels_tags_and_state \
	channel_is_chosen_by_tag_or_device ls_lists_sorted_names \
	ls_long_shows_attributes ls_recursive_walks_tree \
	ls_long_batches_keep_order_links_and_errors \
	ls_missing_warns_and_goes_on stat_prints_attributes \
	cat_concatenates_and_goes_on full_stdout_fails_loudly \
	mkdir_makes_directories rm_removes_files_and_trees \
	rm_refuses_dot_and_dot_dot \
	mv_renames_and_moves_into_directories ln_makes_symbolic_links \
	df_reports_export_file_system version_prints_version_file \
	get_copies_file_and_mode \
	put_copies_file_and_mode preserve_keeps_mode_and_times \
	get_of_a_link_gives_the_target_mode_and_times \
	tree_round_trips_with_checksums get_never_leaves_a_partial_file \
	put_never_leaves_a_partial_file put_syncs_before_the_rename \
	put_interrupted_by_sigint_removes_its_temporary \
	put_interrupted_by_sigterm_removes_its_temporary \
	get_interrupted_by_sigint_removes_its_temporary \
	server_names_are_refused_and_the_rest_goes_on \
	readdir_offsets_that_do_not_advance_are_eproto \
	short_reads_before_the_size_are_not_the_end \
	get_r_never_writes_through_a_link_it_made \
	builds_and_runs_for_32_bit_x86 concurrent_commands_share_the_server \
	guest_script_passes_under_busybox progress_bar_only_on_a_terminal
tap_plan $#
for t in "$@"; do
	fresh
	tap_run "$t"
done
tap_done
