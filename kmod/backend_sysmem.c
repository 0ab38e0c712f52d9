// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: System memory backend
 *
 * Physical memory is host RAM in 2 MiB compound pages, zeroed on
 * allocation (memory handed to a process never holds another's data) and
 * charged to the allocating task's memory cgroup (__GFP_ACCOUNT). An
 * allocation that cannot be satisfied fails (__GFP_RETRY_MAYFAIL): the OOM
 * killer is never invoked for it. Because the chunks are PMD-sized
 * compound pages, the fault path maps each with one PMD entry where the
 * mapping is PMD-aligned.
 *
 * The rest of the device is emulated too: its MMU (devmmu.c) and its copy
 * engine (engine.c), which runs on the owning context's worker. A dma-buf
 * importer gets one scatterlist entry per 2 MiB chunk.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "acl_vmm.h"

static void acl_vmm_sysmem_put_chunks(struct acl_vmm_mem *mem,
				      unsigned long count)
{
	while (count--)
		if (mem->chunks[count])
			put_page(mem->chunks[count]);
}

static int acl_vmm_sysmem_alloc(struct acl_vmm_mem *mem)
{
	const gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP |
			  __GFP_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	struct page *page;
	unsigned long i;
	int ret;

	mem->chunks = kvcalloc(mem->nr_chunks, sizeof(*mem->chunks),
			       GFP_KERNEL_ACCOUNT);
	if (!mem->chunks)
		return -ENOMEM;
	for (i = 0; i < mem->nr_chunks; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_put_chunks;
		}
		page = alloc_pages_node(mem->nid, gfp, ACL_VMM_CHUNK_ORDER);
		if (!page) {
			ret = -ENOMEM;
			goto err_put_chunks;
		}
		mem->chunks[i] = page;
		cond_resched();
	}
	return 0;

err_put_chunks:
	acl_vmm_sysmem_put_chunks(mem, i);
	kvfree(mem->chunks);
	mem->chunks = NULL;
	return ret;
}

static void acl_vmm_sysmem_release(struct acl_vmm_mem *mem)
{
	acl_vmm_sysmem_put_chunks(mem, mem->nr_chunks);
	kvfree(mem->chunks);
	mem->chunks = NULL;
}

/*
 * Put every chunk nobody but this module holds; a chunk pinned or
 * referenced elsewhere (a pipe, O_DIRECT, an RDMA region) stays. Nobody can
 * take a new reference to a chunk whose only one is ours: its memory is no
 * longer mapped anywhere.
 */
static u64 acl_vmm_sysmem_reclaim(struct acl_vmm_mem *mem)
{
	unsigned long i;
	u64 held = 0;

	for (i = 0; i < mem->nr_chunks; i++) {
		if (!mem->chunks[i])
			continue;
		if (page_ref_count(mem->chunks[i]) == 1) {
			put_page(mem->chunks[i]);
			mem->chunks[i] = NULL;
		} else {
			held += ACL_VMM_CHUNK_SIZE;
		}
	}
	return held;
}

static struct page *acl_vmm_sysmem_page(struct acl_vmm_mem *mem, u64 offset)
{
	struct page *chunk = mem->chunks[offset >> ACL_VMM_CHUNK_SHIFT];

	return nth_page(chunk, (offset & (ACL_VMM_CHUNK_SIZE - 1)) >> PAGE_SHIFT);
}

/* One scatterlist entry per 2 MiB chunk, DMA-mapped for the importer. */
static struct sg_table *acl_vmm_sysmem_map_dma_buf(struct acl_vmm_mem *mem,
						   struct device *dev,
						   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, mem->nr_chunks, GFP_KERNEL);
	if (ret)
		goto err_free_sgt;
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, mem->chunks[i], ACL_VMM_CHUNK_SIZE, 0);
	ret = dma_map_sgtable(dev, sgt, dir, 0);
	if (ret)
		goto err_free_table;
	return sgt;

err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void acl_vmm_sysmem_unmap_dma_buf(struct acl_vmm_mem *mem,
					 struct device *dev,
					 struct sg_table *sgt,
					 enum dma_data_direction dir)
{
	dma_unmap_sgtable(dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

const struct acl_vmm_backend_ops acl_vmm_sysmem_ops = {
	.name = "sysmem",
	.alloc = acl_vmm_sysmem_alloc,
	.release = acl_vmm_sysmem_release,
	.reclaim = acl_vmm_sysmem_reclaim,
	.page = acl_vmm_sysmem_page,
	.map_dma_buf = acl_vmm_sysmem_map_dma_buf,
	.unmap_dma_buf = acl_vmm_sysmem_unmap_dma_buf,
	.mmu_create = acl_vmm_sysmem_mmu_create,
	.mmu_destroy = acl_vmm_sysmem_mmu_destroy,
	.mmu_map = acl_vmm_sysmem_mmu_map,
	.mmu_unmap = acl_vmm_sysmem_mmu_unmap,
	.mmu_release = acl_vmm_sysmem_mmu_release,
	.tlb_invalidate = acl_vmm_sysmem_tlb_invalidate,
	.mmu_show = acl_vmm_sysmem_mmu_show,
	.stream_init = acl_vmm_stream_mirror_init,
	.stream_fini = acl_vmm_stream_mirror_fini,
	.submit = acl_vmm_sysmem_submit,
	.run = acl_vmm_sysmem_run,
	.cancel = acl_vmm_sysmem_cancel,
};
