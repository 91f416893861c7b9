/* test_snn_graph.c -- the chip flow beyond a chain of layers: element-wise
 * add layers (several sources), recurrent sources (a layer's own spikes,
 * or a later layer's, of step s reach it in step s + 1), the cores' input
 * queues (queue_depth_events, on_full: backpressure | drop) and their
 * errors; and mode: async on the chip.
 *
 * Exactness: every neuron's output in every step from run_scenario equals
 * a plain time-stepped graph reference below (dense loops over arrays
 * through tests/unit/snn_ref.h's connection and neuron steps; nothing of
 * the simulator but conn_weights_seeded, the documented weight rule), on 1,
 * 2 and 4 cores with different tilings, with same_step and next_step, and
 * with a 3-event queue under backpressure. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "neuron/conn.h"
#include "run/run.h"
#include "snn_ref.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif
#include "snn_test_util.h"

#define DATA "tests/data/snn_graph/"
#define STEPS_MAX 32
#define LMAX 4
#define NMAX 160
#define SRC_MAX 3

/* A layer of the reference graph: sources (-1: the trace) with their
 * recurrent flag, its connection and its neurons. */
typedef struct {
    int n;
    int n_src, src[SRC_MAX], rec[SRC_MAX];
    ref_conn c;
    ref_neuron p;
    const ref_conn *own[SRC_MAX]; /* a source with weights of its own, or NULL */
} gl;

typedef struct {
    int n_layers;
    gl l[LMAX];
} graph;

typedef struct {
    const graph *g;
    double *out[LMAX]; /* [step][neuron] */
    int bad;
} record;

static void on_spike(void *ctx, uint32_t layer, uint64_t step, uint32_t neuron, double v)
{
    record *r = ctx;
    if ((int)layer >= r->g->n_layers || step >= STEPS_MAX || (int)neuron >= r->g->l[layer].n) {
        r->bad = 1;
        return;
    }
    r->out[layer][step * (uint64_t)r->g->l[layer].n + neuron] += v;
}

static void quant8(float *w, size_t n, double scale)
{
    double q = 128, step = scale / q;
    for (size_t i = 0; i < n; i++) {
        double k = nearbyint((double)w[i] / step);
        k = k > q - 1 ? q - 1 : k < -(q - 1) ? -(q - 1) : k;
        w[i] = (float)(k * step);
    }
}

/* Seeded weights by the documented rule: stream = the layer's index. */
static float *weights(size_t n, double density, double scale, uint64_t seed, uint64_t layer)
{
    float *w = calloc(n, sizeof *w);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(conn_weights_seeded(w, n, density, scale, seed, layer, &(base_error){0}),
                     0);
    quant8(w, n, scale);
    return w;
}

/* Input counts per step from a CSV: x[step][(p * 8 + y) * 8 + x]. */
static int read_events(const char *path, double *x)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    unsigned t, ex, ey, p;
    int last = -1;
    while (fscanf(f, "%u,%u,%u,%u", &t, &ex, &ey, &p) == 4) {
        int s = (int)(t / 1000);
        ck_assert_int_lt(s, STEPS_MAX);
        x[s * 128 + (p * 8 + ey) * 8 + ex] += 1;
        last = s;
    }
    fclose(f);
    return last;
}

/* The graph, step by step, layers in order: a layer's input is the sum of
 * its sources' outputs -- of this step over a same-step edge, of the step
 * before over a recurrent edge or with next_step -- through its
 * connection. With drop_recurrence the recurrent edges are left out (the
 * test that they matter). */
