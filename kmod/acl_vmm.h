/* SPDX-License-Identifier: GPL-2.0 */
/*
 * acl_vmm: the module's internal objects.
 *
 * DOC: Objects and locking
 *
 * struct acl_vmm is the module: its misc device and its emulated devices.
 * struct acl_vmm_ctx is one open file, bound to the mm of the process that
 * opened it. It holds:
 *
 *  - reservations (struct acl_vmm_reservation): each one a VMA of the
 *    process, created by the module through vm_mmap() on the file itself,
 *    and a node in the context's reservation tree;
 *  - objects (struct acl_vmm_object, object.c) in one table, named by ids:
 *    handles (struct acl_vmm_handle), each one referring to physical
 *    memory (struct acl_vmm_mem), which a backend (struct
 *    acl_vmm_backend_ops) provides; streams and events;
 *  - mappings (struct acl_vmm_mapping): a handle's memory placed at a
 *    range inside a reservation, a node in the mapping tree. Pages are
 *    inserted into the process page tables on fault, and zapped on unmap.
 *
 * Locks, outermost first (the one written order: Documentation/design.rst
 * repeats it; the helpers that need a lock assert it):
 *
 *  1. acl_vmm_ctx.reserve_lock serializes reservations (the address
 *     search and the vm_mmap() that follows it);
 *  2. the mm's mmap_lock: the fault handler and the VMA callbacks run
 *     under it, and unmap takes it for writing so that no fault can
 *     install a page of a mapping being removed;
 *  3. acl_vmm.ctx_list_lock protects the list of contexts: debugfs takes
 *     each context's lock under it;
 *  4. acl_vmm_ctx.lock protects the trees, the handles' and reservations'
 *     state. It is never held across a user copy (a user buffer may lie in
 *     a reservation, whose fault handler takes it);
 *  5. acl_vmm.shares_lock protects the share table, each share and
 *     acl_vmm_mem.share: export takes it under acl_vmm_ctx.lock, import
 *     drops it before taking the importer's;
 *  6. acl_vmm_device.lock (a spinlock) protects a device's usage counter.
 *
 * The object table's own lock (the xarray's spinlock) is taken under all of
 * the above and nothing is taken under it. Streams (struct acl_vmm_stream,
 * stream.c) and events (struct acl_vmm_event, event.c) have locks of
 * their own, taken after all of the above (see their DOC sections); the
 * engine's mirror lock (acl_vmm_stream.mirror_lock) is innermost: the
 * mmu notifier takes it under the mm's own locks, so nothing that may
 * allocate memory or fault is done while it is held.
 *
 * Lifetimes: a reservation's VMA holds a reference to the file, so the
 * file (and the context) outlives every reservation; a mapping holds its
 * handle; a handle holds its memory; memory returns to its device when its
 * last reference goes. Process exit removes the VMAs (their close callback
 * tears down reservations and mappings), then the file's release frees the
 * handles.
 */
#ifndef ACL_VMM_H
#define ACL_VMM_H

#include <linux/dma-direction.h>
#include <linux/dma-fence.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/acl_vmm.h>

#include "compat.h"
#include "vaspace.h"

#define ACL_VMM_CHUNK_SHIFT 21
#define ACL_VMM_CHUNK_SIZE BIT(ACL_VMM_CHUNK_SHIFT)
#define ACL_VMM_CHUNK_ORDER (ACL_VMM_CHUNK_SHIFT - PAGE_SHIFT)
#define ACL_VMM_HUGE1G_SHIFT 30
#define ACL_VMM_VA_START ((unsigned long)ACL_VMM_VA_WINDOW_START)
#define ACL_VMM_VA_END ((unsigned long)(ACL_VMM_VA_WINDOW_START + ACL_VMM_VA_WINDOW_SIZE))
#define ACL_VMM_DEVICE_NONE 0xfffffffeU

struct acl_vmm_dmmu;
struct acl_vmm_mem;
struct acl_vmm_stream;
struct acl_vmm_work;
struct acl_vmm_worker;
struct device;
struct seq_file;
struct sg_table;

