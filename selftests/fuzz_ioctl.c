// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ioctl: an ioctl fuzzer that knows acl_vmm's structures.
 *
 * Worker processes, each with threads (one of each round as the
 * unprivileged uid 65534 when run as root), call every ioctl with arguments
 * mixing what the kernel handed out (reservation and mapping addresses,
 * handle ids, shares, dma-buf descriptors, streams and events) with
 * garbage, queue copies and memsets over all of it: random sizes,
 * flags, lengths, reserved fields and command numbers. They also touch
 * reserved memory, munmap, mprotect, madvise and mremap it, fork children
 * that use the inherited descriptor, and reset their context. The parent
 * kills some workers at random moments. At the end every device must be
 * back to its usage before: nothing leaks, whatever the order of events.
 *
 *   fuzz_ioctl [SECONDS [SEED]]    (also $ACL_VMM_FUZZ_SECONDS, _SEED)
 *
 * ACL_VMM_FUZZ_SKIP=N,M,... leaves the operations numbered N, M... (the
 * cases of one_op()) out of the mix, to narrow down what a failure needs.
 *
 * The mm operations stay above mmap_min_addr: the fuzzer runs as root,
 * which may map page 0, and Linux 6.1's mprotect() of a range whose first
 * populated PMD is at address 0 starts mmu notifier invalidations it never
 * ends (change_pmd_range() takes range.start == 0 for "not started"),
 * which leaves every interval notifier user of the process, this module's
 * engine included, waiting for good (Documentation/design.rst).
 *
 * Prints "# stat: ioctls_fuzzed=N" and exits 0 when nothing leaked.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/acl_vmm.h"

#define PAGE_2M (2UL << 20)
#define POOL 32
#define MMAP_MIN_ADDR 65536UL
#define WORKERS 3
#define THREADS 3

struct pool {
	_Atomic uint64_t addr[POOL];	/* reservation or mapping starts */
	_Atomic uint64_t len[POOL];
	_Atomic uint32_t handle[POOL];
	_Atomic uint64_t share[POOL];
	_Atomic int dmabuf[POOL];
	_Atomic uint32_t stream[POOL];
	_Atomic uint32_t event[POOL];
};

static char scratch[1 << 16];
static uint64_t fuzz_skip;	/* ACL_VMM_FUZZ_SKIP: operations (case numbers) left out */

static struct pool pool;
static int ctx_fd;
static _Atomic long *counter;	/* shared with the parent */
static double deadline;
static __thread uint64_t rng;
static __thread sigjmp_buf touch_jmp;
static __thread volatile int touch_armed;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A length: mostly valid multiples of 2 MiB, sometimes garbage. */
static uint64_t any_length(void)
{
	switch (pick(8)) {
	case 0: return rnd();
	case 1: return pick(1 << 22);
	case 2: return 0;
	default: return (1 + pick(16)) * PAGE_2M;
	}
}

/* An address: from the pool, near it, or garbage. */
static uint64_t any_addr(void)
{
	uint64_t a = atomic_load(&pool.addr[pick(POOL)]);

	switch (pick(8)) {
	case 0: return rnd();
	case 1: return ACL_VMM_VA_WINDOW_START + (pick(1 << 20) << 21);
	case 2: return a + pick(8) * PAGE_2M;
	case 3: return a + pick(PAGE_2M);
	default: return a;
	}
}

static uint32_t any_handle(void)
{
	return pick(6) ? atomic_load(&pool.handle[pick(POOL)]) : (uint32_t)rnd() % 64;
}

static uint32_t any_stream(void)
{
	return pick(8) ? atomic_load(&pool.stream[pick(POOL)]) : (uint32_t)rnd() % 2048;
}

static uint32_t any_event(void)
{
	return pick(8) ? atomic_load(&pool.event[pick(POOL)]) : (uint32_t)rnd() % 128;
}

static void remember(_Atomic uint64_t *slot, uint64_t v)
{
	atomic_store(&slot[pick(POOL)], v);
}

/* Fill a struct: the right size mostly, with flags and padding garbage sometimes. */
static uint32_t any_size(uint32_t size)
{
	switch (pick(16)) {
	case 0: return 0;
	case 1: return size - 4;
	case 2: return size + 8;
	case 3: return (uint32_t)rnd();
	default: return size;
	}
}

