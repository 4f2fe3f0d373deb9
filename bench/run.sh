#!/bin/bash
# vio9p against the kernel's v9fs, side by side in one guest boot.  Run by
# `make bench`; not part of `make check`: it is a benchmark, not a test, so
# it exits 0 when a bar is missed (and says so), and 1 only when it could
# not measure.
#
# The guest gets six virtio-9p devices, all on the SAME host folder; each
# column of the table is one of them:
#   v9fs      the kernel's v9fs, trans=virtio, msize 8192
#   v9fsbig   the kernel's v9fs, trans=virtio, msize RAISED_MSIZE (131072)
#   vio9p     vio9p(1) on a vio9p channel of msize 8192 (the default)
#   vio9pbig  vio9p(1) on a vio9p channel of msize RAISED_MSIZE
#   relay     the kernel's v9fs, trans=unix, msize 8192, through
#             `vio9p relay` on a vio9p channel of msize 8192
#   fuse      `vio9p mount` (FUSE) on a vio9p channel of msize 8192
# Every v9fs mount is version=9p2000.L,cache=none; the FUSE mount has the
# kernel's attribute and entry caches off (attr_timeout=0,entry_timeout=0,
# negative_timeout=0) to match.  vio9p reads its max_msize parameter when
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
# RUNS rounds after one warm-up round (shown, not counted); in each round
# every row is measured for every column, the order of the columns
# rotated from round to round, guest caches dropped before each run; the
# median is reported.  Checked: one vio9p get per channel (sha256 against
# the host's file), one dd read through every mount (sha256, untimed), the
# files written last (sha256 on the host), every listing's length.  One
# more untimed run of each cell counts its 9P requests: a vio9p channel's
# `submitted` counter, v9fs's 9p:9p_client_req trace events.  Then RUNS
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
#   BENCH_ROWS	the rows to measure, some of "read write ls osc" (default
#		all of them)
#   BENCH_COLS	the columns to measure, some of "v9fs v9fsbig vio9p
#		vio9pbig relay fuse" (default all of them).  A run of fewer
#		rows or columns than all is partial: it prints the medians
#		and the ratios of the bars it has, skips the diagnostics and
#		the sha256 checks, and writes no report, plot or README table
#		(e.g. BENCH_ROWS=ls BENCH_COLS="v9fs vio9p" for the ls -l bar)
#   FUSE_OPTS	the -o options of the FUSE mount (default
#		attr_timeout=0,entry_timeout=0,negative_timeout=0); e.g. an empty
#		one to measure with the kernel's caches on, as mounted by default
#   VM_MEM	guest memory, MiB (default here 1024)
#   VM_TIMEOUT	seconds before the guest is killed (default 3000)
#   WORK	scratch folder (default build/bench/vm)
#   RESULTS	the Markdown report (default bench/results/latest.md); the
#		plot goes beside it (.png), and only for the default is the
#		README's table replaced (between its bench markers)
set -eu

: "${GUEST_KVER:?}" "${VIO9P_KO:?}" "${ELAPSED:?}" "${OSC:?}" "${VIO9P_CMD:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
BIG_MIB=${BIG_MIB:-64}
NFILES=${NFILES:-1000}
OSC_N=${OSC_N:-1000}
RAISED=${RAISED_MSIZE:-131072}
VM_MEM=${VM_MEM:-1024}
VM_TIMEOUT=${VM_TIMEOUT:-3000}
WORK=${WORK:-$top/build/bench/vm}
DEFAULT_RESULTS=$top/bench/results/latest.md
RESULTS=${RESULTS:-$DEFAULT_RESULTS}
PLOT=${RESULTS%.md}.png
MSIZE=8192
FUSE_NOCACHE=attr_timeout=0,entry_timeout=0,negative_timeout=0
FUSE_OPTS=${FUSE_OPTS-$FUSE_NOCACHE}
ALL_COLS="v9fs v9fsbig vio9p vio9pbig relay fuse"
ALL_KINDS="read write ls osc"
COLS=${BENCH_COLS:-$ALL_COLS}
KINDS=${BENCH_ROWS:-$ALL_KINDS}
TAG_V9FS=bench-v9fs
TAG_V9FSBIG=bench-v9fs-big
TAG_VIO9P=bench-vio9p
TAG_VIO9PBIG=bench-vio9p-big
TAG_RELAY=bench-relay
TAG_FUSE=bench-fuse
export VM_MEM
# shellcheck source=tests/vm.sh
. "$top/tests/vm.sh"

