/*
 * cow.c - copy-on-write pages of a private /dev/mem mapping.
 *
 *   cow-procmem <addr> <len>
 *       mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE), store one word into each
 *       page (copy-on-write: the PTEs now point at private anonymous pages),
 *       then pread /proc/self/mem at the mapping (the ptrace path,
 *       generic_access_phys(), on the COW pages), munmap. Answers like a
 *       read (bytes, zero, fnv) or with the errno of open|mmap|pread.
 *   cow-write <addr> <len>
 *       the same mapping and stores, then munmap, with no read: answers
 *       "ok" (bytes = len) or the errno of open|mmap.
 * addr page aligned.
 */
#include "../agent.h"

#include <sys/mman.h>
#include <unistd.h>

/* The private mapping with a word stored into each page, or NULL once the answer is out. */
static char *cow_map(const struct probe *p)
{
	int fd = device_fd(FD_RD);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return NULL;
	}
	/* PROT_WRITE on a MAP_PRIVATE mapping needs no write access to the fd. */
	char *map = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (off_t)p->addr);
	if (map == MAP_FAILED) {
		emit_errno(p, errno, "mmap");
		return NULL;
	}
	for (size_t off = 0; off < p->len; off += page_size)
		*(volatile uint64_t *)(map + off) = 0x636f770a636f770aULL; /* "cow\ncow\n" */
	return map;
}

static void cow_write(const struct probe *p)
{
	char *map = cow_map(p);
	if (!map)
		return;
	munmap(map, p->len);
	emit_written(p, (ssize_t)p->len);
}

static void cow_procmem(const struct probe *p)
{
	char *map = cow_map(p);
	if (!map)
		return;
	int fd = self_mem_fd(false);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		munmap(map, p->len);
		return;
	}
	ssize_t n = pread(fd, buf, p->len, (off_t)(uintptr_t)map);
	int e = errno;
	munmap(map, p->len);
	if (n < 0)
		emit_errno(p, e, "pread");
	else
		emit_data(p, (size_t)n);
}

const struct op cow_ops[] = {
	{ "cow-procmem", cow_procmem, ALIGN_PAGE, 0 },
	{ "cow-write", cow_write, ALIGN_PAGE, 0 },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
