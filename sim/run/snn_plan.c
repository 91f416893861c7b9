/* snn_plan.c -- spiking layers into neuron groups, connections, slices and
 * per-event costs; see snn_plan.h. */
#include "run/snn_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_npy.h"
#include "input/ev_reader.h"
#include "run/adapt_loma.h"
#include "run/snn_input.h"

typedef struct {
    const cfg_scenario *s;
    const cfg_layer *l;
    const char *wf;   /* the workload file, for positions */
    snn_plan *p;
    uint32_t idx;
    base_error *err;
} snn_build;

static int lfail(const snn_build *b, const char *fmt, const char *what)
{
    return base_fail_at(b->err, b->wf, b->l->line, b->l->col, "layer %s: %s%s", b->l->name,
                        fmt, what ? what : "");
}

static uint64_t dim_size(const cfg_layer *l, const char *name)
{
    int d = cfg_layer_dim(l, name);
    return d < 0 ? 1 : l->sizes[d];
}

/* Stride (coefficient of the output dim) and dilation (of the kernel dim)
 * of the relation for pr dim lhs (IX, IY), and its padding (before). */
static void relation(const cfg_layer *l, const char *lhs, uint32_t *stride, uint32_t *dil,
                     uint32_t *pad)
{
    *stride = *dil = 1;
    *pad = 0;
    for (int i = 0; i < l->n_relations; i++) {
        const cfg_relation *r = &l->relations[i];
        if (strcmp(r->lhs, lhs))
            continue;
        for (int t = 0; t < r->n_terms; t++) {
            if (r->dim[t][0] == 'O')
                *stride = (uint32_t)r->coef[t];
            else if (r->dim[t][0] == 'F')
                *dil = (uint32_t)r->coef[t];
        }
    }
    for (int i = 0; l->has_padding && i < l->n_pr_dims; i++)
        if (!strcmp(l->pr_dims[i], lhs))
            *pad = (uint32_t)l->padding[i][0];
}

static int is_pool(const cfg_layer *l)
{
    return !strcmp(l->operator_type, "Pooling") || !strcmp(l->operator_type, "AveragePool") ||
           !strcmp(l->operator_type, "MaxPool");
}

static int is_add(const cfg_layer *l) { return !strcmp(l->operator_type, "Add"); }

/* Layers whose output channels are G (pools and Add, as ZigZag writes
 * them), not K. */
static int g_channels(const cfg_layer *l) { return is_pool(l) || is_add(l); }

/* The connection's parameters from the layer's type and loop sizes; the
 * source shape is the previous layer's output, or (for the input layer)
 * what the layer's own sizes imply. */
