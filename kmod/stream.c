// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Streams
 *
 * A stream (struct acl_vmm_stream) is a queue of work (struct
 * acl_vmm_work): copies, memsets, event records and event waits. Its
 * device runs the queue in submission order, asynchronously: submission
 * only queues the work and kicks the stream on its context's worker
 * (worker.c), which gives the context's streams turns, so that streams
 * run concurrently and no context's work waits for another's.
 *
 * In a turn, the worker runs the head of the queue and removes it when it
 * ends: records and waits, and one window of a copy or memset at most. A
 * wait whose fence has not signalled arms a fence callback and ends the
 * turn: the callback kicks the stream again, so a waiting stream holds no
 * thread. Copies and memsets go through the engine (engine.c).
 *
 * Failures: the first failure of work on a stream is kept, with where it
 * happened, until a synchronize reports and clears it; while it is kept,
 * copies and memsets are not run (-ECANCELED), records and waits are.
 * Work submitted with ACL_VMM_WORK_SYNC reports its own result to its
 * waiting submitter instead.
 *
 * Locking: acl_vmm_stream.lock (a spinlock) protects the queue and the
 * counters; it is never held while calling into dma-fence, the engine or
 * anything that sleeps. Waits (synchronize, room in a full queue) sleep on
 * acl_vmm_stream.waitq. Every ioctl using a stream holds a reference.
 *
 * Teardown (destroy, or the context's release): the stream is closed to
 * new work and, on destroy, its queue is waited for; when its last
 * reference goes, it is taken off the worker at once (the window it is
 * copying ends first), the callback of a waiting head and the retry timer
 * are removed, and whatever is
 * still queued is cancelled: records signal their fence with -ECANCELED,
 * so that no waiter anywhere waits for work that will never run.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "acl_vmm.h"

static unsigned int max_queued_work = 65536;
module_param(max_queued_work, uint, 0644);
MODULE_PARM_DESC(max_queued_work,
		 "Most pieces of work a process may have queued on all its streams (default 65536)");

/*
 * Take room for one piece of work in the process's budget, waiting
 * (interruptibly) while it is full. Return: 0, -ENOENT when @stream was
 * closed meanwhile, or -ERESTARTSYS.
 */
static int acl_vmm_proc_work_get(struct acl_vmm_stream *stream)
{
	struct acl_vmm_proc *proc = stream->ctx->proc;

	while (atomic_inc_return(&proc->nr_work) > READ_ONCE(max_queued_work)) {
		atomic_dec(&proc->nr_work);
		if (wait_event_interruptible(proc->waitq,
					     atomic_read(&proc->nr_work) <
					     READ_ONCE(max_queued_work) ||
					     READ_ONCE(stream->closed)))
			return -ERESTARTSYS;
		if (READ_ONCE(stream->closed))
			return -ENOENT;
	}
	return 0;
}

static void acl_vmm_proc_work_put(struct acl_vmm_stream *stream)
{
	struct acl_vmm_proc *proc = stream->ctx->proc;

	atomic_dec(&proc->nr_work);
	wake_up_all(&proc->waitq);
}

/**
 * acl_vmm_work_alloc() - allocate a piece of work
 * @type: what it does
 * @cmd: the ACL_VMM_CMD_* queuing it
 *
 * Return: the work, holding one reference, or NULL.
 */
struct acl_vmm_work *acl_vmm_work_alloc(enum acl_vmm_work_type type, u32 cmd)
{
	struct acl_vmm_work *work = kzalloc(sizeof(*work), GFP_KERNEL_ACCOUNT);

	if (!work)
		return NULL;
	kref_init(&work->kref);
	INIT_LIST_HEAD(&work->node);
	work->type = type;
	work->cmd = cmd;
	return work;
}

static void acl_vmm_work_release(struct kref *kref)
{
	struct acl_vmm_work *work = container_of(kref, struct acl_vmm_work, kref);

	if (work->fence)
		dma_fence_put(work->fence);
	kfree(work);
}

/**
 * acl_vmm_work_put() - drop a reference on work
 * @work: the work
 */
void acl_vmm_work_put(struct acl_vmm_work *work)
{
	kref_put(&work->kref, acl_vmm_work_release);
}

/* The head of the queue, unless the stream is torn down. */
static struct acl_vmm_work *acl_vmm_stream_head(struct acl_vmm_stream *stream)
{
	struct acl_vmm_work *work = NULL;

	spin_lock(&stream->lock);
	if (!stream->dying)
		work = list_first_entry_or_null(&stream->queue,
						struct acl_vmm_work, node);
	spin_unlock(&stream->lock);
	return work;
}

/* Remove ended work from the queue and tell whoever waits for it. */
static void acl_vmm_work_end(struct acl_vmm_stream *stream,
			     struct acl_vmm_work *work, int error)
{
	spin_lock(&stream->lock);
	list_del_init(&work->node);
	stream->depth--;
	stream->ended++;
	work->error = error;
	work->done = true;
	if (error && error != -ECANCELED && !stream->error &&
	    !(work->flags & ACL_VMM_WORK_SYNC)) {
		stream->error = error;
		stream->fault_addr = work->fault_addr;
		stream->fault_cmd = work->cmd;
	}
	spin_unlock(&stream->lock);
	wake_up_all(&stream->waitq);
	acl_vmm_proc_work_put(stream);
	acl_vmm_work_put(work);	/* the queue's reference */
}

static void acl_vmm_work_wake(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct acl_vmm_work *work = container_of(cb, struct acl_vmm_work, cb);

	acl_vmm_worker_kick(work->stream);
}

/*
 * Whether the head wait's fence has signalled; if not, arm its callback,
 * which kicks the worker when it does.
 */
static bool acl_vmm_work_wait_ready(struct acl_vmm_work *work)
{
	if (dma_fence_is_signaled(work->fence))
		return true;
	if (work->cb_armed)
		return false;
	work->cb_armed = true;
	if (dma_fence_add_callback(work->fence, &work->cb, acl_vmm_work_wake)) {
		work->cb_armed = false;	/* -ENOENT: signalled meanwhile */
		return true;
	}
	return false;
}

/*
 * Remove the callback of a wait or of submitted work, if armed; when this
 * returns it does not run any more (it runs under the fence's lock).
 */
static void acl_vmm_work_disarm(struct acl_vmm_work *work)
{
	if (work->cb_armed)
		dma_fence_remove_callback(work->fence, &work->cb);
	work->cb_armed = false;
}

static const struct acl_vmm_backend_ops *
acl_vmm_stream_ops(struct acl_vmm_stream *stream)
{
	return stream->ctx->vmm->devices[stream->device].ops;
}

/*
 * A copy or memset: submit it to the stream's device at its first turn,
 * then run it (an engine the CPU plays) or wait for its fence.
 */
static int acl_vmm_work_engine(struct acl_vmm_stream *stream,
			       struct acl_vmm_work *work)
{
	const struct acl_vmm_backend_ops *ops = acl_vmm_stream_ops(stream);
	struct dma_fence *fence;
	bool failed;
	int ret;

	if (READ_ONCE(stream->cancelling)) {
		/* ACL_VMM_DESTROY_FORCE: stop here. */
		acl_vmm_work_disarm(work);
		if (work->fence && !dma_fence_is_signaled(work->fence))
			ops->cancel(stream, work);
		return -ECANCELED;
	}
	if (!work->fence) {
		spin_lock(&stream->lock);
		failed = stream->error;
		spin_unlock(&stream->lock);
		if (failed)
			return -ECANCELED;
		fence = ops->submit(stream, work);
		if (IS_ERR(fence))
			return PTR_ERR(fence);
		work->fence = fence;
	}
	if (ops->run && !dma_fence_is_signaled(work->fence)) {
		u64 start = ktime_get_ns();

		ret = ops->run(stream, work);
		/* The device's copy engine was busy for this context. */
		atomic64_add(ktime_get_ns() - start,
			     &stream->ctx->engine_ns[stream->device]);
		if (ret)
			return ret;
	}
	if (!acl_vmm_work_wait_ready(work))
		return ACL_VMM_WORK_BLOCKED;
	ret = dma_fence_get_status(work->fence);
	return ret < 0 ? ret : 0;
}

static int acl_vmm_work_execute(struct acl_vmm_stream *stream,
				struct acl_vmm_work *work)
{
	switch (work->type) {
	case ACL_VMM_WORK_RECORD:
		acl_vmm_fence_signal(work->fence, 0);
		return 0;
	case ACL_VMM_WORK_WAIT:
		return 0;
	default:
		return acl_vmm_work_engine(stream, work);
	}
}

/* Records and waits a turn may run before it ends, at most. */
#define ACL_VMM_TURN_EVENTS 64

/**
 * acl_vmm_stream_run() - a stream's turn on its context's worker
 * @stream: the stream
 *
 * Runs the head of the queue until a copy or memset has run a window, a
 * wait waits, or the queue is empty.
 *
 * Return: whether the stream wants another turn at once.
 */
bool acl_vmm_stream_run(struct acl_vmm_stream *stream)
{
	enum acl_vmm_work_type type;
	struct acl_vmm_work *work;
	int events = 0, ret;

	while ((work = acl_vmm_stream_head(stream))) {
		type = work->type;
		if (type == ACL_VMM_WORK_WAIT && READ_ONCE(stream->cancelling))
			acl_vmm_work_disarm(work);	/* dropped */
		else if (type == ACL_VMM_WORK_WAIT && !acl_vmm_work_wait_ready(work))
			return false;
		ret = acl_vmm_work_execute(stream, work);
		if (ret == ACL_VMM_WORK_AGAIN)
			return true;
		if (ret == ACL_VMM_WORK_BLOCKED)
			return false;
		acl_vmm_work_end(stream, work, ret);	/* may free it */
		if (type == ACL_VMM_WORK_COPY || type == ACL_VMM_WORK_MEMSET)
			return true;
		if (++events == ACL_VMM_TURN_EVENTS)
			return true;
	}
	return false;
}

/*
 * Cancel what is queued on a stream whose worker is stopped for good and
 * whose head wait, if any, has no callback installed any more.
 */
static void acl_vmm_stream_cancel(struct acl_vmm_stream *stream)
{
	struct acl_vmm_work *work;

	for (;;) {
		spin_lock(&stream->lock);
		work = list_first_entry_or_null(&stream->queue,
						struct acl_vmm_work, node);
		spin_unlock(&stream->lock);
		if (!work)
			break;
		if (work->type == ACL_VMM_WORK_RECORD)
			acl_vmm_fence_signal(work->fence, -ECANCELED);
		else if (work->type != ACL_VMM_WORK_WAIT && work->fence &&
			 !dma_fence_is_signaled(work->fence))
			acl_vmm_stream_ops(stream)->cancel(stream, work);
		acl_vmm_work_end(stream, work, -ECANCELED);
	}
}

/**
 * acl_vmm_stream_cancel_queued() - ACL_VMM_DESTROY_FORCE: drop a stream's
 * work instead of running it
 * @obj: the stream's object, referenced by the caller
 *
 * Copies and memsets not run yet end with -ECANCELED, the one running
 * stops after its current window, waits are dropped; records still
 * signal. The destroy that follows waits for that.
 */
void acl_vmm_stream_cancel_queued(struct acl_vmm_object *obj)
{
	struct acl_vmm_stream *stream =
		container_of(obj, struct acl_vmm_stream, obj);

	WRITE_ONCE(stream->cancelling, true);
	acl_vmm_worker_kick(stream);
}

/**
 * acl_vmm_stream_release() - tear a stream down, at its last reference
 * @obj: the stream's object
 *
 * Cancels the work still queued; waits for the worker to stop.
 */
void acl_vmm_stream_release(struct acl_vmm_object *obj)
{
	struct acl_vmm_stream *stream =
		container_of(obj, struct acl_vmm_stream, obj);
	struct acl_vmm_work *head;

	spin_lock(&stream->lock);
	stream->closed = true;
	stream->dying = true;
	spin_unlock(&stream->lock);
	acl_vmm_worker_cancel(stream);
	/*
	 * The stream is off the worker; a head wait's callback and the retry
	 * timer may still kick it: remove them, and cancel their kicks.
	 */
	spin_lock(&stream->lock);
	head = list_first_entry_or_null(&stream->queue, struct acl_vmm_work,
					node);
	spin_unlock(&stream->lock);
	if (head && head->cb_armed)
		dma_fence_remove_callback(head->fence, &head->cb);
	del_timer_sync(&stream->retry);
	acl_vmm_worker_cancel(stream);
	acl_vmm_stream_cancel(stream);
	acl_vmm_stream_ops(stream)->stream_fini(stream);
	kfree(stream);
}

/**
 * acl_vmm_stream_get() - look a stream up and take a reference
 * @ctx: the context
 * @id: the stream's id
 *
 * Return: the stream, or NULL when @id names none.
 */
struct acl_vmm_stream *acl_vmm_stream_get(struct acl_vmm_ctx *ctx, u32 id)
{
	struct acl_vmm_object *obj;

	obj = acl_vmm_object_get(ctx, id, ACL_VMM_OBJ_STREAM);
	return obj ? container_of(obj, struct acl_vmm_stream, obj) : NULL;
}

/**
 * acl_vmm_stream_put() - drop a reference on a stream
 * @stream: the stream; torn down with the last reference (this sleeps)
 */
void acl_vmm_stream_put(struct acl_vmm_stream *stream)
{
	might_sleep();
	acl_vmm_object_put(&stream->obj);
}

/**
 * acl_vmm_stream_queue() - queue work on a stream
 * @stream: the stream
 * @work: the work; the queue takes over the caller's reference
 *
 * Waits, interruptibly, while the stream holds ACL_VMM_STREAM_DEPTH
 * pieces of work or the process max_queued_work on all its streams. A
 * record's fence is initialized here, so that its
 * sequence number follows the queue's order; the caller keeps a
 * reference to it.
 *
 * Return: 0; -ENOENT when the stream was destroyed, -ERESTARTSYS when a
 * signal came first. On error the work is not queued and the caller
 * keeps its reference.
 */
int acl_vmm_stream_queue(struct acl_vmm_stream *stream,
			 struct acl_vmm_work *work)
{
	struct acl_vmm_fence *fence;
	int ret;

	ret = acl_vmm_proc_work_get(stream);
	if (ret)
		return ret;
	spin_lock(&stream->lock);
	while (stream->depth >= ACL_VMM_STREAM_DEPTH && !stream->closed) {
		spin_unlock(&stream->lock);
		if (wait_event_interruptible(stream->waitq,
					     READ_ONCE(stream->depth) <
					     ACL_VMM_STREAM_DEPTH ||
					     READ_ONCE(stream->closed))) {
			ret = -ERESTARTSYS;
			goto err_put_room;
		}
		spin_lock(&stream->lock);
	}
	if (stream->closed) {
		spin_unlock(&stream->lock);
		ret = -ENOENT;
		goto err_put_room;
	}
	if (work->type == ACL_VMM_WORK_RECORD) {
		fence = container_of(work->fence, struct acl_vmm_fence, base);
		spin_lock_init(&fence->lock);
		dma_fence_init(&fence->base, &acl_vmm_fence_ops, &fence->lock,
			       stream->fence_context, ++stream->fence_seqno);
		dma_fence_get(&fence->base);	/* the caller's */
	}
	work->stream = stream;
	list_add_tail(&work->node, &stream->queue);
	stream->depth++;
	stream->submitted++;
	spin_unlock(&stream->lock);
	acl_vmm_worker_kick(stream);
	return 0;

err_put_room:
	acl_vmm_proc_work_put(stream);
	return ret;
}

static void acl_vmm_stream_retry(struct timer_list *t)
{
	struct acl_vmm_stream *stream = from_timer(stream, t, retry);

	acl_vmm_worker_kick(stream);
}

static struct acl_vmm_stream *acl_vmm_stream_alloc(struct acl_vmm_ctx *ctx,
						   u32 device)
{
	struct acl_vmm_stream *stream;

	stream = kzalloc(sizeof(*stream), GFP_KERNEL_ACCOUNT);
	if (!stream)
		return NULL;
	stream->ctx = ctx;
	stream->device = device;
	if (acl_vmm_stream_ops(stream)->stream_init(stream, ctx->mm)) {
		kfree(stream);
		return NULL;
	}
	INIT_LIST_HEAD(&stream->turn);
	timer_setup(&stream->retry, acl_vmm_stream_retry, 0);
	spin_lock_init(&stream->lock);
	INIT_LIST_HEAD(&stream->queue);
	init_waitqueue_head(&stream->waitq);
	stream->fence_context = dma_fence_context_alloc(2);
	return stream;
}

/**
 * acl_vmm_ioctl_stream_create() - ACL_VMM_STREAM_CREATE
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error no stream exists.
 */
int acl_vmm_ioctl_stream_create(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_stream_create *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_stream *stream;
	int ret;

	if (cmd->flags || cmd->stream)
		return -EINVAL;
	if (!acl_vmm_ctx_device(ctx, cmd->device))
		return -ENODEV;
	ret = acl_vmm_worker_start(ctx);
	if (ret)
		return ret;
	stream = acl_vmm_stream_alloc(ctx, cmd->device);
	if (!stream)
		return -ENOMEM;
	return acl_vmm_object_install(ucmd, sizeof(*cmd), &stream->obj,
				      ACL_VMM_OBJ_STREAM, &cmd->stream);
}

/* Close a stream to new work and take it out of the context's ids. */
static void acl_vmm_stream_close(struct acl_vmm_ctx *ctx,
				 struct acl_vmm_stream *stream)
{
	spin_lock(&stream->lock);
	stream->closed = true;
	spin_unlock(&stream->lock);
	wake_up_all(&stream->waitq);	/* submitters waiting for room */
	wake_up_all(&ctx->proc->waitq);
	acl_vmm_object_remove(ctx, &stream->obj);
}

/**
 * acl_vmm_stream_destroy() - ACL_VMM_DESTROY of a stream
 * @ctx: the context
 * @obj: the stream's object, live, referenced by the caller
 *
 * Closes the stream and waits for its work to end.
 *
 * Return: 0, or -EINTR when a fatal signal cut the wait short.
 */
int acl_vmm_stream_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj)
{
	struct acl_vmm_stream *stream =
		container_of(obj, struct acl_vmm_stream, obj);

	acl_vmm_stream_close(ctx, stream);
	if (wait_event_killable(stream->waitq, !READ_ONCE(stream->depth)))
		return -EINTR;
	return 0;
}

