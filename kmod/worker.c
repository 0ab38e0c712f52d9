// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Workers
 *
 * Every context has a worker of its own: one thread, which runs the work
 * of the context's streams and nothing else. What a process submits thus
 * never waits for another process's work, and the CPU time the engine
 * spends on it is the submitting process's, as the time of vhost's
 * workers is their owner's:
 *
 *  - where the kernel has vhost tasks (CONFIG_VHOST_TASK, 6.4 and later;
 *    Debian's 6.12), the worker is a vhost task: a thread of the process
 *    itself, cloned from the ioctl that first needs it. It is in the
 *    process's cgroups and moves with it, its CPU time is the process's,
 *    and SIGSTOP, the cgroup freezer and SIGKILL reach it. It counts
 *    against RLIMIT_NPROC as any thread does.
 *  - elsewhere (6.1), a kernel thread "acl_vmm-PID", joined to all the
 *    cgroups of the process that created it with cgroup_attach_task_all(),
 *    so that cpu.max, cpu.weight, cpu.stat and the pids controller count
 *    it. A kernel thread ignores signals and the freezer, so it parks by
 *    itself while the process is stopped or being frozen. It stays in the
 *    cgroups it joined if the process moves.
 *
 * The worker is created with the context's first stream and stopped when
 * the context is released, after its streams.
 *
 * Streams take turns: the worker takes the first stream of its run list,
 * gives it a turn (acl_vmm_stream_run(): its records and waits, and at
 * most one window of a copy or memset) and puts it back at the tail if it
 * has more to do, so that a large copy does not hold up the context's
 * other streams. A stream whose copy waits for a page that is not present
 * (a file's page being read, a swap-in) is off the list until its retry
 * timer puts it back (engine.c): the worker itself never waits for I/O.
 *
 * acl_vmm_worker_kick() and acl_vmm_worker_cancel() are to a stream what
 * queue_work() and cancel_work_sync() are to a work item: a stream is
 * queued at most once, may be queued while its turn runs, and a cancel
 * returns when it is neither queued nor running. Kicks come from
 * submissions, fence callbacks and timers: acl_vmm_worker.lock is taken
 * with interrupts off.
 */
#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "acl_vmm.h"

#if defined(ACL_VMM_HAVE_VHOST_TASK) && IS_ENABLED(CONFIG_VHOST_TASK)
#include <linux/sched/vhost_task.h>
#define ACL_VMM_WORKER_VHOST_TASK
#endif

/* How long a kernel-thread worker sleeps between looks at a halted owner. */
#define ACL_VMM_WORKER_PARK (HZ / 20)

/**
 * struct acl_vmm_worker - the thread that runs a context's streams
 * @lock: protects @runnable, @running, @killed and every stream's turn
 * @runnable: the streams waiting for a turn, in order
 * @running: the stream whose turn runs, or NULL
 * @idle: woken when a turn ends (acl_vmm_worker_cancel() waits there)
 * @killed: the thread was killed with its process: nothing runs any more
 * @vtsk: the vhost task (kernels with vhost tasks)
 * @task: the kernel thread (other kernels)
 * @owner: the leader of the process it works for, referenced (other
 *         kernels): the thread parks while it is stopped or frozen
 */
struct acl_vmm_worker {
	spinlock_t lock; /* protects the run list, @running and @killed */
	struct list_head runnable;
	struct acl_vmm_stream *running;
	wait_queue_head_t idle;
	bool killed;
#ifdef ACL_VMM_WORKER_VHOST_TASK
	struct vhost_task *vtsk;
#else
	struct task_struct *task;
	struct task_struct *owner;
#endif
};

/*
 * Give the first stream of the run list its turn. Return: whether there
 * was one. Runs in the worker thread, entered in TASK_INTERRUPTIBLE (so
 * that a kick between the look and the sleep is not lost).
 */
static bool acl_vmm_worker_turn(struct acl_vmm_worker *w)
{
	struct acl_vmm_stream *stream;
	bool again;

	spin_lock_irq(&w->lock);
	stream = list_first_entry_or_null(&w->runnable, struct acl_vmm_stream,
					  turn);
	if (stream) {
		list_del_init(&stream->turn);
		w->running = stream;
	}
	spin_unlock_irq(&w->lock);
	if (!stream)
		return false;
	__set_current_state(TASK_RUNNING);
	again = acl_vmm_stream_run(stream);
	spin_lock_irq(&w->lock);
	w->running = NULL;
	if (again && list_empty(&stream->turn))
		list_add_tail(&stream->turn, &w->runnable);
	spin_unlock_irq(&w->lock);
	wake_up_all(&w->idle);
	return true;
}

#ifdef ACL_VMM_WORKER_VHOST_TASK

/*
 * vhost_task_fn() does not reschedule between calls: on a kernel without
 * preemption, a long copy would hold the CPU from its own process.
 */
static bool acl_vmm_worker_fn(void *data)
{
	if (!acl_vmm_worker_turn(data))
		return false;
	cond_resched();
	return true;
}

/* The process was killed (or exec'd): its vhost task exits. */
static void acl_vmm_worker_killed(void *data)
{
	struct acl_vmm_worker *w = data;

	spin_lock_irq(&w->lock);
	w->killed = true;
	spin_unlock_irq(&w->lock);
}

static int acl_vmm_worker_create(struct acl_vmm_worker *w, const char *name)
{
	w->vtsk = vhost_task_create(acl_vmm_worker_fn, acl_vmm_worker_killed,
				    w, name);
	if (IS_ERR(w->vtsk))
		return PTR_ERR(w->vtsk);
	vhost_task_start(w->vtsk);
	return 0;
}

static void acl_vmm_worker_wake(struct acl_vmm_worker *w)
{
	vhost_task_wake(w->vtsk);
}

static void acl_vmm_worker_destroy(struct acl_vmm_worker *w)
{
	vhost_task_stop(w->vtsk);
}

#else /* !ACL_VMM_WORKER_VHOST_TASK */

/* Whether the process is stopped, or its cgroup freezes or froze it. */
static bool acl_vmm_owner_halted(struct task_struct *owner)
{
	return (READ_ONCE(owner->signal->flags) & SIGNAL_STOP_STOPPED) ||
	       (READ_ONCE(owner->jobctl) & JOBCTL_TRAP_FREEZE) ||
	       cgroup_task_frozen(owner);
}

static int acl_vmm_worker_thread(void *data)
{
	struct acl_vmm_worker *w = data;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			return 0;
		}
		if (acl_vmm_owner_halted(w->owner))
			schedule_timeout(ACL_VMM_WORKER_PARK);
		else if (acl_vmm_worker_turn(w))
			cond_resched();
		else
			schedule();
	}
}

