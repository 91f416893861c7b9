/* test_snn_sensim.c -- SENSIM's own case on the chip: its sigma-delta
 * MNIST net (../shared/reference/snnpeers/sensim_mnist/, CC BY-NC 4.0: its
 * weights are read from there, never copied into the repository) runs on
 * its recorded input event stream on 4 cores as an evsim scenario through
 * the real config path -- chip, workload, mapping and scenario YAML and the
 * trace (SENSIM's events as a `t_ns,channel,value` CSV) written to a
 * scratch directory, the NPY weights and biases named in the workload with
 * `layout: keras` and `bias_file`. After each frame every layer's output
 * (the sum of the changes it sent) must equal the Keras activations shipped
 * there within 1e-5; evsim's per-core event, spike and flit counts are
 * printed beside SENSIM's (ref_outputs/driver_summary.json).
 *
 * SENSIM's time: 200 MHz cycles, a frame every 100 000 cycles, evaluation
 * every 10 000 (50 us), one layer per core, spikes pipelined one
 * evaluation per layer: here timestep_us 50 with propagation: next_step,
 * until its end time (1.5 M cycles = 7.5 ms). */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_npy.h"
#include "run/run.h"
#include "snn_ref.h"
#include "test_skip.h"

#define SENSIM "../shared/reference/snnpeers/sensim_mnist/"
#define NL 4
#define STEPS 153        /* 150 steps of 50 us, and 3 to drain the pipeline */
#define STEPS_PER_FRAME 10
#define SPP 16           /* SENSIM: 1 header + up to 8 flits of 2 [C, Value] spikes */

static const char *const names[NL] = {"con1", "con2", "con3", "den1"};
static const uint32_t shape[NL][3] = {{8, 13, 13}, {16, 6, 6}, {32, 2, 2}, {10, 1, 1}};
static char dir[64], shared[PATH_MAX], repo[PATH_MAX];

static uint32_t n_of(int l) { return shape[l][0] * shape[l][1] * shape[l][2]; }

typedef struct {
    double *out[NL];              /* [step][neuron]: the change sent */
    uint32_t per_step[NL][STEPS]; /* outputs that reach a neuron, per layer per step */
    uint64_t outputs[NL];
    int bad;
} record;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    record *r = ctx;
    if (layer >= NL || step >= STEPS || neuron >= n_of((int)layer)) {
        r->bad = 1;
        return;
    }
    r->out[layer][step * n_of((int)layer) + neuron] += v;
    r->outputs[layer]++;
    /* con2's row and column 5 feed nothing: con3's 3x3 stride-2 windows
     * over 6x6 cover 0..4 (evsim sends no spike that reaches nobody) */
    uint32_t y = neuron / 6 % 6, x = neuron % 6;
    r->per_step[layer][step] += layer != 1 || (y < 5 && x < 5);
}

static FILE *open_in(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    return f;
}

/* SENSIM's input events (cycles, layer, h, w, c, value) as pixel events
 * (t_ns = 5 x cycles, x = w, y = h, polarity 0, the value); no sensor size
 * in the header: a 3x3 stride-2 valid conv on 28x28 reads rows and columns
 * 0..26 only, so evsim's input layer is 27x27 and events on row or column
 * 27 (they reach no output, in Keras either) are skipped as
 * outside_input_layer. */
static int write_trace(int *outside_out)
{
    int outside = 0;
    FILE *in = fopen(SENSIM "input_events.csv", "r"), *out = open_in("sensim.csv");
    ck_assert_ptr_nonnull(in);
    fprintf(out, "t_ns,x,y,p,value\n");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        double t;
        int layer, h, w, c;
        char v[64];
        if (line[0] == '#')
            continue;
        ck_assert_int_eq(sscanf(line, "%lf,%d,%d,%d,%d,%63s", &t, &layer, &h, &w, &c, v), 6);
        ck_assert_int_eq(c, 0);
        fprintf(out, "%.0f,%d,%d,0,%s\n", t * 5, w, h, v);
        n++;
        outside += h >= 27 || w >= 27;
    }
    fclose(in);
    fclose(out);
    *outside_out = outside;
    return n;
}

/* Four SENECA cores in a row at x = 1..4, the input at x = 0 (SENSIM's CI
 * at [-1, 0], one hop from the first core); 32-bit flits as SENSIM's, VC
 * buffers deep enough for a 16-spike packet. */