static int derive_conn(snn_build *b, const conn_shape *src, conn_params *cp)
{
    const cfg_layer *l = b->l;
    memset(cp, 0, sizeof *cp);
    uint32_t sy, sx, dy, dx, py, px;
    relation(l, "IY", &sy, &dy, &py);
    relation(l, "IX", &sx, &dx, &px);
    uint32_t fy = (uint32_t)dim_size(l, "FY"), fx = (uint32_t)dim_size(l, "FX");
    uint32_t oy = (uint32_t)dim_size(l, "OY"), ox = (uint32_t)dim_size(l, "OX");
    int pool = is_pool(l);
    uint32_t ch = (uint32_t)(pool ? dim_size(l, "G") : dim_size(l, "C"));
    conn_shape own = {ch, (oy - 1) * sy + (fy - 1) * dy + 1 - 2 * py,
                      (ox - 1) * sx + (fx - 1) * dx + 1 - 2 * px};
    for (int i = 0; l->has_pr_sizes && i < l->n_pr_dims; i++) { /* the input's own size */
        if (!strcmp(l->pr_dims[i], "IY"))
            own.h = (uint32_t)l->pr_sizes[i];
        if (!strcmp(l->pr_dims[i], "IX"))
            own.w = (uint32_t)l->pr_sizes[i];
    }
    if (!strcmp(l->operator_type, "Gemm") || !strcmp(l->operator_type, "Dense")) {
        cp->kind = CONN_DENSE;
        cp->out_features = (uint32_t)dim_size(l, "K");
        cp->in = src ? *src : (conn_shape){ch * fy * fx, 1, 1};
        if ((uint64_t)cp->in.c * cp->in.h * cp->in.w != (uint64_t)ch * fy * fx * oy * ox)
            return lfail(b, "a Gemm's C x FY x FX must equal the neurons of its source", NULL);
        return 0;
    }
    if (is_add(l)) { /* element-wise: identity from each source, weight 1 */
        cp->kind = CONN_ADD;
        cp->in = src ? *src : (conn_shape){(uint32_t)dim_size(l, "G"), oy, ox};
        return 0;
    }
    if (strcmp(l->operator_type, "Conv") && !pool)
        return lfail(b, "event-driven layers take operator_type Conv, Pooling, AveragePool, "
                        "Gemm or Add so far, found ", l->operator_type);
    cp->kind = pool ? (!strcmp(l->operator_type, "AveragePool") ? CONN_AVG_POOL : CONN_SUM_POOL)
                    : CONN_CONV2D;
    cp->in = src ? *src : own;
    cp->out_channels = (uint32_t)dim_size(l, "K");
    cp->kh = fy;
    cp->kw = fx;
    cp->stride_h = sy;
    cp->stride_w = sx;
    cp->pad_h = pool ? 0 : py;
    cp->pad_w = pool ? 0 : px;
    cp->dil_h = pool ? 0 : dy;
    cp->dil_w = pool ? 0 : dx;
    if (cp->in.c != own.c) {
        char m[160];
        snprintf(m, sizeof m, "its loop sizes imply an input of %ux%ux%u, its source gives "
                 "%ux%ux%u", own.c, own.h, own.w, cp->in.c, cp->in.h, cp->in.w);
        return lfail(b, m, NULL);
    }
    return 0;
}

static void neuron_given(const cfg_neuron *n, const cfg_scenario *s, neu_params *np)
{
#define G(k) (n->given >> (k) & 1u)
    if (G(CFG_NEU_THRESHOLD)) np->threshold = n->threshold;
    if (G(CFG_NEU_RESET)) np->reset = n->reset_subtract ? NEU_RESET_SUBTRACT : NEU_RESET_ZERO;
    if (G(CFG_NEU_V_RESET)) np->v_reset = n->v_reset;
    if (G(CFG_NEU_BIAS)) np->bias = n->bias;
    if (G(CFG_NEU_REFRACTORY_STEPS)) np->refractory_steps = (uint32_t)n->refractory_steps;
    if (G(CFG_NEU_MULTI_SPIKE)) np->multi_spike = n->multi_spike;
    if (G(CFG_NEU_TAU_US)) np->tau_us = n->tau_us;
    if (G(CFG_NEU_V_LEAK)) np->v_leak = n->v_leak;
    if (G(CFG_NEU_R)) np->r = n->r;
    if (G(CFG_NEU_TAU_SYN_US)) np->tau_syn_us = n->tau_syn_us;
    if (G(CFG_NEU_ACT)) np->act = n->relu ? NEU_ACT_RELU : NEU_ACT_NONE;
    if (G(CFG_NEU_EVALUATE)) np->evaluate = n->evaluate_all ? NEU_EVAL_ALL : NEU_EVAL_INPUT;
    /* Older files: leak = fraction lost per step, v = (1 - leak) v + x,
     * which is forward-Euler LIF with dt/tau = leak and r = tau/dt. */
    if (G(CFG_NEU_LEAK) && n->leak > 0) {
        np->tau_us = (double)s->timestep_ps * 1e-6 / n->leak;
        np->r = 1.0 / n->leak;
    }
    if (G(CFG_NEU_REFRACTORY_PS) && s->timestep_ps)
        np->refractory_steps =
            (uint32_t)((n->refractory_ps + s->timestep_ps - 1) / s->timestep_ps);
    /* NIR's CubaLIF step i = i + b (-i + w_in x), b = dt/tau_syn, is the
     * model's i' = i' - b i' + x with i = b w_in i' (i is linear in x), so
     * v reads r i = (r b w_in) i'. */
    if (G(CFG_NEU_W_IN) && np->model == NEU_CUBA_LIF && s->timestep_ps)
        np->r *= (double)s->timestep_ps * 1e-6 / np->tau_syn_us * n->w_in;
#undef G
}

