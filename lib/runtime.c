// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The runtime around the memory calls: aclInit and aclFinalize (which open
 * and close /dev/acl_vmm), devices and contexts.
 *
 * State: the device file and the init count are process-wide, under
 * acl_vmm_lock; contexts are process-wide objects in a list under the same
 * lock; the current context is per thread, as in CANN. aclrtSetDevice
 * makes the device's default context current, created at its first
 * SetDevice and destroyed at the matching ResetDevice. A forked child
 * starts uninitialized: the parent's device context is not its own.
 *
 * Devices: aclInit attaches every device whose node (/dev/acl_vmmN) the
 * process can open; those are the devices it sees, in order, narrowed and
 * renumbered by ASCEND_RT_VISIBLE_DEVICES as on CANN. Device ids in the
 * API are these logical ids; the kernel is told the physical ones.
 *
 * Each context has a default stream (the NULL aclrtStream), created in the
 * kernel at its first use and destroyed with the context, after its work.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct acl_vmm_context {
	struct acl_vmm_context *next;
	int32_t device;
	bool is_default;
	unsigned int default_refs;
	uint32_t stream;
};

static pthread_mutex_t acl_vmm_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int acl_vmm_devfd = -1;
static unsigned int acl_vmm_init_count;
static bool acl_vmm_was_initialized;
static uint32_t acl_vmm_num_devices;
static uint32_t acl_vmm_phys[ACL_VMM_MAX_DEVICES];
static struct acl_vmm_context *acl_vmm_contexts;
static _Thread_local struct acl_vmm_context *acl_vmm_current;
static pthread_once_t acl_vmm_atfork_once = PTHREAD_ONCE_INIT;

int acl_vmm_fd(void)
{
	return atomic_load_explicit(&acl_vmm_devfd, memory_order_acquire);
}

/* Every call but aclInit needs an initialized library. */
aclError acl_vmm_ready(const char *api)
{
	if (acl_vmm_fd() < 0)
		return acl_vmm_fail(ACL_ERROR_UNINITIALIZE,
				    "%s: the library is not initialized: call aclInit first",
				    api);
	return ACL_SUCCESS;
}

/* The common prologue: @arg, named @name, is not NULL, and aclInit was called. */
aclError acl_vmm_ready_arg(const char *api, const void *arg, const char *name)
{
	if (!arg)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, name);
	return acl_vmm_ready(api);
}

aclError acl_vmm_check_device(const char *api, const char *arg, int64_t device)
{
	if (device < 0 || device >= (int64_t)acl_vmm_num_devices)
		return acl_vmm_fail(ACL_ERROR_RT_INVALID_DEVICEID,
				    "%s: %s=%lld is not a device: %u device(s) visible, numbered from 0",
				    api, arg, (long long)device, acl_vmm_num_devices);
	return ACL_SUCCESS;
}

/* The module's index of a (checked) logical device id. */
uint32_t acl_vmm_phys_device(int32_t device)
{
	return acl_vmm_phys[device];
}

/* The logical id of the module's device @phys, or -1 when it is not visible. */
int32_t acl_vmm_logical_device(uint32_t phys)
{
	uint32_t i;

	for (i = 0; i < acl_vmm_num_devices; i++)
		if (acl_vmm_phys[i] == phys)
			return (int32_t)i;
	return -1;
}

static struct acl_vmm_context *acl_vmm_context_find(const void *ptr);

/*
 * The calling thread's current context, if it is still alive (another
 * thread may have destroyed it). Called with acl_vmm_lock held.
 */
static struct acl_vmm_context *acl_vmm_current_context(void)
{
	if (acl_vmm_current && !acl_vmm_context_find(acl_vmm_current))
		acl_vmm_current = NULL;
	return acl_vmm_current;
}

aclError acl_vmm_current_device(const char *api, int32_t *device)
{
	struct acl_vmm_context *c;

	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_current_context();
	if (c)
		*device = c->device;
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!c)
		return acl_vmm_fail(ACL_ERROR_RT_CONTEXT_NULL,
				    "%s: the thread has no current context: call aclrtSetDevice or aclrtSetCurrentContext first",
				    api);
	return ACL_SUCCESS;
}

