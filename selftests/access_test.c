// SPDX-License-Identifier: GPL-2.0
/*
 * Device page tables: each device reaches device memory through a table
 * of its own. The owner of mapped memory may read and write it; another
 * device needs a right (aclrtMemSetAccess) and peer access to the owner;
 * a right removed or an unmap is gone from the device's table and TLB
 * when the call returns, even while that device's stream copies the range.
 */
#include <pthread.h>

#include "acl_test.h"

#define SIZE (4 * PAGE_2M)

ACL_FIXTURE(access);

/* Give @device the right @flags to the mapping [@p, @p + @size). */
static aclError grant(void *p, size_t size, uint32_t device, aclrtMemAccessFlags flags)
{
	aclrtMemAccessDesc d = { .flags = flags,
				 .location = { .id = device,
					       .type = ACL_MEM_LOCATION_TYPE_DEVICE } };

	return aclrtMemSetAccess(p, size, &d, 1);
}

/* @device's right to @p, or -1. */
static int64_t right_of(void *p, uint32_t device)
{
	aclrtMemLocation loc = { .id = device, .type = ACL_MEM_LOCATION_TYPE_DEVICE };
	uint64_t flag = 0xdead;

	if (aclrtMemGetAccess(p, &loc, &flag))
		return -1;
	return (int64_t)flag;
}

/* Whether every byte of [p, p + n) is @v. */
static bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

/*
 * The flow: map on device 0, grant device 1 READ, copy from it on
 * a device-1 stream, see a device-1 write fault, revoke, see the next
 * read fault.
 */
