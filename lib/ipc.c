// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IPC keys: aclrtIpcMemGetExportKey, aclrtIpcMemSetImportPid,
 * aclrtIpcMemImportByKey, aclrtIpcMemClose (torch_npu's IPC, Mooncake,
 * vLLM).
 *
 * A key names whole pages of one allocation (an aclrtMalloc block or a
 * VMM mapping): "acl-vmm:SHARE:OFFSET:SIZE", SHARE the kernel's share of
 * the allocation's memory (a capability: 56 random bits), OFFSET and SIZE
 * the pages within it. The exporter exports the memory once, whatever the
 * number of keys made of it; the whitelist is the share's. The importer
 * imports the share on its current device, maps the whole allocation once
 * in a reservation of its own and returns the key's pages in it; every
 * import of a key of that allocation takes a reference on the mapping,
 * and aclrtIpcMemClose drops one (the last unmaps). aclrtIpcMemClose in
 * the exporter withdraws the share: no further import finds it, and the
 * processes that imported it keep their memory. The share goes with the
 * memory in any case: when the exporter frees it and no importer holds it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ACL_VMM_IPC_KEY_MAX 65	/* CANN's key buffer, the NUL included */
#define ACL_VMM_IPC_PREFIX "acl-vmm:"

/* An allocation this process exported (by key) or imported. */
struct acl_vmm_ipc {
	struct acl_vmm_ipc *next;
	uint64_t share;
	bool exported;
	uint64_t base;		/* exported: the mapping; imported: our mapping */
	unsigned int refs;	/* imported: the imports not closed yet */
};

static pthread_mutex_t acl_vmm_ipc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct acl_vmm_ipc *acl_vmm_ipcs;

static struct acl_vmm_ipc *acl_vmm_ipc_find(uint64_t share, bool exported)
{
	struct acl_vmm_ipc *e;

	for (e = acl_vmm_ipcs; e; e = e->next)
		if (e->share == share && e->exported == exported)
			return e;
	return NULL;
}

static void acl_vmm_ipc_unlink(struct acl_vmm_ipc *e)
{
	struct acl_vmm_ipc **p;

	for (p = &acl_vmm_ipcs; *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			break;
		}
	}
	free(e);
}

/* The export of the mapping at @base, made by a key, if any. */
static struct acl_vmm_ipc *acl_vmm_ipc_export_of(uint64_t base)
{
	struct acl_vmm_ipc *e;

	for (e = acl_vmm_ipcs; e; e = e->next)
		if (e->exported && e->base == base)
			return e;
	return NULL;
}

/* Parse @key; 107000 naming the argument when it is not one of ours. */
static aclError acl_vmm_ipc_parse(const char *api, const char *key,
				  uint64_t *share, uint64_t *offset,
				  uint64_t *size)
{
	int n = 0;

	if (strnlen(key, ACL_VMM_IPC_KEY_MAX) == ACL_VMM_IPC_KEY_MAX ||
	    sscanf(key, ACL_VMM_IPC_PREFIX "%16" SCNx64 ":%" SCNx64 ":%" SCNx64 "%n",
		   share, offset, size, &n) != 3 || key[n] || !*size)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: key \"%.*s\" is not an IPC key made by aclrtIpcMemGetExportKey",
				    api, ACL_VMM_IPC_KEY_MAX, key);
	return ACL_SUCCESS;
}

