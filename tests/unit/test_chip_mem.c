/* test_chip_mem.c -- weights through the memory hierarchy in a chip run,
 * on a case small enough to derive by hand: two fully-connected layers,
 * each split over output channels (K) onto two cores, one weight memory.
 *
 *   A: K 4 x C 40, 8-bit weights: a part (K 2) holds 2 x 40 x 8 = 640 bits
 *   B: K 32 x C 4 (A's output):   a part (K 16) holds 16 x 4 x 8 = 512 bits
 *   each core's weight memory (its "sram" level): 1024 bits < 640 + 512
 *   memory "wmem": 1 Gbit/s (1 bit per ns), 100 ns latency, 1 pJ/b read,
 *   2 pJ/b write, no leakage; packets of 16 flits x 32 bits = 512 bits.
 *
 * The controller serves one transfer at a time in request order, each
 * holding it for latency + bits / bandwidth: the network input (40 x 8 =
 * 320 bits) 0..420 ns; core 0's A weights (640 bits, packets released at
 * 520 and 1032 ns) 420..1160 ns; core 1's 1160..1900 ns (last packet at
 * 1772 ns). B's weights do not fit beside A's: each core's B load is asked
 * for when its A part has finished and evicts it (nothing written back:
 * the memory keeps the weights): core 0's (A ends before 1900 ns) holds
 * the port 1900..2512 ns, core 1's (asked at its A end, before 2512 ns)
 * 2512..3124 ns, its one packet released at 2612 ns; B on core 1 starts
 * when that packet has crossed the NoC. The two 128-bit write-backs of B
 * then take the port 3124..3380 ns: the run ends at 3380 ns. With a
 * 2048-bit weight memory both fit and B's loads are asked for right after
 * A's (prefetch), nothing is evicted, but the port is busy until 1900 ns
 * and then serves the same two loads in the same order: the same times.
 *
 * Not covered here: halo transfers (dependencies are per layer). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "run/chip.h"
#include "run/plan.h"

static char dir[64];

static void put_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int no_offchip_level; /* the core without its off-chip top level */

static const char *core_yaml(unsigned sram_bits)
{
    static char buf[4096];
    const char *ports =
        "    ports:\n"
        "      - {name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 64,\n"
        "         allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, th']}\n"
        "      - {name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 64,\n"
        "         allocation: ['I1, fh', 'I2, fh', 'O, fh', 'O, fl']}\n";
    snprintf(buf, sizeof buf,
             "name: tiny\n"
             "operational_array: {unit_energy: 0.1, unit_area: 1, dimensions: [D1], "
             "sizes: [1]}\n"
             "memories:\n"
             "  reg:\n    size: 64\n    r_cost: 0.1\n    w_cost: 0.1\n    area: 0\n"
             "    latency: 1\n    operands: [I1, I2, O]\n%s    served_dimensions: []\n"
             "  sram:\n    size: %u\n    r_cost: 1\n    w_cost: 1\n    area: 0\n"
             "    latency: 1\n    operands: [I1, I2, O]\n%s    served_dimensions: [D1]\n"
             "  offchip:\n    size: 1000000000\n    r_cost: 100\n    w_cost: 100\n"
             "    area: 0\n    latency: 1\n    operands: [I1, I2, O]\n%s"
             "    served_dimensions: [D1]\n",
             ports, sram_bits, ports, ports);
    if (no_offchip_level)
        *strstr(buf, "  offchip:") = 0;
    return buf;
}

static const char chip_yaml[] =
    "name: two\nclock_ghz: 0.5\n"
    "core_types: {tiny: {file: core.yaml}}\n"
    "cores:\n  - {id: 0, type: tiny, at: [0, 0]}\n  - {id: 1, type: tiny, at: [1, 0]}\n"
    "noc: {mesh: [2, 1], flit_width_bits: 32, virtual_channels: 2, vc_depth_flits: 4,\n"
    "      router_stage_cycles: [1, 1, 1, 1], link_latency_cycles: 1, clock_ghz: 0.5,\n"
    "      energy_per_flit_hop_pj: 3.0, energy_per_bit_link_pj: 0.1}\n"
    "memories:\n"
    "  - {name: wmem, type: sram, size_bits: 1000000, bandwidth_gbps: 1, latency_ns: 100,\n"
    "     read_energy_pj_per_bit: 1, write_energy_pj_per_bit: 2, static_power_mw: 0,\n"
    "     at: [0, 0]}\n";

