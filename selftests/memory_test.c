// SPDX-License-Identifier: GPL-2.0
/*
 * aclrtMalloc, aclrtFree, aclrtMemcpy, aclrtMemset, aclrtGetMemInfo and
 * aclrtMemGetAddressRange.
 */
#include "acl_test.h"

ACL_FIXTURE(mem)

TEST_F(mem, malloc_errors)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "devPtr",
		       aclrtMalloc(NULL, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size",
		       aclrtMalloc(&p, 0, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "policy",
		       aclrtMalloc(&p, 4096, (aclrtMemMallocPolicy)8));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the device has not size bytes left (nothing was",
		   aclrtMalloc(&p, device_free(0) + PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_EQ(NULL, p);
}

TEST_F(mem, malloc_needs_device)
{
	void *p;

	ASSERT_OK(aclrtResetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "context",
		       aclrtMalloc(&p, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
}

TEST_F(mem, malloc_free)
{
	size_t free0 = device_free(0);
	char *p, *q;

	ASSERT_OK(aclrtMalloc((void **)&p, 5 * MIB, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtMalloc((void **)&q, 100, ACL_MEM_MALLOC_NORMAL_ONLY));
	EXPECT_EQ(free0 - 3 * PAGE_2M - PAGE_2M, device_free(0));
	memset(p, 1, 5 * MIB);
	q[99] = 1;
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "devPtr", aclrtFree(NULL));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "aclrtMalloc", aclrtFree(p + 4096));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not returned by aclrtMalloc (or is freed",
		       aclrtFree(&free0));
	EXPECT_OK(aclrtFree(p));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not returned by aclrtMalloc (or is freed",
		       aclrtFree(p));
	EXPECT_OK(aclrtFree(q));
	EXPECT_EQ(free0, device_free(0));
}

/* A VMM reservation is not an aclrtMalloc block. */
TEST_F(mem, free_refuses_vmm_memory)
{
	aclrtDrvMemHandle h;
	char *va;

	RESERVE(va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "was not returned by aclrtMalloc (or is freed",
		       aclrtFree(va));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(mem, memcpy_kinds)
{
	char host[8192], back[8192];
	char *d1, *d2;

	for (size_t i = 0; i < sizeof(host); i++)
		host[i] = (char)(i * 7);
	ASSERT_OK(aclrtMalloc((void **)&d1, 8192, ACL_MEM_MALLOC_HUGE_FIRST));
	ASSERT_OK(aclrtMalloc((void **)&d2, 8192, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_OK(aclrtMemcpy(d1, 8192, host, 8192, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_OK(aclrtMemcpy(d2, 8192, d1, 8192, ACL_MEMCPY_DEVICE_TO_DEVICE));
	memset(back, 0, sizeof(back));
	EXPECT_OK(aclrtMemcpy(back, 8192, d2, 8192, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0, memcmp(host, back, 8192));
	memset(back, 0, sizeof(back));
	EXPECT_OK(aclrtMemcpy(back, 8192, d2 + 1, 100, ACL_MEMCPY_DEFAULT));
	EXPECT_EQ(0, memcmp(host + 1, back, 100));
	EXPECT_OK(aclrtMemcpy(back, 8192, host, 8192, ACL_MEMCPY_HOST_TO_HOST));
	EXPECT_OK(aclrtMemcpy(d1, 8192, host, 10, ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE));
	EXPECT_OK(aclrtFree(d1));
	EXPECT_OK(aclrtFree(d2));
}

TEST_F(mem, memcpy_errors)
{
	char host[64];
	char *d;

	ASSERT_OK(aclrtMalloc((void **)&d, PAGE_2M, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_OK(aclrtMemcpy(NULL, 0, NULL, 0, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "dst",
		       aclrtMemcpy(NULL, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "src",
		       aclrtMemcpy(d, 64, NULL, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "destMax",
		       aclrtMemcpy(d, 32, host, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "kind",
		       aclrtMemcpy(d, 64, d + 64, 64, ACL_MEMCPY_INNER_DEVICE_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "kind=7 is not supported",
		   aclrtMemcpy(d, 64, d + 64, 64, ACL_MEMCPY_INTER_DEVICE_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "kind=8 is not supported",
		       aclrtMemcpy(d, 64, host, 64, (aclrtMemcpyKind)8));
	/* The device side must be mapped device memory, all of it. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "dst",
		       aclrtMemcpy(host, 64, d, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "src",
		       aclrtMemcpy(host, 64, host + 1, 32, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "part of the range is not mapped device memory",
		   aclrtMemcpy(d + PAGE_2M - 32, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_OK(aclrtFree(d));
}

/* Reserved but unmapped memory is not device memory to copy to. */
TEST_F(mem, memcpy_unmapped_range)
{
	aclrtDrvMemHandle h;
	char host[64] = { 0 };
	char *va;

	RESERVE(va, 2 * PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not mapped",
		       aclrtMemcpy(va + PAGE_2M - 32, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_OK(aclrtMemcpy(va + PAGE_2M - 64, 64, host, 64, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "part of the range is not mapped device memory",
		   aclrtMemcpy(host, 64, va, 64, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* A copy across two consecutive mappings of different handles is fine. */
TEST_F(mem, memcpy_across_mappings)
{
	aclrtDrvMemHandle h1, h2;
	char host[8192], back[8192];
	char *va;

	for (size_t i = 0; i < sizeof(host); i++)
		host[i] = (char)i;
	RESERVE(va, 2 * PAGE_2M);
	MALLOC_PHYS(h1, PAGE_2M, 0);
	MALLOC_PHYS(h2, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h1, 0));
	ASSERT_OK(aclrtMapMem(va + PAGE_2M, PAGE_2M, 0, h2, 0));
	EXPECT_OK(aclrtMemcpy(va + PAGE_2M - 4096, 8192, host, 8192, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_OK(aclrtMemcpy(back, 8192, va + PAGE_2M - 4096, 8192, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0, memcmp(host, back, 8192));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtUnmapMem(va + PAGE_2M));
	EXPECT_OK(aclrtFreePhysical(h1));
	EXPECT_OK(aclrtFreePhysical(h2));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(mem, memset)
{
	unsigned char *d;
	char host[8];

	ASSERT_OK(aclrtMalloc((void **)&d, 4096, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_OK(aclrtMemset(d, 4096, 0xab, 4096));
	EXPECT_EQ(0xab, d[0]);
	EXPECT_EQ(0xab, d[4095]);
	EXPECT_EQ(0, d[4096]);
	EXPECT_OK(aclrtMemset(d, 4096, 0x1ff, 1));
	EXPECT_EQ(0xff, d[0]);
	EXPECT_OK(aclrtMemset(d, 0, 0, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "devPtr", aclrtMemset(NULL, 4, 0, 4));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "maxCount", aclrtMemset(d, 4, 0, 8));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "the range is not device memory of this process",
		       aclrtMemset(host, 8, 0, 8));
	EXPECT_OK(aclrtFree(d));
}

TEST_F(mem, mem_info)
{
	size_t free_mem = 0, total = 0;
	aclrtDrvMemHandle h;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "free", aclrtGetMemInfo(ACL_HBM_MEM, NULL, &total));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "total",
		       aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "attr",
		       aclrtGetMemInfo((aclrtMemAttr)99, &free_mem, &total));
	ASSERT_OK(aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total));
	EXPECT_EQ(1536 * MIB, total);
	EXPECT_LE(free_mem, total);
	MALLOC_PHYS(h, 4 * PAGE_2M, 0);
	EXPECT_EQ(free_mem - 4 * PAGE_2M, device_free(0));
	EXPECT_OK(aclrtFreePhysical(h));
	/* DDR attributes report host memory. */
	EXPECT_OK(aclrtGetMemInfo(ACL_DDR_MEM, &free_mem, &total));
	EXPECT_GT(total, 0);
	EXPECT_OK(aclrtResetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_CONTEXT_NULL, "the thread has no current context",
		       aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total));
}

TEST_F(mem, address_range)
{
	aclrtDrvMemHandle h;
	void *base = NULL;
	size_t size = 0;
	char *va, *m;

	RESERVE(va, 8 * PAGE_2M);
	MALLOC_PHYS(h, 2 * PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va + 2 * PAGE_2M, 2 * PAGE_2M, 0, h, 0));
	EXPECT_OK(aclrtMemGetAddressRange(va + 3 * PAGE_2M + 17, &base, &size));
	EXPECT_EQ(va + 2 * PAGE_2M, base);
	EXPECT_EQ(2 * PAGE_2M, size);
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not mapped",
		       aclrtMemGetAddressRange(va, &base, &size));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "the address is not in any reservation of this",
		       aclrtMemGetAddressRange(&size, &base, &size));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "ptr is NULL",
		       aclrtMemGetAddressRange(NULL, &base, &size));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "pbase is NULL",
		       aclrtMemGetAddressRange(va, NULL, &size));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "psize is NULL",
		       aclrtMemGetAddressRange(va, &base, NULL));
	ASSERT_OK(aclrtMalloc((void **)&m, 3 * MIB, ACL_MEM_MALLOC_HUGE_FIRST));
	EXPECT_OK(aclrtMemGetAddressRange(m + MIB, &base, &size));
	EXPECT_EQ(m, base);
	EXPECT_EQ(2 * PAGE_2M, size);
	EXPECT_OK(aclrtFree(m));
	EXPECT_OK(aclrtUnmapMem(va + 2 * PAGE_2M));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_HARNESS_MAIN