static int acl_vmm_worker_create(struct acl_vmm_worker *w, const char *name)
{
	int ret;

	w->task = kthread_create(acl_vmm_worker_thread, w, "%s", name);
	if (IS_ERR(w->task))
		return PTR_ERR(w->task);
	ret = cgroup_attach_task_all(current, w->task);
	if (ret) {
		kthread_stop(w->task);
		return ret;
	}
	w->owner = get_task_struct(current->group_leader);
	wake_up_process(w->task);
	return 0;
}

static void acl_vmm_worker_wake(struct acl_vmm_worker *w)
{
	wake_up_process(w->task);
}

static void acl_vmm_worker_destroy(struct acl_vmm_worker *w)
{
	kthread_stop(w->task);
	put_task_struct(w->owner);
}

#endif /* ACL_VMM_WORKER_VHOST_TASK */

/**
 * acl_vmm_worker_start() - give a context its worker, if it has none yet
 * @ctx: the context, in an ioctl of its process
 *
 * Return: 0, or a negative errno (-EAGAIN: RLIMIT_NPROC or pids.max).
 */
int acl_vmm_worker_start(struct acl_vmm_ctx *ctx)
{
	char name[TASK_COMM_LEN];
	struct acl_vmm_worker *w;
	int ret = 0;

	mutex_lock(&ctx->worker_lock);
	if (ctx->worker)
		goto out_unlock;
	ret = -ENOMEM;
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w)
		goto out_unlock;
	spin_lock_init(&w->lock);
	INIT_LIST_HEAD(&w->runnable);
	init_waitqueue_head(&w->idle);
	snprintf(name, sizeof(name), "acl_vmm-%d", task_tgid_nr(current));
	ret = acl_vmm_worker_create(w, name);
	if (ret) {
		kfree(w);
		goto out_unlock;
	}
	/* Streams read it without the lock: they are created after it. */
	smp_store_release(&ctx->worker, w);
out_unlock:
	mutex_unlock(&ctx->worker_lock);
	return ret;
}

/**
 * acl_vmm_worker_stop() - stop a context's worker
 * @ctx: the context, being released, its streams gone
 */
void acl_vmm_worker_stop(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_worker *w = ctx->worker;

	if (!w)
		return;
	WARN_ON(!list_empty(&w->runnable));
	acl_vmm_worker_destroy(w);
	kfree(w);
	ctx->worker = NULL;
}

/**
 * acl_vmm_worker_kick() - give a stream a turn
 * @stream: the stream; any context (a fence callback, a timer)
 */
void acl_vmm_worker_kick(struct acl_vmm_stream *stream)
{
	struct acl_vmm_worker *w = stream->ctx->worker;
	unsigned long flags;

	spin_lock_irqsave(&w->lock, flags);
	if (list_empty(&stream->turn))
		list_add_tail(&stream->turn, &w->runnable);
	if (!w->killed)
		acl_vmm_worker_wake(w);
	spin_unlock_irqrestore(&w->lock, flags);
}

/**
 * acl_vmm_worker_cancel() - take a stream off its worker
 * @stream: the stream
 *
 * Returns when the stream is neither waiting for a turn nor having one.
 * The caller keeps it from being kicked again.
 */
void acl_vmm_worker_cancel(struct acl_vmm_stream *stream)
{
	struct acl_vmm_worker *w = stream->ctx->worker;
	bool busy;

	for (;;) {
		spin_lock_irq(&w->lock);
		list_del_init(&stream->turn);
		busy = w->running == stream;
		spin_unlock_irq(&w->lock);
		if (!busy)
			return;
		wait_event(w->idle, READ_ONCE(w->running) != stream);
	}
}
