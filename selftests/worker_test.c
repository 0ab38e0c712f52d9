// SPDX-License-Identifier: GPL-2.0
/*
 * Each process's device work runs on a worker of its own, charged to the
 * process: a user whose copies wait for pages that never come (a FUSE
 * file whose server does not answer) stalls no other user's work, gets
 * ACL_ERROR_RT_WAIT_TIMEOUT after the module's fault_timeout and exits
 * at once; the CPU time of the work is counted and limited in the
 * process's cgroup, and none is spent while the process is stopped or
 * frozen. The attacker and the victims run as unprivileged users.
 *
 * The FUSE server is a small one written against the kernel's protocol
 * (linux/fuse.h): two files, "good", whose reads are answered with a
 * pattern, and "stall", whose reads are never answered.
 */
#include <dirent.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include "acl_test.h"

/* A second unprivileged user, the victim of NOBODY's attacks. */
#define VICTIM 65533

#define FUSE_ROOT_INO 1
#define FUSE_GOOD_INO 2
#define FUSE_STALL_INO 3
#define GOOD_SIZE (16 * MIB)
#define STALL_SIZE (64 * MIB)
/* The attack: 32 streams, each with 8 copies from its 2 MiB of the stall file. */
#define ATTACK_STREAMS 32
#define ATTACK_COPIES 8
#define ATTACK_PIECE (PAGE_2M / ATTACK_COPIES)
#define PATHLEN 300

static const char *const timeout_param = "/sys/module/acl_vmm/parameters/fault_timeout";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The byte at @off of the "good" file. */
static unsigned char good_byte(uint64_t off)
{
	return (unsigned char)(off * 131 + (off >> 12) * 7 + 1);
}

/* Become @uid, in the device nodes' group; 0 or -errno. */
static int become(uid_t uid)
{
	struct stat st;
	gid_t g;

	if (stat("/dev/acl_vmm", &st))
		return -errno;
	g = st.st_gid;
	if (setgroups(1, &g) || setgid(uid) || setuid(uid))
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -errno;
}

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The value of @key in a "key value" file such as cpu.stat, or -1. */
static long long keyed_value(const char *path, const char *key)
{
	char buf[4096], *p;
	size_t len = strlen(key);

	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return atoll(p + len + 1);
	return -1;
}

/* ---- The FUSE server ---- */

static int fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t size)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + (error ? 0 : size),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) },
		{ (void *)data, error ? 0 : size },
	};

	return writev(fd, iov, 2) < 0 ? -errno : 0;
}

static void fuse_fill_attr(struct fuse_attr *attr, uint64_t ino)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	attr->nlink = 1;
	attr->blksize = 4096;
	if (ino == FUSE_ROOT_INO) {
		attr->mode = S_IFDIR | 0755;
		attr->nlink = 2;
		return;
	}
	attr->mode = S_IFREG | 0444;
	attr->size = ino == FUSE_GOOD_INO ? GOOD_SIZE : STALL_SIZE;
	attr->blocks = attr->size / 512;
}

/*
 * Serve the mount of @fd until it goes away: reads of "good" are answered
 * at once, reads of "stall" never.
 */
