// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: The emulated device MMU
 *
 * Every (context, device) pair has a device MMU of its own (struct
 * acl_vmm_dmmu): a page table the device's engine translates device
 * addresses through, with a TLB in front of it. It plays the part of an
 * NPU's own page tables, which an Ascend driver programs; the
 * system-memory backend emulates the hardware here, behind the
 * mmu_* and tlb_invalidate operations of struct acl_vmm_backend_ops, which
 * access.c (the rights, for every backend) calls.
 *
 * The format, as a device would walk it: four levels of 512 entries of
 * 64 bits, each table one 4 KiB page; a device address is split as a
 * CPU's is on x86-64 (bits 47..39 index level 0, 38..30 level 1, 29..21
 * level 2, 20..12 level 3). An entry is
 *
 *  ====== ===============================================================
 *  bit 0  VALID: a translation (or, above level 3 without LEAF, a table)
 *  bit 1  READ: the device may read
 *  bit 2  WRITE: the device may write
 *  bit 3  LEAF: at level 1 a 1 GiB page, at level 2 a 2 MiB page (every
 *         valid level-3 entry is a 4 KiB page)
 *  4..9   leaves: the device the memory is on (peer access is checked
 *         against it, as a device knows a peer's memory by its address)
 *  12..51 the physical address of the page, or of the next table
 *  ====== ===============================================================
 *
 * A valid leaf without READ or WRITE is memory mapped that this device
 * may not touch (aclrtMemMapNoAccess, or a right revoked on the device
 * that owns the memory): the engine reports it as "no access" rather
 * than "not mapped". Memory is mapped with the largest leaf that its
 * alignment and physical contiguity allow (the system-memory backend's
 * 2 MiB pages give 2 MiB leaves, 1 GiB where 512 of them happen to be
 * contiguous).
 *
 * The TLB caches ACL_VMM_TLB_ENTRIES translations, direct-mapped by the
 * 2 MiB frame of the address. Every change that removes or lowers a
 * right (unmap, aclrtMemSetAccess) invalidates the range in the TLB
 * before it returns.
 *
 * Locking: the tables, the TLB and the peer matrix are under the
 * context's dmmu_lock. The engine holds it while it translates a window
 * and touches its pages, so a change of the tables waits for the window
 * being copied (never for queued work), and no engine reaches memory
 * through an entry after the call that removed it returned. dmmu_lock is
 * taken under acl_vmm_ctx.lock and the mmap_lock and outside every
 * stream's mirror_lock; tables are allocated under it (GFP_KERNEL_ACCOUNT:
 * they are charged to the process's memory cgroup), never freed until the
 * reservation that covers them goes.
 */
#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "acl_vmm.h"

#define ACL_VMM_PTE_VALID BIT_ULL(0)
#define ACL_VMM_PTE_READ BIT_ULL(1)
#define ACL_VMM_PTE_WRITE BIT_ULL(2)
#define ACL_VMM_PTE_LEAF BIT_ULL(3)
#define ACL_VMM_PTE_DEVICE GENMASK_ULL(9, 4)
#define ACL_VMM_PTE_ADDR GENMASK_ULL(51, 12)
#define ACL_VMM_PTE_RIGHTS (ACL_VMM_PTE_READ | ACL_VMM_PTE_WRITE)

#define ACL_VMM_PT_LEVELS 4
#define ACL_VMM_PT_BITS 9
#define ACL_VMM_PT_ENTRIES BIT(ACL_VMM_PT_BITS)

/* The size a level's entry covers: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
static unsigned int acl_vmm_pt_shift(int level)
{
	return PAGE_SHIFT + ACL_VMM_PT_BITS * (ACL_VMM_PT_LEVELS - 1 - level);
}

static unsigned int acl_vmm_pt_index(u64 va, int level)
{
	return (va >> acl_vmm_pt_shift(level)) & (ACL_VMM_PT_ENTRIES - 1);
}

static u64 *acl_vmm_pt_table(u64 pte)
{
	return phys_to_virt(pte & ACL_VMM_PTE_ADDR);
}

static bool acl_vmm_pte_is_table(u64 pte, int level)
{
	return (pte & ACL_VMM_PTE_VALID) && level < ACL_VMM_PT_LEVELS - 1 &&
	       !(pte & ACL_VMM_PTE_LEAF);
}

/* The leaf size index debugfs counts by: 0 for 4 KiB, 1 for 2 MiB, 2 for 1 GiB. */
static int acl_vmm_pt_size_index(int level)
{
	return ACL_VMM_PT_LEVELS - 1 - level;
}

/**
 * acl_vmm_access_pte() - the entry bits of an access right
 * @access: an ACL_VMM_ACCESS_* value
 *
 * Return: the READ and WRITE bits it grants.
 */
static u64 acl_vmm_access_pte(u32 access)
{
	switch (access) {
	case ACL_VMM_ACCESS_READ:
		return ACL_VMM_PTE_READ;
	case ACL_VMM_ACCESS_READWRITE:
		return ACL_VMM_PTE_READ | ACL_VMM_PTE_WRITE;
	default:
		return 0;
	}
}

/**
 * acl_vmm_sysmem_mmu_create() - a device MMU with an empty table
 * @device: the device
 *
 * Return: the MMU, or NULL when out of memory.
 */
struct acl_vmm_dmmu *acl_vmm_sysmem_mmu_create(u32 device)
{
	struct acl_vmm_dmmu *dmmu = kzalloc(sizeof(*dmmu), GFP_KERNEL_ACCOUNT);
	struct page *root;

	if (!dmmu)
		return NULL;
	root = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!root) {
		kfree(dmmu);
		return NULL;
	}
	dmmu->device = device;
	dmmu->root = page_address(root);
	dmmu->nr_tables = 1;
	return dmmu;
}

