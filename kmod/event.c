// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Events
 *
 * An event (struct acl_vmm_event) names the latest of its records. Each
 * record is a dma-fence (struct acl_vmm_fence) on its stream's timeline,
 * queued as work: the stream signals it when it reaches it, with the time
 * it did. An event holds a reference to its latest record's fence:
 *
 *  - ACL_VMM_EVENT_WAIT queues, on the waiting stream, a wait for that
 *    fence, as it is at the time of the call;
 *  - ACL_VMM_EVENT_SYNC waits for it (dma_fence_wait(), interruptible);
 *  - ACL_VMM_EVENT_QUERY reads its state and time.
 *
 * Fences are what every stream waits on, so a record that will never run
 * (its stream was torn down) is still signalled, with -ECANCELED. Work
 * holds its own fence reference: destroying an event changes nothing for
 * work already queued.
 */
#include <linux/slab.h>

#include "acl_vmm.h"

static const char *acl_vmm_fence_driver_name(struct dma_fence *fence)
{
	return "acl_vmm";
}

static const char *acl_vmm_fence_timeline_name(struct dma_fence *fence)
{
	return "stream";
}

const struct dma_fence_ops acl_vmm_fence_ops = {
	.get_driver_name = acl_vmm_fence_driver_name,
	.get_timeline_name = acl_vmm_fence_timeline_name,
};

/**
 * acl_vmm_fence_signal() - signal a record's fence
 * @fence: the fence
 * @error: 0, or why the record was not reached (-ECANCELED)
 */
void acl_vmm_fence_signal(struct dma_fence *fence, int error)
{
	struct acl_vmm_fence *f = container_of(fence, struct acl_vmm_fence, base);

	f->reached = ktime_get();
	if (error)
		dma_fence_set_error(fence, error);
	smp_wmb();	/* @reached before the signalled bit: see event_query */
	dma_fence_signal(fence);
}

static ktime_t acl_vmm_fence_reached(struct dma_fence *fence)
{
	return container_of(fence, struct acl_vmm_fence, base)->reached;
}

/**
 * acl_vmm_event_release() - free an event, at its last reference
 * @obj: the event's object
 */
void acl_vmm_event_release(struct acl_vmm_object *obj)
{
	struct acl_vmm_event *event =
		container_of(obj, struct acl_vmm_event, obj);

	if (event->last)
		dma_fence_put(event->last);
	kfree(event);
}

static void acl_vmm_event_put(struct acl_vmm_event *event)
{
	acl_vmm_object_put(&event->obj);
}

static struct acl_vmm_event *acl_vmm_event_get(struct acl_vmm_ctx *ctx, u32 id)
{
	struct acl_vmm_object *obj;

	obj = acl_vmm_object_get(ctx, id, ACL_VMM_OBJ_EVENT);
	return obj ? container_of(obj, struct acl_vmm_event, obj) : NULL;
}

/* A reference to the event's latest record, or NULL if never recorded. */
static struct dma_fence *acl_vmm_event_last(struct acl_vmm_event *event)
{
	struct dma_fence *fence;

	spin_lock(&event->lock);
	fence = event->last ? dma_fence_get(event->last) : NULL;
	spin_unlock(&event->lock);
	return fence;
}

/**
 * acl_vmm_ioctl_event_create() - ACL_VMM_EVENT_CREATE
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no event exists.
 */
int acl_vmm_ioctl_event_create(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_event_create *cmd = ucmd->cmd;
	struct acl_vmm_event *event;

	if (cmd->flags || cmd->__reserved || cmd->event)
		return -EINVAL;
	event = kzalloc(sizeof(*event), GFP_KERNEL_ACCOUNT);
	if (!event)
		return -ENOMEM;
	spin_lock_init(&event->lock);
	return acl_vmm_object_install(ucmd, sizeof(*cmd), &event->obj,
				      ACL_VMM_OBJ_EVENT, &cmd->event);
}

/**
 * acl_vmm_event_destroy() - ACL_VMM_DESTROY of an event
 * @ctx: the context
 * @obj: the event's object, live, referenced by the caller
 *
 * Return: 0.
 */
int acl_vmm_event_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj)
{
	acl_vmm_object_remove(ctx, obj);
	return 0;
}

/*
 * What ACL_VMM_EVENT_RECORD and ACL_VMM_EVENT_WAIT name: event @event_id
 * and stream @stream_id (references taken), and new work of @type for
 * the stream.
 */
static int acl_vmm_event_work(struct acl_vmm_ctx *ctx, u32 flags, u32 event_id,
			      u32 stream_id, enum acl_vmm_work_type type,
			      u32 cmd_nr, struct acl_vmm_event **eventp,
			      struct acl_vmm_stream **streamp,
			      struct acl_vmm_work **workp)
{
	int ret;

	if (flags)
		return -EINVAL;
	*eventp = acl_vmm_event_get(ctx, event_id);
	if (!*eventp)
		return -ENOENT;
	*streamp = acl_vmm_stream_get(ctx, stream_id);
	if (!*streamp) {
		ret = -ENOENT;
		goto err_put_event;
	}
	*workp = acl_vmm_work_alloc(type, cmd_nr);
	if (!*workp) {
		ret = -ENOMEM;
		goto err_put_stream;
	}
	return 0;

err_put_stream:
	acl_vmm_stream_put(*streamp);
err_put_event:
	acl_vmm_event_put(*eventp);
	return ret;
}

/**
 * acl_vmm_ioctl_event_record() - ACL_VMM_EVENT_RECORD
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error the event is unchanged.
 */
