// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Physical memory and handles
 *
 * Physical memory (struct acl_vmm_mem) is created by ACL_VMM_ALLOC: its
 * size is first charged to the device, then the backend provides the
 * pages. A context names it through a handle (struct acl_vmm_handle), an
 * object of the context (object.c). Destroying a handle that is still
 * mapped only marks it: its id stays (a second destroy is told -EALREADY)
 * until the last mapping goes, then the handle and its reference to the
 * memory go.
 *
 * Host memory (no device) is charged to the allocating process's
 * RLIMIT_MEMLOCK budget with account_locked_vm(), as VFIO charges the
 * pages it pins (VmLck in /proc/PID/status; CAP_IPC_LOCK lifts the limit),
 * besides its memory cgroup. Memory can go where the mm's locks may not be
 * taken (under acl_vmm_ctx.lock, in a VMA's close): the uncharge is done
 * by a work item, and skipped once the process is gone, as VFIO does.
 *
 * Device memory stays GUP-able (RDMA registers it), so its pages may be
 * referenced outside the module when its last handle goes: a pipe holding
 * a vmsplice(), an O_DIRECT read, an RDMA region. Its capacity comes back
 * only with the pages: at release the backend gives back what nobody else
 * references (ops->reclaim) and the rest stays charged, shown as "held",
 * and is retried every second until it is free.
 */
#include <linux/nodemask.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

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

static struct workqueue_struct *acl_vmm_release_wq;

/* Device memory freed while its pages were referenced elsewhere. */
static LIST_HEAD(acl_vmm_held_list);
static DEFINE_MUTEX(acl_vmm_held_lock);	/* protects acl_vmm_held_list */
static void acl_vmm_held_scan(struct work_struct *work);
static DECLARE_DELAYED_WORK(acl_vmm_held_work, acl_vmm_held_scan);

/**
 * acl_vmm_physical_init() - set up what releasing host memory needs
 *
 * Return: 0 or -ENOMEM.
 */
int acl_vmm_physical_init(void)
{
	acl_vmm_release_wq = alloc_workqueue("acl_vmm_release", 0, 0);
	return acl_vmm_release_wq ? 0 : -ENOMEM;
}

/**
 * acl_vmm_physical_fini() - wait for the releases under way, at unload
 */
void acl_vmm_physical_fini(void)
{
	destroy_workqueue(acl_vmm_release_wq);
}

/*
 * Held device memory: give back what nobody else references any more;
 * true when nothing of @mem is left.
 */
static bool acl_vmm_mem_reclaim(struct acl_vmm_mem *mem)
{
	u64 held = mem->ops->reclaim(mem);

	acl_vmm_device_unhold(mem->dev, mem->held - held);
	mem->held = held;
	return !held;
}

static void acl_vmm_mem_free(struct acl_vmm_mem *mem)
{
	mem->ops->release(mem);
	kfree(mem);
}

static void acl_vmm_held_scan(struct work_struct *work)
{
	struct acl_vmm_mem *mem, *next;
	bool again;

	mutex_lock(&acl_vmm_held_lock);
	list_for_each_entry_safe(mem, next, &acl_vmm_held_list, held_node) {
		if (!acl_vmm_mem_reclaim(mem))
			continue;
		list_del(&mem->held_node);
		acl_vmm_mem_free(mem);
	}
	again = !list_empty(&acl_vmm_held_list);
	mutex_unlock(&acl_vmm_held_lock);
	if (again)
		queue_delayed_work(acl_vmm_release_wq, &acl_vmm_held_work, HZ);
}

/**
 * acl_vmm_physical_drain() - let go of held memory, at unload
 *
 * The module's references go; the pages live on with their other holders,
 * and the devices' charges are returned.
 */
void acl_vmm_physical_drain(void)
{
	struct acl_vmm_mem *mem, *next;

	cancel_delayed_work_sync(&acl_vmm_held_work);
	list_for_each_entry_safe(mem, next, &acl_vmm_held_list, held_node) {
		list_del(&mem->held_node);
		acl_vmm_device_unhold(mem->dev, mem->held);
		acl_vmm_mem_free(mem);
	}
}

/* Charge host memory to the calling process's RLIMIT_MEMLOCK budget. */
static int acl_vmm_mem_lock_charge(struct acl_vmm_mem *mem)
{
	if (account_locked_vm(current->mm, mem->size >> PAGE_SHIFT, true))
		return -EDQUOT;
	mmgrab(current->mm);
	mem->locked_mm = current->mm;
	return 0;
}

static void acl_vmm_mem_lock_uncharge(struct acl_vmm_mem *mem)
{
	struct mm_struct *mm = mem->locked_mm;

	if (mmget_not_zero(mm)) {
		account_locked_vm(mm, mem->size >> PAGE_SHIFT, false);
		mmput_async(mm);
	}
	mmdrop(mm);
}

static void acl_vmm_mem_release_work(struct work_struct *work)
{
	struct acl_vmm_mem *mem =
		container_of(work, struct acl_vmm_mem, release_work);

	acl_vmm_mem_lock_uncharge(mem);
	kfree(mem);
}

static void acl_vmm_mem_release(struct kref *kref)
{
	struct acl_vmm_mem *mem = container_of(kref, struct acl_vmm_mem, kref);

	acl_vmm_share_unpublish(mem);
	if (mem->dev) {
		mem->held = mem->ops->reclaim(mem);
		acl_vmm_device_uncharge(mem->dev, mem->size - mem->held);
		if (mem->held) {
			acl_vmm_device_hold(mem->dev, mem->held);
			mutex_lock(&acl_vmm_held_lock);
			list_add_tail(&mem->held_node, &acl_vmm_held_list);
			mutex_unlock(&acl_vmm_held_lock);
			queue_delayed_work(acl_vmm_release_wq, &acl_vmm_held_work, HZ);
			return;
		}
		acl_vmm_mem_free(mem);
		return;
	}
	mem->ops->release(mem);
	if (mem->locked_mm) {
		INIT_WORK(&mem->release_work, acl_vmm_mem_release_work);
		queue_work(acl_vmm_release_wq, &mem->release_work);
		return;
	}
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
					      unsigned int granule_shift)
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
	mem->ops = dev ? dev->ops : &acl_vmm_sysmem_ops;	/* host memory is RAM */
	mem->dev = dev;
	mem->nid = nid;
	mem->size = size;
	mem->granule_shift = granule_shift;
	mem->nr_chunks = size >> ACL_VMM_CHUNK_SHIFT;
	if (!dev) {
		ret = acl_vmm_mem_lock_charge(mem);
		if (ret)
			goto err_free_mem;
	}
	ret = mem->ops->alloc(mem);
	if (ret)
		goto err_lock_uncharge;
	return mem;

err_lock_uncharge:
	if (mem->locked_mm)
		acl_vmm_mem_lock_uncharge(mem);
err_free_mem:
	kfree(mem);
err_uncharge:
	if (dev)
		acl_vmm_device_uncharge(dev, size);
	return ERR_PTR(ret);
}

