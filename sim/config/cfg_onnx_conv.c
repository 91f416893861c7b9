/* cfg_onnx_conv.c -- an ONNX graph into evsim's workload (cfg_onnx.h,
 * README.md "ONNX workloads").
 *
 * Nodes are numbered as Stream numbers them (in file order, every node
 * with an input, pass-throughs included), so a Stream mapping's node
 * names and a case's layer stacks name the same layers. Each compute node
 * becomes one layer with Stream's loop dims (a Conv's B K G OX C FX OY
 * FY, an element-wise op's B H D K, a Gemm's D C K), so Stream's tilings
 * (`OY, all`, `D, all`, `H, 1`) apply; a pass-through (Flatten, Reshape,
 * ...) hands its input's producer on. The layers are written as the
 * workload YAML the loader reads, so every check of a hand-written
 * workload applies to them too. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_onnx.h"

typedef struct {
    onnx_graph *g;
    base_error *err;
    int *prod;         /* per value: the node whose layer produces it, -1: input or constant */
    base_text t;
    bool stream;       /* Stream's layer semantics (cfg_onnx_options) */
} onnx_cv;

static int nfail(const onnx_cv *c, const onnx_node *n, const char *why)
{
    return base_fail(c->err, "%s: node %s (%s): %s", c->g->file, n->name, n->op_type, why);
}

static int64_t ai(const onnx_node *n, const char *key, int idx, int64_t def)
{
    const onnx_attr *a = cfg_onnx_attr(n, key);
    if (!a)
        return def;
    if (a->n_ints)
        return idx < (int)a->n_ints ? a->ints[idx] : def;
    return a->has_i ? a->i : def;
}

static const onnx_value *in_val(const onnx_cv *c, const onnx_node *n, int i)
{
    return i < n->n_in && n->in[i] >= 0 ? &c->g->values[n->in[i]] : NULL;
}

/* The layer id an input comes from; the node's own id for a graph input
 * or a constant (evsim's mark of an operand that is not another layer's). */
static int64_t src_id(const onnx_cv *c, const onnx_node *n, int i)
{
    int p = i < n->n_in && n->in[i] >= 0 ? c->prod[n->in[i]] : -1;
    return p >= 0 ? c->g->nodes[p].id : n->id;
}

/* Appends to msg (cap bytes) at *len; past the end only counts. */
static void app(char *msg, size_t cap, size_t *len, const char *a, const char *b, const char *c)
{
    size_t room = *len < cap ? cap - *len : 0;
    int n = snprintf(room ? msg + *len : NULL, room, "%s%s%s", a, b, c);
    *len += n > 0 ? (size_t)n : 0;
}

/* One message listing every node evsim cannot run, grouped by op (cut
 * at the message's length with "..."). */
static int check_ops(onnx_cv *c)
{
    char msg[BASE_MSG_MAX] = "";
    size_t len = 0, fl = strlen(c->g->file);
    size_t cap = fl + 96 < sizeof msg ? sizeof msg - fl - 32 : 64; /* room after "FILE: ..." */
    int bad = 0;
    for (int i = 0; i < c->g->n_nodes; i++) {
        const onnx_node *n = &c->g->nodes[i];
        if (n->id < 0 || cfg_onnx_op_kind(n->op_type) != ONNX_OP_UNSUPPORTED)
            continue;
        bool first = true;
        for (int j = 0; j < i && first; j++)
            first = c->g->nodes[j].id < 0 || strcmp(c->g->nodes[j].op_type, n->op_type);
        if (!first)
            continue;
        app(msg, cap, &len, bad ? "; " : "", n->op_type, " (");
        int k = 0;
        for (int j = i; j < c->g->n_nodes; j++)
            if (c->g->nodes[j].id >= 0 && !strcmp(c->g->nodes[j].op_type, n->op_type))
                app(msg, cap, &len, k++ ? ", " : "", c->g->nodes[j].name, "");
        app(msg, cap, &len, ")", "", "");
        bad++;
    }
    if (!bad)
        return 0;
    if (len >= cap) /* the message's room, after the file name and the prefix */
        memcpy(msg + cap - 4, "...", 4);
    return base_fail(c->err, "%s: unsupported ONNX op%s: %s", c->g->file, bad > 1 ? "s" : "", msg);
}

/* The 2-D (or 1-D: height 1) window of a Conv or pool: sizes in
 * (height, width) order, pads resolved from auto_pad. */
