/*
 * caps.c - the agent without CAP_SYS_RAWIO (-n).
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * -n: give up CAP_SYS_RAWIO (effective, permitted and inheritable) before
 * anything is opened, staying root otherwise: /dev/mem's file mode still
 * lets root open it, so the kernel's own capable(CAP_SYS_RAWIO) checks in
 * open_port() and open_kcore() are what answer.
 */
void drop_rawio(void)
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
