// SPDX-License-Identifier: GPL-2.0
/*
 * What operators see: sysfs per device, fdinfo and debugfs per process,
 * acl-vmm-smi ($ACL_VMM_SMI) in its table, JSON, Prometheus and
 * per-process forms, as root and as an unprivileged user, its command-line
 * conventions, and the tracepoints through tracefs, trace-cmd and perf.
 */
#include <ctype.h>
#include <dirent.h>
#include <sys/prctl.h>

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
	ASSERT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "unmapped or freed while the work was queued, or",
		       aclrtSynchronizeStream(st));
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
	EXPECT_ACL_MSG(ACL_ERROR_RT_DEVICE_MEM_ERROR, "unmapped or freed while the work was queued, or",
		       aclrtSynchronizeStream(st));
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

/* The fdinfo of this process's open /dev/acl_vmm (the library's), or NULL. */
static char *own_fdinfo(void)
{
	char path[300], target[64];
	struct dirent *e;
	char *s = NULL;
	ssize_t n;
	DIR *d = opendir("/proc/self/fd");

	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, "/dev/acl_vmm")) {
			/* Not /proc/self: read_text() reads it with cat. */
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", getpid(), e->d_name);
			s = read_text(path);
			break;
		}
	}
	if (d)
		closedir(d);
	return s;
}

/* The number after "@key:\t" in @s, or -1. */
static long long fdinfo_value(const char *s, const char *key)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\n%s:\t", key);
	p = s ? strstr(s, want) : NULL;
	return p ? strtoll(p + strlen(want), NULL, 10) : -1;
}

/*
 * fdinfo: the DRM usage statistics keys, with what the context holds per
 * region and its copy engine's busy time; and sysfs's alloc_failures.
 */
TEST_F(obs, fdinfo)
{
	aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
	unsigned long long before, after;
	aclrtDrvMemHandle big;
	static char host[PAGE_2M];
	int copies;
	char *s;

	s = own_fdinfo();
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "\ndrm-driver:\tacl_vmm\n")) {
		TH_LOG("fdinfo:\n%s", s);
	}
	EXPECT_LT(0, fdinfo_value(s, "drm-client-id"));
	EXPECT_EQ(6144, fdinfo_value(s, "drm-total-dev0"));
	EXPECT_NE(NULL, strstr(s, "\ndrm-total-dev0:\t6144 KiB\n"));
	EXPECT_EQ(6144, fdinfo_value(s, "drm-resident-dev0"));
	EXPECT_EQ(0, fdinfo_value(s, "drm-total-dev1"));
	EXPECT_EQ(0, fdinfo_value(s, "drm-total-host"));
	EXPECT_EQ(0, fdinfo_value(s, "drm-engine-copy0"));
	EXPECT_NE(NULL, strstr(s, "\ndrm-engine-copy1:\t0 ns\n"));
	EXPECT_EQ(1, fdinfo_value(s, "acl_vmm-reservations"));
	EXPECT_EQ(1, fdinfo_value(s, "acl_vmm-mappings"));
	EXPECT_EQ(1, fdinfo_value(s, "acl_vmm-handles"));
	/*
	 * The copy engine's time on this context's work, added before the
	 * copy ends. It is measured with the clocksource: where that is
	 * jiffies (the debug kernel has no ACPI, so no HPET or PM timer, and a
	 * TSC whose calibration fails under a busy host is not used), a copy
	 * shorter than a tick reads 0 unless a tick falls inside it, so copy
	 * until one has.
	 */
	memset(host, 0x5c, sizeof(host));
	for (copies = 1; copies <= 200; copies++) {
		ASSERT_OK(aclrtMemcpy(self->va + 2 * PAGE_2M, PAGE_2M, host, PAGE_2M,
				      ACL_MEMCPY_HOST_TO_DEVICE));
		s = own_fdinfo();
		if (fdinfo_value(s, "drm-engine-copy0") > 0)
			break;
	}
	EXPECT_LT(0, fdinfo_value(s, "drm-engine-copy0")) {
		TH_LOG("%d copies, clocksource %s", copies - 1,
		       read_text("/sys/devices/system/clocksource/clocksource0/current_clocksource"));
	}
	EXPECT_EQ(0, fdinfo_value(s, "drm-engine-copy1"));

	s = read_text("/sys/class/misc/acl_vmm0/alloc_failures");
	ASSERT_NE(NULL, s);
	before = strtoull(s, NULL, 10);
	EXPECT_ACL(ACL_ERROR_RT_MEMORY_ALLOCATION, aclrtMallocPhysical(&big, 64 * GIB, &prop, 0));
	after = strtoull(read_text("/sys/class/misc/acl_vmm0/alloc_failures"), NULL, 10);
	EXPECT_EQ(before + 1, after);
}

