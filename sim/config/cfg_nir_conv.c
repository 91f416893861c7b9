/* cfg_nir_conv.c -- a NIR graph into evsim's event-driven workload; see
 * cfg_nir.h and README.md "NIR networks".
 *
 * The graph is walked in order from its Input: a synaptic node (Affine,
 * Linear, Conv1d, Conv2d, SumPool2d, AvgPool2d) opens a layer, Scale nodes
 * after it fold into its weights, Flatten is the identity on (C, H, W)
 * row-major indices, and the neuron node that follows closes the layer. A
 * synaptic node followed by another one (a pool before a conv) becomes a
 * pass-through layer: sigma-delta neurons with threshold 0, which send on
 * each step's sum in that step. The layers are written as the workload
 * YAML the loader reads (so every check of a hand-written workload
 * applies), and the weights are then attached in memory. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_nir.h"

/* One evsim layer being built. */
typedef struct {
    int syn;           /* synaptic node */
    int neu;           /* neuron node, -1: pass-through */
    double scale;      /* Scale nodes folded into the weights and bias */
    double nfac;       /* the neuron's factor on all its input (IF: r) */
    double bias;       /* uniform bias, after scale */
    float *bv;         /* else per neuron (owned), n_bv values */
    size_t n_bv;
    int n_side;        /* sources of their own: Affine / Linear side nodes */
    int side[CFG_MAX_SOURCES - 1];
} nir_lay;

typedef struct {
    nir_graph *g;
    base_error *err;
    nir_lay *lay;
    int n_lay;
    int *side;         /* per node: the neuron node a side projection feeds, else -1 */
    int *lay_of;       /* per node: the layer whose output it is, else -1 */
} nir_cv;

static int cfail(const nir_cv *c, int node, const char *msg, const char *what)
{
    const nir_node *n = &c->g->nodes[node];
    return base_fail(c->err, "%s: node %s (%s): %s%s", c->g->file, n->name,
                     cfg_nir_type_name(n->type), msg, what ? what : "");
}

/* The single value of a parameter that must be the same for every neuron. */
static int uniform(const nir_cv *c, int node, const char *key, double def, double *out)
{
    const nir_param *p = cfg_nir_param(&c->g->nodes[node], key);
    *out = def;
    if (!p)
        return 0;
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i] != p->v[0]) {
            char m[160];
            snprintf(m, sizeof m, "%s: differs across neurons (%g, %g, ...): the chip takes one "
                     "value per layer so far", key, p->v[0], p->v[i]);
            return cfail(c, node, m, NULL);
        }
    *out = p->v[0];
    return 0;
}

static bool is_synaptic(nir_type t)
{
    return t == NIR_AFFINE || t == NIR_LINEAR || t == NIR_CONV1D || t == NIR_CONV2D ||
           t == NIR_SUMPOOL2D || t == NIR_AVGPOOL2D;
}

/* The one predecessor of node i, -1: none or several. */
static int pred(const nir_graph *g, int i)
{
    int p = -1, n = 0;
    for (int e = 0; e < g->n_edges; e++)
        if (g->edges[e].dst == i) {
            p = g->edges[e].src;
            n++;
        }
    return n == 1 ? p : -1;
}

/* A side projection: an Affine or Linear node read from a neuron node
 * and feeding only a neuron node N that has its main input besides --
 * through a recurrent edge (snnTorch's RLeaky / RSynaptic: lif1.w_rec ->
 * lif1.lif), or as N's second or later input. It becomes a source of
 * N's layer with weights of its own. Marks c->side. */
