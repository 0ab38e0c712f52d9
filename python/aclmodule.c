// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Python module "acl" with pyACL's names and conventions, over
 * libacl-vmm: pointers, handles, streams and events are ints; a call
 * returns its ACL code (ret), or a tuple of its results followed by ret
 * ("dev_ptr, ret = acl.rt.malloc(size, policy)"); structs are dicts keyed
 * by their C member names ({"memAttr": 4, "location": {"id": 0,
 * "type": 1}, ...}). Arguments of the wrong Python type raise TypeError,
 * as pyACL does; bad values go to the library and come back as its code.
 *
 *   acl.init, acl.finalize, acl.get_recent_err_msg
 *   acl.rt: devices, memory, copies, streams, events, VMM, sharing
 *   acl.util: ptr_to_bytes, bytes_to_ptr
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "acl/acl.h"

/* An int argument as a pointer. */
#define PTR(v) ((void *)(uintptr_t)(v))

static PyObject *ret_only(aclError ret)
{
	return PyLong_FromLong(ret);
}

/* (value, ret) */
static PyObject *ret_with(PyObject *value, aclError ret)
{
	if (!value)
		return NULL;
	return Py_BuildValue("(Ni)", value, ret);
}

static PyObject *ret_ptr(void *p, aclError ret)
{
	return ret_with(PyLong_FromUnsignedLongLong(ret ? 0 : (uintptr_t)p), ret);
}

/* A dict's int member, or @dflt when absent; -1 with an exception. */
static int dict_u64(PyObject *d, const char *key, unsigned long long dflt,
		    unsigned long long *out)
{
	PyObject *v = PyDict_GetItemString(d, key);

	if (!v) {
		*out = dflt;
		return 0;
	}
	*out = PyLong_AsUnsignedLongLong(v);
	return *out == (unsigned long long)-1 && PyErr_Occurred() ? -1 : 0;
}

static int dict_location(PyObject *d, aclrtMemLocation *loc)
{
	unsigned long long id, type;

	if (!PyDict_Check(d)) {
		PyErr_SetString(PyExc_TypeError, "location must be a dict {\"id\": int, \"type\": int}");
		return -1;
	}
	if (dict_u64(d, "id", 0, &id) || dict_u64(d, "type", 0, &type))
		return -1;
	loc->id = (uint32_t)id;
	loc->type = (aclrtMemLocationType)type;
	return 0;
}

/* aclrtPhysicalMemProp from pyACL's dict. */
static int dict_prop(PyObject *d, aclrtPhysicalMemProp *prop)
{
	unsigned long long handle_type, alloc_type, attr, reserve;
	PyObject *loc;

	if (!PyDict_Check(d)) {
		PyErr_SetString(PyExc_TypeError, "prop must be a dict (aclrtPhysicalMemProp's members)");
		return -1;
	}
	memset(prop, 0, sizeof(*prop));
	if (dict_u64(d, "handleType", 0, &handle_type) ||
	    dict_u64(d, "allocationType", 0, &alloc_type) ||
	    dict_u64(d, "memAttr", 0, &attr) || dict_u64(d, "reserve", 0, &reserve))
		return -1;
	prop->handleType = (aclrtMemHandleType)handle_type;
	prop->allocationType = (aclrtMemAllocationType)alloc_type;
	prop->memAttr = (aclrtMemAttr)attr;
	prop->reserve = reserve;
	loc = PyDict_GetItemString(d, "location");
	return loc ? dict_location(loc, &prop->location) : 0;
}

/* acl */

static PyObject *py_init(PyObject *self, PyObject *args)
{
	const char *path = NULL;

	if (!PyArg_ParseTuple(args, "|z", &path))
		return NULL;
	return ret_only(aclInit(path && *path ? path : NULL));
}

static PyObject *py_finalize(PyObject *self, PyObject *args)
{
	return ret_only(aclFinalize());
}

static PyObject *py_get_recent_err_msg(PyObject *self, PyObject *args)
{
	const char *msg = aclGetRecentErrMsg();

	return PyUnicode_FromString(msg ? msg : "");
}

