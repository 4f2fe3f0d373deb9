#!/bin/bash
# vio9p against the kernel's v9fs, side by side in one guest boot, and that
# at each of BENCH_SMP's vCPU counts (1 and 2: one boot each, measured and
# reported by the same code).  Run by `make bench`; not part of `make
# check`: it is a benchmark, not a test, so it exits 0 when a bar is missed
# (and says so), and 1 when it could not measure or when what a timed run
# read, wrote or listed was not right.
#
# The guest gets seven virtio-9p devices, all on the SAME host folder; each
# column of the table is one of them:
#   v9fs      the kernel's v9fs, trans=virtio, msize 8192
#   v9fsbig   the kernel's v9fs, trans=virtio, msize RAISED_MSIZE (131072)
#   vio9p     vio9p(1) on a vio9p channel of msize 8192 (the default)
#   vio9pbig  vio9p(1) on a vio9p channel of msize RAISED_MSIZE
#   relay     the kernel's v9fs, trans=unix, msize 8192, through
#             `vio9p relay` on a vio9p channel of msize 8192
#   fuse      `vio9p mount` (FUSE) on a vio9p channel of msize 8192
#   fusedef   `vio9p mount` at its default options (no -o), msize 8192
# Every v9fs mount is version=9p2000.L,cache=none; the fuse column's mount
# has the kernel's attribute and entry caches off (attr_timeout=0,
# entry_timeout=0,negative_timeout=0) to match; fusedef is the mount as a
# user gets it, against the same v9fs.  vio9p reads its max_msize parameter when
# it probes a device, so the guest loads it with max_msize=8192 and the
# tags of its three 8192 channels, then sets max_msize=RAISED_MSIZE and
# tags=<the big channel's> and has the virtio bus probe the devices still
# without a driver: the big one is taken at the raised limit, the v9fs
# ones are refused and left to 9pnet_virtio, loaded after.  So both
# limits are live at once and every round measures every column.
#
# Rows, each timed in the guest with bench/elapsed (CLOCK_MONOTONIC around
# fork/exec/wait) unless said otherwise:
#   read   a BIG_MIB file copied into tmpfs, as `vio9p get` does: `dd bs=1M`
#          from the mount; `vio9p get`.  MB/s (10^6 bytes/s).
#   write  the same size from tmpfs: `dd bs=1M` onto the mount (a new
#          file); `vio9p put` (a new file).  MB/s.
#   ls     `ls -l` (busybox) of a folder of NFILES files on the mount;
#          `vio9p ls -l`.  Seconds.
#   osc    bench/osc: OSC_N times open(2), fstat(2), close(2) of one small
#          file on the mount; through libvio9p, Twalk, Tlopen, Tgetattr,
#          Tclunk on the channel (session made before the clock starts).
#          Microseconds per iteration, osc's own clock.
#   tree   a source-like tree (TREE_DIRS folders of TREE_FILES files, made
#          here and packed by GNU tar with a fixed order, owner and mtime,
#          its sha256 checked in the guest) unpacked by busybox tar into
#          tree/NAME on the mount, then `find` of it, `grep -r` of a word
#          in it, `rm -r` of it, all in one timed shell.  The entries found
#          are counted, the sorted grep output's sha256 is the host's, and
#          the folder must be gone (in the guest through v9fs, and on the
#          host after the boot).  Columns v9fs, fuse and fusedef only
#          (see can()), and no warm-up run.  Seconds.
# RUNS rounds after one warm-up round (shown, not counted); in each round
# every row is measured for every column, the order of the columns
# rotated from round to round, guest caches dropped before each run; the
# median is reported.  Every timed run, the warm-up too, is checked after
# its clock stops: the sha256 of the copy a read made (in the guest) is
# the host's file's; every write goes to a file of its own (put/COL.rN.bin)
# whose sha256 on the host, after the boot, is that of the guest's source;
# the names and sizes of every listing hash to the host's (and number
# NFILES); every stat of open-stat-close reports the small file's size
# (osc -s).  A mismatch ends the bench with status 1 and a message naming
# the vCPUs, row, column and round.  One more untimed run of each cell
# counts its 9P requests (a vio9p channel's `submitted` counter, v9fs's
# 9p:9p_client_req trace events) and the most in flight at once (v9fs:
# exact, from its 9p_client_req and 9p_client_res events; a vio9p
# channel: its `in_flight` counter, sampled in a loop), and for vio9p get
# and put the system calls of the vio9p process that read and write
# (syscr, syscw of its /proc/PID/io, which `elapsed -i` keeps), reported
# per request beside the diagnostics.  Then RUNS
# runs of a few diagnostics, reported apart from the table: libvio9p
# through the relay's socket (read, open-stat-close), reads into
# /dev/null with `vio9p cat` and into tmpfs with dd from v9fs, a copy
# from tmpfs to tmpfs, and one-byte round trips between two processes.
#
# Environment (the Makefile sets the first four; tests/vm.sh has the
# guest's):
#   ELAPSED	the static bench/elapsed
#   OSC		the static bench/osc
#   VIO9P_CMD	the static vio9p(1)
#   RUNS	rounds counted (default 5)
#   BIG_MIB	size of the file read and written, MiB (default 64)
#   NFILES	files in the folder listed (default 1000)
#   OSC_N	iterations of open-stat-close per run (default 1000)
#   RAISED_MSIZE the raised msize of vio9pbig and v9fsbig (default 131072)
#   TREE_DIRS, TREE_FILES the tree row's folders, and files in each
#		(default 40 and 50: 2,000 files)
#   BENCH_SMP	the guest's vCPU counts, one boot each (default "1 2"); each
#		boot is passed to tests/vm.sh as VM_SMP
#   BENCH_ROWS	the rows to measure, some of "read write ls osc tree"
#		(default all of them)
#   BENCH_COLS	the columns to measure, some of "v9fs v9fsbig vio9p
#		vio9pbig relay fuse fusedef" (default all of them).  A run of fewer
#		rows or columns than all is partial: it prints the medians
#		and the ratios of the bars it has, skips the diagnostics, and
#		writes no report, plot or README table (e.g. BENCH_ROWS=ls
#		BENCH_COLS="v9fs vio9p" for the ls -l bar); its runs are
#		checked all the same
#   BENCH_CORRUPT "KIND COL ROUND", to show that the checks work: that
#		run's result is spoilt after its clock stops and before it is
#		checked (a read's copy or a write's file gets bytes
#		overwritten, a listing loses its last line; open-stat-close
#		has osc want a size one byte off), and the bench must then
#		fail (e.g. BENCH_CORRUPT="read vio9p 2")
#   FUSE_OPTS	the -o options of the FUSE mount (default
#		attr_timeout=0,entry_timeout=0,negative_timeout=0); e.g. an empty
#		one to measure with the kernel's caches on, as mounted by default
#   VM_MEM	guest memory, MiB (default here 1024)
#   VM_TIMEOUT	seconds before a guest is killed (default 3000)
#   WORK	scratch folder (default build/bench/vm)
#   BENCH_SHARE_IN where the shared folder is made (default /dev/shm: a
#		tmpfs, so that no column waits for the host's disk; it
#		needs room for the files of a boot's writes, 2.5 GB at the
#		defaults)
#   RESULTS	the Markdown report (default bench/results/latest.md); the
#		plot goes beside it (.png), and only for the default are the
#		README's tables replaced (between its bench markers)
set -eu

: "${GUEST_KVER:?}" "${VIO9P_KO:?}" "${ELAPSED:?}" "${OSC:?}" "${VIO9P_CMD:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
BIG_MIB=${BIG_MIB:-64}
NFILES=${NFILES:-1000}
OSC_N=${OSC_N:-1000}
RAISED=${RAISED_MSIZE:-131072}
TREE_DIRS=${TREE_DIRS:-40}
TREE_FILES=${TREE_FILES:-50}
TREE_WORD=needle
VM_MEM=${VM_MEM:-1024}
VM_TIMEOUT=${VM_TIMEOUT:-3000}
WORK=${WORK:-$top/build/bench/vm}
DEFAULT_RESULTS=$top/bench/results/latest.md
RESULTS=${RESULTS:-$DEFAULT_RESULTS}
PLOT=${RESULTS%.md}.png
MSIZE=8192
FUSE_NOCACHE=attr_timeout=0,entry_timeout=0,negative_timeout=0
FUSE_OPTS=${FUSE_OPTS-$FUSE_NOCACHE}
ALL_COLS="v9fs v9fsbig vio9p vio9pbig relay fuse fusedef"
ALL_KINDS="read write ls osc tree"
COLS=${BENCH_COLS:-$ALL_COLS}
KINDS=${BENCH_ROWS:-$ALL_KINDS}
SMPS=${BENCH_SMP:-1 2}
CORRUPT=${BENCH_CORRUPT:-}
TAG_V9FS=bench-v9fs
TAG_V9FSBIG=bench-v9fs-big
TAG_VIO9P=bench-vio9p
TAG_VIO9PBIG=bench-vio9p-big
TAG_RELAY=bench-relay
TAG_FUSE=bench-fuse
TAG_FUSEDEF=bench-fusedef
export VM_MEM
# shellcheck source=tests/vm.sh
. "$top/tests/vm.sh"

