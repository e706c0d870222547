/*
 * lseek.c - "<id> lseek <whence> <offset>": memory_lseek()
 * (drivers/char/mem.c) and the VFS's whence check, asked directly. A fresh
 * fd each time: the position of the shared fds is never touched (every
 * other request uses pread/pwrite/mmap, which ignore it).
 */
#include "agent.h"

#include <fcntl.h>
#include <unistd.h>

#define LSEEK_BASE 0x1000

void do_lseek(uint64_t id, unsigned whence, uint64_t offset)
{
	struct line l = { .n = 0 };
	put_id(&l, true, id);
	put(&l, ",\"op\":\"lseek\",\"whence\":%u,\"offset\":\"0x%" PRIx64 "\"", whence, offset);
	const char *syscall = "open";
	int e = 0;
	off_t pos = -1;
	int fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
	} else {
		syscall = "lseek";
		errno = 0;
		if (lseek(fd, LSEEK_BASE, SEEK_SET) != LSEEK_BASE)
			e = errno ? errno : EIO;
		else if ((pos = lseek(fd, (off_t)offset, (int)whence)) == (off_t)-1 && errno)
			e = errno;
		close(fd);
	}
	if (e) {
		put(&l, ",\"result\":\"errno\"");
		put_errno(&l, e);
		put(&l, ",\"syscall\":\"%s\"", syscall);
	} else {
		put(&l, ",\"result\":\"ok\",\"pos\":\"0x%" PRIx64 "\"", (uint64_t)pos);
	}
	emit(&l);
}
