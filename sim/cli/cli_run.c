/* cli_run.c -- `evsim run SCENARIO`: load the scenario, cost every CN with
 * the mapper, simulate the chip, write the report and the trace. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/chipsim.h"
#include "cli/cli.h"
#include "config/config.h"
#include "run/plan.h"
#include "run/report.h"
#include "cli/trc_cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: evsim run SCENARIO.yaml [options]\n"
            "\n"
            "Simulates one inference of the scenario's workload on its chip: every layer is\n"
            "cut into CNs by the mapping's tiling, each CN costed by the LOMA mapper, run on\n"
            "the core models, with layer outputs streamed over the NoC model. Prints a report\n"
            "and writes the outputs the scenario names (report JSON/text, Perfetto trace).\n"
            "\n"
            "  --json FILE            write the JSON report here (default: the scenario's)\n"
            "  --report FILE          write the text report here (default: the scenario's)\n"
            "  --no-trace             do not write the scenario's trace\n"
            "  --criterion C          latency | energy | edp, for the mapper (default latency)\n"
            "  --lpf-limit N          loop prime factors per search (default 6)\n"
            "  --cache FILE           keep the mapper's results in FILE; a second run\n"
            "                         with the same cores skips the searches\n"
            "  --max-time PS          stop at this simulated time (ps)\n"
            "  --max-events N         stop after N events\n"
            "  -q, --quiet            no report on standard output\n"
            "%s",
            trc_cli_help());
}

typedef struct {
    double t0, last;
} progress_state;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A progress line on a terminal, at most twice a second. */
static void progress(void *ctx, uint64_t now_ps, uint32_t done, uint32_t n)
{
    progress_state *p = ctx;
    double t = wall_now();
    if (t - p->last < 0.5)
        return;
    p->last = t;
    fprintf(stderr, "\rsimulating: %.3f us simulated, %u/%u layers, %.1f s", (double)now_ps * 1e-6,
            done, n, t - p->t0);
    fflush(stderr);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int make_dir(const char *dir)
{
    if (!dir[0])
        return 0;
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

int cli_run_main(int argc, char **argv)
{
    const char *path = NULL, *json_path = NULL, *text_path = NULL, *cache_path = NULL;
    int quiet = 0, no_trace = 0;
    loma_options lo = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    csim_options co = {0};
    trc_cli tc;
    trc_cli_init(&tc);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        base_error te;
        int r = trc_cli_parse(&tc, argc, argv, &i, &te);
        if (r < 0) {
            fprintf(stderr, "evsim run: %s\n", te.msg);
            return 2;
        }
        if (r > 0)
            continue;
        int has_val = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--no-trace")) {
            no_trace = 1;
        } else if (!strcmp(a, "--json") && has_val) {
            json_path = argv[++i];
        } else if (!strcmp(a, "--cache") && has_val) {
            cache_path = argv[++i];
        } else if (!strcmp(a, "--report") && has_val) {
            text_path = argv[++i];
        } else if (!strcmp(a, "--criterion") && has_val) {
            if (loma_criterion_parse(argv[++i], &lo.criterion) != 0) {
                fprintf(stderr, "evsim run: --criterion: expected latency, energy or edp, "
                        "found '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--lpf-limit") && has_val) {
            uint64_t v;
            if (parse_u64(argv[++i], &v) || v < 1 || v > 12) {
                fprintf(stderr, "evsim run: --lpf-limit: expected 1..12, found '%s'\n", argv[i]);
                return 2;
            }
            lo.lpf_limit = (int)v;
        } else if (!strcmp(a, "--max-time") && has_val) {
            if (parse_u64(argv[++i], &co.max_time_ps)) {
                fprintf(stderr, "evsim run: --max-time: expected picoseconds, found '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--max-events") && has_val) {
            if (parse_u64(argv[++i], &co.max_events)) {
                fprintf(stderr, "evsim run: --max-events: expected a count, found '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "evsim run: unknown option '%s'%s\n", a,
                    has_val ? "" : " (or missing value)");
            usage(stderr);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "evsim run: one scenario at a time (got '%s' and '%s')\n", path, a);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "evsim run: no scenario given\n");
        usage(stderr);
        return 2;
    }

    base_errors ce;
    base_errors_init(&ce);
    cfg_scenario *s = cfg_scenario_load_file(path, &ce);
    if (!s) {
        base_errors_print(stderr, &ce);
        base_errors_clear(&ce);
        return 1;
    }
    base_errors_clear(&ce);
    if (!co.max_time_ps)
        co.max_time_ps = s->max_time_ps;
    if (!co.max_events)
        co.max_events = s->max_events;

    int rc = 1;
    plan *p = NULL;
    loma_cache *cache = NULL;
    trc_writer *w = NULL;
    csim_result res = {0};
    if (cache_path) {
        base_error le;
        if (!(cache = loma_cache_new())) {
            fprintf(stderr, "evsim run: out of memory\n");
            goto out;
        }
        if (access(cache_path, F_OK) == 0 && loma_cache_load(cache, cache_path, &le) != 0) {
            fprintf(stderr, "evsim run: %s\n", le.msg);
            goto out;
        }
    }
    plan_error pe;
    p = plan_build(s, &lo, cache, &pe);
    if (!p) {
        fprintf(stderr, "%s: %s\n", path, pe.msg);
        goto out;
    }
    if (cache_path) {
        base_error le;
        if (loma_cache_save(cache, cache_path, &le) != 0) {
            fprintf(stderr, "evsim run: %s\n", le.msg);
            goto out;
        }
    }
    if (make_dir(s->out_dir) != 0) {
        fprintf(stderr, "%s: cannot create output directory %s: %s\n", path, s->out_dir,
                strerror(errno));
        goto out;
    }
    if (!tc.path && !no_trace && s->perfetto_path[0])
        tc.path = s->perfetto_path;
    if (no_trace)
        tc.path = NULL;
    if (tc.path) {
        trc_options to;
        base_error te;
        uint64_t core_cycle_ps = (uint64_t)(1000.0 / s->chip->clock_ghz + 0.5);
        if (trc_cli_options(&tc, core_cycle_ps, &to, &te) != 0 ||
            !(w = trc_open(tc.path, &to, &te))) {
            fprintf(stderr, "evsim run: trace: %s\n", te.msg);
            goto out;
        }
    }
    progress_state ps = {wall_now(), wall_now()};
    co.trace = w;
    co.trace_sample_cycles = tc.sample_cycles;
    if (isatty(2)) {
        co.progress = progress;
        co.progress_ctx = &ps;
    }
    csim_error cerr;
    int r = csim_run(s, p, &co, &res, &cerr);
    if (co.progress && ps.last > ps.t0)
        fprintf(stderr, "\n");
    if (r != 0) {
        fprintf(stderr, "%s: simulation failed: %s\n", path, cerr.msg);
        goto out;
    }
    if (w) {
        base_error te;
        int cr = trc_close(w, res.end_ps, &te);
        w = NULL;
        if (cr != 0) {
            fprintf(stderr, "evsim run: trace: %s\n", te.msg);
            goto out;
        }
    }
    char err[1200];
    const char *jp = json_path ? json_path : s->report_json_path;
    const char *tp = text_path ? text_path : s->report_text_path;
    if (jp[0] && rpt_write_file(jp, rpt_json, s, p, &res, err, sizeof err) != 0) {
        fprintf(stderr, "evsim run: %s\n", err);
        goto out;
    }
    if (tp[0] && rpt_write_file(tp, rpt_text, s, p, &res, err, sizeof err) != 0) {
        fprintf(stderr, "evsim run: %s\n", err);
        goto out;
    }
    if (!quiet) {
        rpt_text(stdout, s, p, &res);
        printf("\n");
        if (tc.path)
            printf("trace:  %s (open in https://ui.perfetto.dev)\n", tc.path);
        if (jp[0])
            printf("report: %s\n", jp);
    }
    rc = 0;
out:
    trc_abort(w);
    csim_result_free(&res);
    plan_free(p);
    loma_cache_free(cache);
    cfg_scenario_free(s);
    return rc;
}
