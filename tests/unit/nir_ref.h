/* nir_ref.h -- a plain time-stepped interpreter of NIR graphs,
 * written from NIR's node definitions and nothing of the simulator: it
 * reads the nodes as cfg_nir_load gives them (the tensors of the file) and
 * steps every node in graph order on dense arrays -- Conv2d as a gather
 * over its window with zero padding, pools as window sums, Affine as a
 * matrix-vector product, IF / LIF / CubaLIF as their forward-Euler steps
 * (README.md "NIR networks"). It never sees the conversion into evsim
 * layers (no folding, no pass-through layers, no slices).
 *
 * Several edges into a node add (NIR's rule). A recurrent edge carries
 * its source's output of the previous step (NIR / snnTorch: a spike of
 * step s reaches the node in step s + 1): the nodes are stepped in graph
 * order, which the recurrent edges go against, so the source's array
 * still holds the previous step's output when its target reads it.
 * Before step 0 every node's output is what it gives on the zero initial
 * state: an Affine / Linear / Conv2d its bias (snnTorch's recurrent
 * Linear on the initial zero spikes), everything else 0.
 *
 * Sums of synaptic inputs follow the documented accumulation rule of the
 * neuron model (models/neuron/neuron.h): each input (one event, or one
 * value from a node that passes on a sum) times its weight is rounded to
 * 32.32 fixed point and summed exactly; an Input count of k events is k
 * such inputs. So the reference and the chip add the same numbers. */
#ifndef EVSIM_NIR_REF_H
#define EVSIM_NIR_REF_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_nir.h"

typedef struct {
    const nir_graph *g;
    double **out;     /* per node: this step's output */
    double **v, **i;  /* per neuron node: membrane, synaptic current */
    uint64_t *nonzero;/* per node: outputs != 0 over the run */
    double **count;   /* per node: sum of outputs per element over the run */
    double **sum;     /* per node: the sum of several (or recurrent) inputs */
    int *cut;         /* per edge: 1 to leave it out (a test's what-if) */
} nref;

static int64_t nref_fx(double x)
{
    return (int64_t)nearbyint(x * 4294967296.0);
}

static double nref_p(const nir_node *n, const char *key, size_t i, double def)
{
    const nir_param *p = cfg_nir_param(n, key);
    return !p || !p->v ? def : p->v[p->n == 1 ? 0 : i];
}

static void nref_init(nref *r, const nir_graph *g)
{
    r->g = g;
    r->out = calloc((size_t)g->n_nodes, sizeof *r->out);
    r->v = calloc((size_t)g->n_nodes, sizeof *r->v);
    r->i = calloc((size_t)g->n_nodes, sizeof *r->i);
    r->count = calloc((size_t)g->n_nodes, sizeof *r->count);
    r->nonzero = calloc((size_t)g->n_nodes, sizeof *r->nonzero);
    r->sum = calloc((size_t)g->n_nodes, sizeof *r->sum);
    r->cut = calloc((size_t)g->n_edges + 1, sizeof *r->cut);
    for (int k = 0; k < g->n_nodes; k++) {
        size_t n = (size_t)g->nodes[k].n_out;
        r->out[k] = calloc(n, sizeof(double));
        r->v[k] = calloc(n, sizeof(double));
        r->i[k] = calloc(n, sizeof(double));
        r->count[k] = calloc(n, sizeof(double));
        size_t ns = n;
        for (int e = 0; e < g->n_edges; e++)
            if (g->edges[e].dst == k && g->nodes[g->edges[e].src].n_out > ns)
                ns = (size_t)g->nodes[g->edges[e].src].n_out;
        r->sum[k] = calloc(ns, sizeof(double));
        const nir_node *nd = &g->nodes[k];
        if (nd->type == NIR_AFFINE || nd->type == NIR_LINEAR || nd->type == NIR_CONV2D)
            for (size_t j = 0; j < n; j++) /* the output on a zero input */
                r->out[k][j] = nref_p(nd, "bias", nd->type == NIR_CONV2D
                                      ? j / (n / nd->shape[0]) : j, 0);
    }
}

static void nref_free(nref *r)
{
    for (int k = 0; k < r->g->n_nodes; k++) {
        free(r->out[k]);
        free(r->v[k]);
        free(r->i[k]);
        free(r->count[k]);
        free(r->sum[k]);
    }
    free(r->sum);
    free(r->cut);
    free(r->out);
    free(r->v);
    free(r->i);
    free(r->count);
    free(r->nonzero);
}

/* w times an input x: x events of weight w from the Input, else one
 * value x. */
static int64_t nref_syn(double w, double x, int from_input)
{
    return from_input ? (int64_t)x * nref_fx(w) : nref_fx(w * x);
}

static void nref_conv(const nir_node *n, const nir_node *s, const double *x, double *y,
                      int from_input)
{
    const nir_param *w = cfg_nir_param(n, "weight");
    int co = (int)w->dim[0], cg = (int)w->dim[1], kh = (int)w->dim[2], kw = (int)w->dim[3];
    int g = (int)nref_p(n, "groups", 0, 1), per = co / g;
    int hi = (int)s->shape[1], wi = (int)s->shape[2], ho = (int)n->shape[1], wo = (int)n->shape[2];
    int sh = (int)nref_p(n, "stride", 0, 1), sw = (int)nref_p(n, "stride", 1, 1);
    int ph = (int)nref_p(n, "padding", 0, 0), pw = (int)nref_p(n, "padding", 1, 0);
    int dh = (int)nref_p(n, "dilation", 0, 1), dw = (int)nref_p(n, "dilation", 1, 1);
    for (int o = 0; o < co; o++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                int64_t acc = 0;
                for (int c = 0; c < cg; c++)
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            int iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
                            if (iy < 0 || iy >= hi || ix < 0 || ix >= wi)
                                continue;
                            double in = x[((size_t)(o / per * cg + c) * hi + iy) * wi + ix];
                            if (in != 0)
                                acc += nref_syn(w->v[(((size_t)o * cg + c) * kh + ky) * kw + kx],
                                                in, from_input);
                        }
                y[((size_t)o * ho + oy) * wo + ox] = (double)acc / 4294967296.0 +
                                                     nref_p(n, "bias", (size_t)o, 0);
            }
}