static void write_chip(void)
{
    FILE *f = open_in("chip.yaml");
    fprintf(f, "name: sensim_1x4\nclock_ghz: 0.2\ncore_types:\n  seneca:\n"
               "    file: %s/configs/hw/seneca_core.yaml\ncores:\n", repo);
    for (int i = 0; i < 4; i++)
        fprintf(f, "  - {id: %d, type: seneca, at: [%d, 0]}\n", i, i + 1);
    fprintf(f, "noc:\n  mesh: [5, 1]\n  flit_width_bits: 32\n  virtual_channels: 2\n"
               "  vc_depth_flits: 32\n  router_stage_cycles: [1, 1, 1, 1]\n"
               "  link_latency_cycles: 1\n  clock_ghz: 0.2\n  energy_per_flit_hop_pj: 3.0\n"
               "  energy_per_bit_link_pj: 0.1\n  multicast_lookup_cycles: 1\n");
    fclose(f);
}

static void write_conv(FILE *f, int l, uint32_t ci, uint32_t hi)
{
    (void)hi;
    fprintf(f, "- id: %d\n  name: %s\n  operator_type: Conv\n"
               "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
               "  dimension_relations: [ix=2*ox+1*fx, iy=2*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
               "  loop_sizes: [1, %u, %u, %u, %u, 3, 3]\n", l, names[l], shape[l][0], ci,
            shape[l][1], shape[l][2]);
}

static void write_workload(void)
{
    FILE *f = open_in("sensim.workload.yaml");
    write_conv(f, 0, 1, 28);
    for (int l = 0; l < NL; l++) {
        if (l == 1 || l == 2)
            write_conv(f, l, shape[l - 1][0], shape[l - 1][1]);
        if (l == 3)
            fprintf(f, "- id: 3\n  name: den1\n  operator_type: Gemm\n"
                       "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
                       "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
                       "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
                       "  loop_sizes: [1, 10, 32, 1, 1, 2, 2]\n");
        fprintf(f, "  operand_precision: {W: 8, I: 16, O: 16, O_final: 16}\n"
                   "  operand_source: {I: %d, W: %d}\n"
                   "  neuron: {model: sigma_delta, act: %s, threshold: 0}\n"
                   "  weights: {file: %s/%s_weights.npy, layout: keras, "
                   "bias_file: %s/%s_bias.npy}\n  input_source: %s\n",
                l ? l - 1 : 0, l, l < 3 ? "relu" : "none", shared, names[l], shared, names[l],
                l ? names[l - 1] : "input");
    }
    fclose(f);
    f = open_in("sensim.mapping.yaml");
    for (int l = 0; l < NL; l++) /* one layer per core, as SENSIM maps it */
        fprintf(f, "- name: %s\n  core_allocation: [%d]\n  inter_core_tiling: ['K, 1']\n"
                   "  spatial_mapping: {D1: [K, 4]}\n"
                   "  memory_operand_links: {O: O, W: I2, I: I1}\n", names[l], l);
    fclose(f);
    f = open_in("sensim.yaml");
    fprintf(f, "name: sensim_mnist\nchip: chip.yaml\nworkload: sensim.workload.yaml\n"
               "mapping: sensim.mapping.yaml\nmode: timestep\ntimestep_us: 50\n"
               "propagation: next_step\nspikes_per_packet: %d\n"
               "input: {trace: sensim.csv, format: csv, at: [0, 0], to_us: 7500}\n", SPP);
    fclose(f);
}

/* Keras' activation of (frame, layer, our (C, H, W) index) from its
 * (frame, H, W, C) array. */
static double keras_act(const cfg_npy *k, int frame, int l, uint32_t idx)
{
    uint32_t c = shape[l][0], h = shape[l][1], w = shape[l][2];
    uint32_t ch = idx / (h * w), y = idx / w % h, x = idx % w;
    return k->data[(size_t)frame * c * h * w + (y * w + x) * c + ch];
}

/* SENSIM's [events, spikes, flits] sent by a core, from driver_summary.json. */
static void sensim_counts(const char *core, double v[3])
{
    FILE *f = fopen(SENSIM "ref_outputs/driver_summary.json", "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    ck_assert_ptr_nonnull(j);
    cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "out_counts"), core);
    ck_assert_msg(cJSON_GetArraySize(a) == 3, "out_counts.%s", core);
    for (int i = 0; i < 3; i++)
        v[i] = cJSON_GetArrayItem(a, i)->valuedouble;
    cJSON_Delete(j);
}

