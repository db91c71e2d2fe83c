#ifndef TUNSCOPE_CPCRE2_SHIM_H
#define TUNSCOPE_CPCRE2_SHIM_H
// The 8-bit library: patterns and subjects are UTF-8 bytes.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/// PCRE2_ZERO_TERMINATED is a cast macro (~(PCRE2_SIZE)0) that Swift does not import.
static inline PCRE2_SIZE tunscope_pcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }
#endif
