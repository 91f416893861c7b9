/* test_strm_sched.c -- Stream's classic scheduler (sim/run/strm.h)
 * against Stream itself: the graph of cases c1 (layer by layer) and c3
 * (fused) built from Stream's recorded CNs and costs (strm_ref.h), then
 * latency, the nine energy terms and every CN's start and end compared
 * with what Stream computed. And a small case whose numbers are derived
 * by hand below. */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "run/strm.h"
#include "strm_ref.h"
#include "test_skip.h"

/* ---- against Stream ------------------------------------------------------ */

static void check_energy(const strm_result *r, const cJSON *ej)
{
    for (int t = 0; t < STRM_N_ENERGY; t++) {
        const char *name = strm_energy_name((strm_energy_term)t);
        double want = sref_num(ej, name), got = r->energy_pj[t];
        double rel = want != 0 ? fabs(got - want) / fabs(want) : 0;
        printf("  %-34s stream %16.2f  evsim %16.2f  (%.4f %%)\n", name, want, got, 100 * rel);
        if (want == 0)
            ck_assert_msg(fabs(got) < 1, "%s: Stream 0, evsim %g pJ", name, got);
        else
            ck_assert_msg(rel <= 0.005, "%s: %.4f %% off", name, 100 * rel);
    }
}

/* The fraction of CNs whose start and end equal Stream's; prints the
 * first mismatches. */
static double cn_match(const strm_graph *g, const strm_result *r, const cJSON *cns)
{
    int same = 0, shown = 0, i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cns) {
        double s = sref_num(rec, "start"), e = sref_num(rec, "end");
        if (r->start[i] == s && r->end[i] == e)
            same++;
        else if (shown++ < 8)
            printf("  CN layer %d sub %d core %d: stream [%g, %g], evsim [%g, %g]\n", g->cns[i].layer,
                   g->cns[i].sub_id, g->cns[i].core, s, e, r->start[i], r->end[i]);
        i++;
    }
    return (double)same / (double)g->n_cns;
}

static void run_case(const char *name, int want_edges)
{
    strm_graph g;
    cJSON *res = NULL;
    base_error err;
    base_error_clear(&err);
    char buf[1024];
    int rc = sref_build(name, &g, &res, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, base_error_str(&err, buf, sizeof buf));
    const cJSON *r = cJSON_GetObjectItem(res, "results");
    printf("%s: %d CNs, %d dependency edges (Stream %d)\n", name, g.n_cns, g.n_edges,
           (int)sref_num(r, "n_dependency_edges"));
    ck_assert_int_eq(g.n_edges, (int)sref_num(r, "n_dependency_edges"));
    ck_assert_int_eq(g.n_edges, want_edges);
    strm_result out;
    rc = strm_schedule(&g, &out, &err);
    ck_assert_msg(rc == 0, "%s: %s", name, base_error_str(&err, buf, sizeof buf));
    double want = sref_num(r, "latency_cycles");
    double rel = fabs(out.latency_cycles - want) / want;
    printf("  latency: stream %.0f, evsim %.1f (%.4f %%); events: stream %d, evsim %d\n", want,
           out.latency_cycles, 100 * rel, (int)sref_num(r, "n_communication_events"), out.n_events);
    check_energy(&out, cJSON_GetObjectItem(r, "energy_pJ"));
    double m = cn_match(&g, &out, cJSON_GetObjectItem(r, "cns"));
    printf("  CN start/end equal to Stream's: %.2f %% of %d\n", 100 * m, g.n_cns);
    ck_assert_msg(rel <= 0.005, "latency %.4f %% off", 100 * rel);
    ck_assert_msg(m >= 0.99, "only %.2f %% of CNs start and end as in Stream", 100 * m);
    strm_result_free(&out);
    strm_graph_free(&g);
    cJSON_Delete(res);
}

START_TEST(test_c1_layer_by_layer_matches_stream)
{
    run_case("c1_resnet18_lbl_rr", 55);
}
END_TEST

START_TEST(test_c3_fused_matches_stream)
{
    run_case("c3_resnet18_fused_rr", 3043);
}
END_TEST

Suite *strm_suite(void);

Suite *strm_suite(void)
{
    Suite *s = suite_create("strm_sched");
    TCase *tc = tcase_create("stream");
    tcase_set_timeout(tc, 120);
    const char *c1[] = {SREF_DIR "results/c1_resnet18_lbl_rr.json",
                        SREF_DIR "inputs/c1_resnet18_lbl_rr/case.json", NULL};
    const char *c3[] = {SREF_DIR "results/c3_resnet18_fused_rr.json",
                        SREF_DIR "inputs/c3_resnet18_fused_rr/case.json", NULL};
    tcase_add_test_needing_all(tc, test_c1_layer_by_layer_matches_stream, c1);
    tcase_add_test_needing_all(tc, test_c3_fused_matches_stream, c3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(strm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