static int neuron_params(snn_build *b, neu_params *np)
{
    static const neu_model m[] = {NEU_IF, NEU_LIF, NEU_IF, NEU_CUBA_LIF, NEU_SIGMA_DELTA};
    const cfg_neuron *n = &b->l->neuron;
    if (n->model == CFG_NEURON_NONE)
        return lfail(b, "an event-driven run needs a neuron block on every layer", NULL);
    neu_params_default(np, m[n->model]);
    if ((n->given >> CFG_NEU_W_IN & 1u) && (n->model != CFG_NEURON_CUBA_LIF || !b->s->timestep_ps))
        return base_fail_at(b->err, b->wf, n->line, n->col, "layer %s: neuron.w_in: only a "
                            "cuba_lif layer in mode: timestep takes it", b->l->name);
    neuron_given(n, b->s, np);
    base_error e;
    if (neu_params_check(np, &e) != 0)
        return base_fail_at(b->err, b->wf, n->line, n->col, "layer %s: %s", b->l->name, e.msg);
    return 0;
}

/* Seeded weights are quantised to the layer's W precision (bits b:
 * multiples of scale / 2^(b-1), clamped to +-(2^(b-1) - 1) steps), so a
 * power-of-two scale gives exact dyadic weights. */
static void quantise(float *w, size_t n, double scale, int bits)
{
    if (bits < 2 || bits > 24)
        return;
    double q = ldexp(1.0, bits - 1), step = scale / q;
    for (size_t i = 0; i < n; i++) {
        double k = nearbyint((double)w[i] / step);
        k = k > q - 1 ? q - 1 : k < -(q - 1) ? -(q - 1) : k;
        w[i] = (float)(k * step);
    }
}

static int npy_weights_of(snn_build *b, const cfg_weights *cw, const conn_params *cp,
                          float *w, size_t n);

/* Keras layouts into ours: conv HWIO -> (K, C, FY, FX); dense (in, out),
 * its inputs flattened in (H, W, C) order -> (out, in) over (C, H, W). */
static int from_keras(const conn_params *cp, const float *k, float *w, size_t n)
{
    if (cp->kind == CONN_CONV2D) {
        if (cp->groups > 1)
            return -1;
        conn_weights_from_hwio(k, w, cp->kh, cp->kw, cp->in.c, cp->out_channels);
    } else if (cp->kind == CONN_DENSE) {
        conn_weights_from_keras_dense(k, w, cp->in, cp->out_features);
    } else {
        memcpy(w, k, n * sizeof *w);
    }
    return 0;
}

static int npy_weights(snn_build *b, const conn_params *cp, float *w, size_t n)
{
    return npy_weights_of(b, &b->l->weights, cp, w, n);
}

static int npy_weights_of(snn_build *b, const cfg_weights *cw, const conn_params *cp,
                          float *w, size_t n)
{
    cfg_npy a;
    base_error e;
    if (cfg_npy_read(cw->file, cw->scale, &a, &e) != 0)
        return base_fail_at(b->err, b->wf, cw->line, cw->col, "layer %s: weights %s: %s",
                            b->l->name, cw->file, e.msg);
    int rc = 0;
    if (a.count != n)
        rc = base_fail_at(b->err, b->wf, cw->line, cw->col, "layer %s: weights: %s holds %zu "
                          "values, the layer takes %zu (PyTorch layout: (out, in) or "
                          "(K, C, FY, FX))", b->l->name, cw->file, a.count, n);
    else if (!cw->keras)
        memcpy(w, a.data, n * sizeof *w);
    else if (from_keras(cp, a.data, w, n) != 0)
        rc = base_fail_at(b->err, b->wf, cw->line, cw->col, "layer %s: weights: layout keras "
                          "takes no grouped convolution", b->l->name);
    cfg_npy_free(&a);
    return rc;
}

