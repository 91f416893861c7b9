/* bench_neuron.c -- what an incoming event costs on a core: the fan-out of
 * one source onto the slice a core holds, each synapse added into the
 * neuron group (a synaptic operation, SOP), then the step's evaluation.
 *
 * conv: 32 -> 64 channels, 3x3, padding 1, on 32x32, the target layer cut
 * into 4 slices (4 cores), random input spikes, 20 steps of LIF.
 * dense: 1024 -> 1024, one slice, the same. Prints SOPs per second and
 * neuron updates per second (evaluate all). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/rng.h"
#include "neuron/conn.h"
#include "neuron/neuron.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    neu_group *g;
    uint32_t lo;
    double val;
    uint64_t sops;
} sink;

static void visit(void *ctx, uint32_t t, float w)
{
    sink *s = ctx;
    neu_add_input(s->g, t - s->lo, (double)w * s->val);
    s->sops++;
}

static void count_spike(void *ctx, uint32_t i, double v)
{
    (void)i, (void)v;
    ++*(uint64_t *)ctx;
}

static int run(const char *name, const conn_params *cp, int slices, double p_spike)
{
    base_error e;
    conn_shape out;
    size_t nw;
    if (conn_plan(cp, &out, &nw, &e))
        return fprintf(stderr, "%s\n", e.msg), 1;
    rng_stream r;
    rng_seed(&r, 1, 0);
    float *w = malloc(nw * sizeof *w);
    for (size_t k = 0; k < nw; k++)
        w[k] = (float)(rng_uniform(&r) * 0.2 - 0.05);
    conn *c = conn_new(cp, w, nw, &e);
    uint32_t n_in = conn_n_in(c), n_out = conn_n_out(c), lo[9];
    neu_params np;
    neu_params_default(&np, NEU_LIF);
    np.evaluate = NEU_EVAL_ALL;
    neu_group *g[8];
    for (int k = 0; k <= slices; k++)
        lo[k] = (uint32_t)((uint64_t)n_out * k / slices);
    for (int k = 0; k < slices; k++)
        g[k] = neu_group_new(&np, lo[k + 1] - lo[k], &e);
    uint64_t sops = 0, spikes = 0, updates = 0;
    double t_fan = 0, t_step = 0;
    for (int step = 0; step < 20; step++) {
        double t0 = wall_now();
        for (uint32_t src = 0; src < n_in; src++)
            if (rng_bernoulli(&r, p_spike))
                for (int k = 0; k < slices; k++) {
                    sink s = {g[k], lo[k], 1.0, 0};
                    conn_fanout(c, src, lo[k], lo[k + 1], visit, &s);
                    sops += s.sops;
                }
        double t1 = wall_now();
        for (int k = 0; k < slices; k++)
            neu_step(g[k], 1.0, count_spike, &spikes);
        t_fan += t1 - t0;
        t_step += wall_now() - t1;
        updates += n_out;
    }
    printf("bench: neuron_%s_sops_per_sec %.0f\n", name, (double)sops / t_fan);
    printf("bench: neuron_%s_updates_per_sec %.0f\n", name, (double)updates / t_step);
    for (int k = 0; k < slices; k++)
        neu_group_free(g[k]);
    conn_free(c);
    free(w);
    return spikes == 0; /* a silent run measured nothing real */
}

int main(void)
{
    conn_params conv = {.kind = CONN_CONV2D, .in = {32, 32, 32}, .out_channels = 64, .kh = 3,
                        .kw = 3, .pad_h = 1, .pad_w = 1};
    conn_params dense = {.kind = CONN_DENSE, .in = {1024, 1, 1}, .out_features = 1024};
    return run("conv", &conv, 4, 0.1) | run("dense", &dense, 1, 0.1);
}
