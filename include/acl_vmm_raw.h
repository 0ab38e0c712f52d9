/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libacl-vmm's raw layer: the acl_vmm.ko uAPI (<linux/acl_vmm.h>) as C
 * functions, one per ioctl, as libdrm's xf86drm.h and ROCm's hsakmt.h are
 * for their drivers. The ACL personality (acl/acl.h) is built on it; tools
 * and tests that speak to the module directly use it too.
 *
 * Every function returns 0 (or a descriptor) on success and a negative
 * errno on failure; it changes nothing on failure, and retries an ioctl
 * that a signal interrupted. Ids (handles, streams, events) are the
 * module's object ids. A descriptor of /dev/acl_vmm is the calling
 * process's: a forked child cannot use its parent's (-EPERM), and the
 * process-wide device (acl_vmm_raw_device_open()) is closed in the child
 * by the library's fork handler.
 *
 * Set ACL_VMM_DEBUG=1 in the environment to log every failed ioctl on
 * stderr.
 */
#ifndef ACL_VMM_RAW_H
#define ACL_VMM_RAW_H

#include <stdint.h>
#include <linux/acl_vmm.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACL_VMM_RAW_API __attribute__((visibility("default")))

/* The device node opened when no path is given and $ACL_VMM_DEVICE is unset. */
#define ACL_VMM_RAW_DEFAULT_PATH "/dev/acl_vmm"

/*
 * Open a control node (@path; NULL: $ACL_VMM_DEVICE, else
 * ACL_VMM_RAW_DEFAULT_PATH), close-on-exec, and check that the module
 * speaks this library's ABI with ACL_VMM_CAP_CORE. Returns the descriptor,
 * or -errno; -EPROTO when the module's ABI is another (@info, when not
 * NULL, holds the module's answer then, for a message).
 */
ACL_VMM_RAW_API int acl_vmm_raw_open(const char *path, struct acl_vmm_info *info);
/* The path acl_vmm_raw_open(NULL, ...) opens. */
ACL_VMM_RAW_API const char *acl_vmm_raw_default_path(void);
ACL_VMM_RAW_API int acl_vmm_raw_close(int fd);

/*
 * The process-wide device: opened at the first call (path as above),
 * counted, closed at the last acl_vmm_raw_device_close(), and forgotten in
 * a forked child. Returns the descriptor or -errno.
 */
ACL_VMM_RAW_API int acl_vmm_raw_device_open(struct acl_vmm_info *info);
ACL_VMM_RAW_API void acl_vmm_raw_device_close(void);

/* Any ioctl of the module on @fd: @arg starts with its size. */
ACL_VMM_RAW_API int acl_vmm_raw_ioctl(int fd, unsigned long request, void *arg);

ACL_VMM_RAW_API int acl_vmm_raw_get_info(int fd, struct acl_vmm_info *info);
ACL_VMM_RAW_API int acl_vmm_raw_device_info(int fd, uint32_t device,
					    uint64_t *capacity, uint64_t *used);
ACL_VMM_RAW_API int acl_vmm_raw_attach(int fd, int node_fd, uint32_t *device);
/* Attach /dev/acl_vmmN for every N the caller may open; sets attached[N]. */
ACL_VMM_RAW_API int acl_vmm_raw_attach_all(int fd, const char *path,
					   uint32_t count, uint8_t *attached);
ACL_VMM_RAW_API int acl_vmm_raw_destroy(int fd, uint32_t id);

/* @addr: in with ACL_VMM_RESERVE_FIXED, out: the reservation's address. */
ACL_VMM_RAW_API int acl_vmm_raw_reserve(int fd, uint64_t length, uint32_t flags,
					uint64_t *addr);
ACL_VMM_RAW_API int acl_vmm_raw_release(int fd, uint64_t addr);
ACL_VMM_RAW_API int acl_vmm_raw_alloc(int fd, uint32_t location,
				      uint32_t location_id, uint64_t length,
				      uint32_t flags, uint32_t *handle);
ACL_VMM_RAW_API int acl_vmm_raw_map(int fd, uint64_t addr, uint64_t length,
				    uint32_t handle);
/* @flags: ACL_VMM_MAP_NOACCESS or 0. */
ACL_VMM_RAW_API int acl_vmm_raw_map_flags(int fd, uint64_t addr, uint64_t length,
					  uint32_t handle, uint32_t flags);
ACL_VMM_RAW_API int acl_vmm_raw_unmap(int fd, uint64_t addr);
/* Device rights to one mapping, and peer access (device page tables). */
ACL_VMM_RAW_API int acl_vmm_raw_set_access(int fd, uint64_t addr, uint64_t length,
					   const struct acl_vmm_access_desc *descs,
					   uint32_t count);
ACL_VMM_RAW_API int acl_vmm_raw_get_access(int fd, uint64_t addr, uint32_t device,
					   uint32_t *access);
