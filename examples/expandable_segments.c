// SPDX-License-Identifier: GPL-2.0
/*
 * expandable_segments: drive the ACL VMM calls the way torch_npu's
 * expandable segments allocator does, and check every byte it relies on.
 *
 *  1. probe with a 512-byte reservation, as torch_npu does at start-up;
 *  2. reserve one range of 1.125 x the device memory (flags 1, huge);
 *  3. grow it by 20 MiB (large pool) and 2 MiB (small pool) handles of
 *     ACL_HBM_MEM_HUGE, each mapped at the next offset, until the device
 *     runs out (ACL_ERROR_RT_MEMORY_ALLOCATION): on the first 207001 of a
 *     20 MiB segment, fall back to 2 MiB segments, as the small pool does;
 *  4. shrink: unmap half of the segments, keep those handles for reuse
 *     and free the others;
 *  5. re-map the kept handles at other offsets and check that their
 *     contents survived;
 *  6. grow again until the device is full, check everything, tear down,
 *     and check that the device's free memory is back where it started.
 *
 * Segments are filled by the device: their contents are staged on the
 * host and copied with aclrtMemcpyAsync on a stream, while the next
 * segment is allocated and mapped; they are checked by copying them back
 * with aclrtMemcpy. The stream is synchronized before anything is
 * unmapped, as torch_npu does.
 *
 *   expandable_segments [DEVICE]
 *
 * With EXPANDABLE_SEGMENTS_ON_FULL set, that shell command runs once the
 * device is full (tools/demo shows acl-vmm-smi there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"

#define MIB (1UL << 20)
#define SMALL_SEGMENT (2 * MIB)
#define LARGE_SEGMENT (20 * MIB)
#define CHECK_STRIDE 4096

struct segment {
	size_t offset;
	size_t size;
	aclrtDrvMemHandle handle;
	uint64_t tag;		/* what its bytes were written with */
	int mapped;
};

struct hole {
	size_t offset;
	size_t size;
	int used;
};

static struct segment *segments;
static size_t nr_segments, max_segments;
static char *base;
static size_t reserved;
static int device;
static aclrtStream stream;
static uint64_t *stage;	/* a segment's contents, staged on the host */

#define CHECK_ACL(expr)                                                       \
	do {                                                                  \
		aclError _r = (expr);                                         \
		if (_r != ACL_SUCCESS) {                                      \
			fprintf(stderr, "%s failed: %d: %s\n", #expr, _r,     \
				aclGetRecentErrMsg() ? aclGetRecentErrMsg() : ""); \
			exit(1);                                              \
		}                                                             \
	} while (0)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Stage @s's contents and queue their copy; the stage is free once the stream is. */
static void fill(struct segment *s, uint64_t tag)
{
	size_t off;

	CHECK_ACL(aclrtSynchronizeStream(stream));
	s->tag = tag;
	for (off = 0; off < s->size; off += CHECK_STRIDE)
		stage[off / sizeof(*stage)] = tag ^ off;
	CHECK_ACL(aclrtMemcpyAsync(base + s->offset, s->size, stage, s->size,
				   ACL_MEMCPY_HOST_TO_DEVICE, stream));
}

static size_t verify(const struct segment *s)
{
	size_t off, bad = 0;

	CHECK_ACL(aclrtSynchronizeStream(stream));
	CHECK_ACL(aclrtMemcpy(stage, s->size, base + s->offset, s->size,
			      ACL_MEMCPY_DEVICE_TO_HOST));
	for (off = 0; off < s->size; off += CHECK_STRIDE)
		if (stage[off / sizeof(*stage)] != (s->tag ^ off))
			bad++;
	return bad;
}

static size_t free_device_memory(void)
{
	size_t free_mem, total;

	CHECK_ACL(aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total));
	return free_mem;
}