/* What a layer's evaluations sent, by the documented packet rule: per
 * evaluation, packets of up to SPP spikes, each of n x (32 + 16) bits in
 * 32-bit flits. */
static void sent(const record *r, int l, uint64_t *pk, uint64_t *sp, uint64_t *fl)
{
    *pk = *sp = *fl = 0;
    for (int s = 0; s < STEPS; s++)
        for (uint32_t left = r->per_step[l][s]; left;) {
            uint32_t k = left < SPP ? left : SPP;
            *pk += 1, *sp += k, *fl += (k * 48 + 31) / 32;
            left -= k;
        }
}

static void check_values(const record *r)
{
    static const char *const kf[NL] = {"keras_ref_L1_activations.npy",
                                       "keras_ref_L2_activations.npy",
                                       "keras_ref_L3_activations.npy",
                                       "keras_ref_output_activations.npy"};
    double worst = 0;
    for (int l = 0; l < NL; l++) {
        cfg_npy k;
        base_error e;
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", shared, kf[l]);
        ck_assert_msg(cfg_npy_read(p, 1.0, &k, &e) == 0, "%s", e.msg);
        ck_assert_uint_eq(k.count, 3 * (size_t)n_of(l));
        uint32_t n = n_of(l);
        for (int frame = 0; frame < 3; frame++)
            for (uint32_t i = 0; i < n; i++) {
                double sum = 0; /* the value after the frame: every change it sent */
                for (int s = 0; s < STEPS_PER_FRAME * (frame + 1); s++)
                    sum += r->out[l][(size_t)s * n + i];
                double d = fabs(sum - keras_act(&k, frame, l, i));
                ck_assert_msg(d <= 1e-5, "frame %d layer %s neuron %u: evsim %.9g, Keras %.9g",
                              frame, names[l], i, sum, keras_act(&k, frame, l, i));
                worst = d > worst ? d : worst;
            }
        cfg_npy_free(&k);
    }
    printf("sensim: frames 0-2, 4 layers within %.3g of Keras\n", worst);
}

static void check_counts(const record *r, const run_result *res, int n_events, int n_read)
{
    const snn_result *s = &res->snn_res;
    uint64_t pk[NL], sp[NL], fl[NL], tot_pk = (uint64_t)n_events, tot_fl = 2ull * n_events,
             tot_sp = (uint64_t)n_events;
    for (int l = 0; l < NL; l++) {
        sent(r, l, &pk[l], &sp[l], &fl[l]);
        ck_assert_uint_eq(r->outputs[l], s->layers[l].outputs);
        if (l < NL - 1) {
            tot_pk += pk[l], tot_fl += fl[l], tot_sp += sp[l];
            /* what layer l sent is what the next core received */
            ck_assert_uint_eq(s->cores[l + 1].packets_in, pk[l]);
        }
    }
    ck_assert_uint_eq(s->cores[0].packets_in, (uint64_t)n_events);
    ck_assert_uint_eq(s->spikes_sent, tot_sp);
    ck_assert_uint_eq(s->packets, tot_pk);       /* the NoC's own counts agree */
    ck_assert_uint_eq(s->noc.flits_injected, tot_fl);
    printf("sensim: per core sent, evsim [events, spikes, flits] vs SENSIM's\n");
    double v[3];
    sensim_counts("CI", v);
    printf("  input   evsim [%d, %d, %d] (of %d read)  SENSIM [%.0f, %.0f, %.0f]\n", n_events,
           n_events, 2 * n_events, n_read, v[0], v[1], v[2]);
    for (int l = 0; l < NL; l++) {
        char core[8];
        snprintf(core, sizeof core, "C%d_0", l);
        sensim_counts(core, v);
        printf("  %-7s evsim [%llu, %llu, %llu] of %llu outputs%s  SENSIM [%.0f, %.0f, %.0f]\n",
               names[l], (unsigned long long)pk[l], (unsigned long long)sp[l],
               (unsigned long long)fl[l], (unsigned long long)r->outputs[l],
               l == NL - 1 ? " (not on the NoC)" : "", v[0], v[1], v[2]);
    }
    printf("  NoC: %llu packets, %llu flits injected, %llu link hops\n",
           (unsigned long long)s->packets, (unsigned long long)s->noc.flits_injected,
           (unsigned long long)s->noc.flit_link_hops);
    fflush(stdout);
}

