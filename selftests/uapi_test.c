// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of /dev/acl_vmm, used raw, as a hostile caller would:
 * unknown commands, sizes, flags and reserved fields, another process's
 * file, and the process's own mmap, munmap, mprotect, mremap and madvise
 * over reservations.
 */
#include <pthread.h>

#include "acl_test.h"

FIXTURE(uapi) {
	int fd;
	uint64_t used0;
};

FIXTURE_SETUP(uapi)
{
	self->used0 = device_used_raw(0);
	self->fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, attach_device(self->fd, 0));
	ASSERT_EQ(0, attach_device(self->fd, 1));
}

FIXTURE_TEARDOWN(uapi)
{
	struct acl_vmm_reset reset = { .size = sizeof(reset) };

	EXPECT_EQ(0, ioctl(self->fd, ACL_VMM_RESET, &reset));
	close(self->fd);
	EXPECT_EQ(self->used0, device_used_raw(0));
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static uint64_t reserve(int fd, uint64_t length)
{
	struct acl_vmm_reserve r = { .size = sizeof(r), .length = length };

	return xioctl(fd, ACL_VMM_RESERVE, &r) ? 0 : r.addr;
}

static uint32_t alloc(int fd, uint64_t length)
{
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = length,
				   .location = ACL_VMM_LOCATION_DEVICE };

	return xioctl(fd, ACL_VMM_ALLOC, &a) ? 0 : a.handle;
}

static int map(int fd, uint64_t addr, uint64_t length, uint32_t handle)
{
	struct acl_vmm_map m = { .size = sizeof(m), .addr = addr,
				 .length = length, .handle = handle };

	return xioctl(fd, ACL_VMM_MAP, &m);
}

static int unmap(int fd, uint64_t addr)
{
	struct acl_vmm_unmap u = { .size = sizeof(u), .addr = addr };

	return xioctl(fd, ACL_VMM_UNMAP, &u);
}

static int release(int fd, uint64_t addr)
{
	struct acl_vmm_release r = { .size = sizeof(r), .addr = addr };

	return xioctl(fd, ACL_VMM_RELEASE, &r);
}

static int destroy(int fd, uint32_t id)
{
	struct acl_vmm_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, ACL_VMM_DESTROY, &d);
}

TEST_F(uapi, unknown_commands)
{
	char buf[64] = { 0 };

	*(uint32_t *)buf = sizeof(buf);
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(ACL_VMM_TYPE, ACL_VMM_CMD_BASE - 1), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(ACL_VMM_TYPE, ACL_VMM_CMD_HANDLE_INFO + 1), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(ACL_VMM_TYPE, 0xff), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO('X', ACL_VMM_CMD_GET_INFO), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOR(ACL_VMM_TYPE, ACL_VMM_CMD_GET_INFO, int), buf));
}

TEST_F(uapi, struct_sizes)
{
	struct {
		struct acl_vmm_info info;
		uint64_t tail;
	} big = { .info = { .size = sizeof(big) } };
	struct acl_vmm_info info = { .size = sizeof(info) };

	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	EXPECT_EQ(2, info.num_devices);
	EXPECT_EQ(ACL_VMM_VA_WINDOW_START, info.va_start);
	EXPECT_EQ(PAGE_2M, info.page_size);
	EXPECT_EQ(ACL_VMM_ABI_VERSION, info.abi_version);
	EXPECT_EQ(ACL_VMM_CAP_CORE | ACL_VMM_CAP_SHARE | ACL_VMM_CAP_DMABUF |
		  ACL_VMM_CAP_STREAMS | ACL_VMM_CAP_SHARE_HARDENED |
		  ACL_VMM_CAP_DEVICE_MMU | ACL_VMM_CAP_HANDLE_REFS |
		  ACL_VMM_CAP_STREAM_CONTROL | ACL_VMM_CAP_SHARE_CLOSE |
		  ACL_VMM_CAP_SYNC_TIMEOUT, info.caps);
	/* A caller of the size before the version and caps gets no more. */
	memset(&info, 0xff, sizeof(info));
	info.size = offsetof(struct acl_vmm_info, abi_version);
	info.flags = 0;
	info.__reserved = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	EXPECT_EQ(PAGE_2M, info.page_size);
	EXPECT_EQ(0xffffffffU, info.abi_version);
	info.size = sizeof(info);
	info.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	/* Too small for the mandatory part. */
	info.size = offsetof(struct acl_vmm_info, huge1g_page_size);
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	info.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	/* Larger than the kernel knows: fine while the tail is zero. */
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_GET_INFO, &big));
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->fd, ACL_VMM_GET_INFO, &big));
	/* A bad pointer. */
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_GET_INFO, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_GET_INFO, NULL));
}