/* Wait until the work queued before now has ended. */
static int acl_vmm_stream_wait(struct acl_vmm_stream *stream)
{
	u64 target;

	spin_lock(&stream->lock);
	target = stream->submitted;
	spin_unlock(&stream->lock);
	return wait_event_interruptible(stream->waitq,
					READ_ONCE(stream->ended) >= target);
}

/*
 * As acl_vmm_stream_wait(), @timeout_ms at most: -ETIMEDOUT after it, and
 * -EINTR (never restarted, which would start the whole timeout again) for
 * a signal.
 */
static int acl_vmm_stream_wait_timeout(struct acl_vmm_stream *stream,
				       u32 timeout_ms)
{
	long left;
	u64 target;

	spin_lock(&stream->lock);
	target = stream->submitted;
	spin_unlock(&stream->lock);
	left = wait_event_interruptible_timeout(stream->waitq,
						READ_ONCE(stream->ended) >= target,
						msecs_to_jiffies(timeout_ms));
	if (left < 0)
		return -EINTR;
	return left ? 0 : -ETIMEDOUT;
}

/* Move a stream's kept failure, if any, into @fault (if it holds none yet). */
static void acl_vmm_stream_take_error(struct acl_vmm_stream *stream,
				      struct acl_vmm_fault *fault)
{
	spin_lock(&stream->lock);
	if (stream->error && !fault->error) {
		fault->error = stream->error;
		fault->addr = stream->fault_addr;
		fault->cmd = stream->fault_cmd;
	}
	stream->error = 0;
	spin_unlock(&stream->lock);
}