/**
 * struct acl_vmm_backend_ops - what a device's driver provides
 * @name: name of the backend
 * @alloc: fill @mem->chunks with @mem->size bytes of zeroed memory; on
 *         failure nothing stays allocated
 * @release: give all of @mem's memory back (what others still reference
 *           lives on with them)
 * @reclaim: at the last reference to device memory: give back what nobody
 *           else references (pinned by GUP, held by a pipe); return the
 *           bytes still referenced elsewhere, which stay charged to the
 *           device until a later call finds them free
 * @page: the CPU view: the struct page backing byte @offset of @mem, which
 *        the fault handlers of a reservation and of a dma-buf map
 * @map_dma_buf: a scatterlist of all of @mem, DMA-mapped for @dev (an
 *               importer's attach and map)
 * @unmap_dma_buf: undo @map_dma_buf
 * @mmu_create: a new, empty device address space of @device for a context
 *              (NULL when out of memory)
 * @mmu_destroy: free one; nothing is mapped in it
 * @mmu_map: program [@va, @va + @length) of @dmmu to @mem from @offset,
 *           with @access (an ACL_VMM_ACCESS_* value: NONE keeps an entry
 *           that grants nothing), over whatever the range held; on error
 *           the range maps nothing. Does not flush the TLB.
 * @mmu_unmap: clear [@va, @va + @length) of @dmmu. Does not flush the TLB.
 * @mmu_release: free the table pages of [@start, @last], a reservation
 *               leaving, that hold no entry
 * @tlb_invalidate: drop the device's cached translations of a range; when
 *                  it returns, no engine of the device reaches memory
 *                  through them
 * @mmu_show: one line of statistics about @dmmu for debugfs
 * @stream_init: set up what the device needs for a new stream of a process
 *               whose mm is @mm (the emulated engine: its HMM mirror)
 * @stream_fini: undo @stream_init, once the stream's work is all ended
 * @submit: start a copy or memset (@work) on @stream's device; return the
 *          fence that signals when it has ended (with the work's error, and
 *          @work->fault_addr set on a fault), or an ERR_PTR
 * @run: for an engine the CPU plays: run the next part of submitted work on
 *       the context's worker; return 0 when its fence signalled,
 *       ACL_VMM_WORK_AGAIN for another turn, ACL_VMM_WORK_BLOCKED when it
 *       waits (it kicks the stream when to try again). NULL for a device
 *       that runs work by itself and signals the fence from its completion
 *       interrupt.
 * @cancel: stop submitted work whose fence has not signalled, at stream
 *          teardown; the fence signals (-ECANCELED) before it returns
 *
 * The core calls these and nothing else of a device: the memory calls
 * through acl_vmm_mem.ops, the rest through acl_vmm_device.ops. The system
 * memory backend (backend_sysmem.c, with devmmu.c's emulated MMU and
 * engine.c's emulated engine) implements all of them.
 * Documentation/design.rst says what an Ascend backend does in each.
 */
struct acl_vmm_backend_ops {
	const char *name;
	int (*alloc)(struct acl_vmm_mem *mem);
	void (*release)(struct acl_vmm_mem *mem);
	u64 (*reclaim)(struct acl_vmm_mem *mem);
	struct page *(*page)(struct acl_vmm_mem *mem, u64 offset);
	struct sg_table *(*map_dma_buf)(struct acl_vmm_mem *mem,
					struct device *dev,
					enum dma_data_direction dir);
	void (*unmap_dma_buf)(struct acl_vmm_mem *mem, struct device *dev,
			      struct sg_table *sgt, enum dma_data_direction dir);
	struct acl_vmm_dmmu *(*mmu_create)(u32 device);
	void (*mmu_destroy)(struct acl_vmm_dmmu *dmmu);
	int (*mmu_map)(struct acl_vmm_dmmu *dmmu, u64 va, u64 length,
		       struct acl_vmm_mem *mem, u64 offset, u32 access);
	void (*mmu_unmap)(struct acl_vmm_dmmu *dmmu, u64 va, u64 length);
	void (*mmu_release)(struct acl_vmm_dmmu *dmmu, u64 start, u64 last);
	void (*tlb_invalidate)(struct acl_vmm_dmmu *dmmu, u64 va, u64 length);
	void (*mmu_show)(struct seq_file *m, struct acl_vmm_dmmu *dmmu);
	int (*stream_init)(struct acl_vmm_stream *stream, struct mm_struct *mm);
	void (*stream_fini)(struct acl_vmm_stream *stream);
	struct dma_fence *(*submit)(struct acl_vmm_stream *stream,
				    struct acl_vmm_work *work);
	int (*run)(struct acl_vmm_stream *stream, struct acl_vmm_work *work);
	void (*cancel)(struct acl_vmm_stream *stream, struct acl_vmm_work *work);
};

extern const struct acl_vmm_backend_ops acl_vmm_sysmem_ops;

/**
 * struct acl_vmm_device - an emulated device
 * @misc: its own node, /dev/acl_vmmN: a context may use the device only
 *        once it attached a descriptor of that node
 * @name: the node's name
 * @index: its index, from 0
 * @ops: its driver (the system memory backend here)
 * @capacity: bytes of memory it has
 * @lock: protects @used and @held
 * @used: bytes of @capacity allocated, by every process
 * @held: bytes of @used that were freed but are still referenced outside
 *        the module (pinned pages): they return at their last reference
 * @alloc_failures: allocations of its memory that failed (out of capacity
 *                  or of pages), for the operators' metrics
 */
struct acl_vmm_device {
	struct miscdevice misc;
	char name[sizeof("acl_vmm") + 10];	/* any u32 index */
	u32 index;
	const struct acl_vmm_backend_ops *ops;
	u64 capacity;
	spinlock_t lock; /* protects @used and @held */
	u64 used;
	u64 held;
	atomic64_t alloc_failures;
};

/**
 * struct acl_vmm - the module
 * @misc: the misc device, /dev/acl_vmm
 * @num_devices: number of emulated devices
 * @devices: the emulated devices
 * @shares_lock: protects @shares, every share and acl_vmm_mem.share
 * @shares: the exported memory (struct acl_vmm_share), hashed by value
 * @ctx_list_lock: protects @ctx_list and @next_ctx_id
 * @ctx_list: every open context, for debugfs
 * @next_ctx_id: the id of the last context opened
 * @debugfs: /sys/kernel/debug/acl_vmm
 * @mnt: the module's pseudo filesystem (main.c), pinned while loaded
 * @mnt_count: the pins of @mnt (simple_pin_fs())
 * @inode: the host of every context's address space, in @mnt
 */