/*
 * The current context's default stream, in @id; created first if @create,
 * else 0 when it does not exist yet.
 */
aclError acl_vmm_default_stream(const char *api, bool create, uint32_t *id)
{
	struct acl_vmm_context *c;
	int err = 0;

	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_current_context();
	if (c && !c->stream && create)
		err = acl_vmm_raw_stream_create(acl_vmm_fd(),
						acl_vmm_phys_device(c->device),
						&c->stream);
	if (c)
		*id = c->stream;
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!c)
		return acl_vmm_fail(ACL_ERROR_RT_CONTEXT_NULL,
				    "%s: the thread has no current context for the default stream: call aclrtSetDevice or aclrtSetCurrentContext first",
				    api);
	if (err)
		return acl_vmm_fail_errno(ACL_VMM_OP_STREAM_CREATE, err,
					  "%s: cannot create the default stream",
					  api);
	return ACL_SUCCESS;
}

static void acl_vmm_contexts_free(void)
{
	struct acl_vmm_context *c;

	while ((c = acl_vmm_contexts)) {
		acl_vmm_contexts = c->next;
		free(c);
	}
	acl_vmm_current = NULL;
}

/*
 * Fork: the parent holds acl_vmm_lock across fork(), so that the child
 * never inherits it held or the state half changed; the child starts
 * uninitialized (the raw layer's own handler, which runs first, has closed
 * the device file: it belongs to the parent's context).
 */
static void acl_vmm_atfork_prepare(void)
{
	pthread_mutex_lock(&acl_vmm_lock);
}

static void acl_vmm_atfork_parent(void)
{
	pthread_mutex_unlock(&acl_vmm_lock);
}

static void acl_vmm_atfork_child(void)
{
	atomic_store(&acl_vmm_devfd, -1);
	acl_vmm_init_count = 0;
	acl_vmm_was_initialized = false;
	acl_vmm_contexts_free();
	pthread_mutex_unlock(&acl_vmm_lock);
}

/*
 * The raw layer's handlers first: prepare handlers run in the reverse
 * order, so acl_vmm_lock is taken before the raw layer's lock, as aclInit
 * takes them.
 */
static void acl_vmm_register_atfork(void)
{
	acl_vmm_raw_atfork_init();
	pthread_atfork(acl_vmm_atfork_prepare, acl_vmm_atfork_parent,
		       acl_vmm_atfork_child);
}

/*
 * The visible devices: the attached ones, or those ASCEND_RT_VISIBLE_DEVICES
 * lists, in its order, up to the first entry that is not an attached
 * device or repeats one.
 */
static void acl_vmm_visible_devices(uint32_t count, const uint8_t *attached)
{
	const char *env = getenv("ASCEND_RT_VISIBLE_DEVICES");
	bool seen[ACL_VMM_MAX_DEVICES] = { false };
	char *end;
	long v;
	uint32_t i;

	acl_vmm_num_devices = 0;
	if (!env || !*env) {
		for (i = 0; i < count && i < ACL_VMM_MAX_DEVICES; i++)
			if (attached[i])
				acl_vmm_phys[acl_vmm_num_devices++] = i;
		return;
	}
	while (*env) {
		v = strtol(env, &end, 10);
		if (end == env || v < 0 || v >= (long)count ||
		    v >= ACL_VMM_MAX_DEVICES || !attached[v] || seen[v])
			return;
		seen[v] = true;
		acl_vmm_phys[acl_vmm_num_devices++] = (uint32_t)v;
		env = end;
		while (*env == ' ')
			env++;
		if (*env != ',')
			return;
		env++;
	}
}

/* The feature groups this library calls, with their names for messages. */
static const struct {
	uint64_t cap;
	const char *name;
} acl_vmm_needed_caps[] = {
	{ ACL_VMM_CAP_CORE, "reservations, memory and mappings" },
	{ ACL_VMM_CAP_SHARE, "shareable handles" },
	{ ACL_VMM_CAP_DMABUF, "dma-bufs" },
	{ ACL_VMM_CAP_STREAMS, "streams and events" },
	{ ACL_VMM_CAP_DEVICE_MMU, "device page tables" },
	{ ACL_VMM_CAP_HANDLE_REFS, "handle references and properties" },
	{ ACL_VMM_CAP_STREAM_CONTROL, "forced stream destroy and stream query" },
	{ ACL_VMM_CAP_SHARE_CLOSE, "withdrawing a share (IPC keys)" },
	{ ACL_VMM_CAP_SYNC_TIMEOUT, "synchronizing with a timeout" },
};

