// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Physical memory: aclrtMallocPhysical, aclrtFreePhysical,
 * aclrtMemGetAllocationGranularity.
 *
 * An aclrtDrvMemHandle is the kernel's handle id (never 0) carried in the
 * pointer. The kernel keeps where the memory is and its granularity; the
 * memAttr a handle was allocated with, which only the ACL layer tells
 * apart (HUGE from NORMAL, P2P or not), is kept here for
 * aclrtMemGetAllocationPropertiesFromHandle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The memAttr of each handle this process allocated: a small hash table. */
struct acl_vmm_attr_entry {
	uint32_t id;
	uint8_t attr;
};

static pthread_mutex_t acl_vmm_attr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct acl_vmm_attr_entry *acl_vmm_attrs;	/* id 0: empty slot */
static size_t acl_vmm_attr_slots, acl_vmm_attr_used;

static size_t acl_vmm_attr_slot(struct acl_vmm_attr_entry *t, size_t n,
				uint32_t id)
{
	size_t i = (id * 2654435761U) & (n - 1);

	while (t[i].id && t[i].id != id)
		i = (i + 1) & (n - 1);
	return i;
}

/* Remember @id's @attr; on out of memory the attribute is only not kept. */
static void acl_vmm_attr_set(uint32_t id, aclrtMemAttr attr)
{
	struct acl_vmm_attr_entry *t;
	size_t i, n;

	pthread_mutex_lock(&acl_vmm_attr_lock);
	if ((acl_vmm_attr_used + 1) * 2 > acl_vmm_attr_slots) {
		n = acl_vmm_attr_slots ? acl_vmm_attr_slots * 2 : 64;
		t = calloc(n, sizeof(*t));
		if (!t)
			goto out;
		for (i = 0; i < acl_vmm_attr_slots; i++)
			if (acl_vmm_attrs[i].id)
				t[acl_vmm_attr_slot(t, n, acl_vmm_attrs[i].id)] =
					acl_vmm_attrs[i];
		free(acl_vmm_attrs);
		acl_vmm_attrs = t;
		acl_vmm_attr_slots = n;
	}
	i = acl_vmm_attr_slot(acl_vmm_attrs, acl_vmm_attr_slots, id);
	if (!acl_vmm_attrs[i].id)
		acl_vmm_attr_used++;
	acl_vmm_attrs[i].id = id;
	acl_vmm_attrs[i].attr = (uint8_t)attr;
out:
	pthread_mutex_unlock(&acl_vmm_attr_lock);
}

/* @id's memAttr, or -1 when this process did not allocate it. */
static int acl_vmm_attr_get(uint32_t id)
{
	int attr = -1;
	size_t i;

	pthread_mutex_lock(&acl_vmm_attr_lock);
	if (acl_vmm_attr_slots) {
		i = acl_vmm_attr_slot(acl_vmm_attrs, acl_vmm_attr_slots, id);
		if (acl_vmm_attrs[i].id)
			attr = acl_vmm_attrs[i].attr;
	}
	pthread_mutex_unlock(&acl_vmm_attr_lock);
	return attr;
}

#define ACL_VMM_MEM_ATTR_MAX ACL_MEM_P2P_HUGE1G

size_t acl_vmm_attr_granularity(aclrtMemAttr attr)
{
	switch (attr) {
	case ACL_HBM_MEM_HUGE1G:
	case ACL_HBM_MEM_P2P_HUGE1G:
	case ACL_MEM_HUGE1G:
	case ACL_MEM_P2P_HUGE1G:
		return ACL_VMM_GRANULE_1G;
	default:
		return ACL_VMM_GRANULE;
	}
}

static bool acl_vmm_attr_is_ddr(aclrtMemAttr attr)
{
	return attr == ACL_DDR_MEM_HUGE || attr == ACL_DDR_MEM_NORMAL ||
	       attr == ACL_DDR_MEM_P2P_HUGE || attr == ACL_DDR_MEM_P2P_NORMAL;
}

