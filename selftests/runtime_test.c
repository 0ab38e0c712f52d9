// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime around the memory calls: aclInit/aclFinalize, devices,
 * contexts, last error and messages.
 */
#include <pthread.h>

#include "acl_test.h"

TEST(init_counts)
{
	ASSERT_OK(aclInit(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_REPEAT_INITIALIZE, "already initialized", aclInit(NULL));
	EXPECT_OK(aclFinalize());
	/* Still initialized: the second aclInit counted. */
	EXPECT_OK(aclrtSetDevice(0));
	EXPECT_OK(aclFinalize());
	EXPECT_ACL_MSG(ACL_ERROR_REPEAT_FINALIZE, "finalized", aclFinalize());
	EXPECT_ACL_MSG(ACL_ERROR_UNINITIALIZE, "the library is not initialized", aclrtSetDevice(0));
	/* And again from the start. */
	EXPECT_OK(aclInit(""));
	EXPECT_OK(aclFinalize());
}

TEST(finalize_never_initialized)
{
	EXPECT_ACL_MSG(ACL_ERROR_UNINITIALIZE, "the library was never initialized", aclFinalize());
}

TEST(init_config_path)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "configPath",
		       aclInit("/nonexistent/acl.json"));
	EXPECT_OK(aclInit("/dev/null"));
	EXPECT_OK(aclFinalize());
}

/* aclFinalize releases everything the process held. */
TEST(finalize_frees_everything)
{
	uint64_t used0 = device_used_raw(0), used1 = device_used_raw(1);
	aclrtDrvMemHandle h, kept;
	char *va;
	void *dev;

	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(1));
	RESERVE(va, 8 * PAGE_2M);
	MALLOC_PHYS(h, 4 * PAGE_2M, 0);
	MALLOC_PHYS(kept, 2 * PAGE_2M, 1);
	ASSERT_OK(aclrtMapMem(va, 4 * PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtFreePhysical(h));
	ASSERT_OK(aclrtMalloc(&dev, 3 * MIB, ACL_MEM_MALLOC_HUGE_FIRST));
	memset(va, 1, 4 * PAGE_2M);
	EXPECT_NE(used0, device_used_raw(0));
	EXPECT_NE(used1, device_used_raw(1));
	ASSERT_OK(aclFinalize());
	EXPECT_EQ(used0, device_used_raw(0));
	EXPECT_EQ(used1, device_used_raw(1));
	EXPECT_EQ(SIGSEGV, probe_access(va, false));
	EXPECT_EQ(SIGSEGV, probe_access(dev, false));
}

TEST(device_count)
{
	uint32_t count = 0;

	ASSERT_OK(aclInit(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "count", aclrtGetDeviceCount(NULL));
	EXPECT_OK(aclrtGetDeviceCount(&count));
	EXPECT_EQ(2, count);
	EXPECT_OK(aclFinalize());
}

TEST(set_get_reset_device)
{
	int32_t dev = -1;

	ASSERT_OK(aclInit(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "context", aclrtGetDevice(&dev));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "deviceId is NULL", aclrtGetDevice(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "deviceId", aclrtSetDevice(2));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "deviceId=-1 is not a device",
		       aclrtSetDevice(-1));
	EXPECT_OK(aclrtSetDevice(1));
	EXPECT_OK(aclrtGetDevice(&dev));
	EXPECT_EQ(1, dev);
	EXPECT_OK(aclrtSetDevice(0));
	EXPECT_OK(aclrtGetDevice(&dev));
	EXPECT_EQ(0, dev);
	EXPECT_OK(aclrtResetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "the thread has no current context",
		       aclrtGetDevice(&dev));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "deviceId=5 is not a device",
		       aclrtResetDevice(5));
	EXPECT_OK(aclrtResetDevice(1));
	EXPECT_OK(aclFinalize());
}

static void *get_device_thread(void *arg)
{
	int32_t *dev = arg;

	/* A new thread has no current context... */
	if (aclrtGetDevice(dev) != ACL_ERROR_RT_CONTEXT_NULL)
		*dev = -2;
	/* ...until it sets one; the main thread's stays. */
	else if (aclrtSetDevice(1) || aclrtGetDevice(dev))
		*dev = -3;
	return NULL;
}

TEST(current_context_per_thread)
{
	int32_t dev = -1, mine = -1;
	pthread_t t;

	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(0));
	ASSERT_EQ(0, pthread_create(&t, NULL, get_device_thread, &dev));
	pthread_join(t, NULL);
	EXPECT_EQ(1, dev);
	EXPECT_OK(aclrtGetDevice(&mine));
	EXPECT_EQ(0, mine);
	EXPECT_OK(aclFinalize());
}