/* Free a table and every table below it. */
static void acl_vmm_pt_free(u64 *table, int level, unsigned long *nr_tables)
{
	int i;

	if (level < ACL_VMM_PT_LEVELS - 1) {
		for (i = 0; i < ACL_VMM_PT_ENTRIES; i++)
			if (acl_vmm_pte_is_table(table[i], level))
				acl_vmm_pt_free(acl_vmm_pt_table(table[i]),
						level + 1, nr_tables);
	}
	free_page((unsigned long)table);
	(*nr_tables)--;
}

/* The TLB slot of a device address: its 2 MiB frame, direct-mapped. */
static struct acl_vmm_tlb_entry *acl_vmm_tlb_slot(struct acl_vmm_dmmu *dmmu,
						  u64 va)
{
	return &dmmu->tlb[(va >> ACL_VMM_CHUNK_SHIFT) % ACL_VMM_TLB_ENTRIES];
}

/**
 * acl_vmm_sysmem_tlb_invalidate() - drop the TLB's translations of a range
 * @dmmu: the device MMU
 * @va: first byte
 * @length: bytes
 *
 * Called with the context's dmmu_lock held.
 */
void acl_vmm_sysmem_tlb_invalidate(struct acl_vmm_dmmu *dmmu, u64 va, u64 length)
{
	struct acl_vmm_tlb_entry *e;
	int i;

	for (i = 0; i < ACL_VMM_TLB_ENTRIES; i++) {
		e = &dmmu->tlb[i];
		if (e->pte && e->va < va + length &&
		    va < e->va + (1ULL << e->shift))
			e->pte = 0;
	}
	dmmu->tlb_invalidations++;
}

/*
 * Bytes of @mem physically contiguous from @offset on, up to @max: pages
 * of one compound page are, and so are compound pages that follow each
 * other in memory.
 */
static u64 acl_vmm_mem_contig(struct acl_vmm_mem *mem, u64 offset, u64 max)
{
	struct page *page = mem->ops->page(mem, offset), *head, *next;
	unsigned long pfn = page_to_pfn(page);
	u64 n = 0, step;

	while (n < max) {
		head = compound_head(page);
		step = ((u64)(page_to_pfn(head) + compound_nr(head) -
			      page_to_pfn(page))) << PAGE_SHIFT;
		n += step;
		if (n >= max || offset + n >= mem->size)
			break;
		next = mem->ops->page(mem, offset + n);
		if (page_to_pfn(next) != pfn + (n >> PAGE_SHIFT))
			break;
		page = next;
	}
	return min(n, max);
}