TEST_F(access, grant_read_write_revoke)
{
	char *va, *host = malloc(SIZE);
	aclrtDrvMemHandle h;
	aclrtStream s1;

	ASSERT_NE(NULL, host);
	RESERVE(va, SIZE);
	MALLOC_PHYS(h, SIZE, 0);
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, h, 0));
	/* The owner has READWRITE with no call; others have nothing. */
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_READWRITE, right_of(va, 0));
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_NONE, right_of(va + SIZE - 1, 1));
	/* CANN's samples still grant the owner READWRITE after the map. */
	ASSERT_OK(grant(va, SIZE, 0, ACL_RT_MEM_ACCESS_FLAGS_READWRITE));
	ASSERT_OK(aclrtMemset(va, SIZE, 0x5a, SIZE));

	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtCreateStream(&s1));
	/* Device 1 with no right, peer access on: no access. */
	ASSERT_OK(aclrtDeviceEnablePeerAccess(0, 0));
	ASSERT_OK(aclrtMemcpyAsync(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST, s1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "device memory fault on device 1",
		       aclrtSynchronizeStream(s1));
	EXPECT_MSG("no access");

	ASSERT_OK(grant(va, SIZE, 1, ACL_RT_MEM_ACCESS_FLAGS_READ));
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_READ, right_of(va + PAGE_2M, 1));
	memset(host, 0, SIZE);
	ASSERT_OK(aclrtMemcpyAsync(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST, s1));
	ASSERT_OK(aclrtSynchronizeStream(s1));
	EXPECT_TRUE(all_bytes(host, SIZE, 0x5a));

	/* READ: device 1 may not write, neither by a memset nor by a copy. */
	ASSERT_OK(aclrtMemsetAsync(va + PAGE_2M, PAGE_2M, 0x11, PAGE_2M, s1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access for writing",
		       aclrtSynchronizeStream(s1));
	EXPECT_MSG("device 1");
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access for writing",
		       aclrtMemcpy(va, SIZE, host, SIZE, ACL_MEMCPY_HOST_TO_DEVICE));
	EXPECT_TRUE(all_bytes(va, SIZE, 0x5a));

	/* Revoked: the next read faults. */
	ASSERT_OK(grant(va, SIZE, 1, ACL_RT_MEM_ACCESS_FLAGS_NONE));
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_NONE, right_of(va, 1));
	ASSERT_OK(aclrtMemcpyAsync(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST, s1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access",
		       aclrtSynchronizeStream(s1));
	{
		char want[64];

		snprintf(want, sizeof(want), "%p", (void *)va);
		EXPECT_MSG(want + 2);	/* the address, without "0x" */
	}
	/* The owner itself may be made read-only, and then writes fault. */
	ASSERT_OK(grant(va, SIZE, 0, ACL_RT_MEM_ACCESS_FLAGS_READ));
	ASSERT_OK(aclrtSetDevice(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access for writing",
		       aclrtMemset(va, SIZE, 1, SIZE));
	ASSERT_OK(aclrtMemcpy(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, SIZE, 0x5a));

	ASSERT_OK(aclrtSetDevice(1));
	EXPECT_OK(aclrtDestroyStream(s1));
	ASSERT_OK(aclrtSetDevice(0));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
	free(host);
}

/* A VMM mapping of another device needs both peer access and a right. */
TEST_F(access, peer_needs_enable_and_right)
{
	char *va, host[4096];
	aclrtDrvMemHandle h;

	RESERVE(va, SIZE);
	MALLOC_PHYS(h, SIZE, 0);
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, h, 0));
	ASSERT_OK(grant(va, SIZE, 1, ACL_RT_MEM_ACCESS_FLAGS_READWRITE));
	ASSERT_OK(aclrtMemset(va, SIZE, 7, SIZE));
	ASSERT_OK(aclrtSetDevice(1));
	/* A right without peer access: the copy names both devices. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR,
		       "no peer access from device 1 to device 0",
		       aclrtMemcpy(host, sizeof(host), va, sizeof(host),
				   ACL_MEMCPY_DEVICE_TO_HOST));
	ASSERT_OK(aclrtDeviceEnablePeerAccess(0, 0));
	ASSERT_OK(aclrtDeviceEnablePeerAccess(0, 0));	/* twice is fine */
	ASSERT_OK(aclrtMemcpy(host, sizeof(host), va, sizeof(host),
			      ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, sizeof(host), 7));
	ASSERT_OK(aclrtMemset(va, SIZE, 8, SIZE));	/* READWRITE: device 1 writes */
	/* Peer access is per direction: 1 to 0 does not open 0 to 1. */
	ASSERT_OK(aclrtDeviceDisablePeerAccess(0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no peer access",
		       aclrtMemset(va, SIZE, 9, SIZE));
	ASSERT_OK(aclrtSetDevice(0));
	ASSERT_OK(aclrtMemcpy(host, sizeof(host), va, sizeof(host),
			      ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, sizeof(host), 8));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* aclrtMemMapNoAccess maps without any right, the owner's included. */
TEST_F(access, map_no_access)
{
	char *va, host[4096];
	aclrtDrvMemHandle h;

	RESERVE(va, SIZE);
	MALLOC_PHYS(h, SIZE, 0);
	ASSERT_OK(aclrtMemMapNoAccess(va, SIZE, 0, h, 0));
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_NONE, right_of(va, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access",
		       aclrtMemcpy(host, sizeof(host), va, sizeof(host),
				   ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_MSG("device 0");
	ASSERT_OK(grant(va, SIZE, 0, ACL_RT_MEM_ACCESS_FLAGS_READWRITE));
	ASSERT_OK(aclrtMemset(va, SIZE, 3, SIZE));
	ASSERT_OK(aclrtMemcpy(host, sizeof(host), va + SIZE - sizeof(host), sizeof(host),
			      ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, sizeof(host), 3));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/*
 * Unmap invalidates the device's TLB: a copy that warmed it, then another
 * handle mapped at the same address, is read, not the old memory.
 */
TEST_F(access, unmap_invalidates_tlb)
{
	char *va, host[4096];
	aclrtDrvMemHandle a, b;

	RESERVE(va, SIZE);
	MALLOC_PHYS(a, SIZE, 0);
	MALLOC_PHYS(b, SIZE, 0);
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, a, 0));
	ASSERT_OK(aclrtMemset(va, SIZE, 0xaa, SIZE));
	for (int i = 0; i < 3; i++)	/* the TLB holds its translations now */
		ASSERT_OK(aclrtMemcpy(host, sizeof(host), va, sizeof(host),
				      ACL_MEMCPY_DEVICE_TO_HOST));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, b, 0));
	ASSERT_OK(aclrtMemset(va, SIZE, 0xbb, SIZE));
	ASSERT_OK(aclrtMemcpy(host, sizeof(host), va, sizeof(host),
			      ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, sizeof(host), 0xbb));
	/* And a's memory was not written by the memset through the stale entry. */
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, a, 0));
	ASSERT_OK(aclrtMemcpy(host, sizeof(host), va, sizeof(host),
			      ACL_MEMCPY_DEVICE_TO_HOST));
	EXPECT_TRUE(all_bytes(host, sizeof(host), 0xaa));
	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(a));
	EXPECT_OK(aclrtFreePhysical(b));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* Bad input: CANN's codes, a message naming the argument, nothing changed. */
