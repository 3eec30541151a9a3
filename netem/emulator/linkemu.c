// linkemu: the userspace link emulator of bench (DESIGN.md, "The lab": backend userspace).
// Two TUN devices, one created inside each lab namespace (via setns, so nothing ever
// appears in the host namespace), and a forwarder between them applying per direction:
// loss (Bernoulli or Gilbert-Elliott, seeded), rate by serialisation behind a byte-limited
// droptail queue, then delay +- uniform jitter, in FIFO order unless reorder=1.
// Design follows the measurement in DESIGN.md: epoll + one absolute CLOCK_MONOTONIC
// timerfd + timer slack 1 ns; no SCHED_FIFO, no busy polling (both made timing worse).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000.0
#define READ_BATCH 64

struct pkt { struct pkt *next; /* free list */ uint32_t len; uint8_t data[]; };

/* Keys live in the queue array, not in the packets: popping never touches packet memory. */
struct slot { uint64_t release, seq; struct pkt *p; };

struct dir {
  const char *name;
  /* configuration */
  double delay_ns, jitter_ns, loss, rate_bps;
  int reorder, ge;
  double ge_p, ge_r, ge_bad, ge_good;
  uint64_t limit_bytes;
  /* state */
  int in_fd, out_fd, ge_in_bad;
  uint64_t tx_end, last_release, seq, rng[4], buffered;
  /* Loss streams: calibration probes draw from their own seed (--probe-seed), so the probe's
   * loss pattern is not the workloads' and differs between runs; the "workloads" command
   * (SIGUSR2 when detached) makes each forwarder restart from its --seed stream, so the
   * workloads' pattern does not depend on how many packets calibration used (issue 15).
   * want_gen is bumped by the uplink process; each forwarder compares it with its own gen. */
  uint64_t workload_seed;
  uint32_t want_gen, gen;
  /* A low quantile (~10 %) of the timer wake-up latency, tracked online: the timer is armed
   * this much before a release time, so most wake-ups land just after it instead of a full
   * latency late (on a loaded VM the latency alone is ~0.1 ms per hop). A wake-up before
   * the release time re-arms for the exact time: no packet ever leaves early. */
  uint64_t lead_ns;
  struct slot *q; /* FIFO ring (reorder=0) or binary min-heap (reorder=1) */
  size_t head, n, cap;
  /* counters */
  uint64_t forwarded, bytes, drop_loss, drop_queue, drop_overflow, drop_write, queue_peak;
  int64_t error_ns; /* sum of (actual - intended) send times, never negative: the emulator's own lateness */
} __attribute__((aligned(64))); /* up and down live side by side in shared memory and are
                                    written by different processes: no shared cache line */

/* Shared memory: each direction is forwarded by its own process (see main), and the
 * uplink process reports the counters of both. */
static struct dir *up, *down;
static struct pkt *free_list; /* per process */
static size_t buf_size;
static uint64_t max_buffered, start_ns;
/* Quantile tracking: up by LEAD_UP_NS on a wake-up later than the lead, down by LEAD_DOWN_NS
 * on an earlier one, which settles where 10 % of wake-ups are early (2 / (2 + 18)). */
#define LEAD_UP_NS 2000
#define LEAD_DOWN_NS 18000
#define LEAD_MAX_NS 200000
static const char *stats_file;
static int probe_phase; /* 1 while the loss streams are the probe's (--probe-seed given, no "workloads" yet) */

/* Switch both directions to the workloads' loss streams (idempotent), then report: the
 * report is the caller's acknowledgement that every later packet draws from them. */
static void workloads_seed(void);

static _Noreturn void usage(const char *why) {
  fprintf(stderr,
          "linkemu: %s\n"
          "usage: linkemu --client-ns PATH --server-ns PATH [options]\n"
          "  --up SPEC / --down SPEC   comma list: delay_us=N jitter_us=N reorder=0|1 loss_pct=X\n"
          "                            ge=P:R:BAD:GOOD (percent) rate_bps=N (0=unlimited) limit_bytes=N\n"
          "  --dev NAME (lab0)  --mtu N (1500)  --txqueuelen N (10000)  --seed N (1)\n"
          "  --probe-seed N (loss streams until the \"workloads\" command or SIGUSR2; then --seed's)\n"
          "  --tag TEXT (names the owner, for cleanup)  --max-buffer-mb N (512)\n"
          "  --daemon (detach; print pid)  --stats-file PATH (counters on SIGUSR1 and at exit)\n"
          "stdin command \"stats\" or SIGUSR1 prints counters as one JSON line; \"workloads\" or\n"
          "SIGUSR2 switches the loss streams to --seed's and prints them.\n",
          why);
  exit(2);
}