static void reference(const graph *g, int next_step, int drop_recurrence, int n_steps,
                      double *out[LMAX])
{
    static double xin[STEPS_MAX * 128];
    memset(xin, 0, sizeof xin);
    int last = read_events("tests/data/snn/events_8x8.csv", xin);
    ref_state st[LMAX];
    static double prev[LMAX][NMAX];
    memset(prev, 0, sizeof prev);
    for (int l = 0; l < g->n_layers; l++)
        ref_state_init(&st[l], &g->l[l].p, g->l[l].n);
    for (int s = 0; s < n_steps; s++) {
        for (int l = 0; l < g->n_layers; l++) {
            const gl *L = &g->l[l];
            double x[NMAX] = {0}, y[NMAX] = {0};
            uint8_t act[NMAX] = {0}, recv[NMAX] = {0};
            int n_in = L->c.ci * L->c.hi * L->c.wi;
            for (int k = 0; k < L->n_src; k++) {
                int src = L->src[k];
                if (L->rec[k] && drop_recurrence)
                    continue;
                const ref_conn *oc = L->own[k];
                double xo[NMAX] = {0};
                uint8_t ao[NMAX] = {0};
                for (int j = 0; j < (oc ? oc->ci : n_in); j++) {
                    double v = src < 0 ? (s <= last ? xin[s * 128 + j] : 0)
                               : L->rec[k] || next_step ? prev[src][j]
                                                        : out[src][s * g->l[src].n + j];
                    (oc ? xo : x)[j] += v;
                    (oc ? ao : act)[j] |= v != 0;
                }
                if (oc) /* its own projection, added into the layer's input */
                    ref_conn_apply(oc, xo, ao, y, recv);
            }
            ref_conn_apply(&L->c, x, act, y, recv);
            ref_layer_step(&L->p, &st[l], y, recv, s, 1000.0, &out[l][s * L->n]);
        }
        for (int l = 0; l < g->n_layers; l++)
            memcpy(prev[l], &out[l][s * g->l[l].n], sizeof(double) * (size_t)g->l[l].n);
    }
    for (int l = 0; l < g->n_layers; l++)
        ref_state_free(&st[l]);
}

/* rec.workload.yaml by hand. */
static graph rec_graph(float *w[LMAX])
{
    w[0] = weights(72, 0.8, 0.5, 3, 0);
    w[1] = NULL;
    w[2] = weights(36 * 36, 1.0, 1.0, 5, 2);
    w[3] = weights(10 * 36, 1.0, 1.0, 7, 3);
    graph g = {4, {
        {144, 1, {-1}, {0}, {REF_CONV, 2, 8, 8, 4, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1, 1, w[0]},
         {.model = REF_IF, .thr = 0.5, .subtract = 1}, {NULL}},
        {36, 1, {0}, {0}, {REF_SUMPOOL, 4, 6, 6, 4, 3, 3, 2, 2, 2, 2, 0, 0, 1, 1, 1, NULL},
         {.model = REF_IF, .thr = 1, .multi = 1}, {NULL}},
        {36, 2, {1, 2}, {0, 1}, {REF_DENSE, 36, 1, 1, 36, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, w[2]},
         {.model = REF_CUBA, .thr = 0.25, .tau = 4000, .tau_syn = 2000, .r = 1, .eval_all = 1}, {NULL}},
        {10, 1, {2}, {0}, {REF_DENSE, 36, 1, 1, 10, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, w[3]},
         {.model = REF_LIF, .thr = 0.25, .tau = 4000, .r = 1, .eval_all = 1,
          .refractory = 1}, {NULL}}}};
    return g;
}

/* rec_own.workload.yaml by hand: rec = W pool(s) + V rec(s-1) + F fc(s-1),
 * V and F seeded with stream k << 32 | 2 (k: the entry's place). */
static ref_conn own_v, own_f;

static graph rec_own_graph(float *w[LMAX])
{
    graph g = rec_graph(w);
    static float *v, *f;
    free(v);
    free(f);
    v = weights(36 * 36, 1.0, 0.5, 9, (uint64_t)1 << 32 | 2);
    f = weights(36 * 10, 0.5, 0.5, 11, (uint64_t)2 << 32 | 2);
    own_v = (ref_conn){REF_DENSE, 36, 1, 1, 36, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, v};
    own_f = (ref_conn){REF_DENSE, 10, 1, 1, 36, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, f};
    gl *r = &g.l[2];
    r->n_src = 3;
    r->src[2] = 3;
    r->rec[2] = 1;
    r->own[1] = &own_v;
    r->own[2] = &own_f;
    return g;
}

/* add.workload.yaml by hand: b reads a (same step) and sum (a later
 * layer: recurrent); sum is the identity (a 1x1 sum pool) of a and b. */