die() {
	echo "bench: $*${log:+; guest output: $log, kernel log: $WORK/console.log}" >&2
	exit 1
}
command -v gnuplot >/dev/null || die "no gnuplot (make bench installs bench/deps.txt)"
# has LIST WORD: WORD is one of the words of LIST.
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
for k in $KINDS; do has "$ALL_KINDS" "$k" || die "BENCH_ROWS: no row $k (rows: $ALL_KINDS)"; done
for c in $COLS; do has "$ALL_COLS" "$c" || die "BENCH_COLS: no column $c (columns: $ALL_COLS)"; done
partial=0
for k in $ALL_KINDS; do has "$KINDS" "$k" || partial=1; done
for c in $ALL_COLS; do has "$COLS" "$c" || partial=1; done

rm -rf "$WORK"
share=$WORK/share
mkdir -p "$share/files" "$share/put"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$share/big.bin"
for i in $(seq -w 1 "$NFILES"); do
	printf '%s\n' "$i" >"$share/files/f$i"
done
echo small >"$share/small.txt"
big_bytes=$(stat -c %s "$share/big.bin")
big_sum=$(sha256sum <"$share/big.bin" | cut -d' ' -f1)
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
{
	vm_init_head /dev/ttyS1 \
		"max_msize=$MSIZE tags=$TAG_VIO9P,$TAG_RELAY,$TAG_FUSE"
	printf 'runs=%s msize=%s raised=%s big_mib=%s osc_n=%s\n' "$RUNS" \
		"$MSIZE" "$RAISED" "$BIG_MIB" "$OSC_N"
	printf 'cols="%s" kinds="%s" partial=%s\n' "$COLS" "$KINDS" "$partial"
	printf 'fuse_opts=%s\n' "$FUSE_OPTS"
	printf 'tag_v9fs=%s tag_v9fsbig=%s tag_vio9p=%s tag_vio9pbig=%s tag_relay=%s tag_fuse=%s\n' \
		"$TAG_V9FS" "$TAG_V9FSBIG" "$TAG_VIO9P" "$TAG_VIO9PBIG" \
		"$TAG_RELAY" "$TAG_FUSE"
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
mkdir -p /mnt/v9fs /mnt/v9fsbig /mnt/relay /mnt/fuse /tmp/get /run
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
	esac
}
dd if=/dev/urandom of=/tmp/src.bin bs=1048576 count=$big_mib 2>/dev/null
echo "# sha256 src $(sha256sum </tmp/src.bin | cut -d' ' -f1)"
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# prep KIND COL: untimed, before each run: no copy left, caches dropped.
prep() {
	case $1 in
	read) rm -f /tmp/get/$2.bin ;;
	write) rm -f /mnt/v9fs/put/$2.bin ;;
	esac
	drop
}
# measure KIND COL: one run; prints nanoseconds (osc: per iteration).
measure() {
	local m t
	case $2 in
	vio9p*)
		t=$(tag_of $2)
		case $1 in
		read) elapsed -o /dev/null vio9p -t $t get big.bin /tmp/get/$2.bin ;;
		write) elapsed -o /dev/null vio9p -t $t put /tmp/src.bin put/$2.bin ;;
		ls) elapsed -o /tmp/ls.$2 vio9p -t $t ls -l files ;;
		osc) osc -a $(dev_of $t) small.txt $osc_n ;;
		esac ;;
	*)
		m=$(mnt_of $2)
		case $1 in
		read) elapsed -o /dev/null dd if=$m/big.bin of=/tmp/get/$2.bin bs=1048576 &&
			rm -f /tmp/get/$2.bin ;;
		write) elapsed -o /dev/null dd if=/tmp/src.bin of=$m/put/$2.bin bs=1048576 ;;
		ls) elapsed -o /tmp/ls.$2 ls -l $m/files ;;
		osc) osc $m/small.txt $osc_n ;;
		esac ;;
	esac
}
# one KIND COL ROUND: prints "# result KIND COL ROUND NS" (round 0:
# "# warmup KIND COL NS"), and in round 1 what checks the run.
one() {
	local v
	prep $1 $2
	v=$(measure $1 $2 2>/tmp/err) || v=
	case $v in
	'' | *[!0-9]*)
		cat /tmp/err
		echo "# failed $1 $2 $3"
		return ;;
	esac
	if [ $3 = 0 ]; then echo "# warmup $1 $2 $v"; else echo "# result $1 $2 $3 $v"; fi
	[ $3 = 1 ] && case $1-$2 in
	read-vio9p*) echo "# sha256 read $2 $(sha256sum </tmp/get/$2.bin | cut -d' ' -f1)" ;;
	ls-*) echo "# lines ls $2 $(grep -c ' f[0-9]*$' /tmp/ls.$2)" ;;
	esac
	rm -f /tmp/get/$2.bin
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
		for c in "$@"; do
			one $k $c $i
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
# Every mount reads the file right (untimed); not in a partial run.
[ $partial = 1 ] || for c in v9fs v9fsbig relay fuse; do
	echo "# sha256 read $c $(sha256sum <$(mnt_of $c)/big.bin | cut -d' ' -f1)"
