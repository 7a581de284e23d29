/* SPDX-License-Identifier: MIT */
/*
 * abi - publishing a library's descriptor to the inline code of
 * <pcpu/abi.h> (both libraries; see abi.c).
 */
#ifndef PCPU_COMMON_ABI_H
#define PCPU_COMMON_ABI_H

#include <pcpu.h>

/* Copy *d into pcpu_abi_process, its mode last; once per process. */
void abi_publish(const struct pcpu_abi_process *d);

#endif