TEST(contexts)
{
	aclrtContext c0, c1, cur = (aclrtContext)1;
	int32_t dev;

	ASSERT_OK(aclInit(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "context", aclrtGetCurrentContext(&cur));
	EXPECT_EQ(NULL, cur);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "context is NULL", aclrtGetCurrentContext(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "context is NULL", aclrtCreateContext(NULL, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "deviceId=9 is not a device",
		       aclrtCreateContext(&c0, 9));
	ASSERT_OK(aclrtCreateContext(&c0, 0));
	ASSERT_OK(aclrtCreateContext(&c1, 1));
	EXPECT_OK(aclrtGetCurrentContext(&cur));
	EXPECT_EQ(c1, cur);
	EXPECT_OK(aclrtGetDevice(&dev));
	EXPECT_EQ(1, dev);
	EXPECT_OK(aclrtSetCurrentContext(c0));
	EXPECT_OK(aclrtGetDevice(&dev));
	EXPECT_EQ(0, dev);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "context is NULL", aclrtSetCurrentContext(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "is not a live context",
		       aclrtSetCurrentContext((aclrtContext)&dev));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "context is NULL", aclrtDestroyContext(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not created by aclrtCreateContext, or is",
		       aclrtDestroyContext((aclrtContext)&dev));
	EXPECT_OK(aclrtDestroyContext(c0));
	/* The destroyed context was current: there is none now. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "the thread has no current context",
		       aclrtGetDevice(&dev));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not created by aclrtCreateContext, or is",
		       aclrtDestroyContext(c0));
	EXPECT_OK(aclrtDestroyContext(c1));
	EXPECT_OK(aclFinalize());
}

TEST(last_error)
{
	void *p;

	ASSERT_OK(aclInit(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size is 0",
		       aclrtReserveMemAddress(&p, 0, 0, NULL, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size is 0",
		       aclrtPeekAtLastError(ACL_RT_THREAD_LEVEL));
	/* A success does not clear it; Get does. */
	EXPECT_OK(aclrtSetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size is 0",
		       aclrtGetLastError(ACL_RT_THREAD_LEVEL));
	EXPECT_OK(aclrtGetLastError(ACL_RT_THREAD_LEVEL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "virPtr is not the start of a reservation of",
		       aclrtReleaseMemAddress((void *)WINDOW_START));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "virPtr is not the start of a reservation of",
		       aclrtGetLastError(ACL_RT_THREAD_LEVEL));
	EXPECT_OK(aclFinalize());
}

static void *fail_in_thread(void *arg)
{
	(void)arg;
	aclrtUnmapMem(NULL);
	return NULL;
}

TEST(last_error_per_thread)
{
	pthread_t t;

	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtGetLastError(ACL_RT_THREAD_LEVEL));
	ASSERT_EQ(0, pthread_create(&t, NULL, fail_in_thread, NULL));
	pthread_join(t, NULL);
	EXPECT_OK(aclrtPeekAtLastError(ACL_RT_THREAD_LEVEL));
	EXPECT_EQ(NULL, aclGetRecentErrMsg());
	EXPECT_OK(aclFinalize());
}

/* The message names the call, the argument and the rule. */
TEST(messages)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	ASSERT_OK(aclInit(NULL));
	prop.reserve = 3;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "prop->reserve=0x3: must be 0",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	EXPECT_MSG("aclrtMallocPhysical");
	EXPECT_MSG("prop->reserve=0x3: must be 0");
	EXPECT_MSG("must be 0");
	EXPECT_OK(aclFinalize());
}

TEST(version)
{
	int32_t a, b, c;

	EXPECT_OK(aclrtGetVersion(&a, &b, &c));
	EXPECT_EQ(1, a);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "majorVersion, minorVersion and patchVersion",
		       aclrtGetVersion(NULL, &b, &c));
}

/* After fork, the child starts uninitialized and initializes its own. */
TEST(fork_child_initializes_anew)
{
	int status;
	pid_t pid;

	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(0));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int32_t dev;
		char *va;

		if (aclrtGetDevice(&dev) != ACL_ERROR_UNINITIALIZE)
			_exit(1);
		if (aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0) !=
		    ACL_ERROR_UNINITIALIZE)
			_exit(2);
		if (aclInit(NULL) || aclrtSetDevice(1) ||
		    aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0))
			_exit(3);
		if (aclFinalize())
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_OK(aclFinalize());
}

TEST_HARNESS_MAIN
