// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Mappings
 *
 * ACL_VMM_MAP places a prefix of a handle's memory at an aligned range
 * inside one reservation, then populates the page tables at once, as a
 * device's are programmed at map time: one fault per 2 MiB chunk, each
 * installing one PMD entry through the reservation's fault handler (which
 * also serves any later fault, after madvise(MADV_DONTNEED) for example),
 * or 512 PTEs where mm does not map that VMA with PMDs (Linux 6.12 under
 * MADV_NOHUGEPAGE or PR_SET_THP_DISABLE).
 * A reservation holds memory of one device only; the first mapping in an
 * empty reservation decides which.
 *
 * ACL_VMM_UNMAP removes a whole mapping. It holds the mmap_lock for
 * writing, so that no fault (which runs under it for reading) can install
 * a page of the mapping after it left the tree, and zaps the range: when
 * it returns, no thread can reach the memory through that range any more.
 * The handle's memory is released at its last unmap if it was freed.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "acl_vmm.h"
#include "trace.h"

static struct acl_vmm_mapping *acl_vmm_map_of(struct acl_vmm_va_node *node)
{
	return node ? container_of(node, struct acl_vmm_mapping, va) : NULL;
}

/**
 * acl_vmm_mapping_page() - the page mapped at an address
 * @ctx: the context
 * @addr: a user address
 *
 * Called with @ctx->lock held.
 *
 * Return: the page (no reference taken), or NULL when @addr is not mapped.
 */
struct page *acl_vmm_mapping_page(struct acl_vmm_ctx *ctx, unsigned long addr)
{
	struct acl_vmm_mapping *map;
	struct acl_vmm_mem *mem;

	lockdep_assert_held(&ctx->lock);
	map = ctx->fault_hint;
	if (!map || addr < map->va.start || addr > map->va.last) {
		map = acl_vmm_map_of(acl_vmm_va_find(&ctx->vs.mappings, addr));
		if (!map)
			return NULL;
		ctx->fault_hint = map;
	}
	mem = map->handle->mem;
	return mem->ops->page(mem, addr - map->va.start);
}

/**
 * acl_vmm_mapping_destroy() - remove a mapping from the bookkeeping
 * @ctx: the context
 * @map: the mapping; its pages are no longer in the page tables
 *
 * Called with @ctx->lock held.
 */
void acl_vmm_mapping_destroy(struct acl_vmm_ctx *ctx,
			     struct acl_vmm_mapping *map)
{
	struct acl_vmm_reservation *res = map->res;

	lockdep_assert_held(&ctx->lock);
	acl_vmm_dmmu_unmap(ctx, map);
	if (ctx->fault_hint == map)
		ctx->fault_hint = NULL;
	acl_vmm_va_remove(&map->va, &ctx->vs.mappings);
	if (!--res->nr_mappings)
		res->device = ACL_VMM_DEVICE_NONE;
	acl_vmm_handle_unmapped(ctx, map->handle);
	kfree(map);
}

/*
 * Check a map request against the handle and the VA space and return the
 * reservation it goes into. Called with ctx->lock held.
 */
static int acl_vmm_map_check(struct acl_vmm_ctx *ctx,
			     const struct acl_vmm_map *cmd,
			     struct acl_vmm_handle *handle,
			     struct acl_vmm_reservation **resp)
{
	u64 granule = 1ULL << handle->mem->granule_shift;
	struct acl_vmm_reservation *res;
	struct acl_vmm_va_node *node;
	int ret;

	lockdep_assert_held(&ctx->lock);
	if ((cmd->addr | cmd->length) & (granule - 1))
		return -EINVAL;
	if (cmd->length > handle->mem->size)
		return -EFBIG;
	ret = acl_vmm_va_check_map(&ctx->vs, cmd->addr,
				   cmd->addr + cmd->length - 1, &node);
	if (ret)
		return ret;
	res = container_of(node, struct acl_vmm_reservation, va);
	if (res->state != ACL_VMM_RES_LIVE)
		return -ENXIO;
	if (res->nr_mappings &&
	    res->device != acl_vmm_mem_device_index(handle->mem))
		return -EXDEV;
	*resp = res;
	return 0;
}

