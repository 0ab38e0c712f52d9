// SPDX-License-Identifier: GPL-2.0
/*
 * What operators see: sysfs per device, debugfs per process, acl-vmm-smi
 * ($ACL_VMM_SMI) in its table, JSON and per-process forms, and the
 * tracepoints through tracefs, trace-cmd and perf.
 */
#include "acl_test.h"

#define TRACEFS "/sys/kernel/tracing"

FIXTURE(obs) {
	uint64_t used0[2];
	char *va;
	aclrtDrvMemHandle h;
	char pid[16];
};

FIXTURE_SETUP(obs)
{
	self->used0[0] = device_used_raw(0);
	self->used0[1] = device_used_raw(1);
	ASSERT_OK(aclInit(NULL));
	ASSERT_OK(aclrtSetDevice(0));
	RESERVE(self->va, 8 * PAGE_2M);
	MALLOC_PHYS(self->h, 3 * PAGE_2M, 0);
	ASSERT_OK(aclrtMapMem(self->va + 2 * PAGE_2M, 3 * PAGE_2M, 0, self->h, 0));
	snprintf(self->pid, sizeof(self->pid), "%d", getpid());
}

FIXTURE_TEARDOWN(obs)
{
	EXPECT_OK(aclFinalize());
	EXPECT_EQ(self->used0[0], device_used_raw(0));
	EXPECT_EQ(self->used0[1], device_used_raw(1));
}

/* The whole output of a shell command, or NULL. */
static char *run(const char *fmt, ...)
{
	static char out[1 << 16];
	char cmd[1024];
	size_t n = 0, r;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while (n < sizeof(out) - 1 && (r = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += r;
	out[n] = 0;
	return pclose(p) == 0 ? out : NULL;
}

static char *read_text(const char *path)
{
	return run("cat %s", path);
}

#define DYNDBG "/sys/kernel/debug/dynamic_debug/control"

/*
 * With dynamic debug on for the module, a failed ioctl logs the process,
 * the command and its errno; off again, it logs nothing.
 */
TEST_F(obs, dynamic_debug_logs_failed_ioctls)
{
	struct acl_vmm_destroy fr = { .size = sizeof(fr), .id = 0xdead };
	char grep[128];
	int fd, on, off;

	if (access(DYNDBG, W_OK))
		SKIP(return, "no dynamic debug in this kernel (CONFIG_DYNAMIC_DEBUG)");
	ASSERT_NE(NULL, run("grep -q '\\[acl_vmm\\]' " DYNDBG));
	fd = open("/dev/acl_vmm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(grep, sizeof(grep), "dmesg | grep -c '\\[%d\\]: DESTROY: -2$'", getpid());
	ASSERT_NE(NULL, run("echo 'module acl_vmm +p' > " DYNDBG));
	EXPECT_EQ(-1, ioctl(fd, ACL_VMM_DESTROY, &fr));
	EXPECT_EQ(ENOENT, errno);
	on = atoi(run("%s || true", grep) ?: "-1");
	ASSERT_NE(NULL, run("echo 'module acl_vmm -p' > " DYNDBG));
	EXPECT_EQ(1, on);
	EXPECT_EQ(-1, ioctl(fd, ACL_VMM_DESTROY, &fr));
	off = atoi(run("%s || true", grep) ?: "-1");
	EXPECT_EQ(on, off);
	close(fd);
}

TEST_F(obs, sysfs)
{
	size_t free_mem, total;
	unsigned long long cap, used, avail;
	char *s;

	ASSERT_OK(aclrtGetMemInfo(ACL_HBM_MEM, &free_mem, &total));
	s = read_text("/sys/class/misc/acl_vmm0/capacity");
	ASSERT_NE(NULL, s);
	cap = strtoull(s, NULL, 10);
	used = strtoull(read_text("/sys/class/misc/acl_vmm0/used"), NULL, 10);
	avail = strtoull(read_text("/sys/class/misc/acl_vmm0/free"), NULL, 10);
	EXPECT_EQ(total, cap);
	EXPECT_EQ(total - free_mem, used);
	EXPECT_EQ(cap - used, avail);
	EXPECT_GE(used, 3 * PAGE_2M);
}

TEST_F(obs, debugfs_contexts_and_maps)
{
	char want[128], *s;

	s = read_text("/sys/kernel/debug/acl_vmm/contexts");
	ASSERT_NE(NULL, s);
	snprintf(want, sizeof(want), "tgid=%s ", self->pid);
	ASSERT_NE(NULL, strstr(s, want)) {
		TH_LOG("contexts:\n%s", s);
	}
	s = strstr(s, want);
	EXPECT_NE(NULL, strstr(s, "reservations=1 mappings=1 handles=1"));
	snprintf(want, sizeof(want), "dev0=%lu", 3 * PAGE_2M);
	EXPECT_NE(NULL, strstr(s, want));

	s = run("cat /sys/kernel/debug/acl_vmm/%s-*/maps", self->pid);
	ASSERT_NE(NULL, s);
	snprintf(want, sizeof(want), "%lx-%lx reservation size=%lu",
		 (unsigned long)self->va, (unsigned long)self->va + 8 * PAGE_2M, 8 * PAGE_2M);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("maps:\n%s", s);
	}
	snprintf(want, sizeof(want), "  %lx-%lx mapping size=%lu handle=%lu device=0",
		 (unsigned long)self->va + 2 * PAGE_2M, (unsigned long)self->va + 5 * PAGE_2M,
		 3 * PAGE_2M, (unsigned long)(uintptr_t)self->h);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("maps:\n%s", s);
	}
	EXPECT_NE(NULL, strstr(s, "mapped=1"));
}

/*
 * The device tables show in the context's maps: each mapping's rights per
 * device, each device's table (leaves by size, TLB) and its peers.
 */
TEST_F(obs, debugfs_device_tables)
{
	aclrtMemAccessDesc d = { .flags = ACL_RT_MEM_ACCESS_FLAGS_READ,
				 .location = { .id = 1, .type = ACL_MEM_LOCATION_TYPE_DEVICE } };
	char want[160], *s;

	ASSERT_OK(aclrtMemSetAccess(self->va + 2 * PAGE_2M, 3 * PAGE_2M, &d, 1));
	ASSERT_OK(aclrtDeviceEnablePeerAccess(1, 0));
	s = run("cat /sys/kernel/debug/acl_vmm/%s-*/maps", self->pid);
	ASSERT_NE(NULL, s);
	snprintf(want, sizeof(want), "  %lx-%lx mapping size=%lu handle=%lu device=0 access=0:readwrite,1:read\n",
		 (unsigned long)self->va + 2 * PAGE_2M, (unsigned long)self->va + 5 * PAGE_2M,
		 3 * PAGE_2M, (unsigned long)(uintptr_t)self->h);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("maps:\n%s", s);
	}
	snprintf(want, sizeof(want), "4K=0 2M=%lu 1G=0", 3 * PAGE_2M);
	EXPECT_NE(NULL, strstr(strstr(s, "device 0 tables=") ?: "", want)) {
		TH_LOG("maps:\n%s", s);
	}
	EXPECT_NE(NULL, strstr(s, "peers=1\n"));
	EXPECT_NE(NULL, strstr(strstr(s, "device 1 tables=") ?: "", want));
	/* Revoked, device 1's table holds nothing; unmapped, neither does 0's. */
	d.flags = ACL_RT_MEM_ACCESS_FLAGS_NONE;
	ASSERT_OK(aclrtMemSetAccess(self->va + 2 * PAGE_2M, 3 * PAGE_2M, &d, 1));
	s = run("cat /sys/kernel/debug/acl_vmm/%s-*/maps", self->pid);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(strstr(s, "device 1 tables=") ?: "", "4K=0 2M=0 1G=0"));
	EXPECT_NE(NULL, strstr(s, "access=0:readwrite\n"));
	ASSERT_OK(aclrtUnmapMem(self->va + 2 * PAGE_2M));
	s = run("cat /sys/kernel/debug/acl_vmm/%s-*/maps", self->pid);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(strstr(s, "device 0 tables=") ?: "", "4K=0 2M=0 1G=0"));
	ASSERT_OK(aclrtMapMem(self->va + 2 * PAGE_2M, 3 * PAGE_2M, 0, self->h, 0));
}

