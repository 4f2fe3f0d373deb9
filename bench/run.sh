#!/bin/bash
# vio9p against the kernel's v9fs, side by side in one guest boot.  Run by
# `make bench`; not part of `make check`: it is a benchmark, not a test, so
# it exits 0 when the bar is missed (and says so), and 1 only when it could
# not measure.
#
# The guest gets two virtio-9p devices on the SAME host folder: vio9p is
# loaded with tags=<one of them>, and 9pnet_virtio takes the other, which
# is mounted with trans=virtio,version=9p2000.L,msize=8192,cache=none.
# Measured, RUNS times each after one warm-up run, the clients
# alternating, caches dropped before each run; the median is reported:
#   get  vio9p -t TAG get big.bin into tmpfs, against cat of the v9fs
#        copy into /dev/null: MB/s (10^6 bytes/s) of a 64 MiB file;
#   ls   vio9p -t TAG ls -l against busybox ls -l of the v9fs copy, on a
#        folder of 1,000 files: seconds.
# The guest times each run with bench/elapsed (CLOCK_MONOTONIC around
# fork/exec/wait).  One vio9p copy is checked with sha256sum against the
# host's file, and both ls -l listings must have 1,000 lines.
#
# Environment (the Makefile sets these; tests/vm.sh has the guest's):
#   ELAPSED	the static bench/elapsed
#   VIO9P_CMD	the static vio9p(1)
#   RUNS	runs per measurement (default 5)
#   BIG_MIB	size of the file, MiB (default 64)
#   NFILES	files in the folder (default 1000)
#   VM_TIMEOUT	seconds before the guest is killed (default 1800)
#   WORK	scratch folder (default build/bench/vm)
#   RESULTS	the Markdown report (default bench/results/latest.md)
set -eu

: "${GUEST_KVER:?}" "${VIO9P_KO:?}" "${ELAPSED:?}" "${VIO9P_CMD:?}"
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
BIG_MIB=${BIG_MIB:-64}
NFILES=${NFILES:-1000}
VM_TIMEOUT=${VM_TIMEOUT:-1800}
WORK=${WORK:-$top/build/bench/vm}
RESULTS=${RESULTS:-$top/bench/results/latest.md}
MSIZE=8192
TAG_VIO9P=bench-vio9p
TAG_V9FS=bench-v9fs
GET_BAR=1.5
LS_BAR=2
# shellcheck source=tests/vm.sh
. "$top/tests/vm.sh"

rm -rf "$WORK"
share=$WORK/share
mkdir -p "$share/files"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$share/big.bin"
for i in $(seq -w 1 "$NFILES"); do
	printf '%s\n' "$i" >"$share/files/f$i"
done
big_bytes=$(stat -c %s "$share/big.bin")
big_sum=$(sha256sum <"$share/big.bin" | cut -d' ' -f1)
sync

