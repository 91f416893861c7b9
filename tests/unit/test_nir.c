/* test_nir.c -- NIR networks in: the trained N-MNIST CNN of the NIR paper
 * (tests/data/nir/cnn_sinabs.nir) on the recorded sample
 * (traces/nmnist_sample.bin) on the chip gives exactly the spikes of
 * tests/unit/nir_ref.h's plain interpreter of the graph -- per output
 * class, per layer, per step and per neuron -- at 1 ms and 0.5 ms steps,
 * on 1, 2 and 4 cores. The reference bins the recording itself (its own
 * reader of the N-MNIST format: 1 ms frames from the first event, counts
 * per pixel). Then the loader's errors: a missing file, a file that is not
 * HDF5, an HDF5 file that is not NIR, a missing parameter, unsupported
 * node types (all listed), a recurrent edge at conversion. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "config/cfg_nir.h"
#include "nir_ref.h"
#include "run/run.h"

#define NIRD "tests/data/nir/"
#define TRACE "traces/nmnist_sample.bin"
#define MAX_LAYERS 16
#define MAX_STEPS 1024

/* What the chip emitted, order-independent: per layer, the sum of the
 * values per neuron, the outputs per step, and a hash of (step, neuron,
 * value) summed over outputs. */
typedef struct {
    uint32_t n[MAX_LAYERS];
    double *per_neuron[MAX_LAYERS];
    uint64_t per_step[MAX_LAYERS][MAX_STEPS];
    uint64_t hash[MAX_LAYERS];
    int bad;
} record;

static uint64_t mix(uint64_t step, uint64_t neuron, double v)
{
    uint64_t h = step * 0x9E3779B97F4A7C15ull ^ (neuron + 1) * 0xC2B2AE3D27D4EB4Full;
    h ^= (uint64_t)(int64_t)(v * 16) * 0x165667B19E3779F9ull;
    return h ^ (h >> 29);
}

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    record *r = ctx;
    if (layer >= MAX_LAYERS || step >= MAX_STEPS || neuron >= r->n[layer]) {
        r->bad = 1;
        return;
    }
    r->per_neuron[layer][neuron] += v;
    r->per_step[layer][step]++;
    r->hash[layer] += mix(step, neuron, v);
}

/* The reference's run: its own N-MNIST reader (5 bytes an event: x, y,
 * polarity in bit 7 of byte 2, time in the low 23 bits of bytes 2..4, us),
 * frames of dt_us from the first event. */
typedef struct {
    nref r;
    uint64_t per_step[MAX_LAYERS][MAX_STEPS]; /* indexed by graph node */
    uint64_t hash[MAX_LAYERS];
    int steps;
} ref_run;