static int make_conn(snn_build *b, const conn_params *cp, snn_layer *sl)
{
    conn_shape out;
    size_t nw;
    base_error e;
    if (conn_plan(cp, &out, &nw, &e) != 0)
        return lfail(b, e.msg, NULL);
    uint32_t och = (uint32_t)(g_channels(b->l) ? dim_size(b->l, "G") : dim_size(b->l, "K"));
    uint32_t oy = (uint32_t)dim_size(b->l, "OY"), ox = (uint32_t)dim_size(b->l, "OX");
    if (cp->kind != CONN_DENSE && (out.c != och || out.h != oy || out.w != ox)) {
        char m[200];
        snprintf(m, sizeof m, "its source (%ux%ux%u) gives an output of %ux%ux%u, its loop "
                 "sizes say %ux%ux%u", cp->in.c, cp->in.h, cp->in.w, out.c, out.h, out.w, och,
                 oy, ox);
        return lfail(b, m, NULL);
    }
    float *w = nw ? base_calloc(nw, sizeof *w) : NULL;
    if (nw && !w)
        return base_fail(b->err, "out of memory");
    const cfg_weights *cw = &b->l->weights;
    int rc = 0;
    if (nw && cw->data) {
        if (cw->n_data == nw)
            memcpy(w, cw->data, nw * sizeof *w);
        else
            rc = lfail(b, "its in-memory weights do not fit the layer", NULL);
    } else if (nw && cw->has_file)
        rc = npy_weights(b, cp, w, nw);
    else if (nw) {
        int wo = cfg_layer_operand(b->l, "W");
        rc = conn_weights_seeded(w, nw, cw->density, cw->scale,
                                 cw->has_seed ? cw->seed : b->s->seed, b->idx, &e);
        if (rc == 0)
            quantise(w, nw, cw->scale, wo >= 0 ? b->l->operands[wo].precision_bits : 0);
        else
            lfail(b, e.msg, NULL);
    }
    if (rc == 0 && !(sl->cn = conn_new(cp, w, nw, &e)))
        rc = lfail(b, e.msg, NULL);
    base_free(w);
    if (rc == 0) {
        sl->out = out;
        sl->n = out.c * out.h * out.w;
    }
    return rc;
}

/* weights.bias_file: one bias per output channel (broadcast over the
 * channel's neurons) or one per neuron, into sl->bias. */
static int npy_bias(snn_build *b, snn_layer *sl)
{
    const cfg_weights *cw = &b->l->weights;
    if (cw->bias_data) { /* in memory (a NIR file's), one per neuron */
        if (cw->n_bias_data != sl->n)
            return lfail(b, "its in-memory biases do not fit the layer", NULL);
        if (!(sl->bias = base_malloc(sl->n * sizeof *sl->bias)))
            return base_fail(b->err, "out of memory");
        memcpy(sl->bias, cw->bias_data, sl->n * sizeof *sl->bias);
        return 0;
    }
    if (!cw->has_bias_file)
        return 0;
    cfg_npy a;
    base_error e;
    if (cfg_npy_read(cw->bias_file, 1.0, &a, &e) != 0)
        return base_fail_at(b->err, b->wf, cw->line, cw->col, "layer %s: bias_file %s: %s",
                            b->l->name, cw->bias_file, e.msg);
    uint32_t per = sl->out.h * sl->out.w, ch = sl->n / (per ? per : 1);
    int rc = 0;
    if (a.count != ch && a.count != sl->n)
        rc = base_fail_at(b->err, b->wf, cw->line, cw->col, "layer %s: bias_file: %s holds "
                          "%zu values, the layer takes %u (per channel) or %u (per neuron)",
                          b->l->name, cw->bias_file, a.count, ch, sl->n);
    else if (!(sl->bias = base_calloc(sl->n, sizeof *sl->bias)))
        rc = base_fail(b->err, "out of memory");
    for (uint32_t i = 0; rc == 0 && i < sl->n; i++)
        sl->bias[i] = a.data[a.count == sl->n ? i : i / per];
    cfg_npy_free(&a);
    return rc;
}

