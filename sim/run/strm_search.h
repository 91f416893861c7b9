/* strm_search.h -- Stream's allocation search (its genetic algorithm,
 * stream/opt/allocation/genetic_algorithm/ in Stream cb9dfc52): a layer
 * whose core_allocation lists more cores than its inter-core split leaves
 * one gene per (layer, group) to the search, valued by a core of that
 * list (strm_plan.h's genes). Each genome is scheduled by Stream's
 * scheduler in C (strm.h) on the graph built once: only the flexible CNs'
 * cores and costs change between genomes (strm_plan_assign,
 * strm_graph_assign). The search itself is sim/search (search.h): the
 * round-robin start is in its first population and the best is over every
 * genome scheduled, so the result is never worse than the start.
 *
 * Differences from Stream, on purpose: Stream's GA truncates a flexible
 * CN's runtime to an integer (fitness_evaluator.py int()); evsim keeps
 * ZigZag's fraction as for fixed CNs, so the round-robin start schedules
 * exactly as the fixed mapping does (c3: 6,419,853 cycles). Stream starts
 * from random genomes only and returns the lowest-latency point of its
 * latency-energy Pareto front; evsim minimises the objective asked for. An
 * allocation whose schedule Stream's scheduler refuses (memory overflow,
 * nothing to evict) is infeasible: it counts, and loses to every other. */
#ifndef EVSIM_STRM_SEARCH_H
#define EVSIM_STRM_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "run/strm.h"
#include "run/strm_plan.h"
#include "search/search.h"

/* Called every STRM_SEARCH_PROGRESS_EVERY genomes scheduled, with the
 * best objective values so far (cycles, pJ). */
typedef void (*strm_search_progress)(void *ctx, uint64_t evaluations, double best_latency,
                                     double best_energy);
#define STRM_SEARCH_PROGRESS_EVERY 100

typedef struct {
    bool ran;                     /* a search ran (the plan has genes) */
    int objective;                /* CFG_SEARCH_* */
    uint64_t seed;
    uint32_t n_genes;
    uint32_t *start;              /* round-robin choices (indices into gene cores) */
    srch_result res;              /* best, front, evaluations, start figures */
    uint64_t infeasible;          /* genomes Stream's scheduler refused */
} strm_search_result;

/* Searches the allocations of p's genes with q's settings, scheduling on
 * g (built from p by strm_graph_build). On return p and g hold the best
 * allocation. With no genes: out->ran false and nothing done. 0, or -1
 * with err (the start allocation cannot be scheduled, out of memory). */
int strm_search_run(strm_plan *p, strm_graph *g, const cfg_search *q, strm_search_progress cb,
                    void *cb_ctx, strm_search_result *out, base_error *err);
void strm_search_result_free(strm_search_result *r);

/* Objective names as the scenario spells them: latency, energy, edp, pareto. */
const char *strm_search_objective_name(int objective);

#endif