START_TEST(test_sensim_mnist_on_4_cores_matches_keras)
{
    int outside, n_events = write_trace(&outside);
    write_chip();
    write_workload();
    record *r = calloc(1, sizeof *r);
    for (int l = 0; l < NL; l++)
        r->out[l] = calloc((size_t)STEPS * n_of(l), sizeof(double));
    run_options o;
    run_options_default(&o);
    o.on_spike = on_spike;
    o.spike_ctx = r;
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    base_error err;
    char p[128];
    snprintf(p, sizeof p, "%s/sensim.yaml", dir);
    int rc = run_scenario(p, &o, &res, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert(res.snn_res.complete);
    ck_assert_uint_eq(res.snn_res.steps, STEPS);
    ck_assert_uint_eq(res.snn_res.events_read, (uint64_t)n_events);
    ck_assert_uint_eq(res.snn_res.n_skip, outside > 0);
    if (outside) {
        ck_assert_str_eq(res.snn_res.skip_name[0], "outside_input_layer");
        ck_assert_uint_eq(res.snn_res.skip_count[0], (uint64_t)outside);
    }
    ck_assert_uint_eq(res.snn_res.events_used, (uint64_t)(n_events - outside));
    ck_assert(!r->bad);
    check_values(r);
    check_counts(r, &res, n_events - outside, n_events);
    run_result_free(&res);
    for (int l = 0; l < NL; l++)
        free(r->out[l]);
    free(r);
}
END_TEST

/* ---- the keys SENSIM's case needs, without ../shared ---------------------
 * A conv (2x5x5 -> 3x3x3, IF) and a dense layer (27 -> 4, IF) with weights
 * and biases from NPY files: once in PyTorch layout with per-neuron
 * biases, once in Keras layout (conv HWIO, dense (in, out) over an (H, W,
 * C) flatten) with per-channel biases. Both runs must give every output of
 * the plain reference (which takes the PyTorch arrays), exactly; so must
 * the PyTorch net with per-neuron biases that vary along the rows, split
 * K 3 x OY 3 (one row of one channel per slice: each slice's biases are
 * gathered from the layer's). */

static void write_npy(const char *name, const float *v, const char *shape, size_t n)
{
    FILE *f = open_in(name);
    char h[128];
    int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                       shape);
    int pad = 118 - len; /* 10 + 118 = 128 bytes, the last one '\n' */
    fwrite("\x93NUMPY\x01\x00\x76\x00", 1, 10, f);
    fprintf(f, "%s%*s\n", h, pad - 1, "");
    fwrite(v, sizeof *v, n, f);
    fclose(f);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

typedef struct {
    double out[2][16][27];
    int bad;
} lrec;

static void on_lspike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    lrec *r = ctx;
    if (layer >= 2 || step >= 16 || neuron >= (layer ? 4u : 27u))
        r->bad = 1;
    else
        r->out[layer][step][neuron] += v;
}

/* pre "k": Keras layouts, else PyTorch's; tiling: the mapping's
 * inter_core_tiling list. */
