/*
 * device.c - what the ops share: the device's fds, /proc/self/mem, the one
 * buffer, the write pattern, touching a mapping with faults caught, and the
 * held mappings.
 *
 * Each fd is opened on first use and kept open (a lockdown raised later
 * does not affect an open fd, R-OPEN-LOCKDOWN); until an open succeeds,
 * every probe needing it reports the open's errno.
 */
#include "agent.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

unsigned char buf[MAX_LEN] __attribute__((aligned(4096)));

static int rd_fd = -1;
static int rw_fd = -1;
static int sync_fd = -1;

int device_fd(enum fd_kind k)
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

int self_mem_fd(bool rw)
{
	static int fds[2] = { -1, -1 };
	int *slot = &fds[rw];
	if (*slot < 0)
		*slot = open("/proc/self/mem", (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	return *slot;
}

void fill_pattern(uint64_t addr, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = (addr + i) ^ PATTERN_XOR;
		for (unsigned b = 0; b < 8 && i + b < len; b++)
			buf[i + b] = (unsigned char)(v >> (8 * b));
	}
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

int catch_faults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) != 0 || sigaction(SIGSEGV, &sa, NULL) != 0)
		return -1;
	return 0;
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

__attribute__((noinline))
int touch_mapping(const volatile unsigned char *map, size_t len, struct touch *t)
{
	touched = 0;
	fault_signo = 0;
	if (sigsetjmp(touch_jmp, 1) != 0) {
		t->bytes = touched;
		t->code = fault_code;
		return fault_signo;
	}
	touch_armed = 1;
	copy_mapping(map, len);
	touch_armed = 0;
	t->bytes = touched;
	t->code = 0;
	return 0;
}

/* ---- held mappings ----------------------------------------------------- */

#define MAX_HELD 64
static struct held held[MAX_HELD];

struct held *find_held(const struct probe *p, bool shared)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i].used && held[i].shared == shared && held[i].addr == p->addr && held[i].len == p->len)
			return &held[i];
	return NULL;
}

struct held *free_held(void)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (!held[i].used)
			return &held[i];
	return NULL;
}
