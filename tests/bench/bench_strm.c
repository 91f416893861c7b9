/* bench_strm.c -- speed of Stream's classic scheduler (sim/run/strm.h) on
 * Stream's case c3 (ResNet-18 fused, 1118 CNs, 3043 edges): the graph is
 * built once from ../shared/reference/stream (tests/unit/strm_ref.h),
 * then scheduled again and again; only strm_schedule is timed, in CPU
 * time. Skips
 * without ../shared. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../unit/strm_ref.h"

/* Process CPU time: the machine's cores are shared, and wall time
 * would mostly measure the other processes. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    const char *name = "c3_resnet18_fused_rr";
    if (access(SREF_DIR "results/c3_resnet18_fused_rr.json", R_OK) != 0) {
        printf("SKIP: bench_strm (needs " SREF_DIR "results/c3_resnet18_fused_rr.json)\n");
        return 0;
    }
    strm_graph g;
    cJSON *res = NULL;
    base_error err;
    base_error_clear(&err);
    char buf[1024];
    if (sref_build(name, &g, &res, &err) < 0) {
        fprintf(stderr, "bench_strm: %s\n", base_error_str(&err, buf, sizeof buf));
        return 1;
    }
    cJSON_Delete(res);
    int n = 0;
    double t0 = cpu_now(), dt = 0, lat = 0;
    while (dt < 2.0 || n < 10) {
        strm_result r;
        if (strm_schedule(&g, &r, &err) < 0) {
            fprintf(stderr, "bench_strm: %s\n", base_error_str(&err, buf, sizeof buf));
            return 1;
        }
        lat = r.latency_cycles;
        strm_result_free(&r);
        n++;
        dt = cpu_now() - t0;
    }
    printf("bench: stream_schedules_per_s %.0f schedules/s (CPU time, c3: 1118 CNs)\n", n / dt);
    printf("bench: stream_c3_latency %.0f cycles\n", lat);
    strm_graph_free(&g);
    return 0;
}
