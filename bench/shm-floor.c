/*
 * shm-floor: the floors for the host's scan of a shared memory backend, all
 * in one process so they share one cache and one moment of machine load:
 *   extents      a plain lseek(SEEK_DATA)/lseek(SEEK_HOLE) loop over the
 *                whole sparse file (what ShmBackend.extents does, minus Node)
 *   pread        pread of the zero file in 256 KiB chunks (the addon's
 *                chunk size) into one buffer, nothing else: the copy alone
 *   pread+memcmp the same, each chunk compared with a zero chunk: a plain C
 *                program doing ShmBackend.firstNonZero's job the way the
 *                addon does it (native/shm_backend.cc FirstNonZero compares
 *                with one zero page, 4 KiB at a time)
 *   pread+shift  the same with the check the addon used until 2026-12-04
 *                (first byte zero and memcmp of the chunk against itself
 *                shifted by one): kept to show what that check cost
 *   memcmp       the zero test over an in-memory (anonymous, pre-touched)
 *                buffer as large as the file: no syscall, no copy
 *
 * usage: shm-floor SPARSE-FILE EXTENT-CALLS ZERO-FILE SCANS
 * prints: {"result":{"extentsNs":[..],"extents":N,"populatedBytes":N,
 *          "preadNs":[..],"preadCheckNs":[..],"preadShiftNs":[..],"memcmpNs":[..],"zeroBytes":N,
 *          "nonZero":N}}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256u << 10)

static void die(const char *what) {
  fprintf(stderr, "shm-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void print_samples(const char *name, const long long *v, int n) {
  printf("\"%s\":[", name);
  for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", v[i]);
  printf("],");
}

/* Counts populated extents in [0, end); adds their bytes to *bytes. */
static long extents(int fd, off_t end, long long *bytes) {
  long n = 0;
  off_t off = 0;
  *bytes = 0;
  while (off < end) {
    off_t data = lseek(fd, off, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;
      die("lseek SEEK_DATA");
    }
    off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0) die("lseek SEEK_HOLE");
    if (hole > end) hole = end;
    n++;
    *bytes += hole - data;
    off = hole;
  }
  return n;
}

/* native/shm_backend.cc's FirstNonZero, verbatim in C. */
static ssize_t first_nonzero_shift(const unsigned char *p, size_t n) {
  if (n == 0) return -1;
  if (p[0] == 0 && (n == 1 || memcmp(p, p + 1, n - 1) == 0)) return -1;
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return (ssize_t)i;
  return -1;
}

enum check { NONE, MEMCMP, SHIFT };

/* Reads the whole file in CHUNK preads; with a check, returns the first non-zero offset or -1. */
static long long pread_scan(int fd, off_t size, unsigned char *buf, const unsigned char *zero, enum check check) {
  for (off_t off = 0; off < size;) {
    size_t want = (size_t)(size - off < CHUNK ? size - off : CHUNK);
    ssize_t got = pread(fd, buf, want, off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) die("pread");
    if (got == 0) break;
    if (check == MEMCMP && memcmp(buf, zero, (size_t)got) != 0) {
      for (ssize_t i = 0; i < got; i++)
        if (buf[i]) return off + i;
    }
    if (check == SHIFT) {
      ssize_t hit = first_nonzero_shift(buf, (size_t)got);
      if (hit >= 0) return off + hit;
    }
    off += got;
  }
  return -1;
}

