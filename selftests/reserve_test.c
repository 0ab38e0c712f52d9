// SPDX-License-Identifier: GPL-2.0
/*
 * aclrtReserveMemAddress and aclrtReleaseMemAddress: every rule of the
 * contract, one rejected input per test, everything else valid.
 */
#include "acl_test.h"

ACL_FIXTURE(reserve)

TEST_F(reserve, null_virptr)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "virPtr",
		       aclrtReserveMemAddress(NULL, PAGE_2M, 0, NULL, 0));
}

TEST_F(reserve, zero_size)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size",
		       aclrtReserveMemAddress(&p, 0, 0, NULL, 0));
	EXPECT_EQ(NULL, p);
}

TEST_F(reserve, bad_flags)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "flags",
		       aclrtReserveMemAddress(&p, PAGE_2M, 0, NULL, 2));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "must be 0 (normal pages) or 1 (huge pages",
		   aclrtReserveMemAddress(&p, PAGE_2M, 0, NULL, ~0ULL));
}

TEST_F(reserve, nonzero_alignment)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "alignment",
		       aclrtReserveMemAddress(&p, PAGE_2M, PAGE_2M, NULL, 0));
}

TEST_F(reserve, both_flags_accepted)
{
	void *a, *b;

	EXPECT_OK(aclrtReserveMemAddress(&a, PAGE_2M, 0, NULL, 0));
	EXPECT_OK(aclrtReserveMemAddress(&b, PAGE_2M, 0, NULL, 1));
	EXPECT_OK(aclrtReleaseMemAddress(a));
	EXPECT_OK(aclrtReleaseMemAddress(b));
}

/* torch_npu probes with 512 bytes: rounded up to 2 MiB, which can be mapped. */
TEST_F(reserve, size_rounded_up)
{
	aclrtDrvMemHandle h;
	char *p;

	ASSERT_OK(aclrtReserveMemAddress((void **)&p, 512, 0, NULL, 1));
	MALLOC_PHYS(h, PAGE_2M, 0);
	EXPECT_OK(aclrtMapMem(p, PAGE_2M, 0, h, 0));
	p[PAGE_2M - 1] = 7;
	EXPECT_EQ(7, p[PAGE_2M - 1]);
	EXPECT_OK(aclrtUnmapMem(p));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

TEST_F(reserve, chosen_address_in_window)
{
	uintptr_t a, b, c;

	RESERVE(a, PAGE_2M);
	RESERVE(b, 3 * PAGE_2M);
	RESERVE(c, GIB);
	EXPECT_GE(a, WINDOW_START);
	EXPECT_LE(a + PAGE_2M, WINDOW_END);
	EXPECT_EQ(0, a % PAGE_2M);
	EXPECT_EQ(0, b % PAGE_2M);
	EXPECT_EQ(0, c % GIB);
	/* No two reservations overlap. */
	EXPECT_TRUE(a + PAGE_2M <= b || b + 3 * PAGE_2M <= a);
	EXPECT_TRUE(b + 3 * PAGE_2M <= c || c + GIB <= b);
	EXPECT_OK(aclrtReleaseMemAddress((void *)a));
	EXPECT_OK(aclrtReleaseMemAddress((void *)b));
	EXPECT_OK(aclrtReleaseMemAddress((void *)c));
}

TEST_F(reserve, expect_ptr_honoured)
{
	void *want = (void *)(WINDOW_START + 40 * GIB), *got = NULL;

	ASSERT_OK(aclrtReserveMemAddress(&got, 4 * PAGE_2M, 0, want, 0));
	EXPECT_EQ(want, got);
	EXPECT_OK(aclrtReleaseMemAddress(got));
}

TEST_F(reserve, expect_ptr_not_1g_aligned)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "expectPtr",
		       aclrtReserveMemAddress(&p, PAGE_2M, 0,
					      (void *)(WINDOW_START + 41 * GIB + PAGE_2M), 0));
}

TEST_F(reserve, expect_ptr_outside_window)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "window",
		       aclrtReserveMemAddress(&p, PAGE_2M, 0, (void *)(8 * GIB), 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the range [expectPtr, expectPtr + size) is not",
		   aclrtReserveMemAddress(&p, PAGE_2M, 0, (void *)WINDOW_END, 0));
	/* Starts inside, ends outside. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the range [expectPtr, expectPtr + size) is not",
		   aclrtReserveMemAddress(&p, 2 * GIB, 0, (void *)(WINDOW_END - GIB), 0));
}

TEST_F(reserve, expect_ptr_occupied_by_reservation)
{
	void *want = (void *)(WINDOW_START + 42 * GIB), *a, *b = NULL;

	ASSERT_OK(aclrtReserveMemAddress(&a, GIB, 0, want, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "occupied",
		       aclrtReserveMemAddress(&b, PAGE_2M, 0, want, 0));
	/* Overlapping only its tail. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "part of [expectPtr, expectPtr + size) is",
		   aclrtReserveMemAddress(&b, 2 * GIB, 0,
					  (void *)(WINDOW_START + 41 * GIB), 0));
	EXPECT_OK(aclrtReleaseMemAddress(a));
	/* Free again once released. */
	EXPECT_OK(aclrtReserveMemAddress(&b, PAGE_2M, 0, want, 0));
	EXPECT_OK(aclrtReleaseMemAddress(b));
}

