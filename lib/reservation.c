// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reservations of device virtual addresses: aclrtReserveMemAddress,
 * aclrtReleaseMemAddress.
 */
#include <stdint.h>

#include "internal.h"

aclError aclrtReserveMemAddress(void **virPtr, size_t size, size_t alignment,
				void *expectPtr, uint64_t flags)
{
	static const char api[] = "aclrtReserveMemAddress";
	uint64_t length, addr = (uintptr_t)expectPtr;
	uint32_t rflags = 0;
	aclError ret;
	int err;

	if (!virPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: virPtr is NULL", api);
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: size is 0", api);
	if (flags > 1)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flags=%#llx: must be 0 (normal pages) or 1 (huge pages)",
				    api, (unsigned long long)flags);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (alignment)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: alignment=%zu: must be 0", api,
				    alignment);
	if ((uintptr_t)expectPtr % ACL_VMM_GRANULE_1G)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: expectPtr=%p is not 1 GiB aligned",
				    api, expectPtr);
	if (size > ACL_VMM_VA_WINDOW_SIZE)
		return acl_vmm_fail(ACL_ERROR_RT_MEMORY_ALLOCATION,
				    "%s: size=%zu exceeds the device VA window (%llu bytes)",
				    api, size,
				    (unsigned long long)ACL_VMM_VA_WINDOW_SIZE);

	/* torch_npu probes with 512 bytes: round up to the granularity. */
	length = (size + ACL_VMM_GRANULE - 1) & ~(uint64_t)(ACL_VMM_GRANULE - 1);
	if (expectPtr)
		rflags |= ACL_VMM_RESERVE_FIXED;
	/* flags (huge pages or not) is a hint: the handle mapped decides. */
	err = acl_vmm_raw_reserve(acl_vmm_fd(), length, rflags, &addr);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_RESERVE, err,
					  "%s: size=%zu expectPtr=%p", api,
					  size, expectPtr);
	*virPtr = (void *)(uintptr_t)addr;
	return ACL_SUCCESS;
}

aclError aclrtReserveMemAddressNoUCMemory(void **virPtr, size_t size,
					  size_t alignment, void *expectPtr,
					  uint64_t flags)
{
	static const char api[] = "aclrtReserveMemAddressNoUCMemory";

	/*
	 * CANN's reservation outside the device's unified-cache window: here
	 * every reservation is ordinary process memory, so it differs from
	 * aclrtReserveMemAddress only by its rules.
	 */
	if (!virPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: virPtr is NULL",
				    api);
	if (!expectPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: expectPtr is NULL: this reservation needs the address it is to take",
				    api);
	if (!size || size % ACL_VMM_GRANULE_1G)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: size=%zu: must be a non-zero multiple of 1 GiB",
				    api, size);
	return aclrtReserveMemAddress(virPtr, size, alignment, expectPtr, flags);
}

aclError aclrtReleaseMemAddress(void *virPtr)
{
	return acl_vmm_addr_call("aclrtReleaseMemAddress", ACL_VMM_OP_RELEASE,
				 virPtr, acl_vmm_raw_release);
}