static graph add_graph(float *w[LMAX])
{
    w[0] = weights(72, 0.8, 0.5, 3, 0);
    w[1] = weights(4 * 4 * 9, 0.7, 0.5, 3, 1);
    w[2] = NULL;
    w[3] = weights(10 * 144, 1.0, 1.0, 7, 3);
    graph g = {4, {
        {144, 1, {-1}, {0}, {REF_CONV, 2, 8, 8, 4, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1, 1, w[0]},
         {.model = REF_IF, .thr = 0.5, .subtract = 1}, {NULL}},
        {144, 2, {0, 2}, {0, 1}, {REF_CONV, 4, 6, 6, 4, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, w[1]},
         {.model = REF_IF, .thr = 0.75, .subtract = 1}, {NULL}},
        {144, 2, {0, 1}, {0, 0}, {REF_SUMPOOL, 4, 6, 6, 4, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1, 1, NULL},
         {.model = REF_IF, .thr = 1, .multi = 1}, {NULL}},
        {10, 1, {2}, {0}, {REF_DENSE, 144, 1, 1, 10, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, w[3]},
         {.model = REF_LIF, .thr = 0.25, .tau = 4000, .r = 1, .eval_all = 1}, {NULL}}}};
    return g;
}

/* add_own.workload.yaml by hand: add_graph with b reading sum (step s -
 * 1) through its own dense 144 x 144 projection, seeded with stream
 * 1 << 32 | 1. */
static ref_conn own_s;

static graph add_own_graph(float *w[LMAX])
{
    graph g = add_graph(w);
    static float *v;
    free(v);
    v = weights(144 * 144, 0.3, 0.25, 9, (uint64_t)1 << 32 | 1);
    own_s = (ref_conn){REF_DENSE, 144, 1, 1, 144, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, v};
    g.l[1].own[1] = &own_s;
    return g;
}

/* Slices of the last run that hold part of their layer's rows. */
static uint32_t last_row_cut;

static int run(const char *path, record *rec, run_result *res)
{
    snn_test_run(path, on_spike, rec, res);
    return 0;
}

/* Runs path and compares every output with the reference; returns the
 * held packets (backpressure) of the run. */
static uint64_t check_scenario(const char *path, graph (*make)(float *w[LMAX]), int next_step)
{
    float *w[LMAX];
    graph g = make(w);
    record rec = {.g = &g};
    double *ref[LMAX], *norec[LMAX];
    for (int l = 0; l < g.n_layers; l++) {
        rec.out[l] = calloc((size_t)STEPS_MAX * g.l[l].n, sizeof(double));
        ref[l] = calloc((size_t)STEPS_MAX * g.l[l].n, sizeof(double));
        norec[l] = calloc((size_t)STEPS_MAX * g.l[l].n, sizeof(double));
    }
    run_result res;
    run(path, &rec, &res);
    ck_assert(res.snn_res.complete);
    int n_steps = (int)res.snn_res.steps;
    ck_assert_int_eq(n_steps, 12 + (next_step ? g.n_layers - 1 : 0));
    reference(&g, next_step, 0, n_steps, ref);
    reference(&g, next_step, 1, n_steps, norec);
    uint64_t spikes = 0, differs = 0;
    for (int l = 0; l < g.n_layers; l++)
        for (int i = 0; i < n_steps * g.l[l].n; i++) {
            ck_assert_msg(rec.out[l][i] == ref[l][i], "%s: layer %d step %d neuron %d: chip %g, "
                          "reference %g", path, l, i / g.l[l].n, i % g.l[l].n, rec.out[l][i],
                          ref[l][i]);
            spikes += ref[l][i] != 0;
            differs += norec[l][i] != ref[l][i];
        }
    ck_assert(!rec.bad);
    ck_assert_uint_gt(spikes, 50);   /* the net is not silent */
    ck_assert_uint_gt(differs, 10);  /* and its recurrent edge matters */
    ck_assert_uint_gt(res.snn_res.layers[g.n_layers - 1].spikes, 0);
    ck_assert_uint_eq(res.snn_res.drops, 0);
    uint64_t held = 0;
    for (uint32_t c = 0; c < res.snn_res.n_cores; c++)
        held += res.snn_res.queues[c].held_packets;
    last_row_cut = 0;
    for (uint32_t l = 0; l < res.snn->n_layers; l++)
        for (uint32_t k = 0; k < res.snn->layers[l].n_slices; k++)
            last_row_cut += res.snn->layers[l].slices[k].r.y0 > 0 ||
                            res.snn->layers[l].slices[k].r.y1 < res.snn->layers[l].out.h;
    run_result_free(&res);
    for (int l = 0; l < g.n_layers; l++) {
        free(rec.out[l]);
        free(ref[l]);
        free(norec[l]);
        free(w[l]);
    }
    return held;
}

