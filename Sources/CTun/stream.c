#define _GNU_SOURCE
#include "ctun_stream.h"

#include <stdio.h>

FILE *tunscope_fopen_reader(void *cookie, ssize_t (*read)(void *, char *, size_t), int (*close)(void *)) {
    cookie_io_functions_t io = { .read = read, .write = NULL, .seek = NULL, .close = close };
    return fopencookie(cookie, "r", io);
}
