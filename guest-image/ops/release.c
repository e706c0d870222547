/*
 * release.c - the end of a hold, by one of several paths through the VM_PAT
 * bookkeeping. Every path ends with no page of the held mapping mapped
 * anywhere, so its PAT reservation must be gone (S6).
 *
 *   release-shared | -private        munmap the held mapping
 *   release-split-shared | -private  mprotect(PROT_NONE) of its last page
 *                                    first: two VMAs to untrack
 *   release-move-shared | -private   mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of
 *                                    the whole mapping to a free address,
 *                                    then munmap there (move_vma())
 *   release-move-head-* | -move-tail-*
 *                                    mremap of only its first | last page
 *                                    to a free address (the old VMA keeps
 *                                    the rest), then munmap both
 *   release-grow-shared | -private   mremap(MREMAP_MAYMOVE) to one page more
 *                                    (a VM_PFNMAP VMA cannot grow: the
 *                                    errno is the answer), then munmap
 *   release-fork-shared | -private   fork(); the child inherits the mapping
 *                                    (copy_page_range() → track_pfn_copy())
 *                                    and keeps it while the parent munmaps
 *                                    its own, then exits; the parent reaps it
 *
 * Answers "ok", or the errno of the step that failed (mprotect, mmap,
 * mremap, munmap, fork); nothing held there: ENOENT, syscall "hold". The
 * hold is forgotten once its unmapping started. addr page aligned.
 */
#include "../agent.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELEASE_SPLIT 2u
#define RELEASE_MOVE 4u
#define RELEASE_MOVE_HEAD 8u
#define RELEASE_MOVE_TAIL 16u
#define RELEASE_FORK 32u
#define RELEASE_GROW 64u

/* mremap()s len bytes at src to a fresh free address: the new address, or MAP_FAILED with errno and the syscall. */
static void *move_away(void *src, size_t len, const char **syscall)
{
	void *dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED) {
		*syscall = "mmap";
		return MAP_FAILED;
	}
	void *moved = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (moved == MAP_FAILED) {
		int e = errno;
		munmap(dst, len);
		errno = e;
		*syscall = "mremap";
	}
	return moved;
}

/* fork(): the child holds the mapping until the parent has unmapped its own, then exits; 0, or -1 with errno and the syscall. */
static int unmap_after_fork(struct held *h, const char **syscall)
{
	int gate[2];
	if (pipe(gate) != 0) {
		*syscall = "pipe";
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(gate[0]);
		close(gate[1]);
		errno = e;
		*syscall = "fork";
		return -1;
	}
	if (pid == 0) {
		char c;
		close(gate[1]);
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(gate[0]);
	int rc = munmap(h->map, h->len);
	int e = errno;
	close(gate[1]); /* the child's read returns: it exits, and its copy is unmapped */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errno = e;
	if (rc != 0)
		*syscall = "munmap";
	return rc;
}

static void do_release(const struct probe *p)
{
	unsigned how = p->op->flags;
	struct held *h = find_held(p, !(how & OP_PRIVATE));
	if (!h) {
		emit_errno(p, ENOENT, "hold");
		return;
	}
	if ((how & RELEASE_SPLIT) && h->len > page_size &&
	    mprotect((char *)h->map + h->len - page_size, page_size, PROT_NONE) != 0) {
		emit_errno(p, errno, "mprotect");
		return;
	}
	h->used = false;
	const char *syscall = "munmap";
	if (how & RELEASE_FORK) {
		if (unmap_after_fork(h, &syscall) != 0)
			emit_errno(p, errno, syscall);
		else
			emit_ok(p);
		return;
	}
	if (how & RELEASE_GROW) {
		void *grown = mremap(h->map, h->len, h->len + page_size, MREMAP_MAYMOVE);
		if (grown == MAP_FAILED) {
			int e = errno;
			munmap(h->map, h->len);
			emit_errno(p, e, "mremap");
			return;
		}
		if (munmap(grown, h->len + page_size) != 0) {
			emit_errno(p, errno, "munmap");
			return;
		}
		emit_ok(p);
		return;
	}
	if (how & (RELEASE_MOVE | RELEASE_MOVE_HEAD | RELEASE_MOVE_TAIL)) {
		size_t part = (how & RELEASE_MOVE) ? h->len : page_size;
		char *src = (char *)h->map + ((how & RELEASE_MOVE_TAIL) ? h->len - part : 0);
		void *moved = move_away(src, part, &syscall);
		if (moved == MAP_FAILED) {
			int e = errno;
			munmap(h->map, h->len);
			emit_errno(p, e, syscall);
			return;
		}
		if (munmap(moved, part) != 0) {
			int e = errno;
			munmap(h->map, h->len);
			emit_errno(p, e, "munmap");
			return;
		}
	}
	/* What is left at the old address (all of it, or the part not moved). */
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
	{ "release-move-shared", do_release, ALIGN_PAGE, RELEASE_MOVE },
	{ "release-move-private", do_release, ALIGN_PAGE, RELEASE_MOVE | OP_PRIVATE },
	{ "release-move-head-shared", do_release, ALIGN_PAGE, RELEASE_MOVE_HEAD },
	{ "release-move-head-private", do_release, ALIGN_PAGE, RELEASE_MOVE_HEAD | OP_PRIVATE },
	{ "release-move-tail-shared", do_release, ALIGN_PAGE, RELEASE_MOVE_TAIL },
	{ "release-move-tail-private", do_release, ALIGN_PAGE, RELEASE_MOVE_TAIL | OP_PRIVATE },
	{ "release-grow-shared", do_release, ALIGN_PAGE, RELEASE_GROW },
	{ "release-grow-private", do_release, ALIGN_PAGE, RELEASE_GROW | OP_PRIVATE },
	{ "release-fork-shared", do_release, ALIGN_PAGE, RELEASE_FORK },
	{ "release-fork-private", do_release, ALIGN_PAGE, RELEASE_FORK | OP_PRIVATE },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
