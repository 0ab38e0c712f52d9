// SPDX-License-Identifier: GPL-2.0
/*
 * Physical memory exported as a dma-buf: passed over a Unix socket,
 * imported by this module in another process, mmap()-ed, outliving its
 * exporter, and imported by another driver (vgem, through DRM PRIME).
 */
#include <sys/socket.h>

#include "acl_test.h"
#ifdef HAVE_LIBDRM
#include <drm.h>
#include <drm_mode.h>
#endif

FIXTURE(dmabuf) {
	int fd;
	uint64_t used0;
	uint64_t va;
	uint32_t handle;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int ctx_open(void)
{
	int fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);

	if (fd >= 0 && attach_device(fd, 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Reserve and map @handle's first @length bytes; returns the address. */
static uint64_t map_handle(int fd, uint32_t handle, uint64_t length)
{
	struct acl_vmm_reserve r = { .size = sizeof(r), .length = length };
	struct acl_vmm_map m = { .size = sizeof(m), .length = length, .handle = handle };

	if (xioctl(fd, ACL_VMM_RESERVE, &r))
		return 0;
	m.addr = r.addr;
	return xioctl(fd, ACL_VMM_MAP, &m) ? 0 : r.addr;
}

FIXTURE_SETUP(dmabuf)
{
	struct acl_vmm_alloc a = { .size = sizeof(a), .length = 2 * PAGE_2M,
				   .location = ACL_VMM_LOCATION_DEVICE };

	self->used0 = device_used_raw(0);
	self->fd = ctx_open();
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, xioctl(self->fd, ACL_VMM_ALLOC, &a));
	self->handle = a.handle;
	self->va = map_handle(self->fd, a.handle, 2 * PAGE_2M);
	ASSERT_NE(0, self->va);
	fill_pattern((void *)self->va, 2 * PAGE_2M, 31);
}

FIXTURE_TEARDOWN(dmabuf)
{
	struct acl_vmm_reset reset = { .size = sizeof(reset) };

	EXPECT_EQ(0, xioctl(self->fd, ACL_VMM_RESET, &reset));
	close(self->fd);
	EXPECT_EQ(self->used0, device_used_raw(0));
}

static int export_dmabuf(int fd, uint32_t handle)
{
	int dfd = -1;
	int ret = acl_vmm_raw_export_dmabuf(fd, handle, &dfd);

	return ret ? ret : dfd;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The child: receive the dma-buf, import it, map it, check it, write. */
static int importer(int sock)
{
	int dfd = recv_fd(sock), fd = ctx_open();
	uint32_t handle;
	uint64_t va;

	if (dfd < 0 || fd < 0)
		return 1;
	if (acl_vmm_raw_import_dmabuf(fd, dfd, &handle))
		return 2;
	close(dfd);
	va = map_handle(fd, handle, 2 * PAGE_2M);
	if (!va)
		return 3;
	if (!check_pattern((void *)va, 2 * PAGE_2M, 31))
		return 4;
	*(volatile char *)(va + 12345) = 'i';
	return 0;
}

TEST_F(dmabuf, pass_over_socket_and_import)
{
	int sv[2], dfd, status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(importer(sv[1]));
	dfd = export_dmabuf(self->fd, self->handle);
	ASSERT_GE(dfd, 0);
	ASSERT_EQ(0, send_fd(sv[0], dfd));
	close(dfd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ('i', *(volatile char *)(self->va + 12345));
	close(sv[0]);
	close(sv[1]);
}

/* The dma-buf keeps the memory alive after its exporter let go of everything. */
TEST_F(dmabuf, outlives_exporter)
{
	struct acl_vmm_reset reset = { .size = sizeof(reset) };
	int dfd = export_dmabuf(self->fd, self->handle);
	char *p;

	ASSERT_GE(dfd, 0);
	ASSERT_EQ(0, xioctl(self->fd, ACL_VMM_RESET, &reset));
	EXPECT_EQ(self->used0 + 2 * PAGE_2M, device_used_raw(0));
	p = mmap(NULL, 2 * PAGE_2M, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(check_pattern(p, 2 * PAGE_2M, 31));
	close(dfd);
	/* The mapping still holds it. */
	EXPECT_EQ(self->used0 + 2 * PAGE_2M, device_used_raw(0));
	munmap(p, 2 * PAGE_2M);
	EXPECT_EQ(self->used0, device_used_raw(0));
}

TEST_F(dmabuf, mmap_bounds)
{
	int dfd = export_dmabuf(self->fd, self->handle);
	char *p;

	ASSERT_GE(dfd, 0);
	p = mmap(NULL, 3 * PAGE_2M, PROT_READ, MAP_SHARED, dfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE_2M, PROT_READ, MAP_SHARED, dfd, 2 * PAGE_2M);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE_2M, PROT_READ, MAP_PRIVATE, dfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, PAGE_2M, PROT_READ, MAP_SHARED, dfd, PAGE_2M);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(check_pattern(p, PAGE_2M, 31) ==
		    check_pattern((void *)(self->va + PAGE_2M), PAGE_2M, 31));
	EXPECT_EQ(0, memcmp(p, (void *)(self->va + PAGE_2M), 8192));
	munmap(p, PAGE_2M);
	close(dfd);
}

TEST_F(dmabuf, errors)
{
	struct acl_vmm_export_dmabuf e = { .size = sizeof(e), .handle = 4242 };
	struct acl_vmm_import_dmabuf i = { .size = sizeof(i) };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint32_t h = 0;

	EXPECT_EQ(-ENOENT, xioctl(self->fd, ACL_VMM_EXPORT_DMABUF, &e));
	e.handle = self->handle;
	e.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EXPORT_DMABUF, &e));
	e.flags = 0;
	e.fd = 3;	/* an out member */
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_EXPORT_DMABUF, &e));
	EXPECT_EQ(-EINVAL, acl_vmm_raw_import_dmabuf(self->fd, null, &h));
	EXPECT_EQ(-EBADF, acl_vmm_raw_import_dmabuf(self->fd, -1, &h));
	i.fd = null;
	i.handle = 1;	/* an out member */
	EXPECT_EQ(-EINVAL, xioctl(self->fd, ACL_VMM_IMPORT_DMABUF, &i));
	EXPECT_EQ(0, h);
	close(null);
}

