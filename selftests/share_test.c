// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing physical memory between processes (CANN's shareable handles and
 * dma-bufs), and what isolates processes and containers from each other.
 */
#include <sched.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "acl_test.h"

/* A child process, with a pipe each way. */
struct peer {
	pid_t pid;
	int to_child[2];
	int to_parent[2];
};

static void peer_start(struct peer *p, int (*fn)(struct peer *p, uint64_t arg),
		       uint64_t arg)
{
	if (pipe(p->to_child) || pipe(p->to_parent))
		abort();
	p->pid = fork();
	if (p->pid < 0)
		abort();
	if (p->pid == 0)
		_exit(fn(p, arg));
}

/* Send and receive one u64; in the child, @child is true. */
static int peer_send(struct peer *p, bool child, uint64_t v)
{
	return write(child ? p->to_parent[1] : p->to_child[1], &v, sizeof(v)) ==
	       sizeof(v) ? 0 : -1;
}

static uint64_t peer_recv(struct peer *p, bool child)
{
	uint64_t v = UINT64_MAX;

	if (read(child ? p->to_child[0] : p->to_parent[0], &v, sizeof(v)) != sizeof(v))
		return UINT64_MAX;
	return v;
}

static int peer_wait(struct peer *p)
{
	int status = -1;

	waitpid(p->pid, &status, 0);
	close(p->to_child[0]);
	close(p->to_child[1]);
	close(p->to_parent[0]);
	close(p->to_parent[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Child of the CANN sample: send our tgid, import, check, write back. */
static int sample_importer(struct peer *p, uint64_t size)
{
	aclrtDrvMemHandle h;
	int32_t tgid;
	uint64_t share;
	char *va, *buf = malloc(size);

	if (!buf || aclInit(NULL) || aclrtSetDevice(0) || aclrtDeviceGetBareTgid(&tgid))
		return 1;
	if (peer_send(p, true, (uint64_t)tgid))
		return 2;
	share = peer_recv(p, true);
	if (aclrtMemImportFromShareableHandle(share, 0, &h))
		return 3;
	if (aclrtReserveMemAddress((void **)&va, size, 0, NULL, 1) ||
	    aclrtMapMem(va, size, 0, h, 0))
		return 4;
	if (aclrtMemcpy(buf, size, va, size, ACL_MEMCPY_DEVICE_TO_HOST))
		return 5;
	if (!check_pattern(buf, size, 77))
		return 6;
	memset(buf, 0x3c, 4096);
	if (aclrtMemcpy(va + size - 4096, 4096, buf, 4096, ACL_MEMCPY_HOST_TO_DEVICE))
		return 7;
	if (peer_send(p, true, 0) || peer_recv(p, true))
		return 8;
	if (aclrtUnmapMem(va) || aclrtFreePhysical(h) || aclrtReleaseMemAddress(va))
		return 9;
	return aclFinalize() ? 10 : 0;
}

ACL_FIXTURE(share)

/* CANN's sample: export, whitelist the peer, the peer imports, maps and reads. */
TEST_F(share, cann_sample_flow)
{
	const size_t size = 4 * PAGE_2M;
	aclrtDrvMemHandle h;
	struct peer p;
	uint64_t share;
	int32_t pid;
	char *va;

	peer_start(&p, sample_importer, size);
	MALLOC_PHYS(h, size, 0);
	RESERVE(va, size);
	ASSERT_OK(aclrtMapMem(va, size, 0, h, 0));
	fill_pattern(va, size, 77);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE,
						  ACL_RT_VMM_EXPORT_FLAG_DEFAULT, &share));
	pid = (int32_t)peer_recv(&p, false);
	ASSERT_OK(aclrtMemSetPidToShareableHandle(share, &pid, 1));
	ASSERT_EQ(0, peer_send(&p, false, share));
	ASSERT_EQ(0, peer_recv(&p, false));
	/* The importer's write is in our memory. */
	EXPECT_EQ(0x3c, *(volatile char *)(va + size - 1));
	ASSERT_EQ(0, peer_send(&p, false, 0));
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(share, export_errors)
{
	aclrtPhysicalMemProp host = host_prop();
	aclrtDrvMemHandle h, hh;
	uint64_t share, again;

	MALLOC_PHYS(h, PAGE_2M, 1);
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handle",
		       aclrtMemExportToShareableHandle(NULL, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "shareableHandle",
		       aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, NULL));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "handleType",
		       aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_POSIX, 0, &share));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "flags",
		       aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 2, &share));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_HANDLE, "handle is not a live physical memory handle of",
		   aclrtMemExportToShareableHandle((aclrtDrvMemHandle)(uintptr_t)999,
						   ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	ASSERT_OK(aclrtMallocPhysical(&hh, PAGE_2M, &host, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "device memory",
		       aclrtMemExportToShareableHandle(hh, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	/* The exporting device in bits 39..32; the rest is opaque. */
	EXPECT_EQ(1, (share >> 32) & 0xff);
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "already exported",
		       aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 1, &again));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtFreePhysical(hh));
}

