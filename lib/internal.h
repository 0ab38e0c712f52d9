/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libacl-vmm internals: shared by the library's files, never installed.
 */
#ifndef ACL_VMM_LIB_INTERNAL_H
#define ACL_VMM_LIB_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/acl.h"
#include "acl_vmm_raw.h"

#define ACL_VMM_GRANULE ((size_t)ACL_VMM_PAGE_SIZE)
#define ACL_VMM_GRANULE_1G ((size_t)ACL_VMM_HUGE1G_PAGE_SIZE)

/*
 * The operations whose kernel errors errors.c translates: a kernel errno
 * means a different rule, and so a different ACL code, for each.
 */
enum acl_vmm_op {
	ACL_VMM_OP_ANY,
	ACL_VMM_OP_OPEN,
	ACL_VMM_OP_INFO,
	ACL_VMM_OP_RESERVE,
	ACL_VMM_OP_RELEASE,
	ACL_VMM_OP_ALLOC,
	ACL_VMM_OP_FREE,
	ACL_VMM_OP_MAP,
	ACL_VMM_OP_UNMAP,
	ACL_VMM_OP_QUERY,
	ACL_VMM_OP_QUERY_RANGE,
	ACL_VMM_OP_EXPORT,
	ACL_VMM_OP_SET_PIDS,
	ACL_VMM_OP_IMPORT,
	ACL_VMM_OP_STREAM_CREATE,
	ACL_VMM_OP_STREAM,
	ACL_VMM_OP_SUBMIT,
	ACL_VMM_OP_WORK,
	ACL_VMM_OP_EVENT_CREATE,
	ACL_VMM_OP_EVENT,
	ACL_VMM_OP_SET_ACCESS,
	ACL_VMM_OP_GET_ACCESS,
	ACL_VMM_OP_PEER,
};

/* The highest stream priority aclrtCreateStreamWithConfig takes. */
#define ACL_VMM_STREAM_PRIORITY_MAX 7

/* raw.c */
void acl_vmm_raw_atfork_init(void);

/* errors.c */
aclError acl_vmm_fail(aclError code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
aclError acl_vmm_fail_errno(enum acl_vmm_op op, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void acl_vmm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* runtime.c */
aclError acl_vmm_abi_check(const struct acl_vmm_info *info, const char *path);
aclError acl_vmm_ready(const char *api);
aclError acl_vmm_ready_arg(const char *api, const void *arg, const char *name);
/* A call naming one address, which @raw takes (unmap, release). */
aclError acl_vmm_map(const char *api, void *virPtr, size_t size, size_t offset,
		     aclrtDrvMemHandle handle, uint64_t flags, uint32_t map_flags);
aclError acl_vmm_addr_call(const char *api, enum acl_vmm_op op, void *virPtr,
			   int (*raw)(int fd, uint64_t addr));
int acl_vmm_fd(void);
aclError acl_vmm_current_device(const char *api, int32_t *device);
aclError acl_vmm_check_device(const char *api, const char *arg, int64_t device);
uint32_t acl_vmm_phys_device(int32_t device);
int32_t acl_vmm_logical_device(uint32_t phys);
aclError acl_vmm_default_stream(const char *api, bool create, uint32_t *id);

/* stream.c */
aclError acl_vmm_stream_id(const char *api, aclrtStream stream, bool create,
			   uint32_t *id);
aclError acl_vmm_work_result(const char *api, const char *what, int32_t device,
			     uint32_t stream, const struct acl_vmm_fault *fault);
aclError acl_vmm_submit_copy(const char *api, void *dst, const void *src,
			     size_t count, aclrtStream stream, bool sync);
aclError acl_vmm_submit_memset(const char *api, void *devPtr, int32_t value,
			       size_t count, aclrtStream stream, bool sync);

/* memory.c */
aclError acl_vmm_copy_args(const char *api, void *dst, size_t destMax,
			   const void *src, size_t count, aclrtMemcpyKind kind);
aclError acl_vmm_memset_args(const char *api, void *devPtr, size_t maxCount,
			     size_t count);

/* physical.c */
aclError acl_vmm_check_prop(const char *api, const aclrtPhysicalMemProp *prop);
size_t acl_vmm_attr_granularity(aclrtMemAttr attr);
aclError acl_vmm_share_set_pids(const char *api, uint64_t shareableHandle,
				int32_t *pid, size_t pidNum);
aclError acl_vmm_handle_id(const char *api, aclrtDrvMemHandle handle,
			   uint32_t *id);

#endif /* ACL_VMM_LIB_INTERNAL_H */
