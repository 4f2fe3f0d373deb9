// SPDX-License-Identifier: GPL-2.0
/* pattern SEED SIZE: write SIZE bytes of pattern stream SEED to stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pattern.h"

int main(int argc, char **argv)
{
	unsigned long long seed, size;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: pattern SEED SIZE\n");
		return 2;
	}
	errno = 0;
	seed = strtoull(argv[1], &end, 0);
	if (errno || *end || seed > UINT32_MAX) {
		fprintf(stderr, "pattern: bad seed: %s\n", argv[1]);
		return 2;
	}
	size = strtoull(argv[2], &end, 0);
	if (errno || *end) {
		fprintf(stderr, "pattern: bad size: %s\n", argv[2]);
		return 2;
	}
	for (uint64_t i = 0; i < size; i++)
		if (putchar(pattern_byte((uint32_t)seed, i)) == EOF)
			return 1;
	return fclose(stdout) == 0 ? 0 : 1;
}
