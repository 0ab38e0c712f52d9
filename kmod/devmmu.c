// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Device page tables
 *
 * Every (context, device) pair has a device MMU of its own (struct
 * acl_vmm_dmmu): a page table the device's engine translates device
 * addresses through, with a TLB in front of it. It plays the part of an
 * NPU's own page tables, which an Ascend backend would program through
 * its driver; the system-memory backend emulates the hardware here.
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
#include "trace.h"

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

static struct acl_vmm_dmmu *acl_vmm_dmmu_alloc(u32 device)
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

/**
 * acl_vmm_dmmus_fini() - free a context's device tables
 * @ctx: the context, being released: no mapping is left
 */
void acl_vmm_dmmus_fini(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_dmmu *dmmu;
	u32 i;

	for (i = 0; i < ACL_VMM_MAX_DEVICES; i++) {
		dmmu = ctx->dmmu[i];
		if (!dmmu)
			continue;
		WARN_ON(dmmu->bytes[0] || dmmu->bytes[1] || dmmu->bytes[2]);
		acl_vmm_pt_free(dmmu->root, 0, &dmmu->nr_tables);
		kfree(dmmu);
		ctx->dmmu[i] = NULL;
	}
	mutex_destroy(&ctx->dmmu_lock);
}

/* The TLB slot of a device address: its 2 MiB frame, direct-mapped. */
static struct acl_vmm_tlb_entry *acl_vmm_tlb_slot(struct acl_vmm_dmmu *dmmu,
						  u64 va)
{
	return &dmmu->tlb[(va >> ACL_VMM_CHUNK_SHIFT) % ACL_VMM_TLB_ENTRIES];
}

/**
 * acl_vmm_tlb_invalidate() - drop the TLB's translations of a range
 * @dmmu: the device MMU
 * @va: first byte
 * @length: bytes
 *
 * Called with the context's dmmu_lock held.
 */
static void acl_vmm_tlb_invalidate(struct acl_vmm_dmmu *dmmu, u64 va, u64 length)
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
	trace_acl_vmm_tlb_invalidate(dmmu->device, va, length);
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

/* The device MMU of @device in @ctx, created at first use. */
static struct acl_vmm_dmmu *acl_vmm_dmmu_get(struct acl_vmm_ctx *ctx, u32 device)
{
	lockdep_assert_held(&ctx->dmmu_lock);
	if (!ctx->dmmu[device])
		ctx->dmmu[device] = acl_vmm_dmmu_alloc(device);
	return ctx->dmmu[device];
}

/**
 * acl_vmm_dmmu_map() - program a mapping into the device tables
 * @ctx: the context; ctx->lock held
 * @map: the new mapping, its @access set: one right per device
 *
 * The device the memory is on gets an entry in any case (without rights
 * if its @access is NONE), so that its engine tells "no access" from
 * "not mapped"; every other device with a right gets one too.
 *
 * Return: 0 or -ENOMEM; on error no table holds the range.
 */
int acl_vmm_dmmu_map(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map)
{
	u32 owner = acl_vmm_mem_device_index(map->handle->mem), dev;
	u64 length = map->va.last - map->va.start + 1;
	struct acl_vmm_dmmu *dmmu;
	int ret = 0;

	lockdep_assert_held(&ctx->lock);
	if (owner == ACL_VMM_DEVICE_HOST)
		return 0;	/* host memory: every device reaches it as the CPU does */
	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ctx->vmm->num_devices; dev++) {
		if (dev != owner && map->access[dev] == ACL_VMM_ACCESS_NONE)
			continue;
		dmmu = acl_vmm_dmmu_get(ctx, dev);
		ret = dmmu ? acl_vmm_pt_set(dmmu, map->va.start, length,
					    map->handle->mem, 0,
					    acl_vmm_access_pte(map->access[dev])) :
			     -ENOMEM;
		if (ret)
			break;
		trace_acl_vmm_dmmu_map(dev, map->va.start, length, map->access[dev]);
	}
	if (ret) {
		while (dev--) {
			if (ctx->dmmu[dev] &&
			    (dev == owner || map->access[dev] != ACL_VMM_ACCESS_NONE))
				acl_vmm_pt_clear(ctx->dmmu[dev], map->va.start, length);
		}
	}
	mutex_unlock(&ctx->dmmu_lock);
	return ret;
}

