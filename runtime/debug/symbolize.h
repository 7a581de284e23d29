/* SPDX-License-Identifier: MIT */
/*
 * symbolize - names for code addresses, for the leak report.
 *
 * dladdr() sees exported symbols only, and a per-CPU object is usually
 * allocated from a static function of the program.  So the symbol is found
 * in the object's own ELF symbol table (.symtab, else .dynsym), read from
 * its file mapped read-only, and C++ names are demangled when the process
 * has libstdc++.  The mappings are kept until the process ends.  Not
 * thread-safe: the one caller holds the leak lock.
 */
#ifndef PCPU_SYMBOLIZE_H
#define PCPU_SYMBOLIZE_H

#include <stddef.h>

/*
 * Describe the return address pc as "in function+0xoff (module+0xoff)" in
 * buf, the module offset being what addr2line -e module takes.
 */
void symbolize(const void *pc, char *buf, size_t size);

#endif
