// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of the module's VA bookkeeping (kmod/vaspace.c), compiled
 * in userspace against the kernel's own rbtree (tools/lib/rbtree.c).
 *
 * Runs fixed cases, then random reserve / map / unmap / release sequences
 * checked against a plain array model. Prints TAP.
 *
 *   vaspace_test [ITERATIONS [SEED]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vaspace.h"

#define MAX_RANGES 256
#define SLOT (1UL << 21)
#define SPACE_SLOTS 4096UL

struct model_range {
	unsigned long start, last;
	struct acl_vmm_va_node *node;
};

struct model {
	struct model_range res[MAX_RANGES], map[MAX_RANGES];
	int nres, nmap;
};

static int tests_run, tests_failed;

static void check(int cond, const char *what)
{
	tests_run++;
	if (!cond) {
		tests_failed++;
		printf("not ok %d - %s\n", tests_run, what);
	}
}

static struct acl_vmm_va_node *node_new(unsigned long start, unsigned long last)
{
	struct acl_vmm_va_node *n = calloc(1, sizeof(*n));

	if (!n)
		abort();
	n->start = start;
	n->last = last;
	return n;
}

static int model_find(const struct model_range *r, int n, unsigned long addr)
{
	for (int i = 0; i < n; i++)
		if (r[i].start <= addr && addr <= r[i].last)
			return i;
	return -1;
}

static int model_overlap(const struct model_range *r, int n,
			 unsigned long start, unsigned long last)
{
	for (int i = 0; i < n; i++)
		if (r[i].start <= last && start <= r[i].last)
			return 1;
	return 0;
}

static void model_del(struct model_range *r, int *n, int i)
{
	r[i] = r[--*n];
}

/* Whether the model says [start, last] is mapped without a gap. */
static int model_covered(const struct model *m, unsigned long start,
			 unsigned long last)
{
	for (unsigned long a = start; a <= last; a += SLOT)
		if (model_find(m->map, m->nmap, a) < 0)
			return 0;
	return 1;
}

static void fixed_cases(void)
{
	struct acl_vmm_vaspace vs;
	struct acl_vmm_va_node *r, *m1, *m2, *got;

	acl_vmm_vaspace_init(&vs);
	check(acl_vmm_vaspace_empty(&vs), "a new VA space is empty");
	r = node_new(16 * SLOT, 32 * SLOT - 1);
	acl_vmm_va_insert(r, &vs.reservations);
	check(!acl_vmm_vaspace_empty(&vs), "not empty with a reservation");
	check(acl_vmm_va_check_map(&vs, 16 * SLOT, 18 * SLOT - 1, &got) == 0 &&
	      got == r, "map at the start of a reservation");
	check(acl_vmm_va_check_map(&vs, 31 * SLOT, 33 * SLOT - 1, &got) == -ENXIO,
	      "a range crossing the reservation's end is refused");
	check(acl_vmm_va_check_map(&vs, 15 * SLOT, 17 * SLOT - 1, &got) == -ENXIO,
	      "a range crossing the reservation's start is refused");
	m1 = node_new(20 * SLOT, 22 * SLOT - 1);
	acl_vmm_va_insert(m1, &vs.mappings);
	check(acl_vmm_va_check_map(&vs, 21 * SLOT, 23 * SLOT - 1, &got) == -EEXIST,
	      "a range overlapping a mapping is refused");
	check(acl_vmm_va_check_map(&vs, 22 * SLOT, 23 * SLOT - 1, &got) == 0,
	      "a range just after a mapping is accepted");
	check(acl_vmm_va_find_exact(&vs.mappings, 20 * SLOT) == m1,
	      "exact lookup finds the mapping's start");
	check(!acl_vmm_va_find_exact(&vs.mappings, 21 * SLOT),
	      "exact lookup refuses the middle of a mapping");
	check(acl_vmm_va_find(&vs.mappings, 22 * SLOT - 1) == m1,
	      "the last byte belongs to the mapping");
	check(!acl_vmm_va_find(&vs.mappings, 22 * SLOT),
	      "the byte after the last does not");
	m2 = node_new(22 * SLOT, 24 * SLOT - 1);
	acl_vmm_va_insert(m2, &vs.mappings);
	check(acl_vmm_va_range_covered(&vs.mappings, 20 * SLOT + 5, 24 * SLOT - 1),
	      "two adjacent mappings cover a range across them");
	check(!acl_vmm_va_range_covered(&vs.mappings, 20 * SLOT, 24 * SLOT),
	      "one byte past them is not covered");
	acl_vmm_va_remove(m1, &vs.mappings);
	acl_vmm_va_remove(m2, &vs.mappings);
	acl_vmm_va_remove(r, &vs.reservations);
	check(acl_vmm_vaspace_empty(&vs), "empty again after removals");
	free(m1);
	free(m2);
	free(r);

	/* Ranges that end at the top of the address space. */
	r = node_new(~0UL - SLOT + 1, ~0UL);
	acl_vmm_va_insert(r, &vs.reservations);
	check(acl_vmm_va_covering(&vs.reservations, ~0UL - 10, ~0UL) == r,
	      "a range ending at the top of the space is found");
	acl_vmm_va_remove(r, &vs.reservations);
	free(r);
}

static void random_step(struct acl_vmm_vaspace *vs, struct model *m)
{
	unsigned long s = (unsigned long)rand() % SPACE_SLOTS;
	unsigned long len = 1 + (unsigned long)rand() % 64;
	unsigned long start = s * SLOT, last = (s + len) * SLOT - 1;
	struct acl_vmm_va_node *node;
	int op = rand() % 6, i, ret, expect;

	switch (op) {
	case 0:	/* reserve */
		if (m->nres == MAX_RANGES || model_overlap(m->res, m->nres, start, last))
			return;
		node = node_new(start, last);
		acl_vmm_va_insert(node, &vs->reservations);
		m->res[m->nres++] = (struct model_range){ start, last, node };
		return;
	case 1:	/* map */
	case 2:
		i = model_find(m->res, m->nres, start);
		expect = i >= 0 && m->res[i].last >= last ?
			 (model_overlap(m->map, m->nmap, start, last) ? -EEXIST : 0) :
			 -ENXIO;
		ret = acl_vmm_va_check_map(vs, start, last, &node);
		check(ret == expect, "check_map agrees with the model");
		if (ret || m->nmap == MAX_RANGES)
			return;
		check(node == m->res[i].node, "check_map names the holding reservation");
		node = node_new(start, last);
		acl_vmm_va_insert(node, &vs->mappings);
		m->map[m->nmap++] = (struct model_range){ start, last, node };
		return;
	case 3:	/* unmap */
		if (!m->nmap)
			return;
		i = rand() % m->nmap;
		check(acl_vmm_va_find_exact(&vs->mappings, m->map[i].start) == m->map[i].node,
		      "exact lookup finds every mapping");
		acl_vmm_va_remove(m->map[i].node, &vs->mappings);
		free(m->map[i].node);
		model_del(m->map, &m->nmap, i);
		return;
	case 4:	/* release an empty reservation */
		if (!m->nres)
			return;
		i = rand() % m->nres;
		if (model_overlap(m->map, m->nmap, m->res[i].start, m->res[i].last))
			return;
		acl_vmm_va_remove(m->res[i].node, &vs->reservations);
		free(m->res[i].node);
		model_del(m->res, &m->nres, i);
		return;
	default: /* lookups */
		i = model_find(m->map, m->nmap, start + 4096);
		node = acl_vmm_va_find(&vs->mappings, start + 4096);
		check(i < 0 ? !node : node == m->map[i].node,
		      "point lookup agrees with the model");
		check(acl_vmm_va_range_covered(&vs->mappings, start, last) ==
		      model_covered(m, start, last),
		      "coverage agrees with the model");
		return;
	}
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 200000;
	unsigned int seed = argc > 2 ? (unsigned int)atoi(argv[2]) : 1;
	static struct model m;
	struct acl_vmm_vaspace vs;
	long n;

	printf("TAP version 13\n1..2\n");
	fixed_cases();
	printf("%s 1 - fixed cases (%d checks)\n", tests_failed ? "not ok" : "ok",
	       tests_run);

	srand(seed);
	acl_vmm_vaspace_init(&vs);
	for (n = 0; n < iterations && !tests_failed; n++)
		random_step(&vs, &m);
	while (m.nmap) {
		acl_vmm_va_remove(m.map[m.nmap - 1].node, &vs.mappings);
		free(m.map[--m.nmap].node);
	}
	while (m.nres) {
		acl_vmm_va_remove(m.res[m.nres - 1].node, &vs.reservations);
		free(m.res[--m.nres].node);
	}
	check(acl_vmm_vaspace_empty(&vs), "empty after removing everything");
	printf("%s 2 - %ld random steps against the model, seed %u\n",
	       tests_failed ? "not ok" : "ok", n, seed);
	return tests_failed ? 1 : 0;
}