done
# One more run of each cell, untimed, counting its 9P requests.
t=/sys/kernel/tracing
mount -t tracefs tracefs $t && echo 16384 >$t/buffer_size_kb
submitted() { cat $(stats_of $1)/submitted </dev/null; }
count() {
	local tag n d
	prep $1 $2
	tag=$(tag_of $2)
	[ -n "$tag" ] && n=$(submitted $tag)
	: >$t/trace
	echo 1 >$t/events/9p/9p_client_req/enable
	measure $1 $2 >/dev/null 2>/tmp/err || { cat /tmp/err; echo "# failed count $1 $2"; }
	echo 0 >$t/events/9p/9p_client_req/enable
	d=-
	[ -n "$tag" ] && d=$(($(submitted $tag) - n))
	echo "# reqs $1 $2 $d $(grep -c 9p_client_req $t/trace)" \
		"$(sed -n 's/.*request \(P9_[A-Z]*\).*/\1/p' $t/trace |
			sort | uniq -c | tr -s ' \n' '  ')"
}
for k in $kinds; do
	for c in $cols; do
		count $k $c
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
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
echo "bench: booting $GUEST_KVER under QEMU $qemu_version ($accel), $RUNS rounds after a warm-up..."
# shellcheck disable=SC2046 # word splitting wanted: lists of arguments
vm_boot "$VM_TIMEOUT" "$WORK/initramfs.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/init quiet" \
	-serial "file:$WORK/console.log" -serial "file:$WORK/guest.log" \
	$(vm_fsdev fs0 "$share" "$TAG_VIO9P") \
	$(vm_fsdev fs1 "$share" "$TAG_VIO9PBIG") \
	$(vm_fsdev fs2 "$share" "$TAG_RELAY") \
	$(vm_fsdev fs3 "$share" "$TAG_FUSE") \
	$(vm_fsdev fs4 "$share" "$TAG_V9FS") \
	$(vm_fsdev fs5 "$share" "$TAG_V9FSBIG") \
	>"$WORK/qemu.log" 2>&1 || echo "bench: qemu exited with status $? (see $WORK)"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
minutes=$((($(date +%s) - t_start + 30) / 60))
tr -d '\r' <"$WORK/guest.log" >"$WORK/guest.txt"
log=$WORK/guest.txt

# ---- checks: exit 1 if anything was not measured or not right -----------
grep -q '^# guest done' "$log" || die "the guest did not finish"
! grep -E '^# (failed|insmod|mount [a-z0-9]* failed)' "$log" || die "a guest step failed"
for tm in "$TAG_VIO9P $MSIZE" "$TAG_VIO9PBIG $RAISED" "$TAG_RELAY $MSIZE" \
	"$TAG_FUSE $MSIZE"; do
	grep -q "^# channel ${tm% *} max_msize ${tm#* } " "$log" ||
		die "no vio9p channel ${tm% *} with max_msize ${tm#* }"
