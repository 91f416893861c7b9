/* test_strm_search.c -- Stream's allocation search (sim/run/strm_search.h)
 * on a case small enough to solve by hand: two convolutions, layer by
 * layer, on a 32x32 and an 8x8 core, each layer free to use either
 * (tests/data/stream/search_tiny). Layer by layer, Stream's schedule is
 * serial and moves no tensor (every operand streams from DRAM), so a
 * genome's latency is the sum of its two CNs' runtimes on the chosen
 * cores and its energy the sum of their energies: the test derives all
 * four genomes' figures from the plan's per-core cost table (the 8x8
 * core is slower, and cheaper) and checks
 * that the search finds the best one (for latency, energy, EDP), that
 * the Pareto front is the non-dominated ones, that the round-robin start
 * is layer 0 on core 0 and layer 1 on core 1, that a search cut after the
 * start returns the start, and that a seed gives the same result twice. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "run/strm_build.h"
#include "run/strm_search.h"

#define TINY "tests/data/stream/search_tiny/lbl.yaml"

static run_result res;

static void setup(void)
{
    run_options o;
    run_options_default(&o);
    o.json_path = o.text_path = "";
    o.no_trace = true;
    base_error err;
    ck_assert_msg(run_scenario(TINY, &o, &res, &err) == 0, "%s", err.msg);
}

static void teardown(void)
{
    run_result_free(&res);
}

/* Genome (c0, c1)'s latency and energy from the cost table: the sums. */
static void by_hand(const strm_plan *p, const uint32_t *g, double *lat, double *en)
{
    *lat = *en = 0;
    for (uint32_t i = 0; i < p->n_cns; i++) {
        const strm_plan_cn *cn = &p->cns[i];
        ck_assert_int_ge(cn->gene, 0);
        const strm_plan_alt *a = &p->alts[cn->first_alt + g[cn->gene]];
        *lat += a->runtime;
        *en += a->onchip_pj + a->offchip_pj;
    }
}

static double objective(int o, double lat, double en)
{
    return o == CFG_SEARCH_LATENCY ? lat : o == CFG_SEARCH_ENERGY ? en : lat * en;
}

static void search(int obj, uint64_t max_eval, strm_search_result *out)
{
    cfg_search q = {.objective = obj, .seed = 7, .population = 8, .generations = 4,
                    .max_evaluations = max_eval};
    base_error err;
    ck_assert_msg(strm_search_run(res.strm, &res.strm_graph, &q, NULL, NULL, out, &err) == 0,
                  "%s", err.msg);
}

START_TEST(test_two_genes_two_cores_and_the_round_robin_start)
{
    const strm_plan *p = res.strm;
    ck_assert_uint_eq(p->n_cns, 2);
    ck_assert_uint_eq(p->n_genes, 2);
    ck_assert_uint_eq(p->n_flexible, 2);
    for (uint32_t g = 0; g < 2; g++) {
        ck_assert_uint_eq(p->genes[g].n_cores, 2);
        ck_assert_int_eq(p->genes[g].cores[0], 0);
        ck_assert_int_eq(p->genes[g].cores[1], 1);
        ck_assert_uint_eq(p->genes[g].start, g); /* the k-th layer on core k mod 2 */
    }
    /* The 8x8 core is slower for both layers (a quarter of the MACs per
     * cycle), which makes the best latency allocation (0, 0). */
    for (uint32_t i = 0; i < 2; i++)
        ck_assert_double_gt(p->alts[p->cns[i].first_alt + 1].runtime,
                            p->alts[p->cns[i].first_alt].runtime);
    /* The run's own search (objective latency, seed 7) chose it. */
    ck_assert(res.strm_search.ran);
    ck_assert_uint_eq(res.strm_search.res.best[0], 0);
    ck_assert_uint_eq(res.strm_search.res.best[1], 0);
    double lat, en;
    by_hand(p, (uint32_t[]){0, 1}, &lat, &en);
    ck_assert_double_eq(res.strm_search.res.start_latency, lat);
    ck_assert_double_eq_tol(res.strm_search.res.start_energy, en, 1e-6 * en);
    by_hand(p, (uint32_t[]){0, 0}, &lat, &en);
    ck_assert_double_eq(res.strm_res.latency_cycles, lat); /* the schedule reported is the best */
    ck_assert_int_eq(res.strm_graph.cns[1].core, 0);
}
END_TEST