/* Map a new segment of @size at @offset; 207001 is returned, not fatal. */
static aclError grow_one(size_t offset, size_t size)
{
	aclrtPhysicalMemProp prop = {
		.handleType = ACL_MEM_HANDLE_TYPE_NONE,
		.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED,
		.memAttr = ACL_HBM_MEM_HUGE,
		.location = { .id = (uint32_t)device,
			      .type = ACL_MEM_LOCATION_TYPE_DEVICE },
	};
	struct segment *s;
	aclrtDrvMemHandle handle;
	aclError ret;

	if (offset + size > reserved)
		return ACL_ERROR_RT_MEMORY_ALLOCATION;
	ret = aclrtMallocPhysical(&handle, size, &prop, 0);
	if (ret == ACL_ERROR_RT_MEMORY_ALLOCATION)
		return ret;
	CHECK_ACL(ret);
	CHECK_ACL(aclrtMapMem(base + offset, size, 0, handle, 0));
	if (nr_segments == max_segments) {
		max_segments = max_segments ? 2 * max_segments : 256;
		segments = realloc(segments, max_segments * sizeof(*segments));
		if (!segments) {
			perror("realloc");
			exit(1);
		}
	}
	s = &segments[nr_segments++];
	*s = (struct segment){ .offset = offset, .size = size,
			       .handle = handle, .mapped = 1 };
	fill(s, 0x5eed000000000000ULL | (nr_segments << 20));
	return ACL_SUCCESS;
}

/* Grow from @offset until the device is full; return the end offset. */
static size_t grow(size_t offset, size_t *large, size_t *small)
{
	size_t size = LARGE_SEGMENT;

	for (;;) {
		aclError ret = grow_one(offset, size);

		if (ret == ACL_ERROR_RT_MEMORY_ALLOCATION) {
			if (size == SMALL_SEGMENT)
				return offset;
			size = SMALL_SEGMENT;	/* the small pool goes on */
			continue;
		}
		offset += size;
		*(size == LARGE_SEGMENT ? large : small) += 1;
	}
}

static size_t verify_all(void)
{
	size_t i, bad = 0;

	for (i = 0; i < nr_segments; i++)
		if (segments[i].mapped)
			bad += verify(&segments[i]);
	return bad;
}