/* An out member must come in zeroed, as reserved ones. */
static int acl_vmm_fault_check(const struct acl_vmm_fault *fault)
{
	return fault->error || fault->cmd || fault->addr ? -EINVAL : 0;
}

/**
 * acl_vmm_ioctl_stream_sync() - ACL_VMM_STREAM_SYNC
 * @ucmd: the call
 *
 * Return: 0 (the stream's failure, if any, is in the reply), -ENOENT,
 * -ERESTARTSYS when a signal interrupted the wait (nothing is changed);
 * with ACL_VMM_STREAM_SYNC_TIMEOUT, -ETIMEDOUT or -EINTR instead.
 */
int acl_vmm_ioctl_stream_sync(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_stream_sync *cmd = ucmd->cmd;
	struct acl_vmm_stream *stream;
	int ret;

	if (cmd->flags & ~(ACL_VMM_STREAM_SYNC_QUERY | ACL_VMM_STREAM_SYNC_TIMEOUT) ||
	    hweight32(cmd->flags) > 1 ||
	    (cmd->timeout_ms && !(cmd->flags & ACL_VMM_STREAM_SYNC_TIMEOUT)) ||
	    acl_vmm_fault_check(&cmd->fault))
		return -EINVAL;
	stream = acl_vmm_stream_get(ucmd->ctx, cmd->stream);
	if (!stream)
		return -ENOENT;
	if (cmd->flags & ACL_VMM_STREAM_SYNC_QUERY) {
		ret = READ_ONCE(stream->ended) < READ_ONCE(stream->submitted) ?
		      -EBUSY : 0;
		acl_vmm_stream_put(stream);
		return ret ? ret : acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
	}
	if (cmd->flags & ACL_VMM_STREAM_SYNC_TIMEOUT)
		ret = acl_vmm_stream_wait_timeout(stream, cmd->timeout_ms);
	else
		ret = acl_vmm_stream_wait(stream);
	if (!ret)
		acl_vmm_stream_take_error(stream, &cmd->fault);
	acl_vmm_stream_put(stream);
	if (ret)
		return ret;
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * acl_vmm_ioctl_device_sync() - ACL_VMM_DEVICE_SYNC
 * @ucmd: the call
 *
 * Waits for every stream of the context on the device, then reports the
 * first failure found and clears every stream's.
 *
 * Return: 0, -ENODEV, or -ERESTARTSYS (no failure is cleared then).
 */
int acl_vmm_ioctl_device_sync(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_device_sync *cmd = ucmd->cmd;
	struct acl_vmm_ctx *ctx = ucmd->ctx;
	struct acl_vmm_stream *stream;
	struct acl_vmm_object *obj;
	unsigned long id;
	int pass, ret = 0;

	if (cmd->flags || cmd->__reserved || acl_vmm_fault_check(&cmd->fault))
		return -EINVAL;
	if (!acl_vmm_ctx_device(ctx, cmd->device))
		return -ENODEV;
	/* Wait for all first, then take the failures: all or nothing. */
	for (pass = 0; pass < 2; pass++) {
		for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_STREAM));
		     id++) {
			stream = acl_vmm_stream_get(ctx, id);
			if (!stream)
				continue;
			if (stream->device == cmd->device) {
				if (!pass)
					ret = acl_vmm_stream_wait(stream);
				else
					acl_vmm_stream_take_error(stream, &cmd->fault);
			}
			acl_vmm_stream_put(stream);
			if (ret)
				return ret;
		}
	}
	return acl_vmm_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * Queue @work on stream @id; with ACL_VMM_WORK_SYNC, wait for it, put its
 * result in @fault, a member of the call's struct of @cmd_len bytes, and
 * reply.
 */
