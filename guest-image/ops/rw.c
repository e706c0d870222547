/*
 * rw.c - read and write through the device fd.
 *
 *   read <addr> <len>   one pread() on an O_RDONLY fd (a short read reports
 *                       what it got). Answers bytes, zero, fnv, or the errno
 *                       of open|pread.
 *   write <addr> <len>  one pwrite() on a separate O_RDWR fd of 8-byte
 *                       little-endian words, the word at physical address a
 *                       holding a ^ 0x5a5a5a5a5a5a5a5a; addr and len multiples
 *                       of 8; needs -w. Answers bytes, or the errno of
 *                       open|pwrite.
 */
#include "../agent.h"

#include <unistd.h>

static void do_read(const struct probe *p)
{
	int fd = device_fd(FD_RD);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	ssize_t r = pread(fd, buf, p->len, (off_t)p->addr);
	if (r < 0)
		emit_errno(p, errno, "pread");
	else
		emit_data(p, (size_t)r);
}

static void do_write(const struct probe *p)
{
	if (refuse_write(p))
		return;
	int fd = device_fd(FD_RW);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	fill_pattern(p->addr, p->len);
	ssize_t r = pwrite(fd, buf, p->len, (off_t)p->addr);
	if (r < 0) {
		emit_errno(p, errno, "pwrite");
		return;
	}
	emit_written(p, r);
}

const struct op rw_ops[] = {
	{ "read", do_read, ALIGN_BYTE, 0 },
	{ "write", do_write, ALIGN_WORD, 0 },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
