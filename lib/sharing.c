// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sharing physical memory between processes:
 * aclrtMemExportToShareableHandle, aclrtMemSetPidToShareableHandle,
 * aclrtMemImportFromShareableHandle, aclrtDeviceGetBareTgid.
 *
 * The shareable handle is the kernel's share value: the exporting device
 * in bits 39..32, the share id in bits 31..0.
 */
#include <stdint.h>

#include "internal.h"

/* The calls' work, for the V1 and V2 names (@api names the caller's). */
static aclError acl_vmm_share_export(const char *api, aclrtDrvMemHandle handle,
				     aclrtMemHandleType handleType,
				     uint64_t flags, uint64_t *shareableHandle)
{
	aclError ret;
	uint32_t id = 0;
	int err;

	if (!handle || !shareableHandle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !handle ? "handle" : "shareableHandle");
	if (handleType != ACL_MEM_HANDLE_TYPE_NONE)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: handleType=%u: only ACL_MEM_HANDLE_TYPE_NONE is supported",
				    api, (unsigned int)handleType);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (flags > ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: flags=%#llx: must be ACL_RT_VMM_EXPORT_FLAG_DEFAULT or _DISABLE_PID_VALIDATION",
				    api, (unsigned long long)flags);
	ret = acl_vmm_handle_id(api, handle, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_export(acl_vmm_fd(), id,
				 flags & ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION ?
				 ACL_VMM_EXPORT_NO_PID_CHECK : 0, shareableHandle);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EXPORT, err, "%s: handle=%p",
					  api, handle);
	return ACL_SUCCESS;
}

aclError acl_vmm_share_set_pids(const char *api, uint64_t shareableHandle,
				int32_t *pid, size_t pidNum)
{
	aclError ret;
	int err;

	if (!pid || !pidNum)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s", api,
				    !pid ? "pid is NULL" : "pidNum is 0");
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (pidNum > ACL_VMM_SHARE_MAX_PIDS)
		return acl_vmm_fail(ACL_ERROR_RT_OVER_LIMIT,
				    "%s: pidNum=%zu: a share names at most %u processes",
				    api, pidNum, ACL_VMM_SHARE_MAX_PIDS);
	err = acl_vmm_raw_set_pids(acl_vmm_fd(), shareableHandle, pid,
				   (uint32_t)pidNum);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SET_PIDS, err,
					  "%s: shareableHandle=%#llx pidNum=%zu",
					  api, (unsigned long long)shareableHandle,
					  pidNum);
	return ACL_SUCCESS;
}

static aclError acl_vmm_share_import(const char *api, uint64_t shareableHandle,
				     int32_t deviceId, aclrtDrvMemHandle *handle)
{
	aclError ret;
	uint32_t id = 0;
	int err;

	ret = acl_vmm_ready_arg(api, handle, "handle");
	if (ret)
		return ret;
	ret = acl_vmm_check_device(api, "deviceId", deviceId);
	if (ret)
		return ret;
	err = acl_vmm_raw_import(acl_vmm_fd(), shareableHandle,
				 acl_vmm_phys_device(deviceId), &id);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_IMPORT, err,
					  "%s: shareableHandle=%#llx deviceId=%d",
					  api, (unsigned long long)shareableHandle,
					  deviceId);
	*handle = (aclrtDrvMemHandle)(uintptr_t)id;
	return ACL_SUCCESS;
}

aclError aclrtMemExportToShareableHandle(aclrtDrvMemHandle handle,
					 aclrtMemHandleType handleType,
					 uint64_t flags, uint64_t *shareableHandle)
{
	return acl_vmm_share_export("aclrtMemExportToShareableHandle", handle,
				    handleType, flags, shareableHandle);
}

aclError aclrtMemSetPidToShareableHandle(uint64_t shareableHandle, int32_t *pid,
					 size_t pidNum)
{
	return acl_vmm_share_set_pids("aclrtMemSetPidToShareableHandle",
				      shareableHandle, pid, pidNum);
}

aclError aclrtMemImportFromShareableHandle(uint64_t shareableHandle,
					   int32_t deviceId,
					   aclrtDrvMemHandle *handle)
{
	return acl_vmm_share_import("aclrtMemImportFromShareableHandle",
				    shareableHandle, deviceId, handle);
}

/*
 * The V2 calls take the share's type: DEFAULT is a uint64_t at
 * shareableHandle, as the V1 calls' value; FABRIC (memory shared across
 * nodes over a fabric) does not exist on these devices.
 */
static aclError acl_vmm_share_type(const char *api, aclrtMemSharedHandleType type)
{
	if (type == ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT)
		return ACL_SUCCESS;
	if (type == ACL_MEM_SHARE_HANDLE_TYPE_FABRIC)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: shareType=ACL_MEM_SHARE_HANDLE_TYPE_FABRIC: fabric memory (shared across nodes) is not supported on these devices; use ACL_MEM_SHARE_HANDLE_TYPE_DEFAULT",
				    api);
	return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
			    "%s: shareType=%u is not an aclrtMemSharedHandleType",
			    api, (unsigned int)type);
}

aclError aclrtMemExportToShareableHandleV2(aclrtDrvMemHandle handle,
					   uint64_t flags,
					   aclrtMemSharedHandleType shareType,
					   void *shareableHandle)
{
	aclError ret;

	if (!handle || !shareableHandle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    "aclrtMemExportToShareableHandleV2",
				    !handle ? "handle" : "shareableHandle");
	ret = acl_vmm_share_type("aclrtMemExportToShareableHandleV2", shareType);
	if (ret)
		return ret;
	return acl_vmm_share_export("aclrtMemExportToShareableHandleV2", handle,
				    ACL_MEM_HANDLE_TYPE_NONE, flags, shareableHandle);
}

aclError aclrtMemSetPidToShareableHandleV2(void *shareableHandle,
					   aclrtMemSharedHandleType shareType,
					   int32_t *pid, size_t pidNum)
{
	aclError ret;

	if (!shareableHandle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtMemSetPidToShareableHandleV2: shareableHandle is NULL");
	ret = acl_vmm_share_type("aclrtMemSetPidToShareableHandleV2", shareType);
	if (ret)
		return ret;
	return acl_vmm_share_set_pids("aclrtMemSetPidToShareableHandleV2",
				      *(uint64_t *)shareableHandle, pid, pidNum);
}

aclError aclrtMemImportFromShareableHandleV2(void *shareableHandle,
					     aclrtMemSharedHandleType shareType,
					     uint64_t flags,
					     aclrtDrvMemHandle *handle)
{
	static const char api[] = "aclrtMemImportFromShareableHandleV2";
	int32_t device;
	aclError ret;

	if (!shareableHandle || !handle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !shareableHandle ? "shareableHandle" : "handle");
	ret = acl_vmm_share_type(api, shareType);
	if (ret)
		return ret;
	if (flags)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flags=%#llx: must be 0", api,
				    (unsigned long long)flags);
	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	return acl_vmm_share_import(api, *(uint64_t *)shareableHandle, device,
				    handle);
}

aclError aclrtDeviceGetBareTgid(int32_t *pid)
{
	static const char api[] = "aclrtDeviceGetBareTgid";
	aclError ret;
	int err;

	ret = acl_vmm_ready_arg(api, pid, "pid");
	if (ret)
		return ret;
	err = acl_vmm_raw_get_tgid(acl_vmm_fd(), pid);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s", api);
	return ACL_SUCCESS;
}
