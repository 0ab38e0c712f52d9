// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Objects
 *
 * Handles, streams and events are objects of a context (struct
 * acl_vmm_object embedded in each), named by ids from one table,
 * acl_vmm_ctx.objects, as iommufd's objects are:
 *
 *  - acl_vmm_object_alloc() reserves the id and stores the object, not
 *    live yet: no lookup finds it, and no command can use or destroy it;
 *  - the command writes the id into its reply and calls
 *    acl_vmm_object_respond(), which copies the reply to the user, then
 *    makes the object live (acl_vmm_object_finalize()) or, when the copy
 *    failed, removes and releases it (acl_vmm_object_abort()): an id
 *    userspace was never told is never usable;
 *  - acl_vmm_object_get() finds a live object of a type and takes a
 *    reference (acl_vmm_object_put() drops it); the table holds one
 *    reference of its own;
 *  - ACL_VMM_DESTROY is the one destroy command: it calls the type's
 *    destroy, which removes the object from the table
 *    (acl_vmm_object_remove()); a live object's destroy never fails. The
 *    object is released when its last reference goes.
 *
 * Handles are also looked up, without a reference, under acl_vmm_ctx.lock
 * (the mapping code counts their mappings under it): a handle is removed
 * from the table only under that lock.
 *
 * The limits on objects (ACL_VMM_MAX_STREAMS, ACL_VMM_MAX_EVENTS) and on
 * queued work are a process's, across all the files it opened: its
 * contexts share one struct acl_vmm_proc, found by mm.
 */
#include <linux/hashtable.h>
#include <linux/slab.h>

#include "acl_vmm.h"

static DEFINE_MUTEX(acl_vmm_procs_lock);	/* protects acl_vmm_procs */
static DEFINE_HASHTABLE(acl_vmm_procs, 6);

/* The process's shared part, found or made; NULL when out of memory. */
static struct acl_vmm_proc *acl_vmm_proc_get(struct mm_struct *mm)
{
	struct acl_vmm_proc *proc;

	mutex_lock(&acl_vmm_procs_lock);
	hash_for_each_possible(acl_vmm_procs, proc, node, (unsigned long)mm)
		if (proc->mm == mm)
			goto found;
	proc = kzalloc(sizeof(*proc), GFP_KERNEL_ACCOUNT);
	if (!proc)
		goto out_unlock;
	proc->mm = mm;
	init_waitqueue_head(&proc->waitq);
	hash_add(acl_vmm_procs, &proc->node, (unsigned long)mm);
found:
	proc->users++;
out_unlock:
	mutex_unlock(&acl_vmm_procs_lock);
	return proc;
}

static void acl_vmm_proc_put(struct acl_vmm_proc *proc)
{
	mutex_lock(&acl_vmm_procs_lock);
	if (--proc->users) {
		proc = NULL;
	} else {
		hash_del(&proc->node);
		WARN_ON(atomic_read(&proc->nr_work));
	}
	mutex_unlock(&acl_vmm_procs_lock);
	kfree(proc);
}

/**
 * struct acl_vmm_object_ops - what each type of object does
 * @max: the most objects of the type a context may hold, or 0 for no limit
 *       but the ids'
 * @ctx_locked: the type's objects are removed under acl_vmm_ctx.lock only
 * @destroy: ACL_VMM_DESTROY of a live object, on which the caller holds a
 *           reference; removes it from the table (or marks it to go later)
 * @release: free the object, at its last reference
 */
struct acl_vmm_object_ops {
	u32 max;
	bool ctx_locked;
	int (*destroy)(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
	void (*release)(struct acl_vmm_object *obj);
};

static const struct acl_vmm_object_ops acl_vmm_object_ops[ACL_VMM_OBJ_TYPES] = {
	[ACL_VMM_OBJ_HANDLE] = {
		.ctx_locked = true,
		.destroy = acl_vmm_handle_destroy,
		.release = acl_vmm_handle_release,
	},
	[ACL_VMM_OBJ_STREAM] = {
		.max = ACL_VMM_MAX_STREAMS,
		.destroy = acl_vmm_stream_destroy,
		.release = acl_vmm_stream_release,
	},
	[ACL_VMM_OBJ_EVENT] = {
		.max = ACL_VMM_MAX_EVENTS,
		.destroy = acl_vmm_event_destroy,
		.release = acl_vmm_event_release,
	},
};

/**
 * acl_vmm_objects_init() - set up a context's object table
 * @ctx: the context, whose @mm is set
 *
 * Return: 0 or -ENOMEM.
 */
int acl_vmm_objects_init(struct acl_vmm_ctx *ctx)
{
	ctx->proc = acl_vmm_proc_get(ctx->mm);
	if (!ctx->proc)
		return -ENOMEM;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	return 0;
}

/**
 * acl_vmm_objects_fini() - free a context's object table
 * @ctx: the context; every object is removed already
 */
void acl_vmm_objects_fini(struct acl_vmm_ctx *ctx)
{
	WARN_ON(!xa_empty(&ctx->objects));
	xa_destroy(&ctx->objects);
	acl_vmm_proc_put(ctx->proc);
}

/**
 * acl_vmm_object_alloc() - reserve an id for a new object
 * @ctx: the context
 * @obj: the object, embedded in its type's struct, otherwise initialized
 * @type: its type
 *
 * The object is in the table but not live: only acl_vmm_object_respond()
 * (or _finalize/_abort) follows. A handle is allocated under
 * acl_vmm_ctx.lock.
 *
 * Return: 0; -EBUSY when the process holds the most objects of @type it
 * may (in all its contexts), or every id is taken; -ENOMEM.
 */
int acl_vmm_object_alloc(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj,
			 enum acl_vmm_obj_type type)
{
	atomic_t *nr = &ctx->proc->nr_objects[type];
	u32 max = acl_vmm_object_ops[type].max;
	int ret;

