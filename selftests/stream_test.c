// SPDX-License-Identifier: GPL-2.0
/*
 * Streams, events and the device engine: asynchronous copies and memsets
 * that the module runs through an HMM mirror of the process, in order per
 * stream, concurrently across streams; unmap and free racing with queued
 * work; exit with work in flight.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "acl_test.h"

#define BIG (256 * MIB)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static aclrtEventRecordedStatus event_status(aclrtEvent ev)
{
	aclrtEventRecordedStatus st = (aclrtEventRecordedStatus)-1;

	aclrtQueryEventStatus(ev, &st);
	return st;
}

/* The deprecated query, which programs written for older CANN still call. */
static int old_event_status(aclrtEvent ev)
{
	aclrtEventStatus st = ACL_EVENT_STATUS_RESERVED;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	if (aclrtQueryEvent(ev, &st))
		return -1;
#pragma GCC diagnostic pop
	return st;
}

/* Whether every byte of [p, p + n) is @v. */
static bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

/*
 * Wait up to 60 s (a process's teardown on a loaded machine) for @device's
 * usage to come back to @used.
 */
static bool usage_back(uint32_t device, uint64_t used)
{
	for (int i = 0; i < 6000; i++) {
		if (device_used_raw(device) == used)
			return true;
		usleep(10000);
	}
	return false;
}

ACL_FIXTURE(stream)

