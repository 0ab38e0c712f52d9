// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Physical memory and handles
 *
 * Physical memory (struct acl_vmm_mem) is created by ACL_VMM_ALLOC: its
 * size is first charged to the device, then the backend provides the
 * pages. A context names it through a handle (struct acl_vmm_handle), an
 * id in the context's xarray. Freeing a handle that is still mapped only
 * marks it: its id stays (a second free is told -EALREADY) until the last
 * mapping goes, then the handle and its reference to the memory go.
 */
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "acl_vmm.h"
#include "trace.h"

/**
 * acl_vmm_mem_device_index() - the device memory belongs to
 * @mem: the memory
 *
 * Return: its device's index, or ACL_VMM_DEVICE_HOST for host memory.
 */
u32 acl_vmm_mem_device_index(const struct acl_vmm_mem *mem)
{
	return mem->dev ? mem->dev->index : ACL_VMM_DEVICE_HOST;
}

static void acl_vmm_mem_release(struct kref *kref)
{
	struct acl_vmm_mem *mem = container_of(kref, struct acl_vmm_mem, kref);

	acl_vmm_share_unpublish(mem);
	mem->ops->release(mem);
	if (mem->dev)
		acl_vmm_device_uncharge(mem->dev, mem->size);
	kfree(mem);
}

/**
 * acl_vmm_mem_get() - take a reference on physical memory
 * @mem: the memory, on which the caller holds a reference already
 */
void acl_vmm_mem_get(struct acl_vmm_mem *mem)
{
	kref_get(&mem->kref);
}

/**
 * acl_vmm_mem_put() - drop a reference on physical memory
 * @mem: the memory; it is released with the last reference
 */
void acl_vmm_mem_put(struct acl_vmm_mem *mem)
{
	kref_put(&mem->kref, acl_vmm_mem_release);
}

static struct acl_vmm_mem *acl_vmm_mem_create(struct acl_vmm *vmm,
					      struct acl_vmm_device *dev,
					      int nid, u64 size,
					      unsigned int granule_shift,
					      u32 mem_attr)
{
	struct acl_vmm_mem *mem;
	int ret;

	if (dev) {
		ret = acl_vmm_device_charge(dev, size);
		if (ret)
			return ERR_PTR(ret);
	}
	mem = kzalloc(sizeof(*mem), GFP_KERNEL_ACCOUNT);
	if (!mem) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	kref_init(&mem->kref);
	mem->vmm = vmm;
	mem->ops = &acl_vmm_sysmem_ops;
	mem->dev = dev;
	mem->nid = nid;
	mem->mem_attr = mem_attr;
	mem->size = size;
	mem->granule_shift = granule_shift;
	mem->nr_chunks = size >> ACL_VMM_CHUNK_SHIFT;
	ret = mem->ops->alloc(mem);
	if (ret)
		goto err_free_mem;
	return mem;

err_free_mem:
	kfree(mem);
err_uncharge:
	if (dev)
		acl_vmm_device_uncharge(dev, size);
	return ERR_PTR(ret);
}

static void acl_vmm_handle_destroy(struct acl_vmm_handle *handle)
{
	acl_vmm_mem_put(handle->mem);
	kfree(handle);
}

/**
 * acl_vmm_handle_unmapped() - account for one mapping of a handle gone
 * @ctx: the context
 * @handle: the handle
 *
 * Destroys the handle when userspace had freed it and this was its last
 * mapping. Called with @ctx->lock held.
 */
void acl_vmm_handle_unmapped(struct acl_vmm_ctx *ctx,
			     struct acl_vmm_handle *handle)
{
	lockdep_assert_held(&ctx->lock);
	if (WARN_ON(!handle->map_count))
		return;
	if (--handle->map_count || !handle->freed)
		return;
	xa_erase(&ctx->handles, handle->id);
	acl_vmm_handle_destroy(handle);
}

/*
 * Userspace frees a handle: it goes now, or at its last unmap.
 */
static int __acl_vmm_handle_free(struct acl_vmm_ctx *ctx,
				 struct acl_vmm_handle *handle)
{
	lockdep_assert_held(&ctx->lock);
	if (handle->freed)
		return -EALREADY;
	trace_acl_vmm_free(handle->id, acl_vmm_mem_device_index(handle->mem),
			   handle->mem->size, handle->map_count);
	handle->freed = true;
	if (!handle->map_count) {
		xa_erase(&ctx->handles, handle->id);
		acl_vmm_handle_destroy(handle);
	}
	return 0;
}

/**
 * acl_vmm_handle_lookup() - the live handle of an id
 * @ctx: the context
 * @id: the id
 *
 * Called with @ctx->lock held.
 *
 * Return: the handle, or NULL for an unknown or freed one.
 */
struct acl_vmm_handle *acl_vmm_handle_lookup(struct acl_vmm_ctx *ctx, u32 id)
{
	struct acl_vmm_handle *handle;

	lockdep_assert_held(&ctx->lock);
	handle = xa_load(&ctx->handles, id);
	return handle && !handle->freed ? handle : NULL;
}

/* Whether the context holds a live handle imported from @mem for @device. */
static bool acl_vmm_ctx_imported(struct acl_vmm_ctx *ctx,
				 struct acl_vmm_mem *mem, u32 device)
{
	struct acl_vmm_handle *handle;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	xa_for_each(&ctx->handles, id, handle)
		if (handle->mem == mem && handle->imported && !handle->freed &&
		    handle->import_device == device)
			return true;
	return false;
}

