// The rule catalogue: every id on kernel-model.md, the one line a console
// report prints for it, the kernel function it was read from, and the
// architectures it holds on. A few ids the page does not name (onModelPage:
// false) cover outcomes the model must still attribute, such as a
// successful mmap(). The R-A64-* ids are arm64's form of a rule whose x86
// form is marked x86_64 only (docs/arm64.md).

import type { Arch } from './facts.js';

export interface RuleInfo {
  id: string;
  /** One line for the console report. */
  summary: string;
  /** Kernel file and function the rule comes from. */
  source: string;
  onModelPage: boolean;
  /** The architectures whose kernels decide by this rule. */
  arches: readonly Arch[];
}

const BOTH: readonly Arch[] = ['x86_64', 'arm64'];
const X86: readonly Arch[] = ['x86_64'];
const A64: readonly Arch[] = ['arm64'];

const R = <I extends string>(id: I, summary: string, source: string, arches: readonly Arch[] = BOTH, onModelPage = true) => ({ id, summary, source, onModelPage, arches });

const CATALOGUE = [
  R('R-OPEN-NODEV', 'DEVMEM=n: no "mem" minor, open fails ENXIO (ENOENT when devtmpfs made no node)', 'drivers/char/mem.c memory_open(), chr_dev_init()'),
  R('R-OPEN-CAP', 'open without CAP_SYS_RAWIO fails EPERM', 'drivers/char/mem.c open_port()'),
  R('R-OPEN-LOCKDOWN', 'lockdown integrity/confidentiality: open fails EPERM; earlier fds keep working', 'drivers/char/mem.c open_port() → security_locked_down(LOCKDOWN_DEV_MEM)'),
  R('R-DIA-RAM', 'page intersects System RAM: zeros in the first MiB, denied above', 'arch/x86/mm/init.c devmem_is_allowed() → region_intersects()', X86),
  R('R-DIA-EXCL', 'page is exclusive to the kernel: allowed in the first MiB, denied above', 'arch/x86/mm/init.c devmem_is_allowed() → iomem_is_exclusive()', X86),
  R('R-EXCL-SYSRAM', 'SYSTEM_RAM|EXCLUSIVE resource (virtio-mem parent, 5.16+) is exclusive even with iomem=relaxed', 'kernel/resource.c resource_is_exclusive()'),
  R('R-EXCL-BUSY', 'strict iomem checks and a busy resource (IO_STRICT_DEVMEM or EXCLUSIVE) is exclusive', 'kernel/resource.c resource_is_exclusive() / iomem_is_exclusive()'),
  R('R-RW-RANGE', 'last byte at or beyond high_memory (or a 0-byte access at 0) fails EFAULT before any check', 'arch/x86/mm/mmap.c valid_phys_addr_range(), drivers/char/mem.c read_mem()/write_mem()', X86),
  R('R-RW-DENY', 'a chunk with devmem_is_allowed() = 0 fails the whole call EPERM', 'drivers/char/mem.c read_mem()/write_mem() → page_is_allowed()'),
  R('R-RW-ZERO', 'a chunk with devmem_is_allowed() = 2 reads zeros; a write is counted but dropped', 'drivers/char/mem.c read_mem()/write_mem()', X86),
  R('R-RW-COPY', 'an allowed chunk is copied through the direct map or ioremap_cache; a failed mapping is EFAULT', 'drivers/char/mem.c read_mem() → xlate_dev_mem_ptr() → memremap()', X86),
  R('R-MMAP-PHYSBITS', "last byte beyond the CPU's physical address bits fails EINVAL", 'arch/x86/mm/mmap.c valid_mmap_phys_addr_range(), drivers/char/mem.c mmap_mem()', X86),
  R('R-MMAP-DENY', 'STRICT_DEVMEM and any page with devmem_is_allowed() = 0 fails EPERM', 'drivers/char/mem.c mmap_mem() → range_is_allowed()'),
  R('R-MMAP-PAT-NOSTRICT', 'no STRICT_DEVMEM but PAT on and any page denied: EINVAL (cache aliasing)', 'arch/x86/mm/pat/memtype.c phys_mem_access_prot_allowed() → range_is_allowed()', X86),
  R('R-MMAP-PAT', 'cache mode conflicts with memtype reservations: remap_pfn_range() fails, EAGAIN', 'arch/x86/mm/pat/memtype.c track_pfn_remap() → reserve_pfn_range()', X86),
  R('R-TOUCH', 'a live /dev/mem mapping returns current contents, never SIGBUS', 'drivers/char/mem.c mmap_mem() → remap_pfn_range() fills every PTE'),
  R('R-REVOKE', 'a claim on the iomem root with a denied end zaps /dev/mem mappings: next touch SIGBUS', 'kernel/resource.c __request_region() → revoke_iomem(); mm/memory.c do_fault()'),
  R('R-PTRACE-REVOKED', 'ptrace/proc-mem on a revoked /dev/mem mapping: EIO, never the old page', 'mm/memory.c generic_access_phys()'),
  R('R-PTRACE-RO', 'ptrace write through a read-only PTE: EIO', 'mm/memory.c generic_access_phys()'),
  R('R-PTRACE-RAM', 'ptrace on a RAM or COW pfn: ioremap refuses RAM, EIO', 'mm/memory.c generic_access_phys() → ioremap_prot()', X86),
  R('R-PTRACE-MMIO', 'ptrace on MMIO returns the bytes', 'mm/memory.c generic_access_phys()'),
  R('R-VMEM-PARENT', 'bound driver requests its whole region as "virtioN" (SYSTEM_RAM, +EXCLUSIVE 5.16+), not busy', 'drivers/virtio/virtio_mem.c virtio_mem_create_resource()'),
  R('R-VMEM-CHILD', 'added memory blocks appear as merged "System RAM (virtio_mem)" children of virtioN', 'drivers/virtio/virtio_mem.c virtio_mem_add_memory() → add_memory_driver_managed()'),
  R('R-VMEM-UNLOAD-CLEAN', 'unload with no memory added releases the parent: the region becomes unclaimed', 'drivers/virtio/virtio_mem.c virtio_mem_deinit_hotplug() → virtio_mem_delete_resource()'),
  R('R-LSEEK-WHENCE', 'lseek on /dev/mem knows SEEK_SET and SEEK_CUR only: any other whence is EINVAL', 'fs/read_write.c ksys_lseek(), drivers/char/mem.c memory_lseek()', BOTH, false),
  R('R-LSEEK-OVERFLOW', 'lseek to a position within MAX_ERRNO of 2^64 fails EOVERFLOW (it would read as an errno)', 'drivers/char/mem.c memory_lseek()', BOTH, false),
  R('R-LSEEK-POS', 'any other position, negative offsets included, becomes f_pos and is returned', 'drivers/char/mem.c memory_lseek()', BOTH, false),
  R('R-MODULE-LOCKDOWN', 'under lockdown a module without a signature is refused: modprobe fails EPERM', 'kernel/module/signing.c module_sig_check() → security_locked_down(LOCKDOWN_MODULE_SIGNATURE)', BOTH, false),
  R('R-VMEM-UNLOAD-BUSY', 'unload with memory added keeps the parent; a reload fails EBUSY', 'drivers/virtio/virtio_mem.c virtio_mem_deinit_hotplug(), virtio_mem_create_resource()'),
  R('R-HIGHMEM-HOTADD', 'hot-add raises high_memory to the end of the added range and never lowers it', 'arch/x86/mm/init_64.c add_pages() → update_end_of_memory_vars()', X86),
  R('R-KCORE-OFFLINE', '5.14+: offline sections and PageOffline pages read as zeros from /proc/kcore', 'fs/proc/kcore.c read_kcore()'),
  R('R-MMAP-ARGS', 'mmap offset not page aligned or length 0: EINVAL before /dev/mem sees it', 'arch/x86/kernel/sys_x86_64.c and arch/arm64/kernel/sys.c sys_mmap(), mm/mmap.c do_mmap()', BOTH, false),
  R('R-MMAP-OK', 'mmap passed every check: all PTEs are filled at once', 'drivers/char/mem.c mmap_mem()', BOTH, false),
  R('R-KCORE-HOLE', 'ranges never added have no PT_LOAD in /proc/kcore and read as zeros', 'fs/proc/kcore.c read_kcore()', BOTH, false),
  R('R-KCORE-OPEN', '/proc/kcore open needs CAP_SYS_RAWIO and is refused under lockdown=confidentiality; without PROC_KCORE there is no file (ENOENT)', 'fs/proc/kcore.c open_kcore()', BOTH, false),
  R('R-PTRACE-VMREADV', 'process_vm_readv on a VM_IO|VM_PFNMAP mapping always fails EFAULT (ENOSYS without CROSS_MEMORY_ATTACH)', 'mm/process_vm_access.c → pin_user_pages_remote()', BOTH, false),
  R('R-A64-DIA-EXCL', 'page is exclusive to the kernel (tested first, no first-MiB exception): denied', 'lib/devmem_is_allowed.c devmem_is_allowed() → iomem_is_exclusive()', A64, false),
  R('R-A64-DIA-RAM', 'page lies wholly inside busy System RAM at any depth (page_is_ram()): denied; values 0 and 1 only', 'lib/devmem_is_allowed.c devmem_is_allowed() → kernel/resource.c page_is_ram() → walk_system_ram_range()', A64, false),
  R('R-A64-RW-MEMBLOCK', 'the range must lie inside one memblock.memory region whose start is not NOMAP (boot RAM and hot-added blocks never merge; a 0-byte access at 0 is outside), else EFAULT', 'arch/arm64/mm/mmap.c valid_phys_addr_range() → mm/memblock.c memblock_is_region_memory()/memblock_is_map_memory()', A64, false),
  R('R-A64-RW-COPY', 'an allowed chunk is copied from the linear map (xlate_dev_mem_ptr() is __va()); with STRICT_DEVMEM every memblock page is denied, so only STRICT_DEVMEM=n reaches it', 'drivers/char/mem.c read_mem()/write_mem() → include/asm-generic/io.h xlate_dev_mem_ptr()', A64, false),
  R('R-A64-MMAP-PABITS', 'offset + size with any bit at or above CONFIG_ARM64_PA_BITS fails EINVAL: the last page below 2^PA_BITS is refused', 'arch/arm64/mm/mmap.c valid_mmap_phys_addr_range(), drivers/char/mem.c mmap_mem()', A64, false),
  R('R-A64-TOUCH-SEA', 'a touch reaching an address the machine backs with nothing takes a synchronous external abort: SIGBUS/BUS_OBJERR (QEMU virt; judged only when the lab read the backed ranges)', 'arch/arm64/mm/fault.c do_sea() → arm64_notify_die()', A64, false),
  R('R-A64-PTRACE-RAM-WARN', 'ptrace on a memblock (RAM or COW) pfn: ioremap_allowed() refuses it with a WARNING on every attempt, EIO', 'mm/memory.c generic_access_phys() → mm/ioremap.c ioremap_prot() → arch/arm64/mm/ioremap.c ioremap_allowed()', A64, false),
];

export type RuleId = (typeof CATALOGUE)[number]['id'];

export const RULES: ReadonlyMap<RuleId, RuleInfo> = new Map(CATALOGUE.map((r) => [r.id as RuleId, r]));

export const RULE_IDS: readonly RuleId[] = CATALOGUE.map((r) => r.id);

export function ruleInfo(id: RuleId): RuleInfo {
  return RULES.get(id)!;
}

/** The rules a kernel of this architecture decides by, in catalogue order. */
export function rulesFor(arch: Arch): RuleId[] {
  return RULE_IDS.filter((id) => ruleInfo(id).arches.includes(arch));
}
