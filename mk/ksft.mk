# mk/ksft.mk - the kernel's own kselftest harness, which the C test suites
# are written against (tools/testing/selftests/kselftest_harness.h and the
# kselftest.h it includes).  It is the kernel's library, not ours: it is
# taken at build time from Debian's linux-source-6.1 package
# (scripts/install-deps.sh installs it) and never committed.
#
#   KSFT_DIR   where the two headers go (set it before including this)
#   KSFT_HDRS  both, for prerequisites; compile with -isystem $(KSFT_DIR)

KSFT_TARBALL ?= /usr/src/linux-source-6.1.tar.xz
KSFT_SRC = linux-source-6.1/tools/testing/selftests
KSFT_HDRS = $(KSFT_DIR)/kselftest_harness.h $(KSFT_DIR)/kselftest.h

# These rules are not the including Makefile's default goal.
ksft_goal := $(.DEFAULT_GOAL)

# One extraction gives both: the second depends on the first.
$(KSFT_DIR)/kselftest.h: $(KSFT_DIR)/kselftest_harness.h
	@test -f $@ || { echo "$@: missing; remove $< and make again" >&2; exit 1; }

$(KSFT_DIR)/kselftest_harness.h:
	@test -r $(KSFT_TARBALL) || { echo "kselftest: $(KSFT_TARBALL) not found:" \
		"install the linux-source-6.1 package (make deps, or" \
		"apt-get install linux-source-6.1)" >&2; exit 1; }
	rm -rf $(KSFT_DIR).tmp && mkdir -p $(KSFT_DIR).tmp
	tar -xJf $(KSFT_TARBALL) -C $(KSFT_DIR).tmp --strip-components=4 \
		$(KSFT_SRC)/kselftest_harness.h $(KSFT_SRC)/kselftest.h
	mkdir -p $(KSFT_DIR)
	mv $(KSFT_DIR).tmp/kselftest.h $(KSFT_DIR).tmp/kselftest_harness.h $(KSFT_DIR)/
	rm -rf $(KSFT_DIR).tmp

.DEFAULT_GOAL := $(ksft_goal)
