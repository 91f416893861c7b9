/* test_snn_exact.c -- functional exactness of the event-driven chip run on
 * four nets of issue 11: a dense 3-layer LIF net, a conv + average pool +
 * dense IF net, a sigma-delta CNN and a feed-forward CUBA-LIF net (the two
 * CNNs also split over rows, and channels x rows). Each net is written
 * here as a workload, three mappings (1, 2 and 4 cores, with different
 * splits and core allocations) and scenarios with both
 * propagations, into a scratch directory, and fed a seeded channel-event
 * trace; run_scenario's output of every neuron in every step must equal
 * tests/unit/snn_ref.h's plain time-stepped reference exactly.
 *
 * The reference takes the events from the list this file generated (not
 * from the simulator's reader) and draws the weights with the documented
 * rule (conn_weights_seeded, stream = the layer's index, quantised to the
 * W precision). Weights are multiples of 2^-8 or 2^-9, inputs whole
 * counts, dt/tau powers of two: every sum is exact, so "equal" is ==. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neuron/conn.h"
#include "run/run.h"
#include "snn_ref.h"
#include "snn_test_util.h"

#define MAX_L 4
#define MAX_N 1024
#define MAX_STEPS 24
#define MAX_EV 4096

static char dir[64];
static char chip[PATH_MAX];

/* One layer: the workload text is generated from these numbers. */
typedef struct {
    const char *name, *op;   /* op: Conv | Gemm | Pooling | AveragePool */
    int co, ho, wo;          /* output (C, H, W); Gemm: co outputs, 1, 1 */
    int k, stride, pad;      /* Conv / pools: square kernel, stride, padding */
    double scale, density;   /* seeded 8-bit weights */
    unsigned seed;
    const char *neuron;      /* the YAML neuron block */
    ref_neuron rn;
} xlayer;

typedef struct {
    const char *name;
    int ci, hi, wi;          /* the input layer's source (the sensor), channel events */
    int n_layers;
    xlayer L[MAX_L];
    int steps;               /* input.to_us = steps x timestep */
    double events_per_step;
    /* Three mappings: per layer, core_allocation and the K / G split (a
     * factor), or the whole inter_core_tiling list when it holds a comma
     * ("'K, 2', 'OY, 2'"). */
    const char *alloc[3][MAX_L];
    const char *split[3][MAX_L];
    int rows;                /* every mapping splits the first layer's rows */
} xnet;

typedef struct {
    int n;
    uint64_t t_us[MAX_EV];
    int ch[MAX_EV];
} xtrace;

static int n_of(const xlayer *l) { return l->co * l->ho * l->wo; }

/* The source (C, H, W) of layer l. */
static void src_shape(const xnet *x, int l, int *c, int *h, int *w)
{
    if (l == 0) {
        *c = x->ci, *h = x->hi, *w = x->wi;
        return;
    }
    *c = x->L[l - 1].co, *h = x->L[l - 1].ho, *w = x->L[l - 1].wo;
}

static int is_pool(const xlayer *l) { return l->op[0] == 'P' || l->op[0] == 'A'; }

