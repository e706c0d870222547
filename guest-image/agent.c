/*
 * agent.c - the devmem-lab probe agent. Runs inside the guest (busybox
 * initramfs, so it is linked statically: cc -static -O2), executes probes
 * against /dev/mem and reports each outcome as one JSON line. It decides
 * nothing: the host plans the probes and judges the answers
 * (src/probe/agent-protocol.ts is the other end of this protocol).
 *
 * Usage: agent [-d DEVICE] [-w] [-n]   (-n: give up CAP_SYS_RAWIO first)
 *   -d DEVICE  file to probe (default /dev/mem); file offset = physical address
 *   -w         allow write probes; without it they are refused, no syscall made
 *
 * Input (stdin), one request per line; blank lines and lines starting with
 * '#' are ignored:
 *   <id> <op> <addr> <len>
 *     id    decimal, 0 .. 2^53-1 (exact in a JavaScript number)
 *     op    read | write | mmap-shared | mmap-private | touch-shared | touch-private
 *           | mmap-sync-shared | mmap-sync-private (mmap-* on an O_SYNC fd:
 *             the kernel asks PAT for UC- instead of WB)
 *     addr  hex with 0x prefix, 0 .. 2^52
 *     len   decimal, 1 .. 1048576
 *     write: addr and len multiples of 8; mmap-* and touch-*: addr page aligned
 *   Held mappings (the agent keeps them until it exits; a later request
 *   names one by kind, addr and len):
 *     hold-shared | hold-private            mmap and keep (answers like mmap-*)
 *     held-touch-shared | -private          touch the held mapping (like touch-*)
 *     held-procmem-shared | -private        pread /proc/self/mem at it: the
 *                                           ptrace path, generic_access_phys()
 *     held-vmreadv-shared | -private        process_vm_readv of it
 *     held-procmem-write-shared | -private  pwrite of the write pattern to
 *                                           /proc/self/mem at it (the mapping
 *                                           is read-only; needs -w like write)
 *     release-shared | -private             munmap the held mapping and forget it
 *                                           (answers "ok", or the munmap errno)
 *     release-split-shared | -private       the same after mprotect(PROT_NONE) of
 *                                           its last page (a VMA split)
 *     (nothing held there: errno ENOENT, syscall "hold")
 *   cow-procmem <addr> <len>: mmap(PROT_READ|PROT_WRITE, MAP_PRIVATE), store
 *     one word into each page (copy-on-write: the PTEs now point at private
 *     anonymous pages), then pread /proc/self/mem at the mapping (the ptrace
 *     path, generic_access_phys(), on the COW pages), munmap. Answers like a
 *     read (bytes, zero, fnv) or with the errno of open|mmap|pread
 *   cow-write <addr> <len>: the same mapping and stores, then munmap, with no
 *     read: answers "ok" (bytes = len) or the errno of open|mmap
 *   kcore <addr> <len>: read physical addr through /proc/kcore's direct-map
 *     file offset (syscall "kcore" when no direct-map segment is found)
 *   <id> highmem <lo> <hi>
 *     lo <= hi, hex as addr. Binary search for the lowest A in [lo, hi] whose
 *     1-byte pread fails with EFAULT (x86 valid_phys_addr_range(): the end of
 *     the direct map). Each test is a 0-byte pread at A+1, which the kernel
 *     range-checks exactly like a 1-byte read at A (addr + count - 1) but
 *     which copies nothing: the search never touches memory (a read of an
 *     unplugged virtio-mem block would populate it). Any outcome other than
 *     EFAULT counts as "below".
 *   <id> lseek <whence> <offset>
 *     whence decimal 0 .. 15 (passed as is: SEEK_SET 0, SEEK_CUR 1, SEEK_END 2,
 *     SEEK_DATA 3, SEEK_HOLE 4, anything else), offset hex, any 64-bit value
 *     (taken as a two's-complement off_t). On a fresh O_RDONLY fd: lseek to
 *     LSEEK_BASE (0x1000) with SEEK_SET, then lseek(fd, offset, whence).
 *
 * Output (stdout), exactly one JSON line per request, flushed whenever no request is waiting; keys
 * in this order: id, op, addr, len, result, then by result:
 *   "ok"      read, touch-*: bytes, zero, fnv (FNV-1a 64 of the bytes, 16 hex)
 *             write, held-procmem-write-*: bytes;  mmap-*, hold-*: nothing more
 *   "errno"   errno (symbolic, else "E<n>"), syscall (open|pread|pwrite|mmap)
 *   "signal"  signal (SIGBUS|SIGSEGV), sigCode (name, else decimal string),
 *             bytes (touched before the fault)
 *   "refused" reason
 *   highmem:   {"id":N,"op":"highmem","end":"0x..."}  (end = A, or hi+1)
 *   lseek:     {"id":N,"op":"lseek","whence":W,"offset":"0x...","result":"ok","pos":"0x..."}
 *              (pos: the returned off_t as 64-bit hex), or result "errno" with
 *              errno and syscall (open|lseek)
 *   malformed: {"id":N|null,"error":"..."}
 *
 * Semantics: read = one pread() on an O_RDONLY fd (short reads report what
 * they got); write = one pwrite() on a separate O_RDWR fd of 8-byte
 * little-endian words, the word at physical address a holding
 * a ^ 0x5a5a5a5a5a5a5a5a; mmap-* = mmap(PROT_READ, MAP_SHARED|MAP_PRIVATE)
 * then munmap; touch-* = the same mapping read word by word with volatile
 * loads, SIGBUS/SIGSEGV caught with sigsetjmp/siglongjmp. Each fd is opened
 * on first use and kept open (a lockdown raised later does not affect an
 * open fd, R-OPEN-LOCKDOWN); until an open succeeds, every probe needing it
 * reports the open's errno. Diagnostics go to stderr. Exit 0 at EOF, 1 if
 * stdout fails, 2 on bad usage.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <unistd.h>

_Static_assert(sizeof(off_t) == 8, "physical addresses need a 64-bit off_t");

#define MAX_LEN (1u << 20)
#define MAX_ADDR (UINT64_C(1) << 52)
#define MAX_ID ((UINT64_C(1) << 53) - 1)
#define PATTERN_XOR UINT64_C(0x5a5a5a5a5a5a5a5a)
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

enum op {
	OP_READ,
	OP_WRITE,
	OP_MMAP_SHARED,
	OP_MMAP_PRIVATE,
	OP_TOUCH_SHARED,
	OP_TOUCH_PRIVATE,
	OP_HIGHMEM,
	OP_HOLD_SHARED,
	OP_HOLD_PRIVATE,
	OP_HELD_TOUCH_SHARED,
	OP_HELD_TOUCH_PRIVATE,
	OP_HELD_PROCMEM_SHARED,
	OP_HELD_PROCMEM_PRIVATE,
	OP_HELD_VMREADV_SHARED,
	OP_HELD_VMREADV_PRIVATE,
	OP_HELD_PROCMEM_WRITE_SHARED,
	OP_HELD_PROCMEM_WRITE_PRIVATE,
	OP_KCORE,
	OP_MMAP_SYNC_SHARED,
	OP_MMAP_SYNC_PRIVATE,
	OP_RELEASE_SHARED,
	OP_RELEASE_PRIVATE,
	OP_COW_PROCMEM,
	OP_RELEASE_SPLIT_SHARED,
	OP_RELEASE_SPLIT_PRIVATE,
	OP_COW_WRITE,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"read", "write", "mmap-shared", "mmap-private",
	"touch-shared", "touch-private", "highmem",
	"hold-shared", "hold-private",
	"held-touch-shared", "held-touch-private",
	"held-procmem-shared", "held-procmem-private",
	"held-vmreadv-shared", "held-vmreadv-private",
	"held-procmem-write-shared", "held-procmem-write-private",
	"kcore",
	"mmap-sync-shared", "mmap-sync-private",
	"release-shared", "release-private",
	"cow-procmem",
	"release-split-shared", "release-split-private",
	"cow-write",
};

static const char *device = "/dev/mem";
static bool allow_write;
static int rd_fd = -1;
static int rw_fd = -1;
static int sync_fd = -1;
static uint64_t page_size;

/* One buffer for every probe: reads land here, writes are built here. */
static unsigned char buf[MAX_LEN] __attribute__((aligned(4096)));

