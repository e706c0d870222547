/*
 * answer.c - the agent's answer lines: one JSON object per request, keys in
 * the order agent.c's header comment gives, written to stdout (which main()
 * flushes whenever no request is waiting).
 */
#include "agent.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

void put(struct line *l, const char *fmt, ...)
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

void emit(struct line *l)
{
	put(l, "}\n");
	if (fwrite(l->s, 1, l->n, stdout) != l->n) {
		fprintf(stderr, "agent: writing stdout: %s\n", strerror(errno));
		exit(1);
	}
}

void put_id(struct line *l, bool has_id, uint64_t id)
{
	if (has_id)
		put(l, "{\"id\":%" PRIu64, id);
	else
		put(l, "{\"id\":null");
}

void emit_error(bool has_id, uint64_t id, const char *msg)
{
	struct line l = { .n = 0 };
	put_id(&l, has_id, id);
	put(&l, ",\"error\":\"%s\"", msg);
	emit(&l);
}

const char *errno_name(int e)
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

/* ,"errno":"<symbolic name, else E<n>>" */
void put_errno(struct line *l, int e)
{
	const char *name = errno_name(e);
	if (name)
		put(l, ",\"errno\":\"%s\"", name);
	else
		put(l, ",\"errno\":\"E%d\"", e);
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

void put_head(struct line *l, const struct probe *p, const char *result)
{
	put_id(l, true, p->id);
	put(l, ",\"op\":\"%s\",\"addr\":\"0x%" PRIx64 "\",\"len\":%zu,\"result\":\"%s\"",
	    p->op->name, p->addr, p->len, result);
}

void emit_ok(const struct probe *p)
{
	struct line l = { .n = 0 };
	put_head(&l, p, "ok");
	emit(&l);
}

void emit_errno(const struct probe *p, int e, const char *syscall)
{
	struct line l = { .n = 0 };
	put_head(&l, p, "errno");
	put_errno(&l, e);
	put(&l, ",\"syscall\":\"%s\"", syscall);
	emit(&l);
}

void emit_data(const struct probe *p, size_t n)
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

void emit_written(const struct probe *p, ssize_t r)
{
	struct line l = { .n = 0 };
	put_head(&l, p, "ok");
	put(&l, ",\"bytes\":%zd", r);
	emit(&l);
}

void emit_signal(const struct probe *p, int sig, int code, size_t touched)
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

void emit_refused(const struct probe *p, const char *reason)
{
	struct line l = { .n = 0 };
	put_head(&l, p, "refused");
	put(&l, ",\"reason\":\"%s\"", reason);
	emit(&l);
}

bool refuse_write(const struct probe *p)
{
	if (allow_write)
		return false;
	emit_refused(p, "write probes need -w");
	return true;
}
