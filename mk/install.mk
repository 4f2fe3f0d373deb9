# mk/install.mk - included by the top-level Makefile: the udev helper,
# `make install` / `make uninstall`, and `make deb`.
#
#   make udev                 build/udev/vio9p_id (and vio9p_id-san for tests)
#   make install              PREFIX (default /usr/local), DESTDIR honoured
#   make uninstall            the same variables: removes what install laid
#   make deb                  Debian packages in build/deb/
#
# What goes where (PREFIX=/usr, DESTDIR empty):
#
#   /usr/bin/vio9p                           the command (and its relay)
#   /usr/lib/libvio9p.so.<version>, .so.0, .so, libvio9p.a
#   /usr/lib/pkgconfig/vio9p.pc
#   /usr/include/v9p.h, /usr/include/vio9p.h
#   /usr/share/man/man1/vio9p.1, /usr/share/man/man4/vio9p.4
#   /usr/share/doc/vio9p/examples/61-vio9p-local.rules
#   /usr/src/vio9p-<version>/                the module's source and dkms.conf
#   $(UDEVDIR)/rules.d/60-vio9p.rules, $(UDEVDIR)/vio9p_id
#   $(MODPROBEDIR)/vio9p.conf                vio9p not autoloaded until an
#                                            /etc/modprobe.d/vio9p.conf says
#   $(SYSTEMDUNITDIR)/vio9p-relay@.service   when systemd/ has it
#
# /usr/src, UDEVDIR, MODPROBEDIR and SYSTEMDUNITDIR do not follow PREFIX:
# DKMS, udev, kmod and systemd look only there.  With DESTDIR empty, install also registers,
# builds and installs the module for the running kernel with dkms (when
# dkms is installed; DKMS=no skips it, DKMS_KERNEL=<release> names another
# kernel) and runs ldconfig; uninstall runs `dkms remove` first.

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/vio9p
DKMSSRC = /usr/src/vio9p-$(VERSION)
UDEVDIR ?= $(or $(shell pkg-config --variable=udevdir udev 2>/dev/null),/lib/udev)
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir \
	systemd 2>/dev/null),/lib/systemd/system)
DKMS ?= $(if $(DESTDIR),no,$(if $(shell command -v dkms),yes,no))
MODPROBEDIR ?= /lib/modprobe.d
INSTALL ?= install
RELAY_UNIT = systemd/vio9p-relay@.service

