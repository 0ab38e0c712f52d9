// SPDX-License-Identifier: GPL-2.0
/*
 * libacl-vmm without the module: aclInit fails cleanly with a message
 * naming the device, every call before a successful aclInit is refused
 * with ACL_ERROR_UNINITIALIZE, argument checks come first, and the
 * per-thread last error follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl/acl.h"

static int failures;

#define EXPECT(expr, code)                                                    \
	do {                                                                  \
		aclError _r = (expr);                                         \
		if (_r != (code)) {                                           \
			printf("FAIL %s:%d: %s returned %d, expected %d (%s)\n", \
			       __FILE__, __LINE__, #expr, _r, (int)(code),    \
			       aclGetRecentErrMsg() ? aclGetRecentErrMsg() : "");\
			failures++;                                           \
		}                                                             \
	} while (0)

/* What a failing call prints to stderr, with ACL_VMM_DEBUG=@env. */
static void stderr_of_failure(const char *env, char *out, size_t size)
{
	int saved = dup(2), pipefd[2];
	ssize_t n;
	void *p;

	if (saved < 0 || pipe(pipefd)) {
		printf("FAIL: dup or pipe\n"), failures++;
		return;
	}
	setenv("ACL_VMM_DEBUG", env, 1);
	fflush(stderr);
	dup2(pipefd[1], 2);
	EXPECT(aclrtReserveMemAddress(&p, 1 << 21, 0, NULL, 0), ACL_ERROR_UNINITIALIZE);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	out[n > 0 ? n : 0] = 0;
	close(pipefd[0]);
	unsetenv("ACL_VMM_DEBUG");
}

/* ACL_VMM_DEBUG=1 logs each error with its code and message; 0 does not. */
static void debug_log(void)
{
	char out[1024], want[64];

	stderr_of_failure("1", out, sizeof(out));
	snprintf(want, sizeof(want), "acl-vmm[%d]: error %d: ", (int)getpid(),
		 ACL_ERROR_UNINITIALIZE);
	if (!strstr(out, want) || !strstr(out, "aclrtReserveMemAddress"))
		printf("FAIL: ACL_VMM_DEBUG=1 logged \"%s\"\n", out), failures++;
	stderr_of_failure("0", out, sizeof(out));
	if (out[0])
		printf("FAIL: ACL_VMM_DEBUG=0 logged \"%s\"\n", out), failures++;
}

int main(void)
{
	void *p = NULL;
	uint32_t count;
	const char *msg;

	EXPECT(aclrtPeekAtLastError(ACL_RT_THREAD_LEVEL), ACL_SUCCESS);
	if (aclGetRecentErrMsg())
		printf("FAIL: a message before any error\n"), failures++;
	EXPECT(aclInit(NULL), ACL_ERROR_DRV_FAILURE);
	msg = aclGetRecentErrMsg();
	if (!msg || !strstr(msg, "/nonexistent/acl_vmm") || !strstr(msg, "acl_vmm.ko"))
		printf("FAIL: aclInit message: %s\n", msg ? msg : "(null)"), failures++;
	EXPECT(aclrtGetDeviceCount(&count), ACL_ERROR_UNINITIALIZE);
	EXPECT(aclrtReserveMemAddress(&p, 1 << 21, 0, NULL, 0), ACL_ERROR_UNINITIALIZE);
	msg = aclGetRecentErrMsg();
	if (!msg || !strstr(msg, "aclrtReserveMemAddress") || !strstr(msg, "aclInit"))
		printf("FAIL: uninitialized message: %s\n", msg ? msg : "(null)"), failures++;
	EXPECT(aclrtReserveMemAddress(NULL, 1 << 21, 0, NULL, 0), ACL_ERROR_INVALID_PARAM);
	msg = aclGetRecentErrMsg();
	if (!msg || !strstr(msg, "virPtr"))
		printf("FAIL: NULL virPtr message: %s\n", msg ? msg : "(null)"), failures++;
	EXPECT(aclrtPeekAtLastError(ACL_RT_THREAD_LEVEL), ACL_ERROR_INVALID_PARAM);
	EXPECT(aclrtPeekAtLastError(ACL_RT_THREAD_LEVEL), ACL_ERROR_INVALID_PARAM);
	EXPECT(aclrtGetLastError(ACL_RT_THREAD_LEVEL), ACL_ERROR_INVALID_PARAM);
	EXPECT(aclrtGetLastError(ACL_RT_THREAD_LEVEL), ACL_SUCCESS);
	EXPECT(aclFinalize(), ACL_ERROR_UNINITIALIZE);
	EXPECT(aclInit("/nonexistent/config.json"), ACL_ERROR_INVALID_PARAM);
	EXPECT(aclrtMemcpy(NULL, 0, NULL, 0, ACL_MEMCPY_HOST_TO_DEVICE), ACL_SUCCESS);
	debug_log();
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