/*
 * The level of the largest leaf that can map @va to byte @offset of @mem
 * with @left bytes to go.
 */
static int acl_vmm_pt_leaf_level(struct acl_vmm_mem *mem, u64 va, u64 offset,
				 u64 left)
{
	unsigned long pfn = page_to_pfn(mem->ops->page(mem, offset));
	int level;
	u64 size;

	for (level = 1; level < ACL_VMM_PT_LEVELS - 1; level++) {
		size = 1ULL << acl_vmm_pt_shift(level);
		if (IS_ALIGNED(va, size) && left >= size &&
		    IS_ALIGNED((u64)pfn << PAGE_SHIFT, size) &&
		    acl_vmm_mem_contig(mem, offset, size) == size)
			return level;
	}
	return ACL_VMM_PT_LEVELS - 1;
}

/*
 * The entry of @va at @level, allocating the tables above it. A table
 * found where the leaf goes is empty (mappings never overlap, and a range
 * unmapped leaves its tables behind): it is freed.
 */
static u64 *acl_vmm_pt_walk_alloc(struct acl_vmm_dmmu *dmmu, u64 va, int level)
{
	u64 *table = dmmu->root, *pte;
	struct page *page;
	int l;

	for (l = 0; ; l++) {
		pte = &table[acl_vmm_pt_index(va, l)];
		if (l == level)
			break;
		if (!(*pte & ACL_VMM_PTE_VALID)) {
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page)
				return NULL;
			dmmu->nr_tables++;
			WRITE_ONCE(*pte, (page_to_phys(page) & ACL_VMM_PTE_ADDR) |
					 ACL_VMM_PTE_VALID);
		} else if (WARN_ON(!acl_vmm_pte_is_table(*pte, l))) {
			return NULL;
		}
		table = acl_vmm_pt_table(*pte);
	}
	if (acl_vmm_pte_is_table(*pte, level)) {
		acl_vmm_pt_free(acl_vmm_pt_table(*pte), level + 1, &dmmu->nr_tables);
		WRITE_ONCE(*pte, 0);
	}
	return pte;
}

/*
 * The leaf translating @va and its level, or NULL. A walk, as the device
 * does on a TLB miss.
 */
static u64 *acl_vmm_pt_lookup(struct acl_vmm_dmmu *dmmu, u64 va, int *levelp)
{
	u64 *table = dmmu->root, *pte;
	int level;

	for (level = 0; level < ACL_VMM_PT_LEVELS; level++) {
		pte = &table[acl_vmm_pt_index(va, level)];
		if (!(*pte & ACL_VMM_PTE_VALID))
			return NULL;
		if (!acl_vmm_pte_is_table(*pte, level)) {
			*levelp = level;
			return pte;
		}
		table = acl_vmm_pt_table(*pte);
	}
	return NULL;
}

/* Clear the leaves of [@va, @va + @length); tables stay. */
static void acl_vmm_pt_clear(struct acl_vmm_dmmu *dmmu, u64 va, u64 length)
{
	u64 end = va + length, size, *pte;
	int level;

	while (va < end) {
		pte = acl_vmm_pt_lookup(dmmu, va, &level);
		if (!pte) {
			/* Nothing here: skip to the next 4 KiB page. */
			va += PAGE_SIZE;
			continue;
		}
		size = 1ULL << acl_vmm_pt_shift(level);
		WARN_ON(!IS_ALIGNED(va, size) || end - va < size);
		WRITE_ONCE(*pte, 0);
		dmmu->bytes[acl_vmm_pt_size_index(level)] -= size;
		va += size;
	}
}

/*
 * Program [@va, @va + @length) to bytes [@offset, ...) of @mem with
 * @rights (READ and WRITE bits; none for a mapping no device may touch),
 * over whatever the range held. On -ENOMEM, what was set is cleared.
 */
