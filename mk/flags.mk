# mk/flags.mk - C flags shared by every userspace build: lib/, cmd/ and
# the host and guest test programs in the top-level Makefile.
#
#   WARN      warnings (STYLE.md: C11 with -Wall -Wextra -Werror, plus vmctl's)
#   STD       the language and libc feature level; 64-bit off_t, ino_t...
#             also where the ABI has 32-bit ones (i386: make -C cmd check
#             builds the library and the command with gcc -m32 too)
#   SANFLAGS  what `make check` builds the library and the command with

WARN     := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
            -Wshadow -Wpointer-arith -Wcast-qual -Wsign-compare
STD      := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