int main(int argc, char **argv)
{
	size_t free0, total, i, large = 0, small = 0, end, kept = 0, freed = 0;
	size_t grown_bytes = 0, bad, nr_holes = 0;
	struct hole *holes;
	double t0, t_grow, t_shrink, t_remap, t_regrow, t_teardown;
	void *probe;

	device = argc > 1 ? atoi(argv[1]) : 0;
	CHECK_ACL(aclInit(NULL));
	CHECK_ACL(aclrtSetDevice(device));
	CHECK_ACL(aclrtCreateStream(&stream));
	stage = malloc(LARGE_SEGMENT);
	if (!stage) {
		perror("malloc");
		return 1;
	}
	CHECK_ACL(aclrtGetMemInfo(ACL_HBM_MEM, &free0, &total));
	printf("device %d: %zu MiB total, %zu MiB free\n", device, total / MIB,
	       free0 / MIB);

	/* 1. torch_npu's start-up probe. */
	CHECK_ACL(aclrtReserveMemAddress(&probe, 512, 0, NULL, 1));
	CHECK_ACL(aclrtReleaseMemAddress(probe));
	printf("probe: a 512-byte reservation at %p, released\n", probe);

	/* 2. One reservation of 1.125 x the device memory. */
	reserved = (total + total / 8 + SMALL_SEGMENT - 1) & ~(SMALL_SEGMENT - 1);
	CHECK_ACL(aclrtReserveMemAddress((void **)&base, reserved, 0, NULL, 1));
	printf("reserved %zu MiB at %p\n", reserved / MIB, (void *)base);

	/* 3. Grow until the device runs out. */
	t0 = now_ms();
	end = grow(0, &large, &small);
	t_grow = now_ms() - t0;
	for (i = 0; i < nr_segments; i++)
		grown_bytes += segments[i].size;
	printf("grow: %zu x 20 MiB + %zu x 2 MiB segments, %zu MiB mapped, then 207001 (device full: %zu MiB free)\n",
	       large, small, grown_bytes / MIB, free_device_memory() / MIB);
	bad = verify_all();
	if (bad) {
		printf("FAIL: %zu words differ after growing\n", bad);
		return 1;
	}
	if (getenv("EXPANDABLE_SEGMENTS_ON_FULL")) {
		fflush(stdout);
		if (system(getenv("EXPANDABLE_SEGMENTS_ON_FULL")))
			printf("(the command run on full failed)\n");
	}

	/* 4. Shrink: unmap every other segment; keep half of those handles. */
	t0 = now_ms();
	CHECK_ACL(aclrtSynchronizeStream(stream));
	for (i = 0; i < nr_segments; i += 2) {
		CHECK_ACL(aclrtUnmapMem(base + segments[i].offset));
		segments[i].mapped = 0;
		if ((i / 2) % 2 == 0) {
			kept++;
		} else {
			CHECK_ACL(aclrtFreePhysical(segments[i].handle));
			segments[i].handle = NULL;
			freed++;
		}
	}
	t_shrink = now_ms() - t0;
	printf("shrink: unmapped %zu segments, kept %zu handles, freed %zu: %zu MiB free\n",
	       kept + freed, kept, freed, free_device_memory() / MIB);

	/*
	 * 5. Re-map each kept handle at another offset: a hole of the same
	 *    size that was not its own, else past the end.
	 */
	holes = calloc(nr_segments, sizeof(*holes));
	if (!holes) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < nr_segments; i++)
		if (!segments[i].mapped)
			holes[nr_holes++] = (struct hole){ segments[i].offset,
							   segments[i].size, 0 };
	t0 = now_ms();
	for (i = 0; i < nr_segments; i++) {
		struct segment *s = &segments[i];
		size_t j, target = SIZE_MAX;

		if (!s->handle || s->mapped)
			continue;
		for (j = 0; j < nr_holes && target == SIZE_MAX; j++)
			if (!holes[j].used && holes[j].size == s->size &&
			    holes[j].offset != s->offset) {
				holes[j].used = 1;
				target = holes[j].offset;
			}
		if (target == SIZE_MAX) {
			target = end;
			end += s->size;
		}
		CHECK_ACL(aclrtMapMem(base + target, s->size, 0, s->handle, 0));
		s->offset = target;
		s->mapped = 1;
		if (verify(s)) {
			printf("FAIL: a kept handle lost its contents when re-mapped at offset %zu\n",
			       target);
			return 1;
		}
	}
	t_remap = now_ms() - t0;
	printf("re-map: %zu kept handles mapped at other offsets, contents intact\n",
	       kept);

	/* 6. Grow again: into the holes left, then at the end. */
	t0 = now_ms();
	large = small = 0;
	for (i = 0; i < nr_holes; i++)
		if (!holes[i].used && grow_one(holes[i].offset, holes[i].size) == ACL_SUCCESS)
			*(holes[i].size == LARGE_SEGMENT ? &large : &small) += 1;
	free(holes);
	end = grow(end, &large, &small);
	t_regrow = now_ms() - t0;
	printf("grow again: %zu x 20 MiB + %zu x 2 MiB segments, device full: %zu MiB free\n",
	       large, small, free_device_memory() / MIB);
	if (free_device_memory() >= SMALL_SEGMENT) {
		printf("FAIL: the reservation ran out before the device\n");
		return 1;
	}
	bad = verify_all();
	if (bad) {
		printf("FAIL: %zu words differ after growing again\n", bad);
		return 1;
	}

	t0 = now_ms();
	CHECK_ACL(aclrtSynchronizeStream(stream));
	for (i = 0; i < nr_segments; i++) {
		if (segments[i].mapped)
			CHECK_ACL(aclrtUnmapMem(base + segments[i].offset));
		if (segments[i].handle)
			CHECK_ACL(aclrtFreePhysical(segments[i].handle));
	}
	CHECK_ACL(aclrtReleaseMemAddress(base));
	t_teardown = now_ms() - t0;
	if (free_device_memory() != free0) {
		printf("FAIL: %zu MiB free after teardown, %zu before\n",
		       free_device_memory() / MIB, free0 / MIB);
		return 1;
	}
	printf("teardown: everything unmapped, freed and released: %zu MiB free, as at the start\n",
	       free0 / MIB);
	printf("\n%-12s %10s\n", "phase", "ms");
	printf("%-12s %10.1f\n%-12s %10.1f\n%-12s %10.1f\n%-12s %10.1f\n%-12s %10.1f\n",
	       "grow", t_grow, "shrink", t_shrink, "re-map", t_remap,
	       "grow again", t_regrow, "teardown", t_teardown);
	free(segments);
	free(stage);
	CHECK_ACL(aclrtDestroyStream(stream));
	CHECK_ACL(aclrtResetDevice(device));
	CHECK_ACL(aclFinalize());
	printf("OK\n");
	return 0;
}
