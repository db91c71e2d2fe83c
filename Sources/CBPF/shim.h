// libbpf (Debian: libbpf-dev) for the drop tracer, and the event struct its BPF program writes.
#include <stdarg.h>
#include <stdio.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "drop_event.h"

// libbpf prints its warnings to stderr by default; tunscope says once, in its own words, why
// verdicts are off, so it keeps only libbpf's last warning to quote.
// (A buffer inside a function: Swift emits the functions of a header, not its variables.)
static inline char *cbpf_warning_buffer(void) {
    static char buffer[256];
    return buffer;
}

static inline int cbpf_keep_warning(enum libbpf_print_level level, const char *format, va_list args) {
    if (level != LIBBPF_DEBUG) vsnprintf(cbpf_warning_buffer(), 256, format, args);
    return 0;
}

static inline void cbpf_keep_warnings_quiet(void) { libbpf_set_print(cbpf_keep_warning); }
static inline const char *cbpf_last_libbpf_warning(void) { return cbpf_warning_buffer(); }