typedef struct {
    int64_t n, c, ih, iw, k, oh, ow, fh, fw, sh, sw, dh, dw, pt, pb, pl, pr;
} onnx_win;

static void auto_pad(const onnx_node *n, int64_t in, int64_t out, int64_t f, int64_t s, int64_t d,
                     int64_t *pb, int64_t *pe)
{
    const onnx_attr *a = cfg_onnx_attr(n, "auto_pad");
    if (!a || !a->s || strncmp(a->s, "SAME", 4))
        return;
    int64_t total = (out - 1) * s + d * (f - 1) + 1 - in;
    total = total < 0 ? 0 : total;
    *pb = strcmp(a->s, "SAME_LOWER") ? total / 2 : total - total / 2;
    *pe = total - *pb;
}

static void swap64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/* Stream's axis names: its parsers call the ONNX axis 2 (the height) X
 * and axis 3 Y, so its `OY, all` cuts a layer into columns. The window
 * is held in (x, y) = Stream's order from here on, so that a Stream
 * mapping cuts the same loops (FSRCNN: OX 540, OY 960, as in Stream). */
static void stream_axes(onnx_win *w)
{
    swap64(&w->ih, &w->iw);
    swap64(&w->oh, &w->ow);
    swap64(&w->fh, &w->fw);
    swap64(&w->sh, &w->sw);
    swap64(&w->dh, &w->dw);
    swap64(&w->pt, &w->pl);
    swap64(&w->pb, &w->pr);
}

static int get_window(const onnx_cv *c, const onnx_node *n, onnx_win *w)
{
    const onnx_value *x = in_val(c, n, 0), *o = &c->g->values[n->out[0]];
    if (!x || !x->has_shape || !o->has_shape || (x->rank != 4 && x->rank != 3) ||
        o->rank != x->rank)
        return nfail(c, n, "expected an input and an output of rank 4 (N, C, H, W) or 3 (N, C, W)");
    bool d1 = x->rank == 3, global = !strncmp(n->op_type, "Global", 6);
    int sp = d1 ? 1 : 2, h = d1 ? -1 : 0, wd = d1 ? 0 : 1; /* attribute index of H and W */
    *w = (onnx_win){.n = x->dim[0], .c = x->dim[1], .k = o->dim[1], .ih = d1 ? 1 : x->dim[2],
                    .iw = x->dim[x->rank - 1], .oh = d1 ? 1 : o->dim[2], .ow = o->dim[o->rank - 1]};
    const onnx_value *wt = !strcmp(n->op_type, "Conv") ? in_val(c, n, 1) : NULL;
    bool wk = wt && wt->has_shape && wt->rank == x->rank;
    w->fh = global ? w->ih : h < 0 ? 1 : ai(n, "kernel_shape", h, wk ? wt->dim[2] : 0);
    w->fw = global ? w->iw : ai(n, "kernel_shape", wd, wk ? wt->dim[x->rank - 1] : 0);
    w->sh = h < 0 ? 1 : ai(n, "strides", h, 1);
    w->sw = ai(n, "strides", wd, 1);
    w->dh = h < 0 ? 1 : ai(n, "dilations", h, 1);
    w->dw = ai(n, "dilations", wd, 1);
    if (!global) {
        w->pt = h < 0 ? 0 : ai(n, "pads", h, 0);
        w->pb = h < 0 ? 0 : ai(n, "pads", h + sp, 0);
        w->pl = ai(n, "pads", wd, 0);
        w->pr = ai(n, "pads", wd + sp, 0);
    }
    if (w->fh <= 0 || w->fw <= 0 || w->sh <= 0 || w->sw <= 0 || w->dh <= 0 || w->dw <= 0)
        return nfail(c, n, "kernel_shape, strides and dilations must be known and positive");
    auto_pad(n, w->ih, w->oh, w->fh, w->sh, w->dh, &w->pt, &w->pb);
    auto_pad(n, w->iw, w->ow, w->fw, w->sw, w->dw, &w->pl, &w->pr);
    if (!d1)
        stream_axes(w);
    return 0;
}

static void put_window_tail(onnx_cv *c, const onnx_win *w)
{
    base_text_put(&c->t, "  dimension_relations: [ix=%lld*ox+%lld*fx, iy=%lld*oy+%lld*fy]\n"
        "  pr_loop_dims: [IX, IY]\n  pr_loop_sizes: [%lld, %lld]\n",
        (long long)w->sw, (long long)w->dw, (long long)w->sh, (long long)w->dh,
        (long long)w->iw, (long long)w->ih);
    if (w->pl || w->pr || w->pt || w->pb)
        base_text_put(&c->t, "  padding: [[%lld, %lld], [%lld, %lld]]\n", (long long)w->pl,
            (long long)w->pr, (long long)w->pt, (long long)w->pb);
}

