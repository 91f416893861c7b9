/* test_strm_cost.c -- a CN's cost as Stream takes it from ZigZag
 * (strm_cost_eval) on a core whose dataflow asks for more units than its
 * array has, as Stream's eyeriss_like core does (`K, 16` on a D1 of 14).
 * ZigZag bounds the unroll by the OA dim's size (check_and_reduce with
 * get_max_unrolling's min(layer size, OA size)), then makes it fractional
 * where it does not divide the layer dim (SpatialMappingConversionStage:
 * size / ceil(size / unroll)). The figures below are derived by hand from
 * that rule on a tiny Gemm, K 10 x C 3 on 4 units:
 *   unroll K 4 (not 16, not 10's largest divisor 2), temporal K trips
 *   ceil(10 / 4) = 3, fractional unroll 10 / 3 = 3.33 units;
 *   ideal cycles ceil(30 MACs / 4 units) = 8 (ZigZag's calc_overall_
 *   latency rounds up), ideal temporal cycles C 3 x K trips 3 = 9, spatial
 *   utilisation 8 / 9.
 * (The largest-divisor reading would give 5 K trips, 15 temporal cycles;
 * keeping 16 would be an error in evsim's own mapper.) */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/strm_cost.h"

static const char core_yaml[] =
    "name: tiny\ntype: compute\nmemories:\n"
    "  sram:\n    size: 1048576\n    r_cost: 2.0\n    w_cost: 3.0\n    area: 0\n    latency: 1\n"
    "    operands: [I1, I2, O]\n    ports:\n"
    "      - name: rw_port_1\n        type: read_write\n        bandwidth_min: 4096\n"
    "        bandwidth_max: 4096\n"
    "        allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, fl', 'I1, fh', 'I2, fh', 'O, fh', "
    "'O, th']\n"
    "    served_dimensions: [D1]\n"
    "operational_array:\n  unit_energy: 1\n  unit_area: 1\n  dimensions: [D1]\n  sizes: [4]\n"
    "dataflows:\n  D1:\n    - K, %d\n";

static const char off_yaml[] =
    "name: offchip\ntype: memory\nmemories:\n"
    "  dram:\n    size: 10000000000\n    r_cost: 1000\n    w_cost: 1000\n    area: 0\n"
    "    latency: 1\n    operands: [I1, I2, O]\n    ports:\n"
    "      - name: rw_port_1\n        type: read_write\n        bandwidth_min: 64\n"
    "        bandwidth_max: 64\n"
    "        allocation: ['I1, fh', 'I1, tl', 'I2, fh', 'I2, tl', 'O, fh', 'O, tl', 'O, fl', "
    "'O, th']\n"
    "    served_dimensions: [D1]\n"
    "operational_array:\n  unit_energy: 0\n  unit_area: 0\n  dimensions: [D1]\n  sizes: [0]\n";

static const char layer_yaml[] =
    "- id: 0\n  name: fc\n  operator_type: Gemm\n"
    "  equation: O[b][k]+=W[k][c]*I[b][c]\n"
    "  loop_dims: [B, K, C]\n  loop_sizes: [1, 10, 3]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 0}\n";

static const char map_yaml[] = "- name: default\n  core_allocation: [0]\n";

