// SPDX-License-Identifier: GPL-2.0
/*
 * aclrtMallocPhysical, aclrtFreePhysical and
 * aclrtMemGetAllocationGranularity: every rule of the contract.
 */
#include <limits.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "acl_test.h"

ACL_FIXTURE(phys)

TEST_F(phys, null_handle_or_prop)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handle",
		       aclrtMallocPhysical(NULL, PAGE_2M, &prop, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "prop",
		       aclrtMallocPhysical(&h, PAGE_2M, NULL, 0));
}

TEST_F(phys, zero_size)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size",
		       aclrtMallocPhysical(&h, 0, &prop, 0));
}

TEST_F(phys, nonzero_flags)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "flags",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 1));
}

TEST_F(phys, handle_type_posix)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	prop.handleType = ACL_MEM_HANDLE_TYPE_POSIX;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handleType",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, allocation_type)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	prop.allocationType = (aclrtMemAllocationType)1;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "allocationType",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, location_type_refused)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	prop.location.type = ACL_MEM_LOCATION_TYPE_UNREGISTERED;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "location.type",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	prop.location.type = ACL_MEM_LOCATION_TYPE_MANAGED;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "must be ACL_MEM_LOCATION_TYPE_DEVICE, _HOST or",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	prop.location.type = (aclrtMemLocationType)5;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "must be ACL_MEM_LOCATION_TYPE_DEVICE, _HOST or",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, mem_attr_refused)
{
	static const unsigned int refused[] = {
		ACL_DDR_MEM, ACL_HBM_MEM, ACL_HBM_MEM_P2P_HUGE,
		ACL_HBM_MEM_P2P_NORMAL, ACL_HBM_MEM_P2P_HUGE1G, 18, 0xffffffffu,
	};
	aclrtDrvMemHandle h;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		aclrtPhysicalMemProp prop = device_prop(0, (aclrtMemAttr)refused[i]);

		EXPECT_EQ(ACL_ERROR_INVALID_PARAM, aclrtMallocPhysical(&h, PAGE_2M, &prop, 0)) {
			TH_LOG("memAttr %u: %s", refused[i], acl_msg());
		}
		EXPECT_MSG("memAttr");
	}
}

TEST_F(phys, ddr_on_device_refused)
{
	static const aclrtMemAttr ddr[] = {
		ACL_DDR_MEM_HUGE, ACL_DDR_MEM_NORMAL, ACL_DDR_MEM_P2P_HUGE,
		ACL_DDR_MEM_P2P_NORMAL,
	};
	aclrtDrvMemHandle h;

	for (size_t i = 0; i < sizeof(ddr) / sizeof(ddr[0]); i++) {
		aclrtPhysicalMemProp prop = device_prop(0, ddr[i]);

		EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "memAttr",
			       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
		/* The same attribute on the host is fine. */
		prop.location.type = ACL_MEM_LOCATION_TYPE_HOST;
		EXPECT_OK(aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
		EXPECT_OK(aclrtFreePhysical(h));
	}
}

TEST_F(phys, reserve_field_nonzero)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	prop.reserve = 1;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "reserve",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, bad_device)
{
	uint32_t count;
	aclrtPhysicalMemProp prop;
	aclrtDrvMemHandle h;

	ASSERT_OK(aclrtGetDeviceCount(&count));
	prop = device_prop(count, ACL_HBM_MEM_HUGE);
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "location.id",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	prop.location.id = 0x7fffffff;
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "location.id=2147483647 is not a device",
		   aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, size_not_granular)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;

	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "granularity",
		       aclrtMallocPhysical(&h, 3 * MIB, &prop, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "size=4096 is not a multiple of the granularity",
		       aclrtMallocPhysical(&h, 4096, &prop, 0));
	prop.memAttr = ACL_HBM_MEM_HUGE1G;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "is not a multiple of the granularity",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, accepted_attrs)
{
	static const aclrtMemAttr ok[] = {
		ACL_HBM_MEM_HUGE, ACL_HBM_MEM_NORMAL, ACL_MEM_NORMAL, ACL_MEM_HUGE,
		ACL_MEM_P2P_NORMAL, ACL_MEM_P2P_HUGE,
	};
	aclrtDrvMemHandle h;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		aclrtPhysicalMemProp prop = device_prop(1, ok[i]);

		EXPECT_OK(aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
		EXPECT_OK(aclrtFreePhysical(h));
	}
}

