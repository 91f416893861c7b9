/* test_nir.c -- NIR networks in: the trained N-MNIST CNN of the NIR paper
 * (tests/data/nir/cnn_sinabs.nir) on the recorded sample
 * (traces/nmnist_sample.bin) on the chip gives exactly the spikes of
 * tests/unit/nir_ref.h's plain interpreter of the graph -- per output
 * class, per layer, per step and per neuron -- at 1 ms and 0.5 ms steps,
 * on 1, 2 and 4 cores. The reference bins the recording itself (its own
 * reader of the N-MNIST format: 1 ms frames from the first event, counts
 * per pixel). Then the loader's errors: a missing file, a file that is not
 * HDF5, an HDF5 file that is not NIR, a missing parameter, unsupported
 * node types (all listed), a recurrent edge the chip cannot take. The
 * recurrent braille net on a seeded input equals the reference on 1, 2
 * and 4 cores, its recurrent layer and its output. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "config/cfg_nir.h"
#include "nir_ref.h"
#include "run/run.h"
#include "snn_test_util.h"

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
    run_result res;
    snn_test_run(path, on_spike, &rec, &res);
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
                             NIRD "cnn_4c_1ms.yaml", NIRD "cnn_4r_1ms.yaml", NULL};
    check_dt(1000, s);
}
END_TEST

START_TEST(test_cnn_sinabs_equals_reference_half_ms_on_1_2_4_cores)
{
    const char *const s[] = {NIRD "cnn_1c_500us.yaml", NIRD "cnn_2c_500us.yaml",
                             NIRD "cnn_4c_500us.yaml", NIRD "cnn_4r_500us.yaml", NULL};
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

/* The recurrent braille net (snnTorch: fc1 -> CubaLIF lif1.lif with the
 * recurrent Affine lif1.w_rec back into it -> fc2 -> CubaLIF lif2) at its
 * dt of 0.1 ms on the seeded 12-channel input: on 1, 2 and 4 cores the
 * chip's spikes per layer, per step and per (step, neuron) are the
 * reference's, for the recurrent layer and the output; and the
 * recurrent edge matters (the reference without it differs). */