/* The layer's cores (chip indices): its core_allocation, else every core. */
static uint32_t layer_cores(const snn_build *b, const cfg_map_entry *me, uint32_t *cores)
{
    const cfg_chip *chip = b->s->chip;
    uint32_t n = 0;
    if (!me || me->n_core_alloc == 0)
        for (int c = 0; c < chip->n_cores && n < CFG_MAX_CORE_ALLOC; c++)
            cores[n++] = (uint32_t)c;
    for (int i = 0; me && i < me->n_core_alloc; i++)
        cores[n++] = (uint32_t)cfg_chip_find_core(chip, me->core_alloc[i]);
    return n;
}

/* How many parts the inter_core_tiling asks for (over output channels). */
static int n_parts(snn_build *b, const cfg_map_entry *me, uint32_t n_cores, uint32_t *parts)
{
    const char *chan = g_channels(b->l) ? "G" : "K";
    *parts = 1;
    for (int i = 0; me && i < me->n_inter; i++) {
        const cfg_loop *t = &me->inter_tiling[i];
        if (cfg_layer_dim(b->l, t->dim) >= 0 && dim_size(b->l, t->dim) == 1)
            continue;
        if (strcmp(t->dim, chan)) {
            char m[200];
            snprintf(m, sizeof m, "inter_core_tiling over %s: event-driven layers are split "
                     "over output channels (%s) only so far", t->dim, chan);
            return base_fail_at(b->err, b->s->mapping_path, t->line, t->col, "layer %s: %s",
                                b->l->name, m);
        }
        *parts = t->factor == CFG_FACTOR_STAR ? n_cores
                 : t->factor == CFG_FACTOR_ALL ? UINT32_MAX : (uint32_t)t->factor;
    }
    return 0;
}

static int make_slices(snn_build *b, const cfg_map_entry *me, snn_layer *sl)
{
    uint32_t cores[CFG_MAX_CORE_ALLOC], parts;
    uint32_t nc = layer_cores(b, me, cores);
    if (n_parts(b, me, nc, &parts) != 0)
        return -1;
    uint32_t ch = sl->out.c, per = sl->out.h * sl->out.w;
    if (parts > ch)
        parts = ch;
    if (!(sl->slices = base_calloc(parts, sizeof *sl->slices)))
        return base_fail(b->err, "out of memory");
    sl->n_slices = parts;
    for (uint32_t i = 0; i < parts; i++) {
        uint32_t c0 = (uint32_t)((uint64_t)ch * i / parts);
        uint32_t c1 = (uint32_t)((uint64_t)ch * (i + 1) / parts);
        sl->slices[i] = (snn_slice){cores[i % nc], c0 * per, c1 * per};
    }
    return 0;
}

/* Cost per event: the mapper costs, on the core type of the layer's first
 * slice, the CN of one input event: every loop dim 1 except the output
 * channels (K, or G for pools) = the largest slice's channels. Its
 * latency and energy divided by those channels give the cycles and pJ of
 * one synaptic operation (one weight read, one accumulate into a neuron's
 * state); a neuron update is costed the same (one read-modify-write of
 * its state). Cached per (shape, core type) like every CN. */