static const char workload_yaml[] =
    "- id: 0\n  name: A\n  operator_type: Gemm\n"
    "  equation: O[b][k]+=W[k][c]*I[b][c]\n"
    "  loop_dims: [B, K, C]\n  loop_sizes: [1, 4, 40]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 0}\n"
    "- id: 1\n  name: B\n  operator_type: Gemm\n"
    "  equation: O[b][k]+=W[k][c]*I[b][c]\n"
    "  loop_dims: [B, K, C]\n  loop_sizes: [1, 32, 4]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 1}\n";

static const char scenario_yaml[] =
    "name: two_layers\nchip: chip.yaml\nworkload: workload.yaml\nmapping: mapping.yaml\n";

/* The first `from` in buf (of capacity cap) becomes `to`. */
static void replace_once(char *buf, size_t cap, const char *from, const char *to)
{
    char *at = strstr(buf, from);
    ck_assert_ptr_nonnull(at);
    size_t nf = strlen(from), nt = strlen(to), rest = strlen(at + nf);
    ck_assert_uint_lt((size_t)(at - buf) + nt + rest, cap);
    memmove(at + nt, at + nf, rest + 1);
    memcpy(at, to, nt);
}

static int fast_memory; /* 100 Gbit/s (16 through the NoC) instead of 1 */