/**
 * acl_vmm_handle_release() - free a handle, at its last reference
 * @obj: the handle's object
 */
void acl_vmm_handle_release(struct acl_vmm_object *obj)
{
	struct acl_vmm_handle *handle =
		container_of(obj, struct acl_vmm_handle, obj);

	acl_vmm_mem_put(handle->mem);
	kfree(handle);
}

/**
 * acl_vmm_handle_unmapped() - account for one mapping of a handle gone
 * @ctx: the context
 * @handle: the handle
 *
 * Removes the handle when userspace had destroyed it and this was its
 * last mapping. Called with @ctx->lock held.
 */
void acl_vmm_handle_unmapped(struct acl_vmm_ctx *ctx,
			     struct acl_vmm_handle *handle)
{
	lockdep_assert_held(&ctx->lock);
	if (WARN_ON(!handle->map_count))
		return;
	if (--handle->map_count || !handle->freed)
		return;
	acl_vmm_object_remove(ctx, &handle->obj);
}

/**
 * acl_vmm_handle_destroy() - ACL_VMM_DESTROY of a handle
 * @ctx: the context
 * @obj: the handle's object, live, referenced by the caller
 *
 * Drops one of userspace's references; with the last, the handle goes now,
 * or at its last unmap: its id stays until then.
 *
 * Return: 0, or -EALREADY when it was destroyed already.
 */
