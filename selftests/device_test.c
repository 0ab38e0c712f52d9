// SPDX-License-Identifier: GPL-2.0
/*
 * Which devices a process sees: the ones whose nodes it can open (what a
 * container is given), narrowed and renumbered by ASCEND_RT_VISIBLE_DEVICES.
 */
#include "acl_test.h"

/* In a child: set up, aclInit, and report what is visible. */
static int visible(const char *env, int drop_to_uid, uint32_t *count,
		   uint64_t *phys_of_0)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;
	uint64_t before[2];
	int i;

	if (env)
		setenv("ASCEND_RT_VISIBLE_DEVICES", env, 1);
	if (drop_to_uid >= 0 && drop_privileges(true))
		return 1;
	if (aclInit(NULL) || aclrtGetDeviceCount(count))
		return 2;
	*phys_of_0 = UINT64_MAX;
	if (!*count)
		return 0;
	for (i = 0; i < 2; i++)
		before[i] = device_used_raw(i);
	if (aclrtMallocPhysical(&h, PAGE_2M, &prop, 0))
		return 3;
	for (i = 0; i < 2; i++)
		if (device_used_raw(i) != before[i] && device_used_raw(i) != UINT64_MAX)
			*phys_of_0 = i;
	return aclFinalize() ? 4 : 0;
}

struct seen {
	int ret;
	uint32_t count;
	uint64_t phys_of_0;
};

static struct seen run_visible(const char *env, int uid)
{
	struct seen s = { .ret = -1 };
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd))
		return s;
	pid = fork();
	if (pid == 0) {
		s.ret = visible(env, uid, &s.count, &s.phys_of_0);
		if (write(pipefd[1], &s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	if (read(pipefd[0], &s, sizeof(s)) != sizeof(s))
		s.ret = -2;
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	return s;
}

TEST(all_devices_by_default)
{
	struct seen s = run_visible(NULL, -1);

	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(2, s.count);
	EXPECT_EQ(0, s.phys_of_0);
}

TEST(visible_devices_renumber)
{
	struct seen s = run_visible("1", -1);

	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(1, s.count);
	EXPECT_EQ(1, s.phys_of_0);
	s = run_visible("1,0", -1);
	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(2, s.count);
	EXPECT_EQ(1, s.phys_of_0);
}

/* As on CANN, the list stops at the first entry that is not a device. */
TEST(visible_devices_stop_at_invalid)
{
	struct seen s = run_visible("0,7,1", -1);

	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(1, s.count);
	s = run_visible("1,1", -1);
	EXPECT_EQ(1, s.count);
	s = run_visible("x", -1);
	EXPECT_EQ(0, s.count);
}

/*
 * A process that cannot open a device's node does not see or use the
 * device: a container given /dev/acl_vmm1 only has one device, device 1.
 */
TEST(only_openable_nodes)
{
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = PAGE_2M,
				   .location = ACL_VMM_LOCATION_DEVICE };
	struct stat st;
	struct seen s;
	int fd, ret;

	if (getuid() != 0)
		SKIP(return, "needs root to change the node's mode");
	ASSERT_EQ(0, stat("/dev/acl_vmm0", &st));
	ASSERT_EQ(0, chmod("/dev/acl_vmm0", 0600));
	s = run_visible(NULL, NOBODY);
	chmod("/dev/acl_vmm0", st.st_mode & 07777);
	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(1, s.count);
	EXPECT_EQ(1, s.phys_of_0);
	/* And the kernel refuses device 0 to such a context. */
	fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ret = ioctl(fd, ACL_VMM_ALLOC, &a) ? errno : 0;
	EXPECT_EQ(ENODEV, ret);
	close(fd);
}

/* aclInit as NOBODY, with or without the nodes' group: its ACL code. */
static int init_as_nobody(bool in_group)
{
	pid_t pid = fork();
	int status;

	if (!pid)
		_exit(drop_privileges(in_group) ? 255 : aclInit(NULL) == ACL_SUCCESS ? 0 :
		      aclrtGetLastError(ACL_RT_THREAD_LEVEL) == ACL_ERROR_RT_NO_PERMISSION ? 1 : 2);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * The module makes its nodes 0600; the udev rule (applied by the VM's
 * init, which has no udevd) gives them to the group "acl", mode 0660. A
 * user outside the group cannot use any device; a member can.
 */
TEST(nodes_belong_to_the_group)
{
	const char *nodes[] = { "/dev/acl_vmm", "/dev/acl_vmm0", "/dev/acl_vmm1" };
	struct group *acl = getgrnam("acl");
	struct stat st;
	size_t i;

	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	ASSERT_NE(NULL, acl);
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		ASSERT_EQ(0, stat(nodes[i], &st));
		EXPECT_EQ(0660, st.st_mode & 07777) {
			TH_LOG("%s: mode %o", nodes[i], st.st_mode & 07777);
		}
		EXPECT_EQ(acl->gr_gid, st.st_gid);
		EXPECT_EQ(0, st.st_uid);
	}
	EXPECT_EQ(1, init_as_nobody(false));
	EXPECT_EQ(0, init_as_nobody(true));
}

TEST_HARNESS_MAIN
