#!/bin/sh
# guest.sh TAG-A TAG-B LINK-B - check udev/60-vio9p.rules inside a guest.
#
# Runs under busybox sh, as root, in a guest whose /init has loaded vio9p
# with two channels, tagged TAG-A (a plain tag, which is also its link
# name) and TAG-B (whose link name, encoded by vio9p_id, is LINK-B).  The
# guest holds systemd-udevd and udevadm, the rule and vio9p_id in
# /lib/udev, /etc/group with the group vio9p and the user tester in it,
# the example local rule at /tests/61-vio9p-local.rules, and the static
# vio9p(1) at /bin/vio9p; each share holds one file, hello-<share>.
# Prints TAP; exits 1 if anything failed.
set -u

TAG_A=$1
TAG_B=$2
LINK_B=$3
BYTAG=/dev/9p/by-tag
PLAN=18

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
		not_ok "$1" "want: $2" "got:  $3"
	fi
}

# minor_of TAG: the N of the channel vio9p<N> whose mount tag is TAG.
minor_of() {
	for d in /sys/class/vio9p/vio9p*; do
		[ -e "$d/mount_tag" ] || continue
		if [ "$(cat "$d/mount_tag")" = "$1" ]; then
			echo "${d##*/vio9p}"
			return 0
		fi
	done
	return 1
}

# target LINK: where LINK leads, or "none" when it is not a symlink.
target() {
	if [ -L "$1" ]; then
		readlink -f "$1"
	else
		echo none
	fi
}

# names DIR: the names in DIR, one a line.
names() {
	for f in "$1"/* "$1"/.*; do
		case ${f##*/} in . | .. | '*' | '.*') ;; *) echo "${f##*/}" ;; esac
	done
}

perms() {
	stat -c '%a %U %G' "$1" 2>&1
}

# settle ACTION: re-run the rules on the vio9p channels and wait for udev.
settle() {
	udevadm trigger --subsystem-match=vio9p --action="$1" &&
		udevadm settle --timeout=60
}

# as_tester CMD...: run CMD as the user tester (a member of vio9p).
as_tester() {
	su -s /bin/sh tester -c "$*" 2>&1
}

mkdir -p /run/udev /etc/udev/rules.d
if ! /lib/systemd/systemd-udevd --daemon --resolve-names=early; then
	echo "Bail out! systemd-udevd did not start"
	exit 1
fi
settle add

a=$(minor_of "$TAG_A") || a=missing
b=$(minor_of "$TAG_B") || b=missing
echo "# $TAG_A is /dev/9p/$a, $TAG_B is /dev/9p/$b"
udevadm info "/dev/9p/$b" 2>&1 | sed 's/^/# /'

check "plain tag: by-tag link leads to its channel" \
	"/dev/9p/$a" "$(target "$BYTAG/$TAG_A")"
check "tag with '/' and ' ': encoded link leads to its channel" \
	"/dev/9p/$b" "$(target "$BYTAG/$LINK_B")"
check "the link is relative, within /dev/9p" \
	"../$a" "$(readlink "$BYTAG/$TAG_A")"
check "by-tag holds the two links and nothing else ('/' made no folder)" \
	"$(printf '%s\n' "$LINK_B" "$TAG_A" | sort)" "$(names "$BYTAG" | sort)"
check "udev records the encoded tag" \
	"E: VIO9P_TAG_ENC=$LINK_B" \
	"$(udevadm info "/dev/9p/$b" | grep '^E: VIO9P_TAG_ENC=')"
check "vio9p list shows the channels and not the by-tag folder" \
	"$(printf '/dev/9p/%s %s free\n' "$a" "$TAG_A" "$b" "$TAG_B" | sort)" \
	"$(/bin/vio9p list 2>&1 | sort)"
check "by default channels stay 0600 root root" \
	"600 root root
600 root root" "$(perms "/dev/9p/$a"; perms "/dev/9p/$b")"
check "by default a user in group vio9p cannot open a channel" \
	"vio9p: /dev/9p/$a: Permission denied" \
	"$(as_tester "/bin/vio9p -d /dev/9p/$a ls")"

# The example local rule, enabled as vio9p(4) says.
cp /tests/61-vio9p-local.rules /etc/udev/rules.d/ &&
	udevadm control --reload && settle change
check "with 61-vio9p-local.rules channels are 0660 root vio9p" \
	"660 root vio9p
660 root vio9p" "$(perms "/dev/9p/$a"; perms "/dev/9p/$b")"
check "with the local rule a user in group vio9p lists the share" \
	"hello-a" "$(as_tester "/bin/vio9p -d $BYTAG/$TAG_A ls")"
check "the links stay through the change event" \
	"/dev/9p/$a /dev/9p/$b" \
	"$(target "$BYTAG/$TAG_A") $(target "$BYTAG/$LINK_B")"

rm /etc/udev/rules.d/61-vio9p-local.rules &&
	udevadm control --reload && settle change
check "without the local rule channels are 0600 root root again" \
	"600 root root
600 root root" "$(perms "/dev/9p/$a"; perms "/dev/9p/$b")"

# Unbind the first channel's virtio device from vio9p.
vdev=$(basename "$(readlink "/sys/class/vio9p/vio9p$a/device")")
echo "$vdev" >/sys/bus/virtio/drivers/vio9p/unbind
udevadm settle --timeout=60
check "unbind: the channel's link is gone" \
	"none" "$(target "$BYTAG/$TAG_A")"
check "unbind: its node is gone" \
	"gone" "$( [ -e "/dev/9p/$a" ] && echo present || echo gone)"
check "unbind: the other channel's link stays" \
	"/dev/9p/$b" "$(target "$BYTAG/$LINK_B")"

# And bind it again: the link comes back, to whatever number it gets.
echo "$vdev" >/sys/bus/virtio/drivers/vio9p/bind
udevadm settle --timeout=60
a2=$(minor_of "$TAG_A") || a2=missing
check "bind again: the link is back and leads to the new channel" \
	"/dev/9p/$a2" "$(target "$BYTAG/$TAG_A")"
check "bind again: the new channel is 0600 root root" \
	"600 root root" "$(perms "/dev/9p/$a2")"
check "the second share, through its encoded link, as root" \
	"hello-b" "$(/bin/vio9p -d "$BYTAG/$LINK_B" ls 2>&1)"

udevadm control --exit 2>/dev/null
[ "$n" = "$PLAN" ] || echo "# ran $n of $PLAN checks"
[ "$failed" = 0 ] && [ "$n" = "$PLAN" ]