TEST_F(reserve, expect_ptr_occupied_by_process_mapping)
{
	void *want = (void *)(WINDOW_START + 43 * GIB), *p = NULL;
	void *m = mmap(want, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	ASSERT_EQ(want, m);
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "part of [expectPtr, expectPtr + size) is",
		   aclrtReserveMemAddress(&p, PAGE_2M, 0, want, 0));
	munmap(m, 4096);
}

/* The system never picks an address the process already uses. */
TEST_F(reserve, chosen_address_avoids_process_mappings)
{
	void *m = mmap((void *)WINDOW_START, 16 * PAGE_2M, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	uintptr_t p;

	ASSERT_NE(MAP_FAILED, m);
	RESERVE(p, PAGE_2M);
	EXPECT_TRUE(p >= WINDOW_START + 16 * PAGE_2M);
	EXPECT_OK(aclrtReleaseMemAddress((void *)p));
	munmap(m, 16 * PAGE_2M);
}

/* Nothing else in the process can be placed inside a reservation. */
TEST_F(reserve, nothing_placed_inside)
{
	char *p, *m;

	RESERVE(p, 8 * PAGE_2M);
	m = mmap(p + PAGE_2M, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_TRUE(m < p || m >= p + 8 * PAGE_2M);
	munmap(m, 4096);
	m = mmap(p + PAGE_2M, 4096, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EEXIST, errno);
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

TEST_F(reserve, too_large)
{
	void *p = NULL;

	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "exceeds the device VA window",
		   aclrtReserveMemAddress(&p, (size_t)ACL_VMM_VA_WINDOW_SIZE + PAGE_2M,
					  0, NULL, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "exceeds the device VA window",
		   aclrtReserveMemAddress(&p, SIZE_MAX, 0, NULL, 0));
}

TEST_F(reserve, release_null)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "virPtr", aclrtReleaseMemAddress(NULL));
}

TEST_F(reserve, release_not_start)
{
	char *p;

	RESERVE(p, 4 * PAGE_2M);
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "start of a reservation",
		       aclrtReleaseMemAddress(p + PAGE_2M));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "virPtr is not the start of a reservation of",
		       aclrtReleaseMemAddress(p + 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "virPtr is not the start of a reservation of",
		       aclrtReleaseMemAddress((void *)0x1000));
	EXPECT_OK(aclrtReleaseMemAddress(p));
}

TEST_F(reserve, release_twice)
{
	char *p;

	RESERVE(p, PAGE_2M);
	EXPECT_OK(aclrtReleaseMemAddress(p));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "virPtr is not the start of a reservation of",
		       aclrtReleaseMemAddress(p));
}

/* Released with mappings: refused, and nothing changes. */
TEST_F(reserve, release_with_mappings)
{
	aclrtDrvMemHandle h;
	char *p;

	RESERVE(p, 4 * PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(p + PAGE_2M, PAGE_2M, 0, h, 0));
	fill_pattern(p + PAGE_2M, PAGE_2M, 11);
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "mappings", aclrtReleaseMemAddress(p));
	EXPECT_TRUE(check_pattern(p + PAGE_2M, PAGE_2M, 11));
	EXPECT_OK(aclrtUnmapMem(p + PAGE_2M));
	EXPECT_OK(aclrtReleaseMemAddress(p));
	EXPECT_OK(aclrtFreePhysical(h));
}

/* A released range is gone from the process: touching it faults. */
TEST_F(reserve, released_range_unmapped)
{
	char *p;

	RESERVE(p, PAGE_2M);
	EXPECT_OK(aclrtReleaseMemAddress(p));
	EXPECT_EQ(SIGSEGV, probe_access(p, false));
}

TEST_F(reserve, many_reservations)
{
	enum { N = 512 };
	static void *p[N];
	int i;

	for (i = 0; i < N; i++)
		ASSERT_OK(aclrtReserveMemAddress(&p[i], PAGE_2M, 0, NULL, i & 1));
	for (i = 0; i < N; i += 2)
		ASSERT_OK(aclrtReleaseMemAddress(p[i]));
	/* The freed holes are found again. */
	for (i = 0; i < N; i += 2)
		ASSERT_OK(aclrtReserveMemAddress(&p[i], PAGE_2M, 0, NULL, 0));
	for (i = 0; i < N; i++)
		ASSERT_OK(aclrtReleaseMemAddress(p[i]));
}

TEST(uninitialized)
{
	void *p;

	EXPECT_ACL_MSG(ACL_ERROR_UNINITIALIZE, "aclInit",
		       aclrtReserveMemAddress(&p, PAGE_2M, 0, NULL, 0));
	EXPECT_ACL_MSG(ACL_ERROR_UNINITIALIZE, "the library is not initialized",
		       aclrtReleaseMemAddress((void *)WINDOW_START));
}

TEST_HARNESS_MAIN
