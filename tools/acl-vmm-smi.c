// SPDX-License-Identifier: GPL-2.0
/*
 * acl-vmm-smi: what acl_vmm.ko holds, as npu-smi and nvidia-smi show it.
 *
 *   acl-vmm-smi                 devices and their memory, the processes using
 *                               them and what each holds
 *   acl-vmm-smi -p PID          one process: what it holds, and (as root,
 *                               from debugfs) its reservations and mappings
 *   acl-vmm-smi --json          the same as JSON
 *   acl-vmm-smi --prometheus    metrics in the Prometheus text format
 *   acl-vmm-smi --cdi           a CDI spec (Container Device Interface) with
 *                               one device per node, for podman and containerd
 *   acl-vmm-smi -w SECONDS [-c COUNT]
 *                               again every SECONDS (COUNT times, or forever)
 *
 * Sources: /sys/class/misc/acl_vmmN/{capacity,used,free,held,alloc_failures};
 * per process, the DRM usage statistics keys the module writes in
 * /proc/PID/fdinfo/FD of each open /dev/acl_vmm, which a user may read for
 * their own processes (root: every process); and, for -p as root,
 * /sys/kernel/debug/acl_vmm/PID-ID/maps.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "linux/acl_vmm.h"

#ifndef ACL_VMM_VERSION
#define ACL_VMM_VERSION "unknown"
#endif

#define PROG "acl-vmm-smi"
#define SYSFS "/sys/class/misc"
#define DEBUGFS "/sys/kernel/debug/acl_vmm"
#define NODE "/dev/acl_vmm"
#define MIB (1024.0 * 1024.0)
#define MAX_CLIENTS 64	/* open contexts of one process that are told apart */

enum format { TEXT, JSON, PROMETHEUS, CDI };

static enum format format = TEXT;

struct device {
	unsigned long long capacity, used, free, held, alloc_failures;
};

/* What one process holds, summed over its contexts (DRM clients). */
struct process {
	int pid;
	char comm[64];
	unsigned int clients;
	unsigned int client_ids[MAX_CLIENTS];
	unsigned long long reservations, mappings, handles, host;
	unsigned long long bytes[ACL_VMM_MAX_DEVICES];
	unsigned long long engine_ns[ACL_VMM_MAX_DEVICES];
};

struct processes {
	struct process *p;
	size_t n, cap;
	bool hidden;	/* some processes' descriptors could not be read */
};

static int read_u64(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int read_devices(struct device *d)
{
	static const char *const names[] = { "used", "free", "held", "alloc_failures" };
	char path[256];
	int n, i;

	for (n = 0; n < ACL_VMM_MAX_DEVICES; n++) {
		unsigned long long *v[] = { &d[n].used, &d[n].free, &d[n].held,
					    &d[n].alloc_failures };

		memset(&d[n], 0, sizeof(d[n]));
		snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/capacity", n);
		if (read_u64(path, &d[n].capacity))
			break;
		for (i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/%s", n, names[i]);
			read_u64(path, v[i]);
		}
	}
	return n;
}

/* @s as a JSON string, quotes included. */
static void json_string(const char *s)
{
	const unsigned char *c;

	putchar('"');
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			printf("\\u%04x", *c);	/* a byte of a name, not UTF-8 */
		else
			putchar(*c);
	}
	putchar('"');
}

/* @s as a Prometheus label value, quotes included. */
static void prom_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static void read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(comm, (int)len, f))
		snprintf(comm, len, "?");
	comm[strcspn(comm, "\n")] = 0;
	if (f)
		fclose(f);
}

