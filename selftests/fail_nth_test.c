// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection on every allocation of every ioctl, as the kernel's
 * iommufd_fail_nth.c does: a sequence of calls runs with the N-th
 * allocation of the task failing (/proc/thread-self/fail-nth), for N = 1,
 * 2, ... until no allocation fails any more. At each injected failure:
 *
 *  - the failing call returns a clean error (ENOMEM, or ACL code 207001);
 *  - the state is as before the call: the same call, retried without
 *    injection, succeeds, and so does the rest of the sequence;
 *  - nothing leaks: after the context is released, every device is back
 *    to its usage before (and kmemleak, on the debug kernel, sees nothing).
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION (tools/build-debug-kernel):
 * skipped elsewhere.
 */
#include "acl_test.h"

static bool write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

/* Make slab and page allocations of any kind injectable. */
static bool fail_nth_setup(void)
{
	if (access("/proc/thread-self/fail-nth", W_OK))
		return false;
	write_text("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_text("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_text("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_text("/sys/kernel/debug/fail_page_alloc/min-order", "0");
	/* Injected failures are expected: no stack trace for each. */
	write_text("/sys/kernel/debug/failslab/verbose", "0");
	write_text("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	return true;
}

static void fail_nth_set(unsigned int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", n);
	write_text("/proc/thread-self/fail-nth", buf);
}

/* Whether the injected failure fired since fail_nth_set(); resets it. */
static bool fail_nth_fired(void)
{
	char buf[16] = "";
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	fail_nth_set(0);
	return n > 0 && atoi(buf) == 0;
}

/* The raw sequence: every ioctl that allocates, in a natural order. */
struct raw {
	int fd;
	uint64_t va;
	uint32_t h1, h2;
	int dmabuf;
	struct acl_vmm_query q;
};

static int step_raw(struct raw *r, int step)
{
	uint64_t share;
	int ret;

	switch (step) {
	case 0:
		if (r->fd > 0)
			close(r->fd);	/* a retry after the attach failed */
		r->fd = acl_vmm_raw_open("/dev/acl_vmm", NULL);
		if (r->fd < 0)
			return r->fd;
		return attach_device(r->fd, 0);
	case 1:
		return acl_vmm_raw_reserve(r->fd, 8 * PAGE_2M, 0, &r->va);
	case 2:
		return acl_vmm_raw_alloc(r->fd, ACL_VMM_LOCATION_DEVICE, 0,
					 2 * PAGE_2M, 0, &r->h1);
	case 3:
		return acl_vmm_raw_map(r->fd, r->va, 2 * PAGE_2M, r->h1);
	case 4:
		return acl_vmm_raw_export(r->fd, r->h1, 0, &share);
	case 5:
		return acl_vmm_raw_export_dmabuf(r->fd, r->h1, &r->dmabuf);
	case 6:
		ret = acl_vmm_raw_import_dmabuf(r->fd, r->dmabuf, &r->h2);
		if (!ret)
			close(r->dmabuf);
		return ret;
	case 7:
		return acl_vmm_raw_map(r->fd, r->va + 4 * PAGE_2M, 2 * PAGE_2M, r->h2);
	case 8:
		ret = acl_vmm_raw_query(r->fd, r->va + 4 * PAGE_2M, 0, &r->q);
		if (!ret && !(r->q.result & ACL_VMM_QUERY_MAPPED))
			return -EBADE;
		return ret;
	case 9:
		return acl_vmm_raw_unmap(r->fd, r->va);
	case 10:
		return acl_vmm_raw_destroy(r->fd, r->h1);
	case 11:
		ret = acl_vmm_raw_release(r->fd, r->va);
		return ret ? (ret == -EBUSY ? 0 : ret) : -EBADE;	/* still mapped */
	case 12:
		return acl_vmm_raw_unmap(r->fd, r->va + 4 * PAGE_2M);
	case 13:
		return acl_vmm_raw_destroy(r->fd, r->h2);
	case 14:
		return acl_vmm_raw_release(r->fd, r->va);
	default:
		return 1;	/* the end */
	}
}

/*
 * What a sweep runs: @step runs step @i of the sequence on @state and
 * returns 0, 1 past the last step, or the error of a failed call; an
 * injected failure must give @injected_error; @cleanup ends the sequence.
 */
struct sweep_ops {
	const char *name;
	int (*step)(void *state, int i);
	void (*cleanup)(void *state);
	int injected_error;
	size_t state_size;
};

static void sweep(struct __test_metadata *_metadata, const struct sweep_ops *ops)
{
	uint64_t used0 = device_used_raw(0);
	char state[256];
	int injected = 0;
	unsigned int n;

	for (n = 1; n < 100000; n++) {
		int step, ret, failed_at = -1;
		bool fired;

		memset(state, 0, sizeof(state));
		fail_nth_set(n);
		for (step = 0; (ret = ops->step(state, step)) == 0; step++)
			;
		fired = fail_nth_fired();
		if (ret != 1) {
			failed_at = step;
			/* A clean error: only the allocation can have failed. */
			EXPECT_EQ(ops->injected_error, ret) {
				TH_LOG("%s, n=%u, step %d: error %d", ops->name, n, step, ret);
			}
			EXPECT_TRUE(fired);
			/* The state is as before: the same step, and the rest, succeed. */
			for (; (ret = ops->step(state, step)) == 0; step++)
				;
			EXPECT_EQ(1, ret) {
				TH_LOG("%s, n=%u: after a failure at step %d, step %d: error %d",
				       ops->name, n, failed_at, step, ret);
			}
		}
		ops->cleanup(state);
		EXPECT_EQ(used0, device_used_raw(0)) {
			TH_LOG("%s, n=%u: device memory leaked (failure at step %d)",
			       ops->name, n, failed_at);
		}
		if (!fired)
			break;		/* no allocation left to fail */
		injected++;
		if (_metadata->passed == 0)
			break;
	}
	TH_LOG("%s: %d allocation failures injected", ops->name, injected);
	printf("# stat: faults_injected=%d\n", injected);
	fflush(stdout);
}

static int raw_step(void *state, int i)
{
	struct raw *r = state;

	if (i == 0)
		r->dmabuf = -1;
	return step_raw(r, i);
}

static void raw_cleanup(void *state)
{
	struct acl_vmm_reset reset = { .size = sizeof(reset) };
	struct raw *r = state;

	if (r->fd > 0) {
		ioctl(r->fd, ACL_VMM_RESET, &reset);
		close(r->fd);
	}
}

TEST(raw_ioctls)
{
	static const struct sweep_ops ops = {
		.name = "raw ioctls", .step = raw_step, .cleanup = raw_cleanup,
		.injected_error = -ENOMEM, .state_size = sizeof(struct raw),
	};

	if (!fail_nth_setup())
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION): run on the debug kernel");
	_Static_assert(sizeof(struct raw) <= 256, "sweep state");
	sweep(_metadata, &ops);
}

/* Streams and events, raw: every ioctl of theirs that allocates. */
struct raw_stream {
	int fd;
	uint32_t stream, event;
	char buf[64];
};

static int step_stream(struct raw_stream *r, int step)
{
	struct acl_vmm_fault fault = { 0 };
	int ret;

	switch (step) {
	case 0:
		if (r->fd > 0)
			close(r->fd);
		r->fd = acl_vmm_raw_open("/dev/acl_vmm", NULL);
		if (r->fd < 0)
			return r->fd;
		return attach_device(r->fd, 0);
	case 1:
		return acl_vmm_raw_stream_create(r->fd, 0, &r->stream);
	case 2:
		return acl_vmm_raw_copy(r->fd, r->stream, (uintptr_t)r->buf,
					(uintptr_t)r->buf + 32, 32, 0, NULL);
	case 3:
		ret = acl_vmm_raw_memset(r->fd, r->stream, (uintptr_t)r->buf, 1, 16,
					 ACL_VMM_WORK_SYNC, &fault);
		return ret ? ret : fault.error;
	case 4:
		return acl_vmm_raw_event_create(r->fd, &r->event);
	case 5:
		return acl_vmm_raw_event_record(r->fd, r->event, r->stream);
	case 6:
		return acl_vmm_raw_event_wait(r->fd, r->stream, r->event);
	case 7:
		ret = acl_vmm_raw_stream_sync(r->fd, r->stream, &fault);
		return ret ? ret : fault.error;
	case 8:
		return acl_vmm_raw_event_sync(r->fd, r->event);
	case 9:
		return acl_vmm_raw_destroy(r->fd, r->event);
	case 10:
		return acl_vmm_raw_destroy(r->fd, r->stream);
	default:
		return 1;
	}
}

static int stream_step(void *state, int i)
{
	return step_stream(state, i);
}

static void stream_cleanup(void *state)
{
	struct raw_stream *r = state;

	if (r->fd > 0)
		close(r->fd);
}

TEST(stream_ioctls)
{
	static const struct sweep_ops ops = {
		.name = "stream ioctls", .step = stream_step, .cleanup = stream_cleanup,
		.injected_error = -ENOMEM, .state_size = sizeof(struct raw_stream),
	};

	if (!fail_nth_setup())
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION): run on the debug kernel");
	_Static_assert(sizeof(struct raw_stream) <= 256, "sweep state");
	sweep(_metadata, &ops);
}

/* The library's calls, as a program makes them, failing anywhere. */
struct lib {
	void *va;
	aclrtDrvMemHandle h;
	aclrtStream s;
	aclrtEvent ev;
};

static int lib_step(void *state, int step)
{
	struct lib *l = state;
	void **va = &l->va;
	aclrtDrvMemHandle *h = &l->h;
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	/*
	 * Not on the stack: the asynchronous copy of step 8 may still write it
	 * after this call returned (a later step failed, cleanup waits for it).
	 */
	static char buf[64] = "fail-nth";

	switch (step) {
	case 0: return aclInit(NULL);
	case 1: return aclrtSetDevice(0);
	case 2: return aclrtReserveMemAddress(va, 4 * PAGE_2M, 0, NULL, 1);
	case 3: return aclrtMallocPhysical(h, 2 * PAGE_2M, &prop, 0);
	case 4: return aclrtMapMem(*va, 2 * PAGE_2M, 0, *h, 0);
	case 5: return aclrtMemcpy(*va, 64, buf, sizeof(buf), ACL_MEMCPY_HOST_TO_DEVICE);
	case 6: return aclrtCreateStream(&l->s);
	case 7: return aclrtCreateEvent(&l->ev);
	case 8: return aclrtMemcpyAsync(buf, sizeof(buf), *va, 64, ACL_MEMCPY_DEVICE_TO_HOST, l->s);
	case 9: return aclrtRecordEvent(l->ev, l->s);
	case 10: return aclrtSynchronizeStream(l->s);
	case 11: return aclrtDestroyEvent(l->ev);
	case 12: return aclrtDestroyStream(l->s);
	case 13: return aclrtUnmapMem(*va);
	case 14: return aclrtFreePhysical(*h);
	case 15: return aclrtReleaseMemAddress(*va);
	case 16: return aclFinalize();
	default: return 1;
	}
}

/* Whatever the sequence left initialized. */
static void lib_cleanup(void *state)
{
	(void)state;
	while (aclFinalize() == ACL_SUCCESS)
		;
}

TEST(library_calls)
{
	static const struct sweep_ops ops = {
		.name = "library calls", .step = lib_step, .cleanup = lib_cleanup,
		.injected_error = ACL_ERROR_RT_MEMORY_ALLOCATION,
		.state_size = sizeof(struct lib),
	};

	if (!fail_nth_setup())
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION): run on the debug kernel");
	sweep(_metadata, &ops);
}

TEST_HARNESS_MAIN