static PyMethodDef acl_methods[] = {
	{ "init", py_init, METH_VARARGS, "ret = acl.init(config_path=None)" },
	{ "finalize", py_finalize, METH_NOARGS, "ret = acl.finalize()" },
	{ "get_recent_err_msg", py_get_recent_err_msg, METH_NOARGS,
	  "msg = acl.get_recent_err_msg()" },
	{ NULL, NULL, 0, NULL },
};

/* acl.rt: devices */

static PyObject *rt_set_device(PyObject *self, PyObject *args)
{
	int device;

	if (!PyArg_ParseTuple(args, "i", &device))
		return NULL;
	return ret_only(aclrtSetDevice(device));
}

static PyObject *rt_reset_device(PyObject *self, PyObject *args)
{
	int device;

	if (!PyArg_ParseTuple(args, "i", &device))
		return NULL;
	return ret_only(aclrtResetDevice(device));
}

static PyObject *rt_get_device(PyObject *self, PyObject *args)
{
	int32_t device = -1;
	aclError ret = aclrtGetDevice(&device);

	return ret_with(PyLong_FromLong(device), ret);
}

static PyObject *rt_get_device_count(PyObject *self, PyObject *args)
{
	uint32_t count = 0;
	aclError ret = aclrtGetDeviceCount(&count);

	return ret_with(PyLong_FromUnsignedLong(count), ret);
}

static PyObject *rt_synchronize_device(PyObject *self, PyObject *args)
{
	return ret_only(aclrtSynchronizeDevice());
}

static PyObject *rt_get_run_mode(PyObject *self, PyObject *args)
{
	aclrtRunMode mode = ACL_DEVICE;
	aclError ret = aclrtGetRunMode(&mode);

	return ret_with(PyLong_FromLong(mode), ret);
}

/* acl.rt: memory */

static PyObject *rt_malloc(PyObject *self, PyObject *args)
{
	unsigned long long size;
	unsigned int policy;
	void *p = NULL;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KI", &size, &policy))
		return NULL;
	ret = aclrtMalloc(&p, size, (aclrtMemMallocPolicy)policy);
	return ret_ptr(p, ret);
}

static PyObject *rt_malloc_host(PyObject *self, PyObject *args)
{
	unsigned long long size;
	void *p = NULL;
	aclError ret;

	if (!PyArg_ParseTuple(args, "K", &size))
		return NULL;
	ret = aclrtMallocHost(&p, size);
	return ret_ptr(p, ret);
}

/* A call that takes one pointer (or handle) and returns its code. */
#define RT_PTR_CALL(name, fn)                                           \
	static PyObject *name(PyObject *self, PyObject *args)           \
	{                                                               \
		unsigned long long p;                                   \
		if (!PyArg_ParseTuple(args, "K", &p))                   \
			return NULL;                                    \
		return ret_only(fn(PTR(p)));                            \
	}

RT_PTR_CALL(rt_free, aclrtFree)
RT_PTR_CALL(rt_free_host, aclrtFreeHost)
RT_PTR_CALL(rt_release_mem_address, aclrtReleaseMemAddress)
RT_PTR_CALL(rt_unmap_mem, aclrtUnmapMem)
RT_PTR_CALL(rt_free_physical, aclrtFreePhysical)
RT_PTR_CALL(rt_destroy_stream, aclrtDestroyStream)
RT_PTR_CALL(rt_synchronize_stream, aclrtSynchronizeStream)
RT_PTR_CALL(rt_destroy_event, aclrtDestroyEvent)
RT_PTR_CALL(rt_synchronize_event, aclrtSynchronizeEvent)

/* A call that takes a pointer and a timeout in milliseconds, and waits. */
#define RT_TIMED_CALL(name, fn)                                         \
	static PyObject *name(PyObject *self, PyObject *args)           \
	{                                                               \
		unsigned long long p;                                   \
		int timeout;                                            \
		aclError ret;                                           \
		if (!PyArg_ParseTuple(args, "Ki", &p, &timeout))        \
			return NULL;                                    \
		Py_BEGIN_ALLOW_THREADS                                  \
		ret = fn(PTR(p), timeout);                              \
		Py_END_ALLOW_THREADS                                    \
		return ret_only(ret);                                   \
	}

