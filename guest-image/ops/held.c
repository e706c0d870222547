/*
 * held.c - uses of the mapping a hold-* made (found by kind, addr and len;
 * nothing held there: errno ENOENT, syscall "hold").
 *
 *   held-touch-shared | -private          touch the held mapping (answers
 *                                         like touch-*)
 *   held-procmem-shared | -private        pread /proc/self/mem at it: the
 *                                         ptrace path, generic_access_phys()
 *                                         (data, or the errno of open|pread)
 *   held-vmreadv-shared | -private        process_vm_readv of it (data, or
 *                                         the errno of process_vm_readv)
 *   held-procmem-write-shared | -private  pwrite of the write pattern to
 *                                         /proc/self/mem at it (the mapping
 *                                         is read-only; needs -w like write):
 *                                         bytes, or the errno of open|pwrite
 * addr page aligned.
 */
#include "../agent.h"

#include <sys/uio.h>
#include <unistd.h>

#define HELD_WRITE 2u

/* The held mapping the probe names, or NULL once the answer is out. */
static struct held *held_of(const struct probe *p)
{
	if ((p->op->flags & HELD_WRITE) && refuse_write(p))
		return NULL;
	struct held *h = find_held(p, !(p->op->flags & OP_PRIVATE));
	if (!h)
		emit_errno(p, ENOENT, "hold"); /* nothing held at this address */
	return h;
}

static void held_touch(const struct probe *p)
{
	struct held *h = held_of(p);
	if (!h)
		return;
	struct touch t;
	int sig = touch_mapping(h->map, p->len, &t);
	if (sig)
		emit_signal(p, sig, t.code, t.bytes);
	else
		emit_data(p, p->len);
}

/*
 * /proc/self/mem goes through access_remote_vm(): GUP refuses
 * VM_IO|VM_PFNMAP, so the kernel uses the vma's ->access, i.e.
 * generic_access_phys() — the ptrace path.
 */
static void held_procmem(const struct probe *p)
{
	struct held *h = held_of(p);
	if (!h)
		return;
	int fd = self_mem_fd(false);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	ssize_t n = pread(fd, buf, p->len, (off_t)(uintptr_t)h->map);
	if (n < 0)
		emit_errno(p, errno, "pread");
	else
		emit_data(p, (size_t)n);
}

/*
 * The mapping is PROT_READ, so its PTEs are read-only:
 * generic_access_phys() refuses FOLL_WRITE (-EINVAL), which /proc/PID/mem
 * reports as EIO. A kernel that wrote anyway would store the pattern at
 * the physical address.
 */
static void held_procmem_write(const struct probe *p)
{
	struct held *h = held_of(p);
	if (!h)
		return;
	int fd = self_mem_fd(true);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	fill_pattern(p->addr, p->len);
	ssize_t n = pwrite(fd, buf, p->len, (off_t)(uintptr_t)h->map);
	if (n < 0)
		emit_errno(p, errno, "pwrite");
	else
		emit_written(p, n);
}

static void held_vmreadv(const struct probe *p)
{
	struct held *h = held_of(p);
	if (!h)
		return;
	struct iovec local = { .iov_base = buf, .iov_len = p->len };
	struct iovec remote = { .iov_base = h->map, .iov_len = p->len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0)
		emit_errno(p, errno, "process_vm_readv");
	else
		emit_data(p, (size_t)n);
}

const struct op held_ops[] = {
	{ "held-touch-shared", held_touch, ALIGN_PAGE, 0 },
	{ "held-touch-private", held_touch, ALIGN_PAGE, OP_PRIVATE },
	{ "held-procmem-shared", held_procmem, ALIGN_PAGE, 0 },
	{ "held-procmem-private", held_procmem, ALIGN_PAGE, OP_PRIVATE },
	{ "held-vmreadv-shared", held_vmreadv, ALIGN_PAGE, 0 },
	{ "held-vmreadv-private", held_vmreadv, ALIGN_PAGE, OP_PRIVATE },
	{ "held-procmem-write-shared", held_procmem_write, ALIGN_PAGE, HELD_WRITE },
	{ "held-procmem-write-private", held_procmem_write, ALIGN_PAGE, HELD_WRITE | OP_PRIVATE },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