START_TEST(test_recurrent_cuba_lif_exact_1_2_4_cores)
{
    static const char *const f[] = {"rec_1_same_step", "rec_2_same_step", "rec_4_same_step",
                                    "rec_1_next_step", "rec_2_next_step", "rec_4_next_step"};
    char path[128];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, DATA "%s.yaml", f[i]);
        ck_assert_uint_eq(check_scenario(path, rec_graph, i >= 3), 0);
    }
}
END_TEST

START_TEST(test_recurrent_weights_of_their_own_exact_1_2_4_cores)
{
    static const char *const f[] = {"rec_own_1_same_step", "rec_own_2_same_step",
                                    "rec_own_4_same_step", "rec_own_1_next_step",
                                    "rec_own_2_next_step", "rec_own_4_next_step"};
    char path[128];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, DATA "%s.yaml", f[i]);
        ck_assert_uint_eq(check_scenario(path, rec_own_graph, i >= 3), 0);
    }
    ck_assert_uint_gt(check_scenario(DATA "rec_own_4_same_step_bp3.yaml", rec_own_graph, 0), 0);
}
END_TEST

START_TEST(test_add_with_feedback_exact_1_2_4_cores)
{
    static const char *const f[] = {"add_1_same_step", "add_2_same_step", "add_4_same_step",
                                    "add_1_next_step", "add_2_next_step", "add_4_next_step"};
    char path[128];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, DATA "%s.yaml", f[i]);
        ck_assert_uint_eq(check_scenario(path, add_graph, i >= 3), 0);
    }
}
END_TEST

/* Row splits (OY, alone and with K or G; several row slices on one core)
 * of the add, recurrent and own-weights nets: the same exact result. The
 * own projection onto b reaches its row slices by neuron index. */
START_TEST(test_graphs_exact_split_over_rows)
{
    static const struct {
        const char *f;
        graph (*make)(float *w[LMAX]);
        int next_step;
        uint32_t row_cut;
    } sc[] = {
        {"add_2r_same_step", add_graph, 0, 2 + 2 + 4},
        {"add_4r_same_step", add_graph, 0, 4 + 4 + 6},
        {"add_4r_next_step", add_graph, 1, 4 + 4 + 6},
        {"rec_2r_next_step", rec_graph, 1, 2 + 3},
        {"rec_4r_same_step", rec_graph, 0, 4 + 2},
        {"add_own_1_same_step", add_own_graph, 0, 0},
        {"add_own_2r_next_step", add_own_graph, 1, 2 + 2 + 4},
        {"add_own_4r_same_step", add_own_graph, 0, 4 + 4 + 6},
    };
    char path[128];
    for (size_t i = 0; i < sizeof sc / sizeof *sc; i++) {
        snprintf(path, sizeof path, DATA "%s.yaml", sc[i].f);
        ck_assert_uint_eq(check_scenario(path, sc[i].make, sc[i].next_step), 0);
        ck_assert_msg(last_row_cut == sc[i].row_cut, "%s: %u slices split rows, expected %u",
                      path, last_row_cut, sc[i].row_cut);
    }
}
END_TEST

/* A 3-event queue under backpressure holds packets back (so it changes
 * when things happen) and never changes what is computed. */
START_TEST(test_backpressure_keeps_the_exact_result)
{
    ck_assert_uint_gt(check_scenario(DATA "rec_4_same_step_bp3.yaml", rec_graph, 0), 0);
    ck_assert_uint_gt(check_scenario(DATA "rec_4_next_step_bp3.yaml", rec_graph, 1), 0);
    ck_assert_uint_gt(check_scenario(DATA "add_4_same_step_bp3.yaml", add_graph, 0), 0);
    ck_assert_uint_gt(check_scenario(DATA "add_4_next_step_bp3.yaml", add_graph, 1), 0);
    ck_assert_uint_gt(check_scenario(DATA "rec_1_next_step_bp3.yaml", rec_graph, 1), 0);
    ck_assert_uint_gt(check_scenario(DATA "add_2_same_step_bp3.yaml", add_graph, 0), 0);
}
END_TEST

/* Output positions of a valid 3x3 conv on 8 pixels that pixel y feeds. */
static int reach(int y) { return (y < 5 ? y : 5) - (y - 2 > 0 ? y - 2 : 0) + 1; }