static int snn_cost(snn_build *b, const cfg_map_entry *me, loma_cache *cache,
                    const loma_options *opt, snn_layer *sl)
{
    const cfg_chip *chip = b->s->chip;
    const cfg_core *core = &chip->types[chip->cores[sl->slices[0].core].type].core;
    adapt_loma_in *in = base_calloc(1, sizeof *in);
    if (!in)
        return base_fail(b->err, "out of memory");
    base_error le;
    int rc = -1;
    if (adapt_loma_all(core, b->l, me, in, &le) != 0) {
        lfail(b, le.msg, NULL);
        goto out;
    }
    uint32_t per = sl->out.h * sl->out.w, maxch = 0;
    for (uint32_t i = 0; i < sl->n_slices; i++) {
        uint32_t c = (sl->slices[i].hi - sl->slices[i].lo) / per;
        maxch = c > maxch ? c : maxch;
    }
    loma_layer shape = in->whole;
    const char *chan = g_channels(b->l) ? "G" : "K";
    for (int d = 0; d < shape.n_dims; d++)
        shape.dim_size[d] = !strcmp(shape.dim_name[d], chan) ? maxch : 1;
    loma_job job = adapt_loma_job(in, &shape, opt);
    loma_costed c;
    if (loma_cost(cache, &job, NULL, &c, &le) != 0) {
        lfail(b, le.msg, NULL);
        goto out;
    }
    b->p->mapper_searches += !c.from_cache;
    /* The top memory level is off-chip storage the event run does not
     * touch per event (weights and state stay on the core): its energy
     * and the on/off-loading through it are left out, as the dense plan
     * leaves out its top_pj. */
    const loma_result *r = c.r;
    double top_pj = 0;
    for (int op = 0; b->s->chip->n_memories > 0 && op < LOMA_N_OPS; op++)
        if (r->n_levels[op] > 0 && r->mem_of[op][r->n_levels[op] - 1] == in->core.n_mems - 1)
            top_pj += r->energy_level_pj[op][r->n_levels[op] - 1];
    double cyc = r->latency_cycles;
    if (b->s->chip->n_memories > 0)
        cyc -= r->onload_cycles + r->offload_cycles;
    sl->sop_cycles = sl->upd_cycles = (cyc > 0 ? cyc : r->ideal_cycles) / maxch;
    sl->sop_pj = sl->upd_pj = (r->energy_pj - top_pj) / maxch;
    rc = 0;
out:
    base_free(in);
    return rc;
}

/* The layer's sources from its input_source entries: the input trace (one
 * layer reads it), earlier layers, or recurrent ones (itself or later).
 * The first must be the trace or an earlier layer: it gives the shape. */
static int layer_sources(snn_build *b, snn_layer *sl)
{
    const cfg_layer *l = b->l;
    int n = l->n_sources > 0 ? l->n_sources : 1;
    sl->n_src = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        int src = l->n_sources > 0 ? l->source_layer[i] : l->input_source_layer;
        const char *name = l->n_sources > 0 ? l->sources[i] : l->input_source;
        sl->srcs[i] = src;
        sl->recurrent[i] = src >= 0 && (uint32_t)src >= b->idx;
        if (src < 0 && strcmp(name, "input"))
            return lfail(b, "input_source names no layer: ", name);
        if (src < 0 && b->p->input_layer != UINT32_MAX && b->p->input_layer != b->idx)
            return lfail(b, "only one layer can read the input trace so far", NULL);
        if (src < 0)
            b->p->input_layer = b->idx;
    }
    sl->src = sl->srcs[0];
    if (l->n_sources > 0 && l->source_own[0])
        return lfail(b, "the first input_source goes through the layer's connection (it "
                        "gives the input's shape): list {layer, weights} sources after it, "
                        "found ", l->sources[0]);
    if (sl->recurrent[0])
        return lfail(b, "the first input_source must be input or an earlier layer (it gives "
                        "the input's shape); recurrent sources follow it, found ",
                     l->n_sources > 0 ? l->sources[0] : l->input_source);
    return 0;
}