struct acl_vmm {
	struct miscdevice misc;
	u32 num_devices;
	struct acl_vmm_device *devices;
	struct mutex shares_lock; /* protects @shares and acl_vmm_mem.share */
	DECLARE_HASHTABLE(shares, 8);
	struct mutex ctx_list_lock; /* protects @ctx_list, @next_ctx_id */
	struct list_head ctx_list;
	u32 next_ctx_id;
	struct dentry *debugfs;
	struct vfsmount *mnt;
	int mnt_count;
	struct inode *inode;
};

/**
 * struct acl_vmm_share - physical memory exported for other processes
 * @node: in acl_vmm.shares
 * @value: the share value userspace sees: the device in bits 39..32, the
 *         other 56 bits random
 * @live: the export has replied: imports and whitelisting find it
 * @mem: the memory; the share holds no reference: it lives exactly as long
 *       as its memory, which unpublishes it when it goes
 * @exporter: the exporting process (thread group), which may not import
 * @no_pid_check: any process may import, not only whitelisted ones
 * @pids: the whitelist: struct pid by init-namespace id, each referenced
 * @nr_pids: number of entries in @pids
 *
 * Everything is under acl_vmm.shares_lock.
 */
struct acl_vmm_share {
	struct hlist_node node;
	u64 value;
	bool live;
	struct acl_vmm_mem *mem;
	struct pid *exporter;
	bool no_pid_check;
	struct xarray pids;
	unsigned int nr_pids;
};

/**
 * struct acl_vmm_mem - physical memory
 * @kref: one reference per handle naming it
 * @ops: the backend providing it
 * @dev: the device it is charged to, or NULL for host memory
 * @nid: NUMA node to allocate host memory on, or NUMA_NO_NODE
 * @size: bytes
 * @granule_shift: log2 of the granularity (mapping alignment)
 * @nr_chunks: number of 2 MiB chunks
 * @chunks: the chunks, 2 MiB compound pages (backend data)
 * @vmm: the module
 * @share: the share exporting it, if any; under acl_vmm.shares_lock
 * @locked_mm: host memory: the mm whose RLIMIT_MEMLOCK budget (locked_vm)
 *             it is charged to, grabbed; NULL for device memory
 * @release_work: host memory: the end of its release, which uncharges
 *                @locked_mm where no lock is held
 * @held_node: device memory freed while referenced elsewhere: in the list
 *             of held memory (physical.c)
 * @held: bytes of it still referenced elsewhere, charged to @dev
 *
 * Immutable once created but for @share, and, after its release, @chunks
 * and @held (under physical.c's held list lock).
 */
struct acl_vmm_mem {
	struct kref kref;
	const struct acl_vmm_backend_ops *ops;
	struct acl_vmm_device *dev;
	int nid;
	u64 size;
	unsigned int granule_shift;
	unsigned long nr_chunks;
	struct page **chunks;
	struct acl_vmm *vmm;
	struct acl_vmm_share *share;
	struct mm_struct *locked_mm;
	struct work_struct release_work;
	struct list_head held_node;
	u64 held;
};

/**
 * enum acl_vmm_obj_type - the types of objects (object.c)
 * @ACL_VMM_OBJ_HANDLE: struct acl_vmm_handle
 * @ACL_VMM_OBJ_STREAM: struct acl_vmm_stream
 * @ACL_VMM_OBJ_EVENT: struct acl_vmm_event
 * @ACL_VMM_OBJ_TYPES: the number of types
 * @ACL_VMM_OBJ_ANY: for lookups: any type
 */
enum acl_vmm_obj_type {
	ACL_VMM_OBJ_HANDLE,
	ACL_VMM_OBJ_STREAM,
	ACL_VMM_OBJ_EVENT,
	ACL_VMM_OBJ_TYPES,
	ACL_VMM_OBJ_ANY = ACL_VMM_OBJ_TYPES,
};

/**
 * struct acl_vmm_proc - what the contexts of one process share: its limits
 * @node: in the module's table of processes (object.c), by @mm
 * @mm: the process's mm, the key (each context holds it grabbed)
 * @users: the contexts sharing it; under the table's lock
 * @nr_objects: the objects of each type in all its contexts
 * @nr_work: the work queued on all its streams, not ended yet
 * @waitq: woken when queued work ends, for submitters waiting for room
 *
 * A process may open the device many times: what limits a context also
 * limits the process, across all its files (ACL_VMM_MAX_STREAMS,
 * ACL_VMM_MAX_EVENTS, the max_queued_work parameter).
 */
struct acl_vmm_proc {
	struct hlist_node node;
	struct mm_struct *mm;
	unsigned int users;
	atomic_t nr_objects[ACL_VMM_OBJ_TYPES];
	atomic_t nr_work;
	wait_queue_head_t waitq;
};