static int idle_child(struct peer *p, uint64_t arg)
{
	(void)arg;
	peer_recv(p, true);
	return 0;
}

static int try_set_pid(struct peer *p, uint64_t share)
{
	int32_t me = getpid();

	(void)p;
	if (aclInit(NULL))
		return 1;
	return aclrtMemSetPidToShareableHandle(share, &me, 1) ==
	       ACL_ERROR_RT_DRV_INTERNAL_ERROR ? 0 : 2;
}

TEST_F(share, set_pid_errors)
{
	static int32_t many[ACL_VMM_SHARE_MAX_PIDS + 1];
	int32_t me = getpid(), nobody = 0x3ffffff0;
	aclrtDrvMemHandle h;
	struct peer p;
	uint64_t share;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "pid",
		       aclrtMemSetPidToShareableHandle(share, NULL, 1));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "pidNum",
		       aclrtMemSetPidToShareableHandle(share, &me, 0));
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = me;
	EXPECT_ACL_MSG(ACL_ERROR_RT_OVER_LIMIT, "65535",
		       aclrtMemSetPidToShareableHandle(share, many, ACL_VMM_SHARE_MAX_PIDS + 1));
	EXPECT_OK(aclrtMemSetPidToShareableHandle(share, many, ACL_VMM_SHARE_MAX_PIDS));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "share",
		       aclrtMemSetPidToShareableHandle(share + 1000, &me, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "no process",
		       aclrtMemSetPidToShareableHandle(share, &nobody, 1));
	/* Only the exporter may whitelist. */
	peer_start(&p, try_set_pid, share);
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtFreePhysical(h));
}

/* A child that tries to import @share and returns the ACL code. */
static int try_import(struct peer *p, uint64_t share)
{
	aclrtDrvMemHandle h;
	aclError ret;

	(void)p;
	if (aclInit(NULL))
		return 100;
	ret = aclrtMemImportFromShareableHandle(share, 0, &h);
	switch (ret) {
	case ACL_SUCCESS: return 0;
	case ACL_ERROR_RT_DRV_INTERNAL_ERROR: return 1;
	case ACL_ERROR_RT_INVALID_HANDLE: return 2;
	case ACL_ERROR_RT_INVALID_DEVICEID: return 4;
	default: return 3;
	}
}

/* try_import() as the unprivileged user, a member of the nodes' group. */
static int import_as_nobody(struct peer *p, uint64_t share)
{
	return drop_privileges(true) ? 101 : try_import(p, share);
}

