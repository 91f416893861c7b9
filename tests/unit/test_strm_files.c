/* test_strm_files.c -- Stream's schedule from Stream's own files, with
 * nothing of Stream's results used on the way: the accelerator through
 * evsim's chip loader, the ONNX model with Stream's layer semantics, the
 * mapping, the case's layer stacks; Stream's CN table (strm_plan), the
 * graph (strm_graph_build, strm_hw_from_chip), the scheduler. Checked
 * against what Stream computed (../shared/reference/stream/results):
 * latency and each of the nine energy terms within 0.5 % (a term 0 in
 * Stream below 1 pJ), and at least 99 % of CNs with Stream's start and
 * end. The plan's cost table (its unique CN costs, the loop order of
 * each) from the case's files in tests/data/stream: one entry per
 * distinct (layer, core, shape, too-large set) of Stream's cost_lut, and
 * every CN's entry with the temporal mapping Stream chose for it. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config/cfg_onnx.h"
#include "run/strm_build.h"
#include "stream_test_util.h"
#include "test_skip.h"

#define REF "../shared/reference/stream/"
#define DATA "tests/data/stream/"

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

/* The case's files in directory dir, planned and scheduled. */
static void run_files(const char *dir, const char *accel, files_run *fr, const cJSON *cs)
{
    char p[2 * BASE_PATH_MAX];
    base_errors errs;
    base_errors_init(&errs);
    snprintf(p, sizeof p, "%s/%s", dir, accel);
    fr->chip = cfg_chip_load_file(p, &errs);
    cfg_onnx_options oo = {.stream = true};
    snprintf(p, sizeof p, "%s/resnet18.onnx", dir);
    fr->wl = cfg_onnx_workload_load_file_opt(p, &oo, &errs);
    snprintf(p, sizeof p, "%s/mapping_resnet18_rr_fixed.yaml", dir);
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
    snprintf(p, sizeof p, REF "inputs/%s", name);
    run_files(p, "tpu_like_quad_core.yaml", &fr, cs);
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

/* Does cost entry e hold CN cn: its layer, core, shape, too-large set
 * and figures? */
static bool cost_holds(const files_run *fr, const strm_plan_cost *e, const strm_plan_cn *cn)
{
    const cfg_layer *l = &fr->wl->layers[cn->layer];
    bool ok = e->layer == cn->layer && e->layer_id == cn->layer_id && e->core == cn->core &&
              e->runtime == cn->runtime && e->onchip_pj == cn->onchip_pj &&
              e->offchip_pj == cn->offchip_pj &&
              !memcmp(e->too_large, cn->too_large, sizeof e->too_large);
    for (int d = 0; d < l->n_dims; d++)
        ok &= e->tile[d] == (uint64_t)(cn->hi[d] - cn->lo[d]);
    return ok && e->temporal[0] == '{' && e->spatial[0] != '\0';
}

/* Is Stream's cost_lut entry j that of key (layer, core, shape, too-large)
 * of evsim's entry e? */
static bool lut_matches(const files_run *fr, const cJSON *j, const strm_plan_cost *e)
{
    const cfg_layer *l = &fr->wl->layers[e->layer];
    if ((int64_t)item(j, "layer")->valuedouble != e->layer_id ||
        (int64_t)item(j, "core")->valuedouble != fr->chip->cores[e->core].id)
        return false;
    const cJSON *dims = item(j, "layer_dim_sizes"), *t;
    for (int d = 0; d < l->n_dims; d++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(dims, l->dims[d]);
        if (!v || (uint64_t)v->valuedouble != e->tile[d])
            return false;
    }
    bool tl[STRM_N_OPS] = {false};
    cJSON_ArrayForEach(t, item(j, "too_large_operands"))
    {
        int op = cfg_mem_operand_from_name(t->valuestring);
        if (op >= 0 && op < STRM_N_OPS)
            tl[op] = true;
    }
    return !memcmp(tl, e->too_large, sizeof tl);
}

/* Against Stream's cost_lut: as many distinct keys as evsim has entries,
 * and every CN's entry with the temporal mapping of Stream's entry of
 * that key. */
static void check_lut(const files_run *fr, const char *name)
{
    char p[2 * BASE_PATH_MAX];
    snprintf(p, sizeof p, REF "results/%s.json", name);
    cJSON *res = access(p, R_OK) == 0 ? stream_load_json(p) : NULL;
    if (!res) {
        printf("SKIP: %s: loop orders against Stream's cost_lut (needs %s)\n", name, p);
        return;
    }
    const cJSON *lut = item(item(res, "results"), "cost_lut"), *j;
    int keys = 0, bad = 0;
    cJSON_ArrayForEach(j, lut) /* a key's first entry counts */
    {
        bool first = true;
        for (const cJSON *k = lut->child; k != j && first; k = k->next)
            first = !(item(k, "layer")->valuedouble == item(j, "layer")->valuedouble &&
                      item(k, "core")->valuedouble == item(j, "core")->valuedouble &&
                      cJSON_Compare(item(k, "layer_dim_sizes"), item(j, "layer_dim_sizes"), 1) &&
                      cJSON_Compare(item(k, "too_large_operands"),
                                    item(j, "too_large_operands"), 1));
        keys += first;
    }
    for (uint32_t i = 0; i < fr->plan->n_cns; i++) {
        const strm_plan_cost *e = &fr->plan->costs[fr->plan->cns[i].cost];
        const cJSON *m = NULL;
        cJSON_ArrayForEach(j, lut) if (!m && lut_matches(fr, j, e)) m = j;
        if (m && !strcmp(item(m, "temporal_mapping")->valuestring, e->temporal))
            continue;
        if (bad++ < 3)
            printf("  CN %lld/%u: evsim %s\n    Stream %s\n", (long long)fr->plan->cns[i].layer_id,
                   fr->plan->cns[i].sub_id, e->temporal,
                   m ? item(m, "temporal_mapping")->valuestring : "(no cost_lut entry)");
    }
    printf("  Stream's cost_lut: %d entries, %d distinct keys; CNs whose loop order differs: %d\n",
           cJSON_GetArraySize(lut), keys, bad);
    fflush(stdout);
    ck_assert_int_eq(keys, (int)fr->plan->n_costs);
    ck_assert_int_eq(bad, 0);
    cJSON_Delete(res);
}

/* The cost table from the case's files here: n_costs entries, each a
 * distinct key used by some CN, every CN's entry its own cost. */
static void check_costs(const char *name, uint32_t want_costs)
{
    char p[2 * BASE_PATH_MAX];
    snprintf(p, sizeof p, DATA "%s/case.json", name);
    cJSON *cs = stream_load_json(p);
    ck_assert_ptr_nonnull(cs);
    files_run fr;
    memset(&fr, 0, sizeof fr);
    snprintf(p, sizeof p, DATA "%s", name);
    run_files(p, "tpu_like_quad_core.yaml", &fr, cs);
    const strm_plan *pl = fr.plan;
    uint32_t *uses = calloc(pl->n_costs + 1, sizeof *uses);
    ck_assert_ptr_nonnull(uses);
    int bad = 0, dup = 0, unused = 0;
    for (uint32_t i = 0; i < pl->n_cns; i++) {
        const strm_plan_cn *cn = &pl->cns[i];
        bool ok = cn->cost < pl->n_costs && cost_holds(&fr, &pl->costs[cn->cost], cn);
        bad += !ok;
        uses[ok ? cn->cost : pl->n_costs]++;
    }
    for (uint32_t k = 0; k < pl->n_costs; k++) {
        unused += uses[k] == 0;
        for (uint32_t q = 0; q < k; q++) {
            const strm_plan_cost *a = &pl->costs[k], *b = &pl->costs[q];
            dup += a->layer == b->layer && a->core == b->core &&
                   !memcmp(a->tile, b->tile, sizeof a->tile) &&
                   !memcmp(a->too_large, b->too_large, sizeof a->too_large);
        }
    }
    printf("cost table %s: %u entries for %u CNs (%u evaluations), %d CNs not matching their "
           "entry, %d duplicate keys, %d unused\n", name, pl->n_costs, pl->n_cns,
           pl->n_cost_evals, bad, dup, unused);
    fflush(stdout);
    ck_assert_uint_eq(pl->n_costs, want_costs);
    ck_assert_uint_eq(pl->n_cost_evals, pl->n_costs);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(dup, 0);
    ck_assert_int_eq(unused, 0);
    check_lut(&fr, name);
    free(uses);
    files_free(&fr);
    cJSON_Delete(cs);
}

START_TEST(test_c1_cost_table)
{
    check_costs("c1_resnet18_lbl_rr", 48);
}
END_TEST

START_TEST(test_c3_cost_table)
{
    check_costs("c3_resnet18_fused_rr", 48);
}
END_TEST

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
    tcase_add_test(tc, test_c1_cost_table);
    tcase_add_test(tc, test_c3_cost_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