static int put_conv(onnx_cv *c, const onnx_node *n)
{
    onnx_win w;
    if (get_window(c, n, &w) != 0)
        return -1;
    int64_t g = ai(n, "group", 0, 1);
    if (g < 1 || w.c % g || w.k % g)
        return nfail(c, n, "group must divide the input and the output channels");
    base_text_put(&c->t, "  equation: O[b][g][k][oy][ox]+=W[%sk][c][fy][fx]*I[b][g][c][iy][ix]\n"
        "  loop_dims: [B, K, G, OX, C, FX, OY, FY]\n"
        "  loop_sizes: [%lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld]\n"
        "  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
        "  operand_source: {I: %lld, W: %lld}\n", g > 1 ? "g][" : "", (long long)w.n,
        (long long)(w.k / g), (long long)g, (long long)w.ow, (long long)(w.c / g),
        (long long)w.fw, (long long)w.oh, (long long)w.fh, (long long)src_id(c, n, 0),
        (long long)n->id);
    put_window_tail(c, &w);
    return 0;
}

static int put_pool(onnx_cv *c, const onnx_node *n)
{
    onnx_win w;
    if (get_window(c, n, &w) != 0)
        return -1;
    if (w.k != w.c)
        return nfail(c, n, "a pool's output channels must equal its input channels");
    /* Stream's pool also loops over C (= K), a loop no operand indexes */
    char cdim[8] = "", csize[32] = "";
    if (c->stream) {
        snprintf(cdim, sizeof cdim, "C, ");
        snprintf(csize, sizeof csize, "%lld, ", (long long)w.k);
    }
    base_text_put(&c->t, "  equation: O[b][k][oy][ox]+=W[fy][fx]*I[b][k][iy][ix]\n"
        "  loop_dims: [B, K, OX, OY, %sFX, FY]\n"
        "  loop_sizes: [%lld, %lld, %lld, %lld, %s%lld, %lld]\n"
        "  operand_precision: {W: 0, I: 8, O: 8, O_final: 8}\n"
        "  operand_source: {I: %lld, W: %lld}\n", cdim, (long long)w.n, (long long)w.k,
        (long long)w.ow, (long long)w.oh, csize, (long long)w.fw, (long long)w.fh,
        (long long)src_id(c, n, 0), (long long)n->id);
    if (c->stream)
        base_text_put(&c->t, "  unindexed_loop_dims: [C]\n");
    put_window_tail(c, &w);
    return 0;
}

static void put_idx(onnx_cv *c, const char *const *dims, int from, int to)
{
    for (int i = from; i < to; i++)
        base_text_put(&c->t, "[%c]", dims[i][0] + 'a' - 'A');
}

/* Gemm / MatMul: I[(batch)][d][c] * W[(batch)][c][k], Stream's D C K
 * with up to two batch dims B H in front. */
static int put_gemm(onnx_cv *c, const onnx_node *n)
{
    static const char *const dn[] = {"B", "H", "D", "C", "K"};
    const onnx_value *a = in_val(c, n, 0), *b = in_val(c, n, 1), *o = &c->g->values[n->out[0]];
    if (!a || !b || !a->has_shape || !b->has_shape || !o->has_shape || a->rank < 2 ||
        a->rank > 4 || o->rank != a->rank || b->rank < 2)
        return nfail(c, n, "expected matrices of rank 2 to 4 with known shapes");
    int nb = a->rank - 2;
    bool ta = !strcmp(n->op_type, "Gemm") && ai(n, "transA", 0, 0);
    int64_t rows = o->dim[a->rank - 2], inner = ta ? a->dim[a->rank - 2] : a->dim[a->rank - 1];
    int64_t cols = o->dim[a->rank - 1];
    bool wbatch = b->rank > 2 || c->prod[n->in[1]] >= 0;
    base_text_put(&c->t, "  equation: O");
    put_idx(c, dn, 2 - nb, 2);
    base_text_put(&c->t, "[d][k]+=I");
    put_idx(c, dn, 2 - nb, 2);
    base_text_put(&c->t, "[d][c]*W");
    if (wbatch)
        put_idx(c, dn, 2 - nb, 2);
    base_text_put(&c->t, "[c][k]\n  loop_dims: [");
    for (int i = 2 - nb; i < 5; i++)
        base_text_put(&c->t, "%s%s", i > 2 - nb ? ", " : "", dn[i]);
    base_text_put(&c->t, "]\n  loop_sizes: [");
    for (int i = 0; i < nb; i++)
        base_text_put(&c->t, "%lld, ", (long long)o->dim[i]);
    base_text_put(&c->t, "%lld, %lld, %lld]\n  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
        "  operand_source: {I: %lld, W: %lld}\n", (long long)rows, (long long)inner,
        (long long)cols, (long long)src_id(c, n, 0), (long long)src_id(c, n, 1));
    return 0;
}