static void braille_reference(const nir_graph *g, nref *r, int cut_recurrent, int *steps,
                              uint64_t per_step[][MAX_STEPS], uint64_t *hash)
{
    FILE *f = fopen(NIRD "braille_input.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[64];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    static double in[MAX_STEPS][12];
    memset(in, 0, sizeof in);
    unsigned t, ch;
    int last = 0;
    while (fscanf(f, "%u,%u", &t, &ch) == 2) {
        ck_assert_uint_lt(t / 100, MAX_STEPS);
        ck_assert_uint_lt(ch, 12);
        in[t / 100][ch] += 1;
        last = (int)(t / 100);
    }
    fclose(f);
    nref_init(r, g);
    for (int e = 0; e < g->n_edges; e++)
        r->cut[e] = cut_recurrent && g->edges[e].recurrent;
    memset(hash, 0, MAX_LAYERS * sizeof *hash);
    for (int s = 0; s <= last; s++) {
        nref_step(r, in[s], 1e-4);
        for (int nd = 0; nd < g->n_nodes && nd < MAX_LAYERS; nd++) {
            per_step[nd][s] = 0;
            for (uint32_t j = 0; j < g->nodes[nd].n_out; j++)
                if (r->out[nd][j] != 0 && cfg_nir_is_neuron(g->nodes[nd].type)) {
                    per_step[nd][s]++;
                    hash[nd] += mix((uint64_t)s, j, r->out[nd][j]);
                }
        }
    }
    *steps = last + 1;
}

START_TEST(test_braille_recurrent_equals_reference_on_1_2_4_cores)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "braille_noDelay_bias_zero.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    static uint64_t per_step[MAX_LAYERS][MAX_STEPS], cut_step[MAX_LAYERS][MAX_STEPS];
    uint64_t hash[MAX_LAYERS], cut_hash[MAX_LAYERS];
    nref r, rc;
    int steps, cut_steps;
    braille_reference(g, &r, 0, &steps, per_step, hash);
    braille_reference(g, &rc, 1, &cut_steps, cut_step, cut_hash);
    int hid = cfg_nir_find(g, "lif1.lif"), out = cfg_nir_find(g, "lif2");
    ck_assert_uint_gt(r.nonzero[hid], 30);
    ck_assert_uint_gt(r.nonzero[out], 100);
    ck_assert_msg(hash[hid] != cut_hash[hid] || r.nonzero[hid] != rc.nonzero[hid],
                  "the recurrent edge changes nothing: the test would not see it");
    const char *const sc[] = {NIRD "braille_1c.yaml", "configs/nir_braille.yaml",
                              NIRD "braille_4c.yaml", NULL};
    for (const char *const *p = sc; *p; p++) {
        record *rec = calloc(1, sizeof *rec);
        const char *names[2] = {"lif1.lif", "lif2"};
        for (int l = 0; l < 2; l++) {
            rec->n[l] = (uint32_t)g->nodes[cfg_nir_find(g, names[l])].n_out;
            rec->per_neuron[l] = calloc(rec->n[l], sizeof(double));
        }
        run_result res;
        snn_test_run(*p, on_spike, rec, &res);
        ck_assert(res.snn_res.complete);
        ck_assert(!rec->bad);
        ck_assert_int_eq((int)res.snn_res.steps, steps);
        for (int l = 0; l < 2; l++) {
            int nd = cfg_nir_find(g, names[l]);
            ck_assert_msg(res.snn_res.layers[l].spikes == r.nonzero[nd], "%s: layer %s: %llu "
                          "spikes, reference %llu", *p, names[l],
                          (unsigned long long)res.snn_res.layers[l].spikes,
                          (unsigned long long)r.nonzero[nd]);
            for (int s = 0; s < steps; s++)
                ck_assert_msg(rec->per_step[l][s] == per_step[nd][s], "%s: layer %s step %d: "
                              "chip %llu spikes, reference %llu", *p, names[l], s,
                              (unsigned long long)rec->per_step[l][s],
                              (unsigned long long)per_step[nd][s]);
            for (uint32_t j = 0; j < rec->n[l]; j++)
                ck_assert_msg(rec->per_neuron[l][j] == r.count[nd][j], "%s: layer %s neuron "
                              "%u: chip %g, reference %g", *p, names[l], j,
                              rec->per_neuron[l][j], r.count[nd][j]);
            ck_assert_msg(rec->hash[l] == hash[nd], "%s: layer %s: the spikes differ in "
                          "(step, neuron)", *p, names[l]);
            free(rec->per_neuron[l]);
        }
        ck_assert_uint_eq(res.snn_res.n_out, 7);
        for (uint32_t c = 0; c < 7; c++)
            ck_assert_msg((double)res.snn_res.out_counts[c] == r.count[out][c], "%s: class %u: "
                          "chip %llu, reference %g", *p, c,
                          (unsigned long long)res.snn_res.out_counts[c], r.count[out][c]);
        run_result_free(&res);
        free(rec);
    }
    nref_free(&r);
    nref_free(&rc);
    cfg_nir_free(g);
}
END_TEST

/* The conversion of the recurrent net: lif1.lif reads the input and,
 * through lif1.w_rec's weights as its own, itself; per-neuron biases
 * (fc1 + lif1.w_rec) in memory; w_in as NIR's. */
