// SPDX-License-Identifier: GPL-2.0
/*
 * The calls real CANN programs make beyond the VMM core (CANN's samples,
 * Mooncake, MindSpore's symbol table): host memory, pointer attributes,
 * handle references and properties, stream query and forced destroy, the
 * exception callback, events with flags, the V2 sharing calls.
 *
 * A copy that cannot progress is made with userfaultfd: its source page is
 * missing and nobody answers, so the engine waits for it (up to the
 * module's fault_timeout) until the test places the page itself.
 */
#include <errno.h>
#include <linux/userfaultfd.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "acl_test.h"

ACL_FIXTURE(dropin);

TEST_F(dropin, run_mode)
{
	aclrtRunMode mode = ACL_DEVICE;

	EXPECT_OK(aclrtGetRunMode(&mode));
	EXPECT_EQ(ACL_HOST, mode);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "runMode is NULL", aclrtGetRunMode(NULL));
}

/*
 * aclrtMallocHost: page-locked (VmLck), copied both ways by the engine,
 * freed only by aclrtFreeHost; aclrtPointerGetAttributes tells host,
 * device and unregistered memory apart.
 */
TEST_F(dropin, malloc_host)
{
	const size_t size = 4 * MIB;
	long locked0 = vm_locked_kb();
	char *host, *dev, *plain = malloc(size);
	aclrtPtrAttributes a;

	ASSERT_NE(NULL, plain);
	ASSERT_OK(aclrtMallocHost((void **)&host, size));
	EXPECT_EQ(locked0 + (long)(size >> 10), vm_locked_kb());
	ASSERT_OK(aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_FIRST));
	fill_pattern(host, size, 7);
	ASSERT_OK(aclrtMemcpy(dev, size, host, size, ACL_MEMCPY_HOST_TO_DEVICE));
	memset(host, 0, size);
	ASSERT_OK(aclrtMemcpy(host, size, dev, size, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(check_pattern(host, size, 7));

	ASSERT_OK(aclrtPointerGetAttributes(host + 5, &a));
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_HOST, a.location.type);
	ASSERT_OK(aclrtPointerGetAttributes(dev + size - 1, &a));
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_DEVICE, a.location.type);
	EXPECT_EQ(0, a.location.id);
	EXPECT_EQ(PAGE_2M, a.pageSize);
	ASSERT_OK(aclrtPointerGetAttributes(plain, &a));
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_UNREGISTERED, a.location.type);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtPointerGetAttributes: ptr is NULL",
		       aclrtPointerGetAttributes(NULL, &a));

	/* Each kind of memory has its own free. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtFreeHost", aclrtFree(host));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not returned by aclrtMallocHost",
		       aclrtFreeHost(dev));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not returned by aclrtMallocHost",
		       aclrtFreeHost(plain));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtMallocHost: hostPtr is NULL",
		       aclrtMallocHost(NULL, size));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size is 0", aclrtMallocHost((void **)&plain, 0));
	EXPECT_OK(aclrtFreeHost(host));
	EXPECT_OK(aclrtFree(dev));
	EXPECT_TRUE(vm_locked_settles(locked0));
	free(plain);
}

/* As NOBODY, aclrtMallocHost counts in RLIMIT_MEMLOCK with host handles. */
static int malloc_host_memlock_child(void)
{
	struct rlimit rl = { 8 << 20, 8 << 20 };
	aclrtPhysicalMemProp prop = host_prop();
	aclrtDrvMemHandle h;
	const char *msg;
	void *a, *b;

	if (drop_privileges(true) || setrlimit(RLIMIT_MEMLOCK, &rl) || aclInit(NULL) ||
	    aclrtSetDevice(0))
		return 100;
	if (aclrtMallocHost(&a, 4 * MIB))
		return 1;
	if (aclrtMallocPhysical(&h, 2 * MIB, &prop, 0))
		return 2;
	if (aclrtMallocHost(&b, 4 * MIB) != ACL_ERROR_RT_MEMORY_ALLOCATION)
		return 3;
	msg = aclGetRecentErrMsg();
	if (!msg || !strstr(msg, "RLIMIT_MEMLOCK"))
		return 4;
	if (aclrtFreePhysical(h) || aclrtMallocHost(&b, 2 * MIB))
		return 5;
	if (aclrtFreeHost(a) || aclrtFreeHost(b) || !vm_locked_settles(0))
		return 6;
	return aclFinalize() ? 7 : 0;
}