/* Whitelisted child: import twice on device 0 (refused), once on device 1. */
static int import_twice(struct peer *p, uint64_t share)
{
	aclrtDrvMemHandle a, b, c;
	int32_t tgid;

	if (aclInit(NULL) || aclrtDeviceGetBareTgid(&tgid) || peer_send(p, true, tgid))
		return 1;
	share = peer_recv(p, true);
	if (aclrtMemImportFromShareableHandle(share, 0, &a))
		return 2;
	if (aclrtMemImportFromShareableHandle(share, 0, &b) != ACL_ERROR_RT_INVALID_HANDLE)
		return 3;
	if (aclrtMemImportFromShareableHandle(share, 1, &c))
		return 4;
	if (aclrtMemImportFromShareableHandle(share, 2, &c) != ACL_ERROR_RT_INVALID_DEVICEID)
		return 5;
	if (aclrtMemImportFromShareableHandle(share, 0, NULL) != ACL_ERROR_INVALID_PARAM)
		return 6;
	/* Once freed, the same device may import again. */
	if (aclrtFreePhysical(a) || aclrtMemImportFromShareableHandle(share, 0, &b))
		return 7;
	return aclFinalize() ? 8 : 0;
}

TEST_F(share, import_refusals)
{
	aclrtDrvMemHandle h, mine;
	uint64_t share;
	struct peer p;
	int32_t pid;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	/* Not whitelisted. */
	peer_start(&p, try_import, share);
	EXPECT_EQ(1, peer_wait(&p));
	/* The exporting process itself. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "exporting process",
		       aclrtMemImportFromShareableHandle(share, 0, &mine));
	/* Forged values: the same answer as a refusal. */
	peer_start(&p, try_import, share + 1);
	EXPECT_EQ(1, peer_wait(&p));
	peer_start(&p, try_import, share ^ (1ULL << 32));
	EXPECT_EQ(1, peer_wait(&p));
	peer_start(&p, try_import, share | (1ULL << 50));
	EXPECT_EQ(1, peer_wait(&p));
	/* Whitelisted: twice on one device is refused, other devices are fine. */
	peer_start(&p, import_twice, 0);
	pid = (int32_t)peer_recv(&p, false);
	ASSERT_OK(aclrtMemSetPidToShareableHandle(share, &pid, 1));
	ASSERT_EQ(0, peer_send(&p, false, share));
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtFreePhysical(h));
}

TEST_F(share, disable_pid_validation)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	struct peer p;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE,
						  ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION,
						  &share));
	peer_start(&p, try_import, share);
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtFreePhysical(h));
}

/* Once every holder freed it, the share is gone. */
TEST_F(share, gone_after_last_holder)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	struct peer p;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE,
						  ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION,
						  &share));
	ASSERT_OK(aclrtFreePhysical(h));
	peer_start(&p, try_import, share);
	EXPECT_EQ(1, peer_wait(&p));
}

/*
 * An exporter child that allocates, fills, exports for its parent and
 * dies at @step: 0 after exporting, 1 after whitelisting, 2 after the
 * parent imported.
 */
/*
 * In an exporter child: 4 MiB of device 0, mapped, filled from @seed and
 * exported. Returns 0 or the step that failed.
 */
static int export_filled(uint64_t seed, uint64_t *share)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h;
	char *va;

	if (aclInit(NULL) || aclrtMallocPhysical(&h, 2 * PAGE_2M, &prop, 0) ||
	    aclrtReserveMemAddress((void **)&va, 2 * PAGE_2M, 0, NULL, 0) ||
	    aclrtMapMem(va, 2 * PAGE_2M, 0, h, 0))
		return 1;
	fill_pattern(va, 2 * PAGE_2M, seed);
	return aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, share) ? 2 : 0;
}

static int dying_exporter(struct peer *p, uint64_t step)
{
	int32_t parent = getppid();
	uint64_t share;
	int ret = export_filled(555, &share);

	if (ret)
		return ret;
	if (step >= 1 && aclrtMemSetPidToShareableHandle(share, &parent, 1))
		return 3;
	if (peer_send(p, true, share))
		return 4;
	if (step >= 2)
		peer_recv(p, true);	/* the parent imported */
	raise(SIGKILL);
	return 5;
}

