/*
 * agent.c - the devmem-lab probe agent. Runs inside the guest (busybox
 * initramfs, so it is linked statically: cc -static -O2 with every .c file
 * here and in ops/), executes probes against /dev/mem and reports each
 * outcome as one JSON line. It decides nothing: the host plans the probes
 * and judges the answers (src/probe/agent-protocol.ts and
 * src/probe/agent-answers.ts are the other end of this protocol).
 *
 * Usage: agent [-d DEVICE] [-w] [-n]   (-n: give up CAP_SYS_RAWIO first)
 *   -d DEVICE  file to probe (default /dev/mem); file offset = physical address
 *   -w         allow write probes; without it they are refused, no syscall made
 *
 * Input (stdin), one request per line; blank lines and lines starting with
 * '#' are ignored:
 *   <id> <op> <addr> <len>
 *     id    decimal, 0 .. 2^53-1 (exact in a JavaScript number)
 *     op    a probe op, one of those the files in ops/ define; each file
 *           documents its ops (what each does, its answers, the syscalls
 *           its errno may name) and ops/list.h lists the files. "*-shared"
 *           and "*-private" name the MAP_SHARED and MAP_PRIVATE variants
 *     addr  hex with 0x prefix, 0 .. 2^52
 *     len   decimal, 1 .. 1048576
 *     and by the alignment of the op's entry in its file's table: any
 *     (ALIGN_BYTE), addr and len multiples of 8 (ALIGN_WORD: whole-word
 *     writes) or addr a multiple of the page size (ALIGN_PAGE: every op
 *     that maps); anything else is malformed
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
 *   "ok"      as the op's file says: bytes, zero, fnv (FNV-1a 64 of the
 *             bytes, 16 hex) when it read or touched bytes; bytes when it
 *             wrote; nothing more when it made or released a mapping
 *   "errno"   errno (symbolic, else "E<n>"), syscall (open|pread|pwrite|mmap|
 *             munmap|mprotect|process_vm_readv, "hold": nothing held there,
 *             "kcore": no direct-map segment)
 *   "signal"  signal (SIGBUS|SIGSEGV), sigCode (name, else decimal string),
 *             bytes (touched before the fault)
 *   "refused" reason
 *   highmem:   {"id":N,"op":"highmem","end":"0x..."}  (end = A, or hi+1)
 *   lseek:     {"id":N,"op":"lseek","whence":W,"offset":"0x...","result":"ok","pos":"0x..."}
 *              (pos: the returned off_t as 64-bit hex), or result "errno" with
 *              errno and syscall (open|lseek)
 *   malformed: {"id":N|null,"error":"..."}
 *
 * Semantics: every probe opens the device (or /proc/self/mem, /proc/kcore)
 * on first use and keeps the fd open (a lockdown raised later does not
 * affect an open fd, R-OPEN-LOCKDOWN); until an open succeeds, every probe
 * needing it reports the open's errno. Touches read word by word with
 * volatile loads, SIGBUS/SIGSEGV caught with sigsetjmp/siglongjmp.
 * Diagnostics go to stderr. Exit 0 at EOF, 1 if stdout fails, 2 on bad
 * usage.
 */
#include "agent.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *device = "/dev/mem";
bool allow_write;
uint64_t page_size;

#define FAMILY(f) extern const struct op f##_ops[];
#include "ops/list.h"
#undef FAMILY

static const struct op *const families[] = {
#define FAMILY(f) f##_ops,
#include "ops/list.h"
#undef FAMILY
};

static const struct op *find_op(const char *name)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct op *op = families[f]; op->name; op++)
			if (strcmp(name, op->name) == 0)
				return op;
	return NULL;
}

/* ---- parsing ----------------------------------------------------------- */

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

	if (strcmp(tok[1], "highmem") == 0) {
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

	struct probe p = { .id = id, .op = find_op(tok[1]) };
	if (!p.op) {
		emit_error(true, id, "unknown op");
		return;
	}
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

	if (p.op->align == ALIGN_WORD && (p.addr % 8 != 0 || p.len % 8 != 0)) {
		emit_error(true, id, "write addr and len must be multiples of 8");
		return;
	}
	if (p.op->align == ALIGN_PAGE && p.addr % page_size != 0) {
		emit_error(true, id, "mmap and touch addr must be page aligned");
		return;
	}
	p.op->run(&p);
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

	if (catch_faults() != 0) {
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
