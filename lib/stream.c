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
#include <stdint.h>
#include <string.h>

#include "internal.h"

#define ACL_VMM_STREAM_TAG 0x5354ULL	/* "ST" */
#define ACL_VMM_EVENT_TAG 0x4556ULL	/* "EV" */
#define ACL_VMM_TAG_SHIFT 32
#define ACL_VMM_STREAM_FLAGS (ACL_STREAM_FAST_LAUNCH | ACL_STREAM_FAST_SYNC | \
			      ACL_STREAM_PERSISTENT | ACL_STREAM_HUGE |   \
			      ACL_STREAM_CPU_SCHEDULE | ACL_STREAM_DEVICE_USE_ONLY)

static void *acl_vmm_tagged(uint64_t tag, uint32_t id)
{
	return (void *)(uintptr_t)(tag << ACL_VMM_TAG_SHIFT | id);
}

static bool acl_vmm_untag(const void *ptr, uint64_t tag, uint32_t max,
			  uint32_t *id)
{
	uint64_t v = (uintptr_t)ptr;

	*id = (uint32_t)v;
	return v >> ACL_VMM_TAG_SHIFT == tag && *id && *id <= max;
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
	if (!acl_vmm_untag(stream, ACL_VMM_STREAM_TAG, ACL_VMM_MAX_STREAMS, id))
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
	if (!acl_vmm_untag(event, ACL_VMM_EVENT_TAG, ACL_VMM_MAX_EVENTS, id))
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: %s %p was not created by aclrtCreateEvent",
				    api, arg, event);
	return ACL_SUCCESS;
}

/* A stream of (logical) @device in the kernel; its id, or 0 and *@err. */
uint32_t acl_vmm_stream_create_raw(int32_t device, uint32_t priority, int *err)
{
	struct acl_vmm_stream_create cmd = {
		.size = sizeof(cmd),
		.device = acl_vmm_phys_device(device),
		.priority = priority,
	};

	*err = acl_vmm_ioctl(ACL_VMM_STREAM_CREATE, &cmd);
	return *err ? 0 : cmd.stream;
}

/* Destroy a stream after its work; nothing is reported. */
void acl_vmm_stream_destroy_raw(uint32_t id)
{
	struct acl_vmm_stream_destroy cmd = { .size = sizeof(cmd), .stream = id };

	acl_vmm_ioctl(ACL_VMM_STREAM_DESTROY, &cmd);
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

/* The ACL result of device work that ended with -@error (0: success). */
aclError acl_vmm_work_result(const char *api, int error, uint64_t fault_addr,
			     uint32_t cmd)
{
	if (!error)
		return ACL_SUCCESS;
	if (error == -EFAULT)
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s: device memory fault: %s could not reach 0x%llx (not mapped when the device got there: unmapped or freed while the work was queued, or never mapped)",
				    api, acl_vmm_cmd_name(cmd),
				    (unsigned long long)fault_addr);
	return acl_vmm_fail_errno(ACL_VMM_OP_WORK, -error, "%s: %s failed",
				  api, acl_vmm_cmd_name(cmd));
}

static aclError acl_vmm_stream_create(const char *api, aclrtStream *stream,
				      uint32_t priority)
{
	int32_t device;
	uint32_t id;
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	id = acl_vmm_stream_create_raw(device, priority, &err);
	if (!id)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM_CREATE, err,
					  "%s: device %d", api, device);
	*stream = acl_vmm_tagged(ACL_VMM_STREAM_TAG, id);
	return ACL_SUCCESS;
}

aclError aclrtCreateStream(aclrtStream *stream)
{
	if (!stream)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtCreateStream: stream is NULL");
	return acl_vmm_stream_create("aclrtCreateStream", stream, 0);
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
	return acl_vmm_stream_create(api, stream, priority);
}

aclError aclrtDestroyStream(aclrtStream stream)
{
	static const char api[] = "aclrtDestroyStream";
	struct acl_vmm_stream_destroy cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	if (!stream)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: stream is NULL",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_stream_id(api, stream, false, &cmd.stream);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_STREAM_DESTROY, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM, err,
					  "%s: stream=%p", api, stream);
	return ACL_SUCCESS;
}

/* The failure a synchronize reported, as an ACL code and message. */
static aclError acl_vmm_sync_result(const char *api, const void *what,
				    const struct acl_vmm_sync *cmd)
{
	if (!cmd->error)
		return ACL_SUCCESS;
	if (cmd->error == -EFAULT)
		return acl_vmm_fail(ACL_ERROR_RT_DEVICE_MEM_ERROR,
				    "%s(%p): device memory fault: %s queued earlier could not reach 0x%llx (not mapped when the device got there: unmapped or freed while the work was queued, or never mapped); later copies and memsets of the stream were not run",
				    api, what, acl_vmm_cmd_name(cmd->fault_cmd),
				    (unsigned long long)cmd->fault_addr);
	return acl_vmm_fail_errno(ACL_VMM_OP_WORK, -cmd->error,
				  "%s(%p): %s queued earlier failed", api, what,
				  acl_vmm_cmd_name(cmd->fault_cmd));
}

aclError aclrtSynchronizeStream(aclrtStream stream)
{
	static const char api[] = "aclrtSynchronizeStream";
	struct acl_vmm_sync cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_stream_id(api, stream, false, &cmd.id);
	if (ret || !cmd.id)	/* a default stream never used: nothing to wait for */
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_STREAM_SYNC, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM, err,
					  "%s: stream=%p", api, stream);
	return acl_vmm_sync_result(api, stream, &cmd);
}