static int acl_vmm_pt_set(struct acl_vmm_dmmu *dmmu, u64 va, u64 length,
			  struct acl_vmm_mem *mem, u64 offset, u64 rights)
{
	u64 start = va, end = va + length, size, *pte, old;
	phys_addr_t phys;
	int level;

	while (va < end) {
		old = 0;
		pte = acl_vmm_pt_lookup(dmmu, va, &level);
		if (pte) {
			old = *pte;
			size = 1ULL << acl_vmm_pt_shift(level);
		} else {
			level = acl_vmm_pt_leaf_level(mem, va, offset, end - va);
			size = 1ULL << acl_vmm_pt_shift(level);
			pte = acl_vmm_pt_walk_alloc(dmmu, va, level);
			if (!pte) {
				acl_vmm_pt_clear(dmmu, start, va - start);
				return -ENOMEM;
			}
			dmmu->bytes[acl_vmm_pt_size_index(level)] += size;
		}
		phys = page_to_phys(mem->ops->page(mem, offset));
		WRITE_ONCE(*pte, (phys & ACL_VMM_PTE_ADDR) | ACL_VMM_PTE_VALID |
				 (level < ACL_VMM_PT_LEVELS - 1 ? ACL_VMM_PTE_LEAF : 0) |
				 FIELD_PREP(ACL_VMM_PTE_DEVICE,
					    acl_vmm_mem_device_index(mem)) |
				 rights);
		WARN_ON(old && (old & ACL_VMM_PTE_ADDR) != (phys & ACL_VMM_PTE_ADDR));
		va += size;
		offset += size;
	}
	return 0;
}

/*
 * Free the tables of [@start, @last] that hold nothing: the reservation
 * covering them is gone. Tables shared with a neighbour stay while it
 * has entries. Only the entries the range overlaps are visited; a table
 * is empty when no entry is left in it (one memchr_inv() of its page).
 */
static bool acl_vmm_pt_prune(struct acl_vmm_dmmu *dmmu, u64 *table, int level,
			     u64 base, u64 start, u64 last)
{
	unsigned int shift = acl_vmm_pt_shift(level);
	u64 first = start > base ? (start - base) >> shift : 0;
	u64 end = min_t(u64, ((last - base) >> shift) + 1, ACL_VMM_PT_ENTRIES);
	u64 i, lo;

	for (i = first; i < end; i++) {
		if (!table[i] || !acl_vmm_pte_is_table(table[i], level))
			continue;
		lo = base + (i << shift);
		if (acl_vmm_pt_prune(dmmu, acl_vmm_pt_table(table[i]), level + 1,
				     lo, start, last)) {
			free_page((unsigned long)acl_vmm_pt_table(table[i]));
			dmmu->nr_tables--;
			WRITE_ONCE(table[i], 0);
		}
	}
	return !memchr_inv(table, 0, ACL_VMM_PT_ENTRIES * sizeof(*table));
}

/**
 * acl_vmm_dmmu_translate() - a device's translation of a device address
 * @ctx: the context; its dmmu_lock held
 * @device: the device translating
 * @va: the address
 * @write: whether the access writes
 * @pfn: out: the page frame of @va
 * @run: out: bytes from @va on that the same leaf translates
 * @owner: out: the device the memory is on (also on -EPERM and -EACCES)
 *
 * Looks in the TLB first, walks the table on a miss and fills the TLB.
 *
 * Return: 0; -EFAULT when nothing is mapped at @va for this device,
 * -EPERM when @va is mapped but the device has no access, -EACCES when it
 * may read only and @write.
 */