static void fuse_serve(int fd)
{
	size_t bufsize = 1 << 20;
	char *buf = malloc(bufsize), *data = malloc(bufsize);

	if (!buf || !data)
		_exit(1);
	for (;;) {
		struct fuse_in_header *in = (void *)buf;
		void *arg = buf + sizeof(*in);
		ssize_t n = read(fd, buf, bufsize);

		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof(*in))
			_exit(0);       /* unmounted or aborted */
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *init = arg;
			struct fuse_init_out out = {
				.major = FUSE_KERNEL_VERSION,
				.minor = init->minor < FUSE_KERNEL_MINOR_VERSION ?
					 init->minor : FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = init->max_readahead,
				/* as libfuse: reads, readahead included, in the background */
				.flags = FUSE_ASYNC_READ,
				.max_background = 64,
				.congestion_threshold = 48,
				.max_write = 4096,
				.time_gran = 1,
			};

			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out out = { .entry_valid = 3600, .attr_valid = 3600 };
			const char *name = arg;
			uint64_t ino = 0;

			if (in->nodeid == FUSE_ROOT_INO && !strcmp(name, "good"))
				ino = FUSE_GOOD_INO;
			else if (in->nodeid == FUSE_ROOT_INO && !strcmp(name, "stall"))
				ino = FUSE_STALL_INO;
			if (!ino) {
				fuse_reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			out.nodeid = ino;
			fuse_fill_attr(&out.attr, ino);
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out out = { .attr_valid = 3600 };

			fuse_fill_attr(&out.attr, in->nodeid);
			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_OPEN:
		case FUSE_OPENDIR: {
			struct fuse_open_out out = { .fh = in->nodeid };

			fuse_reply(fd, in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *rd = arg;
			uint64_t end = rd->offset + rd->size;

			if (in->nodeid == FUSE_STALL_INO)
				break;          /* never answered */
			if (end > GOOD_SIZE)
				end = GOOD_SIZE;
			if (rd->offset >= end || end - rd->offset > bufsize) {
				fuse_reply(fd, in->unique, 0, data, 0);
				break;
			}
			for (uint64_t o = rd->offset; o < end; o++)
				data[o - rd->offset] = good_byte(o);
			fuse_reply(fd, in->unique, 0, data, end - rd->offset);
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_RELEASEDIR:
			fuse_reply(fd, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;          /* no answer is expected */
		default:
			fuse_reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

struct fuse_mount {
	char dir[64];
	pid_t server;
};

/* Mount the test file system on a new directory; 0, or -errno to skip. */
static int fuse_start(struct fuse_mount *m)
{
	char opts[128];
	int fd, ret;

	strcpy(m->dir, "/tmp/acl_vmm_fuse.XXXXXX");
	if (!mkdtemp(m->dir))
		return -errno;
	chmod(m->dir, 0755);
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_rmdir;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("acl_vmm_test", m->dir, "fuse", MS_NOSUID | MS_NODEV, opts)) {
		ret = -errno;
		goto out_close;
	}
	m->server = fork();
	if (!m->server)
		fuse_serve(fd);
	/* Only the server holds the connection: its death aborts it. */
	close(fd);
	if (m->server < 0) {
		ret = -errno;
		umount2(m->dir, MNT_DETACH);
		goto out_rmdir;
	}
	return 0;
out_close:
	close(fd);
out_rmdir:
	rmdir(m->dir);
	return ret;
}

static void fuse_stop(struct fuse_mount *m)
{
	umount2(m->dir, MNT_DETACH);
	kill(m->server, SIGKILL);
	waitpid(m->server, NULL, 0);
	rmdir(m->dir);
}

/* ---- Processes and threads ---- */

/*
 * Wait up to @ms for child @pid to end; its exit status, 128 + signal, or
 * -1 if it still runs.
 */
static int wait_child(pid_t pid, int ms)
{
	uint64_t end = now_ms() + ms;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

/* Wait up to @ms for a byte on @fd; 1, or 0 on timeout or EOF. */
static int wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 1;
}

/* The one-letter state of a /proc/.../stat file, or 0. */
static char proc_state(const char *stat_path)
{
	char buf[512], *p;

	if (read_file(stat_path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * The stat files of @pid's threads and of its worker ("acl_vmm-PID": one
 * of its threads, or a kernel thread of its own); their count.
 */
static int worker_and_threads(pid_t pid, char paths[][PATHLEN], int max, bool *worker_is_thread)
{
	char dir[64], name[32], comm[32], path[PATHLEN];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(name, sizeof(name), "acl_vmm-%d\n", pid);
	*worker_is_thread = false;
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	while (d && (e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(paths[n], PATHLEN, "/proc/%d/task/%s/stat", pid, e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, e->d_name);
		if (!read_file(path, comm, sizeof(comm)) && !strcmp(comm, name))
			*worker_is_thread = true;
		n++;
	}
	if (d)
		closedir(d);
	if (*worker_is_thread)
		return n;
	d = opendir("/proc");
	while (d && (e = readdir(d)) && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_file(path, comm, sizeof(comm)) || strcmp(comm, name))
			continue;
		snprintf(paths[n++], PATHLEN, "/proc/%s/stat", e->d_name);
		break;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Whether a thread of @pid or its worker sleeps uninterruptibly through
 * all of ten looks over two seconds (a short D, a page lock, is no hang).
 */
static bool stuck_in_d(pid_t pid, int *threads, bool *worker_is_thread)
{
	char paths[64][PATHLEN];
	bool always[64];
	int n = worker_and_threads(pid, paths, 64, worker_is_thread);

	*threads = n;
	for (int i = 0; i < n; i++)
		always[i] = true;
	for (int look = 0; look < 10; look++) {
		for (int i = 0; i < n; i++)
			if (proc_state(paths[i]) != 'D')
				always[i] = false;
		usleep(200000);
	}
	for (int i = 0; i < n; i++)
		if (always[i])
			return true;
	return false;
}

/* ---- The attacker and the victim ---- */

/*
 * The attacker: 256 copies to device memory from the stall file, from
 * 2 MiB of it per stream; one byte on @ready once they are
 * queued. Every stream must end with ACL_ERROR_RT_WAIT_TIMEOUT and a
 * message naming fault_timeout: exit status 0, else 1 + the index of the
 * first stream that did not, 100 for a setup failure.
 */
static int attacker(const char *file, int ready)
{
	aclrtStream s[ATTACK_STREAMS];
	size_t size = ATTACK_STREAMS * PAGE_2M;
	char *src, *dev;
	int fd;

	if (become(NOBODY) || aclInit(NULL) || aclrtSetDevice(0))
		return 100;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 100;
	src = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (src == MAP_FAILED || aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_ONLY))
		return 100;
	for (int i = 0; i < ATTACK_STREAMS; i++) {
		if (aclrtCreateStream(&s[i]))
			return 100;
		for (size_t off = i * PAGE_2M; off < (i + 1) * PAGE_2M; off += ATTACK_PIECE)
			if (aclrtMemcpyAsync(dev + off, ATTACK_PIECE, src + off, ATTACK_PIECE,
					     ACL_MEMCPY_HOST_TO_DEVICE, s[i]))
				return 100;
	}
	if (write(ready, "r", 1) != 1)
		return 100;
	for (int i = 0; i < ATTACK_STREAMS; i++) {
		aclError ret = aclrtSynchronizeStream(s[i]);

		if (ret != ACL_ERROR_RT_WAIT_TIMEOUT ||
		    !strstr(aclGetRecentErrMsg(), "fault_timeout")) {
			fprintf(stderr, "# attacker stream %d: %d, %s\n", i, ret,
				aclGetRecentErrMsg());
			return 1 + i;
		}
	}
	if (aclFinalize())
		return 100;
	return 0;
}

/*
 * The victim: on both devices, a copy from its own memory to the device
 * and back, and a copy from the good file's mapping; 0 if every byte is
 * right, else the step that failed.
 */
static int victim(const char *good)
{
	const size_t size = 8 * MIB;
	unsigned char *h = malloc(size), *back = malloc(size), *src;
	char *dev;
	aclrtStream s;
	int fd;

	if (!h || !back || become(VICTIM) || aclInit(NULL))
		return 1;
	fd = open(good, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	src = mmap(NULL, 2 * size, PROT_READ, MAP_SHARED, fd, 0);
	if (src == MAP_FAILED)
		return 2;
	fill_pattern(h, size, 0x1234);
	for (int32_t device = 0; device < 2; device++) {
		memset(back, 0, size);
		if (aclrtSetDevice(device) || aclrtCreateStream(&s) ||
		    aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_ONLY))
			return 3;
		if (aclrtMemcpyAsync(dev, size, h, size, ACL_MEMCPY_HOST_TO_DEVICE, s) ||
		    aclrtMemcpyAsync(back, size, dev, size, ACL_MEMCPY_DEVICE_TO_HOST, s) ||
		    aclrtSynchronizeStream(s) || !check_pattern(back, size, 0x1234))
			return 4;
		/* A file's pages that are not yet read: the engine waits for them. */
		if (aclrtMemcpyAsync(dev, size, src + device * size, size,
				     ACL_MEMCPY_HOST_TO_DEVICE, s) ||
		    aclrtSynchronizeStream(s)) {
			fprintf(stderr, "# victim: %s\n", aclGetRecentErrMsg());
			return 5;
		}
		for (size_t o = 0; o < size; o++)
			if ((unsigned char)dev[o] != good_byte(device * size + o))
				return 6;
		if (aclrtFree(dev) || aclrtDestroyStream(s))
			return 7;
	}
	return aclFinalize() ? 8 : 0;
}

/* Run @fn(@arg) in a child process; its exit status, or 128 + the signal. */
static int run_child_arg(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();

	if (!pid)
		_exit(fn(arg));
	return pid < 0 ? -1 : wait_child(pid, 600000);
}

static pid_t start_attacker(const char *file, int *ready)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		close(p[0]);
		_exit(attacker(file, p[1]));
	}
	close(p[1]);
	*ready = p[0];
	return pid;
}

/*
 * The FUSE file system of a test, mounted by root; @err says why not (the
 * test then skips).
 */
FIXTURE(fuse) {
	struct fuse_mount m;
	char stall[96], good[96];
	int err;
};

FIXTURE_SETUP(fuse)
{
	self->err = geteuid() ? -EPERM : fuse_start(&self->m);
	snprintf(self->stall, sizeof(self->stall), "%s/stall", self->m.dir);
	snprintf(self->good, sizeof(self->good), "%s/good", self->m.dir);
}

FIXTURE_TEARDOWN(fuse)
{
	if (!self->err)
		fuse_stop(&self->m);
}

#define SKIP_WITHOUT_FUSE()                                                   \
	do {                                                                  \
		if (self->err)                                                \
			SKIP(return, "cannot mount a FUSE file system (root needed): %s", \
			     strerror(-self->err));                           \
	} while (0)

/*
 * A user whose copies wait on pages that never come holds up no one else:
 * another user's copies on both devices end while the attacker's are
 * pending, no thread hangs in D, and after fault_timeout every one of the
 * attacker's streams fails with ACL_ERROR_RT_WAIT_TIMEOUT.
 */
TEST_F(fuse, stalled_file_stalls_only_its_owner)
{
	bool worker_is_thread;
	int ready, threads;
	char saved[32];
	uint64_t t0;
	pid_t pid;

	SKIP_WITHOUT_FUSE();
	ASSERT_EQ(0, read_file(timeout_param, saved, sizeof(saved)));
	ASSERT_EQ(0, write_file(timeout_param, "600"));

	pid = start_attacker(self->stall, &ready);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_byte(ready, 120000)) {
		TH_LOG("the attacker did not queue its copies");
	}
	EXPECT_FALSE(stuck_in_d(pid, &threads, &worker_is_thread)) {
		TH_LOG("a thread of the attacker or its worker hangs in D");
	}
	TH_LOG("attacker: %d threads and worker; the worker is %s", threads,
	       worker_is_thread ? "a thread of the process" : "a kernel thread");

	t0 = now_ms();
	EXPECT_EQ(0, run_child_arg(victim, self->good));
	TH_LOG("the victim's copies took %.1f s", (now_ms() - t0) / 1e3);
	/* The attacker is still waiting: the victim did not wait for it. */
	EXPECT_EQ(-1, wait_child(pid, 0));

	/* Its pages never come: after fault_timeout its streams fail. */
	ASSERT_EQ(0, write_file(timeout_param, "2"));
	t0 = now_ms();
	EXPECT_EQ(0, wait_child(pid, 120000));
	TH_LOG("the attacker's streams, waiting longer than that already, failed %.1f s after fault_timeout was lowered to 2 s",
	       (now_ms() - t0) / 1e3);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready);
	EXPECT_EQ(0, write_file(timeout_param, saved));
}

/* Killed with its copies waiting on pages that never come, a process exits at once. */
TEST_F(fuse, killed_while_stalled_exits)
{
	uint64_t used = device_used_raw(0), t0;
	int ready;
	pid_t pid;

	SKIP_WITHOUT_FUSE();
	pid = start_attacker(self->stall, &ready);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_byte(ready, 120000));
	usleep(300000);
	t0 = now_ms();
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(pid, 60000));
	TH_LOG("exited %.0f ms after SIGKILL", (double)(now_ms() - t0));
	for (int i = 0; i < 3000 && device_used_raw(0) != used; i++)
		usleep(10000);
	EXPECT_EQ(used, device_used_raw(0));
	close(ready);
}

/* ---- CPU time: charged to the process's cgroup, none while it is halted ---- */

struct cgroup {
	char path[96];
};

/* A new cgroup with the cpu controller, cpu.max @max if not NULL; 0 or -errno. */
static int cgroup_create(struct cgroup *cg, const char *max)
{
	char file[160], controllers[256];

	if (read_file("/sys/fs/cgroup/cgroup.controllers", controllers, sizeof(controllers)))
		return -ENOENT;
	if (!strstr(controllers, "cpu"))
		return -EOPNOTSUPP;
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpu");
	snprintf(cg->path, sizeof(cg->path), "/sys/fs/cgroup/acl_vmm_test.%d", getpid());
	if (mkdir(cg->path, 0755))
		return -errno;
	snprintf(file, sizeof(file), "%s/cpu.max", cg->path);
	if (max && write_file(file, max)) {
		rmdir(cg->path);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Remove @cg once its processes and workers have left it. */
static void cgroup_destroy(struct cgroup *cg)
{
	for (int i = 0; i < 1000 && rmdir(cg->path) && errno == EBUSY; i++)
		usleep(10000);
}

static long long cgroup_stat(struct cgroup *cg, const char *key)
{
	char file[160];

	snprintf(file, sizeof(file), "%s/cpu.stat", cg->path);
	return keyed_value(file, key);
}

static int cgroup_set(struct cgroup *cg, const char *name, const char *value)
{
	char file[160];

	snprintf(file, sizeof(file), "%s/%s", cg->path, name);
	return write_file(file, value);
}

static bool cgroup_frozen(struct cgroup *cg)
{
	char file[160];

	snprintf(file, sizeof(file), "%s/cgroup.events", cg->path);
	return keyed_value(file, "frozen") == 1;
}

/* Whether kernels like this one run workers as threads of the process (6.4 and later). */
static bool kernel_has_vhost_tasks(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	return major > 6 || (major == 6 && minor >= 4);
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct memset_job {
	struct cgroup *cg;
	/* shared with the parent: [0] batches done, [1] main thread's CPU (us) */
	volatile uint64_t *batches;
	int ctl;                /* 'q': stop after this batch */
	long long until_usec;   /* or stop when the cgroup has used this much */
};

/*
 * A process in @job->cg, as NOBODY, that memsets 64 MiB of device memory
 * 8 times per batch and waits for each batch, until told to stop.
 */
static int memset_loop(struct memset_job *job)
{
	const size_t size = 64 * MIB;
	uint64_t start_cpu, end = now_ms() + 300000;
	long long start_usage;
	aclrtStream s;
	char *dev;

	if (cgroup_set(job->cg, "cgroup.procs", "0") || become(NOBODY) ||
	    aclInit(NULL) || aclrtSetDevice(0) || aclrtCreateStream(&s) ||
	    aclrtMalloc((void **)&dev, size, ACL_MEM_MALLOC_HUGE_ONLY))
		return 100;
	start_cpu = thread_cpu_us();
	start_usage = cgroup_stat(job->cg, "usage_usec");
	while (now_ms() < end) {
		struct pollfd p = { .fd = job->ctl, .events = POLLIN };

		for (int i = 0; i < 8; i++)
			if (aclrtMemsetAsync(dev, size, i + 1, size, s))
				return 101;
		if (aclrtSynchronizeStream(s) || dev[0] != 8 || dev[size - 1] != 8)
			return 102;
		(*job->batches)++;
		if (job->until_usec &&
		    cgroup_stat(job->cg, "usage_usec") - start_usage >= job->until_usec)
			break;
		if (job->ctl >= 0 && poll(&p, 1, 0) == 1)
			break;
	}
	job->batches[1] = thread_cpu_us() - start_cpu;
	if (aclrtFree(dev) || aclrtDestroyStream(s) || aclFinalize())
		return 103;
	return 0;
}

static pid_t start_memset_loop(struct memset_job *job)
{
	pid_t pid = fork();

	if (!pid)
		_exit(memset_loop(job));
	return pid;
}

/*
 * The engine's CPU time is the process's: it counts in the cgroup's
 * cpu.stat and cpu.max throttles it, though the process's own thread only
 * waits.
 */
TEST(cpu_time_is_charged_to_the_cgroup)
{
	volatile uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct memset_job job = { .batches = shared, .ctl = -1, .until_usec = 500000 };
	long long usage, throttled;
	struct cgroup cg;
	pid_t pid;
	int ret;

	ASSERT_NE(MAP_FAILED, shared);
	if (geteuid())
		SKIP(return, "needs root to make a cgroup");
	ret = cgroup_create(&cg, "20000 100000");
	if (ret)
		SKIP(return, "no cgroup v2 with the cpu controller: %s", strerror(-ret));
	job.cg = &cg;
	usage = cgroup_stat(&cg, "usage_usec");
	throttled = cgroup_stat(&cg, "nr_throttled");
	pid = start_memset_loop(&job);
	ASSERT_LT(0, pid);
	/* Half a second of CPU at 20% of one: 2.5 s at least. */
	EXPECT_EQ(0, wait_child(pid, 600000));
	usage = cgroup_stat(&cg, "usage_usec") - usage;
	throttled = cgroup_stat(&cg, "nr_throttled") - throttled;
	TH_LOG("%llu batches: the cgroup used %.0f ms of CPU, the main thread %.0f ms; throttled %lld times",
	       (unsigned long long)shared[0], usage / 1e3, shared[1] / 1e3, throttled);
	EXPECT_GE(usage, 500000);
	EXPECT_LT(shared[1] * 2, (uint64_t)usage);
	EXPECT_LT(0, throttled);
	cgroup_destroy(&cg);
	munmap((void *)shared, 4096);
}

/* Wait up to @ms for @pid's main thread to be in state @state. */
static bool wait_state(pid_t pid, char state, int ms)
{
	char path[64];
	uint64_t end = now_ms() + ms;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	do {
		if (proc_state(path) == state)
			return true;
		usleep(10000);
	} while (now_ms() < end);
	return false;
}

/*
 * Halt a process whose stream is busy, by SIGSTOP (@freeze false) or the
 * cgroup freezer: no work of it runs (its cgroup uses no CPU, no batch
 * ends) until it is resumed, and then its work goes on.
 */
static void halted_runs_nothing(struct __test_metadata *_metadata, bool freeze)
{
	volatile uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct memset_job job = { .batches = shared };
	long long u0, u1, u2, u3;
	bool worker_is_thread;
	uint64_t b2, b3, end;
	struct cgroup cg;
	int ctl[2], threads, ret;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, shared);
	if (geteuid())
		SKIP(return, "needs root to make a cgroup");
	ret = cgroup_create(&cg, NULL);
	if (ret)
		SKIP(return, "no cgroup v2 with the cpu controller: %s", strerror(-ret));
	ASSERT_EQ(0, pipe2(ctl, O_CLOEXEC));
	job.cg = &cg;
	job.ctl = ctl[0];
	pid = start_memset_loop(&job);
	ASSERT_LT(0, pid);
	for (end = now_ms() + 120000; !shared[0] && now_ms() < end;)
		usleep(10000);
	ASSERT_LT(0, shared[0]) {
		TH_LOG("no batch ended in 120 s");
	}
	EXPECT_FALSE(stuck_in_d(pid, &threads, &worker_is_thread));
	EXPECT_EQ(kernel_has_vhost_tasks(), worker_is_thread);

	u0 = cgroup_stat(&cg, "usage_usec");
	usleep(1000000);
	u1 = cgroup_stat(&cg, "usage_usec");
	EXPECT_LE(50000, u1 - u0) {
		TH_LOG("the worker was not busy: %lld us in 1 s", u1 - u0);
	}

	if (freeze) {
		ASSERT_EQ(0, cgroup_set(&cg, "cgroup.freeze", "1"));
		/*
		 * A kernel thread never freezes: where the worker is one, the
		 * cgroup never reports frozen, though the worker parks.
		 */
		if (worker_is_thread) {
			for (end = now_ms() + 60000; !cgroup_frozen(&cg) && now_ms() < end;)
				usleep(10000);
			EXPECT_TRUE(cgroup_frozen(&cg));
		}
	} else {
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		EXPECT_TRUE(wait_state(pid, 'T', 60000));
	}
	/* The turn under way ends; then nothing runs. */
	usleep(500000);
	u2 = cgroup_stat(&cg, "usage_usec");
	b2 = shared[0];
	usleep(1500000);
	u3 = cgroup_stat(&cg, "usage_usec");
	b3 = shared[0];
	TH_LOG("busy: %.0f ms of CPU in 1 s; %s: %.1f ms in 1.5 s", (u1 - u0) / 1e3,
	       freeze ? "frozen" : "stopped", (u3 - u2) / 1e3);
	EXPECT_GT(60000, u3 - u2);
	EXPECT_EQ(b2, b3);

	if (freeze) {
		ASSERT_EQ(0, cgroup_set(&cg, "cgroup.freeze", "0"));
	} else {
		ASSERT_EQ(0, kill(pid, SIGCONT));
	}
	for (end = now_ms() + 120000; shared[0] == b3 && now_ms() < end;)
		usleep(10000);
	EXPECT_LT(b3, shared[0]) {
		TH_LOG("the work did not go on once resumed");
	}
	ASSERT_EQ(1, write(ctl[1], "q", 1));
	EXPECT_EQ(0, wait_child(pid, 120000));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ctl[0]);
	close(ctl[1]);
	cgroup_destroy(&cg);
	munmap((void *)shared, 4096);
}

TEST(stopped_process_runs_no_work)
{
	halted_runs_nothing(_metadata, false);
}

TEST(frozen_cgroup_runs_no_work)
{
	halted_runs_nothing(_metadata, true);
}

static int stream_at_nproc_limit(void)
{
	struct rlimit one = { 1, 1 };
	aclrtStream s;
	aclError ret;

	if (become(NOBODY) || aclInit(NULL) || aclrtSetDevice(0) ||
	    setrlimit(RLIMIT_NPROC, &one))
		return 100;
	ret = aclrtCreateStream(&s);
	if (kernel_has_vhost_tasks()) {
		if (ret != ACL_ERROR_RT_OVER_LIMIT || !strstr(aclGetRecentErrMsg(), "RLIMIT_NPROC")) {
			fprintf(stderr, "# %d: %s\n", ret, aclGetRecentErrMsg());
			return 1;
		}
	} else if (ret || aclrtDestroyStream(s)) {
		return 2;
	}
	return aclFinalize() ? 3 : 0;
}

/*
 * Where the worker is a thread of the process, it counts as one: a user at
 * RLIMIT_NPROC cannot start it (ACL_ERROR_RT_OVER_LIMIT, the limit named).
 */
TEST(worker_counts_against_nproc)
{
	if (geteuid())
		SKIP(return, "needs root to drop to another user");
	EXPECT_EQ(0, run_child(stream_at_nproc_limit));
}

TEST_HARNESS_MAIN
