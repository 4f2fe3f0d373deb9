// SPDX-License-Identifier: MIT
/*
 * main.c - vio9p(1): global options, the verb table, picking a channel,
 * and the verbs about channels (list, tag) and the file system (df).
 *
 * A channel is a vio9p device (/dev/9p/<N>, chosen with -d, by mount tag
 * with -t, or the only one there is) or a 9P server socket (-a).  Verbs
 * that talk 9P get a session and the attached root in struct vctx.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "vio9p.h"

static const struct verb verbs[] = {
	{ "list", cmd_list, "", false },
	{ "tag", cmd_tag, "", false },
	{ "ls", cmd_ls, "[-lR] [path ...]", true },
	{ "stat", cmd_stat, "path ...", true },
	{ "cat", cmd_cat, "path ...", true },
	{ "get", cmd_get, "[-pr] src [dst]", true },
	{ "put", cmd_put, "[-pr] src [dst]", true },
	{ "mkdir", cmd_mkdir, "[-p] path ...", true },
	{ "rm", cmd_rm, "[-r] path ...", true },
	{ "mv", cmd_mv, "src dst", true },
	{ "ln", cmd_ln, "-s target link", true },
	{ "df", cmd_df, "[path ...]", true },
	{ "mount", cmd_mount, "[-f] [-o options] mountpoint", true },
	{ "relay", cmd_relay,
	  "[-v] [-l path [-m mode]] [--fd n] [-u user] [--peer-uid] "
	  "[--max-fids n]",
	  false },
};

#ifndef VIO9P_VERSION
#define VIO9P_VERSION "unknown" /* cmd/Makefile passes ../VERSION */
#endif

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))
#define GLOBAL_USAGE \
	"[-d device | -t tag | -a address] [-A aname] [-m msize] verb [arg ...]"

/* Largest msize -m accepts: the library keeps buffers of that size for
 * each request in flight. */
#define MSIZE_MAX (16u << 20)

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

static void print_verb_usage(FILE *fp, const struct verb *v)
{
	fprintf(fp, "usage: vio9p %s%s%s\n", v->name, *v->usage ? " " : "",
		v->usage);
}

int usage_verb(const char *name)
{
	print_verb_usage(stderr, find_verb(name));
	return 1;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: vio9p " GLOBAL_USAGE "\nverbs:\n");
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(fp, "    %s%s%s\n", verbs[i].name,
			*verbs[i].usage ? " " : "", verbs[i].usage);
}

/* Where channels live; the environment overrides them for tests. */
static const char *dev_dir(void)
{
	const char *d = getenv("VIO9P_DEVDIR");

	return d && *d ? d : "/dev/9p";
}

static const char *sys_dir(void)
{
	const char *d = getenv("VIO9P_SYSFS");

	return d && *d ? d : "/sys/class/vio9p";
}

