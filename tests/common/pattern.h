/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reproducible byte stream, so that the host and a guest agree on a
 * file's contents without shipping the file: byte @off of stream @seed.
 */
#ifndef VIO9P_TEST_PATTERN_H
#define VIO9P_TEST_PATTERN_H

#include <stdint.h>

static inline uint8_t pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9E3779B97F4A7C15ull + seed;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((off & 7) * 8));
}

#endif /* VIO9P_TEST_PATTERN_H */
