// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: The device engine
 *
 * The emulated device runs a stream's copies and memsets itself, and
 * reaches memory the way a device sharing the process's address space
 * does: through an HMM mirror of the submitting process's page tables,
 * never through a kernel pointer or user pointer kept from submission.
 * Device memory and host memory are reached alike, by their process
 * addresses, so that every kind of copy (host to device, device to host,
 * between two devices, host to host) is the same operation.
 *
 * A copy runs in windows of at most ACL_VMM_ENGINE_WINDOW bytes. For each
 * window, as nouveau's SVM does for a fault:
 *
 *  1. insert an interval notifier over the host pages of each range of
 *     the window (device memory is reached through the device's table,
 *     under dmmu_lock, not through the mirror);
 *  2. hmm_range_fault() them under the mmap_lock for reading, 256 KiB
 *     at a time (a writer of the mmap_lock waits for one step);
 *  3. take acl_vmm_stream.mirror_lock and check with
 *     mmu_interval_read_retry() that no invalidation ran meanwhile;
 *     if one did, fault the window again;
 *  4. touch the pages, drop the lock, remove the notifiers.
 *
 * The notifiers' invalidation takes the same lock, so an unmap (which
 * invalidates before it zaps and frees) of pages a window touches waits
 * for that window at most, never for queued work, and no page is touched
 * after its invalidation returned; an invalidation anywhere else in the
 * process (munmap, mprotect, madvise, reclaim of other memory) finds no
 * notifier of ours and does not wait at all.
 * Work that reaches an address no longer
 * mapped fails at its fault (the reservation's fault handler refuses it)
 * with -EFAULT, which the stream reports at the next synchronize. Nothing
 * else is done under the mirror lock: the notifier runs under the mm's own
 * locks (and from memory reclaim), so the lock is never held while
 * allocating or faulting.
 *
 * Overlapping copies run backwards when the destination follows the
 * source, window by window and piece by piece, so that they behave as
 * memmove(). Pages that are physically contiguous in both ranges (the
 * 2 MiB pages of device memory) are copied as one piece.
 */
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "acl_vmm.h"

/* The bytes of a window walked under one hold of the mmap_lock. */
#define ACL_VMM_MIRROR_STEP (64 * PAGE_SIZE)

/* Looks at a window that found its pages changed before it backs off. */
#define ACL_VMM_BUSY_MAX 64

/* The longest backoff of a window waiting for a page. */
#define ACL_VMM_RETRY_MAX (HZ / 10)

static unsigned int fault_timeout = 10;
module_param(fault_timeout, uint, 0644);
MODULE_PARM_DESC(fault_timeout,
		 "Seconds a copy or memset waits for a page of the process's memory to come in (a file's read, a swap-in) before it fails with a timeout (default 10, at least 1)");

static bool acl_vmm_mirror_invalidate(struct mmu_interval_notifier *mni,
				      const struct mmu_notifier_range *range,
				      unsigned long cur_seq)
{
	struct acl_vmm_stream *stream =
		container_of(mni, struct acl_vmm_mirror, mni)->stream;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&stream->mirror_lock);
	else if (!mutex_trylock(&stream->mirror_lock))
		return false;
	mmu_interval_set_seq(mni, cur_seq);
	mutex_unlock(&stream->mirror_lock);
	return true;
}

static const struct mmu_interval_notifier_ops acl_vmm_mirror_ops = {
	.invalidate = acl_vmm_mirror_invalidate,
};

/**
 * acl_vmm_stream_mirror_init() - set up a stream's mirror of its process
 * @stream: the new stream
 * @mm: the process's mm, which the caller (in an ioctl of the process)
 *      keeps alive
 *
 * The notifiers are inserted by each window over what it touches; one is
 * inserted and removed here so that the mm has its interval tree (which
 * lasts as long as the mm): a window never allocates for it, and a
 * failure is the stream creation's.
 *
 * Return: 0, or a negative errno.
 */
int acl_vmm_stream_mirror_init(struct acl_vmm_stream *stream,
			       struct mm_struct *mm)
{
	int i, ret = -ENOMEM;

