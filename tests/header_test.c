// SPDX-License-Identifier: GPL-2.0
/*
 * The public headers compile alone in C11 with -pedantic, and their types
 * have CANN's sizes, offsets and values (LP64).
 */
#include "acl/acl.h"
#include "linux/acl_vmm.h"

#include <stddef.h>
#include <stdio.h>

_Static_assert(sizeof(aclError) == 4, "aclError is int");
_Static_assert(sizeof(aclrtMemLocation) == 8, "aclrtMemLocation");
_Static_assert(sizeof(aclrtPhysicalMemProp) == 32, "aclrtPhysicalMemProp size");
_Static_assert(offsetof(aclrtPhysicalMemProp, allocationType) == 4, "allocationType");
_Static_assert(offsetof(aclrtPhysicalMemProp, memAttr) == 8, "memAttr");
_Static_assert(offsetof(aclrtPhysicalMemProp, location) == 12, "location");
_Static_assert(offsetof(aclrtPhysicalMemProp, location.id) == 12, "location.id");
_Static_assert(offsetof(aclrtPhysicalMemProp, location.type) == 16, "location.type");
_Static_assert(offsetof(aclrtPhysicalMemProp, reserve) == 24, "reserve");
_Static_assert(sizeof(aclrtMemAccessDesc) == 24, "aclrtMemAccessDesc");
_Static_assert(ACL_HBM_MEM_HUGE == 4 && ACL_MEM_P2P_HUGE1G == 17, "aclrtMemAttr");
_Static_assert(ACL_MEM_LOCATION_TYPE_HOST_NUMA == 4, "aclrtMemLocationType");
_Static_assert(ACL_MEM_HANDLE_TYPE_POSIX == 2, "aclrtMemHandleType");
_Static_assert(ACL_RT_MEM_ALLOC_GRANULARITY_UNDEF == 0xFFFF, "granularity option");
_Static_assert(ACL_RT_MEM_ACCESS_FLAGS_READWRITE == 3, "access flags");
_Static_assert(ACL_MEMCPY_INTER_DEVICE_TO_DEVICE == 7, "aclrtMemcpyKind");
_Static_assert(ACL_MEM_MALLOC_HUGE1G_ONLY_P2P == 7, "aclrtMemMallocPolicy");
_Static_assert(ACL_ERROR_RT_MEMORY_ALLOCATION == 207001, "207001");
_Static_assert(ACL_ERROR_RT_FEATURE_NOT_SUPPORT == 207000, "207000");
_Static_assert(ACL_ERROR_RT_DRV_INTERNAL_ERROR == 507899, "507899");
_Static_assert(ACL_RT_VMM_EXPORT_FLAG_DISABLE_PID_VALIDATION == 0x1UL, "export flag");
_Static_assert(sizeof(struct acl_vmm_map) % 8 == 0, "uAPI structs are padded");
_Static_assert(sizeof(struct acl_vmm_query) % 8 == 0, "uAPI structs are padded");

int main(void)
{
	/* The static const codes are usable as values. */
	int codes[] = { ACL_SUCCESS, ACL_ERROR_INVALID_PARAM, ACL_ERROR_UNINITIALIZE,
			ACL_ERROR_REPEAT_INITIALIZE, ACL_ERROR_REPEAT_FINALIZE,
			ACL_ERROR_BAD_ALLOC, ACL_ERROR_API_NOT_SUPPORT,
			ACL_ERROR_INVALID_DEVICE, ACL_ERROR_INTERNAL_ERROR,
			ACL_ERROR_FAILURE, ACL_ERROR_RT_FAILURE, ACL_ERROR_DRV_FAILURE };
	int expect[] = { 0, 100000, 100001, 100002, 100037, 200000, 200001,
			 200002, 500000, 500001, 500003, 500004 };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i] != expect[i]) {
			printf("error code %zu is %d, not %d\n", i, codes[i], expect[i]);
			return 1;
		}
	}
	return 0;
}