static void reference(const nir_graph *g, unsigned dt_us, ref_run *rr)
{
    FILE *f = fopen(TRACE, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char e[5];
    size_t cap = 0, n = 0;
    unsigned *ev = NULL;
    while (fread(e, 1, 5, f) == 5) {
        if (n + 4 > cap)
            ev = realloc(ev, (cap = cap * 2 + 64) * sizeof *ev);
        ev[n++] = e[0];
        ev[n++] = e[1];
        ev[n++] = e[2] >> 7;
        ev[n++] = ((unsigned)(e[2] & 0x7f) << 16) | ((unsigned)e[3] << 8) | e[4];
    }
    fclose(f);
    ck_assert_uint_gt(n, 4000);
    const nir_node *in = &g->nodes[0];
    ck_assert_int_eq(in->type, NIR_INPUT);
    uint32_t H = in->shape[1], W = in->shape[2];
    double *frame = calloc(in->n_out, sizeof *frame);
    nref_init(&rr->r, g);
    unsigned t0 = ev[3];
    size_t k = 0;
    int step = 0;
    memset(rr->per_step, 0, sizeof rr->per_step);
    memset(rr->hash, 0, sizeof rr->hash);
    for (; k < n; step++) {
        memset(frame, 0, in->n_out * sizeof *frame);
        for (; k < n && (ev[k + 3] - t0) / dt_us == (unsigned)step; k += 4)
            frame[((size_t)ev[k + 2] * H + ev[k + 1]) * W + ev[k]] += 1;
        nref_step(&rr->r, frame, dt_us * 1e-6);
        for (int nd = 0; nd < g->n_nodes && nd < MAX_LAYERS; nd++)
            for (uint32_t j = 0; j < g->nodes[nd].n_out; j++)
                if (rr->r.out[nd][j] != 0) {
                    rr->per_step[nd][step]++;
                    rr->hash[nd] += mix((uint64_t)step, j, rr->r.out[nd][j]);
                }
    }
    rr->steps = step;
    free(frame);
    free(ev);
}

/* Runs scenario path and compares it with the reference of the graph. */
static void check_run(const char *path, const nir_graph *g, const cfg_workload *w,
                      const ref_run *rr)
{
    record rec = {0};
    for (int l = 0; l < w->n_layers; l++) {
        int node = cfg_nir_find(g, w->layers[l].name);
        ck_assert_int_ge(node, 0);
        rec.n[l] = (uint32_t)g->nodes[node].n_out;
        rec.per_neuron[l] = calloc(rec.n[l], sizeof(double));
    }
    run_options o;
    run_options_default(&o);
    o.on_spike = on_spike;
    o.spike_ctx = &rec;
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    base_error err;
    int rc = run_scenario(path, &o, &res, &err);
    ck_assert_msg(rc == 0, "%s: %s", path, err.msg);
    ck_assert(res.snn_res.complete);
    ck_assert(!rec.bad);
    ck_assert_int_eq((int)res.snn_res.steps, rr->steps);
    uint64_t total = 0;
    for (int l = 0; l < w->n_layers; l++) {
        int node = cfg_nir_find(g, w->layers[l].name);
        ck_assert_msg(res.snn_res.layers[l].spikes == rr->r.nonzero[node],
                      "%s: layer %s: %llu outputs, reference %llu", path, w->layers[l].name,
                      (unsigned long long)res.snn_res.layers[l].spikes,
                      (unsigned long long)rr->r.nonzero[node]);
        for (uint32_t j = 0; j < rec.n[l]; j++)
            ck_assert_msg(rec.per_neuron[l][j] == rr->r.count[node][j], "%s: layer %s neuron "
                          "%u: chip %g, reference %g", path, w->layers[l].name, j,
                          rec.per_neuron[l][j], rr->r.count[node][j]);
        for (int s = 0; s < rr->steps; s++)
            ck_assert_msg(rec.per_step[l][s] == rr->per_step[node][s], "%s: layer %s step %d: "
                          "chip %llu outputs, reference %llu", path, w->layers[l].name, s,
                          (unsigned long long)rec.per_step[l][s],
                          (unsigned long long)rr->per_step[node][s]);
        ck_assert_msg(rec.hash[l] == rr->hash[node], "%s: layer %s: the outputs differ in "
                      "(step, neuron, value)", path, w->layers[l].name);
        total += rr->r.nonzero[node];
        free(rec.per_neuron[l]);
    }
    /* The output layer: the counts per class. */
    int out = cfg_nir_find(g, w->layers[w->n_layers - 1].name);
    ck_assert_uint_eq(res.snn_res.n_out, g->nodes[out].n_out);
    for (uint32_t c = 0; c < res.snn_res.n_out; c++)
        ck_assert_msg((double)res.snn_res.out_counts[c] == rr->r.count[out][c],
                      "%s: class %u: chip %llu spikes, reference %g", path, c,
                      (unsigned long long)res.snn_res.out_counts[c], rr->r.count[out][c]);
    ck_assert_uint_gt(total, 1000); /* the net is not silent */
    ck_assert_uint_gt(rr->r.nonzero[out], 10);
    run_result_free(&res);
}

static void check_dt(unsigned dt_us, const char *const *scenarios)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "cnn_sinabs.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    cfg_workload *w = cfg_nir_workload(g, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ref_run *rr = calloc(1, sizeof *rr);
    reference(g, dt_us, rr);
    for (const char *const *s = scenarios; *s; s++)
        check_run(*s, g, w, rr);
    nref_free(&rr->r);
    free(rr);
    cfg_workload_free(w);
    cfg_nir_free(g);
}

START_TEST(test_cnn_sinabs_equals_reference_1ms_on_1_2_4_cores)
{
    const char *const s[] = {NIRD "cnn_1c_1ms.yaml", NIRD "cnn_2c_1ms.yaml",
                             NIRD "cnn_4c_1ms.yaml", NULL};
    check_dt(1000, s);
}
END_TEST

START_TEST(test_cnn_sinabs_equals_reference_half_ms_on_1_2_4_cores)
{
    const char *const s[] = {NIRD "cnn_1c_500us.yaml", NIRD "cnn_2c_500us.yaml",
                             NIRD "cnn_4c_500us.yaml", NULL};
    check_dt(500, s);
}
END_TEST