/*
 * Whether the module that answered GET_INFO with @info has everything this
 * library calls; if not, fail with a message naming what it lacks.
 */
aclError acl_vmm_abi_check(const struct acl_vmm_info *info, const char *path)
{
	char missing[256] = "";
	size_t i, n = 0;

	for (i = 0; i < sizeof(acl_vmm_needed_caps) / sizeof(acl_vmm_needed_caps[0]); i++) {
		if (info->caps & acl_vmm_needed_caps[i].cap)
			continue;
		n += snprintf(missing + n, n < sizeof(missing) ? sizeof(missing) - n : 0,
			      "%s%s", n ? ", " : "", acl_vmm_needed_caps[i].name);
	}
	if (info->abi_version == ACL_VMM_ABI_VERSION && !missing[0])
		return ACL_SUCCESS;
	if (info->abi_version > ACL_VMM_ABI_VERSION)
		return acl_vmm_fail(ACL_ERROR_DRV_FAILURE,
				    "aclInit: %s speaks acl_vmm ABI %u, newer than this library's %u: update libacl-vmm",
				    path, info->abi_version, ACL_VMM_ABI_VERSION);
	if (info->abi_version == ACL_VMM_ABI_VERSION)
		return acl_vmm_fail(ACL_ERROR_DRV_FAILURE,
				    "aclInit: the acl_vmm.ko behind %s lacks what this library calls: %s",
				    path, missing);
	return acl_vmm_fail(ACL_ERROR_DRV_FAILURE,
			    "aclInit: %s is an acl_vmm.ko older than this library (ABI %u, this library needs %u); it lacks: %s: update the module",
			    path, info->abi_version, ACL_VMM_ABI_VERSION,
			    missing[0] ? missing : "nothing this library calls");
}

static aclError acl_vmm_open_device(void)
{
	const char *path = acl_vmm_raw_default_path();
	uint8_t attached[ACL_VMM_MAX_DEVICES] = { 0 };
	struct acl_vmm_info info;
	aclError ret;
	int fd, err;

	fd = acl_vmm_raw_device_open(&info);
	if (fd == -EPROTO)
		return acl_vmm_abi_check(&info, path);
	if (fd == -ENOTTY || fd == -EINVAL)
		return acl_vmm_fail_errno(ACL_VMM_OP_INFO, fd,
					  "aclInit: %s does not answer as acl_vmm",
					  path);
	if (fd < 0)
		return acl_vmm_fail_errno(ACL_VMM_OP_OPEN, fd,
					  "aclInit: cannot open %s", path);
	ret = acl_vmm_abi_check(&info, path);
	if (ret) {
		acl_vmm_raw_device_close();
		return ret;
	}
	err = acl_vmm_raw_attach_all(fd, path, info.num_devices, attached);
	if (err) {
		acl_vmm_raw_device_close();
		return acl_vmm_fail_errno(ACL_VMM_OP_OPEN, err,
					  "aclInit: cannot attach the device nodes %sN", path);
	}
	acl_vmm_visible_devices(info.num_devices, attached);
	atomic_store_explicit(&acl_vmm_devfd, fd, memory_order_release);
	return ACL_SUCCESS;
}

aclError aclInit(const char *configPath)
{
	aclError ret = ACL_SUCCESS;

	pthread_once(&acl_vmm_atfork_once, acl_vmm_register_atfork);
	if (configPath && *configPath && access(configPath, R_OK))
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclInit: configPath \"%s\" cannot be read: %s",
				    configPath, strerror(errno));
	pthread_mutex_lock(&acl_vmm_lock);
	if (acl_vmm_init_count) {
		acl_vmm_init_count++;
		ret = acl_vmm_fail(ACL_ERROR_REPEAT_INITIALIZE,
				   "aclInit: already initialized (aclInit calls are counted; call aclFinalize as often)");
	} else {
		ret = acl_vmm_open_device();
		if (ret == ACL_SUCCESS) {
			acl_vmm_init_count = 1;
			acl_vmm_was_initialized = true;
		}
	}
	pthread_mutex_unlock(&acl_vmm_lock);
	return ret;
}