static int acl_vmm_submit(struct acl_vmm_ucmd *ucmd, size_t cmd_len, u32 id,
			  struct acl_vmm_work *work, struct acl_vmm_fault *fault)
{
	struct acl_vmm_stream *stream;
	int ret;

	stream = acl_vmm_stream_get(ucmd->ctx, id);
	if (!stream) {
		ret = -ENOENT;
		goto out_put_work;
	}
	if (work->flags & ACL_VMM_WORK_SYNC)
		kref_get(&work->kref);	/* ours, to read the result */
	ret = acl_vmm_stream_queue(stream, work);
	if (ret) {
		if (work->flags & ACL_VMM_WORK_SYNC)
			acl_vmm_work_put(work);
		goto out_put_stream;
	}
	if (!(work->flags & ACL_VMM_WORK_SYNC)) {
		acl_vmm_stream_put(stream);
		return 0;
	}
	/* Queued: only a fatal signal, which ends the process, stops this. */
	if (wait_event_killable(stream->waitq, READ_ONCE(work->done))) {
		ret = -EINTR;
	} else {
		fault->error = work->error;
		fault->cmd = work->error ? work->cmd : 0;
		fault->addr = work->fault_addr;
		ret = acl_vmm_ucmd_respond(ucmd, cmd_len);
	}
out_put_stream:
	acl_vmm_stream_put(stream);
out_put_work:
	acl_vmm_work_put(work);
	return ret;
}