int acl_vmm_handle_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj)
{
	struct acl_vmm_handle *handle =
		container_of(obj, struct acl_vmm_handle, obj);
	int ret = 0;

	mutex_lock(&ctx->lock);
	if (handle->freed) {
		ret = -EALREADY;
		goto out_unlock;
	}
	if (--handle->refs)
		goto out_unlock;
	trace_acl_vmm_free(obj->id, acl_vmm_mem_device_index(handle->mem),
			   handle->mem->size, handle->map_count);
	handle->freed = true;
	if (!handle->map_count)
		acl_vmm_object_remove(ctx, obj);
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/**
 * acl_vmm_handle_lookup() - the live handle of an id
 * @ctx: the context
 * @id: the id
 *
 * Called with @ctx->lock held, which keeps the handle in the table.
 *
 * Return: the handle, or NULL for an unknown or destroyed one.
 */
struct acl_vmm_handle *acl_vmm_handle_lookup(struct acl_vmm_ctx *ctx, u32 id)
{
	struct acl_vmm_object *obj;
	struct acl_vmm_handle *handle;

	obj = acl_vmm_object_find(ctx, id, ACL_VMM_OBJ_HANDLE);
	if (!obj)
		return NULL;
	handle = container_of(obj, struct acl_vmm_handle, obj);
	return handle->freed ? NULL : handle;
}

/*
 * Whether the context holds an imported handle of @mem for @device, not
 * destroyed: live, or being made by another import.
 */
static bool acl_vmm_ctx_imported(struct acl_vmm_ctx *ctx,
				 struct acl_vmm_mem *mem, u32 device)
{
	struct acl_vmm_handle *handle;
	struct acl_vmm_object *obj;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_HANDLE));
	     id++) {
		handle = container_of(obj, struct acl_vmm_handle, obj);
		if (handle->mem == mem && handle->imported && !handle->freed &&
		    handle->import_device == device)
			return true;
	}
	return false;
}

/**
 * acl_vmm_handle_install() - name physical memory in a context
 * @ctx: the context
 * @mem: the memory; the caller's reference passes to the handle on success
 * @imported: the memory comes from a share
 * @import_device: with @imported, the device it is imported for; a context
 *                 holds one imported handle per memory and device
 *
 * The handle is not live: the caller replies with acl_vmm_object_respond().
 *
 * Return: the handle, or an ERR_PTR: -EEXIST for a second import, -ENOMEM.
 */
struct acl_vmm_handle *acl_vmm_handle_install(struct acl_vmm_ctx *ctx,
					      struct acl_vmm_mem *mem,
					      bool imported, u32 import_device)
{
	struct acl_vmm_handle *handle;
	int ret;

	handle = kzalloc(sizeof(*handle), GFP_KERNEL_ACCOUNT);
	if (!handle)
		return ERR_PTR(-ENOMEM);
	handle->mem = mem;
	handle->refs = 1;
	handle->imported = imported;
	handle->import_device = import_device;

	mutex_lock(&ctx->lock);
	if (imported && acl_vmm_ctx_imported(ctx, mem, import_device))
		ret = -EEXIST;
	else
		ret = acl_vmm_object_alloc(ctx, &handle->obj, ACL_VMM_OBJ_HANDLE);
	mutex_unlock(&ctx->lock);
	if (ret) {
		kfree(handle);
		return ERR_PTR(ret);
	}
	return handle;
}

/**
 * acl_vmm_handles_destroy() - destroy every handle of a context
 * @ctx: the context, its lock held; no mapping is left in it
 */