static void write_case(unsigned sram_bits, const char *weights_in)
{
    char mapping[1024];
    snprintf(mapping, sizeof mapping,
             "- name: default\n  core_allocation: [0, 1]\n  inter_core_tiling:\n    - K, *\n"
             "  spatial_mapping: {D1: [K, 1]}\n%s%s%s",
             weights_in ? "  weights_in: " : "", weights_in ? weights_in : "",
             weights_in ? "\n" : "");
    put_file("core.yaml", core_yaml(sram_bits));
    put_file("chip.yaml", chip_yaml);
    if (fast_memory) {
        char chip[sizeof chip_yaml + 16];
        snprintf(chip, sizeof chip, "%s", chip_yaml);
        replace_once(chip, sizeof chip, "bandwidth_gbps: 1,", "bandwidth_gbps: 100,");
        put_file("chip.yaml", chip);
    }
    put_file("workload.yaml", workload_yaml);
    put_file("mapping.yaml", mapping);
    put_file("scenario.yaml", scenario_yaml);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/evsim_test_chip_mem_" "XX" "XX" "XX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static cfg_scenario *load(base_errors *e)
{
    char path[128];
    snprintf(path, sizeof path, "%s/scenario.yaml", dir);
    base_errors_init(e);
    return cfg_scenario_load_file(path, e);
}

typedef struct {
    cfg_scenario *s;
    plan *p;
    chip_result r;
} run_case;

static void run(unsigned sram_bits, run_case *rc)
{
    write_case(sram_bits, NULL);
    base_errors e;
    rc->s = load(&e);
    if (!rc->s)
        for (int i = 0; i < e.count; i++)
            fprintf(stderr, "%s\n", e.items[i].msg);
    base_errors_clear(&e);
    ck_assert_ptr_nonnull(rc->s);
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    rc->p = plan_build(rc->s, &o, NULL, &pe);
    ck_assert_msg(rc->p != NULL, "%s", pe.msg);
    chip_options co = {0};
    ck_assert_msg(chip_run(rc->s, rc->p, &co, &rc->r, &pe) == 0, "%s", pe.msg);
    ck_assert(rc->r.complete);
}

static void run_free(run_case *rc)
{
    chip_result_free(&rc->r);
    plan_free(rc->p);
    cfg_scenario_free(rc->s);
}

#define NS 1000u /* ps */

START_TEST(test_weights_load_evict_and_prefetch_by_hand)
{
    run_case a, b;
    run(1024, &a);
    const plan *p = a.p;
    ck_assert_uint_eq(p->layers[0].w_cap_bits, 1024);
    ck_assert_uint_eq(p->layers[0].parts[0].w_bits, 640);
    ck_assert_uint_eq(p->layers[1].parts[1].w_bits, 512);
    ck_assert_uint_eq(p->layers[1].w_mem, 0);
    /* A part's activations: the whole input (40 x 8; a K cut does not
     * shrink it) and its output share (2 x 8 at O_final) */
    ck_assert_uint_eq(p->layers[0].parts[0].act_bits, 40 * 8 + 2 * 8);
    ck_assert_uint_eq(p->layers[0].act_cap_bits, 1024);
    const chip_result *r = &a.r;
    ck_assert_uint_eq(r->w_loads, 4);
    ck_assert_uint_eq(r->w_load_bits, 2 * 640 + 2 * 512);
    ck_assert_uint_eq(r->w_evictions, 2); /* each core's A part, for its B part */
    ck_assert_uint_eq(r->w_evicted_bits, 2 * 640);
    ck_assert_uint_eq(r->mems[0].read_bits, 320 + 2 * 640 + 2 * 512);
    ck_assert_uint_eq(r->mems[0].write_bits, 32 * 8); /* B's output written back */
    double rd = 0, wr = 0;
    for (uint32_t i = 0; i < r->energy.n; i++) {
        rd += !strcmp(r->energy.items[i].component, "offchip_read") ? r->energy.items[i].pj : 0;
        wr += !strcmp(r->energy.items[i].component, "offchip_write") ? r->energy.items[i].pj : 0;
    }
    ck_assert_double_eq_tol(rd, 2624.0, 1e-9);
    ck_assert_double_eq_tol(wr, 512.0, 1e-9);
    /* A starts once core 0's last weight packet has left (1032 ns) and
     * crossed the NoC (a few cycles, well under 100 ns). */
    ck_assert_uint_ge(r->layers[0].start_ps, 1032 * NS);
    ck_assert_uint_lt(r->layers[0].start_ps, 1132 * NS);
    /* ... and ends after core 1's (last packet at 1772 ns) has run. */
    uint64_t dur_a = p->cns[p->layers[0].parts[1].first_cn].dur_ps;
    ck_assert_uint_ge(r->layers[0].end_ps, 1772 * NS + dur_a);
    /* A's CNs end before the port frees (the derivation above needs it) */
    ck_assert_uint_ge(dur_a, 80 * 2 * NS); /* 80 MACs on one PE at 2 ns */
    ck_assert_uint_lt(r->layers[0].end_ps, 2512 * NS);
    uint64_t dur_b = p->cns[p->layers[1].parts[1].first_cn].dur_ps;
    ck_assert_uint_ge(r->layers[1].end_ps, 2612 * NS + dur_b);
    ck_assert_uint_lt(r->layers[1].end_ps, 2712 * NS + dur_b);
    ck_assert_uint_eq(r->end_ps, 3380 * NS);
    ck_assert_uint_eq(r->mems[0].busy_until_ps, 3380 * NS);

    /* Room for both: B's weights are prefetched, none evicted; the port
     * was the bottleneck, so the times stay. */
    run(2048, &b);
    ck_assert_uint_eq(b.p->layers[0].w_cap_bits, 2048);
    ck_assert_uint_eq(b.r.w_evictions, 0);
    ck_assert_uint_eq(b.r.w_load_bits, a.r.w_load_bits);
    ck_assert_uint_eq(b.r.layers[1].end_ps, a.r.layers[1].end_ps);
    ck_assert_uint_eq(b.r.end_ps, a.r.end_ps);
    run_free(&a);
    run_free(&b);
}
END_TEST

/* With a memory fast enough not to be the bottleneck, prefetch pays: B's
 * weights, loaded while A runs when both fit, are there when A's outputs
 * arrive; without room B's load starts only when A's part is done and B
 * waits at least the memory's 100 ns latency for it. */
START_TEST(test_prefetch_pays_when_the_port_is_free)
{
    fast_memory = 1;
    run_case a, b;
    run(1024, &a);
    run(2048, &b);
    fast_memory = 0;
    ck_assert_uint_eq(a.r.w_evictions, 2);
    ck_assert_uint_eq(b.r.w_evictions, 0);
    /* a core's B load starts when its A part ends (at the earliest A's
     * start + its CN) and pays 100 ns before B can start there */
    uint64_t dur_a = a.p->cns[a.p->layers[0].parts[0].first_cn].dur_ps;
    ck_assert_uint_ge(a.r.layers[1].start_ps, a.r.layers[0].start_ps + dur_a + 100 * NS);
    /* ... and on the core that ends A last, B cannot start within 100 ns */
    ck_assert_uint_ge(a.r.layers[1].end_ps, a.r.layers[0].end_ps + 100 * NS);
    ck_assert_uint_lt(b.r.layers[1].start_ps, b.r.layers[0].end_ps + 100 * NS);
    ck_assert_uint_lt(b.r.layers[1].end_ps, a.r.layers[1].end_ps);
    uint64_t sa = 0, sb = 0;
    for (uint32_t c = 0; c < 2; c++) {
        sa += a.r.cores[c].stall_ps;
        sb += b.r.cores[c].stall_ps;
    }
    ck_assert_uint_gt(sa, sb); /* the cores waited for B's weights */
    run_free(&a);
    run_free(&b);
}
END_TEST

/* The energy parts sum to the total, and the mapper's energy is counted
 * once: on-core (compute = MACs + levels) or left out for the chip's own
 * traffic (mapper_top_pj), never both, never neither; what the chip
 * brings into the core is written where it lands (fills, in compute). */
START_TEST(test_energy_parts_sum_and_count_once)
{
    run_case a;
    run(1024, &a);
    const chip_result *r = &a.r;
    double items = 0, compute = 0;
    for (uint32_t i = 0; i < r->energy.n; i++) {
        items += r->energy.items[i].pj;
        compute += !strcmp(r->energy.items[i].component, "compute") ? r->energy.items[i].pj : 0;
    }
    double levels = r->mac_pj;
    for (uint32_t i = 0; i < r->n_levels; i++)
        levels += r->levels[i].pj;
    ck_assert_double_eq_tol(levels, compute, 1e-9 * compute);
    double mapper = 0;
    for (uint32_t i = 0; i < a.p->n_cns; i++)
        mapper += a.p->cns[i].cost->energy_pj;
    double fills = 0;
    for (uint32_t i = 0; i < a.p->n_cns; i++)
        for (int op = 0; op < LOMA_N_OPS; op++)
            fills += a.p->cns[i].fill_pj[op];
    ck_assert(fills > 0);
    ck_assert_double_eq_tol(fills, r->fill_pj, 1e-9 * fills);
    ck_assert_double_eq_tol(compute + r->mapper_top_pj, mapper + fills, 1e-9 * mapper);
    ck_assert(r->mapper_top_w_pj >= 0 && r->mapper_top_w_pj <= r->mapper_top_pj);
    double noc = r->noc.router_energy_pj + r->noc.link_energy_pj;
    double mem = 2624.0 + 512.0; /* no leakage */
    ck_assert_double_eq_tol(items, compute + noc + mem, 1e-9 * items);
    run_free(&a);
}
END_TEST

/* Bad input before the run, positioned: a weights_in naming no memory, a
 * memory too small for the weights placed in it. */
START_TEST(test_bad_weight_locations_are_refused)
{
    write_case(1024, "dram");
    base_errors e;
    cfg_scenario *s = load(&e);
    ck_assert_ptr_null(s);
    ck_assert_int_ge(e.count, 1);
    ck_assert_msg(strstr(e.items[0].msg, "'dram' names no memory of chip two") != NULL, "%s",
                  e.items[0].msg);
    ck_assert_int_eq(e.items[0].line, 6);
    base_errors_clear(&e);
    /* 1280 + 1024 bits of weights in a 1500-bit memory */
    write_case(1024, "wmem");
    char chip[sizeof chip_yaml + 16];
    snprintf(chip, sizeof chip, "%s", chip_yaml);
    char *at = strstr(chip, "size_bits: 1000000");
    memcpy(at, "size_bits:    1500", 18);
    put_file("chip.yaml", chip);
    s = load(&e);
    ck_assert_ptr_null(s);
    ck_assert_int_ge(e.count, 1);
    ck_assert_msg(strstr(e.items[0].msg, "memory wmem holds 1500 bits, too few") != NULL, "%s",
                  e.items[0].msg);
    ck_assert_msg(strstr(e.items[0].msg, "layer B, id 1") != NULL, "%s", e.items[0].msg);
    base_errors_clear(&e);
    /* an empty core_allocation leaves the layers on no core */
    write_case(1024, NULL);
    put_file("mapping.yaml", "- name: default\n  core_allocation: []\n"
                             "  spatial_mapping: {D1: [K, 1]}\n");
    s = load(&e);
    ck_assert_ptr_null(s);
    ck_assert_int_ge(e.count, 1);
    ck_assert_msg(strstr(e.items[0].msg, "leaves the layer on no core") != NULL, "%s",
                  e.items[0].msg);
    ck_assert_int_eq(e.items[0].line, 2);
    base_errors_clear(&e);
}
END_TEST

/* A core whose levels are all on-core (its top, 1024 bits, is smaller
 * than the chip's memory): the weights are its own from the start, no
 * weight traffic, and every level the mapper costs is counted in compute. */
START_TEST(test_on_core_weights_move_nothing)
{
    no_offchip_level = 1;
    run_case a;
    run(1024, &a);
    no_offchip_level = 0;
    ck_assert(!a.p->layers[0].top_is_offchip);
    ck_assert_uint_eq(a.p->layers[0].w_mem, PLAN_NO_MEM);
    ck_assert_uint_eq(a.r.w_loads + a.r.w_streams, 0);
    ck_assert_uint_eq(a.r.mems[0].read_bits, 320); /* the network input only */
    ck_assert_double_eq(a.r.mapper_top_pj, 0.0);
    double mapper = 0;
    for (uint32_t i = 0; i < a.p->n_cns; i++)
        mapper += a.p->cns[i].cost->energy_pj;
    ck_assert_double_eq_tol(model_energy_sum(&a.r.energy, "compute"), mapper, 1e-9 * mapper);
    run_free(&a);
}
END_TEST

/* Allowed but likely not meant: a core's memories written top-down (a
 * larger, costlier level below a smaller one): a warning the caller
 * prints before the run. */
START_TEST(test_plan_warns_of_memory_order)
{
    write_case(1024, NULL);
    char core[4096];
    snprintf(core, sizeof core, "%s", core_yaml(1024));
    replace_once(core, sizeof core, "size: 64\n    r_cost: 0.1", "size: 4096\n    r_cost: 5");
    put_file("core.yaml", core);
    base_errors e;
    cfg_scenario *s = load(&e);
    for (int i = 0; !s && i < e.count; i++)
        fprintf(stderr, "%u: %s\n", e.items[i].line, e.items[i].msg);
    base_errors_clear(&e);
    ck_assert_ptr_nonnull(s);
    loma_options o = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    base_error pe;
    plan *p = plan_build(s, &o, NULL, &pe);
    ck_assert_msg(p != NULL, "%s", pe.msg);
    int order = 0;
    for (uint32_t i = 0; i < p->n_warnings; i++) {
        order += strstr(p->warnings[i], "memory reg (4096 bits) is listed below sram (1024 "
                        "bits) for I1 but is larger and costlier") != NULL;
        ck_assert(!p->warning_is_note[i]);
    }
    ck_assert_int_eq(order, 1);
    plan_free(p);
    cfg_scenario_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chip_mem");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_weights_load_evict_and_prefetch_by_hand);
    tcase_add_test(tc, test_energy_parts_sum_and_count_once);
    tcase_add_test(tc, test_bad_weight_locations_are_refused);
    tcase_add_test(tc, test_on_core_weights_move_nothing);
    tcase_add_test(tc, test_plan_warns_of_memory_order);
    tcase_add_test(tc, test_prefetch_pays_when_the_port_is_free);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
