// SPDX-License-Identifier: GPL-2.0
/*
 * Device memory registered with an RDMA device (soft-RoCE, rdma_rxe, in the
 * VM: tools/rxe-setup) and written and read by RDMA over its loopback:
 * VMM mappings, aclrtMalloc memory, the mmap of an exported dma-buf; and
 * what a registration does to the memory's life: it outlives an unmap, a
 * free keeps the device's capacity charged (held) until the registration
 * goes, and a process that exits or is killed with registrations leaves
 * nothing behind. Skipped without an active RDMA device.
 */
#include <sys/resource.h>

#include "acl_test.h"
#include "rdma_loop.h"

#define SZ (4 * MIB)

FIXTURE(rdma) {
	struct rdma_loop l;
	unsigned long long used0[2];
	char *host;
	char *check;
	struct ibv_mr *host_mr;
};

FIXTURE_SETUP(rdma)
{
	int ret = rdma_loop_open(&self->l);

	if (ret == -ENODEV)
		SKIP(return, "%s", self->l.err);
	ASSERT_EQ(0, ret) TH_LOG("%s", self->l.err);
	self->used0[0] = device_attr(0, "used");
	self->used0[1] = device_attr(1, "used");
	self->host = aligned_alloc(4096, SZ);
	self->check = aligned_alloc(4096, SZ);
	ASSERT_TRUE(self->host && self->check);
	self->host_mr = rdma_loop_reg(&self->l, self->host, SZ);
	ASSERT_NE(NULL, self->host_mr) TH_LOG("%s", self->l.err);
	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(0));
}

FIXTURE_TEARDOWN(rdma)
{
	if (!self->l.ctx)
		return;
	if (self->host_mr)
		ibv_dereg_mr(self->host_mr);
	rdma_loop_close(&self->l);
	free(self->host);
	free(self->check);
	EXPECT_OK(aclFinalize());
	EXPECT_TRUE(device_settles(0, self->used0[0]));
	EXPECT_TRUE(device_settles(1, self->used0[1]));
}

/*
 * The tests' VMM buffer: SZ bytes of device 0 reserved, allocated, mapped
 * and registered with @l. NULL on failure, with nothing left.
 */
static struct ibv_mr *vmm_buffer(struct rdma_loop *l, aclrtDrvMemHandle *h, void **va)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	struct ibv_mr *mr;

	if (aclrtMallocPhysical(h, SZ, &prop, 0))
		return NULL;
	if (aclrtReserveMemAddress(va, SZ, 0, NULL, 0))
		goto err_free;
	if (aclrtMapMem(*va, SZ, 0, *h, 0))
		goto err_release;
	mr = rdma_loop_reg(l, *va, SZ);
	if (mr)
		return mr;
	aclrtUnmapMem(*va);
err_release:
	aclrtReleaseMemAddress(*va);
err_free:
	aclrtFreePhysical(*h);
	return NULL;
}

/* RDMA-write host memory into @dev (@len bytes), then read it back. */
static void write_and_read(struct __test_metadata *_metadata,
			   FIXTURE_DATA(rdma) *self, void *dev, struct ibv_mr *mr,
			   uint64_t seed)
{
	struct rdma_loop *l = &self->l;

	/* Host to device by RDMA write; the device's contents by aclrtMemcpy. */
	fill_pattern(self->host, SZ, seed);
	ASSERT_EQ(0, rdma_loop_xfer(l, IBV_WR_RDMA_WRITE, self->host_mr, self->host,
				    mr, dev, SZ)) TH_LOG("%s", l->err);
	memset(self->check, 0, SZ);
	ASSERT_OK(aclrtMemcpy(self->check, SZ, dev, SZ, ACL_MEMCPY_DEVICE_TO_HOST));
	ASSERT_EQ(0, memcmp(self->check, self->host, SZ));

	/* Device (written by aclrtMemcpy) to host by RDMA read. */
	fill_pattern(self->check, SZ, seed + 1);
	ASSERT_OK(aclrtMemcpy(dev, SZ, self->check, SZ, ACL_MEMCPY_HOST_TO_DEVICE));
	memset(self->host, 0, SZ);
	ASSERT_EQ(0, rdma_loop_xfer(l, IBV_WR_RDMA_READ, self->host_mr, self->host,
				    mr, dev, SZ)) TH_LOG("%s", l->err);
	ASSERT_EQ(0, memcmp(self->check, self->host, SZ));
}

