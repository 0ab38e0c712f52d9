// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mapping physical memory into reservations: aclrtMapMem, aclrtUnmapMem
 * (aclrtMemMapNoAccess is in access.c).
 */
#include <stdint.h>

#include "internal.h"

/* aclrtMapMem, and aclrtMemMapNoAccess with @map_flags ACL_VMM_MAP_NOACCESS. */
aclError acl_vmm_map(const char *api, void *virPtr, size_t size, size_t offset,
		     aclrtDrvMemHandle handle, uint64_t flags, uint32_t map_flags)
{
	aclError ret;
	uint32_t id = 0;
	int err;

	if (!virPtr || !handle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !virPtr ? "virPtr" : "handle");
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: size is 0", api);
	if (flags)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flags=%#llx: must be 0", api,
				    (unsigned long long)flags);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (offset)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: offset=%zu: must be 0", api, offset);
	ret = acl_vmm_handle_id(api, handle, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_map_flags(acl_vmm_fd(), (uintptr_t)virPtr, size, id,
				    map_flags);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_MAP, err,
					  "%s: virPtr=%p size=%zu handle=%p",
					  api, virPtr, size, handle);
	return ACL_SUCCESS;
}

aclError aclrtMapMem(void *virPtr, size_t size, size_t offset,
		     aclrtDrvMemHandle handle, uint64_t flags)
{
	return acl_vmm_map("aclrtMapMem", virPtr, size, offset, handle, flags, 0);
}

aclError acl_vmm_addr_call(const char *api, enum acl_vmm_op op, void *virPtr,
			   int (*raw)(int fd, uint64_t addr))
{
	aclError ret = acl_vmm_ready_arg(api, virPtr, "virPtr");
	int err;

	if (ret)
		return ret;
	err = raw(acl_vmm_fd(), (uintptr_t)virPtr);
	if (err)
		return acl_vmm_fail_errno(op, err, "%s: virPtr=%p", api, virPtr);
	return ACL_SUCCESS;
}

aclError aclrtUnmapMem(void *virPtr)
{
	return acl_vmm_addr_call("aclrtUnmapMem", ACL_VMM_OP_UNMAP, virPtr,
				 acl_vmm_raw_unmap);
}