/* Sources that add must have one shape: the first's (the input trace's
 * is the connection's input). Called once every layer is built, for the
 * recurrent ones. */
static int check_source_shapes(const snn_plan *p, uint32_t i, const cfg_scenario *s,
                               base_error *err)
{
    const snn_layer *sl = &p->layers[i];
    conn_shape want = conn_get_params(sl->cn)->in;
    for (uint32_t k = 0; k < sl->n_src; k++) {
        if (sl->cfg->n_sources > 0 && sl->cfg->source_own[k])
            continue;
        conn_shape got = sl->srcs[k] < 0 ? want : p->layers[sl->srcs[k]].out;
        if ((uint64_t)got.c * got.h * got.w != conn_n_in(sl->cn) ||
            (conn_get_params(sl->cn)->kind != CONN_DENSE &&
             (got.c != want.c || got.h != want.h || got.w != want.w)))
            return base_fail_at(err, s->workload_path, sl->cfg->line, sl->cfg->col,
                                "layer %s: input_source %s gives %ux%ux%u, the layer reads "
                                "%ux%ux%u (sources add element-wise: one shape)",
                                sl->cfg->name, p->layers[sl->srcs[k]].cfg->name, got.c,
                                got.h, got.w, want.c, want.h, want.w);
    }
    return 0;
}

/* Source k of layer b->idx given as {layer, weights}: a dense projection
 * from that source's neurons onto the layer's, (out, in) weights in
 * memory (a NIR file's), from its NPY file, or seeded (stream = k << 32 | the layer's index) and
 * quantised like the layer's own. Built once every layer is, as the
 * source may be a later one. */
static int own_conn(snn_build *b, uint32_t k)
{
    snn_layer *sl = &b->p->layers[b->idx];
    const cfg_weights *cw = &b->l->source_weights[k];
    conn_params cp = {.kind = CONN_DENSE, .out_features = sl->n,
                      .in = {b->p->layers[sl->srcs[k]].n, 1, 1}};
    size_t nw = (size_t)cp.in.c * sl->n;
    float *w = base_calloc(nw, sizeof *w);
    if (!w)
        return base_fail(b->err, "out of memory");
    base_error e;
    int rc = 0, wo = cfg_layer_operand(b->l, "W");
    if (cw->data) /* in memory (a NIR file's), used as they are */
        rc = cw->n_data == nw ? (memcpy(w, cw->data, nw * sizeof *w), 0)
                              : lfail(b, "the in-memory weights of a source of its own do not "
                                      "fit (out = the layer's neurons, in = the source's)",
                                      NULL);
    else if (cw->has_file)
        rc = npy_weights_of(b, cw, &cp, w, nw);
    else if (conn_weights_seeded(w, nw, cw->density, cw->scale,
                                 cw->has_seed ? cw->seed : b->s->seed,
                                 (uint64_t)k << 32 | b->idx, &e) != 0)
        rc = lfail(b, e.msg, NULL);
    else
        quantise(w, nw, cw->scale, wo >= 0 ? b->l->operands[wo].precision_bits : 0);
    if (rc == 0 && !(sl->src_cn[k] = conn_new(&cp, w, nw, &e)))
        rc = lfail(b, e.msg, NULL);
    base_free(w);
    return rc;
}

static int build_layer(snn_build *b, const loma_options *opt, loma_cache *cache)
{
    snn_plan *p = b->p;
    snn_layer *sl = &p->layers[b->idx];
    const cfg_layer *l = b->l;
    sl->cfg = l;
    if (l->neuron.model == CFG_NEURON_NONE)
        return lfail(b, "an event-driven run needs a neuron block on every layer", NULL);
    if (layer_sources(b, sl) != 0)
        return -1;
    conn_params cp;
    const cfg_map_entry *me = cfg_mapping_find(b->s->mapping, l);
    if (!me)
        return lfail(b, "no mapping entry (by name, operator_type or `default`)", NULL);
    if (neuron_params(b, &sl->np) || derive_conn(b, sl->src >= 0 ? &p->layers[sl->src].out
                                                                   : NULL, &cp) ||
        make_conn(b, &cp, sl) || npy_bias(b, sl) || make_slices(b, me, sl) ||
        snn_cost(b, me, cache, opt, sl))
        return -1;
    if (p->input_layer == b->idx)
        p->in = cp.in;
    sl->value_bits = sl->np.model == NEU_SIGMA_DELTA || sl->np.multi_spike ? 16 : 0;
    return 0;
}

