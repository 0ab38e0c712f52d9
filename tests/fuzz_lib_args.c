// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: libacl-vmm's argument checks. The fuzzer's bytes fill
 * the arguments of the VMM calls (with the library not initialized, no
 * device is needed); every call must return a code of the contract, and a
 * message when it fails. Built with clang (-fsanitize=fuzzer,address,undefined).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

static bool known(aclError e)
{
	switch (e) {
	case ACL_SUCCESS: case 100000: case 100001: case 107000: case 107001:
	case 107002: case 107012: case 107017: case 207000: case 207001:
	case 207012: case 507899:
		return true;
	default:
		return false;
	}
}

static void expect(aclError e)
{
	if (!known(e) || (e && !aclGetRecentErrMsg()))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		aclrtPhysicalMemProp prop;
		uint64_t a, b, c, d;
		uint8_t sel;
	} f;
	aclrtDrvMemHandle h;
	void *p;
	size_t g;
	uint64_t share;

	memset(&f, 0, sizeof(f));
	memcpy(&f, data, size < sizeof(f) ? size : sizeof(f));
	setenv("ACL_VMM_DEVICE", "/nonexistent/acl_vmm", 1);
	expect(aclrtMallocPhysical(f.sel & 1 ? NULL : &h, f.a, f.sel & 2 ? NULL : &f.prop, f.b));
	expect(aclrtMemGetAllocationGranularity(f.sel & 4 ? NULL : &f.prop,
						(aclrtMemGranularityOptions)f.c,
						f.sel & 8 ? NULL : &g));
	expect(aclrtReserveMemAddress(f.sel & 16 ? NULL : &p, f.a, f.b, (void *)(uintptr_t)f.c, f.d));
	expect(aclrtMapMem((void *)(uintptr_t)f.a, f.b, f.c, (aclrtDrvMemHandle)(uintptr_t)f.d, f.sel));
	expect(aclrtUnmapMem((void *)(uintptr_t)f.a));
	expect(aclrtReleaseMemAddress((void *)(uintptr_t)f.b));
	expect(aclrtFreePhysical((aclrtDrvMemHandle)(uintptr_t)f.c));
	expect(aclrtMemExportToShareableHandle((aclrtDrvMemHandle)(uintptr_t)f.a,
					       (aclrtMemHandleType)f.sel, f.b,
					       f.sel & 32 ? NULL : &share));
	expect(aclrtMemcpy(NULL, f.a, NULL, f.b & 1, (aclrtMemcpyKind)f.c));
	return 0;
}
