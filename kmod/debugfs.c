// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: Visibility
 *
 * sysfs, under each device's misc device (/sys/class/misc/acl_vmmN/):
 * capacity, used, free and held (freed, but its pages still referenced
 * elsewhere: part of used), in bytes; alloc_failures, the allocations of
 * its memory that failed since the module was loaded.
 *
 * fdinfo (/proc/PID/fdinfo/FD of an open /dev/acl_vmm): the DRM usage
 * statistics keys, readable by the process's owner (acl_vmm_show_fdinfo()).
 *
 * debugfs (/sys/kernel/debug/acl_vmm/): "contexts" lists every open
 * context, one line of key=value pairs each (process, counts, bytes held
 * per device); each context has a directory "<tgid>-<id>" with "maps", its
 * reservations with the mappings inside them, its handles and its streams
 * (device, work queued, work ended, the failure kept), in the spirit of
 * /proc/PID/maps. acl-vmm-smi reads both.
 *
 * The tracepoints are in trace.h.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sched.h>

#include "acl_vmm.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static struct acl_vmm_device *acl_vmm_dev_of(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct acl_vmm_device, misc);
}

static ssize_t capacity_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", acl_vmm_dev_of(dev)->capacity);
}
static DEVICE_ATTR_RO(capacity);

static ssize_t used_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", acl_vmm_device_usage(acl_vmm_dev_of(dev), NULL));
}
static DEVICE_ATTR_RO(used);

static ssize_t held_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	u64 held;

	acl_vmm_device_usage(acl_vmm_dev_of(dev), &held);
	return sysfs_emit(buf, "%llu\n", held);
}
static DEVICE_ATTR_RO(held);

static ssize_t free_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct acl_vmm_device *d = acl_vmm_dev_of(dev);

	return sysfs_emit(buf, "%llu\n", d->capacity - acl_vmm_device_usage(d, NULL));
}
static DEVICE_ATTR_RO(free);

static ssize_t alloc_failures_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&acl_vmm_dev_of(dev)->alloc_failures));
}
static DEVICE_ATTR_RO(alloc_failures);

static struct attribute *acl_vmm_device_attrs[] = {
	&dev_attr_capacity.attr,
	&dev_attr_used.attr,
	&dev_attr_free.attr,
	&dev_attr_held.attr,
	&dev_attr_alloc_failures.attr,
	NULL,
};

static const struct attribute_group acl_vmm_device_group = {
	.attrs = acl_vmm_device_attrs,
};

/* The sysfs attributes of every device node. */
const struct attribute_group *acl_vmm_device_groups[] = {
	&acl_vmm_device_group,
	NULL,
};

/* What a context holds: counts, and its handles' bytes per device and host. */
struct acl_vmm_ctx_stats {
	unsigned long reservations;
	unsigned long mappings;
	unsigned long handles;
	u64 bytes[ACL_VMM_MAX_DEVICES + 1];	/* [ACL_VMM_MAX_DEVICES]: host */
};

static void acl_vmm_ctx_stats(struct acl_vmm_ctx *ctx, struct acl_vmm_ctx_stats *st)
{
	struct acl_vmm_handle *handle;
	struct acl_vmm_va_node *node;
	struct acl_vmm_object *obj;
	unsigned long id;
	u32 dev;

	memset(st, 0, sizeof(*st));
	mutex_lock(&ctx->lock);
	for (node = acl_vmm_va_first(&ctx->vs.reservations, 0, ULONG_MAX); node;
	     node = acl_vmm_va_next(node, 0, ULONG_MAX))
		st->reservations++;
	for (node = acl_vmm_va_first(&ctx->vs.mappings, 0, ULONG_MAX); node;
	     node = acl_vmm_va_next(node, 0, ULONG_MAX))
		st->mappings++;
	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_HANDLE));
	     id++) {
		handle = container_of(obj, struct acl_vmm_handle, obj);
		st->handles++;
		dev = acl_vmm_mem_device_index(handle->mem);
		st->bytes[dev == ACL_VMM_DEVICE_HOST ? ACL_VMM_MAX_DEVICES : dev] +=
			handle->mem->size;
	}
	mutex_unlock(&ctx->lock);
}