int acl_vmm_dmmu_translate(struct acl_vmm_ctx *ctx, u32 device, u64 va,
			   bool write, unsigned long *pfn, u64 *run, u32 *owner)
{
	struct acl_vmm_dmmu *dmmu = ctx->dmmu[device];
	struct acl_vmm_tlb_entry *e;
	u64 pte, size;
	int level;
	u64 *p;

	lockdep_assert_held(&ctx->dmmu_lock);
	if (!dmmu)
		return -EFAULT;
	e = acl_vmm_tlb_slot(dmmu, va);
	if (e->pte && va >= e->va && va - e->va < (1ULL << e->shift)) {
		dmmu->tlb_hits++;
		pte = e->pte;
		size = 1ULL << e->shift;
	} else {
		dmmu->tlb_misses++;
		p = acl_vmm_pt_lookup(dmmu, va, &level);
		if (!p)
			return -EFAULT;
		pte = *p;
		size = 1ULL << acl_vmm_pt_shift(level);
		e->va = va & ~(size - 1);
		e->shift = acl_vmm_pt_shift(level);
		e->pte = pte;
	}
	*owner = FIELD_GET(ACL_VMM_PTE_DEVICE, pte);
	if (!(pte & ACL_VMM_PTE_READ))
		return -EPERM;
	if (write && !(pte & ACL_VMM_PTE_WRITE))
		return -EACCES;
	*pfn = ((pte & ACL_VMM_PTE_ADDR) >> PAGE_SHIFT) +
	       ((va & (size - 1)) >> PAGE_SHIFT);
	*run = size - (va & (size - 1));
	return 0;
}

/**
 * acl_vmm_sysmem_mmu_destroy() - free a device MMU and its tables
 * @dmmu: the MMU, which maps nothing
 */
void acl_vmm_sysmem_mmu_destroy(struct acl_vmm_dmmu *dmmu)
{
	WARN_ON(dmmu->bytes[0] || dmmu->bytes[1] || dmmu->bytes[2]);
	acl_vmm_pt_free(dmmu->root, 0, &dmmu->nr_tables);
	kfree(dmmu);
}

/**
 * acl_vmm_sysmem_mmu_map() - program a range of a device MMU
 * @dmmu: the MMU
 * @va: first device address
 * @length: bytes
 * @mem: the memory
 * @offset: its first byte mapped at @va
 * @access: the device's right, an ACL_VMM_ACCESS_* value
 *
 * Return: 0 or -ENOMEM; on error the range maps nothing it did not map
 * before.
 */
int acl_vmm_sysmem_mmu_map(struct acl_vmm_dmmu *dmmu, u64 va, u64 length,
			   struct acl_vmm_mem *mem, u64 offset, u32 access)
{
	return acl_vmm_pt_set(dmmu, va, length, mem, offset,
			      acl_vmm_access_pte(access));
}

/**
 * acl_vmm_sysmem_mmu_unmap() - clear a range of a device MMU
 * @dmmu: the MMU
 * @va: first device address
 * @length: bytes
 *
 * The tables stay until the reservation goes.
 */
void acl_vmm_sysmem_mmu_unmap(struct acl_vmm_dmmu *dmmu, u64 va, u64 length)
{
	acl_vmm_pt_clear(dmmu, va, length);
}

/**
 * acl_vmm_sysmem_mmu_release() - free the empty tables of a range
 * @dmmu: the MMU
 * @start: first byte of a reservation leaving
 * @last: its last byte
 */
void acl_vmm_sysmem_mmu_release(struct acl_vmm_dmmu *dmmu, u64 start, u64 last)
{
	acl_vmm_pt_prune(dmmu, dmmu->root, 0, 0, start, last);
}

/**
 * acl_vmm_sysmem_mmu_show() - a device MMU's statistics, for debugfs
 * @m: the file
 * @dmmu: the MMU
 */
void acl_vmm_sysmem_mmu_show(struct seq_file *m, struct acl_vmm_dmmu *dmmu)
{
	seq_printf(m, " tables=%lu 4K=%llu 2M=%llu 1G=%llu tlb_hits=%llu tlb_misses=%llu tlb_invalidations=%llu",
		   dmmu->nr_tables, dmmu->bytes[0], dmmu->bytes[1],
		   dmmu->bytes[2], dmmu->tlb_hits, dmmu->tlb_misses,
		   dmmu->tlb_invalidations);
}