/* The flags and the (zero) output members of a copy or memset. */
static int acl_vmm_work_check(u32 flags, const struct acl_vmm_fault *fault)
{
	return flags & ~ACL_VMM_WORK_SYNC ? -EINVAL : acl_vmm_fault_check(fault);
}

/* A range work may name: not empty, not wrapping, in the user address space. */
static int acl_vmm_work_range(u64 addr, u64 length)
{
	if (!length || addr + length - 1 < addr)
		return -EINVAL;
	return access_ok(u64_to_user_ptr(addr), length) ? 0 : -EFAULT;
}

/**
 * acl_vmm_ioctl_copy() - ACL_VMM_COPY: queue a copy
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is queued.
 */
int acl_vmm_ioctl_copy(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_copy *cmd = ucmd->cmd;
	struct acl_vmm_work *work;
	int ret;

	if (cmd->__reserved)
		return -EINVAL;
	ret = acl_vmm_work_check(cmd->flags, &cmd->fault);
	if (!ret)
		ret = acl_vmm_work_range(cmd->dst, cmd->length);
	if (!ret)
		ret = acl_vmm_work_range(cmd->src, cmd->length);
	if (ret)
		return ret;
	work = acl_vmm_work_alloc(ACL_VMM_WORK_COPY, ACL_VMM_CMD_COPY);
	if (!work)
		return -ENOMEM;
	work->flags = cmd->flags;
	work->dst = cmd->dst;
	work->src = cmd->src;
	work->length = cmd->length;
	return acl_vmm_submit(ucmd, sizeof(*cmd), cmd->stream, work,
			      &cmd->fault);
}

