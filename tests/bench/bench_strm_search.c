/* bench_strm_search.c -- Stream's allocation search's speed on the
 * quad-core ResNet-18 with open Conv/Gemm cores
 * (configs/stream_resnet18_quad_search.yaml: 1118 CNs, 21 genes): the
 * scenario is loaded and planned once (every flexible CN costed on each
 * of its four cores), then the search runs again and is timed in CPU
 * time. Each allocation it tries is put into the plan and the graph
 * (strm_plan_assign, strm_graph_assign) and scheduled, so the figure is
 * schedules per second with the allocation changing every time
 * (bench_strm.c times the same graph rescheduled). */
#include <stdio.h>
#include <time.h>

#include "run/run.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    run_options o;
    run_options_default(&o);
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    base_error err;
    if (run_scenario("configs/stream_resnet18_quad_search.yaml", &o, &res, &err) != 0) {
        fprintf(stderr, "bench_strm_search: %s\n", err.msg);
        run_result_free(&res);
        return 1;
    }
    strm_search_result r;
    double t0 = cpu_now();
    int rc = strm_search_run(res.strm, &res.strm_graph, &res.scenario->search, NULL, NULL, &r,
                             &err);
    double dt = cpu_now() - t0;
    if (rc != 0) {
        fprintf(stderr, "bench_strm_search: %s\n", err.msg);
        run_result_free(&res);
        return 1;
    }
    /* the start is scheduled once more before the search (start_ok) */
    printf("bench: stream_search_schedules_per_s %.0f schedules/s (CPU time, %llu allocations "
           "of 21 genes, 1118 CNs)\n", (double)(r.res.evaluations + 1) / dt,
           (unsigned long long)r.res.evaluations);
    strm_search_result_free(&r);
    run_result_free(&res);
    return 0;
}