/* Norse's Affine -> LIF at its dt of 0.1 ms on the seeded spike train:
 * the same spikes in every step as the reference (leaky: every step is
 * evaluated, input or not). */
START_TEST(test_lif_norse_equals_reference_on_seeded_input)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "lif_norse.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    FILE *f = fopen(NIRD "lif_norse_input.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[64];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    static double in[MAX_STEPS + 1];
    unsigned t, x, y, p;
    int last = 0;
    while (fscanf(f, "%u,%u,%u,%u", &t, &x, &y, &p) == 4) {
        ck_assert_uint_lt(t / 100, MAX_STEPS);
        in[t / 100] += 1;
        last = (int)(t / 100);
    }
    fclose(f);
    record rec = {.n = {1}};
    rec.per_neuron[0] = calloc(1, sizeof(double));
    run_options o;
    run_options_default(&o);
    o.on_spike = on_spike;
    o.spike_ctx = &rec;
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    ck_assert_msg(run_scenario("configs/nir_lif_norse.yaml", &o, &res, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq((int)res.snn_res.steps, last + 1);
    nref r;
    nref_init(&r, g);
    int out = cfg_nir_find(g, "1");
    uint64_t spikes = 0;
    for (int s = 0; s <= last; s++) {
        nref_step(&r, &in[s], 1e-4);
        ck_assert_msg(rec.per_step[0][s] == (r.out[out][0] != 0), "step %d: chip %llu, "
                      "reference %g", s, (unsigned long long)rec.per_step[0][s], r.out[out][0]);
        spikes += r.out[out][0] != 0;
    }
    ck_assert_uint_gt(spikes, 10);
    ck_assert_uint_eq(res.snn_res.out_counts[0], spikes);
    nref_free(&r);
    free(rec.per_neuron[0]);
    run_result_free(&res);
    cfg_nir_free(g);
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

static void expect_error(const char *path, const char *needle)
{
    base_error err;
    base_error_clear(&err);
    nir_graph *g = cfg_nir_load(path, &err);
    ck_assert_msg(g == NULL, "%s loaded", path);
    ck_assert_msg(strstr(err.msg, needle), "%s: expected \"%s\" in: %s", path, needle, err.msg);
}

/* A copy of cnn_sinabs.nir with byte strings replaced (same lengths: the
 * names live in the file's heap and link tables, unchecksummed). */
static void patched(const char *out, const char *const *from, const char *const *to)
{
    FILE *f = fopen(NIRD "cnn_sinabs.nir", "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (int k = 0; from[k]; k++) {
        size_t l = strlen(from[k]);
        ck_assert_uint_eq(l, strlen(to[k]));
        for (size_t i = 0; i + l <= n; i++)
            if (!memcmp(buf + i, from[k], l))
                memcpy(buf + i, to[k], l);
    }
    f = fopen(out, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static char tmpdir[64];

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/evsim-nir-" "XX" "XX" "XX"); /* mkdtemp template */
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

START_TEST(test_missing_file_and_not_hdf5)
{
    expect_error(NIRD "no_such_file.nir", "cannot open");
    expect_error(NIRD "README.md", "not an HDF5 file");
}
END_TEST

START_TEST(test_unsupported_node_types_listed_with_names)
{
    make_tmp();
    char p[128];
    snprintf(p, sizeof p, "%s/unsup.nir", tmpdir);
    const char *from[] = {"SumPool2d", "Flatten", NULL}, *to[] = {"MaxPool2d", "Reshape", NULL};
    patched(p, from, to);
    expect_error(p, "unsupported NIR node types: 4 (MaxPool2d), 7 (MaxPool2d), 8 (Reshape)");
    unlink(p);
    rmdir(tmpdir);
}
END_TEST

START_TEST(test_not_nir_and_missing_parameter)
{
    make_tmp();
    char p[128], q[128];
    snprintf(p, sizeof p, "%s/notnir.nir", tmpdir);
    snprintf(q, sizeof q, "%s/miss.nir", tmpdir);
    const char *f1[] = {"NIRGraph", NULL}, *t1[] = {"NIRGraff", NULL};
    patched(p, f1, t1);
    expect_error(p, "/node/type: expected NIRGraph, found NIRGraff");
    const char *f2[] = {"v_threshold", NULL}, *t2[] = {"v_threshXld", NULL};
    patched(q, f2, t2);
    expect_error(q, "node 1 (IF): v_threshold: missing");
    unlink(p);
    unlink(q);
    rmdir(tmpdir);
}
END_TEST

/* A NaN weight: the first float of node 0's weight (stored contiguous,
 * uncompressed at byte 13384: `h5dump -p -d /node/nodes/0/weight`). */
START_TEST(test_nan_weight_names_node_and_key)
{
    make_tmp();
    char p[128];
    snprintf(p, sizeof p, "%s/nan.nir", tmpdir);
    const char *none[] = {NULL};
    patched(p, none, none);
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    const unsigned char nan_f32[4] = {0x00, 0x00, 0xc0, 0x7f};
    ck_assert_int_eq(fseek(f, 13384, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(nan_f32, 1, 4, f), 4);
    fclose(f);
    expect_error(p, "node 0 (Conv2d): weight: expected finite numbers, found nan at index 0");
    unlink(p);
    rmdir(tmpdir);
}
END_TEST

/* Shapes that do not chain: the Input's 2x34x34 (int64 at byte 8240)
 * becomes 2x30x30, so Conv2d 0 gives 16x14x14 and IF 1's 16x16x16
 * thresholds no longer fit. */
START_TEST(test_shapes_that_do_not_chain_name_the_node)
{
    make_tmp();
    char p[128];
    snprintf(p, sizeof p, "%s/shape.nir", tmpdir);
    const char *none[] = {NULL};
    patched(p, none, none);
    FILE *f = fopen(p, "r+b");
    ck_assert_ptr_nonnull(f);
    int64_t sh[3];
    ck_assert_int_eq(fseek(f, 8240, SEEK_SET), 0);
    ck_assert_uint_eq(fread(sh, sizeof sh[0], 3, f), 3);
    ck_assert(sh[0] == 2 && sh[1] == 34 && sh[2] == 34);
    sh[1] = sh[2] = 30;
    ck_assert_int_eq(fseek(f, 8240, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(sh, sizeof sh[0], 3, f), 3);
    fclose(f);
    expect_error(p, "node 1 (IF): r: holds 4096 values, its input 16x14x14 has 3136 elements: "
                    "the shapes do not chain");
    unlink(p);
    rmdir(tmpdir);
}
END_TEST

/* The graph checks on graphs built here: a cycle through two Affine nodes
 * is an error naming it; with a LIF on it, its closing edge is recurrent. */
static int order_of(nir_type mid, base_error *err, int *n_rec)
{
    nir_node nodes[4] = {{.name = "in", .type = NIR_INPUT},
                         {.name = "a", .type = NIR_AFFINE},
                         {.name = "b", .type = NIR_AFFINE},
                         {.name = "c", .type = NIR_OUTPUT}};
    nodes[2].type = mid;
    nir_edge edges[4] = {{0, 1, false}, {1, 2, false}, {2, 1, false}, {2, 3, false}};
    nir_graph g = {.file = "g.nir", .n_nodes = 4, .nodes = nodes, .n_edges = 4, .edges = edges};
    int rc = cfg_nir_order(&g, err);
    *n_rec = g.n_recurrent;
    return rc;
}

START_TEST(test_cycle_without_neuron_is_refused_with_a_neuron_recurrent)
{
    base_error err;
    int n_rec;
    ck_assert_int_eq(order_of(NIR_AFFINE, &err, &n_rec), -1);
    ck_assert_msg(strstr(err.msg, "the cycle a -> b -> a passes through no neuron"), "%s",
                  err.msg);
    ck_assert_int_eq(order_of(NIR_LIF, &err, &n_rec), 0);
    ck_assert_int_eq(n_rec, 1);
}
END_TEST

/* A mistyped parameter (a string where integers belong) on a graph built
 * here: named with its node and key. */
START_TEST(test_mistyped_parameter_names_node_and_key)
{
    double shape[3] = {2, 4, 4}, two[1] = {2}, zero[1] = {0};
    nir_param in_p[1] = {{.key = "shape", .rank = 1, .dim = {3}, .n = 3, .v = shape}};
    nir_param pool_p[3] = {{.key = "kernel_size", .str = "two"},
                           {.key = "stride", .rank = 1, .dim = {1}, .n = 1, .v = two},
                           {.key = "padding", .rank = 1, .dim = {1}, .n = 1, .v = zero}};
    nir_node nodes[2] = {{.name = "in", .type = NIR_INPUT, .n_params = 1, .params = in_p},
                         {.name = "pool", .type = NIR_SUMPOOL2D, .n_params = 3,
                          .params = pool_p}};
    nir_edge edges[1] = {{0, 1, false}};
    nir_graph g = {.file = "g.nir", .n_nodes = 2, .nodes = nodes, .n_edges = 1, .edges = edges};
    base_error err;
    ck_assert_int_eq(cfg_nir_shapes(&g, &err), -1);
    ck_assert_msg(strstr(err.msg, "g.nir: node pool (SumPool2d): kernel_size: expected 1 or 2 "
                                  "integers"), "%s", err.msg);
    pool_p[0] = (nir_param){.key = "kernel_size", .rank = 1, .dim = {1}, .n = 1, .v = two};
    ck_assert_int_eq(cfg_nir_shapes(&g, &err), 0);
    ck_assert_uint_eq(nodes[1].n_out, 2 * 2 * 2);
}
END_TEST

START_TEST(test_recurrent_edge_loads_and_is_refused_at_conversion)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "braille_noDelay_bias_zero.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    ck_assert_int_eq(g->n_recurrent, 1);
    int rec = -1;
    for (int e = 0; e < g->n_edges; e++)
        if (g->edges[e].recurrent)
            rec = e;
    ck_assert_str_eq(g->nodes[g->edges[rec].src].name, "lif1.w_rec");
    ck_assert_str_eq(g->nodes[g->edges[rec].dst].name, "lif1.lif");
    ck_assert_ptr_null(cfg_nir_workload(g, &err));
    ck_assert_msg(strstr(err.msg, "recurrent NIR edges are not supported on the chip yet"), "%s",
                  err.msg);
    cfg_nir_free(g);
}
END_TEST

START_TEST(test_older_file_without_v_reset_resets_to_zero)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "cnn_sinabs.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    cfg_workload *w = cfg_nir_workload(g, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(w->n_layers, 7);
    ck_assert_str_eq(w->layers[0].name, "1");
    ck_assert_int_eq(w->layers[0].neuron.model, CFG_NEURON_IF);
    ck_assert(!w->layers[0].neuron.reset_subtract);
    ck_assert(w->layers[0].neuron.v_reset == 0);
    ck_assert_int_eq(w->layers[2].neuron.model, CFG_NEURON_SIGMA_DELTA); /* pool 4 */
    ck_assert_uint_eq(w->layers[0].weights.n_data, 16 * 2 * 5 * 5);
    cfg_workload_free(w);
    cfg_nir_free(g);
}
END_TEST

START_TEST(test_every_failed_allocation_fails_the_load_cleanly)
{
    for (long n = 1; n < 100000; n++) {
        base_alloc_fail_at(n, 0);
        base_error err;
        nir_graph *g = cfg_nir_load(NIRD "cnn_sinabs.nir", &err);
        cfg_workload *w = g ? cfg_nir_workload(g, &err) : NULL;
        int injected = base_alloc_injected();
        base_alloc_fail_at(0, 0);
        cfg_workload_free(w);
        cfg_nir_free(g);
        if (!injected) {
            ck_assert_ptr_nonnull(w);
            return;
        }
        ck_assert_msg(w == NULL, "allocation %ld failed, the load succeeded", n);
    }
    ck_abort_msg("never completed");
}
END_TEST

static Suite *nir_suite(void)
{
    Suite *s = suite_create("nir");
    TCase *tc = tcase_create("nir");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cnn_sinabs_equals_reference_1ms_on_1_2_4_cores);
    tcase_add_test(tc, test_cnn_sinabs_equals_reference_half_ms_on_1_2_4_cores);
    tcase_add_test(tc, test_lif_norse_equals_reference_on_seeded_input);
    tcase_add_test(tc, test_missing_file_and_not_hdf5);
    tcase_add_test(tc, test_unsupported_node_types_listed_with_names);
    tcase_add_test(tc, test_not_nir_and_missing_parameter);
    tcase_add_test(tc, test_nan_weight_names_node_and_key);
    tcase_add_test(tc, test_shapes_that_do_not_chain_name_the_node);
    tcase_add_test(tc, test_cycle_without_neuron_is_refused_with_a_neuron_recurrent);
    tcase_add_test(tc, test_mistyped_parameter_names_node_and_key);
    tcase_add_test(tc, test_recurrent_edge_loads_and_is_refused_at_conversion);
    tcase_add_test(tc, test_older_file_without_v_reset_resets_to_zero);
    tcase_add_test(tc, test_every_failed_allocation_fails_the_load_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(nir_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