/* One line of "contexts" for @ctx. */
static void acl_vmm_ctx_summary(struct seq_file *m, struct acl_vmm_ctx *ctx)
{
	struct acl_vmm_ctx_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);
	u32 i;

	if (!st)
		return;
	acl_vmm_ctx_stats(ctx, st);
	seq_printf(m, "tgid=%d id=%u comm=%s reservations=%lu mappings=%lu handles=%lu host=%llu",
		   ctx->tgid, ctx->id, ctx->comm, st->reservations, st->mappings,
		   st->handles, st->bytes[ACL_VMM_MAX_DEVICES]);
	for (i = 0; i < ctx->vmm->num_devices; i++)
		seq_printf(m, " dev%u=%llu", i, st->bytes[i]);
	seq_putc(m, '\n');
	kfree(st);
}

/**
 * acl_vmm_show_fdinfo() - /proc/PID/fdinfo/FD of an open /dev/acl_vmm
 * @m: the fdinfo file
 * @filp: the open context
 *
 * The keys of the kernel's DRM usage statistics
 * (Documentation/gpu/drm-usage-stats.rst), which their owner may read
 * without privilege: the driver, the client (the context), the memory it
 * holds per region ("dev0", "dev1", ..., "host"; all of it resident:
 * physical memory here is allocated whole and never paged out) and the
 * busy time of each device's copy engine on its work. The node is not a
 * DRM device (major 226), so tools that read DRM devices only do not take
 * it for one. Then the driver's own keys (acl_vmm-*): the context's
 * reservations, mappings and handles. acl-vmm-smi reads these.
 */
void acl_vmm_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct acl_vmm_ctx *ctx = filp->private_data;
	u32 i, n = ctx->vmm->num_devices;
	struct acl_vmm_ctx_stats *st;
	char region[16];
	u64 b;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return;
	acl_vmm_ctx_stats(ctx, st);
	seq_printf(m, "drm-driver:\t%s\n", KBUILD_MODNAME);
	seq_printf(m, "drm-client-id:\t%u\n", ctx->id);
	for (i = 0; i <= n; i++) {
		b = st->bytes[i == n ? ACL_VMM_MAX_DEVICES : i] >> 10;
		if (i == n)
			strscpy(region, "host", sizeof(region));
		else
			snprintf(region, sizeof(region), "dev%u", i);
		seq_printf(m, "drm-total-%s:\t%llu KiB\n", region, b);
		seq_printf(m, "drm-resident-%s:\t%llu KiB\n", region, b);
	}
	for (i = 0; i < n; i++)
		seq_printf(m, "drm-engine-copy%u:\t%llu ns\n", i,
			   (u64)atomic64_read(&ctx->engine_ns[i]));
	/* The driver's own keys, as acl-vmm-smi shows them. */
	seq_printf(m, "acl_vmm-reservations:\t%lu\n", st->reservations);
	seq_printf(m, "acl_vmm-mappings:\t%lu\n", st->mappings);
	seq_printf(m, "acl_vmm-handles:\t%lu\n", st->handles);
	kfree(st);
}