TEST_F(uapi, flags_and_reserved_fields)
{
	struct acl_vmm_info info = { .size = sizeof(info), .flags = 1 };
	struct acl_vmm_device_info di = { .size = sizeof(di), .__reserved = 1 };
	struct acl_vmm_reserve r = { .size = sizeof(r), .length = PAGE_2M, .flags = 1 << 7 };
	struct acl_vmm_release rel = { .size = sizeof(rel), .flags = 1 };
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = PAGE_2M,
				   .location = ACL_VMM_LOCATION_DEVICE, .flags = 2 };
	struct acl_vmm_destroy f = { .size = sizeof(f), .id = 1, .__reserved = 1 };
	struct acl_vmm_map m = { .size = sizeof(m), .length = PAGE_2M, .handle = 1,
				 .__reserved = 1 };
	struct acl_vmm_unmap u = { .size = sizeof(u), .flags = 1 };
	struct acl_vmm_query q = { .size = sizeof(q), .flags = 1 << 1 };
	struct acl_vmm_reset reset = { .size = sizeof(reset), .flags = 1 };

	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_GET_INFO, &info));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_DEVICE_INFO, &di));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_RESERVE, &r));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_RELEASE, &rel));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_DESTROY, &f));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_MAP, &m));
	m.__reserved = 0;
	m.offset = PAGE_2M;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_MAP, &m));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_UNMAP, &u));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_QUERY, &q));
	/* An out member must come in zeroed. */
	q.flags = 0;
	q.result = ACL_VMM_QUERY_MAPPED;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_QUERY, &q));
	a.flags = 0;
	a.handle = 7;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_RESET, &reset));
	/* Nothing was allocated by any of them. */
	EXPECT_EQ(self->used0, device_used_raw(0));
}

TEST_F(uapi, bad_values)
{
	struct acl_vmm_device_info di = { .size = sizeof(di), .device = 2 };
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = PAGE_2M,
				   .location = ACL_VMM_LOCATION_DEVICE, .location_id = 2 };
	struct acl_vmm_reserve r = { .size = sizeof(r), .length = ~0ULL & ~(PAGE_2M - 1) };
	struct acl_vmm_query q = { .size = sizeof(q), .flags = ACL_VMM_QUERY_RANGE,
				   .addr = ~0ULL - 10, .length = 100 };
	uint64_t va;

	EXPECT_EQ(-ENODEV, xioctl(self->fd, ACL_VMM_DEVICE_INFO, &di));
	EXPECT_EQ(-ENODEV, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	a.location_id = 0;
	a.location = 3;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	a.location = ACL_VMM_LOCATION_DEVICE;
	a.length = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	a.length = ~0ULL & ~(PAGE_2M - 1);
	EXPECT_EQ(-ENOMEM, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	EXPECT_EQ(-ENOMEM, xioctl(self->fd, ACL_VMM_RESERVE, &r));
	r.length = 4096;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_RESERVE, &r));
	r.length = PAGE_2M;
	r.flags = ACL_VMM_RESERVE_FIXED;
	r.addr = ~0ULL & ~(GIB - 1);
	EXPECT_EQ(-ERANGE, xioctl(self->fd, ACL_VMM_RESERVE, &r));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_QUERY, &q));
	va = reserve(self->fd, 2 * PAGE_2M);
	ASSERT_NE(0, va);
	/* addr + length wraps around. */
	EXPECT_EQ(-EINVAL, map(self->fd, va, ~0ULL - va + 1 + PAGE_2M, 1));
	EXPECT_EQ(-ENOENT, map(self->fd, va, PAGE_2M, 0));
	EXPECT_EQ(-ENOENT, map(self->fd, va, PAGE_2M, 0xffffffff));
	EXPECT_EQ(-ENOENT, destroy(self->fd, 0));
	EXPECT_EQ(0, release(self->fd, va));
}

