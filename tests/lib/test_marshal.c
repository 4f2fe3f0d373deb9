// SPDX-License-Identifier: MIT
/*
 * test_marshal.c - exact wire bytes from the marshaller, and its bounds.
 */
#include "asserts.h"
#include "marshal.h"

TEST(put_integers_are_little_endian)
{
	uint8_t m[15];
	struct v9p_buf b;
	static const uint8_t want[15] = {
		0xab, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	};

	v9p__buf_init(&b, m, sizeof(m));
	v9p__put_u8(&b, 0xab);
	v9p__put_u16(&b, 0x1234);
	v9p__put_u32(&b, 0x12345678);
	v9p__put_u64(&b, 0x0102030405060708ull);
	ASSERT_FALSE(b.bad);
	ASSERT_EQ(b.pos, sizeof(want));
	ASSERT_MEM_EQ(m, want, sizeof(want));
}

TEST(put_string_is_length_prefixed)
{
	uint8_t m[16];
	struct v9p_buf b;

	v9p__buf_init(&b, m, sizeof(m));
	v9p__put_str(&b, "9P2000.L");
	ASSERT_FALSE(b.bad);
	ASSERT_EQ(b.pos, 10u);
	ASSERT_MEM_EQ(m, "\x08\x00" "9P2000.L", 10);
}

TEST(tversion_message_bytes)
{
	uint8_t m[64];
	struct v9p_buf b;
	static const uint8_t want[] = {
		0x15, 0, 0, 0, 100, 0xff, 0xff, 0x00, 0x20, 0, 0,
		8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L',
	};

	v9p__buf_init(&b, m, sizeof(m));
	v9p__msg_begin(&b, V9P_TVERSION, V9P_NOTAG);
	v9p__put_u32(&b, 8192);
	v9p__put_str(&b, "9P2000.L");
	ASSERT_EQ(v9p__msg_end(&b), sizeof(want));
	ASSERT_MEM_EQ(m, want, sizeof(want));
}

TEST(set_tag_rewrites_bytes_5_and_6)
{
	uint8_t m[16];
	struct v9p_buf b;

	v9p__buf_init(&b, m, sizeof(m));
	v9p__msg_begin(&b, V9P_TCLUNK, V9P_NOTAG);
	v9p__put_u32(&b, 7);
	ASSERT_EQ(v9p__msg_end(&b), 11u);
	v9p__msg_set_tag(m, 0x0102);
	ASSERT_EQ(m[5], 0x02);
	ASSERT_EQ(m[6], 0x01);
	ASSERT_EQ(m[4], V9P_TCLUNK);
}

TEST(put_past_end_sets_bad_and_writes_nothing)
{
	uint8_t m[8];
	struct v9p_buf b;

	memset(m, 0xee, sizeof(m));
	v9p__buf_init(&b, m, 6);
	v9p__put_u32(&b, 0x11111111);
	v9p__put_u32(&b, 0x22222222);
	ASSERT_TRUE(b.bad);
	ASSERT_EQ(b.pos, 4u);
	ASSERT_EQ(m[4], 0xee);
	ASSERT_EQ(m[6], 0xee);
	/* Once bad, later puts that would fit are dropped too. */
	v9p__put_u8(&b, 1);
	ASSERT_EQ(b.pos, 4u);
	ASSERT_EQ(m[4], 0xee);
}

TEST(msg_end_of_overflowed_message_is_emsgsize)
{
	uint8_t m[10];
	struct v9p_buf b;

	v9p__buf_init(&b, m, sizeof(m));
	v9p__msg_begin(&b, V9P_TWALK, 0);
	v9p__put_str(&b, "toolong");
	/* A size_t: 0 is its failure. */
	errno = 0;
	ASSERT_EQ(0, v9p__msg_end(&b));
	ASSERT_EQ(EMSGSIZE, errno);
}

TEST(string_longer_than_u16_is_refused)
{
	static char big[70000];
	static uint8_t m[80000];
	struct v9p_buf b;

	memset(big, 'a', sizeof(big) - 1);
	v9p__buf_init(&b, m, sizeof(m));
	v9p__put_str(&b, big);
	ASSERT_TRUE(b.bad);
	ASSERT_EQ(b.pos, 0u);
}

TEST(get_integers_and_qid)
{
	static const uint8_t in[] = {
		0x80, 0x01, 0x00, 0x00, 0x00,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
	};
	struct v9p_buf b;
	struct v9p_qid q;

	v9p__buf_init(&b, (uint8_t *)(uintptr_t)in, sizeof(in));
	v9p__get_qid(&b, &q);
	ASSERT_EQ(q.type, 0x80);
	ASSERT_EQ(q.version, 1u);
	ASSERT_EQ(q.path, 0x0102030405060708ull);
	ASSERT_EQ(v9p__get_u32(&b), 0xccddeeffu);
	ASSERT_EQ(v9p__get_u16(&b), 0xaabbu);
	ASSERT_EQ(v9p__get_u8(&b), 0x99u);
	ASSERT_EQ(v9p__get_u8(&b), 0x88u);
	ASSERT_FALSE(b.bad);
	ASSERT_EQ(v9p__get_u8(&b), 0u);
	ASSERT_TRUE(b.bad);
}

TEST(get_string_past_end_is_null_and_bad)
{
	static const uint8_t in[] = { 5, 0, 'a', 'b', 'c' };
	struct v9p_buf b;
	struct v9p_str s;

	v9p__buf_init(&b, (uint8_t *)(uintptr_t)in, sizeof(in));
	s = v9p__get_str(&b);
	ASSERT_NULL(s.s);
	ASSERT_EQ(s.len, 0);
	ASSERT_TRUE(b.bad);
}

TEST(get_string_points_into_buffer)
{
	static const uint8_t in[] = { 3, 0, 'a', 'b', 'c', 'X' };
	struct v9p_buf b;
	struct v9p_str s;
	char out[4];

	v9p__buf_init(&b, (uint8_t *)(uintptr_t)in, sizeof(in));
	s = v9p__get_str(&b);
	ASSERT_EQ(s.len, 3);
	ASSERT_TRUE(s.s == (const char *)in + 2);
	ASSERT_EQ(v9p__str_copy(out, sizeof(out), s), 0);
	ASSERT_EQ(strcmp(out, "abc"), 0);
	ASSERT_EQ(v9p__str_copy(out, 3, s), -1);
}

TEST(str_copy_refuses_embedded_nul)
{
	struct v9p_str s = { "a\0b", 3 };
	char out[8];

	ASSERT_EQ(v9p__str_copy(out, sizeof(out), s), -1);
}

TEST_HARNESS_MAIN