/* Add /proc/@pid/fdinfo/@fd, an open /dev/acl_vmm, to @p. */
static void add_fdinfo(struct process *p, int pid, const char *fd)
{
	unsigned long long v;
	char path[300], line[256], key[64];
	unsigned int i, id = UINT_MAX;
	bool ours = false, seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return;
	/* drm-driver and drm-client-id come first: dup()s count once. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "drm-driver: %63s", key) == 1) {
			ours = !strcmp(key, "acl_vmm");
			continue;
		}
		if (!ours)
			continue;
		if (sscanf(line, "drm-client-id: %u", &id) == 1) {
			for (i = 0; i < p->clients && i < MAX_CLIENTS; i++)
				seen |= p->client_ids[i] == id;
			if (seen)
				break;
			if (p->clients < MAX_CLIENTS)
				p->client_ids[p->clients] = id;
			p->clients++;
			continue;
		}
		if (id == UINT_MAX || sscanf(line, "%63[^:]: %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, "drm-total-host"))
			p->host += v << 10;
		else if (sscanf(key, "drm-total-dev%u", &i) == 1 && i < ACL_VMM_MAX_DEVICES)
			p->bytes[i] += v << 10;
		else if (sscanf(key, "drm-engine-copy%u", &i) == 1 && i < ACL_VMM_MAX_DEVICES)
			p->engine_ns[i] += v;
		else if (!strcmp(key, "acl_vmm-reservations"))
			p->reservations += v;
		else if (!strcmp(key, "acl_vmm-mappings"))
			p->mappings += v;
		else if (!strcmp(key, "acl_vmm-handles"))
			p->handles += v;
	}
	fclose(f);
}

/*
 * The processes with /dev/acl_vmm open whose descriptors this user may
 * read (@only: that process alone). 0, or -1 out of memory.
 */
static int read_processes(struct processes *ps, int only)
{
	char path[300], target[64];
	struct dirent *pe, *fe;
	struct process p;
	DIR *proc, *fds;
	ssize_t n;
	int pid;

	ps->n = 0;
	ps->hidden = false;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((pe = readdir(proc))) {
		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		pid = atoi(pe->d_name);
		if (only && pid != only)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds) {
			ps->hidden |= errno == EACCES;
			continue;
		}
		memset(&p, 0, sizeof(p));
		while ((fe = readdir(fds))) {
			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = 0;
			if (!strcmp(target, NODE))
				add_fdinfo(&p, pid, fe->d_name);
		}
		closedir(fds);
		if (!p.clients)
			continue;
		p.pid = pid;
		read_comm(pid, p.comm, sizeof(p.comm));
		if (ps->n == ps->cap) {
			size_t cap = ps->cap ? 2 * ps->cap : 16;
			struct process *np = realloc(ps->p, cap * sizeof(*np));

			if (!np) {
				closedir(proc);
				return -1;
			}
			ps->p = np;
			ps->cap = cap;
		}
		ps->p[ps->n++] = p;
	}
	closedir(proc);
	return 0;
}

#define DEVICE_RULE "+--------+------------+------------+------------+------------+---------+"

static void text_devices(const struct device *d, int n)
{
	int i;

	/* Held: freed, its pages still referenced elsewhere (part of Used). */
	printf("%s\n", DEVICE_RULE);
	printf("| %6s | %10s | %10s | %10s | %10s | %7s |\n", "Device", "Total MiB",
	       "Used MiB", "Held MiB", "Free MiB", "Used %");
	printf("%s\n", DEVICE_RULE);
	for (i = 0; i < n; i++)
		printf("| %6d | %10.0f | %10.0f | %10.0f | %10.0f | %6.1f%% |\n", i,
		       d[i].capacity / MIB, d[i].used / MIB, d[i].held / MIB,
		       d[i].free / MIB,
		       d[i].capacity ? 100.0 * d[i].used / d[i].capacity : 0.0);
	printf("%s\n", DEVICE_RULE);
}

static void text_processes(const struct processes *ps, int ndev)
{
	char col[24];
	size_t k;
	int i;

	printf("\nProcesses\n%8s %-16s %6s %6s %7s", "PID", "Command", "Resv", "Maps",
	       "Handles");
	for (i = 0; i < ndev; i++) {
		snprintf(col, sizeof(col), "dev%d MiB", i);
		printf("  %10s", col);
	}
	printf("  %10s\n", "host MiB");
	for (k = 0; k < ps->n; k++) {
		const struct process *p = &ps->p[k];

		printf("%8d %-16.16s %6llu %6llu %7llu", p->pid, p->comm, p->reservations,
		       p->mappings, p->handles);
		for (i = 0; i < ndev; i++)
			printf("  %10.0f", p->bytes[i] / MIB);
		printf("  %10.0f\n", p->host / MIB);
	}
	if (!ps->n)
		printf("%8s\n", "(none)");
	if (ps->hidden && geteuid())
		printf("(only your own processes are shown; root sees every process)\n");
}