die() {
	echo "bench: $*${log:+; guest output: $log, kernel log: $console}" >&2
	exit 1
}
command -v gnuplot >/dev/null || die "no gnuplot (make bench installs bench/deps.txt)"
# has LIST WORD: WORD is one of the words of LIST.
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
# can KIND COL: whether column COL runs row KIND.  The tree row needs a
# mount, and runs on the three the goals compare: v9fs, the FUSE mount
# like for like (fuse) and as mounted by default (fusedef); on the relay
# and v9fsbig it would take as long as all the other rows together (a
# bench under an hour).  The guest has its own copy.
can() {
	case $1.$2 in tree.v9fs | tree.fuse | tree.fusedef) return 0 ;; tree.*) return 1 ;; esac
	return 0
}
for k in $KINDS; do has "$ALL_KINDS" "$k" || die "BENCH_ROWS: no row $k (rows: $ALL_KINDS)"; done
for c in $COLS; do has "$ALL_COLS" "$c" || die "BENCH_COLS: no column $c (columns: $ALL_COLS)"; done
for n in $SMPS; do
	case $n in '' | *[!0-9]* | 0*) die "BENCH_SMP: $n is not a number of vCPUs" ;; esac
done
[ -n "$SMPS" ] || die "BENCH_SMP is empty"
# shellcheck disable=SC2086 # a list of words
[ -z "$CORRUPT" ] || { set -- $CORRUPT; [ $# = 3 ]; } ||
	die "BENCH_CORRUPT: \"$CORRUPT\" is not \"KIND COL ROUND\""
partial=0
for k in $ALL_KINDS; do has "$KINDS" "$k" || partial=1; done
for c in $ALL_COLS; do has "$COLS" "$c" || partial=1; done

rm -rf "$WORK"
mkdir -p "$WORK"
# The share lives in the host's memory (BENCH_SHARE_IN, default /dev/shm,
# a tmpfs): every column's work is the transport's and QEMU's, never the
# host's disk, whose write-back of the files the rounds leave (gigabytes)
# would otherwise slow whatever runs beside it, round after round.
share=$(mktemp -d "${BENCH_SHARE_IN:-/dev/shm}/vio9p-bench.XXXXXX") ||
	die "cannot make the share in ${BENCH_SHARE_IN:-/dev/shm}"
trap 'rm -rf "$share"' EXIT
mkdir -p "$share/files" "$share/put" "$share/tree"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$share/big.bin"
for i in $(seq -w 1 "$NFILES"); do
	printf '%s\n' "$i" >"$share/files/f$i"
done
echo small >"$share/small.txt"
big_bytes=$(stat -c %s "$share/big.bin")
big_sum=$(sha256sum <"$share/big.bin" | cut -d' ' -f1)
small_bytes=$(stat -c %s "$share/small.txt")
# What every listing must hash to: "NAME SIZE" of each file, sorted
# bytewise (as the guest's busybox sort does).
ls_sum=$( (cd "$share/files" && stat -c '%n %s' -- f*) | LC_ALL=C sort |
	sha256sum | cut -d' ' -f1)
# The tree row's tarball: TREE_DIRS folders of TREE_FILES small text
# files, one in seven with a line holding TREE_WORD; packed in name order
# with one owner and mtime, so that the same sizes give the same bytes.
treesrc=$share/treesrc # in memory too, and gone before the boot
mkdir -p "$treesrc"
for d in $(seq -w 1 "$TREE_DIRS"); do
	mkdir "$treesrc/d$d"
	for f in $(seq -w 1 "$TREE_FILES"); do
		{
			printf '/* d%s/f%s.c: a generated file */\n' "$d" "$f"
			printf 'int f%s_%s(void) { return %d; }\n' "$d" "$f" "$((10#$d * 100 + 10#$f))"
			[ $(((10#$d * 100 + 10#$f) % 7)) != 0 ] ||
				printf '/* %s d%s f%s */\n' "$TREE_WORD" "$d" "$f"
		} >"$treesrc/d$d/f$f.c"
	done
done
tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
	--format=ustar -C "$treesrc" -cf "$WORK/tree.tar" .
tree_sum=$(sha256sum <"$WORK/tree.tar" | cut -d' ' -f1)
# What each unpacked tree must show: the entries `find .` lists, and the
# sha256 of `grep -r` of the word, sorted.
tree_entries=$( (cd "$treesrc" && find .) | wc -l)
tree_grep=$( (cd "$treesrc" && grep -r "$TREE_WORD" .) | LC_ALL=C sort |
	sha256sum | cut -d' ' -f1)
rm -rf "$treesrc"
sync

root=$WORK/root
vm_root "$root"
# 9pnet_fd: trans=unix where it is a module of its own (6.12); fuse.
vm_kmods "$root" 9pnet_fd fuse
vm_bin "$root" "$(command -v fusermount3)"
mkdir -p "$root/etc" "$root/run"
ln -s /proc/self/mounts "$root/etc/mtab"
cp "$ELAPSED" "$root/bin/elapsed"
cp "$OSC" "$root/bin/osc"
cp "$VIO9P_CMD" "$root/bin/vio9p"
cp "$WORK/tree.tar" "$root/tree.tar"
{
	vm_init_head /dev/ttyS1 \
		"max_msize=$MSIZE tags=$TAG_VIO9P,$TAG_RELAY,$TAG_FUSE,$TAG_FUSEDEF"
	printf 'runs=%s msize=%s raised=%s big_mib=%s osc_n=%s small_bytes=%s\n' \
		"$RUNS" "$MSIZE" "$RAISED" "$BIG_MIB" "$OSC_N" "$small_bytes"
	printf 'corrupt="%s"\n' "$CORRUPT"
	printf 'cols="%s" kinds="%s" partial=%s\n' "$COLS" "$KINDS" "$partial"
	printf 'fuse_opts=%s\n' "$FUSE_OPTS"
	printf 'tag_v9fs=%s tag_v9fsbig=%s tag_vio9p=%s tag_vio9pbig=%s tag_relay=%s tag_fuse=%s tag_fusedef=%s\n' \
		"$TAG_V9FS" "$TAG_V9FSBIG" "$TAG_VIO9P" "$TAG_VIO9PBIG" \
		"$TAG_RELAY" "$TAG_FUSE" "$TAG_FUSEDEF"
	printf 'tree_word=%s\n' "$TREE_WORD"
	cat <<'EOF_INIT'
exec >$out 2>&1
stty raw -echo 2>/dev/null
# The big channel: probed again with the raised limit, the only tag named.
p=/sys/module/vio9p/parameters
echo $raised >$p/max_msize
# No newline: a charp parameter keeps the bytes it is given.
printf %s $tag_vio9pbig >$p/tags
for d in /sys/bus/virtio/devices/*; do
	[ -e $d/driver ] || echo ${d##*/} >/sys/bus/virtio/drivers_probe 2>/dev/null
done
echo $msize >$p/max_msize
for m in $(cat /lib/modules/v9fs/order); do
	insmod /lib/modules/v9fs/$m.ko || echo "# insmod $m failed"
done
vm_load_extra
mkdir -p /mnt/v9fs /mnt/v9fsbig /mnt/relay /mnt/fuse /mnt/fusedef /tmp/get /run
o=version=9p2000.L,cache=none
mount -t 9p -o trans=virtio,$o,msize=$msize $tag_v9fs /mnt/v9fs ||
	echo "# mount v9fs failed"
mount -t 9p -o trans=virtio,$o,msize=$raised $tag_v9fsbig /mnt/v9fsbig ||
	echo "# mount v9fsbig failed"
vio9p -t $tag_relay relay -l /run/relay.sock </dev/null 2>/tmp/relay.log &
i=0
while [ ! -S /run/relay.sock ] && [ $i -lt 100 ]; do
	usleep 100000
	i=$((i + 1))
done
mount -t 9p -o trans=unix,$o,msize=$msize /run/relay.sock /mnt/relay ||
	echo "# mount relay failed: $(cat /tmp/relay.log)"
vio9p -t $tag_fuse mount ${fuse_opts:+-o $fuse_opts} \
	/mnt/fuse </dev/null || echo "# mount fuse failed"
vio9p -t $tag_fusedef mount /mnt/fusedef </dev/null || echo "# mount fusedef failed"
echo "# kernel $(uname -r)"
for c in /sys/class/vio9p/*; do
	echo "# channel $(cat $c/mount_tag) max_msize $(cat $c/max_msize) max_requests $(cat $c/max_requests)"
done
grep -E ' (9p|fuse[.a-z0-9]*) ' /proc/mounts | sed 's/^/# mount /'
# dev_of TAG: the channel's device node; stats_of TAG: its counters.
dev_of() {
	for c in /sys/class/vio9p/*; do
		[ "$(cat $c/mount_tag)" = $1 ] && echo /dev/9p/${c##*/vio9p}
	done
}
stats_of() {
	for c in /sys/class/vio9p/*; do
		[ "$(cat $c/mount_tag)" = $1 ] && echo $c/statistics
	done
}
mnt_of() { echo /mnt/$1; }
tag_of() {
	case $1 in
	vio9p) echo $tag_vio9p ;;
	vio9pbig) echo $tag_vio9pbig ;;
	relay) echo $tag_relay ;;
	fuse) echo $tag_fuse ;;
	fusedef) echo $tag_fusedef ;;
	esac
}
can() {
	case $1.$2 in tree.v9fs | tree.fuse | tree.fusedef) return 0 ;; tree.*) return 1 ;; esac
	return 0
}
# warm KIND: whether row KIND has a warm-up run (the tree row has none: it
# makes new files every run, so there is nothing to warm but time).
warm() { [ $1 != tree ]; }
echo "# sha256 tree.tar $(sha256sum </tree.tar | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/src.bin bs=1048576 count=$big_mib 2>/dev/null
echo "# sha256 src $(sha256sum </tmp/src.bin | cut -d' ' -f1)"
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# A run's NAME is COL.rROUND (COL.count for the counting run): a read
# leaves its copy in /tmp/get/NAME.bin, a write its file in put/NAME.bin
# on the share (checked on the host after the boot), ls its listing in
# /tmp/ls.NAME.
# prep KIND NAME: untimed, before each run: no copy left, caches dropped.
prep() {
	case $1 in
	read) rm -f /tmp/get/$2.bin ;;
	write) rm -f /mnt/v9fs/put/$2.bin ;;
	tree) rm -rf /mnt/v9fs/tree/$2 ;;
	esac
	drop
}
# measure KIND COL NAME: one run; prints nanoseconds (osc: per iteration).
measure() {
	local m t
	case $2 in
	vio9p*)
		t=$(tag_of $2)
		case $1 in
		read) elapsed ${iof:+-i $iof} -o /dev/null vio9p -t $t get big.bin /tmp/get/$3.bin ;;
		write) elapsed ${iof:+-i $iof} -o /dev/null vio9p -t $t put /tmp/src.bin put/$3.bin ;;
		ls) elapsed -o /tmp/ls.$3 vio9p -t $t ls -l files ;;
		osc) osc -a $(dev_of $t) -s $osc_size small.txt $osc_n ;;
		esac ;;
	*)
		m=$(mnt_of $2)
		case $1 in
		read) elapsed -o /dev/null dd if=$m/big.bin of=/tmp/get/$3.bin bs=1048576 ;;
		write) elapsed -o /dev/null dd if=/tmp/src.bin of=$m/put/$3.bin bs=1048576 ;;
		ls) elapsed -o /tmp/ls.$3 ls -l $m/files ;;
		osc) osc -s $osc_size $m/small.txt $osc_n ;;
		tree) elapsed -o /tmp/tree.$3 sh -c "mkdir $m/tree/$3 &&
			cd $m/tree/$3 && tar -xf /tree.tar && find . | wc -l &&
			grep -r $tree_word . | sort | sha256sum | cut -d' ' -f1 &&
			cd / && rm -r $m/tree/$3" ;;
		esac ;;
	esac
}
# listing FILE: the sha256 of "NAME SIZE" of each file an ls -l listed,
# sorted (the two ls print the size fifth and the name last).
listing() {
	grep ' f[0-9]*$' $1 | awk '{ print $NF, $5 }' | sort | sha256sum | cut -d' ' -f1
}
# The size osc -s wants every stat to report.
osc_size=$small_bytes
# Where elapsed -i puts vio9p's /proc/PID/io: only in count(), untimed.
iof=
# spoil KIND NAME: BENCH_CORRUPT's damage to a run's result (for osc, see
# one()).
spoil() {
	echo "# BENCH_CORRUPT: spoiling $1 $2"
	case $1 in
	read) printf 'spoilt by BENCH_CORRUPT' |
		dd of=/tmp/get/$2.bin bs=1 seek=4096 conv=notrunc 2>/dev/null ;;
	write) printf 'spoilt by BENCH_CORRUPT' |
		dd of=/mnt/v9fs/put/$2.bin bs=1 seek=4096 conv=notrunc 2>/dev/null ;;
	ls) sed -i '$d' /tmp/ls.$2 ;;
	tree) sed -i '1s/^/1/' /tmp/tree.$2 ;;
	esac
}
# one KIND COL ROUND: prints "# result KIND COL ROUND NS" (round 0:
# "# warmup KIND COL NS"), then, untimed, what checks the run: the sha256
# of a read's copy, of a listing's names and sizes and its length.
one() {
	local v n=$2.r$3
	prep $1 $n
	# BENCH_CORRUPT on open-stat-close: osc wants one byte more than the
	# file has, so every stat it checks is wrong.
	osc_size=$small_bytes
	[ "$corrupt" != "$1 $2 $3" ] || [ $1 != osc ] || osc_size=$((small_bytes + 1))
	v=$(measure $1 $2 $n 2>/tmp/err) || v=
	osc_size=$small_bytes
	case $v in
	'' | *[!0-9]*)
		cat /tmp/err
		echo "# failed $1 $2 $3"
		return ;;
	esac
	if [ $3 = 0 ]; then echo "# warmup $1 $2 $v"; else echo "# result $1 $2 $3 $v"; fi
	[ "$corrupt" != "$1 $2 $3" ] || spoil $1 $n
	case $1 in
	read)
		echo "# sum read $2 $3 $(sha256sum </tmp/get/$n.bin | cut -d' ' -f1)"
		rm -f /tmp/get/$n.bin ;;
	ls)
		echo "# sum ls $2 $3 $(listing /tmp/ls.$n)"
		echo "# lines ls $2 $3 $(grep -c ' f[0-9]*$' /tmp/ls.$n)"
		rm -f /tmp/ls.$n ;;
	tree)
		echo "# sum tree $2 $3 $(tr '\n' ' ' </tmp/tree.$n)"
		[ ! -e /mnt/v9fs/tree/$n ] || echo "# tree left $2 $3"
		rm -f /tmp/tree.$n ;;
	esac
}
i=0
while [ $i -le $runs ]; do
	echo "# round $i $(cut -d' ' -f1 /proc/uptime)"
	for k in $kinds; do
		# This round's order of the columns: rotated by the round.
		set -- $cols
		j=0
		while [ $j -lt $((i % $#)) ]; do
			set -- "$@" "$1"
			shift
			j=$((j + 1))
		done
		[ $i != 0 ] || warm $k || continue
		for c in "$@"; do
			! can $k $c || one $k $c $i
		done
	done
	i=$((i + 1))
done
echo "# rounds done $(cut -d' ' -f1 /proc/uptime)"
# Diagnostics, not in the table: the relay without v9fs (libvio9p on its
# socket), to tell the relay's cost from v9fs's trans=unix; reads into
# /dev/null with vio9p cat, into tmpfs with dd from v9fs, and writing
# tmpfs alone, to tell the transfer from the local copy that get makes.
# A partial run has none of them.
i=1
[ $partial = 0 ] || i=$((runs + 1))
while [ $i -le $runs ]; do
	for d in relaylib-get relaylib-osc vio9p-cat vio9pbig-cat v9fs-tmpfs \
		v9fsbig-tmpfs tmpfs-write pingpong; do
		drop
		case $d in
		relaylib-get) v=$(elapsed -o /dev/null vio9p -a unix:/run/relay.sock get big.bin /tmp/get/d.bin 2>/tmp/err) ;;
		relaylib-osc) v=$(osc -a unix:/run/relay.sock small.txt $osc_n 2>/tmp/err) ;;
		pingpong) v=$(osc -p $osc_n 2>/tmp/err) ;;
		vio9p-cat) v=$(elapsed -o /dev/null vio9p -t $tag_vio9p cat big.bin 2>/tmp/err) ;;
		vio9pbig-cat) v=$(elapsed -o /dev/null vio9p -t $tag_vio9pbig cat big.bin 2>/tmp/err) ;;
		v9fs-tmpfs) v=$(elapsed -o /dev/null dd if=/mnt/v9fs/big.bin of=/tmp/get/d.bin bs=1048576 2>/tmp/err) ;;
		v9fsbig-tmpfs) v=$(elapsed -o /dev/null dd if=/mnt/v9fsbig/big.bin of=/tmp/get/d.bin bs=1048576 2>/tmp/err) ;;
		tmpfs-write) v=$(elapsed -o /dev/null dd if=/tmp/src.bin of=/tmp/get/d.bin bs=1048576 2>/tmp/err) ;;
		esac || { cat /tmp/err; v=failed; }
		rm -f /tmp/get/d.bin
		echo "# diag $d $i $v"
	done
	i=$((i + 1))
done
# One more run of each cell, untimed, counting its 9P requests and the
# most in flight at once.
t=/sys/kernel/tracing
mount -t tracefs tracefs $t && echo 16384 >$t/buffer_size_kb
submitted() { cat $(stats_of $1)/submitted </dev/null; }
# sample STATS: the largest in_flight a channel's statistics/ showed, read in
# a loop until /tmp/stop exists; a script of its own, to run it niced
# above the run it watches.
cat >/bin/sample <<'EOF_SAMPLE'
#!/bin/busybox sh
p=0
while [ ! -e /tmp/stop ]; do
	v=$(cat $1/in_flight)
	[ "$v" -gt "$p" ] && p=$v
done
echo $p
EOF_SAMPLE
chmod +x /bin/sample
count() {
	local tag n d sp e
	prep $1 $2.count
	tag=$(tag_of $2)
	rm -f /tmp/stop
	echo - >/tmp/peak
	if [ -n "$tag" ]; then
		n=$(submitted $tag)
		sample $(stats_of $tag) >/tmp/peak &
		sp=$!
		renice -n -10 -p $sp >/dev/null
	fi
	: >$t/trace
	for e in 9p_client_req 9p_client_res; do
		echo 1 >$t/events/9p/$e/enable
	done
	# vio9p get and put: their system calls that read and write too
	# (elapsed -i: the process's /proc/PID/io once it has exited).
	rm -f /tmp/io.count
	case $1.$2 in
	read.vio9p* | write.vio9p*) iof=/tmp/io.count ;;
	esac
	measure $1 $2 $2.count >/dev/null 2>/tmp/err || { cat /tmp/err; echo "# failed count $1 $2"; }
	iof=
	for e in 9p_client_req 9p_client_res; do
		echo 0 >$t/events/9p/$e/enable
	done
	[ ! -s /tmp/io.count ] ||
		echo "# syscalls $1 $2 $(awk '/^sysc[rw]:/ { printf "%s ", $2 }' /tmp/io.count)"
	touch /tmp/stop
	d=-
	if [ -n "$tag" ]; then
		wait $sp
		d=$(($(submitted $tag) - n))
	fi
	rm -f /tmp/get/$2.count.bin /tmp/ls.$2.count /tmp/tree.$2.count
	echo "# reqs $1 $2 $d $(grep -c 9p_client_req: $t/trace)" \
		"$(sed -n 's/.*9p_client_req:.*request \(P9_[A-Z]*\).*/\1/p' $t/trace |
			sort | uniq -c | tr -s ' \n' '  ')"
	echo "# peak $1 $2 $(cat /tmp/peak) $(awk '/9p_client_req:/ { if (++n > p) p = n }
		/9p_client_res:/ { n-- } END { print p + 0 }' $t/trace)"
}
for k in $kinds; do
	for c in $cols; do
		! can $k $c || count $k $c
	done
done
for c in /sys/class/vio9p/*; do
	echo "# stats $(cat $c/mount_tag): $(cd $c/statistics && grep . * | tr ':\n' '  ')"
done
grep -v 'state:' /tmp/relay.log | sed 's/^/# relay log: /'
echo "# guest done"
poweroff -f
EOF_INIT
} >"$root/init"
chmod +x "$root/init"
vm_pack "$root" "$WORK/initramfs.gz"

qemu_version=$("$QEMU" --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
accel=${VM_ACCEL:-tcg}
commit=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
# What the figures were measured with: HEAD, or HEAD and changes not
# committed to what a guest runs (the results and README aside).
dirty=$(git -C "$top" status --porcelain -- . ':!bench/results' ':!README.md' 2>/dev/null |
	cut -c4- | tr '\n' ' ')
code="commit $commit${dirty:+ with uncommitted changes to ${dirty% }}"

# vcpus N: "1 vCPU", "2 vCPUs".
vcpus() { if [ "$1" = 1 ]; then echo "1 vCPU"; else echo "$1 vCPUs"; fi; }
# boot SMP: one guest boot with SMP vCPUs; its files in $WORK/smpSMP/.
boot() {
	local d=$WORK/smp$1 t0
	mkdir -p "$d"
	echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >"$d/load"
	t0=$(date +%s)
	echo "bench: booting $GUEST_KVER under QEMU $qemu_version ($accel) with $(vcpus "$1"), $RUNS rounds after a warm-up..."
	# shellcheck disable=SC2046 # word splitting wanted: lists of arguments
	VM_SMP=$1 vm_boot "$VM_TIMEOUT" "$WORK/initramfs.gz" \
		-append "console=ttyS0 panic=-1 rdinit=/init quiet" \
		-serial "file:$d/console.log" -serial "file:$d/guest.log" \
		$(vm_fsdev fs0 "$share" "$TAG_VIO9P") \
		$(vm_fsdev fs1 "$share" "$TAG_VIO9PBIG") \
		$(vm_fsdev fs2 "$share" "$TAG_RELAY") \
		$(vm_fsdev fs3 "$share" "$TAG_FUSE") \
		$(vm_fsdev fs4 "$share" "$TAG_V9FS") \
		$(vm_fsdev fs5 "$share" "$TAG_V9FSBIG") \
		$(vm_fsdev fs6 "$share" "$TAG_FUSEDEF") \
		>"$d/qemu.log" 2>&1 || echo "bench: qemu exited with status $? (see $d)"
	echo "$(cut -d' ' -f1-3 /proc/loadavg) $((($(date +%s) - t0 + 30) / 60))" >>"$d/load"
	tr -d '\r' <"$d/guest.log" >"$d/guest.txt"
}

# ---- checks: exit 1 if anything was not measured or not right -----------
# check SMP: the boot with SMP vCPUs measured every cell, and every timed
# run read, wrote and listed what it should have.
check() {
	local smp=$1 at k c i s n want
	at="at $(vcpus "$1")"
	log=$WORK/smp$smp/guest.txt
	console=$WORK/smp$smp/console.log
	grep -q '^# guest done' "$log" || die "$at: the guest did not finish"
	s=$(sed -n 's/^# failed \([a-z]*\) \([a-z0-9]*\) \([0-9]*\)$/row \1, column \2, round \3/p' "$log" | head -n 1)
	if [ -n "$s" ]; then
		grep -B 3 '^# failed ' "$log" | head -n 12 >&2
		die "$at: a timed run failed ($s; osc checks every stat's size)"
	fi
	! grep -E '^# (failed|insmod|mount [a-z0-9]* failed)' "$log" || die "$at: a guest step failed"
	for tm in "$TAG_VIO9P $MSIZE" "$TAG_VIO9PBIG $RAISED" "$TAG_RELAY $MSIZE" \
		"$TAG_FUSE $MSIZE" "$TAG_FUSEDEF $MSIZE"; do
		grep -q "^# channel ${tm% *} max_msize ${tm#* } " "$log" ||
			die "$at: no vio9p channel ${tm% *} with max_msize ${tm#* }"
	done
	[ "$(grep -c '^# channel ' "$log")" = 5 ] || die "$at: vio9p did not take exactly 5 devices"
	for c in v9fs v9fsbig relay fuse fusedef; do
		grep -q "^# mount [^ ]* /mnt/$c " "$log" || die "$at: /mnt/$c is not mounted"
	done
	src_sum=$(sed -n 's/^# sha256 src //p' "$log")
	[ -n "$src_sum" ] || die "$at: the guest did not say its source file's sha256"
	s=$(sed -n 's/^# sha256 tree.tar //p' "$log")
	[ "$s" = "$tree_sum" ] || die "$at: the guest's tree.tar has sha256 ${s:-none}, not $tree_sum"
	! grep '^# tree left ' "$log" || die "$at: a tree run left its folder behind (seen through v9fs)"
	s=$(find "$share/tree" -mindepth 1 | head -n 3)
	[ -z "$s" ] || die "$at: the tree runs left files on the host: $s"
	for k in $KINDS; do
		for c in $COLS; do
			can "$k" "$c" || continue
			n=$(awk -v k="$k" -v c="$c" '$2 == "result" && $3 == k && $4 == c' "$log" | wc -l)
			[ "$n" = "$RUNS" ] || die "$at: $k $c: $n of $RUNS runs reported"
			grep -q "^# reqs $k $c " "$log" || die "$at: $k $c: no request count"
			grep -Eq "^# peak $k $c [-0-9]+ [0-9]+\$" "$log" || die "$at: $k $c: no count of requests in flight"
			i=0
			[ "$k" != tree ] || i=1 # no warm-up run
			while [ "$i" -le "$RUNS" ]; do
				case $k in
				read)
					s=$(sed -n "s/^# sum read $c $i //p" "$log")
					want=$big_sum ;;
				write)
					s=$(sha256sum <"$share/put/$c.r$i.bin" 2>/dev/null | cut -d' ' -f1)
					want=$src_sum ;;
				ls)
					s=$(sed -n "s/^# sum ls $c $i //p" "$log")
					want=$ls_sum ;;
				osc)
					# osc -s checked each stat in the guest.
					s=
					want= ;;
				tree)
					s=$(sed -n "s/^# sum tree $c $i //p" "$log")
					want="$tree_entries $tree_grep " ;;
				esac
				[ "$s" = "$want" ] || mismatch "$smp" "$k" "$c" "$i" "sha256 ${s:-none}, not $want"
				if [ "$k" = ls ]; then
					s=$(sed -n "s/^# lines ls $c $i //p" "$log")
					[ "$s" = "$NFILES" ] || mismatch "$smp" "$k" "$c" "$i" "${s:-no} files listed, not $NFILES"
				fi
				i=$((i + 1))
			done
		done
	done
	kernel=$(sed -n 's/^# kernel //p' "$log")
}
# mismatch SMP KIND COL ROUND WHAT: a timed run's result was wrong.
mismatch() {
	local what
	case $2 in
	read) what="the copy read (sha256 in the guest), against the host's big.bin" ;;
	write) what="the file written, put/$3.r$4.bin (sha256 on the host), against the guest's source" ;;
	ls) what="the names and sizes listed, against the host's folder" ;;
	tree) what="the entries found and the sha256 of grep's lines in the unpacked tree (the host's: $tree_entries $tree_grep)" ;;
	esac
	[ "$4" = 0 ] && set -- "$1" "$2" "$3" "0 (the warm-up)" "$5"
	echo "bench: CHECK FAILED at $(vcpus "$1"): row $2 ($(row "$2")), column $3 ($(label "$3")), round $4: $what: $5" >&2
	die "a timed run's result was wrong; nothing reported"
}

# ---- figures ------------------------------------------------------------
# value KIND NS: one run's figure: MB/s for read and write, seconds for ls,
# microseconds for osc.
# cell KIND COL WHAT: WHAT is median (of the counted runs), runs (every
# counted run, in order), warmup, reqs (the counting run's 9P requests:
# the channel's for vio9p, vio9pbig and fuse, v9fs's for the others; per
# iteration for osc), peak (the most of them in flight at once: v9fs's
# for the v9fs columns, from its trace events; the channel's for the
# others, sampled), or perreq (the median time over those requests, in
# microseconds).
cell() {
	awk -v k="$1" -v c="$2" -v what="$3" -v b="$big_bytes" -v n="$OSC_N" '
	function fig(ns) {
		if (k == "read" || k == "write") return sprintf("%.1f", b / (ns / 1e9) / 1e6)
		if (k == "ls" || k == "tree") return sprintf("%.3f", ns / 1e9)
		return sprintf("%.0f", ns / 1e3)
	}
	$2 == "result" && $3 == k && $4 == c { ns[++r] = $6 }
	$2 == "warmup" && $3 == k && $4 == c { w = $5 }
	$2 == "reqs" && $3 == k && $4 == c { q = (c ~ /^(vio9p|fuse)/) ? $5 : $6 }
	$2 == "peak" && $3 == k && $4 == c { p = (c ~ /^(vio9p|fuse)/) ? $5 : $6 }
	END {
		for (i = 1; i <= r; i++) s[i] = ns[i]
		# insertion sort: r is small
		for (i = 2; i <= r; i++)
			for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
		m = s[int((r + 1) / 2)]
		if (what == "median") {
			print fig(m)
		} else if (what == "perreq") {
			if (k == "osc") q /= n
			printf "%.0f\n", q ? m / q / 1e3 : 0
		} else if (what == "runs") {
			for (i = 1; i <= r; i++) printf "%s%s", fig(ns[i]), (i < r ? " " : "\n")
		} else if (what == "warmup") {
			print w == "" ? "—" : fig(w)
		} else if (what == "peak") {
			print p
		} else if (k == "osc") {
			printf "%.1f\n", q / n
		} else print q
	}' "$log"
}
# limits: "LABEL: FRACTION; ..." of every read column's median against the
# tmpfs-to-tmpfs copy (diag tmpfs-write).
limits() {
	local c out='' t
	t=$(diag tmpfs-write read)
	for c in $COLS; do
		out="$out$(label "$c"): $(awk -v a="$(cell read "$c" median)" -v b="$t" \
			'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "-" }'); "
	done
	echo "${out%; }"
}
# diag NAME KIND: the median of the diagnostic runs NAME, as a KIND figure.
diag() {
	awk -v d="$1" -v k="$2" -v b="$big_bytes" '$2 == "diag" && $3 == d && $5 ~ /^[0-9]+$/ { print $5 }' "$log" |
		sort -n | awk -v k="$2" -v b="$big_bytes" '{ v[NR] = $1 } END {
			if (!NR) { print "-"; exit }
			m = v[int((NR + 1) / 2)]
			if (k == "read") printf "%.1f\n", b / (m / 1e9) / 1e6
			else printf "%.0f\n", m / 1e3 }'
}
# hop: what the relay adds to each of open-stat-close's 4 requests, in µs
# (libvio9p through the relay less libvio9p on a channel, medians).
hop() {
	awk -v a="$(diag relaylib-osc osc)" -v b="$(cell osc vio9p median)" \
		'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.0f\n", (a - b) / 4; else print "-" }'
}
# syscalls KIND COL: the system calls of vio9p's counting run of a cell
# that read and that write (read(2), readv(2)...; write(2), writev(2)...:
# syscr and syscw of /proc/PID/io), per 9P request on its channel:
# "READS WRITES", or "-" when not counted.
syscalls() {
	awk -v k="$1" -v c="$2" '
	$2 == "reqs" && $3 == k && $4 == c { q = $5 }
	$2 == "syscalls" && $3 == k && $4 == c { r = $5; w = $6 }
	END {
		if (!q || r == "") { print "-"; exit }
		printf "%.2f %.2f\n", r / q, w / q
	}' "$log"
}
# ratio KIND A B: how many times better A is than B, from the medians
# (MB/s: A/B; time: B/A); paired KIND A B: the median over the rounds of
# that ratio within each round, a check less swayed by load that changes
# between rounds.
ratio() {
	awk -v k="$1" -v a="$(cell "$1" "$2" median)" -v b="$(cell "$1" "$3" median)" \
		'BEGIN { printf "%.2f\n", (k == "read" || k == "write") ? a / b : b / a }'
}
paired() {
	awk -v k="$1" -v a="$2" -v b="$3" '$2 == "result" && $3 == k { t[$4, $5] = $6 }
		END { for (r = 1; (a, r) in t; r++) printf "%.3f\n", t[b, r] / t[a, r] }' "$log" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f\n", v[int((NR + 1) / 2)] }'
}
label() {
	case $1 in
	v9fs) echo "v9fs virtio $MSIZE" ;;
	v9fsbig) echo "v9fs virtio $RAISED" ;;
	vio9p) echo "vio9p $MSIZE" ;;
	vio9pbig) echo "vio9p $RAISED" ;;
	relay) echo "v9fs via relay $MSIZE" ;;
	fuse) echo "vio9p mount $MSIZE" ;;
	fusedef) echo "vio9p mount $MSIZE, defaults" ;;
	esac
}
# row KIND [UNIT]: the row's label, with UNIT or else the unit of its figures.
row() {
	case $1 in
	read) echo "read $BIG_MIB MiB (${2:-MB/s})" ;;
	write) echo "write $BIG_MIB MiB (${2:-MB/s})" ;;
	ls) echo "ls -l of $NFILES files (${2:-s})" ;;
	osc) echo "open-stat-close (${2:-µs})" ;;
	tree) echo "unpack, find, grep -r, rm -r a tree of $((TREE_DIRS * TREE_FILES)) files (${2:-s})" ;;
	esac
}

# The bars: NAME KIND A B BAR, A measured against B.
bars="read@8192 read vio9p v9fs 1.5
write@8192 write vio9p v9fs 1.5
ls-l@8192 ls vio9p v9fs 2
read@raised read vio9pbig v9fsbig 1.2
write@raised write vio9pbig v9fsbig 1.2
ls-l@raised ls vio9pbig vio9p 1
relay-read read relay v9fs 0.8
relay-write write relay v9fs 0.8
relay-ls-l ls relay v9fs 0.8
relay-osc osc relay v9fs 0.8"
bar_text() {
	case $1 in
	read@8192) echo "read at msize $MSIZE: vio9p get / v9fs" ;;
	ls-l@8192) echo "ls -l at msize $MSIZE: vio9p ls -l / v9fs" ;;
	read@raised) echo "read at msize $RAISED: vio9p get / v9fs" ;;
	write@8192) echo "write at msize $MSIZE: vio9p put / v9fs" ;;
	write@raised) echo "write at msize $RAISED: vio9p put / v9fs" ;;
	ls-l@raised) echo "ls -l: vio9p at msize $RAISED / vio9p at $MSIZE" ;;
	relay-ls-l) echo "ls -l: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	relay-osc) echo "open-stat-close: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	relay-*) echo "${1#relay-}: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	esac
}
# mark KIND|COL: the footnote mark of a row or column of the table.
mark() {
	case $1 in
	read) echo ¹ ;;
	write) echo ² ;;
	ls) echo ³ ;;
	osc) echo ⁴ ;;
	relay) echo ⁵ ;;
	fuse) echo ⁶ ;;
	tree) echo ⁷ ;;
	fusedef) echo ⁸ ;;
	esac
}
# table WHAT [UNIT]: one line per row, one cell per column; the medians'
# table (WHAT median) has the marks of the footnotes that say where a
# column does different work.
table() {
	local k c line
	line="| |"
	for c in $COLS; do
		if [ "$1" = median ] && [ -n "$(mark "$c")" ]; then
			line="$line $(label "$c") $(mark "$c") |"
		else
			line="$line $(label "$c") |"
		fi
	done
	echo "$line"
	line="|---|"
	for c in $COLS; do line="$line---:|"; done
	echo "$line"
	for k in $KINDS; do
		line="| $(row "$k" "${2:-}")"
		[ "$1" = median ] && line="$line $(mark "$k")"
		line="$line |"
		for c in $COLS; do
			if ! can "$k" "$c"; then
				line="$line — |"
			elif [ "$1" = peak ]; then
				line="$line $(inflight "$k" "$c") |"
			else
				line="$line $(cell "$k" "$c" "$1") |"
			fi
		done
		echo "$line"
	done
}
# inflight KIND COL: the most requests in flight at once in the counting
# run: v9fs's exact figure for the v9fs columns (the relay's included); for
# a vio9p channel, a range from the most its in_flight counter was seen
# at (sampled: a lower bound) to its request slots (an upper bound), one
# figure when they meet.
inflight() {
	local p w
	p=$(cell "$1" "$2" peak)
	case $2 in
	vio9p) w=$(slots "$TAG_VIO9P") ;;
	vio9pbig) w=$(slots "$TAG_VIO9PBIG") ;;
	fuse) w=$(slots "$TAG_FUSE") ;;
	fusedef) w=$(slots "$TAG_FUSEDEF") ;;
	*) w= ;;
	esac
	if [ -z "$w" ] || [ "$p" -ge "$w" ]; then
		echo "$p"
	else
		echo "$p–$w"
	fi
}
# counted KIND: each column's requests in one run of the row, and the most
# in flight at once.
counted() {
	local c out=
	for c in $COLS; do
		can "$1" "$c" || continue
		out="$out${out:+; }$(label "$c") $(cell "$1" "$c" reqs) ($(inflight "$1" "$c"))"
	done
	echo "$out"
}
# slots TAG: the request slots of a vio9p channel (its max_requests).
slots() { sed -n "s/^# channel $1 max_msize [0-9]* max_requests //p" "$log"; }
# notes: the footnotes of the medians' table, from this boot's counts.
notes() {
	echo "Where the columns do different work.  Requests are counted in one"
	echo "more, untimed, run of each cell; in brackets, how many were in flight"
	echo "at once: for v9fs (and v9fs via relay) exactly, from its trace events;"
	echo "for the vio9p and mount columns, from the most the channel's"
	echo "\`in_flight\` counter was seen at, read in a loop (a lower bound), to"
	echo "the channel's request slots (an upper bound)."
	echo
	echo "¹ read: \`dd bs=1M\` from each mount into tmpfs, \`vio9p get\` on a channel,"
	echo "which keeps up to the channel's request slots ($(slots "$TAG_VIO9P") here) busy."
	echo "Requests: $(counted read)."
	echo
	echo "² write: \`dd bs=1M\` from tmpfs onto each mount, \`vio9p put\` (a new file"
	echo "renamed into place when complete, the slots kept busy as by get)."
	echo "Requests: $(counted write)."
	echo
	echo "³ ls -l: busybox \`ls -l\` on each mount, one lstat(2) after another;"
	echo "\`vio9p ls -l\` sends Twalk, Tgetattr and Tclunk for 64 names at a time"
	echo "(as many in flight as the channel's slots allow), and its figure"
	echo "includes starting the command, Tversion and Tattach."
	echo "Requests: $(counted ls)."
	echo
	echo "⁴ open-stat-close, requests per iteration: on a mount, what v9fs or"
	echo "FUSE sends for open(2), fstat(2), close(2); in the vio9p columns, four:"
	echo "Twalk, Tlopen, Tgetattr, Tclunk through libvio9p, in a session made"
	echo "before the clock starts."
	echo "Requests: $(counted osc)."
	echo
	echo "⁵ v9fs via relay: v9fs with \`trans=unix,cache=none\` on the socket of"
	echo "\`vio9p relay\`, a process that holds a vio9p channel of msize $MSIZE;"
	echo "each request passes through it."
	echo
	if [ "$FUSE_OPTS" = "$FUSE_NOCACHE" ]; then
		echo "⁶ vio9p mount: \`-o $FUSE_OPTS\`, which, like v9fs's"
		echo "cache=none, keeps no attributes or names (and turns readdirplus off);"
		echo "not the mount's defaults (1 s timeouts, readdirplus)."
	else
		echo "⁶ vio9p mount: \`${FUSE_OPTS:+-o $FUSE_OPTS}\` (FUSE_OPTS), against v9fs's cache=none."
	fi
	echo
	echo "⁷ tree: busybox \`tar -xf\` of a tarball of $((TREE_DIRS * TREE_FILES)) files in $TREE_DIRS"
	echo "folders into the mount, \`find .\`, \`grep -r $TREE_WORD .\`, \`rm -r\`: one timed"
	echo "shell; checked by the entries found, the sha256 of grep's sorted lines,"
	echo "and the folder gone on the host.  On v9fs and the two vio9p mounts
only, without a warm-up."
	echo "Requests: $(counted tree)."
	echo
	echo "⁸ vio9p mount, defaults: mounted with no -o, as a user would (1 s"
	echo "attribute and entry timeouts, readdirplus), against v9fs's cache=none."
}

# ---- the boots ----------------------------------------------------------
for smp in $SMPS; do
	boot "$smp"
	check "$smp"
	echo "bench: $(vcpus "$smp"): every timed run read, wrote and listed what it should"
	rm -f "$share"/put/*.bin
done

if [ "$partial" = 1 ]; then
	for smp in $SMPS; do
		log=$WORK/smp$smp/guest.txt
		for k in $KINDS; do
			for c in $COLS; do
				can "$k" "$c" || continue
				echo "bench: $(vcpus "$smp"): $(row "$k"), $(label "$c"): median $(cell "$k" "$c" median), runs $(cell "$k" "$c" runs)"
			case $k.$c in
			read.vio9p* | write.vio9p*)
				echo "bench: $(vcpus "$smp"): $(row "$k"), $(label "$c"): per 9P request, system calls that read, that write: $(syscalls "$k" "$c")" ;;
			esac
			done
		done
		while read -r name k a b want; do
			if ! has "$KINDS" "$k" || ! has "$COLS" "$a" || ! has "$COLS" "$b"; then
				continue
			fi
			echo "bench: $(vcpus "$smp"): $(bar_text "$name"): $(ratio "$k" "$a" "$b")x (bar ${want}x); median of per-round ratios $(paired "$k" "$a" "$b")x"
		done <<EOF_PARTIAL_BARS
$bars
EOF_PARTIAL_BARS
	done
	echo "bench: a partial run (BENCH_ROWS, BENCH_COLS): no report written"
	exit 0
fi

# ---- figures of each boot -----------------------------------------------
declare -A bar_rows other_rows main_table env_line note_text verdict

for smp in $SMPS; do
	log=$WORK/smp$smp/guest.txt
	kernel=$(sed -n 's/^# kernel //p' "$log")
	missed=
	bar_rows[$smp]=
	while read -r name k a b want; do
		r=$(ratio "$k" "$a" "$b")
		pr=$(paired "$k" "$a" "$b")
		ok=$(awk -v r="$r" -v w="$want" 'BEGIN { print (r >= w) ? "met" : "MISSED" }')
		[ "$ok" = met ] || missed="$missed $(bar_text "$name") is ${r}x, not ${want}x;"
		bar_rows[$smp]="${bar_rows[$smp]}| $(bar_text "$name") | ${r}x | ${want}x | $ok | ${pr}x |
"
		echo "bench: $(vcpus "$smp"): $(bar_text "$name"): ${r}x (bar ${want}x): $ok; median of per-round ratios ${pr}x"
	done <<EOF_BARS
$bars
EOF_BARS
	# Other ratios, without a bar: KIND A B.
	other_rows[$smp]=
	while read -r k a b; do
		other_rows[$smp]="${other_rows[$smp]}| $(row "$k" | sed 's/ (.*//'): $(label "$a") / $(label "$b") | $(ratio "$k" "$a" "$b")x | $(paired "$k" "$a" "$b")x |
"
	done <<EOF_OTHER
ls vio9pbig v9fsbig
osc vio9p v9fs
osc vio9pbig v9fsbig
read v9fsbig v9fs
read vio9pbig vio9p
read fuse v9fs
write fuse v9fs
ls fuse v9fs
osc fuse v9fs
tree fuse v9fs
read fusedef v9fs
write fusedef v9fs
ls fusedef v9fs
osc fusedef v9fs
tree fusedef v9fs
EOF_OTHER
	if [ -n "$missed" ]; then
		verdict[$smp]="BAR MISSED at $(vcpus "$smp"):${missed%;} (a benchmark: exit status 0 all the same)"
	else
		verdict[$smp]="every bar met at $(vcpus "$smp")"
	fi
	echo "bench: ${verdict[$smp]}"
	main_table[$smp]=$(table median)
	note_text[$smp]=$(notes)
	env_line[$smp]="Debian kernel $kernel, QEMU $qemu_version ($accel), $(vcpus "$smp"), $VM_MEM MiB;
median of $RUNS rounds after a warm-up round, $(date -u -r "$log" '+%Y-%m-%d %H:%M UTC')."
done
boots=
for smp in $SMPS; do
	read -r _ lb1 lb5 lb15 la1 la5 la15 min <<<"$(tr '\n' ' ' <"$WORK/smp$smp/load")"
	boots="$boots${boots:+; }$(vcpus "$smp"): about $min minutes, host load average (1, 5, 15 min) $lb1 $lb5 $lb15 before, $la1 $la5 $la15 after"
done
noisy="Under TCG, on a host of $(nproc) cores shared with other work, the
figures vary from run to run; the medians of rounds measured in turn are
what is compared."

# ---- the report ---------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
{
	echo "# vio9p bench: vio9p, its relay and its FUSE mount against v9fs"
	echo
	echo "Made by \`make bench\` (bench/run.sh) from $code,"
	echo "in one guest boot per vCPU count ($boots)."
	echo "$noisy"
	echo
	for smp in $SMPS; do
		log=$WORK/smp$smp/guest.txt
		echo "## $(vcpus "$smp")"
		echo
		echo "Guest: ${env_line[$smp]}"
		echo
		echo "${main_table[$smp]}"
		echo
		echo "${note_text[$smp]}"
		echo
		echo "| bar | ratio | bar | | median of per-round ratios |"
		echo "|---|---:|---:|---|---:|"
		printf '%s' "${bar_rows[$smp]}"
		echo
		echo "**${verdict[$smp]}**"
		echo
		echo "Other ratios, without a bar (how many times faster the first is):"
		echo
		echo "| ratio | from the medians | median of per-round ratios |"
		echo "|---|---:|---:|"
		printf '%s' "${other_rows[$smp]}"
		echo
	done
	echo "![the medians as bars, by vCPUs](latest.png)"
	echo
	echo "## What each cell measures"
	echo
	echo "Six virtio-9p-pci devices on one host folder (QEMU's local"
	echo "backend, security_model=none), one per column:"
	echo
	echo "- *v9fs virtio $MSIZE* and *v9fs virtio $RAISED*: the kernel's v9fs,"
	echo "  \`trans=virtio,version=9p2000.L,cache=none\` at that msize;"
	echo "- *vio9p $MSIZE* and *vio9p $RAISED*: vio9p(1) on a vio9p channel"
	echo "  probed with \`max_msize\` $MSIZE and $RAISED (both bound in the same boot);"
	echo "- *v9fs via relay $MSIZE*: the kernel's v9fs, \`trans=unix,msize=$MSIZE,cache=none\`,"
	echo "  on the socket of \`vio9p relay\`, which holds a vio9p channel of msize $MSIZE;"
	echo "- *vio9p mount $MSIZE*: \`vio9p mount\` (FUSE) on a vio9p channel of msize"
	if [ "$FUSE_OPTS" = "$FUSE_NOCACHE" ]; then
		echo "  $MSIZE, with \`-o $FUSE_OPTS\`"
		echo "  so that, like cache=none, every lookup and stat reaches the server."
	else
		echo "  $MSIZE, with \`${FUSE_OPTS:+-o $FUSE_OPTS}\` (FUSE_OPTS)."
	fi
	echo
	echo "Rows (the mounts' tool, then the vio9p columns' tool):"
	echo
	echo "- *read*: a $BIG_MIB MiB file copied into tmpfs: \`dd bs=1M\` from the mount;"
	echo "  \`vio9p get\`.  MB/s (10^6 bytes/s)."
	echo "- *write*: \`dd bs=1M\` from tmpfs to a new file; \`vio9p put\` (a new file,"
	echo "  renamed into place when complete).  MB/s."
	echo "- *ls -l*: busybox \`ls -l\` of a folder of $NFILES files; \`vio9p ls -l\`."
	echo "  Seconds; the vio9p figure includes starting the command and its"
	echo "  Tversion and Tattach."
	echo "- *open-stat-close*: bench/osc.c, $OSC_N iterations of \`open\`(O_RDONLY),"
	echo "  \`fstat\`, \`close\` of one small file; for the vio9p columns"
	echo "  Twalk, Tlopen, Tgetattr, Tclunk through libvio9p on the channel, in a"
	echo "  session made before the clock starts.  Microseconds per iteration."
	echo
	echo "Timed in the guest on CLOCK_MONOTONIC (bench/elapsed.c around"
	echo "fork/exec/wait; osc's own clock around its loop).  In each round every"
	echo "cell is measured once, the order of the columns rotated from round to"
	echo "round, guest caches dropped before each run.  The guest is booted once"
	echo "for each vCPU count ($SMPS), with the same code and the same rounds."
	echo
	echo "Checked, for every timed run (the warm-up too), after its clock stops:"
	echo "the sha256 of the copy each read made (in the guest) against the host's"
	echo "file; the sha256 of the file each write made (each run writes a file of"
	echo "its own, hashed on the host after the boot) against the guest's source;"
	echo "the sha256 of the names and sizes each ls -l listed against the host's"
	echo "folder, and that it listed $NFILES files; the size every stat of"
	echo "open-stat-close reported (\`osc -s\`).  Any mismatch fails the bench"
	echo "(exit status 1, no report) naming the vCPUs, row, column and round."
	echo
	echo "## 9P requests"
	echo
	echo "Of one more, untimed, run of each cell: the channel's \`submitted\`"
	echo "counter for the vio9p and FUSE columns, \`9p:9p_client_req\` trace events"
	echo "for the v9fs ones (through the relay: those v9fs sends; the relay's"
	echo "channel carries the same number).  Open-stat-close: per iteration"
	echo "(the count of one run of $OSC_N iterations, divided).  The most in flight"
	echo "at once: for v9fs, from its \`9p_client_req\` and \`9p_client_res\` events;"
	echo "for the others, from the most the channel's \`in_flight\` counter was"
	echo "seen at, read in a loop while the run went on (a lower bound), to the"
	echo "channel's request slots (an upper bound); one figure when they meet."
	for smp in $SMPS; do
		log=$WORK/smp$smp/guest.txt
		echo
		echo "### $(vcpus "$smp")"
		echo
		table reqs requests
		echo
		echo "Most in flight at once:"
		echo
		table peak "in flight"
		echo
		echo "The median time divided by those requests, in microseconds (a round"
		echo "trip with all around it; less for clients that keep several requests"
		echo "in flight):"
		echo
		table perreq "µs per request"
		echo
		echo "By type, for the v9fs columns:"
		echo
		echo "| cell | requests |"
		echo "|---|---|"
		sed -n 's/^# reqs \([a-z]*\) \(v9fs[a-z]*\|relay\) [-0-9]* [0-9]* *\(.*\)/| \1 \2 | \3 |/p' "$log"
	done
	echo
	echo "## Diagnostics"
	echo
	echo "Not in the table: $RUNS runs of each after the rounds, medians, guest"
	echo "caches dropped before each, beside cells of the table."
	for smp in $SMPS; do
		log=$WORK/smp$smp/guest.txt
		echo
		echo "### $(vcpus "$smp")"
		echo
		echo "The relay without v9fs, to tell the relay's cost from that of v9fs's"
		echo "trans=unix: libvio9p on the relay's socket (\`vio9p -a unix:SOCKET get\`,"
		echo "\`osc -a unix:SOCKET\`):"
		echo
		echo "| | libvio9p via the relay | v9fs via the relay | vio9p $MSIZE |"
		echo "|---|---:|---:|---:|"
		echo "| $(row read) | $(diag relaylib-get read) | $(cell read relay median) | $(cell read vio9p median) |"
		echo "| $(row osc) | $(diag relaylib-osc osc) | $(cell osc relay median) | $(cell osc vio9p median) |"
		echo
		echo "What one hop through another process costs: \`osc -p\` makes $OSC_N round"
		echo "trips of one byte with a child over a unix socketpair, $(diag pingpong osc) µs each."
		echo "Open-stat-close is 4 requests, so libvio9p through the relay pays"
		echo "$(hop) µs more per request than on a channel of its own; v9fs through"
		echo "the relay adds its trans=unix work items to that."
		echo
		echo "Reads, to tell the transfer from the copy into tmpfs that every read"
		echo "of the table makes (MB/s): \`vio9p cat\` into /dev/null, \`dd bs=1M\` from"
		echo "v9fs into tmpfs once more, and \`dd bs=1M\` from tmpfs to tmpfs"
		echo "($(diag tmpfs-write read) MB/s: the local copy alone):"
		echo
		echo "| msize | vio9p get (table) | vio9p cat | v9fs dd to tmpfs (table) | v9fs dd to tmpfs (again) |"
		echo "|---|---:|---:|---:|---:|"
		echo "| $MSIZE | $(cell read vio9p median) | $(diag vio9p-cat read) | $(cell read v9fs median) | $(diag v9fs-tmpfs read) |"
		echo "| $RAISED | $(cell read vio9pbig median) | $(diag vio9pbig-cat read) | $(cell read v9fsbig median) | $(diag v9fsbig-tmpfs read) |"
		echo
		echo "Each read column as a fraction of that tmpfs-to-tmpfs copy, the most"
		echo "a read into tmpfs could reach: $(limits)."
		echo
		echo "Where get and put spend per 9P request: the system calls of the"
		echo "counting run that read and that write (syscr and syscw of the vio9p"
		echo "process's /proc/PID/io, start, Tversion, Tattach and walks included)"
		echo "over its requests, and the copies of each byte in the guest, from"
		echo "the code: get, the driver's copy of the reply to user memory and"
		echo "writev(2) into tmpfs, several replies a call (v9fs: tmpfs only; its"
		echo "Rread lands in dd's buffer); put, the driver's copy to its own"
		echo "pages only: the source's pages are spliced into a pipe behind the"
		echo "Twrite's header and the pipe into the channel (v9fs: tmpfs to dd's"
		echo "buffer only).  Each get request is one write(2) and one read(2) on"
		echo "the channel; each put request one write(2) of its header into the"
		echo "pipe, one read(2) of its reply and two splice(2), which /proc/PID/io"
		echo "does not count."
		echo
		echo "| cell | requests | reads | writes | copies |"
		echo "|---|---:|---:|---:|---:|"
		for c in read.vio9p read.vio9pbig write.vio9p write.vio9pbig; do
			# shellcheck disable=SC2046 # two words
			set -- $(syscalls "${c%.*}" "${c#*.}")
			[ $# = 2 ] || set -- - -
			copies=2
			[ "${c%.*}" = read ] || copies=1
			echo "| ${c%.*} $(label "${c#*.}") | $(cell "${c%.*}" "${c#*.}" reqs) | $1 | $2 | $copies |"
		done
	done
	echo
	echo "## Every run"
	for smp in $SMPS; do
		log=$WORK/smp$smp/guest.txt
		echo
		echo "### $(vcpus "$smp")"
		echo
		echo "| cell | median | runs | warm-up |"
		echo "|---|---:|---|---:|"
		for k in $KINDS; do
			for c in $COLS; do
				can "$k" "$c" || continue
				echo "| $(row "$k"), $(label "$c") | $(cell "$k" "$c" median) | $(cell "$k" "$c" runs) | $(cell "$k" "$c" warmup) |"
			done
		done
		echo
		echo "vio9p channel counters at the end:"
		echo
		# shellcheck disable=SC2016 # backquotes for Markdown
		sed -n 's/^# stats \(.*\)/- `\1`/p' "$log"
	done
} >"$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"
echo "bench: wrote $RESULTS"
for smp in $SMPS; do
	echo "bench: $(vcpus "$smp"):"
	printf '%s\n' "${main_table[$smp]}" | sed 's/^/bench: /'
done

# ---- the plot -----------------------------------------------------------
# One panel per row (a column that does not run a row: '?', no bar), one
# cluster of bars per column, one bar per vCPU count.
dat=$WORK/plot.dat
for k in $KINDS; do
	for c in $COLS; do
		printf '"%s"' "$(label "$c")"
		for smp in $SMPS; do
			log=$WORK/smp$smp/guest.txt
			if can "$k" "$c"; then
				printf ' %s' "$(cell "$k" "$c" median)"
			else
				printf ' ?'
			fi
		done
		printf '\n'
	done
	printf '\n\n'
done >"$dat"
nsmp=$(echo "$SMPS" | wc -w)
# panel INDEX: the plot command of one panel: a bar and its value per
# vCPU count, the values above their bars.
panel() {
	local i=0 smp off cmd="plot"
	for smp in $SMPS; do
		off=$(awk -v i="$i" -v n="$nsmp" 'BEGIN { printf "%.4f", (i - (n - 1) / 2) / (n + 1) }')
		cmd="$cmd '$dat' index $1 using $((i + 2))$([ "$i" = 0 ] && echo ':xtic(1)') title '$(vcpus "$smp")',"
		cmd="$cmd '' index $1 using (\$0 + $off):$((i + 2)):$((i + 2)) with labels offset 0,0.7 font ',9' notitle,"
		i=$((i + 1))
	done
	echo "${cmd%,}"
}
term="pngcairo size 1400,900 noenhanced font ',11'"
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || term="png size 1400,900 noenhanced"
gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF_GP || die "gnuplot failed: $WORK/gnuplot.log"
set terminal $term
set encoding utf8
set output '$PLOT'
set datafile missing '?'
set multiplot layout 2,3 title "vio9p bench: $kernel, QEMU $qemu_version ($accel), median of $RUNS rounds, $code"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set grid ytics
set xtics rotate by -25 nomirror
set key top left
set offsets 0, 0, graph 0.12, 0
set bmargin 7
set title "$(row read), higher is better"
$(panel 0)
set title "$(row write), higher is better"
$(panel 1)
set title "$(row ls), lower is better"
$(panel 2)
set title "$(row osc), lower is better"
$(panel 3)
set title "$(row tree), lower is better"
$(panel 4)
unset multiplot
EOF_GP
echo "bench: wrote $PLOT"

# ---- the README shows the latest ----------------------------------------
if [ "$RESULTS" = "$DEFAULT_RESULTS" ] &&
	grep -q '^<!-- bench:begin -->$' "$top/README.md"; then
	{
		echo "Measured from $code. $noisy"
		for smp in $SMPS; do
			echo
			echo "**$(vcpus "$smp").** Guest: ${env_line[$smp]}"
			echo
			echo "${main_table[$smp]}"
			echo
			echo "${note_text[$smp]}"
			echo
			echo "| bar | ratio | bar | |"
			echo "|---|---:|---:|---|"
			printf '%s' "${bar_rows[$smp]}" | sed 's/ | [^|]* |$/ |/'
			echo
			echo "**${verdict[$smp]}**"
		done
		echo
		echo "![make bench: the medians as bars, by vCPUs](bench/results/latest.png)"
	} >"$WORK/readme.part"
	awk -v part="$WORK/readme.part" '
		/^<!-- bench:end -->$/ { while ((getline l < part) > 0) print l; skip = 0 }
		!skip { print }
		/^<!-- bench:begin -->$/ { skip = 1 }' "$top/README.md" >"$WORK/README.md"
	cp "$WORK/README.md" "$top/README.md"
	echo "bench: updated the tables in README.md"
fi