/*
 * A process that opens a context, holds @mib MiB of device 0 and waits
 * for a byte on @go; with @name, under that command name. Its pid.
 */
static pid_t holder(const char *name, unsigned int mib, int *go, bool as_nobody)
{
	int ready[2], wait_fd[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) || pipe2(wait_fd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		aclrtPhysicalMemProp prop = device_prop(0, ACL_HBM_MEM_HUGE);
		aclrtDrvMemHandle h;

		/* Only the parent writes @go: its close ends the wait. */
		close(wait_fd[1]);
		close(ready[0]);

		if (name)
			prctl(PR_SET_NAME, name);
		/* A user's process is dumpable: its /proc files are the user's. */
		if ((as_nobody && (drop_privileges(true) ||
				   prctl(PR_SET_DUMPABLE, 1))) ||
		    aclInit(NULL) || aclrtSetDevice(0) ||
		    aclrtMallocPhysical(&h, (size_t)mib << 20, &prop, 0))
			_exit(1);
		c = 1;
		if (write(ready[1], &c, 1) != 1 || read(wait_fd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(wait_fd[0]);
	*go = wait_fd[1];
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return pid;
}

static int holder_end(pid_t pid, int go)
{
	int status;

	close(go);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The exit status of a shell command, its output thrown away. */
static int status_of(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The output of a shell command run as NOBODY (no group), or NULL. */
static char *run_as_nobody(const char *cmd)
{
	static char out[1 << 16];
	size_t n = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return NULL;
	pid = fork();
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		if (drop_privileges(false))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (n < sizeof(out) - 1 && (r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return NULL;
	return out;
}

/* The MiB of device 0 on the row of process @pid in smi's table, or -1. */
static double row_dev0_mib(const char *table, pid_t pid)
{
	char want[16];
	const char *p;
	double mib;

	snprintf(want, sizeof(want), "\n%8d ", pid);
	p = strstr(table, want);
	if (!p || sscanf(p + 1 + 8 + 1 + 16, "%*u %*u %*u %lf", &mib) != 1)
		return -1;
	return mib;
}

/*
 * A user sees their own processes without root or debugfs (fdinfo), not
 * another user's; root sees both.
 */
TEST_F(obs, smi_as_user)
{
	const char *smi = getenv("ACL_VMM_SMI");
	char want[64], *s;
	pid_t pid;
	int go;

	if (!smi)
		SKIP(return, "ACL_VMM_SMI is not set");
	pid = holder("user_holder", 4, &go, true);
	ASSERT_LT(0, pid);
	/* As the user: its process with its 4 MiB, not this (root's) one. */
	s = run_as_nobody(smi);
	ASSERT_NE(NULL, s);
	snprintf(want, sizeof(want), "%8d user_holder", pid);
	EXPECT_NE(NULL, strstr(s, want)) {
		TH_LOG("smi as the user:\n%s", s);
	}
	EXPECT_EQ(4, row_dev0_mib(s, pid));
	EXPECT_EQ(-1, row_dev0_mib(s, getpid())) {
		TH_LOG("the user sees root's process:\n%s", s);
	}
	EXPECT_NE(NULL, strstr(s, "only your own processes are shown"));
	/* Root sees both. */
	s = run("%s", smi);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(4, row_dev0_mib(s, pid));
	EXPECT_EQ(6, row_dev0_mib(s, getpid()));
	EXPECT_EQ(0, holder_end(pid, go));
}

/*
 * The first line of @text that is not a comment or a sample of the
 * Prometheus text format (name{label="value",...} number), or NULL.
 */
static const char *prom_bad_line(const char *text)
{
	static char bad[512];
	const char *l, *p;
	char *end;

	for (l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		p = l;
		if (*p == '#')
			continue;
		if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':'))
			goto bad;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
			p++;
		if (*p == '{') {
			for (p++; *p != '}'; ) {
				if (!(isalpha((unsigned char)*p) || *p == '_'))
					goto bad;
				while (isalnum((unsigned char)*p) || *p == '_')
					p++;
				if (p[0] != '=' || p[1] != '"')
					goto bad;
				for (p += 2; *p != '"'; p++) {
					if (!*p || *p == '\n')
						goto bad;
					if (*p == '\\' && !strchr("\\\"n", *++p))
						goto bad;
				}
				p++;
				if (*p == ',')
					p++;
				else if (*p != '}')
					goto bad;
			}
			p++;
		}
		if (*p++ != ' ')
			goto bad;
		strtod(p, &end);
		if (end == p || (*end && *end != '\n'))
			goto bad;
	}
	return NULL;
bad:
	snprintf(bad, sizeof(bad), "%.*s", (int)strcspn(l, "\n"), l);
	return bad;
}

#define PY_NAMES "/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); " \
		 "print(\"\\n\".join(p[\"comm\"] for p in d[\"processes\"]))'"

/*
 * The conventions of the tools: --help and --version on stdout with 0,
 * usage errors on stderr with 2, failures with 1; JSON valid whatever a
 * process is named; the Prometheus text format; tables that line up.
 */
TEST_F(obs, smi_conventions)
{
	static const char odd[] = "a\"b\\c\td";
	const char *smi = getenv("ACL_VMM_SMI");
	const char *bench = getenv("ACL_VMM_BENCH");
	char *s, *line, *rule;
	int rows = 0;
	size_t k;
	pid_t pid;
	int go;

	if (!smi)
		SKIP(return, "ACL_VMM_SMI is not set");
	s = run("%s --help", smi);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, strncmp(s, "Usage: acl-vmm-smi", 18));
	EXPECT_NE(NULL, strstr(run("%s --version", smi) ?: "", "acl-vmm-smi (acl-vmm) "));
	EXPECT_EQ(2, status_of("%s --bogus >/tmp/smi.out 2>/tmp/smi.err", smi));
	EXPECT_NE(NULL, strstr(read_text("/tmp/smi.err") ?: "", "unknown option '--bogus'"));
	EXPECT_EQ(0, strlen(read_text("/tmp/smi.out") ?: "x"));
	EXPECT_EQ(2, status_of("%s -w >/dev/null 2>&1", smi));
	EXPECT_EQ(2, status_of("%s -p 12x >/dev/null 2>&1", smi));
	EXPECT_EQ(1, status_of("%s -p 999999 >/tmp/smi.out 2>/tmp/smi.err", smi));
	EXPECT_NE(NULL, strstr(read_text("/tmp/smi.err") ?: "", "holds no open /dev/acl_vmm"));
	if (bench) {
		s = run("%s --help", bench);
		ASSERT_NE(NULL, s);
		EXPECT_EQ(0, strncmp(s, "Usage: acl-vmm-bench", 20));
		EXPECT_NE(NULL, strstr(run("%s --version", bench) ?: "", "acl-vmm-bench (acl-vmm) "));
		EXPECT_EQ(2, status_of("%s --bogus >/dev/null 2>&1", bench));
	}

	/* JSON for a process named with quotes, a backslash and a tab. */
	pid = holder(odd, 2, &go, false);
	ASSERT_LT(0, pid);
	s = run("%s --json | " PY_NAMES, smi);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, odd)) {
		TH_LOG("names:\n%s", s);
	}
	s = run("%s -p %d --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); "
		"print(d[\"process\"][\"comm\"], d[\"process\"][\"device_bytes\"][0], "
		"len(d[\"maps\"]) > 0)'", smi, pid);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "2097152 True")) {
		TH_LOG("-p --json: %s", s);
	}
	/* Prometheus: every sample line well formed, the process's memory in it. */
	s = run("%s --prometheus", smi);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(NULL, prom_bad_line(s));
	EXPECT_NE(NULL, strstr(s, "# TYPE acl_vmm_device_capacity_bytes gauge\n"));
	EXPECT_NE(NULL, strstr(s, "acl_vmm_device_alloc_failures_total{device=\"0\"} "));
	EXPECT_NE(NULL, strstr(s, ",region=\"dev0\"} 2097152\n"));
	EXPECT_NE(NULL, strstr(s, "comm=\"a\\\"b\\\\c\td\",region=\"dev0\"} 2097152\n")) {
		TH_LOG("prometheus:\n%s", s);
	}
	EXPECT_EQ(0, holder_end(pid, go));

	/* The device table: every line as long as its rule, the bars aligned. */
	s = run("%s", smi);
	ASSERT_NE(NULL, s);
	rule = strtok(s, "\n");
	ASSERT_NE(NULL, rule);
	ASSERT_EQ('+', rule[0]);
	for (line = rule; line && (line[0] == '+' || line[0] == '|');
	     line = strtok(NULL, "\n")) {
		EXPECT_EQ(strlen(rule), strlen(line)) {
			TH_LOG("\"%s\" against \"%s\"", line, rule);
		}
		for (k = 0; k < strlen(rule) && k < strlen(line); k++)
			if (rule[k] == '+')
				EXPECT_NE(NULL, strchr("+|", line[k])) {
					TH_LOG("column %zu of \"%s\"", k, line);
				}
		rows++;
	}
	EXPECT_EQ(6, rows);	/* rule, header, rule, two devices, rule */
}

