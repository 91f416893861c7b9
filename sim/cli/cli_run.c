/* cli_run.c -- `evsim run SCENARIO`: options into run_options, one
 * run_scenario call (run/run.h), then the notes, the report and where the
 * outputs went on the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "run/run.h"
#include "run/snn_report.h"
#include "run/strm_report.h"

static const char synopsis[] =
    "usage: evsim run SCENARIO.yaml [options]\n"
    "\n"
    "Simulates one inference of the scenario's workload on its chip: every layer is\n"
    "cut into CNs by the mapping's tiling, each CN costed by the LOMA mapper (a\n"
    "complete temporal_ordering as given, as in `evsim map`), run on the core models,\n"
    "with layer outputs streamed over the NoC model. Prints the mapper's notes on\n"
    "standard error, a report, and writes the outputs the scenario names (report\n"
    "JSON/text, Perfetto trace).\n"
    "\n"
    "Exit status: 0 complete; 1 error (nothing written); 2 usage error; 3 INCOMPLETE\n"
    "(a time or event limit stopped the run; outputs written and marked so);\n"
    "130 / 143 interrupted by SIGINT / SIGTERM (temporary outputs removed).\n";

typedef struct {
    run_options ro;
    bool quiet, force;
    const char *scenario;
    int n_pos;
} run_cli;

static int parse_criterion(const char *v, void *ptr, char *msg, size_t len)
{
    if (loma_criterion_parse(v, ptr) == 0)
        return 0;
    snprintf(msg, len, "latency, energy or edp");
    return -1;
}

static void show_criterion(const void *ptr, char *buf, size_t len)
{
    snprintf(buf, len, "%s", loma_criterion_name(*(const loma_criterion *)ptr));
}

/* Parses argv into c: 0, or the exit status (help 0, usage error 2). */
static int parse(run_cli *c, int argc, char **argv)
{
    run_options *o = &c->ro;
    const cli_opt opts[] = {
        {.name = "json", .kind = CLI_STR, .ptr = &o->json_path, .arg = "FILE",
         .help = "write the JSON report here (default: the scenario's)"},
        {.name = "report", .kind = CLI_STR, .ptr = &o->text_path, .arg = "FILE",
         .help = "write the text report here (default: the scenario's)"},
        {.name = "no-trace", .kind = CLI_FLAG, .ptr = &o->no_trace,
         .help = "do not write the scenario's trace"},
        {.name = "criterion", .kind = CLI_CUSTOM, .ptr = &o->mapper.criterion, .arg = "C",
         .parse = parse_criterion, .show = show_criterion,
         .help = "latency | energy | edp, for the mapper"},
        {.name = "lpf-limit", .kind = CLI_INT, .ptr = &o->mapper.lpf_limit, .arg = "N",
         .min = 1, .max = LOMA_MAX_LPF, .help = "loop prime factors per search"},
        {.name = "cache", .kind = CLI_STR, .ptr = &o->cache_path, .arg = "FILE",
         .help = "keep the mapper's results in FILE; a second run\n"
                 "with the same cores skips the searches"},
        {.name = "max-time", .kind = CLI_U64, .ptr = &o->max_time_ps, .arg = "PS",
         .no_default = true, .help = "stop at this simulated time (ps)"},
        {.name = "max-events", .kind = CLI_U64, .ptr = &o->max_events, .arg = "N",
         .no_default = true, .help = "stop after N events"},
        {.name = "trace-events", .kind = CLI_FLAG, .ptr = &o->trace_events,
         .help = "event-driven runs: an instant per input event on the\n"
                 "trace, with an arrow to the first burst integrating it"},
        {.name = "trace-gap", .kind = CLI_TIME, .ptr = &o->trace_gap, .arg = "T",
         .help = "event-driven runs: a core's integrations less than T\n"
                 "apart merge into one burst (default: timestep / 100)"},
        {.name = "quiet", .short_name = 'q', .kind = CLI_FLAG, .ptr = &c->quiet,
         .help = "no report on standard output, no progress lines"},
        {.name = "force", .kind = CLI_FLAG, .ptr = &c->force, .help = CLI_FORCE_HELP},
        {.name = NULL}};
    cli_opt trace[CLI_TRACE_OPTS];
    cli_trace_opts(&o->trace, trace);
    const cli_spec spec = {.cmd = "run", .synopsis = synopsis, .tables = {opts, trace},
                           .pos = &c->scenario, .max_pos = 1, .n_pos = &c->n_pos};
    int rc = cli_parse(&spec, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (!c->scenario)
        return cli_usage_error(&spec, "no scenario given");
    return -1;
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

/* The mapper's set-up: a line once it has taken longer than `after`
 * seconds (EVSIM_PROGRESS_AFTER, default 1), then on a terminal twice a
 * second, elsewhere every 5 s. */
typedef struct {
    double t0, last, after;
    unsigned costed, searched;
    bool tty, shown;
} map_progress;

static void map_progress_cb(void *ctx, bool searched)
{
    map_progress *m = ctx;
    m->costed++;
    m->searched += searched;
    double t = wall_now();
    if (t - m->t0 < m->after || t - m->last < (m->tty ? 0.5 : 5.0))
        return;
    m->last = t;
    m->shown = true;
    fprintf(stderr, "%smapping: %u CNs costed (%u searched), %.1f s%s", m->tty ? "\r" : "evsim run: ",
            m->costed, m->searched, t - m->t0, m->tty ? "      " : "\n");
    fflush(stderr);
}

/* The allocation search: as the mapper's set-up, a line once it has run
 * longer than `after` seconds, then twice a second (terminal) or every 5 s. */
static void search_progress_cb(void *ctx, uint64_t n, double lat, double en)
{
    map_progress *m = ctx;
    double t = wall_now();
    if (t - m->t0 < m->after || t - m->last < (m->tty ? 0.5 : 5.0))
        return;
    m->last = t;
    m->shown = true;
    fprintf(stderr, "%ssearch: %llu allocations scheduled, best %.1f cycles %.3f uJ, %.1f s%s",
            m->tty ? "\r" : "evsim run: ", (unsigned long long)n, lat, en * 1e-6, t - m->t0,
            m->tty ? "      " : "\n");
    fflush(stderr);
}

/* The scenario's sizes and values against the plausible ranges before a
 * run starts (a load error is left to run_scenario to report): 0, or 1
 * with the errors printed. */
static int range_ok(const run_cli *c)
{
    base_errors err;
    base_errors_init(&err);
    cfg_scenario *s = cfg_scenario_load_file(c->scenario, &err);
    int bad = s ? cli_range_check(s->chip, c->force, "", NULL) : 0;
    cfg_scenario_free(s);
    base_errors_clear(&err);
    return bad ? 1 : 0;
}

static void note(void *ctx, bool warning, const char *text)
{
    (void)ctx;
    fprintf(stderr, "evsim run: %s: %s\n", warning ? "warning" : "note", text);
}

static void print_failure(const run_result *res, const base_error *err)
{
    if (res->load_errors.count > 0)
        cli_print_cfg_errors(stderr, "", &res->load_errors);
    else {
        char buf[BASE_MSG_MAX + BASE_PATH_MAX + 16];
        fprintf(stderr, "%s%s\n", err->file[0] ? "" : "evsim run: ",
                base_error_str(err, buf, sizeof buf));
    }
}

static void print_result(const run_result *res)
{
    if (res->snn) {
        snn_rpt_text(stdout, res->scenario, res->snn, &res->snn_res);
    } else if (res->strm) {
        strm_report rp = {res->scenario, res->strm, &res->strm_graph, &res->strm_res,
                          res->strm_search.ran ? &res->strm_search : NULL};
        strm_rpt_text(stdout, &rp);
    } else
        rpt_text(stdout, res->scenario, res->plan, &res->chip);
    printf("\n");
    if (res->trace_path[0])
        printf("trace:  %s (open in https://ui.perfetto.dev)\n", res->trace_path);
    if (res->json_path[0])
        printf("report: %s\n", res->json_path);
}

int cli_run_main(int argc, char **argv)
{
    run_cli c = {0};
    run_options_default(&c.ro);
    int prc = parse(&c, argc, argv);
    if (prc >= 0)
        return prc;
    if (range_ok(&c))
        return 1;
    progress_state ps = {wall_now(), wall_now()};
    if (isatty(2) && !c.quiet) {
        c.ro.progress = progress;
        c.ro.progress_ctx = &ps;
    }
    const char *after = getenv("EVSIM_PROGRESS_AFTER");
    map_progress mp = {.t0 = wall_now(), .after = after ? atof(after) : 1.0, .tty = isatty(2)};
    if (!c.quiet) {
        c.ro.mapper.progress = map_progress_cb;
        c.ro.mapper.progress_ctx = &mp;
        c.ro.search_progress = search_progress_cb;
        c.ro.search_ctx = &mp;
    }
    c.ro.note = note;
    run_result res;
    base_error err;
    int rc = run_scenario(c.scenario, &c.ro, &res, &err);
    if ((c.ro.progress && ps.last > ps.t0) || (mp.shown && mp.tty))
        fprintf(stderr, "\n");
    if (rc != 0)
        print_failure(&res, &err);
    else if (!c.quiet)
        print_result(&res);
    int status = rc != 0 ? 1 : 0;
    const char *why = res.snn ? res.snn_res.stop_reason : res.chip.stop_reason;
    if (rc == 0 && !(res.snn ? res.snn_res.complete : res.chip.complete)) {
        fprintf(stderr, "evsim run: INCOMPLETE: %s (exit status %d)\n", why && why[0] ? why : "stopped early",
                CLI_EXIT_INCOMPLETE);
        status = CLI_EXIT_INCOMPLETE;
    }
    run_result_free(&res);
    return status;
}

void cli_remove_temporaries(void)
{
    base_out_remove_live();
}
