// SPDX-License-Identifier: GPL-2.0
// A program written against CANN's headers the way CANN's VMM samples are
// (the open runtime's memory samples: map, grant the owner access, copy
// through page-locked host memory on a stream, tear down, force-reset):
// C++, linked with -lascendcl, nothing specific to acl-vmm. It must build
// and run unchanged. Exit status 0 when every step did what CANN promises.
#include "acl/acl.h"

#include <cstdio>
#include <cstring>
#include <vector>

#define CHECK_RET(expr)                                                        \
	do {                                                                   \
		aclError ret_ = (expr);                                        \
		if (ret_ != ACL_SUCCESS) {                                     \
			std::printf("%s failed: %d (%s)\n", #expr, ret_,        \
				    aclGetRecentErrMsg());                     \
			return 1;                                              \
		}                                                              \
	} while (0)

int main()
{
	int32_t deviceId = 0;
	CHECK_RET(aclInit(nullptr));
	CHECK_RET(aclrtSetDevice(deviceId));

	aclrtPhysicalMemProp prop = {};
	prop.handleType = ACL_MEM_HANDLE_TYPE_NONE;
	prop.allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED;
	prop.memAttr = ACL_HBM_MEM_HUGE;
	prop.location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
	prop.location.id = deviceId;
	prop.reserve = 0;

	size_t granularity = 0;
	CHECK_RET(aclrtMemGetAllocationGranularity(&prop, ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM,
						   &granularity));
	size_t size = 4 * granularity;

	aclrtDrvMemHandle handle = nullptr;
	CHECK_RET(aclrtMallocPhysical(&handle, size, &prop, 0));
	void *virPtr = nullptr;
	CHECK_RET(aclrtReserveMemAddress(&virPtr, size, 0, nullptr, 1));
	CHECK_RET(aclrtMapMem(virPtr, size, 0, handle, 0));
	aclrtMemAccessDesc desc = {};
	desc.flags = ACL_RT_MEM_ACCESS_FLAGS_READWRITE;
	desc.location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
	desc.location.id = deviceId;
	CHECK_RET(aclrtMemSetAccess(virPtr, size, &desc, 1));
	uint64_t flags = 0;
	CHECK_RET(aclrtMemGetAccess(virPtr, &desc.location, &flags));
	if (flags != ACL_RT_MEM_ACCESS_FLAGS_READWRITE) {
		std::printf("the owner's access is %llu, not READWRITE\n",
			    static_cast<unsigned long long>(flags));
		return 1;
	}

	std::vector<unsigned char> host(size), back(size);
	for (size_t i = 0; i < size; i++)
		host[i] = static_cast<unsigned char>(i * 31 + 7);
	CHECK_RET(aclrtMemcpy(virPtr, size, host.data(), size, ACL_MEMCPY_HOST_TO_DEVICE));
	CHECK_RET(aclrtMemcpy(back.data(), size, virPtr, size, ACL_MEMCPY_DEVICE_TO_HOST));
	if (std::memcmp(host.data(), back.data(), size) != 0) {
		std::printf("device memory did not hold the bytes copied to it\n");
		return 1;
	}

	// Back through page-locked host memory on a stream of its own.
	void *pinned = nullptr;
	aclrtStream stream = nullptr;
	CHECK_RET(aclrtMallocHost(&pinned, size));
	CHECK_RET(aclrtCreateStream(&stream));
	std::memset(pinned, 0, size);
	CHECK_RET(aclrtMemcpyAsync(pinned, size, virPtr, size, ACL_MEMCPY_DEVICE_TO_HOST, stream));
	CHECK_RET(aclrtSynchronizeStreamWithTimeout(stream, 60000));
	if (std::memcmp(host.data(), pinned, size) != 0) {
		std::printf("the stream's copy to page-locked memory differs\n");
		return 1;
	}
	CHECK_RET(aclrtDestroyStreamForce(stream));
	CHECK_RET(aclrtFreeHost(pinned));

	size_t freeMem = 0, totalMem = 0;
	CHECK_RET(aclrtGetMemInfo(ACL_HBM_MEM, &freeMem, &totalMem));
	CHECK_RET(aclrtUnmapMem(virPtr));
	CHECK_RET(aclrtFreePhysical(handle));
	CHECK_RET(aclrtReleaseMemAddress(virPtr));
	CHECK_RET(aclrtResetDeviceForce(deviceId));
	CHECK_RET(aclFinalize());
	std::printf("cann_sample: %zu bytes through a %zu-byte-granular mapping; %zu of %zu MiB were free\n",
		    size, granularity, freeMem >> 20, totalMem >> 20);
	return 0;
}
