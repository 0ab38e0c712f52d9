/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DOC: Kernel compatibility
 *
 * acl_vmm.ko builds from one source tree for Debian 12's two kernels, 6.1
 * and 6.12. Every difference between them that the module meets is here,
 * keyed on what the kernel's headers show rather than on its version:
 *
 *  - fd_file(): since 6.12 a struct fd is one tagged word read through the
 *    fd_file() macro; before, it had a file member. The macro itself is
 *    the test.
 *  - vm_flags_mod(): since 6.3 a VMA's flags change only through helpers.
 *    Kbuild defines ACL_VMM_HAVE_VM_FLAGS_MOD when include/linux/mm.h has
 *    it.
 *  - __assign_str(): since 6.10 a tracepoint's string is copied from the
 *    argument given to __string(), and __assign_str() takes the field
 *    alone. Kbuild defines ACL_VMM_HAVE_ASSIGN_STR_1 when
 *    include/trace/stages/stage6_event_callback.h defines it with one
 *    argument.
 *  - get_user_pages_remote(): 6.5 dropped its vmas argument. Kbuild
 *    defines ACL_VMM_HAVE_GUP_VMAS when include/linux/mm.h still has it.
 *  - vhost tasks (worker.c): 6.4 added them, and 6.11 the callback that
 *    tells their owner of a SIGKILL, which the module needs. Kbuild
 *    defines ACL_VMM_HAVE_VHOST_TASK when
 *    include/linux/sched/vhost_task.h has that callback; the kernel must
 *    also have been built with CONFIG_VHOST_TASK.
 *  - mmap_assert_locked(): with CONFIG_DEBUG_VM it calls dump_mm(), which
 *    6.1 does not export, so a module using it does not load on a 6.1
 *    debug kernel. acl_vmm_mmap_assert_locked() asserts through lockdep
 *    alone, on every kernel.
 */
#ifndef ACL_VMM_COMPAT_H
#define ACL_VMM_COMPAT_H

#include <linux/file.h>
#include <linux/mm.h>

#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/**
 * acl_vmm_vm_flags_mod() - set and clear a VMA's flags
 * @vma: the VMA, being created (its mmap handler runs)
 * @set: the flags to set
 * @clear: the flags to clear
 */
static inline void acl_vmm_vm_flags_mod(struct vm_area_struct *vma,
					vm_flags_t set, vm_flags_t clear)
{
#ifdef ACL_VMM_HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/**
 * acl_vmm_get_user_pages_remote() - fault pages of a process in
 * @mm: the process's mm, its mmap_lock held for reading
 * @start: the first page's address
 * @nr_pages: pages
 * @gup_flags: FOLL_* flags
 *
 * Return: pages faulted in from @start on, or a negative errno.
 */
static inline long acl_vmm_get_user_pages_remote(struct mm_struct *mm,
						 unsigned long start,
						 unsigned long nr_pages,
						 unsigned int gup_flags)
{
#ifdef ACL_VMM_HAVE_GUP_VMAS
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, NULL,
				     NULL, NULL);
#else
	return get_user_pages_remote(mm, start, nr_pages, gup_flags, NULL,
				     NULL);
#endif
}

/**
 * acl_vmm_mmap_assert_locked() - assert that the mmap_lock is held
 * @mm: the mm
 */
static inline void acl_vmm_mmap_assert_locked(struct mm_struct *mm)
{
	lockdep_assert_held(&mm->mmap_lock);
}

/*
 * ACL_VMM_ASSIGN_STR(field, src) fills the string field @field of a
 * tracepoint in its TP_fast_assign(), from @src, which is what its
 * __string() named: kernels that copy from there ignore @src.
 */
#ifdef ACL_VMM_HAVE_ASSIGN_STR_1
#define ACL_VMM_ASSIGN_STR(field, ...) __assign_str(field)
#else
#define ACL_VMM_ASSIGN_STR(field, ...) __assign_str(field, __VA_ARGS__)
#endif

#endif /* ACL_VMM_COMPAT_H */
