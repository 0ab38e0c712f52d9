// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The raw layer (acl_vmm_raw.h): one function per ioctl of acl_vmm.ko,
 * the descriptor's opening and version check, and the process-wide device
 * with its fork handling.
 *
 * Fork: as libhsakmt does, a prepare/parent/child triple around the
 * process-wide device's lock: the parent holds the lock across fork() so
 * that the child never inherits it held or the device half opened; the
 * child closes the inherited descriptor, which names the parent's context
 * (every ioctl on it would fail with -EPERM), and starts with no device.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t acl_vmm_raw_lock = PTHREAD_MUTEX_INITIALIZER;
static int acl_vmm_raw_fd = -1;
static unsigned int acl_vmm_raw_users;
static pthread_once_t acl_vmm_raw_atfork_once = PTHREAD_ONCE_INIT;

static void acl_vmm_raw_prepare(void)
{
	pthread_mutex_lock(&acl_vmm_raw_lock);
}

static void acl_vmm_raw_parent(void)
{
	pthread_mutex_unlock(&acl_vmm_raw_lock);
}

static void acl_vmm_raw_child(void)
{
	if (acl_vmm_raw_fd >= 0)
		close(acl_vmm_raw_fd);
	acl_vmm_raw_fd = -1;
	acl_vmm_raw_users = 0;
	pthread_mutex_unlock(&acl_vmm_raw_lock);
}

static void acl_vmm_raw_register_atfork(void)
{
	pthread_atfork(acl_vmm_raw_prepare, acl_vmm_raw_parent,
		       acl_vmm_raw_child);
}

void acl_vmm_raw_atfork_init(void)
{
	pthread_once(&acl_vmm_raw_atfork_once, acl_vmm_raw_register_atfork);
}

int acl_vmm_raw_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = errno;
		acl_vmm_debug("ioctl(%d, %#lx): %s (errno %d)", fd, request,
			      strerror(ret), ret);
		return -ret;
	}
	return 0;
}

const char *acl_vmm_raw_default_path(void)
{
	const char *path = getenv("ACL_VMM_DEVICE");

	return path && *path ? path : ACL_VMM_RAW_DEFAULT_PATH;
}

int acl_vmm_raw_get_info(int fd, struct acl_vmm_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return acl_vmm_raw_ioctl(fd, ACL_VMM_GET_INFO, info);
}

int acl_vmm_raw_open(const char *path, struct acl_vmm_info *info)
{
	struct acl_vmm_info local;
	int fd, ret;

	if (!info)
		info = &local;
	if (!path)
		path = acl_vmm_raw_default_path();
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = acl_vmm_raw_get_info(fd, info);
	if (!ret && (info->abi_version != ACL_VMM_ABI_VERSION ||
		     !(info->caps & ACL_VMM_CAP_CORE)))
		ret = -EPROTO;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int acl_vmm_raw_close(int fd)
{
	return close(fd) ? -errno : 0;
}

int acl_vmm_raw_device_open(struct acl_vmm_info *info)
{
	struct acl_vmm_info local;
	int ret;

	if (!info)
		info = &local;
	acl_vmm_raw_atfork_init();
	pthread_mutex_lock(&acl_vmm_raw_lock);
	if (acl_vmm_raw_fd < 0) {
		ret = acl_vmm_raw_open(NULL, info);
		if (ret >= 0)
			acl_vmm_raw_fd = ret;
	} else {
		ret = acl_vmm_raw_get_info(acl_vmm_raw_fd, info);
		if (!ret)
			ret = acl_vmm_raw_fd;
	}
	if (ret >= 0)
		acl_vmm_raw_users++;
	pthread_mutex_unlock(&acl_vmm_raw_lock);
	return ret;
}

void acl_vmm_raw_device_close(void)
{
	pthread_mutex_lock(&acl_vmm_raw_lock);
	if (acl_vmm_raw_users && !--acl_vmm_raw_users) {
		close(acl_vmm_raw_fd);
		acl_vmm_raw_fd = -1;
	}
	pthread_mutex_unlock(&acl_vmm_raw_lock);
}

int acl_vmm_raw_device_info(int fd, uint32_t device, uint64_t *capacity,
			    uint64_t *used)
{
	struct acl_vmm_device_info cmd = { .size = sizeof(cmd), .device = device };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_DEVICE_INFO, &cmd);

	if (!ret) {
		*capacity = cmd.capacity;
		*used = cmd.used;
	}
	return ret;
}

