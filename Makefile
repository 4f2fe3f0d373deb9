# vio9p: top-level build.  `make check` is the test command.

KVER ?= $(shell ls -1 /usr/src 2>/dev/null | sed -n 's/^linux-headers-\(.*-amd64\)$$/\1/p' | sort -V | tail -n 1)
ifneq ($(KVER),)
KDIR ?= /usr/src/linux-headers-$(KVER)
else
KDIR ?= /lib/modules/$(shell uname -r)/build
endif

.PHONY: all module module-clean deps check demo clean

all: module

# The module is built in a copy under build/, one per kernel, so that the
# source folder stays clean and several kernels can be built side by side.
MODDIR = $(CURDIR)/build/module/$(notdir $(KDIR))

module:
	mkdir -p $(MODDIR)/include
	cp driver/Kbuild driver/*.c driver/*.h $(MODDIR)/
	cp include/vio9p.h $(MODDIR)/include/
	$(MAKE) -C $(KDIR) M=$(MODDIR) W=$(W) modules
	cp $(MODDIR)/vio9p.ko driver/vio9p.ko

module-clean:
	rm -rf build/module driver/vio9p.ko

clean: module-clean
	rm -rf build