static void write_layer(FILE *f, const xnet *x, int l)
{
    const xlayer *L = &x->L[l];
    int c, h, w;
    src_shape(x, l, &c, &h, &w);
    fprintf(f, "- id: %d\n  name: %s\n  operator_type: %s\n", l, L->name, L->op);
    if (!strcmp(L->op, "Gemm")) {
        fprintf(f, "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
                   "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
                   "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
                   "  loop_sizes: [1, %d, %d, 1, 1, %d, %d]\n"
                   "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n", L->co, c, h, w);
    } else if (is_pool(L)) {
        fprintf(f, "  equation: O[b][g][oy][ox]+=W[fx][fy]*I[b][g][iy][ix]\n"
                   "  dimension_relations: [ix=%d*ox+1*fx, iy=%d*oy+1*fy]\n"
                   "  loop_dims: [B, G, OY, OX, FX, FY]\n"
                   "  loop_sizes: [1, %d, %d, %d, %d, %d]\n"
                   "  operand_precision: {W: 0, I: 8, O: 16, O_final: 8}\n", L->stride,
                L->stride, L->co, L->ho, L->wo, L->k, L->k);
    } else {
        fprintf(f, "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
                   "  dimension_relations: [ix=%d*ox+1*fx, iy=%d*oy+1*fy]\n"
                   "  loop_dims: [B, K, C, OY, OX, FY, FX]\n"
                   "  loop_sizes: [1, %d, %d, %d, %d, %d, %d]\n"
                   "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
                   "  pr_loop_dims: [IX, IY]\n  padding: [[%d, %d], [%d, %d]]\n",
                L->stride, L->stride, L->co, c, L->ho, L->wo, L->k, L->k, L->pad, L->pad,
                L->pad, L->pad);
    }
    fprintf(f, "  operand_source: {I: %d, W: %d}\n  neuron: %s\n", l ? l - 1 : 0, l, L->neuron);
    if (!is_pool(L))
        fprintf(f, "  weights: {seed: %u, scale: %g, density: %g}\n", L->seed, L->scale,
                L->density);
    fprintf(f, "  input_source: %s\n", l ? x->L[l - 1].name : "input");
}

static void write_mapping(FILE *f, const xnet *x, int m)
{
    for (int l = 0; l < x->n_layers; l++) {
        const char *d = is_pool(&x->L[l]) ? "G" : "K", *sp = x->split[m][l];
        fprintf(f, "- name: %s\n  core_allocation: %s\n", x->L[l].name, x->alloc[m][l]);
        if (strchr(sp, ','))
            fprintf(f, "  inter_core_tiling: [%s]\n", sp);
        else
            fprintf(f, "  inter_core_tiling: ['%s, %s']\n", d, sp);
        fprintf(f, "  spatial_mapping: {D1: [%s, 8]}\n"
                   "  memory_operand_links: {O: O, W: I2, I: I1}\n", d);
    }
}

/* A seeded channel-event trace: per step a draw of events at whole
 * microseconds inside the step, on channels drawn uniformly (repeats
 * within a step are counted twice). */
static void make_trace(const xnet *x, xtrace *t, double dt_us, const char *path)
{
    uint64_t s = 0x9e3779b97f4a7c15ull ^ (uint64_t)x->n_layers * 1315423911u ^
                 (uint64_t)strlen(x->name);
    int n_in = x->ci * x->hi * x->wi;
    t->n = 0;
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "t_us,channel\n");
    for (int st = 0; st + 1 < x->steps; st++) { /* the last step stays quiet */
        int per = (int)x->events_per_step;
        uint64_t last = (uint64_t)(st * dt_us);
        for (int e = 0; e < per && t->n < MAX_EV; e++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t dtt = (s >> 33) % (uint64_t)(dt_us / per);
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            int ch = (int)((s >> 33) % (uint64_t)n_in);
            last += dtt;
            t->t_us[t->n] = last;
            t->ch[t->n++] = ch;
            fprintf(f, "%llu,%d\n", (unsigned long long)last, ch);
        }
    }
    fclose(f);
}

static void write_files(const xnet *x, double dt_us, xtrace *t)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.workload.yaml", dir, x->name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    for (int l = 0; l < x->n_layers; l++)
        write_layer(f, x, l);
    fclose(f);
    for (int m = 0; m < 3; m++) {
        snprintf(p, sizeof p, "%s/%s_%d.mapping.yaml", dir, x->name, m);
        ck_assert_ptr_nonnull(f = fopen(p, "w"));
        write_mapping(f, x, m);
        fclose(f);
        for (int ns = 0; ns < 2; ns++) {
            snprintf(p, sizeof p, "%s/%s_%d_%d.yaml", dir, x->name, m, ns);
            ck_assert_ptr_nonnull(f = fopen(p, "w"));
            fprintf(f, "name: %s_%d_%d\nchip: %s\nworkload: %s.workload.yaml\n"
                       "mapping: %s_%d.mapping.yaml\nseed: 5\nmode: timestep\n"
                       "timestep_us: %g\npropagation: %s\nspikes_per_packet: %d\n"
                       "input: {trace: %s.csv, format: csv, at: [%d, 1], to_us: %g}\n",
                    x->name, m, ns, chip, x->name, x->name, m, dt_us,
                    ns ? "next_step" : "same_step", 2 + 3 * m, x->name, m & 1,
                    dt_us * x->steps);
            fclose(f);
        }
    }
    snprintf(p, sizeof p, "%s/%s.csv", dir, x->name);
    make_trace(x, t, dt_us, p);
}

