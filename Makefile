# vio9p: top-level build.  `make check` is the test command.

# The kernels of the test matrix, each the newest of its series installed
# (Debian amd64 headers): KVER, bookworm's 6.1, the default one to build
# for, else the running kernel's build tree; KVER_BPO, bookworm-backports'
# 6.12 (scripts/backports-deps.sh installs it).
kver_newest = $(shell ls -1 /usr/src 2>/dev/null | \
	sed -n 's/^linux-headers-\($(subst .,\.,$(1))\.[0-9].*-amd64\)$$/\1/p' | \
	sort -V | tail -n 1)
ifeq ($(origin KVER),undefined)
KVER := $(call kver_newest,6.1)
endif
ifeq ($(origin KVER_BPO),undefined)
KVER_BPO := $(call kver_newest,6.12)
endif
ifneq ($(KVER),)
KDIR ?= /usr/src/linux-headers-$(KVER)
else
KDIR ?= /lib/modules/$(shell uname -r)/build
endif

include mk/flags.mk
CC = gcc
BUILD = build
HOST_CFLAGS = $(STD) -O2 -g $(WARN)
GUEST_CFLAGS = $(HOST_CFLAGS) -static -pthread -Iinclude -Itests/common \
	-Itests/guest
# The C test suites are written against the kernel's kselftest harness,
# extracted into build/ksft (mk/ksft.mk); -isystem keeps our warnings on
# our code, not on the kernel's header.
KSFT_DIR = $(BUILD)/ksft
include mk/ksft.mk
TEST_FLAGS = -isystem $(KSFT_DIR)

GUEST_SUITES = t_chan t_session t_reset t_stress t_stall t_unplug t_msize t_module t_choose \
	t_lib