/* A context uses only the devices it attached, through their nodes. */
TEST_F(uapi, attach)
{
	struct acl_vmm_device_info di = { .size = sizeof(di), .device = 0 };
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = PAGE_2M,
				   .location = ACL_VMM_LOCATION_DEVICE };
	struct acl_vmm_attach at = { .size = sizeof(at) };
	int fd2 = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd2, 0);
	EXPECT_EQ(-ENODEV, xioctl(fd2, ACL_VMM_DEVICE_INFO, &di));
	EXPECT_EQ(-ENODEV, xioctl(fd2, ACL_VMM_ALLOC, &a));
	at.fd = -1;
	EXPECT_EQ(-EBADF, xioctl(fd2, ACL_VMM_ATTACH, &at));
	at.fd = null;
	EXPECT_EQ(-EINVAL, xioctl(fd2, ACL_VMM_ATTACH, &at));
	at.fd = self->fd;	/* the control node is not a device node */
	EXPECT_EQ(-EINVAL, xioctl(fd2, ACL_VMM_ATTACH, &at));
	at.fd = open("/dev/acl_vmm1", O_RDWR | O_CLOEXEC);
	ASSERT_GE(at.fd, 0);
	EXPECT_EQ(0, xioctl(fd2, ACL_VMM_ATTACH, &at));
	EXPECT_EQ(1, at.device);
	close(at.fd);
	/* Device 1 now, still not device 0. */
	EXPECT_EQ(-ENODEV, xioctl(fd2, ACL_VMM_ALLOC, &a));
	a.location_id = 1;
	EXPECT_EQ(0, xioctl(fd2, ACL_VMM_ALLOC, &a));
	di.device = 1;
	EXPECT_EQ(0, xioctl(fd2, ACL_VMM_DEVICE_INFO, &di));
	EXPECT_GE(di.used, PAGE_2M);
	close(null);
	close(fd2);
}

/* Only the process that opened the file may use it. */
TEST_F(uapi, other_process_refused)
{
	uint64_t va = reserve(self->fd, PAGE_2M);
	int status;
	pid_t pid;

	ASSERT_NE(0, va);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct acl_vmm_info info = { .size = sizeof(info) };

		if (xioctl(self->fd, ACL_VMM_GET_INFO, &info) != -EPERM)
			_exit(1);
		if (release(self->fd, va) != -EPERM)
			_exit(2);
		if (reserve(self->fd, PAGE_2M))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, release(self->fd, va));
}

/* A user's own mmap() of the device is refused. */
TEST_F(uapi, user_mmap_refused)
{
	void *p = mmap(NULL, PAGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	p = mmap((void *)(WINDOW_START + GIB), PAGE_2M, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, self->fd, WINDOW_START + GIB);
	EXPECT_EQ(MAP_FAILED, p);
}

/*
 * Mapping into a reservation the process made read-only, or inaccessible,
 * populates it only as its protection allows (a write fault there is a bug
 * mm warns about, which the VM's dmesg check would catch).
 */
TEST_F(uapi, map_into_protected_reservation)
{
	uint64_t va = reserve(self->fd, 2 * PAGE_2M);
	uint32_t h1 = alloc(self->fd, PAGE_2M), h2 = alloc(self->fd, PAGE_2M);

	ASSERT_NE(0, va);
	ASSERT_EQ(0, mprotect((void *)va, 2 * PAGE_2M, PROT_READ));
	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h1));
	EXPECT_EQ(0, *(volatile char *)(va + 4096));
	ASSERT_EQ(0, mprotect((void *)va, 2 * PAGE_2M, PROT_NONE));
	ASSERT_EQ(0, map(self->fd, va + PAGE_2M, PAGE_2M, h2));
	ASSERT_EQ(0, mprotect((void *)va, 2 * PAGE_2M, PROT_READ | PROT_WRITE));
	memset((void *)va, 7, 2 * PAGE_2M);
	EXPECT_EQ(7, *(volatile char *)(va + 2 * PAGE_2M - 1));
	EXPECT_EQ(0, unmap(self->fd, va));
	EXPECT_EQ(0, unmap(self->fd, va + PAGE_2M));
	EXPECT_EQ(0, release(self->fd, va));
	EXPECT_EQ(0, destroy(self->fd, h1));
	EXPECT_EQ(0, destroy(self->fd, h2));
}

/* A reservation cannot be split, moved or grown by the process. */
TEST_F(uapi, reservation_not_split)
{
	uint64_t va = reserve(self->fd, 4 * PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);
	void *p;

	ASSERT_NE(0, va);
	ASSERT_NE(0, h);
	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h));
	memset((void *)va, 3, PAGE_2M);
	EXPECT_EQ(-1, munmap((void *)(va + PAGE_2M), PAGE_2M));
	EXPECT_EQ(-1, mprotect((void *)va, PAGE_2M, PROT_READ));
	p = mremap((void *)va, 4 * PAGE_2M, 8 * PAGE_2M, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	p = mremap((void *)va, 4 * PAGE_2M, 2 * PAGE_2M, 0);
	EXPECT_EQ(MAP_FAILED, p);
	p = mremap((void *)va, 4 * PAGE_2M, 4 * PAGE_2M, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)(va + 64 * PAGE_2M));
	EXPECT_EQ(MAP_FAILED, p);
	/* Still whole, still mapped. */
	EXPECT_EQ(3, *(volatile char *)(va + PAGE_2M - 1));
	EXPECT_EQ(0, unmap(self->fd, va));
	EXPECT_EQ(0, release(self->fd, va));
	EXPECT_EQ(0, destroy(self->fd, h));
}

