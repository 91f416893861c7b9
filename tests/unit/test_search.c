/* test_search.c -- the allocation search (sim/search) on problems whose
 * answers are known: a separable cost the GA must solve exactly, a small
 * space it must enumerate, a latency/energy trade-off whose front is
 * derived here, determinism, and its errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search.h"

#define G 16
#define C 4

/* cost[i][v]: gene i at value v; the optimum takes each gene's least. */
static double cost[G][C];
static uint64_t evals;

static void make_costs(void)
{
    for (int i = 0; i < G; i++)
        for (int v = 0; v < C; v++)
            cost[i][v] = 1.0 + (double)((i * 7 + v * 5) % 11) + 0.01 * v;
}

static double optimum(void)
{
    double s = 0;
    for (int i = 0; i < G; i++) {
        double m = cost[i][0];
        for (int v = 1; v < C; v++)
            m = cost[i][v] < m ? cost[i][v] : m;
        s += m;
    }
    return s;
}

static int separable(void *ctx, const uint32_t *g, double *lat, double *en, base_error *err)
{
    (void)ctx;
    (void)err;
    double s = 0;
    for (int i = 0; i < G; i++)
        s += cost[i][g[i]];
    *lat = s;
    *en = 1.0;
    evals++;
    return 0;
}

static const uint32_t four[G] = {C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C};

START_TEST(test_ga_solves_a_separable_cost_and_beats_its_start)
{
    make_costs();
    uint32_t start[G] = {0}; /* gene 0 at value 0 everywhere */
    srch_space sp = {G, four, start, separable, NULL};
    srch_options o = {.objective = SRCH_LATENCY, .seed = 7, .population = 32,
                      .generations = 120, .crossover = -1, .mutation = -1};
    srch_result r;
    base_error e;
    evals = 0;
    ck_assert_int_eq(srch_run(&sp, &o, &r, &e), 0);
    ck_assert_uint_gt(srch_space_size(&sp), (uint64_t)32 * 121); /* not enumerated */
    ck_assert_double_eq_tol(r.best_latency, optimum(), 1e-9);
    ck_assert_double_le(r.best_latency, r.start_latency);
    ck_assert_uint_eq(r.evaluations, evals); /* each genome once */
    ck_assert_uint_le(r.evaluations, (uint64_t)32 * 121);
    double s = 0;
    for (int i = 0; i < G; i++)
        s += cost[i][r.best[i]];
    ck_assert_double_eq_tol(s, r.best_latency, 1e-9);
    srch_result_free(&r);
}
END_TEST

START_TEST(test_same_seed_same_result_other_seed_other_path)
{
    make_costs();
    srch_space sp = {G, four, NULL, separable, NULL};
    srch_options o = {.objective = SRCH_LATENCY, .seed = 3, .population = 16,
                      .generations = 10, .crossover = -1, .mutation = -1};
    srch_result a, b, c;
    base_error e;
    ck_assert_int_eq(srch_run(&sp, &o, &a, &e), 0);
    ck_assert_int_eq(srch_run(&sp, &o, &b, &e), 0);
    o.seed = 4;
    ck_assert_int_eq(srch_run(&sp, &o, &c, &e), 0);
    ck_assert_uint_eq(a.evaluations, b.evaluations);
    ck_assert_double_eq(a.best_latency, b.best_latency);
    ck_assert_mem_eq(a.best, b.best, G * sizeof *a.best);
    ck_assert_uint_eq(a.n_front, b.n_front);
    /* a different seed explores differently (10 short generations do not
     * both land on one genome set) */
    ck_assert(a.evaluations != c.evaluations || memcmp(a.best, c.best, sizeof a.best[0] * G) ||
              a.best_latency != c.best_latency);
    srch_result_free(&a);
    srch_result_free(&b);
    srch_result_free(&c);
}
END_TEST

/* 3 genes of 3, 2 and 4 choices: 24 genomes, below the budget, so all of
 * them are evaluated once and the optimum is exact. */
static int small(void *ctx, const uint32_t *g, double *lat, double *en, base_error *err)
{
    (void)ctx;
    (void)err;
    *lat = fabs((double)g[0] - 2) + fabs((double)g[1] - 1) + fabs((double)g[2] - 3) + 5;
    *en = 2;
    return 0;
}