/*
 * Whether a PMD entry maps @addr: a lockless look under the mmap_lock, a
 * hint only (a wrong answer costs a fault later, nothing else).
 */
static bool acl_vmm_pmd_mapped(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		return false;
	return pmd_trans_huge(READ_ONCE(*pmd_offset(pud, addr)));
}

/*
 * Fault the new mapping in, one 2 MiB chunk at a time: one fault installs
 * a PMD entry. Where mm refuses the PMD (Linux 6.12 does under
 * MADV_NOHUGEPAGE and PR_SET_THP_DISABLE) the fault installed one PTE, so
 * the rest of the chunk is faulted page by page. Best effort: a range
 * unmapped or protected meanwhile by another thread just stops it, and
 * whatever is not populated here is on first touch.
 */
static void acl_vmm_map_populate(struct acl_vmm_ctx *ctx, unsigned long start,
				 unsigned long length)
{
	unsigned long end = start + length, addr = start, step;
	struct vm_area_struct *vma;
	unsigned int flags;
	vm_fault_t ret;

	if (mmap_read_lock_killable(ctx->mm))
		return;
	vma = vma_lookup(ctx->mm, start);
	/*
	 * The process may have changed the range meanwhile: populate only
	 * what is still a reservation, and as its protection allows, as
	 * mm_populate() does (a write fault on a mapping made read-only is
	 * a bug mm warns about; an inaccessible one is left alone).
	 */
	if (!vma || !acl_vmm_vma_is_reservation(vma) ||
	    !(vma->vm_flags & (VM_READ | VM_WRITE)))
		goto out_unlock;
	end = min(end, vma->vm_end);
	flags = vma->vm_flags & VM_WRITE ? FAULT_FLAG_WRITE : 0;
	while (addr < end) {
		if (fatal_signal_pending(current))
			break;
		ret = handle_mm_fault(vma, addr, flags, NULL);
		if (ret & VM_FAULT_ERROR)
			break;
		step = PAGE_SIZE;
		if (IS_ALIGNED(addr, ACL_VMM_CHUNK_SIZE) &&
		    acl_vmm_pmd_mapped(ctx->mm, addr))
			step = ACL_VMM_CHUNK_SIZE;
		addr += step;
	}
out_unlock:
	mmap_read_unlock(ctx->mm);
}

/**
 * acl_vmm_ioctl_map() - ACL_VMM_MAP: map a handle into a reservation
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is mapped.
 */
int acl_vmm_ioctl_map(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_map *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_reservation *res;
	struct acl_vmm_handle *handle;
	struct acl_vmm_mapping *map;
	u32 owner;
	int ret;

	if (cmd->flags & ~ACL_VMM_MAP_NOACCESS || cmd->__reserved || cmd->offset)
		return -EINVAL;
	if (!cmd->length || cmd->addr + cmd->length - 1 < cmd->addr ||
	    cmd->addr + cmd->length - 1 > ULONG_MAX)
		return -EINVAL;
	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;

	mutex_lock(&ctx->lock);
	handle = acl_vmm_handle_lookup(ctx, cmd->handle);
	if (!handle) {
		ret = -ENOENT;
		goto err_unlock;
	}
	ret = acl_vmm_map_check(ctx, cmd, handle, &res);
	if (ret)
		goto err_unlock;
	map->va.start = cmd->addr;
	map->va.last = cmd->addr + cmd->length - 1;
	map->res = res;
	map->handle = handle;
	/*
	 * The device that owns the memory (for an imported handle, the
	 * device it was imported for) may read and write it.
	 */
	owner = handle->imported ? handle->import_device :
		acl_vmm_mem_device_index(handle->mem);
	if (!(cmd->flags & ACL_VMM_MAP_NOACCESS) && owner < ACL_VMM_MAX_DEVICES)
		map->access[owner] = ACL_VMM_ACCESS_READWRITE;
	ret = acl_vmm_dmmu_map(ctx, map);
	if (ret)
		goto err_unlock;
	acl_vmm_va_insert(&map->va, &ctx->vs.mappings);
	res->nr_mappings++;
	res->device = acl_vmm_mem_device_index(handle->mem);
	handle->map_count++;
	ctx->fault_hint = map;	/* the populate below faults here */
	mutex_unlock(&ctx->lock);
	trace_acl_vmm_map(cmd->addr, cmd->length, cmd->handle);
	acl_vmm_map_populate(ctx, cmd->addr, cmd->length);
	return 0;

err_unlock:
	mutex_unlock(&ctx->lock);
	kfree(map);
	return ret;
}