/* Allocation is charged to the device; freeing returns it. */
TEST_F(phys, charged_to_device)
{
	size_t before = device_free(0);
	aclrtDrvMemHandle h;

	MALLOC_PHYS(h, 8 * PAGE_2M, 0);
	EXPECT_EQ(before - 8 * PAGE_2M, device_free(0));
	EXPECT_EQ(device_free(1), device_free(1));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_EQ(before, device_free(0));
}

/* New memory is zeroed, even right after another handle dirtied it. */
TEST_F(phys, zeroed)
{
	aclrtDrvMemHandle h;
	char *p;

	RESERVE(p, 16 * PAGE_2M);
	for (int round = 0; round < 2; round++) {
		MALLOC_PHYS(h, 16 * PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(p, 16 * PAGE_2M, 0, h, 0));
		for (size_t off = 0; off < 16 * PAGE_2M; off += 4096)
			ASSERT_EQ(0, p[off] | p[off + 4095]);
		memset(p, 0xa5, 16 * PAGE_2M);
		ASSERT_OK(aclrtUnmapMem(p));
		ASSERT_OK(aclrtFreePhysical(h));
	}
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

/* Out of memory: 207001, and nothing allocated. */
TEST_F(phys, out_of_memory)
{
	size_t free0 = device_free(0);
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h, big;

	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "out of memory",
		       aclrtMallocPhysical(&h, free0 + PAGE_2M, &prop, 0));
	EXPECT_EQ(free0, device_free(0));
	ASSERT_OK(aclrtMallocPhysical(&big, free0, &prop, 0));
	EXPECT_EQ(0, device_free(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the device has not size bytes left (nothing was",
		   aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	/* The other device is not affected. */
	prop.location.id = 1;
	EXPECT_OK(aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtFreePhysical(big));
	EXPECT_EQ(free0, device_free(0));
}

TEST_F(phys, host_memory)
{
	aclrtPhysicalMemProp prop = host_prop();
	size_t free0 = device_free(0);
	aclrtDrvMemHandle h;
	char *p;

	ASSERT_OK(aclrtMallocPhysical(&h, 2 * PAGE_2M, &prop, 0));
	EXPECT_EQ(free0, device_free(0));
	RESERVE(p, 2 * PAGE_2M);
	ASSERT_OK(aclrtMapMem(p, 2 * PAGE_2M, 0, h, 0));
	fill_pattern(p, 2 * PAGE_2M, 5);
	EXPECT_TRUE(check_pattern(p, 2 * PAGE_2M, 5));
	EXPECT_OK(aclrtUnmapMem(p));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(p));
	prop.location.id = 1;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "location.id",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	prop.location.type = ACL_MEM_LOCATION_TYPE_HOST_NUMA;
	prop.location.id = 0;
	EXPECT_OK(aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	EXPECT_OK(aclrtFreePhysical(h));
	prop.location.id = 4096;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "size must be a multiple of the granularity, and",
		       aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
}

TEST_F(phys, free_null)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handle", aclrtFreePhysical(NULL));
}

TEST_F(phys, free_unknown)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle",
		       aclrtFreePhysical((aclrtDrvMemHandle)(uintptr_t)12345));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "was not returned by aclrtMallocPhysical",
		       aclrtFreePhysical((aclrtDrvMemHandle)&errno));
}

TEST_F(phys, free_twice)
{
	aclrtDrvMemHandle h;

	MALLOC_PHYS(h, PAGE_2M, 0);
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle is not a live physical memory handle of",
		       aclrtFreePhysical(h));
}