aclError aclrtSynchronizeDevice(void)
{
	static const char api[] = "aclrtSynchronizeDevice";
	struct acl_vmm_sync cmd = { .size = sizeof(cmd) };
	int32_t device;
	aclError ret;
	int err;

	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;
	cmd.id = acl_vmm_phys_device(device);
	err = acl_vmm_ioctl(ACL_VMM_DEVICE_SYNC, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s: device %d",
					  api, device);
	return acl_vmm_sync_result(api, (void *)(intptr_t)device, &cmd);
}

/*
 * Queue a copy on @stream (NULL: the default stream); with @sync, wait
 * for it and return its own result.
 */
aclError acl_vmm_submit_copy(const char *api, void *dst, const void *src,
			     size_t count, aclrtStream stream, bool sync)
{
	struct acl_vmm_copy cmd = {
		.size = sizeof(cmd),
		.flags = sync ? ACL_VMM_WORK_SYNC : 0,
		.dst = (uintptr_t)dst,
		.src = (uintptr_t)src,
		.length = count,
	};
	aclError ret;
	int err;

	ret = acl_vmm_stream_id(api, stream, true, &cmd.stream);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_COPY, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SUBMIT, err,
					  "%s: dst=%p src=%p count=%zu stream=%p",
					  api, dst, src, count, stream);
	return acl_vmm_work_result(api, cmd.error, cmd.fault_addr,
				   ACL_VMM_CMD_COPY);
}

/* As acl_vmm_submit_copy(), for a memset of the byte @value. */
aclError acl_vmm_submit_memset(const char *api, void *devPtr, int32_t value,
			       size_t count, aclrtStream stream, bool sync)
{
	struct acl_vmm_memset cmd = {
		.size = sizeof(cmd),
		.flags = sync ? ACL_VMM_WORK_SYNC : 0,
		.dst = (uintptr_t)devPtr,
		.length = count,
		.value = (uint8_t)value,
	};
	aclError ret;
	int err;

	ret = acl_vmm_stream_id(api, stream, true, &cmd.stream);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_MEMSET, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_SUBMIT, err,
					  "%s: devPtr=%p count=%zu stream=%p",
					  api, devPtr, count, stream);
	return acl_vmm_work_result(api, cmd.error, cmd.fault_addr,
				   ACL_VMM_CMD_MEMSET);
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
	struct acl_vmm_event_create cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	if (!event)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: event is NULL",
				    api);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_EVENT_CREATE, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT_CREATE, err, "%s", api);
	*event = acl_vmm_tagged(ACL_VMM_EVENT_TAG, cmd.event);
	return ACL_SUCCESS;
}

/* An event ioctl taking struct acl_vmm_event_id (destroy, synchronize). */
static aclError acl_vmm_event_simple(const char *api, aclrtEvent event,
				     unsigned long request)
{
	struct acl_vmm_event_id cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	ret = acl_vmm_event_id(api, "event", event, &cmd.event);
	if (ret)
		return ret;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(request, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT, err, "%s: event=%p",
					  api, event);
	return ACL_SUCCESS;
}

aclError aclrtDestroyEvent(aclrtEvent event)
{
	return acl_vmm_event_simple("aclrtDestroyEvent", event,
				    ACL_VMM_EVENT_DESTROY);
}

aclError aclrtSynchronizeEvent(aclrtEvent event)
{
	return acl_vmm_event_simple("aclrtSynchronizeEvent", event,
				    ACL_VMM_EVENT_SYNC);
}

/* An event ioctl on a stream (record, wait). */
static aclError acl_vmm_event_on_stream(const char *api, aclrtEvent event,
					aclrtStream stream,
					unsigned long request)
{
	struct acl_vmm_event_record cmd = { .size = sizeof(cmd) };
	aclError ret;
	int err;

	ret = acl_vmm_event_id(api, "event", event, &cmd.event);
	if (ret)
		return ret;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_stream_id(api, stream, true, &cmd.stream);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(request, &cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT, err,
					  "%s: event=%p stream=%p", api, event,
					  stream);
	return ACL_SUCCESS;
}

aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream)
{
	return acl_vmm_event_on_stream("aclrtRecordEvent", event, stream,
				       ACL_VMM_EVENT_RECORD);
}

aclError aclrtStreamWaitEvent(aclrtStream stream, aclrtEvent event)
{
	return acl_vmm_event_on_stream("aclrtStreamWaitEvent", event, stream,
				       ACL_VMM_EVENT_WAIT);
}

static aclError acl_vmm_event_query(const char *api, const char *arg,
				    aclrtEvent event,
				    struct acl_vmm_event_query *cmd)
{
	aclError ret;
	int err;

	memset(cmd, 0, sizeof(*cmd));
	cmd->size = sizeof(*cmd);
	ret = acl_vmm_event_id(api, arg, event, &cmd->event);
	if (ret)
		return ret;
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	err = acl_vmm_ioctl(ACL_VMM_EVENT_QUERY, cmd);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_EVENT, err, "%s: %s=%p",
					  api, arg, event);
	return ACL_SUCCESS;
}

/* Whether @event's latest record is complete, in *@complete. */
static aclError acl_vmm_event_complete(const char *api, aclrtEvent event,
				       const void *status, bool *complete)
{
	struct acl_vmm_event_query q;
	aclError ret;

	if (!status)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: status is NULL",
				    api);
	ret = acl_vmm_event_query(api, "event", event, &q);
	if (ret)
		return ret;
	*complete = q.status == ACL_VMM_EVENT_COMPLETE;
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
	struct acl_vmm_event_query start, end;
	aclError ret;

	if (!ms)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: ms is NULL", api);
	ret = acl_vmm_event_query(api, "startEvent", startEvent, &start);
	if (!ret)
		ret = acl_vmm_event_query(api, "endEvent", endEvent, &end);
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
