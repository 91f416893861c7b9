/* search.h -- an evolutionary search over choices, for core allocation.
 *
 * Stream leaves a layer's cores to its genetic algorithm when the mapping
 * lists more cores than the layer's inter-core split. The same problem
 * here: each free layer is a gene whose value picks one of its allowed
 * allocations (the caller's list), a schedule is the fitness, and the
 * search minimises latency, energy or their product, or keeps the Pareto
 * front of latency and energy (NSGA-II: non-dominated sorting, crowding
 * distance). Why a GA and not a MILP (GLPK, CBC): the fitness is a
 * schedule with bandwidth sharing, memory eviction and barriers, which no
 * linear model states exactly; with a scheduler evaluating thousands of
 * allocations per second a GA over the exact model searches the real
 * objective. README.md "Coming from Stream" says more.
 *
 * Deterministic: the same space, seed and options give the same result
 * (no time limit; ties broken by genome order). The start genome (e.g.
 * the round-robin allocation) is in the first population and the best is
 * taken over every genome evaluated, so the result is never worse than
 * it. Every genome is evaluated once (a table of those seen). */
#ifndef EVSIM_SEARCH_H
#define EVSIM_SEARCH_H

#include <stdint.h>

#include "base/base.h"

typedef enum { SRCH_LATENCY = 0, SRCH_ENERGY, SRCH_EDP, SRCH_PARETO } srch_objective;

/* Evaluates one genome: its latency and energy (any units, both >= 0).
 * 0, or -1 with err set (the search stops with that error). */
typedef int (*srch_eval_fn)(void *ctx, const uint32_t *genes, double *latency, double *energy,
                            base_error *err);

typedef struct {
    uint32_t n_genes;
    const uint32_t *n_choices;   /* per gene, >= 1 */
    const uint32_t *start;       /* a genome to start from, NULL: none */
    srch_eval_fn eval;
    void *ctx;
} srch_space;

typedef struct {
    srch_objective objective;
    uint64_t seed;
    uint32_t population;         /* 0: 32 */
    uint32_t generations;        /* 0: 40 */
    uint32_t patience;           /* stop after this many generations without
                                    a better best (or front); 0: never */
    uint64_t max_evaluations;    /* 0: no limit */
    double crossover;            /* per pair; < 0: 0.9 */
    double mutation;             /* per gene; < 0: 1 / n_genes */
} srch_options;

typedef struct {
    uint32_t n_genes;
    uint32_t *best;              /* by the objective (Pareto: least EDP) */
    double best_latency, best_energy;
    double start_latency, start_energy; /* of srch_space.start, if given */
    /* The non-dominated genomes of everything evaluated, by latency. */
    uint32_t n_front;
    uint32_t *front;             /* n_front x n_genes */
    double *front_latency, *front_energy;
    uint64_t evaluations;        /* distinct genomes evaluated */
    uint32_t generations;        /* run */
} srch_result;

/* Runs the search. 0, or -1 with err (bad space, out of memory, or the
 * evaluator's error). */
int srch_run(const srch_space *sp, const srch_options *opt, srch_result *out, base_error *err);
void srch_result_free(srch_result *r);

/* The number of genomes of the space (saturating at UINT64_MAX): when it
 * is below what the search would evaluate, it may enumerate all. */
uint64_t srch_space_size(const srch_space *sp);

#endif
