/* cfg_nir_graph.c -- the checks of a NIR graph once read: recurrent edges
 * (an edge closing a cycle that passes through a neuron: the neuron's
 * state carries the signal to the next step), the topological order of
 * the rest, and the shapes from the Input on; see cfg_nir.h. */
#include <stdio.h>
#include <string.h>

#include "config/cfg_nir.h"

typedef struct {
    nir_graph *g;
    char *color;   /* 0 unseen, 1 on the DFS path, 2 done */
    int *path;     /* the DFS path */
    int depth;
    base_error *err;
} nir_dfs;

/* The back edge e closes the cycle path[k..depth-1] -> dst. */
static int back_edge(nir_dfs *d, int e)
{
    nir_graph *g = d->g;
    int k = d->depth - 1;
    while (k > 0 && d->path[k] != g->edges[e].dst)
        k--;
    bool neuron = false;
    for (int i = k; i < d->depth; i++)
        neuron |= cfg_nir_is_neuron(g->nodes[d->path[i]].type);
    if (neuron) {
        g->edges[e].recurrent = true;
        g->n_recurrent++;
        return 0;
    }
    char cyc[BASE_MSG_MAX / 2] = "";
    for (int i = k; i < d->depth; i++) {
        size_t l = strlen(cyc);
        snprintf(cyc + l, sizeof cyc - l, "%s -> ", g->nodes[d->path[i]].name);
    }
    size_t l = strlen(cyc);
    snprintf(cyc + l, sizeof cyc - l, "%s", g->nodes[g->edges[e].dst].name);
    return base_fail(d->err, "%s: the cycle %s passes through no neuron (IF, LIF, CubaLIF): "
                     "it is not a recurrent edge and has no step to break it", g->file, cyc);
}

static int dfs(nir_dfs *d, int v)
{
    d->color[v] = 1;
    d->path[d->depth++] = v;
    for (int e = 0; e < d->g->n_edges; e++) {
        if (d->g->edges[e].src != v)
            continue;
        int w = d->g->edges[e].dst;
        int rc = d->color[w] == 1 ? back_edge(d, e) : d->color[w] == 0 ? dfs(d, w) : 0;
        if (rc != 0)
            return rc;
    }
    d->depth--;
    d->color[v] = 2;
    return 0;
}

/* Kahn's order over the non-recurrent edges, the lowest index first among
 * the ready nodes; then the nodes and edges are renumbered in it. */
static int topo(nir_graph *g, int *order, base_error *err)
{
    int n = g->n_nodes, done = 0;
    int *indeg = base_calloc((size_t)n, sizeof *indeg), *pos = base_calloc((size_t)n, sizeof *pos);
    nir_node *nodes = base_calloc((size_t)n, sizeof *nodes);
    if (!indeg || !pos || !nodes) {
        base_free(indeg);
        base_free(pos);
        base_free(nodes);
        return base_fail(err, "out of memory");
    }
    for (int e = 0; e < g->n_edges; e++)
        indeg[g->edges[e].dst] += !g->edges[e].recurrent;
    for (; done < n; done++) {
        int v = -1;
        for (int i = 0; i < n && v < 0; i++)
            if (indeg[i] == 0)
                v = i;
        if (v < 0)
            break;
        indeg[v] = -1;
        order[done] = v;
        for (int e = 0; e < g->n_edges; e++)
            if (g->edges[e].src == v && !g->edges[e].recurrent)
                indeg[g->edges[e].dst]--;
    }
    for (int i = 0; i < n; i++) {
        pos[order[i]] = i;
        nodes[i] = g->nodes[order[i]];
    }
    memcpy(g->nodes, nodes, (size_t)n * sizeof *nodes);
    for (int e = 0; e < g->n_edges; e++) {
        g->edges[e].src = pos[g->edges[e].src];
        g->edges[e].dst = pos[g->edges[e].dst];
    }
    base_free(indeg);
    base_free(pos);
    base_free(nodes);
    return 0;
}