UDEV_ID = $(BUILD)/udev/vio9p_id
UDEV_ID_SAN = $(BUILD)/udev/vio9p_id-san
# The module's source as DKMS gets it (paths relative to the repository).
DKMS_FILES = driver/Kbuild $(wildcard driver/*.c driver/*.h)

.PHONY: udev install install-files uninstall deb

udev: $(UDEV_ID) $(UDEV_ID_SAN)

# CFLAGS, CPPFLAGS and LDFLAGS from the environment (dpkg-buildflags) apply.
$(UDEV_ID): udev/vio9p_id.c include/vio9p.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iinclude $(STD) $(WARN) $(or $(CFLAGS),-O2 -g) \
		$(LDFLAGS) -o $@ $<

$(UDEV_ID_SAN): udev/vio9p_id.c include/vio9p.h
	@mkdir -p $(@D)
	$(CC) -Iinclude $(STD) $(WARN) -O1 -g $(SANFLAGS) -o $@ $<

install: install-files
ifeq ($(DKMS),yes)
	dkms install -m vio9p -v $(VERSION) $(if $(DKMS_KERNEL),-k $(DKMS_KERNEL))
endif
ifeq ($(DESTDIR),)
	-ldconfig
endif

install-files: $(UDEV_ID)
	$(MAKE) -C lib libvio9p.a libvio9p.so vio9p.pc PREFIX=$(PREFIX) \
		LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR)
	$(MAKE) -C cmd vio9p
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UDEVDIR)/rules.d $(DESTDIR)$(DKMSSRC)/include \
		$(DESTDIR)$(MODPROBEDIR)
	$(INSTALL) -m 755 cmd/vio9p $(DESTDIR)$(BINDIR)/vio9p
	$(INSTALL) -m 644 lib/libvio9p.so $(DESTDIR)$(LIBDIR)/libvio9p.so.$(VERSION)
	ln -sf libvio9p.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvio9p.so.0
	ln -sf libvio9p.so.0 $(DESTDIR)$(LIBDIR)/libvio9p.so
	$(INSTALL) -m 644 lib/libvio9p.a $(DESTDIR)$(LIBDIR)/libvio9p.a
	$(INSTALL) -m 644 lib/vio9p.pc $(DESTDIR)$(LIBDIR)/pkgconfig/vio9p.pc
	$(INSTALL) -m 644 include/v9p.h include/vio9p.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 docs/vio9p.1 $(DESTDIR)$(MANDIR)/man1/vio9p.1
	$(INSTALL) -m 644 docs/vio9p.4 $(DESTDIR)$(MANDIR)/man4/vio9p.4
	$(INSTALL) -m 644 udev/61-vio9p-local.rules $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 644 udev/60-vio9p.rules $(DESTDIR)$(UDEVDIR)/rules.d/
	$(INSTALL) -m 755 $(UDEV_ID) $(DESTDIR)$(UDEVDIR)/vio9p_id
	$(INSTALL) -m 644 modprobe/vio9p.conf $(DESTDIR)$(MODPROBEDIR)/vio9p.conf
	$(INSTALL) -m 644 $(DKMS_FILES) $(DESTDIR)$(DKMSSRC)/
	$(INSTALL) -m 644 include/vio9p.h $(DESTDIR)$(DKMSSRC)/include/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DESTDIR)$(DKMSSRC)/dkms.conf
	if [ -f $(RELAY_UNIT) ]; then \
		$(INSTALL) -D -m 644 $(RELAY_UNIT) \
			$(DESTDIR)$(SYSTEMDUNITDIR)/vio9p-relay@.service; \
	fi

uninstall:
ifeq ($(DKMS),yes)
	-dkms remove -m vio9p -v $(VERSION) --all
endif
	rm -f $(DESTDIR)$(BINDIR)/vio9p \
		$(DESTDIR)$(LIBDIR)/libvio9p.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libvio9p.so.0 $(DESTDIR)$(LIBDIR)/libvio9p.so \
		$(DESTDIR)$(LIBDIR)/libvio9p.a $(DESTDIR)$(LIBDIR)/pkgconfig/vio9p.pc \
		$(DESTDIR)$(INCLUDEDIR)/v9p.h $(DESTDIR)$(INCLUDEDIR)/vio9p.h \
		$(DESTDIR)$(MANDIR)/man1/vio9p.1 $(DESTDIR)$(MANDIR)/man4/vio9p.4 \
		$(DESTDIR)$(DOCDIR)/examples/61-vio9p-local.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-vio9p.rules \
		$(DESTDIR)$(UDEVDIR)/vio9p_id \
		$(DESTDIR)$(MODPROBEDIR)/vio9p.conf \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vio9p-relay@.service
	rm -rf $(DESTDIR)$(DKMSSRC)
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null
ifeq ($(DESTDIR),)
	-ldconfig
endif

# `make deb`: dpkg-buildpackage in a copy of the files git knows (tracked,
# or new and not ignored) under build/deb/, so that the work tree stays
# clean; the packages, .dsc, .tar.xz, .buildinfo and .changes land in
# build/deb/.  debian/changelog is written there from VERSION: that file is
# the one place the version is kept.
DEBDIR = $(BUILD)/deb
DEBSRC = $(DEBDIR)/vio9p-$(VERSION)

deb:
	rm -rf $(DEBDIR)
	mkdir -p $(DEBSRC)
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && echo "$$f"; done' sh | \
		cpio -pdm --quiet $(DEBSRC)
	scripts/deb-changelog.sh $(VERSION) >$(DEBSRC)/debian/changelog
	cd $(DEBSRC) && dpkg-buildpackage -us -uc
	@ls $(DEBDIR)/*.deb