static void nref_pool(const nir_node *n, const nir_node *s, const double *x, double *y)
{
    int k0 = (int)nref_p(n, "kernel_size", 0, 1), k1 = (int)nref_p(n, "kernel_size", 1, 1);
    int s0 = (int)nref_p(n, "stride", 0, 1), s1 = (int)nref_p(n, "stride", 1, 1);
    int hi = (int)s->shape[1], wi = (int)s->shape[2], ho = (int)n->shape[1], wo = (int)n->shape[2];
    for (int c = 0; c < (int)n->shape[0]; c++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                double sum = 0;
                for (int ky = 0; ky < k0; ky++)
                    for (int kx = 0; kx < k1; kx++)
                        sum += x[((size_t)c * hi + oy * s0 + ky) * wi + ox * s1 + kx];
                y[((size_t)c * ho + oy) * wo + ox] =
                    n->type == NIR_AVGPOOL2D ? sum / (k0 * k1) : sum;
            }
}

static void nref_affine(const nir_node *n, const double *x, double *y, int from_input)
{
    const nir_param *w = cfg_nir_param(n, "weight");
    size_t no = w->dim[0], ni = w->dim[1];
    for (size_t o = 0; o < no; o++) {
        int64_t acc = 0;
        for (size_t j = 0; j < ni; j++)
            if (x[j] != 0)
                acc += nref_syn(w->v[o * ni + j], x[j], from_input);
        y[o] = (double)acc / 4294967296.0 + nref_p(n, "bias", o, 0);
    }
}

/* IF: v += r x; LIF: v += dt/tau (v_leak - v + r x); CubaLIF: i += dt/tau_syn
 * (-i + w_in x), then v += dt/tau_mem (v_leak - v + r i) from the new i. Spike when v > v_threshold, then v =
 * v_reset (0 when the file has none). */
static void nref_neuron(nref *r, int k, const double *x, double dt_s)
{
    const nir_node *n = &r->g->nodes[k];
    for (size_t j = 0; j < n->n_out; j++) {
        double *v = &r->v[k][j], *i = &r->i[k][j];
        double rr = nref_p(n, "r", j, 1), vl = nref_p(n, "v_leak", j, 0);
        if (n->type == NIR_IF)
            *v += rr * x[j];
        else if (n->type == NIR_LIF)
            *v += dt_s / nref_p(n, "tau", j, 1) * (vl - *v + rr * x[j]);
        else {
            *i += dt_s / nref_p(n, "tau_syn", j, 1) * (-*i + nref_p(n, "w_in", j, 1) * x[j]);
            *v += dt_s / nref_p(n, "tau_mem", j, 1) * (vl - *v + rr * *i);
        }
        r->out[k][j] = *v > nref_p(n, "v_threshold", j, 1);
        if (r->out[k][j] != 0)
            *v = nref_p(n, "v_reset", j, 0);
    }
}

/* One step; input: the Input node's values (event counts per element). */
static void nref_step(nref *r, const double *input, double dt_s)
{
    const nir_graph *g = r->g;
    for (int k = 0; k < g->n_nodes; k++) {
        const nir_node *n = &g->nodes[k];
        int si = -1, n_in = 0, rec = 0;
        for (int e = 0; e < g->n_edges; e++)
            if (g->edges[e].dst == k && !r->cut[e]) {
                si = n_in++ ? si : g->edges[e].src;
                rec |= g->edges[e].recurrent;
            }
        const double *x = si >= 0 ? r->out[si] : input;
        int from_input = si >= 0 && g->nodes[si].type == NIR_INPUT;
        if (n_in > 1 || rec) { /* the inputs add; a recurrent one: last step's */
            size_t ni = (size_t)g->nodes[si].n_out;
            memset(r->sum[k], 0, ni * sizeof(double));
            for (int e = 0; e < g->n_edges; e++)
                if (g->edges[e].dst == k && !r->cut[e])
                    for (size_t j = 0; j < ni; j++)
                        r->sum[k][j] += r->out[g->edges[e].src][j];
            x = r->sum[k];
            from_input = 0;
        }
        size_t nb = (size_t)n->n_out * sizeof(double);
        switch (n->type) {
        case NIR_INPUT: memcpy(r->out[k], input, nb); break;
        case NIR_CONV2D: nref_conv(n, &g->nodes[si], x, r->out[k], from_input); break;
        case NIR_SUMPOOL2D:
        case NIR_AVGPOOL2D: nref_pool(n, &g->nodes[si], x, r->out[k]); break;
        case NIR_AFFINE:
        case NIR_LINEAR: nref_affine(n, x, r->out[k], from_input); break;
        case NIR_IF:
        case NIR_LIF:
        case NIR_CUBALIF: nref_neuron(r, k, x, dt_s); break;
        default: memcpy(r->out[k], x, nb); break; /* Flatten, Output */
        }
        for (size_t j = 0; j < n->n_out; j++) {
            r->nonzero[k] += r->out[k][j] != 0;
            r->count[k][j] += r->out[k][j];
        }
    }
}

#endif
