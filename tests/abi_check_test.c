// SPDX-License-Identifier: GPL-2.0
/*
 * The library's check of the module at aclInit (lib/runtime.c), against
 * the answers of modules older, newer and lacking a feature group: each
 * refusal is ACL_ERROR_DRV_FAILURE with a message that says what is
 * missing and what to update.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int failures;

static void check(const char *what, uint32_t abi, uint64_t caps, aclError want,
		  const char *msg1, const char *msg2)
{
	struct acl_vmm_info info = { .size = sizeof(info), .abi_version = abi, .caps = caps };
	aclError got = acl_vmm_abi_check(&info, "/dev/acl_vmm");
	const char *msg = got ? aclGetRecentErrMsg() : "";

	if (got != want || (msg1 && !strstr(msg, msg1)) || (msg2 && !strstr(msg, msg2))) {
		printf("not ok - %s: %d \"%s\"\n", what, got, msg ? msg : "(null)");
		failures++;
		return;
	}
	printf("ok - %s%s%s\n", what, got ? ": " : "", got ? msg : "");
}

int main(void)
{
	const uint64_t all = ACL_VMM_CAP_CORE | ACL_VMM_CAP_SHARE | ACL_VMM_CAP_DMABUF |
			     ACL_VMM_CAP_STREAMS | ACL_VMM_CAP_DEVICE_MMU |
			     ACL_VMM_CAP_HANDLE_REFS | ACL_VMM_CAP_STREAM_CONTROL |
			     ACL_VMM_CAP_SHARE_CLOSE | ACL_VMM_CAP_SYNC_TIMEOUT;

	check("this module", ACL_VMM_ABI_VERSION, all, ACL_SUCCESS, NULL, NULL);
	check("a module with more", ACL_VMM_ABI_VERSION, all | (1ULL << 40), ACL_SUCCESS,
	      NULL, NULL);
	check("a module older than the version member", 0, 0, ACL_ERROR_DRV_FAILURE,
	      "older than this library", "streams and events");
	check("a module without streams", ACL_VMM_ABI_VERSION, all & ~ACL_VMM_CAP_STREAMS,
	      ACL_ERROR_DRV_FAILURE, "lacks what this library calls: streams and events",
	      NULL);
	check("a newer ABI", ACL_VMM_ABI_VERSION + 1, all, ACL_ERROR_DRV_FAILURE,
	      "newer than this library", "update libacl-vmm");
	return failures ? 1 : 0;
}