/* Streams show in the context's maps: device, work done, failure kept. */
TEST_F(obs, debugfs_streams)
{
	char host[64] = { 0 }, *s;
	aclrtStream st;

	ASSERT_OK(aclrtCreateStreamWithConfig(&st, 3, 0));
	ASSERT_OK(aclrtMemcpyAsync(self->va + 2 * PAGE_2M, sizeof(host), host, sizeof(host),
				   ACL_MEMCPY_HOST_TO_DEVICE, st));
	/* A copy from a reserved but unmapped address: the stream keeps the fault. */
	ASSERT_OK(aclrtMemcpyAsync(host, sizeof(host), self->va, sizeof(host),
				   ACL_MEMCPY_DEFAULT, st));
	ASSERT_ACL(ACL_ERROR_RT_DEVICE_MEM_ERROR, aclrtSynchronizeStream(st));
	ASSERT_OK(aclrtMemcpyAsync(host, sizeof(host), self->va, sizeof(host),
				   ACL_MEMCPY_DEFAULT, st));
	/* Wait for it to end without a synchronize, which would clear the fault. */
	for (int i = 0; i < 3000; i++) {	/* 30 s, for a loaded machine */
		s = run("grep -h '^stream ' /sys/kernel/debug/acl_vmm/%s-*/maps", self->pid);
		if (s && strstr(s, "ended=3"))
			break;
		usleep(10000);
	}
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "device=0 queued=0 submitted=3 ended=3 error=-14")) {
		TH_LOG("streams in maps:\n%s", s);
	}
	EXPECT_ACL(ACL_ERROR_RT_DEVICE_MEM_ERROR, aclrtSynchronizeStream(st));
	EXPECT_OK(aclrtDestroyStream(st));
}

