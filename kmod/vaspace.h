/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interval bookkeeping of a device VA space: pure logic over two interval
 * trees, with no locking and no allocation, so that it also compiles and
 * is tested in userspace (tests/vaspace_test.c).
 */
#ifndef ACL_VMM_VASPACE_H
#define ACL_VMM_VASPACE_H

#include <linux/rbtree.h>
#include <linux/types.h>

/**
 * struct acl_vmm_va_node - a range [@start, @last] of device VA in a tree
 * @rb: node in the tree
 * @start: first byte
 * @last: last byte (inclusive, so a range may end at the top of the space)
 * @__subtree_last: largest @last below this node (interval tree internal)
 */
struct acl_vmm_va_node {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long __subtree_last;
};

/**
 * struct acl_vmm_vaspace - the reservations and mappings of one context
 * @reservations: tree of reservation ranges; they never overlap
 * @mappings: tree of mapping ranges; they never overlap, and each lies
 *            inside one reservation
 *
 * The caller serializes every access (acl_vmm_ctx.lock in the module).
 */
struct acl_vmm_vaspace {
	struct rb_root_cached reservations;
	struct rb_root_cached mappings;
};

void acl_vmm_vaspace_init(struct acl_vmm_vaspace *vs);
bool acl_vmm_vaspace_empty(const struct acl_vmm_vaspace *vs);

void acl_vmm_va_insert(struct acl_vmm_va_node *node, struct rb_root_cached *root);
void acl_vmm_va_remove(struct acl_vmm_va_node *node, struct rb_root_cached *root);
struct acl_vmm_va_node *acl_vmm_va_first(struct rb_root_cached *root,
					 unsigned long start, unsigned long last);
struct acl_vmm_va_node *acl_vmm_va_next(struct acl_vmm_va_node *node,
					unsigned long start, unsigned long last);
struct acl_vmm_va_node *acl_vmm_va_find(struct rb_root_cached *root,
					unsigned long addr);
struct acl_vmm_va_node *acl_vmm_va_find_exact(struct rb_root_cached *root,
					      unsigned long start);
struct acl_vmm_va_node *acl_vmm_va_covering(struct rb_root_cached *root,
					    unsigned long start,
					    unsigned long last);
bool acl_vmm_va_range_covered(struct rb_root_cached *root,
			      unsigned long start, unsigned long last);
int acl_vmm_va_check_map(struct acl_vmm_vaspace *vs, unsigned long start,
			 unsigned long last, struct acl_vmm_va_node **res);

#endif /* ACL_VMM_VASPACE_H */
