/*
 * qmp-client: the floor for a QMP round trip. A minimal client with no
 * event loop and no JSON parser: blocking connect, write and read on the
 * unix socket; a reply is the next line holding "return" or "error" (event
 * lines are skipped). It sends the same commands, with ids, as the Node
 * clients in bench/qmp-loop.ts, interleaved the same way.
 *
 * usage: qmp-client SOCKET DEVICE-PATH ITERATIONS WARMUP
 * prints: {"result":{"samplesNs":{"query-status":[...],"qom-get":[...],
 *          "qom-set":[...]},"requestedSize":N}}
 * exit 1 with a message on stderr on any failure (QEMU answered "error",
 * the socket closed, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static char in[1 << 16];
static size_t in_len;

static void die(const char *what) {
  fprintf(stderr, "qmp-client: %s: %s\n", what, errno ? strerror(errno) : "failed");
  exit(1);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Next complete line into line (NUL-terminated, without "\r\n"). */
static void read_line(char *line, size_t cap) {
  for (;;) {
    char *nl = memchr(in, '\n', in_len);
    if (nl) {
      size_t n = (size_t)(nl - in);
      size_t keep = n > 0 && in[n - 1] == '\r' ? n - 1 : n;
      if (keep >= cap) keep = cap - 1;
      memcpy(line, in, keep);
      line[keep] = 0;
      memmove(in, nl + 1, in_len - n - 1);
      in_len -= n + 1;
      return;
    }
    if (in_len == sizeof(in)) { errno = EMSGSIZE; die("read"); }
    ssize_t r = read(fd, in + in_len, sizeof(in) - in_len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read");
    if (r == 0) { errno = 0; die("QEMU closed the connection"); }
    in_len += (size_t)r;
  }
}

static void write_all(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) die("write");
    s += w;
    n -= (size_t)w;
  }
}

/* Sends one command and reads lines until its reply; returns the reply line. */
static const char *round_trip(const char *cmd, size_t n) {
  static char line[1 << 16];
  write_all(cmd, n);
  for (;;) {
    read_line(line, sizeof(line));
    if (strstr(line, "\"return\"")) return line;
    if (strstr(line, "\"error\"")) {
      errno = 0;
      fprintf(stderr, "qmp-client: %s -> %s\n", cmd, line);
      exit(1);
    }
    /* An event or anything else: not our reply. */
  }
}

static void print_samples(const char *name, const long long *v, int n, int last) {
  printf("\"%s\":[", name);
  for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", v[i]);
  printf("]%s", last ? "" : ",");
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: qmp-client SOCKET DEVICE-PATH ITERATIONS WARMUP\n");
    return 2;
  }
  const char *sock = argv[1], *dev = argv[2];
  int iterations = atoi(argv[3]), warmup = atoi(argv[4]);

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(sock) >= sizeof(addr.sun_path)) { errno = ENAMETOOLONG; die("connect"); }
  strcpy(addr.sun_path, sock);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("connect");

  char line[1 << 12];
  read_line(line, sizeof(line)); /* greeting */
  if (!strstr(line, "\"QMP\"")) { errno = 0; die("no QMP greeting"); }
  static const char caps[] = "{\"execute\":\"qmp_capabilities\",\"id\":0}\n";
  round_trip(caps, sizeof(caps) - 1);

  char get[512], set[512], status[128];
  int len = snprintf(get, sizeof(get),
                     "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"%s\",\"property\":\"requested-size\"},\"id\":1}\n", dev);
  const char *reply = round_trip(get, (size_t)len);
  const char *ret = strstr(reply, "\"return\":");
  if (!ret) { errno = 0; die("qom-get gave no return"); }
  long long requested = strtoll(ret + strlen("\"return\":"), NULL, 10);

  long long *samples[3];
  for (int c = 0; c < 3; c++) {
    samples[c] = calloc((size_t)(iterations > 0 ? iterations : 1), sizeof(long long));
    if (!samples[c]) die("calloc");
  }
  int id = 2;
  for (int i = 0; i < warmup + iterations; i++) {
    for (int c = 0; c < 3; c++) {
      /* Timed like the Node clients: from building the request to the reply. */
      long long t0 = now_ns();
      char *cmd;
      int n;
      if (c == 0) {
        cmd = status;
        n = snprintf(status, sizeof(status), "{\"execute\":\"query-status\",\"id\":%d}\n", id++);
      } else if (c == 1) {
        cmd = get;
        n = snprintf(get, sizeof(get),
                     "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"%s\",\"property\":\"requested-size\"},\"id\":%d}\n",
                     dev, id++);
      } else {
        cmd = set;
        n = snprintf(set, sizeof(set),
                     "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"%s\",\"property\":\"requested-size\",\"value\":%lld},\"id\":%d}\n",
                     dev, requested, id++);
      }
      round_trip(cmd, (size_t)n);
      long long dt = now_ns() - t0;
      if (i >= warmup) samples[c][i - warmup] = dt;
    }
  }
  close(fd);

  printf("{\"result\":{\"samplesNs\":{");
  print_samples("query-status", samples[0], iterations, 0);
  print_samples("qom-get", samples[1], iterations, 0);
  print_samples("qom-set", samples[2], iterations, 1);
  printf("},\"requestedSize\":%lld}}\n", requested);
  return 0;
}