int cfg_nir_order(nir_graph *g, base_error *err)
{
    int n = g->n_nodes;
    nir_dfs d = {g, base_calloc((size_t)n, 1), base_calloc((size_t)n, sizeof(int)), 0, err};
    int *order = base_calloc((size_t)n, sizeof *order);
    int rc = 0, inputs = 0;
    if (!d.color || !d.path || !order)
        rc = base_fail(err, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++)
        if (g->nodes[i].type == NIR_INPUT) {
            inputs++;
            if (d.color[i] == 0)
                rc = dfs(&d, i);
        }
    if (rc == 0 && inputs == 0)
        rc = base_fail(err, "%s: the graph has no Input node", g->file);
    for (int i = 0; rc == 0 && i < n; i++)
        if (!d.color[i])
            rc = base_fail(err, "%s: node %s (%s) is not reached from the Input", g->file,
                           g->nodes[i].name, cfg_nir_type_name(g->nodes[i].type));
    if (rc == 0)
        rc = topo(g, order, err);
    base_free(d.color);
    base_free(d.path);
    base_free(order);
    return rc;
}

/* ---- shapes --------------------------------------------------------- */

typedef struct {
    nir_graph *g;
    nir_node *n;
    base_error *err;
} nir_sh;

static int nfail(const nir_sh *s, const char *key, const char *fmt, const char *what)
{
    return base_fail(s->err, "%s: node %s (%s)%s%s: %s%s", s->g->file, s->n->name,
                     cfg_nir_type_name(s->n->type), key ? ": " : "", key ? key : "", fmt,
                     what ? what : "");
}

static const char *shape_str(const uint32_t *sh, int rank, char *buf, size_t len)
{
    buf[0] = 0;
    for (int i = 0; i < rank; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%u", i ? "x" : "", sh[i]);
    }
    if (rank == 0)
        snprintf(buf, len, "scalar");
    return buf;
}

static void set_shape(nir_node *n, int rank, const uint32_t *sh)
{
    n->rank = rank;
    n->n_out = 1;
    for (int i = 0; i < rank; i++)
        n->n_out *= (n->shape[i] = sh[i]);
}

/* A 1- or 2-value integer parameter (stride, padding, ...) as nd values. */
static int pair(const nir_sh *s, const char *key, int nd, uint32_t *out, uint32_t min)
{
    const nir_param *p = cfg_nir_param(s->n, key);
    if (!p->v || (p->n != 1 && p->n != (size_t)nd))
        return nfail(s, key, nd == 2 ? "expected 1 or 2 integers" : "expected 1 integer", NULL);
    for (int i = 0; i < nd; i++) {
        double v = p->v[p->n == 1 ? 0 : i];
        if (v != (double)(uint32_t)v || v < min || v > 65535)
            return nfail(s, key, min ? "expected positive integers" : "expected integers >= 0",
                         NULL);
        out[i] = (uint32_t)v;
    }
    return 0;
}

/* Synapses of a window over one dim: sum over kernel taps of the outputs
 * that read an in-range input. */
static uint64_t taps(uint32_t in, uint32_t k, uint32_t st, uint32_t pad, uint32_t dil,
                     uint32_t out)
{
    uint64_t t = 0;
    for (uint32_t j = 0; j < k; j++)
        for (uint32_t o = 0; o < out; o++) {
            int64_t x = (int64_t)o * st + (int64_t)j * dil - pad;
            t += x >= 0 && x < in;
        }
    return t;
}