static _Noreturn void die(const char *what) { perror(what); exit(1); }

static uint64_t now_ns(void) {
  struct timespec ts;
  return clock_gettime(CLOCK_MONOTONIC, &ts), (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xoshiro256** seeded by splitmix64: reproducible loss patterns for a given --seed. */
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static double rnd(struct dir *d) {
  uint64_t *s = d->rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return (double)(r >> 11) * 0x1.0p-53;
}

static double num(const char *s, double lo, double hi, const char *what) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  char msg[160];
  if (errno || end == s || *end || !(v >= lo && v <= hi)) usage((snprintf(msg, sizeof msg, "bad %s \"%s\" (allowed %g..%g)", what, s, lo, hi), msg));
  return v;
}

static void parse_spec(struct dir *d, char *spec) {
  for (char *save, *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *v = strchr(kv, '=');
    if (!v) usage("direction spec items must be key=value");
    *v++ = 0;
    if (!strcmp(kv, "delay_us")) d->delay_ns = num(v, 0, 60e6, "delay_us") * 1e3;
    else if (!strcmp(kv, "jitter_us")) d->jitter_ns = num(v, 0, 60e6, "jitter_us") * 1e3;
    else if (!strcmp(kv, "reorder")) d->reorder = (int)num(v, 0, 1, "reorder");
    else if (!strcmp(kv, "loss_pct")) d->loss = num(v, 0, 100, "loss_pct") / 100;
    else if (!strcmp(kv, "rate_bps")) d->rate_bps = num(v, 0, 1e12, "rate_bps");
    else if (!strcmp(kv, "limit_bytes")) d->limit_bytes = (uint64_t)num(v, 1, 1e10, "limit_bytes");
    else if (!strcmp(kv, "ge")) {
      char *f[4], *s2;
      int i = 0;
      for (char *t = strtok_r(v, ":", &s2); t && i < 4; t = strtok_r(NULL, ":", &s2)) f[i++] = t;
      if (i != 4) usage("ge needs P:R:BAD:GOOD");
      d->ge = 1;
      d->ge_p = num(f[0], 0, 100, "ge P") / 100, d->ge_r = num(f[1], 0, 100, "ge R") / 100;
      d->ge_bad = num(f[2], 0, 100, "ge BAD") / 100, d->ge_good = num(f[3], 0, 100, "ge GOOD") / 100;
    } else {
      char msg[96];
      usage((snprintf(msg, sizeof msg, "unknown spec key \"%.40s\"", kv), msg));
    }
  }
  if (d->jitter_ns > d->delay_ns) usage("jitter_us must not exceed delay_us");
  /* Default queue: one bandwidth-delay product of this direction, at least 64 KB. */
  if (d->rate_bps > 0 && !d->limit_bytes) {
    double bdp = d->rate_bps / 8 * 2 * d->delay_ns / NS_PER_SEC;
    d->limit_bytes = bdp > 65536 ? (uint64_t)bdp : 65536;
  }
}

static void seed_rng(struct dir *d, uint64_t x) {
  for (int i = 0; i < 4; i++) d->rng[i] = splitmix(&x);
  d->ge_in_bad = 0;
}

static int lost(struct dir *d) {
  uint32_t want = __atomic_load_n(&d->want_gen, __ATOMIC_ACQUIRE);
  if (want != d->gen) d->gen = want, seed_rng(d, d->workload_seed);
  if (!d->ge) return d->loss > 0 && rnd(d) < d->loss;
  /* Transition first, then draw loss for the state the packet meets. */
  if (rnd(d) < (d->ge_in_bad ? d->ge_r : d->ge_p)) d->ge_in_bad = !d->ge_in_bad;
  return rnd(d) < (d->ge_in_bad ? d->ge_bad : d->ge_good);
}

/* The delay line. Without reorder, release times only grow, so it is a FIFO ring (O(1));
 * with reorder it is a min-heap on (release, seq). cap is a power of two. */
static int earlier(const struct slot *a, const struct slot *b) {
  return a->release < b->release || (a->release == b->release && a->seq < b->seq);
}
static void q_push(struct dir *d, struct slot s) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 4096;
    struct slot *q = malloc(cap * sizeof *q);
    if (!q) die("linkemu: malloc");
    for (size_t i = 0; i < d->n; i++) q[i] = d->q[(d->head + i) & (d->cap - 1)];
    free(d->q);
    d->q = q, d->cap = cap, d->head = 0;
  }
  if (!d->reorder) { d->q[(d->head + d->n++) & (d->cap - 1)] = s; return; }
  size_t i = d->n++;
  while (i > 0 && earlier(&s, &d->q[(i - 1) / 2])) d->q[i] = d->q[(i - 1) / 2], i = (i - 1) / 2;
  d->q[i] = s;
}
static struct pkt *q_pop(struct dir *d) {
  struct slot top = d->q[d->head];
  if (!d->reorder) return d->head = (d->head + 1) & (d->cap - 1), d->n--, top.p;
  struct slot last = d->q[--d->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= d->n) break;
    if (c + 1 < d->n && earlier(&d->q[c + 1], &d->q[c])) c++;
    if (!earlier(&d->q[c], &last)) break;
    d->q[i] = d->q[c], i = c;
  }
  if (d->n) d->q[i] = last;
  return top.p;
}

