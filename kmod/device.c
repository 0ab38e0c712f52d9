// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Emulated devices
 *
 * Each emulated device has a capacity, set at load time. Physical memory
 * allocated on a device is charged against it: an allocation that would
 * exceed it fails with -ENOMEM before any page is allocated, and the
 * charge is returned when the memory's last reference goes.
 *
 * Each device also has a node of its own, /dev/acl_vmmN. A context uses a
 * device only after ACL_VMM_ATTACH with an open descriptor of its node, so
 * that who may use a device is decided by who may open its node: its mode
 * and group (a udev rule), or which nodes a container is given.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "acl_vmm.h"

/* A device node only stands for its device: it has no operation. */
static const struct file_operations acl_vmm_device_fops = {
	.owner = THIS_MODULE,
	.llseek = noop_llseek,
};

static void acl_vmm_device_nodes_remove(struct acl_vmm *vmm, u32 count)
{
	while (count--)
		misc_deregister(&vmm->devices[count].misc);
}

/**
 * acl_vmm_devices_init() - create the emulated devices
 * @vmm: the module
 * @num_devices: how many
 * @bytes_each: capacity of each
 *
 * Return: 0, or -ENOMEM.
 */
int acl_vmm_devices_init(struct acl_vmm *vmm, u32 num_devices, u64 bytes_each)
{
	struct acl_vmm_device *dev;
	int ret;
	u32 i;

	vmm->devices = kcalloc(num_devices, sizeof(*vmm->devices), GFP_KERNEL);
	if (!vmm->devices)
		return -ENOMEM;
	vmm->num_devices = num_devices;
	for (i = 0; i < num_devices; i++) {
		dev = &vmm->devices[i];
		dev->index = i;
		dev->ops = &acl_vmm_sysmem_ops;
		dev->capacity = bytes_each;
		spin_lock_init(&dev->lock);
		snprintf(dev->name, sizeof(dev->name), "acl_vmm%u", i);
		dev->misc.minor = MISC_DYNAMIC_MINOR;
		dev->misc.name = dev->name;
		dev->misc.fops = &acl_vmm_device_fops;
		dev->misc.mode = 0600;	/* udev gives the group */
		dev->misc.groups = acl_vmm_device_groups;
		ret = misc_register(&dev->misc);
		if (ret)
			goto err_remove_nodes;
	}
	return 0;

err_remove_nodes:
	acl_vmm_device_nodes_remove(vmm, i);
	kfree(vmm->devices);
	vmm->devices = NULL;
	vmm->num_devices = 0;
	return ret;
}

/**
 * acl_vmm_devices_fini() - destroy the emulated devices
 * @vmm: the module
 *
 * Called when no file is open any more, so no memory is charged.
 */
void acl_vmm_devices_fini(struct acl_vmm *vmm)
{
	u32 i;

	acl_vmm_device_nodes_remove(vmm, vmm->num_devices);
	for (i = 0; i < vmm->num_devices; i++)
		WARN_ON(vmm->devices[i].used);
	kfree(vmm->devices);
	vmm->devices = NULL;
	vmm->num_devices = 0;
}

/**
 * acl_vmm_device_charge() - take bytes of a device's capacity
 * @dev: the device
 * @bytes: how many
 *
 * Return: 0, or -ENOMEM when the device has not that much left.
 */
int acl_vmm_device_charge(struct acl_vmm_device *dev, u64 bytes)
{
	int ret = 0;

	spin_lock(&dev->lock);
	if (bytes > dev->capacity - dev->used)
		ret = -ENOMEM;
	else
		dev->used += bytes;
	spin_unlock(&dev->lock);
	return ret;
}

/**
 * acl_vmm_device_uncharge() - give bytes of a device's capacity back
 * @dev: the device
 * @bytes: how many, as charged
 */
void acl_vmm_device_uncharge(struct acl_vmm_device *dev, u64 bytes)
{
	spin_lock(&dev->lock);
	if (!WARN_ON(bytes > dev->used))
		dev->used -= bytes;
	spin_unlock(&dev->lock);
}

