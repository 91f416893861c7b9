/* bench_trace.c -- the writer alone: packet-like slices (lanes, five
 * annotations, a counter) as the NoC adapter writes them. Prints the cost
 * per slice and the bytes per slice. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trace/trc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    const char *path = "build/bench_trace.pftrace";
    const uint32_t sources = 64, n = 1000000;
    trc_options o;
    trc_options_default(&o);
    base_error err;
    double t0 = now_s();
    trc_writer *w = trc_open(path, &o, &err);
    if (!w) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return 1;
    }
    trc_track top, inflight, *src = malloc(sources * sizeof *src);
    trc_track_spec s = {"sources", NULL, 0, TRC_FULL};
    trc_track_new(w, &s, &top);
    trc_counter_spec cs = {TRC_UNIT_COUNT, NULL, NULL};
    s = (trc_track_spec){"in flight", NULL, 0, TRC_SUMMARY};
    trc_counter_new(w, &s, &cs, &inflight);
    char name[32];
    for (uint32_t i = 0; i < sources; i++) {
        snprintf(name, sizeof name, "from %u", i);
        s = (trc_track_spec){name, NULL, top, TRC_FULL};
        trc_lanes_new(w, &s, &src[i]);
    }
    trc_name pkt = trc_intern(w, "packet");
    trc_name k[5] = {trc_intern(w, "src"), trc_intern(w, "dst"),
                     trc_intern(w, "flits"), trc_intern(w, "hops"),
                     trc_intern(w, "latency_cycles")};
    /* one packet per source every ~13 cycles, 20..40 cycles long */
    uint64_t rng = 1;
    int64_t live = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = (uint64_t)i * 1000 * 13 / sources;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t sid = i % sources, dst = (uint32_t)(rng >> 40) % sources;
        uint64_t lat = 20 + (rng >> 59);
        trc_arg a[4] = {trc_arg_uint(k[0], sid), trc_arg_uint(k[1], dst),
                        trc_arg_uint(k[2], 1), trc_arg_uint(k[3], 5)};
        trc_extra x = {a, 4, NULL, 0, NULL, 0};
        trc_track lane;
        trc_lane_begin(w, src[sid], t, pkt, &x, &lane);
        trc_end_at(w, lane, t + lat * 1000);
        trc_counter_int(w, inflight, t, ++live);
    }
    trc_stats st;
    if (trc_close_stats(w, (uint64_t)n * 1000 * 13 / sources + 100000, &st,
                        &err)) {
        fprintf(stderr, "bench_trace: %s\n", err.msg);
        return 1;
    }
    double dt = now_s() - t0;
    printf("bench: trace_writer_cpu_ns_per_slice %.1f ns\n", 1e9 * dt / n);
    printf("bench: trace_writer_bytes_per_slice %.1f bytes\n",
           (double)st.bytes / (double)st.slices);
    remove(path);
    free(src);
    return 0;
}
