/* test_strm_plan.c -- Stream's CN table rebuilt by strm_plan from the
 * case's own ONNX model, mapping and cores (../shared/reference/stream):
 * CN and edge counts, and per CN of results.cns[] core, runtime, on/off-
 * chip energy, too-large operands and loop ranges; the priority order
 * equal to case.json's scheduling_order. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/cfg_onnx.h"
#include "run/strm_plan.h"
#include "stream_test_util.h"
#include "test_skip.h"

#define REF "../shared/reference/stream/"

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool near(double a, double b)
{
    return b == 0 ? fabs(a) < 1e-9 : fabs(a - b) / fabs(b) <= 1e-6;
}

/* The CN's mismatches with Stream's record e, one line into why. */
static bool cn_equal(const strm_plan *p, const cfg_workload *wl, const strm_plan_cn *cn,
                     const cJSON *e, char *why, size_t len)
{
    const cfg_layer *l = &wl->layers[cn->layer];
    why[0] = '\0';
    if (cn->core != (int)item(e, "core")->valuedouble)
        snprintf(why, len, "core %d, Stream %d", cn->core, (int)item(e, "core")->valuedouble);
    else if (!near(cn->runtime, item(e, "runtime")->valuedouble))
        snprintf(why, len, "runtime %.3f, Stream %.3f", cn->runtime, item(e, "runtime")->valuedouble);
    else if (!near(cn->onchip_pj, item(e, "onchip_energy")->valuedouble))
        snprintf(why, len, "onchip %.3f, Stream %.3f", cn->onchip_pj,
                 item(e, "onchip_energy")->valuedouble);
    else if (!near(cn->offchip_pj, item(e, "offchip_energy")->valuedouble))
        snprintf(why, len, "offchip %.3f, Stream %.3f", cn->offchip_pj,
                 item(e, "offchip_energy")->valuedouble);
    if (why[0])
        return false;
    bool tl[STRM_N_OPS] = {false};
    const cJSON *t;
    cJSON_ArrayForEach(t, item(e, "too_large_operands")) tl[cfg_mem_operand_from_name(t->valuestring)] = true;
    for (int op = 0; op < STRM_N_OPS; op++)
        if (tl[op] != cn->too_large[op]) {
            snprintf(why, len, "too_large %s: %d, Stream %d", cfg_mem_operand_name(op),
                     cn->too_large[op], tl[op]);
            return false;
        }
    const cJSON *r;
    cJSON_ArrayForEach(r, item(e, "loop_ranges"))
    {
        int d = cfg_layer_dim(l, r->string);
        if (d < 0)
            continue; /* IX/IY: derived */
        int64_t lo = (int64_t)cJSON_GetArrayItem(r, 0)->valuedouble;
        int64_t hi = (int64_t)cJSON_GetArrayItem(r, 1)->valuedouble;
        if (lo != cn->lo[d] || hi != cn->hi[d]) {
            snprintf(why, len, "%s [%lld, %lld), Stream [%lld, %lld)", r->string,
                     (long long)cn->lo[d], (long long)cn->hi[d], (long long)lo, (long long)hi);
            return false;
        }
    }
    (void)p;
    return true;
}

static int find_cn(const strm_plan *p, int64_t layer, uint32_t sub)
{
    for (uint32_t i = 0; i < p->n_cns; i++)
        if (p->cns[i].layer_id == layer && p->cns[i].sub_id == sub)
            return (int)i;
    return -1;
}