	mutex_init(&stream->mirror_lock);
	for (i = 0; i < ACL_VMM_RANGES; i++) {
		stream->mirror[i].stream = stream;
		stream->pfns[i] = kvcalloc(ACL_VMM_ENGINE_WINDOW_PAGES,
					   sizeof(unsigned long),
					   GFP_KERNEL_ACCOUNT);
		if (!stream->pfns[i])
			goto err_free_pfns;
	}
	ret = mmu_interval_notifier_insert(&stream->mirror[0].mni, mm, 0,
					   PAGE_SIZE, &acl_vmm_mirror_ops);
	if (ret)
		goto err_free_pfns;
	mmu_interval_notifier_remove(&stream->mirror[0].mni);
	return 0;

err_free_pfns:
	while (i--)
		kvfree(stream->pfns[i]);
	mutex_destroy(&stream->mirror_lock);
	return ret;
}

/**
 * acl_vmm_stream_mirror_fini() - remove a stream's mirror
 * @stream: the stream, whose worker is stopped (no window runs)
 */
void acl_vmm_stream_mirror_fini(struct acl_vmm_stream *stream)
{
	int i;

	for (i = 0; i < ACL_VMM_RANGES; i++) {
		WARN_ON(stream->mirror[i].inserted);
		kvfree(stream->pfns[i]);
	}
	mutex_destroy(&stream->mirror_lock);
}

/**
 * struct acl_vmm_xfer - one copy or memset being run
 * @stream: the stream running it
 * @mm: the submitting process's mm
 * @addr: first address of each range (the source is unused by a memset)
 * @nr_ranges: 2 for a copy, 1 for a memset
 * @length: bytes
 * @value: the byte a memset writes
 * @backward: run from the end (an overlapping copy to a higher address)
 * @device: per range, whether the current window of it is device memory,
 *          which the device table translates (else the mirror does)
 * @res_device: per device range, the device whose memory its reservation
 *              holds, or ACL_VMM_DEVICE_NONE
 * @malloc_block: per device range, it is aclrtMalloc memory, which a peer
 *                with peer access reaches without a right of its own
 * @range: the hmm ranges of the current window
 */
struct acl_vmm_xfer {
	struct acl_vmm_stream *stream;
	struct mm_struct *mm;
	u64 addr[ACL_VMM_RANGES];
	int nr_ranges;
	u64 length;
	u8 value;
	bool backward;
	bool device[ACL_VMM_RANGES];
	u32 res_device[ACL_VMM_RANGES];
	bool malloc_block[ACL_VMM_RANGES];
	struct hmm_range range[ACL_VMM_RANGES];
};

static unsigned long acl_vmm_hmm_pfn(unsigned long hmm_pfn)
{
	return page_to_pfn(hmm_pfn_to_page(hmm_pfn));
}

/* Pages physically contiguous with page @i, forward (@dir 1) or backward. */
static unsigned long acl_vmm_run_pages(const unsigned long *pfns,
				       unsigned long npages, unsigned long i,
				       int dir)
{
	unsigned long pfn = acl_vmm_hmm_pfn(pfns[i]), n = 1;

	if (IS_ENABLED(CONFIG_HIGHMEM))
		return 1;	/* kmap_local_page() maps one page at a time */
	if (dir > 0) {
		while (i + n < npages && acl_vmm_hmm_pfn(pfns[i + n]) == pfn + n)
			n++;
	} else {
		while (n <= i && acl_vmm_hmm_pfn(pfns[i - n]) == pfn - n)
			n++;
	}
	return n;
}

/*
 * struct acl_vmm_run - the physically contiguous run of pages of a range
 * the current piece lies in: pages [@first, @last] of the window. Pieces
 * go one way through a window, so each run is found once: a window
 * costs one pass over its pages, whatever the pieces.
 */
struct acl_vmm_run {
	unsigned long first;
	unsigned long last;
	bool valid;
};

/*
 * Bytes of range @r that can be reached in one piece from @addr: forward,
 * from @addr on; backward, up to and including @addr.
 */
static u64 acl_vmm_piece_bytes(const struct hmm_range *r,
			       struct acl_vmm_run *run, u64 addr, int dir)
{
	unsigned long npages = (r->end - r->start) >> PAGE_SHIFT;
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;
	u64 in_page = addr & ~PAGE_MASK;

