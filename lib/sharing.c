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

aclError aclrtMemExportToShareableHandle(aclrtDrvMemHandle handle,
					 aclrtMemHandleType handleType,
					 uint64_t flags, uint64_t *shareableHandle)
{
	static const char api[] = "aclrtMemExportToShareableHandle";
	struct acl_vmm_export cmd = { .size = sizeof(cmd) };
	aclError ret;
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
	ret = acl_vmm_handle_id(api, handle, &cmd.handle);
	if (ret)
		return ret;
	if (flags & ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION)
		cmd.flags = ACL_VMM_EXPORT_NO_PID_CHECK;
	err = acl_vmm_ioctl(ACL_VMM_EXPORT, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EXPORT, err, "%s: handle=%p",
					  api, handle);
	*shareableHandle = cmd.share;
	return ACL_SUCCESS;
}

aclError aclrtMemSetPidToShareableHandle(uint64_t shareableHandle, int32_t *pid,
					 size_t pidNum)
{
	static const char api[] = "aclrtMemSetPidToShareableHandle";
	struct acl_vmm_set_pids cmd = { .size = sizeof(cmd) };
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
	cmd.share = shareableHandle;
	cmd.pids = (uintptr_t)pid;
	cmd.count = (uint32_t)pidNum;
	err = acl_vmm_ioctl(ACL_VMM_SET_PIDS, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SET_PIDS, err,
					  "%s: shareableHandle=%#llx pidNum=%zu",
					  api, (unsigned long long)shareableHandle,
					  pidNum);
	return ACL_SUCCESS;
}

aclError aclrtMemImportFromShareableHandle(uint64_t shareableHandle,
					   int32_t deviceId,
					   aclrtDrvMemHandle *handle)
{
	static const char api[] = "aclrtMemImportFromShareableHandle";
	struct acl_vmm_import cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	if (!handle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: handle is NULL", api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_check_device(api, "deviceId", deviceId);
	if (ret)
		return ret;
	cmd.share = shareableHandle;
	cmd.device = acl_vmm_phys_device(deviceId);
	err = acl_vmm_ioctl(ACL_VMM_IMPORT, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_IMPORT, err,
					  "%s: shareableHandle=%#llx deviceId=%d",
					  api, (unsigned long long)shareableHandle,
					  deviceId);
	*handle = (aclrtDrvMemHandle)(uintptr_t)cmd.handle;
	return ACL_SUCCESS;
}

aclError aclrtDeviceGetBareTgid(int32_t *pid)
{
	static const char api[] = "aclrtDeviceGetBareTgid";
	struct acl_vmm_tgid cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	if (!pid)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: pid is NULL", api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_GET_TGID, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s", api);
	*pid = cmd.tgid;
	return ACL_SUCCESS;
}