int acl_vmm_raw_attach(int fd, int node_fd, uint32_t *device)
{
	struct acl_vmm_attach cmd = { .size = sizeof(cmd), .fd = node_fd };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_ATTACH, &cmd);

	if (!ret && device)
		*device = cmd.device;
	return ret;
}

/*
 * A node the caller may not open (permission, absent) is a device it does
 * not see; any other failure is returned, rather than hide a device.
 */
int acl_vmm_raw_attach_all(int fd, const char *path, uint32_t count,
			   uint8_t *attached)
{
	char node[4096];
	uint32_t i;
	int nfd, ret;

	if (!path)
		path = acl_vmm_raw_default_path();
	for (i = 0; i < count && i < ACL_VMM_MAX_DEVICES; i++) {
		attached[i] = 0;
		snprintf(node, sizeof(node), "%s%u", path, i);
		nfd = open(node, O_RDWR | O_CLOEXEC);
		if (nfd < 0) {
			if (errno == EACCES || errno == EPERM || errno == ENOENT ||
			    errno == ENXIO || errno == ENODEV)
				continue;
			return -errno;
		}
		ret = acl_vmm_raw_attach(fd, nfd, NULL);
		close(nfd);
		if (ret)
			return ret;
		attached[i] = 1;
	}
	return 0;
}

int acl_vmm_raw_destroy(int fd, uint32_t id)
{
	struct acl_vmm_destroy cmd = { .size = sizeof(cmd), .id = id };

	return acl_vmm_raw_ioctl(fd, ACL_VMM_DESTROY, &cmd);
}

int acl_vmm_raw_reserve(int fd, uint64_t length, uint32_t flags,
			uint64_t *addr)
{
	struct acl_vmm_reserve cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.length = length,
		.addr = flags & ACL_VMM_RESERVE_FIXED ? *addr : 0,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_RESERVE, &cmd);

	if (!ret)
		*addr = cmd.addr;
	return ret;
}

int acl_vmm_raw_release(int fd, uint64_t addr)
{
	struct acl_vmm_release cmd = { .size = sizeof(cmd), .addr = addr };

	return acl_vmm_raw_ioctl(fd, ACL_VMM_RELEASE, &cmd);
}

int acl_vmm_raw_alloc(int fd, uint32_t location, uint32_t location_id,
		      uint64_t length, uint32_t flags, uint32_t *handle)
{
	struct acl_vmm_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.location = location,
		.location_id = location_id,
		.length = length,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_ALLOC, &cmd);

	if (!ret)
		*handle = cmd.handle;
	return ret;
}

int acl_vmm_raw_map(int fd, uint64_t addr, uint64_t length, uint32_t handle)
{
	return acl_vmm_raw_map_flags(fd, addr, length, handle, 0);
}

int acl_vmm_raw_map_flags(int fd, uint64_t addr, uint64_t length,
			  uint32_t handle, uint32_t flags)
{
	struct acl_vmm_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.addr = addr,
		.length = length,
		.handle = handle,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_MAP, &cmd);
}

int acl_vmm_raw_set_access(int fd, uint64_t addr, uint64_t length,
			   const struct acl_vmm_access_desc *descs,
			   uint32_t count)
{
	struct acl_vmm_set_access cmd = {
		.size = sizeof(cmd),
		.addr = addr,
		.length = length,
		.descs = (uintptr_t)descs,
		.count = count,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_SET_ACCESS, &cmd);
}

int acl_vmm_raw_get_access(int fd, uint64_t addr, uint32_t device,
			   uint32_t *access)
{
	struct acl_vmm_get_access cmd = {
		.size = sizeof(cmd),
		.addr = addr,
		.device = device,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_GET_ACCESS, &cmd);

	if (!ret)
		*access = cmd.access;
	return ret;
}

int acl_vmm_raw_peer(int fd, uint32_t device, uint32_t peer, uint32_t flags)
{
	struct acl_vmm_peer cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.device = device,
		.peer = peer,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_PEER, &cmd);
}

int acl_vmm_raw_unmap(int fd, uint64_t addr)
{
	struct acl_vmm_unmap cmd = { .size = sizeof(cmd), .addr = addr };

	return acl_vmm_raw_ioctl(fd, ACL_VMM_UNMAP, &cmd);
}

int acl_vmm_raw_query(int fd, uint64_t addr, uint64_t length,
		      struct acl_vmm_query *result)
{
	memset(result, 0, sizeof(*result));
	result->size = sizeof(*result);
	result->addr = addr;
	if (length) {
		result->flags = ACL_VMM_QUERY_RANGE;
		result->length = length;
	}
	return acl_vmm_raw_ioctl(fd, ACL_VMM_QUERY, result);
}