/**
 * acl_vmm_ioctl_memset() - ACL_VMM_MEMSET: queue a memset
 * @ucmd: the call
 *
 * Return: 0 or a negative errno; on error nothing is queued.
 */
int acl_vmm_ioctl_memset(struct acl_vmm_ucmd *ucmd)
{
	struct acl_vmm_memset *cmd = ucmd->cmd;
	struct acl_vmm_work *work;
	int ret;

	if (cmd->value > U8_MAX)
		return -EINVAL;
	ret = acl_vmm_work_check(cmd->flags, &cmd->fault);
	if (!ret)
		ret = acl_vmm_work_range(cmd->dst, cmd->length);
	if (ret)
		return ret;
	work = acl_vmm_work_alloc(ACL_VMM_WORK_MEMSET, ACL_VMM_CMD_MEMSET);
	if (!work)
		return -ENOMEM;
	work->flags = cmd->flags;
	work->dst = cmd->dst;
	work->length = cmd->length;
	work->value = cmd->value;
	return acl_vmm_submit(ucmd, sizeof(*cmd), cmd->stream, work,
			      &cmd->fault);
}

/**
 * acl_vmm_ctx_streams_destroy() - tear down every stream of a context
 * @ctx: the context, being released: no ioctl runs on it any more
 *
 * Work still queued is cancelled, and the work running stops after its
 * current window.
 */
void acl_vmm_ctx_streams_destroy(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_stream *stream;
	struct acl_vmm_object *obj;
	unsigned long id;

	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_STREAM));
	     id++) {
		stream = container_of(obj, struct acl_vmm_stream, obj);
		spin_lock(&stream->lock);
		stream->dying = true;
		spin_unlock(&stream->lock);
		acl_vmm_stream_close(ctx, stream);
	}
}
