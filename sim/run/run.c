/* run.c -- the run API; see run.h. */
#include "run/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/adapt.h"
#include "run/snn_report.h"
#include "run/strm_build.h"
#include "run/strm_report.h"

void run_options_default(run_options *o)
{
    memset(o, 0, sizeof *o);
    o->mapper.criterion = LOMA_CRIT_LATENCY;
    o->mapper.lpf_limit = 6;
    trc_request_init(&o->trace);
}

/* What one run holds while it goes; released by run_scenario. */
typedef struct {
    const char *path;
    const run_options *o;
    run_result *res;
    trc_writer *w;
    bool written[3]; /* trace, JSON, text in place: removed on failure */
} run_state;

/* evsim's scheduler runs on a mesh: a Stream accelerator is placed on one
 * (cfg_stream_place) and the run sees only the placed chip. */
static int place_stream_chip(cfg_scenario *s, base_error *err)
{
    if (!s->chip->stream_form)
        return 0;
    base_errors e;
    base_errors_init(&e);
    cfg_chip *p = cfg_stream_place(s->chip, &e);
    if (!p) {
        char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
        base_fail(err, "%s", e.count ? base_error_str(&e.items[0], buf, sizeof buf)
                                     : "the Stream accelerator cannot be placed");
        base_errors_clear(&e);
        return -1;
    }
    base_errors_clear(&e);
    cfg_chip_free(s->chip);
    s->chip = p;
    return 0;
}

/* The loader's warnings (layer stack ids Stream drops), as `evsim check`
 * prints them, without the message's own "warning: " (the note says it). */
static void emit_load_warnings(const run_state *st)
{
    const base_errors *w = &st->res->scenario->warnings;
    for (int i = 0; st->o->note && i < w->count; i++) {
        char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32], line[sizeof buf];
        base_error_str(&w->items[i], buf, sizeof buf);
        char *cut = strstr(buf, "warning: ");
        if (cut)
            snprintf(line, sizeof line, "%.*s%s", (int)(cut - buf), buf, cut + strlen("warning: "));
        st->o->note(st->o->note_ctx, true, cut ? line : buf);
    }
}

static int load(run_state *st, base_error *err)
{
    run_result *res = st->res;
    res->scenario = cfg_scenario_load_file(st->path, &res->load_errors);
    if (res->scenario) {
        emit_load_warnings(st);
        /* The NoC as `evsim check` sees it, before any planning. */
        const cfg_chip *chip = res->scenario->chip;
        noc_config nc;
        if (res->scenario->scheduler == CFG_SCHED_STREAM)
            return 0; /* the loader checked the chip is Stream's */
        if (place_stream_chip(res->scenario, err))
            return -1;
        chip = res->scenario->chip;
        return run_adapt_noc(chip, run_noc_terminals_needed(chip), res->scenario->seed, &nc,
                             err);
    }
    if (res->load_errors.count > 0) {
        char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
        return base_fail(err, "%s", base_error_str(&res->load_errors.items[0], buf, sizeof buf));
    }
    return base_fail_at(err, st->path, 0, 0, "does not load");
}

static int open_cache(run_state *st, base_error *err)
{
    const char *cp = st->o->cache_path;
    if (!cp)
        return 0;
    base_error le;
    if (!(st->res->cache = loma_cache_new()))
        return base_fail(err, "out of memory");
    if (access(cp, F_OK) == 0 && loma_cache_load(st->res->cache, cp, &le) != 0)
        return base_fail(err, "%s", le.msg);
    return 0;
}

/* Each layer's mapper notes, once per layer, to the caller. */
static void emit_notes(const run_state *st)
{
    const plan *p = st->res->plan;
    if (!st->o->note)
        return;
    for (uint32_t i = 0; i < p->n_layers; i++) {
        const plan_layer *pl = &p->layers[i];
        char note[512], line[700];
        bool warn;
        for (int k = 0;
             loma_note_text(&pl->notes, k, &pl->whole, &pl->core, note, sizeof note, &warn); k++) {
            snprintf(line, sizeof line, "layer %s: %s", pl->cfg->name[0] ? pl->cfg->name
                                                                         : "(unnamed)", note);
            st->o->note(st->o->note_ctx, warn, line);
        }
    }
    for (uint32_t i = 0; i < p->n_warnings; i++)
        st->o->note(st->o->note_ctx, !p->warning_is_note[i], p->warnings[i]);
}

static int build_plan(run_state *st, base_error *err)
{
    base_error pe;
    st->res->plan = plan_build(st->res->scenario, &st->o->mapper, st->res->cache, &pe);
    if (!st->res->plan)
        return base_fail_at(err, st->path, 0, 0, "%s", pe.msg);
    emit_notes(st);
    return 0;
}

/* The outputs asked for: the options' overrides, else the scenario's. */
static void resolve_outputs(run_state *st, trc_request *tr)
{
    const run_options *o = st->o;
    const cfg_scenario *s = st->res->scenario;
    *tr = o->trace;
    if (!tr->path && s->perfetto_path[0])
        tr->path = s->perfetto_path;
    if (o->no_trace)
        tr->path = NULL;
    st->res->trace_path = tr->path ? tr->path : "";
    st->res->json_path = o->json_path ? o->json_path : s->report_json_path;
    st->res->text_path = o->text_path ? o->text_path : s->report_text_path;
}

