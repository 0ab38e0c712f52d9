// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Reservations
 *
 * A reservation is a range of the process's address space in the device
 * VA window ([16 TiB, 80 TiB)), so that device VAs and CPU VAs are the
 * same (shared virtual memory). ACL_VMM_RESERVE picks a free range (or
 * takes the fixed one asked for) and creates a VMA over it with
 * vm_mmap(MAP_SHARED | MAP_FIXED_NOREPLACE) on the context's own file:
 * nothing else in the process can then be placed inside it. The mmap
 * handler accepts only that call (acl_vmm_ctx.pending); a user's own
 * mmap() of the device is refused.
 *
 * The VMA can be neither split (partial munmap, mprotect, mremap...) nor
 * moved nor grown, is not copied on fork (VM_DONTCOPY: a child sees
 * nothing there) and not dumped. When it goes, whether by
 * ACL_VMM_RELEASE, by the process unmapping it, or at exit, its close
 * callback tears down the reservation and every mapping still in it.
 *
 * Faults look the address up in the mapping tree: a mapped address gets
 * the handle's page (one PMD entry for a whole aligned 2 MiB chunk), an
 * unmapped one SIGBUS.
 */
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "acl_vmm.h"
#include "trace.h"

#define ACL_VMM_RESERVE_FLAGS \
	(ACL_VMM_RESERVE_FIXED | ACL_VMM_RESERVE_MALLOC)
/* Attempts at a chosen address before giving up on a racing mmap(). */
#define ACL_VMM_RESERVE_TRIES 8

static struct acl_vmm_reservation *acl_vmm_res(struct acl_vmm_va_node *node)
{
	return node ? container_of(node, struct acl_vmm_reservation, va) : NULL;
}

static vm_fault_t acl_vmm_vma_fault(struct vm_fault *vmf)
{
	struct acl_vmm_reservation *res = vmf->vma->vm_private_data;
	struct acl_vmm_ctx *ctx = res->ctx;
	struct page *page;

	mutex_lock(&ctx->lock);
	page = res->vma == vmf->vma ?
	       acl_vmm_mapping_page(ctx, vmf->address) : NULL;
	if (page)
		get_page(page);
	mutex_unlock(&ctx->lock);
	if (!page)
		return VM_FAULT_SIGBUS;
	vmf->page = page;
	return 0;
}

static void acl_vmm_reservation_free(struct kref *kref)
{
	kfree(container_of(kref, struct acl_vmm_reservation, kref));
}

static void acl_vmm_reservation_put(struct acl_vmm_reservation *res)
{
	kref_put(&res->kref, acl_vmm_reservation_free);
}

/*
 * Tear down a reservation whose VMA is gone (its pages are unmapped): its
 * mappings, and its place in the tree, whose reference goes.
 */
static void acl_vmm_reservation_destroy(struct acl_vmm_ctx *ctx,
					struct acl_vmm_reservation *res)
{
	struct acl_vmm_va_node *node;
	struct acl_vmm_mapping *map;

	lockdep_assert_held(&ctx->lock);
	while ((node = acl_vmm_va_first(&ctx->vs.mappings, res->va.start,
					res->va.last))) {
		map = container_of(node, struct acl_vmm_mapping, va);
		acl_vmm_mapping_destroy(ctx, map);
	}
	WARN_ON(res->nr_mappings);
	acl_vmm_dmmu_release_range(ctx, res->va.start, res->va.last);
	acl_vmm_va_remove(&res->va, &ctx->vs.reservations);
	acl_vmm_reservation_put(res);
}

/*
 * A copy of the VMA: made by fork when the process cleared VM_DONTCOPY
 * (MADV_DOFORK), or by a mremap() that is then refused. It owns nothing:
 * its faults get SIGBUS. It only keeps the reservation's memory alive.
 */
static void acl_vmm_vma_open(struct vm_area_struct *vma)
{
	struct acl_vmm_reservation *res = vma->vm_private_data;

	kref_get(&res->kref);
}

static void acl_vmm_vma_close(struct vm_area_struct *vma)
{
	struct acl_vmm_reservation *res = vma->vm_private_data;
	struct acl_vmm_ctx *ctx = res->ctx;	/* vma->vm_file holds it */

	mutex_lock(&ctx->lock);
	if (res->vma == vma) {
		res->vma = NULL;
		/* A pending reservation belongs to its reserve call. */
		if (res->state != ACL_VMM_RES_PENDING)
			acl_vmm_reservation_destroy(ctx, res);
	}
	mutex_unlock(&ctx->lock);
	acl_vmm_reservation_put(res);
}

static int acl_vmm_vma_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int acl_vmm_vma_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct acl_vmm_vm_ops = {
	.open = acl_vmm_vma_open,
	.fault = acl_vmm_vma_fault,
	.close = acl_vmm_vma_close,
	.may_split = acl_vmm_vma_may_split,
	.mremap = acl_vmm_vma_mremap,
};

/**
 * acl_vmm_vma_is_reservation() - whether a VMA is a reservation's own
 * @vma: a VMA, with the mmap_lock held
 *
 * Return: true for the VMA of a reservation (not a copy, not another's).
 */