static void exporter_dies(struct __test_metadata *_metadata, int step)
{
	uint64_t used0 = device_used_raw(0), share;
	aclrtDrvMemHandle h = NULL;
	struct peer p;
	char *va;

	peer_start(&p, dying_exporter, step);
	share = peer_recv(&p, false);
	ASSERT_NE(UINT64_MAX, share);
	if (step >= 2) {
		ASSERT_OK(aclrtMemImportFromShareableHandle(share, 0, &h));
		ASSERT_EQ(0, peer_send(&p, false, 0));
	}
	EXPECT_EQ(128 + SIGKILL, peer_wait(&p));
	if (step < 2) {
		/* Dead exporter, no other holder: nothing left to import. */
		EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "unknown, freed by every holder, or not",
			   aclrtMemImportFromShareableHandle(share, 0, &h));
		EXPECT_EQ(used0, device_used_raw(0));
		return;
	}
	/* The importer keeps the memory, and the exporter's data, alive. */
	EXPECT_EQ(used0 + 2 * PAGE_2M, device_used_raw(0));
	RESERVE(va, 2 * PAGE_2M);
	ASSERT_OK(aclrtMapMem(va, 2 * PAGE_2M, 0, h, 0));
	EXPECT_TRUE(check_pattern(va, 2 * PAGE_2M, 555));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_EQ(used0, device_used_raw(0));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

TEST_F(share, exporter_dies_after_export)
{
	exporter_dies(_metadata, 0);
}

TEST_F(share, exporter_dies_after_whitelist)
{
	exporter_dies(_metadata, 1);
}

TEST_F(share, exporter_dies_after_import)
{
	exporter_dies(_metadata, 2);
}

/* An importer that waits for the share, imports it and checks the data. */
static int late_importer(struct peer *p, uint64_t arg)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	char *va;

	(void)arg;
	if (aclInit(NULL))
		return 1;
	share = peer_recv(p, true);
	if (aclrtMemImportFromShareableHandle(share, 0, &h) ||
	    aclrtReserveMemAddress((void **)&va, 2 * PAGE_2M, 0, NULL, 0) ||
	    aclrtMapMem(va, 2 * PAGE_2M, 0, h, 0))
		return 2;
	return check_pattern(va, 2 * PAGE_2M, 999) ? 0 : 3;
}

/* An exporter that whitelists its parent and process @late, then dies. */
static int whitelisting_exporter(struct peer *p, uint64_t late)
{
	int32_t pids[2] = { getppid(), (int32_t)late };
	uint64_t share;
	int ret = export_filled(999, &share);

	if (ret)
		return ret;
	if (aclrtMemSetPidToShareableHandle(share, pids, 2) || peer_send(p, true, share))
		return 3;
	peer_recv(p, true);
	_exit(0);
}

/* A whitelisted process imports after the exporter exited, while a holder lives. */
TEST_F(share, import_after_exporter_exit)
{
	uint64_t used0 = device_used_raw(0), share;
	struct peer exporter, late;
	aclrtDrvMemHandle h;

	peer_start(&late, late_importer, 0);
	peer_start(&exporter, whitelisting_exporter, late.pid);
	share = peer_recv(&exporter, false);
	ASSERT_OK(aclrtMemImportFromShareableHandle(share, 0, &h));
	ASSERT_EQ(0, peer_send(&exporter, false, 0));
	EXPECT_EQ(0, peer_wait(&exporter));
	ASSERT_EQ(0, peer_send(&late, false, share));
	EXPECT_EQ(0, peer_wait(&late));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_EQ(used0, device_used_raw(0));
}