static long long memcmp_scan(const unsigned char *mem, size_t size, const unsigned char *zero) {
  for (size_t off = 0; off < size; off += CHUNK) {
    size_t n = size - off < CHUNK ? size - off : CHUNK;
    if (memcmp(mem + off, zero, n) != 0) {
      for (size_t i = 0; i < n; i++)
        if (mem[off + i]) return (long long)(off + i);
    }
  }
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: shm-floor SPARSE-FILE EXTENT-CALLS ZERO-FILE SCANS\n");
    return 2;
  }
  int calls = atoi(argv[2]), scans = atoi(argv[4]);
  long long *ext_ns = calloc((size_t)calls + 1, sizeof(long long));
  long long *pread_ns = calloc((size_t)scans + 1, sizeof(long long));
  long long *check_ns = calloc((size_t)scans + 1, sizeof(long long));
  long long *shift_ns = calloc((size_t)scans + 1, sizeof(long long));
  long long *mem_ns = calloc((size_t)scans + 1, sizeof(long long));
  if (!ext_ns || !pread_ns || !check_ns || !shift_ns || !mem_ns) die("calloc");

  int sfd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (sfd < 0) die(argv[1]);
  struct stat st;
  if (fstat(sfd, &st) < 0) die("fstat");
  long long populated = 0;
  long n_ext = extents(sfd, st.st_size, &populated);
  for (int i = 0; i < calls; i++) {
    long long t0 = now_ns();
    n_ext = extents(sfd, st.st_size, &populated);
    ext_ns[i] = now_ns() - t0;
  }
  close(sfd);

  int zfd = open(argv[3], O_RDONLY | O_CLOEXEC);
  if (zfd < 0) die(argv[3]);
  if (fstat(zfd, &st) < 0) die("fstat");
  off_t zsize = st.st_size;
  /* Page-aligned, as the addon's scratch buffer: the kernel's copy into a
   * destination 16 bytes past a page boundary (where malloc puts a chunk
   * this large) ran at 0.3x on an AMD EPYC host. */
  unsigned char *buf = aligned_alloc(4096, CHUNK);
  unsigned char *zero = calloc(1, CHUNK);
  unsigned char *mem = malloc((size_t)zsize);
  if (!buf || !zero || !mem) die("malloc");
  /*
   * Fault in real pages by writing each one: a fresh anonymous mapping reads
   * as the shared zero page (always in cache), and compilers turn
   * malloc+memset(0) into calloc, which never touches the pages.
   */
  for (size_t i = 0; i < (size_t)zsize; i += 4096) ((volatile unsigned char *)mem)[i] = 1;
  for (size_t i = 0; i < (size_t)zsize; i += 4096) ((volatile unsigned char *)mem)[i] = 0;
  for (size_t i = 0; i < CHUNK; i += 4096) ((volatile unsigned char *)zero)[i] = 0;
  long long nonzero = pread_scan(zfd, zsize, buf, zero, MEMCMP); /* warm-up pass */
  for (int i = 0; i < scans; i++) {
    /* Interleaved, so all three see the same moments of machine load. */
    long long t0 = now_ns();
    pread_scan(zfd, zsize, buf, zero, NONE);
    pread_ns[i] = now_ns() - t0;
    t0 = now_ns();
    nonzero = pread_scan(zfd, zsize, buf, zero, MEMCMP);
    check_ns[i] = now_ns() - t0;
    t0 = now_ns();
    long long o = pread_scan(zfd, zsize, buf, zero, SHIFT);
    shift_ns[i] = now_ns() - t0;
    if (o != -1) nonzero = o;
    t0 = now_ns();
    long long m = memcmp_scan(mem, (size_t)zsize, zero);
    mem_ns[i] = now_ns() - t0;
    if (m != -1) nonzero = m;
  }
  close(zfd);

  printf("{\"result\":{");
  print_samples("extentsNs", ext_ns, calls);
  printf("\"extents\":%ld,\"populatedBytes\":%lld,", n_ext, populated);
  print_samples("preadNs", pread_ns, scans);
  print_samples("preadCheckNs", check_ns, scans);
  print_samples("preadShiftNs", shift_ns, scans);
  print_samples("memcmpNs", mem_ns, scans);
  printf("\"zeroBytes\":%lld,\"nonZero\":%lld}}\n", (long long)zsize, nonzero);
  free(mem);
  return 0;
}