TEST_F(dropin, malloc_host_memlock)
{
	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	EXPECT_EQ(0, run_child(malloc_host_memlock_child));
}

/*
 * Retain takes a reference that one free drops (spec §2): the allocation's
 * reference freed, the retained one keeps the handle usable, and the
 * other way round (Mooncake frees only the retained one).
 */
TEST_F(dropin, retain)
{
	aclrtDrvMemHandle h, r, r2;
	char *va;

	RESERVE(va, 2 * PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtMemRetainAllocationHandle(va, &r));
	EXPECT_EQ(h, r);
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not the start of a mapping",
		       aclrtMemRetainAllocationHandle(va + 4096, &r2));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not the start of a mapping",
		       aclrtMemRetainAllocationHandle(va + PAGE_2M, &r2));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtMemRetainAllocationHandle: handle is NULL",
		       aclrtMemRetainAllocationHandle(va, NULL));

	/* Two references: after one free the handle maps again. */
	ASSERT_OK(aclrtFreePhysical(h));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtMapMem(va + PAGE_2M, PAGE_2M, 0, r, 0));
	va[PAGE_2M] = 1;
	/* The last reference freed while mapped: it goes at the unmap. */
	ASSERT_OK(aclrtFreePhysical(r));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "already freed", aclrtFreePhysical(r));
	/* A retain of a freed, still mapped handle makes it live again. */
	ASSERT_OK(aclrtMemRetainAllocationHandle(va + PAGE_2M, &r2));
	EXPECT_EQ(r, r2);
	ASSERT_OK(aclrtUnmapMem(va + PAGE_2M));
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, r2, 0));
	EXPECT_EQ(1, va[0]);
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtFreePhysical(r2));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "not a live physical memory handle",
		       aclrtFreePhysical(r2));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(dropin, allocation_properties)
{
	aclrtPhysicalMemProp want = device_prop(1, ACL_HBM_MEM_NORMAL), got;
	aclrtPhysicalMemProp host = host_prop();
	aclrtDrvMemHandle h, hh;

	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtMallocPhysical(&h, PAGE_2M, &want, 0));
	memset(&got, 0xff, sizeof(got));
	ASSERT_OK(aclrtMemGetAllocationPropertiesFromHandle(h, &got));
	EXPECT_EQ(ACL_MEM_HANDLE_TYPE_NONE, got.handleType);
	EXPECT_EQ(ACL_MEM_ALLOCATION_TYPE_PINNED, got.allocationType);
	EXPECT_EQ(ACL_HBM_MEM_NORMAL, got.memAttr);
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_DEVICE, got.location.type);
	EXPECT_EQ(1, got.location.id);
	EXPECT_EQ(0, got.reserve);
	ASSERT_OK(aclrtMallocPhysical(&hh, PAGE_2M, &host, 0));
	ASSERT_OK(aclrtMemGetAllocationPropertiesFromHandle(hh, &got));
	EXPECT_EQ(host.memAttr, got.memAttr);
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_HOST, got.location.type);
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtFreePhysical(hh));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "is not a live handle of this process",
		   aclrtMemGetAllocationPropertiesFromHandle(h, &got));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "prop is NULL",
		   aclrtMemGetAllocationPropertiesFromHandle(h, NULL));
}

/* A page nobody will fill: copies from it wait until the test fills it. */
struct stuck {
	int uffd;
	char *page;
};

static int stuck_setup(struct stuck *s)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0 && errno == ENOSYS)
		return 1;	/* a kernel without CONFIG_USERFAULTFD */
	if (s->uffd < 0 || ioctl(s->uffd, UFFDIO_API, &api))
		return -1;
	s->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->page == MAP_FAILED)
		return -1;
	reg.range.start = (uintptr_t)s->page;
	reg.range.len = 4096;
	return ioctl(s->uffd, UFFDIO_REGISTER, &reg);
}