/* The process may unmap a whole reservation: that tears it down. */
TEST_F(uapi, munmap_whole_reservation)
{
	uint64_t va = reserve(self->fd, 4 * PAGE_2M);
	uint32_t h = alloc(self->fd, 2 * PAGE_2M);

	ASSERT_EQ(0, map(self->fd, va, 2 * PAGE_2M, h));
	ASSERT_EQ(0, map(self->fd, va + 2 * PAGE_2M, 2 * PAGE_2M, h));
	memset((void *)va, 1, 4 * PAGE_2M);
	ASSERT_EQ(0, destroy(self->fd, h));
	EXPECT_EQ(0, munmap((void *)va, 4 * PAGE_2M));
	/* The mappings went, so did the freed handle's memory. */
	EXPECT_EQ(self->used0, device_used_raw(0));
	EXPECT_EQ(-ENOENT, release(self->fd, va));
	EXPECT_EQ(-ENOENT, unmap(self->fd, va));
	EXPECT_EQ(-ENOENT, destroy(self->fd, h));
}

/*
 * MAP_FIXED over part of a reservation is refused (it would split it);
 * over the whole of it, it replaces it, as over any mapping.
 */
TEST_F(uapi, map_fixed_over_reservation)
{
	uint64_t va = reserve(self->fd, 2 * PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);
	void *p;

	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h));
	memset((void *)va, 4, PAGE_2M);
	p = mmap((void *)va, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(4, *(volatile char *)va);
	p = mmap((void *)va, 2 * PAGE_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)va, p);
	EXPECT_EQ(0, *(volatile char *)p);
	EXPECT_EQ(-ENOENT, release(self->fd, va));
	EXPECT_EQ(-ENOENT, unmap(self->fd, va));
	/* The handle is unmapped and can be freed. */
	EXPECT_EQ(0, destroy(self->fd, h));
	EXPECT_EQ(self->used0, device_used_raw(0));
	munmap(p, 2 * PAGE_2M);
}

/* madvise(DONTNEED) drops page table entries; the memory stays. */
TEST_F(uapi, madvise_dontneed)
{
	uint64_t va = reserve(self->fd, PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);

	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h));
	memset((void *)va, 9, PAGE_2M);
	EXPECT_EQ(0, madvise((void *)va, PAGE_2M, MADV_DONTNEED));
	EXPECT_EQ(9, *(volatile char *)(va + 4095));
	EXPECT_EQ(0, madvise((void *)va, 4096, MADV_DONTNEED));
	EXPECT_EQ(9, *(volatile char *)(va + PAGE_2M - 1));
	EXPECT_EQ(0, unmap(self->fd, va));
	EXPECT_EQ(0, destroy(self->fd, h));
}

/*
 * MADV_DOFORK lets fork copy a reservation's VMA: the child's copy owns
 * nothing (SIGBUS), even after the parent released the reservation.
 */