/* ---- output ---------------------------------------------------------- */

struct line {
	char s[512];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(l->s) - l->n) {
		fprintf(stderr, "agent: internal error: output line too long\n");
		abort();
	}
	l->n += (size_t)r;
}

static void emit(struct line *l)
{
	put(l, "}\n");
	if (fwrite(l->s, 1, l->n, stdout) != l->n) {
		fprintf(stderr, "agent: writing stdout: %s\n", strerror(errno));
		exit(1);
	}
}

static void put_id(struct line *l, bool has_id, uint64_t id)
{
	if (has_id)
		put(l, "{\"id\":%" PRIu64, id);
	else
		put(l, "{\"id\":null");
}

/* Messages are fixed strings of this file, never echoed input. */
static void emit_error(bool has_id, uint64_t id, const char *msg)
{
	struct line l = { .n = 0 };
	put_id(&l, has_id, id);
	put(&l, ",\"error\":\"%s\"", msg);
	emit(&l);
}

static const char *errno_name(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG)
	E(ENOEXEC) E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES)
	E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
	E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY)
	E(ETXTBSY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK)
	E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK)
	E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW) E(EOPNOTSUPP)
	E(ENOTRECOVERABLE) E(EHWPOISON)
#undef E
	default:
		return NULL;
	}
}

