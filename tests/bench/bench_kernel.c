/* bench_kernel.c -- event-kernel throughput.
 *
 * hold_N: the classic hold model (hold_N_heaponly: the same on the plain
 * heap backend, to show what the calendar buys). The queue starts with N events at
 * exponential times; each event, when fired, schedules one more at
 * now + Exp(mean), so the queue size stays N. Reports events per second.
 *
 * phold: PHOLD on one process, set up as ROSS's phold model: 1024 LPs,
 * 16 events each initially, each event schedules one event at
 * now + lookahead 0.1 + Exp(mean 0.9), to a uniformly random LP (itself
 * included) with probability 0.1, else to itself, one random stream per
 * LP, end time 600; every event with timestamp below the end time is
 * counted, the initial ones included. Only the event loop is timed.
 * One model time unit is 1e6 ps, so rounding to whole picoseconds is far
 * below the distributions' resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kernel/kernel.h"
#include "base/rng.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what, kq_err e)
{
    fprintf(stderr, "bench_kernel: %s: %s\n", what, kq_strerror(e));
    exit(1);
}

/* ---- hold ------------------------------------------------------------ */

typedef struct {
    rng_stream rng;
    double mean_ps;
} hold_model;

static void hold_event(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    hold_model *m = ctx;
    uint64_t dt = (uint64_t)rng_exponential(&m->rng, m->mean_ps);
    kq_err e = kq_schedule_in(k, dt, 0, hold_event, m, NULL, 0, NULL);
    if (e != KQ_OK)
        die("hold schedule", e);
}

static void bench_hold(size_t n, uint64_t holds, kq_queue_kind kind)
{
    kq_kernel *k = kq_new_with(kind);
    hold_model m = {.mean_ps = 1e6};
    rng_seed(&m.rng, 1, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)rng_exponential(&m.rng, m.mean_ps);
        kq_err e = kq_schedule_at(k, t, 0, hold_event, &m, NULL, 0, NULL);
        if (e != KQ_OK)
            die("hold prefill", e);
    }
    /* Warm up so the queue's time distribution reaches its steady state. */
    kq_run(k, KQ_TIME_MAX, holds / 4);
    double t0 = wall_now();
    kq_run(k, KQ_TIME_MAX, holds);
    double dt = wall_now() - t0;
    printf("bench: hold_%zu%s events_per_sec %.0f\n", n,
           kind == KQ_QUEUE_HEAP ? "_heaponly" : "", (double)holds / dt);
    kq_free(k);
}

/* ---- PHOLD ----------------------------------------------------------- */

#define PHOLD_LPS 1024
#define PHOLD_START 16
#define PHOLD_UNIT_PS 1000000.0
#define PHOLD_END 600.0
#define PHOLD_LOOKAHEAD 0.1
#define PHOLD_MEAN 0.9
#define PHOLD_REMOTE 0.1

typedef struct phold phold;
typedef struct {
    rng_stream rng;
    phold *model;
} phold_lp;

struct phold {
    phold_lp lps[PHOLD_LPS];
};

static uint64_t phold_delay_ps(rng_stream *r)
{
    return (uint64_t)((PHOLD_LOOKAHEAD + rng_exponential(r, PHOLD_MEAN)) *
                      PHOLD_UNIT_PS);
}

static void phold_event(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    phold_lp *lp = ctx;
    phold_lp *dest = lp;
    if (rng_uniform(&lp->rng) < PHOLD_REMOTE)
        dest = &lp->model->lps[rng_below(&lp->rng, PHOLD_LPS)];
    kq_err e = kq_schedule_in(k, phold_delay_ps(&lp->rng), 0, phold_event,
                              dest, NULL, 0, NULL);
    if (e != KQ_OK)
        die("phold schedule", e);
}

static void bench_phold(void)
{
    phold *m = malloc(sizeof *m);
    kq_kernel *k = kq_new();
    if (!m || !k) {
        fprintf(stderr, "bench_kernel: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < PHOLD_LPS; i++) {
        m->lps[i].model = m;
        rng_seed(&m->lps[i].rng, 12345, (uint64_t)i);
        for (int j = 0; j < PHOLD_START; j++) {
            kq_err e = kq_schedule_at(k, phold_delay_ps(&m->lps[i].rng), 0,
                                      phold_event, &m->lps[i], NULL, 0, NULL);
            if (e != KQ_OK)
                die("phold init", e);
        }
    }
    uint64_t end_ps = (uint64_t)(PHOLD_END * PHOLD_UNIT_PS);
    double t0 = wall_now();
    kq_run(k, end_ps - 1, 0);
    double dt = wall_now() - t0;
    uint64_t n = kq_events_processed(k);
    printf("bench: phold events_per_sec %.0f\n", (double)n / dt);
    printf("bench: phold events %llu\n", (unsigned long long)n);
    printf("bench: phold wall_s %.3f\n", dt);
    printf("bench: phold queue_bytes_per_pending_event %.1f\n",
           (double)kq_memory_bytes(k) / (double)kq_peak_pending(k));
    printf("bench: phold peak_rss_kb %ld\n", peak_rss_kb());
    kq_free(k);
    free(m);
}

int main(int argc, char **argv)
{
    /* `bench_kernel hold N` or `bench_kernel phold` runs one benchmark. */
    if (argc == 3 && !strcmp(argv[1], "hold")) {
        bench_hold((size_t)strtoull(argv[2], NULL, 10), 10000000,
                   KQ_QUEUE_CALENDAR);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "phold")) {
        bench_phold();
        return 0;
    }
    bench_hold(1000, 20000000, KQ_QUEUE_CALENDAR);
    bench_hold(100000, 10000000, KQ_QUEUE_CALENDAR);
    bench_hold(1000000, 10000000, KQ_QUEUE_CALENDAR);
    /* The plain 4-ary heap, for comparison (kq_new_with(KQ_QUEUE_HEAP)). */
    bench_hold(1000, 20000000, KQ_QUEUE_HEAP);
    bench_hold(1000000, 10000000, KQ_QUEUE_HEAP);
    bench_phold();
    return 0;
}