/* Whitelisted children, many at once, all see and write the same memory. */
static int many_importer(struct peer *p, uint64_t index)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	char *va;

	if (aclInit(NULL))
		return 1;
	share = peer_recv(p, true);
	if (aclrtMemImportFromShareableHandle(share, 0, &h) ||
	    aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0) ||
	    aclrtMapMem(va, PAGE_2M, 0, h, 0))
		return 2;
	if (va[0] != 0x11)
		return 3;
	va[4096 * (index + 1)] = (char)(index + 1);
	return aclFinalize() ? 4 : 0;
}

TEST_F(share, many_importers)
{
	enum { N = 12 };
	struct peer p[N];
	int32_t pids[N];
	aclrtDrvMemHandle h;
	uint64_t share;
	char *va;
	int i;

	MALLOC_PHYS(h, PAGE_2M, 0);
	RESERVE(va, PAGE_2M);
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	va[0] = 0x11;
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	for (i = 0; i < N; i++) {
		peer_start(&p[i], many_importer, i);
		pids[i] = p[i].pid;
	}
	ASSERT_OK(aclrtMemSetPidToShareableHandle(share, pids, N));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, peer_send(&p[i], false, share));
	for (i = 0; i < N; i++)
		EXPECT_EQ(0, peer_wait(&p[i]));
	for (i = 0; i < N; i++)
		EXPECT_EQ(i + 1, *(volatile char *)(va + 4096 * (i + 1)));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* A process reusing a whitelisted process's id is not whitelisted. */
TEST_F(share, pid_reuse)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	struct peer a, b;
	char last[16];
	int fd;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	peer_start(&a, idle_child, 0);
	ASSERT_OK(aclrtMemSetPidToShareableHandle(share, &a.pid, 1));
	peer_send(&a, false, 0);
	EXPECT_EQ(0, peer_wait(&a));
	/* The next fork takes a's id again. */
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "cannot set ns_last_pid");
	snprintf(last, sizeof(last), "%d", a.pid - 1);
	ASSERT_EQ((ssize_t)strlen(last), write(fd, last, strlen(last)));
	close(fd);
	peer_start(&b, try_import, share);
	if (b.pid != a.pid) {
		peer_wait(&b);
		SKIP(return, "the pid %d was not reused (got %d)", a.pid, b.pid);
	}
	EXPECT_EQ(1, peer_wait(&b));
	EXPECT_OK(aclrtFreePhysical(h));
}

/*
 * In a new pid namespace (a container), getpid() is 1 but the bare tgid is
 * the id the host sees: whitelisting it lets the contained process import.
 */
static int contained_importer(struct peer *p, uint64_t arg)
{
	aclrtDrvMemHandle h;
	int32_t tgid;

	(void)arg;
	if (getpid() != 1)
		return 1;
	if (aclInit(NULL) || aclrtDeviceGetBareTgid(&tgid) || tgid == 1)
		return 2;
	if (peer_send(p, true, (uint64_t)tgid))
		return 3;
	if (aclrtMemImportFromShareableHandle(peer_recv(p, true), 0, &h))
		return 4;
	return 0;
}

TEST_F(share, pid_namespace)
{
	aclrtDrvMemHandle h;
	uint64_t share;
	struct peer p;
	int32_t tgid;

	MALLOC_PHYS(h, PAGE_2M, 0);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	if (unshare(CLONE_NEWPID))
		SKIP(return, "no pid namespaces: %s", strerror(errno));
	peer_start(&p, contained_importer, 0);
	tgid = (int32_t)peer_recv(&p, false);
	EXPECT_EQ(p.pid, tgid);
	ASSERT_OK(aclrtMemSetPidToShareableHandle(share, &tgid, 1));
	ASSERT_EQ(0, peer_send(&p, false, share));
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtFreePhysical(h));
}

TEST_F(share, bare_tgid)
{
	int32_t tgid = 0;

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "pid is NULL", aclrtDeviceGetBareTgid(NULL));
	EXPECT_OK(aclrtDeviceGetBareTgid(&tgid));
	EXPECT_EQ(getpid(), tgid);
}