RT_TIMED_CALL(rt_synchronize_stream_with_timeout, aclrtSynchronizeStreamWithTimeout)
RT_TIMED_CALL(rt_synchronize_event_with_timeout, aclrtSynchronizeEventWithTimeout)

static PyObject *rt_memcpy(PyObject *self, PyObject *args)
{
	unsigned long long dst, dst_max, src, count;
	int kind;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KKKKi", &dst, &dst_max, &src, &count, &kind))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = aclrtMemcpy(PTR(dst), dst_max, PTR(src), count, (aclrtMemcpyKind)kind);
	Py_END_ALLOW_THREADS
	return ret_only(ret);
}

static PyObject *rt_memcpy_async(PyObject *self, PyObject *args)
{
	unsigned long long dst, dst_max, src, count, stream;
	int kind;

	if (!PyArg_ParseTuple(args, "KKKKiK", &dst, &dst_max, &src, &count, &kind, &stream))
		return NULL;
	return ret_only(aclrtMemcpyAsync(PTR(dst), dst_max, PTR(src), count,
					 (aclrtMemcpyKind)kind, PTR(stream)));
}

static PyObject *rt_memset(PyObject *self, PyObject *args)
{
	unsigned long long p, max, count;
	int value;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KKiK", &p, &max, &value, &count))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = aclrtMemset(PTR(p), max, value, count);
	Py_END_ALLOW_THREADS
	return ret_only(ret);
}

static PyObject *rt_get_mem_info(PyObject *self, PyObject *args)
{
	size_t free_mem = 0, total = 0;
	unsigned int attr;
	aclError ret;

	if (!PyArg_ParseTuple(args, "I", &attr))
		return NULL;
	ret = aclrtGetMemInfo((aclrtMemAttr)attr, &free_mem, &total);
	return Py_BuildValue("(KKi)", (unsigned long long)free_mem,
			     (unsigned long long)total, ret);
}

/* acl.rt: virtual memory */

static PyObject *rt_reserve_mem_address(PyObject *self, PyObject *args)
{
	unsigned long long size, alignment, expect, flags;
	void *p = NULL;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KKKK", &size, &alignment, &expect, &flags))
		return NULL;
	ret = aclrtReserveMemAddress(&p, size, alignment, PTR(expect), flags);
	return ret_ptr(p, ret);
}

static PyObject *rt_malloc_physical(PyObject *self, PyObject *args)
{
	unsigned long long size, flags;
	aclrtPhysicalMemProp prop;
	aclrtDrvMemHandle h = NULL;
	PyObject *d;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KOK", &size, &d, &flags) || dict_prop(d, &prop))
		return NULL;
	ret = aclrtMallocPhysical(&h, size, &prop, flags);
	return ret_ptr(h, ret);
}

static PyObject *rt_map_mem(PyObject *self, PyObject *args)
{
	unsigned long long va, size, offset, handle, flags;

	if (!PyArg_ParseTuple(args, "KKKKK", &va, &size, &offset, &handle, &flags))
		return NULL;
	return ret_only(aclrtMapMem(PTR(va), size, offset, PTR(handle), flags));
}

static PyObject *rt_mem_get_allocation_granularity(PyObject *self, PyObject *args)
{
	aclrtPhysicalMemProp prop;
	size_t granularity = 0;
	int option;
	PyObject *d;
	aclError ret;

	if (!PyArg_ParseTuple(args, "Oi", &d, &option) || dict_prop(d, &prop))
		return NULL;
	ret = aclrtMemGetAllocationGranularity(&prop, (aclrtMemGranularityOptions)option,
					       &granularity);
	return ret_with(PyLong_FromUnsignedLongLong(granularity), ret);
}

