# mk/flags.mk - C flags shared by every userspace build: lib/, cmd/ and
# the host and guest test programs in the top-level Makefile.
#
#   WARN      warnings (STYLE.md: C11 with -Wall -Wextra -Werror, plus vmctl's)
#   STD       the language and libc feature level
#   SANFLAGS  what `make check` builds the library and the command with

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
            -Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare
STD      := -std=c11 -D_GNU_SOURCE
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
