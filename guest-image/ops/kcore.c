/*
 * kcore.c - physical memory through /proc/kcore.
 *
 *   kcore <addr> <len>
 *       read physical addr through /proc/kcore's direct-map file offset.
 *       Answers like a read, or the errno of open|pread, or of "kcore" when
 *       no direct-map segment is found, or "refused" for an address below
 *       the direct map's first physical address (no file offset).
 *
 * kcore's direct-map PT_LOAD segments (KCORE_RAM) have p_offset - p_paddr
 * equal to one constant (the data offset): the file offset of any physical
 * address through the direct map. Offsets no segment covers read as zeros
 * (read_kcore()), which is how never-added memory reads.
 */
#include "../agent.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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
	/*
	 * Only KCORE_RAM and KCORE_TEXT segments have a physical address
	 * (read_kcore_iter()/elf_kcore_store_hdr(): p_paddr is -1 otherwise).
	 * The direct map lies below the kernel text on both architectures
	 * (x86-64: 0xffff888000000000 < 0xffffffff80000000; arm64:
	 * PAGE_OFFSET 0xffff000000000000 < KIMAGE_VADDR), so the segment with
	 * the lowest virtual address is a KCORE_RAM one.
	 */
	bool found = false;
	Elf64_Addr lowest = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(kcore_fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_LOAD && ph.p_paddr != (Elf64_Addr)-1 && (!found || ph.p_vaddr < lowest)) {
			lowest = ph.p_vaddr;
			kcore_delta = (int64_t)(ph.p_offset - ph.p_paddr);
			found = true;
		}
	}
	if (found) {
		kcore_ready = true;
		return 0;
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
	/*
	 * kcore's file offset of a direct-map address is its virtual address
	 * less PAGE_OFFSET (kc_vaddr_to_offset()); an address below the direct
	 * map's first physical address (arm64: PHYS_OFFSET, the start of
	 * memory) has none, so there is nothing to read it through.
	 */
	int64_t off = (int64_t)p->addr + kcore_delta;
	if (off < 0) {
		emit_refused(p, "no /proc/kcore offset: below the direct map's first physical address");
		return;
	}
	ssize_t n = pread(kcore_fd, buf, p->len, (off_t)off);
	if (n < 0)
		emit_errno(p, errno, "pread");
	else
		emit_data(p, (size_t)n);
}

const struct op kcore_ops[] = {
	{ "kcore", do_kcore, ALIGN_BYTE, 0 },
	{ NULL, NULL, ALIGN_BYTE, 0 },
};
