// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Streams and events: aclrtCreateStream, aclrtCreateStreamWithConfig,
 * aclrtDestroyStream, aclrtSynchronizeStream, aclrtSynchronizeDevice,
 * aclrtMemcpyAsync, aclrtMemsetAsync, and the event calls.
 *
 * The kernel runs the streams (its device engine); the library keeps no
 * state for them. An aclrtStream or aclrtEvent carries the kernel's id
 * with a tag in bits 47..32, so that neither is mistaken for the other or
 * for a memory handle; the NULL stream is the current context's default
 * stream.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "internal.h"

#define ACL_VMM_STREAM_TAG 0x5354ULL	/* "ST" */
#define ACL_VMM_EVENT_TAG 0x4556ULL	/* "EV" */
#define ACL_VMM_TAG_SHIFT 32
/* A stream's value also carries its (logical) device + 1, in bits 55..48. */
#define ACL_VMM_DEVICE_SHIFT 48
#define ACL_VMM_STREAM_FLAGS (ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC | \
			      ACL_STREAM_PERSISTENT | ACL_STREAM_HUGE |   \
			      ACL_STREAM_CPU_SCHEDULE | ACL_STREAM_DEVICE_USE_ONLY)

static void *acl_vmm_tagged(uint64_t tag, uint32_t id)
{
	return (void *)(uintptr_t)(tag << ACL_VMM_TAG_SHIFT | id);
}

static bool acl_vmm_untag(const void *ptr, uint64_t tag, uint32_t *id)
{
	uint64_t v = (uintptr_t)ptr;

	*id = (uint32_t)v;
	if (tag == ACL_VMM_STREAM_TAG && v >> ACL_VMM_DEVICE_SHIFT <= ACL_VMM_MAX_DEVICES)
		v &= (1ULL << ACL_VMM_DEVICE_SHIFT) - 1;
	return v >> ACL_VMM_TAG_SHIFT == tag && *id && *id <= INT32_MAX;
}

/*
 * The logical device that runs @stream's work: the one it was created on,
 * or the current device for the default stream (-1 if none).
 */
static int32_t acl_vmm_stream_device(aclrtStream stream)
{
	uint64_t v = (uintptr_t)stream;
	int32_t device = -1;

	if (stream)
		return (int32_t)(v >> ACL_VMM_DEVICE_SHIFT) - 1;
	if (acl_vmm_current_device("the default stream", &device))
		return -1;
	return device;
}

/*
 * The kernel id of @stream: NULL is the current context's default stream,
 * created first if @create (else 0 when it does not exist yet).
 */
aclError acl_vmm_stream_id(const char *api, aclrtStream stream, bool create,
			   uint32_t *id)
{
	if (!stream)
		return acl_vmm_default_stream(api, create, id);
	if (!acl_vmm_untag(stream, ACL_VMM_STREAM_TAG, id))
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: stream %p was not created by aclrtCreateStream",
				    api, stream);
	return ACL_SUCCESS;
}

static aclError acl_vmm_event_id(const char *api, const char *arg,
				 aclrtEvent event, uint32_t *id)
{
	if (!event)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, arg);
	if (!acl_vmm_untag(event, ACL_VMM_EVENT_TAG, id))
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: %s %p was not created by aclrtCreateEvent",
				    api, arg, event);
	return ACL_SUCCESS;
}

static const char *acl_vmm_cmd_name(uint32_t cmd)
{
	switch (cmd) {
	case ACL_VMM_CMD_COPY:
		return "a copy";
	case ACL_VMM_CMD_MEMSET:
		return "a memset";
	default:
		return "work";
	}
}

/* The module's fault_timeout in seconds as its parameter file says, or "?". */
static const char *acl_vmm_fault_timeout(void)
{
	static _Thread_local char seconds[16];
	FILE *f = fopen("/sys/module/acl_vmm/parameters/fault_timeout", "re");
	size_t n = 0;

	if (f) {
		n = fread(seconds, 1, sizeof(seconds) - 1, f);
		fclose(f);
	}
	while (n && (seconds[n - 1] == '\n' || seconds[n - 1] == ' '))
		n--;
	if (!n)
		return "?";
	seconds[n] = '\0';
	return seconds;
}

