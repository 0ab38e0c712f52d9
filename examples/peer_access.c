// SPDX-License-Identifier: GPL-2.0
/*
 * peer_access: one device's memory read by another, with CANN's access
 * rights and peer access.
 *
 *  1. map 8 MiB of device 0 memory (CANN's sample flow: map, then
 *     aclrtMemSetAccess READWRITE for the owner) and fill it;
 *  2. on device 1, copy from it: without peer access the copy fails
 *     (507053, "no peer access"); with it but with no right it fails
 *     ("no access");
 *  3. grant device 1 READ: the copy on a device-1 stream reads the data;
 *     a device-1 write faults ("no access for writing");
 *  4. revoke (NONE): the next device-1 read faults again, and the owner
 *     still reads and writes.
 *
 * Every step checks its result; the program exits 1 on the first that is
 * not what CANN documents. Needs two devices (acl_vmm num_devices=2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

#define SIZE (8UL << 20)

static int failed;

/* Report @what: it should have returned @want, and name @msg if it fails. */
static void expect(const char *what, aclError got, aclError want, const char *msg)
{
	const char *recent = got ? aclGetRecentErrMsg() : NULL;

	printf("%-58s %6d%s%s\n", what, got, recent ? "  " : "", recent ? recent : "");
	if (got != want || (msg && (!recent || !strstr(recent, msg)))) {
		printf("FAIL: %s: expected %d%s%s\n", what, want, msg ? " with " : "",
		       msg ? msg : "");
		failed = 1;
	}
}