int acl_vmm_raw_reset(int fd)
{
	struct acl_vmm_reset cmd = { .size = sizeof(cmd) };

	return acl_vmm_raw_ioctl(fd, ACL_VMM_RESET, &cmd);
}

int acl_vmm_raw_get_tgid(int fd, int32_t *tgid)
{
	struct acl_vmm_tgid cmd = { .size = sizeof(cmd) };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_GET_TGID, &cmd);

	if (!ret)
		*tgid = cmd.tgid;
	return ret;
}

int acl_vmm_raw_export(int fd, uint32_t handle, uint32_t flags,
		       uint64_t *share)
{
	struct acl_vmm_export cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = handle,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_EXPORT, &cmd);

	if (!ret)
		*share = cmd.share;
	return ret;
}

int acl_vmm_raw_set_pids(int fd, uint64_t share, const int32_t *pids,
			 uint32_t count)
{
	struct acl_vmm_set_pids cmd = {
		.size = sizeof(cmd),
		.share = share,
		.pids = (uintptr_t)pids,
		.count = count,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_SET_PIDS, &cmd);
}

int acl_vmm_raw_import(int fd, uint64_t share, uint32_t device,
		       uint32_t *handle)
{
	struct acl_vmm_import cmd = {
		.size = sizeof(cmd),
		.share = share,
		.device = device,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_IMPORT, &cmd);

	if (!ret)
		*handle = cmd.handle;
	return ret;
}

int acl_vmm_raw_export_dmabuf(int fd, uint32_t handle, int *dmabuf_fd)
{
	struct acl_vmm_export_dmabuf cmd = { .size = sizeof(cmd), .handle = handle };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_EXPORT_DMABUF, &cmd);

	if (!ret)
		*dmabuf_fd = cmd.fd;
	return ret;
}

int acl_vmm_raw_import_dmabuf(int fd, int dmabuf_fd, uint32_t *handle)
{
	struct acl_vmm_import_dmabuf cmd = { .size = sizeof(cmd), .fd = dmabuf_fd };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_IMPORT_DMABUF, &cmd);

	if (!ret)
		*handle = cmd.handle;
	return ret;
}

int acl_vmm_raw_stream_create(int fd, uint32_t device, uint32_t *stream)
{
	struct acl_vmm_stream_create cmd = { .size = sizeof(cmd), .device = device };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_STREAM_CREATE, &cmd);

	if (!ret)
		*stream = cmd.stream;
	return ret;
}

int acl_vmm_raw_stream_sync(int fd, uint32_t stream, struct acl_vmm_fault *fault)
{
	struct acl_vmm_stream_sync cmd = { .size = sizeof(cmd), .stream = stream };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_STREAM_SYNC, &cmd);

	if (!ret)
		*fault = cmd.fault;
	return ret;
}

int acl_vmm_raw_device_sync(int fd, uint32_t device, struct acl_vmm_fault *fault)
{
	struct acl_vmm_device_sync cmd = { .size = sizeof(cmd), .device = device };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_DEVICE_SYNC, &cmd);

	if (!ret)
		*fault = cmd.fault;
	return ret;
}

int acl_vmm_raw_copy(int fd, uint32_t stream, uint64_t dst, uint64_t src,
		     uint64_t length, uint32_t flags, struct acl_vmm_fault *fault)
{
	struct acl_vmm_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.stream = stream,
		.dst = dst,
		.src = src,
		.length = length,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_COPY, &cmd);

	if (!ret && fault)
		*fault = cmd.fault;
	return ret;
}

int acl_vmm_raw_memset(int fd, uint32_t stream, uint64_t dst, uint8_t value,
		       uint64_t length, uint32_t flags, struct acl_vmm_fault *fault)
{
	struct acl_vmm_memset cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.stream = stream,
		.value = value,
		.dst = dst,
		.length = length,
	};
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_MEMSET, &cmd);

	if (!ret && fault)
		*fault = cmd.fault;
	return ret;
}

int acl_vmm_raw_event_create(int fd, uint32_t *event)
{
	struct acl_vmm_event_create cmd = { .size = sizeof(cmd) };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_EVENT_CREATE, &cmd);

	if (!ret)
		*event = cmd.event;
	return ret;
}

int acl_vmm_raw_event_record(int fd, uint32_t event, uint32_t stream)
{
	struct acl_vmm_event_record cmd = {
		.size = sizeof(cmd),
		.event = event,
		.stream = stream,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_EVENT_RECORD, &cmd);
}