/**
 * acl_vmm_dmmu_unmap() - remove a mapping from every device table
 * @ctx: the context; ctx->lock held
 * @map: the mapping leaving
 *
 * Waits for the window the engine is copying, if any; when it returns,
 * no device's engine reaches the range any more.
 */
void acl_vmm_dmmu_unmap(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map)
{
	u64 length = map->va.last - map->va.start + 1;
	struct acl_vmm_dmmu *dmmu;
	u32 dev;

	lockdep_assert_held(&ctx->lock);
	if (acl_vmm_mem_device_index(map->handle->mem) == ACL_VMM_DEVICE_HOST)
		return;
	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		dmmu = ctx->dmmu[dev];
		if (!dmmu)
			continue;
		acl_vmm_pt_clear(dmmu, map->va.start, length);
		acl_vmm_tlb_invalidate(dmmu, map->va.start, length);
		trace_acl_vmm_dmmu_unmap(dev, map->va.start, length);
	}
	mutex_unlock(&ctx->dmmu_lock);
}

/*
 * Free the tables of [@start, @last] that hold nothing: the reservation
 * covering them is gone. Tables shared with a neighbour stay while it
 * has entries.
 */
static bool acl_vmm_pt_prune(struct acl_vmm_dmmu *dmmu, u64 *table, int level,
			     u64 base, u64 start, u64 last)
{
	u64 size = 1ULL << acl_vmm_pt_shift(level), lo, hi;
	bool empty = true;
	int i;

	for (i = 0; i < ACL_VMM_PT_ENTRIES; i++) {
		lo = base + i * size;
		hi = lo + size - 1;
		if (!table[i])
			continue;
		if (hi < start || lo > last ||
		    !acl_vmm_pte_is_table(table[i], level)) {
			empty = false;
			continue;
		}
		if (acl_vmm_pt_prune(dmmu, acl_vmm_pt_table(table[i]), level + 1,
				     lo, start, last)) {
			free_page((unsigned long)acl_vmm_pt_table(table[i]));
			dmmu->nr_tables--;
			WRITE_ONCE(table[i], 0);
		} else {
			empty = false;
		}
	}
	return empty;
}

/**
 * acl_vmm_dmmu_release_range() - free the tables of a reservation leaving
 * @ctx: the context; ctx->lock held
 * @start: its first byte
 * @last: its last byte
 */
void acl_vmm_dmmu_release_range(struct acl_vmm_ctx *ctx, u64 start, u64 last)
{
	struct acl_vmm_dmmu *dmmu;
	u32 dev;

	lockdep_assert_held(&ctx->lock);
	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		dmmu = ctx->dmmu[dev];
		if (dmmu)
			acl_vmm_pt_prune(dmmu, dmmu->root, 0, 0, start, last);
	}
	mutex_unlock(&ctx->dmmu_lock);
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
 * acl_vmm_dmmu_peer_enabled() - whether a device may reach a peer's memory
 * @ctx: the context; its dmmu_lock held
 * @device: the device running the work
 * @peer: the device whose memory it reaches
 *
 * Return: true when they are the same device or the peer is enabled.
 */
bool acl_vmm_dmmu_peer_enabled(struct acl_vmm_ctx *ctx, u32 device, u32 peer)
{
	lockdep_assert_held(&ctx->dmmu_lock);
	return device == peer || (ctx->peers[device] & BIT_ULL(peer));
}

/**
 * acl_vmm_dmmu_show() - describe a context's device tables for debugfs
 * @m: the file
 * @ctx: the context
 */