static void json_process(const struct process *p, int ndev)
{
	int i;

	printf("{\"pid\": %d, \"comm\": ", p->pid);
	json_string(p->comm);
	printf(", \"contexts\": %u, \"reservations\": %llu, \"mappings\": %llu, \"handles\": %llu, \"host_bytes\": %llu, \"device_bytes\": [",
	       p->clients, p->reservations, p->mappings, p->handles, p->host);
	for (i = 0; i < ndev; i++)
		printf("%s%llu", i ? ", " : "", p->bytes[i]);
	printf("], \"engine_busy_ns\": [");
	for (i = 0; i < ndev; i++)
		printf("%s%llu", i ? ", " : "", p->engine_ns[i]);
	printf("]}");
}

static void json_all(const struct device *d, int n, const struct processes *ps)
{
	size_t k;
	int i;

	printf("{\n  \"version\": \"%s\",\n  \"devices\": [", ACL_VMM_VERSION);
	for (i = 0; i < n; i++)
		printf("%s\n    {\"device\": %d, \"capacity\": %llu, \"used\": %llu, \"held\": %llu, \"free\": %llu, \"alloc_failures\": %llu}",
		       i ? "," : "", i, d[i].capacity, d[i].used, d[i].held, d[i].free,
		       d[i].alloc_failures);
	printf("\n  ],\n  \"processes\": [");
	for (k = 0; k < ps->n; k++) {
		printf("%s\n    ", k ? "," : "");
		json_process(&ps->p[k], n);
	}
	printf("\n  ]\n}\n");
}

static void prom_header(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_process_labels(const struct process *p)
{
	printf("{pid=\"%d\",comm=", p->pid);
	prom_string(p->comm);
}

static void prometheus(const struct device *d, int n, const struct processes *ps)
{
	static const struct {
		const char *name, *help;
		size_t offset;
	} gauges[] = {
		{ "acl_vmm_device_capacity_bytes", "Memory of the device.",
		  offsetof(struct device, capacity) },
		{ "acl_vmm_device_used_bytes", "Memory of the device allocated, held included.",
		  offsetof(struct device, used) },
		{ "acl_vmm_device_free_bytes", "Memory of the device not allocated.",
		  offsetof(struct device, free) },
		{ "acl_vmm_device_held_bytes",
		  "Memory freed whose pages are still referenced outside the module.",
		  offsetof(struct device, held) },
	};
	size_t g, k;
	int i;

	for (g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		prom_header(gauges[g].name, "gauge", gauges[g].help);
		for (i = 0; i < n; i++)
			printf("%s{device=\"%d\"} %llu\n", gauges[g].name, i,
			       *(const unsigned long long *)((const char *)&d[i] +
							     gauges[g].offset));
	}
	prom_header("acl_vmm_device_alloc_failures_total", "counter",
		    "Allocations of the device's memory that failed since the module was loaded.");
	for (i = 0; i < n; i++)
		printf("acl_vmm_device_alloc_failures_total{device=\"%d\"} %llu\n", i,
		       d[i].alloc_failures);
	prom_header("acl_vmm_process_memory_bytes", "gauge",
		    "Memory a process holds, per region (devN, host).");
	for (k = 0; k < ps->n; k++) {
		for (i = 0; i < n; i++) {
			printf("acl_vmm_process_memory_bytes");
			prom_process_labels(&ps->p[k]);
			printf(",region=\"dev%d\"} %llu\n", i, ps->p[k].bytes[i]);
		}
		printf("acl_vmm_process_memory_bytes");
		prom_process_labels(&ps->p[k]);
		printf(",region=\"host\"} %llu\n", ps->p[k].host);
	}
	prom_header("acl_vmm_process_engine_busy_seconds_total", "counter",
		    "Time each device's copy engine spent on a process's work.");
	for (k = 0; k < ps->n; k++) {
		for (i = 0; i < n; i++) {
			printf("acl_vmm_process_engine_busy_seconds_total");
			prom_process_labels(&ps->p[k]);
			printf(",device=\"%d\"} %.9f\n", i, ps->p[k].engine_ns[i] / 1e9);
		}
	}
}

/* One CDI deviceNodes entry for @path, from the node itself; false if it is missing. */
static bool cdi_node(const char *path, bool first)
{
	struct stat st;

	errno = 0;
	if (stat(path, &st) || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, PROG ": %s: %s\n", path,
			errno ? strerror(errno) : "not a character device");
		return false;
	}
	printf("%s{\"path\": \"%s\", \"type\": \"c\", \"major\": %u, \"minor\": %u, \"permissions\": \"rw\"}",
	       first ? "" : ", ", path, major(st.st_rdev), minor(st.st_rdev));
	return true;
}