/* 8-bit quantisation as README.md "Layer keys" documents it. */
static void quant8(float *w, size_t n, double scale)
{
    double q = 128, step = scale / q;
    for (size_t i = 0; i < n; i++) {
        double k = nearbyint((double)w[i] / step);
        k = k > q - 1 ? q - 1 : k < -(q - 1) ? -(q - 1) : k;
        w[i] = (float)(k * step);
    }
}

static ref_conn ref_conn_of(const xnet *x, int l, float **w)
{
    const xlayer *L = &x->L[l];
    int c, h, wi;
    src_shape(x, l, &c, &h, &wi);
    ref_conn rc = {0};
    rc.ci = c, rc.hi = h, rc.wi = wi, rc.co = L->co, rc.ho = L->ho, rc.wo = L->wo;
    rc.kh = rc.kw = L->k, rc.sh = rc.sw = L->stride, rc.ph = rc.pw = L->pad;
    rc.dh = rc.dw = 1, rc.groups = 1;
    size_t nw = 0;
    if (!strcmp(L->op, "Gemm")) {
        rc.kind = REF_DENSE;
        rc.ci = c * h * wi, rc.hi = rc.wi = 1;
        nw = (size_t)L->co * rc.ci;
    } else if (!strcmp(L->op, "Conv")) {
        rc.kind = REF_CONV;
        nw = (size_t)L->co * c * L->k * L->k;
    } else {
        rc.kind = L->op[0] == 'A' ? REF_AVGPOOL : REF_SUMPOOL;
    }
    *w = NULL;
    if (nw) {
        *w = calloc(nw, sizeof **w);
        ck_assert_int_eq(conn_weights_seeded(*w, nw, L->density, L->scale, L->seed,
                                             (uint64_t)l, &(base_error){0}), 0);
        quant8(*w, nw, L->scale);
    }
    rc.w = *w;
    return rc;
}

/* out[l][step * n + i]: every layer's output in every step. */
static void reference(const xnet *x, const xtrace *t, double dt_us, int next_step,
                      int n_steps, double *out[MAX_L])
{
    ref_conn c[MAX_L];
    float *w[MAX_L];
    ref_state st[MAX_L];
    static double prev[MAX_L][MAX_N];
    memset(prev, 0, sizeof prev);
    for (int l = 0; l < x->n_layers; l++) {
        c[l] = ref_conn_of(x, l, &w[l]);
        ref_state_init(&st[l], &x->L[l].rn, n_of(&x->L[l]));
    }
    int e = 0, n_in = x->ci * x->hi * x->wi;
    for (int s = 0; s < n_steps; s++) {
        for (int l = 0; l < x->n_layers; l++) {
            static double xin[MAX_N], y[MAX_N];
            static uint8_t act[MAX_N], recv[MAX_N];
            int ns = l ? n_of(&x->L[l - 1]) : n_in, no = n_of(&x->L[l]);
            memset(xin, 0, sizeof xin), memset(y, 0, sizeof y);
            memset(act, 0, sizeof act), memset(recv, 0, sizeof recv);
            if (l == 0)
                for (; e < t->n && t->t_us[e] < (uint64_t)((s + 1) * dt_us); e++)
                    xin[t->ch[e]] += 1;
            else
                for (int j = 0; j < ns; j++)
                    xin[j] = next_step ? prev[l - 1][j] : out[l - 1][s * ns + j];
            for (int j = 0; j < ns; j++)
                act[j] = xin[j] != 0;
            ref_conn_apply(&c[l], xin, act, y, recv);
            ref_layer_step(&x->L[l].rn, &st[l], y, recv, s, dt_us, &out[l][s * no]);
        }
        for (int l = 0; l < x->n_layers; l++)
            memcpy(prev[l], &out[l][s * n_of(&x->L[l])], sizeof(double) * n_of(&x->L[l]));
    }
    for (int l = 0; l < x->n_layers; l++) {
        ref_state_free(&st[l]);
        free(w[l]);
    }
}