/* burst_20.csv: 20 events at one time onto the one core's conv layer
 * (the input terminal is the core's own, so they arrive at that time).
 * The first starts at once, the next 5 wait in the 5-event queue, and
 * the other 14 are dropped: the conv integrates exactly the first 6. */
START_TEST(test_drop_drops_a_known_number)
{
    const graph g = {1, {{144, 1, {-1}, {0}, {0}, {0}, {NULL}}}};
    record rec = {.g = &g};
    for (int l = 0; l < LMAX; l++)
        rec.out[l] = calloc((size_t)STEPS_MAX * NMAX, sizeof(double));
    run_result res;
    run(DATA "burst_drop.yaml", &rec, &res);
    const snn_result *r = &res.snn_res;
    ck_assert(r->complete);
    ck_assert_uint_eq(r->events_used, 20);
    ck_assert_uint_eq(r->drops, 14);
    ck_assert_uint_eq(r->queues[0].drops, 14);
    ck_assert_uint_eq(r->queues[0].peak, 5);
    uint64_t sops = 0;
    for (int i = 0; i < 6; i++) /* event i at (x, y) = (i % 6 + 1, i / 6 + 1), 4 channels */
        sops += 4u * (uint64_t)(reach(i % 6 + 1) * reach(i / 6 + 1));
    ck_assert_uint_eq(r->layers[0].synaptic_ops, sops);
    run_result_free(&res);
    /* The same burst under backpressure: nothing is lost, all 20 are
     * integrated, 14 of them held at the interface. */
    run(DATA "burst_backpressure.yaml", &rec, &res);
    ck_assert_uint_eq(r->drops, 0);
    ck_assert_uint_eq(r->queues[0].peak, 5);
    ck_assert_uint_eq(r->queues[0].held_packets, 14);
    sops = 0;
    for (int i = 0; i < 20; i++)
        sops += 4u * (uint64_t)(reach(i % 6 + 1) * reach(i / 6 + 1));
    ck_assert_uint_eq(r->layers[0].synaptic_ops, sops);
    run_result_free(&res);
    for (int l = 0; l < LMAX; l++)
        free(rec.out[l]);
}
END_TEST

/* burst_overrun: the burst at 100 us in 1-us steps. Its integration keeps
 * the core busy from 100 us on, so step 100's evaluation (due at the
 * boundary at 101 us) ends at 100 us + the core's busy time: one step
 * overran, by that much; the 100 empty steps before it did not. */
START_TEST(test_step_overrun_counted)
{
    const graph g = {1, {{144, 1, {-1}, {0}, {0}, {0}, {NULL}}}};
    record rec = {.g = &g};
    for (int l = 0; l < LMAX; l++)
        rec.out[l] = calloc((size_t)STEPS_MAX * NMAX, sizeof(double));
    run_result res;
    run(DATA "burst_overrun.yaml", &rec, &res);
    const snn_result *r = &res.snn_res;
    ck_assert_uint_eq(r->steps, 101);
    ck_assert_uint_eq(r->step_overruns, 1);
    ck_assert_uint_eq(r->end_ps, 100000000 + r->cores[0].busy_ps);
    ck_assert_uint_eq(r->step_work_max_ps, r->end_ps - 101000000);
    run_result_free(&res);
    /* the same burst in 1000-us steps: nothing overran */
    run(DATA "burst_drop.yaml", &rec, &res);
    ck_assert_uint_eq(res.snn_res.step_overruns, 0);
    run_result_free(&res);
    for (int l = 0; l < LMAX; l++)
        free(rec.out[l]);
}
END_TEST

/* wait.yaml: conv (core 0) and fc (core 1) evaluate every neuron; conv
 * sends nothing, yet fc's evaluation of the step starts only when conv's
 * has ended: the decision is at the boundary + both evaluations. */
