/* bench_noc.c -- NoC model speed: 8x8 mesh, BookSim's default router,
 * uniform traffic, 4-flit packets, 100k measured cycles (3k warm-up), at
 * 0.1 and 0.4 flits/terminal/cycle (and 0.01 to show the low-load end).
 * Prints flit-hops (flits switched by a router) per wall second, the wall
 * time, kernel events per router-cycle, and the speed-up over the same
 * model run cycle-stepped (every router every cycle: cycle_stepped = 1,
 * identical results -- test_noc checks that). */
#include <stdio.h>
#include <time.h>

#include "noc/noc_traffic.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int timed(const noc_traffic_config *c, noc_traffic_result *r,
                 double *best, int reps)
{
    base_error e;
    for (int rep = 0; rep < reps; rep++) {
        double t = now_s();
        if (noc_traffic_run(c, r, &e)) {
            fprintf(stderr, "bench_noc: %s\n", e.msg);
            return 1;
        }
        t = now_s() - t;
        if (rep == 0 || t < *best)
            *best = t;
    }
    return 0;
}

static int run(double rate, const char *tag)
{
    noc_traffic_config c;
    noc_traffic_default(&c);
    c.net.width = 8;
    c.net.height = 8;
    c.packet_flits = 4;
    c.rate = rate;
    c.warmup_cycles = 3000;
    c.measure_cycles = 100000;
    noc_traffic_result r, rs;
    double best = 0.0, best_stepped = 0.0;
    /* Best of a few: the machine is shared, the minimum is the signal. */
    if (timed(&c, &r, &best, 3))
        return 1;
    c.net.cycle_stepped = 1;
    if (timed(&c, &rs, &best_stepped, 2))
        return 1;
    if (!r.stable) {
        fprintf(stderr, "bench_noc: run at %g was not stable\n", rate);
        return 1;
    }
    printf("bench: noc_flit_hops_per_sec_%s %.0f flit_hops/s\n", tag,
           (double)r.flit_router_hops / best);
    printf("bench: noc_wall_sec_%s %.3f s\n", tag, best);
    printf("bench: noc_events_per_router_cycle_%s %.3f events\n", tag,
           (double)r.events / (64.0 * (double)r.cycles));
    printf("bench: noc_mean_latency_%s %.2f cycles\n", tag,
           r.mean_latency_cycles);
    printf("bench: noc_stepped_wall_sec_%s %.3f s\n", tag, best_stepped);
    printf("bench: noc_speedup_vs_stepped_%s %.2f x\n", tag,
           best_stepped / best);
    return 0;
}

int main(void)
{
    if (run(0.1, "r0.1") || run(0.4, "r0.4") || run(0.01, "r0.01"))
        return 1;
    return 0;
}