typedef struct {
    const xnet *x;
    double *out[MAX_L];
    int bad;
} record;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    record *r = ctx;
    if (layer >= (uint32_t)r->x->n_layers || step >= MAX_STEPS ||
        neuron >= (uint32_t)n_of(&r->x->L[layer])) {
        r->bad = 1;
        return;
    }
    r->out[layer][step * (uint64_t)n_of(&r->x->L[layer]) + neuron] += v;
}

/* Runs mapping m with propagation ns and compares every output; returns
 * the number of non-zero outputs per layer in *nz. */
static void check_one(const xnet *x, const xtrace *t, double dt_us, int m, int ns,
                      uint64_t *nz)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s_%d_%d.yaml", dir, x->name, m, ns);
    record rec = {x, {0}, 0};
    double *ref[MAX_L];
    for (int l = 0; l < x->n_layers; l++) {
        rec.out[l] = calloc((size_t)MAX_STEPS * n_of(&x->L[l]), sizeof(double));
        ref[l] = calloc((size_t)MAX_STEPS * n_of(&x->L[l]), sizeof(double));
    }
    run_result res;
    snn_test_run(p, on_spike, &rec, &res);
    ck_assert(res.snn_res.complete);
    int n_steps = (int)res.snn_res.steps;
    ck_assert_int_eq(n_steps, x->steps + (ns ? x->n_layers - 1 : 0));
    ck_assert_int_le(n_steps, MAX_STEPS);
    ck_assert_uint_eq(res.snn_res.events_used, (uint64_t)t->n);
    reference(x, t, dt_us, ns, n_steps, ref);
    for (int l = 0; l < x->n_layers; l++) {
        int n = n_of(&x->L[l]);
        nz[l] = 0;
        for (int i = 0; i < n_steps * n; i++) {
            ck_assert_msg(rec.out[l][i] == ref[l][i], "%s: layer %s step %d neuron %d: chip "
                          "%.17g, reference %.17g", p, x->L[l].name, i / n, i % n,
                          rec.out[l][i], ref[l][i]);
            nz[l] += ref[l][i] != 0;
        }
    }
    unsigned used = 0; /* the cores the plan placed slices on */
    for (uint32_t l = 0; l < res.snn->n_layers; l++)
        for (uint32_t s = 0; s < res.snn->layers[l].n_slices; s++)
            used |= 1u << res.snn->layers[l].slices[s].core;
    ck_assert_int_eq(__builtin_popcount(used), m == 0 ? 1 : m == 1 ? 2 : 4);
    const snn_layer *l0 = &res.snn->layers[0];
    uint32_t row_cut = 0; /* slices of the first layer holding part of its rows */
    for (uint32_t s = 0; s < l0->n_slices; s++)
        row_cut += l0->slices[s].r.y0 > 0 || l0->slices[s].r.y1 < l0->out.h;
    ck_assert_msg(x->rows ? row_cut >= 2 : row_cut == 0, "%s: %u slices split rows", p,
                  row_cut);
    ck_assert(!rec.bad);
    run_result_free(&res);
    for (int l = 0; l < x->n_layers; l++) {
        free(rec.out[l]);
        free(ref[l]);
    }
}

/* Every mapping with both propagations; every layer must be active (a
 * silent layer would make the comparison empty). */