/* Free while mapped: deferred to the last unmap; a second free is 107000. */
TEST_F(phys, free_while_mapped)
{
	size_t free0 = device_free(0);
	aclrtDrvMemHandle h;
	char *p;

	RESERVE(p, 4 * PAGE_2M);
	MALLOC_PHYS(h, 2 * PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(p, 2 * PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtMapMem(p + 2 * PAGE_2M, 2 * PAGE_2M, 0, h, 0));
	fill_pattern(p, 2 * PAGE_2M, 99);
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "already freed", aclrtFreePhysical(h));
	EXPECT_TRUE(check_pattern(p + 2 * PAGE_2M, 2 * PAGE_2M, 99));
	EXPECT_EQ(free0 - 2 * PAGE_2M, device_free(0));
	EXPECT_OK(aclrtUnmapMem(p));
	EXPECT_EQ(free0 - 2 * PAGE_2M, device_free(0));
	EXPECT_TRUE(check_pattern(p + 2 * PAGE_2M, 2 * PAGE_2M, 99));
	/* A freed handle cannot be mapped again. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle is not a live physical memory handle of",
		       aclrtMapMem(p, 2 * PAGE_2M, 0, h, 0));
	EXPECT_OK(aclrtUnmapMem(p + 2 * PAGE_2M));
	EXPECT_EQ(free0, device_free(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle is not a live physical memory handle of",
		       aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

TEST_F(phys, granularity)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	size_t g = 0;

	EXPECT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	EXPECT_EQ(PAGE_2M, g);
	EXPECT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_RECOMMENDED, &g));
	EXPECT_EQ(PAGE_2M, g);
	prop.memAttr = ACL_MEM_NORMAL;
	EXPECT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	EXPECT_EQ(PAGE_2M, g);
	prop.memAttr = ACL_HBM_MEM_HUGE1G;
	EXPECT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_RECOMMENDED, &g));
	EXPECT_EQ(GIB, g);
	prop.memAttr = ACL_MEM_P2P_HUGE1G;
	EXPECT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	EXPECT_EQ(GIB, g);
}

TEST_F(phys, granularity_errors)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	uint32_t count;
	size_t g;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "prop",
		       aclrtMemGetAllocationGranularity(NULL, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "granularity",
		       aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_FEATURE_NOT_SUPPORT, "UNDEF",
		       aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_UNDEF, &g));
	prop.memAttr = ACL_HBM_MEM;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "memAttr",
		       aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	prop.memAttr = ACL_DDR_MEM_HUGE;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "prop->memAttr=2 is host (DDR) memory and cannot",
		   aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	ASSERT_OK(aclrtGetDeviceCount(&count));
	prop = device_prop(count, ACL_HBM_MEM_HUGE);
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "location.id",
		       aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
}

/* 1 GiB memory: 1 GiB granularity for size and for mapping. */
TEST_F(phys, huge1g)
{
	aclrtPhysicalMemProp prop = device_prop(1, ACL_HBM_MEM_HUGE1G);
	aclrtPtrAttributes attr;
	aclrtDrvMemHandle h;
	char *p;

	ASSERT_OK(aclrtMallocPhysical(&h, GIB, &prop, 0));
	ASSERT_OK(aclrtReserveMemAddress((void **)&p, 3 * GIB, 0, NULL, 1));
	ASSERT_EQ(0, (uintptr_t)p % GIB);
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr and size must be multiples of the",
		       aclrtMapMem(p + PAGE_2M, GIB, 0, h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr and size must be multiples of the",
		       aclrtMapMem(p, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtMapMem(p + GIB, GIB, 0, h, 0));
	p[GIB] = 1;
	p[2 * GIB - 1] = 2;
	EXPECT_EQ(1, p[GIB]);
	EXPECT_EQ(2, p[2 * GIB - 1]);
	/* Its pages are 1 GiB, as aclrtPointerGetAttributes says. */
	EXPECT_OK(aclrtPointerGetAttributes(p + GIB + 4096, &attr));
	EXPECT_EQ(ACL_MEM_LOCATION_TYPE_DEVICE, attr.location.type);
	EXPECT_EQ(1, attr.location.id);
	EXPECT_EQ(GIB, attr.pageSize);
	EXPECT_OK(aclrtUnmapMem(p + GIB));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

/*
 * The unprivileged side: with RLIMIT_MEMLOCK at 8 MiB, 4 MiB of host
 * memory fits and shows in VmLck, 6 MiB more does not (207001, naming the
 * limit), and the budget comes back with the free.
 */
static int memlock_child(void)
{
	struct rlimit rl = { 8 << 20, 8 << 20 };
	aclrtPhysicalMemProp prop = host_prop();
	aclrtDrvMemHandle a, b;
	const char *msg;

	if (drop_privileges(true) || setrlimit(RLIMIT_MEMLOCK, &rl) || aclInit(NULL))
		return 100;
	if (aclrtMallocPhysical(&a, 2 * PAGE_2M, &prop, 0))
		return 1;
	if (!vm_locked_settles(4096))
		return 2;
	if (aclrtMallocPhysical(&b, 3 * PAGE_2M, &prop, 0) != ACL_ERROR_RT_MEMORY_ALLOCATION)
		return 3;
	msg = aclGetRecentErrMsg();
	if (!msg || !strstr(msg, "RLIMIT_MEMLOCK"))
		return 4;
	if (vm_locked_kb() != 4096)
		return 5;
	if (aclrtFreePhysical(a) || !vm_locked_settles(0))
		return 6;
	if (aclrtMallocPhysical(&b, 3 * PAGE_2M, &prop, 0) || aclrtFreePhysical(b))
		return 7;
	/* Device memory is the device's: no RLIMIT_MEMLOCK charge. */
	prop = device_prop(0, ACL_HBM_MEM_HUGE);
	if (aclrtMallocPhysical(&a, 8 * PAGE_2M, &prop, 0) || vm_locked_kb() != 0 ||
	    aclrtFreePhysical(a))
		return 8;
	return aclFinalize() ? 9 : 0;
}

/* With CAP_IPC_LOCK (root here), the limit does not apply. */
static int memlock_root_child(void)
{
	struct rlimit rl = { PAGE_2M, PAGE_2M };
	aclrtPhysicalMemProp prop = host_prop();
	aclrtDrvMemHandle a;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || aclInit(NULL))
		return 100;
	if (aclrtMallocPhysical(&a, 2 * PAGE_2M, &prop, 0))
		return 1;
	return aclFinalize() ? 2 : 0;
}

/* Host memory counts in the one RLIMIT_MEMLOCK budget, as pinned pages do. */
TEST_F(phys, host_memory_counts_against_memlock)
{
	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	EXPECT_EQ(0, run_child(memlock_child));
	EXPECT_EQ(0, run_child(memlock_root_child));
}

/*
 * As NOBODY: 64 KiB of a device handle's pages go into a pipe (vmsplice
 * takes page references), then the handle is unmapped and freed. The
 * device's capacity does not come back while the pipe holds the pages:
 * they show as held; the pipe still reads the data; once it is drained,
 * the capacity returns.
 */
static int held_child(void)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	unsigned long long used0;
	static char buf[1 << 16];
	aclrtDrvMemHandle h;
	struct iovec iov;
	int fds[2];
	char *va;

	if (drop_privileges(true) || aclInit(NULL) || aclrtSetDevice(0))
		return 100;
	used0 = device_attr(0, "used");
	if (aclrtMallocPhysical(&h, PAGE_2M, &prop, 0) ||
	    aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0) ||
	    aclrtMapMem(va, PAGE_2M, 0, h, 0))
		return 1;
	memset(va, 0x5a, sizeof(buf));
	iov = (struct iovec){ va, sizeof(buf) };
	if (pipe(fds) || vmsplice(fds[1], &iov, 1, 0) != (ssize_t)sizeof(buf))
		return 2;
	if (aclrtUnmapMem(va) || aclrtReleaseMemAddress(va) || aclrtFreePhysical(h))
		return 3;
	if (device_attr(0, "used") != used0 + PAGE_2M ||
	    device_attr(0, "held") != PAGE_2M)
		return 4;
	if (read(fds[0], buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
	    buf[0] != 0x5a || buf[sizeof(buf) - 1] != 0x5a)
		return 5;
	close(fds[0]);
	close(fds[1]);
	if (!device_settles(0, used0))
		return 6;
	return aclFinalize() ? 7 : 0;
}

/* Capacity returns with the pages, not before (pinned pages outlive a free). */
TEST_F(phys, pinned_pages_keep_capacity)
{
	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	EXPECT_EQ(0, run_child(held_child));
}

TEST_HARNESS_MAIN
