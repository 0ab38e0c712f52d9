// SPDX-License-Identifier: GPL-2.0
/*
 * torch_npu loads the runtime with dlopen("libascendcl.so") and looks the
 * calls up by name: that must find this library and its ACL functions.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "acl/acl.h"

typedef aclError (*init_fn)(const char *);
typedef aclError (*reserve_fn)(void **, size_t, size_t, void *, uint64_t);
typedef aclError (*release_fn)(void *);
typedef aclError (*finalize_fn)(void);

int main(void)
{
	void *lib = dlopen("libascendcl.so", RTLD_NOW | RTLD_GLOBAL);
	init_fn init;
	reserve_fn reserve;
	release_fn release;
	finalize_fn finalize;
	void *va = NULL;

	if (!lib) {
		printf("dlopen(libascendcl.so): %s\n", dlerror());
		return 1;
	}
	init = (init_fn)dlsym(lib, "aclInit");
	reserve = (reserve_fn)dlsym(lib, "aclrtReserveMemAddress");
	release = (release_fn)dlsym(lib, "aclrtReleaseMemAddress");
	finalize = (finalize_fn)dlsym(lib, "aclFinalize");
	if (!init || !reserve || !release || !finalize || dlsym(lib, "acl_vmm_fail")) {
		printf("libascendcl.so does not export exactly the ACL names\n");
		return 1;
	}
	if (init(NULL) || reserve(&va, 512, 0, NULL, 1) || release(va) || finalize()) {
		printf("a call through dlopen failed\n");
		return 1;
	}
	printf("dlopen_test: libascendcl.so found, reserved and released %p\n", va);
	dlclose(lib);
	return 0;
}