static PyObject *rt_mem_set_access(PyObject *self, PyObject *args)
{
	unsigned long long va, size;
	aclrtMemAccessDesc *desc;
	PyObject *list, *item;
	Py_ssize_t n, i;
	unsigned long long flags;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KKO!", &va, &size, &PyList_Type, &list))
		return NULL;
	n = PyList_Size(list);
	desc = PyMem_Calloc(n ? (size_t)n : 1, sizeof(*desc));
	if (!desc)
		return PyErr_NoMemory();
	for (i = 0; i < n; i++) {
		item = PyList_GetItem(list, i);
		if (!PyDict_Check(item) || dict_u64(item, "flags", 0, &flags) ||
		    !PyDict_GetItemString(item, "location") ||
		    dict_location(PyDict_GetItemString(item, "location"), &desc[i].location)) {
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError,
						"each desc must be a dict {\"flags\": int, \"location\": {...}}");
			PyMem_Free(desc);
			return NULL;
		}
		desc[i].flags = (aclrtMemAccessFlags)flags;
	}
	ret = aclrtMemSetAccess(PTR(va), size, n ? desc : NULL, (size_t)n);
	PyMem_Free(desc);
	return ret_only(ret);
}

/* acl.rt: sharing */

static PyObject *rt_mem_export_to_shareable_handle(PyObject *self, PyObject *args)
{
	unsigned long long handle, flags;
	int type;
	uint64_t share = 0;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KiK", &handle, &type, &flags))
		return NULL;
	ret = aclrtMemExportToShareableHandle(PTR(handle), (aclrtMemHandleType)type, flags,
					      &share);
	return ret_with(PyLong_FromUnsignedLongLong(share), ret);
}

static PyObject *rt_mem_import_from_shareable_handle(PyObject *self, PyObject *args)
{
	unsigned long long share;
	aclrtDrvMemHandle h = NULL;
	int device;
	aclError ret;

	if (!PyArg_ParseTuple(args, "Ki", &share, &device))
		return NULL;
	ret = aclrtMemImportFromShareableHandle(share, device, &h);
	return ret_ptr(h, ret);
}

static PyObject *rt_mem_set_pid_to_shareable_handle(PyObject *self, PyObject *args)
{
	unsigned long long share;
	PyObject *list;
	int32_t *pids;
	Py_ssize_t n, i;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KO!", &share, &PyList_Type, &list))
		return NULL;
	n = PyList_Size(list);
	pids = PyMem_Calloc(n ? (size_t)n : 1, sizeof(*pids));
	if (!pids)
		return PyErr_NoMemory();
	for (i = 0; i < n; i++) {
		pids[i] = (int32_t)PyLong_AsLong(PyList_GetItem(list, i));
		if (PyErr_Occurred()) {
			PyMem_Free(pids);
			return NULL;
		}
	}
	ret = aclrtMemSetPidToShareableHandle(share, n ? pids : NULL, (size_t)n);
	PyMem_Free(pids);
	return ret_only(ret);
}

/* acl.rt: streams and events */

static PyObject *rt_create_stream(PyObject *self, PyObject *args)
{
	aclrtStream s = NULL;
	aclError ret = aclrtCreateStream(&s);

	return ret_ptr(s, ret);
}

static PyObject *rt_create_event(PyObject *self, PyObject *args)
{
	aclrtEvent e = NULL;
	aclError ret = aclrtCreateEvent(&e);

	return ret_ptr(e, ret);
}

static PyObject *rt_record_event(PyObject *self, PyObject *args)
{
	unsigned long long event, stream;

	if (!PyArg_ParseTuple(args, "KK", &event, &stream))
		return NULL;
	return ret_only(aclrtRecordEvent(PTR(event), PTR(stream)));
}

static PyObject *rt_stream_wait_event(PyObject *self, PyObject *args)
{
	unsigned long long stream, event;

	if (!PyArg_ParseTuple(args, "KK", &stream, &event))
		return NULL;
	return ret_only(aclrtStreamWaitEvent(PTR(stream), PTR(event)));
}

static PyObject *rt_event_elapsed_time(PyObject *self, PyObject *args)
{
	unsigned long long start, end;
	float ms = 0;
	aclError ret;

	if (!PyArg_ParseTuple(args, "KK", &start, &end))
		return NULL;
	ret = aclrtEventElapsedTime(&ms, PTR(start), PTR(end));
	return ret_with(PyFloat_FromDouble(ms), ret);
}