static struct pkt *pkt_get(void) {
  struct pkt *p = free_list;
  if (p) free_list = p->next;
  else if (!(p = malloc(sizeof *p + buf_size))) die("linkemu: malloc");
  return p;
}
static void pkt_put(struct pkt *p) { p->next = free_list, free_list = p; }

/* Read what the kernel has queued on one TUN device and schedule each packet. */
static void rx(struct dir *d) {
  for (int i = 0; i < READ_BATCH; i++) {
    struct pkt *p = pkt_get();
    ssize_t n = read(d->in_fd, p->data, buf_size);
    if (n <= 0) {
      if (pkt_put(p), n < 0 && errno != EAGAIN && errno != EINTR) die("linkemu: read");
      return;
    }
    uint64_t now = now_ns();
    p->len = (uint32_t)n;
    if (lost(d)) { d->drop_loss++, pkt_put(p); continue; }
    uint64_t depart = now;
    /* Checked before the rate block: a packet dropped here must not occupy serialization time. */
    if (d->buffered + p->len > max_buffered) { d->drop_overflow++, pkt_put(p); continue; }
    if (d->rate_bps > 0) {
      uint64_t backlog = d->tx_end > now ? (uint64_t)((d->tx_end - now) * d->rate_bps / 8 / NS_PER_SEC) : 0;
      if (backlog + p->len > d->limit_bytes) { d->drop_queue++, pkt_put(p); continue; }
      if (backlog + p->len > d->queue_peak) d->queue_peak = backlog + p->len;
      depart = (d->tx_end > now ? d->tx_end : now) + (uint64_t)(p->len * 8 * NS_PER_SEC / d->rate_bps);
      d->tx_end = depart;
    }
    double j = d->jitter_ns > 0 ? (2 * rnd(d) - 1) * d->jitter_ns : 0;
    uint64_t rel = depart + (uint64_t)(d->delay_ns + j);
    if (!d->reorder && rel < d->last_release) rel = d->last_release;
    d->last_release = rel;
    d->buffered += p->len;
    q_push(d, (struct slot){rel, d->seq++, p});
  }
}

/* Hand every packet due by `*now` to the other namespace (none before its release time);
 * returns the next release time or 0. `*now` advances with each write, so packets that come
 * due during a batch leave in it instead of waiting for a timer already in the past. */
static uint64_t flush(struct dir *d, uint64_t *now) {
  while (d->n && d->q[d->head].release <= *now) {
    uint64_t release = d->q[d->head].release;
    struct pkt *p = q_pop(d);
    d->buffered -= p->len;
    if (write(d->out_fd, p->data, p->len) == (ssize_t)p->len) {
      d->forwarded++, d->bytes += p->len;
      /* Time each packet after its own write: a write runs the receiving stack, so later
       * packets of a batch leave later, and the error must show it (emulator-overload). */
      *now = now_ns();
      d->error_ns += (int64_t)(*now - release);
    } else d->drop_write++;
    pkt_put(p);
  }
  return d->n ? d->q[d->head].release : 0;
}