TEST_F(access, bad_input)
{
	aclrtMemAccessDesc d = { .flags = ACL_RT_MEM_ACCESS_FLAGS_READ,
				 .location = { .id = 1, .type = ACL_MEM_LOCATION_TYPE_DEVICE } };
	aclrtMemAccessDesc two[2] = { d, d };
	aclrtMemLocation loc = { .id = 0, .type = ACL_MEM_LOCATION_TYPE_DEVICE };
	aclrtDrvMemHandle h;
	int32_t can = -1;
	uint64_t flag;
	char *va;

	RESERVE(va, SIZE);
	MALLOC_PHYS(h, SIZE, 0);
	ASSERT_OK(aclrtMapMem(va, SIZE, 0, h, 0));

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "desc is NULL",
		       aclrtMemSetAccess(va, SIZE, NULL, 1));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "virPtr is NULL",
		       aclrtMemSetAccess(NULL, SIZE, &d, 1));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "count is 0",
		       aclrtMemSetAccess(va, SIZE, &d, 0));
	d.flags = 2;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "desc[0].flags=0x2",
		       aclrtMemSetAccess(va, SIZE, &d, 1));
	d.flags = ACL_RT_MEM_ACCESS_FLAGS_READ;
	d.location.type = ACL_MEM_LOCATION_TYPE_HOST;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "desc[0].location.type",
		       aclrtMemSetAccess(va, SIZE, &d, 1));
	d.location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
	two[1].location.id = 5;
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "desc[1].location=5",
		       aclrtMemSetAccess(va, SIZE, two, 2));
	/* Not exactly one mapping: part of it, more than it, not mapped. */
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not exactly one mapping",
		       aclrtMemSetAccess(va, PAGE_2M, &d, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not exactly one mapping",
		       aclrtMemSetAccess(va + PAGE_2M, SIZE - PAGE_2M, &d, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not exactly one mapping",
		       aclrtMemSetAccess(va, 2 * SIZE, &d, 1));
	/* Nothing changed by any of these. */
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_NONE, right_of(va, 1));
	EXPECT_EQ(ACL_RT_MEM_ACCESS_FLAGS_READWRITE, right_of(va, 0));

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "location is NULL",
		       aclrtMemGetAccess(va, NULL, &flag));
	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "flag is NULL",
		       aclrtMemGetAccess(va, &loc, NULL));
	loc.id = 9;
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "location=9",
		       aclrtMemGetAccess(va, &loc, &flag));
	loc.id = 0;
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "not inside a mapping",
		       aclrtMemGetAccess(va + SIZE, &loc, &flag));

	EXPECT_ACL_MSG(ACL_ERROR_INVALID_PARAM, "canAccessPeer is NULL",
		       aclrtDeviceCanAccessPeer(NULL, 0, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "peerDeviceId=2 is not a device",
		       aclrtDeviceCanAccessPeer(&can, 0, 2));
	EXPECT_OK(aclrtDeviceCanAccessPeer(&can, 0, 1));
	EXPECT_EQ(1, can);
	EXPECT_OK(aclrtDeviceCanAccessPeer(&can, 1, 1));
	EXPECT_EQ(0, can);
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "flags=0x1",
		       aclrtDeviceEnablePeerAccess(1, 1));
	EXPECT_ACL_MSG(ACL_ERROR_RT_PARAM_INVALID, "is the current device",
		       aclrtDeviceEnablePeerAccess(0, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "peerDeviceId=7",
		       aclrtDeviceEnablePeerAccess(7, 0));
	EXPECT_ACL_MSG(ACL_ERROR_RT_INVALID_DEVICEID, "peerDeviceId=-1 is not a device",
		       aclrtDeviceDisablePeerAccess(-1));

	EXPECT_OK(aclrtUnmapMem(va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(va));
}

/* Peer access needs both devices' nodes attached to the context. */
TEST_F(access, peer_needs_the_node)
{
	int fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attach_device(fd, 0));
	EXPECT_EQ(-ENODEV, acl_vmm_raw_peer(fd, 0, 1, 0));
	EXPECT_EQ(-ENODEV, acl_vmm_raw_peer(fd, 1, 0, 0));
	ASSERT_EQ(0, attach_device(fd, 1));
	EXPECT_EQ(-EINVAL, acl_vmm_raw_peer(fd, 1, 1, 0));
	EXPECT_EQ(-EINVAL, acl_vmm_raw_peer(fd, 0, 1, 2));
	EXPECT_EQ(0, acl_vmm_raw_peer(fd, 0, 1, 0));
	EXPECT_EQ(0, acl_vmm_raw_peer(fd, 0, 1, ACL_VMM_PEER_DISABLE));
	close(fd);
}

