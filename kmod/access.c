// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Access rights and peer access
 *
 * What CANN's aclrtMemSetAccess, aclrtMemGetAccess, aclrtMemMapNoAccess
 * and the peer calls manage, for every backend: which device may reach a
 * mapping, and how (acl_vmm_mapping.access, one right per device), and
 * which devices' work may reach another device's memory at all
 * (acl_vmm_ctx.peers). Each right is programmed into the device's own
 * MMU through the backend's mmu_map, mmu_unmap and tlb_invalidate
 * operations: the device the memory is on always has an entry (one that
 * grants nothing when its right is NONE, so that its engine tells "no
 * access" from "not mapped"), every other device one when it has a right.
 * Every change that removes or lowers a right invalidates the device's
 * TLB before the call returns; the engine holds the context's dmmu_lock
 * while it translates and touches a window, so after the call no engine
 * reaches the memory through the old right.
 *
 * Locking: dmmu_lock protects the MMUs, the rights and the peers. It is
 * taken under acl_vmm_ctx.lock and the mmap_lock, outside every stream's
 * mirror_lock.
 */
#include <linux/slab.h>
#include <linux/seq_file.h>

#include "acl_vmm.h"
#include "trace.h"

static const struct acl_vmm_backend_ops *acl_vmm_dmmu_ops(struct acl_vmm_ctx *ctx,
							  u32 dev)
{
	return ctx->vmm->devices[dev].ops;
}

/**
 * acl_vmm_dmmus_fini() - free a context's device MMUs
 * @ctx: the context, being released: no mapping is left
 */
void acl_vmm_dmmus_fini(struct acl_vmm_ctx *ctx)
{
	u32 dev;

	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		if (!ctx->dmmu[dev])
			continue;
		acl_vmm_dmmu_ops(ctx, dev)->mmu_destroy(ctx->dmmu[dev]);
		ctx->dmmu[dev] = NULL;
	}
	mutex_destroy(&ctx->dmmu_lock);
}

/* The device MMU of @dev in @ctx, created at first use. */
static struct acl_vmm_dmmu *acl_vmm_dmmu_get(struct acl_vmm_ctx *ctx, u32 dev)
{
	lockdep_assert_held(&ctx->dmmu_lock);
	if (!ctx->dmmu[dev])
		ctx->dmmu[dev] = acl_vmm_dmmu_ops(ctx, dev)->mmu_create(dev);
	return ctx->dmmu[dev];
}

/*
 * Give device @dev the right @access to @map in its MMU, whose TLB is
 * then invalidated for the range. Called with dmmu_lock held.
 */
static int acl_vmm_dmmu_program(struct acl_vmm_ctx *ctx, u32 dev,
				struct acl_vmm_mapping *map, u32 owner,
				u32 access)
{
	const struct acl_vmm_backend_ops *ops = acl_vmm_dmmu_ops(ctx, dev);
	u64 length = map->va.last - map->va.start + 1;
	struct acl_vmm_dmmu *dmmu = ctx->dmmu[dev];
	int ret;

	if (dev != owner && access == ACL_VMM_ACCESS_NONE) {
		ops->mmu_unmap(dmmu, map->va.start, length);
		trace_acl_vmm_dmmu_unmap(dev, map->va.start, length);
	} else {
		ret = ops->mmu_map(dmmu, map->va.start, length,
				   map->handle->mem, 0, access);
		if (ret)
			return ret;
		trace_acl_vmm_dmmu_map(dev, map->va.start, length, access);
	}
	ops->tlb_invalidate(dmmu, map->va.start, length);
	trace_acl_vmm_tlb_invalidate(dev, map->va.start, length);
	return 0;
}

/**
 * acl_vmm_dmmu_map() - program a mapping into the device MMUs
 * @ctx: the context; ctx->lock held
 * @map: the new mapping, its @access set: one right per device
 *
 * The device the memory is on gets an entry in any case (without rights
 * if its @access is NONE), so that its engine tells "no access" from
 * "not mapped"; every other device with a right gets one too.
 *
 * Return: 0 or -ENOMEM; on error no MMU maps the range.
 */