/**
 * acl_vmm_ioctl_unmap() - ACL_VMM_UNMAP: remove a mapping
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is changed.
 */
int acl_vmm_ioctl_unmap(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_unmap *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_mapping *map;
	int ret = 0;

	if (cmd->flags)
		return -EINVAL;
	if (mmap_write_lock_killable(ctx->mm))
		return -EINTR;
	mutex_lock(&ctx->lock);
	map = acl_vmm_map_of(acl_vmm_va_find_exact(&ctx->vs.mappings,
						   cmd->addr));
	if (!map) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/*
	 * Faults are excluded by the mmap_lock, so no page of the range can
	 * come back once it is zapped. File offsets are device VAs, and the
	 * file's address space holds this context's VMAs only.
	 */
	unmap_mapping_range(&ctx->mapping, map->va.start,
			    map->va.last - map->va.start + 1, 1);
	trace_acl_vmm_unmap(map->va.start, map->va.last - map->va.start + 1,
			    map->handle->obj.id);
	acl_vmm_mapping_destroy(ctx, map);
out_unlock:
	mutex_unlock(&ctx->lock);
	mmap_write_unlock(ctx->mm);
	return ret;
}

/**
 * acl_vmm_ioctl_query() - ACL_VMM_QUERY: what is at an address
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_query(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_query *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_reservation *res;
	struct acl_vmm_va_node *node;
	struct acl_vmm_mapping *map;
	u64 last = cmd->addr + cmd->length - 1;
	int ret = 0;

	if (cmd->flags & ~ACL_VMM_QUERY_RANGE || cmd->result || cmd->__reserved)
		return -EINVAL;
	if ((cmd->flags & ACL_VMM_QUERY_RANGE) &&
	    (!cmd->length || last < cmd->addr || last > ULONG_MAX))
		return -EINVAL;

	mutex_lock(&ctx->lock);
	node = acl_vmm_va_find(&ctx->vs.reservations, cmd->addr);
	res = node ? container_of(node, struct acl_vmm_reservation, va) : NULL;
	if (!res || res->state != ACL_VMM_RES_LIVE) {
		ret = -ENOENT;
		goto out_unlock;
	}
	cmd->res_start = res->va.start;
	cmd->res_length = res->va.last - res->va.start + 1;
	if (res->flags & ACL_VMM_RESERVE_MALLOC)
		cmd->result |= ACL_VMM_QUERY_MALLOC;
	map = acl_vmm_map_of(acl_vmm_va_find(&ctx->vs.mappings, cmd->addr));
	if (map) {
		cmd->result |= ACL_VMM_QUERY_MAPPED;
		cmd->map_start = map->va.start;
		cmd->map_length = map->va.last - map->va.start + 1;
		cmd->handle = map->handle->obj.id;
		cmd->device = acl_vmm_mem_device_index(map->handle->mem);
	}
	if ((cmd->flags & ACL_VMM_QUERY_RANGE) &&
	    !acl_vmm_va_range_covered(&ctx->vs.mappings, cmd->addr, last))
		ret = -EFAULT;
out_unlock:
	mutex_unlock(&ctx->lock);
	if (ret)
		return ret;
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}
