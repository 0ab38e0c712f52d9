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
#include "vaspace_model.h"

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

static unsigned int next_rand(void)
{
	return (unsigned int)rand();
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
		model_step(&vs, &m, next_rand);
	model_clear(&vs, &m);
	printf("%s 2 - %ld random steps against the model, seed %u\n",
	       tests_failed ? "not ok" : "ok", n, seed);
	return tests_failed ? 1 : 0;
}