bool acl_vmm_vma_is_reservation(struct vm_area_struct *vma)
{
	struct acl_vmm_reservation *res = vma->vm_private_data;

	acl_vmm_mmap_assert_locked(vma->vm_mm);
	return vma->vm_ops == &acl_vmm_vm_ops && READ_ONCE(res->vma) == vma;
}

/**
 * acl_vmm_mmap() - the file's mmap handler
 * @filp: the device file
 * @vma: the new VMA
 *
 * Accepts only the VMA of the reservation being created by the calling
 * task, exactly as ACL_VMM_RESERVE asked for it.
 *
 * Return: 0, or -EINVAL for any other mmap() of the device.
 */
int acl_vmm_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct acl_vmm_ctx *ctx = filp->private_data;
	struct acl_vmm_reservation *res;
	int ret = -EINVAL;

	mutex_lock(&ctx->lock);
	res = ctx->pending;
	if (!res || res->creator != current || vma->vm_mm != ctx->mm ||
	    vma->vm_start != res->va.start || vma->vm_end - 1 != res->va.last ||
	    vma->vm_pgoff != vma->vm_start >> PAGE_SHIFT ||
	    !(vma->vm_flags & VM_SHARED))
		goto out_unlock;
	ctx->pending = NULL;
	res->vma = vma;
	kref_get(&res->kref);	/* the VMA's */
	vma->vm_private_data = res;
	vma->vm_ops = &acl_vmm_vm_ops;
	acl_vmm_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY,
			     VM_MAYEXEC);
	ret = 0;
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/*
 * The lowest free range of @length bytes, aligned to @align, in the window
 * from @from on: free in the process's address space, which holds every
 * reservation (each one is a VMA).
 */
static unsigned long acl_vmm_find_free(struct mm_struct *mm,
				       unsigned long from, unsigned long length,
				       unsigned long align)
{
	unsigned long start = ALIGN(from, align);
	struct vm_area_struct *vma;

	while (start >= from && start <= ACL_VMM_VA_END - length) {
		vma = find_vma(mm, start);
		if (!vma || vma->vm_start >= start + length)
			return start;
		start = ALIGN(vma->vm_end, align);
	}
	return 0;
}

static int acl_vmm_pick_address(struct acl_vmm_ctx *ctx, unsigned long length,
				unsigned long *addr)
{
	/* Large reservations may hold 1 GiB pages: align them for those. */
	unsigned long align = length >= ACL_VMM_HUGE1G_PAGE_SIZE ?
			      ACL_VMM_HUGE1G_PAGE_SIZE : ACL_VMM_PAGE_SIZE;
	unsigned long start;

	if (mmap_read_lock_killable(ctx->mm))
		return -EINTR;
	start = acl_vmm_find_free(ctx->mm, ctx->next_va, length, align);
	if (!start)
		start = acl_vmm_find_free(ctx->mm, ACL_VMM_VA_START, length,
					  align);
	mmap_read_unlock(ctx->mm);
	if (!start)
		return -ENOMEM;
	*addr = start;
	return 0;
}

/*
 * Create the VMA of @res with vm_mmap() and make the reservation live.
 * Called with ctx->reserve_lock held.
 */
static int acl_vmm_reservation_mmap(struct acl_vmm_ctx *ctx, struct file *filp,
				    struct acl_vmm_reservation *res)
{
	unsigned long length = res->va.last - res->va.start + 1;
	unsigned long ret;
	int err = 0;

	lockdep_assert_held(&ctx->reserve_lock);
	mutex_lock(&ctx->lock);
	res->state = ACL_VMM_RES_PENDING;
	res->creator = current;
	res->vma = NULL;
	ctx->pending = res;
	mutex_unlock(&ctx->lock);

	ret = vm_mmap(filp, res->va.start, length, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED_NOREPLACE, res->va.start);

	mutex_lock(&ctx->lock);
	ctx->pending = NULL;
	res->creator = NULL;
	if (IS_ERR_VALUE(ret))
		err = (int)ret;
	else if (!res->vma)
		err = -EBUSY;	/* unmapped by another thread already */
	if (!err) {
		res->state = ACL_VMM_RES_LIVE;
		acl_vmm_va_insert(&res->va, &ctx->vs.reservations);
	}
	mutex_unlock(&ctx->lock);
	return err;
}

static int acl_vmm_reserve_check(const struct acl_vmm_reserve *cmd)
{
	if (cmd->flags & ~ACL_VMM_RESERVE_FLAGS)
		return -EINVAL;
	if (!cmd->length || cmd->length & (ACL_VMM_PAGE_SIZE - 1))
		return -EINVAL;
	if (!(cmd->flags & ACL_VMM_RESERVE_FIXED))
		return cmd->length > ACL_VMM_VA_WINDOW_SIZE ? -ENOMEM : 0;
	if (cmd->addr & (ACL_VMM_HUGE1G_PAGE_SIZE - 1))
		return -EINVAL;
	if (cmd->addr < ACL_VMM_VA_WINDOW_START ||
	    cmd->addr >= ACL_VMM_VA_END ||
	    cmd->length > ACL_VMM_VA_END - cmd->addr)
		return -ERANGE;
	return 0;
}

