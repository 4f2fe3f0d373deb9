#!/bin/sh
# The Debian guest's side of tests/debian-guest/run.  The image's hook
# (scripts/build-debian-guest.sh) runs it at every boot from the share
# "ctl", mounted with v9fs at /mnt/ctl; what it prints goes to the host as
# TAP: "ok - WHAT", "not ok - WHAT" with "# " lines after a failure,
# "# time WHAT SECONDS", and "# stage done STAGE" at the end.
#
# /mnt/ctl/stage says which boot this is:
#   install   bookworm kernel: install the packages, configure vio9p
#   boot      bookworm kernel again: what happens at boot, a non-root user,
#             the relay, then the upgrade to the backports kernel
#   upgraded  backports kernel: the module again, then purge
# The other device, mount tag "share", is the one vio9p is told to take.
# Host files: share/data.bin and ctl/data.sha256, share/dir/a.txt;
# ctl/listing, what vio9p ls should show.
set -u
ctl=/mnt/ctl
stage=$(cat $ctl/stage)
tag=share
user=tester
group=vio9p
upgrade=$(cat $ctl/upgrade-kver)
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
exec 3>&1 # the TAP stream, for timed inside check

# check WHAT COMMAND...: one TAP line; the command's output after a failure.
check() {
	what=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		tail -n 25 /tmp/check.out | sed 's/^/# /'
	fi
}

# skip WHAT REASON: a check that cannot run yet.
skip() {
	echo "ok - $1 # SKIP $2"
}

# timed NAME COMMAND...: run COMMAND, print "# time NAME SECONDS", keep its
# status.  Its output goes to the console too (the host's console log), to
# follow long steps.
timed() {
	name=$1
	shift
	t0=$(date +%s)
	echo "vio9p-test: $name: $*" >/dev/ttyS0
	{ "$@"; echo $? >/tmp/timed.rc; } 2>&1 | tee -a /dev/ttyS0
	rc=$(cat /tmp/timed.rc)
	echo "# time $name $(($(date +%s) - t0))" >&3
	return "$rc"
}

# The packages under test, from the files the host put in ctl/debs.
pkgs=
for d in "$ctl"/debs/*.deb; do
	pkgs="$pkgs $(dpkg-deb -f "$d" Package)"
done

# bound_tags DRIVER: the mount tags of the virtio devices bound to DRIVER.
bound_tags() {
	for d in /sys/bus/virtio/drivers/"$1"/virtio*; do
		[ -e "$d" ] || continue
		if [ -e "$d/mount_tag" ]; then
			tr -d '\0' <"$d/mount_tag"
			echo
		else
			cat "$d"/vio9p/vio9p*/mount_tag
		fi
	done | sort | tr '\n' ' '
}

expect() { # WANT COMMAND...: COMMAND prints WANT (trailing space ignored).
	want=$1
	shift
	got=$("$@")
	got=${got% }
	[ "$got" = "$want" ] || { echo "wanted \"$want\", got \"$got\""; return 1; }
}

boot_checks() {
	k=$(uname -r)
	check "running kernel $k" true
	check "vio9p was loaded at boot" grep -q '^vio9p ' /proc/modules
	check "it is the DKMS build for $k" \
		sh -c "modinfo -n vio9p | grep -q '^/lib/modules/$k/updates/dkms/vio9p.ko'"
	check "vio9p took the device tagged $tag, and only that one" \
		expect "$tag" bound_tags vio9p
	check "9pnet_virtio took the device tagged ctl" expect ctl bound_tags 9pnet_virtio
	check "ctl is mounted with v9fs meanwhile" \
		expect "ctl 9p" findmnt -n -r -o SOURCE,FSTYPE $ctl
	dev=$(cat /sys/class/vio9p/vio9p*/dev 2>/dev/null)
	check "udev made /dev/9p/by-tag/$tag, the node of the channel ($dev)" \
		expect "$dev" sh -c "stat -L -c '%t:%T' /dev/9p/by-tag/$tag |
			{ IFS=: read -r ma mi; echo \$((0x\$ma)):\$((0x\$mi)); }"
	check "the node is group $group, mode 0660 (the documented rule)" \
		expect "$group 660" stat -L -c '%G %a' /dev/9p/by-tag/$tag
	check "$user (in group $group) lists the share: vio9p ls" \
		expect "$(cat $ctl/listing)" sh -c "runuser -u $user -- vio9p -t $tag ls | sort | tr '\n' ' '"
	rm -f /home/$user/data.bin
	check "$user copies data.bin out: vio9p get, sha256 as on the host" \
		sh -c "runuser -u $user -- sh -c 'cd /home/$user && vio9p -t $tag get data.bin' &&
			cd /home/$user && sha256sum -c $ctl/data.sha256"
	check "a user outside $group is refused: Permission denied" \
		sh -c "! runuser -u nobody -- vio9p -t $tag ls >/tmp/nobody.out 2>&1 &&
			grep 'Permission denied' /tmp/nobody.out"
}

