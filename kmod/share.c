// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Sharing physical memory between processes
 *
 * ACL_VMM_EXPORT publishes a handle's device memory as a share: a 64-bit
 * value with the exporting device in bits 39..32 (as CANN encodes it) and
 * the other 56 bits random, so that the value is a capability: nobody can
 * guess a share, list the shares of the host, or name new memory with a
 * stale value. The share is findable only once the export has replied
 * (acl_vmm_share.live), as a context's objects are. An unknown share, a
 * gone one and one the caller may not use get the same answer (-ENOENT)
 * from every command. A share lives exactly as long as its memory: as long as the
 * exporter or any importer holds a handle of it (mapped or not). When the
 * last one goes, the memory unpublishes the share, and importing it fails.
 * So a share whose exporter exited can still be imported, by whitelisted
 * processes, while an importer keeps it alive.
 *
 * The whitelist (ACL_VMM_SET_PIDS, by the exporter only) holds struct pid
 * references, keyed by their id in the initial pid namespace (the "bare
 * tgid" of ACL_VMM_GET_TGID, the same from inside any container). A
 * process that later reuses a whitelisted id is a different struct pid and
 * is refused. Exports made with ACL_VMM_EXPORT_NO_PID_CHECK skip the
 * whitelist. The exporting process may not import its own share; another
 * process holds at most one imported handle of a share per device.
 */
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "acl_vmm.h"
#include "trace.h"

/**
 * acl_vmm_shares_init() - set up the share registry
 * @vmm: the module
 */
void acl_vmm_shares_init(struct acl_vmm *vmm)
{
	mutex_init(&vmm->shares_lock);
	hash_init(vmm->shares);
}

/**
 * acl_vmm_shares_fini() - tear down the share registry
 * @vmm: the module; no memory is left, so no share
 */
void acl_vmm_shares_fini(struct acl_vmm *vmm)
{
	WARN_ON(!hash_empty(vmm->shares));
	mutex_destroy(&vmm->shares_lock);
}

static void acl_vmm_share_free(struct acl_vmm_share *share)
{
	struct pid *pid;
	unsigned long nr;

	xa_for_each(&share->pids, nr, pid)
		put_pid(pid);
	xa_destroy(&share->pids);
	put_pid(share->exporter);
	kfree(share);
}

/**
 * acl_vmm_share_unpublish() - withdraw the share of memory going away
 * @mem: the memory, whose last reference went
 */
void acl_vmm_share_unpublish(struct acl_vmm_mem *mem)
{
	struct acl_vmm *vmm = mem->vmm;
	struct acl_vmm_share *share;

	mutex_lock(&vmm->shares_lock);
	share = mem->share;
	if (share) {
		hash_del(&share->node);
		mem->share = NULL;
	}
	mutex_unlock(&vmm->shares_lock);
	if (share)
		acl_vmm_share_free(share);
}

/*
 * The share a value names, live or (with @any) not yet, or NULL. Called
 * with shares_lock held.
 */
static struct acl_vmm_share *acl_vmm_share_lookup(struct acl_vmm *vmm,
						  u64 value, bool any)
{
	struct acl_vmm_share *share;

	lockdep_assert_held(&vmm->shares_lock);
	hash_for_each_possible(vmm->shares, share, node, value)
		if (share->value == value && (any || share->live))
			return share;
	return NULL;
}

static struct acl_vmm_share *acl_vmm_share_find(struct acl_vmm *vmm, u64 value)
{
	return acl_vmm_share_lookup(vmm, value, false);
}

/*
 * Publish @share, not live, for @mem under a random value that names no
 * other share. Called with shares_lock held.
 */
static void acl_vmm_share_publish(struct acl_vmm *vmm,
				  struct acl_vmm_share *share,
				  struct acl_vmm_mem *mem)
{
	u64 dev = (u64)mem->dev->index << ACL_VMM_SHARE_DEVICE_SHIFT;
	u64 mask = ACL_VMM_SHARE_DEVICE_MASK << ACL_VMM_SHARE_DEVICE_SHIFT;

	do
		share->value = (get_random_u64() & ~mask) | dev;
	while (acl_vmm_share_lookup(vmm, share->value, true));
	share->mem = mem;
	hash_add(vmm->shares, &share->node, share->value);
	mem->share = share;
}

/**
 * acl_vmm_ioctl_get_tgid() - ACL_VMM_GET_TGID: the caller's bare tgid
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_get_tgid(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_tgid *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->tgid = pid_nr(task_tgid(current));
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ioctl_export() - ACL_VMM_EXPORT: publish a handle's memory
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is published.
 */
int acl_vmm_ioctl_export(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_export *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm *vmm = ctx->vmm;
	struct acl_vmm_handle *handle;
	struct acl_vmm_share *share;
	struct acl_vmm_mem *mem;
	int ret;

	if (cmd->flags & ~ACL_VMM_EXPORT_NO_PID_CHECK || cmd->__reserved)
		return -EINVAL;
	share = kzalloc(sizeof(*share), GFP_KERNEL_ACCOUNT);
	if (!share)
		return -ENOMEM;
	xa_init(&share->pids);
	share->exporter = get_pid(task_tgid(current));
	share->no_pid_check = cmd->flags & ACL_VMM_EXPORT_NO_PID_CHECK;

	/* ctx->lock keeps the handle, and so its memory, alive meanwhile. */
	mutex_lock(&ctx->lock);
	handle = acl_vmm_handle_lookup(ctx, cmd->handle);
	mem = handle ? handle->mem : NULL;
	if (!mem) {
		ret = -ENOENT;
		goto err_unlock;
	}
	if (!mem->dev) {
		ret = -EINVAL;
		goto err_unlock;
	}
	mutex_lock(&vmm->shares_lock);
	if (mem->share) {
		ret = -EEXIST;
	} else {
		acl_vmm_share_publish(vmm, share, mem);
		cmd->share = share->value;
		ret = 0;
	}
	mutex_unlock(&vmm->shares_lock);
	if (ret)
		goto err_unlock;
	/* Ours: the share lives as long as the memory, which this keeps. */
	acl_vmm_mem_get(mem);
	mutex_unlock(&ctx->lock);

	ret = acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		acl_vmm_share_unpublish(mem);	/* never findable: withdraw it */
	} else {
		mutex_lock(&vmm->shares_lock);
		share->live = true;
		mutex_unlock(&vmm->shares_lock);
		trace_acl_vmm_share("export", cmd->share, cmd->handle);
	}
	acl_vmm_mem_put(mem);
	return ret;

err_unlock:
	mutex_unlock(&ctx->lock);
	acl_vmm_share_free(share);
	return ret;
}