static void run_case(const char *name, const char *mapfile, int want_cns, int want_edges)
{
    char p[2 * BASE_PATH_MAX], dir[BASE_PATH_MAX];
    snprintf(dir, sizeof dir, REF "inputs/%s", name);
    cfg_chip *chip = stream_quad_chip(dir);
    ck_assert_ptr_nonnull(chip);
    base_errors errs;
    base_errors_init(&errs);
    cfg_onnx_options oo = {.stream = true};
    snprintf(p, sizeof p, "%s/resnet18.onnx", dir);
    cfg_workload *wl = cfg_onnx_workload_load_file_opt(p, &oo, &errs);
    snprintf(p, sizeof p, "%s/%s", dir, mapfile);
    cfg_mapping *map = cfg_mapping_load_file(p, &errs);
    if (!wl || !map)
        base_errors_print(stderr, &errs);
    ck_assert_ptr_nonnull(wl);
    ck_assert_ptr_nonnull(map);
    base_errors_clear(&errs);
    snprintf(p, sizeof p, "%s/case.json", dir);
    cJSON *cs = stream_load_json(p);
    snprintf(p, sizeof p, REF "results/%s.json", name);
    cJSON *res = stream_load_json(p);
    ck_assert_ptr_nonnull(cs);
    ck_assert_ptr_nonnull(res);
    const cJSON *opts = item(cs, "options");
    int64_t ids[512];
    int of[512], n = 0, s = 0;
    const cJSON *stk, *id;
    cJSON_ArrayForEach(stk, item(opts, "layer_stacks_given"))
    {
        cJSON_ArrayForEach(id, stk) if (n < 512)
        {
            ids[n] = (int64_t)id->valuedouble;
            of[n++] = s;
        }
        s++;
    }
    strm_plan_stacks st = {.fused = !strcmp(item(opts, "mode")->valuestring, "fused"),
                           .n_ids = n, .layer_id = ids, .stack_of = of};
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    loma_cache *cache = loma_cache_new();
    base_error err;
    base_error_clear(&err);
    strm_plan *pl = strm_plan_build(chip, wl, map, &st, &opt, cache, &err);
    ck_assert_msg(pl != NULL, "%s", err.msg);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    strm_plan *p2 = strm_plan_build(chip, wl, map, &st, &opt, cache, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_ptr_nonnull(p2);
    strm_plan_free(p2);
    double warm = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    int bad = 0, total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, item(item(res, "results"), "cns"))
    {
        total++;
        int k = find_cn(pl, (int64_t)item(e, "layer")->valuedouble,
                        (uint32_t)item(e, "sub_id")->valuedouble);
        char why[256] = "no such CN";
        if (k >= 0 && cn_equal(pl, wl, &pl->cns[k], e, why, sizeof why))
            continue;
        if (bad++ < 10)
            fprintf(stderr, "  %s: layer %d sub %d: %s\n", name, (int)item(e, "layer")->valuedouble,
                    (int)item(e, "sub_id")->valuedouble, why);
    }
    int order_bad = 0, pos = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, item(opts, "scheduling_order"))
    {
        int k = find_cn(pl, (int64_t)cJSON_GetArrayItem(o, 0)->valuedouble,
                        (uint32_t)cJSON_GetArrayItem(o, 1)->valuedouble);
        if (k < 0 || pos >= (int)pl->n_cns || pl->order[pos] != (uint32_t)k) {
            if (order_bad++ < 10)
                fprintf(stderr, "  %s: order %d: Stream [%d, %d]\n", name, pos,
                        (int)cJSON_GetArrayItem(o, 0)->valuedouble,
                        (int)cJSON_GetArrayItem(o, 1)->valuedouble);
        }
        pos++;
    }
    printf("stream plan %s: %u CNs (Stream %d), %u edges of which %u chain (Stream %d), %d/%d CNs "
           "equal, %d order positions differ, %u cost evaluations, warm build %.3f s\n", name,
           pl->n_cns, want_cns, pl->n_edges, pl->n_chain_edges, want_edges, total - bad, total,
           order_bad, pl->n_cost_evals, warm);
    fflush(stdout);
    ck_assert_int_eq(pl->n_cns, want_cns);
    if ((int)pl->n_edges != want_edges) /* which layer pairs have how many */
        for (uint32_t i = 0, run = 0; i < pl->n_edges; i++, run++) {
            const strm_plan_edge *a = &pl->edges[i], *b = i + 1 < pl->n_edges ? &pl->edges[i + 1] : NULL;
            int sl = (int)pl->cns[a->src].layer_id, dl = (int)pl->cns[a->dst].layer_id;
            if (!b || (int)pl->cns[b->src].layer_id != sl || (int)pl->cns[b->dst].layer_id != dl ||
                b->kind != a->kind) {
                if (a->kind == STRM_EDGE_DATA && run + 1 > 200)
                    fprintf(stderr, "  edges %d -> %d: %u\n", sl, dl, run + 1);
                run = UINT32_MAX;
            }
        }
    ck_assert_int_eq(pl->n_edges, want_edges);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(pos, (int)pl->n_cns);
    ck_assert_int_eq(order_bad, 0);
    strm_plan_free(pl);
    loma_cache_free(cache);
    cJSON_Delete(cs);
    cJSON_Delete(res);
    cfg_mapping_free(map);
    cfg_workload_free(wl);
    cfg_chip_free(chip);
}

START_TEST(test_c1_lbl_plan)
{
    run_case("c1_resnet18_lbl_rr", "mapping_resnet18_rr_fixed.yaml", 48, 55);
}
END_TEST

START_TEST(test_c3_fused_plan)
{
    run_case("c3_resnet18_fused_rr", "mapping_resnet18_rr_fixed.yaml", 1118, 3043);
}
END_TEST

/* Stream's eyeriss cases (c4, c5), whose results are kept apart: from the
 * case's inputs alone (its accelerator through evsim's chip loader, the
 * layer stacks as Stream resolved them, c5's Flatten id 47 gone), the CNs
 * in exactly case.json's scheduling_order. */
