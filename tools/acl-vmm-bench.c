// SPDX-License-Identifier: GPL-2.0
/*
 * acl-vmm-bench: the cost of the ACL VMM calls on acl_vmm.ko, against the
 * kernel's own best paths for the same work, measured in one run:
 *
 *   reserve  aclrtReserveMemAddress   vs mmap(PROT_NONE)
 *   malloc   aclrtMallocPhysical      vs memfd_create + fallocate (shmem 4 KiB
 *                                        pages, and hugetlb 2 MiB pages)
 *   map      aclrtMapMem              vs mmap(MAP_FIXED | MAP_SHARED | MAP_POPULATE)
 *   unmap    aclrtUnmapMem            vs mmap(PROT_NONE, MAP_FIXED) over it
 *   free     aclrtFreePhysical        vs close(memfd)
 *   release  aclrtReleaseMemAddress   vs munmap
 *
 * then map+unmap of one 2 MiB page (and with SetAccess for a second device
 * when there is one), growing and shrinking 1 GiB by 2 MiB
 * pages (torch_npu's expandable segments), map+unmap with 1 to 100,000
 * mappings live, aclrtMemcpy against memcpy, the device engine's
 * submission latency and copy throughput against pwrite/pread of a memfd
 * (the kernel's own copy of the same bytes), and munmap of an unrelated
 * 4 KiB mapping while four streams copy against the same with none, and
 * RDMA writes into device memory against the same into malloc memory
 * (over the first RDMA device's loopback: soft-RoCE, tools/rxe-setup).
 * Prints the kernel it runs on, tables, and writes JSON (--json FILE, -
 * for standard output) with a "targets" list: each target's ratio, its
 * limit and the two figures it comes from.
 *
 *   acl-vmm-bench [--quick] [--json FILE] [--device N]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "acl/acl.h"
#ifdef HAVE_IBVERBS
#include "rdma_loop.h"
#endif

#ifndef ACL_VMM_VERSION
#define ACL_VMM_VERSION "unknown"
#endif

#define MIB (1UL << 20)
#define GIB (1UL << 30)
#define PAGE_2M (2 * MIB)

static bool quick;
static int device;
static int peer = -1;	/* a second device, when the node has one */
static FILE *json;
static int json_rows, json_targets;
static char targets_json[8192];
static size_t targets_len;

#define CHECK(expr)                                                          \
	do {                                                                 \
		aclError r_ = (expr);                                        \
		if (r_) {                                                    \
			fprintf(stderr, "%s: %d: %s\n", #expr, r_,           \
				aclGetRecentErrMsg() ? aclGetRecentErrMsg() : ""); \
			exit(1);                                             \
		}                                                            \
	} while (0)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat2 {
	double median, p90;
};

static struct stat2 stats(double *v, int n)
{
	struct stat2 s = { -1, -1 };

	if (n <= 0)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p90 = v[(int)((n - 1) * 0.9 + 0.5)];
	return s;
}

static void json_row(const char *section, const char *name, const char *size,
		     const char *unit, double ours_median, double ours_p90,
		     double shmem, double hugetlb)
{
	if (!json)
		return;
	fprintf(json, "%s\n    {\"section\": \"%s\", \"name\": \"%s\", \"size\": \"%s\", "
		"\"unit\": \"%s\", \"median\": %.3f, \"p90\": %.3f, "
		"\"shmem_median\": %.3f, \"hugetlb_median\": %.3f}",
		json_rows++ ? "," : "", section, name, size, unit, ours_median,
		ours_p90, shmem, hugetlb);
}

static void target(const char *name, double ours, double baseline, double limit,
		   const char *what)
{
	double ratio = baseline > 0 ? ours / baseline : -1;
	bool met = ratio >= 0 && ratio <= limit;

	printf("  %-58s %8.3f  (limit %.3f)  %s\n", name, ratio, limit,
	       ratio < 0 ? "n/a" : met ? "met" : "NOT MET");
	targets_len += snprintf(targets_json + targets_len,
				sizeof(targets_json) - targets_len,
				"%s\n    {\"name\": \"%s\", \"ratio\": %.4f, \"limit\": %.3f, "
				"\"met\": %s, \"ours\": %.3f, \"baseline\": %.3f, \"figures\": \"%s\"}",
				json_targets++ ? "," : "", name, ratio, limit,
				met ? "true" : "false", ours, baseline, what);
}

static aclrtDrvMemHandle phys(size_t size)
{
	aclrtPhysicalMemProp prop = {
		.handleType = ACL_MEM_HANDLE_TYPE_NONE,
		.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED,
		.memAttr = ACL_HBM_MEM_HUGE,
		.location = { .id = (uint32_t)device, .type = ACL_MEM_LOCATION_TYPE_DEVICE },
	};
	aclrtDrvMemHandle h;

	CHECK(aclrtMallocPhysical(&h, size, &prop, 0));
	return h;
}