done
[ "$(grep -c '^# channel ' "$log")" = 4 ] || die "vio9p did not take exactly 4 devices"
for c in v9fs v9fsbig relay fuse; do
	grep -q "^# mount [^ ]* /mnt/$c " "$log" || die "/mnt/$c is not mounted"
done
src_sum=$(sed -n 's/^# sha256 src //p' "$log")
for c in $COLS; do
	if [ "$partial" = 0 ]; then
		s=$(sed -n "s/^# sha256 read $c //p" "$log")
		[ "$s" = "$big_sum" ] || die "the file read through $c has sha256 ${s:-none}, the host's $big_sum"
		s=$(sha256sum <"$share/put/$c.bin" 2>/dev/null | cut -d' ' -f1)
		if [ -z "$src_sum" ] || [ "$s" != "$src_sum" ]; then
			die "the file written through $c has sha256 ${s:-none}, the guest's ${src_sum:-none}"
		fi
	fi
	has "$KINDS" ls || continue
	n=$(sed -n "s/^# lines ls $c //p" "$log")
	[ "$n" = "$NFILES" ] || die "ls -l through $c listed ${n:-no} files of $NFILES"
done
for k in $KINDS; do
	for c in $COLS; do
		n=$(awk -v k="$k" -v c="$c" '$2 == "result" && $3 == k && $4 == c' "$log" | wc -l)
		[ "$n" = "$RUNS" ] || die "$k $c: $n of $RUNS runs reported"
		grep -q "^# reqs $k $c " "$log" || die "$k $c: no request count"
	done
done
kernel=$(sed -n 's/^# kernel //p' "$log")

# ---- figures ------------------------------------------------------------
# value KIND NS: one run's figure: MB/s for read and write, seconds for ls,
# microseconds for osc.
# cell KIND COL WHAT: WHAT is median (of the counted runs), runs (every
# counted run, in order), warmup, reqs (the counting run's 9P requests:
# the channel's for vio9p, vio9pbig and fuse, v9fs's for the others; per
# iteration for osc), or perreq (the median time over those requests, in
# microseconds).
cell() {
	awk -v k="$1" -v c="$2" -v what="$3" -v b="$big_bytes" -v n="$OSC_N" '
	function fig(ns) {
		if (k == "read" || k == "write") return sprintf("%.1f", b / (ns / 1e9) / 1e6)
		if (k == "ls") return sprintf("%.3f", ns / 1e9)
		return sprintf("%.0f", ns / 1e3)
	}
	$2 == "result" && $3 == k && $4 == c { ns[++r] = $6 }
	$2 == "warmup" && $3 == k && $4 == c { w = $5 }
	$2 == "reqs" && $3 == k && $4 == c { q = (c ~ /^(vio9p|fuse)/) ? $5 : $6 }
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
			print fig(w)
		} else if (k == "osc") {
			printf "%.1f\n", q / n
		} else print q
	}' "$log"
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
	esac
}
# row KIND [UNIT]: the row's label, with UNIT or else the unit of its figures.
row() {
	case $1 in
	read) echo "read $BIG_MIB MiB (${2:-MB/s})" ;;
	write) echo "write $BIG_MIB MiB (${2:-MB/s})" ;;
	ls) echo "ls -l of $NFILES files (${2:-s})" ;;
	osc) echo "open-stat-close (${2:-µs})" ;;
	esac
}

# The bars: NAME KIND A B BAR, A measured against B.
bars="read@8192 read vio9p v9fs 1.5
ls-l@8192 ls vio9p v9fs 2
read@raised read vio9pbig v9fsbig 1
relay-read read relay v9fs 0.8
relay-write write relay v9fs 0.8
relay-ls-l ls relay v9fs 0.8
relay-osc osc relay v9fs 0.8"
bar_text() {
	case $1 in
	read@8192) echo "read at msize $MSIZE: vio9p get / v9fs" ;;
	ls-l@8192) echo "ls -l at msize $MSIZE: vio9p ls -l / v9fs" ;;
	read@raised) echo "read at msize $RAISED: vio9p get / v9fs" ;;
	relay-ls-l) echo "ls -l: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	relay-osc) echo "open-stat-close: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	relay-*) echo "${1#relay-}: v9fs via the relay / v9fs over virtio, msize $MSIZE" ;;
	esac
}
if [ "$partial" = 1 ]; then
	for k in $KINDS; do
		for c in $COLS; do
			echo "bench: $(row "$k"), $(label "$c"): median $(cell "$k" "$c" median), runs $(cell "$k" "$c" runs)"
		done
	done
	while read -r name k a b want; do
		if ! has "$KINDS" "$k" || ! has "$COLS" "$a" || ! has "$COLS" "$b"; then
			continue
		fi
		echo "bench: $(bar_text "$name"): $(ratio "$k" "$a" "$b")x (bar ${want}x); median of per-round ratios $(paired "$k" "$a" "$b")x"
	done <<EOF_PARTIAL_BARS