static int make_out_dir(run_state *st, base_error *err)
{
    const char *dir = st->res->scenario->out_dir;
    if (!dir[0] || mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    return base_fail_at(err, st->path, 0, 0, "cannot create output directory %s: %s", dir,
                    strerror(errno));
}

static int open_trace(run_state *st, const trc_request *tr, base_error *err)
{
    if (!tr->path)
        return 0;
    const cfg_scenario *s = st->res->scenario;
    trc_options to;
    base_error te;
    uint64_t core_cycle_ps = (uint64_t)(1000.0 / s->chip->clock_ghz + 0.5);
    if (trc_request_options(tr, core_cycle_ps, &to, &te) != 0 ||
        !(st->w = trc_open(tr->path, &to, &te)))
        return base_fail(err, "trace: %s", te.msg);
    return 0;
}

static int run_chip(run_state *st, const trc_request *tr, base_error *err)
{
    const run_options *o = st->o;
    const cfg_scenario *s = st->res->scenario;
    chip_options co = {.max_time_ps = o->max_time_ps ? o->max_time_ps : s->max_time_ps,
                       .max_events = o->max_events ? o->max_events : s->max_events,
                       .trace = st->w,
                       .trace_sample_cycles = tr->sample_cycles,
                       .progress = o->progress,
                       .progress_ctx = o->progress_ctx};
    base_error ce;
    if (chip_run(s, st->res->plan, &co, &st->res->chip, &ce) != 0)
        return base_fail_at(err, st->path, 0, 0, "simulation failed: %s", ce.msg);
    return 0;
}

static int close_trace(run_state *st, base_error *err)
{
    if (!st->w)
        return 0;
    base_error te;
    int rc = trc_close(st->w, st->res->chip.end_ps, &te);
    st->w = NULL;
    if (rc != 0)
        return base_fail(err, "trace: %s", te.msg);
    st->written[0] = true;
    return 0;
}

static int write_reports(run_state *st, base_error *err)
{
    const run_result *r = st->res;
    if (r->json_path[0]) {
        if (rpt_write_file(r->json_path, rpt_json, r->scenario, r->plan, &r->chip, err) != 0)
            return -1;
        st->written[1] = true;
    }
    if (r->text_path[0]) {
        if (rpt_write_file(r->text_path, rpt_text, r->scenario, r->plan, &r->chip, err) != 0)
            return -1;
        st->written[2] = true;
    }
    return 0;
}

/* Last, so a failed run never changes the cache file. */
static int save_cache(run_state *st, base_error *err)
{
    base_error le;
    if (st->o->cache_path && loma_cache_save(st->res->cache, st->o->cache_path, &le) != 0)
        return base_fail(err, "%s", le.msg);
    return 0;
}

/* A run that failed after some outputs were in place takes them back. */
static void remove_outputs(const run_state *st)
{
    const char *paths[3] = {st->res->trace_path, st->res->json_path, st->res->text_path};
    for (int i = 0; i < 3; i++)
        if (st->written[i])
            remove(paths[i]);
}

/* mode: timestep -- the event-driven plan, run and reports. */
static int snn_reports(run_state *st, base_error *err)
{
    const run_result *r = st->res;
    if (r->json_path[0]) {
        if (snn_rpt_write(r->json_path, snn_rpt_json, r->scenario, r->snn, &r->snn_res, err))
            return -1;
        st->written[1] = true;
    }
    if (r->text_path[0]) {
        if (snn_rpt_write(r->text_path, snn_rpt_text, r->scenario, r->snn, &r->snn_res, err))
            return -1;
        st->written[2] = true;
    }
    return 0;
}

/* --trace-gap in ps (0: the run's default); at least 1 ps when given. */
static uint64_t gap_ps(const run_options *o, const cfg_scenario *s)
{
    if (!o->trace_gap.set)
        return 0;
    double unit = o->trace_gap.unit_ps ? (double)o->trace_gap.unit_ps
                                       : 1000.0 / s->chip->clock_ghz;
    double ps = o->trace_gap.v * unit + 0.5;
    return ps < 1.0 ? 1 : (uint64_t)ps;
}

static int run_snn(run_state *st, base_error *err)
{
    const run_options *o = st->o;
    run_result *res = st->res;
    const cfg_scenario *s = res->scenario;
    trc_request tr;
    base_error e;
    if (!(res->snn = snn_plan_build(s, &o->mapper, res->cache, &e))) {
        if (err)
            *err = e; /* keeps the file:line:col the plan gave */
        return -1;
    }
    resolve_outputs(st, &tr);
    trc_request_default_full(&tr); /* event-driven tracks: summary or full */
    if (make_out_dir(st, err) || open_trace(st, &tr, err))
        return -1;
    snn_options so = {.max_time_ps = o->max_time_ps ? o->max_time_ps : s->max_time_ps,
                      .max_events = o->max_events ? o->max_events : s->max_events,
                      .trace = st->w, .trace_sample_cycles = tr.sample_cycles,
                      .trace_events = o->trace_events, .trace_gap_ps = gap_ps(o, s),
                      .on_spike = o->on_spike, .spike_ctx = o->spike_ctx};
    if (snn_run(s, res->snn, &so, &res->snn_res, &e) != 0)
        return base_fail_at(err, st->path, 0, 0, "simulation failed: %s", e.msg);
    res->chip.end_ps = res->snn_res.end_ps;
    return close_trace(st, err) || snn_reports(st, err) || save_cache(st, err) ? -1 : 0;
}

/* scheduler: stream -- Stream's CN table, graph, schedule and reports. */
static int stream_reports(run_state *st, base_error *err)
{
    const run_result *r = st->res;
    strm_report rp = {r->scenario, r->strm, &r->strm_graph, &r->strm_res,
                      r->strm_search.ran ? &r->strm_search : NULL};
    if (r->json_path[0]) {
        if (strm_rpt_write(r->json_path, strm_rpt_json, &rp, err) != 0)
            return -1;
        st->written[1] = true;
    }
    if (r->text_path[0]) {
        if (strm_rpt_write(r->text_path, strm_rpt_text, &rp, err) != 0)
            return -1;
        st->written[2] = true;
    }
    return 0;
}

static int run_stream(run_state *st, base_error *err)
{
    run_result *res = st->res;
    const cfg_scenario *s = res->scenario;
    strm_plan_stacks sk = {.fused = s->fused, .n_ids = s->n_stack_layers,
                           .layer_id = s->stack_layer_id, .stack_of = s->stack_of};
    base_error e;
    res->strm = strm_plan_build(s->chip, s->workload, s->mapping, &sk, &st->o->mapper,
                                res->cache, &e);
    if (!res->strm || strm_graph_build(res->strm, s->chip, s->workload, s->mapping,
                                       &res->strm_graph, &e) != 0 ||
        strm_search_run(res->strm, &res->strm_graph, &s->search, st->o->search_progress,
                        st->o->search_ctx, &res->strm_search, &e) != 0 ||
        strm_schedule(&res->strm_graph, &res->strm_res, &e) != 0)
        return base_fail_at(err, st->path, 0, 0, "Stream's scheduler: %s", e.msg);
    if (s->search.given && !res->strm_search.ran && st->o->note)
        st->o->note(st->o->note_ctx, false, "search: every layer's core is fixed by the mapping "
                    "(none lists more cores than its split): nothing to search");
    trc_request tr;
    resolve_outputs(st, &tr);
    res->chip.end_ps = (uint64_t)(res->strm_res.latency_cycles * 1000.0 / s->chip->clock_ghz + 0.5);
    res->chip.complete = 1; /* a list schedule always places every CN */
    if (make_out_dir(st, err) || open_trace(st, &tr, err))
        return -1;
    strm_report rp = {s, res->strm, &res->strm_graph, &res->strm_res,
                      res->strm_search.ran ? &res->strm_search : NULL};
    if (st->w && strm_trace_write(st->w, &rp) != 0)
        return base_fail(err, "trace: %s", trc_errmsg(st->w)[0] ? trc_errmsg(st->w)
                                                                : "out of memory");
    return close_trace(st, err) || stream_reports(st, err) || save_cache(st, err) ? -1 : 0;
}

int run_scenario(const char *path, const run_options *o, run_result *res, base_error *err)
{
    memset(res, 0, sizeof *res);
    base_errors_init(&res->load_errors);
    res->trace_path = res->json_path = res->text_path = "";
    run_state st = {.path = path, .o = o, .res = res};
    trc_request tr;
    int rc = -1;
    if (load(&st, err) || open_cache(&st, err))
        goto out;
    if (res->scenario->timestep_mode) {
        rc = run_snn(&st, err);
        goto out;
    }
    if (res->scenario->scheduler == CFG_SCHED_STREAM) {
        rc = run_stream(&st, err);
        goto out;
    }
    if (build_plan(&st, err))
        goto out;
    resolve_outputs(&st, &tr);
    if (make_out_dir(&st, err) || open_trace(&st, &tr, err) || run_chip(&st, &tr, err) ||
        close_trace(&st, err) || write_reports(&st, err) || save_cache(&st, err))
        goto out;
    rc = 0;
out:
    trc_abort(st.w);
    if (rc != 0)
        remove_outputs(&st);
    return rc;
}

void run_result_free(run_result *res)
{
    chip_result_free(&res->chip);
    snn_result_free(&res->snn_res);
    snn_plan_free(res->snn);
    strm_result_free(&res->strm_res);
    strm_search_result_free(&res->strm_search);
    strm_graph_free(&res->strm_graph);
    strm_plan_free(res->strm);
    plan_free(res->plan);
    loma_cache_free(res->cache);
    cfg_scenario_free(res->scenario);
    base_errors_clear(&res->load_errors);
    memset(res, 0, sizeof *res);
}