START_TEST(test_small_space_is_enumerated)
{
    const uint32_t n[3] = {3, 2, 4};
    srch_space sp = {3, n, NULL, small, NULL};
    srch_options o = {.objective = SRCH_EDP, .seed = 1, .crossover = -1, .mutation = -1};
    srch_result r;
    base_error e;
    ck_assert_int_eq(srch_run(&sp, &o, &r, &e), 0);
    ck_assert_uint_eq(srch_space_size(&sp), 24);
    ck_assert_uint_eq(r.evaluations, 24);
    ck_assert_uint_eq(r.generations, 0);
    ck_assert_uint_eq(r.best[0], 2);
    ck_assert_uint_eq(r.best[1], 1);
    ck_assert_uint_eq(r.best[2], 3);
    ck_assert_double_eq(r.best_latency, 5);
    srch_result_free(&r);
}
END_TEST

/* Latency falls and energy rises with the number of genes set to 1, and
 * genes set in the upper half cost more energy than in the lower: the
 * front is, for each count k, the genome with the k lowest genes set --
 * G + 1 points, lat = G - k, en = the sum of the k lowest weights. */
static int tradeoff(void *ctx, const uint32_t *g, double *lat, double *en, base_error *err)
{
    (void)ctx;
    (void)err;
    double l = G, w = 0;
    for (int i = 0; i < G; i++)
        if (g[i]) {
            l -= 1;
            w += 1.0 + i; /* gene i's weight */
        }
    *lat = l;
    *en = w;
    return 0;
}

START_TEST(test_pareto_front_of_a_known_tradeoff)
{
    uint32_t two[G];
    for (int i = 0; i < G; i++)
        two[i] = 2;
    srch_space sp = {G, two, NULL, tradeoff, NULL};
    srch_options o = {.objective = SRCH_PARETO, .seed = 11, .population = 64,
                      .generations = 200, .crossover = -1, .mutation = -1};
    srch_result r;
    base_error e;
    ck_assert_int_eq(srch_run(&sp, &o, &r, &e), 0);
    ck_assert_uint_gt(srch_space_size(&sp), (uint64_t)64 * 201); /* 65536: not enumerated */
    /* sorted by latency, energy strictly falling: non-dominated */
    for (uint32_t i = 1; i < r.n_front; i++) {
        ck_assert_double_ge(r.front_latency[i], r.front_latency[i - 1]);
        ck_assert_double_lt(r.front_energy[i], r.front_energy[i - 1]);
    }
    /* the true front: lat G-k with energy k(k+1)/2; count how many the
     * search found exactly (the ends at least, most of the rest) */
    uint32_t exact = 0;
    for (uint32_t i = 0; i < r.n_front; i++) {
        double k = G - r.front_latency[i];
        exact += fabs(r.front_energy[i] - k * (k + 1) / 2) < 1e-9;
    }
    ck_assert_double_eq(r.front_latency[0], 0);           /* all set */
    ck_assert_double_eq(r.front_energy[0], G * (G + 1) / 2.0);
    ck_assert_double_eq(r.front_latency[r.n_front - 1], G); /* none set */
    ck_assert_double_eq(r.front_energy[r.n_front - 1], 0);
    ck_assert_uint_ge(exact, (G + 1) * 3 / 4);
    srch_result_free(&r);
}
END_TEST

static int failing(void *ctx, const uint32_t *g, double *lat, double *en, base_error *err)
{
    int *left = ctx;
    (void)g;
    *lat = *en = 1;
    if (--*left == 0)
        return base_fail(err, "schedule failed: core 9 has no memory");
    return 0;
}

START_TEST(test_errors_stop_the_search_with_their_message)
{
    int left = 5;
    srch_space sp = {G, four, NULL, failing, &left};
    srch_options o = {.objective = SRCH_LATENCY, .seed = 1, .crossover = -1, .mutation = -1};
    srch_result r;
    base_error e;
    ck_assert_int_eq(srch_run(&sp, &o, &r, &e), -1);
    ck_assert_str_eq(e.msg, "schedule failed: core 9 has no memory");
    ck_assert_ptr_null(r.best);
    uint32_t bad[G] = {0};
    bad[3] = 4;
    srch_space sp2 = {G, four, bad, separable, NULL};
    ck_assert_int_eq(srch_run(&sp2, &o, &r, &e), -1);
    ck_assert_str_eq(e.msg, "allocation search: the start genome's gene 3 is 4, expected below 4");
}
END_TEST

static Suite *search_suite(void)
{
    Suite *s = suite_create("search");
    TCase *tc = tcase_create("search");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ga_solves_a_separable_cost_and_beats_its_start);
    tcase_add_test(tc, test_same_seed_same_result_other_seed_other_path);
    tcase_add_test(tc, test_small_space_is_enumerated);
    tcase_add_test(tc, test_pareto_front_of_a_known_tradeoff);
    tcase_add_test(tc, test_errors_stop_the_search_with_their_message);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(search_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