aclError aclrtIpcMemGetExportKey(void *devPtr, size_t size, char *key,
				 size_t len, uint64_t flags)
{
	static const char api[] = "aclrtIpcMemGetExportKey";
	uint64_t addr = (uintptr_t)devPtr, share = 0;
	struct acl_vmm_query q;
	struct acl_vmm_ipc *e;
	uint32_t handle = 0;
	aclError ret;
	int err;

	if (!devPtr || !key)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !devPtr ? "devPtr" : "key");
	if (!size)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: size is 0", api);
	if (len < ACL_VMM_IPC_KEY_MAX)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: len=%zu: the key needs %d bytes", api,
				    len, ACL_VMM_IPC_KEY_MAX);
	if (flags & ~ACL_RT_IPC_MEM_EXPORT_FLAG_DISABLE_PID_VALIDATION)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: flags=%#llx: must be ACL_RT_IPC_MEM_EXPORT_FLAG_DEFAULT or _DISABLE_PID_VALIDATION",
				    api, (unsigned long long)flags);
	ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	if (addr % ACL_VMM_GRANULE || size % ACL_VMM_GRANULE)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: devPtr=%p size=%zu: a key names whole pages of %zu bytes (2 MiB)",
				    api, devPtr, size, (size_t)ACL_VMM_GRANULE);
	err = acl_vmm_raw_query(acl_vmm_fd(), addr, size, &q);
	if (err || addr + size > q.map_start + q.map_length)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: devPtr=%p size=%zu is not within one mapped allocation (aclrtMalloc or aclrtMapMem)",
				    api, devPtr, size);
	if (q.device == ACL_VMM_DEVICE_HOST)
		return acl_vmm_fail(ACL_ERROR_RT_FEATURE_NOT_SUPPORT,
				    "%s: devPtr=%p is host memory, which cannot be shared",
				    api, devPtr);

	pthread_mutex_lock(&acl_vmm_ipc_lock);
	/*
	 * Export the memory mapped there, through a live handle of it (it
	 * may have been freed while mapped). Exported already: by an earlier
	 * key, whose share names it.
	 */
	err = acl_vmm_raw_retain(acl_vmm_fd(), q.map_start, &handle);
	if (!err) {
		err = acl_vmm_raw_export(acl_vmm_fd(), handle,
					 flags ? ACL_VMM_EXPORT_NO_PID_CHECK : 0,
					 &share);
		acl_vmm_raw_destroy(acl_vmm_fd(), handle);	/* the retain's */
	}
	e = acl_vmm_ipc_export_of(q.map_start);
	if (err == -EEXIST && e) {
		share = e->share;
		goto out_key;
	}
	if (err) {
		ret = acl_vmm_fail_errno(ACL_VMM_OP_EXPORT, err,
					 "%s: devPtr=%p size=%zu", api, devPtr, size);
		goto out_unlock;
	}
	if (e)	/* other memory at the same address, before */
		acl_vmm_ipc_unlink(e);
	e = calloc(1, sizeof(*e));
	if (!e) {
		acl_vmm_raw_share_close(acl_vmm_fd(), share);
		ret = acl_vmm_fail(ACL_ERROR_BAD_ALLOC, "%s: out of host memory", api);
		goto out_unlock;
	}
	e->share = share;
	e->exported = true;
	e->base = q.map_start;
	e->next = acl_vmm_ipcs;
	acl_vmm_ipcs = e;
out_key:
	snprintf(key, len, ACL_VMM_IPC_PREFIX "%016" PRIx64 ":%" PRIx64 ":%zx",
		 share, (uint64_t)(addr - q.map_start), size);
out_unlock:
	pthread_mutex_unlock(&acl_vmm_ipc_lock);
	return ret;
}

aclError aclrtIpcMemSetImportPid(const char *key, int32_t *pid, size_t num)
{
	static const char api[] = "aclrtIpcMemSetImportPid";
	uint64_t share, offset, size;
	aclError ret;

	if (!key || !pid)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !key ? "key" : "pid");
	if (!num)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: num is 0", api);
	ret = acl_vmm_ipc_parse(api, key, &share, &offset, &size);
	if (ret)
		return ret;
	return acl_vmm_share_set_pids(api, share, pid, num);
}