TEST_F(uapi, dofork_copy_owns_nothing)
{
	uint64_t va = reserve(self->fd, 2 * PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);
	int to_child[2], to_parent[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h));
	memset((void *)va, 6, PAGE_2M);
	ASSERT_EQ(0, madvise((void *)va, 2 * PAGE_2M, MADV_DOFORK));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (probe_access((char *)va, false) != SIGBUS)
			_exit(1);
		if (write(to_parent[1], "a", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* The parent has released it by now. */
		if (probe_access((char *)va, true) != SIGBUS)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ(6, *(volatile char *)va);
	EXPECT_EQ(0, unmap(self->fd, va));
	EXPECT_EQ(0, release(self->fd, va));
	EXPECT_EQ(0, destroy(self->fd, h));
	ASSERT_EQ(1, write(to_child[1], "b", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child status %#x", status);
	}
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* Handles of one open file mean nothing on another. */
TEST_F(uapi, handles_per_file)
{
	int fd2 = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	uint32_t h = alloc(self->fd, PAGE_2M);
	uint64_t va2;

	ASSERT_GE(fd2, 0);
	ASSERT_NE(0, h);
	va2 = reserve(fd2, PAGE_2M);
	ASSERT_NE(0, va2);
	EXPECT_EQ(-ENOENT, map(fd2, va2, PAGE_2M, h));
	EXPECT_EQ(-ENOENT, destroy(fd2, h));
	/* Nor are the other file's reservations this one's. */
	EXPECT_EQ(-ENXIO, map(self->fd, va2, PAGE_2M, h));
	EXPECT_EQ(-ENOENT, release(self->fd, va2));
	EXPECT_EQ(0, release(fd2, va2));
	close(fd2);
	EXPECT_EQ(0, destroy(self->fd, h));
}

/* Closing the file leaves reservations mapped, like any mmap(); exit frees them. */
TEST_F(uapi, close_then_exit)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
		uint64_t va = reserve(fd, PAGE_2M);
		uint32_t h = attach_device(fd, 0) ? 0 : alloc(fd, PAGE_2M);

		if (!va || !h || map(fd, va, PAGE_2M, h))
			_exit(1);
		close(fd);
		*(volatile char *)va = 1;
		if (*(volatile char *)va != 1)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(self->used0, device_used_raw(0));
}

TEST_F(uapi, query)
{
	struct acl_vmm_query q = { .size = sizeof(q) };
	uint64_t va = reserve(self->fd, 4 * PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);

	ASSERT_EQ(0, map(self->fd, va + PAGE_2M, PAGE_2M, h));
	q.addr = va + PAGE_2M + 5;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_QUERY, &q));
	EXPECT_EQ(va, q.res_start);
	EXPECT_EQ(4 * PAGE_2M, q.res_length);
	EXPECT_TRUE(q.result & ACL_VMM_QUERY_MAPPED);
	EXPECT_EQ(va + PAGE_2M, q.map_start);
	EXPECT_EQ(h, q.handle);
	EXPECT_EQ(0, q.device);
	q = (struct acl_vmm_query){ .size = sizeof(q), .addr = va };
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_QUERY, &q));
	EXPECT_FALSE(q.result & ACL_VMM_QUERY_MAPPED);
	q = (struct acl_vmm_query){ .size = sizeof(q), .addr = va + PAGE_2M,
				    .flags = ACL_VMM_QUERY_RANGE, .length = PAGE_2M + 1 };
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_QUERY, &q));
	q.length = PAGE_2M;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_QUERY, &q));
	q = (struct acl_vmm_query){ .size = sizeof(q), .addr = 4096 };
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_QUERY, &q));
	EXPECT_EQ(0, unmap(self->fd, va + PAGE_2M));
	EXPECT_EQ(0, destroy(self->fd, h));
}

static uint32_t stream_create(int fd, uint32_t device)
{
	struct acl_vmm_stream_create c = { .size = sizeof(c), .device = device };

	return xioctl(fd, ACL_VMM_STREAM_CREATE, &c) ? 0 : c.stream;
}