static PyObject *rt_stream_query(PyObject *self, PyObject *args)
{
	aclrtStreamStatus status = ACL_STREAM_STATUS_RESERVED;
	unsigned long long stream;
	aclError ret;

	if (!PyArg_ParseTuple(args, "K", &stream))
		return NULL;
	ret = aclrtStreamQuery(PTR(stream), &status);
	return ret_with(PyLong_FromLong(status), ret);
}

#define M(name, fn, flags, doc) { name, fn, flags, doc }
static PyMethodDef rt_methods[] = {
	M("set_device", rt_set_device, METH_VARARGS, "ret = acl.rt.set_device(device_id)"),
	M("reset_device", rt_reset_device, METH_VARARGS, "ret = acl.rt.reset_device(device_id)"),
	M("get_device", rt_get_device, METH_NOARGS, "device_id, ret = acl.rt.get_device()"),
	M("get_device_count", rt_get_device_count, METH_NOARGS,
	  "count, ret = acl.rt.get_device_count()"),
	M("synchronize_device", rt_synchronize_device, METH_NOARGS,
	  "ret = acl.rt.synchronize_device()"),
	M("get_run_mode", rt_get_run_mode, METH_NOARGS, "run_mode, ret = acl.rt.get_run_mode()"),
	M("malloc", rt_malloc, METH_VARARGS, "dev_ptr, ret = acl.rt.malloc(size, policy)"),
	M("free", rt_free, METH_VARARGS, "ret = acl.rt.free(dev_ptr)"),
	M("malloc_host", rt_malloc_host, METH_VARARGS, "host_ptr, ret = acl.rt.malloc_host(size)"),
	M("free_host", rt_free_host, METH_VARARGS, "ret = acl.rt.free_host(host_ptr)"),
	M("memcpy", rt_memcpy, METH_VARARGS,
	  "ret = acl.rt.memcpy(dst, dest_max, src, count, kind)"),
	M("memcpy_async", rt_memcpy_async, METH_VARARGS,
	  "ret = acl.rt.memcpy_async(dst, dest_max, src, count, kind, stream)"),
	M("memset", rt_memset, METH_VARARGS, "ret = acl.rt.memset(dev_ptr, max_count, value, count)"),
	M("get_mem_info", rt_get_mem_info, METH_VARARGS,
	  "free, total, ret = acl.rt.get_mem_info(attr)"),
	M("reserve_mem_address", rt_reserve_mem_address, METH_VARARGS,
	  "vir_ptr, ret = acl.rt.reserve_mem_address(size, alignment, expect_ptr, flags)"),
	M("release_mem_address", rt_release_mem_address, METH_VARARGS,
	  "ret = acl.rt.release_mem_address(vir_ptr)"),
	M("malloc_physical", rt_malloc_physical, METH_VARARGS,
	  "handle, ret = acl.rt.malloc_physical(size, prop, flags)"),
	M("free_physical", rt_free_physical, METH_VARARGS, "ret = acl.rt.free_physical(handle)"),
	M("map_mem", rt_map_mem, METH_VARARGS,
	  "ret = acl.rt.map_mem(vir_ptr, size, offset, handle, flags)"),
	M("unmap_mem", rt_unmap_mem, METH_VARARGS, "ret = acl.rt.unmap_mem(vir_ptr)"),
	M("mem_get_allocation_granularity", rt_mem_get_allocation_granularity, METH_VARARGS,
	  "granularity, ret = acl.rt.mem_get_allocation_granularity(prop, option)"),
	M("mem_set_access", rt_mem_set_access, METH_VARARGS,
	  "ret = acl.rt.mem_set_access(vir_ptr, size, desc_list)"),
	M("mem_export_to_shareable_handle", rt_mem_export_to_shareable_handle, METH_VARARGS,
	  "shareable_handle, ret = acl.rt.mem_export_to_shareable_handle(handle, handle_type, flags)"),
	M("mem_import_from_shareable_handle", rt_mem_import_from_shareable_handle, METH_VARARGS,
	  "handle, ret = acl.rt.mem_import_from_shareable_handle(shareable_handle, device_id)"),
	M("mem_set_pid_to_shareable_handle", rt_mem_set_pid_to_shareable_handle, METH_VARARGS,
	  "ret = acl.rt.mem_set_pid_to_shareable_handle(shareable_handle, pid_list)"),
	M("create_stream", rt_create_stream, METH_NOARGS, "stream, ret = acl.rt.create_stream()"),
	M("destroy_stream", rt_destroy_stream, METH_VARARGS, "ret = acl.rt.destroy_stream(stream)"),
	M("synchronize_stream", rt_synchronize_stream, METH_VARARGS,
	  "ret = acl.rt.synchronize_stream(stream)"),
	M("synchronize_stream_with_timeout", rt_synchronize_stream_with_timeout,
	  METH_VARARGS, "ret = acl.rt.synchronize_stream_with_timeout(stream, timeout)"),
	M("synchronize_event_with_timeout", rt_synchronize_event_with_timeout,
	  METH_VARARGS, "ret = acl.rt.synchronize_event_with_timeout(event, timeout)"),
	M("stream_query", rt_stream_query, METH_VARARGS,
	  "status, ret = acl.rt.stream_query(stream)"),
	M("create_event", rt_create_event, METH_NOARGS, "event, ret = acl.rt.create_event()"),
	M("destroy_event", rt_destroy_event, METH_VARARGS, "ret = acl.rt.destroy_event(event)"),
	M("record_event", rt_record_event, METH_VARARGS, "ret = acl.rt.record_event(event, stream)"),
	M("stream_wait_event", rt_stream_wait_event, METH_VARARGS,
	  "ret = acl.rt.stream_wait_event(stream, event)"),
	M("synchronize_event", rt_synchronize_event, METH_VARARGS,
	  "ret = acl.rt.synchronize_event(event)"),
	M("event_elapsed_time", rt_event_elapsed_time, METH_VARARGS,
	  "ms, ret = acl.rt.event_elapsed_time(start, end)"),
	{ NULL, NULL, 0, NULL },
};