/* A memfd of @size bytes, allocated; -1 when the kind is not available. */
static int memfd_alloc(size_t size, bool huge)
{
	int fd = memfd_create("acl-vmm-bench", MFD_CLOEXEC |
			      (huge ? MFD_HUGETLB | (21 << MFD_HUGE_SHIFT) : 0));

	if (fd < 0)
		return -1;
	if (ftruncate(fd, size) || fallocate(fd, 0, 0, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A shmem memfd of @size bytes in 2 MiB pages where the kernel allows
 * (shmem_enabled set to "always" while it is allocated, then restored), so
 * that pwrite and pread copy a whole folio per step: on Linux 6.12 a
 * write to a 4 KiB shmem page faults in the rest of a 2 MiB chunk of the
 * source each time (generic_perform_write()), quadratic work that is not
 * copying. *@huge says which it got.
 */
static int memfd_alloc_shmem(size_t size, bool *huge)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";
	char line[128] = "", old[32] = "";
	char *b, *e;
	FILE *f = fopen(path, "r");
	int fd;

	if (f) {
		if (fgets(line, sizeof(line), f) && (b = strchr(line, '[')) &&
		    (e = strchr(b, ']')) && e - b - 1 < (long)sizeof(old))
			memcpy(old, b + 1, e - b - 1);
		fclose(f);
	}
	*huge = false;
	f = *old ? fopen(path, "w") : NULL;
	if (f) {
		*huge = fputs("always", f) >= 0;
		*huge = !fclose(f) && *huge;
	}
	fd = memfd_alloc(size, false);
	if (*huge) {
		f = fopen(path, "w");
		if (f) {
			fputs(old, f);
			fclose(f);
		}
	}
	return fd;
}

/* PROT_NONE address space, 2 MiB aligned (hugetlb needs it; ours is too). */
static void *reserve_baseline(size_t size)
{
	char *p = mmap(NULL, size + PAGE_2M, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start, end;

	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + PAGE_2M - 1) & ~(PAGE_2M - 1);
	end = (uintptr_t)p + size + PAGE_2M;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if (end > start + size)
		munmap((void *)(start + size), end - (start + size));
	return (void *)start;
}

static bool map_baseline(void *at, size_t size, int fd)
{
	return mmap(at, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == at;
}

static void unmap_baseline(void *at, size_t size)
{
	mmap(at, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

enum { OP_RESERVE, OP_MALLOC, OP_MAP, OP_UNMAP, OP_FREE, OP_RELEASE, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"reserve", "malloc", "map", "unmap", "free", "release",
};

/* One round of the six calls on acl_vmm, timings into t[op]. */
static void round_ours(size_t size, double *t)
{
	aclrtDrvMemHandle h;
	double t0;
	void *va;

	t0 = now_us();
	CHECK(aclrtReserveMemAddress(&va, size, 0, NULL, 1));
	t[OP_RESERVE] = now_us() - t0;
	t0 = now_us();
	h = phys(size);
	t[OP_MALLOC] = now_us() - t0;
	t0 = now_us();
	CHECK(aclrtMapMem(va, size, 0, h, 0));
	t[OP_MAP] = now_us() - t0;
	t0 = now_us();
	CHECK(aclrtUnmapMem(va));
	t[OP_UNMAP] = now_us() - t0;
	t0 = now_us();
	CHECK(aclrtFreePhysical(h));
	t[OP_FREE] = now_us() - t0;
	t0 = now_us();
	CHECK(aclrtReleaseMemAddress(va));
	t[OP_RELEASE] = now_us() - t0;
}

/* The same round through the kernel's own paths; false if unavailable. */
static bool round_baseline(size_t size, bool huge, double *t)
{
	double t0;
	void *va;
	int fd;

	t0 = now_us();
	va = reserve_baseline(size);
	t[OP_RESERVE] = now_us() - t0;
	t0 = now_us();
	fd = memfd_alloc(size, huge);
	t[OP_MALLOC] = now_us() - t0;
	if (!va || fd < 0) {
		if (va)
			munmap(va, size);
		return false;
	}
	t0 = now_us();
	if (!map_baseline(va, size, fd)) {
		close(fd);
		munmap(va, size);
		return false;
	}
	t[OP_MAP] = now_us() - t0;
	t0 = now_us();
	unmap_baseline(va, size);
	t[OP_UNMAP] = now_us() - t0;
	t0 = now_us();
	close(fd);
	t[OP_FREE] = now_us() - t0;
	t0 = now_us();
	munmap(va, size);
	t[OP_RELEASE] = now_us() - t0;
	return true;
}

/* Medians of section_calls(), per size: ours and the hugetlb round's. */
static double calls_ours[3][NR_OPS], calls_huge[3][NR_OPS];

static void section_calls(void)
{
	static const size_t sizes[] = { PAGE_2M, 64 * MIB, GIB };
	static const char *const names[] = { "2 MiB", "64 MiB", "1 GiB" };
	static const int iters_full[] = { 50, 20, 5 }, iters_quick[] = { 5, 3, 1 };
	double v[3][NR_OPS][50], t[NR_OPS];
	int kind, n, i, op, s;

	printf("\nPer call, median (p90) in microseconds; baselines are medians\n");
	printf("%-8s %-7s %20s %12s %12s %10s\n", "call", "size", "acl_vmm",
	       "shmem 4K", "hugetlb 2M", "vs best");
	for (s = 0; s < 3; s++) {
		struct stat2 st[3][NR_OPS];
		int got[3] = { 0, 0, 0 };

		n = quick ? iters_quick[s] : iters_full[s];
		for (kind = 0; kind < 3; kind++) {
			for (i = 0; i < n; i++) {
				if (kind == 0)
					round_ours(sizes[s], t);
				else if (!round_baseline(sizes[s], kind == 2, t))
					break;
				for (op = 0; op < NR_OPS; op++)
					v[kind][op][i] = t[op];
				got[kind]++;
			}
			for (op = 0; op < NR_OPS; op++)
				st[kind][op] = stats(v[kind][op], got[kind]);
		}
		for (op = 0; op < NR_OPS; op++) {
			double best = st[1][op].median;

			if (st[2][op].median >= 0 && (best < 0 || st[2][op].median < best))
				best = st[2][op].median;
			printf("%-8s %-7s %11.1f (%6.1f) %12.1f %12.1f %9.2fx\n",
			       op_names[op], names[s], st[0][op].median, st[0][op].p90,
			       st[1][op].median, st[2][op].median,
			       best > 0 ? st[0][op].median / best : -1);
			json_row("calls", op_names[op], names[s], "us", st[0][op].median,
				 st[0][op].p90, st[1][op].median, st[2][op].median);
			calls_ours[s][op] = st[0][op].median;
			calls_huge[s][op] = st[2][op].median;
		}
	}
}

/* Map+unmap of one 2 MiB page: ours, and through memfds. */
static void section_map_unmap(double *ours_out, double *shmem_out, double *huge_out)
{
	int n = quick ? 20 : 200, i, kind;
	static double v[4][200];
	struct stat2 st[4];
	aclrtDrvMemHandle h = phys(PAGE_2M);
	void *va;

	CHECK(aclrtReserveMemAddress(&va, PAGE_2M, 0, NULL, 1));
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		CHECK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
		CHECK(aclrtUnmapMem(va));
		v[0][i] = now_us() - t0;
	}
	st[0] = stats(v[0], n);
	/* With a second device given READWRITE: two device tables to program. */
	if (peer >= 0) {
		aclrtMemAccessDesc d = { .flags = ACL_RT_MEM_ACCESS_FLAGS_READWRITE,
					 .location = { .id = (uint32_t)peer,
						       .type = ACL_MEM_LOCATION_TYPE_DEVICE } };

		for (i = 0; i < n; i++) {
			double t0 = now_us();

			CHECK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
			CHECK(aclrtMemSetAccess(va, PAGE_2M, &d, 1));
			CHECK(aclrtUnmapMem(va));
			v[3][i] = now_us() - t0;
		}
		st[3] = stats(v[3], n);
	}
	CHECK(aclrtReleaseMemAddress(va));
	CHECK(aclrtFreePhysical(h));
	for (kind = 1; kind < 3; kind++) {
		int fd = memfd_alloc(PAGE_2M, kind == 2), got = 0;
		void *res = reserve_baseline(PAGE_2M);

		for (i = 0; fd >= 0 && res && i < n; i++) {
			double t0 = now_us();

			if (!map_baseline(res, PAGE_2M, fd))
				break;
			munmap(res, PAGE_2M);
			v[kind][i] = now_us() - t0;
			got++;
			res = reserve_baseline(PAGE_2M);	/* not timed */
		}
		if (res)
			munmap(res, PAGE_2M);
		if (fd >= 0)
			close(fd);
		st[kind] = stats(v[kind], got);
	}
	printf("\nMap+unmap of one 2 MiB page, median (p90) in microseconds\n");
	printf("  acl_vmm map+unmap (populated, one PMD)       %8.1f (%6.1f)\n", st[0].median, st[0].p90);
	printf("  shmem 4K memfd mmap POPULATE + munmap        %8.1f (%6.1f)\n", st[1].median, st[1].p90);
	printf("  hugetlb 2M memfd mmap POPULATE + munmap      %8.1f (%6.1f)\n", st[2].median, st[2].p90);
	json_row("map_unmap_2m", "map+unmap", "2 MiB", "us", st[0].median, st[0].p90,
		 st[1].median, st[2].median);
	if (peer >= 0) {
		printf("  acl_vmm map+SetAccess two devices+unmap      %8.1f (%6.1f)\n",
		       st[3].median, st[3].p90);
		json_row("map_unmap_2m", "map+SetAccess two devices+unmap", "2 MiB", "us",
			 st[3].median, st[3].p90, -1, -1);
	}
	*ours_out = st[0].median;
	*shmem_out = st[1].median;
	*huge_out = st[2].median;
}

/* Grow @total by 2 MiB pages, then shrink; ms for each. */
static void grow_shrink_ours(size_t total, double *grow, double *shrink)
{
	size_t n = total / PAGE_2M, i;
	aclrtDrvMemHandle *h = calloc(n, sizeof(*h));
	char *va;
	double t0;

	CHECK(aclrtReserveMemAddress((void **)&va, total, 0, NULL, 1));
	t0 = now_us();
	for (i = 0; i < n; i++) {
		h[i] = phys(PAGE_2M);
		CHECK(aclrtMapMem(va + i * PAGE_2M, PAGE_2M, 0, h[i], 0));
	}
	*grow = (now_us() - t0) / 1e3;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		CHECK(aclrtUnmapMem(va + i * PAGE_2M));
		CHECK(aclrtFreePhysical(h[i]));
	}
	*shrink = (now_us() - t0) / 1e3;
	CHECK(aclrtReleaseMemAddress(va));
	free(h);
}

static bool grow_shrink_baseline(size_t total, bool huge, double *grow, double *shrink)
{
	size_t n = total / PAGE_2M, i;
	int *fd = calloc(n, sizeof(*fd));
	char *va = reserve_baseline(total);
	bool ok = va && fd;
	double t0;

	t0 = now_us();
	for (i = 0; ok && i < n; i++) {
		fd[i] = memfd_create("grow", MFD_CLOEXEC |
				     (huge ? MFD_HUGETLB | (21 << MFD_HUGE_SHIFT) : 0));
		ok = fd[i] >= 0 && !ftruncate(fd[i], PAGE_2M) &&
		     map_baseline(va + i * PAGE_2M, PAGE_2M, fd[i]);
	}
	*grow = (now_us() - t0) / 1e3;
	n = i;
	t0 = now_us();
	for (i = 0; i < n; i++) {
		unmap_baseline(va + i * PAGE_2M, PAGE_2M);
		close(fd[i]);
	}
	*shrink = (now_us() - t0) / 1e3;
	if (va)
		munmap(va, total);
	free(fd);
	return ok;
}

static void section_grow(size_t total, double *ours, double *shmem)
{
	double g[3] = { -1, -1, -1 }, s[3] = { -1, -1, -1 };

	grow_shrink_ours(total, &g[0], &s[0]);
	if (!grow_shrink_baseline(total, false, &g[1], &s[1]))
		g[1] = s[1] = -1;
	if (!grow_shrink_baseline(total, true, &g[2], &s[2]))
		g[2] = s[2] = -1;
	printf("\nGrow %zu MiB by 2 MiB pages (allocate + map each), then shrink (unmap + free), ms\n",
	       total / MIB);
	printf("  %-22s %10s %10s %14s\n", "", "grow", "shrink", "per page grow");
	printf("  %-22s %10.1f %10.1f %11.1f us\n", "acl_vmm", g[0], s[0], g[0] * 1e3 / (total / PAGE_2M));
	printf("  %-22s %10.1f %10.1f %11.1f us\n", "shmem 4K memfd", g[1], s[1], g[1] * 1e3 / (total / PAGE_2M));
	printf("  %-22s %10.1f %10.1f %11.1f us\n", "hugetlb 2M memfd", g[2], s[2], g[2] * 1e3 / (total / PAGE_2M));
	json_row("grow", "grow", total == GIB ? "1 GiB" : "64 MiB", "ms", g[0], g[0], g[1], g[2]);
	json_row("grow", "shrink", total == GIB ? "1 GiB" : "64 MiB", "ms", s[0], s[0], s[1], s[2]);
	*ours = g[0];
	*shmem = g[1];
}

/* Map+unmap of one more 2 MiB page with @live mappings in place. */
static double live_cost(long live, int iters)
{
	static double v[500];
	aclrtDrvMemHandle h = phys(PAGE_2M);
	size_t slots = (size_t)live + 1;
	char *va;
	long i;

	CHECK(aclrtReserveMemAddress((void **)&va, slots * PAGE_2M, 0, NULL, 1));
	for (i = 0; i < live; i++)
		CHECK(aclrtMapMem(va + (size_t)i * PAGE_2M, PAGE_2M, 0, h, 0));
	for (i = 0; i < iters; i++) {
		double t0 = now_us();

		CHECK(aclrtMapMem(va + (size_t)live * PAGE_2M, PAGE_2M, 0, h, 0));
		CHECK(aclrtUnmapMem(va + (size_t)live * PAGE_2M));
		v[i] = now_us() - t0;
	}
	for (i = 0; i < live; i++)
		CHECK(aclrtUnmapMem(va + (size_t)i * PAGE_2M));
	CHECK(aclrtReleaseMemAddress(va));
	CHECK(aclrtFreePhysical(h));
	return stats(v, iters).median;
}

static void section_live(double *at1, double *atmax, long *maxlive)
{
	static const long full[] = { 1, 1000, 10000, 100000 }, small[] = { 1, 100, 1000 };
	const long *live = quick ? small : full;
	int n = quick ? 3 : 4, i, iters = quick ? 50 : 300;

	printf("\nMap+unmap of one more 2 MiB page with N mappings live, median us\n");
	for (i = 0; i < n; i++) {
		double c = live_cost(live[i], iters);
		char name[32];

		printf("  N = %-8ld %10.1f\n", live[i], c);
		snprintf(name, sizeof(name), "%ld live", live[i]);
		json_row("live", "map+unmap", name, "us", c, c, -1, -1);
		if (i == 0)
			*at1 = c;
		*atmax = c;
		*maxlive = live[i];
	}
}

static void section_memcpy(double *ours, double *plain)
{
	size_t size = quick ? 16 * MIB : 64 * MIB;
	int n = quick ? 3 : 10, i;
	static double v[2][10];
	char *host = malloc(size), *dev;
	struct stat2 a, b;

	CHECK(aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_FIRST));
	memset(host, 1, size);
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		CHECK(aclrtMemcpy(dev, size, host, size, ACL_MEMCPY_HOST_TO_DEVICE));
		v[0][i] = now_us() - t0;
		t0 = now_us();
		memcpy(dev, host, size);
		v[1][i] = now_us() - t0;
	}
	a = stats(v[0], n);
	b = stats(v[1], n);
	printf("\nCopy %zu MiB host to device, median\n", size / MIB);
	printf("  aclrtMemcpy   %8.1f us  %6.2f GB/s\n", a.median, size / a.median / 1e3);
	printf("  memcpy        %8.1f us  %6.2f GB/s\n", b.median, size / b.median / 1e3);
	json_row("memcpy", "aclrtMemcpy", quick ? "16 MiB" : "64 MiB", "us", a.median, a.p90, b.median, -1);
	CHECK(aclrtFree(dev));
	free(host);
	*ours = a.median;
	*plain = b.median;
}

/* Results of section_engine() that targets are made of. */
struct engine_figures {
	double h2d, d2h, pwrite, pread;
};

static void write_all(int fd, const char *buf, size_t size, bool in)
{
	ssize_t r = in ? pread(fd, (char *)buf, size, 0) : pwrite(fd, buf, size, 0);

	if (r != (ssize_t)size) {
		perror(in ? "acl-vmm-bench: pread" : "acl-vmm-bench: pwrite");
		exit(1);
	}
}

/*
 * The device engine: what queuing work costs the submitting thread, the
 * round trip of a small synchronous copy, and copy throughput of the
 * engine (through its HMM mirror) against the kernel's own copy of the
 * same bytes between a process's memory and a memfd (pwrite, pread: the
 * kernel's user-copy routines, as the engine's copies) and against memcpy
 * on the CPU (which under emulation mostly measures the emulator's vector
 * code, not ours).
 */
static void section_engine(struct engine_figures *out)
{
	enum { H2D, D2H, D2D, PWRITE, PREAD, CPU_H2D, CPU_D2D, NR };
	static const char *const names[NR] = {
		"async H2D", "async D2H", "async D2D", "memfd pwrite",
		"memfd pread", "memcpy H2D", "memcpy D2D",
	};
	size_t size = quick ? 16 * MIB : 64 * MIB;
	int n = quick ? 3 : 10, nsub = 256, i, k, fd;
	static double v[NR][256];
	char *host = malloc(size), *dev, *dev2;
	struct stat2 sub, rt, rt_cpu, st[NR];
	const char *sz = quick ? "16 MiB" : "64 MiB";
	aclrtStream s;
	bool huge;
	double t0;

	fd = memfd_alloc_shmem(size, &huge);
	if (!host || fd < 0) {
		perror("acl-vmm-bench: engine buffers");
		exit(1);
	}
	CHECK(aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_FIRST));
	CHECK(aclrtMalloc((void **)&dev2, size, ACL_MEM_MALLOC_HUGE_FIRST));
	CHECK(aclrtCreateStream(&s));
	memset(host, 1, size);
	for (i = 0; i < nsub; i++) {
		t0 = now_us();
		CHECK(aclrtMemcpyAsync(dev + (size_t)i * 4096, 4096, host, 4096,
				       ACL_MEMCPY_HOST_TO_DEVICE, s));
		v[0][i] = now_us() - t0;
	}
	CHECK(aclrtSynchronizeStream(s));
	for (i = 0; i < nsub; i++) {
		t0 = now_us();
		CHECK(aclrtMemcpy(host, 4096, dev, 4096, ACL_MEMCPY_DEVICE_TO_HOST));
		v[1][i] = now_us() - t0;
		t0 = now_us();
		memcpy(host, dev, 4096);
		v[2][i] = now_us() - t0;
	}
	sub = stats(v[0], nsub);
	rt = stats(v[1], nsub);
	rt_cpu = stats(v[2], nsub);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		CHECK(aclrtMemcpyAsync(dev, size, host, size, ACL_MEMCPY_HOST_TO_DEVICE, s));
		CHECK(aclrtSynchronizeStream(s));
		v[H2D][i] = now_us() - t0;
		t0 = now_us();
		CHECK(aclrtMemcpyAsync(host, size, dev, size, ACL_MEMCPY_DEVICE_TO_HOST, s));
		CHECK(aclrtSynchronizeStream(s));
		v[D2H][i] = now_us() - t0;
		t0 = now_us();
		CHECK(aclrtMemcpyAsync(dev2, size, dev, size, ACL_MEMCPY_DEVICE_TO_DEVICE, s));
		CHECK(aclrtSynchronizeStream(s));
		v[D2D][i] = now_us() - t0;
		t0 = now_us();
		write_all(fd, host, size, false);
		v[PWRITE][i] = now_us() - t0;
		t0 = now_us();
		write_all(fd, host, size, true);
		v[PREAD][i] = now_us() - t0;
		t0 = now_us();
		memcpy(dev, host, size);
		v[CPU_H2D][i] = now_us() - t0;
		t0 = now_us();
		memcpy(dev2, dev, size);
		v[CPU_D2D][i] = now_us() - t0;
	}
	for (k = 0; k < NR; k++)
		st[k] = stats(v[k], n);
	printf("\nDevice engine, median (memfd: shmem in %s pages)\n", huge ? "2 MiB" : "4 KiB");
	printf("  aclrtMemcpyAsync 4 KiB, submission        %8.1f us\n", sub.median);
	printf("  aclrtMemcpy 4 KiB device to host           %8.1f us   (memcpy %.1f us)\n",
	       rt.median, rt_cpu.median);
	for (k = 0; k < NR; k++)
		printf("  %-13s %s %s %10.1f us  %6.2f GB/s\n", names[k], sz,
		       k <= D2D ? "async + sync" : "            ", st[k].median,
		       size / st[k].median / 1e3);
	json_row("engine", "aclrtMemcpyAsync submit", "4 KiB", "us", sub.median, sub.p90, -1, -1);
	json_row("engine", "aclrtMemcpy D2H", "4 KiB", "us", rt.median, rt.p90, rt_cpu.median, -1);
	for (k = 0; k < NR; k++)
		json_row("engine", names[k], sz, "us", st[k].median, st[k].p90, -1, -1);
	out->h2d = st[H2D].median;
	out->d2h = st[D2H].median;
	out->pwrite = st[PWRITE].median;
	out->pread = st[PREAD].median;
	CHECK(aclrtDestroyStream(s));
	CHECK(aclrtFree(dev2));
	CHECK(aclrtFree(dev));
	close(fd);
	free(host);
}