/* A VMM mapping: reserve, allocate, map, register; write and read it. */
TEST_F(rdma, vmm_mapping)
{
	aclrtDrvMemHandle h;
	struct ibv_mr *mr;
	void *va;

	mr = vmm_buffer(&self->l, &h, &va);
	ASSERT_NE(NULL, mr) TH_LOG("%s", self->l.err);
	write_and_read(_metadata, self, va, mr, 11);
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtReleaseMemAddress(va));
	ASSERT_OK(aclrtFreePhysical(h));
}

/* aclrtMalloc memory, as allocators of older CANN programs get it. */
TEST_F(rdma, malloc_memory)
{
	struct ibv_mr *mr;
	void *dev;

	ASSERT_OK(aclrtMalloc(&dev, SZ, ACL_MEM_MALLOC_HUGE_FIRST));
	mr = rdma_loop_reg(&self->l, dev, SZ);
	ASSERT_NE(NULL, mr) TH_LOG("%s", self->l.err);
	write_and_read(_metadata, self, dev, mr, 21);
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_OK(aclrtFree(dev));
}

/* One device's memory straight into another's, both registered. */
TEST_F(rdma, device_to_device)
{
	struct ibv_mr *mr0, *mr1;
	aclrtDrvMemHandle h;
	void *va, *dev1;

	mr0 = vmm_buffer(&self->l, &h, &va);
	ASSERT_NE(NULL, mr0) TH_LOG("%s", self->l.err);
	fill_pattern(self->host, SZ, 31);
	ASSERT_OK(aclrtMemcpy(va, SZ, self->host, SZ, ACL_MEMCPY_HOST_TO_DEVICE));
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtMalloc(&dev1, SZ, ACL_MEM_MALLOC_HUGE_FIRST));
	mr1 = rdma_loop_reg(&self->l, dev1, SZ);
	ASSERT_TRUE(mr0 && mr1) TH_LOG("%s", self->l.err);
	ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_WRITE, mr0, va, mr1, dev1, SZ))
		TH_LOG("%s", self->l.err);
	ASSERT_OK(aclrtMemcpy(self->check, SZ, dev1, SZ, ACL_MEMCPY_DEVICE_TO_HOST));
	ASSERT_EQ(0, memcmp(self->check, self->host, SZ));
	ASSERT_EQ(0, ibv_dereg_mr(mr0));
	ASSERT_EQ(0, ibv_dereg_mr(mr1));
	ASSERT_OK(aclrtFree(dev1));
	ASSERT_OK(aclrtSetDevice(0));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtReleaseMemAddress(va));
	ASSERT_OK(aclrtFreePhysical(h));
}

/*
 * An exported dma-buf: registering its mmap works (ibv_reg_mr pins the
 * pages the dma-buf's mapping shows) and RDMA lands in the handle's
 * memory. Registering the dma-buf itself (ibv_reg_dmabuf_mr) needs a
 * provider with dma-buf support, which rxe is not: that path is tried and
 * exercised only where it is offered.
 */
