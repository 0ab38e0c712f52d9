// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Errors: the one table that turns a kernel errno into an ACL code and a
 * rule, and the per-thread last error and message.
 *
 * Which ACL code a caller sees depends on the layer that rejects: the
 * library's argument checks give ACL_ERROR_INVALID_PARAM (ACL layer) or
 * ACL_ERROR_RT_PARAM_INVALID (driver library layer) directly; what the
 * kernel refuses is translated here, per operation, since one errno means
 * a different rule for each.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct acl_vmm_errno_rule {
	enum acl_vmm_op op;
	int err;
	aclError code;
	const char *rule;
};

static const struct acl_vmm_errno_rule acl_vmm_errno_rules[] = {
	{ ACL_VMM_OP_OPEN, ENOENT, ACL_ERROR_DRV_FAILURE,
	  "the device node does not exist: load acl_vmm.ko (modprobe acl_vmm)" },
	{ ACL_VMM_OP_OPEN, ENXIO, ACL_ERROR_DRV_FAILURE,
	  "the device node has no driver: load acl_vmm.ko (modprobe acl_vmm)" },
	{ ACL_VMM_OP_OPEN, ENODEV, ACL_ERROR_DRV_FAILURE,
	  "the device node has no driver: load acl_vmm.ko (modprobe acl_vmm)" },
	{ ACL_VMM_OP_OPEN, EACCES, ACL_ERROR_RT_NO_PERMISSION,
	  "no permission to open the device node (see its group and mode)" },
	{ ACL_VMM_OP_OPEN, EPERM, ACL_ERROR_RT_NO_PERMISSION,
	  "no permission to open the device node (see its group and mode)" },

	{ ACL_VMM_OP_RESERVE, ERANGE, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "expectPtr: the range [expectPtr, expectPtr + size) is not inside the device VA window [16 TiB, 80 TiB)" },
	{ ACL_VMM_OP_RESERVE, EEXIST, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "expectPtr: part of [expectPtr, expectPtr + size) is already occupied" },
	{ ACL_VMM_OP_RESERVE, ENOMEM, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "size: no free range that large is left in the device VA window" },
	{ ACL_VMM_OP_RESERVE, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "size must be a multiple of 2 MiB and expectPtr of 1 GiB" },
	{ ACL_VMM_OP_RESERVE, EBUSY, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the new range was unmapped by another thread while it was being reserved" },

	{ ACL_VMM_OP_RELEASE, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "virPtr is not the start of a reservation of this process" },
	{ ACL_VMM_OP_RELEASE, EBUSY, ACL_ERROR_RT_PARAM_INVALID,
	  "virPtr: the reservation still holds mappings; unmap them first (nothing was changed)" },

	{ ACL_VMM_OP_ALLOC, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "prop->location.id is not a device index" },
	{ ACL_VMM_OP_ALLOC, ENOMEM, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "out of memory: the device has not size bytes left (nothing was allocated)" },
	{ ACL_VMM_OP_ALLOC, EDQUOT, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "size: host memory counts against the process's RLIMIT_MEMLOCK (ulimit -l), which it would exceed; CAP_IPC_LOCK lifts the limit (nothing was allocated)" },
	{ ACL_VMM_OP_ALLOC, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "size must be a multiple of the granularity, and prop->location.id 0 for host memory or an online NUMA node" },

	{ ACL_VMM_OP_FREE, ENOENT, ACL_ERROR_RT_INVALID_HANDLE,
	  "handle is not a live physical memory handle of this process" },
	{ ACL_VMM_OP_FREE, EALREADY, ACL_ERROR_RT_PARAM_INVALID,
	  "handle was already freed; its memory goes at its last unmap" },

	{ ACL_VMM_OP_MAP, ENOENT, ACL_ERROR_RT_INVALID_HANDLE,
	  "handle is not a live physical memory handle of this process (unknown or freed)" },
	{ ACL_VMM_OP_MAP, EINVAL, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "virPtr and size must be multiples of the handle's granularity (2 MiB, 1 GiB for *_HUGE1G memory)" },
	{ ACL_VMM_OP_MAP, EFBIG, ACL_ERROR_RT_PARAM_INVALID,
	  "size exceeds the size of the physical memory handle" },
	{ ACL_VMM_OP_MAP, ENXIO, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "[virPtr, virPtr + size) is not inside one reservation" },
	{ ACL_VMM_OP_MAP, EEXIST, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "part of [virPtr, virPtr + size) is already mapped" },
	{ ACL_VMM_OP_MAP, EXDEV, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the reservation already holds memory of another device; a reservation holds one device's memory" },

	{ ACL_VMM_OP_UNMAP, ENOENT, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "virPtr is not the start of a mapping" },

	{ ACL_VMM_OP_QUERY, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "the address is not in any reservation of this process" },
	{ ACL_VMM_OP_QUERY_RANGE, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "the range is not device memory of this process" },
	{ ACL_VMM_OP_QUERY_RANGE, EFAULT, ACL_ERROR_RT_PARAM_INVALID,
	  "part of the range is not mapped device memory" },

	{ ACL_VMM_OP_EXPORT, ENOENT, ACL_ERROR_RT_INVALID_HANDLE,
	  "handle is not a live physical memory handle of this process" },
	{ ACL_VMM_OP_EXPORT, EEXIST, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the handle's memory is already exported; memory is exported once" },
	{ ACL_VMM_OP_EXPORT, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "only device memory can be shared, not host memory" },

	{ ACL_VMM_OP_SET_PIDS, ENOENT, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "shareableHandle names no live share this process exported (only the exporter may whitelist)" },
	{ ACL_VMM_OP_SET_PIDS, ESRCH, ACL_ERROR_RT_PARAM_INVALID,
	  "pid: an entry names no process (use the id aclrtDeviceGetBareTgid gives); none was added" },
	{ ACL_VMM_OP_SET_PIDS, E2BIG, ACL_ERROR_RT_OVER_LIMIT,
	  "pidNum: a share names at most 65535 processes" },

	{ ACL_VMM_OP_IMPORT, ENOENT, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "shareableHandle names no share this process may import: unknown, freed by every holder, or not whitelisted (aclrtMemSetPidToShareableHandle)" },
	{ ACL_VMM_OP_IMPORT, EPERM, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the exporting process cannot import its own share" },
	{ ACL_VMM_OP_IMPORT, EEXIST, ACL_ERROR_RT_INVALID_HANDLE,
	  "this process already imported the share for deviceId" },
	{ ACL_VMM_OP_IMPORT, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "deviceId, or the device the memory belongs to, is not a device of this process (reaching another device's memory needs that device's node)" },

	{ ACL_VMM_OP_STREAM_CREATE, EBUSY, ACL_ERROR_RT_OVER_LIMIT,
	  "a process holds at most 1024 streams" },
	{ ACL_VMM_OP_STREAM_CREATE, EAGAIN, ACL_ERROR_RT_OVER_LIMIT,
	  "the process's stream worker (a thread) could not be started: the user is at RLIMIT_NPROC or the cgroup at pids.max" },
	{ ACL_VMM_OP_STREAM_CREATE, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "the current device is not a device of this process" },
	{ ACL_VMM_OP_STREAM, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "stream is not a live stream of this process (destroyed, or never created)" },
	{ ACL_VMM_OP_SUBMIT, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "stream is not a live stream of this process (destroyed, or never created)" },
	{ ACL_VMM_OP_SUBMIT, EFAULT, ACL_ERROR_RT_PARAM_INVALID,
	  "the range is beyond the process's address space" },
	{ ACL_VMM_OP_SUBMIT, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "the range wraps around the end of the address space" },
	{ ACL_VMM_OP_WORK, ECANCELED, ACL_ERROR_RT_DEVICE_MEM_ERROR,
	  "not run: an earlier copy or memset on the stream failed (aclrtSynchronizeStream reports it)" },
	{ ACL_VMM_OP_WORK, ESRCH, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the process was exiting" },
	{ ACL_VMM_OP_EVENT_CREATE, EBUSY, ACL_ERROR_RT_OVER_LIMIT,
	  "a process holds at most 65536 events" },
	{ ACL_VMM_OP_EVENT, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "event or stream is not live in this process (destroyed, or never created)" },

	{ ACL_VMM_OP_SET_ACCESS, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "[virPtr, virPtr + size) is not exactly one mapping, as aclrtMapMem made it" },
	{ ACL_VMM_OP_SET_ACCESS, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "a desc names a device whose node this process has not attached" },
	{ ACL_VMM_OP_SET_ACCESS, EOPNOTSUPP, ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
	  "the mapping is host memory, which every device reaches as the CPU does: it has no device rights" },
	{ ACL_VMM_OP_SET_ACCESS, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "a desc's flags are not ACL_RT_MEM_ACCESS_FLAGS_NONE, _READ or _READWRITE" },
	{ ACL_VMM_OP_GET_ACCESS, ENOENT, ACL_ERROR_RT_PARAM_INVALID,
	  "virPtr is not inside a mapping of this process" },
	{ ACL_VMM_OP_GET_ACCESS, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "location.id is not a device" },
	{ ACL_VMM_OP_PEER, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "the peer's node (/dev/acl_vmmN) is not attached to this process: it cannot reach that device" },
	{ ACL_VMM_OP_PEER, EINVAL, ACL_ERROR_RT_PARAM_INVALID,
	  "peer access is between two different devices" },

	{ ACL_VMM_OP_ANY, ENOMEM, ACL_ERROR_RT_MEMORY_ALLOCATION,
	  "out of memory" },
	{ ACL_VMM_OP_ANY, EPERM, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "the device was opened by another process (after fork, call aclInit again in the child)" },
	{ ACL_VMM_OP_ANY, EINTR, ACL_ERROR_RT_DRV_INTERNAL_ERROR,
	  "interrupted by a signal" },
	{ ACL_VMM_OP_ANY, EOPNOTSUPP, ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
	  "not supported by this driver" },
	{ ACL_VMM_OP_ANY, ENOTTY, ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
	  "not supported by this version of acl_vmm.ko" },
	{ ACL_VMM_OP_ANY, ENODEV, ACL_ERROR_RT_INVALID_DEVICEID,
	  "no such device" },
};

static _Thread_local aclError acl_vmm_last_error;
static _Thread_local char acl_vmm_errmsg[512];

/*
 * The library's debug log: with ACL_VMM_DEBUG set (and not "0") in the
 * environment, every error a call returns is printed to stderr with its
 * code and message, and so is every failed ioctl (acl_vmm_debug()).
 * Read at each failure, so that a program may turn it on and off.
 */
static bool acl_vmm_debug_on(void)
{
	const char *env = getenv("ACL_VMM_DEBUG");

	return env && *env && strcmp(env, "0");
}

void acl_vmm_debug(const char *fmt, ...)
{
	va_list ap;

	if (!acl_vmm_debug_on())
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fprintf(stderr, "acl-vmm[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

static aclError acl_vmm_vfail(aclError code, const char *rule,
			      const char *fmt, va_list ap)
{
	int n = vsnprintf(acl_vmm_errmsg, sizeof(acl_vmm_errmsg), fmt, ap);

	if (rule && n >= 0 && (size_t)n < sizeof(acl_vmm_errmsg))
		snprintf(acl_vmm_errmsg + n, sizeof(acl_vmm_errmsg) - n,
			 ": %s", rule);
	acl_vmm_last_error = code;
	acl_vmm_debug("error %d: %s", (int)code, acl_vmm_errmsg);
	return code;
}

/*
 * Record a failure of the calling thread: its code, and a message built
 * from @fmt, which names the call, the argument and the rule.
 */
aclError acl_vmm_fail(aclError code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	acl_vmm_vfail(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * Record a failure reported by the kernel as @err for @op: the code and
 * the rule come from the table, @fmt says which call and arguments.
 */
aclError acl_vmm_fail_errno(enum acl_vmm_op op, int err, const char *fmt, ...)
{
	const struct acl_vmm_errno_rule *match = NULL;
	char other[96];
	va_list ap;
	size_t i;

	if (err < 0)	/* as the raw layer returns it */
		err = -err;
	for (i = 0; i < sizeof(acl_vmm_errno_rules) / sizeof(acl_vmm_errno_rules[0]); i++) {
		const struct acl_vmm_errno_rule *r = &acl_vmm_errno_rules[i];

		if (r->err != err || (r->op != op && r->op != ACL_VMM_OP_ANY))
			continue;
		if (!match || r->op == op)
			match = r;
		if (r->op == op)
			break;
	}
	if (!match)
		snprintf(other, sizeof(other), "the driver failed: %s (errno %d)",
			 strerror(err), err);
	va_start(ap, fmt);
	acl_vmm_vfail(match ? match->code : ACL_ERROR_RT_DRV_INTERNAL_ERROR,
		      match ? match->rule : other, fmt, ap);
	va_end(ap);
	return acl_vmm_last_error;
}

const char *aclGetRecentErrMsg(void)
{
	return acl_vmm_errmsg[0] ? acl_vmm_errmsg : NULL;
}

aclError aclrtPeekAtLastError(aclrtLastErrLevel level)
{
	(void)level;
	return acl_vmm_last_error;
}

aclError aclrtGetLastError(aclrtLastErrLevel level)
{
	aclError err = acl_vmm_last_error;

	(void)level;
	acl_vmm_last_error = ACL_SUCCESS;
	return err;
}