START_TEST(test_same_step_waits_for_the_source_evaluation)
{
    const graph g = {2, {{144, 1, {-1}, {0}, {0}, {0}, {NULL}}, {10, 1, {0}, {0}, {0}, {0}, {NULL}}}};
    record rec = {.g = &g};
    for (int l = 0; l < LMAX; l++)
        rec.out[l] = calloc((size_t)STEPS_MAX * NMAX, sizeof(double));
    run_result res;
    run(DATA "wait.yaml", &rec, &res);
    const snn_result *r = &res.snn_res;
    const snn_plan *p = res.snn;
    ck_assert_uint_eq(r->steps, 1);
    ck_assert_uint_eq(r->layers[0].spikes, 0);
    ck_assert_uint_eq(r->packets, 20); /* the input events only */
    uint64_t cycle_ps = 2000;          /* seneca_2x2: 0.5 GHz */
    uint64_t conv = (uint64_t)llround(144.0 * p->layers[0].upd_cycles * (double)cycle_ps);
    uint64_t fc = (uint64_t)llround(10.0 * p->layers[1].upd_cycles * (double)cycle_ps);
    ck_assert_uint_gt(conv, fc);
    ck_assert_uint_eq(r->decision_ps, 1000000000 + conv + fc);
    run_result_free(&res);
    for (int l = 0; l < LMAX; l++)
        free(rec.out[l]);
}
END_TEST

/* mode: async on async.workload.yaml, by an event-by-event reference:
 * each trace event, in order, adds its weights onto fc0's 16 neurons in
 * ascending order, each checked at once (IF, subtract); every fc0 spike,
 * in that order, adds onto fc1's 10 (IF, reset to zero). On one core, and
 * on two (fc0 and fc1 apart: fc1's inputs come from one core, in order). */
static void async_reference(double *c0, double *c1)
{
    float *w0 = weights(16 * 128, 1.0, 0.5, 3, 0), *w1 = weights(10 * 16, 1.0, 1.0, 3, 1);
    double v0[16] = {0}, v1[10] = {0};
    FILE *f = fopen("tests/data/snn/events_8x8.csv", "r");
    ck_assert_ptr_nonnull(f);
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    unsigned t, ex, ey, p;
    while (fscanf(f, "%u,%u,%u,%u", &t, &ex, &ey, &p) == 4) {
        int in = (int)((p * 8 + ey) * 8 + ex);
        for (int j = 0; j < 16; j++) {
            v0[j] += w0[j * 128 + in];
            if (!(v0[j] > 0.75))
                continue;
            v0[j] -= 0.75;
            c0[j]++;
            for (int k = 0; k < 10; k++) {
                v1[k] += w1[k * 16 + j];
                if (v1[k] > 0.5) {
                    v1[k] = 0;
                    c1[k]++;
                }
            }
        }
    }
    fclose(f);
    free(w0);
    free(w1);
}

START_TEST(test_async_matches_an_event_by_event_reference)
{
    double r0[16] = {0}, r1[10] = {0};
    async_reference(r0, r1);
    const graph g = {2, {{16, 1, {-1}, {0}, {0}, {0}, {NULL}}, {10, 1, {0}, {0}, {0}, {0}, {NULL}}}};
    static const char *const f[] = {DATA "async_1.yaml", DATA "async_2.yaml"};
    for (int i = 0; i < 2; i++) {
        record rec = {.g = &g};
        for (int l = 0; l < 2; l++)
            rec.out[l] = calloc((size_t)STEPS_MAX * NMAX, sizeof(double));
        run_result res;
        run(f[i], &rec, &res);
        const snn_result *r = &res.snn_res;
        ck_assert(r->complete);
        ck_assert(!rec.bad);
        ck_assert_uint_eq(r->steps, 0);
        double n1 = 0;
        for (int j = 0; j < 16; j++)
            ck_assert_msg(rec.out[0][j] == r0[j], "%s: fc0 neuron %d: chip %g, reference %g",
                          f[i], j, rec.out[0][j], r0[j]);
        for (int k = 0; k < 10; k++) {
            ck_assert_msg(rec.out[1][k] == r1[k], "%s: fc1 neuron %d: chip %g, reference %g",
                          f[i], k, rec.out[1][k], r1[k]);
            ck_assert_uint_eq(r->out_counts[k], (uint64_t)r1[k]);
            n1 += r1[k];
        }
        ck_assert_double_gt(n1, 20);
        /* every synapse an update: one per event and target */
        ck_assert_uint_eq(r->layers[0].neuron_updates, 400 * 16);
        ck_assert_uint_eq(r->layers[0].synaptic_ops, 400 * 16);
        run_result_free(&res);
        for (int l = 0; l < 2; l++)
            free(rec.out[l]);
    }
}
END_TEST

/* SQLite's faultsim on the paths this file adds (several and recurrent
 * sources, held packets and their re-checks, async integration): the Nth
 * allocation fails, for every N until a run succeeds; each failing run
 * returns an error with a message and leaks nothing. */
