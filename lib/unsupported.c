// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The calls of CANN's runtime that MindSpore's symbol table and similar
 * loaders look up, but that these devices cannot carry out: each exists, so
 * that a dlsym() finds it, and returns ACL_ERROR_RT_FEATURE_NOT_SUPPORT
 * (207000) with a message that says why. None returns success.
 */
#include "internal.h"

/* 207000 for @api, because of @why. */
static aclError acl_vmm_unsupported(const char *api, const char *why)
{
	return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
			    "%s: not supported on these devices: %s", api, why);
}

#define ACL_VMM_NO_HOST_CALLBACKS \
	"host callbacks on streams are not provided (synchronize the stream, or record an event and synchronize it, then call the function)"

aclError aclrtLaunchCallback(aclrtCallback fn, void *userData,
			     aclrtCallbackBlockType blockType, aclrtStream stream)
{
	(void)fn;
	(void)userData;
	(void)blockType;
	(void)stream;
	return acl_vmm_unsupported("aclrtLaunchCallback", ACL_VMM_NO_HOST_CALLBACKS);
}

aclError aclrtSubscribeReport(uint64_t threadId, aclrtStream stream)
{
	(void)threadId;
	(void)stream;
	return acl_vmm_unsupported("aclrtSubscribeReport", ACL_VMM_NO_HOST_CALLBACKS);
}

aclError aclrtUnSubscribeReport(uint64_t threadId, aclrtStream stream)
{
	(void)threadId;
	(void)stream;
	return acl_vmm_unsupported("aclrtUnSubscribeReport", ACL_VMM_NO_HOST_CALLBACKS);
}

aclError aclrtProcessReport(int32_t timeout)
{
	(void)timeout;
	return acl_vmm_unsupported("aclrtProcessReport", ACL_VMM_NO_HOST_CALLBACKS);
}

aclError aclrtResetEvent(aclrtEvent event, aclrtStream stream)
{
	(void)event;
	(void)stream;
	return acl_vmm_unsupported("aclrtResetEvent",
				   "events here are re-armed by aclrtRecordEvent, as CUDA's are; there is no stream-ordered reset");
}

#define ACL_VMM_NO_COMPUTE \
	"the devices copy and fill memory only: they run no operators or float arithmetic"

aclError aclrtSetDeviceSatMode(aclrtFloatOverflowMode mode)
{
	(void)mode;
	return acl_vmm_unsupported("aclrtSetDeviceSatMode", ACL_VMM_NO_COMPUTE);
}

aclError aclrtGetDeviceSatMode(aclrtFloatOverflowMode *mode)
{
	(void)mode;
	return acl_vmm_unsupported("aclrtGetDeviceSatMode", ACL_VMM_NO_COMPUTE);
}

aclError aclrtSetOpWaitTimeout(uint32_t timeout)
{
	(void)timeout;
	return acl_vmm_unsupported("aclrtSetOpWaitTimeout",
				   "waits have no device-side timeout; use aclrtSynchronizeStreamWithTimeout or aclrtSynchronizeEventWithTimeout");
}

aclError aclrtSetOpExecuteTimeOut(uint32_t timeout)
{
	(void)timeout;
	return acl_vmm_unsupported("aclrtSetOpExecuteTimeOut", ACL_VMM_NO_COMPUTE);
}