snn_plan *snn_plan_build(const cfg_scenario *s, const loma_options *opt, loma_cache *cache,
                         base_error *err)
{
    const cfg_workload *w = s->workload;
    snn_plan *p = base_calloc(1, sizeof *p);
    loma_cache *own = cache ? NULL : loma_cache_new();
    if (!p || (!cache && !own) || !(p->layers = base_calloc((size_t)w->n_layers + 1,
                                                            sizeof *p->layers))) {
        loma_cache_free(own);
        snn_plan_free(p);
        base_fail(err, "out of memory");
        return NULL;
    }
    p->n_layers = (uint32_t)w->n_layers;
    p->input_layer = UINT32_MAX;
    int rc = 0;
    for (uint32_t i = 0; i < p->n_layers && rc == 0; i++) {
        snn_build b = {s, &w->layers[i], s->workload_path, p, i, err};
        rc = build_layer(&b, opt, cache ? cache : own);
    }
    for (uint32_t i = 0; i < p->n_layers && rc == 0; i++) {
        snn_build b = {s, &w->layers[i], s->workload_path, p, i, err};
        for (int k = 0; k < w->layers[i].n_sources && rc == 0; k++)
            if (w->layers[i].source_own[k])
                rc = own_conn(&b, (uint32_t)k);
        if (rc == 0)
            rc = check_source_shapes(p, i, s, err);
    }
    loma_cache_free(own);
    if (rc == 0 && p->input_layer == UINT32_MAX)
        rc = base_fail(err, "%s: no layer reads the input trace (input_source: input)",
                       s->workload_path);
    if (rc != 0) {
        snn_plan_free(p);
        return NULL;
    }
    p->output_layer = p->n_layers - 1;
    return p;
}

void snn_plan_free(snn_plan *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; p->layers && i < p->n_layers; i++) {
        conn_free(p->layers[i].cn);
        for (uint32_t k = 0; k < CFG_MAX_SOURCES; k++)
            conn_free(p->layers[i].src_cn[k]);
        base_free(p->layers[i].slices);
        base_free(p->layers[i].bias);
    }
    base_free(p->layers);
    base_free(p);
}

/* The trace's sensor (when its header says) must fit the input layer
 * after input.crop and input.scale (snn_input.h). */
static int check_trace(const cfg_scenario *s, const snn_plan *p, base_error *err)
{
    ev_reader *r;
    base_error ee;
    snn_input_map mp;
    if (snn_input_map_init(&mp, s, p->in, err) != 0)
        return -1;
    if (ev_open(&r, s->input.path, ev_format_from_name(s->input.format[0] ? s->input.format
                                                                            : "auto"), &ee))
        return base_fail(err, "input.trace: %s", ee.msg);
    const ev_info *in = ev_get_info(r);
    int rc = snn_input_check_sensor(&mp, s, p->layers[p->input_layer].cfg->name, in->width,
                                    in->height, err);
    ev_close(r);
    return rc;
}

int snn_check(const cfg_scenario *s, base_error *err)
{
    loma_options opt = {.criterion = LOMA_CRIT_LATENCY, .lpf_limit = 6};
    snn_plan *p = snn_plan_build(s, &opt, NULL, err);
    if (!p)
        return -1;
    int rc = check_trace(s, p, err);
    snn_plan_free(p);
    return rc;
}