static cfg_core *load_core(const char *text)
{
    base_errors e;
    base_errors_init(&e);
    cfg_core *c = cfg_core_load_string(text, strlen(text), "core.yaml", &e);
    if (!c)
        base_errors_print(stderr, &e);
    base_errors_clear(&e);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* A two-core Stream chip: the tiny compute core with dataflow K, unroll,
 * and the off-chip core. */
static cfg_chip *tiny_chip(int unroll)
{
    char text[2048];
    snprintf(text, sizeof text, core_yaml, unroll);
    cfg_chip *c = base_calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    c->types = base_calloc(2, sizeof *c->types);
    c->cores = base_calloc(2, sizeof *c->cores);
    ck_assert(c->types && c->cores);
    c->stream_form = true;
    c->offchip_core_id = 1;
    c->clock_ghz = 1;
    const char *texts[2] = {text, off_yaml};
    for (int i = 0; i < 2; i++) {
        cfg_core *core = load_core(texts[i]);
        snprintf(c->types[i].name, sizeof c->types[i].name, "%s", core->name);
        c->types[i].core = *core;
        cfg_core_free(core);
        c->cores[i] = (cfg_core_inst){.id = i, .type = i};
    }
    c->n_types = c->n_cores = 2;
    return c;
}

typedef struct {
    cfg_chip *chip;
    cfg_workload *wl;
    cfg_mapping *map;
} tiny_inputs;

static tiny_inputs tiny(int unroll)
{
    base_errors e;
    base_errors_init(&e);
    tiny_inputs t = {tiny_chip(unroll),
                     cfg_workload_load_string(layer_yaml, strlen(layer_yaml), "w.yaml", &e),
                     cfg_mapping_load_string(map_yaml, strlen(map_yaml), "m.yaml", &e)};
    if (!t.wl || !t.map)
        base_errors_print(stderr, &e);
    base_errors_clear(&e);
    ck_assert(t.wl && t.map);
    return t;
}

static void tiny_free(tiny_inputs *t)
{
    cfg_chip_free(t->chip);
    cfg_workload_free(t->wl);
    cfg_mapping_free(t->map);
}

static strm_cost cost_of(const tiny_inputs *t)
{
    const cfg_layer *l = &t->wl->layers[0];
    uint64_t tile[CFG_MAX_LOOP_DIMS];
    for (int d = 0; d < l->n_dims; d++)
        tile[d] = l->sizes[d];
    bool tl[STRM_N_OPS] = {false, false, false};
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    strm_cost c;
    base_error err;
    base_error_clear(&err);
    ck_assert_msg(strm_cost_eval(t->chip, 0, l, t->map, tile, tl, &opt, NULL, &c, &err) == 0,
                  "%s", err.msg);
    return c;
}

START_TEST(test_unroll_beyond_array_is_bounded_by_the_array)
{
    tiny_inputs t = tiny(16);
    strm_cost c = cost_of(&t);
    ck_assert_double_eq_tol(c.ideal_cycle, 8, 1e-9);
    ck_assert_double_eq_tol(c.ideal_temporal_cycle, 9, 1e-9);
    ck_assert_double_eq_tol(c.mac_spatial_utilization, 8.0 / 9, 1e-9);
    /* the unroll as bounded, before the fractional spread over K's trips */
    ck_assert_str_eq(c.spatial, "D1 K 4");
    /* ZigZag's port stalls come on top (every access of the one shared
     * port takes a cycle), never below the temporal cycles */
    ck_assert_double_ge(c.latency_total2, c.ideal_temporal_cycle);
    tiny_free(&t);
}
END_TEST

START_TEST(test_unroll_beyond_array_costs_as_the_array_size)
{
    tiny_inputs a = tiny(16), b = tiny(4);
    strm_cost ca = cost_of(&a), cb = cost_of(&b);
    ck_assert_double_eq(ca.latency_total2, cb.latency_total2);
    ck_assert_double_eq(ca.energy_total, cb.energy_total);
    ck_assert_str_eq(ca.temporal, cb.temporal);
    tiny_free(&a);
    tiny_free(&b);
}
END_TEST

START_TEST(test_unroll_within_array_and_layer_unchanged)
{
    /* K, 2 divides 10: 5 trips x C 3 = 15 temporal cycles; 8 / 15 */
    tiny_inputs t = tiny(2), wide = tiny(16);
    strm_cost c = cost_of(&t), cw = cost_of(&wide);
    ck_assert_double_eq_tol(c.ideal_temporal_cycle, 15, 1e-9);
    ck_assert_double_eq_tol(c.mac_spatial_utilization, 8.0 / 15, 1e-9);
    ck_assert_str_eq(c.spatial, "D1 K 2");
    /* 15 temporal cycles against the bounded unroll's 9 */
    ck_assert_double_gt(c.latency_total2, cw.latency_total2);
    tiny_free(&t);
    tiny_free(&wide);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strm_cost");
    TCase *tc = tcase_create("spatial");
    tcase_add_test(tc, test_unroll_beyond_array_is_bounded_by_the_array);
    tcase_add_test(tc, test_unroll_beyond_array_costs_as_the_array_size);
    tcase_add_test(tc, test_unroll_within_array_and_layer_unchanged);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
