# SPDX-License-Identifier: GPL-2.0
# Sourced by the project's scripts. Which Debian kernel to build acl_vmm.ko
# for and boot in QEMU. A kernel is usable when it has both its headers
# (/lib/modules/V/build) and its image (/boot/vmlinuz-V).
#
# acl_vmm_kernel_version prints the default one, chosen in this order:
#  1. $ACL_VMM_KVER, when set;
#  2. the running kernel (uname -r), when usable: on a compute node, the
#     module is for the kernel it will be loaded into;
#  3. the kernel of Debian's linux-image-amd64 metapackage, when usable:
#     the distribution's own kernel (6.1 on Debian 12), so that installing
#     another one (6.12) beside it does not change what a build targets;
#  4. the newest usable kernel.
#
# acl_vmm_kernel_versions prints every usable kernel, one a line, the
# default first and the others oldest first.

acl_vmm_kernel_usable() {
	[ -d "/lib/modules/$1/build" ] && [ -f "/boot/vmlinuz-$1" ]
}

acl_vmm_kernel_all() {
	local d v
	for d in /lib/modules/*/build; do
		[ -d "$d" ] || continue
		v=${d#/lib/modules/}
		v=${v%/build}
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V
}

acl_vmm_kernel_version() {
	local v
	if [ -n "${ACL_VMM_KVER:-}" ]; then
		echo "$ACL_VMM_KVER"
		return 0
	fi
	v=$(uname -r)
	if acl_vmm_kernel_usable "$v"; then
		echo "$v"
		return 0
	fi
	v=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
	    sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
	if [ -n "$v" ] && acl_vmm_kernel_usable "$v"; then
		echo "$v"
		return 0
	fi
	v=$(acl_vmm_kernel_all | tail -n 1)
	[ -n "$v" ] || return 1
	echo "$v"
}

acl_vmm_kernel_versions() {
	local def
	def=$(acl_vmm_kernel_version) || return 1
	echo "$def"
	acl_vmm_kernel_all | grep -vxF "$def" || true
}

# acl_vmm_kernel_select [V...|all]: the kernels named, each checked usable;
# "all" for every usable one; none for the default one.
acl_vmm_kernel_select() {
	local v none="no kernel with headers and image: apt-get install linux-headers-amd64 linux-image-amd64"
	if [ $# -eq 0 ]; then
		acl_vmm_kernel_version || { echo "$none" >&2; return 1; }
		return
	fi
	if [ "$*" = all ]; then
		acl_vmm_kernel_versions || { echo "$none" >&2; return 1; }
		return
	fi
	for v in "$@"; do
		if ! acl_vmm_kernel_usable "$v"; then
			echo "kernel $v is not usable: it needs /lib/modules/$v/build and /boot/vmlinuz-$v (apt-get install linux-headers-$v linux-image-$v)" >&2
			return 1
		fi
		echo "$v"
	done
}

# acl_vmm_kdir_release KDIR: the release of the kernel a build directory is
# for, as a module built there carries it in its vermagic (Debian's 6.1
# headers have another one in include/config/kernel.release).
acl_vmm_kdir_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null | grep .
}