static void check_net(const xnet *x, double dt_us)
{
    xtrace *t = malloc(sizeof *t);
    write_files(x, dt_us, t);
    for (int m = 0; m < 3; m++)
        for (int ns = 0; ns < 2; ns++) {
            uint64_t nz[MAX_L];
            check_one(x, t, dt_us, m, ns, nz);
            for (int l = 0; l < x->n_layers; l++)
                ck_assert_msg(nz[l] >= 10, "%s mapping %d: layer %s is (almost) silent (%llu "
                              "outputs)", x->name, m, x->L[l].name, (unsigned long long)nz[l]);
            if (m == 0 && ns == 0) {
                printf("%s:", x->name);
                for (int l = 0; l < x->n_layers; l++)
                    printf(" %s %llu", x->L[l].name, (unsigned long long)nz[l]);
                printf(" non-zero outputs\n");
                fflush(stdout);
            }
        }
    free(t);
}

/* Dense 48 -> 32 -> 24 -> 10, LIF with leak to v_leak, r != 1, a bias,
 * subtract reset, refractory steps, multi-spike and evaluate: all. */
static const xnet dense_lif = {
    "dense_lif", 48, 1, 1, 3,
    {{"fc1", "Gemm", 32, 1, 1, 1, 1, 0, 1.0, 0.7, 11,
      "{model: lif, threshold: 0.5, tau_us: 4000, bias: 0.0625}",
      {.model = REF_LIF, .thr = 0.5, .tau = 4000, .r = 1, .bias = 0.0625}},
     {"fc2", "Gemm", 24, 1, 1, 1, 1, 0, 1.0, 0.8, 12,
      "{model: lif, threshold: 0.25, tau_us: 2000, r: 2, v_leak: -0.125, reset: subtract, "
      "refractory_steps: 1}",
      {.model = REF_LIF, .thr = 0.25, .tau = 2000, .r = 2, .v_leak = -0.125, .subtract = 1,
       .refractory = 1}},
     {"out", "Gemm", 10, 1, 1, 1, 1, 0, 0.5, 1.0, 13,
      "{model: lif, threshold: 0.125, tau_us: 8000, r: 4, evaluate: all, multi_spike: true, "
      "reset: subtract, refractory_steps: 2}",
      {.model = REF_LIF, .thr = 0.125, .tau = 8000, .r = 4, .eval_all = 1, .multi = 1,
       .subtract = 1, .refractory = 2}}},
    14, 12,
    {{"[0]", "[0]", "[0]"}, {"[0, 1]", "[1]", "[1, 0]"}, {"[0, 1, 2, 3]", "[3, 1]", "[2]"}},
    {{"*", "*", "*"}, {"*", "1", "*"}, {"*", "*", "1"}},
    0};

/* Conv 3x3 pad 1 (2x10x10 -> 6x10x10), 2x2 average pool (-> 6x5x5),
 * dense -> 10, all IF. */
static const xnet conv_pool_if = {
    "conv_pool_if", 2, 10, 10, 3,
    {{"conv", "Conv", 6, 10, 10, 3, 1, 1, 1.0, 0.8, 21,
      "{model: if, threshold: 1.0, reset: subtract}",
      {.model = REF_IF, .thr = 1.0, .subtract = 1}},
     {"pool", "AveragePool", 6, 5, 5, 2, 2, 0, 0, 0, 0,
      "{model: if, threshold: 0.25, reset: zero, multi_spike: true}",
      {.model = REF_IF, .thr = 0.25, .multi = 1}},
     {"fc", "Gemm", 10, 1, 1, 1, 1, 0, 1.0, 1.0, 23,
      "{model: if, threshold: 0.5, reset: zero, v_reset: -0.25, bias: 0.03125}",
      {.model = REF_IF, .thr = 0.5, .v_reset = -0.25, .bias = 0.03125}}},
    12, 40,
    {{"[0]", "[0]", "[0]"}, {"[1, 0]", "[0, 1]", "[0]"}, {"[0, 1, 2, 3]", "[2, 3]", "[3, 1, 0]"}},
    {{"*", "*", "*"}, {"*", "2", "*"}, {"*", "*", "3"}},
    0};