int acl_vmm_dmmu_map(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map)
{
	u32 owner = acl_vmm_mem_device_index(map->handle->mem), dev;
	u64 length = map->va.last - map->va.start + 1;
	const struct acl_vmm_backend_ops *ops;
	struct acl_vmm_dmmu *dmmu;
	int ret = 0;

	lockdep_assert_held(&ctx->lock);
	if (owner == ACL_VMM_DEVICE_HOST)
		return 0;	/* host memory: every device reaches it as the CPU does */
	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ctx->vmm->num_devices; dev++) {
		if (dev != owner && map->access[dev] == ACL_VMM_ACCESS_NONE)
			continue;
		ops = acl_vmm_dmmu_ops(ctx, dev);
		dmmu = acl_vmm_dmmu_get(ctx, dev);
		ret = dmmu ? ops->mmu_map(dmmu, map->va.start, length,
					  map->handle->mem, 0, map->access[dev]) :
			     -ENOMEM;
		if (ret)
			break;
		trace_acl_vmm_dmmu_map(dev, map->va.start, length, map->access[dev]);
	}
	if (ret) {
		while (dev--) {
			ops = acl_vmm_dmmu_ops(ctx, dev);
			if (ctx->dmmu[dev] &&
			    (dev == owner || map->access[dev] != ACL_VMM_ACCESS_NONE))
				ops->mmu_unmap(ctx->dmmu[dev], map->va.start,
					       length);
		}
	}
	mutex_unlock(&ctx->dmmu_lock);
	return ret;
}

/**
 * acl_vmm_dmmu_unmap() - remove a mapping from every device MMU
 * @ctx: the context; ctx->lock held
 * @map: the mapping leaving
 *
 * Waits for the window the engine is copying, if any; when it returns,
 * no device's engine reaches the range any more.
 */
void acl_vmm_dmmu_unmap(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map)
{
	u64 length = map->va.last - map->va.start + 1;
	const struct acl_vmm_backend_ops *ops;
	u32 dev;

	lockdep_assert_held(&ctx->lock);
	if (acl_vmm_mem_device_index(map->handle->mem) == ACL_VMM_DEVICE_HOST)
		return;
	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		if (!ctx->dmmu[dev])
			continue;
		ops = acl_vmm_dmmu_ops(ctx, dev);
		ops->mmu_unmap(ctx->dmmu[dev], map->va.start, length);
		ops->tlb_invalidate(ctx->dmmu[dev], map->va.start, length);
		trace_acl_vmm_dmmu_unmap(dev, map->va.start, length);
		trace_acl_vmm_tlb_invalidate(dev, map->va.start, length);
	}
	mutex_unlock(&ctx->dmmu_lock);
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
			acl_vmm_dmmu_ops(ctx, dev)->mmu_release(dmmu, start, last);
	}
	mutex_unlock(&ctx->dmmu_lock);
}

/**
 * acl_vmm_dmmu_show() - describe a context's device MMUs for debugfs
 * @m: the file
 * @ctx: the context
 */
void acl_vmm_dmmu_show(struct seq_file *m, struct acl_vmm_ctx *ctx)
{
	u32 dev, peer;

	mutex_lock(&ctx->dmmu_lock);
	for (dev = 0; dev < ACL_VMM_MAX_DEVICES; dev++) {
		if (!ctx->dmmu[dev] && !ctx->peers[dev])
			continue;
		seq_printf(m, "device %u", dev);
		if (ctx->dmmu[dev])
			acl_vmm_dmmu_ops(ctx, dev)->mmu_show(m, ctx->dmmu[dev]);
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
	int ret = 0;

	for (dev = 0; dev < ctx->vmm->num_devices; dev++) {
		if (access[dev] == map->access[dev])
			continue;
		ret = acl_vmm_dmmu_get(ctx, dev) ?
		      acl_vmm_dmmu_program(ctx, dev, map, owner, access[dev]) :
		      -ENOMEM;
		if (ret)
			break;
	}
	if (!ret) {
		memcpy(map->access, access, sizeof(map->access));
		return 0;
	}
	/* Put back what was changed; the tables it needs are all there. */
	while (dev--) {
		if (access[dev] != map->access[dev])
			WARN_ON(acl_vmm_dmmu_program(ctx, dev, map, owner,
						     map->access[dev]));
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
