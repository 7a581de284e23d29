/* SPDX-License-Identifier: MIT */
/*
 * abi - publishing a library's descriptor to the inline code of
 * <pcpu/abi.h> (both libraries; see abi.c).
 */
#ifndef PCPU_COMMON_ABI_H
#define PCPU_COMMON_ABI_H

#include <pcpu.h>
#include <stddef.h>

/* A library's private view of a public struct keeps field where the
 * inline code of <pcpu.h> reads api_field. */
#define ABI_FIELD_AT(type, field, api_type, api_field)                                   \
	_Static_assert(offsetof(type, field) == offsetof(api_type, api_field),           \
		       #type "." #field " is not where pcpu.h has " #api_field)

/* Copy *d into pcpu_abi_process, its mode last; once per process. */
void abi_publish(const struct pcpu_abi_process *d);

#endif