static const char *sigcode_name(int sig, int code)
{
	if (sig == SIGBUS) {
		switch (code) {
		case BUS_ADRALN: return "BUS_ADRALN";
		case BUS_ADRERR: return "BUS_ADRERR";
		case BUS_OBJERR: return "BUS_OBJERR";
		case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
		case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
		}
	} else if (sig == SIGSEGV) {
		switch (code) {
		case SEGV_MAPERR: return "SEGV_MAPERR";
		case SEGV_ACCERR: return "SEGV_ACCERR";
		case SEGV_BNDERR: return "SEGV_BNDERR";
		case SEGV_PKUERR: return "SEGV_PKUERR";
		}
	}
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	}
	return NULL;
}

/* ---- probe outcomes ---------------------------------------------------- */

struct probe {
	uint64_t id;
	enum op op;
	uint64_t addr;
	size_t len;
};

static void put_head(struct line *l, const struct probe *p, const char *result)
{
	put_id(l, true, p->id);
	put(l, ",\"op\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"len\":%zu,\"result\":\"%s\"",
	    op_names[p->op], p->addr, p->len, result);
}

static void emit_errno(const struct probe *p, int e, const char *syscall)
{
	struct line l = { .n = 0 };
	const char *name = errno_name(e);
	put_head(&l, p, "errno");
	if (name)
		put(&l, ",\"errno\":\"%s\"", name);
	else
		put(&l, ",\"errno\":\"E%d\"", e);
	put(&l, ",\"syscall\":\"%s\"", syscall);
	emit(&l);
}

/* Successful read or touch: describe the bytes now in buf[0..n). */
static void emit_data(const struct probe *p, size_t n)
{
	struct line l = { .n = 0 };
	uint64_t h = FNV_OFFSET;
	bool zero = true;
	for (size_t i = 0; i < n; i++) {
		zero = zero && buf[i] == 0;
		h = (h ^ buf[i]) * FNV_PRIME;
	}
	put_head(&l, p, "ok");
	put(&l, ",\"bytes\":%zu,\"zero\":%s,\"fnv\":\"%016" PRIx64 "\"",
	    n, zero ? "true" : "false", h);
	emit(&l);
}