	if (!run->valid || i < run->first || i > run->last) {
		if (dir > 0) {
			run->first = i;
			run->last = i + acl_vmm_run_pages(r->hmm_pfns, npages, i, 1) - 1;
		} else {
			run->last = i;
			run->first = i + 1 - acl_vmm_run_pages(r->hmm_pfns, npages, i, -1);
		}
		run->valid = true;
	}
	if (dir > 0)
		return (run->last - i + 1) * PAGE_SIZE - in_page;
	return (i - run->first) * PAGE_SIZE + in_page + 1;
}

/*
 * memmove(), with whole aligned pages that do not overlap copied by
 * copy_page(), the kernel's fastest page copy.
 */
static void acl_vmm_move(void *dst, const void *src, u64 n)
{
	if (((unsigned long)dst | (unsigned long)src | n) & ~PAGE_MASK ||
	    (dst < src + n && src < dst + n)) {
		memmove(dst, src, n);
		return;
	}
	for (; n; n -= PAGE_SIZE, dst += PAGE_SIZE, src += PAGE_SIZE)
		copy_page(dst, (void *)src);
}

static void *acl_vmm_piece_map(const struct hmm_range *r, u64 addr)
{
	unsigned long i = (addr - r->start) >> PAGE_SHIFT;

	return kmap_local_page(hmm_pfn_to_page(r->hmm_pfns[i])) +
	       (addr & ~PAGE_MASK);
}

/*
 * Touch the pages of the window [@off, @off + @n) of the transfer, whose
 * ranges were faulted. Called with the mirror lock held: no allocation,
 * no fault.
 */
static void acl_vmm_xfer_pages(struct acl_vmm_xfer *x, u64 off, u64 n)
{
	struct acl_vmm_run run[ACL_VMM_RANGES] = {};
	int dir = x->backward ? -1 : 1;
	u64 done = 0, piece, at, a[ACL_VMM_RANGES];
	void *p[ACL_VMM_RANGES];
	int i;

	while (done < n) {
		piece = n - done;
		/* Forward: the piece starts at @at; backward, it ends there. */
		at = x->backward ? off + n - done - 1 : off + done;
		for (i = 0; i < x->nr_ranges; i++)
			piece = min(piece, acl_vmm_piece_bytes(&x->range[i], &run[i],
							       x->addr[i] + at,
							       dir));
		if (x->backward)
			at -= piece - 1;
		for (i = 0; i < x->nr_ranges; i++) {
			a[i] = x->addr[i] + at;
			p[i] = acl_vmm_piece_map(&x->range[i], a[i]);
		}
		if (x->nr_ranges == 1)
			memset(p[ACL_VMM_RANGE_DST], x->value, piece);
		else
			acl_vmm_move(p[ACL_VMM_RANGE_DST],
				     p[ACL_VMM_RANGE_SRC], piece);
		for (i = x->nr_ranges - 1; i >= 0; i--)
			kunmap_local(p[i]);
		done += piece;
	}
}

/* The first page of @r not present as the engine needs it, or its end. */
static unsigned long acl_vmm_first_missing(const struct hmm_range *r,
					   bool write)
{
	unsigned long need = HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0);
	unsigned long npages = (r->end - r->start) >> PAGE_SHIFT, i;

	for (i = 0; i < npages; i++)
		if ((r->hmm_pfns[i] & (need | HMM_PFN_ERROR)) != need)
			break;
	return i;
}

/*
 * Fault pages in without waiting for I/O: a fault that would wait starts
 * it (a file's readahead, a swap-in) and gives up. Return: the pages made
 * present from @addr on, 0 when the first would have waited, or a
 * negative errno (-EFAULT: not mapped, or not as needed).
 */
static long acl_vmm_fault_nowait(struct mm_struct *mm, unsigned long addr,
				 unsigned long npages, bool write)
{
	unsigned int flags = FOLL_NOWAIT | (write ? FOLL_WRITE : 0);

	return acl_vmm_get_user_pages_remote(mm, addr, npages, flags);
}

/*
 * Make the window of every range present and snapshot its pages, never
 * waiting for I/O: hmm_range_fault() only looks (it would wait for a
 * file's read, uninterruptibly), and what is missing is faulted in by
 * acl_vmm_fault_nowait(). Return: 0; -EBUSY to look again (an invalidation
 * ran, or pages were just faulted in); -EAGAIN when a page is not there
 * yet (@fault_addr is where); or a negative errno (@fault_addr is where).
 */