int acl_vmm_ioctl_event_record(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_event_record *cmd = ucmd->cmd;
	struct acl_vmm_stream *stream;
	struct acl_vmm_event *event;
	struct acl_vmm_fence *fence;
	struct acl_vmm_work *work;
	struct dma_fence *old;
	int ret;

	ret = acl_vmm_event_work(ucmd->ctx, cmd->flags, cmd->event, cmd->stream,
				 ACL_VMM_WORK_RECORD, ACL_VMM_CMD_EVENT_RECORD,
				 &event, &stream, &work);
	if (ret)
		return ret;
	ret = -ENOMEM;
	fence = kzalloc(sizeof(*fence), GFP_KERNEL_ACCOUNT);
	if (!fence)
		goto err_put_work;
	work->fence = &fence->base;
	/* Initializes the fence and gives us a reference on success. */
	ret = acl_vmm_stream_queue(stream, work);
	if (ret)
		goto err_free_fence;
	spin_lock(&event->lock);
	old = event->last;
	event->last = &fence->base;
	spin_unlock(&event->lock);
	if (old)
		dma_fence_put(old);
	goto out_put;

err_free_fence:
	work->fence = NULL;	/* never initialized */
	kfree(fence);
err_put_work:
	acl_vmm_work_put(work);
out_put:
	acl_vmm_stream_put(stream);
	acl_vmm_event_put(event);
	return ret;
}

/**
 * acl_vmm_ioctl_event_wait() - ACL_VMM_EVENT_WAIT: a stream waits for an event
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is queued.
 */
int acl_vmm_ioctl_event_wait(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_event_wait *cmd = ucmd->cmd;
	struct acl_vmm_stream *stream;
	struct acl_vmm_event *event;
	struct acl_vmm_work *work;
	int ret;

	ret = acl_vmm_event_work(ucmd->ctx, cmd->flags, cmd->event, cmd->stream,
				 ACL_VMM_WORK_WAIT, ACL_VMM_CMD_EVENT_WAIT,
				 &event, &stream, &work);
	if (ret)
		return ret;
	work->fence = acl_vmm_event_last(event);
	/* Never recorded: nothing to wait for. */
	ret = work->fence ? acl_vmm_stream_queue(stream, work) : 0;
	if (ret || !work->fence)
		acl_vmm_work_put(work);
	acl_vmm_stream_put(stream);
	acl_vmm_event_put(event);
	return ret;
}

/**
 * acl_vmm_ioctl_event_sync() - ACL_VMM_EVENT_SYNC
 * @ucmd: the call
 *
 * Return: 0, -ENOENT, or -ERESTARTSYS when a signal interrupted the wait;
 * with ACL_VMM_EVENT_SYNC_TIMEOUT, -ETIMEDOUT or -EINTR instead.
 */
int acl_vmm_ioctl_event_sync(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_event_sync *cmd = ucmd->cmd;
	struct acl_vmm_event *event;
	struct dma_fence *fence;
	long ret;

	if (cmd->flags & ~ACL_VMM_EVENT_SYNC_TIMEOUT ||
	    (cmd->timeout_ms && !(cmd->flags & ACL_VMM_EVENT_SYNC_TIMEOUT)))
		return -EINVAL;
	event = acl_vmm_event_get(ucmd->ctx, cmd->event);
	if (!event)
		return -ENOENT;
	fence = acl_vmm_event_last(event);
	acl_vmm_event_put(event);
	if (!fence)
		return 0;
	if (cmd->flags & ACL_VMM_EVENT_SYNC_TIMEOUT) {
		ret = dma_fence_wait_timeout(fence, true,
					     msecs_to_jiffies(cmd->timeout_ms));
		/* Not restarted: that would start the whole timeout again. */
		if (ret < 0)
			ret = -EINTR;
		else if (!ret && !dma_fence_is_signaled(fence))
			ret = -ETIMEDOUT;
	} else {
		ret = dma_fence_wait(fence, true);
	}
	dma_fence_put(fence);
	return ret < 0 ? ret : 0;
}

/**
 * acl_vmm_ioctl_event_query() - ACL_VMM_EVENT_QUERY
 * @ucmd: the call
 *
 * Return: 0, or -ENOENT.
 */
int acl_vmm_ioctl_event_query(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_event_query *cmd = ucmd->cmd;
	struct acl_vmm_event *event;
	struct dma_fence *fence;

	if (cmd->flags || cmd->status || cmd->timestamp_ns)
		return -EINVAL;
	event = acl_vmm_event_get(ucmd->ctx, cmd->event);
	if (!event)
		return -ENOENT;
	fence = acl_vmm_event_last(event);
	acl_vmm_event_put(event);
	cmd->status = ACL_VMM_EVENT_NONE;
	if (fence) {
		cmd->status = ACL_VMM_EVENT_PENDING;
		if (dma_fence_is_signaled(fence)) {
			smp_rmb();	/* pairs with acl_vmm_fence_signal() */
			cmd->status = ACL_VMM_EVENT_COMPLETE;
			cmd->timestamp_ns = ktime_to_ns(acl_vmm_fence_reached(fence));
		}
		dma_fence_put(fence);
	}
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ctx_events_destroy() - destroy every event of a context
 * @ctx: the context, being released, its streams torn down
 */
void acl_vmm_ctx_events_destroy(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_object *obj;
	unsigned long id;

	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_EVENT));
	     id++)
		acl_vmm_object_remove(ctx, obj);
}