/**
 * acl_vmm_device_usage() - bytes of a device's capacity allocated, and held
 * @dev: the device
 * @held: out, if not NULL: the bytes of the usage that are held (freed,
 *        still referenced elsewhere)
 *
 * Return: the usage; both are read at once, under the device's lock.
 */
u64 acl_vmm_device_usage(struct acl_vmm_device *dev, u64 *held)
{
	u64 used;

	spin_lock(&dev->lock);
	used = dev->used;
	if (held)
		*held = dev->held;
	spin_unlock(&dev->lock);
	return used;
}

/**
 * acl_vmm_device_hold() - mark charged bytes as held
 * @dev: the device
 * @bytes: bytes of its usage freed but still referenced elsewhere; they
 *         stay in the usage until acl_vmm_device_unhold()
 */
void acl_vmm_device_hold(struct acl_vmm_device *dev, u64 bytes)
{
	spin_lock(&dev->lock);
	dev->held += bytes;
	spin_unlock(&dev->lock);
}

/**
 * acl_vmm_device_unhold() - give held bytes back to the device
 * @dev: the device
 * @bytes: bytes marked held that nobody references any more
 */
void acl_vmm_device_unhold(struct acl_vmm_device *dev, u64 bytes)
{
	spin_lock(&dev->lock);
	if (!WARN_ON(bytes > dev->held || bytes > dev->used)) {
		dev->held -= bytes;
		dev->used -= bytes;
	}
	spin_unlock(&dev->lock);
}

/**
 * acl_vmm_ctx_device() - a device the context may use
 * @ctx: the context
 * @index: the device's index
 *
 * Return: the device, or NULL when there is no such device or the context
 * did not attach it.
 */
struct acl_vmm_device *acl_vmm_ctx_device(struct acl_vmm_ctx *ctx, u32 index)
{
	if (index >= ctx->vmm->num_devices || !test_bit(index, ctx->devices))
		return NULL;
	return &ctx->vmm->devices[index];
}

/**
 * acl_vmm_ioctl_attach() - ACL_VMM_ATTACH: let the context use a device
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_attach(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_attach *cmd = ucmd->cmd;
	struct acl_vmm_device *dev;
	struct fd f;

	if (cmd->flags)
		return -EINVAL;
	f = fdget(cmd->fd);
	if (!fd_file(f))
		return -EBADF;
	if (fd_file(f)->f_op != &acl_vmm_device_fops) {
		fdput(f);
		return -EINVAL;
	}
	/* misc_open() left the miscdevice there. */
	dev = container_of(fd_file(f)->private_data, struct acl_vmm_device, misc);
	fdput(f);
	set_bit(dev->index, ucmd->ctx->devices);
	cmd->device = dev->index;
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ioctl_get_info() - ACL_VMM_GET_INFO: the module's constants
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_get_info(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	cmd->num_devices = ucmd->ctx->vmm->num_devices;
	cmd->va_start = ACL_VMM_VA_WINDOW_START;
	cmd->va_size = ACL_VMM_VA_WINDOW_SIZE;
	cmd->page_size = ACL_VMM_PAGE_SIZE;
	cmd->huge1g_page_size = ACL_VMM_HUGE1G_PAGE_SIZE;
	cmd->abi_version = ACL_VMM_ABI_VERSION;
	cmd->caps = ACL_VMM_CAP_CORE | ACL_VMM_CAP_SHARE | ACL_VMM_CAP_DMABUF |
		    ACL_VMM_CAP_STREAMS | ACL_VMM_CAP_SHARE_HARDENED |
		    ACL_VMM_CAP_DEVICE_MMU | ACL_VMM_CAP_HANDLE_REFS |
		    ACL_VMM_CAP_STREAM_CONTROL | ACL_VMM_CAP_SHARE_CLOSE |
		    ACL_VMM_CAP_SYNC_TIMEOUT;
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ioctl_device_info() - ACL_VMM_DEVICE_INFO: a device's memory
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_device_info(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_device_info *cmd = ucmd->cmd;
	struct acl_vmm_device *dev;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	dev = acl_vmm_ctx_device(ucmd->ctx, cmd->device);
	if (!dev)
		return -ENODEV;
	cmd->capacity = dev->capacity;
	cmd->used = acl_vmm_device_usage(dev, NULL);
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}
