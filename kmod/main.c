// SPDX-License-Identifier: GPL-2.0
/*
 * acl_vmm: device virtual memory management for ACL runtimes.
 *
 * DOC: Overview
 *
 * The module registers the misc device /dev/acl_vmm. Each open file is a
 * process's device context (struct acl_vmm_ctx); every operation is an
 * ioctl on it, described in include/uapi/linux/acl_vmm.h.
 *
 * The dispatcher is one table, as iommufd's: each line gives the command,
 * its struct, the last mandatory member and the handler. The dispatcher
 * checks the command number, reads the user's size, refuses one below the
 * mandatory part, copies the struct with copy_struct_from_user() (so that
 * older and newer userspace both work) and calls the handler. Handlers run
 * without any lock held and take what they need; they write results into
 * the kernel copy and call acl_vmm_ucmd_respond().
 *
 * DOC: The contexts' inode
 *
 * Each context has an address space of its own (acl_vmm_ctx.mapping, the
 * file's f_mapping), through which unmap zaps the context's VMAs. Its host
 * is one inode of a pseudo filesystem of the module's (as DRM's devices
 * have), whose size covers every file offset: a reservation's VMA maps the
 * file at offsets equal to its addresses. The fault path maps a 2 MiB page
 * with one PMD only where the page lies below the file's size (since
 * Linux 6.12 and its stable updates, mm maps single PTEs beyond i_size to
 * keep SIGBUS there); the size of the device node's own inode is 0.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "acl_vmm.h"

static unsigned int num_devices = 2;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Number of emulated devices (1-64, default 2)");

static unsigned long device_mem_mb;
module_param(device_mem_mb, ulong, 0444);
MODULE_PARM_DESC(device_mem_mb,
		 "Memory of each emulated device in MiB (default 0: half of RAM shared among the devices, at most 16384 each)");

#define ACL_VMM_AUTO_MAX_MB 16384UL

static struct acl_vmm acl_vmm;

#define ACL_VMM_FS_MAGIC 0x61636c76	/* "aclv" */

static int acl_vmm_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, ACL_VMM_FS_MAGIC) ? 0 : -ENOMEM;
}