TEST_F(stream, create_destroy_errors)
{
	aclrtStream s = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "stream", aclrtCreateStream(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "priority",
		       aclrtCreateStreamWithConfig(&s, 8, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "flag",
		       aclrtCreateStreamWithConfig(&s, 0, 0x100));
	EXPECT_EQ(NULL, s);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "stream", aclrtDestroyStream(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtCreateStream",
		       aclrtDestroyStream((aclrtStream)0x1234));
	ASSERT_OK(aclrtCreateStreamWithConfig(&s, 7, ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC));
	ASSERT_OK(aclrtDestroyStream(s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "live stream", aclrtDestroyStream(s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "stream is not a live stream of this process",
		       aclrtSynchronizeStream(s));
	/* A stream needs a current device, as every device call does. */
	ASSERT_OK(aclrtResetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "the thread has no current context",
		       aclrtCreateStream(&s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "the thread has no current context",
		       aclrtSynchronizeDevice());
}

/* The asynchronous calls check what the synchronous ones do, at submission. */
TEST_F(stream, async_errors)
{
	char host[64] = { 0 }, *d, *va;
	aclrtStream s;

	ASSERT_OK(aclrtMalloc((void **)&d, PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	RESERVE(va, PAGE_2M);
	ASSERT_OK(aclrtCreateStream(&s));
	EXPECT_OK(aclrtMemcpyAsync(NULL, 0, NULL, 0, ACL_MEMCPY_HOST_TO_DEVICE, s));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "dst",
		       aclrtMemcpyAsync(NULL, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE, s));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "destMax",
		       aclrtMemcpyAsync(d, 32, host, 64, ACL_MEMCPY_HOST_TO_DEVICE, s));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "kind",
		       aclrtMemcpyAsync(d, 64, d + 64, 64, ACL_MEMCPY_INTER_DEVICE_TO_DEVICE, s));
	/* The device side must be mapped device memory when the work is queued. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "dst",
		       aclrtMemcpyAsync(va, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE, s));
	/* ACL_MEMCPY_DEFAULT: any addresses of the process, none beyond it. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "address space",
		       aclrtMemcpyAsync((void *)0xffff888000000000UL, 64, host, 64,
					ACL_MEMCPY_DEFAULT, s));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "devPtr", aclrtMemsetAsync(NULL, 8, 0, 8, s));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "maxCount", aclrtMemsetAsync(d, 4, 0, 8, s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "the range is not device memory of this process",
		       aclrtMemsetAsync(host, 8, 0, 8, s));
	EXPECT_OK(aclrtMemsetAsync(d, 0, 0, 0, s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtCreateStream",
		       aclrtMemcpyAsync(d, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE,
					(aclrtStream)0x42));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "live stream",
		       aclrtMemcpyAsync(d, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE, s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "stream is not a live stream of this process",
		       aclrtMemsetAsync(d, 8, 0, 8, s));
	/* Nothing was queued by any of these. */
	EXPECT_TRUE(all_bytes(d, 4096, 0));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	EXPECT_OK(aclrtFree(d));
}

/* A process holds at most 1024 streams and 65536 events: 207012 past that. */
TEST_F(stream, limits)
{
	static aclrtStream st[1024];
	static aclrtEvent ev[65536];
	aclrtStream extra_stream = NULL;
	aclrtEvent extra_event = NULL;
	char *d;
	int n;

	ASSERT_OK(aclrtMalloc((void **)&d, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
	for (n = 0; n < 1024; n++)
		ASSERT_OK(aclrtCreateStream(&st[n]));
	EXPECT_ACL_MSG(ACL_ERROR_RT_OVER_LIMIT, "1024 streams",
		       aclrtCreateStream(&extra_stream));
	EXPECT_EQ(NULL, extra_stream);
	/* The default stream, created at its first use, does not fit either. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_OVER_LIMIT, "default stream",
		       aclrtMemsetAsync(d, 8, 1, 8, NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_OVER_LIMIT, "a process holds at most 1024 streams",
		       aclrtMemset(d, 8, 1, 8));
	EXPECT_TRUE(all_bytes(d, 8, 0));
	/* A stream destroyed makes room again. */
	EXPECT_OK(aclrtDestroyStream(st[0]));
	EXPECT_OK(aclrtCreateStream(&st[0]));
	for (n = 0; n < 1024; n++)
		EXPECT_OK(aclrtDestroyStream(st[n]));
	EXPECT_OK(aclrtMemset(d, 8, 1, 8));
	EXPECT_TRUE(all_bytes(d, 8, 1));
	EXPECT_OK(aclrtFree(d));

	for (n = 0; n < 65536; n++)
		ASSERT_OK(aclrtCreateEvent(&ev[n]));
	EXPECT_ACL_MSG(ACL_ERROR_RT_OVER_LIMIT, "65536 events",
		       aclrtCreateEvent(&extra_event));
	EXPECT_EQ(NULL, extra_event);
	for (n = 0; n < 65536; n++)
		EXPECT_OK(aclrtDestroyEvent(ev[n]));
}

/* The submitting thread returns long before the copy ends. */
TEST_F(stream, copy_is_asynchronous)
{
	aclrtEventRecordedStatus st;
	uint64_t t0, t1, t2;
	aclrtStream s;
	aclrtEvent ev;
	char *d, *h = malloc(BIG);

	ASSERT_NE(NULL, h);
	memset(h, 0x5a, BIG);
	ASSERT_OK(aclrtMalloc((void **)&d, BIG, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&s));
	ASSERT_OK(aclrtCreateEvent(&ev));
	t0 = now_ns();
	ASSERT_OK(aclrtMemcpyAsync(d, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, s));
	ASSERT_OK(aclrtRecordEvent(ev, s));
	ASSERT_OK(aclrtQueryEventStatus(ev, &st));
	t1 = now_ns();
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_NOT_READY, st);
	ASSERT_OK(aclrtSynchronizeStream(s));
	t2 = now_ns();
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(ev));
	EXPECT_LT(t1 - t0, t2 - t1);
	TH_LOG("submit + record + query: %.1f us; the copy ended %.1f ms later",
	       (t1 - t0) / 1e3, (t2 - t1) / 1e6);
	EXPECT_TRUE(all_bytes(d, BIG, 0x5a));
	EXPECT_OK(aclrtDestroyEvent(ev));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtFree(d));
	free(h);
}

/* Work on one stream ends in submission order. */
TEST_F(stream, in_order)
{
	const size_t big = 64 * MIB;
	unsigned char *h = malloc(big), *back = calloc(64, 4096);
	aclrtStream s;
	char *d;

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, back);
	memset(h, 0x33, big);
	ASSERT_OK(aclrtMalloc((void **)&d, big, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&s));
	/* A long copy, then a short memset over its first page: the memset wins. */
	ASSERT_OK(aclrtMemcpyAsync(d, big, h, big, ACL_MEMCPY_HOST_TO_DEVICE, s));
	ASSERT_OK(aclrtMemsetAsync(d, 4096, 0xee, 4096, s));
	/* Memset, read back, memset again: each read sees its own memset. */
	for (int i = 0; i < 64; i++) {
		ASSERT_OK(aclrtMemsetAsync(d + big - 4096, 4096, i, 4096, s));
		ASSERT_OK(aclrtMemcpyAsync(back + i * 4096, 4096, d + big - 4096, 4096,
					   ACL_MEMCPY_DEVICE_TO_HOST, s));
	}
	ASSERT_OK(aclrtSynchronizeStream(s));
	EXPECT_TRUE(all_bytes(d, 4096, 0xee));
	EXPECT_TRUE(all_bytes(d + 4096, big - 2 * 4096, 0x33));
	for (int i = 0; i < 64; i++) {
		EXPECT_TRUE(all_bytes(back + i * 4096, 4096, (unsigned char)i)) {
			TH_LOG("read %d did not see its memset", i);
		}
	}
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtFree(d));
	free(h);
	free(back);
}