TEST_F(rdma, dmabuf_mmap)
{
	struct ibv_mr *mr, *dmr;
	uint64_t va = 0;
	uint32_t handle;
	int fd, dfd;
	char *map;

	fd = acl_vmm_raw_open(NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attach_device(fd, 0));
	ASSERT_EQ(0, acl_vmm_raw_alloc(fd, ACL_VMM_LOCATION_DEVICE, 0, SZ, 0, &handle));
	ASSERT_EQ(0, acl_vmm_raw_reserve(fd, SZ, 0, &va));
	ASSERT_EQ(0, acl_vmm_raw_map(fd, va, SZ, handle));
	ASSERT_EQ(0, acl_vmm_raw_export_dmabuf(fd, handle, &dfd));
	map = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, map);

	mr = rdma_loop_reg(&self->l, map, SZ);
	ASSERT_NE(NULL, mr) TH_LOG("%s", self->l.err);
	fill_pattern(self->host, SZ, 41);
	ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_WRITE, self->host_mr, self->host,
				    mr, map, SZ)) TH_LOG("%s", self->l.err);
	/* The same memory through the handle's own mapping (a CPU address). */
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)va, self->host, SZ));
	ASSERT_EQ(0, ibv_dereg_mr(mr));

	dmr = ibv_reg_dmabuf_mr(self->l.pd, 0, SZ, 0, dfd, IBV_ACCESS_LOCAL_WRITE |
				IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!dmr) {
		ASSERT_EQ(EOPNOTSUPP, errno);
		TH_LOG("ibv_reg_dmabuf_mr on %s: %s (no dma-buf registration in this provider)",
		       self->l.name, strerror(errno));
	} else {
		fill_pattern(self->host, SZ, 42);
		ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_WRITE, self->host_mr,
					    self->host, dmr, NULL, SZ)) TH_LOG("%s", self->l.err);
		ASSERT_EQ(0, memcmp(map, self->host, SZ));
		ASSERT_EQ(0, ibv_dereg_mr(dmr));
	}
	ASSERT_EQ(0, munmap(map, SZ));
	close(dfd);
	ASSERT_EQ(0, acl_vmm_raw_reset(fd));
	close(fd);
}

/*
 * A registration pins physical memory, not addresses: after an unmap the
 * region still reaches the handle's pages, and mapping the handle again
 * shows what RDMA wrote meanwhile.
 */
TEST_F(rdma, unmap_while_registered)
{
	aclrtDrvMemHandle h;
	struct ibv_mr *mr;
	void *va;

	mr = vmm_buffer(&self->l, &h, &va);
	ASSERT_NE(NULL, mr) TH_LOG("%s", self->l.err);
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_TRUE(probe_access((volatile char *)va, false));
	fill_pattern(self->host, SZ, 51);
	ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_WRITE, self->host_mr, self->host,
				    mr, va, SZ)) TH_LOG("%s", self->l.err);
	ASSERT_OK(aclrtMapMem(va, SZ, 0, h, 0));
	ASSERT_OK(aclrtMemcpy(self->check, SZ, va, SZ, ACL_MEMCPY_DEVICE_TO_HOST));
	ASSERT_EQ(0, memcmp(self->check, self->host, SZ));
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtReleaseMemAddress(va));
	ASSERT_OK(aclrtFreePhysical(h));
}

/*
 * Freeing memory a registration holds succeeds, but the device's capacity
 * does not come back: the pages are still written by RDMA (into memory
 * nobody else can be given), shown as held, and return at ibv_dereg_mr.
 * For a VMM handle and for aclrtMalloc memory.
 */
TEST_F(rdma, free_while_registered_keeps_capacity)
{
	unsigned long long used;
	struct ibv_mr *mr, *mr2;
	aclrtDrvMemHandle h;
	void *va, *dev;

	used = device_attr(0, "used");
	mr = vmm_buffer(&self->l, &h, &va);
	ASSERT_OK(aclrtMalloc(&dev, SZ, ACL_MEM_MALLOC_HUGE_FIRST));
	mr2 = rdma_loop_reg(&self->l, dev, SZ);
	ASSERT_TRUE(mr && mr2) TH_LOG("%s", self->l.err);
	ASSERT_EQ(used + 2 * SZ, device_attr(0, "used"));

	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtReleaseMemAddress(va));
	ASSERT_OK(aclrtFreePhysical(h));
	ASSERT_OK(aclrtFree(dev));
	EXPECT_EQ(used + 2 * SZ, device_attr(0, "used"));
	EXPECT_EQ(2 * SZ, device_attr(0, "held"));
	/* Still a working region: RDMA into the orphaned pages completes. */
	fill_pattern(self->host, SZ, 61);
	ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_WRITE, self->host_mr, self->host,
				    mr, va, SZ)) TH_LOG("%s", self->l.err);
	ASSERT_EQ(0, rdma_loop_xfer(&self->l, IBV_WR_RDMA_READ, self->host_mr, self->host,
				    mr2, dev, SZ)) TH_LOG("%s", self->l.err);
	sleep(2);	/* the held pages' periodic check runs: nothing to return */
	EXPECT_EQ(2 * SZ, device_attr(0, "held"));

	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_EQ(0, ibv_dereg_mr(mr2));
	EXPECT_TRUE(device_settles(0, used));
}