/*
 * --cdi: a CDI spec, version 0.5.0 (what Debian 12's podman 4.3 reads),
 * kind acl-vmm.io/npu, with one device per device node ("0", "1", ...)
 * and "all": each with the control node, which every process needs.
 */
static int cdi(int n)
{
	char path[64];
	int i, j;

	printf("{\n  \"cdiVersion\": \"0.5.0\",\n  \"kind\": \"acl-vmm.io/npu\",\n  \"devices\": [");
	for (i = 0; i <= n; i++) {
		if (i < n)
			printf("%s\n    {\"name\": \"%d\", \"containerEdits\": {\"deviceNodes\": [",
			       i ? "," : "", i);
		else
			printf(",\n    {\"name\": \"all\", \"containerEdits\": {\"deviceNodes\": [");
		if (!cdi_node(NODE, true))
			return 1;
		for (j = i < n ? i : 0; j < (i < n ? i + 1 : n); j++) {
			snprintf(path, sizeof(path), NODE "%d", j);
			if (!cdi_node(path, false))
				return 1;
		}
		printf("]}}");
	}
	printf("\n  ]\n}\n");
	return 0;
}

/* Each line of every debugfs maps file of @pid, to @out (NULL: none); 0 or -errno. */
static int read_maps(int pid, char ***out, size_t *count)
{
	char prefix[32], path[512], line[512];
	struct dirent *e;
	size_t n = 0, cap = 0;
	char **lines = NULL;
	DIR *d = opendir(DEBUGFS);

	*out = NULL;
	*count = 0;
	if (!d)
		return -errno;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while ((e = readdir(d))) {
		FILE *f;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/maps", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (n == cap) {
				char **nl = realloc(lines, (cap = cap ? 2 * cap : 32) * sizeof(*nl));

				if (!nl)
					break;
				lines = nl;
			}
			lines[n] = strdup(line);
			if (lines[n])
				n++;
		}
		fclose(f);
	}
	closedir(d);
	*out = lines;
	*count = n;
	return 0;
}

/* -p PID: what the process holds, and its maps where debugfs is readable. */
static int show_process(int pid, int ndev)
{
	struct processes ps = { 0 };
	char **lines;
	size_t n, k;
	int err;

	if (read_processes(&ps, pid)) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	if (!ps.n) {
		fprintf(stderr, PROG ": process %d holds no open %s%s\n", pid, NODE,
			ps.hidden ? " that you may see (another user's process: run as root)" : "");
		free(ps.p);
		return 1;
	}
	err = read_maps(pid, &lines, &n);
	if (format == JSON) {
		printf("{\n  \"process\": ");
		json_process(&ps.p[0], ndev);
		printf(",\n  \"maps\": ");
		if (err) {
			printf("null");
		} else {
			printf("[");
			for (k = 0; k < n; k++) {
				printf("%s\n    ", k ? "," : "");
				json_string(lines[k]);
			}
			printf("\n  ]");
		}
		printf("\n}\n");
	} else {
		text_processes(&ps, ndev);
		if (err)
			printf("\nmaps: %s: %s (debugfs, as root)\n", DEBUGFS, strerror(-err));
		else
			printf("\n");
		for (k = 0; k < n; k++)
			printf("%s\n", lines[k]);
	}
	for (k = 0; k < n; k++)
		free(lines[k]);
	free(lines);
	free(ps.p);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]...\n"
		"Show the devices of acl_vmm.ko, their memory, and the processes using them.\n"
		"\n"
		"  -j, --json             print JSON\n"
		"      --prometheus       print metrics in the Prometheus text format (for\n"
		"                         node_exporter's textfile collector)\n"
		"      --cdi              print a CDI spec with one device per device node (for\n"
		"                         /etc/cdi/acl-vmm.json: podman run --device acl-vmm.io/npu=0)\n"
		"  -p, --pid PID          one process: what it holds, and its reservations and\n"
		"                         mappings (those from debugfs: as root)\n"
		"  -w, --watch SECONDS    print again every SECONDS\n"
		"  -c, --count COUNT      with --watch, COUNT times (default: until killed)\n"
		"  -h, --help             print this help and exit\n"
		"  -V, --version          print the version and exit\n"
		"\n"
		"A user sees their own processes, root every process. Exit status: 0 on\n"
		"success, 1 when something could not be read, 2 for a wrong command line.\n");
}