/**
 * struct acl_vmm_object - what every object of a context has (object.c)
 * @id: the id userspace knows it by, its index in acl_vmm_ctx.objects
 * @type: an enum acl_vmm_obj_type
 * @live: the command that made it has replied: lookups find it; under the
 *        table's lock
 * @users: one reference for the table, one for each user
 */
struct acl_vmm_object {
	u32 id;
	enum acl_vmm_obj_type type;
	bool live;
	struct kref users;
};

/**
 * struct acl_vmm_handle - a context's name for physical memory
 * @obj: the object; removed from the table under acl_vmm_ctx.lock
 * @mem: the memory (a reference is held)
 * @map_count: number of mappings of it; under acl_vmm_ctx.lock
 * @refs: references userspace holds (the allocation or import, and each
 *        ACL_VMM_RETAIN); under acl_vmm_ctx.lock
 * @freed: userspace dropped its last reference; it goes at the last
 *         unmap; under acl_vmm_ctx.lock
 * @imported: it was made by importing a share
 * @import_device: the device it was imported for
 */
struct acl_vmm_handle {
	struct acl_vmm_object obj;
	struct acl_vmm_mem *mem;
	unsigned int map_count;
	unsigned int refs;
	bool freed;
	bool imported;
	u32 import_device;
};

/**
 * enum acl_vmm_res_state - life of a reservation
 * @ACL_VMM_RES_PENDING: being created; its VMA may not exist yet
 * @ACL_VMM_RES_LIVE: in the tree, usable
 * @ACL_VMM_RES_DYING: being released; no new mapping may enter it
 */
enum acl_vmm_res_state {
	ACL_VMM_RES_PENDING,
	ACL_VMM_RES_LIVE,
	ACL_VMM_RES_DYING,
};

/**
 * struct acl_vmm_reservation - a reserved range of device VA
 * @va: the range, a node of acl_vmm_vaspace.reservations once live
 * @kref: one reference for the reservation itself (held by the reserve
 *        call, then by the tree), one per VMA pointing at it (its own, and
 *        copies made by fork after MADV_DOFORK or by a refused mremap)
 * @ctx: the context owning it
 * @vma: the VMA backing it, NULL before mmap and after close; under
 *       acl_vmm_ctx.lock
 * @creator: the task creating it, while pending
 * @flags: ACL_VMM_RESERVE_* flags it was created with
 * @device: device index of the memory mapped in it, ACL_VMM_DEVICE_HOST for
 *          host memory, ACL_VMM_DEVICE_NONE while it holds no mapping
 * @nr_mappings: number of mappings inside it
 * @state: an enum acl_vmm_res_state
 *
 * All members but @va.start, @va.last, @kref, @ctx and @flags are under
 * acl_vmm_ctx.lock.
 */
struct acl_vmm_reservation {
	struct acl_vmm_va_node va;
	struct kref kref;
	struct acl_vmm_ctx *ctx;
	struct vm_area_struct *vma;
	struct task_struct *creator;
	u32 flags;
	u32 device;
	unsigned int nr_mappings;
	enum acl_vmm_res_state state;
};

/**
 * struct acl_vmm_mapping - a handle's memory mapped into a reservation
 * @va: the range, a node of acl_vmm_vaspace.mappings
 * @res: the reservation holding it
 * @handle: the handle mapped (its map_count counts this mapping)
 * @access: each device's right to it, an enum acl_vmm_access; the device
 *          tables hold the same (devmmu.c); under acl_vmm_ctx.lock and
 *          acl_vmm_ctx.dmmu_lock
 *
 * Created whole and removed whole; under acl_vmm_ctx.lock.
 */
struct acl_vmm_mapping {
	struct acl_vmm_va_node va;
	struct acl_vmm_reservation *res;
	struct acl_vmm_handle *handle;
	u8 access[ACL_VMM_MAX_DEVICES];
};

/* Translations a device TLB holds (devmmu.c). */
#define ACL_VMM_TLB_ENTRIES 64

/**
 * struct acl_vmm_tlb_entry - one translation cached by a device TLB
 * @va: the first address the leaf translates
 * @pte: the leaf entry, or 0 for an empty slot
 * @shift: log2 of the leaf's size
 */
struct acl_vmm_tlb_entry {
	u64 va;
	u64 pte;
	unsigned int shift;
};

/**
 * struct acl_vmm_dmmu - the MMU of one device for one context (devmmu.c)
 * @device: the device
 * @root: the level-0 table
 * @nr_tables: pages of tables, @root included
 * @bytes: bytes mapped by 4 KiB, 2 MiB and 1 GiB leaves
 * @tlb: the TLB, direct-mapped by 2 MiB frame
 * @tlb_hits: translations the TLB answered
 * @tlb_misses: translations that walked the table
 * @tlb_invalidations: range invalidations
 *
 * Everything is under acl_vmm_ctx.dmmu_lock.
 */
struct acl_vmm_dmmu {
	u32 device;
	u64 *root;
	unsigned long nr_tables;
	u64 bytes[3];
	struct acl_vmm_tlb_entry tlb[ACL_VMM_TLB_ENTRIES];
	u64 tlb_hits;
	u64 tlb_misses;
	u64 tlb_invalidations;
};

