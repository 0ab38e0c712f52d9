// SPDX-License-Identifier: GPL-2.0
/*
 * aclrtMapMem and aclrtUnmapMem: every rule of the contract, and what the
 * CPU sees at the mapped addresses.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "acl_test.h"

FIXTURE(map) {
	uint64_t used0[2];
	char *va;		/* a reservation of 16 x 2 MiB */
	aclrtDrvMemHandle h;	/* 4 MiB of device 0 */
};

FIXTURE_SETUP(map)
{
	self->used0[0] = device_used_raw(0);
	self->used0[1] = device_used_raw(1);
	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(0));
	RESERVE(self->va, 16 * PAGE_2M);
	MALLOC_PHYS(self->h, 2 * PAGE_2M, 0);
}

FIXTURE_TEARDOWN(map)
{
	EXPECT_OK(aclFinalize());
	EXPECT_EQ(self->used0[0], device_used_raw(0));
	EXPECT_EQ(self->used0[1], device_used_raw(1));
}

TEST_F(map, null_arguments)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "virPtr",
		       aclrtMapMem(NULL, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handle",
		       aclrtMapMem(self->va, 2 * PAGE_2M, 0, NULL, 0));
}

TEST_F(map, zero_size)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "size", aclrtMapMem(self->va, 0, 0, self->h, 0));
}

TEST_F(map, nonzero_flags)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "flags",
		       aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 1));
}

TEST_F(map, nonzero_offset)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "offset",
		       aclrtMapMem(self->va, PAGE_2M, PAGE_2M, self->h, 0));
}

TEST_F(map, misaligned_va)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "multiples",
		       aclrtMapMem(self->va + MIB, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr and size must be multiples of the",
		   aclrtMapMem(self->va + 4096, PAGE_2M, 0, self->h, 0));
}

TEST_F(map, size_not_granular)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "multiples",
		       aclrtMapMem(self->va, 3 * MIB, 0, self->h, 0));
}

TEST_F(map, size_exceeds_handle)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "exceeds",
		       aclrtMapMem(self->va, 3 * PAGE_2M, 0, self->h, 0));
}

/* A prefix of the handle may be mapped. */
TEST_F(map, prefix)
{
	ASSERT_OK(aclrtMapMem(self->va, PAGE_2M, 0, self->h, 0));
	self->va[PAGE_2M - 1] = 3;
	EXPECT_EQ(SIGBUS, probe_access(self->va + PAGE_2M, false));
	EXPECT_OK(aclrtUnmapMem(self->va));
}

TEST_F(map, outside_reservation)
{
	char *other;

	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "reservation",
		       aclrtMapMem((void *)(WINDOW_START - GIB), 2 * PAGE_2M, 0, self->h, 0));
	/* Crossing the reservation's end. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "[virPtr, virPtr + size) is not inside one",
		   aclrtMapMem(self->va + 15 * PAGE_2M, 2 * PAGE_2M, 0, self->h, 0));
	/* Across two reservations, even adjacent ones. */
	ASSERT_OK(aclrtReserveMemAddress((void **)&other, PAGE_2M, 0, NULL, 0));
	if (other == self->va + 16 * PAGE_2M)
		EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "[virPtr, virPtr + size) is not inside one",
			   aclrtMapMem(self->va + 15 * PAGE_2M, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_OK(aclrtReleaseMemAddress(other));
}