/* The indices of operand v broadcast onto the output o (numpy rules: its
 * dims aligned at the end, a dim of 1 against a larger one not indexed). */
static void put_bcast(onnx_cv *c, const onnx_value *v, const onnx_value *o, const char *const *dn)
{
    for (int k = 0; k < v->rank; k++) {
        int j = o->rank - v->rank + k;
        if (j >= 0 && v->dim[k] == o->dim[j])
            base_text_put(&c->t, "[%c]", dn[j][0] + 'a' - 'A');
    }
}

/* Element-wise ops over Stream's B H D K (the first `rank` of them). */
static int put_elementwise(onnx_cv *c, const onnx_node *n)
{
    static const char *const dn[] = {"B", "H", "D", "K"};
    const onnx_value *o = &c->g->values[n->out[0]], *x = in_val(c, n, 0), *y = in_val(c, n, 1);
    static const char *const one_in[] = {"BatchNormalization", "Clip", "PRelu", NULL};
    bool two = y != NULL;
    for (int i = 0; one_in[i]; i++)
        two &= strcmp(n->op_type, one_in[i]) != 0;
    if (!o->has_shape || o->rank < 1 || o->rank > 4 || !x || !x->has_shape ||
        (two && !y->has_shape))
        return nfail(c, n, "expected tensors of rank 1 to 4 with known shapes");
    base_text_put(&c->t, "  equation: O");
    put_idx(c, dn, 0, o->rank);
    if (c->stream) {
        /* Stream's SIMD form: O+=I*W, I the second input (or the only one),
         * W the first (or a constant of one value) */
        base_text_put(&c->t, "+=I");
        put_bcast(c, two ? y : x, o, dn);
        base_text_put(&c->t, "*W");
        if (two)
            put_bcast(c, x, o, dn);
    } else if (two) {
        bool add = !strcmp(n->op_type, "Add") || !strcmp(n->op_type, "Sub") ||
                   !strcmp(n->op_type, "Max") || !strcmp(n->op_type, "Min");
        base_text_put(&c->t, "=W");
        put_bcast(c, x, o, dn);
        base_text_put(&c->t, "%cI", add ? '+' : '*');
        put_bcast(c, y, o, dn);
    } else { /* a constant W of one value: the mapper takes two inputs, as Stream's W[] */
        base_text_put(&c->t, "=W*I");
        put_bcast(c, x, o, dn);
    }
    base_text_put(&c->t, "\n  loop_dims: [");
    for (int i = 0; i < o->rank; i++)
        base_text_put(&c->t, "%s%s", i ? ", " : "", dn[i]);
    base_text_put(&c->t, "]\n  loop_sizes: [");
    for (int i = 0; i < o->rank; i++)
        base_text_put(&c->t, "%s%lld", i ? ", " : "", (long long)o->dim[i]);
    if (two)
        base_text_put(&c->t, "]\n  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
            "  operand_source: {W: %lld, I: %lld}\n", (long long)src_id(c, n, 0),
            (long long)src_id(c, n, 1));
    else
        base_text_put(&c->t, "]\n  operand_precision: {W: 8, I: 8, O: 16, O_final: 8}\n"
            "  operand_source: {W: %lld, I: %lld}\n", (long long)n->id,
            (long long)src_id(c, n, 0));
    return 0;
}

