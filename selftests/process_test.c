// SPDX-License-Identifier: GPL-2.0
/*
 * Behaviour across processes, threads and capacity: running out of device
 * memory and coming back, processes that die holding memory, fork, and
 * threads mapping and unmapping at once.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "acl_test.h"

ACL_FIXTURE(proc)

/* Exhaust the device with 2 MiB handles: 207001, and the same free figure after. */
TEST_F(proc, capacity_exhaustion)
{
	size_t free0 = device_free(0), n = 0, max = free0 / PAGE_2M + 1;
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle *h = calloc(max, sizeof(*h));
	aclError ret;

	ASSERT_NE(NULL, h);
	while ((ret = aclrtMallocPhysical(&h[n], PAGE_2M, &prop, 0)) == ACL_SUCCESS)
		ASSERT_LT(++n, max);
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the device has not size bytes left (nothing was",
		       ret);
	EXPECT_EQ(free0 / PAGE_2M, n);
	EXPECT_EQ(0, device_free(0));
	/* Freeing one makes room for exactly one. */
	EXPECT_OK(aclrtFreePhysical(h[--n]));
	EXPECT_OK(aclrtMallocPhysical(&h[n++], PAGE_2M, &prop, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the device has not size bytes left (nothing was",
		       aclrtMallocPhysical(&h[n], PAGE_2M, &prop, 0));
	while (n)
		EXPECT_OK(aclrtFreePhysical(h[--n]));
	EXPECT_EQ(free0, device_free(0));
	/* Everything fits again. */
	EXPECT_OK(aclrtMallocPhysical(&h[0], free0, &prop, 0));
	EXPECT_OK(aclrtFreePhysical(h[0]));
	free(h);
}

/* Capacity is shared by every process: another's allocation counts. */
TEST_F(proc, capacity_shared_between_processes)
{
	size_t free0 = device_free(1);
	int to_parent[2], to_child[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		aclrtPhysicalMemProp prop = device_prop(1, ACL_HBM_MEM_HUGE);
		aclrtDrvMemHandle h;

		if (aclInit(NULL) || aclrtMallocPhysical(&h, 8 * PAGE_2M, &prop, 0))
			_exit(1);
		if (write(to_parent[1], "x", 1) != 1)
			_exit(2);
		if (read(to_child[0], &c, 1) != 1)	/* wait for the parent */
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ(free0 - 8 * PAGE_2M, device_free(1));
	ASSERT_EQ(1, write(to_child[1], "y", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(free0, device_free(1));
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/*
 * A child that holds reservations, mappings (touched), freed-but-mapped
 * handles and unmapped handles, then dies at @step.
 */
static void child_work(int step, int sync_fd)
{
	aclrtDrvMemHandle h[4];
	char *va, *dev;
	int i;

	if (aclInit(NULL) || aclrtSetDevice(0))
		_exit(1);
	if (step == 0)
		abort();
	if (aclrtReserveMemAddress((void **)&va, 16 * PAGE_2M, 0, NULL, 1))
		_exit(2);
	for (i = 0; i < 4; i++) {
		aclrtPhysicalMemProp prop = device_prop(i & 1, ACL_HBM_MEM_HUGE);

		if (aclrtMallocPhysical(&h[i], 2 * PAGE_2M, &prop, 0))
			_exit(3);
	}
	if (step == 1)
		raise(SIGKILL);
	if (aclrtMapMem(va, 2 * PAGE_2M, 0, h[0], 0) ||
	    aclrtMapMem(va + 4 * PAGE_2M, 2 * PAGE_2M, 0, h[2], 0) ||
	    aclrtMapMem(va + 8 * PAGE_2M, 2 * PAGE_2M, 0, h[0], 0))
		_exit(4);
	memset(va, 1, 2 * PAGE_2M);
	memset(va + 4 * PAGE_2M, 2, PAGE_2M);
	if (aclrtFreePhysical(h[0]))
		_exit(5);
	if (aclrtMalloc((void **)&dev, 3 * MIB, ACL_MEM_MALLOC_HUGE_FIRST))
		_exit(6);
	if (step == 2)
		*(volatile char *)(va + 12 * PAGE_2M) = 1;	/* SIGBUS */
	if (step == 3) {
		if (write(sync_fd, "r", 1) != 1)
			_exit(7);
		pause();	/* the parent kills us */
	}
	_exit(0);		/* step 4: exit without any cleanup */
}

static void run_dying_child(struct __test_metadata *_metadata, int step,
			    int expect_sig)
{
	uint64_t used0 = device_used_raw(0), used1 = device_used_raw(1);
	int pipefd[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		child_work(step, pipefd[1]);
	if (step == 3) {
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		EXPECT_NE(used0, device_used_raw(0));
		kill(pid, SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (expect_sig) {
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(expect_sig, WTERMSIG(status));
	} else {
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("child status %#x", status);
		}
	}
	EXPECT_EQ(used0, device_used_raw(0));
	EXPECT_EQ(used1, device_used_raw(1));
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(proc, child_aborts_after_init)
{
	run_dying_child(_metadata, 0, SIGABRT);
}

TEST_F(proc, child_killed_holding_handles)
{
	run_dying_child(_metadata, 1, SIGKILL);
}

TEST_F(proc, child_faults_holding_mappings)
{
	run_dying_child(_metadata, 2, SIGBUS);
}

TEST_F(proc, child_killed_by_parent_holding_mappings)
{
	run_dying_child(_metadata, 3, SIGKILL);
}

TEST_F(proc, child_exits_without_cleanup)
{
	run_dying_child(_metadata, 4, 0);
}

/* A forked child sees nothing of its parent's device memory. */
TEST_F(proc, fork_child_sees_nothing)
{
	aclrtDrvMemHandle h;
	int status;
	char *va;
	pid_t pid;

	RESERVE(va, 2 * PAGE_2M);
	MALLOC_PHYS(h, 2 * PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(va, 2 * PAGE_2M, 0, h, 0));
	memset(va, 0x77, 2 * PAGE_2M);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(probe_access(va, false) == SIGSEGV ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent's mapping is untouched. */
	EXPECT_EQ(0x77, va[PAGE_2M]);
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

struct worker {
	char *base;		/* the worker's own slots */
	int slots;
	int iterations;
	int device;
	atomic_int *errors;
	char msg[256];
};

static void *map_unmap_worker(void *arg)
{
	struct worker *w = arg;
	aclrtPhysicalMemProp prop = device_prop(w->device, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h[8];
	int i, s;

	for (s = 0; s < w->slots; s++) {
		if (aclrtMallocPhysical(&h[s], PAGE_2M, &prop, 0))
			goto fail;
	}
	for (i = 0; i < w->iterations; i++) {
		for (s = 0; s < w->slots; s++) {
			char *p = w->base + s * PAGE_2M;
			/* Map each handle at a rotating slot: handles move around. */
			aclrtDrvMemHandle hh = h[(s + i) % w->slots];

			if (aclrtMapMem(p, PAGE_2M, 0, hh, 0))
				goto fail;
			if (i && *(volatile uint64_t *)p != (uint64_t)(uintptr_t)hh) {
				snprintf(w->msg, sizeof(w->msg), "handle %p lost its data", hh);
				atomic_fetch_add(w->errors, 1);
				return NULL;
			}
			*(volatile uint64_t *)p = (uint64_t)(uintptr_t)hh;
		}
		for (s = 0; s < w->slots; s++)
			if (aclrtUnmapMem(w->base + s * PAGE_2M))
				goto fail;
	}
	for (s = 0; s < w->slots; s++)
		if (aclrtFreePhysical(h[s]))
			goto fail;
	return NULL;
fail:
	snprintf(w->msg, sizeof(w->msg), "%s", acl_msg());
	atomic_fetch_add(w->errors, 1);
	return NULL;
}

/* Threads map and unmap concurrently inside one shared reservation. */
TEST_F(proc, threads_map_unmap_concurrently)
{
	enum { THREADS = 8, SLOTS = 4 };
	struct worker w[THREADS];
	pthread_t t[THREADS];
	atomic_int errors = 0;
	size_t free0 = device_free(0);
	char *va;
	int i;

	RESERVE(va, THREADS * SLOTS * PAGE_2M);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .base = va + i * SLOTS * PAGE_2M,
					.slots = SLOTS, .iterations = 200,
					.device = 0, .errors = &errors };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, map_unmap_worker, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].msg[0]) {
			TH_LOG("thread %d: %s", i, w[i].msg);
		}
	}
	printf("# stat: race_loops=%d\n", THREADS * 200);
	fflush(stdout);
	EXPECT_EQ(0, errors);
	EXPECT_EQ(free0, device_free(0));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

struct racer {
	char *va;
	atomic_int stop;
	long faults, reads;
};

static void *touch_loop(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(&r->stop)) {
		if (probe_access(r->va + (r->reads % 512) * 4096, false))
			r->faults++;
		r->reads++;
	}
	return NULL;
}

/* CPU access from other threads while one maps and unmaps: no crash, no stale page. */
TEST_F(proc, unmap_races_cpu_access)
{
	struct racer r = { 0 };
	size_t free0 = device_free(0);
	aclrtDrvMemHandle h;
	pthread_t t[2];
	int i;

	RESERVE(r.va, PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 0);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, touch_loop, &r));
	for (i = 0; i < 300; i++) {
		ASSERT_OK(aclrtMapMem(r.va, PAGE_2M, 0, h, 0));
		ASSERT_OK(aclrtUnmapMem(r.va));
	}
	atomic_store(&r.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("# stat: race_loops=300\n");
	fflush(stdout);
	EXPECT_GT(r.faults, 0);
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(r.va));
	EXPECT_EQ(free0, device_free(0));
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = -1;

	if (fd >= 0) {
		ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
		close(fd);
	}
	return ret;
}

static long read_long(const char *path)
{
	long value = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &value) != 1)
			value = -1;
		fclose(f);
	}
	return value;
}

static long read_key(const char *path, const char *key)
{
	char line[128];
	long value = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ')
			value = atol(line + strlen(key) + 1);
	fclose(f);
	return value;
}

/*
 * A fresh memory cgroup at @cg limited to @max; false where there is no
 * writable cgroup2 hierarchy with the memory controller.
 */
static bool memcg_create(const char *cg, const char *max)
{
	char path[128];

	if (access("/sys/fs/cgroup/cgroup.subtree_control", W_OK) ||
	    write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		return false;
	rmdir(cg);
	if (mkdir(cg, 0755))
		return false;
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	return !write_file(path, max);
}

/* Move the calling process into cgroup @cg; 0 or -1. */
static int memcg_enter(const char *cg)
{
	char path[128], pid[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(path, pid);
}

/*
 * Physical memory is charged to the allocating process's memory cgroup;
 * over its limit the allocation fails with 207001 and the OOM killer
 * is never invoked.
 */
TEST_F(proc, memcg_charged_no_oom_kill)
{
	const char *cg = "/sys/fs/cgroup/acl-vmm-test";
	char path[128];
	int status;
	pid_t pid;

	if (!memcg_create(cg, "96M"))
		SKIP(return, "no writable cgroup2 hierarchy with the memory controller");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
		aclrtDrvMemHandle h, big;
		long before, after;

		if (memcg_enter(cg))
			_exit(10);
		if (aclInit(NULL))
			_exit(11);
		snprintf(path, sizeof(path), "%s/memory.current", cg);
		before = read_long(path);
		if (before < 0)
			_exit(12);
		if (aclrtMallocPhysical(&h, 16 * PAGE_2M, &prop, 0))
			_exit(13);
		after = read_long(path);
		if (after - before < 16 * (long)PAGE_2M)
			_exit(15);	/* not charged */
		if (aclrtMallocPhysical(&big, 64 * PAGE_2M, &prop, 0) !=
		    ACL_ERROR_RT_MEMORY_ALLOCATION)
			_exit(16);
		if (aclrtFreePhysical(h) || aclFinalize())
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status %#x", status);
	}
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	EXPECT_EQ(0, read_key(path, "oom_kill"));
	EXPECT_GT(read_key(path, "max"), 0);
	EXPECT_EQ(0, rmdir(cg));
}

struct release_race {
	char *want;
	aclrtDrvMemHandle h;
	atomic_int stop;
	long maps, releases;
};

static void *map_loop(void *arg)
{
	struct release_race *r = arg;

	while (!atomic_load(&r->stop)) {
		if (aclrtMapMem(r->want + PAGE_2M, PAGE_2M, 0, r->h, 0) == ACL_SUCCESS) {
			r->maps++;
			*(volatile char *)(r->want + PAGE_2M) = 1;
			aclrtUnmapMem(r->want + PAGE_2M);
		}
	}
	return NULL;
}

/* Release (and reserve again) racing map and unmap of the same range. */
TEST_F(proc, release_races_map)
{
	struct release_race r = { .want = (char *)(WINDOW_START + 50 * GIB) };
	size_t free0 = device_free(0);
	double end;
	pthread_t t;
	void *got;
	aclError ret;

	MALLOC_PHYS(r.h, PAGE_2M, 0);
	ASSERT_OK(aclrtReserveMemAddress(&got, 4 * PAGE_2M, 0, r.want, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, map_loop, &r));
	for (end = time(NULL) + 2; time(NULL) < end;) {
		ret = aclrtReleaseMemAddress(r.want);
		if (ret == ACL_SUCCESS) {
			r.releases++;
			/* Mapping into the released range fails until it is back. */
			while (aclrtReserveMemAddress(&got, 4 * PAGE_2M, 0, r.want, 0))
				;
		} else {
			EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "the reservation still holds mappings; unmap",
				       ret);
		}
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	printf("# stat: race_loops=%ld\n", r.maps + r.releases);
	fflush(stdout);
	TH_LOG("%ld maps, %ld releases", r.maps, r.releases);
	EXPECT_GT(r.releases, 0);
	EXPECT_OK(aclrtFreePhysical(r.h));
	EXPECT_OK(aclrtReleaseMemAddress(r.want));
	EXPECT_EQ(free0, device_free(0));
}

/*
 * Mapping under memory pressure: a child in a small memory cgroup maps and
 * unmaps while its own anonymous memory fills the cgroup. Allocations fail
 * with 207001, and nothing is OOM-killed or leaked.
 */
TEST_F(proc, memcg_pressure_while_mapping)
{
	const char *cg = "/sys/fs/cgroup/acl-vmm-pressure";
	uint64_t used0 = device_used_raw(0);
	char path[128];
	int status;
	pid_t pid;

	if (!memcg_create(cg, "48M"))
		SKIP(return, "no writable cgroup2 hierarchy with the memory controller");
	snprintf(path, sizeof(path), "%s/memory.swap.max", cg);
	write_file(path, "0");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
		int ok = 0, refused = 0, i;
		aclrtDrvMemHandle h;
		char *va, *hog;

		if (memcg_enter(cg) || aclInit(NULL) ||
		    aclrtReserveMemAddress((void **)&va, 8 * PAGE_2M, 0, NULL, 0))
			_exit(10);
		hog = malloc(44 << 20);
		if (!hog)
			_exit(11);
		for (i = 0; i < 200; i++) {
			/* Up to 42 MiB of the 48: an 8 MiB handle fits, or not. */
			memset(hog, i, (size_t)(i % 22) << 21);
			aclError ret = aclrtMallocPhysical(&h, 4 * PAGE_2M, &prop, 0);

			if (ret == ACL_ERROR_RT_MEMORY_ALLOCATION) {
				refused++;
				continue;
			}
			if (ret || aclrtMapMem(va, 4 * PAGE_2M, 0, h, 0))
				_exit(12);
			memset(va, 1, 4 * PAGE_2M);
			if (aclrtUnmapMem(va) || aclrtFreePhysical(h))
				_exit(13);
			ok++;
		}
		printf("# stat: race_loops=%d\n", ok + refused);
	fflush(stdout);
		printf("# %d mapped, %d refused with 207001\n", ok, refused);
		fflush(stdout);
		_exit(ok && refused ? 0 : 14);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status %#x", status);
	}
	snprintf(path, sizeof(path), "%s/memory.events", cg);
	EXPECT_EQ(0, read_key(path, "oom_kill"));
	EXPECT_EQ(0, rmdir(cg));
	EXPECT_EQ(used0, device_used_raw(0));
}

/* Many mappings live at once, then torn down by aclFinalize (teardown). */
TEST_F(proc, many_live_mappings)
{
	enum { N = 2000 };
	aclrtDrvMemHandle h;
	char *va;
	int i;

	RESERVE(va, (size_t)N * PAGE_2M);
	MALLOC_PHYS(h, PAGE_2M, 1);
	for (i = 0; i < N; i++)
		ASSERT_OK(aclrtMapMem(va + (size_t)i * PAGE_2M, PAGE_2M, 0, h, 0));
	va[(size_t)(N - 1) * PAGE_2M] = 5;
	EXPECT_EQ(5, va[0]);
	ASSERT_OK(aclrtFreePhysical(h));
}

TEST_HARNESS_MAIN