void acl_vmm_dmmu_show(struct seq_file *m, struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_dmmu *dmmu;
	u32 dev, peer;

	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		dmmu = ctx->dmmu[dev];
		if (!dmmu && !ctx->peers[dev])
			continue;
		seq_printf(m, "device %u", dev);
		if (dmmu)
			seq_printf(m, " tables=%lu 4K=%llu 2M=%llu 1G=%llu tlb_hits=%llu tlb_misses=%llu tlb_invalidations=%llu",
				   dmmu->nr_tables, dmmu->bytes[0], dmmu->bytes[1],
				   dmmu->bytes[2], dmmu->tlb_hits,
				   dmmu->tlb_misses, dmmu->tlb_invalidations);
		seq_puts(m, " peers=");
		if (!ctx->peers[dev])
			seq_puts(m, "none");
		for (peer = 0; peer < ACL_VMM_MAX_DEVICES; peer++)
			if (ctx->peers[dev] & BIT_ULL(peer))
				seq_printf(m, "%u%s", peer,
					   ctx->peers[dev] >> peer >> 1 ? "," : "");
		seq_putc(m, '\n');
	}
	mutex_unlock(&ctx->dmmu_lock);
}

static const char *const acl_vmm_access_names[] = {
	[ACL_VMM_ACCESS_NONE] = "none",
	[ACL_VMM_ACCESS_READ] = "read",
	[ACL_VMM_ACCESS_READWRITE] = "readwrite",
};

/**
 * acl_vmm_access_name() - the name of an access right
 * @access: an ACL_VMM_ACCESS_* value
 *
 * Return: its name, for debugfs.
 */
const char *acl_vmm_access_name(u32 access)
{
	return access < ARRAY_SIZE(acl_vmm_access_names) &&
	       acl_vmm_access_names[access] ? acl_vmm_access_names[access] : "?";
}

static bool acl_vmm_access_valid(u32 access)
{
	return access == ACL_VMM_ACCESS_NONE || access == ACL_VMM_ACCESS_READ ||
	       access == ACL_VMM_ACCESS_READWRITE;
}

/*
 * Give @map the rights @access (one per device), as one change: on
 * -ENOMEM the mapping keeps its old rights. Called with ctx->lock and
 * dmmu_lock held.
 */
static int acl_vmm_dmmu_set_rights(struct acl_vmm_ctx *ctx,
				   struct acl_vmm_mapping *map, const u8 *access)
{
	u32 owner = acl_vmm_mem_device_index(map->handle->mem), dev;
	u64 length = map->va.last - map->va.start + 1;
	struct acl_vmm_dmmu *dmmu;
	int ret = 0;

	for (dev = 0; dev < ctx->vmm->num_devices; dev++) {
		if (access[dev] == map->access[dev])
			continue;
		if (dev != owner && access[dev] == ACL_VMM_ACCESS_NONE) {
			dmmu = ctx->dmmu[dev];
			if (dmmu)
				acl_vmm_pt_clear(dmmu, map->va.start, length);
		} else {
			dmmu = acl_vmm_dmmu_get(ctx, dev);
			ret = dmmu ? acl_vmm_pt_set(dmmu, map->va.start, length,
						    map->handle->mem, 0,
						    acl_vmm_access_pte(access[dev])) :
				     -ENOMEM;
			if (ret)
				break;
		}
		if (dmmu)
			acl_vmm_tlb_invalidate(dmmu, map->va.start, length);
		trace_acl_vmm_dmmu_map(dev, map->va.start, length, access[dev]);
	}
	if (!ret) {
		memcpy(map->access, access, sizeof(map->access));
		return 0;
	}
	/* Put back what was changed; the tables it needs are all there. */
	while (dev--) {
		if (access[dev] == map->access[dev])
			continue;
		dmmu = ctx->dmmu[dev];
		if (dev != owner && map->access[dev] == ACL_VMM_ACCESS_NONE)
			acl_vmm_pt_clear(dmmu, map->va.start, length);
		else
			WARN_ON(acl_vmm_pt_set(dmmu, map->va.start, length,
					       map->handle->mem, 0,
					       acl_vmm_access_pte(map->access[dev])));
		acl_vmm_tlb_invalidate(dmmu, map->va.start, length);
	}
	return ret;
}

/**
 * acl_vmm_ioctl_set_access() - ACL_VMM_SET_ACCESS: set devices' rights
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no right changed.
 */
