/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * acl_vmm: device virtual memory management for ACL runtimes.
 *
 * One open file of /dev/acl_vmm is one process's device context: its
 * reservations of device virtual addresses, its physical memory handles and
 * the mappings of those handles into the reservations. Device virtual
 * addresses are the process's own virtual addresses (shared virtual
 * memory): a reservation is a range of the process's address space inside
 * the device VA window, and a mapped handle is readable and writable by the
 * CPU at the same address.
 *
 * Every ioctl takes a pointer to a struct whose first member is its size in
 * bytes, as userspace knows it. A smaller size than the kernel's is
 * accepted when it covers the mandatory members; a larger one when every
 * byte the kernel does not know is zero. Unknown flags and non-zero
 * reserved members are refused with -EINVAL, unknown commands with -ENOTTY,
 * and any ioctl from a process other than the one that opened the file with
 * -EPERM.
 *
 * Devices: each emulated device N also has a node of its own,
 * /dev/acl_vmmN. A context may use device N only after ACL_VMM_ATTACH with
 * a file descriptor of that node: a process (a container) that cannot open
 * a device's node cannot use the device.
 */
#ifndef _UAPI_LINUX_ACL_VMM_H
#define _UAPI_LINUX_ACL_VMM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define ACL_VMM_TYPE 0xAC

/* Start of the device VA window (16 TiB) and its size (64 TiB). */
#define ACL_VMM_VA_WINDOW_START _BITULL(44)
#define ACL_VMM_VA_WINDOW_SIZE _BITULL(46)
/* Granularity of every page type but the 1 GiB ones, and of those. */
#define ACL_VMM_PAGE_SIZE _BITULL(21)
#define ACL_VMM_HUGE1G_PAGE_SIZE _BITULL(30)
/* The most devices the module has (its num_devices parameter). */
#define ACL_VMM_MAX_DEVICES 64
/* The device index of host memory, where one is reported. */
#define ACL_VMM_DEVICE_HOST 0xffffffffU

/*
 * The commands. The list is append-only: a command keeps its number, its
 * struct and its meaning once released (Documentation/uapi.rst).
 */
enum {
	ACL_VMM_CMD_BASE = 0x80,
	ACL_VMM_CMD_GET_INFO = ACL_VMM_CMD_BASE,
	ACL_VMM_CMD_DEVICE_INFO,
	ACL_VMM_CMD_DESTROY,
	ACL_VMM_CMD_RESERVE,
	ACL_VMM_CMD_RELEASE,
	ACL_VMM_CMD_ALLOC,
	ACL_VMM_CMD_MAP,
	ACL_VMM_CMD_UNMAP,
	ACL_VMM_CMD_QUERY,
	ACL_VMM_CMD_RESET,
	ACL_VMM_CMD_ATTACH,
	ACL_VMM_CMD_GET_TGID,
	ACL_VMM_CMD_EXPORT,
	ACL_VMM_CMD_SET_PIDS,
	ACL_VMM_CMD_IMPORT,
	ACL_VMM_CMD_EXPORT_DMABUF,
	ACL_VMM_CMD_IMPORT_DMABUF,
	ACL_VMM_CMD_STREAM_CREATE,
	ACL_VMM_CMD_STREAM_SYNC,
	ACL_VMM_CMD_DEVICE_SYNC,
	ACL_VMM_CMD_COPY,
	ACL_VMM_CMD_MEMSET,
	ACL_VMM_CMD_EVENT_CREATE,
	ACL_VMM_CMD_EVENT_RECORD,
	ACL_VMM_CMD_EVENT_WAIT,
	ACL_VMM_CMD_EVENT_SYNC,
	ACL_VMM_CMD_EVENT_QUERY,
	ACL_VMM_CMD_SET_ACCESS,
	ACL_VMM_CMD_GET_ACCESS,
	ACL_VMM_CMD_PEER,
	ACL_VMM_CMD_RETAIN,
	ACL_VMM_CMD_HANDLE_INFO,
};

/**
 * struct acl_vmm_info - ioctl(ACL_VMM_GET_INFO)
 * @size: sizeof(struct acl_vmm_info)
 * @flags: must be 0
 * @num_devices: out: number of emulated devices
 * @__reserved: must be 0
 * @va_start: out: first address of the device VA window
 * @va_size: out: size of the device VA window
 * @page_size: out: granularity of normal and huge physical memory
 * @huge1g_page_size: out: granularity of 1 GiB physical memory
 * @abi_version: out: the module's ACL_VMM_ABI_VERSION (0 from a module
 *               older than the member, which leaves it as sent)
 * @__reserved2: must be 0
 * @caps: out: ACL_VMM_CAP_* bits, the feature groups the module has
 *
 * Userspace checks @abi_version and @caps once, when it opens the device:
 * a library that needs a feature group the module lacks can say so then,
 * instead of failing at the first command of the group (ENOTTY).
 */
struct acl_vmm_info {
	__u32 size;
	__u32 flags;
	__u32 num_devices;
	__u32 __reserved;
	__aligned_u64 va_start;
	__aligned_u64 va_size;
	__aligned_u64 page_size;
	__aligned_u64 huge1g_page_size;
	__u32 abi_version;
	__u32 __reserved2;
	__aligned_u64 caps;
};

/*
 * The ABI's version. From version 2 on, commands, struct members and
 * capability bits are only ever appended, and each new feature group
 * comes with a capability bit of its own; the version changes only if an
 * existing command's meaning does (Documentation/uapi.rst). Version 3
 * made copies and memsets go through each device's page table (peer
 * access and rights); version 2 let any device reach any device memory of
 * the process. Version 1 had
 * per-type destroy commands and shared structs between commands.
 */
