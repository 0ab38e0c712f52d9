// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device memory the simple way: aclrtMalloc, aclrtFree, aclrtMemcpy,
 * aclrtMemset, aclrtGetMemInfo, aclrtMemGetAddressRange.
 *
 * aclrtMalloc is a reservation (marked as a malloc block in the kernel),
 * a handle of the current device and a mapping; the handle is freed at
 * once, so that its memory goes with the mapping. aclrtFree asks the
 * kernel what the pointer is, so the library keeps no table of blocks.
 *
 * Copies and memsets with a device side run on the device's engine, on
 * the current context's default stream, after the kernel has confirmed
 * that the device side is mapped device memory; the synchronous calls
 * wait for their own work. A host-to-host copy runs on the CPU.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "internal.h"

static aclError acl_vmm_check_device_range(const char *api, const char *arg,
					   const void *ptr, size_t count)
{
	struct acl_vmm_query q;
	int err = acl_vmm_raw_query(acl_vmm_fd(), (uintptr_t)ptr, count, &q);

	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_QUERY_RANGE, err,
					  "%s: %s=%p count=%zu", api, arg,
					  ptr, count);
	return ACL_SUCCESS;
}

static size_t acl_vmm_policy_granularity(aclrtMemMallocPolicy policy)
{
	return policy == ACL_MEM_MALLOC_HUGE1G_ONLY ||
	       policy == ACL_MEM_MALLOC_HUGE1G_ONLY_P2P ?
	       ACL_VMM_GRANULE_1G : ACL_VMM_GRANULE;
}

/*
 * A block of @size bytes of new memory at @location, mapped into a
 * reservation of its own marked as a malloc block: the handle is freed at
 * once, so that the memory goes with the mapping.
 */
static aclError acl_vmm_malloc_block(const char *api, uint32_t location,
				     uint32_t location_id, size_t size,
				     uint32_t alloc_flags, uint64_t *addrp)
{
	uint64_t addr = 0;
	uint32_t handle;
	aclError ret;
	int err;

	err = acl_vmm_raw_reserve(acl_vmm_fd(), size, ACL_VMM_RESERVE_MALLOC, &addr);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_RESERVE, err,
					  "%s: size=%zu", api, size);
	err = acl_vmm_raw_alloc(acl_vmm_fd(), location, location_id, size,
				alloc_flags, &handle);
	if (err) {
		ret = acl_vmm_fail_errno(ACL_VMM_OP_ALLOC, err, "%s: size=%zu",
					 api, size);
		goto err_release;
	}
	err = acl_vmm_raw_map(acl_vmm_fd(), addr, size, handle);
	if (err) {
		ret = acl_vmm_fail_errno(ACL_VMM_OP_MAP, err, "%s: size=%zu",
					 api, size);
		goto err_free;
	}
	/* The memory now lives as long as the mapping. */
	err = acl_vmm_raw_destroy(acl_vmm_fd(), handle);
	if (err) {
		ret = acl_vmm_fail_errno(ACL_VMM_OP_FREE, err, "%s: size=%zu",
					 api, size);
		goto err_unmap;
	}
	*addrp = addr;
	return ACL_SUCCESS;

err_unmap:
	acl_vmm_raw_unmap(acl_vmm_fd(), addr);
err_free:
	acl_vmm_raw_destroy(acl_vmm_fd(), handle);
err_release:
	acl_vmm_raw_release(acl_vmm_fd(), addr);
	return ret;
}