static int put_layer(onnx_cv *c, const onnx_node *n)
{
    base_text_put(&c->t, "- id: %lld\n  name: \"", (long long)n->id);
    for (const char *p = n->name; *p; p++)
        base_text_put(&c->t, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", (unsigned char)*p < 32 ? '_' : *p);
    base_text_put(&c->t, "\"\n  operator_type: %s\n", n->op_type);
    if (!strcmp(n->op_type, "Conv"))
        return put_conv(c, n);
    if (strstr(n->op_type, "Pool"))
        return put_pool(c, n);
    if (!strcmp(n->op_type, "Gemm") || !strcmp(n->op_type, "MatMul"))
        return put_gemm(c, n);
    return put_elementwise(c, n);
}

/* Stream's numbers, the producers through pass-throughs, and the layers'
 * text. */
static int convert(onnx_cv *c)
{
    onnx_graph *g = c->g;
    int64_t next = 0;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].id = g->nodes[i].n_in > 0 ? next++ : -1;
    if (check_ops(c) != 0 || cfg_onnx_infer_shapes(g, c->err) != 0)
        return -1;
    int n_layers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        onnx_node *n = &g->nodes[i];
        if (n->id < 0 || n->n_out < 1 || n->out[0] < 0)
            continue;
        if (cfg_onnx_op_kind(n->op_type) == ONNX_OP_PASS) {
            c->prod[n->out[0]] = n->in[0] >= 0 ? c->prod[n->in[0]] : -1;
            continue;
        }
        if (put_layer(c, n) != 0)
            return -1;
        c->prod[n->out[0]] = i;
        n->layer = n_layers++;
    }
    if (n_layers == 0)
        return base_fail(c->err, "%s: the graph has no compute node, so no layer", g->file);
    return c->t.oom ? base_fail(c->err, "out of memory") : 0;
}

/* The numbered nodes that became no layer (pass-throughs), so a layer
 * stack naming one can be told what it names. 0, or -1 out of memory. */
static int keep_passes(const onnx_graph *g, cfg_workload *w)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += g->nodes[i].id >= 0 && g->nodes[i].layer < 0;
    if (n == 0)
        return 0;
    if (!(w->passes = base_calloc((size_t)n, sizeof *w->passes)))
        return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const onnx_node *nd = &g->nodes[i];
        if (nd->id < 0 || nd->layer >= 0)
            continue;
        cfg_node_ref *r = &w->passes[w->n_passes++];
        r->id = nd->id;
        snprintf(r->name, sizeof r->name, "%s", nd->name);
        snprintf(r->op_type, sizeof r->op_type, "%s", nd->op_type);
    }
    return 0;
}

static cfg_workload *to_workload(onnx_cv *c)
{
    base_errors le;
    base_errors_init(&le);
    char disp[BASE_PATH_MAX + 16];
    snprintf(disp, sizeof disp, "%s (as layers)", c->g->file);
    cfg_workload *w = cfg_workload_load_string(c->t.buf, c->t.len, disp, &le);
    if (!w) {
        char b[BASE_MSG_MAX];
        base_fail(c->err, "%s: converted layers do not load: %s", c->g->file,
                  le.count ? base_error_str(&le.items[0], b, sizeof b) : "?");
        base_errors_clear(&le);
        return NULL;
    }
    base_errors_clear(&le);
    for (int k = 0; k < w->n_layers; k++)
        w->layers[k].line = w->layers[k].col = 0; /* positions of the text, not the file */
    if (keep_passes(c->g, w) != 0) {
        base_fail(c->err, "out of memory");
        cfg_workload_free(w);
        return NULL;
    }
    return w;
}

cfg_workload *cfg_onnx_workload(onnx_graph *g, base_error *err)
{
    return cfg_onnx_workload_opt(g, NULL, err);
}

cfg_workload *cfg_onnx_workload_opt(onnx_graph *g, const cfg_onnx_options *opt, base_error *err)
{
    onnx_cv c = {g, err, base_malloc((size_t)(g->n_values ? g->n_values : 1) * sizeof(int)),
                 {0}, opt && opt->stream};
    if (!c.prod) {
        base_fail(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < g->n_values; i++)
        c.prod[i] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].layer = -1;
    cfg_workload *w = convert(&c) == 0 ? to_workload(&c) : NULL;
    if (!w)
        for (int i = 0; i < g->n_nodes; i++)
            g->nodes[i].layer = -1;
    base_free(c.t.buf);
    base_free(c.prod);
    return w;
}

cfg_workload *cfg_onnx_workload_load_file(const char *path, base_errors *err)
{
    return cfg_onnx_workload_load_file_opt(path, NULL, err);
}

cfg_workload *cfg_onnx_workload_load_file_opt(const char *path, const cfg_onnx_options *opt,
                                              base_errors *err)
{
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load(path, &e);
    cfg_workload *w = g ? cfg_onnx_workload_opt(g, opt, &e) : NULL;
    cfg_onnx_free(g);
    if (!w)
        base_errors_add(err, &e);
    return w;
}
