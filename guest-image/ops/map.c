/*
 * map.c - a fresh mapping of the device, made and unmapped in one request.
 *
 *   mmap-shared | mmap-private <addr> <len>
 *       mmap(PROT_READ, MAP_SHARED|MAP_PRIVATE), then munmap. Answers "ok"
 *       and nothing more, or the errno of open|mmap.
 *   mmap-sync-shared | mmap-sync-private
 *       the same on an O_SYNC fd: the kernel asks PAT for UC- instead of WB.
 *   touch-shared | touch-private
 *       the same mapping read word by word with volatile loads,
 *       SIGBUS/SIGSEGV caught with sigsetjmp/siglongjmp. Answers like a read
 *       (bytes = len), a signal, or the errno of open|mmap.
 * addr page aligned.
 */
#include "../agent.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MAPOP_TOUCH 2u
#define MAPOP_SYNC 4u

static void do_map(const struct probe *p)
{
	unsigned f = p->op->flags;
	bool touch = f & MAPOP_TOUCH;
	int fd = device_fd(f & MAPOP_SYNC ? FD_SYNC : FD_RD);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	void *map = mmap(NULL, p->len, PROT_READ, f & OP_PRIVATE ? MAP_PRIVATE : MAP_SHARED,
			 fd, (off_t)p->addr);
	if (map == MAP_FAILED) {
		emit_errno(p, errno, "mmap");
		return;
	}
	struct touch t = { 0, 0 };
	int sig = touch ? touch_mapping(map, p->len, &t) : 0;
	if (munmap(map, p->len) != 0)
		fprintf(stderr, "agent: munmap: %s\n", strerror(errno));
	if (!touch)
		emit_ok(p);
	else if (sig)
		emit_signal(p, sig, t.code, t.bytes);
	else
		emit_data(p, p->len);
}

const struct op map_ops[] = {
	{ "mmap-shared", do_map, ALIGN_PAGE, 0 },
	{ "mmap-private", do_map, ALIGN_PAGE, OP_PRIVATE },
	{ "touch-shared", do_map, ALIGN_PAGE, MAPOP_TOUCH },
	{ "touch-private", do_map, ALIGN_PAGE, MAPOP_TOUCH | OP_PRIVATE },
	{ "mmap-sync-shared", do_map, ALIGN_PAGE, MAPOP_SYNC },
	{ "mmap-sync-private", do_map, ALIGN_PAGE, MAPOP_SYNC | OP_PRIVATE },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