static void emit_signal(const struct probe *p, int sig, int code, size_t touched)
{
	struct line l = { .n = 0 };
	const char *name = sigcode_name(sig, code);
	put_head(&l, p, "signal");
	put(&l, ",\"signal\":\"%s\"", sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
	if (name)
		put(&l, ",\"sigCode\":\"%s\"", name);
	else
		put(&l, ",\"sigCode\":\"%d\"", code);
	put(&l, ",\"bytes\":%zu", touched);
	emit(&l);
}

/* ---- the device ------------------------------------------------------ */

/* Returns the fd, or -1 with errno from open(). */
enum fd_kind { FD_RD, FD_RW, FD_SYNC };

static int device_fd_kind(enum fd_kind k)
{
	int *slot = k == FD_RW ? &rw_fd : k == FD_SYNC ? &sync_fd : &rd_fd;
	if (*slot < 0) {
		int flags = k == FD_RW ? O_RDWR : k == FD_SYNC ? O_RDONLY | O_SYNC : O_RDONLY;
		int fd = open(device, flags | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			fprintf(stderr, "agent: open %s: %s\n", device, strerror(e));
			errno = e;
			return -1;
		}
		*slot = fd;
	}
	return *slot;
}

static int device_fd(bool rw)
{
	return device_fd_kind(rw ? FD_RW : FD_RD);
}

/* ---- touching a mapping ---------------------------------------------- */

static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touch_armed;
static volatile sig_atomic_t fault_signo;
static volatile int fault_code;
static volatile size_t touched;

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	if (!touch_armed) {
		/* Not a probe's fault: a bug here. Let the retried access kill us. */
		signal(sig, SIG_DFL);
		return;
	}
	touch_armed = 0;
	fault_signo = sig;
	fault_code = si->si_code;
	siglongjmp(touch_jmp, 1);
}

/* Copies the mapping into buf with volatile loads, counting bytes done. */
__attribute__((noinline))
static void copy_mapping(const volatile unsigned char *map, size_t len)
{
	const volatile uint64_t *w = (const volatile uint64_t *)map;
	size_t words = len / 8;
	for (size_t i = 0; i < words; i++) {
		uint64_t v = w[i];
		memcpy(buf + i * 8, &v, 8);
		touched = (i + 1) * 8;
	}
	for (size_t i = words * 8; i < len; i++) {
		buf[i] = map[i];
		touched = i + 1;
	}
}

/* 0 when every byte was read, else the signal that stopped the touch. */
__attribute__((noinline))
static int touch_mapping(const volatile unsigned char *map, size_t len)
{
	touched = 0;
	fault_signo = 0;
	if (sigsetjmp(touch_jmp, 1) != 0)
		return fault_signo;
	touch_armed = 1;
	copy_mapping(map, len);
	touch_armed = 0;
	return 0;
}

/* ---- probes ------------------------------------------------------------ */

static void do_read(const struct probe *p)
{
	int fd = device_fd(false);
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

/* Without -w a write probe is answered "refused" and no syscall is made. */
static bool refuse_write(const struct probe *p)
{
	if (allow_write)
		return false;
	struct line l = { .n = 0 };
	put_head(&l, p, "refused");
	put(&l, ",\"reason\":\"write probes need -w\"");
	emit(&l);
	return true;
}

/* The write pattern for physical address addr: 8-byte words, addr ^ PATTERN_XOR. */
static void fill_pattern(uint64_t addr, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = (addr + i) ^ PATTERN_XOR;
		for (unsigned b = 0; b < 8 && i + b < len; b++)
			buf[i + b] = (unsigned char)(v >> (8 * b));
	}
}

static void emit_written(const struct probe *p, ssize_t r)
{
	struct line l = { .n = 0 };
	put_head(&l, p, "ok");
	put(&l, ",\"bytes\":%zd", r);
	emit(&l);
}