static int counters(char *out, size_t cap) {
  int k = snprintf(out, cap, "{\"uptime_ms\":%llu", (unsigned long long)((now_ns() - start_ns) / 1000000));
  for (struct dir *d = up; d; d = d == up ? down : NULL) {
    const char *names[] = {"forwarded", "bytes", "dropped_loss", "dropped_queue", "dropped_overflow", "dropped_write", "queue_peak_bytes", "in_flight", "timer_lead_us"};
    uint64_t vals[] = {d->forwarded, d->bytes, d->drop_loss, d->drop_queue, d->drop_overflow, d->drop_write, d->queue_peak, d->n, d->lead_ns / 1000};
    for (int i = 0; i < 9; i++) k += snprintf(out + k, cap - k, ",\"%s_%s\":%llu", d->name, names[i], (unsigned long long)vals[i]);
    k += snprintf(out + k, cap - k, ",\"%s_delay_error_us_mean\":%.1f", d->name, d->forwarded ? (double)d->error_ns / (double)d->forwarded / 1000 : 0.0);
  }
  k += snprintf(out + k, cap - k, ",\"probe_seed_active\":%d", probe_phase);
  return k + snprintf(out + k, cap - k, "}\n");
}

static void report(void);
static void workloads_seed(void) {
  if (probe_phase) {
    probe_phase = 0;
    __atomic_add_fetch(&up->want_gen, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&down->want_gen, 1, __ATOMIC_RELEASE);
  }
  report();
}

static void report(void) {
  char buf[1024];
  int k = counters(buf, sizeof buf);
  if (write(1, buf, k) < 0) { /* stdout may be gone (parent died); the stats file still gets it */ }
  if (stats_file) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", stats_file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int ok = fd >= 0 && write(fd, buf, k) == k;
    if (fd >= 0 && !close(fd) && ok) rename(tmp, stats_file);
  }
}

/* Create the TUN device inside the namespace at `ns_path`; the fd keeps working after we
 * return to our own namespace, and the device dies with us (not persistent). */
static int tun_in_ns(const char *ns_path, const char *dev, int mtu, int txqlen, int home) {
  int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) { fprintf(stderr, "linkemu: enter %s: %s\n", ns_path, strerror(errno)); exit(1); }
  close(ns);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  struct ifreq ifr = {0};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { fprintf(stderr, "linkemu: TUN %s in %s: %s\n", dev, ns_path, strerror(errno)); exit(1); }
  /* The kernel's default txqueuelen (500) drops silently at high rates (DESIGN.md). */
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifr.ifr_qlen = txqlen;
  if (s < 0 || ioctl(s, SIOCSIFTXQLEN, &ifr) < 0) die("linkemu: set txqueuelen");
  ifr.ifr_mtu = mtu;
  if (ioctl(s, SIOCSIFMTU, &ifr) < 0) die("linkemu: set mtu");
  close(s);
  if (setns(home, CLONE_NEWNET) < 0) die("linkemu: return to own namespace");
  return fd;
}

static void daemonize(void) {
  int p[2];
  char c = 0;
  if (pipe(p) < 0) die("linkemu: pipe");
  pid_t pid = fork();
  if (pid < 0) die("linkemu: fork");
  if (pid > 0) {
    /* Report the survivor's pid only once it no longer holds our caller's pipes. */
    if (close(p[1]), read(p[0], &c, 1) != 1) fprintf(stderr, "linkemu: daemon failed to start\n"), exit(1);
    printf("{\"event\":\"ready\",\"pid\":%d}\n", pid), exit(0);
  }
  int nul = open("/dev/null", O_RDWR);
  close(p[0]), setsid(), dup2(nul, 0), dup2(nul, 1), dup2(nul, 2);
  if (nul > 2) close(nul);
  if (write(p[1], &c, 1) != 1) exit(1);
  close(p[1]);
}

static void add_fd(int ep, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("linkemu: epoll_ctl");
}

/* Forward one direction. The uplink process also serves the signalfd and stdin commands
 * (sfd >= 0, watch_stdin); returns when asked to exit. */