static void write_layout_net(const char *pre, const char *tiling, const float *oihw,
                             const float *oi, const float *bc, const float *bn, const float *bd)
{
    char name[64], file[64];
    int keras = pre[0] == 'k';
    if (keras) {
        float hwio[54], io[108];
        for (int o = 0; o < 3; o++)
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 3; x++)
                        hwio[((y * 3 + x) * 2 + c) * 3 + o] = oihw[((o * 2 + c) * 3 + y) * 3 + x];
        for (int o = 0; o < 4; o++) /* our input (c, y, x) is Keras' (y, x, c) */
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 3; y++)
                    for (int x = 0; x < 3; x++)
                        io[((y * 3 + x) * 3 + c) * 4 + o] = oi[o * 27 + (c * 3 + y) * 3 + x];
        write_npy("k_conv.npy", hwio, "(3, 3, 2, 3)", 54);
        write_npy("k_dense.npy", io, "(27, 4)", 108);
        write_npy("k_bconv.npy", bc, "(3,)", 3);
    } else {
        snprintf(file, sizeof file, "%s_conv.npy", pre);
        write_npy(file, oihw, "(3, 2, 3, 3)", 54);
        snprintf(file, sizeof file, "%s_dense.npy", pre);
        write_npy(file, oi, "(4, 27)", 108);
        snprintf(file, sizeof file, "%s_bconv.npy", pre);
        write_npy(file, bn, "(27,)", 27);
    }
    snprintf(file, sizeof file, "%s_bdense.npy", pre);
    write_npy(file, bd, "(4,)", 4);
    const char *lay = keras ? ", layout: keras" : "";
    snprintf(name, sizeof name, "%s.workload.yaml", pre);
    FILE *f = open_in(name);
    fprintf(f, "- id: 0\n  name: conv\n  operator_type: Conv\n"
               "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
               "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 3, 2, 3, 3, 3, 3]\n"
               "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
               "  operand_source: {I: 0, W: 0}\n"
               "  neuron: {model: if, threshold: 0.5, reset: subtract}\n"
               "  weights: {file: %s_conv.npy, bias_file: %s_bconv.npy%s}\n"
               "  input_source: input\n"
               "- id: 1\n  name: fc\n  operator_type: Gemm\n"
               "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
               "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 4, 3, 1, 1, 3, 3]\n"
               "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
               "  operand_source: {I: 0, W: 1}\n"
               "  neuron: {model: if, threshold: 0.25, reset: zero}\n"
               "  weights: {file: %s_dense.npy, bias_file: %s_bdense.npy%s}\n"
               "  input_source: conv\n", pre, pre, lay, pre, pre, lay);
    fclose(f);
    snprintf(name, sizeof name, "%s.mapping.yaml", pre);
    f = open_in(name);
    fprintf(f, "- name: default\n  core_allocation: [0, 1]\n  inter_core_tiling: [%s]\n"
               "  spatial_mapping: {D1: [K, 4]}\n  memory_operand_links: {O: O, W: I2, I: I1}\n",
            tiling);
    fclose(f);
    snprintf(name, sizeof name, "%s.yaml", pre);
    f = open_in(name);
    fprintf(f, "name: layouts\nchip: %s/configs/hw/seneca_2x2.yaml\nworkload: %s.workload.yaml\n"
               "mapping: %s.mapping.yaml\nmode: timestep\ntimestep_us: 100\n"
               "input: {trace: l.csv, to_us: 1000}\n", repo, pre, pre);
    fclose(f);
}

/* The plain reference of the layout net (PyTorch arrays, per-neuron conv
 * biases bn) on the binned input xin: every output of 10 steps. */
static void layout_reference(const float *oihw, const float *oi, const float *bn,
                             const float *bd, double xin[10][50], double o0[10][27],
                             double o1[10][4])
{
    ref_conn c0 = {REF_CONV, 2, 5, 5, 3, 3, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1, oihw};
    ref_conn c1 = {REF_DENSE, 27, 1, 1, 4, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, oi};
    ref_neuron n0 = {.model = REF_IF, .thr = 0.5, .subtract = 1, .bias_n = bn};
    ref_neuron n1 = {.model = REF_IF, .thr = 0.25, .bias_n = bd};
    ref_state s0, s1;
    ref_state_init(&s0, &n0, 27);
    ref_state_init(&s1, &n1, 4);
    for (int st = 0; st < 10; st++) {
        double y0[27] = {0}, y1[4] = {0};
        uint8_t a0[50], r0[27] = {0}, a1[27], r1[4] = {0};
        for (int j = 0; j < 50; j++)
            a0[j] = xin[st][j] != 0;
        ref_conn_apply(&c0, xin[st], a0, y0, r0);
        ref_layer_step(&n0, &s0, y0, r0, st, 100, o0[st]);
        for (int j = 0; j < 27; j++)
            a1[j] = o0[st][j] != 0;
        ref_conn_apply(&c1, o0[st], a1, y1, r1);
        ref_layer_step(&n1, &s1, y1, r1, st, 100, o1[st]);
    }
    ref_state_free(&s0);
    ref_state_free(&s1);
}

static void run_layouts(const char *pre, lrec *r, base_error *err, int *rc)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s.yaml", dir, pre);
    run_options o;
    run_options_default(&o);
    o.on_spike = on_lspike;
    o.spike_ctx = r;
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    *rc = run_scenario(p, &o, &res, err);
    if (*rc == 0)
        ck_assert_uint_eq(res.snn_res.steps, 10);
    run_result_free(&res);
}