/* The ACL layer's checks of a property (ACL_ERROR_INVALID_PARAM). */
aclError acl_vmm_check_prop(const char *api, const aclrtPhysicalMemProp *prop)
{
	unsigned int attr = prop->memAttr;
	unsigned int type = prop->location.type;

	if (prop->handleType != ACL_MEM_HANDLE_TYPE_NONE)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: prop->handleType=%u: only ACL_MEM_HANDLE_TYPE_NONE is supported",
				    api, (unsigned int)prop->handleType);
	if (prop->allocationType != ACL_MEM_ALLOCATION_TYPE_PINNED)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: prop->allocationType=%u: only ACL_MEM_ALLOCATION_TYPE_PINNED is supported",
				    api, (unsigned int)prop->allocationType);
	if (type != ACL_MEM_LOCATION_TYPE_HOST &&
	    type != ACL_MEM_LOCATION_TYPE_DEVICE &&
	    type != ACL_MEM_LOCATION_TYPE_HOST_NUMA)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: prop->location.type=%u: must be ACL_MEM_LOCATION_TYPE_DEVICE, _HOST or _HOST_NUMA",
				    api, type);
	if (attr > ACL_VMM_MEM_ATTR_MAX || attr == ACL_DDR_MEM ||
	    attr == ACL_HBM_MEM || attr == ACL_HBM_MEM_P2P_HUGE ||
	    attr == ACL_HBM_MEM_P2P_NORMAL || attr == ACL_HBM_MEM_P2P_HUGE1G)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: prop->memAttr=%u is not accepted for physical memory (ACL_DDR_MEM, ACL_HBM_MEM and ACL_HBM_MEM_P2P_* are not; values go up to %u)",
				    api, attr, ACL_VMM_MEM_ATTR_MAX);
	if (acl_vmm_attr_is_ddr(prop->memAttr) &&
	    type == ACL_MEM_LOCATION_TYPE_DEVICE)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: prop->memAttr=%u is host (DDR) memory and cannot be located on a device",
				    api, attr);
	return ACL_SUCCESS;
}

aclError acl_vmm_handle_id(const char *api, aclrtDrvMemHandle handle,
			   uint32_t *id)
{
	uintptr_t v = (uintptr_t)handle;

	if (v > INT32_MAX)
		return acl_vmm_fail(ACL_ERROR_RT_INVALID_HANDLE,
				    "%s: handle %p was not returned by aclrtMallocPhysical",
				    api, handle);
	*id = (uint32_t)v;
	return ACL_SUCCESS;
}

static uint32_t acl_vmm_location(aclrtMemLocationType type)
{
	switch (type) {
	case ACL_MEM_LOCATION_TYPE_DEVICE:
		return ACL_VMM_LOCATION_DEVICE;
	case ACL_MEM_LOCATION_TYPE_HOST_NUMA:
		return ACL_VMM_LOCATION_HOST_NUMA;
	default:
		return ACL_VMM_LOCATION_HOST;
	}
}

aclError aclrtMallocPhysical(aclrtDrvMemHandle *handle, size_t size,
			     const aclrtPhysicalMemProp *prop, uint64_t flags)
{
	static const char api[] = "aclrtMallocPhysical";
	uint32_t location_id, id = 0;
	size_t granule;
	aclError ret;
	int err;

	if (!handle || !prop)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !handle ? "handle" : "prop");
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: size is 0", api);
	if (flags)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flags=%#llx: must be 0", api,
				    (unsigned long long)flags);
	ret = acl_vmm_check_prop(api, prop);
	if (ret)
		return ret;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (prop->reserve)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: prop->reserve=%#llx: must be 0", api,
				    (unsigned long long)prop->reserve);
	if (prop->location.type == ACL_MEM_LOCATION_TYPE_DEVICE) {
		ret = acl_vmm_check_device(api, "prop->location.id",
					   prop->location.id);
		if (ret)
			return ret;
	}
	granule = acl_vmm_attr_granularity(prop->memAttr);
	if (size % granule)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: size=%zu is not a multiple of the granularity %zu of memAttr %u",
				    api, size, granule,
				    (unsigned int)prop->memAttr);

	location_id = prop->location.type == ACL_MEM_LOCATION_TYPE_DEVICE ?
		      acl_vmm_phys_device((int32_t)prop->location.id) :
		      prop->location.id;
	err = acl_vmm_raw_alloc(acl_vmm_fd(),
				acl_vmm_location(prop->location.type),
				location_id, size,
				granule == ACL_VMM_GRANULE_1G ? ACL_VMM_ALLOC_HUGE1G : 0,
				&id);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ALLOC, err,
					  "%s: size=%zu location.type=%u location.id=%u",
					  api, size,
					  (unsigned int)prop->location.type,
					  prop->location.id);
	acl_vmm_attr_set(id, prop->memAttr);
	*handle = (aclrtDrvMemHandle)(uintptr_t)id;
	return ACL_SUCCESS;
}