static int cmp_version(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

/* Channels are named by number; udev adds by-tag/ beside them. */
static int is_channel(const struct dirent *d)
{
	return d->d_name[0] && strspn(d->d_name, "0123456789") ==
		strlen(d->d_name);
}

/* Paths of every channel in dev_dir(), sorted; count or -1 with errno. */
static int channels(char ***out)
{
	struct dirent **ents;
	char **paths;
	int n = scandir(dev_dir(), &ents, is_channel, cmp_version);

	if (n < 0)
		return errno == ENOENT ? (*out = NULL, 0) : -1;
	paths = calloc((size_t)n + 1, sizeof(*paths));
	if (!paths)
		xerr("out of memory");
	for (int i = 0; i < n; i++) {
		paths[i] = path_join(dev_dir(), ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	*out = paths;
	return n;
}

static void free_paths(char **p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

/* Mount tag from sysfs (class/vio9p/vio9p<N>/mount_tag), into @buf. */
static int sysfs_tag(const char *dev, char buf[VIO9P_MOUNT_TAG_SIZE])
{
	char *base = path_base(dev), *file;
	size_t n;
	FILE *fp;

	if (asprintf(&file, "%s/vio9p%s/mount_tag", sys_dir(), base) < 0)
		xerr("out of memory");
	free(base);
	fp = fopen(file, "re");
	free(file);
	if (!fp)
		return -1;
	n = fread(buf, 1, VIO9P_MOUNT_TAG_SIZE - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Mount tag of device @dev: sysfs, else VIO9P_IOC_MOUNT_TAG on @fd (or on
 * the device opened here, which needs it free).  0 or -1 with errno.
 */
static int dev_tag(const char *dev, int fd, char buf[VIO9P_MOUNT_TAG_SIZE])
{
	int rc, e, own = -1;

	if (sysfs_tag(dev, buf) == 0)
		return 0;
	if (fd < 0) {
		own = fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
		if (fd < 0)
			return -1;
	}
	rc = ioctl(fd, VIO9P_IOC_MOUNT_TAG, buf);
	e = errno;
	if (own >= 0)
		close(own);
	buf[VIO9P_MOUNT_TAG_SIZE - 1] = '\0';
	errno = e;
	return rc;
}

int cmd_list(struct vctx *c, int argc, char **argv)
{
	char **paths;
	int n = channels(&paths), rval = 0;

	(void)argv;
	if (argc > 1)
		return usage_verb(c->verb);
	if (n < 0) {
		xwarn("list %s", dev_dir());
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char tag[VIO9P_MOUNT_TAG_SIZE];
		int fd = open(paths[i], O_RDWR | O_EXCL | O_CLOEXEC);
		const char *state = "free";

		if (fd < 0 && errno == EBUSY) {
			state = "busy";
		} else if (fd < 0) {
			xwarn("list %s", paths[i]);
			state = "unknown";
			rval = 1;
		}
		if (dev_tag(paths[i], fd, tag) < 0)
			strcpy(tag, "-");
		if (fd >= 0)
			close(fd);
		printf("%s %s %s\n", paths[i], *tag ? tag : "-", state);
	}
	free_paths(paths, n);
	return rval;
}

int cmd_tag(struct vctx *c, int argc, char **argv)
{
	char tag[VIO9P_MOUNT_TAG_SIZE];

	(void)argv;
	if (argc > 1)
		return usage_verb(c->verb);
	if (!c->is_dev) {
		xwarnx("tag %s: not a vio9p device", c->addr);
		return 1;
	}
	if (dev_tag(c->addr, -1, tag) < 0) {
		xwarn("tag %s", c->addr);
		return 1;
	}
	printf("%s\n", tag);
	return 0;
}

/* One line of df for @path (the root when NULL); 0 or 1. */
static int df_one(struct vctx *c, const char *path)
{
	struct v9p_fid *f = path ? walk_path(c, path) : c->root;
	struct v9p_statfs st;
	uint64_t k, total, avail, used, pct;
	int rc = f ? v9p_statfs(f, &st) : -1;

	if (f && f != c->root) {
		int e = errno;

		v9p_clunk(f);
		errno = e;
	}
	if (rc < 0) {
		xwarn("df %s", path ? path : c->addr);
		return 1;
	}
	k = st.bsize ? st.bsize : 1024;
	total = st.blocks * k / 1024;
	avail = st.bavail * k / 1024;
	used = (st.blocks - st.bfree) * k / 1024;
	/* As df(1): used / (used + available), rounded up. */
	pct = used + avail ? (used * 100 + used + avail - 1) / (used + avail) : 0;
	printf("%-20s %12llu %12llu %12llu %3llu%% %10llu %10llu\n", c->addr,
	       (unsigned long long)total, (unsigned long long)used,
	       (unsigned long long)avail, (unsigned long long)pct,
	       (unsigned long long)st.files, (unsigned long long)st.ffree);
	return 0;
}

/* df [path ...]: as df(1), the file system holding each path. */
int cmd_df(struct vctx *c, int argc, char **argv)
{
	int rval = 0;

	if (getopt(argc, argv, "+") != -1)
		return usage_verb(c->verb);
	printf("%-20s %12s %12s %12s %4s %10s %10s\n", "Channel", "1K-blocks",
	       "Used", "Available", "Use%", "Inodes", "IFree");
	if (optind >= argc)
		return df_one(c, NULL);
	for (int i = optind; i < argc; i++)
		rval |= df_one(c, argv[i]);
	return rval;
}

/* The channel the global options name; exits on error. */
static char *pick_channel(const char *dev, const char *tag, bool *is_dev)
{
	char **paths, *pick = NULL;
	int n;

	*is_dev = true;
	if (dev)
		return strdup(dev);
	n = channels(&paths);
	if (n < 0)
		xerr("%s", dev_dir());
	for (int i = 0; tag && i < n && !pick; i++) {
		char t[VIO9P_MOUNT_TAG_SIZE];

		if (dev_tag(paths[i], -1, t) == 0 && !strcmp(t, tag))
			pick = strdup(paths[i]);
	}
	if (tag && !pick)
		xerrx("no channel with mount tag %s in %s", tag, dev_dir());
	if (!tag && n == 0)
		xerrx("no channel in %s; name a server with -a", dev_dir());
	if (!tag && n > 1) {
		fprintf(stderr, "vio9p: %d channels in %s:", n, dev_dir());
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %s", paths[i]);
		fprintf(stderr, "; choose one with -d or -t\n");
		exit(1);
	}
	if (!tag)
		pick = strdup(paths[0]);
	free_paths(paths, n);
	return pick;
}

/* -h or --help among a verb's options (before "--"). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static void open_session(struct vctx *c, uint32_t msize, const char *aname)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *uname = pw ? pw->pw_name : "root";

	c->s = v9p_connect(c->addr, msize);
	if (!c->s)
		xerr("%s", c->addr);
	c->root = v9p_attach(c->s, uname, (uint32_t)geteuid(), aname);
	c->aname = aname;
	if (!c->root)
		xerr("attach %s", *aname ? aname : c->addr);
	c->gid = (uint32_t)getegid();
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *tag = NULL, *addr = NULL, *aname = "";
	const char *errstr;
	struct vctx c = { 0 };
	const struct verb *v;
	uint32_t msize = 0;
	uint64_t val;
	char *chan;
	int ch, rval;

	opterr = 0; /* usage() says it all, under our name */
	while ((ch = getopt_long(argc, argv, "+a:A:d:hm:t:", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'A': aname = optarg; break;
		case 'd': dev = optarg; break;
		case 't': tag = optarg; break;
		case 'm':
			if (parse_u64(optarg, 512, MSIZE_MAX, &val, &errstr) < 0)
				xerrx("msize %s: %s", optarg, errstr);
			msize = (uint32_t)val;
			break;
		case 'h':
			usage(stdout);
			return fclose(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("vio9p %s\n", VIO9P_VERSION);
			return fclose(stdout) == 0 ? 0 : 1;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 1;
	}
	if ((dev != NULL) + (tag != NULL) + (addr != NULL) > 1)
		xerrx("-d, -t and -a exclude each other");
	v = find_verb(argv[0]);
	if (!v) {
		xwarnx("%s: unknown verb", argv[0]);
		usage(stderr);
		return 1;
	}
	if (wants_help(argc, argv)) {
		print_verb_usage(stdout, v);
		return fclose(stdout) == 0 ? 0 : 1;
	}
	c.verb = v->name;
	c.umask = umask(0);
	umask(c.umask);
	if (!strcmp(v->name, "list")) {
		chan = NULL;
	} else if (addr) {
		chan = strdup(addr);
		c.is_dev = addr[0] == '/' || !strncmp(addr, "dev:", 4);
	} else {
		chan = pick_channel(dev, tag, &c.is_dev);
	}
	c.addr = chan;
	c.msize = msize;
	if (v->session)
		open_session(&c, msize, aname);
	optind = 0; /* each verb parses its own options from argv[0] */
	rval = v->fn(&c, argc, argv);
	if (c.root)
		v9p_clunk(c.root);
	v9p_close(c.s);
	free(chan);
	if (fclose(stdout) != 0) {
		xwarn("stdout");
		rval = 1;
	}
	return rval;
}
