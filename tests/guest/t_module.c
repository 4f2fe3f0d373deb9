// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life: unloading refused while a channel is open, unloading
 * that removes every node, and the max_requests parameter.  Runs last in a
 * guest, since it reloads vio9p.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan.h"
#include "rig.h"

#define MODULE_PATH	"/lib/vio9p/vio9p.ko"

static int unload(void)
{
	return module_unload("vio9p");
}

static int load(const char *params)
{
	return module_load(MODULE_PATH, params);
}

static int count_nodes(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/dev/9p");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The suite's tests, in order; each sets up what it needs itself.  The
 * teardown ends what a test that failed part way left running.
 */
FIXTURE(module) {};
static FIXTURE_SETUP(module) {}
static FIXTURE_TEARDOWN(module)
{
	end_test_children();
}

TEST_F(module, unload_refused_while_open)
{
	int fd = chan_open(_metadata, TAG_MAIN, 0);

	ASSERT_ERRNO(unload(), EWOULDBLOCK);
	ASSERT_EQ(count_nodes(), NR_DEVICES);
	close(fd);
}

TEST_F(module, unload_removes_nodes_and_reload_brings_them_back)
{
	struct stat st;

	ASSERT_OK(unload());
	ASSERT_EQ(count_nodes(), 0);
	ASSERT_ERRNO(stat("/sys/class/vio9p", &st), ENOENT);
	ASSERT_OK(load(""));
	ASSERT_EQ(count_nodes(), NR_DEVICES);
	/* One slot is made at probe. */
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), 1);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "submitted"), 0);
}

TEST_F(module, max_requests_parameter_bounds_the_slots)
{
	struct vio9p_limits lim;
	struct p9msg req, rep;
	int fd;

	ASSERT_OK(unload());
	ASSERT_OK(load("max_requests=2"));
	fd = chan_open(_metadata, TAG_MAIN, O_NONBLOCK);
	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.requests, 2);
	ASSERT_EQ(chan_fill(_metadata, fd, 10), 2);
	p9_tclunk(&req, 9, 0xdeadbeef);
	ASSERT_ERRNO(write(fd, req.buf, req.len), EAGAIN);
	ASSERT_EQ(chan_stat(_metadata, TAG_MAIN, "slots"), 2);
	ASSERT_OK(fcntl(fd, F_SETFL, 0));
	chan_recv(_metadata, fd, &rep);
	chan_recv(_metadata, fd, &rep);
	close(fd);

	/* Far more than the ring holds is cut to what it holds. */
	ASSERT_OK(unload());
	ASSERT_OK(load("max_requests=100000"));
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_limits(_metadata, fd, &lim);
	ASSERT_GT(lim.requests, 8);
	ASSERT_LE(lim.requests, 512);
	close(fd);

	ASSERT_OK(unload());
	ASSERT_OK(load("max_requests=0"));
	fd = chan_open(_metadata, TAG_MAIN, 0);
	chan_limits(_metadata, fd, &lim);
	ASSERT_EQ(lim.requests, 1);
	close(fd);

	ASSERT_OK(unload());
	ASSERT_OK(load(""));
	ASSERT_EQ(count_nodes(), NR_DEVICES);
}

TEST_HARNESS_MAIN