aclError aclrtMemRetainAllocationHandle(void *virPtr, aclrtDrvMemHandle *handle)
{
	static const char api[] = "aclrtMemRetainAllocationHandle";
	uint32_t id = 0;
	aclError ret;
	int err;

	if (!virPtr || !handle)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !virPtr ? "virPtr" : "handle");
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_raw_retain(acl_vmm_fd(), (uintptr_t)virPtr, &id);
	if (err == -ENOENT)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: virPtr=%p is not the start of a mapping (aclrtMapMem's virPtr)",
				    api, virPtr);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s: virPtr=%p",
					  api, virPtr);
	*handle = (aclrtDrvMemHandle)(uintptr_t)id;
	return ACL_SUCCESS;
}

/* The memAttr of memory allocated elsewhere (an import): by its kind. */
static aclrtMemAttr acl_vmm_attr_of(const struct acl_vmm_handle_info *info)
{
	bool huge1g = info->alloc_flags & ACL_VMM_ALLOC_HUGE1G;

	if (info->location == ACL_VMM_LOCATION_DEVICE)
		return huge1g ? ACL_HBM_MEM_HUGE1G : ACL_HBM_MEM_HUGE;
	return huge1g ? ACL_MEM_HUGE1G : ACL_DDR_MEM_HUGE;
}

aclError aclrtMemGetAllocationPropertiesFromHandle(aclrtDrvMemHandle handle,
						   aclrtPhysicalMemProp *prop)
{
	static const char api[] = "aclrtMemGetAllocationPropertiesFromHandle";
	struct acl_vmm_handle_info info;
	uint32_t id = 0;
	aclError ret;
	int err, attr;

	if (!handle || !prop)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !handle ? "handle" : "prop");
	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_handle_id(api, handle, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_handle_info(acl_vmm_fd(), id, &info);
	if (err == -ENOENT)
		return acl_vmm_fail(ACL_ERROR_RT_INVALID_HANDLE,
				    "%s: handle=%p is not a live handle of this process",
				    api, handle);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s: handle=%p",
					  api, handle);
	memset(prop, 0, sizeof(*prop));
	prop->handleType = ACL_MEM_HANDLE_TYPE_NONE;
	prop->allocationType = ACL_MEM_ALLOCATION_TYPE_PINNED;
	attr = info.result & ACL_VMM_HANDLE_IMPORTED ? -1 : acl_vmm_attr_get(id);
	prop->memAttr = attr >= 0 ? (aclrtMemAttr)attr : acl_vmm_attr_of(&info);
	switch (info.location) {
	case ACL_VMM_LOCATION_DEVICE:
		prop->location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
		prop->location.id = (uint32_t)acl_vmm_logical_device(info.location_id);
		break;
	case ACL_VMM_LOCATION_HOST_NUMA:
		prop->location.type = ACL_MEM_LOCATION_TYPE_HOST_NUMA;
		prop->location.id = info.location_id;
		break;
	default:
		prop->location.type = ACL_MEM_LOCATION_TYPE_HOST;
		break;
	}
	return ACL_SUCCESS;
}

aclError aclrtFreePhysical(aclrtDrvMemHandle handle)
{
	static const char api[] = "aclrtFreePhysical";
	aclError ret;
	uint32_t id = 0;
	int err;

	ret = acl_vmm_ready_arg(api, handle, "handle");
	if (ret)
		return ret;
	ret = acl_vmm_handle_id(api, handle, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_destroy(acl_vmm_fd(), id);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_FREE, err,
					  "%s: handle=%p", api, handle);
	return ACL_SUCCESS;
}

aclError aclrtMemGetAllocationGranularity(aclrtPhysicalMemProp *prop,
					  aclrtMemGranularityOptions option,
					  size_t *granularity)
{
	static const char api[] = "aclrtMemGetAllocationGranularity";
	aclError ret;

	if (!prop || !granularity)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !prop ? "prop" : "granularity");
	ret = acl_vmm_check_prop(api, prop);
	if (ret)
		return ret;
	if (option == ACL_RT_MEM_ALLOC_GRANULARITY_UNDEF)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: option ACL_RT_MEM_ALLOC_GRANULARITY_UNDEF is not supported",
				    api);
	if (option != ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM &&
	    option != ACL_RT_MEM_ALLOC_GRANULARITY_RECOMMENDED)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: option=%u: must be ACL_RT_MEM_ALLOC_GRANULARITY_MINIMUM or _RECOMMENDED",
				    api, (unsigned int)option);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (prop->location.type == ACL_MEM_LOCATION_TYPE_DEVICE) {
		ret = acl_vmm_check_device(api, "prop->location.id",
					   prop->location.id);
		if (ret)
			return ret;
	}
	*granularity = acl_vmm_attr_granularity(prop->memAttr);
	return ACL_SUCCESS;
}