static int acl_vmm_xfer_fault(struct acl_vmm_xfer *x, u64 off,
			      u64 *fault_addr)
{
	unsigned long npages, first, addr, pos;
	struct hmm_range *r, step;
	int i, ret = 0;
	long got;

	for (i = 0; i < x->nr_ranges; i++)
		if (!x->device[i])
			x->range[i].notifier_seq =
				mmu_interval_read_begin(x->range[i].notifier);
	for (i = 0; i < x->nr_ranges && !ret; i++) {
		if (x->device[i])
			continue;
		r = &x->range[i];
		step = *r;
		for (pos = r->start; pos < r->end && !ret; pos = step.end) {
			/*
			 * A step at a time under the mmap_lock, so that a
			 * writer (munmap, mprotect, anywhere in the process)
			 * waits for one step of the walk, not for a window.
			 */
			step.start = pos;
			step.end = min(pos + ACL_VMM_MIRROR_STEP, r->end);
			step.hmm_pfns = r->hmm_pfns +
					((pos - r->start) >> PAGE_SHIFT);
			mmap_read_lock(x->mm);
			ret = hmm_range_fault(&step);
			if (ret)
				goto unlock;
			npages = (step.end - step.start) >> PAGE_SHIFT;
			first = acl_vmm_first_missing(&step,
						      i == ACL_VMM_RANGE_DST);
			if (first == npages)
				goto unlock;
			addr = step.start + (first << PAGE_SHIFT);
			/*
			 * What the mirror cannot reach at all (no VMA, VM_IO or
			 * VM_PFNMAP, or not readable, which GUP would still
			 * fault in for writing) is a fault: faulting it in
			 * would not make it reachable.
			 */
			if (step.hmm_pfns[first] & HMM_PFN_ERROR)
				got = -EFAULT;
			else
				got = acl_vmm_fault_nowait(x->mm, addr, npages - first,
							   i == ACL_VMM_RANGE_DST);
			ret = got > 0 ? -EBUSY : got ? got : -EAGAIN;
			if (ret != -EBUSY)
				*fault_addr = max_t(u64, addr, x->addr[i] + off);
unlock:
			mmap_read_unlock(x->mm);
		}
	}
	/* A page that cannot be reached as asked is a fault all the same. */
	return ret == -EPERM ? -EFAULT : ret;
}

/* Whether an invalidation ran over a host range since it was faulted. */
static bool acl_vmm_xfer_stale(struct acl_vmm_xfer *x)
{
	int i;

	for (i = 0; i < x->nr_ranges; i++)
		if (!x->device[i] &&
		    mmu_interval_read_retry(x->range[i].notifier,
					    x->range[i].notifier_seq))
			return true;
	return false;
}

/* Remove the notifiers of the window's host ranges. */
static void acl_vmm_xfer_unmirror(struct acl_vmm_xfer *x)
{
	struct acl_vmm_mirror *m;
	int i;

	for (i = 0; i < x->nr_ranges; i++) {
		m = &x->stream->mirror[i];
		if (m->inserted)
			mmu_interval_notifier_remove(&m->mni);
		m->inserted = false;
	}
}

/*
 * Set the window [@off, @off + @n) of each range, and insert a notifier
 * over the pages of each host range: invalidations of those pages, and
 * of no others, wait for the window. Return: 0 or a negative errno.
 */
static int acl_vmm_xfer_mirror(struct acl_vmm_xfer *x, u64 off, u64 n)
{
	struct acl_vmm_mirror *m;
	struct hmm_range *r;
	int i, ret;

	for (i = 0; i < x->nr_ranges; i++) {
		r = &x->range[i];
		r->start = (x->addr[i] + off) & PAGE_MASK;
		r->end = PAGE_ALIGN(x->addr[i] + off + n);
		if (x->device[i])
			continue;
		m = &x->stream->mirror[i];
		ret = mmu_interval_notifier_insert(&m->mni, x->mm, r->start,
						   r->end - r->start,
						   &acl_vmm_mirror_ops);
		if (ret) {
			acl_vmm_xfer_unmirror(x);
			return ret;
		}
		m->inserted = true;
		r->notifier = &m->mni;
	}
	return 0;
}