struct racer {
	char *va;
	size_t size;
	volatile bool stop;
	int rounds;
};

/* Device 1 writes the range over and over on its own stream. */
static void *writer(void *arg)
{
	struct racer *r = arg;
	aclrtContext ctx;
	aclrtStream s;
	int v = 0;

	if (aclrtCreateContext(&ctx, 1) || aclrtCreateStream(&s))
		return (void *)1;
	while (!r->stop) {
		for (int i = 0; i < 8; i++)
			aclrtMemsetAsync(r->va, r->size, ++v & 0xff, r->size, s);
		aclrtSynchronizeStream(s);
		r->rounds++;
	}
	aclrtDestroyStream(s);
	aclrtDestroyContext(ctx);
	return NULL;
}

/*
 * Revoking device 1's right while its stream writes the range: once the
 * revoke returned, nothing more is written (the memory, read by the CPU
 * right after the call, stays as it was), round after round.
 */
TEST_F(access, revoke_races_writes)
{
	const size_t size = 2 * PAGE_2M;
	struct racer r = { .size = size };
	unsigned char *snap = malloc(size);
	aclrtDrvMemHandle h;
	int changed = 0, rounds;
	pthread_t t;

	ASSERT_NE(NULL, snap);
	RESERVE(r.va, size);
	MALLOC_PHYS(h, size, 0);
	ASSERT_OK(aclrtMapMem(r.va, size, 0, h, 0));
	ASSERT_OK(aclrtSetDevice(1));
	ASSERT_OK(aclrtDeviceEnablePeerAccess(0, 0));
	ASSERT_OK(aclrtSetDevice(0));
	ASSERT_EQ(0, pthread_create(&t, NULL, writer, &r));
	for (rounds = 0; rounds < 60; rounds++) {
		ASSERT_OK(grant(r.va, size, 1, ACL_RT_MEM_ACCESS_FLAGS_READWRITE));
		usleep(2000 + rounds * 100);
		ASSERT_OK(grant(r.va, size, 1, ACL_RT_MEM_ACCESS_FLAGS_NONE));
		memcpy(snap, r.va, size);
		usleep(5000);
		if (memcmp(snap, r.va, size))
			changed++;
	}
	r.stop = true;
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, changed);
	TH_LOG("%d revokes while device 1 wrote (%d rounds of its writes): %d writes after a revoke",
	       rounds, r.rounds, changed);
	printf("# stat: race_loops=%d\n", rounds);
	EXPECT_OK(aclrtUnmapMem(r.va));
	EXPECT_OK(aclrtFreePhysical(h));
	EXPECT_OK(aclrtReleaseMemAddress(r.va));
	free(snap);
}

TEST_HARNESS_MAIN
