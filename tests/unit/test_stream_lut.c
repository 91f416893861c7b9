/* test_stream_lut.c -- Stream's CN cost table reproduced: every cost_lut
 * entry of Stream's c1 (ResNet-18 layer by layer) and c3 (fused) results
 * (../shared/reference/stream/results) recomputed by strm_cost_eval on the
 * case's own cores, ONNX model (with Stream's layer semantics) and
 * mapping: latency_total2 and energy_total within 0.5 %, ideal cycles,
 * on-/off-loading and the scaled DRAM bandwidths exactly where ZigZag's
 * are integers, and the chosen loop order (ZigZag's temporal_mapping
 * text) identical. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/cfg_onnx.h"
#include "run/strm_cost.h"
#include "stream_test_util.h"
#include "test_skip.h"

#define REF "../shared/reference/stream/"
#define TOL 0.005

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "cost_lut entry lacks %s", key);
    return v->valuedouble;
}

static double rel_err(double got, double want)
{
    return want == 0 ? fabs(got) : fabs(got - want) / fabs(want);
}

/* A ZigZag figure that is an integer must come out exactly. */
static int check_int(const char *what, int layer, double got, double want)
{
    if (want != floor(want) || got == want)
        return 0;
    fprintf(stderr, "  layer %d: %s %.3f, Stream %.3f\n", layer, what, got, want);
    return 1;
}

typedef struct {
    const cfg_chip *chip;
    const cfg_workload *wl;
    const cfg_mapping *map;
    loma_cache *cache;
    double max_lat, max_en;
    int exact_bad, order_bad, entries;
} lut_run;

/* The CN's tile from layer_dim_sizes, its too-large operands. */
static void entry_inputs(const cJSON *e, const cfg_layer *l, uint64_t *tile, bool tl[STRM_N_OPS])
{
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(e, "layer_dim_sizes");
    for (int d = 0; d < l->n_dims; d++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(dims, l->dims[d]);
        ck_assert_msg(cJSON_IsNumber(v), "layer %s: Stream's CN has no dim %s", l->name,
                      l->dims[d]);
        tile[d] = (uint64_t)v->valuedouble;
    }
    ck_assert_int_eq(cJSON_GetArraySize(dims), l->n_dims);
    memset(tl, 0, sizeof(bool) * STRM_N_OPS);
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e, "too_large_operands"))
    {
        int op = cfg_mem_operand_from_name(t->valuestring);
        ck_assert_int_ge(op, 0);
        tl[op] = true;
    }
}

/* The scaled DRAM bandwidths Stream reserves, per too-large operand. */
static int check_bw(const cJSON *e, const strm_cost *c, int layer)
{
    static const char *const dn[STRM_N_DIRS] = {"rd_out_to_low", "wr_in_by_low",
                                                 "rd_out_to_high", "wr_in_by_high"};
    const cJSON *bw = cJSON_GetObjectItemCaseSensitive(e, "offchip_inst_bandwidth_per_op_scaled");
    int bad = 0;
    for (int op = 0; op < STRM_N_OPS; op++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(bw, cfg_mem_operand_name(op));
        for (int d = 0; o && d < STRM_N_DIRS; d++) {
            char what[64];
            snprintf(what, sizeof what, "%s %s bw", cfg_mem_operand_name(op), dn[d]);
            bad += check_int(what, layer, c->offchip_bw[op][d], num(o, dn[d]));
        }
    }
    return bad;
}