/*
 * munmap() of a 4 KiB mapping that no copy touches: alone, and while four
 * streams copy between host and device memory (two each way). The
 * engine's mirror watches only the pages a copy window touches, so an
 * invalidation elsewhere in the process should not wait for it.
 */
static void section_unrelated(double *busy_out, double *idle_out)
{
	enum { NSTREAMS = 4, NBLOCKS = 5 };
	size_t size = quick ? 4 * MIB : 16 * MIB;
	int n = quick ? 50 : 300, got[2] = { 0, 0 }, block, j, k, pass;
	static double v[2][300];
	aclrtStream st[NSTREAMS];
	char *host[NSTREAMS], *dev[NSTREAMS];
	struct stat2 r[2];
	long copies = 0;

	for (k = 0; k < NSTREAMS; k++) {
		host[k] = malloc(size);
		if (!host[k]) {
			perror("acl-vmm-bench: malloc");
			exit(1);
		}
		memset(host[k], k, size);
		CHECK(aclrtMalloc((void **)&dev[k], size, ACL_MEM_MALLOC_HUGE_FIRST));
		CHECK(aclrtCreateStream(&st[k]));
	}
	/*
	 * Blocks of each kind in turn, so that drift of the machine's speed
	 * (a busy host, under emulation) weighs on both alike.
	 */
	for (block = 0; block < 2 * NBLOCKS; block++) {
		pass = block % 2;
		for (k = 0; !pass && k < NSTREAMS; k++)
			CHECK(aclrtSynchronizeStream(st[k]));
		for (j = 0; j < n / NBLOCKS; j++) {
			char *p;
			double t0;

			for (k = 0; pass && k < NSTREAMS; k++) {
				aclrtStreamStatus status;

				CHECK(aclrtStreamQuery(st[k], &status));
				if (status != ACL_STREAM_STATUS_COMPLETE)
					continue;
				if (k % 2)
					CHECK(aclrtMemcpyAsync(host[k], size, dev[k], size,
							       ACL_MEMCPY_DEVICE_TO_HOST, st[k]));
				else
					CHECK(aclrtMemcpyAsync(dev[k], size, host[k], size,
							       ACL_MEMCPY_HOST_TO_DEVICE, st[k]));
				copies++;
			}
			p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				perror("acl-vmm-bench: mmap");
				exit(1);
			}
			p[0] = 1;
			t0 = now_us();
			munmap(p, 4096);
			v[pass][got[pass]++] = now_us() - t0;
		}
	}
	for (k = 0; k < NSTREAMS; k++) {
		CHECK(aclrtSynchronizeStream(st[k]));
		CHECK(aclrtDestroyStream(st[k]));
		CHECK(aclrtFree(dev[k]));
		free(host[k]);
	}
	r[0] = stats(v[0], got[0]);
	r[1] = stats(v[1], got[1]);
	printf("\nmunmap of an unrelated 4 KiB mapping, median (p90) in microseconds\n");
	printf("  no stream                                  %8.1f (%6.1f)\n", r[0].median, r[0].p90);
	printf("  4 streams copying (%ld copies of %zu MiB)   %8.1f (%6.1f)\n", copies,
	       size / MIB, r[1].median, r[1].p90);
	json_row("unrelated", "munmap 4 KiB, no stream", "4 KiB", "us", r[0].median, r[0].p90, -1, -1);
	json_row("unrelated", "munmap 4 KiB, 4 streams copying", "4 KiB", "us", r[1].median,
		 r[1].p90, -1, -1);
	*idle_out = r[0].median;
	*busy_out = r[1].median;
}

