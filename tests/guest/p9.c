// SPDX-License-Identifier: GPL-2.0
/* Byte-level 9P2000.L for the guest tests; see p9.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p9.h"

void p9_begin(struct p9msg *m, uint8_t type, uint16_t tag)
{
	m->len = 4;
	p9_u8(m, type);
	p9_u16(m, tag);
}

void p9_bytes(struct p9msg *m, const void *p, size_t n)
{
	/* A test's own mistake: abort, as a failed ASSERT does. */
	if (n > sizeof(m->buf) - m->len) {
		printf("# p9_bytes: %zu more bytes overflow a %zu-byte message\n",
		       n, m->len);
		abort();
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void p9_u8(struct p9msg *m, uint8_t v)
{
	p9_bytes(m, &v, 1);
}

void p9_u16(struct p9msg *m, uint16_t v)
{
	uint8_t b[2] = { v, v >> 8 };

	p9_bytes(m, b, 2);
}

void p9_u32(struct p9msg *m, uint32_t v)
{
	p9_u16(m, v);
	p9_u16(m, v >> 16);
}

void p9_u64(struct p9msg *m, uint64_t v)
{
	p9_u32(m, v);
	p9_u32(m, v >> 32);
}

void p9_str(struct p9msg *m, const char *s)
{
	p9_u16(m, strlen(s));
	p9_bytes(m, s, strlen(s));
}

void p9_end(struct p9msg *m)
{
	m->buf[0] = m->len;
	m->buf[1] = m->len >> 8;
	m->buf[2] = m->len >> 16;
	m->buf[3] = m->len >> 24;
}

void p9_tversion(struct p9msg *m, uint16_t tag, uint32_t msize,
		 const char *version)
{
	p9_begin(m, P9_TVERSION, tag);
	p9_u32(m, msize);
	p9_str(m, version);
	p9_end(m);
}

void p9_tattach(struct p9msg *m, uint16_t tag, uint32_t fid)
{
	p9_begin(m, P9_TATTACH, tag);
	p9_u32(m, fid);
	p9_u32(m, P9_NOFID);
	p9_str(m, "root");
	p9_str(m, "");
	p9_u32(m, 0);
	p9_end(m);
}

void p9_twalk1(struct p9msg *m, uint16_t tag, uint32_t fid, uint32_t newfid,
	       const char *name)
{
	p9_begin(m, P9_TWALK, tag);
	p9_u32(m, fid);
	p9_u32(m, newfid);
	p9_u16(m, name ? 1 : 0);
	if (name)
		p9_str(m, name);
	p9_end(m);
}

void p9_tlopen(struct p9msg *m, uint16_t tag, uint32_t fid, uint32_t flags)
{
	p9_begin(m, P9_TLOPEN, tag);
	p9_u32(m, fid);
	p9_u32(m, flags);
	p9_end(m);
}

void p9_tlcreate(struct p9msg *m, uint16_t tag, uint32_t fid,
		 const char *name, uint32_t flags, uint32_t mode)
{
	p9_begin(m, P9_TLCREATE, tag);
	p9_u32(m, fid);
	p9_str(m, name);
	p9_u32(m, flags);
	p9_u32(m, mode);
	p9_u32(m, 0);
	p9_end(m);
}

void p9_tread(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
	      uint32_t count)
{
	p9_begin(m, P9_TREAD, tag);
	p9_u32(m, fid);
	p9_u64(m, off);
	p9_u32(m, count);
	p9_end(m);
}

void p9_twrite(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
	       const void *data, uint32_t count)
{
	p9_begin(m, P9_TWRITE, tag);
	p9_u32(m, fid);
	p9_u64(m, off);
	p9_u32(m, count);
	p9_bytes(m, data, count);
	p9_end(m);
}

void p9_tclunk(struct p9msg *m, uint16_t tag, uint32_t fid)
{
	p9_begin(m, P9_TCLUNK, tag);
	p9_u32(m, fid);
	p9_end(m);
}

void p9_tflush(struct p9msg *m, uint16_t tag, uint16_t oldtag)
{
	p9_begin(m, P9_TFLUSH, tag);
	p9_u16(m, oldtag);
	p9_end(m);
}

void p9_tgetattr(struct p9msg *m, uint16_t tag, uint32_t fid)
{
	p9_begin(m, P9_TGETATTR, tag);
	p9_u32(m, fid);
	p9_u64(m, 0x3fff);
	p9_end(m);
}

void p9_treaddir(struct p9msg *m, uint16_t tag, uint32_t fid, uint64_t off,
		 uint32_t count)
{
	p9_begin(m, P9_TREADDIR, tag);
	p9_u32(m, fid);
	p9_u64(m, off);
	p9_u32(m, count);
	p9_end(m);
}

int chan_path(const char *tag, char *path, size_t size)
{
	char attr[300], buf[64];
	struct dirent *de;
	DIR *d;
	int found = -1;

	d = opendir("/sys/class/vio9p");
	if (!d)
		return -1;
	while ((de = readdir(d)) && found < 0) {
		FILE *f;

		if (strncmp(de->d_name, "vio9p", 5) != 0)
			continue;
		snprintf(attr, sizeof(attr), "/sys/class/vio9p/%s/mount_tag",
			 de->d_name);
		f = fopen(attr, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, tag) == 0) {
				snprintf(path, size, "/dev/9p/%s",
					 de->d_name + 5);
				found = 0;
			}
		}
		fclose(f);
	}
	closedir(d);
	return found;
}