static int acl_vmm_contexts_show(struct seq_file *m, void *unused)
{
	struct acl_vmm *vmm = m->private;
	struct acl_vmm_ctx *ctx;

	mutex_lock(&vmm->ctx_list_lock);
	list_for_each_entry(ctx, &vmm->ctx_list, node) {
		acl_vmm_ctx_summary(m, ctx);
	}
	mutex_unlock(&vmm->ctx_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(acl_vmm_contexts);

static void acl_vmm_show_reservation(struct seq_file *m, struct acl_vmm_ctx *ctx,
				     struct acl_vmm_reservation *res)
{
	struct acl_vmm_va_node *node;
	struct acl_vmm_mapping *map;
	bool any;
	u32 dev;

	lockdep_assert_held(&ctx->lock);
	seq_printf(m, "%lx-%lx reservation size=%lu flags=%#x mappings=%u\n",
		   res->va.start, res->va.last + 1, res->va.last - res->va.start + 1,
		   res->flags, res->nr_mappings);
	for (node = acl_vmm_va_first(&ctx->vs.mappings, res->va.start, res->va.last);
	     node; node = acl_vmm_va_next(node, res->va.start, res->va.last)) {
		map = container_of(node, struct acl_vmm_mapping, va);
		seq_printf(m, "  %lx-%lx mapping size=%lu handle=%u device=%d access=",
			   map->va.start, map->va.last + 1,
			   map->va.last - map->va.start + 1, map->handle->obj.id,
			   (int)acl_vmm_mem_device_index(map->handle->mem));
		any = false;
		for (dev = 0; dev < ctx->vmm->num_devices; dev++) {
			if (map->access[dev] == ACL_VMM_ACCESS_NONE)
				continue;
			seq_printf(m, "%s%u:%s", any ? "," : "", dev,
				   acl_vmm_access_name(map->access[dev]));
			any = true;
		}
		seq_puts(m, any ? "\n" : "none\n");
	}
}

static int acl_vmm_maps_show(struct seq_file *m, void *unused)
{
	struct acl_vmm_ctx *ctx = m->private;
	struct acl_vmm_reservation *res;
	struct acl_vmm_stream *stream;
	struct acl_vmm_va_node *node;
	struct acl_vmm_handle *handle;
	struct acl_vmm_object *obj;
	unsigned long id;

	mutex_lock(&ctx->lock);
	for (node = acl_vmm_va_first(&ctx->vs.reservations, 0, ULONG_MAX); node;
	     node = acl_vmm_va_next(node, 0, ULONG_MAX)) {
		res = container_of(node, struct acl_vmm_reservation, va);
		acl_vmm_show_reservation(m, ctx, res);
	}
	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_HANDLE));
	     id++) {
		handle = container_of(obj, struct acl_vmm_handle, obj);
		seq_printf(m, "handle %u device=%d size=%llu mapped=%u%s%s\n",
			   obj->id, (int)acl_vmm_mem_device_index(handle->mem),
			   handle->mem->size, handle->map_count,
			   handle->freed ? " freed" : "",
			   handle->imported ? " imported" : "");
	}
	mutex_unlock(&ctx->lock);
	acl_vmm_dmmu_show(m, ctx);
	/* Not under ctx->lock: the last put of a stream waits for its worker. */
	for (id = 0; (obj = acl_vmm_object_next(ctx, &id, ACL_VMM_OBJ_STREAM));
	     id++) {
		stream = acl_vmm_stream_get(ctx, id);
		if (!stream)
			continue;
		spin_lock(&stream->lock);
		seq_printf(m, "stream %u device=%u queued=%u submitted=%llu ended=%llu error=%d\n",
			   stream->obj.id, stream->device,
			   stream->depth, stream->submitted, stream->ended,
			   stream->error);
		spin_unlock(&stream->lock);
		acl_vmm_stream_put(stream);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(acl_vmm_maps);

/**
 * acl_vmm_debugfs_init() - create /sys/kernel/debug/acl_vmm
 * @vmm: the module
 */
void acl_vmm_debugfs_init(struct acl_vmm *vmm)
{
	mutex_init(&vmm->ctx_list_lock);
	INIT_LIST_HEAD(&vmm->ctx_list);
	vmm->debugfs = debugfs_create_dir("acl_vmm", NULL);
	debugfs_create_file("contexts", 0400, vmm->debugfs, vmm,
			    &acl_vmm_contexts_fops);
}

/**
 * acl_vmm_debugfs_fini() - remove /sys/kernel/debug/acl_vmm
 * @vmm: the module
 */
void acl_vmm_debugfs_fini(struct acl_vmm *vmm)
{
	debugfs_remove_recursive(vmm->debugfs);
	WARN_ON(!list_empty(&vmm->ctx_list));
	mutex_destroy(&vmm->ctx_list_lock);
}

/**
 * acl_vmm_ctx_register() - make a new context visible
 * @ctx: the context, opened by the current task
 */
void acl_vmm_ctx_register(struct acl_vmm_ctx *ctx)
{
	struct acl_vmm *vmm = ctx->vmm;
	char name[32];

	ctx->tgid = task_tgid_nr(current);
	get_task_comm(ctx->comm, current);
	mutex_lock(&vmm->ctx_list_lock);
	ctx->id = ++vmm->next_ctx_id;
	list_add_tail(&ctx->node, &vmm->ctx_list);
	mutex_unlock(&vmm->ctx_list_lock);
	snprintf(name, sizeof(name), "%d-%u", ctx->tgid, ctx->id);
	ctx->debugfs = debugfs_create_dir(name, vmm->debugfs);
	debugfs_create_file("maps", 0400, ctx->debugfs, ctx, &acl_vmm_maps_fops);
}

/**
 * acl_vmm_ctx_unregister() - withdraw a context about to be freed
 * @ctx: the context
 *
 * debugfs_remove_recursive() waits for readers of its files.
 */
void acl_vmm_ctx_unregister(struct acl_vmm_ctx *ctx)
{
	debugfs_remove_recursive(ctx->debugfs);
	mutex_lock(&ctx->vmm->ctx_list_lock);
	list_del(&ctx->node);
	mutex_unlock(&ctx->vmm->ctx_list_lock);
}
