// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: VA space bookkeeping
 *
 * A context's device VA space is two interval trees of struct
 * acl_vmm_va_node (INTERVAL_TREE_DEFINE, header-only, nodes embedded in
 * the objects, nothing allocated on insert): the reservations, and the
 * mappings inside them. Every lookup is O(log n) in the number of ranges,
 * plus the number of ranges reported.
 *
 * This file holds no lock and allocates nothing: the module calls it under
 * acl_vmm_ctx.lock, and the host unit test compiles it in userspace.
 */
#include <linux/errno.h>
#include <linux/interval_tree_generic.h>

#include "vaspace.h"

#define VA_START(node) ((node)->start)
#define VA_LAST(node) ((node)->last)

INTERVAL_TREE_DEFINE(struct acl_vmm_va_node, rb, unsigned long, __subtree_last,
		     VA_START, VA_LAST, static, acl_vmm_va_it)

/**
 * acl_vmm_vaspace_init() - initialize an empty VA space
 * @vs: the VA space
 */
void acl_vmm_vaspace_init(struct acl_vmm_vaspace *vs)
{
	vs->reservations = RB_ROOT_CACHED;
	vs->mappings = RB_ROOT_CACHED;
}

/**
 * acl_vmm_vaspace_empty() - whether a VA space holds no range at all
 * @vs: the VA space
 *
 * Return: true when it has neither reservations nor mappings.
 */
bool acl_vmm_vaspace_empty(const struct acl_vmm_vaspace *vs)
{
	return RB_EMPTY_ROOT(&vs->reservations.rb_root) &&
	       RB_EMPTY_ROOT(&vs->mappings.rb_root);
}

/**
 * acl_vmm_va_insert() - add a range to a tree
 * @node: the range, with @start and @last set
 * @root: the tree
 */
void acl_vmm_va_insert(struct acl_vmm_va_node *node, struct rb_root_cached *root)
{
	acl_vmm_va_it_insert(node, root);
}

/**
 * acl_vmm_va_remove() - remove a range from its tree
 * @node: the range
 * @root: the tree holding it
 */
void acl_vmm_va_remove(struct acl_vmm_va_node *node, struct rb_root_cached *root)
{
	acl_vmm_va_it_remove(node, root);
}

/**
 * acl_vmm_va_first() - the lowest range overlapping [@start, @last]
 * @root: the tree
 * @start: first byte
 * @last: last byte
 *
 * Return: the range, or NULL when none overlaps.
 */
struct acl_vmm_va_node *acl_vmm_va_first(struct rb_root_cached *root,
					 unsigned long start, unsigned long last)
{
	return acl_vmm_va_it_iter_first(root, start, last);
}

/**
 * acl_vmm_va_next() - the next range overlapping [@start, @last]
 * @node: a range returned by acl_vmm_va_first() or acl_vmm_va_next()
 * @start: first byte
 * @last: last byte
 *
 * Return: the range, or NULL when there is no more.
 */
struct acl_vmm_va_node *acl_vmm_va_next(struct acl_vmm_va_node *node,
					unsigned long start, unsigned long last)
{
	return acl_vmm_va_it_iter_next(node, start, last);
}

/**
 * acl_vmm_va_find() - the range holding an address
 * @root: the tree
 * @addr: the address
 *
 * Return: the range, or NULL.
 */
struct acl_vmm_va_node *acl_vmm_va_find(struct rb_root_cached *root,
					unsigned long addr)
{
	return acl_vmm_va_it_iter_first(root, addr, addr);
}

/**
 * acl_vmm_va_find_exact() - the range that starts at an address
 * @root: the tree
 * @start: the address
 *
 * Return: the range, or NULL when no range starts exactly at @start.
 */
struct acl_vmm_va_node *acl_vmm_va_find_exact(struct rb_root_cached *root,
					      unsigned long start)
{
	struct acl_vmm_va_node *node = acl_vmm_va_find(root, start);

	return node && node->start == start ? node : NULL;
}

/**
 * acl_vmm_va_covering() - the one range holding all of [@start, @last]
 * @root: the tree
 * @start: first byte
 * @last: last byte, not below @start
 *
 * Return: the range, or NULL when no single range holds it all.
 */
struct acl_vmm_va_node *acl_vmm_va_covering(struct rb_root_cached *root,
					    unsigned long start,
					    unsigned long last)
{
	struct acl_vmm_va_node *node = acl_vmm_va_find(root, start);

	return node && node->last >= last ? node : NULL;
}

/**
 * acl_vmm_va_range_covered() - whether ranges cover [@start, @last] gaplessly
 * @root: the tree
 * @start: first byte
 * @last: last byte, not below @start
 *
 * Return: true when every byte of the range lies in some range of @root.
 */
bool acl_vmm_va_range_covered(struct rb_root_cached *root,
			      unsigned long start, unsigned long last)
{
	struct acl_vmm_va_node *node = acl_vmm_va_find(root, start);

	while (node) {
		if (node->last >= last)
			return true;
		node = acl_vmm_va_find(root, node->last + 1);
	}
	return false;
}

/**
 * acl_vmm_va_check_map() - whether [@start, @last] may be mapped
 * @vs: the VA space
 * @start: first byte
 * @last: last byte, not below @start
 * @res: out: the reservation holding the range
 *
 * Return: 0 when the range lies inside one reservation and overlaps no
 * mapping; -ENXIO when no single reservation holds it; -EEXIST when part
 * of it is already mapped.
 */
int acl_vmm_va_check_map(struct acl_vmm_vaspace *vs, unsigned long start,
			 unsigned long last, struct acl_vmm_va_node **res)
{
	*res = acl_vmm_va_covering(&vs->reservations, start, last);
	if (!*res)
		return -ENXIO;
	if (acl_vmm_va_first(&vs->mappings, start, last))
		return -EEXIST;
	return 0;
}