/*
 * The ACL result of device work that failed as @fault says (error 0:
 * success); @what names the stream or device synchronized, as "(...)",
 * or is NULL for the call's own work.
 */
/*
 * What aclrtSetExceptionInfoCallback's callback is told: CANN's struct is
 * opaque (rtExceptionInfo); the getters below read this one.
 */
struct rtExceptionInfo {
	uint32_t taskid;
	uint32_t streamid;
	uint32_t threadid;
	uint32_t deviceid;
	uint32_t retcode;
	uint64_t addr;
};

static _Atomic(aclrtExceptionInfoCallback) acl_vmm_exception_cb;

aclError aclrtSetExceptionInfoCallback(aclrtExceptionInfoCallback callback)
{
	atomic_store(&acl_vmm_exception_cb, callback);
	return ACL_SUCCESS;
}

uint32_t aclrtGetTaskIdFromExceptionInfo(const aclrtExceptionInfo *info)
{
	return info ? info->taskid : 0xFFFFFFFFU;
}

uint32_t aclrtGetStreamIdFromExceptionInfo(const aclrtExceptionInfo *info)
{
	return info ? info->streamid : 0xFFFFFFFFU;
}

uint32_t aclrtGetThreadIdFromExceptionInfo(const aclrtExceptionInfo *info)
{
	return info ? info->threadid : 0xFFFFFFFFU;
}

uint32_t aclrtGetDeviceIdFromExceptionInfo(const aclrtExceptionInfo *info)
{
	return info ? info->deviceid : 0xFFFFFFFFU;
}

uint32_t aclrtGetErrorCodeFromExceptionInfo(const aclrtExceptionInfo *info)
{
	return info ? info->retcode : 0xFFFFFFFFU;
}

/*
 * A stream's device memory error is reported: tell the exception callback,
 * if one is set, before the call that reports it returns.
 */
static void acl_vmm_exception(uint32_t stream, int32_t device,
			      const struct acl_vmm_fault *fault)
{
	aclrtExceptionInfoCallback cb = atomic_load(&acl_vmm_exception_cb);
	struct rtExceptionInfo info = {
		.streamid = stream,
		.threadid = (uint32_t)gettid(),
		.deviceid = (uint32_t)device,
		.retcode = ACL_ERROR_RT_DEVICE_MEM_ERROR,
		.addr = fault->addr,
	};

	if (cb)
		cb(&info);
}