static aclError set_access(void *va, uint32_t device, aclrtMemAccessFlags flags)
{
	aclrtMemAccessDesc desc = {
		.flags = flags,
		.location = { .id = device, .type = ACL_MEM_LOCATION_TYPE_DEVICE },
	};

	return aclrtMemSetAccess(va, SIZE, &desc, 1);
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int main(void)
{
	aclrtPhysicalMemProp prop = {
		.handleType = ACL_MEM_HANDLE_TYPE_NONE,
		.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED,
		.memAttr = ACL_HBM_MEM_HUGE,
		.location = { .id = 0, .type = ACL_MEM_LOCATION_TYPE_DEVICE },
	};
	unsigned char *host = malloc(SIZE);
	aclrtDrvMemHandle handle;
	aclrtStream stream;
	uint32_t count = 0;
	int32_t can = 0;
	void *va;

	if (!host || aclInit(NULL) || aclrtGetDeviceCount(&count)) {
		fprintf(stderr, "peer_access: %s\n", host ? aclGetRecentErrMsg() : "out of memory");
		return 1;
	}
	if (count < 2) {
		printf("peer_access: needs two devices, this node has %u\n", count);
		return 1;
	}

	/* 1. Device 0 memory, mapped and filled by device 0. */
	expect("aclrtSetDevice(0)", aclrtSetDevice(0), ACL_SUCCESS, NULL);
	expect("aclrtReserveMemAddress(8 MiB)",
	       aclrtReserveMemAddress(&va, SIZE, 0, NULL, 0), ACL_SUCCESS, NULL);
	expect("aclrtMallocPhysical(8 MiB on device 0)",
	       aclrtMallocPhysical(&handle, SIZE, &prop, 0), ACL_SUCCESS, NULL);
	expect("aclrtMapMem", aclrtMapMem(va, SIZE, 0, handle, 0), ACL_SUCCESS, NULL);
	expect("aclrtMemSetAccess(device 0, READWRITE)",
	       set_access(va, 0, ACL_RT_MEM_ACCESS_FLAGS_READWRITE), ACL_SUCCESS, NULL);
	expect("aclrtMemset(0x5a) on device 0", aclrtMemset(va, SIZE, 0x5a, SIZE),
	       ACL_SUCCESS, NULL);

	/* 2. Device 1 reaches nothing of device 0 yet. */
	expect("aclrtSetDevice(1)", aclrtSetDevice(1), ACL_SUCCESS, NULL);
	expect("aclrtDeviceCanAccessPeer(1, 0)", aclrtDeviceCanAccessPeer(&can, 1, 0),
	       ACL_SUCCESS, NULL);
	if (can != 1) {
		printf("FAIL: device 1 cannot access device 0\n");
		failed = 1;
	}
	expect("aclrtCreateStream on device 1", aclrtCreateStream(&stream), ACL_SUCCESS, NULL);
	expect("device 1 reads, no peer access",
	       aclrtMemcpy(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST),
	       ACL_ERROR_RT_DEVICE_MEM_ERROR, "no peer access from device 1 to device 0");
	expect("aclrtDeviceEnablePeerAccess(0)", aclrtDeviceEnablePeerAccess(0, 0),
	       ACL_SUCCESS, NULL);
	expect("device 1 reads, no right",
	       aclrtMemcpy(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST),
	       ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access");

	/* 3. READ for device 1. */
	expect("aclrtMemSetAccess(device 1, READ)",
	       set_access(va, 1, ACL_RT_MEM_ACCESS_FLAGS_READ), ACL_SUCCESS, NULL);
	memset(host, 0, SIZE);
	expect("aclrtMemcpyAsync(device to host) on device 1's stream",
	       aclrtMemcpyAsync(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST, stream),
	       ACL_SUCCESS, NULL);
	expect("aclrtSynchronizeStream", aclrtSynchronizeStream(stream), ACL_SUCCESS, NULL);
	if (!all_bytes(host, SIZE, 0x5a)) {
		printf("FAIL: device 1 read other bytes than device 0 wrote\n");
		failed = 1;
	}
	expect("aclrtMemsetAsync on device 1's stream (a write)",
	       aclrtMemsetAsync(va, SIZE, 0x11, SIZE, stream), ACL_SUCCESS, NULL);
	expect("aclrtSynchronizeStream", aclrtSynchronizeStream(stream),
	       ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access for writing");

	/* 4. Revoked. */
	expect("aclrtMemSetAccess(device 1, NONE)",
	       set_access(va, 1, ACL_RT_MEM_ACCESS_FLAGS_NONE), ACL_SUCCESS, NULL);
	expect("aclrtMemcpyAsync(device to host) on device 1's stream",
	       aclrtMemcpyAsync(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST, stream),
	       ACL_SUCCESS, NULL);
	expect("aclrtSynchronizeStream", aclrtSynchronizeStream(stream),
	       ACL_ERROR_RT_DEVICE_MEM_ERROR, "no access");
	expect("aclrtDestroyStream", aclrtDestroyStream(stream), ACL_SUCCESS, NULL);
	expect("aclrtSetDevice(0)", aclrtSetDevice(0), ACL_SUCCESS, NULL);
	memset(host, 0, SIZE);
	expect("device 0 reads its memory",
	       aclrtMemcpy(host, SIZE, va, SIZE, ACL_MEMCPY_DEVICE_TO_HOST), ACL_SUCCESS, NULL);
	if (!all_bytes(host, SIZE, 0x5a)) {
		printf("FAIL: device 1's refused write changed the memory\n");
		failed = 1;
	}

	expect("aclrtUnmapMem", aclrtUnmapMem(va), ACL_SUCCESS, NULL);
	expect("aclrtFreePhysical", aclrtFreePhysical(handle), ACL_SUCCESS, NULL);
	expect("aclrtReleaseMemAddress", aclrtReleaseMemAddress(va), ACL_SUCCESS, NULL);
	expect("aclrtResetDevice(0)", aclrtResetDevice(0), ACL_SUCCESS, NULL);
	expect("aclrtResetDevice(1)", aclrtResetDevice(1), ACL_SUCCESS, NULL);
	aclFinalize();
	free(host);
	printf("peer_access: %s\n", failed ? "FAILED" : "every step as CANN documents");
	return failed;
}