START_TEST(test_keras_layout_and_bias_files_equal_pytorch_and_reference)
{
    uint64_t s = 77;
    float oihw[54], oi[108], bc[3], bn[27], bd[4];
    for (int i = 0; i < 54; i++)
        oihw[i] = (float)((int)(lcg(&s) % 33) - 16) / 64.0f;
    for (int i = 0; i < 108; i++)
        oi[i] = (float)((int)(lcg(&s) % 33) - 16) / 32.0f;
    for (int i = 0; i < 3; i++)
        bc[i] = (float)(i + 1) / 16.0f;
    for (int i = 0; i < 27; i++)
        bn[i] = bc[i / 9];
    float bv[27]; /* per neuron, varying within each channel's rows */
    for (int i = 0; i < 27; i++)
        bv[i] = (float)((i * 7) % 11) / 32.0f - 0.0625f;
    for (int i = 0; i < 4; i++)
        bd[i] = (float)i / 32.0f - 0.0625f;
    write_layout_net("p", "'K, *'", oihw, oi, bc, bn, bd);
    write_layout_net("k", "'K, *'", oihw, oi, bc, bn, bd);
    write_layout_net("r", "'K, 3', 'OY, 3'", oihw, oi, bc, bv, bd);
    static double xin[10][50];
    FILE *f = open_in("l.csv");
    fprintf(f, "t_us,channel\n");
    for (int t = 0; t < 900; t += 7) {
        int ch = (int)(lcg(&s) % 50);
        fprintf(f, "%d,%d\n", t, ch);
        xin[t / 100][ch] += 1;
    }
    fclose(f);
    static lrec r[3];
    memset(r, 0, sizeof r);
    base_error err;
    int rc;
    run_layouts("p", &r[0], &err, &rc);
    ck_assert_msg(rc == 0, "%s", err.msg);
    run_layouts("k", &r[1], &err, &rc);
    ck_assert_msg(rc == 0, "%s", err.msg);
    run_layouts("r", &r[2], &err, &rc);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert(!r[0].bad && !r[1].bad && !r[2].bad);
    static double o0[2][10][27], o1[2][10][4]; /* the per-channel biases, bv */
    layout_reference(oihw, oi, bn, bd, xin, o0[0], o1[0]);
    layout_reference(oihw, oi, bv, bd, xin, o0[1], o1[1]);
    int nz = 0;
    for (int st = 0; st < 10; st++) {
        for (int k = 0; k < 3; k++) {
            const char *what = k == 0 ? "pytorch" : k == 1 ? "keras" : "rows";
            const double *w0 = o0[k == 2][st], *w1 = o1[k == 2][st];
            for (int i = 0; i < 27; i++)
                ck_assert_msg(r[k].out[0][st][i] == w0[i], "%s conv step %d neuron %d: %g, "
                              "reference %g", what, st, i, r[k].out[0][st][i], w0[i]);
            for (int i = 0; i < 4; i++)
                ck_assert_msg(r[k].out[1][st][i] == w1[i], "%s fc step %d neuron %d: %g, "
                              "reference %g", what, st, i, r[k].out[1][st][i], w1[i]);
        }
        for (int i = 0; i < 4; i++)
            nz += (o1[0][st][i] != 0) + (o1[1][st][i] != 0);
    }
    ck_assert_int_gt(nz, 6);
    /* a bias file of neither size, and a layout on seeded weights */
    write_npy("k_bdense.npy", bd, "(3,)", 3);
    run_layouts("k", &r[1], &err, &rc);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.file, "k.workload.yaml") && err.line > 0 &&
                  strstr(err.msg, "layer fc: bias_file") &&
                  strstr(err.msg, "holds 3 values, the layer takes 4"), "%s:%u: %s", err.file,
                  err.line, err.msg);
    char p[128];
    snprintf(p, sizeof p, "%s/k.workload.yaml", dir);
    f = fopen(p, "a");
    fprintf(f, "- id: 2\n  name: fc2\n  operator_type: Gemm\n"
               "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
               "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
               "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, 2, 4, 1, 1, 1, 1]\n"
               "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
               "  operand_source: {I: 1, W: 2}\n  neuron: {model: if}\n"
               "  weights: {seed: 3, layout: keras}\n  input_source: fc\n");
    fclose(f);
    run_layouts("k", &r[1], &err, &rc);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err.msg, "layout belongs to a weights file"), "%s", err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snn_sensim");
    TCase *tc = tcase_create("sensim");
    tcase_set_timeout(tc, 300);
    snprintf(dir, sizeof dir, "/tmp/evsim_test_sensim_" "XX" "XX" "XX"); /* mkdtemp */
    if (!realpath(".", repo) || !mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (!realpath(SENSIM, shared))
        shared[0] = '\0';
    tcase_add_test(tc, test_keras_layout_and_bias_files_equal_pytorch_and_reference);
    tcase_add_test_needing(tc, test_sensim_mnist_on_4_cores_matches_keras,
                           SENSIM "input_events.csv");
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