root=$WORK/root
vm_root "$root"
cp "$ELAPSED" "$root/bin/elapsed"
cp "$VIO9P_CMD" "$root/bin/vio9p"
{
	vm_init_head /dev/ttyS1 "tags=$TAG_VIO9P"
	printf 'runs=%s msize=%s tag=%s v9fs_tag=%s\n' "$RUNS" "$MSIZE" \
		"$TAG_VIO9P" "$TAG_V9FS"
	cat <<'EOF_INIT'
exec >$out 2>&1
stty raw -echo 2>/dev/null
for m in $(cat /lib/modules/v9fs/order); do
	insmod /lib/modules/v9fs/$m.ko || echo "# insmod $m failed"
done
mkdir -p /mnt/v9fs /tmp/get
mount -t 9p -o trans=virtio,version=9p2000.L,msize=$msize,cache=none \
	$v9fs_tag /mnt/v9fs || echo "# mount v9fs failed"
echo "# kernel $(uname -r)"
echo "# vio9p channels $(ls /dev/9p | wc -l) tag $(cat /sys/class/vio9p/*/mount_tag)"
echo "# vio9p max_msize $(cat /sys/class/vio9p/*/max_msize) max_requests $(cat /sys/class/vio9p/*/max_requests)"
echo "# v9fs $(grep ' 9p ' /proc/mounts)"
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# one KIND CLIENT RUN: time one run, print "# result KIND CLIENT RUN NS".
one() {
	local ns
	drop
	# stderr off the terminal: no progress bar.
	case $1-$2 in
	get-vio9p) ns=$(elapsed vio9p -t $tag get big.bin /tmp/get/big.bin 2>/tmp/err) ;;
	get-v9fs) ns=$(elapsed -o /dev/null cat /mnt/v9fs/big.bin 2>/tmp/err) ;;
	ls-vio9p) ns=$(elapsed -o /tmp/ls.$2 vio9p -t $tag ls -l files 2>/tmp/err) ;;
	ls-v9fs) ns=$(elapsed -o /tmp/ls.$2 ls -l /mnt/v9fs/files 2>/tmp/err) ;;
	esac || { cat /tmp/err; echo "# failed $1 $2 $3"; return; }
	# Run 0 warms up (the guest's code paths, the host's caches): shown,
	# not counted.
	if [ "$3" = 0 ]; then echo "# warmup $1 $2 $ns"; else echo "# result $1 $2 $3 $ns"; fi
	if [ "$1-$2" = get-vio9p ]; then
		[ "$3" = 1 ] && echo "# sha256 $(sha256sum </tmp/get/big.bin | cut -d' ' -f1)"
		rm -f /tmp/get/big.bin
	elif [ "$1" = get ]; then
		:
	elif [ "$3" = 1 ]; then
		echo "# lines ls $2 $(grep -c ' f[0-9]*$' /tmp/ls.$2)"
	fi
}
i=0
while [ $i -le $runs ]; do
	# Alternate which client goes first.
	if [ $((i % 2)) = 1 ]; then a=vio9p b=v9fs; else a=v9fs b=vio9p; fi
	for k in get ls; do
		one $k $a $i
		one $k $b $i
	done
	i=$((i + 1))
done
# One more run of each, untimed, counting its 9P requests: vio9p's
# "submitted" counter, and v9fs's 9p_client_req trace events by type.
t=/sys/kernel/tracing
mount -t tracefs tracefs $t && echo 16384 >$t/buffer_size_kb
submitted() { sed -n 's/^submitted //p' /sys/class/vio9p/*/stats; }
count() {
	local n
	drop
	if [ $2 = vio9p ]; then
		n=$(submitted)
		[ $1 = get ] && vio9p -t $tag get big.bin /tmp/get/big.bin 2>/dev/null
		[ $1 = ls ] && vio9p -t $tag ls -l files >/dev/null 2>&1
		rm -f /tmp/get/big.bin
		echo "# reqs $1 $2 $(($(submitted) - n))"
	else
		: >$t/trace
		echo 1 >$t/events/9p/9p_client_req/enable
		[ $1 = get ] && cat /mnt/v9fs/big.bin >/dev/null
		[ $1 = ls ] && ls -l /mnt/v9fs/files >/dev/null
		echo 0 >$t/events/9p/9p_client_req/enable
		echo "# reqs $1 $2 $(grep -c 9p_client_req $t/trace)" \
			"$(sed -n 's/.*request \(P9_[A-Z]*\).*/\1/p' $t/trace |
				sort | uniq -c | tr -s ' \n' '  ')"
	fi
}
for k in get ls; do
	count $k vio9p
	count $k v9fs
done
echo "# vio9p stats: $(cat /sys/class/vio9p/*/stats | tr '\n' ' ')"
echo "# guest done"
poweroff -f
EOF_INIT
} >"$root/init"
chmod +x "$root/init"
vm_pack "$root" "$WORK/initramfs.gz"