/* @flags: 0 to enable, ACL_VMM_PEER_DISABLE to disable. */
ACL_VMM_RAW_API int acl_vmm_raw_peer(int fd, uint32_t device, uint32_t peer,
				     uint32_t flags);
/* With @length, the whole range must be mapped (ACL_VMM_QUERY_RANGE). */
ACL_VMM_RAW_API int acl_vmm_raw_query(int fd, uint64_t addr, uint64_t length,
				      struct acl_vmm_query *result);
ACL_VMM_RAW_API int acl_vmm_raw_reset(int fd);

ACL_VMM_RAW_API int acl_vmm_raw_get_tgid(int fd, int32_t *tgid);
ACL_VMM_RAW_API int acl_vmm_raw_export(int fd, uint32_t handle, uint32_t flags,
				       uint64_t *share);
ACL_VMM_RAW_API int acl_vmm_raw_set_pids(int fd, uint64_t share,
					 const int32_t *pids, uint32_t count);
ACL_VMM_RAW_API int acl_vmm_raw_import(int fd, uint64_t share, uint32_t device,
				       uint32_t *handle);
ACL_VMM_RAW_API int acl_vmm_raw_export_dmabuf(int fd, uint32_t handle,
					      int *dmabuf_fd);
ACL_VMM_RAW_API int acl_vmm_raw_import_dmabuf(int fd, int dmabuf_fd,
					      uint32_t *handle);

ACL_VMM_RAW_API int acl_vmm_raw_stream_create(int fd, uint32_t device,
					      uint32_t *stream);
/* @fault: out, the failure reported (error 0: none). */
ACL_VMM_RAW_API int acl_vmm_raw_stream_sync(int fd, uint32_t stream,
					    struct acl_vmm_fault *fault);
ACL_VMM_RAW_API int acl_vmm_raw_device_sync(int fd, uint32_t device,
					    struct acl_vmm_fault *fault);
/* @flags: ACL_VMM_WORK_SYNC or 0; @fault: out with ACL_VMM_WORK_SYNC. */
ACL_VMM_RAW_API int acl_vmm_raw_copy(int fd, uint32_t stream, uint64_t dst,
				     uint64_t src, uint64_t length,
				     uint32_t flags, struct acl_vmm_fault *fault);
ACL_VMM_RAW_API int acl_vmm_raw_memset(int fd, uint32_t stream, uint64_t dst,
				       uint8_t value, uint64_t length,
				       uint32_t flags, struct acl_vmm_fault *fault);
ACL_VMM_RAW_API int acl_vmm_raw_event_create(int fd, uint32_t *event);
ACL_VMM_RAW_API int acl_vmm_raw_event_record(int fd, uint32_t event,
					     uint32_t stream);
ACL_VMM_RAW_API int acl_vmm_raw_event_wait(int fd, uint32_t stream,
					   uint32_t event);
ACL_VMM_RAW_API int acl_vmm_raw_event_sync(int fd, uint32_t event);
/* @status: out, an enum acl_vmm_event_status; @timestamp_ns may be NULL. */
ACL_VMM_RAW_API int acl_vmm_raw_event_query(int fd, uint32_t event,
					    uint32_t *status,
					    uint64_t *timestamp_ns);

/* ACL_VMM_DESTROY with flags (ACL_VMM_DESTROY_FORCE for a stream). */
ACL_VMM_RAW_API int acl_vmm_raw_destroy_flags(int fd, uint32_t id,
					      uint32_t flags);
/* 0 when the stream's work queued so far has ended, -EBUSY otherwise. */
ACL_VMM_RAW_API int acl_vmm_raw_stream_query(int fd, uint32_t stream);
/*
 * ACL_VMM_STREAM_SYNC_TIMEOUT / ACL_VMM_EVENT_SYNC_TIMEOUT: as the calls
 * above, @timeout_ms at most in all (a signal does not start it again):
 * -ETIMEDOUT after it.
 */
ACL_VMM_RAW_API int acl_vmm_raw_stream_sync_timeout(int fd, uint32_t stream,
						    uint32_t timeout_ms,
						    struct acl_vmm_fault *fault);
ACL_VMM_RAW_API int acl_vmm_raw_event_sync_timeout(int fd, uint32_t event,
						   uint32_t timeout_ms);
/* One more reference on the handle of the mapping starting at @addr. */
ACL_VMM_RAW_API int acl_vmm_raw_retain(int fd, uint64_t addr,
				       uint32_t *handle);
ACL_VMM_RAW_API int acl_vmm_raw_handle_info(int fd, uint32_t handle,
					    struct acl_vmm_handle_info *info);
/* The exporter withdraws @share (ACL_VMM_SET_PIDS_CLOSE). */
ACL_VMM_RAW_API int acl_vmm_raw_share_close(int fd, uint64_t share);

#ifdef __cplusplus
}
#endif

#endif /* ACL_VMM_RAW_H */
