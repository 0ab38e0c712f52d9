/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A plain array model of the module's VA bookkeeping, and one step of
 * operations checked against it: shared by vaspace_test.c (random steps)
 * and fuzz_vaspace.c (libFuzzer's bytes).
 */
#ifndef ACL_VMM_VASPACE_MODEL_H
#define ACL_VMM_VASPACE_MODEL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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


/* One operation, its choices drawn from @next(); checked against the model. */
static void model_step(struct acl_vmm_vaspace *vs, struct model *m,
		       unsigned int (*next)(void))
{
	unsigned long s = next() % SPACE_SLOTS;
	unsigned long len = 1 + next() % 64;
	unsigned long start = s * SLOT, last = (s + len) * SLOT - 1;
	struct acl_vmm_va_node *node;
	int op = next() % 6, i, ret, expect;

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
		i = next() % m->nmap;
		check(acl_vmm_va_find_exact(&vs->mappings, m->map[i].start) == m->map[i].node,
		      "exact lookup finds every mapping");
		acl_vmm_va_remove(m->map[i].node, &vs->mappings);
		free(m->map[i].node);
		model_del(m->map, &m->nmap, i);
		return;
	case 4:	/* release an empty reservation */
		if (!m->nres)
			return;
		i = next() % m->nres;
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

/* Remove every range left, then the space must be empty. */
static void model_clear(struct acl_vmm_vaspace *vs, struct model *m)
{
	while (m->nmap) {
		acl_vmm_va_remove(m->map[m->nmap - 1].node, &vs->mappings);
		free(m->map[--m->nmap].node);
	}
	while (m->nres) {
		acl_vmm_va_remove(m->res[m->nres - 1].node, &vs->reservations);
		free(m->res[--m->nres].node);
	}
	check(acl_vmm_vaspace_empty(vs), "empty after removing everything");
}

#endif /* ACL_VMM_VASPACE_MODEL_H */