/* Fill the page with @v: the waiting copy goes on. */
static int stuck_release(struct stuck *s, char v)
{
	static char src[4096] __attribute__((aligned(4096)));
	struct uffdio_copy c = { .dst = (uintptr_t)s->page, .src = (uintptr_t)src, .len = 4096 };

	memset(src, v, sizeof(src));
	return ioctl(s->uffd, UFFDIO_COPY, &c);
}

/* Set up @s, or skip the test where the kernel has no userfaultfd. */
#define STUCK_SETUP(s)                                                  \
	do {                                                            \
		int stuck_ret = stuck_setup(&(s));                      \
		if (stuck_ret == 1)                                     \
			SKIP(return, "no userfaultfd in this kernel"); \
		ASSERT_EQ(0, stuck_ret);                                \
	} while (0)

static void stuck_fini(struct stuck *s)
{
	munmap(s->page, 4096);
	close(s->uffd);
}

TEST_F(dropin, stream_query)
{
	aclrtStreamStatus st = ACL_STREAM_STATUS_RESERVED;
	struct stuck s;
	aclrtStream stream;
	char *dev;

	STUCK_SETUP(s);
	ASSERT_OK(aclrtMalloc((void **)&dev, PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&stream));
	ASSERT_OK(aclrtStreamQuery(stream, &st));
	EXPECT_EQ(ACL_STREAM_STATUS_COMPLETE, st);
	ASSERT_OK(aclrtMemcpyAsync(dev, 4096, s.page, 4096, ACL_MEMCPY_HOST_TO_DEVICE, stream));
	ASSERT_OK(aclrtStreamQuery(stream, &st));
	EXPECT_EQ(ACL_STREAM_STATUS_NOT_READY, st);
	ASSERT_OK(aclrtStreamQuery(NULL, &st));	/* the default stream: idle */
	EXPECT_EQ(ACL_STREAM_STATUS_COMPLETE, st);
	ASSERT_EQ(0, stuck_release(&s, 0x3c));
	ASSERT_OK(aclrtSynchronizeStream(stream));
	ASSERT_OK(aclrtStreamQuery(stream, &st));
	EXPECT_EQ(ACL_STREAM_STATUS_COMPLETE, st);
	EXPECT_EQ(0x3c, dev[4095]);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtStreamQuery: status is NULL",
		       aclrtStreamQuery(stream, NULL));
	EXPECT_OK(aclrtDestroyStream(stream));
	EXPECT_OK(aclrtFree(dev));
	stuck_fini(&s);
}

/*
 * The waits with a timeout: 507046 / 507047 while a copy cannot progress,
 * in about the time asked; the work goes on and its result is reported by
 * the next synchronize; bad timeouts and failure modes.
 */
