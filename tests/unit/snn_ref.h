/* snn_ref.h -- a plain time-stepped reference for spiking and sigma-delta
 * networks, written from the definitions in issue 11 and nothing of
 * models/neuron: dense loops over arrays, connectivity as *gather* (each
 * output sums its window) where the model scatters (each source visits its
 * targets), refractory as a countdown where the model stores a step index,
 * multi-spike counts by linear search where the model estimates and
 * corrects. Agreement of the two is the functional test of the simulator.
 *
 * Sums of inputs are in double in gather order; tests use weights and
 * input values that are small dyadic fractions so every such sum is exact
 * and therefore equal to the model's order-independent 32.32 sum. */
#ifndef EVSIM_SNN_REF_H
#define EVSIM_SNN_REF_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { REF_IF, REF_LIF, REF_CUBA, REF_SD };
enum { REF_DENSE, REF_CONV, REF_SUMPOOL, REF_AVGPOOL };

typedef struct {
    int model;
    double thr, v_reset, bias, tau, v_leak, r, tau_syn;
    int subtract, multi, refractory, eval_all, relu;
    const float *bias_n; /* per-neuron bias or NULL */
} ref_neuron;

typedef struct {
    int kind;
    int ci, hi, wi;          /* input (C, H, W); dense: ci = n_in, hi = wi = 1 */
    int co, ho, wo;          /* output */
    int kh, kw, sh, sw, ph, pw, dh, dw, groups;
    const float *w;          /* dense (co, n_in); conv (co, ci/groups, kh, kw) */
} ref_conn;

/* One layer's state. */
typedef struct {
    int n;
    double *v, *isyn, *sdout;
    int *refr_left;
} ref_state;

static inline void ref_state_init(ref_state *s, const ref_neuron *p, int n)
{
    s->n = n;
    s->v = calloc((size_t)n, sizeof *s->v);
    s->isyn = calloc((size_t)n, sizeof *s->isyn);
    s->sdout = calloc((size_t)n, sizeof *s->sdout);
    s->refr_left = calloc((size_t)n, sizeof *s->refr_left);
    if (p->model == REF_SD)
        for (int i = 0; i < n; i++)
            s->v[i] = p->bias_n ? p->bias_n[i] : p->bias;
}

static inline void ref_state_free(ref_state *s)
{
    free(s->v);
    free(s->isyn);
    free(s->sdout);
    free(s->refr_left);
}

static inline int ref_conn_out_dim(int n, int k, int s, int p, int d)
{
    return (n + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* y[o] += sum over sources j feeding o of w(o, j) * x[j]; recv[o] = 1 when
 * any source with act[j] feeds o (a structural synapse, whatever w). */
static inline void ref_conn_apply(const ref_conn *c, const double *x, const uint8_t *act,
                                  double *y, uint8_t *recv)
{
    if (c->kind == REF_DENSE) {
        for (int o = 0; o < c->co; o++)
            for (int j = 0; j < c->ci; j++)
                if (act[j]) {
                    y[o] += (double)c->w[(size_t)o * c->ci + j] * x[j];
                    recv[o] = 1;
                }
        return;
    }
    int conv = c->kind == REF_CONV;
    int cin_g = conv ? c->ci / c->groups : 1, cout_g = conv ? c->co / c->groups : 1;
    for (int o = 0; o < c->co; o++)
        for (int oy = 0; oy < c->ho; oy++)
            for (int ox = 0; ox < c->wo; ox++) {
                int out = (o * c->ho + oy) * c->wo + ox;
                for (int cl = 0; cl < cin_g; cl++) {
                    int ci = conv ? o / cout_g * cin_g + cl : o;
                    for (int ky = 0; ky < c->kh; ky++)
                        for (int kx = 0; kx < c->kw; kx++) {
                            int iy = oy * c->sh - c->ph + ky * c->dh;
                            int ix = ox * c->sw - c->pw + kx * c->dw;
                            if (iy < 0 || iy >= c->hi || ix < 0 || ix >= c->wi)
                                continue;
                            int in = (ci * c->hi + iy) * c->wi + ix;
                            if (!act[in])
                                continue;
                            double w = conv ? (double)c->w[(((size_t)o * cin_g + cl) * c->kh + ky)
                                                           * c->kw + kx]
                                     : c->kind == REF_SUMPOOL ? 1.0
                                                              : (double)(1.0f / (float)(c->kh * c->kw));
                            y[out] += w * x[in];
                            recv[out] = 1;
                        }
                }
            }
}

static inline int ref_spike_count(double v, double thr, int multi)
{
    if (!(v > thr))
        return 0;
    int n = 1;
    while (multi && v - (double)(n)*thr > thr)
        n++;
    return n;
}

/* One step of one layer: x the summed input, recv who received any.
 * out[i] = spikes, or the sigma-delta change; 0 when silent. */
static inline void ref_layer_step(const ref_neuron *p, ref_state *s, const double *x,
                                  const uint8_t *recv, int step, double dt, double *out)
{
    for (int i = 0; i < s->n; i++) {
        out[i] = 0;
        int refr = s->refr_left[i] > 0;
        if (refr)
            s->refr_left[i]--;
        int eval = p->eval_all || recv[i] || (p->model == REF_SD && step == 0);
        if (!eval)
            continue;
        double b = p->bias_n ? p->bias_n[i] : p->bias;
        if (p->model == REF_SD) {
            s->v[i] += x[i];
            double a = p->relu && s->v[i] < 0 ? 0 : s->v[i];
            double q = p->thr > 0 ? p->thr * nearbyint(a / p->thr) : a;
            if (q != s->sdout[i]) {
                out[i] = q - s->sdout[i];
                s->sdout[i] = q;
            }
            continue;
        }
        if (refr)
            continue;
        double in = x[i] + b;
        if (p->model == REF_IF) {
            s->v[i] = s->v[i] + in;
        } else if (p->model == REF_LIF) {
            s->v[i] = s->v[i] + (dt / p->tau) * (p->v_leak - s->v[i] + p->r * in);
        } else {
            s->isyn[i] = s->isyn[i] + (dt / p->tau_syn) * (-s->isyn[i]) + in;
            s->v[i] = s->v[i] + (dt / p->tau) * (p->v_leak - s->v[i] + p->r * s->isyn[i]);
        }
        int n = ref_spike_count(s->v[i], p->thr, p->multi);
        if (n) {
            s->v[i] = p->subtract ? s->v[i] - (double)n * p->thr : p->v_reset;
            s->refr_left[i] = p->refractory;
            out[i] = n;
        }
    }
}

#endif