static void check_entry(lut_run *r, const cJSON *e)
{
    int id = (int)num(e, "layer"), li = cfg_workload_find_id(r->wl, id);
    ck_assert_msg(li >= 0, "Stream's layer %d is not in evsim's workload", id);
    const cfg_layer *l = &r->wl->layers[li];
    uint64_t tile[CFG_MAX_LOOP_DIMS];
    bool tl[STRM_N_OPS];
    entry_inputs(e, l, tile, tl);
    int core = cfg_chip_find_core(r->chip, (int64_t)num(e, "core"));
    ck_assert_int_ge(core, 0);
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    strm_cost c;
    base_error err;
    base_error_clear(&err);
    int rc = strm_cost_eval(r->chip, core, l, r->map, tile, tl, &opt, r->cache, &c, &err);
    ck_assert_msg(rc == 0, "layer %d: %s", id, err.msg);
    double el = rel_err(c.latency_total2, num(e, "latency_total2"));
    double ee = rel_err(c.energy_total, num(e, "energy_total"));
    r->max_lat = fmax(r->max_lat, el);
    r->max_en = fmax(r->max_en, ee);
    if (el > TOL || ee > TOL)
        fprintf(stderr, "  layer %d core %d: latency %.1f (Stream %.1f), energy %.1f (Stream "
                "%.1f)\n    evsim  %s\n    Stream %s\n", id, (int)num(e, "core"),
                c.latency_total2, num(e, "latency_total2"), c.energy_total,
                num(e, "energy_total"), c.temporal,
                cJSON_GetObjectItemCaseSensitive(e, "temporal_mapping")->valuestring);
    int bad = check_int("ideal_cycle", id, c.ideal_cycle, num(e, "ideal_cycle")) +
              check_int("onloading", id, c.onloading_cycle, num(e, "data_onloading_cycle")) +
              check_int("offloading", id, c.offloading_cycle, num(e, "data_offloading_cycle")) +
              check_bw(e, &c, id);
    const char *tm = cJSON_GetObjectItemCaseSensitive(e, "temporal_mapping")->valuestring;
    if (strcmp(c.temporal, tm)) {
        fprintf(stderr, "  layer %d: loop order\n    evsim  %s\n    Stream %s\n", id,
                c.temporal, tm);
        r->order_bad++;
    }
    r->exact_bad += bad;
    r->entries++;
}

/* Every entry of one case's cost_lut. */
static void run_case(const char *name, int want_entries)
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
    snprintf(p, sizeof p, "%s/mapping_resnet18_rr_fixed.yaml", dir);
    cfg_mapping *map = cfg_mapping_load_file(p, &errs);
    if (!wl || !map)
        base_errors_print(stderr, &errs);
    ck_assert_ptr_nonnull(wl);
    ck_assert_ptr_nonnull(map);
    base_errors_clear(&errs);
    snprintf(p, sizeof p, REF "results/%s.json", name);
    cJSON *j = stream_load_json(p);
    ck_assert_ptr_nonnull(j);
    const cJSON *lut = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "results"), "cost_lut");
    lut_run r = {.chip = chip, .wl = wl, .map = map, .cache = loma_cache_new()};
    ck_assert_ptr_nonnull(r.cache);
    const cJSON *e;
    cJSON_ArrayForEach(e, lut) check_entry(&r, e);
    printf("stream cost_lut %s: %d entries, max error latency_total2 %.4f %%, energy_total "
           "%.4f %%, %d exact figures off, %d loop orders differ, %zu searches\n", name, r.entries,
           100 * r.max_lat, 100 * r.max_en, r.exact_bad, r.order_bad, loma_cache_count(r.cache));
    fflush(stdout); /* before an assertion ends the forked test */
    ck_assert_int_eq(r.entries, want_entries);
    ck_assert_msg(r.max_lat <= TOL, "latency_total2 off by %.4f %%", 100 * r.max_lat);
    ck_assert_msg(r.max_en <= TOL, "energy_total off by %.4f %%", 100 * r.max_en);
    ck_assert_int_eq(r.exact_bad, 0);
    ck_assert_int_eq(r.order_bad, 0);
    loma_cache_free(r.cache);
    cJSON_Delete(j);
    cfg_mapping_free(map);
    cfg_workload_free(wl);
    cfg_chip_free(chip);
}

START_TEST(test_c1_lbl_cost_lut_reproduced)
{
    run_case("c1_resnet18_lbl_rr", 48);
}
END_TEST

START_TEST(test_c3_fused_cost_lut_reproduced)
{
    run_case("c3_resnet18_fused_rr", 57);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stream_lut");
    TCase *tc = tcase_create("cost_lut");
    tcase_set_timeout(tc, 600);
    const char *c1[] = {REF "results/c1_resnet18_lbl_rr.json",
                        REF "inputs/c1_resnet18_lbl_rr/resnet18.onnx", NULL};
    const char *c3[] = {REF "results/c3_resnet18_fused_rr.json",
                        REF "inputs/c3_resnet18_fused_rr/resnet18.onnx", NULL};
    tcase_add_test_needing_all(tc, test_c1_lbl_cost_lut_reproduced, c1);
    tcase_add_test_needing_all(tc, test_c3_fused_cost_lut_reproduced, c3);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
