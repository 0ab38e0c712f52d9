// SPDX-License-Identifier: GPL-2.0
// The public headers compile alone in C++, and declare C linkage.
#include "acl/acl.h"
#include "linux/acl_vmm.h"

#include <cstddef>
#include <type_traits>

static_assert(sizeof(aclrtPhysicalMemProp) == 32, "aclrtPhysicalMemProp");
static_assert(offsetof(aclrtPhysicalMemProp, reserve) == 24, "reserve");
static_assert(sizeof(aclrtMemAccessDesc) == 24, "aclrtMemAccessDesc");
static_assert(std::is_same<decltype(&aclrtMapMem),
			   aclError (*)(void *, size_t, size_t, aclrtDrvMemHandle, uint64_t)>::value,
	      "aclrtMapMem prototype");
static_assert(sizeof(acl_vmm_reserve) == 24, "acl_vmm_reserve");

int main()
{
	aclrtPhysicalMemProp prop = {};
	prop.memAttr = ACL_HBM_MEM_HUGE;
	prop.location.type = ACL_MEM_LOCATION_TYPE_DEVICE;
	return prop.reserve == 0 && ACL_SUCCESS == 0 ? 0 : 1;
}
