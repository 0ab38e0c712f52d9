// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device access rights and peer access: aclrtMemSetAccess,
 * aclrtMemGetAccess, aclrtMemMapNoAccess, aclrtDeviceCanAccessPeer,
 * aclrtDeviceEnablePeerAccess, aclrtDeviceDisablePeerAccess.
 *
 * Each device reaches device memory through a page table of its own in
 * the kernel. aclrtMapMem gives the device that owns the memory
 * READWRITE; aclrtMemSetAccess programs the other devices' tables (and
 * may lower the owner's right), in one call that changes every right it
 * names or none. Peer access is per direction: work running on a device
 * reaches another device's memory only once peer access from the first to
 * the second is on.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "internal.h"

static bool acl_vmm_access_flags_valid(uint64_t flags)
{
	return flags == ACL_RT_MEM_ACCESS_FLAGS_NONE ||
	       flags == ACL_RT_MEM_ACCESS_FLAGS_READ ||
	       flags == ACL_RT_MEM_ACCESS_FLAGS_READWRITE;
}

/* Check one location naming a device; its module index in @phys. */
static aclError acl_vmm_location_device(const char *api, const char *arg,
					const aclrtMemLocation *location,
					uint32_t *phys)
{
	aclError ret;

	if (location->type != ACL_MEM_LOCATION_TYPE_DEVICE)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: %s.type=%u: must be ACL_MEM_LOCATION_TYPE_DEVICE (%u): rights are given to devices",
				    api, arg, (unsigned int)location->type,
				    (unsigned int)ACL_MEM_LOCATION_TYPE_DEVICE);
	ret = acl_vmm_check_device(api, arg, location->id);
	if (!ret)
		*phys = acl_vmm_phys_device((int32_t)location->id);
	return ret;
}

aclError aclrtMemSetAccess(void *virPtr, size_t size, aclrtMemAccessDesc *desc,
			   size_t count)
{
	static const char api[] = "aclrtMemSetAccess";
	struct acl_vmm_access_desc descs[ACL_VMM_MAX_DEVICES];
	char arg[32];
	aclError ret;
	size_t i;
	int err;

	if (!virPtr || !desc)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !virPtr ? "virPtr" : "desc");
	if (!count)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: count is 0",
				    api);
	if (!size)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID, "%s: size is 0",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (count > ACL_VMM_MAX_DEVICES)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: count=%zu: at most one desc per device (%u)",
				    api, count, ACL_VMM_MAX_DEVICES);
	for (i = 0; i < count; i++) {
		if (!acl_vmm_access_flags_valid(desc[i].flags))
			return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
					    "%s: desc[%zu].flags=%#x: must be ACL_RT_MEM_ACCESS_FLAGS_NONE, _READ or _READWRITE",
					    api, i, (unsigned int)desc[i].flags);
		snprintf(arg, sizeof(arg), "desc[%zu].location", i);
		ret = acl_vmm_location_device(api, arg, &desc[i].location,
					      &descs[i].device);
		if (ret)
			return ret;
		descs[i].access = desc[i].flags;
	}
	err = acl_vmm_raw_set_access(acl_vmm_fd(), (uintptr_t)virPtr, size,
				     descs, (uint32_t)count);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SET_ACCESS, err,
					  "%s: virPtr=%p size=%zu", api, virPtr,
					  size);
	return ACL_SUCCESS;
}

aclError aclrtMemGetAccess(void *virPtr, aclrtMemLocation *location,
			   uint64_t *flag)
{
	static const char api[] = "aclrtMemGetAccess";
	uint32_t phys, access = 0;
	aclError ret;
	int err;

	if (!virPtr || !location || !flag)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !virPtr ? "virPtr" :
				    !location ? "location" : "flag");
	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_location_device(api, "location", location, &phys);
	if (ret)
		return ret;
	err = acl_vmm_raw_get_access(acl_vmm_fd(), (uintptr_t)virPtr, phys,
				     &access);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_GET_ACCESS, err,
					  "%s: virPtr=%p location.id=%u", api,
					  virPtr, location->id);
	*flag = access;
	return ACL_SUCCESS;
}

aclError aclrtMemMapNoAccess(void *virPtr, size_t size, size_t offset,
			     aclrtDrvMemHandle handle, uint64_t flags)
{
	return acl_vmm_map("aclrtMemMapNoAccess", virPtr, size, offset, handle,
			   flags, ACL_VMM_MAP_NOACCESS);
}

/* Check the two devices of a peer call; their module indexes out. */
static aclError acl_vmm_peer_devices(const char *api, int32_t device,
				     int32_t peer, uint32_t *phys,
				     uint32_t *phys_peer)
{
	aclError ret = acl_vmm_check_device(api, "peerDeviceId", peer);

	if (ret)
		return ret;
	if (device == peer)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: peerDeviceId=%d is the current device: peer access is between two devices",
				    api, peer);
	*phys = acl_vmm_phys_device(device);
	*phys_peer = acl_vmm_phys_device(peer);
	return ACL_SUCCESS;
}

aclError aclrtDeviceCanAccessPeer(int32_t *canAccessPeer, int32_t deviceId,
				  int32_t peerDeviceId)
{
	static const char api[] = "aclrtDeviceCanAccessPeer";
	aclError ret;

	if (!canAccessPeer)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: canAccessPeer is NULL", api);
	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_check_device(api, "deviceId", deviceId);
	if (!ret)
		ret = acl_vmm_check_device(api, "peerDeviceId", peerDeviceId);
	if (ret)
		return ret;
	/* Every two devices of the module can: their engines share the host. */
	*canAccessPeer = deviceId != peerDeviceId;
	return ACL_SUCCESS;
}

static aclError acl_vmm_peer(const char *api, int32_t peerDeviceId,
			     uint32_t flags)
{
	uint32_t phys = 0, phys_peer = 0;
	int32_t device = 0;
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_current_device(api, &device);
	if (!ret)
		ret = acl_vmm_peer_devices(api, device, peerDeviceId, &phys,
					   &phys_peer);
	if (ret)
		return ret;
	err = acl_vmm_raw_peer(acl_vmm_fd(), phys, phys_peer, flags);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_PEER, err,
					  "%s: device %d, peerDeviceId=%d", api,
					  device, peerDeviceId);
	return ACL_SUCCESS;
}

aclError aclrtDeviceEnablePeerAccess(int32_t peerDeviceId, uint32_t flags)
{
	static const char api[] = "aclrtDeviceEnablePeerAccess";

	if (flags)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: flags=%#x: must be 0", api, flags);
	return acl_vmm_peer(api, peerDeviceId, 0);
}

aclError aclrtDeviceDisablePeerAccess(int32_t peerDeviceId)
{
	return acl_vmm_peer("aclrtDeviceDisablePeerAccess", peerDeviceId,
			    ACL_VMM_PEER_DISABLE);
}
