/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the acl_vmm selftests (kselftest_harness.h tests that
 * run in QEMU with acl_vmm.ko loaded).
 */
#ifndef ACL_VMM_SELFTEST_H
#define ACL_VMM_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acl/acl.h"
#include "acl_vmm_raw.h"
#include "kselftest_harness.h"

/*
 * The harness kills a test after TEST_TIMEOUT_DEFAULT seconds (30 in the
 * kernel's harness). Under TCG, on the debug kernel, or with another VM
 * on the same two cores, a test runs several times slower than alone: the
 * slowest here take about 20 s with the machine loaded by a kernel build,
 * so every test gets 300 s, and the few longer ones a timeout of their own.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define PAGE_2M (2 * MIB)
#define WINDOW_START ((uintptr_t)ACL_VMM_VA_WINDOW_START)
#define WINDOW_END ((uintptr_t)(ACL_VMM_VA_WINDOW_START + ACL_VMM_VA_WINDOW_SIZE))

static inline const char *acl_msg(void)
{
	const char *m = aclGetRecentErrMsg();

	return m ? m : "(no message)";
}

/* An ACL call returns @code; on failure the log shows its message. */
#define EXPECT_ACL(code, expr) \
	EXPECT_EQ((int)(code), (int)(expr)) { TH_LOG("%s: %s", #expr, acl_msg()); }
#define ASSERT_ACL(code, expr) \
	ASSERT_EQ((int)(code), (int)(expr)) { TH_LOG("%s: %s", #expr, acl_msg()); }
#define ASSERT_OK(expr) ASSERT_ACL(ACL_SUCCESS, expr)

/* The thread's last error message names @what (an argument, a rule). */
#define EXPECT_MSG(what) \
	EXPECT_TRUE(strstr(acl_msg(), (what)) != NULL) { \
		TH_LOG("message \"%s\" does not name \"%s\"", acl_msg(), (what)); }

/* Fails with @code and a message naming @what. */
#define EXPECT_ACL_MSG(code, what, expr) \
	do { EXPECT_ACL(code, expr); EXPECT_MSG(what); } while (0)
#define ASSERT_ACL_MSG(code, what, expr) \
	do { ASSERT_ACL(code, expr); EXPECT_MSG(what); } while (0)

static inline aclrtPhysicalMemProp device_prop(uint32_t device, aclrtMemAttr attr)
{
	aclrtPhysicalMemProp prop = {
		.handleType = ACL_MEM_HANDLE_TYPE_NONE,
		.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED,
		.memAttr = attr,
		.location = { .id = device, .type = ACL_MEM_LOCATION_TYPE_DEVICE },
		.reserve = 0,
	};
	return prop;
}

static inline aclrtPhysicalMemProp host_prop(void)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_MEM_HUGE);

	prop.location.type = ACL_MEM_LOCATION_TYPE_HOST;
	return prop;
}

/* Free device memory, in bytes, as aclrtGetMemInfo reports it. */
static inline size_t device_free(int32_t device)
{
	size_t free_mem = 0, total = 0;
	int32_t cur = -1;

	if (aclrtGetDevice(&cur) != ACL_SUCCESS || cur != device)
		aclrtSetDevice(device);
	aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total);
	if (cur >= 0 && cur != device)
		aclrtSetDevice(cur);
	return free_mem;
}

/* Let context @fd use @device, through the device's node; 0 or -errno. */
static inline int attach_device(int fd, uint32_t device)
{
	char node[32];
	int nfd, ret;

	snprintf(node, sizeof(node), "/dev/acl_vmm%u", device);
	nfd = open(node, O_RDWR | O_CLOEXEC);
	if (nfd < 0)
		return -errno;
	ret = acl_vmm_raw_attach(fd, nfd, NULL);
	close(nfd);
	return ret;
}

/* The unprivileged user the tests attack and use the devices as. */
#define NOBODY 65534

/*
 * Become NOBODY; with @in_group, keep the device nodes' group (the udev
 * rule's, "acl") as a supplementary group, as a user of the node's group
 * is. 0 or -errno.
 */
static inline int drop_privileges(bool in_group)
{
	struct stat st;
	gid_t g;

	if (stat("/dev/acl_vmm", &st))
		return -errno;
	g = st.st_gid;
	if (setgroups(in_group ? 1 : 0, &g) || setgid(NOBODY) || setuid(NOBODY))
		return -errno;
	return 0;
}

/* Run @fn in a child process; its exit status, or 128 + the signal. */
static inline int run_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (!pid)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* VmLck of this process, in kB, or -1. */
static inline long vm_locked_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* VmLck settles at @kb (the uncharge of freed memory is asynchronous). */
static inline bool vm_locked_settles(long kb)
{
	int i;

	for (i = 0; i < 200 && vm_locked_kb() != kb; i++)
		usleep(50000);
	return vm_locked_kb() == kb;
}

/* Raw device usage, read on a file of its own (works without aclInit). */
static inline uint64_t device_used_raw(uint32_t device)
{
	int fd = acl_vmm_raw_open("/dev/acl_vmm", NULL);
	uint64_t capacity, used = UINT64_MAX;

	if (fd < 0)
		return used;
	if (attach_device(fd, device) ||
	    acl_vmm_raw_device_info(fd, device, &capacity, &used))
		used = UINT64_MAX;
	close(fd);
	return used;
}

/* A device's sysfs attribute (used, held, ...), or ULLONG_MAX. */
static inline unsigned long long device_attr(int dev, const char *attr)
{
	unsigned long long v = ULLONG_MAX;
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/acl_vmm%d/%s", dev, attr);
	f = fopen(path, "r");
	if (f && fscanf(f, "%llu", &v) != 1)
		v = ULLONG_MAX;
	if (f)
		fclose(f);
	return v;
}

/*
 * Device @dev's usage settles at @used with nothing held: held pages come
 * back within a second of their last reference (up to 10 s here).
 */
static inline bool device_settles(int dev, unsigned long long used)
{
	for (int i = 0; i < 200; i++) {
		if (device_attr(dev, "used") == used && device_attr(dev, "held") == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static inline void fill_pattern(void *p, size_t size, uint64_t seed)
{
	uint64_t *w = p;

	for (size_t i = 0; i < size / 8; i += 512)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static inline bool check_pattern(const void *p, size_t size, uint64_t seed)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < size / 8; i += 512)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return false;
	return true;
}

/*
 * Whether touching @addr faults (SIGSEGV or SIGBUS): the access runs in
 * this thread, with a handler that jumps back.
 */
static __thread sigjmp_buf probe_jmp;
static __thread volatile int probe_armed;

static inline void probe_handler(int sig)
{
	if (probe_armed)
		siglongjmp(probe_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline int probe_access(volatile char *addr, bool write)
{
	struct sigaction sa = { .sa_handler = probe_handler };
	int sig;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sig = sigsetjmp(probe_jmp, 1);
	if (!sig) {
		probe_armed = 1;
		if (write)
			*addr = 1;
		else
			(void)*addr;
	}
	probe_armed = 0;
	return sig;
}

/*
 * The fixture of most tests: the library initialized with device 0
 * current; at teardown, after aclFinalize, both devices must be back to
 * the usage they had before the test: nothing is left behind.
 */
#define ACL_FIXTURE(name)                                                     \
	FIXTURE(name) {                                                       \
		uint64_t used0[2];                                            \
	};                                                                    \
	FIXTURE_SETUP(name)                                                   \
	{                                                                     \
		self->used0[0] = device_used_raw(0);                          \
		self->used0[1] = device_used_raw(1);                          \
		ASSERT_OK(aclInit(NULL));                                     \
		ASSERT_OK(aclrtSetDevice(0));                                 \
	}                                                                     \
	FIXTURE_TEARDOWN(name)                                                \
	{                                                                     \
		EXPECT_OK(aclFinalize());                                     \
		EXPECT_EQ(self->used0[0], device_used_raw(0));                \
		EXPECT_EQ(self->used0[1], device_used_raw(1));                \
	}

#define EXPECT_OK(expr) EXPECT_ACL(ACL_SUCCESS, expr)

/* Reserve @size bytes anywhere, or fail the test. */
#define RESERVE(ptr, size) ASSERT_OK(aclrtReserveMemAddress((void **)&(ptr), (size), 0, NULL, 0))

/* Allocate @size bytes of ACL_HBM_MEM_HUGE on @device, or fail the test. */
#define MALLOC_PHYS(handle, size, device)                                     \
	do {                                                                  \
		aclrtPhysicalMemProp _p = device_prop((device), ACL_HBM_MEM_HUGE); \
		ASSERT_OK(aclrtMallocPhysical(&(handle), (size), &_p, 0));    \
	} while (0)

#endif /* ACL_VMM_SELFTEST_H */
