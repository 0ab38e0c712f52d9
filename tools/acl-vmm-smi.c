// SPDX-License-Identifier: GPL-2.0
/*
 * acl-vmm-smi: what acl_vmm.ko holds, as npu-smi and nvidia-smi show it.
 *
 *   acl-vmm-smi                 devices and their memory, processes and what
 *                               each holds (processes need root: debugfs)
 *   acl-vmm-smi -p PID          one process's reservations, mappings, handles
 *   acl-vmm-smi --json          the same as JSON
 *   acl-vmm-smi -w SECONDS [-c COUNT]
 *                               again every SECONDS (COUNT times, or forever)
 *
 * Sources: /sys/class/misc/acl_vmmN/{capacity,used,free,held} and
 * /sys/kernel/debug/acl_vmm/{contexts,PID-ID/maps}.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linux/acl_vmm.h"

#define SYSFS "/sys/class/misc"
#define DEBUGFS "/sys/kernel/debug/acl_vmm"
#define MIB (1024.0 * 1024.0)

static bool json;

#define DEVICE_RULE "+--------+--------------+--------------+--------------+--------------+---------+"

struct device {
	unsigned long long capacity, used, free, held;
};

static int read_u64(const char *path, unsigned long long *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int read_devices(struct device *d)
{
	char path[256];
	int n;

	for (n = 0; n < ACL_VMM_MAX_DEVICES; n++) {
		snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/capacity", n);
		if (read_u64(path, &d[n].capacity))
			break;
		snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/used", n);
		read_u64(path, &d[n].used);
		snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/free", n);
		read_u64(path, &d[n].free);
		snprintf(path, sizeof(path), SYSFS "/acl_vmm%d/held", n);
		read_u64(path, &d[n].held);
	}
	return n;
}

/* The value of "key=" in a contexts line, or NULL. */
static const char *field(const char *line, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			size_t n = strcspn(p + k + 1, " \n");

			if (n >= len)
				n = len - 1;
			memcpy(buf, p + k + 1, n);
			buf[n] = 0;
			return buf;
		}
		p += k;
	}
	return NULL;
}

static void show_devices(const struct device *d, int n)
{
	int i;

	if (json) {
		printf("  \"devices\": [");
		for (i = 0; i < n; i++)
			printf("%s\n    {\"device\": %d, \"capacity\": %llu, \"used\": %llu, \"held\": %llu, \"free\": %llu}",
			       i ? "," : "", i, d[i].capacity, d[i].used, d[i].held,
			       d[i].free);
		printf("\n  ]");
		return;
	}
	/* Held: freed, its pages still referenced elsewhere (part of Used). */
	printf("%s\n", DEVICE_RULE);
	printf("| Device |   Total MiB  |   Used MiB   |   Held MiB   |   Free MiB   |  Used %% |\n");
	printf("%s\n", DEVICE_RULE);
	for (i = 0; i < n; i++)
		printf("| %6d | %12.0f | %12.0f | %12.0f | %12.0f | %6.1f%% |\n", i,
		       d[i].capacity / MIB, d[i].used / MIB, d[i].held / MIB,
		       d[i].free / MIB,
		       d[i].capacity ? 100.0 * d[i].used / d[i].capacity : 0.0);
	printf("%s\n", DEVICE_RULE);
}