/**
 * acl_vmm_handle_install() - name physical memory in a context
 * @ctx: the context
 * @mem: the memory; the caller's reference passes to the handle on success
 * @imported: the memory comes from a share
 * @import_device: with @imported, the device it is imported for; a context
 *                 holds one live imported handle per memory and device
 * @id: out: the new handle's id
 *
 * Return: 0, -EEXIST for a second import, or -ENOMEM.
 */
int acl_vmm_handle_install(struct acl_vmm_ctx *ctx, struct acl_vmm_mem *mem,
			   bool imported, u32 import_device, u32 *id)
{
	struct acl_vmm_handle *handle;
	int ret;

	handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);
	if (!handle)
		return -ENOMEM;
	handle->mem = mem;
	handle->imported = imported;
	handle->import_device = import_device;

	/* Lookups run under ctx->lock: publish the handle whole. */
	mutex_lock(&ctx->lock);
	if (imported && acl_vmm_ctx_imported(ctx, mem, import_device))
		ret = -EEXIST;
	else
		ret = xa_alloc(&ctx->handles, id, handle, xa_limit_31b,
			       GFP_KERNEL_ACCOUNT);
	if (!ret)
		handle->id = *id;
	mutex_unlock(&ctx->lock);
	if (ret)
		kfree(handle);
	return ret;
}

/**
 * acl_vmm_handle_respond() - tell userspace a new handle, or undo it
 * @ucmd: the call that made the handle
 * @cmd_len: size of its struct
 * @id: the new handle's id
 *
 * When the results cannot be copied back, the handle is freed as userspace
 * would: the id was not told, but another thread may have guessed it.
 *
 * Return: 0 or -EFAULT.
 */
int acl_vmm_handle_respond(struct acl_vmm_ucmd *ucmd, size_t cmd_len, u32 id)
{
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_handle *handle;
	int ret = acl_vmm_ucmd_respond(ucmd, cmd_len);

	if (ret) {
		mutex_lock(&ctx->lock);
		handle = acl_vmm_handle_lookup(ctx, id);
		if (handle)
			__acl_vmm_handle_free(ctx, handle);
		mutex_unlock(&ctx->lock);
	}
	return ret;
}

/**
 * acl_vmm_handles_destroy() - destroy every handle of a context
 * @ctx: the context; no mapping is left in it
 *
 * Called at release, or with @ctx->lock held by ACL_VMM_RESET.
 */
void acl_vmm_handles_destroy(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_handle *handle;
	unsigned long id;

	xa_for_each(&ctx->handles, id, handle) {
		WARN_ON(handle->map_count);
		xa_erase(&ctx->handles, id);
		acl_vmm_handle_destroy(handle);
	}
}

static int acl_vmm_alloc_placement(struct acl_vmm_ctx *ctx,
				   const struct acl_vmm_alloc *cmd,
				   struct acl_vmm_device **dev, int *nid)
{
	*dev = NULL;
	*nid = NUMA_NO_NODE;
	switch (cmd->location) {
	case ACL_VMM_LOCATION_DEVICE:
		*dev = acl_vmm_ctx_device(ctx, cmd->location_id);
		return *dev ? 0 : -ENODEV;
	case ACL_VMM_LOCATION_HOST:
		return cmd->location_id ? -EINVAL : 0;
	case ACL_VMM_LOCATION_HOST_NUMA:
		if (cmd->location_id >= MAX_NUMNODES ||
		    !node_online(cmd->location_id))
			return -EINVAL;
		*nid = cmd->location_id;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * acl_vmm_ioctl_alloc() - ACL_VMM_ALLOC: allocate physical memory
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing stays allocated.
 */
int acl_vmm_ioctl_alloc(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_alloc *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	unsigned int shift = ACL_VMM_CHUNK_SHIFT;
	struct acl_vmm_device *dev;
	struct acl_vmm_mem *mem;
	int nid, ret;
	u32 id;

	if (cmd->flags & ~ACL_VMM_ALLOC_HUGE1G)
		return -EINVAL;
	if (cmd->flags & ACL_VMM_ALLOC_HUGE1G)
		shift = ACL_VMM_HUGE1G_SHIFT;
	ret = acl_vmm_alloc_placement(ctx, cmd, &dev, &nid);
	if (ret)
		return ret;
	if (!cmd->length || cmd->length & ((1ULL << shift) - 1))
		return -EINVAL;

	/* Larger than the host's memory: no device can hold it either. */
	if (cmd->length > (u64)totalram_pages() << PAGE_SHIFT)
		mem = ERR_PTR(-ENOMEM);
	else
		mem = acl_vmm_mem_create(ctx->vmm, dev, nid, cmd->length, shift,
					 cmd->mem_attr);
	if (IS_ERR(mem)) {
		trace_acl_vmm_alloc_fail(0, dev ? dev->index : ACL_VMM_DEVICE_HOST,
					 cmd->length, PTR_ERR(mem));
		return PTR_ERR(mem);
	}
	ret = acl_vmm_handle_install(ctx, mem, false, 0, &id);
	if (ret) {
		acl_vmm_mem_put(mem);
		return ret;
	}
	trace_acl_vmm_alloc(id, acl_vmm_mem_device_index(mem), mem->size, 0);
	cmd->handle = id;
	return acl_vmm_handle_respond(ucmd, sizeof(*cmd), id);
}

/**
 * acl_vmm_ioctl_free() - ACL_VMM_FREE: free a handle
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_free(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_free *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_handle *handle;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;

	mutex_lock(&ctx->lock);
	handle = xa_load(&ctx->handles, cmd->handle);
	ret = handle ? __acl_vmm_handle_free(ctx, handle) : -ENOENT;
	mutex_unlock(&ctx->lock);
	return ret;
}
