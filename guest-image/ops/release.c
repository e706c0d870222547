/*
 * release.c - the end of a hold.
 *
 *   release-shared | -private        munmap the held mapping and forget it
 *                                    (and, with it, its PAT reservation):
 *                                    "ok", or the munmap errno
 *   release-split-shared | -private  the same after mprotect(PROT_NONE) of
 *                                    its last page, which splits the VMA in
 *                                    two (the VM_PAT bookkeeping then has two
 *                                    VMAs to untrack); or the mprotect errno
 *   (nothing held there: errno ENOENT, syscall "hold")
 * addr page aligned.
 */
#include "../agent.h"

#include <sys/mman.h>

#define RELEASE_SPLIT 2u

static void do_release(const struct probe *p)
{
	struct held *h = find_held(p, !(p->op->flags & OP_PRIVATE));
	if (!h) {
		emit_errno(p, ENOENT, "hold");
		return;
	}
	if ((p->op->flags & RELEASE_SPLIT) && h->len > page_size &&
	    mprotect((char *)h->map + h->len - page_size, page_size, PROT_NONE) != 0) {
		emit_errno(p, errno, "mprotect");
		return;
	}
	h->used = false;
	if (munmap(h->map, h->len) != 0) {
		emit_errno(p, errno, "munmap");
		return;
	}
	emit_ok(p);
}

const struct op release_ops[] = {
	{ "release-shared", do_release, ALIGN_PAGE, 0 },
	{ "release-private", do_release, ALIGN_PAGE, OP_PRIVATE },
	{ "release-split-shared", do_release, ALIGN_PAGE, RELEASE_SPLIT },
	{ "release-split-private", do_release, ALIGN_PAGE, RELEASE_SPLIT | OP_PRIVATE },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