	if (acl_vmm_object_ops[type].ctx_locked)
		lockdep_assert_held(&ctx->lock);
	obj->type = type;
	obj->live = false;
	kref_init(&obj->users);	/* the table's */

	/* Every type is counted; those with a max are limited. */
	if (atomic_inc_return(nr) > max && max) {
		atomic_dec(nr);
		return -EBUSY;
	}
	ret = xa_alloc(&ctx->objects, &obj->id, obj, xa_limit_31b,
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		atomic_dec(nr);
	return ret;
}

/**
 * acl_vmm_object_finalize() - make a new object usable
 * @ctx: the context
 * @obj: an object from acl_vmm_object_alloc(), its id told to userspace
 */
void acl_vmm_object_finalize(struct acl_vmm_ctx *ctx,
			     struct acl_vmm_object *obj)
{
	xa_lock(&ctx->objects);
	obj->live = true;
	xa_unlock(&ctx->objects);
}

/**
 * acl_vmm_object_remove() - take an object out of the table
 * @ctx: the context
 * @obj: the object; for a handle, acl_vmm_ctx.lock is held
 *
 * Drops the table's reference: the object is released now, or when the
 * last user puts it.
 *
 * Return: true, or false when it was removed already.
 */
bool acl_vmm_object_remove(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj)
{
	void *old;

	if (acl_vmm_object_ops[obj->type].ctx_locked)
		lockdep_assert_held(&ctx->lock);
	old = xa_cmpxchg(&ctx->objects, obj->id, obj, NULL, 0);
	if (old != obj)
		return false;
	atomic_dec(&ctx->proc->nr_objects[obj->type]);
	acl_vmm_object_put(obj);
	return true;
}

/**
 * acl_vmm_object_abort() - undo acl_vmm_object_alloc()
 * @ctx: the context
 * @obj: the object, never live: it is removed and released
 */
void acl_vmm_object_abort(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj)
{
	bool locked = acl_vmm_object_ops[obj->type].ctx_locked;

	if (locked)
		mutex_lock(&ctx->lock);
	WARN_ON(!acl_vmm_object_remove(ctx, obj));
	if (locked)
		mutex_unlock(&ctx->lock);
}

/**
 * acl_vmm_object_respond() - reply to the command that made an object
 * @ucmd: the call, whose reply names the object's id
 * @cmd_len: size of its struct
 * @obj: the object, from acl_vmm_object_alloc()
 *
 * Return: 0 and the object is live, or -EFAULT and it is gone.
 */
int acl_vmm_object_respond(struct acl_vmm_ucmd *ucmd, size_t cmd_len,
			   struct acl_vmm_object *obj)
{
	int ret = acl_vmm_ucmd_respond(ucmd, cmd_len);

	if (ret)
		acl_vmm_object_abort(ucmd->ctx, obj);
	else
		acl_vmm_object_finalize(ucmd->ctx, obj);
	return ret;
}

/**
 * acl_vmm_object_install() - give a new object an id and reply
 * @ucmd: the call making it
 * @cmd_len: size of its struct
 * @obj: the object, otherwise initialized, not in the table
 * @type: its type
 * @id: the member of the reply that gets the id
 *
 * For the types allocated without acl_vmm_ctx.lock. When no id can be had,
 * the object is released.
 *
 * Return: 0 and the object is live, or a negative errno and it is gone.
 */
int acl_vmm_object_install(struct acl_vmm_ucmd *ucmd, size_t cmd_len,
			   struct acl_vmm_object *obj,
			   enum acl_vmm_obj_type type, u32 *id)
{
	int ret = acl_vmm_object_alloc(ucmd->ctx, obj, type);