/* What an unprivileged stranger probes with: a refused, a gone, a made-up share. */
static uint64_t probes[3];

/*
 * The stranger: every probe gets 507899 and the same rule in its message,
 * so that it cannot tell a share that exists from one that does not.
 */
static int probe_alike(struct peer *p, uint64_t arg)
{
	char first[512] = "";
	aclrtDrvMemHandle h;
	const char *msg;
	int i;

	(void)p;
	(void)arg;
	if (drop_privileges(true) || aclInit(NULL))
		return 100;
	for (i = 0; i < 3; i++) {
		if (aclrtMemImportFromShareableHandle(probes[i], 0, &h) !=
		    ACL_ERROR_RT_DRV_INTERNAL_ERROR)
			return 1 + i;
		msg = aclGetRecentErrMsg();
		msg = msg ? strstr(msg, "deviceId=0: ") : NULL;
		if (!msg)
			return 10 + i;
		if (!i)
			snprintf(first, sizeof(first), "%s", msg);
		else if (strcmp(first, msg))
			return 20 + i;
	}
	return 0;
}

/*
 * A share value is a capability: the device in bits 39..32, the other 56
 * bits random (not a counter: neighbours are far apart, and bits 63..40 are
 * used), and a stranger learns nothing from probing.
 */
TEST_F(share, values_are_capabilities)
{
	enum { N = 16 };
	const uint64_t dev_bits = 0xffULL << 32;
	aclrtDrvMemHandle h[N];
	uint64_t v[N], high = 0, d;
	struct peer p;
	int i, j;

	for (i = 0; i < N; i++) {
		MALLOC_PHYS(h[i], PAGE_2M, i & 1);
		ASSERT_OK(aclrtMemExportToShareableHandle(h[i], ACL_MEM_HANDLE_TYPE_NONE,
							  0, &v[i]));
		EXPECT_EQ((uint64_t)(i & 1), (v[i] >> 32) & 0xff);
		high |= v[i] >> 40;
	}
	EXPECT_NE(0, high);
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++) {
			d = (v[i] & ~dev_bits) > (v[j] & ~dev_bits) ?
			    (v[i] & ~dev_bits) - (v[j] & ~dev_bits) :
			    (v[j] & ~dev_bits) - (v[i] & ~dev_bits);
			EXPECT_LT(1ULL << 20, d);
		}
	/* Refused (never whitelisted), gone (freed by its only holder), made up. */
	probes[0] = v[0];
	probes[1] = v[N - 2];
	ASSERT_OK(aclrtFreePhysical(h[N - 2]));
	probes[2] = v[0] ^ (1ULL << 45);
	peer_start(&p, probe_alike, 0);
	EXPECT_EQ(0, peer_wait(&p));
	for (i = 0; i < N; i++)
		if (i != N - 2)
			EXPECT_OK(aclrtFreePhysical(h[i]));
}

/*
 * Importing reaches the memory's own device: a process that cannot open
 * that device's node cannot import its memory, even for a device it has
 * (107001); with the node, the import works.
 */
TEST_F(share, import_needs_the_memory_device_node)
{
	aclrtDrvMemHandle h;
	struct stat st;
	uint64_t share;
	struct peer p;

	if (getuid() != 0)
		SKIP(return, "needs root to change the node's mode");
	MALLOC_PHYS(h, PAGE_2M, 1);
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE,
						  ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION,
						  &share));
	ASSERT_EQ(0, stat("/dev/acl_vmm1", &st));
	ASSERT_EQ(0, chmod("/dev/acl_vmm1", 0600));
	peer_start(&p, import_as_nobody, share);
	EXPECT_EQ(4, peer_wait(&p));
	ASSERT_EQ(0, chmod("/dev/acl_vmm1", st.st_mode & 07777));
	peer_start(&p, import_as_nobody, share);
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_OK(aclrtFreePhysical(h));
}