/*
 * Translate @va of device range @i for the device running the work: its
 * own table first; memory of another device needs peer access to that
 * device, and the peer's aclrtMalloc memory is reached through the
 * peer's table once peer access is on. Return: 0, -EFAULT (not mapped),
 * -EPERM (no access), -EACCES (read only) or -EXDEV (no peer access).
 */
static int acl_vmm_xfer_translate(struct acl_vmm_xfer *x, int i, u64 va,
				  unsigned long *pfn, u64 *run)
{
	struct acl_vmm_ctx *ctx = x->stream->ctx;
	u32 dev = x->stream->device, peer = x->res_device[i], owner;
	bool write = i == ACL_VMM_RANGE_DST;
	int ret, peer_ret;

	ret = acl_vmm_dmmu_translate(ctx, dev, va, write, pfn, run, &owner);
	if (ret == -EFAULT && peer < ACL_VMM_MAX_DEVICES && peer != dev) {
		peer_ret = acl_vmm_dmmu_translate(ctx, peer, va, write, pfn, run,
						  &owner);
		if (peer_ret == -EFAULT)
			return -EFAULT;
		if (!acl_vmm_dmmu_peer_enabled(ctx, dev, owner))
			return -EXDEV;
		return x->malloc_block[i] ? peer_ret : -EPERM;
	}
	if (ret != -EFAULT && !acl_vmm_dmmu_peer_enabled(ctx, dev, owner))
		return -EXDEV;
	return ret;
}

/*
 * Fill the pfns of the device ranges of the window from the device
 * tables, as the device's MMU translates them. Called with dmmu_lock
 * held. Return: 0 or the fault of the first page that cannot be reached
 * (@fault_addr is where).
 */
static int acl_vmm_xfer_translate_window(struct acl_vmm_xfer *x, u64 off,
					 u64 n, u64 *fault_addr)
{
	unsigned long pfn, flags, j, npages;
	struct hmm_range *r;
	u64 va, run;
	int i, ret;

	for (i = 0; i < x->nr_ranges; i++) {
		if (!x->device[i])
			continue;
		r = &x->range[i];
		flags = HMM_PFN_VALID | (i == ACL_VMM_RANGE_DST ? HMM_PFN_WRITE : 0);
		npages = (r->end - r->start) >> PAGE_SHIFT;
		for (j = 0; j < npages; ) {
			va = r->start + (j << PAGE_SHIFT);
			ret = acl_vmm_xfer_translate(x, i, va, &pfn, &run);
			if (ret) {
				*fault_addr = max_t(u64, va, x->addr[i] + off);
				return ret;
			}
			for (; run && j < npages; run -= PAGE_SIZE, j++)
				r->hmm_pfns[j] = pfn++ | flags;
		}
	}
	return 0;
}

static bool acl_vmm_xfer_has_host(const struct acl_vmm_xfer *x)
{
	int i;

	for (i = 0; i < x->nr_ranges; i++)
		if (!x->device[i])
			return true;
	return false;
}