aclError aclFinalize(void)
{
	aclError ret = ACL_SUCCESS;

	pthread_mutex_lock(&acl_vmm_lock);
	if (!acl_vmm_init_count) {
		ret = acl_vmm_was_initialized ?
		      acl_vmm_fail(ACL_ERROR_REPEAT_FINALIZE,
				   "aclFinalize: already finalized") :
		      acl_vmm_fail(ACL_ERROR_UNINITIALIZE,
				   "aclFinalize: the library was never initialized");
	} else if (acl_vmm_init_count > 1) {
		acl_vmm_init_count--;
	} else {
		int err;

		/*
		 * Release and free everything the process holds, then close:
		 * reservations, like any mmap(), outlive the descriptor. If
		 * the release fails, stay initialized: it can be retried.
		 */
		err = acl_vmm_raw_reset(acl_vmm_fd());
		if (err) {
			ret = acl_vmm_fail_errno(ACL_VMM_OP_ANY, err,
						 "aclFinalize: not everything could be released; call aclFinalize again");
		} else {
			acl_vmm_init_count = 0;
			atomic_store(&acl_vmm_devfd, -1);
			acl_vmm_raw_device_close();
			acl_vmm_contexts_free();
		}
	}
	pthread_mutex_unlock(&acl_vmm_lock);
	return ret;
}

aclError aclrtGetVersion(int32_t *majorVersion, int32_t *minorVersion,
			 int32_t *patchVersion)
{
	if (!majorVersion || !minorVersion || !patchVersion)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtGetVersion: majorVersion, minorVersion and patchVersion must not be NULL");
	*majorVersion = ACL_MAJOR_VERSION;
	*minorVersion = ACL_MINOR_VERSION;
	*patchVersion = ACL_PATCH_VERSION;
	return ACL_SUCCESS;
}

aclError aclrtGetDeviceCount(uint32_t *count)
{
	aclError ret;

	if (!count)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtGetDeviceCount: count is NULL");
	ret = acl_vmm_ready("aclrtGetDeviceCount");
	if (ret)
		return ret;
	*count = acl_vmm_num_devices;
	return ACL_SUCCESS;
}

static struct acl_vmm_context *acl_vmm_context_new(int32_t device, bool is_default)
{
	struct acl_vmm_context *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->device = device;
	c->is_default = is_default;
	c->next = acl_vmm_contexts;
	acl_vmm_contexts = c;
	return c;
}

static void acl_vmm_context_unlink(struct acl_vmm_context *c)
{
	struct acl_vmm_context **p;

	if (c->stream)	/* after its work; nothing is reported */
		acl_vmm_raw_destroy(acl_vmm_fd(), c->stream);

	for (p = &acl_vmm_contexts; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	if (acl_vmm_current == c)
		acl_vmm_current = NULL;
	free(c);
}

/* The context @ptr names, or NULL: userspace pointers are checked first. */
static struct acl_vmm_context *acl_vmm_context_find(const void *ptr)
{
	struct acl_vmm_context *c;

	for (c = acl_vmm_contexts; c; c = c->next)
		if (c == ptr)
			return c;
	return NULL;
}

static struct acl_vmm_context *acl_vmm_default_context(int32_t device)
{
	struct acl_vmm_context *c;

	for (c = acl_vmm_contexts; c; c = c->next)
		if (c->is_default && c->device == device)
			return c;
	return NULL;
}

aclError aclrtSetDevice(int32_t deviceId)
{
	struct acl_vmm_context *c;
	aclError ret;

	ret = acl_vmm_ready("aclrtSetDevice");
	if (ret)
		return ret;
	ret = acl_vmm_check_device("aclrtSetDevice", "deviceId", deviceId);
	if (ret)
		return ret;
	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_default_context(deviceId);
	if (!c)
		c = acl_vmm_context_new(deviceId, true);
	if (c) {
		c->default_refs++;
		acl_vmm_current = c;
	}
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!c)
		return acl_vmm_fail(ACL_ERROR_BAD_ALLOC,
				    "aclrtSetDevice: out of host memory");
	return ACL_SUCCESS;
}