/* No owner: the module pins it from load to unload. */
static struct file_system_type acl_vmm_fs_type = {
	.name = "acl_vmm",
	.init_fs_context = acl_vmm_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int acl_vmm_inode_init(struct acl_vmm *vmm)
{
	int ret;

	ret = simple_pin_fs(&acl_vmm_fs_type, &vmm->mnt, &vmm->mnt_count);
	if (ret)
		return ret;
	vmm->inode = alloc_anon_inode(vmm->mnt->mnt_sb);
	if (IS_ERR(vmm->inode)) {
		simple_release_fs(&vmm->mnt, &vmm->mnt_count);
		return PTR_ERR(vmm->inode);
	}
	/* Page aligned, so that mm's DIV_ROUND_UP() of it cannot overflow. */
	i_size_write(vmm->inode, MAX_LFS_FILESIZE & PAGE_MASK);
	return 0;
}

static void acl_vmm_inode_fini(struct acl_vmm *vmm)
{
	iput(vmm->inode);
	simple_release_fs(&vmm->mnt, &vmm->mnt_count);
}

/**
 * acl_vmm_ucmd_respond() - copy an ioctl's results back to the user
 * @ucmd: the call
 * @cmd_len: size of the kernel struct
 *
 * Copies as much of the struct as the user's size holds.
 *
 * Return: 0, or -EFAULT.
 */
int acl_vmm_ucmd_respond(struct acl_vmm_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

union acl_vmm_ucmd_buffer {
	struct acl_vmm_info info;
	struct acl_vmm_device_info device_info;
	struct acl_vmm_destroy destroy;
	struct acl_vmm_reserve reserve;
	struct acl_vmm_release release;
	struct acl_vmm_alloc alloc;
	struct acl_vmm_map map;
	struct acl_vmm_unmap unmap;
	struct acl_vmm_query query;
	struct acl_vmm_reset reset;
	struct acl_vmm_attach attach;
	struct acl_vmm_tgid tgid;
	struct acl_vmm_export export;
	struct acl_vmm_set_pids set_pids;
	struct acl_vmm_import import;
	struct acl_vmm_export_dmabuf export_dmabuf;
	struct acl_vmm_import_dmabuf import_dmabuf;
	struct acl_vmm_stream_create stream_create;
	struct acl_vmm_stream_sync stream_sync;
	struct acl_vmm_device_sync device_sync;
	struct acl_vmm_copy copy;
	struct acl_vmm_memset memset;
	struct acl_vmm_event_create event_create;
	struct acl_vmm_event_record event_record;
	struct acl_vmm_event_wait event_wait;
	struct acl_vmm_event_sync event_sync;
	struct acl_vmm_event_query event_query;
	struct acl_vmm_set_access set_access;
	struct acl_vmm_get_access get_access;
	struct acl_vmm_peer peer;
	struct acl_vmm_retain retain;
	struct acl_vmm_handle_info handle_info;
};

/**
 * struct acl_vmm_ioctl_op - one line of the ioctl table
 * @size: size of the command's struct
 * @min_size: the smallest size a user may give: up to its last mandatory member
 * @ioctl_num: the full ioctl number
 * @name: the command's name, for the debug log
 * @execute: the handler
 */
struct acl_vmm_ioctl_op {
	const char *name;
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct acl_vmm_ucmd *ucmd);
};

#define ACL_VMM_IOCTL_OP(_name, _fn, _struct, _last)                         \
	[ACL_VMM_CMD_##_name - ACL_VMM_CMD_BASE] = {                         \
		.name = #_name,                                              \
		.size = sizeof(_struct) +                                    \
			BUILD_BUG_ON_ZERO(sizeof(union acl_vmm_ucmd_buffer) < \
					  sizeof(_struct)),                  \
		.min_size = offsetofend(_struct, _last),                     \
		.ioctl_num = ACL_VMM_##_name,                                \
		.execute = _fn,                                              \
	}

static const struct acl_vmm_ioctl_op acl_vmm_ioctl_ops[] = {
	ACL_VMM_IOCTL_OP(GET_INFO, acl_vmm_ioctl_get_info,
			 struct acl_vmm_info, huge1g_page_size),
	ACL_VMM_IOCTL_OP(DEVICE_INFO, acl_vmm_ioctl_device_info,
			 struct acl_vmm_device_info, used),
	ACL_VMM_IOCTL_OP(DESTROY, acl_vmm_ioctl_destroy,
			 struct acl_vmm_destroy, __reserved),
	ACL_VMM_IOCTL_OP(RESERVE, acl_vmm_ioctl_reserve,
			 struct acl_vmm_reserve, addr),
	ACL_VMM_IOCTL_OP(RELEASE, acl_vmm_ioctl_release,
			 struct acl_vmm_release, addr),
	ACL_VMM_IOCTL_OP(ALLOC, acl_vmm_ioctl_alloc,
			 struct acl_vmm_alloc, __reserved),
	ACL_VMM_IOCTL_OP(MAP, acl_vmm_ioctl_map,
			 struct acl_vmm_map, __reserved),
	ACL_VMM_IOCTL_OP(UNMAP, acl_vmm_ioctl_unmap,
			 struct acl_vmm_unmap, addr),
	ACL_VMM_IOCTL_OP(QUERY, acl_vmm_ioctl_query,
			 struct acl_vmm_query, __reserved),
	ACL_VMM_IOCTL_OP(RESET, acl_vmm_ioctl_reset,
			 struct acl_vmm_reset, flags),
	ACL_VMM_IOCTL_OP(ATTACH, acl_vmm_ioctl_attach,
			 struct acl_vmm_attach, device),
	ACL_VMM_IOCTL_OP(GET_TGID, acl_vmm_ioctl_get_tgid,
			 struct acl_vmm_tgid, __reserved),
	ACL_VMM_IOCTL_OP(EXPORT, acl_vmm_ioctl_export,
			 struct acl_vmm_export, share),
	ACL_VMM_IOCTL_OP(SET_PIDS, acl_vmm_ioctl_set_pids,
			 struct acl_vmm_set_pids, __reserved),
	ACL_VMM_IOCTL_OP(IMPORT, acl_vmm_ioctl_import,
			 struct acl_vmm_import, handle),
	ACL_VMM_IOCTL_OP(EXPORT_DMABUF, acl_vmm_ioctl_export_dmabuf,
			 struct acl_vmm_export_dmabuf, fd),
	ACL_VMM_IOCTL_OP(IMPORT_DMABUF, acl_vmm_ioctl_import_dmabuf,
			 struct acl_vmm_import_dmabuf, handle),
	ACL_VMM_IOCTL_OP(STREAM_CREATE, acl_vmm_ioctl_stream_create,
			 struct acl_vmm_stream_create, stream),
	ACL_VMM_IOCTL_OP(STREAM_SYNC, acl_vmm_ioctl_stream_sync,
			 struct acl_vmm_stream_sync, fault),
	ACL_VMM_IOCTL_OP(DEVICE_SYNC, acl_vmm_ioctl_device_sync,
			 struct acl_vmm_device_sync, fault),
	ACL_VMM_IOCTL_OP(COPY, acl_vmm_ioctl_copy,
			 struct acl_vmm_copy, fault),
	ACL_VMM_IOCTL_OP(MEMSET, acl_vmm_ioctl_memset,
			 struct acl_vmm_memset, fault),
	ACL_VMM_IOCTL_OP(EVENT_CREATE, acl_vmm_ioctl_event_create,
			 struct acl_vmm_event_create, __reserved),
	ACL_VMM_IOCTL_OP(EVENT_RECORD, acl_vmm_ioctl_event_record,
			 struct acl_vmm_event_record, stream),
	ACL_VMM_IOCTL_OP(EVENT_WAIT, acl_vmm_ioctl_event_wait,
			 struct acl_vmm_event_wait, event),
	ACL_VMM_IOCTL_OP(EVENT_SYNC, acl_vmm_ioctl_event_sync,
			 struct acl_vmm_event_sync, timeout_ms),
	ACL_VMM_IOCTL_OP(EVENT_QUERY, acl_vmm_ioctl_event_query,
			 struct acl_vmm_event_query, timestamp_ns),
	ACL_VMM_IOCTL_OP(SET_ACCESS, acl_vmm_ioctl_set_access,
			 struct acl_vmm_set_access, __reserved),
	ACL_VMM_IOCTL_OP(GET_ACCESS, acl_vmm_ioctl_get_access,
			 struct acl_vmm_get_access, access),
	ACL_VMM_IOCTL_OP(PEER, acl_vmm_ioctl_peer,
			 struct acl_vmm_peer, peer),
	ACL_VMM_IOCTL_OP(RETAIN, acl_vmm_ioctl_retain,
			 struct acl_vmm_retain, __reserved),
	ACL_VMM_IOCTL_OP(HANDLE_INFO, acl_vmm_ioctl_handle_info,
			 struct acl_vmm_handle_info, length),
};

static long acl_vmm_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	struct acl_vmm_ctx *ctx = filp->private_data;
	const struct acl_vmm_ioctl_op *op;
	union acl_vmm_ucmd_buffer buf;
	struct acl_vmm_ucmd ucmd = {
		.ctx = ctx,
		.file = filp,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (nr < ACL_VMM_CMD_BASE ||
	    nr - ACL_VMM_CMD_BASE >= ARRAY_SIZE(acl_vmm_ioctl_ops))
		return -ENOTTY;
	op = &acl_vmm_ioctl_ops[nr - ACL_VMM_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;
	if (current->mm != ctx->mm)
		return -EPERM;

	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	ret = op->execute(&ucmd);
	/* echo 'module acl_vmm +p' > /sys/kernel/debug/dynamic_debug/control */
	if (ret)
		dev_dbg(acl_vmm.misc.this_device, "%s[%d]: %s: %d\n",
			current->comm, task_tgid_nr(current), op->name, ret);
	return ret;
}

static int acl_vmm_fops_open(struct inode *inode, struct file *filp)
{
	struct acl_vmm_ctx *ctx;
	int ret;

	if (!current->mm)
		return -EPERM;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->vmm = &acl_vmm;
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	mutex_init(&ctx->reserve_lock);
	mutex_init(&ctx->lock);
	mutex_init(&ctx->dmmu_lock);
	mutex_init(&ctx->worker_lock);
	acl_vmm_vaspace_init(&ctx->vs);
	ret = acl_vmm_objects_init(ctx);
	if (ret)
		goto err_free_ctx;
	ctx->next_va = ACL_VMM_VA_START;
	address_space_init_once(&ctx->mapping);
	ctx->mapping.host = ctx->vmm->inode;	/* see "The contexts' inode" */
	filp->f_mapping = &ctx->mapping;
	filp->private_data = ctx;
	acl_vmm_ctx_register(ctx);
	return 0;

err_free_ctx:
	mmdrop(ctx->mm);
	kfree(ctx);
	return ret;
}

static int acl_vmm_fops_release(struct inode *inode, struct file *filp)
{
	struct acl_vmm_ctx *ctx = filp->private_data;

	acl_vmm_ctx_unregister(ctx);
	/* Every reservation's VMA held the file: they are all gone. */
	WARN_ON(!acl_vmm_vaspace_empty(&ctx->vs));
	WARN_ON(mapping_mapped(&ctx->mapping));
	/* Work still queued is cancelled; its fences are signalled. */
	acl_vmm_ctx_streams_destroy(ctx);
	acl_vmm_worker_stop(ctx);
	acl_vmm_ctx_events_destroy(ctx);
	mutex_lock(&ctx->lock);
	acl_vmm_handles_destroy(ctx);
	mutex_unlock(&ctx->lock);
	acl_vmm_dmmus_fini(ctx);
	acl_vmm_objects_fini(ctx);
	mutex_destroy(&ctx->worker_lock);
	mutex_destroy(&ctx->lock);
	mutex_destroy(&ctx->reserve_lock);
	mmdrop(ctx->mm);
	kfree(ctx);
	return 0;
}

static const struct file_operations acl_vmm_fops = {
	.owner = THIS_MODULE,
	.open = acl_vmm_fops_open,
	.release = acl_vmm_fops_release,
	.unlocked_ioctl = acl_vmm_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = acl_vmm_mmap,
	.llseek = noop_llseek,
	.show_fdinfo = acl_vmm_show_fdinfo,
};

static u64 acl_vmm_default_device_bytes(u32 count)
{
	u64 mb = ((u64)totalram_pages() << PAGE_SHIFT) / 2 / count / SZ_1M;

	return min_t(u64, mb, ACL_VMM_AUTO_MAX_MB) * SZ_1M;
}

static int __init acl_vmm_init(void)
{
	u64 bytes;
	int ret;

	if (!num_devices || num_devices > ACL_VMM_MAX_DEVICES) {
		pr_err("num_devices=%u is not in 1..%u\n", num_devices,
		       ACL_VMM_MAX_DEVICES);
		return -EINVAL;
	}
	if (device_mem_mb > (U64_MAX >> 20)) {
		pr_err("device_mem_mb=%lu is too large\n", device_mem_mb);
		return -EINVAL;
	}
	bytes = device_mem_mb ? (u64)device_mem_mb * SZ_1M :
		acl_vmm_default_device_bytes(num_devices);
	bytes = round_down(bytes, ACL_VMM_CHUNK_SIZE);

	ret = acl_vmm_inode_init(&acl_vmm);
	if (ret)
		return ret;
	ret = acl_vmm_physical_init();
	if (ret)
		goto err_inode_fini;
	acl_vmm_shares_init(&acl_vmm);
	acl_vmm_debugfs_init(&acl_vmm);
	ret = acl_vmm_devices_init(&acl_vmm, num_devices, bytes);
	if (ret)
		goto err_debugfs_fini;

	acl_vmm.misc.minor = MISC_DYNAMIC_MINOR;
	acl_vmm.misc.name = "acl_vmm";
	acl_vmm.misc.fops = &acl_vmm_fops;
	acl_vmm.misc.mode = 0600;	/* udev gives the group */
	ret = misc_register(&acl_vmm.misc);
	if (ret)
		goto err_devices_fini;

	pr_info("%u devices of %llu MiB, backend %s\n", num_devices,
		bytes >> 20, acl_vmm_sysmem_ops.name);
	return 0;

err_devices_fini:
	acl_vmm_devices_fini(&acl_vmm);
err_debugfs_fini:
	acl_vmm_debugfs_fini(&acl_vmm);
	acl_vmm_shares_fini(&acl_vmm);
	acl_vmm_physical_fini();
err_inode_fini:
	acl_vmm_inode_fini(&acl_vmm);
	return ret;
}

static void __exit acl_vmm_exit(void)
{
	misc_deregister(&acl_vmm.misc);
	acl_vmm_physical_drain();
	acl_vmm_devices_fini(&acl_vmm);
	acl_vmm_debugfs_fini(&acl_vmm);
	acl_vmm_shares_fini(&acl_vmm);
	acl_vmm_physical_fini();
	acl_vmm_inode_fini(&acl_vmm);
}

module_init(acl_vmm_init);
module_exit(acl_vmm_exit);

MODULE_DESCRIPTION("Device virtual memory management for ACL runtimes");
MODULE_LICENSE("GPL");