/* Reserve enough hugetlb pages for the baselines, where we may. */
static size_t setup_hugetlb(size_t pages)
{
	const char *path = "/proc/sys/vm/nr_hugepages";
	size_t have = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%zu", &have) != 1)
		have = 0;
	fclose(f);
	if (have < pages) {
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "%zu\n", pages);
			fclose(f);
		}
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%zu", &have) != 1)
				have = 0;
			fclose(f);
		}
	}
	return have;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: acl-vmm-bench [--quick] [--only SECTIONS] [--json FILE|-] [--device N]\n"
		"Measure the ACL VMM calls on acl_vmm.ko against the kernel's own paths for\n"
		"the same work, and print tables and targets.\n"
		"\n"
		"      --quick         fewer and smaller rounds (a smoke run)\n"
		"      --only SECTIONS run only these sections and their targets, a comma list\n"
		"                      of calls, map, grow, live, memcpy, engine, unrelated,\n"
		"                      rdma\n"
		"      --json FILE     also write the results as JSON to FILE (-: standard\n"
		"                      output, the tables then go to standard error)\n"
		"      --device N      measure device N (default 0)\n"
		"  -h, --help          print this help and exit\n"
		"  -V, --version       print the version and exit\n"
		"\n"
		"Exit status: 0 when it ran, 1 when a call failed, 2 for a wrong command line.\n");
}