static void do_write(const struct probe *p)
{
	if (refuse_write(p))
		return;
	int fd = device_fd(true);
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

static void do_map(const struct probe *p)
{
	bool shared = p->op == OP_MMAP_SHARED || p->op == OP_TOUCH_SHARED || p->op == OP_MMAP_SYNC_SHARED;
	bool touch = p->op == OP_TOUCH_SHARED || p->op == OP_TOUCH_PRIVATE;
	bool sync = p->op == OP_MMAP_SYNC_SHARED || p->op == OP_MMAP_SYNC_PRIVATE;
	int fd = device_fd_kind(sync ? FD_SYNC : FD_RD);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	void *map = mmap(NULL, p->len, PROT_READ, shared ? MAP_SHARED : MAP_PRIVATE,
			 fd, (off_t)p->addr);
	if (map == MAP_FAILED) {
		emit_errno(p, errno, "mmap");
		return;
	}
	int sig = touch ? touch_mapping(map, p->len) : 0;
	size_t done = touched;
	int code = fault_code;
	if (munmap(map, p->len) != 0)
		fprintf(stderr, "agent: munmap: %s\n", strerror(errno));
	if (!touch) {
		struct line l = { .n = 0 };
		put_head(&l, p, "ok");
		emit(&l);
	} else if (sig) {
		emit_signal(p, sig, code, done);
	} else {
		emit_data(p, p->len);
	}
}

/*
 * Lowest A in [lo, hi] where a 1-byte pread fails with EFAULT, else hi + 1.
 * read_mem() checks valid_phys_addr_range(p, count) before anything else and
 * then copies nothing for count 0, so a 0-byte pread at A+1 answers the
 * question for A without reading the page at A.
 */
static void do_highmem(uint64_t id, uint64_t lo, uint64_t hi)
{
	int fd = device_fd(false);
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

/*
 * memory_lseek() (drivers/char/mem.c) and the VFS's whence check, asked
 * directly. A fresh fd each time: the position of the shared fds is never
 * touched (every other probe uses pread/pwrite/mmap, which ignore it).
 */
#define LSEEK_BASE 0x1000
static void do_lseek(uint64_t id, unsigned whence, uint64_t offset)
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
		const char *name = errno_name(e);
		put(&l, ",\"result\":\"errno\"");
		if (name)
			put(&l, ",\"errno\":\"%s\"", name);
		else
			put(&l, ",\"errno\":\"E%d\"", e);
		put(&l, ",\"syscall\":\"%s\"", syscall);
	} else {
		put(&l, ",\"result\":\"ok\",\"pos\":\"0x%" PRIx64 "\"", (uint64_t)pos);
	}
	emit(&l);
}

/* ---- parsing ----------------------------------------------------------- */

/* ---- held mappings ----------------------------------------------------- */

/*
 * A mapping made by hold-* stays until the agent exits, so a long-lived
 * agent can use it after later steps (a driver claiming the range revokes
 * it: the next touch faults, see revoke_iomem()). Keyed by kind, address
 * and length.
 */
#define MAX_HELD 64
static struct held {
	bool used, shared;
	uint64_t addr;
	size_t len;
	void *map;
} held[MAX_HELD];

static struct held *find_held(const struct probe *p, bool shared)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i].used && held[i].shared == shared && held[i].addr == p->addr && held[i].len == p->len)
			return &held[i];
	return NULL;
}

static void do_hold(const struct probe *p)
{
	bool shared = p->op == OP_HOLD_SHARED;
	struct held *h = find_held(p, shared);
	if (h) {
		munmap(h->map, h->len);
		h->used = false;
	}
	for (h = held; h < held + MAX_HELD && h->used; h++)
		;
	if (h == held + MAX_HELD) {
		emit_errno(p, ENOSPC, "mmap");
		return;
	}
	int fd = device_fd(false);
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
	struct line l = { .n = 0 };
	put_head(&l, p, "ok");
	emit(&l);
}

/* cow-procmem: /proc/self/mem on the private copies of a /dev/mem mapping. */
static void do_cow_procmem(const struct probe *p)
{
	int fd = device_fd(false);
	if (fd < 0) {
		emit_errno(p, errno, "open");
		return;
	}
	/* PROT_WRITE on a MAP_PRIVATE mapping needs no write access to the fd. */
	char *map = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (off_t)p->addr);
	if (map == MAP_FAILED) {
		emit_errno(p, errno, "mmap");
		return;
	}
	for (size_t off = 0; off < p->len; off += page_size)
		*(volatile uint64_t *)(map + off) = 0x636f770a636f770aULL; /* "cow\ncow\n" */
	if (p->op == OP_COW_WRITE) {
		munmap(map, p->len);
		struct line l = { .n = 0 };
		put_head(&l, p, "ok");
		put(&l, ",\"bytes\":%zu", p->len);
		emit(&l);
		return;
	}
	static int mem_fd = -1;
	if (mem_fd < 0 && (mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)) < 0) {
		emit_errno(p, errno, "open");
		munmap(map, p->len);
		return;
	}
	ssize_t n = pread(mem_fd, buf, p->len, (off_t)(uintptr_t)map);
	int e = errno;
	munmap(map, p->len);
	if (n < 0)
		emit_errno(p, e, "pread");
	else
		emit_data(p, (size_t)n);
}