/* Every objective's best is the minimum over the four genomes by hand. */
START_TEST(test_best_is_the_hand_derived_minimum)
{
    for (int obj = CFG_SEARCH_LATENCY; obj <= CFG_SEARCH_EDP; obj++) {
        double best = INFINITY, lat, en;
        uint32_t want[2] = {0, 0};
        for (uint32_t a = 0; a < 2; a++)
            for (uint32_t b = 0; b < 2; b++) {
                by_hand(res.strm, (uint32_t[]){a, b}, &lat, &en);
                if (objective(obj, lat, en) < best) {
                    best = objective(obj, lat, en);
                    want[0] = a;
                    want[1] = b;
                }
            }
        strm_search_result r;
        search(obj, 0, &r);
        ck_assert_uint_eq(r.res.evaluations, 4); /* a space within budget is enumerated */
        ck_assert_msg(r.res.best[0] == want[0] && r.res.best[1] == want[1],
                      "objective %s: best (%u, %u), by hand (%u, %u)",
                      strm_search_objective_name(obj), r.res.best[0], r.res.best[1], want[0],
                      want[1]);
        ck_assert_double_eq_tol(objective(obj, r.res.best_latency, r.res.best_energy), best,
                                1e-9 * best);
        /* and the plan and graph are left at it */
        ck_assert_int_eq(res.strm_graph.cns[0].core, res.strm->genes[0].cores[want[0]]);
        ck_assert_int_eq(res.strm_graph.cns[1].core, res.strm->genes[1].cores[want[1]]);
        strm_search_result_free(&r);
    }
}
END_TEST

START_TEST(test_pareto_front_is_the_non_dominated_genomes)
{
    double lat[4], en[4];
    for (uint32_t k = 0; k < 4; k++)
        by_hand(res.strm, (uint32_t[]){k >> 1, k & 1}, &lat[k], &en[k]);
    uint32_t n_front = 0;
    for (uint32_t k = 0; k < 4; k++) {
        bool dominated = false;
        for (uint32_t j = 0; j < 4; j++)
            dominated |= lat[j] <= lat[k] && en[j] <= en[k] && (lat[j] < lat[k] || en[j] < en[k]);
        n_front += !dominated;
    }
    ck_assert_uint_eq(n_front, 3); /* the small core is slower but cheaper */
    strm_search_result r;
    search(CFG_SEARCH_PARETO, 0, &r);
    ck_assert_uint_eq(r.res.n_front, n_front);
    for (uint32_t i = 0; i < r.res.n_front; i++) {
        uint32_t k = r.res.front[2 * i] * 2 + r.res.front[2 * i + 1];
        ck_assert_double_eq(r.res.front_latency[i], lat[k]);
        ck_assert_double_eq_tol(r.res.front_energy[i], en[k], 1e-6 * en[k]);
        if (i > 0) /* by latency, each with less energy than the one before */
            ck_assert(r.res.front_latency[i] > r.res.front_latency[i - 1] &&
                      r.res.front_energy[i] < r.res.front_energy[i - 1]);
    }
    strm_search_result_free(&r);
}
END_TEST

/* A budget of one allocation is spent on the start: the result is it. */
START_TEST(test_never_worse_than_the_start)
{
    strm_search_result r;
    search(CFG_SEARCH_LATENCY, 1, &r);
    ck_assert_uint_eq(r.res.evaluations, 1);
    ck_assert_uint_eq(r.res.best[0], 0);
    ck_assert_uint_eq(r.res.best[1], 1);
    ck_assert_double_eq(r.res.best_latency, r.res.start_latency);
    strm_search_result_free(&r);
    search(CFG_SEARCH_LATENCY, 3, &r); /* the GA: start first, then random */
    ck_assert_double_le(r.res.best_latency, r.res.start_latency);
    strm_search_result_free(&r);
}
END_TEST

START_TEST(test_same_seed_same_result)
{
    strm_search_result a, b;
    search(CFG_SEARCH_PARETO, 3, &a);
    search(CFG_SEARCH_PARETO, 3, &b);
    ck_assert_uint_eq(a.res.evaluations, b.res.evaluations);
    ck_assert_uint_eq(a.res.n_front, b.res.n_front);
    ck_assert_mem_eq(a.res.best, b.res.best, 2 * sizeof *a.res.best);
    ck_assert_mem_eq(a.res.front, b.res.front, 2 * a.res.n_front * sizeof *a.res.front);
    strm_search_result_free(&a);
    strm_search_result_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strm_search");
    TCase *tc = tcase_create("search_tiny");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_two_genes_two_cores_and_the_round_robin_start);
    tcase_add_test(tc, test_best_is_the_hand_derived_minimum);
    tcase_add_test(tc, test_pareto_front_is_the_non_dominated_genomes);
    tcase_add_test(tc, test_never_worse_than_the_start);
    tcase_add_test(tc, test_same_seed_same_result);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