static void forward(struct dir *d, int sfd, int watch_stdin, pid_t parent) {
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), ep = epoll_create1(EPOLL_CLOEXEC);
  if (tfd < 0 || ep < 0) die("linkemu: setup");
  add_fd(ep, d->in_fd), add_fd(ep, tfd);
  if (sfd >= 0) add_fd(ep, sfd);
  if (watch_stdin) {
    /* Commands come on a stdin pipe; a file or tty there (manual runs) is not watched. */
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = 0};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0) fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  }
  /* wanted release; when the timer should fire; when it did; a release the timer woke up
   * too early for, so it is re-armed for that exact time */
  uint64_t armed = 0, armed_at = 0, woke = 0, exact = 0;
  int fired = 0, clean = 0;
  char cmd[256];
  for (;;) {
    uint64_t now = now_ns();
    if (fired && clean) {
      /* Only a wake-up for the timer alone measures timer latency; under load the loop is
       * busy and lateness is backlog, which an earlier timer would not fix. */
      uint64_t late = woke > armed_at ? woke - armed_at : 0;
      d->lead_ns = late > d->lead_ns ? (d->lead_ns + LEAD_UP_NS < LEAD_MAX_NS ? d->lead_ns + LEAD_UP_NS : LEAD_MAX_NS)
                                     : (d->lead_ns > LEAD_DOWN_NS ? d->lead_ns - LEAD_DOWN_NS : 0);
    }
    if (fired) {
      if (armed > now) exact = armed; /* the lead was more than this wake-up's latency */
      fired = 0, armed = 0;           /* a consumed timer must always be re-armed */
    }
    uint64_t next = flush(d, &now);
    if (next && next != armed) {
      /* Exact when the lead already failed for this release, or would arm in the past (a
       * timer that fires at once measures no wake-up latency). */
      uint64_t at = next == exact || next - d->lead_ns <= now ? next : next - d->lead_ns;
      struct itimerspec it = {.it_value = {.tv_sec = at / 1000000000ull, .tv_nsec = at % 1000000000ull}};
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &it, NULL);
      armed = next, armed_at = at;
    }
    struct epoll_event evs[8];
    int n = epoll_wait(ep, evs, 8, 1000);
    woke = now_ns(), clean = n == 1 && evs[0].data.fd == tfd;
    if (n < 0 && errno != EINTR) die("linkemu: epoll_wait");
    if (n == 0 && parent && getppid() != parent) return; /* PDEATHSIG's backstop */
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == d->in_fd) rx(d);
      else if (fd == tfd) {
        uint64_t x;
        fired = read(tfd, &x, sizeof x) == sizeof x;
      } else if (fd == sfd) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) {
          if (si.ssi_signo == SIGUSR1) report();
          else if (si.ssi_signo == SIGUSR2) workloads_seed();
          else {
            if (si.ssi_signo == SIGCHLD) fprintf(stderr, "linkemu: the downlink process died\n");
            return;
          }
        }
      } else if (fd == 0) {
        /* Commands are single short lines ("stats", "quit") from one writer: a read holds
         * whole commands, so no line reassembly is needed. */
        ssize_t r = read(0, cmd, sizeof cmd - 1);
        if (r == 0) return; /* owner closed our stdin: it is gone or done with us */
        if (r < 0) continue;
        cmd[r] = 0;
        if (strstr(cmd, "workloads")) workloads_seed();
        for (char *c = cmd; (c = strstr(c, "stats")); c += 5) report();
        if (strstr(cmd, "quit")) return;
      }
    }
  }
}