/*
 * release-*: the munmap that ends a hold (and, with it, its PAT reservation).
 * release-split-*: first mprotect the last page PROT_NONE, which splits the
 * VMA in two (the VM_PAT bookkeeping then has two VMAs to untrack).
 */
static void do_release(const struct probe *p)
{
	bool split = p->op == OP_RELEASE_SPLIT_SHARED || p->op == OP_RELEASE_SPLIT_PRIVATE;
	struct held *h = find_held(p, p->op == OP_RELEASE_SHARED || p->op == OP_RELEASE_SPLIT_SHARED);
	if (!h) {
		emit_errno(p, ENOENT, "hold");
		return;
	}
	if (split && h->len > page_size && mprotect((char *)h->map + h->len - page_size, page_size, PROT_NONE) != 0) {
		emit_errno(p, errno, "mprotect");
		return;
	}
	h->used = false;
	if (munmap(h->map, h->len) != 0) {
		emit_errno(p, errno, "munmap");
		return;
	}
	struct line l = { .n = 0 };
	put_head(&l, p, "ok");
	emit(&l);
}

/* held-touch-*, held-procmem-*, held-vmreadv-* on the mapping a hold-* made. */
static void do_held(const struct probe *p)
{
	bool shared = p->op == OP_HELD_TOUCH_SHARED || p->op == OP_HELD_PROCMEM_SHARED ||
		      p->op == OP_HELD_VMREADV_SHARED || p->op == OP_HELD_PROCMEM_WRITE_SHARED;
	bool write = p->op == OP_HELD_PROCMEM_WRITE_SHARED || p->op == OP_HELD_PROCMEM_WRITE_PRIVATE;
	if (write && refuse_write(p))
		return;
	struct held *h = find_held(p, shared);
	if (!h) {
		emit_errno(p, ENOENT, "hold"); /* nothing held at this address */
		return;
	}
	if (p->op == OP_HELD_TOUCH_SHARED || p->op == OP_HELD_TOUCH_PRIVATE) {
		int sig = touch_mapping(h->map, p->len);
		if (sig)
			emit_signal(p, sig, fault_code, touched);
		else
			emit_data(p, p->len);
		return;
	}
	if (p->op == OP_HELD_PROCMEM_SHARED || p->op == OP_HELD_PROCMEM_PRIVATE) {
		/*
		 * /proc/self/mem goes through access_remote_vm(): GUP refuses
		 * VM_IO|VM_PFNMAP, so the kernel uses the vma's ->access, i.e.
		 * generic_access_phys() — the ptrace path.
		 */
		static int mem_fd = -1;
		if (mem_fd < 0 && (mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC)) < 0) {
			emit_errno(p, errno, "open");
			return;
		}
		ssize_t n = pread(mem_fd, buf, p->len, (off_t)(uintptr_t)h->map);
		if (n < 0)
			emit_errno(p, errno, "pread");
		else
			emit_data(p, (size_t)n);
		return;
	}
	if (write) {
		/*
		 * The mapping is PROT_READ, so its PTEs are read-only:
		 * generic_access_phys() refuses FOLL_WRITE (-EINVAL), which
		 * /proc/PID/mem reports as EIO. A kernel that wrote anyway
		 * would store the pattern at the physical address.
		 */
		static int memw_fd = -1;
		if (memw_fd < 0 && (memw_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC)) < 0) {
			emit_errno(p, errno, "open");
			return;
		}
		fill_pattern(p->addr, p->len);
		ssize_t n = pwrite(memw_fd, buf, p->len, (off_t)(uintptr_t)h->map);
		if (n < 0)
			emit_errno(p, errno, "pwrite");
		else
			emit_written(p, n);
		return;
	}
	struct iovec local = { .iov_base = buf, .iov_len = p->len };
	struct iovec remote = { .iov_base = h->map, .iov_len = p->len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0)
		emit_errno(p, errno, "process_vm_readv");
	else
		emit_data(p, (size_t)n);
}