static char ipc_key_for_stranger[65];

/* Keys travel as 65-byte strings. */
static int key_send(struct peer *p, bool child, const char *key)
{
	char buf[65] = { 0 };

	snprintf(buf, sizeof(buf), "%s", key);
	return write(child ? p->to_parent[1] : p->to_child[1], buf, sizeof(buf)) ==
	       sizeof(buf) ? 0 : -1;
}

static int key_recv(struct peer *p, bool child, char *key)
{
	return read(child ? p->to_child[0] : p->to_parent[0], key, 65) == 65 ? 0 : -1;
}

/*
 * The importer of ipc_keys: imports both keys of one allocation (one
 * mapping, the second key's pages inside the first's), checks and writes
 * through them, closes them; after the exporter closed its key, a new
 * import is refused.
 */
static int ipc_importer(struct peer *p, uint64_t size)
{
	char key_half[65], key_all[65], buf[64];
	char *half, *all;
	int32_t tgid;

	if (aclInit(NULL) || aclrtSetDevice(0) || aclrtDeviceGetBareTgid(&tgid))
		return 1;
	if (peer_send(p, true, (uint64_t)tgid) || key_recv(p, true, key_half) ||
	    key_recv(p, true, key_all))
		return 2;
	if (aclrtIpcMemImportByKey((void **)&half, key_half, 0))
		return 3;
	if (aclrtIpcMemImportByKey((void **)&all, key_all,
				   ACL_RT_IPC_MEM_IMPORT_FLAG_ENABLE_PEER_ACCESS))
		return 4;
	if (half != all + size / 2)
		return 5;
	if (aclrtMemcpy(buf, sizeof(buf), half, sizeof(buf), ACL_MEMCPY_DEVICE_TO_HOST) ||
	    buf[0] != 0x21 || buf[63] != 0x21)
		return 6;
	if (aclrtMemset(all, size, 0x42, 4096))	/* the exporter sees it */
		return 7;
	if (aclrtIpcMemClose(key_half) || aclrtIpcMemClose(key_all))
		return 8;
	/* Closed: the mapping is gone. */
	if (aclrtMemcpy(buf, sizeof(buf), all, sizeof(buf), ACL_MEMCPY_DEVICE_TO_HOST) !=
	    ACL_ERROR_RT_PARAM_INVALID)
		return 9;
	if (aclrtIpcMemClose(key_all) != ACL_ERROR_RT_PARAM_INVALID)
		return 10;
	if (peer_send(p, true, 0) || peer_recv(p, true) != 1)
		return 11;
	/* The exporter closed its key: no further import. */
	if (aclrtIpcMemImportByKey((void **)&all, key_all, 0) != ACL_ERROR_RT_DRV_INTERNAL_ERROR)
		return 12;
	return aclFinalize() ? 13 : 0;
}

/* A process not whitelisted: refused as an unknown key is. */
static int ipc_stranger(void)
{
	char *va;

	if (aclInit(NULL) || aclrtSetDevice(0))
		return 100;
	return aclrtIpcMemImportByKey((void **)&va, ipc_key_for_stranger, 0) ==
	       ACL_ERROR_RT_DRV_INTERNAL_ERROR ? 0 : 1;
}