static void find_sides(nir_cv *c)
{
    const nir_graph *g = c->g;
    for (int s = 0; s < g->n_nodes; s++) {
        c->side[s] = -1;
        nir_type t = g->nodes[s].type;
        int p = pred(g, s), outs = 0, oe = -1;
        for (int e = 0; e < g->n_edges; e++)
            if (g->edges[e].src == s) {
                outs++;
                oe = e;
            }
        if ((t != NIR_AFFINE && t != NIR_LINEAR) || p < 0 || outs != 1 ||
            !cfg_nir_is_neuron(g->nodes[p].type))
            continue;
        int n = g->edges[oe].dst, first = -1;
        if (!cfg_nir_is_neuron(g->nodes[n].type))
            continue;
        for (int e = 0; e < g->n_edges; e++) /* N's first input in node order */
            if (g->edges[e].dst == n && !g->edges[e].recurrent &&
                (first < 0 || g->edges[e].src < first))
                first = g->edges[e].src;
        if (g->edges[oe].recurrent || (first >= 0 && first != s))
            c->side[s] = n;
    }
}

/* The chain the chip runs: one Input; apart from side projections (see
 * find_sides) no recurrent edge, one input and one successor per node. */
static int check_chain(const nir_cv *c)
{
    const nir_graph *g = c->g;
    for (int e = 0; e < g->n_edges; e++)
        if (g->edges[e].recurrent && c->side[g->edges[e].src] < 0) {
            char m[300];
            snprintf(m, sizeof m, "recurrent edge %s -> %s: the chip runs a recurrent edge "
                     "from an Affine or Linear node that reads a neuron node into a neuron "
                     "node", g->nodes[g->edges[e].src].name, g->nodes[g->edges[e].dst].name);
            return base_fail(c->err, "%s: %s", g->file, m);
        }
    int inputs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int outs = 0, ins = 0, sides = 0;
        for (int e = 0; e < g->n_edges; e++) {
            const nir_edge *ed = &g->edges[e];
            outs += ed->src == i && c->side[ed->dst] < 0;
            ins += ed->dst == i && !ed->recurrent && c->side[ed->src] < 0;
            sides += ed->dst == i && c->side[ed->src] >= 0;
        }
        inputs += g->nodes[i].type == NIR_INPUT;
        if (c->side[i] >= 0)
            continue;
        if (ins > 1)
            return cfail(c, i, "has several inputs: the chip adds a second input to a neuron "
                         "node only through an Affine or Linear node from a neuron node", NULL);
        if (sides > CFG_MAX_SOURCES - 1)
            return cfail(c, i, "has too many Affine / Linear inputs for one layer", NULL);
        if (outs > 1)
            return cfail(c, i, "feeds several nodes: branching graphs are not supported on "
                         "the chip yet (beyond Affine / Linear nodes into a neuron node)", NULL);
    }
    if (inputs != 1)
        return base_fail(c->err, "%s: the chip takes one Input node, the graph has %d", g->file,
                         inputs);
    return 0;
}

static void add_layer(nir_cv *c, int syn, int neu, double scale)
{
    c->lay[c->n_lay++] = (nir_lay){.syn = syn, .neu = neu, .scale = scale, .nfac = 1};
}

static int place_sides(nir_cv *c);

/* Walks the chain into layers (c->lay). */
static int walk(nir_cv *c)
{
    nir_graph *g = c->g;
    int pend = -1;
    double scale = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        nir_node *n = &g->nodes[i];
        double s;
        if (c->side[i] >= 0)
            continue;
        switch (n->type) {
        case NIR_INPUT:
        case NIR_FLATTEN: break;
        case NIR_SCALE:
            if (pend < 0)
                return cfail(c, i, "a Scale must follow a synaptic node (Affine, Linear, Conv, "
                             "pool) on the chip", NULL);
            if (uniform(c, i, "scale", 1, &s) != 0)
                return -1;
            scale *= s;
            break;
        case NIR_IF:
        case NIR_LIF:
        case NIR_CUBALIF:
            if (pend < 0)
                return cfail(c, i, "a neuron node must follow a synaptic node (Affine, Linear, "
                             "Conv, pool) on the chip", NULL);
            add_layer(c, pend, i, scale);
            pend = -1;
            break;
        case NIR_OUTPUT:
            if (pend >= 0)
                add_layer(c, pend, -1, scale);
            pend = -1;
            break;
        case NIR_THRESHOLD:
        case NIR_DELAY:
            return cfail(c, i, "this node type is not supported on the chip yet", NULL);
        default:
            if (!is_synaptic(n->type))
                return cfail(c, i, "unexpected node type", NULL);
            if (pend >= 0)
                add_layer(c, pend, -1, scale);
            pend = i;
            scale = 1;
        }
    }
    if (c->n_lay == 0)
        return base_fail(c->err, "%s: the graph has no synaptic node, so no layer", g->file);
    return place_sides(c);
}