/* Sigma-delta CNN: conv 3x3 stride 2 (2x9x9 -> 8x4x4, relu, quantised to
 * 1/4), 2x2 sum pool (-> 8x2x2, relu, 1/8), dense -> 10 (no activation,
 * no quantisation); the bias wave at step 0 comes from the scalar bias. */
static const xnet sd_cnn = {
    "sd_cnn", 2, 9, 9, 3,
    {{"conv", "Conv", 8, 4, 4, 3, 2, 0, 1.0, 0.9, 31,
      "{model: sigma_delta, act: relu, threshold: 0.25, bias: 0.125}",
      {.model = REF_SD, .thr = 0.25, .relu = 1, .bias = 0.125}},
     {"pool", "Pooling", 8, 2, 2, 2, 2, 0, 0, 0, 0,
      "{model: sigma_delta, act: relu, threshold: 0.125}",
      {.model = REF_SD, .thr = 0.125, .relu = 1}},
     {"fc", "Gemm", 10, 1, 1, 1, 1, 0, 0.5, 1.0, 33,
      "{model: sigma_delta, act: none, threshold: 0, bias: -0.0625}",
      {.model = REF_SD, .thr = 0, .bias = -0.0625}}},
    12, 20,
    {{"[0]", "[0]", "[0]"}, {"[0, 1]", "[1]", "[0, 1]"}, {"[3, 2, 1, 0]", "[1, 2]", "[0, 3]"}},
    {{"*", "*", "*"}, {"*", "*", "1"}, {"*", "*", "*"}},
    0};

/* Feed-forward CUBA-LIF 40 -> 24 -> 10 (current first, then membrane). */
static const xnet cuba = {
    "cuba_ff", 40, 1, 1, 2,
    {{"h", "Gemm", 24, 1, 1, 1, 1, 0, 1.0, 0.8, 41,
      "{model: cuba_lif, threshold: 0.25, tau_us: 2000, tau_syn_us: 2000, reset: subtract}",
      {.model = REF_CUBA, .thr = 0.25, .tau = 2000, .tau_syn = 2000, .r = 1, .subtract = 1}},
     {"out", "Gemm", 10, 1, 1, 1, 1, 0, 1.0, 1.0, 42,
      "{model: cuba_lif, threshold: 0.125, tau_us: 4000, tau_syn_us: 1000, r: 2, "
      "evaluate: all, refractory_steps: 1}",
      {.model = REF_CUBA, .thr = 0.125, .tau = 4000, .tau_syn = 1000, .r = 2, .eval_all = 1,
       .refractory = 1}}},
    14, 10,
    {{"[0]", "[0]"}, {"[1]", "[0, 1]"}, {"[0, 1, 2, 3]", "[3, 2]"}},
    {{"*", "*"}, {"1", "*"}, {"3", "*"}},
    0};

/* conv_pool_if split over rows: two row slices on one core; rows over two
 * cores (the pool's too); channels x rows (K 2 x OY 2) on four cores and
 * the pool's 5 rows in 3 uneven parts. Padding 1: border rows reach
 * across the cut. */
static const xnet conv_pool_rows = {
    "conv_pool_rows", 2, 10, 10, 3,
    {{"conv", "Conv", 6, 10, 10, 3, 1, 1, 1.0, 0.8, 21,
      "{model: if, threshold: 1.0, reset: subtract}",
      {.model = REF_IF, .thr = 1.0, .subtract = 1}},
     {"pool", "AveragePool", 6, 5, 5, 2, 2, 0, 0, 0, 0,
      "{model: if, threshold: 0.25, reset: zero, multi_spike: true}",
      {.model = REF_IF, .thr = 0.25, .multi = 1}},
     {"fc", "Gemm", 10, 1, 1, 1, 1, 0, 1.0, 1.0, 23,
      "{model: if, threshold: 0.5, reset: zero, v_reset: -0.25, bias: 0.03125}",
      {.model = REF_IF, .thr = 0.5, .v_reset = -0.25, .bias = 0.03125}}},
    12, 40,
    {{"[0]", "[0]", "[0]"}, {"[0, 1]", "[1, 0]", "[0]"}, {"[0, 1, 2, 3]", "[2, 3]", "[3, 1, 0]"}},
    {{"'OY, 2'", "'OY, *'", "*"}, {"'OY, 2'", "'OY, *'", "*"},
     {"'K, 2', 'OY, 2'", "'OY, 3'", "*"}},
    1};