/* The sections, for --only; all by default (calls only in a full run). */
static const char *const section_names[] = {
	"calls", "map", "grow", "live", "memcpy", "engine", "unrelated", "rdma",
};

enum { S_CALLS, S_MAP, S_GROW, S_LIVE, S_MEMCPY, S_ENGINE, S_UNRELATED, S_RDMA, S_NR };

/* Parse --only's list into a mask of sections; 0 for an unknown name. */
static unsigned int parse_sections(const char *list)
{
	unsigned int mask = 0;
	char *copy = strdup(list), *save = NULL, *tok;
	int i;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < S_NR && strcmp(tok, section_names[i]); i++)
			;
		if (i == S_NR) {
			fprintf(stderr, "acl-vmm-bench: unknown section '%s'; sections:", tok);
			for (i = 0; i < S_NR; i++)
				fprintf(stderr, " %s", section_names[i]);
			fputc('\n', stderr);
			free(copy);
			return 0;
		}
		mask |= 1U << i;
	}
	free(copy);
	return mask;
}

#ifdef HAVE_IBVERBS
/*
 * RDMA into device memory: a registered VMM mapping written by RDMA (from
 * registered host memory, over the RDMA device's loopback) against the
 * same into registered malloc memory, in alternating runs. Returns false,
 * saying why, when there is no RDMA device to measure with.
 */
