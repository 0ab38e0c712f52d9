// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the module's VA bookkeeping (kmod/vaspace.c), driven
 * by the fuzzer's bytes and checked against the array model after every
 * operation. Built with clang (-fsanitize=fuzzer,address,undefined).
 */
#include <stddef.h>
#include <stdint.h>

#include "vaspace_model.h"

static const uint8_t *in;
static size_t in_len, in_pos;

static unsigned int next_byte(void)
{
	unsigned int v = 0;

	for (int i = 0; i < 2; i++)
		v = v << 8 | (in_pos < in_len ? in[in_pos++] : 0);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct acl_vmm_vaspace vs;

	in = data;
	in_len = size;
	in_pos = 0;
	acl_vmm_vaspace_init(&vs);
	while (in_pos < in_len)
		model_step(&vs, &m, next_byte);
	model_clear(&vs, &m);
	if (tests_failed)
		abort();
	return 0;
}