static void touch_handler(int sig)
{
	if (touch_armed)
		siglongjmp(touch_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void touch(void)
{
	volatile char *p = (volatile char *)(uintptr_t)any_addr();

	if (!sigsetjmp(touch_jmp, 1)) {
		touch_armed = 1;
		if (pick(2))
			*p = 1;
		else
			(void)*p;
	}
	touch_armed = 0;
}

static void one_op(void)
{
	union {
		struct acl_vmm_info info;
		struct acl_vmm_device_info di;
		struct acl_vmm_reserve res;
		struct acl_vmm_release rel;
		struct acl_vmm_alloc al;
		struct acl_vmm_destroy ds;
		struct acl_vmm_map map;
		struct acl_vmm_unmap um;
		struct acl_vmm_query q;
		struct acl_vmm_attach at;
		struct acl_vmm_export ex;
		struct acl_vmm_set_pids sp;
		struct acl_vmm_import im;
		struct acl_vmm_export_dmabuf ed;
		struct acl_vmm_import_dmabuf idb;
		struct acl_vmm_stream_create sc;
		struct acl_vmm_stream_sync ss;
		struct acl_vmm_device_sync dsy;
		struct acl_vmm_copy cp;
		struct acl_vmm_memset ms;
		struct acl_vmm_event_create ec;
		struct acl_vmm_event_sync es;
		struct acl_vmm_event_record er;
		struct acl_vmm_event_wait ew;
		struct acl_vmm_event_query eq;
		struct acl_vmm_set_access sa;
		struct acl_vmm_get_access ga;
		struct acl_vmm_peer pe;
		struct acl_vmm_retain rt;
		struct acl_vmm_handle_info hi;
		char raw[128];
	} u;
	int32_t pids[4] = { getpid(), getppid(), (int32_t)rnd(), 1 };
	unsigned long req = 0;
	struct acl_vmm_access_desc descs[4];
	int ret, k = (int)pick(31);

	if (fuzz_skip & (1ULL << k))
		k = 31;	/* GET_INFO */
	char node[32];

	memset(&u, 0, sizeof(u));
	if (!pick(4))
		for (size_t i = 0; i < sizeof(u.raw); i += 8)
			*(uint64_t *)(u.raw + i) = pick(4) ? 0 : rnd();
	switch (k) {
	case 0:
		u.res.flags = pick(4) ? 0 : (pick(2) ? ACL_VMM_RESERVE_FIXED : (uint32_t)rnd());
		u.res.length = any_length();
		u.res.addr = any_addr() & ~(ACL_VMM_HUGE1G_PAGE_SIZE - 1);
		u.res.size = any_size(sizeof(u.res));
		if (!ioctl(ctx_fd, ACL_VMM_RESERVE, &u.res)) {
			int slot = (int)pick(POOL);

			atomic_store(&pool.addr[slot], u.res.addr);
			atomic_store(&pool.len[slot], u.res.length);
		}
		break;
	case 1:
		u.rel.addr = any_addr();
		req = ACL_VMM_RELEASE;
		u.rel.size = any_size(sizeof(u.rel));
		break;
	case 2:
	case 3:
		u.al.location = pick(8) ? ACL_VMM_LOCATION_DEVICE : (uint32_t)pick(6);
		u.al.location_id = pick(8) ? (uint32_t)pick(2) : (uint32_t)rnd();
		u.al.flags = pick(16) ? 0 : (uint32_t)rnd() & 3;
		u.al.length = any_length() % (256UL << 20);
		u.al.size = any_size(sizeof(u.al));
		if (!ioctl(ctx_fd, ACL_VMM_ALLOC, &u.al))
			atomic_store(&pool.handle[pick(POOL)], u.al.handle);
		break;
	case 4:
		/* Mostly handles; any id of the one table now and then. */
		u.ds.id = pick(4) ? any_handle() : pick(2) ? any_event() : (uint32_t)rnd();
		u.ds.flags = pick(8) ? 0 : (uint32_t)pick(3);	/* FORCE, or a bad flag */
		u.ds.size = any_size(sizeof(u.ds));
		req = ACL_VMM_DESTROY;
		break;
	case 5:
	case 6:
		u.map.addr = any_addr();
		u.map.length = pick(4) ? (1 + pick(4)) * PAGE_2M : any_length();
		u.map.handle = any_handle();
		u.map.offset = pick(16) ? 0 : rnd();
		u.map.flags = pick(8) ? 0 : pick(2) ? ACL_VMM_MAP_NOACCESS : (uint32_t)rnd();
		u.map.size = any_size(sizeof(u.map));
		if (!ioctl(ctx_fd, ACL_VMM_MAP, &u.map))
			remember(pool.addr, u.map.addr);
		break;
	case 7:
		u.um.addr = any_addr();
		u.um.size = any_size(sizeof(u.um));
		req = ACL_VMM_UNMAP;
		break;
	case 8:
		u.q.addr = any_addr();
		u.q.length = any_length();
		u.q.flags = pick(2) ? ACL_VMM_QUERY_RANGE : (uint32_t)pick(3);
		u.q.size = any_size(sizeof(u.q));
		req = ACL_VMM_QUERY;
		break;
	case 9:
		snprintf(node, sizeof(node), "/dev/acl_vmm%d", (int)pick(3));
		u.at.fd = pick(4) ? open(node, O_RDWR | O_CLOEXEC) : (int)pick(64) - 1;
		u.at.size = any_size(sizeof(u.at));
		ioctl(ctx_fd, ACL_VMM_ATTACH, &u.at);
		if (u.at.fd > 2)
			close(u.at.fd);
		break;
	case 10:
		u.ex.handle = any_handle();
		u.ex.flags = (uint32_t)pick(3);
		u.ex.size = any_size(sizeof(u.ex));
		if (!ioctl(ctx_fd, ACL_VMM_EXPORT, &u.ex))
			remember(pool.share, u.ex.share);
		break;
	case 11:
		u.sp.share = pick(4) ? atomic_load(&pool.share[pick(POOL)]) : rnd();
		u.sp.pids = pick(8) ? (uintptr_t)pids : rnd();
		u.sp.count = pick(8) ? 1 + (uint32_t)pick(4) : (uint32_t)rnd();
		u.sp.size = any_size(sizeof(u.sp));
		req = ACL_VMM_SET_PIDS;
		break;
	case 12:
		u.im.share = pick(4) ? atomic_load(&pool.share[pick(POOL)]) : rnd();
		u.im.device = (uint32_t)pick(3);
		u.im.size = any_size(sizeof(u.im));
		if (!ioctl(ctx_fd, ACL_VMM_IMPORT, &u.im))
			atomic_store(&pool.handle[pick(POOL)], u.im.handle);
		break;
	case 13:
		u.ed.handle = any_handle();
		u.ed.size = any_size(sizeof(u.ed));
		if (!ioctl(ctx_fd, ACL_VMM_EXPORT_DMABUF, &u.ed)) {
			int old = atomic_exchange(&pool.dmabuf[pick(POOL)], u.ed.fd);

			if (old > 2)
				close(old);
		}
		break;
	case 14:
		u.idb.fd = pick(4) ? atomic_load(&pool.dmabuf[pick(POOL)]) : (int)pick(64);
		u.idb.size = any_size(sizeof(u.idb));
		if (!ioctl(ctx_fd, ACL_VMM_IMPORT_DMABUF, &u.idb))
			atomic_store(&pool.handle[pick(POOL)], u.idb.handle);
		break;
	case 15:
		touch();
		break;
	case 16: {
		uint64_t a = any_addr(), len = pick(2) ? PAGE_2M : atomic_load(&pool.len[pick(POOL)]);

		if (a < MMAP_MIN_ADDR)	/* see the top */
			a += MMAP_MIN_ADDR;

		switch (pick(5)) {
		case 0: munmap((void *)(uintptr_t)a, len); break;
		case 1: mprotect((void *)(uintptr_t)a, len, (int)pick(8)); break;
		case 2: madvise((void *)(uintptr_t)a, len, pick(2) ? MADV_DONTNEED : MADV_DOFORK); break;
		case 3: mremap((void *)(uintptr_t)a, len, len * 2, MREMAP_MAYMOVE); break;
		default: mmap((void *)(uintptr_t)a, PAGE_2M, PROT_READ, MAP_PRIVATE |
			       MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		}
		break;
	}
	case 17:
		if (!pick(16)) {
			/* A child using the inherited descriptor, then dying. */
			pid_t pid = fork();

			if (pid == 0) {
				struct acl_vmm_reserve r = { .size = sizeof(r), .length = PAGE_2M };

				ioctl(ctx_fd, ACL_VMM_RESERVE, &r);
				if (!pick(2))
					*(volatile char *)(uintptr_t)any_addr() = 1;
				_exit(0);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		break;
	case 18:
		if (!pick(64)) {
			struct acl_vmm_reset r = { .size = sizeof(r) };

			ioctl(ctx_fd, ACL_VMM_RESET, &r);
		}
		break;
	case 19:
		/* Any command number, any type byte, any direction and size. */
		req = pick(2) ? _IO(ACL_VMM_TYPE, (unsigned long)pick(256)) : (unsigned long)rnd();
		*(uint32_t *)u.raw = (uint32_t)pick(160);
		break;
	case 21:
		u.sc.device = (uint32_t)pick(3);
		u.sc.size = any_size(sizeof(u.sc));
		if (!ioctl(ctx_fd, ACL_VMM_STREAM_CREATE, &u.sc))
			atomic_store(&pool.stream[pick(POOL)], u.sc.stream);
		break;
	case 22:
		if (pick(8))
			break;
		u.ds.id = any_stream();
		u.ds.size = any_size(sizeof(u.ds));
		req = ACL_VMM_DESTROY;
		break;
	case 23:
	case 24:
		/* Writes go to reservations or scratch; reads come from anywhere. */
		u.cp.stream = any_stream();
		u.cp.flags = pick(4) ? 0 : ACL_VMM_WORK_SYNC;
		u.cp.dst = pick(3) ? any_addr() : (uintptr_t)scratch + pick(sizeof(scratch) / 2);
		u.cp.src = pick(3) ? any_addr() : (uintptr_t)scratch + pick(sizeof(scratch) / 2);
		u.cp.length = pick(16) ? 1 + pick(sizeof(scratch) / 2) : pick(4 * PAGE_2M);
		if (k == 24) {
			uint64_t len = u.cp.length;

			/* The same head as a copy; length and value overlap src. */
			u.ms.length = len;
			u.ms.value = (uint32_t)pick(300);
			u.ms.size = any_size(sizeof(u.ms));
			req = ACL_VMM_MEMSET;
		} else {
			u.cp.size = any_size(sizeof(u.cp));
			req = ACL_VMM_COPY;
		}
		break;
	case 25:
		u.ec.size = any_size(sizeof(u.ec));
		if (!ioctl(ctx_fd, ACL_VMM_EVENT_CREATE, &u.ec))
			atomic_store(&pool.event[pick(POOL)], u.ec.event);
		break;
	case 26:
		if (pick(2)) {
			u.er.event = any_event();
			u.er.stream = any_stream();
			u.er.size = any_size(sizeof(u.er));
			req = ACL_VMM_EVENT_RECORD;
		} else {
			u.ew.stream = any_stream();
			u.ew.event = any_event();
			u.ew.size = any_size(sizeof(u.ew));
			req = ACL_VMM_EVENT_WAIT;
		}
		break;
	case 27:
		switch (pick(3)) {
		case 0:
			u.ds.id = any_event();
			u.ds.size = any_size(sizeof(u.ds));
			req = ACL_VMM_DESTROY;
			break;
		case 1:
			u.es.event = any_event();
			if (pick(2)) {
				u.es.flags = ACL_VMM_EVENT_SYNC_TIMEOUT;
				u.es.timeout_ms = pick(3);
			}
			u.es.size = any_size(sizeof(u.es));
			req = ACL_VMM_EVENT_SYNC;
			break;
		default:
			u.eq.event = any_event();
			u.eq.size = any_size(sizeof(u.eq));
			req = ACL_VMM_EVENT_QUERY;
		}
		break;
	case 28:
		if (pick(2)) {
			u.ss.stream = any_stream();
			u.ss.flags = pick(3) ? 0 : ACL_VMM_STREAM_SYNC_QUERY;
			if (!u.ss.flags && pick(2)) {
				u.ss.flags = ACL_VMM_STREAM_SYNC_TIMEOUT;
				u.ss.timeout_ms = pick(3);
			}
			u.ss.size = any_size(sizeof(u.ss));
			req = ACL_VMM_STREAM_SYNC;
		} else {
			u.dsy.device = (uint32_t)pick(3);
			u.dsy.size = any_size(sizeof(u.dsy));
			req = ACL_VMM_DEVICE_SYNC;
		}
		break;
	case 29:
		/* Rights and peers, while other threads copy and unmap. */
		switch (pick(3)) {
		case 0:
			for (size_t i = 0; i < 4; i++) {
				descs[i].device = pick(8) ? (uint32_t)pick(2) : (uint32_t)rnd();
				descs[i].access = pick(8) ? (uint32_t)pick(4) : (uint32_t)rnd();
			}
			u.sa.flags = pick(16) ? 0 : (uint32_t)rnd();
			u.sa.addr = any_addr();
			u.sa.length = pick(4) ? (1 + pick(4)) * PAGE_2M : any_length();
			u.sa.descs = pick(16) ? (uintptr_t)descs : rnd();
			u.sa.count = pick(8) ? 1 + (uint32_t)pick(4) : (uint32_t)rnd();
			u.sa.size = any_size(sizeof(u.sa));
			req = ACL_VMM_SET_ACCESS;
			break;
		case 1:
			u.ga.addr = any_addr();
			u.ga.device = (uint32_t)pick(3);
			u.ga.size = any_size(sizeof(u.ga));
			req = ACL_VMM_GET_ACCESS;
			break;
		default:
			u.pe.device = (uint32_t)pick(3);
			u.pe.peer = (uint32_t)pick(3);
			u.pe.flags = pick(8) ? (uint32_t)pick(2) : (uint32_t)rnd();
			u.pe.size = any_size(sizeof(u.pe));
			req = ACL_VMM_PEER;
		}
		break;
	case 30:
		/* Handle references and properties, streams destroyed by force. */
		switch (pick(3)) {
		case 0:
			u.rt.addr = any_addr();
			u.rt.size = any_size(sizeof(u.rt));
			req = ACL_VMM_RETAIN;
			break;
		case 1:
			u.hi.handle = any_handle();
			u.hi.size = any_size(sizeof(u.hi));
			req = ACL_VMM_HANDLE_INFO;
			break;
		default:
			u.ds.id = any_stream();
			u.ds.flags = ACL_VMM_DESTROY_FORCE;
			u.ds.size = any_size(sizeof(u.ds));
			req = ACL_VMM_DESTROY;
		}
		break;
	case 20:
		u.di.device = (uint32_t)pick(4);
		u.di.size = any_size(sizeof(u.di));
		req = pick(2) ? ACL_VMM_DEVICE_INFO : ACL_VMM_GET_TGID;
		break;
	default:
		u.info.size = any_size(sizeof(u.info));
		req = ACL_VMM_GET_INFO;
		break;
	}
	if (req) {
		/* Sometimes a pointer that is not one. */
		void *arg = pick(32) ? (void *)&u : (void *)(uintptr_t)any_addr();

		ret = ioctl(ctx_fd, req, arg);
		(void)ret;
	}
	atomic_fetch_add(counter, 1);
}

static void *thread_main(void *arg)
{
	rng = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + (uint64_t)getpid();
	while (now() < deadline)
		one_op();
	return NULL;
}

/*
 * Become the unprivileged user 65534, keeping the device nodes' group, as
 * a user of a shared node is (when run as root; else nothing changes).
 */
static void drop_privileges(void)
{
	struct stat st;
	gid_t g;

	if (getuid() != 0 || stat("/dev/acl_vmm", &st))
		return;
	g = st.st_gid;
	if (setgroups(1, &g) || setgid(65534) || setuid(65534))
		_exit(1);
}

static void worker(uint64_t seed, bool unprivileged)
{
	struct sigaction sa = { .sa_handler = touch_handler, .sa_flags = SA_NODEFER };
	pthread_t t[THREADS];
	uintptr_t i;

	if (unprivileged)
		drop_privileges();
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	ctx_fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	if (ctx_fd < 0)
		_exit(1);
	rng = seed;
	for (i = 0; i < 2; i++) {
		struct acl_vmm_attach at = { .size = sizeof(at) };
		char node[32];

		snprintf(node, sizeof(node), "/dev/acl_vmm%lu", (unsigned long)i);
		at.fd = open(node, O_RDWR | O_CLOEXEC);
		ioctl(ctx_fd, ACL_VMM_ATTACH, &at);
		close(at.fd);
	}
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, thread_main, (void *)(seed + i + 1));
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);	/* everything is left for exit to free */
}

static uint64_t used(int dev)
{
	struct acl_vmm_device_info info = { .size = sizeof(info), .device = (uint32_t)dev };
	struct acl_vmm_attach at = { .size = sizeof(at) };
	int fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	char node[32];
	uint64_t v = UINT64_MAX;

	snprintf(node, sizeof(node), "/dev/acl_vmm%d", dev);
	at.fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && at.fd >= 0 && !ioctl(fd, ACL_VMM_ATTACH, &at) &&
	    !ioctl(fd, ACL_VMM_DEVICE_INFO, &info))
		v = info.used;
	close(at.fd);
	close(fd);
	return v;
}

int main(int argc, char **argv)
{
	const char *env_s = getenv("ACL_VMM_FUZZ_SECONDS"), *env_seed = getenv("ACL_VMM_FUZZ_SEED");
	double seconds = argc > 1 ? atof(argv[1]) : env_s ? atof(env_s) : 15;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
			env_seed ? strtoull(env_seed, NULL, 0) : (uint64_t)time(NULL);
	uint64_t used0[2] = { used(0), used(1) };
	double end = now() + seconds;
	long rounds = 0, killed = 0;

	counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED)
		return 1;
	rng = seed | 1;
	for (const char *p = getenv("ACL_VMM_FUZZ_SKIP"); p && *p; p++) {
		char *e;
		long v = strtol(p, &e, 10);

		if (e != p && v >= 0 && v < 64)
			fuzz_skip |= 1ULL << v;
		p = e;
		if (!*p)
			break;
	}
	printf("# fuzz_ioctl: %.0f s, seed %#llx\n", seconds, (unsigned long long)seed);
	fflush(stdout);
	/* Rounds of workers, some killed before their end. */
	while (now() < end) {
		pid_t pids[WORKERS];
		int w;

		deadline = now() + 1 + pick(3);
		if (deadline > end)
			deadline = end;
		for (w = 0; w < WORKERS; w++) {
			pids[w] = fork();
			if (pids[w] == 0)
				/* The last worker of a round is unprivileged. */
				worker(seed + (uint64_t)rounds * 131 + (uint64_t)w * 7919,
				       w == WORKERS - 1);
		}
		usleep((useconds_t)pick(1500000));
		for (w = 0; w < WORKERS; w++) {
			if (!pick(3)) {
				kill(pids[w], SIGKILL);
				killed++;
			}
		}
		/*
		 * A worker may wait behind all the work it queued (a synchronous
		 * copy, a destroy): past its deadline, it is killed, as a
		 * supervisor would; every such wait is killable.
		 */
		for (w = 0; w < WORKERS; w++) {
			while (waitpid(pids[w], NULL, WNOHANG) == 0) {
				if (now() > deadline + 2) {
					kill(pids[w], SIGKILL);
					waitpid(pids[w], NULL, 0);
					killed++;
					break;
				}
				usleep(10000);
			}
		}
		rounds++;
	}
	printf("# stat: ioctls_fuzzed=%ld\n", atomic_load(counter));
	printf("# fuzz_ioctl: %ld rounds of %d processes x %d threads, %ld killed mid-way\n",
	       rounds, WORKERS, THREADS, killed);
	/*
	 * A process's memory goes when its mm does: after its last user, which
	 * may be the device engine finishing a window of the process's work.
	 */
	for (int i = 0; i < 2000 && (used(0) != used0[0] || used(1) != used0[1]); i++)
		usleep(10000);
	printf("# fuzz_ioctl: teardown done %.2f s after the last worker\n", now() - end);
	if (used(0) != used0[0] || used(1) != used0[1]) {
		printf("# fuzz_ioctl: device memory leaked: %llu and %llu bytes\n",
		       (unsigned long long)(used(0) - used0[0]),
		       (unsigned long long)(used(1) - used0[1]));
		return 1;
	}
	return 0;
}