/* Streams and events: every reserved field, flag and id is checked. */
TEST_F(uapi, stream_abi)
{
	struct acl_vmm_stream_create sc = { .size = sizeof(sc) };
	struct acl_vmm_stream_sync sy = { .size = sizeof(sy) };
	struct acl_vmm_device_sync dy = { .size = sizeof(dy) };
	struct acl_vmm_copy cp = { .size = sizeof(cp) };
	struct acl_vmm_memset ms = { .size = sizeof(ms) };
	struct acl_vmm_event_create ec = { .size = sizeof(ec) };
	struct acl_vmm_event_sync es = { .size = sizeof(es) };
	struct acl_vmm_event_record er = { .size = sizeof(er) };
	struct acl_vmm_event_wait ew = { .size = sizeof(ew) };
	struct acl_vmm_event_query eq = { .size = sizeof(eq) };
	char buf[64] = { 0 };
	uint32_t s;
	int fd2;

	sc.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_STREAM_CREATE, &sc));
	sc.flags = 0;
	sc.stream = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_STREAM_CREATE, &sc));
	sc.stream = 0;
	sc.device = 2;
	EXPECT_EQ(-ENODEV, xioctl(self->fd, ACL_VMM_STREAM_CREATE, &sc));
	/* A context that did not attach the device may not run work on it. */
	fd2 = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(0, stream_create(fd2, 0));
	close(fd2);
	s = stream_create(self->fd, 0);
	ASSERT_NE(0, s);

	cp.stream = s;
	cp.dst = (uintptr_t)buf;
	cp.src = (uintptr_t)buf + 32;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_COPY, &cp));	/* length 0 */
	cp.length = 16;
	cp.flags = 2;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_COPY, &cp));
	cp.flags = 0;
	cp.fault.error = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_COPY, &cp));
	cp.fault.error = 0;
	cp.__reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_COPY, &cp));
	cp.__reserved = 0;
	cp.src = ~0ULL - 4;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_COPY, &cp));	/* wraps */
	cp.src = 0xffff888000000000ULL;					/* kernel */
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_COPY, &cp));
	cp.src = (uintptr_t)buf + 32;
	cp.stream = s + 1000;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_COPY, &cp));
	cp.stream = s;
	memset(buf + 32, 'x', 16);
	cp.flags = ACL_VMM_WORK_SYNC;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_COPY, &cp));
	EXPECT_EQ(0, cp.fault.error);
	EXPECT_EQ(0, memcmp(buf, buf + 32, 16));
	/* A synchronous copy from nowhere reports its own fault. */
	cp.src = 4096;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_COPY, &cp));
	EXPECT_EQ(-EFAULT, cp.fault.error);
	EXPECT_EQ(4096, cp.fault.addr);
	EXPECT_EQ(ACL_VMM_CMD_COPY, cp.fault.cmd);

	ms.stream = s;
	ms.dst = (uintptr_t)buf;
	ms.length = 8;
	ms.value = 256;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_MEMSET, &ms));
	ms.value = 0x7f;
	ms.fault.addr = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_MEMSET, &ms));
	ms.fault.addr = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_MEMSET, &ms));

	sy.stream = s;
	sy.fault.cmd = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));
	sy.fault.cmd = 0;
	sy.timeout_ms = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));
	sy.flags = ACL_VMM_STREAM_SYNC_QUERY | ACL_VMM_STREAM_SYNC_TIMEOUT;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));
	sy.flags = 0;
	sy.timeout_ms = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));
	EXPECT_EQ(0, sy.fault.error);
	EXPECT_EQ(0x7f, buf[7]);
	/* An asynchronous fault is kept for the next synchronize, once. */
	cp.flags = 0;
	cp.fault = (struct acl_vmm_fault){ 0 };
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_COPY, &cp));
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));
	EXPECT_EQ(-EFAULT, sy.fault.error);
	EXPECT_EQ(4096, sy.fault.addr);
	EXPECT_EQ(ACL_VMM_CMD_COPY, sy.fault.cmd);
	dy.device = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_DEVICE_SYNC, &dy));
	EXPECT_EQ(0, dy.fault.error);
	dy.device = 9;
	EXPECT_EQ(-ENODEV, xioctl(self->fd, ACL_VMM_DEVICE_SYNC, &dy));
	sy.fault = (struct acl_vmm_fault){ 0 };
	sy.stream = s + 1000;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_STREAM_SYNC, &sy));

	ec.event = 5;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_CREATE, &ec));
	ec.event = 0;
	ASSERT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_CREATE, &ec));
	eq.event = ec.event;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_QUERY, &eq));
	EXPECT_EQ(ACL_VMM_EVENT_NONE, eq.status);
	ew.event = ec.event;
	ew.stream = s;
	/* Never recorded: a wait is nothing to queue. */
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_WAIT, &ew));
	ew.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_WAIT, &ew));
	er.event = ec.event;
	er.flags = 1;
	er.stream = s;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_RECORD, &er));
	er.flags = 0;
	er.stream = 0;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_EVENT_RECORD, &er));
	/* Ids are one table's: a stream is not an event, nor the reverse. */
	er.stream = ec.event;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_EVENT_RECORD, &er));
	er.stream = s;
	er.event = s;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_EVENT_RECORD, &er));
	er.event = ec.event;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_RECORD, &er));
	es.event = ec.event;
	es.timeout_ms = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_SYNC, &es));
	es.flags = 2;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_SYNC, &es));
	es.flags = ACL_VMM_EVENT_SYNC_TIMEOUT;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_SYNC, &es));
	es.flags = 0;
	es.timeout_ms = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_SYNC, &es));
	eq.status = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EVENT_QUERY, &eq));
	eq.status = 0;
	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_QUERY, &eq));
	EXPECT_EQ(ACL_VMM_EVENT_COMPLETE, eq.status);
	EXPECT_NE(0, eq.timestamp_ns);
	EXPECT_EQ(0, destroy(self->fd, ec.event));
	EXPECT_EQ(-ENOENT, destroy(self->fd, ec.event));
	eq.status = 0;
	eq.timestamp_ns = 0;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_EVENT_QUERY, &eq));

	EXPECT_EQ(0, destroy(self->fd, s));
	EXPECT_EQ(-ENOENT, destroy(self->fd, s));
	cp.stream = s;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_COPY, &cp));
}