/* Drop one of @deviceId's SetDevice references, or (@force) all of them. */
static aclError acl_vmm_reset_device(const char *api, int32_t deviceId,
				     bool force)
{
	struct acl_vmm_context *c;
	aclError ret;

	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	ret = acl_vmm_check_device(api, "deviceId", deviceId);
	if (ret)
		return ret;
	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_default_context(deviceId);
	if (c && force)
		c->default_refs = 0;
	else if (c)
		c->default_refs--;
	if (c && !c->default_refs)
		acl_vmm_context_unlink(c);
	pthread_mutex_unlock(&acl_vmm_lock);
	return ACL_SUCCESS;
}

aclError aclrtResetDevice(int32_t deviceId)
{
	return acl_vmm_reset_device("aclrtResetDevice", deviceId, false);
}

aclError aclrtResetDeviceForce(int32_t deviceId)
{
	return acl_vmm_reset_device("aclrtResetDeviceForce", deviceId, true);
}

aclError aclrtGetRunMode(aclrtRunMode *runMode)
{
	if (!runMode)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtGetRunMode: runMode is NULL");
	*runMode = ACL_HOST;	/* the program runs on the host, beside the devices */
	return ACL_SUCCESS;
}

aclError aclrtGetDevice(int32_t *deviceId)
{
	aclError ret;

	if (!deviceId)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtGetDevice: deviceId is NULL");
	ret = acl_vmm_ready("aclrtGetDevice");
	if (ret)
		return ret;
	return acl_vmm_current_device("aclrtGetDevice", deviceId);
}

aclError aclrtCreateContext(aclrtContext *context, int32_t deviceId)
{
	struct acl_vmm_context *c;
	aclError ret;

	if (!context)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtCreateContext: context is NULL");
	ret = acl_vmm_ready("aclrtCreateContext");
	if (ret)
		return ret;
	ret = acl_vmm_check_device("aclrtCreateContext", "deviceId", deviceId);
	if (ret)
		return ret;
	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_context_new(deviceId, false);
	if (c)
		acl_vmm_current = c;
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!c)
		return acl_vmm_fail(ACL_ERROR_BAD_ALLOC,
				    "aclrtCreateContext: out of host memory");
	*context = c;
	return ACL_SUCCESS;
}

aclError aclrtDestroyContext(aclrtContext context)
{
	struct acl_vmm_context *c;
	aclError ret = ACL_SUCCESS;

	if (!context)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtDestroyContext: context is NULL");
	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_context_find(context);
	if (!c || c->is_default)
		ret = acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				   "aclrtDestroyContext: context %p was not created by aclrtCreateContext, or is destroyed",
				   context);
	else
		acl_vmm_context_unlink(c);
	pthread_mutex_unlock(&acl_vmm_lock);
	return ret;
}

aclError aclrtSetCurrentContext(aclrtContext context)
{
	struct acl_vmm_context *c;

	if (!context)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtSetCurrentContext: context is NULL");
	pthread_mutex_lock(&acl_vmm_lock);
	c = acl_vmm_context_find(context);
	if (c)
		acl_vmm_current = c;
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!c)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "aclrtSetCurrentContext: context %p is not a live context",
				    context);
	return ACL_SUCCESS;
}

aclError aclrtGetCurrentContext(aclrtContext *context)
{
	if (!context)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM,
				    "aclrtGetCurrentContext: context is NULL");
	pthread_mutex_lock(&acl_vmm_lock);
	*context = acl_vmm_current_context();
	pthread_mutex_unlock(&acl_vmm_lock);
	if (!*context)
		return acl_vmm_fail(ACL_ERROR_RT_CONTEXT_NULL,
				    "aclrtGetCurrentContext: the thread has no current context");
	return ACL_SUCCESS;
}
