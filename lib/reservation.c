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
	struct acl_vmm_reserve cmd = { .size = sizeof(cmd) };
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
	cmd.length = (size + ACL_VMM_GRANULE - 1) & ~(uint64_t)(ACL_VMM_GRANULE - 1);
	if (expectPtr) {
		cmd.flags |= ACL_VMM_RESERVE_FIXED;
		cmd.addr = (uintptr_t)expectPtr;
	}
	if (flags)
		cmd.flags |= ACL_VMM_RESERVE_HUGE;
	err = acl_vmm_ioctl(ACL_VMM_RESERVE, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_RESERVE, err,
					  "%s: size=%zu expectPtr=%p", api,
					  size, expectPtr);
	*virPtr = (void *)(uintptr_t)cmd.addr;
	return ACL_SUCCESS;
}

aclError aclrtReleaseMemAddress(void *virPtr)
{
	static const char api[] = "aclrtReleaseMemAddress";
	struct acl_vmm_release cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	if (!virPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: virPtr is NULL", api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	cmd.addr = (uintptr_t)virPtr;
	err = acl_vmm_ioctl(ACL_VMM_RELEASE, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_RELEASE, err,
					  "%s: virPtr=%p", api, virPtr);
	return ACL_SUCCESS;
}