/* The number in @s, which must be all of it; false if it is not one. */
static bool parse_number(const char *s, double *v, bool integer)
{
	char *end;

	errno = 0;
	*v = integer ? (double)strtol(s, &end, 10) : strtod(s, &end);
	return *s && !*end && !errno && *v >= 0 && *v <= INT_MAX;
}

/* The value of option @i (-x VALUE, --xx VALUE, --xx=VALUE), or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!strncmp(arg, "--", 2) && eq)
		return eq + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_option(const char *arg, const char *s, const char *l)
{
	size_t n = strlen(l);

	return (s && !strcmp(arg, s)) || !strcmp(arg, l) ||
	       (!strncmp(arg, l, n) && arg[n] == '=');
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct device dev[ACL_VMM_MAX_DEVICES];
	struct processes ps = { 0 };
	double watch = 0, v;
	int i, n, pid = 0, count = 0, ret = 0;
	const char *val;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (is_option(a, "-h", "--help")) {
			usage(stdout);
			return 0;
		} else if (is_option(a, "-V", "--version")) {
			printf(PROG " (acl-vmm) %s\n", ACL_VMM_VERSION);
			return 0;
		} else if (is_option(a, "-j", "--json")) {
			format = JSON;
		} else if (is_option(a, NULL, "--prometheus")) {
			format = PROMETHEUS;
		} else if (is_option(a, NULL, "--cdi")) {
			format = CDI;
		} else if (is_option(a, "-p", "--pid") || is_option(a, "-w", "--watch") ||
			   is_option(a, "-c", "--count")) {
			char which = a[1] == '-' ? a[2] : a[1];

			val = option_value(argc, argv, &i, a);
			if (!val)
				return usage_error("option '%s' needs a value", a);
			if (!parse_number(val, &v, which != 'w') || (which == 'p' && v < 1))
				return usage_error("'%s' is not a valid value for %s", val, a);
			if (which == 'p')
				pid = (int)v;
			else if (which == 'w')
				watch = v;
			else
				count = (int)v;
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	if (pid && (format == PROMETHEUS || format == CDI))
		return usage_error("--pid goes with the table or --json only");
	/* Once, or every @watch seconds, @count times (0: until killed). */
	if (watch <= 0)
		count = 1;
	for (i = 0; !count || i < count; i++) {
		if (i) {
			struct timespec ts = { (time_t)watch,
					       (long)((watch - (time_t)watch) * 1e9) };

			nanosleep(&ts, NULL);
		}
		if (watch > 0 && format == TEXT && isatty(STDOUT_FILENO))
			printf("\033[H\033[J");
		n = read_devices(dev);
		if (!n) {
			fprintf(stderr, PROG ": no acl_vmm device in %s: is acl_vmm.ko loaded?\n",
				SYSFS);
			return 1;
		}
		if (format == CDI)
			return cdi(n);
		if (pid) {
			ret = show_process(pid, n);
		} else if (read_processes(&ps, 0)) {
			fprintf(stderr, PROG ": out of memory\n");
			return 1;
		} else if (format == JSON) {
			json_all(dev, n, &ps);
		} else if (format == PROMETHEUS) {
			prometheus(dev, n, &ps);
		} else {
			text_devices(dev, n);
			text_processes(&ps, n);
		}
		fflush(stdout);
	}
	free(ps.p);
	return ret;
}
