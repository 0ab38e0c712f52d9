// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Emulated devices
 *
 * Each emulated device has a capacity, set at load time. Physical memory
 * allocated on a device is charged against it: an allocation that would
 * exceed it fails with -ENOMEM before any page is allocated, and the
 * charge is returned when the memory's last reference goes.
 */
#include <linux/slab.h>

#include "acl_vmm.h"

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
	u32 i;

	vmm->devices = kcalloc(num_devices, sizeof(*vmm->devices), GFP_KERNEL);
	if (!vmm->devices)
		return -ENOMEM;
	vmm->num_devices = num_devices;
	for (i = 0; i < num_devices; i++) {
		vmm->devices[i].index = i;
		vmm->devices[i].capacity = bytes_each;
		spin_lock_init(&vmm->devices[i].lock);
	}
	return 0;
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
 * acl_vmm_ioctl_get_info() - ACL_VMM_GET_INFO: the module's constants
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_get_info(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->num_devices = ucmd->ctx->vmm->num_devices;
	cmd->va_start = ACL_VMM_VA_WINDOW_START;
	cmd->va_size = ACL_VMM_VA_WINDOW_SIZE;
	cmd->page_size = ACL_VMM_PAGE_SIZE;
	cmd->huge1g_page_size = ACL_VMM_HUGE1G_PAGE_SIZE;
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
	struct acl_vmm *vmm = ucmd->ctx->vmm;
	struct acl_vmm_device *dev;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (cmd->device >= vmm->num_devices)
		return -ENODEV;
	dev = &vmm->devices[cmd->device];
	cmd->capacity = dev->capacity;
	spin_lock(&dev->lock);
	cmd->used = dev->used;
	spin_unlock(&dev->lock);
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}