/*
 * One object table: handles, streams and events share its ids, and one
 * command destroys any of them; a handle destroyed while mapped keeps its
 * id (-EALREADY) until its last unmap.
 */
TEST_F(uapi, objects_one_table)
{
	struct acl_vmm_event_create ec = { .size = sizeof(ec) };
	uint64_t va = reserve(self->fd, PAGE_2M);
	uint32_t h = alloc(self->fd, PAGE_2M);
	uint32_t s = stream_create(self->fd, 0);

	ASSERT_NE(0, h);
	ASSERT_NE(0, s);
	ASSERT_EQ(0, xioctl(self->fd, ACL_VMM_EVENT_CREATE, &ec));
	EXPECT_NE(h, s);
	EXPECT_NE(s, ec.event);
	EXPECT_NE(h, ec.event);
	/* A stream or an event is not a handle. */
	EXPECT_EQ(-ENOENT, map(self->fd, va, PAGE_2M, s));
	EXPECT_EQ(-ENOENT, map(self->fd, va, PAGE_2M, ec.event));
	ASSERT_EQ(0, map(self->fd, va, PAGE_2M, h));
	EXPECT_EQ(0, destroy(self->fd, h));
	EXPECT_EQ(-EALREADY, destroy(self->fd, h));
	EXPECT_EQ(0, unmap(self->fd, va));
	EXPECT_EQ(-ENOENT, destroy(self->fd, h));
	EXPECT_EQ(0, destroy(self->fd, ec.event));
	EXPECT_EQ(0, destroy(self->fd, s));
	EXPECT_EQ(-ENOENT, destroy(self->fd, 0));
	EXPECT_EQ(-ENOENT, destroy(self->fd, 0x7fffffff));
	EXPECT_EQ(0, release(self->fd, va));
}

/*
 * An object exists only once its maker has replied: a reply that cannot
 * reach the caller (a read-only struct) leaves no object, no id and no
 * memory behind.
 */
TEST_F(uapi, object_not_made_when_reply_fails)
{
	long page = sysconf(_SC_PAGESIZE);
	struct acl_vmm_alloc *a;
	struct acl_vmm_stream_create *sc;
	struct acl_vmm_event_create *ec;
	uint32_t next;
	void *ro;

	ro = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	a = ro;
	*a = (struct acl_vmm_alloc){ .size = sizeof(*a), .length = PAGE_2M,
				     .location = ACL_VMM_LOCATION_DEVICE };
	sc = (void *)((char *)ro + 256);
	*sc = (struct acl_vmm_stream_create){ .size = sizeof(*sc) };
	ec = (void *)((char *)ro + 512);
	*ec = (struct acl_vmm_event_create){ .size = sizeof(*ec) };
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_ALLOC, a));
	EXPECT_EQ(self->used0, device_used_raw(0));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_STREAM_CREATE, sc));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, ACL_VMM_EVENT_CREATE, ec));
	/* The ids they had reserved are free again: the next object gets one. */
	next = alloc(self->fd, PAGE_2M);
	ASSERT_NE(0, next);
	EXPECT_EQ(1, next);
	EXPECT_EQ(0, destroy(self->fd, next));
	EXPECT_EQ(-ENOENT, destroy(self->fd, 2));
	EXPECT_EQ(-ENOENT, destroy(self->fd, 3));
	munmap(ro, page);
}

/* A context holds a bounded number of streams. */
TEST_F(uapi, stream_limit)
{
	struct acl_vmm_stream_create c = { .size = sizeof(c) };
	int n = 0;

	while (n <= ACL_VMM_MAX_STREAMS && !xioctl(self->fd, ACL_VMM_STREAM_CREATE, &c)) {
		c.stream = 0;
		n++;
	}
	EXPECT_EQ(ACL_VMM_MAX_STREAMS, n);
	EXPECT_EQ(-EBUSY, xioctl(self->fd, ACL_VMM_STREAM_CREATE, &c));
	/* Closing the file destroys them all (the teardown checks usage). */
}

