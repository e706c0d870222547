/*
 * hold.c - a mapping the agent keeps until it exits, so a long-lived agent
 * can use it after later steps (a driver claiming the range revokes it:
 * the next touch faults, see revoke_iomem()).
 *
 *   hold-shared | hold-private <addr> <len>
 *       mmap(PROT_READ, MAP_SHARED|MAP_PRIVATE) and keep it, keyed by kind,
 *       addr and len (a hold of the same key replaces the old one). Answers
 *       like mmap-*: "ok", or the errno of open|mmap (ENOSPC from mmap when
 *       64 mappings are held already).
 * addr page aligned.
 */
#include "../agent.h"

#include <sys/mman.h>

static void do_hold(const struct probe *p)
{
	bool shared = !(p->op->flags & OP_PRIVATE);
	struct held *h = find_held(p, shared);
	if (h) {
		munmap(h->map, h->len);
		h->used = false;
	}
	h = free_held();
	if (!h) {
		emit_errno(p, ENOSPC, "mmap");
		return;
	}
	int fd = device_fd(FD_RD);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	void *map = mmap(NULL, p->len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE, fd, (off_t)p->addr);
	if (map == MAP_FAILED) {
		emit_errno(p, errno, "mmap");
		return;
	}
	*h = (struct held){ .used = true, .shared = shared, .addr = p->addr, .len = p->len, .map = map };
	emit_ok(p);
}

const struct op hold_ops[] = {
	{ "hold-shared", do_hold, ALIGN_PAGE, 0 },
	{ "hold-private", do_hold, ALIGN_PAGE, OP_PRIVATE },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