/* Run one window; 0, -EAGAIN (a page is not there yet) or an error. */
static int acl_vmm_xfer_window(struct acl_vmm_xfer *x, u64 off, u64 n,
			       u64 *fault_addr)
{
	struct acl_vmm_stream *stream = x->stream;
	struct acl_vmm_ctx *ctx = stream->ctx;
	bool host = acl_vmm_xfer_has_host(x);
	int ret, busy = 0;

	if (!mmget_not_zero(x->mm))
		return -ESRCH;
	ret = acl_vmm_xfer_mirror(x, off, n);
	if (ret)
		goto out_mmput;
	for (;;) {
		if (READ_ONCE(stream->dying)) {
			ret = -ECANCELED;
			goto out_unmirror;
		}
		ret = acl_vmm_xfer_fault(x, off, fault_addr);
		if (ret == -EBUSY && ++busy >= ACL_VMM_BUSY_MAX) {
			/*
			 * Pages keep going (or never show up as the mirror
			 * needs them): wait as for a page that is not there,
			 * with the backoff and the timeout, the mm let go.
			 */
			*fault_addr = x->addr[ACL_VMM_RANGE_DST] + off;
			ret = -EAGAIN;
		}
		if (ret == -EBUSY) {
			cond_resched();
			continue;
		}
		if (ret)
			goto out_unmirror;
		mutex_lock(&ctx->dmmu_lock);
		mutex_lock(&stream->mirror_lock);
		if (!host || !acl_vmm_xfer_stale(x))
			break;
		mutex_unlock(&stream->mirror_lock);
		mutex_unlock(&ctx->dmmu_lock);
		if (++busy >= ACL_VMM_BUSY_MAX) {
			*fault_addr = x->addr[ACL_VMM_RANGE_DST] + off;
			ret = -EAGAIN;
			goto out_unmirror;
		}
		cond_resched();
	}
	ret = acl_vmm_xfer_translate_window(x, off, n, fault_addr);
	if (!ret)
		acl_vmm_xfer_pages(x, off, n);
	mutex_unlock(&stream->mirror_lock);
	mutex_unlock(&ctx->dmmu_lock);
out_unmirror:
	acl_vmm_xfer_unmirror(x);
out_mmput:
	mmput_async(x->mm);
	return ret;
}

/*
 * Decide, for each range, whether the window [*@lo, *@hi] of the
 * transfer (offsets into it) is device memory or host memory, and narrow
 * the window so that it stays on one side of every reservation's edge: a
 * forward window keeps its start, a backward one its end. Device memory
 * is what lies in a reservation holding device memory (or none yet);
 * host memory mapped into a reservation, and everything outside the
 * reservations, is the process's and goes through the mirror.
 */
static void acl_vmm_xfer_classify(struct acl_vmm_xfer *x, u64 *lo, u64 *hi)
{
	struct acl_vmm_ctx *ctx = x->stream->ctx;
	struct acl_vmm_reservation *res, *in;
	struct acl_vmm_va_node *node;
	u64 a, first, last, anchor;
	int i;

	mutex_lock(&ctx->lock);
	for (i = 0; i < x->nr_ranges; i++) {
		a = x->addr[i];
		first = a + *lo;
		last = a + *hi;
		anchor = x->backward ? last : first;
		in = NULL;
		for (node = acl_vmm_va_first(&ctx->vs.reservations, first, last);
		     node; node = acl_vmm_va_next(node, first, last)) {
			res = container_of(node, struct acl_vmm_reservation, va);
			if (res->va.start <= anchor && anchor <= res->va.last) {
				in = res;
				continue;
			}
			/* A reservation further on: stop the window before it. */
			if (!x->backward && res->va.start > anchor)
				last = min_t(u64, last, res->va.start - 1);
			if (x->backward && res->va.last < anchor)
				first = max_t(u64, first, res->va.last + 1);
		}
		if (in) {
			first = max_t(u64, first, in->va.start);
			last = min_t(u64, last, in->va.last);
		}
		x->device[i] = in && in->device != ACL_VMM_DEVICE_HOST;
		x->res_device[i] = in ? in->device : ACL_VMM_DEVICE_NONE;
		x->malloc_block[i] = in && (in->flags & ACL_VMM_RESERVE_MALLOC);
		*lo = first - a;
		*hi = last - a;
	}
	mutex_unlock(&ctx->lock);
}

/*
 * A window waits for a page: try again after a backoff (1 ms, doubling up
 * to ACL_VMM_RETRY_MAX), until fault_timeout seconds have passed since it
 * began to wait.
 */
static int acl_vmm_work_blocked(struct acl_vmm_stream *stream,
				struct acl_vmm_work *work)
{
	unsigned long now = jiffies;
	unsigned int timeout = max(READ_ONCE(fault_timeout), 1U);

	if (work->blocked_since &&
	    time_after_eq(now, work->blocked_since + timeout * HZ))
		return -ETIMEDOUT;
	if (!work->blocked_since) {
		work->blocked_since = now ?: 1;
		work->backoff = msecs_to_jiffies(1);
	} else {
		work->backoff = min(work->backoff * 2, ACL_VMM_RETRY_MAX);
	}
	mod_timer(&stream->retry, now + work->backoff);
	return ACL_VMM_WORK_BLOCKED;
}

