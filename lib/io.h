/* File-descriptor I/O that finishes what it starts: a write that the kernel cut short or a
 * signal interrupted goes on where it stopped. */
#ifndef WEFT_IO_H
#define WEFT_IO_H

#include <stddef.h>

/* Write all len bytes of buf to fd. 0, or -errno of the write that failed. */
int io_write_all(int fd, const void *buf, size_t len);

#endif