static void order_case(const char *name, const char *accel, const char *onnx, const char *mapfile)
{
    char p[2 * BASE_PATH_MAX];
    base_errors errs;
    base_errors_init(&errs);
    snprintf(p, sizeof p, REF "inputs/%s/%s", name, accel);
    cfg_chip *chip = cfg_chip_load_file(p, &errs);
    cfg_onnx_options oo = {.stream = true};
    snprintf(p, sizeof p, REF "inputs/%s/%s", name, onnx);
    cfg_workload *wl = cfg_onnx_workload_load_file_opt(p, &oo, &errs);
    snprintf(p, sizeof p, REF "inputs/%s/%s", name, mapfile);
    cfg_mapping *map = cfg_mapping_load_file(p, &errs);
    if (!chip || !wl || !map)
        base_errors_print(stderr, &errs);
    base_errors_clear(&errs);
    ck_assert(chip && wl && map);
    snprintf(p, sizeof p, REF "inputs/%s/case.json", name);
    cJSON *cs = stream_load_json(p);
    ck_assert_ptr_nonnull(cs);
    const cJSON *opts = item(cs, "options");
    int64_t ids[512];
    int of[512], n = 0, s = 0;
    const cJSON *stk, *id;
    cJSON_ArrayForEach(stk, item(opts, "layer_stacks_resolved"))
    {
        cJSON_ArrayForEach(id, stk) if (n < 512)
        {
            ids[n] = (int64_t)id->valuedouble;
            of[n++] = s;
        }
        s++;
    }
    strm_plan_stacks st = {.fused = true, .n_ids = n, .layer_id = ids, .stack_of = of};
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error err;
    base_error_clear(&err);
    strm_plan *pl = strm_plan_build(chip, wl, map, &st, &opt, NULL, &err);
    ck_assert_msg(pl != NULL, "%s", err.msg);
    int bad = 0, pos = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, item(opts, "scheduling_order"))
    {
        int k = find_cn(pl, (int64_t)cJSON_GetArrayItem(o, 0)->valuedouble,
                        (uint32_t)cJSON_GetArrayItem(o, 1)->valuedouble);
        if ((k < 0 || pos >= (int)pl->n_cns || pl->order[pos] != (uint32_t)k) && bad++ < 5)
            fprintf(stderr, "  %s: order %d: Stream [%d, %d]\n", name, pos,
                    (int)cJSON_GetArrayItem(o, 0)->valuedouble,
                    (int)cJSON_GetArrayItem(o, 1)->valuedouble);
        pos++;
    }
    printf("stream plan %s: %u CNs, Stream's order %d, %d positions differ, %u flexible\n", name,
           pl->n_cns, pos, bad, pl->n_flexible);
    fflush(stdout);
    ck_assert_int_eq(pos, (int)pl->n_cns);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(pl->n_flexible, 0);
    strm_plan_free(pl);
    cJSON_Delete(cs);
    cfg_mapping_free(map);
    cfg_workload_free(wl);
    cfg_chip_free(chip);
}

START_TEST(test_c4_eyeriss_order)
{
    order_case("c4_fsrcnn_fused_eyeriss_dual", "eyeriss_like_dual_core.yaml", "fsrcnn.onnx",
               "mapping_fsrcnn_dual_fixed.yaml");
}
END_TEST

START_TEST(test_c5_eyeriss_order)
{
    order_case("c5_resnet18_fused_ksplit4_eyeriss_quad", "eyeriss_like_quad_core.yaml",
               "resnet18.onnx", "mapping_resnet18_ksplit4_fixed.yaml");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strm_plan");
    TCase *tc = tcase_create("plan");
    tcase_set_timeout(tc, 600);
    const char *c1[] = {REF "results/c1_resnet18_lbl_rr.json",
                        REF "inputs/c1_resnet18_lbl_rr/case.json", NULL};
    const char *c3[] = {REF "results/c3_resnet18_fused_rr.json",
                        REF "inputs/c3_resnet18_fused_rr/case.json", NULL};
    tcase_add_test_needing_all(tc, test_c1_lbl_plan, c1);
    tcase_add_test_needing_all(tc, test_c3_fused_plan, c3);
    const char *c4[] = {REF "inputs/c4_fsrcnn_fused_eyeriss_dual/case.json", NULL};
    const char *c5[] = {REF "inputs/c5_resnet18_fused_ksplit4_eyeriss_quad/case.json", NULL};
    tcase_add_test_needing_all(tc, test_c4_eyeriss_order, c4);
    tcase_add_test_needing_all(tc, test_c5_eyeriss_order, c5);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