aclError aclrtIpcMemImportByKey(void **devPtr, const char *key, uint64_t flags)
{
	static const char api[] = "aclrtIpcMemImportByKey";
	uint64_t share, offset, size, addr = 0;
	struct acl_vmm_handle_info info;
	struct acl_vmm_ipc *e;
	uint32_t handle = 0;
	int32_t device;
	aclError ret;
	int err;

	if (!devPtr || !key)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: %s is NULL",
				    api, !devPtr ? "devPtr" : "key");
	if (flags & ~ACL_RT_IPC_MEM_IMPORT_FLAG_ENABLE_PEER_ACCESS)
		return acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				    "%s: flags=%#llx: must be ACL_RT_IPC_MEM_IMPORT_FLAG_DEFAULT or _ENABLE_PEER_ACCESS",
				    api, (unsigned long long)flags);
	ret = acl_vmm_ipc_parse(api, key, &share, &offset, &size);
	if (!ret)
		ret = acl_vmm_ready(api);
	if (!ret)
		ret = acl_vmm_current_device(api, &device);
	if (ret)
		return ret;

	pthread_mutex_lock(&acl_vmm_ipc_lock);
	e = acl_vmm_ipc_find(share, false);
	if (e) {
		e->refs++;
		goto out_ptr;
	}
	/*
	 * Importing on the current device also lets it reach the memory's
	 * device (peer access), as CANN's import does.
	 */
	err = acl_vmm_raw_import(acl_vmm_fd(), share, acl_vmm_phys_device(device),
				 &handle);
	if (err) {
		ret = acl_vmm_fail_errno(ACL_VMM_OP_IMPORT, err, "%s: key \"%s\"",
					 api, key);
		goto out_unlock;
	}
	err = acl_vmm_raw_handle_info(acl_vmm_fd(), handle, &info);
	if (!err && offset + size > info.length)
		err = -EINVAL;
	if (!err)
		err = acl_vmm_raw_reserve(acl_vmm_fd(), info.length, 0, &addr);
	if (!err) {
		err = acl_vmm_raw_map(acl_vmm_fd(), addr, info.length, handle);
		if (err)
			acl_vmm_raw_release(acl_vmm_fd(), addr);
	}
	acl_vmm_raw_destroy(acl_vmm_fd(), handle);	/* the mapping keeps it */
	e = err ? NULL : calloc(1, sizeof(*e));
	if (!e) {
		if (!err) {
			acl_vmm_raw_unmap(acl_vmm_fd(), addr);
			acl_vmm_raw_release(acl_vmm_fd(), addr);
		}
		ret = err == -EINVAL ?
		      acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				   "%s: key \"%s\" names pages beyond its allocation",
				   api, key) :
		      err ? acl_vmm_fail_errno(ACL_VMM_OP_MAP, err, "%s: key \"%s\"",
					       api, key) :
		      acl_vmm_fail(ACL_ERROR_BAD_ALLOC, "%s: out of host memory", api);
		goto out_unlock;
	}
	e->share = share;
	e->base = addr;
	e->refs = 1;
	e->next = acl_vmm_ipcs;
	acl_vmm_ipcs = e;
out_ptr:
	*devPtr = (void *)(uintptr_t)(e->base + offset);
out_unlock:
	pthread_mutex_unlock(&acl_vmm_ipc_lock);
	return ret;
}

aclError aclrtIpcMemClose(const char *key)
{
	static const char api[] = "aclrtIpcMemClose";
	uint64_t share, offset, size;
	struct acl_vmm_ipc *e;
	aclError ret;
	int err = 0;

	if (!key)
		return acl_vmm_fail(ACL_ERROR_INVALID_PARAM, "%s: key is NULL", api);
	ret = acl_vmm_ipc_parse(api, key, &share, &offset, &size);
	if (!ret)
		ret = acl_vmm_ready(api);
	if (ret)
		return ret;
	pthread_mutex_lock(&acl_vmm_ipc_lock);
	e = acl_vmm_ipc_find(share, false);
	if (e) {
		/* The importer: the last close of the allocation unmaps it. */
		if (!--e->refs) {
			err = acl_vmm_raw_unmap(acl_vmm_fd(), e->base);
			if (!err)
				err = acl_vmm_raw_release(acl_vmm_fd(), e->base);
			if (err)
				e->refs++;
			else
				acl_vmm_ipc_unlink(e);
		}
	} else if ((e = acl_vmm_ipc_find(share, true))) {
		/* The exporter: no further import. */
		err = acl_vmm_raw_share_close(acl_vmm_fd(), share);
		if (!err || err == -ENOENT) {	/* or gone with its memory */
			err = 0;
			acl_vmm_ipc_unlink(e);
		}
	} else {
		ret = acl_vmm_fail(ACL_ERROR_RT_PARAM_INVALID,
				   "%s: key \"%s\" was neither exported nor imported by this process (or is closed)",
				   api, key);
	}
	pthread_mutex_unlock(&acl_vmm_ipc_lock);
	if (err)
		ret = acl_vmm_fail_errno(ACL_VMM_OP_ANY, err, "%s: key \"%s\"",
					 api, key);
	return ret;
}