TEST_F(dropin, synchronize_with_timeout)
{
	aclrtStream stream;
	aclrtEvent event;
	struct timespec t0, t1;
	struct stuck s;
	double waited;
	char *dev;

	STUCK_SETUP(s);
	ASSERT_OK(aclrtMalloc((void **)&dev, PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&stream));
	ASSERT_OK(aclrtCreateEvent(&event));
	/* Idle: at once, whatever the timeout. */
	EXPECT_OK(aclrtSynchronizeStreamWithTimeout(stream, 0));
	EXPECT_OK(aclrtSynchronizeEventWithTimeout(event, 0));	/* never recorded */
	EXPECT_OK(aclrtSynchronizeStreamWithTimeout(NULL, 10));	/* default, unused */
	ASSERT_OK(aclrtMemcpyAsync(dev, 4096, s.page, 4096, ACL_MEMCPY_HOST_TO_DEVICE, stream));
	ASSERT_OK(aclrtRecordEvent(event, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "did not end within timeout=0 ms",
		       aclrtSynchronizeStreamWithTimeout(stream, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_ACL_MSG(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT, "timeout=200 ms",
		       aclrtSynchronizeStreamWithTimeout(stream, 200));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	EXPECT_LE(0.19, waited);
	EXPECT_ACL_MSG(ACL_ERROR_RT_EVENT_SYNC_TIMEOUT, "did not complete within timeout=50 ms",
		       aclrtSynchronizeEventWithTimeout(event, 50));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "timeout=-2",
		       aclrtSynchronizeStreamWithTimeout(stream, -2));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "timeout=-5",
		       aclrtSynchronizeEventWithTimeout(event, -5));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "event is NULL",
		       aclrtSynchronizeEventWithTimeout(NULL, 5));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not created by aclrtCreateStream",
		       aclrtSynchronizeStreamWithTimeout((aclrtStream)dev, 5));
	/* The copy was not touched by the timeouts: it lands when its page does. */
	ASSERT_EQ(0, stuck_release(&s, 0x5a));
	EXPECT_OK(aclrtSynchronizeStreamWithTimeout(stream, 60000));
	EXPECT_OK(aclrtSynchronizeEventWithTimeout(event, -1));
	EXPECT_EQ(0x5a, dev[100]);

	/* Failure modes: the engine always stops at a stream's first failure. */
	EXPECT_OK(aclrtSetStreamFailureMode(stream, ACL_STOP_ON_FAILURE));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "always stops a stream",
		       aclrtSetStreamFailureMode(stream, ACL_CONTINUE_ON_FAILURE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "mode=7",
		       aclrtSetStreamFailureMode(stream, 7));
	EXPECT_OK(aclrtDestroyEvent(event));
	EXPECT_OK(aclrtDestroyStream(stream));
	EXPECT_OK(aclrtFree(dev));
	stuck_fini(&s);
}

static void callback_never(void *data)
{
	*(int *)data = 1;
}

/*
 * What these devices cannot do exists, for loaders that look it up, and
 * fails with 207000 and a message saying why; nothing runs.
 */
TEST_F(dropin, unsupported_calls)
{
	aclrtFloatOverflowMode mode = ACL_RT_OVERFLOW_MODE_UNDEF;
	aclrtStream stream;
	aclrtEvent event;
	int called = 0;

	ASSERT_OK(aclrtCreateStream(&stream));
	ASSERT_OK(aclrtCreateEvent(&event));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtLaunchCallback: not supported",
		       aclrtLaunchCallback(callback_never, &called, ACL_CALLBACK_BLOCK, stream));
	EXPECT_MSG("host callbacks on streams are not provided");
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtSubscribeReport: not supported",
		       aclrtSubscribeReport(1, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtUnSubscribeReport: not supported",
		       aclrtUnSubscribeReport(1, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtProcessReport: not supported",
		       aclrtProcessReport(10));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "re-armed by aclrtRecordEvent",
		       aclrtResetEvent(event, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "run no operators or float arithmetic",
		       aclrtSetDeviceSatMode(ACL_RT_OVERFLOW_MODE_INFNAN));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtGetDeviceSatMode: not supported",
		       aclrtGetDeviceSatMode(&mode));
	EXPECT_EQ(ACL_RT_OVERFLOW_MODE_UNDEF, mode);
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtSynchronizeStreamWithTimeout",
		       aclrtSetOpWaitTimeout(5));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "aclrtSetOpExecuteTimeOut: not supported",
		       aclrtSetOpExecuteTimeOut(5));
	EXPECT_OK(aclrtSynchronizeStream(stream));
	EXPECT_EQ(0, called);
	EXPECT_OK(aclrtDestroyEvent(event));
	EXPECT_OK(aclrtDestroyStream(stream));
}

/*
 * aclrtDestroyStreamForce does not wait for a copy that cannot progress:
 * the copies queued after it never run, and an event recorded behind them
 * still completes.
 */