void acl_vmm_handles_destroy(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_handle *handle;
	struct acl_vmm_object *obj;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_HANDLE));
	     id++) {
		handle = container_of(obj, struct acl_vmm_handle, obj);
		WARN_ON(handle->map_count);
		acl_vmm_object_remove(ctx, obj);
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
	struct acl_vmm_handle *handle;
	struct acl_vmm_device *dev;
	struct acl_vmm_mem *mem;
	int nid, ret;

	if (cmd->flags & ~ACL_VMM_ALLOC_HUGE1G || cmd->handle || cmd->__reserved)
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
		mem = acl_vmm_mem_create(ctx->vmm, dev, nid, cmd->length, shift);
	if (IS_ERR(mem)) {
		if (dev)
			atomic64_inc(&dev->alloc_failures);
		trace_acl_vmm_alloc_fail(0, dev ? dev->index : ACL_VMM_DEVICE_HOST,
					 cmd->length, PTR_ERR(mem));
		return PTR_ERR(mem);
	}
	handle = acl_vmm_handle_install(ctx, mem, false, 0);
	if (IS_ERR(handle)) {
		acl_vmm_mem_put(mem);
		return PTR_ERR(handle);
	}
	trace_acl_vmm_alloc(handle->obj.id, acl_vmm_mem_device_index(mem),
			    mem->size, 0);
	cmd->handle = handle->obj.id;
	return acl_vmm_object_respond(ucmd, sizeof(*cmd), &handle->obj);
}

/**
 * acl_vmm_ioctl_retain() - ACL_VMM_RETAIN: one more reference on the
 * handle of a mapping
 * @ucmd: the call
 *
 * Return: 0, -ENOENT when no mapping starts at the address, -EOVERFLOW
 * when the handle holds UINT_MAX references.
 */
int acl_vmm_ioctl_retain(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_retain *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_handle *handle;
	struct acl_vmm_va_node *node;
	int ret = 0;

	if (cmd->flags || cmd->handle || cmd->__reserved)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	node = acl_vmm_va_find_exact(&ctx->vs.mappings, cmd->addr);
	if (!node) {
		ret = -ENOENT;
		goto out_unlock;
	}
	handle = container_of(node, struct acl_vmm_mapping, va)->handle;
	if (handle->refs == UINT_MAX) {
		ret = -EOVERFLOW;
		goto out_unlock;
	}
	handle->refs++;
	handle->freed = false;
	cmd->handle = handle->obj.id;
	kref_get(&handle->obj.users);	/* while the lock is not held */
out_unlock:
	mutex_unlock(&ctx->lock);
	if (ret)
		return ret;
	/*
	 * The reference is taken: if the reply cannot be written, the caller
	 * does not know the id it holds, so drop it again (unless a destroy
	 * or a reset of another thread already did).
	 */
	ret = acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		mutex_lock(&ctx->lock);
		if (!handle->freed && handle->refs && !--handle->refs) {
			handle->freed = true;
			if (!handle->map_count)
				acl_vmm_object_remove(ctx, &handle->obj);
		}
		mutex_unlock(&ctx->lock);
	}
	acl_vmm_object_put(&handle->obj);
	return ret;
}

/**
 * acl_vmm_ioctl_handle_info() - ACL_VMM_HANDLE_INFO: where a handle's
 * memory is and how it was allocated
 * @ucmd: the call
 *
 * Return: 0 or -ENOENT.
 */
int acl_vmm_ioctl_handle_info(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_handle_info *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_handle *handle;
	struct acl_vmm_mem *mem;

	if (cmd->flags || cmd->location || cmd->location_id ||
	    cmd->alloc_flags || cmd->result || cmd->import_device ||
	    cmd->length)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	handle = acl_vmm_handle_lookup(ctx, cmd->handle);
	if (!handle) {
		mutex_unlock(&ctx->lock);
		return -ENOENT;
	}
	mem = handle->mem;
	if (mem->dev) {
		cmd->location = ACL_VMM_LOCATION_DEVICE;
		cmd->location_id = mem->dev->index;
	} else if (mem->nid != NUMA_NO_NODE) {
		cmd->location = ACL_VMM_LOCATION_HOST_NUMA;
		cmd->location_id = mem->nid;
	} else {
		cmd->location = ACL_VMM_LOCATION_HOST;
	}
	if (mem->granule_shift == ACL_VMM_HUGE1G_SHIFT)
		cmd->alloc_flags = ACL_VMM_ALLOC_HUGE1G;
	if (handle->imported) {
		cmd->result = ACL_VMM_HANDLE_IMPORTED;
		cmd->import_device = handle->import_device;
	}
	cmd->length = mem->size;
	mutex_unlock(&ctx->lock);
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}
