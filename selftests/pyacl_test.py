#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pyACL-style code against the acl module: vllm-ascend's CaMemAllocator
flow (reserve, malloc_physical, map, back the memory up to the host with
acl.rt.memcpy and restore it), aclrtMalloc memory, streams and events,
sharing, and the error conventions. Prints KTAP with a Totals line."""
import os
import sys
import traceback

import acl

ACL_MEMCPY_HOST_TO_DEVICE = 1
ACL_MEMCPY_DEVICE_TO_HOST = 2
ACL_MEM_MALLOC_HUGE_FIRST = 0
ACL_HBM_MEM = 1
ACL_HBM_MEM_HUGE = 4
ACL_MEM_LOCATION_TYPE_DEVICE = 1
ACL_ERROR_INVALID_PARAM = 100000
ACL_ERROR_RT_PARAM_INVALID = 107000
ACL_STREAM_STATUS_COMPLETE = 0
MIB = 1 << 20

tests = []


def test(fn):
    tests.append(fn)
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def ok(ret, what):
    check(ret == 0, "%s returned %d: %s" % (what, ret, acl.get_recent_err_msg()))


def prop(device=0, attr=ACL_HBM_MEM_HUGE):
    return {"handleType": 0, "allocationType": 0, "memAttr": attr,
            "location": {"id": device, "type": ACL_MEM_LOCATION_TYPE_DEVICE},
            "reserve": 0}


@test
def devices():
    count, ret = acl.rt.get_device_count()
    ok(ret, "get_device_count")
    check(count == 2, "2 devices, got %d" % count)
    ok(acl.rt.set_device(1), "set_device(1)")
    device, ret = acl.rt.get_device()
    ok(ret, "get_device")
    check(device == 1, "current device 1, got %d" % device)
    ok(acl.rt.reset_device(1), "reset_device(1)")
    ok(acl.rt.set_device(0), "set_device(0)")
    mode, ret = acl.rt.get_run_mode()
    check(ret == 0 and mode == 1, "run mode ACL_HOST")


@test
def camem_allocator_backup_and_restore():
    """vllm-ascend's sleep mode: device memory backed up to the host and
    restored after the physical memory was released and mapped anew."""
    size = 4 * MIB
    granularity, ret = acl.rt.mem_get_allocation_granularity(prop(), 0)
    ok(ret, "mem_get_allocation_granularity")
    check(granularity == 2 * MIB, "granularity 2 MiB, got %d" % granularity)
    va, ret = acl.rt.reserve_mem_address(size, 0, 0, 0)
    ok(ret, "reserve_mem_address")
    handle, ret = acl.rt.malloc_physical(size, prop(), 0)
    ok(ret, "malloc_physical")
    ok(acl.rt.map_mem(va, size, 0, handle, 0), "map_mem")
    data = bytes(range(256)) * (size // 256)
    ok(acl.rt.memcpy(va, size, acl.util.bytes_to_ptr(data), size,
                     ACL_MEMCPY_HOST_TO_DEVICE), "memcpy to the device")
    backup = bytearray(size)
    ok(acl.rt.memcpy(acl.util.bytes_to_ptr(backup), size, va, size,
                     ACL_MEMCPY_DEVICE_TO_HOST), "memcpy back up")
    check(bytes(backup) == data, "the backup holds the data")
    ok(acl.rt.unmap_mem(va), "unmap_mem")
    ok(acl.rt.free_physical(handle), "free_physical")
    handle, ret = acl.rt.malloc_physical(size, prop(), 0)
    ok(ret, "malloc_physical again")
    ok(acl.rt.map_mem(va, size, 0, handle, 0), "map_mem again")
    check(acl.util.ptr_to_bytes(va, 16) == bytes(16), "new memory is zeroed")
    ok(acl.rt.memcpy(va, size, acl.util.bytes_to_ptr(backup), size,
                     ACL_MEMCPY_HOST_TO_DEVICE), "memcpy restore")
    check(acl.util.ptr_to_bytes(va + size - 256, 256) == data[-256:], "restored")
    ok(acl.rt.unmap_mem(va), "unmap_mem")
    ok(acl.rt.free_physical(handle), "free_physical")
    ok(acl.rt.release_mem_address(va), "release_mem_address")


@test
def malloc_memset_and_mem_info():
    free0, total, ret = acl.rt.get_mem_info(ACL_HBM_MEM)
    ok(ret, "get_mem_info")
    check(0 < free0 <= total, "free %d of %d" % (free0, total))
    ptr, ret = acl.rt.malloc(2 * MIB, ACL_MEM_MALLOC_HUGE_FIRST)
    ok(ret, "malloc")
    free1, _, _ = acl.rt.get_mem_info(ACL_HBM_MEM)
    check(free1 == free0 - 2 * MIB, "malloc takes 2 MiB of the device")
    ok(acl.rt.memset(ptr, 2 * MIB, 0x5a, 2 * MIB), "memset")
    out = bytearray(64)
    ok(acl.rt.memcpy(acl.util.bytes_to_ptr(out), 64, ptr + 100, 64,
                     ACL_MEMCPY_DEVICE_TO_HOST), "memcpy")
    check(out == b"\x5a" * 64, "memset wrote 0x5a")
    ok(acl.rt.free(ptr), "free")
    host, ret = acl.rt.malloc_host(MIB)
    ok(ret, "malloc_host")
    ok(acl.rt.free_host(host), "free_host")


@test
def streams_and_events():
    stream, ret = acl.rt.create_stream()
    ok(ret, "create_stream")
    start, ret = acl.rt.create_event()
    ok(ret, "create_event")
    end, _ = acl.rt.create_event()
    ptr, ret = acl.rt.malloc(2 * MIB, ACL_MEM_MALLOC_HUGE_FIRST)
    ok(ret, "malloc")
    src = b"\x11" * (2 * MIB)
    ok(acl.rt.record_event(start, stream), "record_event")
    ok(acl.rt.memcpy_async(ptr, 2 * MIB, acl.util.bytes_to_ptr(src), 2 * MIB,
                           ACL_MEMCPY_HOST_TO_DEVICE, stream), "memcpy_async")
    ok(acl.rt.record_event(end, stream), "record_event")
    ok(acl.rt.synchronize_stream_with_timeout(stream, 60000),
       "synchronize_stream_with_timeout")
    check(acl.rt.synchronize_stream_with_timeout(stream, -2) == 100000,
          "timeout -2 refused with 100000")
    status, ret = acl.rt.stream_query(stream)
    check(ret == 0 and status == ACL_STREAM_STATUS_COMPLETE, "stream idle")
    ok(acl.rt.synchronize_event(end), "synchronize_event")
    ok(acl.rt.synchronize_event_with_timeout(end, 0), "synchronize_event_with_timeout")
    ms, ret = acl.rt.event_elapsed_time(start, end)
    ok(ret, "event_elapsed_time")
    check(ms >= 0.0, "elapsed %f ms" % ms)
    check(acl.util.ptr_to_bytes(ptr + 2 * MIB - 8, 8) == b"\x11" * 8, "copied")
    ok(acl.rt.destroy_event(start), "destroy_event")
    ok(acl.rt.destroy_event(end), "destroy_event")
    ok(acl.rt.destroy_stream(stream), "destroy_stream")
    ok(acl.rt.free(ptr), "free")


@test
def sharing_and_access():
    va, ret = acl.rt.reserve_mem_address(2 * MIB, 0, 0, 0)
    ok(ret, "reserve_mem_address")
    handle, ret = acl.rt.malloc_physical(2 * MIB, prop(), 0)
    ok(ret, "malloc_physical")
    ok(acl.rt.map_mem(va, 2 * MIB, 0, handle, 0), "map_mem")
    desc = [{"flags": 3, "location": {"id": 0, "type": ACL_MEM_LOCATION_TYPE_DEVICE}}]
    ok(acl.rt.mem_set_access(va, 2 * MIB, desc), "mem_set_access (owner)")
    share, ret = acl.rt.mem_export_to_shareable_handle(handle, 0, 0)
    ok(ret, "mem_export_to_shareable_handle")
    check(share != 0, "a share value")
    ok(acl.rt.mem_set_pid_to_shareable_handle(share, [os.getpid()]),
       "mem_set_pid_to_shareable_handle")
    ok(acl.rt.unmap_mem(va), "unmap_mem")
    ok(acl.rt.free_physical(handle), "free_physical")
    ok(acl.rt.release_mem_address(va), "release_mem_address")


@test
def errors_as_pyacl_reports_them():
    ptr, ret = acl.rt.malloc(0, ACL_MEM_MALLOC_HUGE_FIRST)
    check(ret == ACL_ERROR_INVALID_PARAM and ptr == 0, "malloc(0): 100000, got %d" % ret)
    check("size is 0" in acl.get_recent_err_msg(), "the message names size")
    ret = acl.rt.free(12345)
    check(ret == ACL_ERROR_RT_PARAM_INVALID, "free of a wild pointer: 107000, got %d" % ret)
    handle, ret = acl.rt.malloc_physical(3 * MIB, prop(), 0)
    check(ret == ACL_ERROR_RT_PARAM_INVALID and handle == 0, "3 MiB: 107000, got %d" % ret)
    try:
        acl.rt.malloc_physical(2 * MIB, "not a dict", 0)
    except TypeError:
        pass
    else:
        raise AssertionError("a prop that is not a dict raises TypeError")
    try:
        acl.rt.set_device("0")
    except TypeError:
        pass
    else:
        raise AssertionError("a device id that is not an int raises TypeError")


def main():
    print("TAP version 13")
    print("1..%d" % len(tests))
    ok_(acl.init(), "init")
    ok_(acl.rt.set_device(0), "set_device(0)")
    passed = failed = 0
    for i, fn in enumerate(tests, 1):
        try:
            fn()
        except Exception:  # noqa: BLE001 (any failure is the test's)
            failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print("not ok %d pyacl.%s" % (i, fn.__name__))
        else:
            passed += 1
            print("ok %d pyacl.%s" % (i, fn.__name__))
    ok_(acl.rt.reset_device(0), "reset_device(0)")
    ok_(acl.finalize(), "finalize")
    print("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0" % (passed, failed))
    return 1 if failed else 0


def ok_(ret, what):
    if ret:
        print("Bail out! %s returned %d: %s" % (what, ret, acl.get_recent_err_msg()))
        sys.exit(1)


if __name__ == "__main__":
    sys.exit(main())