int acl_vmm_raw_event_wait(int fd, uint32_t stream, uint32_t event)
{
	struct acl_vmm_event_wait cmd = {
		.size = sizeof(cmd),
		.stream = stream,
		.event = event,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_EVENT_WAIT, &cmd);
}

int acl_vmm_raw_event_sync(int fd, uint32_t event)
{
	struct acl_vmm_event_sync cmd = { .size = sizeof(cmd), .event = event };

	return acl_vmm_raw_ioctl(fd, ACL_VMM_EVENT_SYNC, &cmd);
}

int acl_vmm_raw_event_query(int fd, uint32_t event, uint32_t *status,
			    uint64_t *timestamp_ns)
{
	struct acl_vmm_event_query cmd = { .size = sizeof(cmd), .event = event };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_EVENT_QUERY, &cmd);

	if (!ret) {
		*status = cmd.status;
		if (timestamp_ns)
			*timestamp_ns = cmd.timestamp_ns;
	}
	return ret;
}

int acl_vmm_raw_destroy_flags(int fd, uint32_t id, uint32_t flags)
{
	struct acl_vmm_destroy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.id = id,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_DESTROY, &cmd);
}

int acl_vmm_raw_stream_query(int fd, uint32_t stream)
{
	struct acl_vmm_stream_sync cmd = {
		.size = sizeof(cmd),
		.flags = ACL_VMM_STREAM_SYNC_QUERY,
		.stream = stream,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_STREAM_SYNC, &cmd);
}

/*
 * A timed wait: the kernel does not restart one that a signal cut short,
 * so issue it again with what is left of @timeout_ms (*@left, the
 * command's own member).
 */
static int acl_vmm_raw_timed(int fd, unsigned long request, void *cmd,
			     uint32_t *left, uint32_t timeout_ms)
{
	struct timespec start, now;
	uint64_t spent;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		ret = ioctl(fd, request, cmd);
		if (!ret || errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (uint64_t)(now.tv_sec - start.tv_sec) * 1000 +
			(uint64_t)(now.tv_nsec - start.tv_nsec) / 1000000;
		*left = spent >= timeout_ms ? 0 : timeout_ms - (uint32_t)spent;
	}
	if (ret < 0) {
		ret = errno;
		if (ret != ETIMEDOUT)
			acl_vmm_debug("ioctl(%d, %#lx): %s (errno %d)", fd, request,
				      strerror(ret), ret);
		return -ret;
	}
	return 0;
}

int acl_vmm_raw_stream_sync_timeout(int fd, uint32_t stream,
				    uint32_t timeout_ms,
				    struct acl_vmm_fault *fault)
{
	struct acl_vmm_stream_sync cmd = {
		.size = sizeof(cmd),
		.flags = ACL_VMM_STREAM_SYNC_TIMEOUT,
		.stream = stream,
		.timeout_ms = timeout_ms,
	};
	int ret = acl_vmm_raw_timed(fd, ACL_VMM_STREAM_SYNC, &cmd,
				    &cmd.timeout_ms, timeout_ms);

	if (!ret)
		*fault = cmd.fault;
	return ret;
}

int acl_vmm_raw_event_sync_timeout(int fd, uint32_t event, uint32_t timeout_ms)
{
	struct acl_vmm_event_sync cmd = {
		.size = sizeof(cmd),
		.flags = ACL_VMM_EVENT_SYNC_TIMEOUT,
		.event = event,
		.timeout_ms = timeout_ms,
	};

	return acl_vmm_raw_timed(fd, ACL_VMM_EVENT_SYNC, &cmd, &cmd.timeout_ms,
				 timeout_ms);
}

int acl_vmm_raw_retain(int fd, uint64_t addr, uint32_t *handle)
{
	struct acl_vmm_retain cmd = { .size = sizeof(cmd), .addr = addr };
	int ret = acl_vmm_raw_ioctl(fd, ACL_VMM_RETAIN, &cmd);

	if (!ret)
		*handle = cmd.handle;
	return ret;
}

int acl_vmm_raw_handle_info(int fd, uint32_t handle,
			    struct acl_vmm_handle_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	return acl_vmm_raw_ioctl(fd, ACL_VMM_HANDLE_INFO, info);
}

int acl_vmm_raw_share_close(int fd, uint64_t share)
{
	struct acl_vmm_set_pids cmd = {
		.size = sizeof(cmd),
		.flags = ACL_VMM_SET_PIDS_CLOSE,
		.share = share,
	};

	return acl_vmm_raw_ioctl(fd, ACL_VMM_SET_PIDS, &cmd);
}