case $stage in
install)
	k=$(uname -r)
	check "running kernel $k" true
	# The guest has no network: everything they need is in the image.
	check "the packages install: apt-get install ./*.deb ($pkgs )" \
		timed "apt-install+dkms-build-$k" \
		apt-get install -y -q $ctl/debs/*.deb
	check "dkms status: vio9p installed for $k" \
		sh -c "dkms status vio9p | grep -F '$k' | grep -q installed"
	check "the module for $k is in /lib/modules/$k/updates/dkms" \
		sh -c "modinfo -k $k -n vio9p | grep -q '^/lib/modules/$k/updates/dkms/'"
	check "its vermagic is $k" \
		sh -c "modinfo -k $k -F vermagic vio9p | grep -q '^$k '"
	check "it declares the virtio-9p modalias (virtio:d00000009v*)" \
		sh -c "modinfo -k $k -F alias vio9p | grep -qx 'virtio:d00000009v\\*'"
	# Installed alone, the package binds nothing: its
	# /lib/modprobe.d/vio9p.conf keeps the modalias from loading vio9p.
	check "the package keeps vio9p from loading by modalias (blacklist)" \
		sh -c "modprobe -c | grep -qx 'blacklist vio9p'"
	# What README.md tells an administrator to do.
	cat >/etc/modprobe.d/vio9p.conf <<EOF
options vio9p tags=$tag
softdep 9pnet_virtio pre: vio9p
EOF
	check "/etc/modprobe.d/vio9p.conf replaces the package's file" \
		sh -c "! modprobe -c | grep -qx 'blacklist vio9p'"
	check "modprobe would load vio9p with tags=$tag" \
		sh -c "modprobe -D vio9p | grep -q '/vio9p\.ko.* tags=$tag'"
	check "modprobe loads vio9p before 9pnet_virtio (softdep)" \
		sh -c "modprobe -D 9pnet_virtio | grep -E '/(vio9p|9pnet_virtio)\.ko' |
			head -n 1 | grep -q /vio9p"
	getent group $group >/dev/null || groupadd --system $group
	usermod -a -G $group $user
	# The packages' example rule (every channel to the group), else a
	# line of the test's own for the share.
	example=/usr/share/doc/vio9p-utils/examples/61-vio9p-local.rules
	if [ -f $example ]; then
		cp $example /etc/udev/rules.d/61-vio9p-local.rules
	else
		echo "# no $example: a rule of the test's own"
		echo "SUBSYSTEM==\"vio9p\", ACTION!=\"remove\", ATTR{mount_tag}==\"$tag\", GROUP=\"$group\", MODE=\"0660\"" \
			>/etc/udev/rules.d/61-vio9p-local.rules
	fi
	check "$user is in group $group" sh -c "id -nG $user | grep -qw $group"
	;;
boot)
	boot_checks
	check "$user writes it back as from-guest.bin: vio9p put" \
		runuser -u $user -- sh -c "cd /home/$user && vio9p -t $tag put data.bin from-guest.bin"
	mkdir -p $ctl/out
	cp /home/$user/data.bin $ctl/out/got.bin

	# The relay: one client at a time has the channel, the relay serves it
	# on a socket that v9fs mounts.
	if systemctl cat vio9p-relay@.service >/dev/null 2>&1; then
		check "vio9p-relay@$tag starts" systemctl start vio9p-relay@$tag.service
		check "it is active" systemctl is-active vio9p-relay@$tag.service
		# Type=exec: the socket comes a moment after the start.
		check "/run/vio9p/$tag.sock is a socket" sh -c "for i in \$(seq 30); do
			test -S /run/vio9p/$tag.sock && exit 0; sleep 1; done; exit 1"
		mkdir -p /mnt/relay
		check "v9fs mounts the relay: mount -t 9p -o trans=unix /run/vio9p/$tag.sock" \
			mount -t 9p -o trans=unix,version=9p2000.L,msize=8192 \
			/run/vio9p/$tag.sock /mnt/relay
		check "data.bin read through the relay is the host's" \
			sh -c "cd /mnt/relay && sha256sum -c $ctl/data.sha256"
		check "dir/a.txt through the relay" \
			expect "hello from the host" cat /mnt/relay/dir/a.txt
		umount /mnt/relay
		check "vio9p-relay@$tag stops" systemctl stop vio9p-relay@$tag.service
		check "$user has the channel again after the relay" \
			sh -c "runuser -u $user -- vio9p -t $tag ls >/dev/null"
	else
		skip "vio9p-relay@$tag: starts, v9fs mounts it, files read through it" \
			"pending: no vio9p-relay@.service in the packages"
	fi

	# The backports kernel, from the packages the image holds.
	check "the backports kernel $upgrade installs (apt-get, from the image)" \
		timed "kernel-upgrade+dkms-build-$upgrade" \
		apt-get install -y -q /var/cache/vio9p-upgrade/*.deb
	check "DKMS built vio9p for $upgrade at the upgrade" \
		sh -c "dkms status vio9p | grep -F '$upgrade' | grep -q installed"
	check "its vermagic is $upgrade" \
		sh -c "modinfo -k $upgrade -F vermagic vio9p | grep -q '^$upgrade '"
	mkdir -p $ctl/boot
	check "the new kernel and initrd are handed to the host for the next boot" \
		cp /boot/vmlinuz-"$upgrade" /boot/initrd.img-"$upgrade" $ctl/boot/
	;;
upgraded)
	check "booted the backports kernel" expect "$upgrade" uname -r
	boot_checks
	for p in $pkgs; do
		dpkg -L "$p" >/tmp/files."$p"
	done
	# shellcheck disable=SC2086 # a list
	check "apt-get purge removes the packages" \
		timed purge apt-get purge -y -q $pkgs
	check "dpkg has none of them installed" \
		sh -c "! dpkg-query -W -f '\${db:Status-Abbrev} \${Package}\n' $pkgs 2>/dev/null | grep -v '^[up]n'"
	check "none of their files is left" \
		sh -c "cat /tmp/files.* | while read -r f; do
			[ -d \"\$f\" ] && continue
			if [ -e \"\$f\" ] || [ -L \"\$f\" ]; then echo \"left: \$f\"; fi
		done | grep . && exit 1 || exit 0"
	check "DKMS has forgotten vio9p, no vio9p.ko in /lib/modules" \
		sh -c "! dkms status vio9p | grep . && ! find /lib/modules /var/lib/dkms /usr/src -name 'vio9p*' | grep ."
	# Back to the kernel's own 9P for the device: unload, reprobe, mount.
	rm -f /etc/modprobe.d/vio9p.conf /etc/udev/rules.d/61-vio9p-local.rules
	check "the loaded vio9p unloads (rmmod: its file is gone)" rmmod vio9p
	for d in /sys/bus/virtio/devices/virtio*; do
		[ -e "$d/driver" ] || echo "${d##*/}" >/sys/bus/virtio/drivers_probe
	done
	mkdir -p /mnt/share
	check "9pnet_virtio then has both devices" expect "ctl $tag" bound_tags 9pnet_virtio
	check "and v9fs mounts $tag: data.bin as on the host" \
		sh -c "mount -t 9p -o trans=virtio,version=9p2000.L $tag /mnt/share &&
			cd /mnt/share && sha256sum -c $ctl/data.sha256"
	umount /mnt/share 2>/dev/null
	;;
*)
	echo "not ok - unknown stage \"$stage\""
	;;
esac
sync
echo "# stage done $stage"