aclError acl_vmm_work_result(const char *api, const char *what, int32_t device,
			     uint32_t stream, const struct acl_vmm_fault *fault)
{
	const char *who = what ? what : "";
	const char *queued = what ? " queued earlier" : "";
	const char *rest = what ? "; later copies and memsets of the stream were not run" : "";
	unsigned long long addr = fault->addr;
	struct acl_vmm_query q;
	int32_t owner = -1;

	if (!fault->error)
		return ACL_SUCCESS;
	switch (-fault->error) {
	case EFAULT:
	case EPERM:
	case EACCES:
	case EXDEV:
		acl_vmm_exception(stream, device, fault);
		break;
	}
	switch (-fault->error) {
	case EFAULT:
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s%s: device memory fault on device %d: %s%s could not reach 0x%llx (not mapped when the device got there: unmapped or freed while the work was queued, or never mapped)%s",
				    api, who, device, acl_vmm_cmd_name(fault->cmd),
				    queued, addr, rest);
	case EPERM:
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s%s: device memory fault on device %d: %s%s could not reach 0x%llx: no access (it is mapped, but device %d has no right to it: aclrtMemSetAccess grants one, aclrtMemMapNoAccess maps without any)%s",
				    api, who, device, acl_vmm_cmd_name(fault->cmd),
				    queued, addr, device, rest);
	case EACCES:
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s%s: device memory fault on device %d: %s%s could not write 0x%llx: no access for writing (device %d may only read it: ACL_RT_MEM_ACCESS_FLAGS_READ)%s",
				    api, who, device, acl_vmm_cmd_name(fault->cmd),
				    queued, addr, device, rest);
	case EXDEV:
		if (!acl_vmm_raw_query(acl_vmm_fd(), addr, 0, &q) &&
		    (q.result & ACL_VMM_QUERY_MAPPED))
			owner = acl_vmm_logical_device(q.device);
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s%s: device memory fault on device %d: %s%s could not reach 0x%llx, memory of device %d: no peer access from device %d to device %d (aclrtDeviceEnablePeerAccess(%d, 0) with device %d current)%s",
				    api, who, device, acl_vmm_cmd_name(fault->cmd),
				    queued, addr, owner, device, owner, owner,
				    device, rest);
	case ETIMEDOUT:
		return acl_vmm_fail(ACL_ERROR_RT_WAIT_TIMEOUT,
				    "%s%s: %s%s timed out: the host page at 0x%llx was not made present within the module's fault_timeout (%s s, /sys/module/acl_vmm/parameters/fault_timeout): its file or swap did not answer%s",
				    api, who, acl_vmm_cmd_name(fault->cmd), queued,
				    addr, acl_vmm_fault_timeout(), rest);
	default:
		return acl_vmm_fail_errno(ACL_VMM_OP_WORK, fault->error,
					  "%s%s: %s%s failed", api, who,
					  acl_vmm_cmd_name(fault->cmd), queued);
	}
}

/* The tag of @id as an aclrtStream or aclrtEvent, or the failure of @err. */
static aclError acl_vmm_created(const char *api, enum acl_vmm_op op, int err,
				uint64_t tag, uint32_t id, void **out)
{
	if (err)
		return acl_vmm_fail_errno(op, err, "%s", api);
	*out = acl_vmm_tagged(tag, id);
	return ACL_SUCCESS;
}

static aclError acl_vmm_stream_create(const char *api, aclrtStream *stream)
{
	int32_t device;
	uint32_t id = 0;
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	err = acl_vmm_raw_stream_create(acl_vmm_fd(), acl_vmm_phys_device(device),
					&id);
	ret = acl_vmm_created(api, ACL_VMM_OP_STREAM_CREATE, err,
			      ACL_VMM_STREAM_TAG, id, stream);
	if (!ret)
		*stream = (void *)((uintptr_t)*stream |
				   (uint64_t)(device + 1) << ACL_VMM_DEVICE_SHIFT);
	return ret;
}

aclError aclrtCreateStream(aclrtStream *stream)
{
	if (!stream)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtCreateStream: stream is NULL");
	return acl_vmm_stream_create("aclrtCreateStream", stream);
}

aclError aclrtCreateStreamWithConfig(aclrtStream *stream, uint32_t priority,
				     uint32_t flag)
{
	static const char api[] = "aclrtCreateStreamWithConfig";

	if (!stream)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: stream is NULL",
				    api);
	if (priority > ACL_VMM_STREAM_PRIORITY_MAX)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: priority=%u is not in [0, %u] (0 is the highest)",
				    api, priority, ACL_VMM_STREAM_PRIORITY_MAX);
	if (flag & ~ACL_VMM_STREAM_FLAGS)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flag=0x%x holds bits that are no ACL_STREAM_* flag",
				    api, flag);
	/* Priority is a hint: every stream runs on a worker of its own. */
	return acl_vmm_stream_create(api, stream);
}

static aclError acl_vmm_stream_destroy(const char *api, aclrtStream stream,
				       uint32_t flags)
{
	aclError ret;
	uint32_t id = 0;
	int err;

	if (!stream)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: stream is NULL",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_stream_id(api, stream, false, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_destroy_flags(acl_vmm_fd(), id, flags);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM, err,
					  "%s: stream=%p", api, stream);
	return ACL_SUCCESS;
}