GUEST_COMMON = tests/guest/p9.c tests/guest/util.c
GUEST_HDRS = $(wildcard tests/guest/*.h tests/common/*.h) include/vio9p.h \
	$(KSFT_HDRS)
GUEST_PROGS = $(addprefix $(BUILD)/guest/,$(GUEST_SUITES))
PATTERN = $(BUILD)/host/pattern
# t_stall's host side: a FUSE file system whose reads hang (tests/stall).
STALLFS = $(BUILD)/host/stallfs
NINEPLS = $(BUILD)/guest/9pls
# The relay's guest helper: v9fs mounted with trans=fd on a socketpair.
FDMOUNT = $(BUILD)/guest/fdmount

.PHONY: all module module-path module-clean sparse deps lib cmd check check-all lint guest-tests \
	demo demo-run bench bench-run clean check-fuse check-suspend soak soak-run

# What `make install` installs: the module, the library and the command.
all: module lib cmd

# The module is built in a copy under build/, one per kernel, so that the
# source folder stays clean and several kernels can be built side by side.
MODDIR = $(CURDIR)/$(BUILD)/module/$(subst /,_,$(patsubst /%,%,$(KDIR)))

module:
	mkdir -p $(MODDIR)/include
	cp driver/Kbuild driver/*.c driver/*.h $(MODDIR)/
	cp include/vio9p.h $(MODDIR)/include/
	$(MAKE) -C $(KDIR) M=$(MODDIR) W=$(W) KCFLAGS=$(KCFLAGS) modules
	cp $(MODDIR)/vio9p.ko driver/vio9p.ko

# sparse (C=2) over the driver, in a build folder of its own; sparse prints
# its findings as warnings without failing the build, so any diagnostic
# line fails this target.
sparse:
	rm -rf $(MODDIR)-sparse
	mkdir -p $(MODDIR)-sparse/include
	cp driver/Kbuild driver/*.c driver/*.h $(MODDIR)-sparse/
	cp include/vio9p.h $(MODDIR)-sparse/include/
	$(MAKE) -C $(KDIR) M=$(MODDIR)-sparse C=2 W=1 modules \
		>$(MODDIR)-sparse.log 2>&1 || { cat $(MODDIR)-sparse.log; exit 1; }
	@if grep -E '(warning|error):' $(MODDIR)-sparse.log; then \
		echo "sparse: the findings above (log: $(MODDIR)-sparse.log)"; exit 1; fi
	@grep -c ' CHECK ' $(MODDIR)-sparse.log | \
		sed 's/$$/ files checked by sparse, no findings/'

# Where `make module` leaves vio9p.ko for this KDIR (driver/vio9p.ko is
# the latest build, whichever kernel it was for).
module-path:
	@echo $(MODDIR)/vio9p.ko

module-clean:
	rm -rf $(BUILD)/module driver/vio9p.ko

deps:
	scripts/install-deps.sh

# shellcheck covers the scripts; checkpatch covers the kernel side: the driver and its ABI header.  The
# library's header (include/v9p.h) is userspace C11 with stdint types.
lint:
	scripts/checkpatch.sh driver/*.c driver/*.h include/vio9p.h
	mandoc -Tlint -Wwarning docs/*.[0-9]
	shellcheck -x tests/run-guest tests/vm.sh tests/check.sh \
		tests/tap-lib.sh tests/tap-stream tests/tap-replay tests/tap-number \
		tests/kscan tests/cmd/*.sh tests/lib/run.sh scripts/*.sh \
		bench/run.sh .ci/run tests/fuse/run-host tests/fuse/run-guest \
		tests/fuse/tree.sh tests/udev/run-guest tests/udev/guest.sh \
		tests/install.sh tests/deb.sh debian/*.postinst \
		tests/relay/run-guest tests/relay/guest.sh \
		tests/debian-guest/run tests/debian-guest/*.sh \
		tests/suspend/run-guest

guest-tests: $(GUEST_PROGS) $(BUILD)/guest/t_suspend $(PATTERN) $(NINEPLS) $(FDMOUNT) $(STALLFS)
	$(MAKE) -C cmd vio9p-static

$(FDMOUNT): tests/relay/fdmount.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -static -o $@ $<

# `make soak`: the relay's guest run with a 10-minute soak (make check
# runs it for 60 s); not part of `make check`.
soak: deps
	$(MAKE) soak-run

soak-run: module guest-tests
	GUEST_KVER=$(KVER) VIO9P_KO=$(MODDIR)/vio9p.ko RELAY_SOAK=600 \
		tests/relay/run-guest relay-soak

$(BUILD)/guest/%: tests/guest/%.c $(GUEST_COMMON) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(TEST_FLAGS) -o $@ $< $(GUEST_COMMON)

# The library's calls against QEMU's server: linked with lib/libvio9p.a.
$(BUILD)/guest/t_lib: tests/guest/t_lib.c lib $(GUEST_COMMON) $(GUEST_HDRS) \
		include/v9p.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(TEST_FLAGS) -o $@ $< $(GUEST_COMMON) \
		lib/libvio9p.a

lib:
	$(MAKE) -C lib libvio9p.a libvio9p.so

# The command; `make cmd MOUNT=no` (or `make MOUNT=no`) leaves out vio9p
# mount where libfuse3 is missing.
cmd: lib
	$(MAKE) -C cmd vio9p

$(NINEPLS): examples/9pls.c lib include/v9p.h include/vio9p.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ examples/9pls.c lib/libvio9p.a

$(STALLFS): tests/stall/stallfs.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -fsanitize=address,undefined \
		$$(pkg-config --cflags fuse3) -o $@ $< $$(pkg-config --libs fuse3)

$(PATTERN): tests/common/pattern.c tests/common/pattern.h
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -fsanitize=address,undefined -o $@ $<

# `make check` installs what is missing first, then runs everything in a
# fresh make, so that the kernel found above is the one just installed.
check: deps
	$(MAKE) check-all

check-all:
	KVER=$(KVER) KVER_BPO=$(KVER_BPO) MAKE="$(MAKE)" tests/check.sh

# `vio9p mount` (FUSE): tests/fuse/run-host against diod here, then
# tests/fuse/run-guest as a non-root user in a guest.  Part of `make check`.
FUSE_T = tests/fuse/t_fuse.c
USERS_T = tests/fuse/t_users.c
FUSE_GUEST = $(BUILD)/guest/t_fuse $(BUILD)/guest/t_users $(BUILD)/guest/asuser

check-fuse: module $(BUILD)/host/t_fuse $(BUILD)/host/t_users $(FUSE_GUEST) \
		$(PATTERN)
	$(MAKE) -C cmd vio9p-san vio9p-static
	VIO9P=cmd/vio9p-san T_FUSE=$(BUILD)/host/t_fuse \
		T_USERS=$(BUILD)/host/t_users PATTERN=$(PATTERN) \
		tests/tap-stream fuse-host tests/fuse/run-host; h=$$?; \
	GUEST_KVER=$(KVER) VIO9P_KO=$(MODDIR)/vio9p.ko GUEST_BIN=$(BUILD)/guest \
		PATTERN=$(PATTERN) VIO9P_CMD=cmd/vio9p-static \
		tests/tap-stream fuse-guest tests/fuse/run-guest && exit $$h

# Suspend to RAM and resume with a channel in use: tests/suspend/run-guest
# in a guest of KVER (plain TAP).
check-suspend: module $(BUILD)/guest/t_suspend
	GUEST_KVER=$(KVER) VIO9P_KO=$(MODDIR)/vio9p.ko GUEST_BIN=$(BUILD)/guest \
		tests/tap-stream suspend tests/suspend/run-guest suspend-$(KVER)

$(BUILD)/guest/t_suspend: tests/suspend/t_suspend.c $(GUEST_COMMON) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(TEST_FLAGS) -o $@ $< $(GUEST_COMMON)

$(BUILD)/host/t_fuse: $(FUSE_T) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -fsanitize=address,undefined -Itests/common \
		$(TEST_FLAGS) -o $@ $(FUSE_T)

$(BUILD)/guest/t_fuse: $(FUSE_T) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(TEST_FLAGS) -o $@ $(FUSE_T)

$(BUILD)/host/t_users: $(USERS_T) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -fsanitize=address,undefined -Itests/common \
		$(TEST_FLAGS) -o $@ $(USERS_T)

$(BUILD)/guest/t_users: $(USERS_T) $(GUEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) $(TEST_FLAGS) -o $@ $(USERS_T)

$(BUILD)/guest/asuser: tests/fuse/asuser.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ $<

# `make demo` shows a 9P session through /dev/9p/0 in a guest.
demo: deps
	$(MAKE) demo-run

demo-run: module $(NINEPLS)
	GUEST_KVER=$(KVER) VIO9P_KO=driver/vio9p.ko NINEPLS=$(NINEPLS) \
		scripts/demo.sh

# `make bench` times vio9p(1), its relay and its FUSE mount against the
# kernel's v9fs in one guest boot at 1 vCPU and one at 2 (BENCH_SMP),
# checks every timed run's result, and writes bench/results/latest.md and
# latest.png; not part of `make check`.  Its extra package (gnuplot) is
# listed in bench/deps.txt, not among make check's.
ELAPSED = $(BUILD)/bench/elapsed
OSC = $(BUILD)/bench/osc

bench:
	scripts/install-deps.sh bench/deps.txt
	$(MAKE) bench-run

bench-run: module $(ELAPSED) $(OSC)
	$(MAKE) -C cmd vio9p-static
	GUEST_KVER=$(KVER) VIO9P_KO=$(MODDIR)/vio9p.ko ELAPSED=$(ELAPSED) \
		OSC=$(OSC) VIO9P_CMD=cmd/vio9p-static bench/run.sh

$(ELAPSED): bench/elapsed.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -static -o $@ $<

$(OSC): bench/osc.c lib include/v9p.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ bench/osc.c lib/libvio9p.a

clean: module-clean
	$(MAKE) -C lib clean
	$(MAKE) -C cmd clean
	rm -rf $(BUILD)

# The udev helper, make install / uninstall, make deb.
include mk/install.mk