/* Each side projection onto the layer of the neuron node it feeds, read
 * from the layer of the neuron node before it. */
static int place_sides(nir_cv *c)
{
    const nir_graph *g = c->g;
    for (int k = 0; k < c->n_lay; k++)
        c->lay_of[c->lay[k].neu >= 0 ? c->lay[k].neu : c->lay[k].syn] = k;
    for (int i = 0; i < g->n_nodes; i++) {
        if (c->side[i] < 0)
            continue;
        int k = c->lay_of[c->side[i]];
        int src = k < 0 ? -1 : c->lay_of[pred(g, i)];
        if (src < 0)
            return cfail(c, i, "an Affine / Linear input of a neuron node must read a neuron "
                         "node that is a layer of the chip", NULL);
        bool twice = k > 0 && src == k - 1; /* the main input's layer */
        for (int j = 0; j < c->lay[k].n_side; j++)
            twice |= c->lay_of[pred(g, c->lay[k].side[j])] == src;
        if (twice)
            return cfail(c, i, "reads a neuron node that already feeds the same neuron node "
                         "by another path: the chip takes each source of a layer once", NULL);
        c->lay[k].side[c->lay[k].n_side++] = i;
    }
    return 0;
}

static const char *lname(const nir_cv *c, int k)
{
    const nir_lay *l = &c->lay[k];
    return c->g->nodes[l->neu >= 0 ? l->neu : l->syn].name;
}

/* Node i's bias for output j of n (per output, or per channel: n outputs
 * over its values), 0 without one. */
static double bias_at(const nir_node *n, size_t j, size_t n_out)
{
    const nir_param *bp = cfg_nir_param(n, "bias");
    if (!bp || !bp->n)
        return 0;
    size_t per = n_out / bp->n ? n_out / bp->n : 1;
    return bp->v[j / per % bp->n];
}

/* The layer's bias per neuron: the synaptic node's times the scale plus
 * its side projections' (they add into the same input), times the
 * neuron's factor. One value: l->bias; else l->bv (owned). */
static int layer_bias(nir_cv *c, nir_lay *l)
{
    size_t n = (size_t)c->g->nodes[l->neu >= 0 ? l->neu : l->syn].n_out;
    bool same = true;
    double first = 0;
    for (size_t j = 0; j < n; j++) {
        double v = bias_at(&c->g->nodes[l->syn], j, n) * l->scale;
        for (int k = 0; k < l->n_side; k++)
            v += bias_at(&c->g->nodes[l->side[k]], j, n);
        v *= l->nfac;
        if (j == 0)
            first = v;
        if (v != first && same) {
            same = false;
            if (!(l->bv = base_malloc(n * sizeof *l->bv)))
                return base_fail(c->err, "out of memory");
            for (size_t i = 0; i < j; i++)
                l->bv[i] = first;
        }
        if (!same)
            l->bv[j] = v;
    }
    l->bias = same ? first : 0;
    l->n_bv = same ? 0 : n;
    return 0;
}

/* The neuron block, with r (IF) folded into the layer's factor, w_in
 * (CubaLIF) given as it is, and the bias from the synaptic node and the
 * side projections: one value, or one per neuron in memory. */