/**
 * acl_vmm_engine_run() - run the next window of a copy or a memset
 * @stream: the stream, from its context's worker
 * @work: the work, at the head of the stream's queue
 *
 * On -EFAULT and -ETIMEDOUT, @work->fault_addr is the first address that
 * could not be reached.
 *
 * Return: 0 (the work is done), ACL_VMM_WORK_AGAIN (a window was done,
 * more remain), ACL_VMM_WORK_BLOCKED (the window waits for a page; the
 * stream's retry timer kicks it again), or an error: -EFAULT (an address
 * was not mapped as needed), -ETIMEDOUT (a page did not come within
 * fault_timeout seconds), -ENOMEM, -ESRCH (the process is gone) or
 * -ECANCELED (the stream is torn down). On error, a prefix of the work
 * may have been done.
 */
static int acl_vmm_engine_run(struct acl_vmm_stream *stream,
			      struct acl_vmm_work *work)
{
	struct acl_vmm_xfer x = {
		.stream = stream,
		.mm = stream->ctx->mm,
		.addr = { work->dst, work->src },
		.nr_ranges = work->type == ACL_VMM_WORK_COPY ? 2 : 1,
		.length = work->length,
		.value = work->value,
	};
	u64 off, n, last;
	int i, ret;

	x.backward = x.nr_ranges == 2 && work->dst > work->src &&
		     work->dst < work->src + work->length;
	for (i = 0; i < x.nr_ranges; i++)
		x.range[i].hmm_pfns = stream->pfns[i];
	n = min_t(u64, x.length - work->progress, ACL_VMM_ENGINE_WINDOW);
	off = x.backward ? x.length - work->progress - n : work->progress;
	last = off + n - 1;
	acl_vmm_xfer_classify(&x, &off, &last);
	n = last - off + 1;
	ret = acl_vmm_xfer_window(&x, off, n, &work->fault_addr);
	if (ret == -EAGAIN)
		return acl_vmm_work_blocked(stream, work);
	if (ret)
		return ret;
	work->blocked_since = 0;
	work->progress += n;
	return work->progress < x.length ? ACL_VMM_WORK_AGAIN : 0;
}

/**
 * acl_vmm_sysmem_submit() - start a copy or memset on the emulated engine
 * @stream: the stream, from its context's worker
 * @work: the work, at the head of the stream's queue
 *
 * The engine is the context's worker itself: the work runs in the turns
 * that acl_vmm_sysmem_run() gets. Its fence is on the stream's engine
 * timeline, in submission order.
 *
 * Return: the work's fence, or ERR_PTR(-ENOMEM).
 */
struct dma_fence *acl_vmm_sysmem_submit(struct acl_vmm_stream *stream,
					struct acl_vmm_work *work)
{
	struct acl_vmm_fence *fence = kzalloc(sizeof(*fence), GFP_KERNEL_ACCOUNT);

	if (!fence)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&fence->lock);
	dma_fence_init(&fence->base, &acl_vmm_fence_ops, &fence->lock,
		       stream->fence_context + 1, ++stream->engine_seqno);
	return &fence->base;
}

/**
 * acl_vmm_sysmem_run() - run the next window of submitted work
 * @stream: the stream, from its context's worker
 * @work: the work, whose fence has not signalled
 *
 * Return: 0 when the work ended and its fence signalled (with its error),
 * ACL_VMM_WORK_AGAIN or ACL_VMM_WORK_BLOCKED.
 */
int acl_vmm_sysmem_run(struct acl_vmm_stream *stream, struct acl_vmm_work *work)
{
	int ret = acl_vmm_engine_run(stream, work);

	if (ret == ACL_VMM_WORK_AGAIN || ret == ACL_VMM_WORK_BLOCKED)
		return ret;
	acl_vmm_fence_signal(work->fence, ret);
	return 0;
}

/**
 * acl_vmm_sysmem_cancel() - drop submitted work at stream teardown
 * @stream: the stream, off its worker
 * @work: the work, whose fence has not signalled
 */
void acl_vmm_sysmem_cancel(struct acl_vmm_stream *stream,
			   struct acl_vmm_work *work)
{
	acl_vmm_fence_signal(work->fence, -ECANCELED);
}
