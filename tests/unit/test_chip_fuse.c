/* test_chip_fuse.c -- fine-grained dependencies and fusion on a case
 * small enough to derive by hand: two 8-bit convolutions on two cores,
 * no chip memories (input preloaded, output kept, weights on the cores).
 *
 *   A: K 2, C 1, OY 8, OX 4, 1x1 kernel: a row of A's output is
 *      2 x 4 x 8 = 64 bits.
 *   B: K 2, C 2, OY 8, OX 4, FY 3 (FX 1), padding 1 above and below:
 *      output row r reads input rows r-1 .. r+1 (those that exist).
 *
 * Split over OY onto the two cores (rows 0-3 on core 0, 4-7 on core 1)
 * B's half on core 1 reads A rows 3..7: the halo row 3 from core 0
 * (64 bits), the rest from its own core; symmetrically row 4 goes to core
 * 0. Layer by layer the old rule sent each A half whole to the other core
 * (256 bits); now two 64-bit streams. With A on core 0 and B on core 1,
 * one row per CN, fused mode lets B's row 0 start once A's rows 0 and 1
 * have arrived, while layer by layer B waits for all of A. */
#include <check.h>
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

static const char core_yaml[] =
    "name: tiny\n"
    "operational_array: {unit_energy: 0.1, unit_area: 1, dimensions: [D1], sizes: [1]}\n"
    "memories:\n"
    "  reg:\n    size: 64\n    r_cost: 0.1\n    w_cost: 0.1\n    area: 0\n"
    "    latency: 1\n    operands: [I1, I2, O]\n"
    "    ports:\n"
    "      - {name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 64,\n"
    "         allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, th']}\n"
    "      - {name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 64,\n"
    "         allocation: ['I1, fh', 'I2, fh', 'O, fh', 'O, fl']}\n"
    "    served_dimensions: []\n"
    "  sram:\n    size: 1048576\n    r_cost: 1\n    w_cost: 1\n    area: 0\n"
    "    latency: 1\n    operands: [I1, I2, O]\n"
    "    ports:\n"
    "      - {name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 64,\n"
    "         allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, th']}\n"
    "      - {name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 64,\n"
    "         allocation: ['I1, fh', 'I2, fh', 'O, fh', 'O, fl']}\n"
    "    served_dimensions: [D1]\n";

static const char chip_yaml[] =
    "name: two\nclock_ghz: 0.5\n"
    "core_types: {tiny: {file: core.yaml}}\n"
    "cores:\n  - {id: 0, type: tiny, at: [0, 0]}\n  - {id: 1, type: tiny, at: [1, 0]}\n"
    "noc: {mesh: [2, 1], flit_width_bits: 32, virtual_channels: 2, vc_depth_flits: 4,\n"
    "      router_stage_cycles: [1, 1, 1, 1], link_latency_cycles: 1, clock_ghz: 0.5,\n"
    "      energy_per_flit_hop_pj: 3.0, energy_per_bit_link_pj: 0.1}\n";

static const char workload_yaml[] =
    "- id: 0\n  name: A\n  operator_type: Conv\n"
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 2, 1, 8, 4, 1, 1]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 0}\n"
    "- id: 1\n  name: B\n  operator_type: Conv\n"
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 2, 2, 8, 4, 3, 1]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 1}\n"
    "  pr_loop_dims: [IX, IY]\n  padding: [[0, 0], [1, 1]]\n";

/* Both layers split over OY onto cores 0 and 1. */
static const char map_split[] =
    "- name: default\n  core_allocation: [0, 1]\n  inter_core_tiling:\n    - OY, *\n"
    "  spatial_mapping: {D1: [K, 1]}\n";

/* A on core 0, B on core 1, one output row per CN. */
static const char map_pipe[] =
    "- name: A\n  core_allocation: [0]\n  intra_core_tiling:\n    - OY, all\n"
    "  spatial_mapping: {D1: [K, 1]}\n"
    "- name: B\n  core_allocation: [1]\n  intra_core_tiling:\n    - OY, all\n"
    "  spatial_mapping: {D1: [K, 1]}\n";

static const char *workload = workload_yaml;
static const char *chip_text = chip_yaml;
static const char *core_text = core_yaml;