aclError aclrtMalloc(void **devPtr, size_t size, aclrtMemMallocPolicy policy)
{
	static const char api[] = "aclrtMalloc";
	const unsigned int types = ACL_MEM_TYPE_LOW_BAND_WIDTH |
				   ACL_MEM_TYPE_HIGH_BAND_WIDTH;
	unsigned int base = (unsigned int)policy & ~(types |
				ACL_MEM_ACCESS_USER_SPACE_READONLY);
	uint64_t addr = 0;
	size_t granule;
	int32_t device;
	aclError ret;

	if (!devPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: devPtr is NULL", api);
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: size is 0", api);
	if (base > ACL_MEM_MALLOC_HUGE1G_ONLY_P2P)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: policy=%#x is not an aclrtMemMallocPolicy (one of ACL_MEM_MALLOC_*, or-ed with ACL_MEM_TYPE_LOW_BAND_WIDTH, _HIGH_BAND_WIDTH or ACL_MEM_ACCESS_USER_SPACE_READONLY)",
				    api, (unsigned int)policy);
	if ((unsigned int)policy & ACL_MEM_ACCESS_USER_SPACE_READONLY)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: policy=%#x: ACL_MEM_ACCESS_USER_SPACE_READONLY is not supported: device memory here is the process's own memory, which it maps read-write",
				    api, (unsigned int)policy);
	/* The band-width types pick among kinds of HBM; these devices have one. */
	policy = (aclrtMemMallocPolicy)base;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	granule = acl_vmm_policy_granularity(policy);
	if (size > ACL_VMM_VA_WINDOW_SIZE)
		return acl_vmm_fail(ACL_ERROR_RT_MEMORY_ALLOCATION,
				    "%s: size=%zu: out of memory", api, size);
	size = (size + granule - 1) & ~(granule - 1);

	ret = acl_vmm_malloc_block(api, ACL_VMM_LOCATION_DEVICE,
				   acl_vmm_phys_device(device), size,
				   granule == ACL_VMM_GRANULE_1G ? ACL_VMM_ALLOC_HUGE1G : 0,
				   &addr);
	if (ret)
		return ret;
	*devPtr = (void *)(uintptr_t)addr;
	return ACL_SUCCESS;
}

static aclError acl_vmm_free_block(const char *api, const char *arg, void *ptr,
				   const struct acl_vmm_query *q);

aclError aclrtFree(void *devPtr)
{
	static const char api[] = "aclrtFree";
	struct acl_vmm_query q;
	aclError ret;
	int err;

	ret = acl_vmm_ready_arg(api, devPtr, "devPtr");
	if (ret)
		return ret;
	err = acl_vmm_raw_query(acl_vmm_fd(), (uintptr_t)devPtr, 0, &q);
	if (err || !(q.result & ACL_VMM_QUERY_MALLOC) ||
	    q.res_start != (uintptr_t)devPtr)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: devPtr=%p was not returned by aclrtMalloc (or is freed)",
				    api, devPtr);
	if ((q.result & ACL_VMM_QUERY_MAPPED) && q.device == ACL_VMM_DEVICE_HOST)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: devPtr=%p was returned by aclrtMallocHost: free it with aclrtFreeHost",
				    api, devPtr);
	return acl_vmm_free_block(api, "devPtr", devPtr, &q);
}

/* Unmap and release the malloc block @q describes. */
static aclError acl_vmm_free_block(const char *api, const char *arg, void *ptr,
				   const struct acl_vmm_query *q)
{
	int err;

	err = acl_vmm_raw_unmap(acl_vmm_fd(), q->res_start);
	if (err && err != -ENOENT)
		return acl_vmm_fail_errno(ACL_VMM_OP_UNMAP, err, "%s: %s=%p",
					  api, arg, ptr);
	err = acl_vmm_raw_release(acl_vmm_fd(), q->res_start);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_RELEASE, err, "%s: %s=%p",
					  api, arg, ptr);
	return ACL_SUCCESS;
}