/* Conv1d / Conv2d: weight (C_out, C_in / groups, k...), PyTorch layout. */
static int conv_shape(nir_sh *s, const nir_node *src)
{
    int nd = s->n->type == NIR_CONV2D ? 2 : 1;
    const nir_param *w = cfg_nir_param(s->n, "weight");
    if (w->rank != nd + 2 || !w->v)
        return nfail(s, "weight", nd == 2 ? "expected 4 dimensions (C_out, C_in/groups, kH, kW)"
                                          : "expected 3 dimensions (C_out, C_in/groups, k)",
                     NULL);
    if (src->rank != nd + 1) {
        char b[64];
        return nfail(s, NULL, "its input does not chain: expected (C, H, W) (Conv1d: (C, L)), "
                     "found ", shape_str(src->shape, src->rank, b, sizeof b));
    }
    uint32_t st[2], pad[2] = {0, 0}, dil[2], k[2] = {(uint32_t)w->dim[2], 1}, grp;
    if (nd == 2)
        k[1] = (uint32_t)w->dim[3];
    const nir_param *pp = cfg_nir_param(s->n, "padding");
    if (pair(s, "stride", nd, st, 1) || pair(s, "dilation", nd, dil, 1) ||
        pair(s, "groups", 1, &grp, 1))
        return -1;
    if (pp->str && !strcmp(pp->str, "same"))
        for (int i = 0; i < nd; i++)
            pad[i] = dil[i] * (k[i] - 1) / 2;
    else if (pp->str && strcmp(pp->str, "valid"))
        return nfail(s, "padding", "expected integers, same or valid, found ", pp->str);
    else if (!pp->str && pair(s, "padding", nd, pad, 0))
        return -1;
    uint32_t cout = (uint32_t)w->dim[0], cin = (uint32_t)w->dim[1] * grp;
    if (cin != src->shape[0] || cout % grp) {
        char m[160];
        snprintf(m, sizeof m, "takes %u input channels (C_in/groups %u x groups %u), its input "
                 "has %u", cin, (uint32_t)w->dim[1], grp, src->shape[0]);
        return nfail(s, "weight", m, NULL);
    }
    const nir_param *b = cfg_nir_param(s->n, "bias");
    if (!b->v || (b->n != cout && b->n != 1))
        return nfail(s, "bias", "expected one value per output channel", NULL);
    uint32_t out[3] = {cout, 1, 1};
    uint64_t syn = (uint64_t)cout * (w->dim[1]);
    for (int i = 0; i < nd; i++) {
        int64_t span = (int64_t)src->shape[1 + i] + 2 * pad[i] - (int64_t)dil[i] * (k[i] - 1) - 1;
        if (span < 0)
            return nfail(s, "weight", "the kernel is larger than the padded input", NULL);
        out[1 + i] = (uint32_t)(span / st[i] + 1);
        syn *= taps(src->shape[1 + i], k[i], st[i], pad[i], dil[i], out[1 + i]);
    }
    set_shape(s->n, nd + 1, out);
    s->n->synapses = syn;
    return 0;
}

static int pool_shape(nir_sh *s, const nir_node *src)
{
    uint32_t k[2], st[2], pad[2];
    if (pair(s, "kernel_size", 2, k, 1) || pair(s, "stride", 2, st, 1) ||
        pair(s, "padding", 2, pad, 0))
        return -1;
    if (src->rank != 3) {
        char b[64];
        return nfail(s, NULL, "its input does not chain: expected (C, H, W), found ",
                     shape_str(src->shape, src->rank, b, sizeof b));
    }
    uint32_t out[3] = {src->shape[0], 1, 1};
    uint64_t syn = src->shape[0];
    for (int i = 0; i < 2; i++) {
        int64_t span = (int64_t)src->shape[1 + i] + 2 * pad[i] - k[i];
        if (span < 0)
            return nfail(s, "kernel_size", "the window is larger than the input", NULL);
        out[1 + i] = (uint32_t)(span / st[i] + 1);
        syn *= taps(src->shape[1 + i], k[i], st[i], pad[i], 1, out[1 + i]);
    }
    set_shape(s->n, 3, out);
    s->n->synapses = syn;
    return 0;
}

static int affine_shape(nir_sh *s, const nir_node *src)
{
    const nir_param *w = cfg_nir_param(s->n, "weight");
    if (w->rank != 2 || !w->v)
        return nfail(s, "weight", "expected 2 dimensions (out, in)", NULL);
    if (w->dim[1] != src->n_out) {
        char m[160], b[64];
        snprintf(m, sizeof m, "takes %llu inputs, its input %s has %llu (flatten it first)",
                 (unsigned long long)w->dim[1], shape_str(src->shape, src->rank, b, sizeof b),
                 (unsigned long long)src->n_out);
        return nfail(s, "weight", m, NULL);
    }
    const nir_param *b = cfg_nir_param(s->n, "bias");
    if (b && (!b->v || (b->n != w->dim[0] && b->n != 1)))
        return nfail(s, "bias", "expected one value per output", NULL);
    uint32_t out = (uint32_t)w->dim[0];
    set_shape(s->n, 1, &out);
    s->n->synapses = w->dim[0] * w->dim[1];
    return 0;
}

static int flatten_shape(nir_sh *s, const nir_node *src)
{

    const nir_param *a = cfg_nir_param(s->n, "start_dim"), *b = cfg_nir_param(s->n, "end_dim");
    if (!a->v || !b->v || a->n != 1 || b->n != 1)
        return nfail(s, "start_dim", "expected integers start_dim and end_dim", NULL);
    int st = (int)a->v[0], en = (int)b->v[0], r = src->rank;
    st = st < 0 ? st + r : st;
    en = en < 0 ? en + r : en;
    if (st < 0 || en >= r || st > en)
        return nfail(s, "start_dim", "the dims do not fit the input's rank", NULL);
    uint32_t out[NIR_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < st; i++)
        out[k++] = src->shape[i];
    out[k] = 1;
    for (int i = st; i <= en; i++)
        out[k] *= src->shape[i];
    k++;
    for (int i = en + 1; i < r; i++)
        out[k++] = src->shape[i];

    set_shape(s->n, k, out);
    return 0;
}