static void show_processes(int ndev)
{
	char line[2048], buf[64], comm[64], key[16];
	FILE *f = fopen(DEBUGFS "/contexts", "r");
	bool first = true;
	int i;

	if (json)
		printf(",\n  \"processes\": [");
	if (!f) {
		if (json)
			printf("]");
		else
			printf("Processes: %s (debugfs, as root)\n", strerror(errno));
		return;
	}
	if (!json) {
		printf("\nProcesses\n%8s %-16s %6s %6s %7s", "PID", "Command", "Resv", "Maps",
		       "Handles");
		for (i = 0; i < ndev; i++)
			printf("  dev%-2d MiB", i);
		printf("  host MiB\n");
	}
	while (fgets(line, sizeof(line), f)) {
		if (!field(line, "tgid", buf, sizeof(buf)))
			continue;
		field(line, "comm", comm, sizeof(comm));
		if (json) {
			printf("%s\n    {\"pid\": %s, \"comm\": \"%s\"", first ? "" : ",", buf, comm);
			printf(", \"reservations\": %s", field(line, "reservations", buf, sizeof(buf)));
			printf(", \"mappings\": %s", field(line, "mappings", buf, sizeof(buf)));
			printf(", \"handles\": %s", field(line, "handles", buf, sizeof(buf)));
			printf(", \"host_bytes\": %s, \"device_bytes\": [",
			       field(line, "host", buf, sizeof(buf)));
			for (i = 0; i < ndev; i++) {
				snprintf(key, sizeof(key), "dev%d", i);
				printf("%s%s", i ? ", " : "",
				       field(line, key, buf, sizeof(buf)) ? buf : "0");
			}
			printf("]}");
		} else {
			printf("%8s %-16s", buf, comm);
			printf(" %6s", field(line, "reservations", buf, sizeof(buf)));
			printf(" %6s", field(line, "mappings", buf, sizeof(buf)));
			printf(" %7s", field(line, "handles", buf, sizeof(buf)));
			for (i = 0; i < ndev; i++) {
				snprintf(key, sizeof(key), "dev%d", i);
				printf("  %9.0f", field(line, key, buf, sizeof(buf)) ?
				       strtoull(buf, NULL, 10) / MIB : 0.0);
			}
			printf("  %8.0f\n", strtoull(field(line, "host", buf, sizeof(buf)) ?
						     buf : "0", NULL, 10) / MIB);
		}
		first = false;
	}
	if (json)
		printf("\n  ]");
	else if (first)
		printf("%8s\n", "(none)");
	fclose(f);
}

/* Every maps file of process @pid (one per open context). */
static int show_process(int pid)
{
	char prefix[32], path[512], line[512];
	struct dirent *e;
	bool found = false, first = true;
	DIR *d = opendir(DEBUGFS);

	if (!d) {
		fprintf(stderr, "acl-vmm-smi: %s: %s (debugfs, as root)\n", DEBUGFS,
			strerror(errno));
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	if (json)
		printf("{\n  \"pid\": %d,\n  \"maps\": [", pid);
	while ((e = readdir(d))) {
		FILE *f;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/maps", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = true;
		if (!json)
			printf("process %d, context %s\n", pid, e->d_name + strlen(prefix));
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (json)
				printf("%s\n    \"%s\"", first ? "" : ",", line);
			else
				printf("%s\n", line);
			first = false;
		}
		fclose(f);
	}
	closedir(d);
	if (json)
		printf("\n  ]\n}\n");
	else if (!found)
		printf("process %d holds no acl_vmm context\n", pid);
	return found ? 0 : 1;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [-p PID] [-w SECONDS [-c COUNT]]\n", argv0);
}

int main(int argc, char **argv)
{
	struct device dev[ACL_VMM_MAX_DEVICES];
	int i, n, pid = 0, count = 0, ret = 0;
	double watch = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			pid = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			watch = atof(argv[++i]);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			count = atoi(argv[++i]);
		else {
			usage(argv[0]);
			return 2;
		}
	}
	/* Once, or every @watch seconds, @count times (0: until killed). */
	if (watch <= 0)
		count = 1;
	for (i = 0; !count || i < count; i++) {
		if (i) {
			struct timespec ts = { (time_t)watch,
					       (long)((watch - (time_t)watch) * 1e9) };

			nanosleep(&ts, NULL);
		}
		if (watch > 0 && !json)
			printf("\033[H\033[J");
		if (pid) {
			ret = show_process(pid);
			continue;
		}
		n = read_devices(dev);
		if (!n) {
			fprintf(stderr, "acl-vmm-smi: no acl_vmm device in %s: is acl_vmm.ko loaded?\n",
				SYSFS);
			return 1;
		}
		if (json)
			printf("{\n");
		show_devices(dev, n);
		show_processes(n);
		if (json)
			printf("\n}\n");
		fflush(stdout);
	}
	return ret;
}