#define ACL_VMM_ABI_VERSION 3
/* Reservations, physical memory, mappings, queries, reset, device nodes,
 * ACL_VMM_DESTROY.
 */
#define ACL_VMM_CAP_CORE _BITULL(0)
/* Shareable handles: export, whitelist, import, bare tgid. */
#define ACL_VMM_CAP_SHARE _BITULL(1)
/* dma-buf export and import. */
#define ACL_VMM_CAP_DMABUF _BITULL(2)
/* Streams, events, copies and memsets on the device engine. */
#define ACL_VMM_CAP_STREAMS _BITULL(3)
/*
 * Hardened sharing: share values are random capabilities, an unknown, gone
 * or refused share gets one answer (-ENOENT), importing needs the node of
 * the memory's device.
 */
#define ACL_VMM_CAP_SHARE_HARDENED _BITULL(4)
/*
 * Device page tables: each device reaches device memory through a table of
 * its own; ACL_VMM_SET_ACCESS, ACL_VMM_GET_ACCESS, ACL_VMM_PEER,
 * ACL_VMM_MAP_NOACCESS; copies between devices need peer access.
 */
#define ACL_VMM_CAP_DEVICE_MMU _BITULL(5)
/*
 * Handle references and properties: ACL_VMM_RETAIN (each destroy of a
 * handle drops one reference), ACL_VMM_HANDLE_INFO.
 */
#define ACL_VMM_CAP_HANDLE_REFS _BITULL(6)
/* Stream control: ACL_VMM_DESTROY_FORCE, ACL_VMM_STREAM_SYNC_QUERY. */
#define ACL_VMM_CAP_STREAM_CONTROL _BITULL(7)
/* ACL_VMM_SET_PIDS_CLOSE: the exporter withdraws a share. */
#define ACL_VMM_CAP_SHARE_CLOSE _BITULL(8)
/* ACL_VMM_STREAM_SYNC_TIMEOUT and ACL_VMM_EVENT_SYNC_TIMEOUT: bounded waits. */
#define ACL_VMM_CAP_SYNC_TIMEOUT _BITULL(9)

#define ACL_VMM_GET_INFO _IO(ACL_VMM_TYPE, ACL_VMM_CMD_GET_INFO)

/**
 * struct acl_vmm_device_info - ioctl(ACL_VMM_DEVICE_INFO)
 * @size: sizeof(struct acl_vmm_device_info)
 * @flags: must be 0
 * @device: in: device index, below acl_vmm_info.num_devices
 * @__reserved: must be 0
 * @capacity: out: bytes of memory the device has
 * @used: out: bytes of it allocated, by every process
 *
 * -ENODEV for a device index out of range.
 */
struct acl_vmm_device_info {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 __reserved;
	__aligned_u64 capacity;
	__aligned_u64 used;
};

#define ACL_VMM_DEVICE_INFO _IO(ACL_VMM_TYPE, ACL_VMM_CMD_DEVICE_INFO)

/*
 * Objects: physical memory handles, streams and events are objects of
 * the context, named by ids from one table: an id names one object of one
 * type, is never 0 and is at most 0x7fffffff. An id becomes usable only
 * once the command that made the object has returned successfully; when
 * that command fails (its reply could not be copied back, say) the object
 * never existed. Every object goes with ACL_VMM_DESTROY, and all of them
 * with the file.
 */

/* ACL_VMM_DESTROY of a stream: cancel its queued work instead of waiting. */
#define ACL_VMM_DESTROY_FORCE _BITUL(0)

/**
 * struct acl_vmm_destroy - ioctl(ACL_VMM_DESTROY)
 * @size: sizeof(struct acl_vmm_destroy)
 * @flags: 0, or ACL_VMM_DESTROY_FORCE for a stream
 * @id: the object: a handle, a stream or an event
 * @__reserved: must be 0
 *
 * Destroys the object; a live object's destroy always succeeds. A handle
 * still mapped stays, its id too, until its last unmap; its memory stays
 * while anything refers to it (a share's importers, a dma-buf). A stream
 * is closed to new work and the call waits for the work queued on it to
 * end; only a fatal signal cuts the wait short (-EINTR: the stream is gone
 * then, and its work ends or is cancelled with the context). With
 * ACL_VMM_DESTROY_FORCE the copies and memsets not yet run are cancelled
 * (the one running stops after its current piece) and waits are dropped;
 * records still signal; the call returns when that is done. A handle holds
 * one reference per ALLOC or import and per ACL_VMM_RETAIN: each destroy
 * drops one, and the handle is destroyed with the last. An event
 * goes at once: work already queued that records it or waits for it is
 * not affected. -ENOENT for an id that names no object, -EALREADY for a
 * handle destroyed already and still mapped.
 */