$bars
EOF_PARTIAL_BARS
	echo "bench: a partial run (BENCH_ROWS, BENCH_COLS): no report written"
	exit 0
fi
missed=
bar_rows=
while read -r name k a b want; do
	r=$(ratio "$k" "$a" "$b")
	pr=$(paired "$k" "$a" "$b")
	ok=$(awk -v r="$r" -v w="$want" 'BEGIN { print (r >= w) ? "met" : "MISSED" }')
	[ "$ok" = met ] || missed="$missed $(bar_text "$name") is ${r}x, not ${want}x;"
	bar_rows="$bar_rows| $(bar_text "$name") | ${r}x | ${want}x | $ok | ${pr}x |
"
	echo "bench: $(bar_text "$name"): ${r}x (bar ${want}x): $ok; median of per-round ratios ${pr}x"
done <<EOF_BARS
$bars
EOF_BARS
# Other ratios, without a bar: KIND A B.
other_rows=
while read -r k a b; do
	other_rows="$other_rows| $(row "$k" | sed 's/ (.*//'): $(label "$a") / $(label "$b") | $(ratio "$k" "$a" "$b")x | $(paired "$k" "$a" "$b")x |
"
done <<EOF_OTHER
write vio9p v9fs
write vio9pbig v9fsbig
ls vio9pbig v9fsbig
osc vio9p v9fs
osc vio9pbig v9fsbig
read v9fsbig v9fs
read vio9pbig vio9p
read fuse v9fs
write fuse v9fs
ls fuse v9fs
osc fuse v9fs
EOF_OTHER
if [ -n "$missed" ]; then
	verdict="BAR MISSED:${missed%;} (a benchmark: exit status 0 all the same)"
else
	verdict="every bar met"
fi
echo "bench: $verdict"

# ---- the report ---------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
header="| |"
rule="|---|"
for c in $COLS; do
	header="$header $(label "$c") |"
	rule="$rule---:|"
done
# table WHAT [UNIT]: one line per row, one cell per column.
table() {
	local k c line
	echo "$header"
	echo "$rule"
	for k in $KINDS; do
		line="| $(row "$k" "${2:-}") |"
		for c in $COLS; do
			line="$line $(cell "$k" "$c" "$1") |"
		done
		echo "$line"
	done
}
main_table=$(table median)
env_line="Debian kernel $kernel, QEMU $qemu_version ($accel), 2 vCPUs, $VM_MEM MiB;
median of $RUNS rounds after a warm-up round, $(date -u '+%Y-%m-%d %H:%M UTC')."
{
	echo "# vio9p bench: vio9p, its relay and its FUSE mount against v9fs"
	echo
	echo "Made by \`make bench\` (bench/run.sh) in one guest boot of about $minutes minutes."
	echo "Guest: $env_line"
	echo "Host load average (1, 5, 15 min): $load_before before, $load_after after."
	echo
	echo "$main_table"
	echo
	echo "![the medians as bars](latest.png)"
	echo
	echo "| bar | ratio | bar | | median of per-round ratios |"
	echo "|---|---:|---:|---|---:|"
	printf '%s' "$bar_rows"
	echo
	echo "**$verdict**"
	echo
	echo "Other ratios, without a bar (how many times faster the first is):"
	echo
	echo "| ratio | from the medians | median of per-round ratios |"
	echo "|---|---:|---:|"
	printf '%s' "$other_rows"
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
	echo "round, guest caches dropped before each run."
	echo
	echo "Checked: the sha256 of the file as read through every column, of the"
	echo "files the last writes left (on the host), and that every listing has"
	echo "$NFILES entries."
	echo
	echo "## 9P requests"
	echo
	echo "Of one more, untimed, run of each cell: the channel's \`submitted\`"
	echo "counter for the vio9p and FUSE columns, \`9p:9p_client_req\` trace events"
	echo "for the v9fs ones (through the relay: those v9fs sends; the relay's"
	echo "channel carries the same number).  Open-stat-close: per iteration"
	echo "(the count of one run of $OSC_N iterations, divided)."
	echo
	table reqs requests
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
	echo
	echo "## Diagnostics"
	echo
	echo "Not in the table: $RUNS runs of each after the rounds, medians, guest"
	echo "caches dropped before each, beside cells of the table."
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
	echo "## Every run"
	echo
	echo "| cell | median | runs | warm-up |"
	echo "|---|---:|---|---:|"
	for k in $KINDS; do
		for c in $COLS; do
			echo "| $(row "$k"), $(label "$c") | $(cell "$k" "$c" median) | $(cell "$k" "$c" runs) | $(cell "$k" "$c" warmup) |"
		done
	done
	echo
	echo "vio9p channel counters at the end:"
	echo
	# shellcheck disable=SC2016 # backquotes for Markdown
	sed -n 's/^# stats \(.*\)/- `\1`/p' "$log"
} >"$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"
echo "bench: wrote $RESULTS"
printf '%s\n' "$main_table" | sed 's/^/bench: /'