aclError aclrtDestroyStream(aclrtStream stream)
{
	return acl_vmm_stream_destroy("aclrtDestroyStream", stream, 0);
}

aclError aclrtDestroyStreamForce(aclrtStream stream)
{
	return acl_vmm_stream_destroy("aclrtDestroyStreamForce", stream,
				      ACL_VMM_DESTROY_FORCE);
}

/* The milliseconds of a *WithTimeout call's @timeout (-1: none), or a failure. */
static aclError acl_vmm_timeout_arg(const char *api, int32_t timeout)
{
	if (timeout < -1)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: timeout=%d is not -1 (wait until done), 0 (only check) or a number of milliseconds",
				    api, timeout);
	return ACL_SUCCESS;
}

/*
 * Wait for @stream's work and report its result: @timeout milliseconds at
 * most (-1: no limit, 0: only check), after a check of @timeout.
 */
static aclError acl_vmm_stream_sync(const char *api, aclrtStream stream,
				    int32_t timeout)
{
	struct acl_vmm_fault fault;
	char what[32];
	aclError ret;
	uint32_t id = 0;
	int err;

	ret = acl_vmm_timeout_arg(api, timeout);
	if (!ret)
		ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_stream_id(api, stream, false, &id);
	if (ret || !id)	/* a default stream never used: nothing to wait for */
		return ret;
	if (timeout == -1)
		err = acl_vmm_raw_stream_sync(acl_vmm_fd(), id, &fault);
	else
		err = acl_vmm_raw_stream_sync_timeout(acl_vmm_fd(), id,
						      (uint32_t)timeout, &fault);
	if (err == -ETIMEDOUT)
		return acl_vmm_fail(ACL_ERROR_RT_STREAM_SYNC_TIMEOUT,
				    "%s: stream=%p: its work did not end within timeout=%d ms (it goes on; a later synchronize reports its result)",
				    api, stream, timeout);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM, err,
					  "%s: stream=%p", api, stream);
	snprintf(what, sizeof(what), "(%p)", stream);
	return acl_vmm_work_result(api, what, acl_vmm_stream_device(stream), id,
				   &fault);
}

aclError aclrtSynchronizeStream(aclrtStream stream)
{
	return acl_vmm_stream_sync("aclrtSynchronizeStream", stream, -1);
}

aclError aclrtSynchronizeStreamWithTimeout(aclrtStream stream, int32_t timeout)
{
	return acl_vmm_stream_sync("aclrtSynchronizeStreamWithTimeout", stream,
				   timeout);
}

aclError aclrtSetStreamFailureMode(aclrtStream stream, uint64_t mode)
{
	static const char api[] = "aclrtSetStreamFailureMode";
	aclError ret;
	uint32_t id = 0;

	if (mode != ACL_CONTINUE_ON_FAILURE && mode != ACL_STOP_ON_FAILURE)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: mode=%llu is neither ACL_CONTINUE_ON_FAILURE (0) nor ACL_STOP_ON_FAILURE (1)",
				    api, (unsigned long long)mode);
	ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_stream_id(api, stream, true, &id);
	if (ret)
		return ret;
	/*
	 * The engine stops a stream at its first failure: the copies and
	 * memsets queued after it fail with it until a synchronize reports
	 * it. That is ACL_STOP_ON_FAILURE, the only mode there is.
	 */
	if (mode == ACL_CONTINUE_ON_FAILURE)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: stream=%p mode=ACL_CONTINUE_ON_FAILURE: this engine always stops a stream at its first failure (ACL_STOP_ON_FAILURE): the work queued after it is not run until a synchronize reports the failure",
				    api, stream);
	return ACL_SUCCESS;
}

aclError aclrtSynchronizeDevice(void)
{
	static const char api[] = "aclrtSynchronizeDevice";
	struct acl_vmm_fault fault;
	char what[32];
	int32_t device;
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	err = acl_vmm_raw_device_sync(acl_vmm_fd(), acl_vmm_phys_device(device),
				      &fault);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s: device %d",
					  api, device);
	snprintf(what, sizeof(what), "(device %d)", device);
	return acl_vmm_work_result(api, what, device, 0, &fault);
}