#define CDI_SCHEMA "/usr/share/gocode/src/github.com/container-orchestrated-devices/" \
		   "container-device-interface/schema"

/*
 * --cdi: a CDI spec that the schema Debian ships accepts, with one device
 * per node and "all", each with the control node.
 */
TEST_F(obs, smi_cdi)
{
	const char *smi = getenv("ACL_VMM_SMI");
	char *s;

	if (!smi)
		SKIP(return, "ACL_VMM_SMI is not set");
	ASSERT_EQ(0, status_of("%s --cdi > /tmp/acl-vmm-cdi.json", smi));
	s = run("/usr/bin/python3 -c 'import json\n"
		"d = json.load(open(\"/tmp/acl-vmm-cdi.json\"))\n"
		"print(d[\"cdiVersion\"], d[\"kind\"])\n"
		"for x in d[\"devices\"]:\n"
		"    print(x[\"name\"], \" \".join(n[\"path\"] for n in x[\"containerEdits\"][\"deviceNodes\"]))'");
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, strcmp(s, "0.5.0 acl-vmm.io/npu\n"
			    "0 /dev/acl_vmm /dev/acl_vmm0\n"
			    "1 /dev/acl_vmm /dev/acl_vmm1\n"
			    "all /dev/acl_vmm /dev/acl_vmm0 /dev/acl_vmm1\n")) {
		TH_LOG("%s", s);
	}
	if (access(CDI_SCHEMA "/schema.json", R_OK) ||
	    status_of("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null"))
		SKIP(return, "no CDI schema (golang-github-container-orchestrated-devices-container-device-interface-dev) or python3-jsonschema");
	s = run("/usr/bin/python3 -c 'import json, jsonschema\n"
		"d = \"" CDI_SCHEMA "/\"\n"
		"schema = json.load(open(d + \"schema.json\"))\n"
		"r = jsonschema.RefResolver(base_uri=\"file://\" + d, referrer=schema)\n"
		"jsonschema.validate(json.load(open(\"/tmp/acl-vmm-cdi.json\")), schema, resolver=r)\n"
		"print(\"valid\")' 2>&1");
	EXPECT_NE(NULL, s);
	EXPECT_EQ(0, strcmp(s ?: "", "valid\n")) {
		TH_LOG("%s", s ?: "(failed)");
	}
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
	EXPECT_ACL_MSG(ACL_ERROR_RT_MEMORY_ALLOCATION, "the device has not size bytes left (nothing was",
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
