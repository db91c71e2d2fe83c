#ifndef TUNSCOPE_CTUN_STREAM_H
#define TUNSCOPE_CTUN_STREAM_H
#include <stdio.h>
#include <sys/types.h>

/* fopencookie(3) is a GNU extension that Swift's Glibc module does not declare: a stdio stream
   for reading whose bytes come from `read` (see CaptureStream); fclose calls `close`. */
FILE *tunscope_fopen_reader(void *cookie, ssize_t (*read)(void *cookie, char *buffer, size_t count),
                            int (*close)(void *cookie));
#endif