TEST_F(dropin, destroy_stream_force)
{
	aclrtEventRecordedStatus est = ACL_EVENT_RECORDED_STATUS_NOT_READY;
	struct timespec t0, t1;
	aclrtStream stream;
	aclrtEvent event;
	struct stuck s;
	char *dev;

	STUCK_SETUP(s);
	ASSERT_OK(aclrtMalloc((void **)&dev, PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtMemset(dev, PAGE_2M, 0x11, PAGE_2M));
	ASSERT_OK(aclrtCreateStream(&stream));
	ASSERT_OK(aclrtCreateEvent(&event));
	ASSERT_OK(aclrtMemcpyAsync(dev, 4096, s.page, 4096, ACL_MEMCPY_HOST_TO_DEVICE, stream));
	for (int i = 1; i < 4; i++)
		ASSERT_OK(aclrtMemsetAsync(dev + i * 4096, 4096, 0x22, 4096, stream));
	ASSERT_OK(aclrtRecordEvent(event, stream));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_OK(aclrtDestroyStreamForce(stream));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Well under the 10 s the stuck copy would wait for its page. */
	EXPECT_GT(5.0, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ASSERT_OK(aclrtSynchronizeEvent(event));
	ASSERT_OK(aclrtQueryEventStatus(event, &est));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, est);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0x11, dev[i * 4096 + 5]);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtDestroyStreamForce: stream is NULL",
		       aclrtDestroyStreamForce(NULL));
	EXPECT_OK(aclrtDestroyEvent(event));
	EXPECT_OK(aclrtFree(dev));
	stuck_fini(&s);
}

static atomic_int exceptions;
static uint32_t exc_device, exc_stream, exc_code;

static void on_exception(aclrtExceptionInfo *info)
{
	exc_device = aclrtGetDeviceIdFromExceptionInfo(info);
	exc_stream = aclrtGetStreamIdFromExceptionInfo(info);
	exc_code = aclrtGetErrorCodeFromExceptionInfo(info);
	atomic_fetch_add(&exceptions, 1);
}

/* The exception callback is called once for a stream's device memory error. */
TEST_F(dropin, exception_callback)
{
	aclrtStream stream;
	char *va, host[64];

	EXPECT_EQ(0xFFFFFFFFU, aclrtGetDeviceIdFromExceptionInfo(NULL));
	EXPECT_EQ(0xFFFFFFFFU, aclrtGetErrorCodeFromExceptionInfo(NULL));
	RESERVE(va, PAGE_2M);	/* reserved, never mapped */
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtCreateStream(&stream));
	ASSERT_OK(aclrtSetExceptionInfoCallback(on_exception));
	/* ACL_MEMCPY_DEFAULT: no check at submission, the device faults. */
	ASSERT_OK(aclrtMemcpyAsync(host, sizeof(host), va, sizeof(host),
				   ACL_MEMCPY_DEFAULT, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "could not reach",
		       aclrtSynchronizeStream(stream));
	EXPECT_EQ(1, atomic_load(&exceptions));
	EXPECT_EQ(1, exc_device);
	EXPECT_NE(0, exc_stream);
	EXPECT_EQ(ACL_ERROR_RT_DEVICE_MEM_ERROR, (int)exc_code);
	/* A successful synchronize calls nothing; a cleared callback neither. */
	ASSERT_OK(aclrtSynchronizeStream(stream));
	ASSERT_OK(aclrtSetExceptionInfoCallback(NULL));
	/* ACL_MEMCPY_DEFAULT: no check at submission, the device faults. */
	ASSERT_OK(aclrtMemcpyAsync(host, sizeof(host), va, sizeof(host),
				   ACL_MEMCPY_DEFAULT, stream));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "could not reach",
		       aclrtSynchronizeStream(stream));
	EXPECT_EQ(1, atomic_load(&exceptions));
	EXPECT_OK(aclrtDestroyStream(stream));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(dropin, event_with_flag)
{
	aclrtEvent a, b;
	float ms = -1;

	ASSERT_OK(aclrtCreateEventWithFlag(&a, ACL_EVENT_TIME_LINE));
	ASSERT_OK(aclrtCreateEventWithFlag(&b, ACL_EVENT_SYNC | ACL_EVENT_TIME_LINE));
	ASSERT_OK(aclrtRecordEvent(a, NULL));
	ASSERT_OK(aclrtRecordEvent(b, NULL));
	ASSERT_OK(aclrtSynchronizeEvent(b));
	ASSERT_OK(aclrtEventElapsedTime(&ms, a, b));
	EXPECT_LE(0.0f, ms);
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "ACL_EVENT_EXTERNAL",
		       aclrtCreateEventWithFlag(&a, ACL_EVENT_EXTERNAL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "unknown bits",
		       aclrtCreateEventWithFlag(&a, 0x4));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "aclrtCreateEventWithFlag: event is NULL",
		       aclrtCreateEventWithFlag(NULL, 0));
	EXPECT_OK(aclrtDestroyEvent(a));
	EXPECT_OK(aclrtDestroyEvent(b));
}