static bool section_rdma(double *dev_out, double *host_out)
{
	size_t size = quick ? 16 * MIB : 64 * MIB;
	int n = quick ? 3 : 7, i;
	static double v[2][7];
	struct ibv_mr *src_mr, *dev_mr, *dst_mr;
	char *src, *dst, *va;
	aclrtDrvMemHandle h;
	struct stat2 st[2];
	struct rdma_loop l;
	double t0;

	if (rdma_loop_open(&l)) {
		printf("\nRDMA: not measured: %s\n", l.err);
		return false;
	}
	src = aligned_alloc(PAGE_2M, size);
	dst = aligned_alloc(PAGE_2M, size);
	if (!src || !dst) {
		perror("acl-vmm-bench: RDMA buffers");
		exit(1);
	}
	memset(src, 3, size);
	memset(dst, 0, size);
	h = phys(size);
	CHECK(aclrtReserveMemAddress((void **)&va, size, 0, NULL, 0));
	CHECK(aclrtMapMem(va, size, 0, h, 0));
	src_mr = rdma_loop_reg(&l, src, size);
	dev_mr = rdma_loop_reg(&l, va, size);
	dst_mr = rdma_loop_reg(&l, dst, size);
	if (!src_mr || !dev_mr || !dst_mr) {
		fprintf(stderr, "acl-vmm-bench: %s\n", l.err);
		exit(1);
	}
	/* Device memory first in even runs, malloc memory first in odd ones. */
	for (i = 0; i < 2 * n; i++) {
		bool to_dev = (i & 1) == ((i / 2) & 1);

		t0 = now_us();
		if (rdma_loop_xfer(&l, IBV_WR_RDMA_WRITE, src_mr, src, to_dev ? dev_mr : dst_mr,
				   to_dev ? va : dst, size))
			break;
		v[!to_dev][i / 2] = now_us() - t0;
	}
	if (i < 2 * n) {
		fprintf(stderr, "acl-vmm-bench: RDMA write: %s\n", l.err);
		exit(1);
	}
	st[0] = stats(v[0], n);
	st[1] = stats(v[1], n);
	printf("\nRDMA write over %s loopback, %zu MiB in 1 MiB work requests, median\n",
	       l.name, size / MIB);
	printf("  into device memory (VMM mapping) %10.1f us  %7.1f MB/s\n", st[0].median,
	       size / st[0].median);
	printf("  into malloc memory               %10.1f us  %7.1f MB/s\n", st[1].median,
	       size / st[1].median);
	json_row("rdma", "RDMA write into device memory", quick ? "16 MiB" : "64 MiB", "us",
		 st[0].median, st[0].p90, st[1].median, -1);
	ibv_dereg_mr(dst_mr);
	ibv_dereg_mr(dev_mr);
	ibv_dereg_mr(src_mr);
	rdma_loop_close(&l);
	CHECK(aclrtUnmapMem(va));
	CHECK(aclrtReleaseMemAddress(va));
	CHECK(aclrtFreePhysical(h));
	free(dst);
	free(src);
	*dev_out = st[0].median;
	*host_out = st[1].median;
	return true;
}
#else
static bool section_rdma(double *dev_out, double *host_out)
{
	(void)dev_out;
	(void)host_out;
	printf("\nRDMA: not measured: built without libibverbs\n");
	return false;
}
#endif