static void write_case(const char *mapping, const char *scenario_extra)
{
    char scen[512];
    snprintf(scen, sizeof scen,
             "name: fuse\nchip: chip.yaml\nworkload: workload.yaml\nmapping: mapping.yaml\n%s",
             scenario_extra);
    put_file("core.yaml", core_text);
    put_file("chip.yaml", chip_text);
    put_file("workload.yaml", workload);
    put_file("mapping.yaml", mapping);
    put_file("scenario.yaml", scen);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/evsim_test_chip_fuse_" "XX" "XX" "XX");
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

static void run(const char *mapping, const char *extra, run_case *rc)
{
    write_case(mapping, extra);
    base_errors e;
    rc->s = load(&e);
    for (int i = 0; !rc->s && i < e.count; i++)
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

#define ROW_BITS (2u * 4u * 8u) /* one row of A's output: K 2 x OX 4 x 8 bits */

/* Rows [lo, hi) of A that B's output rows [blo, bhi) read: r-1 .. r+1,
 * clipped to the 8 rows that exist. */
static unsigned rows_read(unsigned blo, unsigned bhi, unsigned lo, unsigned hi)
{
    int a = (int)blo - 1, b = (int)bhi + 1; /* [a, b) */
    a = a < (int)lo ? (int)lo : a;
    b = b > (int)hi ? (int)hi : b;
    return b > a ? (unsigned)(b - a) : 0;
}

START_TEST(test_halo_rows_cross_cores_and_nothing_else)
{
    run_case a;
    run(map_split, "", &a);
    const plan *p = a.p;
    const plan_layer *B = &p->layers[1];
    ck_assert_uint_eq(B->n_parts, 2);
    ck_assert(B->mapped[0]);
    for (uint32_t bp = 0; bp < 2; bp++) {
        const plan_cn *cn = &p->cns[B->parts[bp].first_cn];
        ck_assert_uint_eq(cn->n_deps, 2); /* both halves of A */
        for (uint32_t d = 0; d < cn->n_deps; d++) {
            const plan_dep *dp = &p->deps[cn->first_dep + d];
            uint32_t ap = p->cns[dp->src_cn].part;
            unsigned want = rows_read(4 * bp, 4 * bp + 4, 4 * ap, 4 * ap + 4) * ROW_BITS;
            ck_assert_uint_eq(dp->bits, want);
        }
    }
    /* B's half on core 1 reads A's rows 3..7: row 3 is the halo */
    ck_assert_uint_eq(B->parts[1].need[0].lo[2], 3);
    ck_assert_uint_eq(B->parts[1].need[0].hi[2], 8);
    ck_assert_uint_eq(rows_read(4, 8, 0, 4) * ROW_BITS, 64);
    /* two halo streams of one 64-bit packet each, nothing more */
    ck_assert_uint_eq(a.r.transfers, 2);
    ck_assert_uint_eq(a.r.packets, 2);
    ck_assert_uint_eq(a.r.noc.deliveries, 2);
    /* B's halves wait for both halves of A */
    ck_assert_uint_ge(a.r.layers[1].start_ps, a.r.layers[0].end_ps);
    run_free(&a);
}
END_TEST

START_TEST(test_fused_consumer_starts_on_its_own_rows)
{
    run_case l, f;
    run(map_pipe, "", &l);
    run(map_pipe, "mode: fused\n", &f);
    const plan *p = f.p;
    ck_assert(p->fused);
    ck_assert_uint_eq(p->n_stacks, 1); /* 16 + 96 weight bits: one stack */
    /* row r reads rows r-1..r+1: 2 + 6 x 3 + 2 inputs, a row each */
    ck_assert_uint_eq(p->n_deps, 22);
    for (uint32_t d = 0; d < p->n_deps; d++)
        ck_assert_uint_eq(p->deps[d].bits, ROW_BITS);
    const plan_cn *b0 = &p->cns[p->layers[1].first_cn];
    ck_assert_uint_eq(b0->n_deps, 2);
    /* layer by layer: A's output in one stream; fused: a row per CN */
    ck_assert_uint_eq(l.r.transfers, 1);
    ck_assert_uint_eq(f.r.transfers, 8);
    ck_assert_uint_ge(l.r.layers[1].start_ps, l.r.layers[0].end_ps);
    /* fused: B's row 0 runs after A's row 1 (and the hop), before A ends */
    uint64_t a_row = p->cns[p->layers[0].first_cn].dur_ps;
    ck_assert_uint_gt(f.r.layers[1].start_ps, 2 * a_row);
    ck_assert_uint_lt(f.r.layers[1].start_ps, f.r.layers[0].end_ps);
    ck_assert_uint_lt(f.r.end_ps, l.r.end_ps); /* never slower; here faster */
    ck_assert_uint_eq(f.r.layers[0].end_ps, l.r.layers[0].end_ps);
    run_free(&l);
    run_free(&f);
}
END_TEST

/* Stacks the scenario gives: A and B apart behave as layer by layer. */
START_TEST(test_layer_stacks_apart_wait_like_lbl)
{
    run_case l, f;
    run(map_pipe, "", &l);
    run(map_pipe, "mode: fused\nlayer_stacks: [[0], [1]]\n", &f);
    ck_assert_uint_eq(f.p->n_stacks, 2);
    ck_assert_uint_eq(f.r.transfers, 1);
    ck_assert_uint_eq(f.r.end_ps, l.r.end_ps);
    run_free(&l);
    run_free(&f);
}
END_TEST

/* Stride 2, padding 1 above only: B's row r reads A rows 2r-1 .. 2r+1.
 * Split over OY (B rows 0-1 on core 0, 2-3 on core 1), core 1 reads A
 * rows 3..7, so row 3 crosses; core 0 reads rows 0..3, all its own, so
 * nothing goes the other way. */
START_TEST(test_stride_halo_goes_one_way)
{
    static char w[sizeof workload_yaml + 64];
    snprintf(w, sizeof w, "%s", workload_yaml);
    char *b = strstr(w, "name: B");
    ck_assert_ptr_nonnull(b);
    memcpy(strstr(b, "iy=1*oy"), "iy=2*oy", 7);
    memcpy(strstr(b, "[1, 2, 2, 8, 4, 3, 1]"), "[1, 2, 2, 4, 4, 3, 1]", 21);
    memcpy(strstr(b, "[[0, 0], [1, 1]]"), "[[0, 0], [1, 0]]", 16);
    workload = w;
    run_case a;
    run(map_split, "", &a);
    workload = workload_yaml;
    const plan *p = a.p;
    const plan_layer *B = &p->layers[1];
    ck_assert(B->mapped[0]); /* 2*3 + 2 + 1 = 9 rows less 1 of padding: 8 */
    ck_assert_uint_eq(B->parts[0].need[0].lo[2], 0);
    ck_assert_uint_eq(B->parts[0].need[0].hi[2], 4);
    ck_assert_uint_eq(B->parts[1].need[0].lo[2], 3);
    ck_assert_uint_eq(B->parts[1].need[0].hi[2], 8);
    ck_assert_uint_eq(p->cns[B->parts[0].first_cn].n_deps, 1);
    ck_assert_uint_eq(p->cns[B->parts[1].first_cn].n_deps, 2);
    ck_assert_uint_eq(a.r.transfers, 1);
    ck_assert_uint_eq(a.r.packets, 1);
    run_free(&a);
}
END_TEST

/* The chip with a memory the network input is read from. */
static const char chip_mem_yaml[] =
    "name: two\nclock_ghz: 0.5\n"
    "core_types: {tiny: {file: core.yaml}}\n"
    "cores:\n  - {id: 0, type: tiny, at: [0, 0]}\n  - {id: 1, type: tiny, at: [1, 0]}\n"
    "noc: {mesh: [2, 1], flit_width_bits: 32, virtual_channels: 2, vc_depth_flits: 4,\n"
    "      router_stage_cycles: [1, 1, 1, 1], link_latency_cycles: 1, clock_ghz: 0.5,\n"
    "      energy_per_flit_hop_pj: 3.0, energy_per_bit_link_pj: 0.1}\n"
    "memories:\n"
    "  - {name: imem, type: sram, size_bits: 1000000000, bandwidth_gbps: 1, latency_ns: 100,\n"
    "     read_energy_pj_per_bit: 1, write_energy_pj_per_bit: 2, static_power_mw: 0,\n"
    "     at: [0, 0]}\n";

/* B alone, its input the network's: C 2 x IY 8 x IX 4 at 8 bits, a row
 * 2 x 4 x 8 = 64 bits, 512 in all. */
static const char input_layer_yaml[] =
    "- id: 0\n  name: B\n  operator_type: Conv\n"
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 2, 2, 8, 4, 3, 1]\n"
    "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
    "  operand_source: {I: 0, W: 0}\n"
    "  pr_loop_dims: [IX, IY]\n  padding: [[0, 0], [1, 1]]\n";

static const char map_k[] =
    "- name: default\n  core_allocation: [0, 1]\n  inter_core_tiling:\n    - K, *\n"
    "  spatial_mapping: {D1: [K, 1]}\n";

/* Split over OY, core 0 reads input rows 0..4 and core 1 rows 3..7 (the
 * 3-row window, padding 1): rows 0-2 go to core 0 alone (192 bits), 3-4
 * to both (128 bits, one multicast read), 5-7 to core 1 alone: every row
 * read once, 512 bits, and each core receives its 320. Split over K both
 * read everything: one 512-bit read multicast to both. */
START_TEST(test_network_input_read_per_slice)
{
    chip_text = chip_mem_yaml;
    workload = input_layer_yaml;
    run_case a, b;
    run(map_split, "", &a);
    run(map_k, "", &b);
    chip_text = chip_yaml;
    workload = workload_yaml;
    const plan_layer *l = &a.p->layers[0];
    ck_assert_uint_eq(l->n_in_reads, 3);
    uint64_t want_bits[3] = {192, 128, 192};
    uint32_t want_n[3] = {1, 2, 1}, want_first[3] = {0, 0, 1};
    for (int r = 0; r < 3; r++) {
        ck_assert_uint_eq(l->in_reads[r].bits, want_bits[r]);
        ck_assert_uint_eq(l->in_reads[r].n, want_n[r]);
        ck_assert_uint_eq(l->in_reads[r].cores[0], want_first[r]);
    }
    ck_assert_uint_eq(a.r.w_load_bits, 0); /* the core holds its weights */
    ck_assert_uint_eq(a.r.mems[0].read_bits, 512);
    ck_assert_uint_eq(a.r.transfers, 3 + 2); /* 3 reads, 2 output write-backs */
    ck_assert_uint_eq(b.p->layers[0].n_in_reads, 1);
    ck_assert_uint_eq(b.p->layers[0].in_reads[0].bits, 512);
    ck_assert_uint_eq(b.p->layers[0].in_reads[0].n, 2);
    ck_assert_uint_eq(b.r.mems[0].read_bits, 512);
    /* each core waited for its reads: B cannot start before the first
     * read has left the memory (100 ns latency) */
    ck_assert_uint_ge(a.r.layers[0].start_ps, 100000);
    run_free(&a);
    run_free(&b);
}
END_TEST

/* The same layer split over K on cores whose sram (the level holding
 * activations) is 700 bits, one output row per CN: a part's activations
 * are all of the input as the loops reach it (padded: 2 x 10 x 4 x 8 = 640
 * bits) and its output (K 1 x 8 x 4 x 8 = 256 bits): 896, so each part
 * writes its 196-bit excess to imem and reads it back. Against 1 Mbit
 * srams: 2 x 196 bits more read and written, at 1 + 2 pJ per bit. */
START_TEST(test_activation_spill_written_and_read_back)
{
    static char small[sizeof core_yaml];
    snprintf(small, sizeof small, "%s", core_yaml);
    char *at = strstr(small, "size: 1048576");
    ck_assert_ptr_nonnull(at);
    memcpy(at, "size: 700    ", 13);
    chip_text = chip_mem_yaml;
    workload = input_layer_yaml;
    run_case a, b;
    static const char map_k_rows[] =
        "- name: default\n  core_allocation: [0, 1]\n  inter_core_tiling:\n    - K, *\n"
        "  intra_core_tiling:\n    - OY, all\n  spatial_mapping: {D1: [K, 1]}\n";
    run(map_k_rows, "", &b);
    core_text = small;
    run(map_k_rows, "", &a);
    core_text = core_yaml;
    chip_text = chip_yaml;
    workload = workload_yaml;
    ck_assert_uint_eq(a.p->layers[0].parts[0].act_bits, 896);
    ck_assert_uint_eq(a.p->layers[0].parts[0].spill_bits, 196);
    ck_assert_uint_eq(b.p->layers[0].parts[0].spill_bits, 0);
    ck_assert_uint_eq(a.r.a_spills, 2);
    ck_assert_uint_eq(a.r.a_spill_bits, 392);
    ck_assert_uint_eq(b.r.a_spills, 0);
    ck_assert_uint_eq(a.r.mems[0].read_bits, b.r.mems[0].read_bits + 392);
    ck_assert_uint_eq(a.r.mems[0].write_bits, b.r.mems[0].write_bits + 392);
    double da = model_energy_sum(&a.r.energy, "offchip_read") +
                model_energy_sum(&a.r.energy, "offchip_write");
    double db = model_energy_sum(&b.r.energy, "offchip_read") +
                model_energy_sum(&b.r.energy, "offchip_write");
    ck_assert_double_eq_tol(da - db, 392 * 3.0, 1e-6);
    /* a part is done only once its spill is back: the read-back leaves
     * the memory 100 ns after it was asked for, after the write landed */
    ck_assert_uint_ge(a.r.layers[0].end_ps, a.r.layers[0].start_ps + 100000);
    run_free(&a);
    run_free(&b);
}
END_TEST

/* Fused, weights loaded from imem (the core given an off-chip top level):
 * B's station on core 1 has no part-grain inputs (A is in its stack), so
 * it waits only for its weights and, CN by CN, for A's rows. The memory
 * serves A's input (256 bits), A's weights, then B's; core 1 is idle
 * until B's rows can start, but it stalls only once one of B's CNs has
 * its rows while the weights are still due -- not from the start. */
START_TEST(test_fused_stall_only_when_a_cn_could_run)
{
    static char off[sizeof core_yaml + 512];
    snprintf(off, sizeof off, "%s"
             "  offchip:\n    size: 1000000000\n    r_cost: 100\n    w_cost: 100\n"
             "    area: 0\n    latency: 1\n    operands: [I1, I2, O]\n"
             "    ports:\n"
             "      - {name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 64,\n"
             "         allocation: ['I1, tl', 'I2, tl', 'O, tl', 'O, th']}\n"
             "      - {name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 64,\n"
             "         allocation: ['I1, fh', 'I2, fh', 'O, fh', 'O, fl']}\n"
             "    served_dimensions: [D1]\n", core_yaml);
    core_text = off;
    chip_text = chip_mem_yaml;
    run_case a;
    run(map_pipe, "mode: fused\n", &a);
    core_text = core_yaml;
    chip_text = chip_yaml;
    ck_assert_uint_eq(a.r.w_loads, 2);
    /* B's weights (96 bits) leave the memory after A's input and weights:
     * no earlier than 3 x 100 ns of latency */
    uint64_t w_b_not_before = 300000;
    ck_assert_uint_ge(a.r.layers[1].start_ps, w_b_not_before);
    /* the old rule counted core 1 stalled from 0 until B started (604 ns
     * here); now only once a row of B has its inputs (40 ns) */
    ck_assert_uint_lt(a.r.cores[1].stall_ps, a.r.layers[1].start_ps - a.r.layers[0].start_ps);
    run_free(&a);
}
END_TEST

/* Reruns give the same figures. */
START_TEST(test_fused_rerun_is_identical)
{
    run_case a, b;
    run(map_pipe, "mode: fused\n", &a);
    run(map_pipe, "mode: fused\n", &b);
    ck_assert_uint_eq(a.r.end_ps, b.r.end_ps);
    ck_assert_uint_eq(a.r.events, b.r.events);
    ck_assert_uint_eq(a.r.noc.deliveries, b.r.noc.deliveries);
    run_free(&a);
    run_free(&b);
}
END_TEST

static void expect_error(const char *extra, const char *what, int line)
{
    write_case(map_pipe, extra);
    base_errors e;
    cfg_scenario *s = load(&e);
    ck_assert_ptr_null(s);
    ck_assert_int_ge(e.count, 1);
    ck_assert_msg(strstr(e.items[0].msg, what) != NULL, "%s", e.items[0].msg);
    ck_assert_int_eq((int)e.items[0].line, line);
    base_errors_clear(&e);
}

START_TEST(test_bad_layer_stacks_are_positioned_errors)
{
    expect_error("mode: fused\nlayer_stacks: [[0], [7]]\n", "no layer has", 6);
    expect_error("mode: fused\nlayer_stacks: [[0, 1], [1]]\n", "already in layer_stacks[0]",
                 6);
    expect_error("layer_stacks: [[0, 1]]\n", "belongs to mode: fused", 5);
    expect_error("mode: fuse\n", "lbl | fused", 5);
}
END_TEST

static Suite *fuse_suite(void)
{
    Suite *s = suite_create("chip_fuse");
    TCase *tc = tcase_create("fuse");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_halo_rows_cross_cores_and_nothing_else);
    tcase_add_test(tc, test_fused_consumer_starts_on_its_own_rows);
    tcase_add_test(tc, test_layer_stacks_apart_wait_like_lbl);
    tcase_add_test(tc, test_stride_halo_goes_one_way);
    tcase_add_test(tc, test_fused_rerun_is_identical);
    tcase_add_test(tc, test_network_input_read_per_slice);
    tcase_add_test(tc, test_activation_spill_written_and_read_back);
    tcase_add_test(tc, test_fused_stall_only_when_a_cn_could_run);
    tcase_add_test(tc, test_bad_layer_stacks_are_positioned_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fuse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