qemu_version=$("$QEMU" --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
accel=${VM_ACCEL:-tcg}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: booting $GUEST_KVER under QEMU $qemu_version ($accel), $RUNS runs of each measurement..."
# shellcheck disable=SC2046 # word splitting wanted: lists of arguments
vm_boot "$VM_TIMEOUT" "$WORK/initramfs.gz" \
	-append "console=ttyS0 panic=-1 rdinit=/init quiet" \
	-serial "file:$WORK/console.log" -serial "file:$WORK/guest.log" \
	$(vm_fsdev fs0 "$share" "$TAG_VIO9P") \
	$(vm_fsdev fs1 "$share" "$TAG_V9FS") \
	>"$WORK/qemu.log" 2>&1 || echo "bench: qemu exited with status $? (see $WORK)"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
tr -d '\r' <"$WORK/guest.log" >"$WORK/guest.txt"
log=$WORK/guest.txt

die() {
	echo "bench: $*; guest output: $log, kernel log: $WORK/console.log" >&2
	exit 1
}
grep -q '^# guest done' "$log" || die "the guest did not finish"
! grep -E '^# (failed|insmod|mount)' "$log" || die "a guest step failed"
grep -q "^# vio9p channels 1 tag $TAG_VIO9P\$" "$log" ||
	die "vio9p did not take exactly the $TAG_VIO9P device"
got_sum=$(sed -n 's/^# sha256 //p' "$log")
[ "$got_sum" = "$big_sum" ] ||
	die "the copy vio9p got has sha256 ${got_sum:-none}, the host's file $big_sum"
for c in vio9p v9fs; do
	n=$(sed -n "s/^# lines ls $c //p" "$log")
	[ "$n" = "$NFILES" ] || die "ls -l through $c listed ${n:-no} files of $NFILES"
done
kernel=$(sed -n 's/^# kernel //p' "$log")

# median KIND CLIENT: the median time of the runs, in ns.
median() {
	awk -v k="$1" -v c="$2" '$2 == "result" && $3 == k && $4 == c { print $6 }' "$log" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# samples KIND CLIENT: every run's time, in seconds.
samples() {
	awk -v k="$1" -v c="$2" '$2 == "result" && $3 == k && $4 == c {
		printf "%s%.3f", n++ ? " " : "", $6 / 1e9 }' "$log"
}
# paired KIND: the median over the rounds of v9fs time / vio9p time in
# the same round (both ratios are that), a check less swayed by load
# that changes between rounds.
paired() {
	awk -v k="$1" '$2 == "result" && $3 == k { t[$4, $5] = $6 }
		END { for (r = 1; ("vio9p", r) in t; r++) printf "%.3f\n", t["v9fs", r] / t["vio9p", r] }' "$log" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] }'
}
# warmup KIND CLIENT: the warm-up run's time, in seconds.
warmup() {
	awk -v k="$1" -v c="$2" '$2 == "warmup" && $3 == k && $4 == c {
		printf "%.3f", $5 / 1e9 }' "$log"
}
for kc in get-vio9p get-v9fs ls-vio9p ls-v9fs; do
	m=$(median "${kc%-*}" "${kc#*-}")
	n=$(awk -v k="${kc%-*}" -v c="${kc#*-}" '$2 == "result" && $3 == k && $4 == c' "$log" | wc -l)
	if [ -z "$m" ] || [ "$n" != "$RUNS" ]; then
		die "$kc: $n of $RUNS runs reported"
	fi
	eval "ns_${kc/-/_}=$m"
done
# shellcheck disable=SC2154 # set by the eval above
read -r get_vio9p get_v9fs ls_vio9p ls_v9fs get_ratio ls_ratio get_ok ls_ok <<EOF
$(awk -v b="$big_bytes" -v gv="$ns_get_vio9p" -v gf="$ns_get_v9fs" \
	-v lv="$ns_ls_vio9p" -v lf="$ns_ls_v9fs" -v gb="$GET_BAR" -v lb="$LS_BAR" 'BEGIN {
	mv = b / (gv / 1e9) / 1e6; mf = b / (gf / 1e9) / 1e6
	gr = mv / mf; lr = lf / lv
	printf "%.1f %.1f %.3f %.3f %.2f %.2f %s %s\n", mv, mf, lv / 1e9, lf / 1e9,
		gr, lr, (gr >= gb ? "met" : "MISSED"), (lr >= lb ? "met" : "MISSED") }')
EOF
[ -n "$ls_ok" ] || die "could not compute the results"