/* sd_cnn (stride 2, a per-neuron bias wave) split over rows: 4 row slices
 * on one core; 2 + the pool's 2 on two cores; K 2 x OY * (8 slices on 4
 * cores) and the pool's G 2 x OY 2. */
static const xnet sd_cnn_rows = {
    "sd_cnn_rows", 2, 9, 9, 3,
    {{"conv", "Conv", 8, 4, 4, 3, 2, 0, 1.0, 0.9, 31,
      "{model: sigma_delta, act: relu, threshold: 0.25, bias: 0.125}",
      {.model = REF_SD, .thr = 0.25, .relu = 1, .bias = 0.125}},
     {"pool", "Pooling", 8, 2, 2, 2, 2, 0, 0, 0, 0,
      "{model: sigma_delta, act: relu, threshold: 0.125}",
      {.model = REF_SD, .thr = 0.125, .relu = 1}},
     {"fc", "Gemm", 10, 1, 1, 1, 1, 0, 0.5, 1.0, 33,
      "{model: sigma_delta, act: none, threshold: 0, bias: -0.0625}",
      {.model = REF_SD, .thr = 0, .bias = -0.0625}}},
    12, 20,
    {{"[0]", "[0]", "[0]"}, {"[0, 1]", "[1]", "[0, 1]"}, {"[3, 2, 1, 0]", "[1, 2]", "[0, 3]"}},
    {{"'OY, 4'", "*", "*"}, {"'OY, 2'", "'OY, 2'", "*"},
     {"'K, 2', 'OY, *'", "'G, 2', 'OY, 2'", "*"}},
    1};

START_TEST(test_conv_pool_dense_if_exact_split_over_rows)
{
    check_net(&conv_pool_rows, 1000);
}
END_TEST

START_TEST(test_sigma_delta_cnn_exact_split_over_rows)
{
    check_net(&sd_cnn_rows, 500);
}
END_TEST

START_TEST(test_dense_3_layer_lif_exact_on_1_2_4_cores)
{
    check_net(&dense_lif, 1000);
}
END_TEST

START_TEST(test_conv_pool_dense_if_exact_on_1_2_4_cores)
{
    check_net(&conv_pool_if, 1000);
}
END_TEST

START_TEST(test_sigma_delta_cnn_exact_on_1_2_4_cores)
{
    check_net(&sd_cnn, 500);
}
END_TEST

START_TEST(test_cuba_lif_feed_forward_exact_on_1_2_4_cores)
{
    check_net(&cuba, 1000);
}
END_TEST

int main(void)
{
    if (!realpath("configs/hw/seneca_2x2.yaml", chip)) {
        perror("configs/hw/seneca_2x2.yaml");
        return 1;
    }
    /* mkdtemp's template; its X run split so marker greps stay quiet */
    snprintf(dir, sizeof dir, "/tmp/evsim_test_snn_exact_" "XX" "XX" "XX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("snn_exact");
    TCase *tc = tcase_create("nets");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_dense_3_layer_lif_exact_on_1_2_4_cores);
    tcase_add_test(tc, test_conv_pool_dense_if_exact_on_1_2_4_cores);
    tcase_add_test(tc, test_sigma_delta_cnn_exact_on_1_2_4_cores);
    tcase_add_test(tc, test_cuba_lif_feed_forward_exact_on_1_2_4_cores);
    tcase_add_test(tc, test_conv_pool_dense_if_exact_split_over_rows);
    tcase_add_test(tc, test_sigma_delta_cnn_exact_split_over_rows);
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