static int put_neuron(nir_cv *c, int k, base_text *t)
{
    nir_lay *l = &c->lay[k];
    if (l->neu < 0) {
        if (layer_bias(c, l) != 0)
            return -1;
        if (l->bias != 0 || l->n_bv)
            return cfail(c, l->syn, "bias: a synaptic node without a neuron after it must have "
                         "zero bias on the chip", NULL);
        base_text_put(t, "  neuron: {model: sigma_delta, threshold: 0, act: none}\n");
        return 0;
    }
    int n = l->neu;
    nir_type ty = c->g->nodes[n].type;
    double thr, vr, r, tau = 0, tsyn = 0, vl = 0, win = 1;
    if (uniform(c, n, "v_threshold", 1, &thr) || uniform(c, n, "v_reset", 0, &vr) ||
        uniform(c, n, "r", 1, &r) || uniform(c, n, "v_leak", 0, &vl) ||
        uniform(c, n, "tau", 0, &tau) || uniform(c, n, "tau_mem", tau, &tau) ||
        uniform(c, n, "tau_syn", 0, &tsyn) || uniform(c, n, "w_in", 1, &win))
        return -1;
    if (ty == NIR_IF)
        l->nfac = r; /* v += r x: the resistance scales the input */
    if (layer_bias(c, l) != 0)
        return -1;
    const char *model = ty == NIR_IF ? "if" : ty == NIR_LIF ? "lif" : "cuba_lif";
    base_text_put(t, "  neuron: {model: %s, threshold: %.17g, reset: zero, v_reset: %.17g", model, thr, vr);
    if (ty != NIR_IF)
        base_text_put(t, ", tau_us: %.17g, v_leak: %.17g, r: %.17g", tau * 1e6, vl, r);
    if (ty == NIR_CUBALIF) /* i = i + (dt/tau_syn) (-i + w_in x) */
        base_text_put(t, ", tau_syn_us: %.17g, w_in: %.17g", tsyn * 1e6, win);
    if (l->bias != 0)
        base_text_put(t, ", bias: %.17g", l->bias);
    /* Leaky neurons decay and a bias acts every step, input or not. */
    base_text_put(t, ", evaluate: %s}\n", ty != NIR_IF || l->bias != 0 || l->n_bv ? "all" : "input");
    return 0;
}

static uint32_t ipar(const nir_node *n, const char *key, int i)
{
    const nir_param *p = cfg_nir_param(n, key);
    return !p || !p->v ? 0 : (uint32_t)p->v[p->n == 1 ? 0 : i];
}

/* Conv1d / Conv2d / pools: loop sizes, relations, padding and the input
 * sizes (pr_loop_sizes: the stored shape, which a strided kernel may not
 * cover to its last row). */
static int put_window(nir_cv *c, int k, const nir_node *src, base_text *t)
{
    const nir_node *s = &c->g->nodes[c->lay[k].syn];
    bool pool = s->type == NIR_SUMPOOL2D || s->type == NIR_AVGPOOL2D, d1 = s->type == NIR_CONV1D;
    uint32_t ky, kx, sy = 1, sx, dy = 1, dx, py = 0, px;
    uint32_t ih = d1 ? 1 : src->shape[1], iw = d1 ? src->shape[1] : src->shape[2];
    uint32_t oh = d1 ? 1 : s->shape[1], ow = d1 ? s->shape[1] : s->shape[2];
    const nir_param *pp = cfg_nir_param(s, "padding");
    if (pool) {
        ky = ipar(s, "kernel_size", 0);
        kx = ipar(s, "kernel_size", 1);
        sy = ipar(s, "stride", 0);
        sx = ipar(s, "stride", 1);
        if (ipar(s, "padding", 0) || ipar(s, "padding", 1))
            return cfail(c, c->lay[k].syn, "padding: pools take no padding on the chip", NULL);
        dx = dy = 1;
        px = 0;
    } else {
        const nir_param *w = cfg_nir_param(s, "weight");
        if (ipar(s, "groups", 0) != 1)
            return cfail(c, c->lay[k].syn, "groups: only 1 is supported on the chip so far",
                         NULL);
        ky = d1 ? 1 : (uint32_t)w->dim[2];
        kx = (uint32_t)w->dim[d1 ? 2 : 3];
        sx = ipar(s, "stride", d1 ? 0 : 1);
        dx = ipar(s, "dilation", d1 ? 0 : 1);
        if (!d1) {
            sy = ipar(s, "stride", 0);
            dy = ipar(s, "dilation", 0);
        }
        bool same = pp->str && !strcmp(pp->str, "same");
        px = pp->str ? (same ? dx * (kx - 1) / 2 : 0) : ipar(s, "padding", d1 ? 0 : 1);
        py = pp->str ? (same ? dy * (ky - 1) / 2 : 0) : d1 ? 0 : ipar(s, "padding", 0);
    }
    if (pool)
        base_text_put(t, "  operator_type: %s\n  equation: O[b][g][oy][ox]+=W[fx][fy]*I[b][g][iy][ix]\n"
            "  loop_dims: [B, G, OY, OX, FX, FY]\n  loop_sizes: [1, %u, %u, %u, %u, %u]\n"
            "  operand_precision: {W: 0, I: 8, O: 16, O_final: 8}\n",
            s->type == NIR_SUMPOOL2D ? "Pooling" : "AveragePool", s->shape[0], oh, ow, kx, ky);
    else
        base_text_put(t, "  operator_type: Conv\n"
            "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
            "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, %u, %u, %u, %u, %u, %u]\n"
            "  operand_precision: {W: 8, I: 1, O: 16, O_final: 1}\n",
            s->shape[0], src->shape[0], oh, ow, ky, kx);
    base_text_put(t, "  dimension_relations: [ix=%u*ox+%u*fx, iy=%u*oy+%u*fy]\n", sx, dx, sy, dy);
    base_text_put(t, "  pr_loop_sizes: [%u, %u]\n", iw, ih);
    if (px || py)
        base_text_put(t, "  padding: [[%u, %u], [%u, %u]]\n", px, px, py, py);
    return 0;
}