static void fail_every_allocation(const char *path)
{
    long n = 0;
    for (; n < 100000; n++) {
        run_options o;
        run_options_default(&o);
        o.json_path = o.text_path = "";
        o.no_trace = true;
        run_result res;
        base_error err;
        base_error_clear(&err);
        base_alloc_fail_at(n, 0);
        int rc = run_scenario(path, &o, &res, &err);
        run_result_free(&res);
        int injected = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        if (rc == 0 && !injected)
            break;
        ck_assert_msg(rc == -1, "%s: allocation %ld failed but the run reported success", path,
                      n);
        ck_assert_msg(err.msg[0], "%s: allocation %ld: a failed run without a message", path, n);
#ifdef HAVE_LSAN
        ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
                      "%s: allocation %ld: the failed run leaked", path, n);
#endif
    }
    ck_assert_int_gt(n, 100);
}

START_TEST(test_every_failed_allocation_fails_cleanly)
{
    fail_every_allocation(DATA "burst_backpressure.yaml"); /* held packets, re-checks */
    fail_every_allocation(DATA "rec_own_1_same_step.yaml"); /* own weights, feedback */
    fail_every_allocation(DATA "async_1.yaml");
}
END_TEST

/* ---- errors before the run ------------------------------------------------ */

static char tmpdir[64];