	if (ret) {
		acl_vmm_object_ops[type].release(obj);
		return ret;
	}
	*id = obj->id;
	return acl_vmm_object_respond(ucmd, cmd_len, obj);
}

/* The live object of @type at @id, or NULL. Called with the table's lock. */
static struct acl_vmm_object *acl_vmm_object_load(struct acl_vmm_ctx *ctx,
						  u32 id,
						  enum acl_vmm_obj_type type)
{
	struct acl_vmm_object *obj = xa_load(&ctx->objects, id);

	if (!obj || !obj->live || (type != ACL_VMM_OBJ_ANY && obj->type != type))
		return NULL;
	return obj;
}

/**
 * acl_vmm_object_find() - the live object of an id, without a reference
 * @ctx: the context
 * @id: the id
 * @type: the type it must have, or ACL_VMM_OBJ_ANY
 *
 * Only for types removed under acl_vmm_ctx.lock, with that lock held.
 *
 * Return: the object, or NULL.
 */
struct acl_vmm_object *acl_vmm_object_find(struct acl_vmm_ctx *ctx, u32 id,
					   enum acl_vmm_obj_type type)
{
	struct acl_vmm_object *obj;

	lockdep_assert_held(&ctx->lock);
	xa_lock(&ctx->objects);
	obj = acl_vmm_object_load(ctx, id, type);
	xa_unlock(&ctx->objects);
	return obj;
}

/**
 * acl_vmm_object_get() - look a live object up and take a reference
 * @ctx: the context
 * @id: the id
 * @type: the type it must have, or ACL_VMM_OBJ_ANY
 *
 * Return: the object, or NULL when @id names no live object of @type.
 */
struct acl_vmm_object *acl_vmm_object_get(struct acl_vmm_ctx *ctx, u32 id,
					  enum acl_vmm_obj_type type)
{
	struct acl_vmm_object *obj;

	xa_lock(&ctx->objects);
	obj = acl_vmm_object_load(ctx, id, type);
	if (obj && !kref_get_unless_zero(&obj->users))
		obj = NULL;
	xa_unlock(&ctx->objects);
	return obj;
}

/**
 * acl_vmm_object_next() - walk the objects of a type
 * @ctx: the context
 * @id: in: where to start; out: the id of the object found
 * @type: the type
 *
 * For loops over a context's objects, live or not: ``for (id = 0; (obj =
 * acl_vmm_object_next(ctx, &id, type)); id++)``. The object found may go
 * at once unless the caller holds what keeps it (acl_vmm_ctx.lock for
 * handles) or takes a reference.
 *
 * Return: the first object of @type at or after *@id, or NULL.
 */
struct acl_vmm_object *acl_vmm_object_next(struct acl_vmm_ctx *ctx,
					   unsigned long *id,
					   enum acl_vmm_obj_type type)
{
	struct acl_vmm_object *obj;

	for (obj = xa_find(&ctx->objects, id, ULONG_MAX, XA_PRESENT); obj;
	     obj = xa_find_after(&ctx->objects, id, ULONG_MAX, XA_PRESENT))
		if (obj->type == type)
			return obj;
	return NULL;
}

static void acl_vmm_object_release(struct kref *kref)
{
	struct acl_vmm_object *obj =
		container_of(kref, struct acl_vmm_object, users);

	acl_vmm_object_ops[obj->type].release(obj);
}

/**
 * acl_vmm_object_put() - drop a reference on an object
 * @obj: the object; released with the last reference (a stream's release
 *       waits for its worker: this may sleep)
 */
void acl_vmm_object_put(struct acl_vmm_object *obj)
{
	kref_put(&obj->users, acl_vmm_object_release);
}

/**
 * acl_vmm_ioctl_destroy() - ACL_VMM_DESTROY: destroy an object
 * @ucmd: the call
 *
 * Return: 0, -ENOENT for an id naming no live object, or what the type's
 * destroy says of a live one (-EALREADY, -EINTR).
 */
int acl_vmm_ioctl_destroy(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_destroy *cmd = ucmd->cmd;
	struct acl_vmm_object *obj;
	int ret;

	if (cmd->flags & ~ACL_VMM_DESTROY_FORCE || cmd->__reserved)
		return -EINVAL;
	obj = acl_vmm_object_get(ucmd->ctx, cmd->id, ACL_VMM_OBJ_ANY);
	if (!obj)
		return -ENOENT;
	if (cmd->flags & ACL_VMM_DESTROY_FORCE) {
		if (obj->type != ACL_VMM_OBJ_STREAM) {
			acl_vmm_object_put(obj);
			return -EINVAL;
		}
		acl_vmm_stream_cancel_queued(obj);
	}
	ret = acl_vmm_object_ops[obj->type].destroy(ucmd->ctx, obj);
	acl_vmm_object_put(obj);
	return ret;
}