#ifdef HAVE_LIBDRM
/* The DRM node of the vgem driver, loaded on demand, or -1. */
static int open_vgem(void)
{
	char name[16], path[32];
	int i, fd;

	/* A module on Debian's kernel, built in on the debug kernel. */
	i = system("modprobe vgem 2>/dev/null");
	for (i = 0; i < 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Another driver imports the dma-buf (attach, then map: our scatterlist is
 * DMA-mapped for its device) and holds the memory until it lets go.
 */
TEST_F(dmabuf, imported_by_vgem)
{
	struct acl_vmm_reset reset = { .size = sizeof(reset) };
	struct drm_prime_handle prime = { 0 };
	struct drm_gem_close gclose = { 0 };
	int drm = open_vgem(), dfd;

	if (drm < 0)
		SKIP(return, "the vgem driver is not available");
	dfd = export_dmabuf(self->fd, self->handle);
	ASSERT_GE(dfd, 0);
	prime.fd = dfd;
	ASSERT_EQ(0, ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime)) {
		TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(errno));
	}
	close(dfd);
	/* We let go of everything: vgem's import keeps the memory. */
	ASSERT_EQ(0, xioctl(self->fd, ACL_VMM_RESET, &reset));
	EXPECT_EQ(self->used0 + 2 * PAGE_2M, device_used_raw(0));
	gclose.handle = prime.handle;
	EXPECT_EQ(0, ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gclose));
	close(drm);
	EXPECT_EQ(self->used0, device_used_raw(0));
}
#endif

TEST_HARNESS_MAIN