env="kernel $kernel, QEMU $qemu_version ($accel), msize $MSIZE"
what_get="get $BIG_MIB MiB"
what_ls="ls -l of $NFILES files"
lines=$(
	printf '%-44s %8s %-4s  %s\n' \
		"$what_get, vio9p get into tmpfs:" "$get_vio9p" MB/s "$env" \
		"$what_get, v9fs cat into /dev/null:" "$get_v9fs" MB/s "$env" \
		"$what_ls, vio9p ls -l:" "$ls_vio9p" s "$env" \
		"$what_ls, v9fs busybox ls -l:" "$ls_v9fs" s "$env"
)
printf '%s\n' "$lines" | sed 's/^/bench: /'
echo "bench: get ratio vio9p/v9fs: ${get_ratio}x (bar ${GET_BAR}x): $get_ok; median of per-round ratios $(paired get)x"
echo "bench: ls -l ratio v9fs/vio9p: ${ls_ratio}x (bar ${LS_BAR}x): $ls_ok; median of per-round ratios $(paired ls)x"
verdict="both bars met"
if [ "$get_ok" != met ] || [ "$ls_ok" != met ]; then
	verdict="BAR MISSED:"
	[ "$get_ok" = met ] || verdict="$verdict get is ${get_ratio}x, not ${GET_BAR}x;"
	[ "$ls_ok" = met ] || verdict="$verdict ls -l is ${ls_ratio}x, not ${LS_BAR}x;"
	verdict="${verdict%;} (a benchmark: exit status 0 all the same)"
fi
echo "bench: $verdict"

stats=$(sed -n 's/^# vio9p stats: //p' "$log")
mkdir -p "$(dirname "$RESULTS")"
{
	echo "# vio9p bench: vio9p against v9fs in one guest boot"
	echo
	echo "Made by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Guest: Debian kernel $kernel, QEMU $qemu_version with $accel, 2 vCPUs,"
	echo "${VM_MEM:-512} MiB; two virtio-9p-pci devices on one host folder, one taken by"
	echo "vio9p (\`tags=$TAG_VIO9P\`), one mounted with"
	echo "\`trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none\`; msize $MSIZE on both."
	echo "Median of $RUNS runs after one warm-up run each (not counted), the clients"
	echo "alternating, guest caches dropped before each run; timed in the guest on"
	echo "CLOCK_MONOTONIC (bench/elapsed.c)."
	echo "Host load average (1, 5, 15 min): $load_before before, $load_after after."
	echo
	echo "| measurement | value | unit | runs (s) | warm-up (s) | kernel | QEMU | msize |"
	echo "|---|---:|---|---|---:|---|---|---:|"
	echo "| $what_get: \`vio9p -t TAG get\` into tmpfs | $get_vio9p | MB/s | $(samples get vio9p) | $(warmup get vio9p) | $kernel | $qemu_version ($accel) | $MSIZE |"
	echo "| $what_get: \`cat\` from v9fs into /dev/null | $get_v9fs | MB/s | $(samples get v9fs) | $(warmup get v9fs) | $kernel | $qemu_version ($accel) | $MSIZE |"
	echo "| $what_ls: \`vio9p -t TAG ls -l\` | $ls_vio9p | s | $(samples ls vio9p) | $(warmup ls vio9p) | $kernel | $qemu_version ($accel) | $MSIZE |"
	echo "| $what_ls: busybox \`ls -l\` on v9fs | $ls_v9fs | s | $(samples ls v9fs) | $(warmup ls v9fs) | $kernel | $qemu_version ($accel) | $MSIZE |"
	echo
	echo "| ratio | value | bar | | median of per-round ratios |"
	echo "|---|---:|---:|---|---:|"
	echo "| get: vio9p MB/s / v9fs MB/s | ${get_ratio}x | ${GET_BAR}x | $get_ok | $(paired get)x |"
	echo "| ls -l: v9fs time / vio9p time | ${ls_ratio}x | ${LS_BAR}x | $ls_ok | $(paired ls)x |"
	echo
	echo "**$verdict**"
	echo
	echo "Checked: the sha256 of one vio9p copy matches the host's file ($big_sum);"
	echo "both listings have $NFILES entries."
	echo
	echo "9P requests of one more, untimed, run of each (vio9p: the device's"
	echo "\`submitted\` counter; v9fs: \`9p:9p_client_req\` trace events, by type):"
	echo
	echo "| run | requests | v9fs by type |"
	echo "|---|---:|---|"
	sed -n 's/^# reqs \([a-z]*\) \([a-z0-9]*\) \([0-9]*\) *\(.*\)/| \1 \2 | \3 | \4 |/p' "$log"
	echo
	echo "vio9p device counters at the end: \`$stats\`."
} >"$RESULTS"
echo "bench: wrote $RESULTS"
