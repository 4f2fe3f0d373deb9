// SPDX-License-Identifier: MIT
/*
 * fuzz_parse.c - libFuzzer target for the reply checker.
 *
 * Input: byte 0 picks the T-message type the reply answers, bytes 1-2
 * the count asked, byte 3 the names asked (bit 7: expect a wrong tag); the rest is the reply as received.  Each
 * reply is parsed exactly as the rpc engine would (tag taken from the
 * reply so the body gets decoded), then dirents are walked if it was a
 * Rreaddir.  ASan/UBSan report any over-read; the target also checks
 * that a successful parse stays inside the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t ttypes[] = {
	V9P_TVERSION, V9P_TATTACH, V9P_TWALK, V9P_TLOPEN, V9P_TLCREATE,
	V9P_TREAD, V9P_TWRITE, V9P_TREADDIR, V9P_TGETATTR, V9P_TSETATTR,
	V9P_TSTATFS, V9P_TREADLINK, V9P_TLOCK, V9P_TGETLOCK, V9P_TMKDIR,
	V9P_TSYMLINK, V9P_TLINK, V9P_TRENAME, V9P_TRENAMEAT, V9P_TUNLINKAT,
	V9P_TFSYNC, V9P_TFLUSH, V9P_TCLUNK,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct v9p_expect want;
	struct v9p_reply r;
	uint8_t *msg;
	size_t len;

	if (size < 5)
		return 0;
	want.ttype = ttypes[data[0] % sizeof(ttypes)];
	want.count = (uint32_t)data[1] | (uint32_t)data[2] << 8;
	want.nwname = data[3] % (V9P_MAXWELEM + 1);
	len = size - 4;
	/* A private copy sized exactly, so ASan sees any over-read. */
	msg = malloc(len);
	if (!msg)
		return 0;
	memcpy(msg, data + 4, len);
	want.tag = len >= V9P_HDRSZ ? v9p__peek_tag(msg) : 0;
	if (data[3] & 0x80)
		want.tag ^= 1; /* sometimes the wrong tag */
	if (v9p__parse(msg, len, &want, &r) == 0) {
		if ((want.ttype == V9P_TREAD || want.ttype == V9P_TREADDIR) &&
		    (r.u.io.count > want.count ||
		     r.u.io.data + r.u.io.count > msg + len))
			abort();
		if (want.ttype == V9P_TWALK && r.u.walk.nwqid > want.nwname)
			abort();
		if (want.ttype == V9P_TREADDIR) {
			struct v9p_dirent de;
			size_t pos = 0;

			while (v9p_dirent_next(r.u.io.data, r.u.io.count, &pos,
					       &de) > 0)
				if (pos > r.u.io.count)
					abort();
		}
	} else if (errno == 0) {
		abort(); /* a failure must say why */
	}
	free(msg);
	return 0;
}
