/* test_strm_files.c -- Stream's schedule from Stream's own files, with
 * nothing of Stream's results used on the way: the accelerator through
 * evsim's chip loader, the ONNX model with Stream's layer semantics, the
 * mapping, the case's layer stacks; Stream's CN table (strm_plan), the
 * graph (strm_graph_build, strm_hw_from_chip), the scheduler. Checked
 * against what Stream computed (../shared/reference/stream/results):
 * latency and each of the nine energy terms within 0.5 % (a term 0 in
 * Stream below 1 pJ), and at least 99 % of CNs with Stream's start and
 * end. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/cfg_onnx.h"
#include "run/strm_build.h"
#include "stream_test_util.h"
#include "test_skip.h"

#define REF "../shared/reference/stream/"

static const cJSON *item(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    ck_assert_msg(v != NULL, "no %s", k);
    return v;
}

typedef struct {
    cfg_chip *chip;
    cfg_workload *wl;
    cfg_mapping *map;
    strm_plan *plan;
    strm_graph g;
    strm_result r;
} files_run;

/* The case's stacks from case.json (layer ids per stack). */
static void stacks_of(const cJSON *opts, int64_t *ids, int *of, int *n)
{
    int s = 0;
    const cJSON *stk, *id;
    *n = 0;
    cJSON_ArrayForEach(stk, item(opts, "layer_stacks_given")) {
        cJSON_ArrayForEach(id, stk) {
            if (*n < 512) {
                ids[*n] = (int64_t)id->valuedouble;
                of[(*n)++] = s;
            }
        }
        s++;
    }
}

static void run_files(const char *name, const char *accel, files_run *fr, const cJSON *cs)
{
    char p[2 * BASE_PATH_MAX];
    base_errors errs;
    base_errors_init(&errs);
    snprintf(p, sizeof p, REF "inputs/%s/%s", name, accel);
    fr->chip = cfg_chip_load_file(p, &errs);
    cfg_onnx_options oo = {.stream = true};
    snprintf(p, sizeof p, REF "inputs/%s/resnet18.onnx", name);
    fr->wl = cfg_onnx_workload_load_file_opt(p, &oo, &errs);
    snprintf(p, sizeof p, REF "inputs/%s/mapping_resnet18_rr_fixed.yaml", name);
    fr->map = cfg_mapping_load_file(p, &errs);
    if (!fr->chip || !fr->wl || !fr->map)
        base_errors_print(stderr, &errs);
    base_errors_clear(&errs);
    ck_assert(fr->chip && fr->wl && fr->map);
    int64_t ids[512];
    int of[512], n;
    const cJSON *opts = item(cs, "options");
    stacks_of(opts, ids, of, &n);
    strm_plan_stacks st = {.fused = !strcmp(item(opts, "mode")->valuestring, "fused"),
                           .n_ids = n, .layer_id = ids, .stack_of = of};
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error err;
    base_error_clear(&err);
    fr->plan = strm_plan_build(fr->chip, fr->wl, fr->map, &st, &opt, NULL, &err);
    ck_assert_msg(fr->plan != NULL, "%s", err.msg);
    ck_assert_msg(strm_graph_build(fr->plan, fr->chip, fr->wl, fr->map, &fr->g, &err) == 0, "%s",
                  err.msg);
    ck_assert_msg(strm_schedule(&fr->g, &fr->r, &err) == 0, "%s", err.msg);
}

static void files_free(files_run *fr)
{
    strm_result_free(&fr->r);
    strm_graph_free(&fr->g);
    strm_plan_free(fr->plan);
    cfg_mapping_free(fr->map);
    cfg_workload_free(fr->wl);
    cfg_chip_free(fr->chip);
}

static int cn_index(const files_run *fr, int layer, int sub)
{
    for (int i = 0; i < fr->g.n_cns; i++)
        if (fr->g.cns[i].layer == layer && fr->g.cns[i].sub_id == sub)
            return i;
    return -1;
}

static void check_case(const char *name)
{
    char p[2 * BASE_PATH_MAX];
    snprintf(p, sizeof p, REF "inputs/%s/case.json", name);
    cJSON *cs = stream_load_json(p);
    snprintf(p, sizeof p, REF "results/%s.json", name);
    cJSON *res = stream_load_json(p);
    ck_assert(cs && res);
    const cJSON *rr = item(res, "results");
    files_run fr;
    memset(&fr, 0, sizeof fr);
    run_files(name, "tpu_like_quad_core.yaml", &fr, cs);
    double want = item(rr, "latency_cycles")->valuedouble;
    printf("stream from files %s: latency %.1f (Stream %.0f)\n", name, fr.r.latency_cycles, want);
    int bad_terms = 0;
    for (int t = 0; t < STRM_N_ENERGY; t++) {
        double w = item(item(rr, "energy_pJ"), strm_energy_name((strm_energy_term)t))->valuedouble;
        double v = fr.r.energy_pj[t];
        bool ok = w == 0 ? fabs(v) < 1 : fabs(v - w) <= 0.005 * fabs(w);
        bad_terms += !ok;
        printf("  %-34s %18.2f  Stream %18.2f%s\n", strm_energy_name((strm_energy_term)t), v, w,
               ok ? "" : "  <-- off");
    }
    int same = 0, total = 0, shown = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item(rr, "cns")) {
        total++;
        int i = cn_index(&fr, (int)item(e, "layer")->valuedouble, (int)item(e, "sub_id")->valuedouble);
        bool eq = i >= 0 && fabs(fr.r.start[i] - item(e, "start")->valuedouble) < 1e-6 &&
                  fabs(fr.r.end[i] - item(e, "end")->valuedouble) < 1e-6;
        same += eq;
        if (!eq && shown++ < 5)
            printf("  CN %d/%d: evsim %.1f-%.1f, Stream %.1f-%.1f\n",
                   (int)item(e, "layer")->valuedouble, (int)item(e, "sub_id")->valuedouble,
                   i >= 0 ? fr.r.start[i] : -1, i >= 0 ? fr.r.end[i] : -1,
                   item(e, "start")->valuedouble, item(e, "end")->valuedouble);
    }
    printf("  CNs with Stream's start and end: %d of %d\n", same, total);
    fflush(stdout);
    ck_assert_double_le(fabs(fr.r.latency_cycles - want), 0.005 * want);
    ck_assert_int_eq(bad_terms, 0);
    ck_assert_int_ge(100 * same, 99 * total);
    files_free(&fr);
    cJSON_Delete(cs);
    cJSON_Delete(res);
}

START_TEST(test_c1_from_files)
{
    check_case("c1_resnet18_lbl_rr");
}
END_TEST

START_TEST(test_c3_from_files)
{
    check_case("c3_resnet18_fused_rr");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strm_files");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 600);
    const char *c1[] = {REF "results/c1_resnet18_lbl_rr.json",
                        REF "inputs/c1_resnet18_lbl_rr/case.json", NULL};
    const char *c3[] = {REF "results/c3_resnet18_fused_rr.json",
                        REF "inputs/c3_resnet18_fused_rr/case.json", NULL};
    tcase_add_test_needing_all(tc, test_c1_from_files, c1);
    tcase_add_test_needing_all(tc, test_c3_from_files, c3);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