/*
 * Queue a copy on @stream (NULL: the default stream); with @sync, wait
 * for it and return its own result.
 */
aclError acl_vmm_submit_copy(const char *api, void *dst, const void *src,
			     size_t count, aclrtStream stream, bool sync)
{
	struct acl_vmm_fault fault = { 0 };
	aclError ret;
	uint32_t id = 0;
	int err;

	ret = acl_vmm_stream_id(api, stream, true, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_copy(acl_vmm_fd(), id, (uintptr_t)dst, (uintptr_t)src,
			       count, sync ? ACL_VMM_WORK_SYNC : 0, &fault);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SUBMIT, err,
					  "%s: dst=%p src=%p count=%zu stream=%p",
					  api, dst, src, count, stream);
	return acl_vmm_work_result(api, NULL, acl_vmm_stream_device(stream), id,
				   &fault);
}

/* As acl_vmm_submit_copy(), for a memset of the byte @value. */
aclError acl_vmm_submit_memset(const char *api, void *devPtr, int32_t value,
			       size_t count, aclrtStream stream, bool sync)
{
	struct acl_vmm_fault fault = { 0 };
	aclError ret;
	uint32_t id = 0;
	int err;

	ret = acl_vmm_stream_id(api, stream, true, &id);
	if (ret)
		return ret;
	err = acl_vmm_raw_memset(acl_vmm_fd(), id, (uintptr_t)devPtr,
				 (uint8_t)value, count,
				 sync ? ACL_VMM_WORK_SYNC : 0, &fault);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SUBMIT, err,
					  "%s: devPtr=%p count=%zu stream=%p",
					  api, devPtr, count, stream);
	return acl_vmm_work_result(api, NULL, acl_vmm_stream_device(stream), id,
				   &fault);
}

aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src,
			  size_t count, aclrtMemcpyKind kind, aclrtStream stream)
{
	static const char api[] = "aclrtMemcpyAsync";
	aclError ret;

	if (!count)
		return ACL_SUCCESS;
	ret = acl_vmm_copy_args(api, dst, destMax, src, count, kind);
	if (ret)
		return ret;
	return acl_vmm_submit_copy(api, dst, src, count, stream, false);
}

aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value,
			  size_t count, aclrtStream stream)
{
	static const char api[] = "aclrtMemsetAsync";
	aclError ret;

	ret = acl_vmm_memset_args(api, devPtr, maxCount, count);
	if (ret || !count)
		return ret;
	return acl_vmm_submit_memset(api, devPtr, value, count, stream, false);
}

aclError aclrtCreateEvent(aclrtEvent *event)
{
	static const char api[] = "aclrtCreateEvent";
	uint32_t id = 0;
	aclError ret;
	int err;

	if (!event)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: event is NULL",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_raw_event_create(acl_vmm_fd(), &id);
	return acl_vmm_created(api, ACL_VMM_OP_EVENT_CREATE, err,
			       ACL_VMM_EVENT_TAG, id, event);
}

#define ACL_VMM_EVENT_FLAGS (ACL_EVENT_SYNC | ACL_EVENT_CAPTURE_STREAM_PROGRESS | \
			     ACL_EVENT_TIME_LINE | ACL_EVENT_DEVICE_USE_ONLY | \
			     ACL_EVENT_EXTERNAL)

aclError aclrtCreateEventWithFlag(aclrtEvent *event, uint32_t flag)
{
	static const char api[] = "aclrtCreateEventWithFlag";

	if (!event)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: event is NULL",
				    api);
	if (flag & ~ACL_VMM_EVENT_FLAGS)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "%s: flag=%#x: unknown bits %#x (ACL_EVENT_SYNC, _CAPTURE_STREAM_PROGRESS, _TIME_LINE, _DEVICE_USE_ONLY, _EXTERNAL are known)",
				    api, flag, flag & ~ACL_VMM_EVENT_FLAGS);
	if (flag & ACL_EVENT_EXTERNAL)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: flag=%#x: ACL_EVENT_EXTERNAL is for updating captured model tasks (aclmdlRICaptureBegin), which these devices do not run",
				    api, flag);
	/* Every event here synchronizes streams and keeps its time. */
	return aclrtCreateEvent(event);
}