/* Another process's work never runs on this file's streams. */
TEST_F(uapi, stream_other_process_refused)
{
	struct acl_vmm_copy cp = { .size = sizeof(cp), .length = 1 };
	char a = 1, b = 2;
	int status;
	pid_t pid;

	cp.stream = stream_create(self->fd, 0);
	ASSERT_NE(0, cp.stream);
	cp.dst = (uintptr_t)&a;
	cp.src = (uintptr_t)&b;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(xioctl(self->fd, ACL_VMM_COPY, &cp) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A file of the unprivileged process's own, attached to device 0. */
static int nobody_fd(void)
{
	int fd = acl_vmm_raw_open("/dev/acl_vmm", NULL);

	if (fd >= 0 && attach_device(fd, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Create streams (or events) on @fd until refused; how many. */
static int create_until_busy(int fd, bool events, int most)
{
	uint32_t id;
	int n, ret = 0;

	for (n = 0; n < most; n++) {
		ret = events ? acl_vmm_raw_event_create(fd, &id) :
			       acl_vmm_raw_stream_create(fd, 0, &id);
		if (ret)
			break;
	}
	return ret == -EBUSY || n == most ? n : -1;
}

/* As NOBODY: the limits hold across two files of one process. */
static int limits_child(void)
{
	int a, b;

	if (drop_privileges(true))
		return 100;
	a = nobody_fd();
	b = nobody_fd();
	if (a < 0 || b < 0)
		return 101;
	if (create_until_busy(a, false, 600) != 600 ||
	    create_until_busy(b, false, ACL_VMM_MAX_STREAMS) != ACL_VMM_MAX_STREAMS - 600)
		return 1;
	if (create_until_busy(a, true, 40000) != 40000 ||
	    create_until_busy(b, true, ACL_VMM_MAX_EVENTS) != ACL_VMM_MAX_EVENTS - 40000)
		return 2;
	/* What one file gives back, the other may take. */
	close(a);
	return create_until_busy(b, false, 600) == 600 ? 0 : 3;
}

/* Streams and events are limited per process, not per open file. */
TEST(limits_per_process)
{
	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	EXPECT_EQ(0, run_child(limits_child));
}

#define MAX_WORK_PARAM "/sys/module/acl_vmm/parameters/max_queued_work"

static volatile sig_atomic_t stop_spamming;

static void on_usr1(int sig)
{
	(void)sig;
}

static void *spam_usr1(void *arg)
{
	pthread_t target = *(pthread_t *)arg;

	while (!stop_spamming) {
		pthread_kill(target, SIGUSR1);
		usleep(500);
	}
	return NULL;
}

/*
 * As NOBODY, with max_queued_work at 8: behind a 256 MiB memset, records
 * pile up; the ninth waits for room, interruptibly, so the signals another
 * thread keeps sending interrupt it (EINTR). Without the limit nothing
 * would wait (a stream holds 4096). Every record is queued in the end.
 */
static int work_limit_child(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct acl_vmm_event_record er = { .size = sizeof(er) };
	pthread_t me = pthread_self(), spammer;
	struct acl_vmm_fault fault;
	uint32_t h, stream;
	int fd, i, eintr = 0;
	uint64_t va = 0;

	if (drop_privileges(true))
		return 100;
	fd = nobody_fd();
	if (fd < 0 || acl_vmm_raw_reserve(fd, 256 << 20, 0, &va) ||
	    acl_vmm_raw_alloc(fd, ACL_VMM_LOCATION_DEVICE, 0, 256 << 20, 0, &h) ||
	    acl_vmm_raw_map(fd, va, 256 << 20, h) ||
	    acl_vmm_raw_stream_create(fd, 0, &stream) ||
	    acl_vmm_raw_event_create(fd, &er.event))
		return 101;
	er.stream = stream;
	if (sigaction(SIGUSR1, &sa, NULL) ||
	    pthread_create(&spammer, NULL, spam_usr1, &me))
		return 102;
	if (acl_vmm_raw_memset(fd, stream, va, 1, 256 << 20, 0, NULL))
		return 1;
	for (i = 0; i < 32; i++) {
		while (ioctl(fd, ACL_VMM_EVENT_RECORD, &er)) {
			if (errno != EINTR)
				return 2;
			eintr++;
		}
	}
	stop_spamming = 1;
	pthread_join(spammer, NULL);
	if (acl_vmm_raw_stream_sync(fd, stream, &fault) || fault.error)
		return 3;
	return eintr ? 0 : 4;
}

/* Queued work is limited per process (max_queued_work): submitters wait. */
TEST(queued_work_limit)
{
	char old[32] = "";
	FILE *f;
	int ret;

	if (getuid() != 0)
		SKIP(return, "needs root to set the module parameter");
	f = fopen(MAX_WORK_PARAM, "r+");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	f = fopen(MAX_WORK_PARAM, "w");
	ASSERT_NE(NULL, f);
	fputs("8\n", f);
	fclose(f);
	ret = run_child(work_limit_child);
	f = fopen(MAX_WORK_PARAM, "w");
	ASSERT_NE(NULL, f);
	fputs(old, f);
	fclose(f);
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
