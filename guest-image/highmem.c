/*
 * highmem.c - "<id> highmem <lo> <hi>": the lowest A in [lo, hi] where a
 * 1-byte pread fails with EFAULT, else hi + 1 (x86 valid_phys_addr_range():
 * the end of the direct map). read_mem() checks valid_phys_addr_range(p,
 * count) before anything else and then copies nothing for count 0, so a
 * 0-byte pread at A+1 answers the question for A without reading the page
 * at A: the search never touches memory (a read of an unplugged virtio-mem
 * block would populate it).
 */
#include "agent.h"

#include <stdio.h>
#include <unistd.h>

void do_highmem(uint64_t id, uint64_t lo, uint64_t hi)
{
	int fd = device_fd(FD_RD);
	if (fd < 0) {
		const char *name = errno_name(errno);
		char msg[64];
		if (name)
			snprintf(msg, sizeof(msg), "open failed: %s", name);
		else
			snprintf(msg, sizeof(msg), "open failed: E%d", errno);
		emit_error(true, id, msg);
		return;
	}
	uint64_t a = lo, b = hi + 1; /* answer in [a, b]; b never overflows */
	while (a < b) {
		uint64_t mid = a + (b - a) / 2;
		unsigned char byte;
		if (pread(fd, &byte, 0, (off_t)(mid + 1)) < 0 && errno == EFAULT)
			b = mid;
		else
			a = mid + 1;
	}
	struct line l = { .n = 0 };
	put_id(&l, true, id);
	put(&l, ",\"op\":\"highmem\",\"end\":\"0x%" PRIx64 "\"", a);
	emit(&l);
}