/* Resolve init-namespace process ids to referenced struct pids. */
static int acl_vmm_pids_get(const s32 *nrs, u32 count, struct pid **pids)
{
	struct pid *pid;
	u32 i;

	for (i = 0; i < count; i++) {
		rcu_read_lock();
		pid = nrs[i] > 0 ? find_pid_ns(nrs[i], &init_pid_ns) : NULL;
		if (pid && !pid_task(pid, PIDTYPE_TGID))
			pid = NULL;	/* a thread's id, or a dead process's */
		pids[i] = get_pid(pid);
		rcu_read_unlock();
		if (!pids[i])
			return -ESRCH;
	}
	return 0;
}

/*
 * Add resolved pids to a share's whitelist; an entry for the same id is
 * replaced (the old process is gone). The references in @pids pass to the
 * whitelist or are dropped. Called with shares_lock held.
 */
static int acl_vmm_share_add_pids(struct acl_vmm_share *share,
				  struct pid **pids, u32 count)
{
	unsigned int added = 0;
	struct pid *old;
	u32 i;

	lockdep_assert_held(&share->mem->vmm->shares_lock);
	for (i = 0; i < count; i++)
		if (!xa_load(&share->pids, pid_nr(pids[i])))
			added++;	/* an upper bound: duplicates count twice */
	if (share->nr_pids + added > ACL_VMM_SHARE_MAX_PIDS)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		old = xa_store(&share->pids, pid_nr(pids[i]), pids[i],
			       GFP_KERNEL_ACCOUNT);
		if (xa_is_err(old))
			return xa_err(old);	/* pids[i..] stay the caller's */
		if (old)
			put_pid(old);
		else
			share->nr_pids++;
		pids[i] = NULL;
	}
	return 0;
}

/*
 * ACL_VMM_SET_PIDS_CLOSE: the exporter withdraws its share; the memory and
 * the handles imported already are not affected, and the memory may be
 * exported again.
 */
static int acl_vmm_share_close(struct acl_vmm *vmm, u64 value)
{
	struct acl_vmm_share *share;

	mutex_lock(&vmm->shares_lock);
	share = acl_vmm_share_find(vmm, value);
	if (!share || share->exporter != task_tgid(current)) {
		mutex_unlock(&vmm->shares_lock);
		return -ENOENT;
	}
	hash_del(&share->node);
	share->mem->share = NULL;
	mutex_unlock(&vmm->shares_lock);
	trace_acl_vmm_share("close", value, 0);
	acl_vmm_share_free(share);
	return 0;
}