START_TEST(test_braille_converts_recurrent_edge_into_own_source)
{
    base_error err;
    nir_graph *g = cfg_nir_load(NIRD "braille_noDelay_bias_zero.nir", &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    cfg_workload *w = cfg_nir_workload(g, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(w->n_layers, 2);
    const cfg_layer *l = &w->layers[0];
    ck_assert_str_eq(l->name, "lif1.lif");
    ck_assert_int_eq(l->n_sources, 2);
    ck_assert_str_eq(l->sources[0], "input");
    ck_assert_str_eq(l->sources[1], "lif1.lif");
    ck_assert(l->source_own[1] && l->source_layer[1] == 0);
    const nir_param *wr = cfg_nir_param(&g->nodes[cfg_nir_find(g, "lif1.w_rec")], "weight");
    const nir_param *b1 = cfg_nir_param(&g->nodes[cfg_nir_find(g, "fc1")], "bias");
    const nir_param *br = cfg_nir_param(&g->nodes[cfg_nir_find(g, "lif1.w_rec")], "bias");
    ck_assert_uint_eq(l->source_weights[1].n_data, 38 * 38);
    ck_assert(l->source_weights[1].data[5 * 38 + 7] == (float)wr->v[5 * 38 + 7]);
    ck_assert_uint_eq(l->weights.n_bias_data, 38);
    ck_assert(l->weights.bias_data[3] == (float)(b1->v[3] + br->v[3]));
    ck_assert(l->neuron.given >> CFG_NEU_W_IN & 1u);
    ck_assert_double_eq_tol(l->neuron.w_in, 2.2222222, 1e-6);
    ck_assert_int_eq(w->layers[1].n_sources, 1);
    ck_assert_uint_eq(w->layers[1].weights.n_bias_data, 7);
    ck_assert(g->nodes[cfg_nir_find(g, "lif1.w_rec")].own_source);
    cfg_workload_free(w);
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

/* A recurrent edge the chip cannot take (one from a neuron node straight
 * back into an earlier synaptic node): refused at conversion with both
 * nodes named; the braille file's loads with its one recurrent edge. */
START_TEST(test_recurrent_edge_loads_and_an_unsupported_one_is_refused)
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
    /* lif1.w_rec -> fc1 instead: into a synaptic node */
    g->edges[rec].dst = cfg_nir_find(g, "fc1");
    ck_assert_ptr_null(cfg_nir_workload(g, &err));
    ck_assert_msg(strstr(err.msg, "braille_noDelay_bias_zero.nir: recurrent edge lif1.w_rec -> "
                                  "fc1: the chip runs a recurrent edge from an Affine or Linear "
                                  "node that reads a neuron node into a neuron node"), "%s",
                  err.msg);
    cfg_nir_free(g);
}
END_TEST

/* A second, non-recurrent input built here: in -> a -> n1 -> b -> n2 -> d
 * -> n3, and the skip c: n1 -> n3. c becomes n3's source n1 with c's
 * weights as its own (an earlier layer: the same step), the biases of d
 * and c add per neuron; c reading n2 instead (n3's main input's layer
 * already) is refused with the node named. */
START_TEST(test_second_input_becomes_an_own_source_of_an_earlier_layer)
{
    double two[1] = {2}, w32[6] = {1, 2, 3, 4, 5, 6}, w33[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    double w23d[6] = {1, 1, 1, 2, 2, 2}, w23c[6] = {0.5, 0, 0, 0, 0.25, 0};
    double b3[3] = {0.1, 0.2, 0.3}, b2d[2] = {0.5, 0.25}, b2c[2] = {0.125, 0.5}, one[1] = {1};
    double tau[1] = {0.002}, zero[1] = {0};
#define P1(k, a) {.key = k, .rank = 1, .dim = {sizeof a / sizeof a[0]}, .n = sizeof a / sizeof a[0], \
                  .v = a}
#define P2(k, a, r, c) {.key = k, .rank = 2, .dim = {r, c}, .n = (r) * (c), .v = a}
    nir_param in_p[] = {P1("shape", two)}, out_p[] = {P1("shape", two)};
    nir_param a_p[] = {P2("weight", w32, 3, 2), P1("bias", b3)};
    nir_param b_p[] = {P2("weight", w33, 3, 3), P1("bias", b3)};
    nir_param d_p[] = {P2("weight", w23d, 2, 3), P1("bias", b2d)};
    nir_param c_p[] = {P2("weight", w23c, 2, 3), P1("bias", b2c)};
    nir_param lif_p[] = {P1("tau", tau), P1("r", one), P1("v_leak", zero),
                         P1("v_threshold", one)};
#undef P1
#undef P2
    nir_node nodes[9] = {
        {.name = "in", .type = NIR_INPUT, .n_params = 1, .params = in_p},
        {.name = "a", .type = NIR_AFFINE, .n_params = 2, .params = a_p},
        {.name = "n1", .type = NIR_LIF, .n_params = 4, .params = lif_p},
        {.name = "b", .type = NIR_AFFINE, .n_params = 2, .params = b_p},
        {.name = "n2", .type = NIR_LIF, .n_params = 4, .params = lif_p},
        {.name = "d", .type = NIR_AFFINE, .n_params = 2, .params = d_p},
        {.name = "c", .type = NIR_AFFINE, .n_params = 2, .params = c_p},
        {.name = "n3", .type = NIR_LIF, .n_params = 4, .params = lif_p},
        {.name = "out", .type = NIR_OUTPUT, .n_params = 1, .params = out_p}};
    for (int i = 0; i < 9; i++)
        nodes[i].layer = -1;
    nir_edge edges[9] = {{0, 1, false}, {1, 2, false}, {2, 3, false}, {3, 4, false},
                         {4, 5, false}, {5, 7, false}, {2, 6, false}, {6, 7, false},
                         {7, 8, false}};
    nir_graph g = {.file = "skip.nir", .n_nodes = 9, .nodes = nodes, .n_edges = 9,
                   .edges = edges};
    base_error err;
    ck_assert_msg(cfg_nir_shapes(&g, &err) == 0, "%s", err.msg);
    cfg_workload *w = cfg_nir_workload(&g, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    ck_assert_int_eq(w->n_layers, 3);
    const cfg_layer *l = &w->layers[2];
    ck_assert_str_eq(l->name, "n3");
    ck_assert_int_eq(l->n_sources, 2);
    ck_assert_str_eq(l->sources[0], "n2");
    ck_assert_str_eq(l->sources[1], "n1");
    ck_assert(l->source_own[1] && l->source_layer[1] == 0); /* earlier: same step */
    ck_assert_uint_eq(l->source_weights[1].n_data, 6);
    ck_assert(l->source_weights[1].data[4] == 0.25f);
    ck_assert_uint_eq(l->weights.n_bias_data, 2);
    ck_assert(l->weights.bias_data[0] == 0.625f && l->weights.bias_data[1] == 0.75f);
    ck_assert(nodes[6].own_source && nodes[6].layer == 2);
    ck_assert_int_eq(w->layers[1].n_sources, 1);
    cfg_workload_free(w);
    edges[6].src = 4; /* c reads n2: a second path from n3's main source */
    ck_assert_ptr_null(cfg_nir_workload(&g, &err));
    ck_assert_msg(strstr(err.msg, "skip.nir: node c (Affine): reads a neuron node that already "
                                  "feeds the same neuron node by another path"), "%s", err.msg);
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
    const char *file = _i ? NIRD "braille_noDelay_bias_zero.nir" : NIRD "cnn_sinabs.nir";
    for (long n = 1; n < 100000; n++) {
        base_alloc_fail_at(n, 0);
        base_error err;
        nir_graph *g = cfg_nir_load(file, &err);
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
    tcase_add_test(tc, test_recurrent_edge_loads_and_an_unsupported_one_is_refused);
    tcase_add_test(tc, test_braille_recurrent_equals_reference_on_1_2_4_cores);
    tcase_add_test(tc, test_braille_converts_recurrent_edge_into_own_source);
    tcase_add_test(tc, test_second_input_becomes_an_own_source_of_an_earlier_layer);
    tcase_add_test(tc, test_older_file_without_v_reset_resets_to_zero);
    tcase_add_loop_test(tc, test_every_failed_allocation_fails_the_load_cleanly, 0, 2);
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