/*
 * As NOBODY, with the uverbs nodes open to all as rdma-core's udev rule
 * makes them: registering device memory is charged to the RDMA stack's
 * pinned_vm against RLIMIT_MEMLOCK (a 4 MiB region is refused under a
 * 2 MiB limit, taken under 8 MiB), and a free under a registration keeps
 * the device's capacity held until ibv_dereg_mr, as for root.
 */
static int nobody_child(void)
{
	struct rlimit lim = { 2 * MIB, 8 * MIB };
	unsigned long long used = device_attr(0, "used");
	struct ibv_mr *mr;
	aclrtDrvMemHandle h;
	struct rdma_loop l;
	void *va;

	if (setrlimit(RLIMIT_MEMLOCK, &lim) || drop_privileges(true))
		return 100;
	if (rdma_loop_open(&l) || aclInit(NULL) || aclrtSetDevice(0))
		return 101;
	if (vmm_buffer(&l, &h, &va) || !strstr(l.err, strerror(ENOMEM)))
		return 1;	/* over RLIMIT_MEMLOCK: refused, nothing left */
	if (device_attr(0, "used") != used)
		return 2;
	lim.rlim_cur = 8 * MIB;
	if (setrlimit(RLIMIT_MEMLOCK, &lim))
		return 3;
	mr = vmm_buffer(&l, &h, &va);
	if (!mr)
		return 4;
	if (aclrtUnmapMem(va) || aclrtReleaseMemAddress(va) || aclrtFreePhysical(h))
		return 5;
	if (device_attr(0, "used") != used + SZ || device_attr(0, "held") != SZ)
		return 6;
	if (ibv_dereg_mr(mr) || !device_settles(0, used))
		return 7;
	rdma_loop_close(&l);
	return aclFinalize() ? 8 : 0;
}

TEST_F(rdma, registration_as_nobody)
{
	char path[64];
	int i, n = 0;

	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/infiniband/uverbs%d", i);
		n += !chmod(path, 0666);
	}
	ASSERT_LT(0, n);
	EXPECT_EQ(0, run_child(nobody_child));
}

/*
 * A process holding registrations of device memory, and memory in flight,
 * that exits without cleaning up, or is killed: once it is gone, the
 * device's usage is back where it was, nothing held.
 */
static int registered_child(bool kill_self)
{
	struct rdma_loop l;
	aclrtDrvMemHandle h;
	void *va, *dev;
	char *host;
	struct ibv_mr *mr, *mr2, *hmr;

	if (rdma_loop_open(&l) || aclInit(NULL) || aclrtSetDevice(0))
		return 100;
	host = aligned_alloc(4096, SZ);
	if (!host || aclrtMalloc(&dev, SZ, ACL_MEM_MALLOC_HUGE_FIRST))
		return 1;
	mr = vmm_buffer(&l, &h, &va);
	mr2 = rdma_loop_reg(&l, dev, SZ);
	hmr = rdma_loop_reg(&l, host, SZ);
	if (!mr || !mr2 || !hmr)
		return 2;
	if (rdma_loop_xfer(&l, IBV_WR_RDMA_WRITE, mr, va, mr2, dev, SZ))
		return 3;
	if (kill_self)
		raise(SIGKILL);
	_exit(0);
}

static int exits_registered(void)
{
	return registered_child(false);
}

static int killed_registered(void)
{
	return registered_child(true);
}

TEST_F(rdma, exit_while_registered)
{
	EXPECT_EQ(0, run_child(exits_registered));
	EXPECT_TRUE(device_settles(0, self->used0[0]));
	EXPECT_EQ(128 + SIGKILL, run_child(killed_registered));
	EXPECT_TRUE(device_settles(0, self->used0[0]));
}

TEST_HARNESS_MAIN