TEST_F(obs, smi)
{
	const char *smi = getenv("ACL_VMM_SMI");
	char want[64], *s;

	if (!smi)
		SKIP(return, "ACL_VMM_SMI is not set");
	s = run("%s", smi);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "| Device |"));
	snprintf(want, sizeof(want), "%8s observe_test", self->pid);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("smi:\n%s", s);
	}
	s = run("%s --json", smi);
	ASSERT_NE(NULL, s);
	snprintf(want, sizeof(want), "{\"pid\": %s, \"comm\": \"observe_test\"", self->pid);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("smi --json:\n%s", s);
	}
	EXPECT_NE(NULL, strstr(run("%s --json | python3 -m json.tool", smi), "\"devices\""));
	s = run("%s -p %s", smi, self->pid);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "mapping size=6291456"));
	/* Watch mode, bounded. */
	s = run("%s -w 0.1 -c 3 --json | grep -c '\"devices\"'", smi);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(3, atoi(s));
}

static void trace_write(const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST_F(obs, tracepoints)
{
	static const char *const events[] = {
		"acl_vmm_reserve", "acl_vmm_alloc", "acl_vmm_map", "acl_vmm_unmap",
		"acl_vmm_free", "acl_vmm_release", "acl_vmm_alloc_fail", "acl_vmm_share",
		"acl_vmm_dmmu_map", "acl_vmm_dmmu_unmap", "acl_vmm_tlb_invalidate",
	};
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	aclrtDrvMemHandle h, big;
	uint64_t share;
	char want[64], *s;
	char *va;

	if (access(TRACEFS "/events/acl_vmm/enable", W_OK))
		SKIP(return, "no tracefs");
	trace_write("trace", "");
	trace_write("events/acl_vmm/enable", "1");
	ASSERT_OK(aclrtReserveMemAddress((void **)&va, PAGE_2M, 0, NULL, 0));
	ASSERT_OK(aclrtMallocPhysical(&h, PAGE_2M, &prop, 0));
	ASSERT_OK(aclrtMapMem(va, PAGE_2M, 0, h, 0));
	ASSERT_OK(aclrtMemExportToShareableHandle(h, ACL_MEM_HANDLE_TYPE_NONE, 0, &share));
	ASSERT_OK(aclrtUnmapMem(va));
	ASSERT_OK(aclrtFreePhysical(h));
	ASSERT_OK(aclrtReleaseMemAddress(va));
	EXPECT_ACL(ACL_ERROR_RT_MEMORY_ALLOCATION,
		   aclrtMallocPhysical(&big, 64 * GIB, &prop, 0));
	trace_write("events/acl_vmm/enable", "0");
	s = read_text(TRACEFS "/trace");
	ASSERT_NE(NULL, s);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(want, sizeof(want), "%s: tgid=%s", events[i], self->pid);
		EXPECT_NE(NULL, strstr(s, want)) {
			TH_LOG("no %s in the trace", want);
		}
	}
	snprintf(want, sizeof(want), "acl_vmm_map: tgid=%s start=0x%lx length=0x200000",
		 self->pid, (unsigned long)va);
	EXPECT_NE(NULL, strstr(s, want));
	/* The device side: device 0's entries with READWRITE (3), then gone. */
	snprintf(want, sizeof(want), "device=0 start=0x%lx length=0x200000 access=3",
		 (unsigned long)va);
	EXPECT_NE(NULL, strstr(s, want));
	snprintf(want, sizeof(want), "acl_vmm_tlb_invalidate: tgid=%s device=0 start=0x%lx",
		 self->pid, (unsigned long)va);
	EXPECT_NE(NULL, strstr(s, want));
	EXPECT_NE(NULL, strstr(s, "result=-12"));	/* the failed allocation */
}

/* trace-cmd and perf find and record the events (where installed). */
/* It runs the demo workload, whose copies run on the device engine: minutes under emulation. */
TEST_F_TIMEOUT(obs, trace_cmd_and_perf, 900)
{
	const char *example = getenv("ACL_VMM_EXAMPLE");
	char *s;
	int tools = 0;

	if (!example)
		SKIP(return, "ACL_VMM_EXAMPLE is not set");
	if (!system("command -v trace-cmd >/dev/null")) {
		tools++;
		s = run("cd /tmp && trace-cmd record -q -e acl_vmm:acl_vmm_map -o /tmp/acl.dat %s >/dev/null 2>&1 && "
			"trace-cmd report -i /tmp/acl.dat 2>/dev/null | grep -c acl_vmm_map", example);
		ASSERT_NE(NULL, s);
		EXPECT_GT(atoi(s), 10);
	}
	if (!system("perf list 2>/dev/null | grep -q acl_vmm:acl_vmm_map")) {
		tools++;
		s = run("perf stat -e acl_vmm:acl_vmm_map -e acl_vmm:acl_vmm_unmap %s 2>&1 >/dev/null",
			example);
		ASSERT_NE(NULL, s);
		EXPECT_NE(NULL, strstr(s, "acl_vmm:acl_vmm_map")) {
			TH_LOG("perf stat:\n%s", s);
		}
	}
	if (!tools)
		SKIP(return, "neither trace-cmd nor perf is installed");
}

TEST_HARNESS_MAIN