TEST_F(map, already_mapped)
{
	aclrtDrvMemHandle h2;

	MALLOC_PHYS(h2, 2 * PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(self->va + 2 * PAGE_2M, 2 * PAGE_2M, 0, self->h, 0));
	fill_pattern(self->va + 2 * PAGE_2M, 2 * PAGE_2M, 1);
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "already mapped",
		       aclrtMapMem(self->va + 2 * PAGE_2M, 2 * PAGE_2M, 0, h2, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "part of [virPtr, virPtr + size) is already",
		   aclrtMapMem(self->va + PAGE_2M, 2 * PAGE_2M, 0, h2, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "part of [virPtr, virPtr + size) is already",
		   aclrtMapMem(self->va + 3 * PAGE_2M, 2 * PAGE_2M, 0, h2, 0));
	/* Nothing changed. */
	EXPECT_TRUE(check_pattern(self->va + 2 * PAGE_2M, 2 * PAGE_2M, 1));
	EXPECT_OK(aclrtMapMem(self->va + 4 * PAGE_2M, 2 * PAGE_2M, 0, h2, 0));
	EXPECT_OK(aclrtUnmapMem(self->va + 2 * PAGE_2M));
	EXPECT_OK(aclrtUnmapMem(self->va + 4 * PAGE_2M));
	EXPECT_OK(aclrtFreePhysical(h2));
}

TEST_F(map, unknown_handle)
{
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle",
		       aclrtMapMem(self->va, PAGE_2M, 0, (aclrtDrvMemHandle)(uintptr_t)777, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "was not returned by aclrtMallocPhysical",
		   aclrtMapMem(self->va, PAGE_2M, 0, (aclrtDrvMemHandle)self, 0));
}

/* One device per reservation: the first mapping decides. */
TEST_F(map, other_device)
{
	aclrtDrvMemHandle h1, hh;
	aclrtPhysicalMemProp host = host_prop();

	MALLOC_PHYS(h1, PAGE_2M, 1);
	ASSERT_OK(aclrtMallocPhysical(&hh, PAGE_2M, &host, 0));
	ASSERT_OK(aclrtMapMem(self->va, PAGE_2M, 0, self->h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "device",
		       aclrtMapMem(self->va + 4 * PAGE_2M, PAGE_2M, 0, h1, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "the reservation already holds memory of another",
		   aclrtMapMem(self->va + 4 * PAGE_2M, PAGE_2M, 0, hh, 0));
	EXPECT_OK(aclrtUnmapMem(self->va));
	/* Empty again: another device may come in. */
	EXPECT_OK(aclrtMapMem(self->va + 4 * PAGE_2M, PAGE_2M, 0, h1, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "the reservation already holds memory of another",
		       aclrtMapMem(self->va, PAGE_2M, 0, self->h, 0));
	EXPECT_OK(aclrtUnmapMem(self->va + 4 * PAGE_2M));
	EXPECT_OK(aclrtFreePhysical(h1));
	EXPECT_OK(aclrtFreePhysical(hh));
}

/* Many handles at offsets inside one reservation: the normal use. */
TEST_F(map, many_handles_one_reservation)
{
	aclrtDrvMemHandle h[16];
	int i;

	for (i = 0; i < 16; i++) {
		MALLOC_PHYS(h[i], PAGE_2M, 0);
		ASSERT_OK(aclrtMapMem(self->va + i * PAGE_2M, PAGE_2M, 0, h[i], 0));
		fill_pattern(self->va + i * PAGE_2M, PAGE_2M, i);
	}
	for (i = 0; i < 16; i++) {
		EXPECT_TRUE(check_pattern(self->va + i * PAGE_2M, PAGE_2M, i));
		EXPECT_OK(aclrtUnmapMem(self->va + i * PAGE_2M));
		EXPECT_OK(aclrtFreePhysical(h[i]));
	}
}

/* Two mappings of one handle see the same bytes. */
TEST_F(map, same_bytes_at_two_addresses)
{
	/* Volatile: the compiler must not reorder accesses it sees as distinct. */
	volatile char *a = self->va, *b = self->va + 8 * PAGE_2M;

	ASSERT_OK(aclrtMapMem((char *)a, 2 * PAGE_2M, 0, self->h, 0));
	ASSERT_OK(aclrtMapMem((char *)b, 2 * PAGE_2M, 0, self->h, 0));
	fill_pattern((char *)a, 2 * PAGE_2M, 42);
	EXPECT_TRUE(check_pattern((char *)b, 2 * PAGE_2M, 42));
	b[12345] = 'x';
	EXPECT_EQ('x', a[12345]);
	a[54321] = 'y';
	EXPECT_EQ('y', b[54321]);
	EXPECT_OK(aclrtUnmapMem((char *)a));
	EXPECT_EQ('x', b[12345]);
	EXPECT_OK(aclrtUnmapMem((char *)b));
}

/* Data survives unmap and re-map elsewhere, in another reservation too. */
TEST_F(map, data_survives_remap)
{
	char *other;

	ASSERT_OK(aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 0));
	fill_pattern(self->va, 2 * PAGE_2M, 7);
	ASSERT_OK(aclrtUnmapMem(self->va));
	ASSERT_OK(aclrtMapMem(self->va + 6 * PAGE_2M, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_TRUE(check_pattern(self->va + 6 * PAGE_2M, 2 * PAGE_2M, 7));
	ASSERT_OK(aclrtUnmapMem(self->va + 6 * PAGE_2M));
	RESERVE(other, 2 * PAGE_2M);
	ASSERT_OK(aclrtMapMem(other, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_TRUE(check_pattern(other, 2 * PAGE_2M, 7));
	EXPECT_OK(aclrtUnmapMem(other));
	EXPECT_OK(aclrtReleaseMemAddress(other));
}

TEST_F(map, unmap_null)
{
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "virPtr", aclrtUnmapMem(NULL));
}

TEST_F(map, unmap_not_start)
{
	ASSERT_OK(aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "start of a mapping",
		       aclrtUnmapMem(self->va + PAGE_2M));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr is not the start of a mapping",
		       aclrtUnmapMem(self->va + 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr is not the start of a mapping",
		       aclrtUnmapMem(self->va + 4 * PAGE_2M));
	/* Still mapped, whole. */
	self->va[2 * PAGE_2M - 1] = 1;
	EXPECT_OK(aclrtUnmapMem(self->va));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "virPtr is not the start of a mapping",
		       aclrtUnmapMem(self->va));
}

/* Reserved but unmapped addresses fault; unmapped ones fault at once. */
TEST_F(map, unmapped_access_faults)
{
	EXPECT_EQ(SIGBUS, probe_access(self->va, false));
	ASSERT_OK(aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_EQ(0, probe_access(self->va, true));
	EXPECT_EQ(0, probe_access(self->va + 2 * PAGE_2M - 1, false));
	EXPECT_OK(aclrtUnmapMem(self->va));
	EXPECT_EQ(SIGBUS, probe_access(self->va, false));
	EXPECT_EQ(SIGBUS, probe_access(self->va + 2 * PAGE_2M - 1, true));
}

struct reader {
	volatile char *addr;
	volatile int go;
	int sig;
};

static void *read_after_unmap(void *arg)
{
	struct reader *r = arg;

	(void)*r->addr;		/* the page is in this thread's TLB */
	while (!r->go)
		;
	r->sig = probe_access(r->addr, false);
	return NULL;
}

/* After unmap returns, no other thread can reach the memory. */
TEST_F(map, unmap_seen_by_other_threads)
{
	struct reader r = { .addr = self->va + 100 };
	pthread_t t;

	ASSERT_OK(aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 0));
	self->va[100] = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, read_after_unmap, &r));
	usleep(10000);
	ASSERT_OK(aclrtUnmapMem(self->va));
	r.go = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(SIGBUS, r.sig);
}

/*
 * vllm-ascend's sleep mode: reserve with flags 0 and map huge memory; sleep
 * backs the contents up to the host, unmaps and frees but keeps the
 * reservation; wake maps a new handle at the same address and copies back.
 */
TEST_F(map, vllm_sleep_wake)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	size_t g, size, free_awake, free0 = device_free(0);
	aclrtDrvMemHandle h;
	char *va, *backup;

	ASSERT_OK(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM, &g));
	size = 5 * g;
	ASSERT_OK(aclrtReserveMemAddress((void **)&va, size, 0, NULL, 0));
	backup = malloc(size);
	ASSERT_NE(NULL, backup);
	for (int cycle = 0; cycle < 3; cycle++) {
		ASSERT_OK(aclrtMallocPhysical(&h, size, &prop, 0));
		ASSERT_OK(aclrtMapMem(va, size, 0, h, 0));
		if (cycle == 0) {
			fill_pattern(va, size, 1234);
		} else {
			ASSERT_OK(aclrtMemcpy(va, size, backup, size, ACL_MEMCPY_HOST_TO_DEVICE));
			EXPECT_TRUE(check_pattern(va, size, 1234));
		}
		free_awake = device_free(0);
		/* Sleep. */
		ASSERT_OK(aclrtMemcpy(backup, size, va, size, ACL_MEMCPY_DEVICE_TO_HOST));
		ASSERT_OK(aclrtUnmapMem(va));
		ASSERT_OK(aclrtFreePhysical(h));
		EXPECT_EQ(free_awake + size, device_free(0));
		EXPECT_EQ(free0, device_free(0));
	}
	free(backup);
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/*
 * MindSpore: a reservation cut in 2 MiB slots, one handle a slot;
 * unmapped handles wait in a queue and are reused at other slots.
 */
TEST_F(map, mindspore_slot_reuse)
{
	enum { SLOTS = 64 };
	aclrtDrvMemHandle queue[SLOTS], at[SLOTS] = { 0 };
	int head = 0, tail = 0, queued = 0, round, s;
	char *va;

	RESERVE(va, SLOTS * PAGE_2M);
	srand(7);
	for (round = 0; round < 2000; round++) {
		s = rand() % SLOTS;
		if (at[s]) {
			EXPECT_EQ(0, memcmp(va + s * PAGE_2M + 8, &at[s], sizeof(at[s])));
			ASSERT_OK(aclrtUnmapMem(va + s * PAGE_2M));
			queue[tail] = at[s];
			tail = (tail + 1) % SLOTS;
			queued++;
			at[s] = NULL;
		} else {
			if (queued) {
				at[s] = queue[head];
				head = (head + 1) % SLOTS;
				queued--;
			} else {
				MALLOC_PHYS(at[s], PAGE_2M, 0);
			}
			ASSERT_OK(aclrtMapMem(va + s * PAGE_2M, PAGE_2M, 0, at[s], 0));
			memcpy(va + s * PAGE_2M + 8, &at[s], sizeof(at[s]));
		}
	}
	for (s = 0; s < SLOTS; s++) {
		if (!at[s])
			continue;
		ASSERT_OK(aclrtUnmapMem(va + s * PAGE_2M));
		ASSERT_OK(aclrtFreePhysical(at[s]));
	}
	while (queued--) {
		ASSERT_OK(aclrtFreePhysical(queue[head]));
		head = (head + 1) % SLOTS;
	}
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* 2 MiB chunks are mapped with one PMD entry each. */
/* A field of /proc/self/smaps, in kB, for the VMA that starts at @va. */
static long smaps_kb(const void *va, const char *key)
{
	size_t keylen = strlen(key);
	int in_range = 0;
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, ' '))
			in_range = start == (uintptr_t)va;
		else if (in_range && !strncmp(line, key, keylen) && line[keylen] == ':' &&
			 sscanf(line + keylen + 1, "%ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Map populates the page tables at once, with one PMD entry per 2 MiB. */
TEST_F(map, pmd_mapped)
{
	ASSERT_OK(aclrtMapMem(self->va, 2 * PAGE_2M, 0, self->h, 0));
	EXPECT_EQ(4096, smaps_kb(self->va, "Rss"));
	EXPECT_EQ(4096, smaps_kb(self->va, "FilePmdMapped"));
	memset(self->va, 1, 2 * PAGE_2M);
	EXPECT_EQ(4096, smaps_kb(self->va, "FilePmdMapped"));
	EXPECT_OK(aclrtUnmapMem(self->va));
}

/*
 * Where THP is turned off for the VMA or the process, Linux 6.12 maps the
 * 2 MiB pages with 512 PTEs (6.1 still uses a PMD): either way map
 * populates every page at once, and the data is right for the CPU and for
 * the device engine.
 */
static void populated_without_thp(struct __test_metadata *_metadata, char *va,
				  aclrtDrvMemHandle h)
{
	char *host;
	long pmd_kb;
	size_t i;

	ASSERT_OK(aclrtMapMem(va, 2 * PAGE_2M, 0, h, 0));
	EXPECT_EQ(4096, smaps_kb(va, "Rss"));
	pmd_kb = smaps_kb(va, "FilePmdMapped");
	EXPECT_TRUE(pmd_kb == 0 || pmd_kb == 4096);
	TH_LOG("mapped with %s", pmd_kb ? "PMDs" : "PTEs");
	for (i = 0; i < 2 * PAGE_2M; i += 4096)
		va[i] = (char)(i >> 12);
	for (i = 0; i < 2 * PAGE_2M; i += 4096)
		ASSERT_EQ((char)(i >> 12), va[i]);
	EXPECT_EQ(4096, smaps_kb(va, "Rss"));
	/* The device engine reaches PTE-mapped memory through HMM as well. */
	host = malloc(2 * PAGE_2M);
	ASSERT_NE(NULL, host);
	ASSERT_OK(aclrtMemcpy(host, 2 * PAGE_2M, va, 2 * PAGE_2M, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0, memcmp(host, va, 2 * PAGE_2M));
	memset(host, 0x3c, 2 * PAGE_2M);
	ASSERT_OK(aclrtMemcpy(va, 2 * PAGE_2M, host, 2 * PAGE_2M, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_EQ(0, memcmp(host, va, 2 * PAGE_2M));
	free(host);
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_EQ(0, smaps_kb(va, "Rss"));
}

TEST_F(map, populated_under_madv_nohugepage)
{
	ASSERT_EQ(0, madvise(self->va, 16 * PAGE_2M, MADV_NOHUGEPAGE));
	populated_without_thp(_metadata, self->va, self->h);
}

TEST_F(map, populated_under_thp_disable)
{
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	populated_without_thp(_metadata, self->va, self->h);
}

TEST_HARNESS_MAIN