/**
 * struct acl_vmm_ctx - one open file: a process's device context
 * @vmm: the module
 * @mm: the opener's mm (mmgrab'd); ioctls from any other mm are refused
 * @reserve_lock: serializes reservation creation
 * @lock: protects @vs, @pending, the handles' and reservations' state
 * @vs: reservations and mappings
 * @objects: handles, streams and events by id (object.c); each holds a
 *           reference to its object
 * @proc: what the process's contexts share (its limits)
 * @pending: the reservation whose vm_mmap() is under way, if any
 * @next_va: where the next address search starts; under @reserve_lock
 * @fault_hint: the mapping the last fault found: faults come in runs on one
 *              mapping (the populate after a map, a sequential touch), so
 *              it spares a tree walk; under @lock, cleared with the mapping
 * @devices: the devices attached (ACL_VMM_ATTACH), the only ones it may
 *           use; set atomically, never cleared
 * @dmmu_lock: protects @dmmu, @peers, every mapping's access and the
 *             tables; held by the engine while it copies a window
 * @dmmu: each device's MMU for this context, created at its first entry
 * @peers: per device, the devices whose memory its work may reach (bit
 *         per peer)
 * @worker_lock: serializes the creation of @worker
 * @worker: the thread that runs the context's streams, created with the
 *          first stream; set once, under @worker_lock
 * @engine_ns: per device, the nanoseconds its copy engine spent on the
 *             context's work (fdinfo's drm-engine-copyN)
 * @node: in acl_vmm.ctx_list
 * @tgid: the opener's process id, for display
 * @id: a number unique among the contexts, for display (fdinfo's
 *      drm-client-id)
 * @comm: the opener's command name, for display
 * @debugfs: its debugfs directory
 * @mapping: the file's own address space (file->f_mapping): it holds the
 *           context's VMAs only, so that unmap_mapping_range() on it zaps
 *           this context's pages and nobody else's. File offsets are the
 *           device VAs themselves.
 */
struct acl_vmm_ctx {
	struct acl_vmm *vmm;
	struct mm_struct *mm;
	struct mutex reserve_lock; /* serializes reservation creation */
	struct mutex lock; /* protects the VA space and objects' state */
	struct acl_vmm_vaspace vs;
	struct xarray objects;
	struct acl_vmm_proc *proc;
	struct acl_vmm_reservation *pending;
	unsigned long next_va;
	struct acl_vmm_mapping *fault_hint;
	DECLARE_BITMAP(devices, ACL_VMM_MAX_DEVICES);
	struct mutex dmmu_lock; /* the device tables, peers and rights */
	struct acl_vmm_dmmu *dmmu[ACL_VMM_MAX_DEVICES];
	u64 peers[ACL_VMM_MAX_DEVICES];
	struct mutex worker_lock; /* serializes the creation of the worker */
	struct acl_vmm_worker *worker;
	atomic64_t engine_ns[ACL_VMM_MAX_DEVICES];
	struct list_head node;
	pid_t tgid;
	u32 id;
	char comm[TASK_COMM_LEN];
	struct dentry *debugfs;
	struct address_space mapping;
};

/**
 * enum acl_vmm_work_type - what a piece of stream work does
 * @ACL_VMM_WORK_COPY: copy acl_vmm_work.length bytes from .src to .dst
 * @ACL_VMM_WORK_MEMSET: fill acl_vmm_work.length bytes at .dst with .value
 * @ACL_VMM_WORK_RECORD: signal acl_vmm_work.fence (an event's record)
 * @ACL_VMM_WORK_WAIT: hold the stream until acl_vmm_work.fence signals
 */
enum acl_vmm_work_type {
	ACL_VMM_WORK_COPY,
	ACL_VMM_WORK_MEMSET,
	ACL_VMM_WORK_RECORD,
	ACL_VMM_WORK_WAIT,
};

/**
 * struct acl_vmm_fence - the fence of one event record
 * @base: the fence, signalled when its stream reaches the record
 * @lock: the fence's lock (a fence may outlive its stream)
 * @reached: CLOCK_MONOTONIC time it was reached, written before @base
 *           is signalled
 */
struct acl_vmm_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence's own */
	ktime_t reached;
};

/**
 * struct acl_vmm_work - one piece of work queued on a stream
 * @node: in acl_vmm_stream.queue; under acl_vmm_stream.lock
 * @kref: one reference for the queue, one for a submitter waiting for it
 * @stream: the stream it is queued on
 * @type: an enum acl_vmm_work_type
 * @flags: ACL_VMM_WORK_* flags of the submission
 * @cmd: the ACL_VMM_CMD_* that queued it, for error reports
 * @dst: first address written (COPY, MEMSET)
 * @src: first address read (COPY)
 * @length: bytes (COPY, MEMSET)
 * @value: the byte written (MEMSET)
 * @fence: RECORD: the fence it signals; WAIT: the fence it waits for; a
 *         reference is held
 * @cb: WAIT: wakes the stream when @fence signals; armed by the worker
 * @cb_armed: @cb is installed on @fence; only the stream's worker and its
 *            teardown (with the worker stopped) touch it
 * @done: the work ended; under acl_vmm_stream.lock
 * @error: its result once @done: 0 or a negative errno
 * @fault_addr: with -EFAULT or -ETIMEDOUT, the first address not reached
 * @progress: COPY, MEMSET: bytes done; the engine runs a window per turn
 * @blocked_since: COPY, MEMSET: jiffies when the current window began to
 *                 wait for a page that was not there, or 0
 * @backoff: COPY, MEMSET: jiffies until the next try of a waiting window
 */