/**
 * acl_vmm_ioctl_reserve() - ACL_VMM_RESERVE: reserve a device VA range
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is reserved.
 */
int acl_vmm_ioctl_reserve(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_reserve *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_reservation *res;
	unsigned long addr;
	int tries, ret;

	ret = acl_vmm_reserve_check(cmd);
	if (ret)
		return ret;
	res = kzalloc(sizeof(*res), GFP_KERNEL_ACCOUNT);
	if (!res)
		return -ENOMEM;
	kref_init(&res->kref);
	res->ctx = ctx;
	res->flags = cmd->flags;
	res->device = ACL_VMM_DEVICE_NONE;

	if (mutex_lock_killable(&ctx->reserve_lock)) {
		ret = -EINTR;
		goto err_put_res;
	}
	for (tries = 0; tries < ACL_VMM_RESERVE_TRIES; tries++) {
		if (cmd->flags & ACL_VMM_RESERVE_FIXED) {
			addr = cmd->addr;
		} else {
			ret = acl_vmm_pick_address(ctx, cmd->length, &addr);
			if (ret)
				break;
		}
		res->va.start = addr;
		res->va.last = addr + cmd->length - 1;
		ret = acl_vmm_reservation_mmap(ctx, ucmd->file, res);
		/* Another thread took the range first: look again. */
		if (ret != -EEXIST || (cmd->flags & ACL_VMM_RESERVE_FIXED))
			break;
	}
	if (!ret)
		ctx->next_va = res->va.last + 1;
	mutex_unlock(&ctx->reserve_lock);
	if (ret)
		goto err_put_res;

	/* The reservation's own reference now belongs to the tree. */
	cmd->addr = addr;
	ret = acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		vm_munmap(addr, cmd->length);	/* its close frees @res */
	else
		trace_acl_vmm_reserve(addr, cmd->length, 0);
	return ret;

err_put_res:
	acl_vmm_reservation_put(res);
	return ret;
}

/**
 * acl_vmm_ioctl_release() - ACL_VMM_RELEASE: release a reservation
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is changed.
 */
int acl_vmm_ioctl_release(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_release *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_reservation *res;
	unsigned long length = 0;
	int ret = 0;

	if (cmd->flags)
		return -EINVAL;

	mutex_lock(&ctx->lock);
	res = acl_vmm_res(acl_vmm_va_find_exact(&ctx->vs.reservations,
						cmd->addr));
	if (!res || res->state != ACL_VMM_RES_LIVE) {
		ret = -ENOENT;
	} else if (res->nr_mappings) {
		ret = -EBUSY;
	} else {
		res->state = ACL_VMM_RES_DYING;
		length = res->va.last - res->va.start + 1;
	}
	mutex_unlock(&ctx->lock);
	if (ret)
		return ret;

	/* The VMA's close callback frees the reservation. */
	ret = vm_munmap(cmd->addr, length);
	if (!ret)
		trace_acl_vmm_release(cmd->addr, length, 0);
	if (ret) {
		mutex_lock(&ctx->lock);
		res = acl_vmm_res(acl_vmm_va_find_exact(&ctx->vs.reservations,
							cmd->addr));
		if (res && res->state == ACL_VMM_RES_DYING)
			res->state = ACL_VMM_RES_LIVE;
		mutex_unlock(&ctx->lock);
	}
	return ret;
}

/**
 * acl_vmm_ioctl_reset() - ACL_VMM_RESET: release and free everything
 * @ucmd: the call
 *
 * Releases the reservations one by one (their close callback unmaps what
 * they hold), then destroys every handle.
 *
 * Return: 0 or a negative errno (-EINTR when a fatal signal stops it: the
 * process is exiting and exit frees the rest).
 */
int acl_vmm_ioctl_reset(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_reset *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_reservation *res;
	struct acl_vmm_va_node *node;
	unsigned long start = 0, length;
	int ret = 0;

	if (cmd->flags)
		return -EINVAL;
	if (mutex_lock_killable(&ctx->reserve_lock))
		return -EINTR;
	for (;;) {
		mutex_lock(&ctx->lock);
		node = acl_vmm_va_first(&ctx->vs.reservations, 0, ULONG_MAX);
		res = acl_vmm_res(node);
		/* The reservation just unmapped is still here: a broken invariant. */
		if (WARN_ON_ONCE(res && start && res->va.start == start &&
				 res->state == ACL_VMM_RES_DYING)) {
			mutex_unlock(&ctx->lock);
			ret = -EBUSY;
			break;
		}
		if (res) {
			res->state = ACL_VMM_RES_DYING;
			start = res->va.start;
			length = res->va.last - res->va.start + 1;
		}
		mutex_unlock(&ctx->lock);
		if (!res)
			break;
		ret = vm_munmap(start, length);
		if (ret)
			break;
	}
	if (!ret) {
		mutex_lock(&ctx->lock);
		acl_vmm_handles_destroy(ctx);
		mutex_unlock(&ctx->lock);
	}
	mutex_unlock(&ctx->reserve_lock);
	return ret;
}