int acl_vmm_ioctl_set_access(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_set_access *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_access_desc *descs;
	u8 access[ACL_VMM_MAX_DEVICES];
	struct acl_vmm_mapping *map;
	struct acl_vmm_va_node *node;
	int ret = 0;
	u32 i;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (!cmd->count || cmd->count > ACL_VMM_MAX_DEVICES)
		return -EINVAL;
	descs = memdup_user(u64_to_user_ptr(cmd->descs),
			    cmd->count * sizeof(*descs));
	if (IS_ERR(descs))
		return PTR_ERR(descs);
	for (i = 0; i < cmd->count; i++) {
		if (!acl_vmm_access_valid(descs[i].access)) {
			ret = -EINVAL;
			goto out_free;
		}
		if (!acl_vmm_ctx_device(ctx, descs[i].device)) {
			ret = -ENODEV;
			goto out_free;
		}
	}
	mutex_lock(&ctx->lock);
	node = acl_vmm_va_find_exact(&ctx->vs.mappings, cmd->addr);
	map = node ? container_of(node, struct acl_vmm_mapping, va) : NULL;
	if (!map || map->va.last - map->va.start + 1 != cmd->length) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (acl_vmm_mem_device_index(map->handle->mem) == ACL_VMM_DEVICE_HOST) {
		ret = -EOPNOTSUPP;
		goto out_unlock;
	}
	memcpy(access, map->access, sizeof(access));
	for (i = 0; i < cmd->count; i++)
		access[descs[i].device] = descs[i].access;
	mutex_lock(&ctx->dmmu_lock);
	ret = acl_vmm_dmmu_set_rights(ctx, map, access);
	mutex_unlock(&ctx->dmmu_lock);
out_unlock:
	mutex_unlock(&ctx->lock);
out_free:
	kfree(descs);
	return ret ? ret : acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ioctl_get_access() - ACL_VMM_GET_ACCESS: a device's right
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_get_access(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_get_access *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_va_node *node;
	struct acl_vmm_mapping *map;
	int ret = 0;

	if (cmd->flags || cmd->access)
		return -EINVAL;
	if (cmd->device >= ctx->vmm->num_devices)
		return -ENODEV;
	mutex_lock(&ctx->lock);
	node = acl_vmm_va_find(&ctx->vs.mappings, cmd->addr);
	map = node ? container_of(node, struct acl_vmm_mapping, va) : NULL;
	if (!map)
		ret = -ENOENT;
	else if (acl_vmm_mem_device_index(map->handle->mem) == ACL_VMM_DEVICE_HOST)
		cmd->access = ACL_VMM_ACCESS_READWRITE;
	else
		cmd->access = map->access[cmd->device];
	mutex_unlock(&ctx->lock);
	return ret ? ret : acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_dmmu_enable_peer() - let a device reach a peer's memory
 * @ctx: the context
 * @device: the device that will run the work
 * @peer: the device whose memory it reaches
 *
 * Return: 0, -ENODEV when either is not attached, -EINVAL when they are
 * the same.
 */
int acl_vmm_dmmu_enable_peer(struct acl_vmm_ctx *ctx, u32 device, u32 peer)
{
	if (!acl_vmm_ctx_device(ctx, device) || !acl_vmm_ctx_device(ctx, peer))
		return -ENODEV;
	if (device == peer)
		return -EINVAL;
	mutex_lock(&ctx->dmmu_lock);
	ctx->peers[device] |= BIT_ULL(peer);
	mutex_unlock(&ctx->dmmu_lock);
	return 0;
}

/**
 * acl_vmm_ioctl_peer() - ACL_VMM_PEER: enable or disable peer access
 * @ucmd: the call
 *
 * Disabling waits for the window being copied, like a change of rights:
 * when it returns, no work of @device reaches @peer's memory.
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_peer(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_peer *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;

	if (cmd->flags & ~ACL_VMM_PEER_DISABLE)
		return -EINVAL;
	if (!(cmd->flags & ACL_VMM_PEER_DISABLE))
		return acl_vmm_dmmu_enable_peer(ctx, cmd->device, cmd->peer);
	if (!acl_vmm_ctx_device(ctx, cmd->device) ||
	    !acl_vmm_ctx_device(ctx, cmd->peer))
		return -ENODEV;
	if (cmd->device == cmd->peer)
		return -EINVAL;
	mutex_lock(&ctx->dmmu_lock);
	ctx->peers[cmd->device] &= ~BIT_ULL(cmd->peer);
	mutex_unlock(&ctx->dmmu_lock);
	return 0;
}