static void put(const char *name, const char *text)
{
    char p[160];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A scenario in tmpdir over the given workload text and extra scenario
 * keys; the error of its run must contain want. */
static void expect_error(const char *workload, const char *keys, const char *want)
{
    char cwd[512], scen[2048], p[160];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    put("w.yaml", workload);
    snprintf(scen, sizeof scen, "name: bad\nchip: %s/configs/hw/seneca_2x2.yaml\nworkload: "
             "w.yaml\nmapping: %s/" DATA "g2.mapping.yaml\nmode: timestep\ntimestep_us: 1000\n"
             "%sinput: {trace: %s/tests/data/snn/events_8x8.csv}\n", cwd, cwd, keys, cwd);
    put("s.yaml", scen);
    snprintf(p, sizeof p, "%s/s.yaml", tmpdir);
    run_options o;
    run_options_default(&o);
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    base_error err;
    base_error_clear(&err);
    int rc = run_scenario(p, &o, &res, &err);
    run_result_free(&res);
    ck_assert_msg(rc != 0, "%s: expected an error with '%s'", keys, want);
    ck_assert_msg(strstr(err.msg, want), "expected '%s' in: %s", want, err.msg);
}

#define LAYER(name, src, extra) \
    "- id: 0\n  name: " name "\n  operator_type: Gemm\n" \
    "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n" \
    "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n" \
    "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, " extra ", 1, 1, 1, 1]\n" \
    "  operand_precision: {W: 8, I: 1, O: 16, O_final: 1}\n  operand_source: {I: 0, W: 0}\n" \
    "  neuron: {model: if}\n  input_source: " src "\n"

START_TEST(test_bad_sources_and_queues_fail_before_the_run)
{
    const char *one = LAYER("fc", "input", "10, 128");
    expect_error(one, "queue_depth_events: 0\n",
                 "s.yaml:7:21: queue_depth_events: expected a queue of at least 1 event");
    expect_error(one, "on_full: spill\n", "on_full: expected backpressure | drop, found 'spill'");
    expect_error(one, "queue_depth_events: 2\n",
                 "queue_depth_events: 2 is less than a packet's");
    expect_error(one, "mode: async\n",
                 "timestep_us belongs to mode: timestep, found mode: async (no steps)");
    expect_error(LAYER("fc", "fc", "10, 128"), "",
                 "a layer fed only by itself never receives input");
    expect_error(LAYER("fc", "[input, nope]", "10, 128"), "",
                 "w.yaml:11:25: [0].input_source[1]: expected 'input' (the scenario's input "
                 "trace) or the name of a layer, found 'nope'");
    expect_error(LAYER("fc", "[input, input]", "10, 128"), "",
                 "expected each source once, found 'input' again");
    expect_error(LAYER("fc", "[fc, {layer: input, weights: {seed: 1}}]", "10, 128"), "",
                 "the input trace goes through the layer's own connection");
    expect_error(LAYER("fc", "[input, {layer: fc, wieghts: {seed: 1}}]", "10, 128"), "",
                 "did you mean");
    /* fc2 (10 neurons) cannot add onto fc1's input of 128 */
    char two[4096];
    snprintf(two, sizeof two, "%s%s", LAYER("fc1", "[input, fc2]", "10, 128"),
             LAYER("fc2", "[fc1]", "10, 10"));
    two[strstr(two, "- id: 0\n  name: fc2") - two + 6] = '1';
    expect_error(two, "", "layer fc1: input_source fc2 gives 10x1x1, the layer reads 128x1x1");
    /* the first source gives the shape: it cannot be recurrent */
    snprintf(two, sizeof two, "%s%s", LAYER("fc1", "input", "10, 128"),
             LAYER("fc2", "[fc2, fc1]", "10, 10"));
    two[strstr(two, "- id: 0\n  name: fc2") - two + 6] = '1';
    expect_error(two, "", "layer fc2: the first input_source must be input or an earlier layer");
    snprintf(two, sizeof two, "%s%s", LAYER("fc1", "input", "10, 128"),
             LAYER("fc2", "[{layer: fc1, weights: {seed: 1}}]", "10, 10"));
    two[strstr(two, "- id: 0\n  name: fc2") - two + 6] = '1';
    expect_error(two, "", "layer fc2: the first input_source goes through the layer's "
                          "connection");
}
END_TEST

/* A split over anything but output channels and rows is refused at the
 * tiling entry. */
START_TEST(test_split_over_columns_is_refused_at_the_entry)
{
    char cwd[512], scen[2048], p[160];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    put("m.yaml", "- name: default\n  core_allocation: [0, 1]\n"
                  "  inter_core_tiling: ['OY, *']\n  spatial_mapping: {D1: [K, 8]}\n"
                  "- name: Conv\n  core_allocation: [0, 1]\n"
                  "  inter_core_tiling: ['OY, 2', 'OX, 2']\n  spatial_mapping: {D1: [K, 8]}\n");
    snprintf(scen, sizeof scen, "name: bad\nchip: %s/configs/hw/seneca_2x2.yaml\nworkload: "
             "%s/" DATA "add.workload.yaml\nmapping: m.yaml\nmode: timestep\n"
             "timestep_us: 1000\ninput: {trace: %s/tests/data/snn/events_8x8.csv}\n", cwd, cwd,
             cwd);
    put("s.yaml", scen);
    snprintf(p, sizeof p, "%s/s.yaml", tmpdir);
    run_options o;
    run_options_default(&o);
    o.json_path = o.text_path = "";
    o.no_trace = true;
    run_result res;
    base_error err;
    base_error_clear(&err);
    int rc = run_scenario(p, &o, &res, &err);
    run_result_free(&res);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(err.msg, "layer a: inter_core_tiling over OX: event-driven layers are "
                  "split over output channels (K) and rows (OY) only so far"), "%s", err.msg);
    ck_assert_msg(strstr(err.file, "/m.yaml") && err.line == 7 && err.col > 0, "at %s:%u:%u",
                  err.file, err.line, err.col);
}
END_TEST

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/evsim_test_snn_graph_" "XX" "XX" "XX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void drop_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static Suite *snn_graph_suite(void)
{
    Suite *s = suite_create("snn_graph");
    TCase *tc = tcase_create("graph");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_recurrent_cuba_lif_exact_1_2_4_cores);
    tcase_add_test(tc, test_recurrent_weights_of_their_own_exact_1_2_4_cores);
    tcase_add_test(tc, test_add_with_feedback_exact_1_2_4_cores);
    tcase_add_test(tc, test_backpressure_keeps_the_exact_result);
    tcase_add_test(tc, test_drop_drops_a_known_number);
    tcase_add_test(tc, test_step_overrun_counted);
    tcase_add_test(tc, test_same_step_waits_for_the_source_evaluation);
    tcase_add_test(tc, test_async_matches_an_event_by_event_reference);
    tcase_add_test(tc, test_graphs_exact_split_over_rows);
    tcase_add_test(tc, test_every_failed_allocation_fails_cleanly);
    suite_add_tcase(s, tc);
    TCase *te = tcase_create("errors");
    tcase_add_checked_fixture(te, make_tmp, drop_tmp);
    tcase_add_test(te, test_bad_sources_and_queues_fail_before_the_run);
    tcase_add_test(te, test_split_over_columns_is_refused_at_the_entry);
    suite_add_tcase(s, te);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(snn_graph_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