int main(int argc, char **argv) {
  const char *cns = NULL, *sns = NULL, *dev = "lab0";
  int mtu = 1500, txqlen = 10000, daemon_mode = 0;
  uint64_t seed = 1, probe_seed = 0;
  double max_mb = 512;
  pid_t parent = getppid();
  up = mmap(NULL, 2 * sizeof *up, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (up == MAP_FAILED) die("linkemu: mmap");
  down = up + 1, up->name = "up", down->name = "down";
  static struct option opts[] = {
      {"client-ns", 1, 0, 'c'}, {"server-ns", 1, 0, 's'}, {"up", 1, 0, 'u'},     {"down", 1, 0, 'd'},
      {"dev", 1, 0, 'n'},       {"mtu", 1, 0, 'm'},       {"txqueuelen", 1, 0, 'q'}, {"seed", 1, 0, 'r'},
      {"probe-seed", 1, 0, 'p'},
      {"tag", 1, 0, 't'},       {"daemon", 0, 0, 'D'},    {"stats-file", 1, 0, 'f'}, {"max-buffer-mb", 1, 0, 'b'},
      {"help", 0, 0, 'h'},      {0, 0, 0, 0}};
  for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    switch (o) {
      case 'c': cns = optarg; break;
      case 's': sns = optarg; break;
      /* Parse copies: strtok would otherwise rewrite our argv as seen in /proc/<pid>/cmdline. */
      case 'u': parse_spec(up, strdup(optarg)); break;
      case 'd': parse_spec(down, strdup(optarg)); break;
      case 'n': if (strlen(optarg) >= IFNAMSIZ || !*optarg) usage("bad --dev"); dev = optarg; break;
      case 'm': mtu = (int)num(optarg, 576, 9000, "mtu"); break;
      case 'q': txqlen = (int)num(optarg, 1, 1e6, "txqueuelen"); break;
      case 'r': seed = (uint64_t)num(optarg, 0, 9007199254740991.0, "seed"); break;
      case 'p': probe_seed = (uint64_t)num(optarg, 0, 9007199254740991.0, "probe-seed"), probe_phase = 1; break;
      case 't': break; /* only read by `bench cleanup` from /proc/<pid>/cmdline */
      case 'D': daemon_mode = 1; break;
      case 'f': stats_file = optarg; break;
      case 'b': max_mb = num(optarg, 1, 65536, "max-buffer-mb"); break;
      case 'h': usage("help");
      default: usage("unknown option");
    }
  }
  if (optind < argc) usage("unexpected argument");
  if (!cns || !sns) usage("--client-ns and --server-ns are required");
  buf_size = (size_t)mtu + 64, max_buffered = (uint64_t)(max_mb * 1048576);
  prctl(PR_SET_TIMERSLACK, 1UL);
  if (!daemon_mode) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 0; /* parent died before the prctl took effect */
  }
  /* An independent stream per direction; the probe's streams are derived the same way from
   * its own seed (and a different constant, so --probe-seed N never replays --seed N). */
  up->workload_seed = seed ^ 0x7570ull, down->workload_seed = seed ^ 0x646f776eull;
  if (probe_phase) seed_rng(up, probe_seed ^ 0x70726f6265ull ^ 0x7570ull), seed_rng(down, probe_seed ^ 0x70726f6265ull ^ 0x646f776eull);
  else seed_rng(up, up->workload_seed), seed_rng(down, down->workload_seed);
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) die("linkemu: own namespace");
  up->in_fd = down->out_fd = tun_in_ns(cns, dev, mtu, txqlen, home);
  down->in_fd = up->out_fd = tun_in_ns(sns, dev, mtu, txqlen, home);
  signal(SIGPIPE, SIG_IGN);
  if (daemon_mode) daemonize();
  sigset_t sigs;
  sigemptyset(&sigs), sigaddset(&sigs, SIGTERM), sigaddset(&sigs, SIGINT), sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGUSR1), sigaddset(&sigs, SIGUSR2), sigaddset(&sigs, SIGCHLD);
  sigprocmask(SIG_BLOCK, &sigs, NULL);
  start_ns = now_ns();
  /* The downlink gets its own process: most of the emulator's CPU is kernel work inside
   * write(), where the receiving namespace's stack runs in our context (~2/3 measured), so
   * one process per direction lets a bulk transfer's data and ACKs use two CPUs. */
  pid_t me = getpid(), worker = fork();
  if (worker < 0) die("linkemu: fork");
  if (worker == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != me) _exit(0);
    signal(SIGUSR1, SIG_IGN), signal(SIGUSR2, SIG_IGN); /* the uplink process's job; SIGTERM etc. end us */
    sigprocmask(SIG_UNBLOCK, &sigs, NULL);
    forward(down, -1, 0, me);
    _exit(0);
  }
  int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("linkemu: signalfd");
  if (!daemon_mode) printf("{\"event\":\"ready\",\"pid\":%d}\n", me), fflush(stdout);
  forward(up, sfd, !daemon_mode, daemon_mode ? 0 : parent);
  kill(worker, SIGKILL);
  waitpid(worker, NULL, 0);
  report();
  return 0;
}