/**
 * acl_vmm_ioctl_set_pids() - ACL_VMM_SET_PIDS: whitelist importers
 * @ucmd: the call
 *
 * Return: 0 or a negative errno.
 */
int acl_vmm_ioctl_set_pids(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_set_pids *cmd = ucmd->cmd;
	struct acl_vmm *vmm = ucmd->ctx->vmm;
	struct acl_vmm_share *share;
	struct pid **pids;
	s32 *nrs;
	u32 i;
	int ret;

	if (cmd->flags & ~ACL_VMM_SET_PIDS_CLOSE || cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & ACL_VMM_SET_PIDS_CLOSE)
		return cmd->count || cmd->pids ? -EINVAL :
		       acl_vmm_share_close(vmm, cmd->share);
	if (!cmd->count)
		return -EINVAL;
	if (cmd->count > ACL_VMM_SHARE_MAX_PIDS)
		return -E2BIG;
	nrs = memdup_user(u64_to_user_ptr(cmd->pids), cmd->count * sizeof(*nrs));
	if (IS_ERR(nrs))
		return PTR_ERR(nrs);
	pids = kvcalloc(cmd->count, sizeof(*pids), GFP_KERNEL_ACCOUNT);
	if (!pids) {
		ret = -ENOMEM;
		goto out_free_nrs;
	}
	ret = acl_vmm_pids_get(nrs, cmd->count, pids);
	if (ret)
		goto out_put_pids;

	mutex_lock(&vmm->shares_lock);
	share = acl_vmm_share_find(vmm, cmd->share);
	/* Someone else's share is no share of ours: the same answer. */
	if (!share || share->exporter != task_tgid(current))
		ret = -ENOENT;
	else
		ret = acl_vmm_share_add_pids(share, pids, cmd->count);
	mutex_unlock(&vmm->shares_lock);

out_put_pids:
	for (i = 0; i < cmd->count; i++)
		put_pid(pids[i]);
	kvfree(pids);
out_free_nrs:
	kfree(nrs);
	return ret;
}

static bool acl_vmm_share_allows(struct acl_vmm_share *share, struct pid *tgid)
{
	lockdep_assert_held(&share->mem->vmm->shares_lock);
	return share->no_pid_check || xa_load(&share->pids, pid_nr(tgid)) == tgid;
}

/**
 * acl_vmm_ioctl_import() - ACL_VMM_IMPORT: a handle of shared memory
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no handle is made.
 */
int acl_vmm_ioctl_import(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_import *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm *vmm = ctx->vmm;
	struct pid *tgid = task_tgid(current);
	struct acl_vmm_handle *handle;
	struct acl_vmm_share *share;
	struct acl_vmm_mem *mem = NULL;
	u32 mem_device;
	int ret = 0;

	if (cmd->flags || cmd->handle)
		return -EINVAL;
	if (!acl_vmm_ctx_device(ctx, cmd->device))
		return -ENODEV;

	mutex_lock(&vmm->shares_lock);
	share = acl_vmm_share_find(vmm, cmd->share);
	/* Unknown, gone and refused alike: nothing tells a stranger more. */
	if (!share)
		ret = -ENOENT;
	else if (share->exporter == tgid)
		ret = -EPERM;
	else if (!acl_vmm_share_allows(share, tgid))
		ret = -ENOENT;
	else if (!acl_vmm_ctx_device(ctx, share->mem->dev->index))
		ret = -ENODEV;	/* the memory's device is not ours to reach */
	else if (kref_get_unless_zero(&share->mem->kref))
		mem = share->mem;
	else
		ret = -ENOENT;	/* its last holder is freeing it */
	mutex_unlock(&vmm->shares_lock);
	if (ret)
		return ret;

	mem_device = mem->dev->index;	/* the handle may go once it is live */
	handle = acl_vmm_handle_install(ctx, mem, true, cmd->device);
	if (IS_ERR(handle)) {
		acl_vmm_mem_put(mem);
		return PTR_ERR(handle);
	}
	cmd->handle = handle->obj.id;
	trace_acl_vmm_share("import", cmd->share, cmd->handle);
	ret = acl_vmm_object_respond(ucmd, sizeof(*cmd), &handle->obj);
	/*
	 * Imported for another device than the memory's: that device may
	 * reach it from now on, as CANN's runtime enables the peer.
	 */
	if (!ret && cmd->device != mem_device)
		ret = acl_vmm_dmmu_enable_peer(ctx, cmd->device, mem_device);
	return ret;
}