static int put_layer(nir_cv *c, int k, base_text *t)
{
    const nir_node *s = &c->g->nodes[c->lay[k].syn];
    int si = -1;
    for (int e = 0; e < c->g->n_edges; e++)
        if (c->g->edges[e].dst == c->lay[k].syn)
            si = c->g->edges[e].src;
    const nir_node *src = &c->g->nodes[si];
    base_text_put(t, "- id: %d\n  name: \"%s\"\n", k, lname(c, k));
    int rc = 0;
    if (s->type == NIR_AFFINE || s->type == NIR_LINEAR)
        base_text_put(t, "  operator_type: Gemm\n"
            "  equation: O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]\n"
            "  dimension_relations: [ix=1*ox+1*fx, iy=1*oy+1*fy]\n"
            "  loop_dims: [B, K, C, OY, OX, FY, FX]\n  loop_sizes: [1, %u, %llu, 1, 1, 1, 1]\n"
            "  operand_precision: {W: 8, I: 1, O: 16, O_final: 1}\n",
            s->shape[0], (unsigned long long)src->n_out);
    else if ((s->type == NIR_CONV2D || s->type == NIR_SUMPOOL2D || s->type == NIR_AVGPOOL2D) &&
             src->rank != 3)
        rc = cfail(c, c->lay[k].syn, "expected a (C, H, W) input", NULL);
    else
        rc = put_window(c, k, src, t);
    if (rc == 0)
        rc = put_neuron(c, k, t);
    base_text_put(t, "  operand_source: {I: %d, W: %d}\n  input_source: [%s%s%s", k ? k - 1 : 0, k,
        k ? "\"" : "", k ? lname(c, k - 1) : "input", k ? "\"" : "");
    for (int j = 0; j < c->lay[k].n_side; j++)
        base_text_put(t, ", {layer: \"%s\"}", lname(c, c->lay_of[pred(c->g, c->lay[k].side[j])]));
    base_text_put(t, "]\n");
    return rc;
}

/* The weights of node syn times f into w's in-memory weights. */
static int attach_node(nir_cv *c, int syn, double f, cfg_weights *cw)
{
    const nir_param *w = cfg_nir_param(&c->g->nodes[syn], "weight");
    if (!w)
        return 0;
    float *d = base_malloc(w->n * sizeof *d);
    if (!d)
        return base_fail(c->err, "out of memory");
    for (size_t i = 0; i < w->n; i++)
        d[i] = (float)(w->v[i] * f);
    cw->data = d;
    cw->n_data = w->n;
    return 0;
}