aclError aclrtMallocHost(void **hostPtr, size_t size)
{
	static const char api[] = "aclrtMallocHost";
	uint64_t addr = 0;
	aclError ret;

	if (!hostPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: hostPtr is NULL", api);
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: size is 0", api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (size > ACL_VMM_VA_WINDOW_SIZE)
		return acl_vmm_fail(ACL_ERROR_RT_MEMORY_ALLOCATION,
				    "%s: size=%zu: out of memory", api, size);
	size = (size + ACL_VMM_GRANULE - 1) & ~(ACL_VMM_GRANULE - 1);
	/*
	 * Page-locked host memory: the module's host memory, charged to
	 * RLIMIT_MEMLOCK, mapped at once, so that the engine never faults
	 * on it.
	 */
	ret = acl_vmm_malloc_block(api, ACL_VMM_LOCATION_HOST, 0, size, 0, &addr);
	if (ret)
		return ret;
	*hostPtr = (void *)(uintptr_t)addr;
	return ACL_SUCCESS;
}

aclError aclrtFreeHost(void *hostPtr)
{
	static const char api[] = "aclrtFreeHost";
	struct acl_vmm_query q;
	aclError ret;
	int err;

	ret = acl_vmm_ready_arg(api, hostPtr, "hostPtr");
	if (ret)
		return ret;
	err = acl_vmm_raw_query(acl_vmm_fd(), (uintptr_t)hostPtr, 0, &q);
	if (err || !(q.result & ACL_VMM_QUERY_MALLOC) ||
	    !(q.result & ACL_VMM_QUERY_MAPPED) ||
	    q.device != ACL_VMM_DEVICE_HOST || q.res_start != (uintptr_t)hostPtr)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: hostPtr=%p was not returned by aclrtMallocHost (or is freed)",
				    api, hostPtr);
	return acl_vmm_free_block(api, "hostPtr", hostPtr, &q);
}

aclError aclrtPointerGetAttributes(const void *ptr, aclrtPtrAttributes *attributes)
{
	static const char api[] = "aclrtPointerGetAttributes";
	struct acl_vmm_handle_info info;
	struct acl_vmm_query q;
	aclError ret;

	if (!ptr || !attributes)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !ptr ? "ptr" : "attributes");
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	memset(attributes, 0, sizeof(*attributes));
	if (acl_vmm_raw_query(acl_vmm_fd(), (uintptr_t)ptr, 0, &q) ||
	    !(q.result & ACL_VMM_QUERY_MAPPED)) {
		/* Not this library's memory (or a reserved, unmapped address). */
		attributes->location.type = ACL_MEM_LOCATION_TYPE_UNREGISTERED;
		return ACL_SUCCESS;
	}
	if (q.device == ACL_VMM_DEVICE_HOST) {
		attributes->location.type = ACL_MEM_LOCATION_TYPE_HOST;
	} else {
		attributes->location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
		attributes->location.id = (uint32_t)acl_vmm_logical_device(q.device);
	}
	/* The page of the memory mapped there: 1 GiB for *_HUGE1G memory. */
	attributes->pageSize = (uint32_t)ACL_VMM_GRANULE;
	if (q.handle && !acl_vmm_raw_handle_info(acl_vmm_fd(), q.handle, &info) &&
	    (info.alloc_flags & ACL_VMM_ALLOC_HUGE1G))
		attributes->pageSize = (uint32_t)ACL_VMM_HUGE1G_PAGE_SIZE;
	return ACL_SUCCESS;
}

/*
 * The checks aclrtMemcpy and aclrtMemcpyAsync share: arguments, then the
 * device side of the copy, which the kind names, must be mapped device
 * memory (ACL_MEMCPY_DEFAULT: any addresses).
 */
aclError acl_vmm_copy_args(const char *api, void *dst, size_t destMax,
			   const void *src, size_t count, aclrtMemcpyKind kind)
{
	aclError ret;

	if (!dst || !src)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !dst ? "dst" : "src");
	if (count > destMax)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: count=%zu exceeds destMax=%zu", api,
				    count, destMax);
	if ((unsigned int)kind > ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: kind=%u is not supported (ACL_MEMCPY_HOST_TO_HOST to ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE are)",
				    api, (unsigned int)kind);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (kind == ACL_MEMCPY_HOST_TO_DEVICE ||
	    kind == ACL_MEMCPY_HOST_TO_BUF_TO_DEVICE ||
	    kind == ACL_MEMCPY_DEVICE_TO_DEVICE) {
		ret = acl_vmm_check_device_range(api, "dst", dst, count);
		if (ret)
			return ret;
	}
	if (kind == ACL_MEMCPY_DEVICE_TO_HOST ||
	    kind == ACL_MEMCPY_DEVICE_TO_DEVICE) {
		ret = acl_vmm_check_device_range(api, "src", src, count);
		if (ret)
			return ret;
	}
	return ACL_SUCCESS;
}

aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count,
		     aclrtMemcpyKind kind)
{
	static const char api[] = "aclrtMemcpy";
	aclError ret;

	if (!count)
		return ACL_SUCCESS;
	ret = acl_vmm_copy_args(api, dst, destMax, src, count, kind);
	if (ret)
		return ret;
	if (kind == ACL_MEMCPY_HOST_TO_HOST) {
		memmove(dst, src, count);
		return ACL_SUCCESS;
	}
	return acl_vmm_submit_copy(api, dst, src, count, NULL, true);
}

/* The checks aclrtMemset and aclrtMemsetAsync share, once count is not 0. */
aclError acl_vmm_memset_args(const char *api, void *devPtr, size_t maxCount,
			     size_t count)
{
	aclError ret;

	if (!devPtr)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: devPtr is NULL", api);
	if (count > maxCount)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: count=%zu exceeds maxCount=%zu", api,
				    count, maxCount);
	if (!count)
		return ACL_SUCCESS;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	return acl_vmm_check_device_range(api, "devPtr", devPtr, count);
}

aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count)
{
	static const char api[] = "aclrtMemset";
	aclError ret;

	ret = acl_vmm_memset_args(api, devPtr, maxCount, count);
	if (ret || !count)
		return ret;
	return acl_vmm_submit_memset(api, devPtr, value, count, NULL, true);
}

static bool acl_vmm_attr_is_host(aclrtMemAttr attr)
{
	return attr == ACL_DDR_MEM || attr == ACL_DDR_MEM_HUGE ||
	       attr == ACL_DDR_MEM_NORMAL || attr == ACL_DDR_MEM_P2P_HUGE ||
	       attr == ACL_DDR_MEM_P2P_NORMAL;
}

aclError aclrtGetMemInfo(aclrtMemAttr attr, size_t *free, size_t *total)
{
	static const char api[] = "aclrtGetMemInfo";
	uint64_t capacity, used;
	struct sysinfo si;
	int32_t device;
	aclError ret;
	int err;

	if (!free || !total)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !free ? "free" : "total");
	if ((unsigned int)attr > ACL_MEM_P2P_HUGE1G)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: attr=%u is not an aclrtMemAttr", api,
				    (unsigned int)attr);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	if (acl_vmm_attr_is_host(attr)) {
		if (sysinfo(&si))
			return acl_vmm_fail(ACL_ERROR_RT_INTERNAL_ERROR,
					    "%s: sysinfo failed", api);
		*free = (size_t)si.freeram * si.mem_unit;
		*total = (size_t)si.totalram * si.mem_unit;
		return ACL_SUCCESS;
	}
	err = acl_vmm_raw_device_info(acl_vmm_fd(), acl_vmm_phys_device(device),
				      &capacity, &used);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_INFO, err,
					  "%s: device=%d", api, device);
	*free = capacity - used;
	*total = capacity;
	return ACL_SUCCESS;
}

aclError aclrtMemGetAddressRange(void *ptr, void **pbase, size_t *psize)
{
	static const char api[] = "aclrtMemGetAddressRange";
	struct acl_vmm_query q;
	aclError ret;
	int err;

	if (!ptr || !pbase || !psize)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !ptr ? "ptr" : !pbase ? "pbase" : "psize");
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_raw_query(acl_vmm_fd(), (uintptr_t)ptr, 0, &q);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_QUERY, err, "%s: ptr=%p",
					  api, ptr);
	if (!(q.result & ACL_VMM_QUERY_MAPPED))
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: ptr=%p is reserved but not mapped",
				    api, ptr);
	*pbase = (void *)(uintptr_t)q.map_start;
	*psize = q.map_length;
	return ACL_SUCCESS;
}