/* ---- /proc/kcore ----------------------------------------------------------- */

/*
 * kcore's direct-map PT_LOAD segments (KCORE_RAM) have p_offset - p_paddr
 * equal to one constant (the data offset): the file offset of any physical
 * address through the direct map. Offsets no segment covers read as zeros
 * (read_kcore()), which is how never-added memory reads.
 */
static int kcore_fd = -1;
static int64_t kcore_delta;
static bool kcore_ready;

static int kcore_open(void)
{
	if (kcore_ready)
		return 0;
	if (kcore_fd < 0 && (kcore_fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	Elf64_Ehdr eh;
	if (pread(kcore_fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
		errno = ENOEXEC;
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(kcore_fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof(ph))
			break;
		/* KCORE_TEXT has a physical address too, but lives in the kernel-text mapping. */
		if (ph.p_type == PT_LOAD && ph.p_paddr != (Elf64_Addr)-1 && ph.p_vaddr < 0xffffffff80000000ULL) {
			kcore_delta = (int64_t)(ph.p_offset - ph.p_paddr);
			kcore_ready = true;
			return 0;
		}
	}
	errno = ENODATA;
	return -1;
}

static void do_kcore(const struct probe *p)
{
	if (kcore_open() != 0) {
		emit_errno(p, errno, kcore_fd < 0 ? "open" : "kcore");
		return;
	}
	ssize_t n = pread(kcore_fd, buf, p->len, (off_t)((int64_t)p->addr + kcore_delta));
	if (n < 0)
		emit_errno(p, errno, "pread");
	else
		emit_data(p, (size_t)n);
}

static bool parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s[0] != '0' || s[1] != 'x' || s[2] == '\0')
		return false;
	for (s += 2; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (v > (max - d) / 16)
			return false;
		v = v * 16 + d;
	}
	*out = v;
	return true;
}

#define MAX_TOKENS 5

static void handle_line(char *s, size_t n)
{
	static const char spaces[] = " \t\r\n\v\f";
	char *tok[MAX_TOKENS];
	size_t ntok = 0;
	uint64_t id = 0;
	bool has_id;

	bool has_nul = strlen(s) != n; /* tokens stop at the first NUL */
	char *first = s + strspn(s, spaces);
	if (!has_nul && (*first == '\0' || *first == '#'))
		return; /* blank or comment */

	char *save = NULL;
	for (char *t = strtok_r(s, spaces, &save); t && ntok < MAX_TOKENS;
	     t = strtok_r(NULL, spaces, &save))
		tok[ntok++] = t;

	has_id = ntok > 0 && parse_dec(tok[0], MAX_ID, &id);
	if (has_nul) {
		emit_error(has_id, id, "line contains a NUL byte");
		return;
	}
	if (!has_id) {
		emit_error(false, 0, "id must be a decimal integer below 2^53");
		return;
	}
	if (ntok != 4) {
		emit_error(true, id, "expected 4 fields: <id> <op> <addr> <len>, <id> highmem <lo> <hi> or <id> lseek <whence> <offset>");
		return;
	}

	if (strcmp(tok[1], "lseek") == 0) {
		uint64_t whence, offset;
		if (!parse_dec(tok[2], 15, &whence) || !parse_hex(tok[3], UINT64_MAX, &offset)) {
			emit_error(true, id, "lseek takes a decimal whence (0 to 15) and a 0x-prefixed hex offset");
			return;
		}
		do_lseek(id, (unsigned)whence, offset);
		return;
	}

	enum op op = OP_COUNT;
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(tok[1], op_names[i]) == 0)
			op = (enum op)i;
	if (op == OP_COUNT) {
		emit_error(true, id, "unknown op");
		return;
	}

	if (op == OP_HIGHMEM) {
		uint64_t lo, hi;
		if (!parse_hex(tok[2], MAX_ADDR, &lo) || !parse_hex(tok[3], MAX_ADDR, &hi)) {
			emit_error(true, id, "lo and hi must be 0x-prefixed hex, at most 0x10000000000000");
			return;
		}
		if (lo > hi) {
			emit_error(true, id, "lo must not exceed hi");
			return;
		}
		do_highmem(id, lo, hi);
		return;
	}

	struct probe p = { .id = id, .op = op };
	uint64_t len;
	if (!parse_hex(tok[2], MAX_ADDR, &p.addr)) {
		emit_error(true, id, "addr must be 0x-prefixed hex, at most 0x10000000000000");
		return;
	}
	if (!parse_dec(tok[3], MAX_LEN, &len) || len == 0) {
		emit_error(true, id, "len must be decimal, 1 to 1048576");
		return;
	}
	p.len = (size_t)len;

	switch (op) {
	case OP_READ:
		do_read(&p);
		break;
	case OP_WRITE:
		if (p.addr % 8 != 0 || p.len % 8 != 0) {
			emit_error(true, id, "write addr and len must be multiples of 8");
			return;
		}
		do_write(&p);
		break;
	case OP_KCORE:
		do_kcore(&p);
		break;
	default:
		if (p.addr % page_size != 0) {
			emit_error(true, id, "mmap and touch addr must be page aligned");
			return;
		}
		if (op == OP_HOLD_SHARED || op == OP_HOLD_PRIVATE)
			do_hold(&p);
		else if (op == OP_RELEASE_SHARED || op == OP_RELEASE_PRIVATE || op == OP_RELEASE_SPLIT_SHARED || op == OP_RELEASE_SPLIT_PRIVATE)
			do_release(&p);
		else if (op == OP_COW_PROCMEM || op == OP_COW_WRITE)
			do_cow_procmem(&p);
		else if ((op >= OP_HELD_TOUCH_SHARED && op <= OP_HELD_VMREADV_PRIVATE) ||
			 op == OP_HELD_PROCMEM_WRITE_SHARED || op == OP_HELD_PROCMEM_WRITE_PRIVATE)
			do_held(&p);
		else
			do_map(&p);
		break;
	}
}

