// SPDX-License-Identifier: MIT
/*
 * test_parse.c - the reply checker: good replies decode to exact values,
 * every kind of malformed reply is EPROTO, Rlerror passes its ecode.
 */
#include "asserts.h"
#include "parse.h"

/* Build a reply of @type/@tag with @body into @m; returns its length. */
static size_t mk(uint8_t *m, uint8_t type, uint16_t tag, const void *body,
		 size_t n)
{
	struct v9p_buf b;

	v9p__buf_init(&b, m, 8192);
	v9p__msg_begin(&b, type, tag);
	v9p__put_bytes(&b, body, n);
	return v9p__msg_end(&b);
}

static const struct v9p_expect want_read = { V9P_TREAD, 3, 10, 0 };

TEST(rread_decodes_count_and_data)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RREAD, 3, "\x05\x00\x00\x00hello", 9);

	ASSERT_EQ(v9p__parse(m, n, &want_read, &r), 0);
	ASSERT_EQ(r.type, V9P_RREAD);
	ASSERT_EQ(r.tag, 3);
	ASSERT_EQ(r.u.io.count, 5u);
	ASSERT_MEM_EQ(r.u.io.data, "hello", 5);
	ASSERT_TRUE(r.u.io.data == m + 11);
}

TEST(rread_count_larger_than_asked_is_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RREAD, 3,
		      "\x0b\x00\x00\x00hello world", 15);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(rread_count_past_end_is_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RREAD, 3, "\x08\x00\x00\x00hello", 9);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(size_field_mismatch_is_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RREAD, 3, "\x05\x00\x00\x00hello", 9);

	/* One byte more received than size[4] says, and one byte fewer. */
	m[n] = 0;
	ASSERT_ERRNO(v9p__parse(m, n + 1, &want_read, &r), EPROTO);
	ASSERT_ERRNO(v9p__parse(m, n - 1, &want_read, &r), EPROTO);
}

TEST(trailing_bytes_inside_size_are_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	const struct v9p_expect w = { V9P_TCLUNK, 1, 0, 0 };
	size_t n = mk(m, V9P_RCLUNK, 1, "x", 1);

	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
	n = mk(m, V9P_RCLUNK, 1, "", 0);
	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
}

TEST(wrong_tag_is_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RREAD, 4, "\x00\x00\x00\x00", 4);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(wrong_type_is_eproto)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RWRITE, 3, "\x00\x00\x00\x00", 4);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
	/* A T-message echoed back is not a reply either. */
	n = mk(m, V9P_TREAD, 3, "\x00\x00\x00\x00", 4);
	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(short_header_is_eproto)
{
	static const uint8_t m[6] = { 6, 0, 0, 0, V9P_RREAD, 3 };
	struct v9p_reply r;

	for (size_t n = 0; n <= sizeof(m); n++)
		ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(rlerror_passes_ecode_as_errno)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RLERROR, 3, "\x02\x00\x00\x00", 4);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), ENOENT);
	n = mk(m, V9P_RLERROR, 3, "\x27\x00\x00\x00", 4);
	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), ENOTEMPTY);
}

TEST(rlerror_zero_or_truncated)
{
	uint8_t m[64];
	struct v9p_reply r;
	size_t n = mk(m, V9P_RLERROR, 3, "\x00\x00\x00\x00", 4);

	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EIO);
	n = mk(m, V9P_RLERROR, 3, "\x02\x00", 2);
	ASSERT_ERRNO(v9p__parse(m, n, &want_read, &r), EPROTO);
}

TEST(rwalk_more_qids_than_names_is_eproto)
{
	uint8_t m[128], body[2 + 3 * V9P_QIDSZ];
	const struct v9p_expect w = { V9P_TWALK, 0, 0, 2 };
	struct v9p_reply r;
	size_t n;

	memset(body, 0, sizeof(body));
	body[0] = 3;
	n = mk(m, V9P_RWALK, 0, body, sizeof(body));
	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
	body[0] = 2;
	n = mk(m, V9P_RWALK, 0, body, 2 + 2 * V9P_QIDSZ);
	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
	ASSERT_EQ(r.u.walk.nwqid, 2);
}

TEST(rwalk_qids_past_end_is_eproto)
{
	uint8_t m[128], body[2 + V9P_QIDSZ] = { 2, 0 };
	const struct v9p_expect w = { V9P_TWALK, 0, 0, 16 };
	struct v9p_reply r;
	size_t n = mk(m, V9P_RWALK, 0, body, sizeof(body));

	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
}

TEST(rversion_decodes_and_string_past_end_is_eproto)
{
	uint8_t m[64];
	const struct v9p_expect w = { V9P_TVERSION, V9P_NOTAG, 0, 0 };
	struct v9p_reply r;
	size_t n = mk(m, V9P_RVERSION, V9P_NOTAG,
		      "\x00\x20\x00\x00\x08\x00" "9P2000.L", 14);

	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
	ASSERT_EQ(r.u.version.msize, 8192u);
	ASSERT_EQ(r.u.version.version.len, 8);
	ASSERT_MEM_EQ(r.u.version.version.s, "9P2000.L", 8);
	n = mk(m, V9P_RVERSION, V9P_NOTAG,
	       "\x00\x20\x00\x00\x09\x00" "9P2000.L", 14);
	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
}