# ---- the plot -----------------------------------------------------------
dat=$WORK/plot.dat
for k in $KINDS; do
	for c in $COLS; do
		printf '"%s" %s\n' "$(label "$c")" "$(cell "$k" "$c" median)"
	done
	printf '\n\n'
done >"$dat"
term="pngcairo size 1400,900 noenhanced font ',11'"
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || term="png size 1400,900 noenhanced"
gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF_GP || die "gnuplot failed: $WORK/gnuplot.log"
set terminal $term
set encoding utf8
set output '$PLOT'
set multiplot layout 2,2 title "vio9p bench: $kernel, QEMU $qemu_version ($accel), median of $RUNS rounds"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set grid ytics
set xtics rotate by -25 nomirror
set key off
set offsets 0.5, 0.5, graph 0.12, 0
set bmargin 7
set title "$(row read), higher is better"
plot '$dat' index 0 using 0:2:(\$0 + 1):xtic(1) with boxes lc variable, \
	'' index 0 using 0:2:2 with labels offset 0,0.8
set title "$(row write), higher is better"
plot '$dat' index 1 using 0:2:(\$0 + 1):xtic(1) with boxes lc variable, \
	'' index 1 using 0:2:2 with labels offset 0,0.8
set title "$(row ls), lower is better"
plot '$dat' index 2 using 0:2:(\$0 + 1):xtic(1) with boxes lc variable, \
	'' index 2 using 0:2:2 with labels offset 0,0.8
set title "$(row osc), lower is better"
plot '$dat' index 3 using 0:2:(\$0 + 1):xtic(1) with boxes lc variable, \
	'' index 3 using 0:2:2 with labels offset 0,0.8
unset multiplot
EOF_GP
echo "bench: wrote $PLOT"

# ---- the README shows the latest ----------------------------------------
if [ "$RESULTS" = "$DEFAULT_RESULTS" ] &&
	grep -q '^<!-- bench:begin -->$' "$top/README.md"; then
	{
		echo "Guest: $env_line"
		echo
		echo "$main_table"
		echo
		echo "| bar | ratio | bar | |"
		echo "|---|---:|---:|---|"
		printf '%s' "$bar_rows" | sed 's/ | [^|]* |$/ |/'
		echo
		echo "**$verdict**"
		echo
		echo "![make bench: the medians as bars](bench/results/latest.png)"
	} >"$WORK/readme.part"
	awk -v part="$WORK/readme.part" '
		/^<!-- bench:end -->$/ { while ((getline l < part) > 0) print l; skip = 0 }
		!skip { print }
		/^<!-- bench:begin -->$/ { skip = 1 }' "$top/README.md" >"$WORK/README.md"
	cp "$WORK/README.md" "$top/README.md"
	echo "bench: updated the table in README.md"
fi