/* The weights of layer k, scaled, into l's in-memory weights; those of
 * its side projections into its sources' own (entries 1.., in order). */
static int attach(nir_cv *c, int k, cfg_layer *l)
{
    const nir_lay *y = &c->lay[k];
    if (attach_node(c, y->syn, y->scale * y->nfac, &l->weights) != 0)
        return -1;
    for (int j = 0; j < y->n_side; j++)
        if (attach_node(c, y->side[j], y->nfac, &l->source_weights[j + 1]) != 0)
            return -1;
    if (y->n_bv) { /* the layer's bias per neuron */
        if (!(l->weights.bias_data = base_malloc(y->n_bv * sizeof *l->weights.bias_data)))
            return base_fail(c->err, "out of memory");
        memcpy(l->weights.bias_data, y->bv, y->n_bv * sizeof *y->bv);
        l->weights.n_bias_data = y->n_bv;
    }
    return 0;
}

static cfg_workload *to_workload(nir_cv *c, const char *text, size_t len)
{
    base_errors le;
    base_errors_init(&le);
    char disp[BASE_PATH_MAX + 16];
    snprintf(disp, sizeof disp, "%s (as layers)", c->g->file);
    cfg_workload *w = cfg_workload_load_string(text, len, disp, &le);
    if (!w) {
        char b[BASE_MSG_MAX];
        base_fail(c->err, "%s: converted layers do not load: %s", c->g->file,
                  le.count ? base_error_str(&le.items[0], b, sizeof b) : "?");
        base_errors_clear(&le);
        return NULL;
    }
    base_errors_clear(&le);
    for (int k = 0; k < w->n_layers; k++) {
        w->layers[k].line = w->layers[k].col = 0; /* positions of the text, not the file */
        w->layers[k].neuron.line = w->layers[k].neuron.col = 0;
        if (attach(c, k, &w->layers[k]) != 0) {
            cfg_workload_free(w);
            return NULL;
        }
    }
    return w;
}

cfg_workload *cfg_nir_workload(nir_graph *g, base_error *err)
{
    size_t nn = (size_t)g->n_nodes + 1;
    nir_cv c = {g, err, base_calloc(nn, sizeof *c.lay), 0, base_calloc(nn, sizeof *c.side),
                base_calloc(nn, sizeof *c.lay_of)};
    base_text t = {0};
    cfg_workload *w = NULL;
    if (!c.lay || !c.side || !c.lay_of) {
        base_free(c.lay);
        base_free(c.side);
        base_free(c.lay_of);
        base_fail(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < g->n_nodes; i++)
        c.lay_of[i] = -1;
    find_sides(&c);
    int rc = check_chain(&c);
    if (rc == 0)
        rc = walk(&c);
    for (int k = 0; rc == 0 && k < c.n_lay; k++)
        rc = put_layer(&c, k, &t);
    if (rc == 0 && t.oom)
        rc = base_fail(err, "out of memory");
    if (rc == 0)
        w = to_workload(&c, t.buf, t.len);
    for (int k = 0; w && k < c.n_lay; k++) {
        g->nodes[c.lay[k].syn].layer = k;
        if (c.lay[k].neu >= 0)
            g->nodes[c.lay[k].neu].layer = k;
        for (int j = 0; j < c.lay[k].n_side; j++) {
            g->nodes[c.lay[k].side[j]].layer = k;
            g->nodes[c.lay[k].side[j]].own_source = true;
        }
    }
    base_free(t.buf);
    for (int k = 0; k < c.n_lay; k++)
        base_free(c.lay[k].bv);
    base_free(c.lay);
    base_free(c.side);
    base_free(c.lay_of);
    return w;
}

cfg_workload *cfg_nir_workload_load_file(const char *path, base_errors *err)
{
    base_error e;
    base_error_clear(&e);
    nir_graph *g = cfg_nir_load(path, &e);
    cfg_workload *w = g ? cfg_nir_workload(g, &e) : NULL;
    cfg_nir_free(g);
    if (!w)
        base_errors_add(err, &e);
    return w;
}