aclError aclrtStreamQuery(aclrtStream stream, aclrtStreamStatus *status)
{
	static const char api[] = "aclrtStreamQuery";
	uint32_t id = 0;
	aclError ret;
	int err;

	if (!status)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: status is NULL",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_stream_id(api, stream, false, &id);
	if (ret)
		return ret;
	if (!id) {	/* a default stream never used */
		*status = ACL_STREAM_STATUS_COMPLETE;
		return ACL_SUCCESS;
	}
	err = acl_vmm_raw_stream_query(acl_vmm_fd(), id);
	if (err && err != -EBUSY)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM, err, "%s: stream=%p",
					  api, stream);
	*status = err ? ACL_STREAM_STATUS_NOT_READY : ACL_STREAM_STATUS_COMPLETE;
	return ACL_SUCCESS;
}

/* The checks of every event call: the event argument, then the library. */
static aclError acl_vmm_event_arg(const char *api, const char *arg,
				  aclrtEvent event, uint32_t *id)
{
	aclError ret = acl_vmm_event_id(api, arg, event, id);

	return ret ? ret : acl_vmm_ready(api);
}

/* The failure @err of an event call, or success. */
static aclError acl_vmm_event_result(const char *api, const char *arg,
				     aclrtEvent event, int err)
{
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT, err, "%s: %s=%p",
					  api, arg, event);
	return ACL_SUCCESS;
}

/* A call on one event that only names it (destroy, synchronize). */
static aclError acl_vmm_event_call(const char *api, aclrtEvent event,
				   int (*raw)(int fd, uint32_t id))
{
	uint32_t id = 0;
	aclError ret = acl_vmm_event_arg(api, "event", event, &id);

	if (ret)
		return ret;
	return acl_vmm_event_result(api, "event", event, raw(acl_vmm_fd(), id));
}

aclError aclrtDestroyEvent(aclrtEvent event)
{
	return acl_vmm_event_call("aclrtDestroyEvent", event, acl_vmm_raw_destroy);
}

/* As acl_vmm_stream_sync(), for an event's latest record. */
static aclError acl_vmm_event_sync(const char *api, aclrtEvent event,
				   int32_t timeout)
{
	uint32_t id = 0;
	aclError ret;
	int err;

	ret = acl_vmm_timeout_arg(api, timeout);
	if (!ret)
		ret = acl_vmm_event_arg(api, "event", event, &id);
	if (ret)
		return ret;
	if (timeout == -1)
		err = acl_vmm_raw_event_sync(acl_vmm_fd(), id);
	else
		err = acl_vmm_raw_event_sync_timeout(acl_vmm_fd(), id,
						     (uint32_t)timeout);
	if (err == -ETIMEDOUT)
		return acl_vmm_fail(ACL_ERROR_RT_EVENT_SYNC_TIMEOUT,
				    "%s: event=%p: its latest record did not complete within timeout=%d ms",
				    api, event, timeout);
	return acl_vmm_event_result(api, "event", event, err);
}

aclError aclrtSynchronizeEvent(aclrtEvent event)
{
	return acl_vmm_event_sync("aclrtSynchronizeEvent", event, -1);
}

aclError aclrtSynchronizeEventWithTimeout(aclrtEvent event, int32_t timeout)
{
	return acl_vmm_event_sync("aclrtSynchronizeEventWithTimeout", event,
				  timeout);
}