struct acl_vmm_work {
	struct list_head node;
	struct kref kref;
	struct acl_vmm_stream *stream;
	enum acl_vmm_work_type type;
	u32 flags;
	u32 cmd;
	u64 dst;
	u64 src;
	u64 length;
	u8 value;
	struct dma_fence *fence;
	struct dma_fence_cb cb;
	bool cb_armed;
	bool done;
	int error;
	u64 fault_addr;
	u64 progress;
	unsigned long blocked_since;
	unsigned long backoff;
};

/* The two ranges a copy reaches (a memset, the first), and their indexes. */
enum {
	ACL_VMM_RANGE_DST,
	ACL_VMM_RANGE_SRC,
	ACL_VMM_RANGES,
};

#define ACL_VMM_ENGINE_WINDOW SZ_2M
#define ACL_VMM_ENGINE_WINDOW_PAGES ((ACL_VMM_ENGINE_WINDOW >> PAGE_SHIFT) + 1)

/**
 * struct acl_vmm_mirror - an interval notifier of a stream's mirror
 * @mni: the notifier, inserted while a window runs over its range
 * @stream: the stream it belongs to
 * @inserted: @mni is in the mm's interval tree
 */
struct acl_vmm_mirror {
	struct mmu_interval_notifier mni;
	struct acl_vmm_stream *stream;
	bool inserted;
};

/**
 * struct acl_vmm_stream - a queue of work a device runs in order
 * @obj: the object
 * @device: the device it belongs to
 * @ctx: the context; it outlives the stream
 * @turn: in acl_vmm_worker.runnable while the stream waits for a turn
 *        of its context's worker; empty otherwise; under the worker's lock
 * @retry: kicks the worker when a window waiting for a page is to be
 *         tried again
 * @lock: protects @queue, @depth, @submitted, @ended, @error,
 *        @fault_addr, @fault_cmd, @closed, @fence_seqno and every queued
 *        work's @done, @error
 * @queue: the work not ended yet, in submission order; the head is the
 *         one running
 * @depth: number of entries in @queue
 * @submitted: pieces of work ever queued
 * @ended: pieces of work ever ended (a prefix of @submitted)
 * @error: the first failure since the last synchronize, or 0
 * @fault_addr: with @error -EFAULT, where
 * @fault_cmd: the ACL_VMM_CMD_* of the work that failed
 * @closed: the stream is destroyed: no more work is accepted
 * @dying: the stream is being torn down: the worker stops at once
 * @cancelling: ACL_VMM_DESTROY_FORCE: its copies and memsets end cancelled,
 *              its waits are dropped
 * @waitq: woken when work ends (synchronize, destroy, room in @queue)
 * @fence_context: the dma-fence timeline of its records
 * @fence_seqno: the sequence number of its last record
 * @engine_seqno: the sequence number of the last fence its device's
 *                engine gave (on timeline @fence_context + 1)
 * @mirror_lock: held by the worker while it touches the pages of a
 *               window, and by the mirror's invalidation: a range
 *               invalidated (unmapped, freed, migrated) is never touched
 *               after its invalidation returns
 * @mirror: its mirror of the process, per range of the current window:
 *          an interval notifier over the host pages that window touches,
 *          inserted for the window only (nouveau's SVM does the same per
 *          fault), so that invalidations elsewhere never wait for it
 * @pfns: the pages of the current window of each range
 */
struct acl_vmm_stream {
	struct acl_vmm_object obj;
	u32 device;
	struct acl_vmm_ctx *ctx;
	struct list_head turn;
	struct timer_list retry;
	spinlock_t lock; /* protects the queue and the counters */
	struct list_head queue;
	unsigned int depth;
	u64 submitted;
	u64 ended;
	int error;
	u64 fault_addr;
	u32 fault_cmd;
	bool closed;
	bool dying;
	bool cancelling;
	wait_queue_head_t waitq;
	u64 fence_context;
	u64 fence_seqno;
	u64 engine_seqno;
	struct mutex mirror_lock; /* excludes invalidation from page access */
	struct acl_vmm_mirror mirror[ACL_VMM_RANGES];
	unsigned long *pfns[ACL_VMM_RANGES];
};

/**
 * struct acl_vmm_event - a point in a stream that others can wait for
 * @obj: the object
 * @lock: protects @last
 * @last: the fence of its latest record, or NULL if never recorded
 */
struct acl_vmm_event {
	struct acl_vmm_object obj;
	spinlock_t lock; /* protects @last */
	struct dma_fence *last;
};

/**
 * struct acl_vmm_ucmd - one ioctl call, as the dispatcher hands it over
 * @ctx: the caller's context
 * @file: the file the ioctl was made on
 * @ubuffer: the user's struct
 * @user_size: its size, as the user gave it
 * @cmd: the kernel copy of the struct
 */