struct acl_vmm_destroy {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

#define ACL_VMM_DESTROY _IO(ACL_VMM_TYPE, ACL_VMM_CMD_DESTROY)

/**
 * enum acl_vmm_reserve_flags - flags of struct acl_vmm_reserve
 * @ACL_VMM_RESERVE_FIXED: place the reservation at @addr exactly
 * @ACL_VMM_RESERVE_MALLOC: the reservation backs one aclrtMalloc block
 *                          (ACL_VMM_QUERY reports it: pointer attributes,
 *                          aclrtFree and peer access tell the kinds apart)
 */
enum acl_vmm_reserve_flags {
	ACL_VMM_RESERVE_FIXED = 1 << 0,
	ACL_VMM_RESERVE_MALLOC = 1 << 1,
};

/**
 * struct acl_vmm_reserve - ioctl(ACL_VMM_RESERVE)
 * @size: sizeof(struct acl_vmm_reserve)
 * @flags: a combination of enum acl_vmm_reserve_flags
 * @length: bytes to reserve, a non-zero multiple of ACL_VMM_PAGE_SIZE
 * @addr: in with ACL_VMM_RESERVE_FIXED: the address wanted, a multiple of
 *        ACL_VMM_HUGE1G_PAGE_SIZE; out: the address of the reservation
 *
 * Reserves a range of the caller's address space inside the device VA
 * window. Nothing else can be placed in it until it is released. Errors:
 * -EINVAL for a bad length, flag or alignment, -ERANGE when a fixed range
 * is not inside the window, -EEXIST when any part of a fixed range is
 * occupied, -ENOMEM when no free range is large enough.
 */
struct acl_vmm_reserve {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__aligned_u64 addr;
};

#define ACL_VMM_RESERVE _IO(ACL_VMM_TYPE, ACL_VMM_CMD_RESERVE)

/**
 * struct acl_vmm_release - ioctl(ACL_VMM_RELEASE)
 * @size: sizeof(struct acl_vmm_release)
 * @flags: must be 0
 * @addr: start of the reservation
 *
 * -ENOENT when @addr is not the start of a reservation, -EBUSY when the
 * reservation still holds mappings (nothing is changed).
 */
struct acl_vmm_release {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
};

#define ACL_VMM_RELEASE _IO(ACL_VMM_TYPE, ACL_VMM_CMD_RELEASE)

/**
 * enum acl_vmm_location - where physical memory lives
 * @ACL_VMM_LOCATION_HOST: host memory (id must be 0)
 * @ACL_VMM_LOCATION_DEVICE: memory of device @id
 * @ACL_VMM_LOCATION_HOST_NUMA: host memory of NUMA node @id
 */
enum acl_vmm_location {
	ACL_VMM_LOCATION_HOST = 0,
	ACL_VMM_LOCATION_DEVICE = 1,
	ACL_VMM_LOCATION_HOST_NUMA = 4,
};

/**
 * enum acl_vmm_alloc_flags - flags of struct acl_vmm_alloc
 * @ACL_VMM_ALLOC_HUGE1G: 1 GiB granularity (length and mapping alignment)
 */
enum acl_vmm_alloc_flags {
	ACL_VMM_ALLOC_HUGE1G = 1 << 0,
};

/**
 * struct acl_vmm_alloc - ioctl(ACL_VMM_ALLOC)
 * @size: sizeof(struct acl_vmm_alloc)
 * @flags: a combination of enum acl_vmm_alloc_flags
 * @location: an enum acl_vmm_location
 * @location_id: device index or NUMA node
 * @length: bytes, a non-zero multiple of the granularity
 * @handle: out: id of the new physical memory handle
 * @__reserved: must be 0
 *
 * Allocates zeroed physical memory, charged to the device's capacity and
 * to the caller's memory cgroup. Errors: -ENODEV for a bad device,
 * -EINVAL for a bad length, location or flag, -ENOMEM when the device or
 * the host has not enough memory left (nothing is allocated then).
 */
struct acl_vmm_alloc {
	__u32 size;
	__u32 flags;
	__u32 location;
	__u32 location_id;
	__aligned_u64 length;
	__u32 handle;
	__u32 __reserved;
};

#define ACL_VMM_ALLOC _IO(ACL_VMM_TYPE, ACL_VMM_CMD_ALLOC)

/**
 * struct acl_vmm_map - ioctl(ACL_VMM_MAP)
 * @size: sizeof(struct acl_vmm_map)
 * @flags: 0 or ACL_VMM_MAP_NOACCESS
 * @addr: where to map, aligned to the handle's granularity
 * @length: bytes to map, a multiple of the granularity
 * @offset: offset into the handle, must be 0
 * @handle: the physical memory handle
 * @__reserved: must be 0
 *
 * Maps the first @length bytes of @handle at @addr, inside one
 * reservation. Errors: -ENOENT for an unknown or freed handle, -EINVAL for
 * misalignment, -EFBIG when @length exceeds the handle, -ENXIO when the
 * range is not inside one reservation, -EEXIST when a page of it is
 * already mapped, -EXDEV when the reservation holds another device's
 * memory.
 *
 * The device the memory was allocated on (for an imported handle, the
 * device it was imported for) gets ACL_VMM_ACCESS_READWRITE in its device
 * table; with ACL_VMM_MAP_NOACCESS no device gets any right until
 * ACL_VMM_SET_ACCESS grants one.
 */
struct acl_vmm_map {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__aligned_u64 offset;
	__u32 handle;
	__u32 __reserved;
};

/* Map without granting any device access (aclrtMemMapNoAccess). */
#define ACL_VMM_MAP_NOACCESS _BITUL(0)

#define ACL_VMM_MAP _IO(ACL_VMM_TYPE, ACL_VMM_CMD_MAP)

/**
 * struct acl_vmm_unmap - ioctl(ACL_VMM_UNMAP)
 * @size: sizeof(struct acl_vmm_unmap)
 * @flags: must be 0
 * @addr: start of a mapping
 *
 * Removes the mapping from the page tables at once. -ENOENT when @addr is
 * not the start of a mapping.
 */
struct acl_vmm_unmap {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
};

#define ACL_VMM_UNMAP _IO(ACL_VMM_TYPE, ACL_VMM_CMD_UNMAP)

/**
 * enum acl_vmm_query_flags - flags of struct acl_vmm_query
 * @ACL_VMM_QUERY_RANGE: the whole of [@addr, @addr + @length) must be
 *                       mapped, through consecutive mappings
 */
enum acl_vmm_query_flags {
	ACL_VMM_QUERY_RANGE = 1 << 0,
};

/**
 * enum acl_vmm_query_result - bits of acl_vmm_query.result
 * @ACL_VMM_QUERY_MAPPED: @addr is mapped; @map_* describe the mapping
 * @ACL_VMM_QUERY_MALLOC: the reservation backs an aclrtMalloc block
 */
enum acl_vmm_query_result {
	ACL_VMM_QUERY_MAPPED = 1 << 0,
	ACL_VMM_QUERY_MALLOC = 1 << 1,
};

/**
 * struct acl_vmm_query - ioctl(ACL_VMM_QUERY)
 * @size: sizeof(struct acl_vmm_query)
 * @flags: ACL_VMM_QUERY_RANGE or 0
 * @addr: an address
 * @length: with ACL_VMM_QUERY_RANGE, bytes from @addr that must be mapped
 * @res_start: out: start of the reservation holding @addr
 * @res_length: out: its length
 * @map_start: out: start of the mapping holding @addr
 * @map_length: out: its length
 * @handle: out: the handle mapped there
 * @device: out: its device index, or ACL_VMM_DEVICE_HOST for host memory
 * @result: out: enum acl_vmm_query_result bits
 * @__reserved: must be 0
 *
 * -ENOENT when @addr is in no reservation; -EFAULT when
 * ACL_VMM_QUERY_RANGE was asked and part of the range is not mapped.
 */
struct acl_vmm_query {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__aligned_u64 res_start;
	__aligned_u64 res_length;
	__aligned_u64 map_start;
	__aligned_u64 map_length;
	__u32 handle;
	__u32 device;
	__u32 result;
	__u32 __reserved;
};

#define ACL_VMM_QUERY _IO(ACL_VMM_TYPE, ACL_VMM_CMD_QUERY)

/**
 * struct acl_vmm_reset - ioctl(ACL_VMM_RESET)
 * @size: sizeof(struct acl_vmm_reset)
 * @flags: must be 0
 *
 * Releases every reservation (unmapping what is mapped in it) and frees
 * every handle of the context, as aclFinalize does. Closing the file alone
 * does not: like any mmap(), reservations outlive the descriptor, until
 * they are released or the process exits.
 */
struct acl_vmm_reset {
	__u32 size;
	__u32 flags;
};

#define ACL_VMM_RESET _IO(ACL_VMM_TYPE, ACL_VMM_CMD_RESET)

/**
 * struct acl_vmm_attach - ioctl(ACL_VMM_ATTACH)
 * @size: sizeof(struct acl_vmm_attach)
 * @flags: must be 0
 * @fd: an open file descriptor of a device node, /dev/acl_vmmN
 * @device: out: the device's index, N
 *
 * Lets the context use the device. -EBADF for a bad descriptor, -EINVAL
 * for a descriptor of anything but a device node of this module. Before
 * it, every command naming the device fails with -ENODEV.
 */
struct acl_vmm_attach {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 device;
};

#define ACL_VMM_ATTACH _IO(ACL_VMM_TYPE, ACL_VMM_CMD_ATTACH)

/**
 * struct acl_vmm_tgid - ioctl(ACL_VMM_GET_TGID)
 * @size: sizeof(struct acl_vmm_tgid)
 * @flags: must be 0
 * @tgid: out: the caller's process id as the initial pid namespace sees it
 *        (the id to whitelist, whatever namespace the caller runs in)
 * @__reserved: must be 0
 */
struct acl_vmm_tgid {
	__u32 size;
	__u32 flags;
	__s32 tgid;
	__u32 __reserved;
};

#define ACL_VMM_GET_TGID _IO(ACL_VMM_TYPE, ACL_VMM_CMD_GET_TGID)

/*
 * A share value: the exporting device in bits 39..32, the other 56 bits
 * random. It is a capability: whoever holds the value and is allowed (the
 * whitelist) may import; a value nobody was told cannot be found.
 */
#define ACL_VMM_SHARE_DEVICE_SHIFT 32
#define ACL_VMM_SHARE_DEVICE_MASK 0xffULL
/* Most processes one share may name. */
#define ACL_VMM_SHARE_MAX_PIDS 65535

/**
 * enum acl_vmm_export_flags - flags of struct acl_vmm_export
 * @ACL_VMM_EXPORT_NO_PID_CHECK: any process may import the share
 */
enum acl_vmm_export_flags {
	ACL_VMM_EXPORT_NO_PID_CHECK = 1 << 0,
};

/**
 * struct acl_vmm_export - ioctl(ACL_VMM_EXPORT)
 * @size: sizeof(struct acl_vmm_export)
 * @flags: a combination of enum acl_vmm_export_flags
 * @handle: a handle of device memory
 * @__reserved: must be 0
 * @share: out: the share naming its memory, for other processes
 *
 * Memory can be exported once: -EEXIST after that. -ENOENT for an unknown
 * handle, -EINVAL for host memory. The share lives as long as its memory,
 * that is as long as any process holds a handle of it. It can be named
 * only once this call has returned successfully.
 */
struct acl_vmm_export {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 share;
};

#define ACL_VMM_EXPORT _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EXPORT)

/*
 * ACL_VMM_SET_PIDS: withdraw the share instead (@pids and @count 0): no
 * import finds it any more; handles imported already keep the memory.
 */
#define ACL_VMM_SET_PIDS_CLOSE _BITUL(0)

/**
 * struct acl_vmm_set_pids - ioctl(ACL_VMM_SET_PIDS)
 * @size: sizeof(struct acl_vmm_set_pids)
 * @flags: 0 or ACL_VMM_SET_PIDS_CLOSE
 * @share: a share this process exported
 * @pids: pointer to an array of __s32 process ids, as the initial pid
 *        namespace sees them (see ACL_VMM_GET_TGID)
 * @count: number of ids, at least 1
 * @__reserved: must be 0
 *
 * Adds the processes to the share's whitelist; they are held by identity,
 * so that a process reusing an id later is not whitelisted. -ENOENT for a
 * share that is unknown, gone, or that the caller did not export (alike),
 * -ESRCH for an id that names no process (nothing is added then), -E2BIG
 * when the share would name more than ACL_VMM_SHARE_MAX_PIDS processes.
 */
struct acl_vmm_set_pids {
	__u32 size;
	__u32 flags;
	__aligned_u64 share;
	__aligned_u64 pids;
	__u32 count;
	__u32 __reserved;
};

#define ACL_VMM_SET_PIDS _IO(ACL_VMM_TYPE, ACL_VMM_CMD_SET_PIDS)

/**
 * struct acl_vmm_import - ioctl(ACL_VMM_IMPORT)
 * @size: sizeof(struct acl_vmm_import)
 * @flags: must be 0
 * @share: a share exported by another process
 * @device: the attached device the importer uses it from
 * @handle: out: a new handle of the shared memory
 *
 * -ENOENT for a share that is unknown, gone, or that the caller may not
 * import (not whitelisted): alike, so that no caller learns whether a share
 * it may not use exists. -EPERM when the caller exported it, -EEXIST when
 * the caller already holds an imported handle of it for @device, -ENODEV
 * for @device not attached, or when the memory's own device is not
 * attached: reaching another device's memory needs that device's node.
 */
struct acl_vmm_import {
	__u32 size;
	__u32 flags;
	__aligned_u64 share;
	__u32 device;
	__u32 handle;
};

#define ACL_VMM_IMPORT _IO(ACL_VMM_TYPE, ACL_VMM_CMD_IMPORT)

/**
 * struct acl_vmm_export_dmabuf - ioctl(ACL_VMM_EXPORT_DMABUF)
 * @size: sizeof(struct acl_vmm_export_dmabuf)
 * @flags: must be 0
 * @handle: the handle to export
 * @fd: out: a dma-buf file descriptor of the handle's memory (close-on-exec)
 *
 * A dma-buf keeps the memory alive until its last reference goes; it can
 * be passed over a Unix socket, imported by this module in any process,
 * imported by other drivers, and mmap()-ed. -ENOENT for an unknown handle.
 */
struct acl_vmm_export_dmabuf {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__s32 fd;
};

#define ACL_VMM_EXPORT_DMABUF _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EXPORT_DMABUF)

/**
 * struct acl_vmm_import_dmabuf - ioctl(ACL_VMM_IMPORT_DMABUF)
 * @size: sizeof(struct acl_vmm_import_dmabuf)
 * @flags: must be 0
 * @fd: a dma-buf file descriptor exported by this module
 * @handle: out: a new handle of its memory
 *
 * -EBADF for a bad descriptor, -EINVAL for a dma-buf of another exporter.
 */
struct acl_vmm_import_dmabuf {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 handle;
};

#define ACL_VMM_IMPORT_DMABUF _IO(ACL_VMM_TYPE, ACL_VMM_CMD_IMPORT_DMABUF)

/*
 * Streams and events.
 *
 * A stream is a queue of work that the device it belongs to runs in
 * submission order, asynchronously, concurrently with other streams.
 * Work reads and writes the submitting process's addresses (device memory
 * and host memory alike) through a mirror of its page tables: an address
 * that is not mapped when the work reaches it fails the work with -EFAULT
 * instead of touching anything. The first failure on a stream is kept and
 * reported by the next ACL_VMM_STREAM_SYNC or ACL_VMM_DEVICE_SYNC, which
 * then clear it; while it is kept, later copies and memsets on the stream
 * are not run (they fail with -ECANCELED) so that nothing runs on data an
 * earlier step failed to produce. Records and waits still run.
 *
 * An event marks a point in a stream: ACL_VMM_EVENT_RECORD queues the
 * point, which completes when the stream reaches it; ACL_VMM_EVENT_WAIT
 * makes a stream wait until the event's latest record (as of the call)
 * completes. An event never recorded has nothing to wait for.
 */

/*
 * Most streams and events a process may hold, in all the files it opened,
 * and work queued on one stream. The work a process may have queued on
 * all its streams is the module's max_queued_work parameter.
 */
#define ACL_VMM_MAX_STREAMS 1024
#define ACL_VMM_MAX_EVENTS 65536
#define ACL_VMM_STREAM_DEPTH 4096

/**
 * struct acl_vmm_stream_create - ioctl(ACL_VMM_STREAM_CREATE)
 * @size: sizeof(struct acl_vmm_stream_create)
 * @flags: must be 0
 * @device: an attached device, which runs the stream's work
 * @stream: out: the new stream's id
 *
 * Every stream runs on a worker of its own. -ENODEV for a device not
 * attached, -EBUSY when the process holds ACL_VMM_MAX_STREAMS streams
 * already.
 */
struct acl_vmm_stream_create {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 stream;
};

#define ACL_VMM_STREAM_CREATE _IO(ACL_VMM_TYPE, ACL_VMM_CMD_STREAM_CREATE)

/**
 * struct acl_vmm_fault - how a piece of work failed (out)
 * @error: 0, or the negative errno of the work (-EFAULT: an address was
 *         not mapped; -EPERM: it is mapped, but the device running the
 *         work has no access to it; -EACCES: the device may read it only,
 *         and the work writes; -EXDEV: it is another device's memory and
 *         peer access to that device is not enabled; -ETIMEDOUT: a host
 *         page did not come in time; -ENOMEM: out of memory; -ESRCH: the
 *         process was exiting; -ECANCELED: not run after an earlier
 *         failure)
 * @cmd: the ACL_VMM_CMD_* of the work that failed
 * @addr: with -EFAULT, -EPERM, -EACCES, -EXDEV and -ETIMEDOUT, the first
 *        address of the range that could not be reached
 */
struct acl_vmm_fault {
	__s32 error;
	__u32 cmd;
	__aligned_u64 addr;
};

/* ACL_VMM_STREAM_SYNC: do not wait, tell whether the stream is idle. */
#define ACL_VMM_STREAM_SYNC_QUERY _BITUL(0)
/* ACL_VMM_STREAM_SYNC: wait @timeout_ms milliseconds at most. */
#define ACL_VMM_STREAM_SYNC_TIMEOUT _BITUL(1)

/**
 * struct acl_vmm_stream_sync - ioctl(ACL_VMM_STREAM_SYNC)
 * @size: sizeof(struct acl_vmm_stream_sync)
 * @flags: 0, ACL_VMM_STREAM_SYNC_QUERY or ACL_VMM_STREAM_SYNC_TIMEOUT
 * @stream: the stream
 * @timeout_ms: with ACL_VMM_STREAM_SYNC_TIMEOUT, the longest wait in
 *              milliseconds (0: do not wait); must be 0 otherwise
 * @fault: out: the first failure of the stream's work since the last
 *         synchronize, if any
 *
 * Waits, interruptibly, until all the work queued before the call has
 * ended; then reports and clears the first failure. An interrupted wait
 * changes nothing and returns -ERESTARTSYS (restarted by the kernel when
 * the signal handler allows it, -EINTR otherwise). -ENOENT for an unknown
 * stream. With ACL_VMM_STREAM_SYNC_QUERY the call does not wait: -EBUSY
 * when work queued before it has not ended, 0 otherwise; the failure is
 * neither reported nor cleared. With ACL_VMM_STREAM_SYNC_TIMEOUT the wait
 * ends after @timeout_ms: -ETIMEDOUT when the work has not ended by then
 * (the failure is neither reported nor cleared); a signal ends it with
 * -EINTR (a timed wait is not restarted: the caller knows what is left).
 */
struct acl_vmm_stream_sync {
	__u32 size;
	__u32 flags;
	__u32 stream;
	__u32 timeout_ms;
	struct acl_vmm_fault fault;
};

#define ACL_VMM_STREAM_SYNC _IO(ACL_VMM_TYPE, ACL_VMM_CMD_STREAM_SYNC)

/**
 * struct acl_vmm_device_sync - ioctl(ACL_VMM_DEVICE_SYNC)
 * @size: sizeof(struct acl_vmm_device_sync)
 * @flags: must be 0
 * @device: an attached device
 * @__reserved: must be 0
 * @fault: out: the first failure found on the context's streams of the
 *         device, if any
 *
 * As ACL_VMM_STREAM_SYNC for every stream of this context on @device: it
 * waits for all of them first, then takes and clears their failures.
 * -ENODEV for a device not attached.
 */
struct acl_vmm_device_sync {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 __reserved;
	struct acl_vmm_fault fault;
};

#define ACL_VMM_DEVICE_SYNC _IO(ACL_VMM_TYPE, ACL_VMM_CMD_DEVICE_SYNC)

/**
 * enum acl_vmm_work_flags - flags of struct acl_vmm_copy and acl_vmm_memset
 * @ACL_VMM_WORK_SYNC: wait (killably) for this work to end and report its
 *                     own result in @fault; it does not become the
 *                     stream's kept failure
 */
enum acl_vmm_work_flags {
	ACL_VMM_WORK_SYNC = 1 << 0,
};

/**
 * struct acl_vmm_copy - ioctl(ACL_VMM_COPY)
 * @size: sizeof(struct acl_vmm_copy)
 * @flags: a combination of enum acl_vmm_work_flags
 * @stream: the stream to queue the copy on
 * @__reserved: must be 0
 * @dst: first address written
 * @src: first address read
 * @length: bytes, at least 1; any alignment. Overlapping ranges are
 *          copied as memmove() does.
 * @fault: out, with ACL_VMM_WORK_SYNC: the copy's own result
 *
 * Queues the copy and returns. -EINVAL for a zero length or a range that
 * wraps, -EFAULT for a range beyond the user address space, -ENOENT for
 * an unknown stream. When the stream holds ACL_VMM_STREAM_DEPTH pieces of
 * work, or the process max_queued_work on all its streams, waits
 * (interruptibly) for room.
 */
struct acl_vmm_copy {
	__u32 size;
	__u32 flags;
	__u32 stream;
	__u32 __reserved;
	__aligned_u64 dst;
	__aligned_u64 src;
	__aligned_u64 length;
	struct acl_vmm_fault fault;
};

#define ACL_VMM_COPY _IO(ACL_VMM_TYPE, ACL_VMM_CMD_COPY)

/**
 * struct acl_vmm_memset - ioctl(ACL_VMM_MEMSET)
 * @size: sizeof(struct acl_vmm_memset)
 * @flags: a combination of enum acl_vmm_work_flags
 * @stream: the stream to queue the memset on
 * @value: the byte written, 0 to 255
 * @dst: first address written
 * @length: bytes, at least 1; any alignment
 * @fault: out, with ACL_VMM_WORK_SYNC: the memset's own result
 *
 * As ACL_VMM_COPY, with one range written.
 */
struct acl_vmm_memset {
	__u32 size;
	__u32 flags;
	__u32 stream;
	__u32 value;
	__aligned_u64 dst;
	__aligned_u64 length;
	struct acl_vmm_fault fault;
};

#define ACL_VMM_MEMSET _IO(ACL_VMM_TYPE, ACL_VMM_CMD_MEMSET)

/**
 * struct acl_vmm_event_create - ioctl(ACL_VMM_EVENT_CREATE)
 * @size: sizeof(struct acl_vmm_event_create)
 * @flags: must be 0
 * @event: out: the new event's id
 * @__reserved: must be 0
 *
 * -EBUSY when the process holds ACL_VMM_MAX_EVENTS events already.
 */
struct acl_vmm_event_create {
	__u32 size;
	__u32 flags;
	__u32 event;
	__u32 __reserved;
};

#define ACL_VMM_EVENT_CREATE _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EVENT_CREATE)

/**
 * struct acl_vmm_event_record - ioctl(ACL_VMM_EVENT_RECORD)
 * @size: sizeof(struct acl_vmm_event_record)
 * @flags: must be 0
 * @event: the event
 * @stream: the stream whose current end the event marks
 *
 * -ENOENT for an unknown event or stream. Like any work, it waits for
 * room on a full stream.
 */
struct acl_vmm_event_record {
	__u32 size;
	__u32 flags;
	__u32 event;
	__u32 stream;
};

#define ACL_VMM_EVENT_RECORD _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EVENT_RECORD)

/**
 * struct acl_vmm_event_wait - ioctl(ACL_VMM_EVENT_WAIT)
 * @size: sizeof(struct acl_vmm_event_wait)
 * @flags: must be 0
 * @stream: the stream that waits
 * @event: the event, whose latest record (as of the call) it waits for
 *
 * -ENOENT for an unknown event or stream. Like any work, it waits for
 * room on a full stream; an event never recorded queues nothing.
 */
struct acl_vmm_event_wait {
	__u32 size;
	__u32 flags;
	__u32 stream;
	__u32 event;
};

#define ACL_VMM_EVENT_WAIT _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EVENT_WAIT)

/* ACL_VMM_EVENT_SYNC: wait @timeout_ms milliseconds at most. */
#define ACL_VMM_EVENT_SYNC_TIMEOUT _BITUL(0)

/**
 * struct acl_vmm_event_sync - ioctl(ACL_VMM_EVENT_SYNC)
 * @size: sizeof(struct acl_vmm_event_sync)
 * @flags: 0 or ACL_VMM_EVENT_SYNC_TIMEOUT
 * @event: the event
 * @timeout_ms: with ACL_VMM_EVENT_SYNC_TIMEOUT, the longest wait in
 *              milliseconds (0: do not wait); must be 0 otherwise
 *
 * Waits, interruptibly (-ERESTARTSYS), until the event's latest record
 * completes; at once when it was never recorded. -ENOENT for an unknown
 * event. With ACL_VMM_EVENT_SYNC_TIMEOUT: -ETIMEDOUT when the record has
 * not completed after @timeout_ms, -EINTR when a signal came first.
 */
struct acl_vmm_event_sync {
	__u32 size;
	__u32 flags;
	__u32 event;
	__u32 timeout_ms;
};

#define ACL_VMM_EVENT_SYNC _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EVENT_SYNC)

/**
 * enum acl_vmm_event_status - status of an event's latest record
 * @ACL_VMM_EVENT_NONE: never recorded
 * @ACL_VMM_EVENT_PENDING: recorded, not reached yet
 * @ACL_VMM_EVENT_COMPLETE: reached; @timestamp_ns says when
 */
enum acl_vmm_event_status {
	ACL_VMM_EVENT_NONE = 0,
	ACL_VMM_EVENT_PENDING = 1,
	ACL_VMM_EVENT_COMPLETE = 2,
};

/**
 * struct acl_vmm_event_query - ioctl(ACL_VMM_EVENT_QUERY)
 * @size: sizeof(struct acl_vmm_event_query)
 * @flags: must be 0
 * @event: the event
 * @status: out: an enum acl_vmm_event_status
 * @timestamp_ns: out: with ACL_VMM_EVENT_COMPLETE, when the stream reached
 *                the record, in CLOCK_MONOTONIC nanoseconds
 */
struct acl_vmm_event_query {
	__u32 size;
	__u32 flags;
	__u32 event;
	__u32 status;
	__aligned_u64 timestamp_ns;
};

#define ACL_VMM_EVENT_QUERY _IO(ACL_VMM_TYPE, ACL_VMM_CMD_EVENT_QUERY)

/**
 * enum acl_vmm_access - a device's right to a mapping (CANN's values)
 * @ACL_VMM_ACCESS_NONE: the device's engine may not touch it
 * @ACL_VMM_ACCESS_READ: it may read it
 * @ACL_VMM_ACCESS_READWRITE: it may read and write it
 */
enum acl_vmm_access {
	ACL_VMM_ACCESS_NONE = 0,
	ACL_VMM_ACCESS_READ = 1,
	ACL_VMM_ACCESS_READWRITE = 3,
};

/**
 * struct acl_vmm_access_desc - one device's right, for ACL_VMM_SET_ACCESS
 * @device: the device
 * @access: an enum acl_vmm_access
 */
struct acl_vmm_access_desc {
	__u32 device;
	__u32 access;
};

/**
 * struct acl_vmm_set_access - ioctl(ACL_VMM_SET_ACCESS)
 * @size: sizeof(struct acl_vmm_set_access)
 * @flags: must be 0
 * @addr: the start of a mapping of device memory
 * @length: its length, exactly
 * @descs: user pointer to @count struct acl_vmm_access_desc
 * @count: 1 to ACL_VMM_MAX_DEVICES; a device named twice gets its last
 * @__reserved: must be 0
 *
 * Programs each device's table with its right to the mapping. A right
 * removed or lowered is gone from the device's table and TLB when the
 * call returns: work that reaches the range afterwards faults (-EPERM or
 * -EACCES); work running when the call came either finished the window
 * it was copying before the change or faults after it. Errors: -ENOENT
 * when @addr/@length is not exactly one mapping, -ENODEV for a device not
 * attached, -EINVAL for a bad access value, -EOPNOTSUPP for host memory
 * (every device reaches it), -ENOMEM. On error no right changed.
 */
struct acl_vmm_set_access {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__aligned_u64 descs;
	__u32 count;
	__u32 __reserved;
};

#define ACL_VMM_SET_ACCESS _IO(ACL_VMM_TYPE, ACL_VMM_CMD_SET_ACCESS)

/**
 * struct acl_vmm_get_access - ioctl(ACL_VMM_GET_ACCESS)
 * @size: sizeof(struct acl_vmm_get_access)
 * @flags: must be 0
 * @addr: an address inside a mapping
 * @device: the device asked about
 * @access: out: its enum acl_vmm_access (host memory: READWRITE)
 *
 * -ENOENT when nothing is mapped at @addr, -ENODEV for an unknown device.
 */
struct acl_vmm_get_access {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__u32 device;
	__u32 access;
};

#define ACL_VMM_GET_ACCESS _IO(ACL_VMM_TYPE, ACL_VMM_CMD_GET_ACCESS)

/* ACL_VMM_PEER: disable instead of enable. */
#define ACL_VMM_PEER_DISABLE _BITUL(0)

/**
 * struct acl_vmm_peer - ioctl(ACL_VMM_PEER)
 * @size: sizeof(struct acl_vmm_peer)
 * @flags: 0 to enable, ACL_VMM_PEER_DISABLE to disable
 * @device: the device whose work will reach the peer's memory
 * @peer: the peer
 *
 * Peer access is per direction: work running on @device may reach
 * memory of @peer (its aclrtMalloc memory at once, a VMM mapping where
 * ACL_VMM_SET_ACCESS gave @device a right). Enabling twice or disabling
 * what is not enabled succeeds. Disabling waits for the window being
 * copied, like a change of rights. -ENODEV when either device is not
 * attached, -EINVAL when they are the same.
 */
struct acl_vmm_peer {
	__u32 size;
	__u32 flags;
	__u32 device;
	__u32 peer;
};

#define ACL_VMM_PEER _IO(ACL_VMM_TYPE, ACL_VMM_CMD_PEER)

/**
 * struct acl_vmm_retain - ioctl(ACL_VMM_RETAIN)
 * @size: sizeof(struct acl_vmm_retain)
 * @flags: must be 0
 * @addr: the first byte of a mapping
 * @handle: out: the handle mapped there
 * @__reserved: must be 0
 *
 * Takes a reference on the handle of the mapping that starts at @addr
 * (aclrtMemRetainAllocationHandle): one more ACL_VMM_DESTROY of it is
 * needed before it goes. A handle destroyed already and still mapped is
 * live again. -ENOENT when no mapping starts at @addr.
 */
struct acl_vmm_retain {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__u32 handle;
	__u32 __reserved;
};

#define ACL_VMM_RETAIN _IO(ACL_VMM_TYPE, ACL_VMM_CMD_RETAIN)

/* acl_vmm_handle_info.result bits */
#define ACL_VMM_HANDLE_IMPORTED _BITUL(0)

/**
 * struct acl_vmm_handle_info - ioctl(ACL_VMM_HANDLE_INFO)
 * @size: sizeof(struct acl_vmm_handle_info)
 * @flags: must be 0
 * @handle: the handle
 * @location: out: ACL_VMM_LOCATION_* of its memory
 * @location_id: out: the device index, or the NUMA node for
 *               ACL_VMM_LOCATION_HOST_NUMA, or 0
 * @alloc_flags: out: the ACL_VMM_ALLOC_* flags it was allocated with
 * @result: out: ACL_VMM_HANDLE_IMPORTED for a handle made by an import
 * @import_device: out: with ACL_VMM_HANDLE_IMPORTED, the device it was
 *                 imported for
 * @length: out: its size in bytes
 *
 * -ENOENT for an unknown or destroyed handle.
 */
struct acl_vmm_handle_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 location;
	__u32 location_id;
	__u32 alloc_flags;
	__u32 result;
	__u32 import_device;
	__aligned_u64 length;
};

#define ACL_VMM_HANDLE_INFO _IO(ACL_VMM_TYPE, ACL_VMM_CMD_HANDLE_INFO)

#endif /* _UAPI_LINUX_ACL_VMM_H */