/* aclrtResetDeviceForce drops every SetDevice reference at once. */
TEST_F(dropin, reset_device_force)
{
	aclrtContext ctx = NULL;

	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtGetCurrentContext(&ctx));
	ASSERT_NE(NULL, ctx);
	ASSERT_OK(aclrtResetDeviceForce(1));
	/* The device's default context is gone: it is no longer current. */
	EXPECT_NE(ACL_SUCCESS, aclrtSetCurrentContext(ctx));
	ASSERT_OK(aclrtSetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "deviceId=7 is not a device",
		       aclrtResetDeviceForce(7));
}

/* The V2 sharing calls: DEFAULT as V1, FABRIC refused with a message. */
static uint64_t v2_share;

static int v2_import_child(void)
{
	aclrtDrvMemHandle h;
	char *va;

	if (aclInit(NULL) || aclrtSetDevice(0))
		return 100;
	if (aclrtMemImportFromShareableHandleV2(&v2_share, ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
						0, &h))
		return 1;
	if (aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0) ||
	    aclrtMapMem(va, PAGE_2M, 0, h, 0))
		return 2;
	if (va[100] != 0x6b)
		return 3;
	if (aclrtMemImportFromShareableHandleV2(&v2_share, ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
						1, &h) != ACL_ERROR_INVALID_PARAM)
		return 4;
	if (aclrtUnmapMem(va) || aclrtReleaseMemAddress(va) || aclrtFreePhysical(h))
		return 5;
	return aclFinalize() ? 6 : 0;
}

TEST_F(dropin, share_v2)
{
	aclrtMemFabricHandle fabric;
	aclrtDrvMemHandle h;
	int32_t pid = 0;
	char *va;

	RESERVE(va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	memset(va, 0x6b, PAGE_2M);
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "FABRIC",
		       aclrtMemExportToShareableHandleV2(h, 0, ACL_MEM_SHARE_HANDLE_TYPE_FABRIC,
							 &fabric));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "shareType=7 is not an aclrtMemSharedHandleType",
		   aclrtMemExportToShareableHandleV2(h, 0, (aclrtMemSharedHandleType)7,
						     &v2_share));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "shareableHandle is NULL",
		   aclrtMemExportToShareableHandleV2(h, 0, ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
						     NULL));
	/* The V2 calls' messages name them. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtMemExportToShareableHandleV2: flags",
		       aclrtMemExportToShareableHandleV2(h, 0x10, ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
							 &v2_share));
	/* Any process may import it: the child below. */
	ASSERT_OK(aclrtMemExportToShareableHandleV2(h, ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION,
						    ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
						    &v2_share));
	EXPECT_NE(0, v2_share);
	ASSERT_OK(aclrtDeviceGetBareTgid(&pid));
	EXPECT_OK(aclrtMemSetPidToShareableHandleV2(&v2_share, ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT,
						    &pid, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "fabric memory",
		   aclrtMemSetPidToShareableHandleV2(&fabric, ACL_MEM_SHARE_HANDLE_TYPE_FABRIC,
						     &pid, 1));
	EXPECT_EQ(0, run_child(v2_import_child));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* NoUCMemory: whole GiBs at an address of the caller's choice. */
TEST_F(dropin, reserve_no_uc_memory)
{
	char *va, *at;

	RESERVE(at, GIB);	/* find a free GiB-aligned address, then give it back */
	ASSERT_OK(aclrtReleaseMemAddress(at));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "expectPtr",
		       aclrtReserveMemAddressNoUCMemory((void **)&va, GIB, 0, NULL, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "1 GiB",
		       aclrtReserveMemAddressNoUCMemory((void **)&va, PAGE_2M, 0, at, 0));
	ASSERT_OK(aclrtReserveMemAddressNoUCMemory((void **)&va, GIB, 0, at, 0));
	EXPECT_EQ(at, va);
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_HARNESS_MAIN