struct acl_vmm_ucmd {
	struct acl_vmm_ctx *ctx;
	struct file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int acl_vmm_ucmd_respond(struct acl_vmm_ucmd *ucmd, size_t cmd_len);

/* object.c */
int acl_vmm_objects_init(struct acl_vmm_ctx *ctx);
void acl_vmm_objects_fini(struct acl_vmm_ctx *ctx);
int acl_vmm_object_alloc(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj,
			 enum acl_vmm_obj_type type);
void acl_vmm_object_finalize(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
void acl_vmm_object_abort(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
int acl_vmm_object_respond(struct acl_vmm_ucmd *ucmd, size_t cmd_len,
			   struct acl_vmm_object *obj);
int acl_vmm_object_install(struct acl_vmm_ucmd *ucmd, size_t cmd_len,
			   struct acl_vmm_object *obj,
			   enum acl_vmm_obj_type type, u32 *id);
bool acl_vmm_object_remove(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
struct acl_vmm_object *acl_vmm_object_find(struct acl_vmm_ctx *ctx, u32 id,
					   enum acl_vmm_obj_type type);
struct acl_vmm_object *acl_vmm_object_get(struct acl_vmm_ctx *ctx, u32 id,
					  enum acl_vmm_obj_type type);
void acl_vmm_object_put(struct acl_vmm_object *obj);
struct acl_vmm_object *acl_vmm_object_next(struct acl_vmm_ctx *ctx,
					   unsigned long *id,
					   enum acl_vmm_obj_type type);
int acl_vmm_ioctl_destroy(struct acl_vmm_ucmd *ucmd);

/* device.c */
int acl_vmm_devices_init(struct acl_vmm *vmm, u32 num_devices, u64 bytes_each);
void acl_vmm_devices_fini(struct acl_vmm *vmm);
struct acl_vmm_device *acl_vmm_ctx_device(struct acl_vmm_ctx *ctx, u32 index);
int acl_vmm_ioctl_attach(struct acl_vmm_ucmd *ucmd);
int acl_vmm_device_charge(struct acl_vmm_device *dev, u64 bytes);
void acl_vmm_device_uncharge(struct acl_vmm_device *dev, u64 bytes);
u64 acl_vmm_device_usage(struct acl_vmm_device *dev, u64 *held);
void acl_vmm_device_hold(struct acl_vmm_device *dev, u64 bytes);
void acl_vmm_device_unhold(struct acl_vmm_device *dev, u64 bytes);
int acl_vmm_ioctl_get_info(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_device_info(struct acl_vmm_ucmd *ucmd);

/* physical.c */
int acl_vmm_physical_init(void);
void acl_vmm_physical_drain(void);
void acl_vmm_physical_fini(void);
u32 acl_vmm_mem_device_index(const struct acl_vmm_mem *mem);
void acl_vmm_mem_get(struct acl_vmm_mem *mem);
void acl_vmm_mem_put(struct acl_vmm_mem *mem);
struct acl_vmm_handle *acl_vmm_handle_lookup(struct acl_vmm_ctx *ctx, u32 id);
struct acl_vmm_handle *acl_vmm_handle_install(struct acl_vmm_ctx *ctx,
					      struct acl_vmm_mem *mem,
					      bool imported, u32 import_device);
int acl_vmm_handle_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
int acl_vmm_ioctl_retain(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_handle_info(struct acl_vmm_ucmd *ucmd);
void acl_vmm_handle_release(struct acl_vmm_object *obj);
void acl_vmm_handle_unmapped(struct acl_vmm_ctx *ctx, struct acl_vmm_handle *handle);
void acl_vmm_handles_destroy(struct acl_vmm_ctx *ctx);
int acl_vmm_ioctl_alloc(struct acl_vmm_ucmd *ucmd);

/* debugfs.c */
extern const struct attribute_group *acl_vmm_device_groups[];
void acl_vmm_show_fdinfo(struct seq_file *m, struct file *filp);
void acl_vmm_debugfs_init(struct acl_vmm *vmm);
void acl_vmm_debugfs_fini(struct acl_vmm *vmm);
void acl_vmm_ctx_register(struct acl_vmm_ctx *ctx);
void acl_vmm_ctx_unregister(struct acl_vmm_ctx *ctx);

/* share.c */
void acl_vmm_shares_init(struct acl_vmm *vmm);
void acl_vmm_shares_fini(struct acl_vmm *vmm);
void acl_vmm_share_unpublish(struct acl_vmm_mem *mem);
int acl_vmm_ioctl_get_tgid(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_export(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_set_pids(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_import(struct acl_vmm_ucmd *ucmd);

/* dmabuf.c */
int acl_vmm_ioctl_export_dmabuf(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_import_dmabuf(struct acl_vmm_ucmd *ucmd);

/* reservation.c */
int acl_vmm_mmap(struct file *filp, struct vm_area_struct *vma);
bool acl_vmm_vma_is_reservation(struct vm_area_struct *vma);
int acl_vmm_ioctl_reserve(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_release(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_reset(struct acl_vmm_ucmd *ucmd);

/* engine.c: the system memory backend's emulated engine */
/* What a turn of work returns for work it has not finished. */
enum {
	ACL_VMM_WORK_AGAIN = 1,	/* a window was done: more in the next turn */
	ACL_VMM_WORK_BLOCKED,	/* waits: a page (the retry timer is armed), a fence */
};

struct dma_fence *acl_vmm_sysmem_submit(struct acl_vmm_stream *stream,
					struct acl_vmm_work *work);
int acl_vmm_sysmem_run(struct acl_vmm_stream *stream, struct acl_vmm_work *work);
void acl_vmm_sysmem_cancel(struct acl_vmm_stream *stream,
			   struct acl_vmm_work *work);
int acl_vmm_stream_mirror_init(struct acl_vmm_stream *stream,
			       struct mm_struct *mm);
void acl_vmm_stream_mirror_fini(struct acl_vmm_stream *stream);

/* worker.c */
int acl_vmm_worker_start(struct acl_vmm_ctx *ctx);
void acl_vmm_worker_stop(struct acl_vmm_ctx *ctx);
void acl_vmm_worker_kick(struct acl_vmm_stream *stream);
void acl_vmm_worker_cancel(struct acl_vmm_stream *stream);

/* stream.c */
bool acl_vmm_stream_run(struct acl_vmm_stream *stream);
void acl_vmm_ctx_streams_destroy(struct acl_vmm_ctx *ctx);
struct acl_vmm_stream *acl_vmm_stream_get(struct acl_vmm_ctx *ctx, u32 id);
void acl_vmm_stream_put(struct acl_vmm_stream *stream);
int acl_vmm_stream_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
void acl_vmm_stream_cancel_queued(struct acl_vmm_object *obj);
void acl_vmm_stream_release(struct acl_vmm_object *obj);
struct acl_vmm_work *acl_vmm_work_alloc(enum acl_vmm_work_type type, u32 cmd);
void acl_vmm_work_put(struct acl_vmm_work *work);
int acl_vmm_stream_queue(struct acl_vmm_stream *stream,
			 struct acl_vmm_work *work);
int acl_vmm_ioctl_stream_create(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_stream_sync(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_device_sync(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_copy(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_memset(struct acl_vmm_ucmd *ucmd);

/* event.c */
extern const struct dma_fence_ops acl_vmm_fence_ops;
void acl_vmm_ctx_events_destroy(struct acl_vmm_ctx *ctx);
void acl_vmm_fence_signal(struct dma_fence *fence, int error);
int acl_vmm_event_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_object *obj);
void acl_vmm_event_release(struct acl_vmm_object *obj);
int acl_vmm_ioctl_event_create(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_event_record(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_event_wait(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_event_sync(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_event_query(struct acl_vmm_ucmd *ucmd);

/* access.c */
void acl_vmm_dmmus_fini(struct acl_vmm_ctx *ctx);
int acl_vmm_dmmu_map(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map);
void acl_vmm_dmmu_unmap(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map);
void acl_vmm_dmmu_release_range(struct acl_vmm_ctx *ctx, u64 start, u64 last);
bool acl_vmm_dmmu_peer_enabled(struct acl_vmm_ctx *ctx, u32 device, u32 peer);
int acl_vmm_dmmu_enable_peer(struct acl_vmm_ctx *ctx, u32 device, u32 peer);
void acl_vmm_dmmu_show(struct seq_file *m, struct acl_vmm_ctx *ctx);
const char *acl_vmm_access_name(u32 access);
int acl_vmm_ioctl_set_access(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_get_access(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_peer(struct acl_vmm_ucmd *ucmd);

/* devmmu.c: the system memory backend's emulated MMU */
struct acl_vmm_dmmu *acl_vmm_sysmem_mmu_create(u32 device);
void acl_vmm_sysmem_mmu_destroy(struct acl_vmm_dmmu *dmmu);
int acl_vmm_sysmem_mmu_map(struct acl_vmm_dmmu *dmmu, u64 va, u64 length,
			   struct acl_vmm_mem *mem, u64 offset, u32 access);
void acl_vmm_sysmem_mmu_unmap(struct acl_vmm_dmmu *dmmu, u64 va, u64 length);
void acl_vmm_sysmem_mmu_release(struct acl_vmm_dmmu *dmmu, u64 start, u64 last);
void acl_vmm_sysmem_tlb_invalidate(struct acl_vmm_dmmu *dmmu, u64 va, u64 length);
void acl_vmm_sysmem_mmu_show(struct seq_file *m, struct acl_vmm_dmmu *dmmu);
int acl_vmm_dmmu_translate(struct acl_vmm_ctx *ctx, u32 device, u64 va,
			   bool write, unsigned long *pfn, u64 *run, u32 *owner);

/* mapping.c */
void acl_vmm_mapping_destroy(struct acl_vmm_ctx *ctx, struct acl_vmm_mapping *map);
struct page *acl_vmm_mapping_page(struct acl_vmm_ctx *ctx, unsigned long addr);
int acl_vmm_ioctl_map(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_unmap(struct acl_vmm_ucmd *ucmd);
int acl_vmm_ioctl_query(struct acl_vmm_ucmd *ucmd);

#endif /* ACL_VMM_H */
