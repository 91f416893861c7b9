/* strm_search.c -- Stream's allocation search over evsim's CN table
 * (strm_search.h). */
#include <string.h>

#include "run/strm_build.h"
#include "run/strm_search.h"

/* An infeasible genome's figures: finite (NSGA-II's crowding distance
 * subtracts them) and above any real schedule. */
#define INFEASIBLE 1e30

typedef struct {
    strm_plan *p;
    strm_graph *g;
    int objective;
    strm_search_progress cb;
    void *cb_ctx;
    uint64_t n, infeasible;
    double best_lat, best_en, best_fit;
} ctx;

static double fit_of(int objective, double lat, double en)
{
    return objective == CFG_SEARCH_LATENCY ? lat : objective == CFG_SEARCH_ENERGY ? en : lat * en;
}

static int eval(void *vc, const uint32_t *genes, double *latency, double *energy, base_error *err)
{
    ctx *c = vc;
    strm_plan_assign(c->p, genes);
    strm_graph_assign(c->p, c->g);
    strm_result r;
    base_error e;
    base_error_clear(&e);
    int rc = strm_schedule(c->g, &r, &e);
    *latency = rc == 0 ? r.latency_cycles : INFEASIBLE;
    *energy = rc == 0 ? r.total_pj : INFEASIBLE;
    strm_result_free(&r);
    (void)err; /* an allocation Stream refuses is infeasible, not an error */
    c->infeasible += rc != 0;
    double f = fit_of(c->objective, *latency, *energy);
    if (c->n == 0 || f < c->best_fit) {
        c->best_fit = f;
        c->best_lat = *latency;
        c->best_en = *energy;
    }
    if (++c->n % STRM_SEARCH_PROGRESS_EVERY == 0 && c->cb)
        c->cb(c->cb_ctx, c->n, c->best_lat, c->best_en);
    return 0;
}

const char *strm_search_objective_name(int objective)
{
    static const char *const n[] = {"latency", "energy", "edp", "pareto"};
    return objective >= 0 && objective <= CFG_SEARCH_PARETO ? n[objective] : "?";
}

/* The round-robin start must schedule: it is what the result is never
 * worse than. */
static int start_ok(strm_plan *p, strm_graph *g, const uint32_t *start, base_error *err)
{
    strm_plan_assign(p, start);
    strm_graph_assign(p, g);
    strm_result r;
    base_error e;
    base_error_clear(&e);
    int rc = strm_schedule(g, &r, &e);
    strm_result_free(&r);
    return rc == 0 ? 0 : base_fail(err, "the round-robin allocation: %s", e.msg);
}

static const srch_objective objectives[] = {SRCH_LATENCY, SRCH_ENERGY, SRCH_EDP, SRCH_PARETO};

int strm_search_run(strm_plan *p, strm_graph *g, const cfg_search *q, strm_search_progress cb,
                    void *cb_ctx, strm_search_result *out, base_error *err)
{
    memset(out, 0, sizeof *out);
    if (p->n_genes == 0)
        return 0;
    out->ran = true;
    out->objective = q->objective;
    out->seed = q->seed;
    out->n_genes = p->n_genes;
    out->start = base_calloc(p->n_genes, sizeof *out->start);
    uint32_t *n_choices = base_calloc(p->n_genes, sizeof *n_choices);
    if (!out->start || !n_choices) {
        base_free(n_choices);
        return base_fail(err, "out of memory for the allocation search");
    }
    for (uint32_t i = 0; i < p->n_genes; i++) {
        out->start[i] = p->genes[i].start;
        n_choices[i] = p->genes[i].n_cores;
    }
    ctx c = {.p = p, .g = g, .objective = q->objective, .cb = cb, .cb_ctx = cb_ctx};
    if (start_ok(p, g, out->start, err) != 0) {
        base_free(n_choices);
        return -1;
    }
    srch_space sp = {.n_genes = p->n_genes, .n_choices = n_choices, .start = out->start,
                     .eval = eval, .ctx = &c};
    srch_options so = {.objective = objectives[q->objective], .seed = q->seed,
                       .population = q->population, .generations = q->generations,
                       .patience = q->patience, .max_evaluations = q->max_evaluations,
                       .crossover = -1, .mutation = -1};
    int rc = srch_run(&sp, &so, &out->res, err);
    base_free(n_choices);
    out->infeasible = c.infeasible;
    if (rc != 0)
        return -1;
    strm_plan_assign(p, out->res.best);
    strm_graph_assign(p, g);
    return 0;
}

void strm_search_result_free(strm_search_result *r)
{
    if (!r)
        return;
    base_free(r->start);
    srch_result_free(&r->res);
    memset(r, 0, sizeof *r);
}
