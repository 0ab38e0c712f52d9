# SPDX-License-Identifier: GPL-2.0
# Sourced by the project's scripts: acl_vmm_kernel_version prints the
# version of the Debian kernel to build and boot against. It is never taken
# from `uname -r` (the build host may run a kernel without headers): it is
# $ACL_VMM_KVER when set, else the newest /lib/modules/*/build that has a
# matching /boot/vmlinuz-*.
acl_vmm_kernel_version() {
	if [ -n "${ACL_VMM_KVER:-}" ]; then
		echo "$ACL_VMM_KVER"
		return 0
	fi
	local best="" d v
	for d in /lib/modules/*/build; do
		[ -d "$d" ] || continue
		v=${d#/lib/modules/}
		v=${v%/build}
		[ -f "/boot/vmlinuz-$v" ] || continue
		best="$v"
	done
	[ -n "$best" ] || return 1
	echo "$best"
}