TEST_F(share, ipc_keys)
{
	const size_t size = 2 * PAGE_2M;
	char key_half[65], key_all[65], small[64];
	struct peer p;
	int32_t pid;
	char *dev;

	peer_start(&p, ipc_importer, size);
	ASSERT_OK(aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_ONLY));
	ASSERT_OK(aclrtMemset(dev, size, 0x21, size));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "len=64",
		       aclrtIpcMemGetExportKey(dev, size, small, sizeof(small), 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "whole pages",
		       aclrtIpcMemGetExportKey(dev + 4096, PAGE_2M, key_half, 65, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "one mapped allocation",
		       aclrtIpcMemGetExportKey(dev, 2 * size, key_half, 65, 0));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "devPtr is NULL",
		       aclrtIpcMemGetExportKey(NULL, size, key_half, 65, 0));
	ASSERT_OK(aclrtIpcMemGetExportKey(dev + PAGE_2M, PAGE_2M, key_half, 65, 0));
	ASSERT_OK(aclrtIpcMemGetExportKey(dev, size, key_all, 65, 0));
	EXPECT_GT(65, (int)strlen(key_all));
	EXPECT_NE(0, strcmp(key_half, key_all));
	pid = (int32_t)peer_recv(&p, false);
	ASSERT_OK(aclrtIpcMemSetImportPid(key_all, &pid, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "is not an IPC key made by",
		       aclrtIpcMemSetImportPid("acl-vmm:zz", &pid, 1));
	ASSERT_EQ(0, key_send(&p, false, key_half));
	ASSERT_EQ(0, key_send(&p, false, key_all));
	ASSERT_EQ(0, peer_recv(&p, false));
	EXPECT_EQ(0x42, *(volatile char *)dev);
	/* Someone else, not whitelisted, is refused. */
	memcpy(ipc_key_for_stranger, key_all, sizeof(key_all));
	EXPECT_EQ(0, run_child(ipc_stranger));
	/* The exporter closes: no new import, the memory stays ours. */
	ASSERT_OK(aclrtIpcMemClose(key_all));
	ASSERT_EQ(0, peer_send(&p, false, 1));
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_EQ(0x21, *(volatile char *)(dev + size - 1));
	/* A closed export can be made again. */
	ASSERT_OK(aclrtIpcMemGetExportKey(dev, size, key_all, 65, 0));
	EXPECT_OK(aclrtFree(dev));
}

/* An exporter that sends a key anyone may import, then waits or exits. */
static int ipc_open_exporter(struct peer *p, uint64_t size)
{
	char key[65];
	char *dev;

	if (aclInit(NULL) || aclrtSetDevice(0) ||
	    aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_ONLY) ||
	    aclrtMemset(dev, size, 0x77, size) ||
	    aclrtIpcMemGetExportKey(dev, size, key, sizeof(key),
				    ACL_RT_IPC_MEM_EXPORT_FLAG_DISABLE_PID_VALIDATION))
		return 1;
	if (key_send(p, true, key) || peer_recv(p, true) != 1)
		return 2;
	return 0;	/* exits: its memory goes with it */
}

/*
 * DISABLE_PID_VALIDATION: any process imports the key; when the exporter
 * exits and nobody holds the memory, the key is gone (507899).
 */
TEST_F(share, ipc_key_without_pid_and_exporter_exit)
{
	char key[65], buf[8];
	struct peer p;
	char *va;

	peer_start(&p, ipc_open_exporter, PAGE_2M);
	ASSERT_EQ(0, key_recv(&p, false, key));
	ASSERT_OK(aclrtIpcMemImportByKey((void **)&va, key, 0));
	ASSERT_OK(aclrtMemcpy(buf, sizeof(buf), va, sizeof(buf), ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_EQ(0x77, buf[7]);
	ASSERT_OK(aclrtIpcMemClose(key));
	ASSERT_EQ(0, peer_send(&p, false, 1));
	EXPECT_EQ(0, peer_wait(&p));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DRV_INTERNAL_ERROR, "unknown, freed by every holder, or not",
		       aclrtIpcMemImportByKey((void **)&va, key, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not an IPC key",
		       aclrtIpcMemImportByKey((void **)&va, "acl-vmm:12:0", 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "must be ACL_RT_IPC_MEM_IMPORT_FLAG_DEFAULT or",
		   aclrtIpcMemImportByKey((void **)&va, key, 0x10));
}

TEST_HARNESS_MAIN
