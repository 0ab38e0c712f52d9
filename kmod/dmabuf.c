// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: dma-buf export and import
 *
 * Beyond CANN, as CUDA's POSIX file descriptor handles do: a handle's
 * memory can be exported as a dma-buf. The dma-buf holds a reference on
 * the memory until its last file reference goes, so it can be passed over
 * a Unix socket and outlive the exporter. This module imports its own
 * dma-bufs as new handles of the same memory; other drivers import it
 * through the usual attach and map (one scatterlist entry per 2 MiB chunk),
 * and mmap() of the dma-buf maps the memory directly.
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "acl_vmm.h"
#include "trace.h"

MODULE_IMPORT_NS(DMA_BUF);

static struct sg_table *acl_vmm_dmabuf_map(struct dma_buf_attachment *attach,
					   enum dma_data_direction dir)
{
	struct acl_vmm_mem *mem = attach->dmabuf->priv;

	return mem->ops->map_dma_buf(mem, attach->dev, dir);
}

static void acl_vmm_dmabuf_unmap(struct dma_buf_attachment *attach,
				 struct sg_table *sgt,
				 enum dma_data_direction dir)
{
	struct acl_vmm_mem *mem = attach->dmabuf->priv;

	mem->ops->unmap_dma_buf(mem, attach->dev, sgt, dir);
}

static void acl_vmm_dmabuf_release(struct dma_buf *dmabuf)
{
	acl_vmm_mem_put(dmabuf->priv);
}

static vm_fault_t acl_vmm_dmabuf_fault(struct vm_fault *vmf)
{
	struct acl_vmm_mem *mem = vmf->vma->vm_private_data;
	u64 offset = (u64)vmf->pgoff << PAGE_SHIFT;
	struct page *page;

	if (offset >= mem->size)
		return VM_FAULT_SIGBUS;
	page = mem->ops->page(mem, offset);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct acl_vmm_dmabuf_vm_ops = {
	.fault = acl_vmm_dmabuf_fault,
};

/* The VMA holds the dma-buf's file, which holds the memory. */
static int acl_vmm_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct acl_vmm_mem *mem = dmabuf->priv;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff > mem->size >> PAGE_SHIFT ||
	    vma_pages(vma) > (mem->size >> PAGE_SHIFT) - vma->vm_pgoff)
		return -EINVAL;
	vma->vm_private_data = mem;
	vma->vm_ops = &acl_vmm_dmabuf_vm_ops;
	return 0;
}

static const struct dma_buf_ops acl_vmm_dmabuf_ops = {
	.map_dma_buf = acl_vmm_dmabuf_map,
	.unmap_dma_buf = acl_vmm_dmabuf_unmap,
	.release = acl_vmm_dmabuf_release,
	.mmap = acl_vmm_dmabuf_mmap,
};

/**
 * acl_vmm_ioctl_export_dmabuf() - ACL_VMM_EXPORT_DMABUF
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no descriptor is installed.
 */
int acl_vmm_ioctl_export_dmabuf(struct acl_vmm_ucmd *ucmd)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct acl_vmm_export_dmabuf *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_handle *handle;
	struct acl_vmm_mem *mem = NULL;
	struct dma_buf *dmabuf;
	int fd, ret;

	if (cmd->flags || cmd->fd)
		return -EINVAL;
	mutex_lock(&ctx->lock);
	handle = acl_vmm_handle_lookup(ctx, cmd->handle);
	if (handle) {
		mem = handle->mem;
		acl_vmm_mem_get(mem);
	}
	mutex_unlock(&ctx->lock);
	if (!mem)
		return -ENOENT;

	info.ops = &acl_vmm_dmabuf_ops;
	info.size = mem->size;
	info.flags = O_RDWR | O_CLOEXEC;
	info.priv = mem;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		acl_vmm_mem_put(mem);
		return PTR_ERR(dmabuf);
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put_dmabuf;
	}
	cmd->fd = fd;
	ret = acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_put_fd;
	fd_install(fd, dmabuf->file);
	trace_acl_vmm_share("export_dmabuf", 0, cmd->handle);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_dmabuf:
	dma_buf_put(dmabuf);	/* its release drops the memory */
	return ret;
}

/**
 * acl_vmm_ioctl_import_dmabuf() - ACL_VMM_IMPORT_DMABUF
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no handle is made.
 */
int acl_vmm_ioctl_import_dmabuf(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_import_dmabuf *cmd = ucmd->cmd;
	struct acl_vmm_handle *handle;
	struct acl_vmm_mem *mem;
	struct dma_buf *dmabuf;

	if (cmd->flags || cmd->handle)
		return -EINVAL;
	dmabuf = dma_buf_get(cmd->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (dmabuf->ops != &acl_vmm_dmabuf_ops) {
		dma_buf_put(dmabuf);
		return -EINVAL;
	}
	mem = dmabuf->priv;
	acl_vmm_mem_get(mem);
	dma_buf_put(dmabuf);

	handle = acl_vmm_handle_install(ucmd->ctx, mem, false, 0);
	if (IS_ERR(handle)) {
		acl_vmm_mem_put(mem);
		return PTR_ERR(handle);
	}
	cmd->handle = handle->obj.id;
	trace_acl_vmm_share("import_dmabuf", 0, cmd->handle);
	return acl_vmm_object_respond(ucmd, sizeof(*cmd), &handle->obj);
}