TEST(rgetattr_decodes_every_field)
{
	uint8_t m[256], body[160];
	const struct v9p_expect w = { V9P_TGETATTR, 9, 0, 0 };
	struct v9p_reply r;
	struct v9p_buf b;
	size_t n;

	v9p__buf_init(&b, body, sizeof(body));
	v9p__put_u64(&b, V9P_GETATTR_BASIC);
	v9p__put_qid(&b, &(struct v9p_qid){ 0, 7, 42 });
	v9p__put_u32(&b, 0100644);
	v9p__put_u32(&b, 1000);
	v9p__put_u32(&b, 100);
	for (uint64_t i = 1; i <= 15; i++)
		v9p__put_u64(&b, i);
	ASSERT_FALSE(b.bad);
	ASSERT_EQ(b.pos, 153u);
	n = mk(m, V9P_RGETATTR, 9, body, b.pos);
	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
	ASSERT_EQ(r.u.attr.valid, V9P_GETATTR_BASIC);
	ASSERT_EQ(r.u.attr.qid.path, 42u);
	ASSERT_EQ(r.u.attr.qid.version, 7u);
	ASSERT_EQ(r.u.attr.mode, 0100644u);
	ASSERT_EQ(r.u.attr.uid, 1000u);
	ASSERT_EQ(r.u.attr.gid, 100u);
	ASSERT_EQ(r.u.attr.nlink, 1u);
	ASSERT_EQ(r.u.attr.size, 3u);
	ASSERT_EQ(r.u.attr.data_version, 15u);
	/* One byte short anywhere is EPROTO. */
	n = mk(m, V9P_RGETATTR, 9, body, b.pos - 1);
	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
}

TEST(rwrite_count_larger_than_asked_is_eproto)
{
	uint8_t m[64];
	const struct v9p_expect w = { V9P_TWRITE, 2, 100, 0 };
	struct v9p_reply r;
	size_t n = mk(m, V9P_RWRITE, 2, "\x65\x00\x00\x00", 4);

	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
	n = mk(m, V9P_RWRITE, 2, "\x64\x00\x00\x00", 4);
	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
	ASSERT_EQ(r.u.io.count, 100u);
}

TEST(unknown_request_type_is_eproto)
{
	uint8_t m[64];
	const struct v9p_expect w = { 200, 2, 0, 0 };
	struct v9p_reply r;
	size_t n = mk(m, 201, 2, "", 0);

	ASSERT_ERRNO(v9p__parse(m, n, &w, &r), EPROTO);
}

TEST(dirent_next_decodes_and_rejects_truncation)
{
	uint8_t d[64];
	struct v9p_dirent de;
	struct v9p_buf b;
	size_t pos = 0;

	v9p__buf_init(&b, d, sizeof(d));
	v9p__put_qid(&b, &(struct v9p_qid){ 0x80, 1, 5 });
	v9p__put_u64(&b, 77);
	v9p__put_u8(&b, 4);
	v9p__put_str(&b, "dir");
	ASSERT_EQ(v9p_dirent_next(d, b.pos, &pos, &de), 1);
	ASSERT_EQ(pos, b.pos);
	ASSERT_EQ(de.qid.path, 5u);
	ASSERT_EQ(de.offset, 77u);
	ASSERT_EQ(de.type, 4);
	ASSERT_EQ(strcmp(de.name, "dir"), 0);
	ASSERT_EQ(v9p_dirent_next(d, b.pos, &pos, &de), 0);
	pos = 0;
	ASSERT_ERRNO(v9p_dirent_next(d, b.pos - 1, &pos, &de), EPROTO);
	ASSERT_EQ(pos, 0u);
}

/* Every prefix and every single-byte corruption of valid replies must be
 * handled without a crash (ASan would catch an over-read). */
TEST(every_truncation_of_rgetlock_is_eproto)
{
	uint8_t m[128];
	const struct v9p_expect w = { V9P_TGETLOCK, 1, 0, 0 };
	struct v9p_reply r;
	struct v9p_buf b;
	size_t n;

	v9p__buf_init(&b, m, sizeof(m));
	v9p__msg_begin(&b, V9P_RGETLOCK, 1);
	v9p__put_u8(&b, V9P_LOCK_TYPE_UNLCK);
	v9p__put_u64(&b, 0);
	v9p__put_u64(&b, 10);
	v9p__put_u32(&b, 99);
	v9p__put_str(&b, "host");
	n = v9p__msg_end(&b);
	ASSERT_EQ(v9p__parse(m, n, &w, &r), 0);
	ASSERT_EQ(r.u.getlock.proc_id, 99u);
	for (size_t k = 0; k < n; k++) {
		uint8_t *c = malloc(k ? k : 1);

		memcpy(c, m, k);
		if (k >= 4) {
			c[0] = (uint8_t)k; /* keep size[4] consistent */
		}
		ASSERT_ERRNO(v9p__parse(c, k, &w, &r), EPROTO);
		free(c);
	}
}

TEST_HARNESS_MAIN