/* Element-wise nodes: every numeric parameter has 1 value or one per
 * element of the input. */
static int elementwise_shape(nir_sh *s, const nir_node *src)
{
    for (int i = 0; i < s->n->n_params; i++) {
        const nir_param *p = &s->n->params[i];
        if (!p->v)
            return nfail(s, p->key, "expected numbers, found a string", NULL);
        if (p->n != 1 && p->n != src->n_out) {
            char m[160], b[64];
            snprintf(m, sizeof m, "holds %zu values, its input %s has %llu elements: the "
                     "shapes do not chain", p->n, shape_str(src->shape, src->rank, b, sizeof b),
                     (unsigned long long)src->n_out);
            return nfail(s, p->key, m, NULL);
        }
    }
    set_shape(s->n, src->rank, src->shape);
    return 0;
}

static int io_shape(nir_sh *s, const nir_node *src)
{
    const nir_param *p = cfg_nir_param(s->n, "shape");
    uint32_t sh[NIR_MAX_DIMS];
    if (!p->v || p->rank > 1 || p->n < 1 || p->n > NIR_MAX_DIMS)
        return nfail(s, "shape", "expected 1 to 4 dimension sizes", NULL);
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i] < 1 || p->v[i] > 1e9 || p->v[i] != (double)(uint32_t)p->v[i])
            return nfail(s, "shape", "expected positive integer sizes", NULL);
        sh[i] = (uint32_t)p->v[i];
    }
    set_shape(s->n, (int)p->n, sh);
    if (src && src->n_out != s->n->n_out) {
        char m[160], a[64], b[64];
        snprintf(m, sizeof m, "is %s, its input is %s: the shapes do not chain",
                 shape_str(s->n->shape, s->n->rank, a, sizeof a),
                 shape_str(src->shape, src->rank, b, sizeof b));
        return nfail(s, "shape", m, NULL);
    }
    return 0;
}

static int node_shape(nir_sh *s, const nir_node *src)
{
    for (int i = 0; i < s->n->n_params; i++)
        if (s->n->params[i].v)
            s->n->n_params_total += s->n->params[i].n;
    switch (s->n->type) {
    case NIR_INPUT:
    case NIR_OUTPUT: return io_shape(s, src);
    case NIR_AFFINE:
    case NIR_LINEAR: return affine_shape(s, src);
    case NIR_CONV1D:
    case NIR_CONV2D: return conv_shape(s, src);
    case NIR_SUMPOOL2D:
    case NIR_AVGPOOL2D: return pool_shape(s, src);
    case NIR_FLATTEN: return flatten_shape(s, src);
    default: return elementwise_shape(s, src);
    }
}

int cfg_nir_shapes(nir_graph *g, base_error *err)
{
    for (int i = 0; i < g->n_nodes; i++) {
        nir_sh s = {g, &g->nodes[i], err};
        const nir_node *src = NULL;
        for (int e = 0; e < g->n_edges; e++) {
            if (g->edges[e].dst != i || g->edges[e].recurrent)
                continue;
            const nir_node *o = &g->nodes[g->edges[e].src];
            if (src && (src->rank != o->rank ||
                        memcmp(src->shape, o->shape, sizeof(uint32_t) * (size_t)o->rank))) {
                char a[64], b[64], m[200];
                snprintf(m, sizeof m, "its inputs %s (%s) and %s (%s) differ in shape",
                         src->name, shape_str(src->shape, src->rank, a, sizeof a), o->name,
                         shape_str(o->shape, o->rank, b, sizeof b));
                return nfail(&s, NULL, m, NULL);
            }
            src = o;
        }
        if (!src && s.n->type != NIR_INPUT)
            return nfail(&s, NULL, "has no input", NULL);
        if (s.n->type == NIR_INPUT && src)
            return nfail(&s, NULL, "an Input node cannot have an incoming edge", NULL);
        if (node_shape(&s, src) != 0)
            return -1;
    }
    return 0;
}
