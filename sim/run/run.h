/* run.h -- the run API: one call from a scenario file to its outputs.
 *
 *   scenario -> cost cache (loaded from a file if asked) -> plan (every CN
 *   costed through loma_cost) -> cache saved -> chip run -> trace ->
 *   reports (JSON and text)
 *
 * `evsim run` only parses its options into run_options, calls
 * run_scenario and prints what it returns. Every file is written to
 * PATH.tmp and renamed when complete; on failure none is left behind
 * (the output directory, once created, stays). Nothing is printed: notes
 * and progress go to the caller's callbacks. */
#ifndef EVSIM_RUN_H
#define EVSIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "loma/loma.h"
#include "run/chip.h"
#include "run/chip_snn.h"
#include "run/plan.h"
#include "run/report.h"
#include "run/snn_plan.h"
#include "run/strm.h"
#include "run/strm_plan.h"
#include "run/strm_search.h"
#include "trace/trc.h"

typedef struct {
    uint64_t max_time_ps;     /* 0: the scenario's limit */
    uint64_t max_events;      /* 0: the scenario's limit */
    loma_options mapper;      /* criterion, lpf limit, search bound */
    const char *cache_path;   /* NULL: costs are not kept across runs */
    const char *json_path;    /* NULL: the scenario's; "": none */
    const char *text_path;    /* NULL: the scenario's; "": none */
    bool no_trace;            /* write no trace, not even the scenario's */
    trc_request trace;        /* trace.path NULL: the scenario's perfetto */
    /* Event-driven runs' trace: an instant (and arrows) per input event;
     * the gap below which a core's integrations merge into one burst
     * (unset: timestep / 100; cycles of the core clock without a unit). */
    bool trace_events;
    trc_time trace_gap;
    /* About every million events and at the end (see chip_options). */
    void (*progress)(void *ctx, uint64_t now_ps, uint32_t layers_done, uint32_t n_layers);
    void *progress_ctx;
    /* A note about the mapping, once per layer and kind (an ordering not
     * applied, an unroll reduced; a bounded search is a warning), e.g.
     * "layer conv1: spatial unroll D1 [K, 8] reduced to 6 (...)". */
    void (*note)(void *ctx, bool warning, const char *text);
    void *note_ctx;
    /* scheduler: stream with layers whose cores are left open: every
     * STRM_SEARCH_PROGRESS_EVERY allocations scheduled (strm_search.h). */
    strm_search_progress search_progress;
    void *search_ctx;
    /* Event-driven runs (mode: timestep): every neuron output, see
     * snn_spike_fn. NULL: none. */
    snn_spike_fn on_spike;
    void *spike_ctx;
} run_options;

/* Latency criterion, lpf limit 6, no cache, the scenario's outputs and
 * limits, the default trace request. */
void run_options_default(run_options *o);

typedef struct {
    cfg_scenario *scenario;   /* owned */
    plan *plan;               /* owned */
    loma_cache *cache;        /* owned when a cache file was asked for;
                                 the plan's costs point into it */
    chip_result chip;         /* owned (dense runs) */
    snn_plan *snn;            /* owned (mode: timestep), else NULL */
    snn_result snn_res;       /* owned (mode: timestep) */
    strm_plan *strm;          /* owned (scheduler: stream), else NULL */
    strm_graph strm_graph;    /* owned (scheduler: stream) */
    strm_result strm_res;     /* owned (scheduler: stream) */
    strm_search_result strm_search; /* owned (scheduler: stream, open cores) */
    const char *trace_path;   /* what was written, "" for none */
    const char *json_path;
    const char *text_path;
    base_errors load_errors;   /* every loader error when the load failed */
} run_result;

/* Runs the scenario at path. 0 with *res filled (a run a limit stopped is
 * a success: see res->chip.complete), or -1 with err filled and no output
 * file left; *res is then still to be freed (its load_errors may say more
 * than err). Free with run_result_free either way. */
int run_scenario(const char *path, const run_options *o, run_result *res, base_error *err);
void run_result_free(run_result *res);

#endif
