/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of acl_vmm: every change of a process's device memory, for
 * perf, trace-cmd or tracefs (events/acl_vmm/).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM acl_vmm

#if !defined(ACL_VMM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define ACL_VMM_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "compat.h"

DECLARE_EVENT_CLASS(acl_vmm_range,
		    TP_PROTO(unsigned long start, unsigned long length, u32 handle),
		    TP_ARGS(start, length, handle),
		    TP_STRUCT__entry(__field(pid_t, tgid)
				     __field(unsigned long, start)
				     __field(unsigned long, length)
				     __field(u32, handle)),
		    TP_fast_assign(__entry->tgid = current->tgid;
				   __entry->start = start;
				   __entry->length = length;
				   __entry->handle = handle),
		    TP_printk("tgid=%d start=0x%lx length=0x%lx handle=%u",
			      __entry->tgid, __entry->start, __entry->length,
			      __entry->handle)
);

DEFINE_EVENT(acl_vmm_range, acl_vmm_reserve,
	     TP_PROTO(unsigned long start, unsigned long length, u32 handle),
	     TP_ARGS(start, length, handle));
DEFINE_EVENT(acl_vmm_range, acl_vmm_release,
	     TP_PROTO(unsigned long start, unsigned long length, u32 handle),
	     TP_ARGS(start, length, handle));
DEFINE_EVENT(acl_vmm_range, acl_vmm_map,
	     TP_PROTO(unsigned long start, unsigned long length, u32 handle),
	     TP_ARGS(start, length, handle));
DEFINE_EVENT(acl_vmm_range, acl_vmm_unmap,
	     TP_PROTO(unsigned long start, unsigned long length, u32 handle),
	     TP_ARGS(start, length, handle));

DECLARE_EVENT_CLASS(acl_vmm_memory,
		    TP_PROTO(u32 handle, u32 device, u64 size, int result),
		    TP_ARGS(handle, device, size, result),
		    TP_STRUCT__entry(__field(pid_t, tgid)
				     __field(u32, handle)
				     __field(u32, device)
				     __field(u64, size)
				     __field(int, result)),
		    TP_fast_assign(__entry->tgid = current->tgid;
				   __entry->handle = handle;
				   __entry->device = device;
				   __entry->size = size;
				   __entry->result = result),
		    TP_printk("tgid=%d handle=%u device=%d size=0x%llx result=%d",
			      __entry->tgid, __entry->handle, (int)__entry->device,
			      __entry->size, __entry->result)
);

DEFINE_EVENT(acl_vmm_memory, acl_vmm_alloc,
	     TP_PROTO(u32 handle, u32 device, u64 size, int result),
	     TP_ARGS(handle, device, size, result));
DEFINE_EVENT(acl_vmm_memory, acl_vmm_alloc_fail,
	     TP_PROTO(u32 handle, u32 device, u64 size, int result),
	     TP_ARGS(handle, device, size, result));
DEFINE_EVENT(acl_vmm_memory, acl_vmm_free,
	     TP_PROTO(u32 handle, u32 device, u64 size, int result),
	     TP_ARGS(handle, device, size, result));

TRACE_EVENT(acl_vmm_share,
	    TP_PROTO(const char *op, u64 share, u32 handle),
	    TP_ARGS(op, share, handle),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __string(op, op)
			     __field(u64, share)
			     __field(u32, handle)),
	    TP_fast_assign(__entry->tgid = current->tgid;
			   ACL_VMM_ASSIGN_STR(op, op);
			   __entry->share = share;
			   __entry->handle = handle),
	    TP_printk("tgid=%d %s share=0x%llx handle=%u", __entry->tgid,
		      __get_str(op), __entry->share, __entry->handle)
);

TRACE_EVENT(acl_vmm_dmmu_map,
	    TP_PROTO(u32 device, u64 start, u64 length, u32 access),
	    TP_ARGS(device, start, length, access),
	    TP_STRUCT__entry(__field(pid_t, tgid)
			     __field(u32, device)
			     __field(u64, start)
			     __field(u64, length)
			     __field(u32, access)),
	    TP_fast_assign(__entry->tgid = current->tgid;
			   __entry->device = device;
			   __entry->start = start;
			   __entry->length = length;
			   __entry->access = access),
	    TP_printk("tgid=%d device=%u start=0x%llx length=0x%llx access=%u",
		      __entry->tgid, __entry->device, __entry->start,
		      __entry->length, __entry->access)
);

DECLARE_EVENT_CLASS(acl_vmm_dmmu_range,
		    TP_PROTO(u32 device, u64 start, u64 length),
		    TP_ARGS(device, start, length),
		    TP_STRUCT__entry(__field(pid_t, tgid)
				     __field(u32, device)
				     __field(u64, start)
				     __field(u64, length)),
		    TP_fast_assign(__entry->tgid = current->tgid;
				   __entry->device = device;
				   __entry->start = start;
				   __entry->length = length),
		    TP_printk("tgid=%d device=%u start=0x%llx length=0x%llx",
			      __entry->tgid, __entry->device, __entry->start,
			      __entry->length)
);

DEFINE_EVENT(acl_vmm_dmmu_range, acl_vmm_dmmu_unmap,
	     TP_PROTO(u32 device, u64 start, u64 length),
	     TP_ARGS(device, start, length));
DEFINE_EVENT(acl_vmm_dmmu_range, acl_vmm_tlb_invalidate,
	     TP_PROTO(u32 device, u64 start, u64 length),
	     TP_ARGS(device, start, length));

#endif /* ACL_VMM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
