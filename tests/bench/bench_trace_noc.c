/* bench_trace_noc.c -- what tracing costs the NoC: an 8x8 mesh, uniform
 * traffic at 0.3 flits/terminal/cycle, 1-flit packets, 100k cycles of
 * injection, run untraced, traced in full detail and traced as a summary.
 * Prints wall and CPU times (best of two runs: the machine is shared),
 * the extra time tracing costs, and bytes per slice of the full trace.
 * Targets (issue 7): under 30 % extra time, under 64 bytes per slice. */
#include <stdio.h>
#include <time.h>

#include "../unit/trace_noc_driver.h"
#include "noc/trc_noc.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One run; level < 0: untraced. Returns CPU seconds (the machine is
 * shared, so CPU time is the steadier figure), fills *wall and st. */
static double run(int level, const char *path, double *wall, trc_stats *st)
{
    drv_config dc = {8, 0.3, 1, 0, 1, 100000, 1};
    drv d;
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    if (drv_init(&d, &dc))
        return -1;
    trc_writer *w = NULL;
    trc_noc *r = NULL;
    base_error err;
    if (level >= 0) {
        trc_options o;
        trc_options_default(&o);
        o.level = level ? TRC_FULL : TRC_SUMMARY;
        w = trc_open(path, &o, &err);
        r = w ? trc_noc_new(w, d.n, 100, &err) : NULL;
        if (!r) {
            fprintf(stderr, "bench_trace_noc: %s\n", err.msg);
            return -1;
        }
    }
    uint64_t end = drv_run(&d);
    if (r) {
        trc_noc_finish(r, end);
        trc_noc_free(r);
        if (trc_close_stats(w, end, st, &err)) {
            fprintf(stderr, "bench_trace_noc: %s\n", err.msg);
            return -1;
        }
    }
    drv_free(&d);
    *wall = clock_s(CLOCK_MONOTONIC) - w0;
    return clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
}

int main(void)
{
    const char *path = "build/bench_trace_noc.pftrace";
    double best[3] = {1e30, 1e30, 1e30}, wall[3] = {1e30, 1e30, 1e30};
    trc_stats full = {0}, summary = {0};
    for (int rep = 0; rep < 2; rep++)
        for (int k = 0; k < 3; k++) {
            trc_stats st;
            double ws, s = run(k - 1, path, &ws, &st);
            if (s < 0)
                return 1;
            if (s < best[k])
                best[k] = s;
            if (ws < wall[k])
                wall[k] = ws;
            if (k == 1)
                summary = st;
            if (k == 2)
                full = st;
        }
    remove(path);
    printf("bench: trace_noc_8x8_u0.3_100k_untraced_wall %.2f s\n", wall[0]);
    printf("bench: trace_noc_8x8_u0.3_100k_traced_full_wall %.2f s\n", wall[2]);
    printf("bench: trace_noc_8x8_u0.3_100k_traced_summary_wall %.2f s\n",
           wall[1]);
    printf("bench: trace_noc_8x8_u0.3_100k_untraced_cpu %.2f s\n", best[0]);
    printf("bench: trace_noc_8x8_u0.3_100k_traced_full_cpu %.2f s\n", best[2]);
    printf("bench: trace_noc_8x8_u0.3_100k_traced_summary_cpu %.2f s\n",
           best[1]);
    printf("bench: trace_noc_full_extra_cpu %.1f %%\n",
           100.0 * (best[2] - best[0]) / best[0]);
    printf("bench: trace_noc_summary_extra_cpu %.1f %%\n",
           100.0 * (best[1] - best[0]) / best[0]);
    printf("bench: trace_noc_full_extra_wall %.1f %%\n",
           100.0 * (wall[2] - wall[0]) / wall[0]);
    printf("bench: trace_noc_full_slices %llu slices\n",
           (unsigned long long)full.slices);
    printf("bench: trace_noc_full_bytes %llu bytes\n",
           (unsigned long long)full.bytes);
    printf("bench: trace_noc_full_bytes_per_slice %.1f bytes\n",
           full.slices ? (double)full.bytes / (double)full.slices : 0.0);
    printf("bench: trace_noc_summary_bytes %llu bytes\n",
           (unsigned long long)summary.bytes);
    return 0;
}