/* A short stream ends while a long one on the same device still runs. */
TEST_F(stream, streams_run_concurrently)
{
	aclrtStream slow, fast;
	aclrtEvent slow_done, fast_done;
	char *d, *h = malloc(BIG);
	char small[4096];

	ASSERT_NE(NULL, h);
	memset(h, 1, BIG);
	ASSERT_OK(aclrtMalloc((void **)&d, BIG + PAGE_2M, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&slow));
	ASSERT_OK(aclrtCreateStream(&fast));
	ASSERT_OK(aclrtCreateEvent(&slow_done));
	ASSERT_OK(aclrtCreateEvent(&fast_done));
	ASSERT_OK(aclrtMemcpyAsync(d, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, slow));
	ASSERT_OK(aclrtMemcpyAsync(d, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, slow));
	ASSERT_OK(aclrtRecordEvent(slow_done, slow));
	ASSERT_OK(aclrtMemsetAsync(d + BIG, 4096, 7, 4096, fast));
	ASSERT_OK(aclrtMemcpyAsync(small, sizeof(small), d + BIG, 4096,
				   ACL_MEMCPY_DEVICE_TO_HOST, fast));
	ASSERT_OK(aclrtRecordEvent(fast_done, fast));
	ASSERT_OK(aclrtSynchronizeEvent(fast_done));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_NOT_READY, event_status(slow_done));
	EXPECT_TRUE(all_bytes(small, sizeof(small), 7));
	ASSERT_OK(aclrtSynchronizeEvent(slow_done));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(slow_done));
	EXPECT_OK(aclrtDestroyEvent(slow_done));
	EXPECT_OK(aclrtDestroyEvent(fast_done));
	EXPECT_OK(aclrtDestroyStream(slow));
	EXPECT_OK(aclrtDestroyStream(fast));
	EXPECT_OK(aclrtFree(d));
	free(h);
}

/* A stream waiting for an event runs after the recorded work, not before. */
TEST_F(stream, wait_event_orders_streams)
{
	aclrtStream producer, consumer;
	char *d, *h = malloc(BIG), back[4096] = { 0 };
	aclrtEvent ev;

	ASSERT_NE(NULL, h);
	memset(h, 0x77, BIG);
	ASSERT_OK(aclrtMalloc((void **)&d, BIG, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&producer));
	ASSERT_OK(aclrtCreateStream(&consumer));
	ASSERT_OK(aclrtCreateEvent(&ev));
	/* Never recorded: nothing to wait for. */
	ASSERT_OK(aclrtStreamWaitEvent(consumer, ev));
	ASSERT_OK(aclrtMemcpyAsync(d, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, producer));
	ASSERT_OK(aclrtRecordEvent(ev, producer));
	ASSERT_OK(aclrtStreamWaitEvent(consumer, ev));
	/* Re-recording later does not change what the consumer waits for. */
	ASSERT_OK(aclrtMemsetAsync(d, 4096, 0, 4096, producer));
	ASSERT_OK(aclrtMemcpyAsync(back, sizeof(back), d + BIG - 4096, 4096,
				   ACL_MEMCPY_DEVICE_TO_HOST, consumer));
	ASSERT_OK(aclrtSynchronizeStream(consumer));
	EXPECT_TRUE(all_bytes(back, sizeof(back), 0x77));
	ASSERT_OK(aclrtSynchronizeStream(producer));
	/* Destroying an event with a wait queued on it changes nothing. */
	ASSERT_OK(aclrtRecordEvent(ev, producer));
	ASSERT_OK(aclrtStreamWaitEvent(consumer, ev));
	EXPECT_OK(aclrtDestroyEvent(ev));
	EXPECT_OK(aclrtSynchronizeStream(consumer));
	EXPECT_OK(aclrtDestroyStream(producer));
	EXPECT_OK(aclrtDestroyStream(consumer));
	EXPECT_OK(aclrtFree(d));
	free(h);
}

TEST_F(stream, events)
{
	aclrtEventRecordedStatus st;
	aclrtEvent a, b, c;
	aclrtStream s;
	float ms = -1;
	char *d;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "event", aclrtCreateEvent(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "event", aclrtDestroyEvent(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtCreateEvent",
		       aclrtRecordEvent((aclrtEvent)0x99, NULL));
	ASSERT_OK(aclrtCreateEvent(&a));
	ASSERT_OK(aclrtCreateEvent(&b));
	ASSERT_OK(aclrtCreateEvent(&c));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "status", aclrtQueryEventStatus(a, NULL));
	/* Never recorded: not ready, nothing to wait for, no time. */
	ASSERT_OK(aclrtQueryEventStatus(a, &st));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_NOT_READY, st);
	EXPECT_OK(aclrtSynchronizeEvent(a));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "never been recorded",
		       aclrtEventElapsedTime(&ms, a, b));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "ms", aclrtEventElapsedTime(NULL, a, b));

	ASSERT_OK(aclrtMalloc((void **)&d, 64 * MIB, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&s));
	ASSERT_OK(aclrtRecordEvent(a, s));
	ASSERT_OK(aclrtMemsetAsync(d, 64 * MIB, 3, 64 * MIB, s));
	ASSERT_OK(aclrtRecordEvent(b, s));
	ASSERT_OK(aclrtSynchronizeEvent(b));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(a));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(b));
	ASSERT_OK(aclrtEventElapsedTime(&ms, a, b));
	EXPECT_GT(ms, 0.0f);
	EXPECT_LT(ms, 60000.0f);
	TH_LOG("memset of 64 MiB: %.3f ms between the events", ms);
	/* The default stream (NULL) records too. */
	ASSERT_OK(aclrtRecordEvent(c, NULL));
	ASSERT_OK(aclrtSynchronizeEvent(c));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(c));
	EXPECT_EQ(ACL_EVENT_STATUS_COMPLETE, old_event_status(c));
	EXPECT_OK(aclrtDestroyEvent(c));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not live",
		       aclrtSynchronizeEvent(c));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "event or stream is not live in this process",
		       aclrtRecordEvent(c, s));
	EXPECT_OK(aclrtDestroyEvent(a));
	EXPECT_OK(aclrtDestroyEvent(b));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtFree(d));
}