/* An event call on a stream (record, wait). */
static aclError acl_vmm_event_on_stream(const char *api, aclrtEvent event,
					aclrtStream stream, bool record)
{
	uint32_t ev = 0, id = 0;
	aclError ret;
	int err;

	ret = acl_vmm_event_arg(api, "event", event, &ev);
	if (!ret)
		ret = acl_vmm_stream_id(api, stream, true, &id);
	if (ret)
		return ret;
	err = record ? acl_vmm_raw_event_record(acl_vmm_fd(), ev, id) :
		       acl_vmm_raw_event_wait(acl_vmm_fd(), id, ev);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT, err,
					  "%s: event=%p stream=%p", api, event,
					  stream);
	return ACL_SUCCESS;
}

aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream)
{
	return acl_vmm_event_on_stream("aclrtRecordEvent", event, stream, true);
}

aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event)
{
	return acl_vmm_event_on_stream("aclrtStreamWaitEvent", event, stream,
				       false);
}

/* The status of @event's latest record, and when it completed. */
static aclError acl_vmm_event_query(const char *api, const char *arg,
				    aclrtEvent event, uint32_t *status,
				    uint64_t *timestamp_ns)
{
	uint32_t id = 0;
	aclError ret = acl_vmm_event_arg(api, arg, event, &id);

	if (ret)
		return ret;
	return acl_vmm_event_result(api, arg, event,
				    acl_vmm_raw_event_query(acl_vmm_fd(), id,
							    status, timestamp_ns));
}

/* Whether @event's latest record is complete, in *@complete. */
static aclError acl_vmm_event_complete(const char *api, aclrtEvent event,
				       const void *status, bool *complete)
{
	uint32_t st;
	aclError ret;

	if (!status)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: status is NULL",
				    api);
	ret = acl_vmm_event_query(api, "event", event, &st, NULL);
	if (ret)
		return ret;
	*complete = st == ACL_VMM_EVENT_COMPLETE;
	return ACL_SUCCESS;
}

aclError aclrtQueryEventStatus(aclrtEvent event, aclrtEventRecordedStatus *status)
{
	bool complete = false;
	aclError ret;

	ret = acl_vmm_event_complete("aclrtQueryEventStatus", event, status,
				     &complete);
	if (ret)
		return ret;
	*status = complete ? ACL_EVENT_RECORDED_STATUS_COMPLETE :
		  ACL_EVENT_RECORDED_STATUS_NOT_READY;
	return ACL_SUCCESS;
}

aclError aclrtQueryEvent(aclrtEvent event, aclrtEventStatus *status)
{
	bool complete = false;
	aclError ret;

	ret = acl_vmm_event_complete("aclrtQueryEvent", event, status,
				     &complete);
	if (ret)
		return ret;
	*status = complete ? ACL_EVENT_STATUS_COMPLETE : ACL_EVENT_STATUS_NOT_READY;
	return ACL_SUCCESS;
}

aclError aclrtEventElapsedTime(float *ms, aclrtEvent startEvent,
			       aclrtEvent endEvent)
{
	static const char api[] = "aclrtEventElapsedTime";
	struct {
		uint32_t status;
		uint64_t timestamp_ns;
	} start, end;
	aclError ret;

	if (!ms)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: ms is NULL", api);
	ret = acl_vmm_event_query(api, "startEvent", startEvent, &start.status,
				  &start.timestamp_ns);
	if (!ret)
		ret = acl_vmm_event_query(api, "endEvent", endEvent, &end.status,
					  &end.timestamp_ns);
	if (ret)
		return ret;
	if (start.status != ACL_VMM_EVENT_COMPLETE ||
	    end.status != ACL_VMM_EVENT_COMPLETE)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: %s has %s: both events must be recorded and complete (aclrtSynchronizeEvent)",
				    api,
				    start.status != ACL_VMM_EVENT_COMPLETE ?
				    "startEvent" : "endEvent",
				    (start.status != ACL_VMM_EVENT_COMPLETE ?
				     start.status : end.status) == ACL_VMM_EVENT_NONE ?
				    "never been recorded" : "not completed yet");
	*ms = (float)((double)((int64_t)(end.timestamp_ns - start.timestamp_ns)) / 1e6);
	return ACL_SUCCESS;
}
