/*
 * agent.h - what the probe agent's parts share: the op table's entries,
 * the request being answered, answer lines (answer.c), the device's fds,
 * touching a mapping and the held mappings (device.c).
 *
 * An op family is one file in ops/ defining a NULL-terminated array
 * `const struct op <family>_ops[]`, listed once in ops/list.h.
 */
#ifndef AGENT_H
#define AGENT_H

#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

_Static_assert(sizeof(off_t) == 8, "physical addresses need a 64-bit off_t");

#define MAX_LEN (1u << 20)
#define MAX_ADDR (UINT64_C(1) << 52)
#define MAX_ID ((UINT64_C(1) << 53) - 1)
#define PATTERN_XOR UINT64_C(0x5a5a5a5a5a5a5a5a)

struct probe;

/* What a request's addr and len must be multiples of (else it is malformed). */
enum align {
	ALIGN_BYTE, /* anything */
	ALIGN_WORD, /* addr and len multiples of 8 */
	ALIGN_PAGE, /* addr a multiple of the page size */
};

/* One op: its name in requests and answers, what runs it, and a family's flags. */
struct op {
	const char *name;
	void (*run)(const struct probe *p);
	enum align align;
	unsigned flags;
};

/* The MAP_PRIVATE variant of an op (flags); families define theirs from bit 1 up. */
#define OP_PRIVATE 1u

/* One well-formed probe request. */
struct probe {
	uint64_t id;
	const struct op *op;
	uint64_t addr;
	size_t len;
};

/* agent.c: the command line's choices and the guest's page size. */
extern const char *device;
extern bool allow_write;
extern uint64_t page_size;

/* caps.c: give up CAP_SYS_RAWIO (exits 2 when the kernel refuses). */
void drop_rawio(void);

/* highmem.c and lseek.c: the two requests that are not probes. */
void do_highmem(uint64_t id, uint64_t lo, uint64_t hi);
void do_lseek(uint64_t id, unsigned whence, uint64_t offset);

/* ---- answer.c: one JSON line per request ---------------------------------- */

struct line {
	char s[512];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
void put(struct line *l, const char *fmt, ...);
void emit(struct line *l);
void put_id(struct line *l, bool has_id, uint64_t id);
void put_errno(struct line *l, int e);
/* Messages are fixed strings of the agent, never echoed input. */
void emit_error(bool has_id, uint64_t id, const char *msg);
const char *errno_name(int e);

void put_head(struct line *l, const struct probe *p, const char *result);
/* "ok" and nothing more: a mapping made, a hold released. */
void emit_ok(const struct probe *p);
void emit_errno(const struct probe *p, int e, const char *syscall);
/* "ok" with bytes, zero and fnv of buf[0..n). */
void emit_data(const struct probe *p, size_t n);
/* "ok" with the bytes written. */
void emit_written(const struct probe *p, ssize_t r);
void emit_signal(const struct probe *p, int sig, int code, size_t touched);
/* Without -w a write probe is answered "refused" (true) and no syscall is made. */
bool refuse_write(const struct probe *p);
/* A "refused" answer: the op cannot express this request, no syscall made (reason: plain text, no quotes). */
void emit_refused(const struct probe *p, const char *reason);

/* ---- device.c: fds, the buffer, touching a mapping, held mappings ----------- */

/* One buffer for every probe: reads land here, writes are built here. */
extern unsigned char buf[MAX_LEN];

enum fd_kind { FD_RD, FD_RW, FD_SYNC };
/* The device opened O_RDONLY, O_RDWR or O_RDONLY|O_SYNC, once; -1 with errno from open(). */
int device_fd(enum fd_kind k);
/* /proc/self/mem, O_RDONLY or O_RDWR, opened once; -1 with errno from open(). */
int self_mem_fd(bool rw);
/* buf[0..len) = the write pattern for physical address addr: 8-byte words addr ^ PATTERN_XOR. */
void fill_pattern(uint64_t addr, size_t len);

/* Catches SIGBUS and SIGSEGV for touch_mapping(); 0, or -1 with errno. */
int catch_faults(void);
struct touch {
	size_t bytes; /* touched before the fault */
	int code;     /* the fault's si_code */
};
/* Copies the mapping into buf with volatile loads: 0 when every byte was read, else the signal. */
int touch_mapping(const volatile unsigned char *map, size_t len, struct touch *t);

/*
 * A mapping made by hold-* stays until the agent exits (or a release-*
 * ends it), so a long-lived agent can use it after later steps. Keyed by
 * kind (shared or private), address and length.
 */
struct held {
	bool used, shared;
	uint64_t addr;
	size_t len;
	void *map;
};
/* The held mapping of the probe's kind, addr and len, or NULL. */
struct held *find_held(const struct probe *p, bool shared);
/* An unused slot, or NULL when every slot holds a mapping. */
struct held *free_held(void);

#endif