/* acl.util */

static PyObject *util_ptr_to_bytes(PyObject *self, PyObject *args)
{
	unsigned long long p, size;

	if (!PyArg_ParseTuple(args, "KK", &p, &size))
		return NULL;
	if (!p && size) {
		PyErr_SetString(PyExc_ValueError, "ptr is 0");
		return NULL;
	}
	return PyBytes_FromStringAndSize(PTR(p), (Py_ssize_t)size);
}

static PyObject *util_bytes_to_ptr(PyObject *self, PyObject *args)
{
	Py_buffer view;
	PyObject *ptr;

	if (!PyArg_ParseTuple(args, "y*", &view))
		return NULL;
	ptr = PyLong_FromUnsignedLongLong((uintptr_t)view.buf);
	PyBuffer_Release(&view);
	return ptr;
}

static PyMethodDef util_methods[] = {
	M("ptr_to_bytes", util_ptr_to_bytes, METH_VARARGS,
	  "data = acl.util.ptr_to_bytes(ptr, size): a copy of size bytes at ptr"),
	M("bytes_to_ptr", util_bytes_to_ptr, METH_VARARGS,
	  "ptr = acl.util.bytes_to_ptr(data): the address of a bytes object's (or buffer's) data"),
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef acl_def = {
	PyModuleDef_HEAD_INIT, "acl",
	"pyACL's runtime, memory, stream and event calls over libacl-vmm", -1, acl_methods,
	NULL, NULL, NULL, NULL,
};

static struct PyModuleDef rt_def = {
	PyModuleDef_HEAD_INIT, "acl.rt", "acl.rt: the runtime calls", -1, rt_methods,
	NULL, NULL, NULL, NULL,
};

static struct PyModuleDef util_def = {
	PyModuleDef_HEAD_INIT, "acl.util", "acl.util: pointers and bytes", -1, util_methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_acl(void)
{
	PyObject *m = PyModule_Create(&acl_def), *rt, *util;

	if (!m)
		return NULL;
	rt = PyModule_Create(&rt_def);
	if (!rt || PyModule_AddObject(m, "rt", rt)) {
		Py_XDECREF(rt);
		goto err;
	}
	util = PyModule_Create(&util_def);
	if (!util || PyModule_AddObject(m, "util", util)) {
		Py_XDECREF(util);
		goto err;
	}
	return m;
err:
	Py_DECREF(m);
	return NULL;
}