/*
 * -n: give up CAP_SYS_RAWIO (effective, permitted and inheritable) before
 * anything is opened, staying root otherwise: /dev/mem's file mode still
 * lets root open it, so the kernel's own capable(CAP_SYS_RAWIO) checks in
 * open_port() and open_kcore() are what answer.
 */
static void drop_rawio(void)
{
	struct { uint32_t version; int pid; } hdr = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
	struct { uint32_t effective, permitted, inheritable; } data[2];
	const int bit = 17; /* CAP_SYS_RAWIO */
	if (syscall(SYS_capget, &hdr, data) != 0) {
		fprintf(stderr, "agent: capget: %s\n", strerror(errno));
		exit(2);
	}
	data[0].effective &= ~(1u << bit);
	data[0].permitted &= ~(1u << bit);
	data[0].inheritable &= ~(1u << bit);
	if (syscall(SYS_capset, &hdr, data) != 0) {
		fprintf(stderr, "agent: capset: %s\n", strerror(errno));
		exit(2);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: agent [-d DEVICE] [-w] [-n]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "d:wn")) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'w':
			allow_write = true;
			break;
		case 'n':
			drop_rawio();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	long ps = sysconf(_SC_PAGESIZE);
	page_size = ps > 0 ? (uint64_t)ps : 4096;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0 || sigaction(SIGSEGV, &sa, NULL) != 0) {
		fprintf(stderr, "agent: sigaction: %s\n", strerror(errno));
		return 1;
	}
	/* A closed stdout must end us through emit()'s error path, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Answers are block-buffered and flushed whenever no more requests are
	 * waiting: a batch sent in one go comes back in large writes (each line
	 * crossing SSH alone cost more than the probes), while a requester that
	 * waits for each answer still gets it at once.
	 */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	char *linebuf = NULL;
	size_t cap = 0;
	ssize_t n;
	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 0 && fflush(stdout) != 0) {
			fprintf(stderr, "agent: writing stdout: %s\n", strerror(errno));
			return 1;
		}
		if ((n = getline(&linebuf, &cap, stdin)) < 0)
			break;
		handle_line(linebuf, (size_t)n);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "agent: writing stdout: %s\n", strerror(errno));
		return 1;
	}
	free(linebuf);
	if (ferror(stdin)) {
		fprintf(stderr, "agent: reading stdin: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