/* The NULL stream is the current context's default stream. */
TEST_F(stream, default_stream)
{
	char *d, back[8192];

	EXPECT_OK(aclrtSynchronizeStream(NULL));
	ASSERT_OK(aclrtMalloc((void **)&d, 8192, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtMemsetAsync(d, 8192, 0x42, 8192, NULL));
	ASSERT_OK(aclrtMemcpyAsync(back, sizeof(back), d, 8192,
				   ACL_MEMCPY_DEVICE_TO_HOST, NULL));
	ASSERT_OK(aclrtSynchronizeStream(NULL));
	EXPECT_TRUE(all_bytes(back, sizeof(back), 0x42));
	EXPECT_OK(aclrtSynchronizeDevice());
	EXPECT_OK(aclrtFree(d));
}

/* Copies between the memory of two devices, on a stream of either. */
TEST_F(stream, copy_between_devices)
{
	const size_t size = 8 * MIB + 12345;
	unsigned char *h = malloc(size), *back = malloc(size);
	aclrtStream s0, s1;
	char *d0, *d1;

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, back);
	for (size_t i = 0; i < size; i++)
		h[i] = (unsigned char)(i * 13 + (i >> 12));
	ASSERT_OK(aclrtMalloc((void **)&d0, size, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&s0));
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtMalloc((void **)&d1, size, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&s1));
	ASSERT_OK(aclrtMemcpyAsync(d0, size, h, size, ACL_MEMCPY_HOST_TO_DEVICE, s0));
	ASSERT_OK(aclrtSynchronizeStream(s0));
	/* Without peer access, device 1's engine cannot reach device 0's memory. */
	ASSERT_OK(aclrtMemcpyAsync(d1, size, d0, size, ACL_MEMCPY_DEVICE_TO_DEVICE, s1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR,
		       "no peer access from device 1 to device 0",
		       aclrtSynchronizeStream(s1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no peer access",
		       aclrtMemcpy(back, size, d0, size, ACL_MEMCPY_DEVICE_TO_HOST));
	/* Peer access is per direction: both are enabled, each from its device. */
	ASSERT_OK(aclrtDeviceEnablePeerAccess(0, 0));
	ASSERT_OK(aclrtSetDevice(0));
	ASSERT_OK(aclrtDeviceEnablePeerAccess(1, 0));
	ASSERT_OK(aclrtSetDevice(1));
	/* Device 0 to device 1 on device 1's stream, and back on device 0's. */
	ASSERT_OK(aclrtMemcpyAsync(d1, size, d0, size, ACL_MEMCPY_DEVICE_TO_DEVICE, s1));
	ASSERT_OK(aclrtSynchronizeStream(s1));
	ASSERT_OK(aclrtMemsetAsync(d0, size, 0, size, s0));
	ASSERT_OK(aclrtMemcpyAsync(d0 + 1, size - 1, d1 + 1, size - 1,
				   ACL_MEMCPY_DEVICE_TO_DEVICE, s0));
	ASSERT_OK(aclrtSynchronizeStream(s0));
	ASSERT_OK(aclrtMemcpy(back, size, d0, size, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0, back[0]);
	EXPECT_EQ(0, memcmp(back + 1, h + 1, size - 1));
	/* The synchronous copy between devices goes through the same engine. */
	memset(back, 0, size);
	ASSERT_OK(aclrtMemcpy(d0, size, d1, size, ACL_MEMCPY_DEVICE_TO_DEVICE));
	ASSERT_OK(aclrtMemcpy(back, size, d0, size, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0, memcmp(back, h, size));
	EXPECT_OK(aclrtSynchronizeDevice());
	EXPECT_OK(aclrtDestroyStream(s1));
	EXPECT_OK(aclrtFree(d1));
	ASSERT_OK(aclrtSetDevice(0));
	EXPECT_OK(aclrtDestroyStream(s0));
	EXPECT_OK(aclrtFree(d0));
	free(h);
	free(back);
}

/*
 * Any size and alignment, across mappings of different handles, host
 * pages, window boundaries, overlapping either way: every copy lands as
 * memmove() on a CPU model of the same memory says.
 */
TEST_F(stream, any_size_and_alignment)
{
	const size_t dev_size = 4 * PAGE_2M, host_size = 6 * MIB;
	unsigned char *model = malloc(dev_size + host_size), *host = malloc(host_size);
	aclrtDrvMemHandle h[4];
	unsigned int seed = 12345;
	aclrtStream s;
	char *va;

	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, host);
	RESERVE(va, dev_size);
	for (int i = 0; i < 4; i++) {
		MALLOC_PHYS(h[i], PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(va + i * PAGE_2M, PAGE_2M, 0, h[i], 0));
	}
	for (size_t i = 0; i < host_size; i++)
		host[i] = (unsigned char)rand_r(&seed);
	memset(model, 0, dev_size);
	memcpy(model + dev_size, host, host_size);
	ASSERT_OK(aclrtCreateStream(&s));
	for (int n = 0; n < 300; n++) {
		size_t len = 1 + rand_r(&seed) % (n % 3 ? 70000 : 3 * MIB);
		size_t doff = rand_r(&seed) % (dev_size - len + 1);
		int kind = rand_r(&seed) % 3;	/* H2D, D2D, D2H */
		size_t soff;

		if (kind == 2 && len > host_size)
			len = host_size;
		if (kind == 2)
			doff = rand_r(&seed) % (host_size - len + 1);
		soff = rand_r(&seed) % ((kind == 0 ? host_size : dev_size) - len + 1);
		if (kind == 1 && n % 4 == 0)	/* overlapping, either way */
			soff = doff + (rand_r(&seed) % 9000) - 4500 >= dev_size - len ?
			       doff : doff + (rand_r(&seed) % 9000) - 4500;
		if (kind == 0) {
			ASSERT_OK(aclrtMemcpyAsync(va + doff, len, host + soff, len,
						   ACL_MEMCPY_HOST_TO_DEVICE, s));
			memmove(model + doff, model + dev_size + soff, len);
		} else if (kind == 1) {
			ASSERT_OK(aclrtMemcpyAsync(va + doff, len, va + soff, len,
						   ACL_MEMCPY_DEVICE_TO_DEVICE, s));
			memmove(model + doff, model + soff, len);
		} else {
			ASSERT_OK(aclrtMemcpyAsync(host + doff, len, va + soff, len,
						   ACL_MEMCPY_DEVICE_TO_HOST, s));
			memmove(model + dev_size + doff, model + soff, len);
		}
		if (n % 50 == 49) {
			size_t moff = rand_r(&seed) % dev_size;
			size_t mlen = 1 + rand_r(&seed) % (dev_size - moff);

			ASSERT_OK(aclrtMemsetAsync(va + moff, mlen, n, mlen, s));
			memset(model + moff, n, mlen);
		}
	}
	ASSERT_OK(aclrtSynchronizeStream(s));
	EXPECT_EQ(0, memcmp(model, va, dev_size));
	EXPECT_EQ(0, memcmp(model + dev_size, host, host_size));
	EXPECT_OK(aclrtDestroyStream(s));
	for (int i = 0; i < 4; i++) {
		EXPECT_OK(aclrtUnmapMem(va + i * PAGE_2M));
		EXPECT_OK(aclrtFreePhysical(h[i]));
	}
	EXPECT_OK(aclrtReleaseMemAddress(va));
	free(model);
	free(host);
}

/*
 * Unmap and free do not wait for queued copies, and queued copies never
 * write memory after it was freed: the pages that come back for the next
 * allocation are still all zero once the stream has drained. Each round
 * ends with the stream's error or the copies done, nothing else.
 */
TEST_F(stream, unmap_free_race_writes)
{
	unsigned char *pattern = malloc(PAGE_2M);
	int ok = 0, faulted = 0, rounds = 150;
	aclrtStream s;
	char *va, *va2;

	ASSERT_NE(NULL, pattern);
	memset(pattern, 0xa5, PAGE_2M);
	RESERVE(va, PAGE_2M);
	RESERVE(va2, PAGE_2M);
	ASSERT_OK(aclrtCreateStream(&s));
	for (int r = 0; r < rounds; r++) {
		aclrtDrvMemHandle h, h2;
		aclError ret;

		/* Whole pages mostly; small copies that may drain first, sometimes. */
		size_t len = r % 4 ? PAGE_2M : 4096 * (1 + r % 5);

		MALLOC_PHYS(h, PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
		for (int i = 0; i < 8; i++)
			ASSERT_OK(aclrtMemcpyAsync(va + i * len % PAGE_2M, len, pattern, len,
						   ACL_MEMCPY_HOST_TO_DEVICE, s));
		if (r % 3)	/* let the copies start, sometimes */
			usleep(r % 7 * 300);
		ASSERT_OK(aclrtUnmapMem(va));
		ASSERT_OK(aclrtFreePhysical(h));
		MALLOC_PHYS(h2, PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(va2, PAGE_2M, 0, h2, 0));
		ret = aclrtSynchronizeStream(s);
		if (ret == ACL_SUCCESS) {
			ok++;
		} else {
			EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "device memory fault", ret);
			faulted++;
		}
		ASSERT_TRUE(all_bytes(va2, PAGE_2M, 0)) {
			TH_LOG("round %d: freed memory was written after its unmap", r);
		}
		ASSERT_OK(aclrtUnmapMem(va2));
		ASSERT_OK(aclrtFreePhysical(h2));
	}
	TH_LOG("%d rounds: %d drained before the unmap, %d reported the fault",
	       rounds, ok, faulted);
	printf("# stat: race_loops=%d\n", rounds);
	fflush(stdout);
	EXPECT_GT(faulted, 0);
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	EXPECT_OK(aclrtReleaseMemAddress(va2));
	free(pattern);
}

/*
 * Queued reads of memory that is unmapped, freed and handed out again
 * (filled with 0xee) never return the new owner's bytes: the host buffer
 * holds the old contents (0x11) or nothing (0).
 */
TEST_F(stream, unmap_free_race_reads)
{
	unsigned char *back = malloc(8 * PAGE_2M);
	int rounds = 100, faulted = 0;
	aclrtStream s;
	char *va, *va2;

	ASSERT_NE(NULL, back);
	RESERVE(va, PAGE_2M);
	RESERVE(va2, PAGE_2M);
	ASSERT_OK(aclrtCreateStream(&s));
	for (int r = 0; r < rounds; r++) {
		aclrtDrvMemHandle h, h2;

		memset(back, 0, 8 * PAGE_2M);
		MALLOC_PHYS(h, PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
		memset(va, 0x11, PAGE_2M);
		for (int i = 0; i < 8; i++)
			ASSERT_OK(aclrtMemcpyAsync(back + i * PAGE_2M, PAGE_2M, va, PAGE_2M,
						   ACL_MEMCPY_DEVICE_TO_HOST, s));
		if (r % 2)
			usleep(r % 5 * 150);
		ASSERT_OK(aclrtUnmapMem(va));
		ASSERT_OK(aclrtFreePhysical(h));
		MALLOC_PHYS(h2, PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(va2, PAGE_2M, 0, h2, 0));
		memset(va2, 0xee, PAGE_2M);
		if (aclrtSynchronizeStream(s) != ACL_SUCCESS)
			faulted++;
		for (size_t i = 0; i < 8 * PAGE_2M; i++) {
			if (back[i] != 0x11 && back[i])
				TH_LOG("round %d: byte %zu is 0x%02x: read after free",
				       r, i, back[i]);
			ASSERT_TRUE(back[i] == 0x11 || back[i] == 0);
		}
		ASSERT_OK(aclrtUnmapMem(va2));
		ASSERT_OK(aclrtFreePhysical(h2));
	}
	TH_LOG("%d rounds, %d reported the fault", rounds, faulted);
	printf("# stat: race_loops=%d\n", rounds);
	fflush(stdout);
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	EXPECT_OK(aclrtReleaseMemAddress(va2));
	free(back);
}

/*
 * Host memory goes through the engine's mirror, whose notifiers watch the
 * pages of the window being copied: once munmap of a host buffer that
 * queued copies use has returned, no copy reaches its pages any more. The
 * buffer is a memfd's pages, which outlive the mapping. With @writes, the
 * copies write the buffer (device to host): what its pages hold when
 * munmap returns is what they hold once the stream has drained. Without,
 * they read it (host to device): bytes written to its pages after munmap
 * (0xee) never reach the device.
 */
static void host_unmap_race(struct __test_metadata *_metadata, bool writes)
{
	int rounds = 60, faulted = 0, fd;
	unsigned char *before = malloc(PAGE_2M), *after = malloc(PAGE_2M);
	aclrtDrvMemHandle h;
	aclrtStream s;
	char *va;

	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, after);
	memset(after, 0xee, PAGE_2M);
	fd = memfd_create("host_unmap_race", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, PAGE_2M));
	RESERVE(va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtCreateStream(&s));
	for (int r = 0; r < rounds; r++) {
		char *host = mmap(NULL, PAGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED,
				  fd, 0);

		ASSERT_NE(MAP_FAILED, host);
		memset(host, writes ? 0 : 0x11, PAGE_2M);
		memset(va, writes ? 0xa5 : 0, PAGE_2M);
		for (int i = 0; i < 8; i++)
			ASSERT_OK(aclrtMemcpyAsync(writes ? host : va, PAGE_2M,
						   writes ? va : host, PAGE_2M,
						   writes ? ACL_MEMCPY_DEVICE_TO_HOST :
							    ACL_MEMCPY_HOST_TO_DEVICE, s));
		if (r % 3)	/* let the copies start, sometimes */
			usleep(r % 7 * 300);
		ASSERT_EQ(0, munmap(host, PAGE_2M));
		if (writes) {
			ASSERT_EQ(PAGE_2M, pread(fd, before, PAGE_2M, 0));
		} else {
			ASSERT_EQ(PAGE_2M, pwrite(fd, after, PAGE_2M, 0));
		}
		if (aclrtSynchronizeStream(s) != ACL_SUCCESS)
			faulted++;
		if (writes) {
			ASSERT_EQ(PAGE_2M, pread(fd, after, PAGE_2M, 0));
			ASSERT_EQ(0, memcmp(before, after, PAGE_2M)) {
				TH_LOG("round %d: the buffer was written after its munmap returned",
				       r);
			}
			continue;
		}
		for (size_t i = 0; i < PAGE_2M; i++) {
			if ((unsigned char)va[i] == 0xee)
				TH_LOG("round %d: byte %zu was read after munmap", r, i);
			ASSERT_TRUE((unsigned char)va[i] == 0x11 || !va[i]);
		}
	}
	TH_LOG("%d rounds, %d reported the fault", rounds, faulted);
	EXPECT_GT(faulted, 0);
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	close(fd);
	free(before);
	free(after);
}

TEST_F(stream, host_unmap_race_writes)
{
	host_unmap_race(_metadata, true);
}

TEST_F(stream, host_unmap_race_reads)
{
	host_unmap_race(_metadata, false);
}

/*
 * Host memory the mirror cannot read (a write-only mapping, which GUP
 * would still fault in for writing) is a fault for a copy into it, at
 * once, not a window retried for ever by the engine.
 */
TEST_F(stream, copy_to_unreadable_host_faults)
{
	char *host = mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	aclrtDrvMemHandle h;
	char *va;

	ASSERT_NE(MAP_FAILED, host);
	RESERVE(va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "device memory fault",
		       aclrtMemcpy(host, 4096, va, 4096, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_OK(aclrtMemcpy(va, 4096, va + 4096, 4096, ACL_MEMCPY_DEVICE_TO_DEVICE));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	munmap(host, 4096);
}

/*
 * After a fault, later copies and memsets of the stream are not run, the
 * next synchronize reports the fault once, naming the address, and the
 * stream works again.
 */
TEST_F(stream, fault_is_reported_once)
{
	char host[4096], *va, *d;
	aclrtDrvMemHandle h;
	aclrtStream s;
	char msg[512];

	memset(host, 9, sizeof(host));
	RESERVE(va, 2 * PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtMalloc((void **)&d, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&s));
	/* DEFAULT skips the submit-time check: the device finds the hole. */
	ASSERT_OK(aclrtMemcpyAsync(va + PAGE_2M, 4096, host, 4096, ACL_MEMCPY_DEFAULT, s));
	ASSERT_OK(aclrtMemsetAsync(d, 4096, 5, 4096, s));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "unmapped or freed while the work was queued, or",
		       aclrtSynchronizeStream(s));
	snprintf(msg, sizeof(msg), "0x%llx", (unsigned long long)(uintptr_t)(va + PAGE_2M));
	EXPECT_MSG(msg);
	EXPECT_MSG("aclrtSynchronizeStream");
	EXPECT_TRUE(all_bytes(d, 4096, 0));
	EXPECT_OK(aclrtSynchronizeStream(s));
	ASSERT_OK(aclrtMemsetAsync(d, 4096, 5, 4096, s));
	EXPECT_OK(aclrtSynchronizeStream(s));
	EXPECT_TRUE(all_bytes(d, 4096, 5));
	/* The synchronous calls report their own fault, and keep nothing. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "unmapped or freed while the work was queued, or",
		   aclrtMemcpy(host, 4096, va + PAGE_2M, 4096, ACL_MEMCPY_DEFAULT));
	EXPECT_OK(aclrtSynchronizeStream(NULL));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	EXPECT_OK(aclrtFree(d));
}

/* Freed while mapped, memory stays for the queued work until the unmap. */
TEST_F(stream, free_while_mapped_keeps_memory)
{
	char *va, back[4096];
	aclrtDrvMemHandle h;
	aclrtStream s;

	RESERVE(va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtCreateStream(&s));
	ASSERT_OK(aclrtMemsetAsync(va, PAGE_2M, 0x3c, PAGE_2M, s));
	ASSERT_OK(aclrtFreePhysical(h));
	ASSERT_OK(aclrtMemcpyAsync(back, sizeof(back), va + 4096, 4096,
				   ACL_MEMCPY_DEVICE_TO_HOST, s));
	ASSERT_OK(aclrtSynchronizeStream(s));
	EXPECT_TRUE(all_bytes(back, sizeof(back), 0x3c));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* More work than a stream holds: submission waits for room. */
TEST_F(stream, full_queue_waits)
{
	aclrtStream s;
	char *d;

	ASSERT_OK(aclrtMalloc((void **)&d, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtCreateStream(&s));
	for (int i = 0; i < ACL_VMM_STREAM_DEPTH + 1000; i++)
		ASSERT_OK(aclrtMemsetAsync(d + i % 4096, 1, i, 1, s));
	ASSERT_OK(aclrtSynchronizeStream(s));
	EXPECT_EQ((char)(ACL_VMM_STREAM_DEPTH + 999), d[(ACL_VMM_STREAM_DEPTH + 999) % 4096]);
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtFree(d));
}

/* Destroying a stream lets its queued work end first. */
TEST_F(stream, destroy_waits_for_work)
{
	char *d, *h = malloc(64 * MIB);
	aclrtStream s;

	ASSERT_NE(NULL, h);
	memset(h, 0x61, 64 * MIB);
	ASSERT_OK(aclrtMalloc((void **)&d, 64 * MIB, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&s));
	ASSERT_OK(aclrtMemcpyAsync(d, 64 * MIB, h, 64 * MIB, ACL_MEMCPY_HOST_TO_DEVICE, s));
	ASSERT_OK(aclrtDestroyStream(s));
	EXPECT_TRUE(all_bytes(d, 64 * MIB, 0x61));
	EXPECT_OK(aclrtFree(d));
	free(h);
}

TEST_F(stream, synchronize_device)
{
	aclrtStream a, b;
	aclrtEvent ea, eb;
	char *d;

	ASSERT_OK(aclrtMalloc((void **)&d, 128 * MIB, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&a));
	ASSERT_OK(aclrtCreateStream(&b));
	ASSERT_OK(aclrtCreateEvent(&ea));
	ASSERT_OK(aclrtCreateEvent(&eb));
	ASSERT_OK(aclrtMemsetAsync(d, 64 * MIB, 1, 64 * MIB, a));
	ASSERT_OK(aclrtMemsetAsync(d + 64 * MIB, 64 * MIB, 2, 64 * MIB, b));
	ASSERT_OK(aclrtRecordEvent(ea, a));
	ASSERT_OK(aclrtRecordEvent(eb, b));
	ASSERT_OK(aclrtSynchronizeDevice());
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(ea));
	EXPECT_EQ(ACL_EVENT_RECORDED_STATUS_COMPLETE, event_status(eb));
	EXPECT_TRUE(all_bytes(d, 64 * MIB, 1));
	EXPECT_TRUE(all_bytes(d + 64 * MIB, 64 * MIB, 2));
	EXPECT_OK(aclrtDestroyEvent(ea));
	EXPECT_OK(aclrtDestroyEvent(eb));
	EXPECT_OK(aclrtDestroyStream(a));
	EXPECT_OK(aclrtDestroyStream(b));
	EXPECT_OK(aclrtFree(d));
}

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	signals_seen++;
}

struct pester {
	pthread_t target;
	volatile int stop;
};

static void *pester_thread(void *arg)
{
	struct pester *p = arg;

	for (int i = 0; i < 20 && !p->stop; i++) {
		usleep(20000);
		pthread_kill(p->target, SIGUSR1);
	}
	return NULL;
}

/* Signals interrupt a synchronize, which then goes on and succeeds. */
TEST_F(stream, synchronize_is_interruptible)
{
	struct sigaction sa = { .sa_handler = count_signal }, old;
	struct pester p = { .target = pthread_self() };
	char *d, *h = malloc(BIG);
	aclrtStream s;
	pthread_t t;

	ASSERT_NE(NULL, h);
	memset(h, 0x2b, BIG);
	ASSERT_OK(aclrtMalloc((void **)&d, BIG, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtCreateStream(&s));
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));	/* no SA_RESTART */
	signals_seen = 0;
	for (int i = 0; i < 4; i++)
		ASSERT_OK(aclrtMemcpyAsync(d, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, s));
	ASSERT_EQ(0, pthread_create(&t, NULL, pester_thread, &p));
	EXPECT_OK(aclrtSynchronizeStream(s));
	p.stop = 1;
	pthread_join(t, NULL);
	sigaction(SIGUSR1, &old, NULL);
	EXPECT_GT(signals_seen, 0);
	TH_LOG("%d signals during the synchronize", (int)signals_seen);
	EXPECT_TRUE(all_bytes(d, BIG, 0x2b));
	EXPECT_OK(aclrtDestroyStream(s));
	EXPECT_OK(aclrtFree(d));
	free(h);
}

/* A child queues work and goes away: nothing is left behind. */
static void exit_with_work(struct __test_metadata *_metadata, bool kill_it)
{
	uint64_t used0 = device_used_raw(0), used1 = device_used_raw(1);
	int fds[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		char *d0, *d1, *h = malloc(BIG);
		aclrtStream s0, s1;
		aclrtEvent ev;

		close(fds[0]);
		if (!h || aclInit(NULL) || aclrtSetDevice(0) ||
		    aclrtMalloc((void **)&d0, BIG, ACL_MEM_MALLOC_HUGE_ONLY) ||
		    aclrtCreateStream(&s0) || aclrtCreateEvent(&ev) ||
		    aclrtSetDevice(1) ||
		    aclrtMalloc((void **)&d1, BIG, ACL_MEM_MALLOC_HUGE_ONLY) ||
		    aclrtCreateStream(&s1))
			_exit(2);
		memset(h, 1, BIG);
		for (int i = 0; i < 6; i++) {
			aclrtMemcpyAsync(d0, BIG, h, BIG, ACL_MEMCPY_HOST_TO_DEVICE, s0);
			aclrtMemcpyAsync(d1, BIG, d0, BIG, ACL_MEMCPY_DEVICE_TO_DEVICE, s1);
		}
		aclrtRecordEvent(ev, s0);
		aclrtStreamWaitEvent(s1, ev);
		aclrtMemsetAsync(d1, BIG, 0, BIG, s1);
		if (write(fds[1], "q", 1) != 1)
			_exit(3);
		if (kill_it)
			aclrtSynchronizeStream(s1);	/* killed in here */
		_exit(0);
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	close(fds[0]);
	if (kill_it) {
		usleep(100000);
		kill(pid, SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (kill_it) {
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	EXPECT_TRUE(usage_back(0, used0));
	EXPECT_TRUE(usage_back(1, used1));
}

TEST_F(stream, exit_with_work_queued)
{
	exit_with_work(_metadata, false);
}

TEST_F(stream, killed_in_synchronize)
{
	exit_with_work(_metadata, true);
}

TEST_HARNESS_MAIN