int main(int argc, char **argv)
{
	double mu_ours = -1, mu_shmem = -1, mu_huge = -1, g_ours = -1, g_shmem = -1;
	double l1 = -1, lmax = -1, c_ours = -1, c_plain = -1;
	double busy = -1, idle = -1, rdma_dev = -1, rdma_host = -1;
	struct engine_figures eng = { -1, -1, -1, -1 };
	unsigned int only = ~0U;
	bool rdma = false;
	struct utsname uts;
	const char *json_path = NULL;
	long maxlive = 0;
	size_t hugepages;
	size_t free_mem, total;
	uint32_t count = 0;
	int i;

	for (i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("acl-vmm-bench (acl-vmm) %s\n", ACL_VMM_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = parse_sections(argv[++i]);
			if (!only)
				return 2;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json_path = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = (int)strtol(argv[++i], &end, 10);
			if (!*argv[i] || *end || device < 0) {
				fprintf(stderr, "acl-vmm-bench: '%s' is not a device number\n", argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "acl-vmm-bench: %s '%s'\nTry 'acl-vmm-bench --help' for more information.\n",
				i + 1 == argc && (!strcmp(argv[i], "--json") ||
						  !strcmp(argv[i], "--device") ||
						  !strcmp(argv[i], "--only")) ?
				"a value is missing after" : "unknown option", argv[i]);
			return 2;
		}
	}
	if (json_path && !strcmp(json_path, "-")) {
		/* JSON on standard output, the tables on standard error. */
		json = fdopen(dup(STDOUT_FILENO), "w");
		if (!json || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			return 1;
	} else if (json_path) {
		json = fopen(json_path, "w");
		if (!json) {
			perror(json_path);
			return 1;
		}
	}
	/* The hugetlb baselines: the calls, map and grow sections'. */
	hugepages = only & (1U << S_CALLS | 1U << S_MAP | 1U << S_GROW) ?
		    setup_hugetlb(quick ? 40 : 520) : 0;
	CHECK(aclInit(NULL));
	CHECK(aclrtGetDeviceCount(&count));
	if (count > 1) {
		/* A second device, set once so that it may be given rights. */
		peer = device ? 0 : 1;
		CHECK(aclrtSetDevice(peer));
	}
	CHECK(aclrtSetDevice(device));
	CHECK(aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total));
	if (uname(&uts))
		strcpy(uts.release, "unknown");
	printf("acl-vmm-bench: kernel %s, device %d, %zu MiB free of %zu MiB, %zu hugetlb pages%s\n",
	       uts.release, device, free_mem / MIB, total / MIB, hugepages,
	       quick ? ", quick run" : "");
	if (json)
		fprintf(json, "{\n  \"kernel\": \"%s\",\n  \"quick\": %s,\n  \"device_mem_mib\": %zu,\n  \"rows\": [",
			uts.release, quick ? "true" : "false", total / MIB);

	if (!quick && (only & 1U << S_CALLS))
		section_calls();
	if (only & 1U << S_MAP)
		section_map_unmap(&mu_ours, &mu_shmem, &mu_huge);
	if (only & 1U << S_GROW)
		section_grow(quick ? 64 * MIB : GIB, &g_ours, &g_shmem);
	if (only & 1U << S_LIVE)
		section_live(&l1, &lmax, &maxlive);
	if (only & 1U << S_MEMCPY)
		section_memcpy(&c_ours, &c_plain);
	if (only & 1U << S_ENGINE)
		section_engine(&eng);
	if (only & 1U << S_UNRELATED)
		section_unrelated(&busy, &idle);
	if (only & 1U << S_RDMA)
		rdma = section_rdma(&rdma_dev, &rdma_host);

	printf("\nTargets (ratios of medians measured above)\n");
	if (only & 1U << S_MAP) {
		target("map+unmap 2 MiB huge vs hugetlb memfd mmap+munmap", mu_ours, mu_huge, 1.0,
		       "map_unmap_2m: acl_vmm median us / hugetlb median us");
		target("map+unmap 2 MiB huge vs shmem 4K memfd mmap+munmap", mu_ours, mu_shmem,
		       0.2, "map_unmap_2m: acl_vmm median us / shmem median us (5x faster)");
	}
	if (only & 1U << S_GROW)
		target("grow by 2 MiB vs shmem 4K memfd path", g_ours, g_shmem, 1.0 / 3,
		       "grow: acl_vmm ms / shmem ms (3x faster)");
	if (only & 1U << S_LIVE)
		target("map+unmap with most live mappings vs with 1", lmax, l1, 1.5,
		       "live: median us at the largest N / median us at N = 1");
	if (!quick && (only & 1U << S_CALLS)) {
		target("map 64 MiB vs hugetlb memfd mmap POPULATE", calls_ours[1][OP_MAP],
		       calls_huge[1][OP_MAP], 1.0, "calls: map 64 MiB, acl_vmm / hugetlb median us");
		target("map 1 GiB vs hugetlb memfd mmap POPULATE", calls_ours[2][OP_MAP],
		       calls_huge[2][OP_MAP], 1.0, "calls: map 1 GiB, acl_vmm / hugetlb median us");
		target("unmap 64 MiB vs hugetlb munmap", calls_ours[1][OP_UNMAP],
		       calls_huge[1][OP_UNMAP], 1.0, "calls: unmap 64 MiB, acl_vmm / hugetlb median us");
		target("unmap 1 GiB vs hugetlb munmap", calls_ours[2][OP_UNMAP],
		       calls_huge[2][OP_UNMAP], 1.0, "calls: unmap 1 GiB, acl_vmm / hugetlb median us");
		for (i = 0; i < 3; i++) {
			static const char *const rel[3] = {
				"release 2 MiB vs munmap PROT_NONE", "release 64 MiB vs munmap PROT_NONE",
				"release 1 GiB vs munmap PROT_NONE",
			};

			target(rel[i], calls_ours[i][OP_RELEASE], calls_huge[i][OP_RELEASE], 1.2,
			       "calls: release, acl_vmm / munmap median us");
		}
	}
	if (only & 1U << S_UNRELATED)
		target("munmap unrelated 4 KiB, 4 streams copying vs none", busy, idle, 1.5,
		       "unrelated: munmap median us with 4 streams / with none");
	if (only & 1U << S_ENGINE) {
		target("engine H2D vs memfd pwrite", eng.h2d, eng.pwrite, 1.2,
		       "engine: async H2D median us / memfd pwrite median us");
		target("engine D2H vs memfd pread", eng.d2h, eng.pread, 1.2,
		       "engine: async D2H median us / memfd pread median us");
	}
	if (rdma)
		target("RDMA write into device memory vs into malloc memory", rdma_dev,
		       rdma_host, 1.1, "rdma: write into device memory / into malloc memory, median us");

	if (json) {
		fprintf(json, "\n  ],\n  \"max_live_mappings\": %ld,\n  \"targets\": [%s\n  ]\n}\n",
			maxlive, targets_json);
		fclose(json);
	}
	CHECK(aclrtResetDevice(device));
	if (peer >= 0)
		CHECK(aclrtResetDevice(peer));
	CHECK(aclFinalize());
	return 0;
}
