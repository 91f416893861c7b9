/* strm_ref.h -- builds a strm_graph (sim/run/strm.h) from what Stream
 * itself recorded for one case: ../shared/reference/stream/results/CASE.json
 * (CNs, their costs in cost_lut[], layers' tilings and precisions) and
 * inputs/CASE/ (case.json's priority order, the accelerator through
 * evsim's chip loader, the ONNX model for which layer feeds which). Dependencies are
 * derived here from the CNs' loop ranges by Stream's rule (semantics.md
 * §1.2, get_inter_edges_rtree), not read from Stream. Shared by
 * test_strm_sched.c and bench_strm.c. */
#ifndef EVSIM_TEST_STRM_REF_H
#define EVSIM_TEST_STRM_REF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "config/config.h"
#include "config/cfg_onnx.h"
#include "run/strm.h"
#include "run/strm_build.h"

#define SREF_MAX_LAYERS 128
#define SREF_MAX_SUBS 1024

/* Operand dims in Stream's order per layer type, as Stream's ONNX parsers
 * make them (the tensor loop ranges of its events list them so). */
typedef struct {
    const char *type;
    const char *dims[3][6];          /* [I1 (I), I2 (W), O] */
} sref_type;

static const sref_type sref_types[] = {
    {"conv", {{"B", "G", "C", "IY", "IX"}, {"K", "C", "FY", "FX"}, {"B", "G", "K", "OY", "OX"}}},
    {"relu", {{"B", "H", "D", "K"}, {NULL}, {"B", "H", "D", "K"}}},
    {"add", {{"B", "H", "D", "K"}, {"B", "H", "D", "K"}, {"B", "H", "D", "K"}}},
    {"pooling", {{"B", "K", "IY", "IX"}, {"FY", "FX"}, {"B", "K", "OY", "OX"}}},
    {"gemm", {{"D", "C"}, {"C", "K"}, {"D", "K"}}},
};

typedef struct {
    bool present;
    const sref_type *ty;
    int prec[3];                     /* I, W, O_final bits */
    int src[2];                      /* I1, I2 source layer; -1: constant */
    uint32_t inter;                  /* product of inter-core factors */
    int n_outer;                     /* inter- then intra-core tiling */
    char outer_dim[8][4];
    uint64_t outer_f[8];
    int n_intra;
    char intra_dim[4][4];
    int n_loop;                      /* the layer's loop dims */
    char loop_dim[12][4];
    int64_t full[12];                /* max hi over its CNs */
} sref_layer;

typedef struct {
    char name[32][4];
    int n;
} sref_dims;

static int sref_dim(sref_dims *d, const char *s)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->name[i], s))
            return i;
    snprintf(d->name[d->n], sizeof d->name[0], "%s", s);
    return d->n++;
}

static cJSON *sref_read_json(const char *path, base_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return base_fail(err, "%s: cannot open", path), NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!buf || got != (size_t)n) {
        free(buf);
        return base_fail(err, "%s: cannot read", path), NULL;
    }
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j)
        base_fail(err, "%s: not JSON", path);
    return j;
}

static double sref_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Does the (relevant set of the) operand of layer L use dim s?  IX/IY
 * make OX/FX and OY/FY (partially) relevant. */
static bool sref_relevant(const sref_layer *L, int op, const char *s)
{
    for (int k = 0; k < 6 && L->ty->dims[op][k]; k++) {
        const char *d = L->ty->dims[op][k];
        if (!strcmp(d, s))
            return true;
        if (!strcmp(d, "IY") && (!strcmp(s, "OY") || !strcmp(s, "FY")))
            return true;
        if (!strcmp(d, "IX") && (!strcmp(s, "OX") || !strcmp(s, "FX")))
            return true;
    }
    return false;
}

static int sref_layers(const cJSON *layers, sref_layer *ls, base_error *err)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        int id = (int)sref_num(l, "id");
        if (id < 0 || id >= SREF_MAX_LAYERS)
            return base_fail(err, "layer id %d out of range", id);
        sref_layer *L = &ls[id];
        L->present = true;
        const char *ty = cJSON_GetStringValue(cJSON_GetObjectItem(l, "type"));
        for (size_t k = 0; k < sizeof sref_types / sizeof sref_types[0]; k++)
            if (ty && !strcmp(ty, sref_types[k].type))
                L->ty = &sref_types[k];
        if (!L->ty)
            return base_fail(err, "layer %d: type %s not known to the harness", id, ty ? ty : "?");
        const cJSON *p = cJSON_GetObjectItem(l, "operand_precision");
        L->prec[0] = (int)sref_num(p, "I");
        L->prec[1] = (int)sref_num(p, "W");
        L->prec[2] = (int)sref_num(p, "O_final");
        L->inter = 1;
        const char *keys[2] = {"inter_core_tiling", "intra_core_tiling"};
        for (int w = 0; w < 2; w++) {
            const cJSON *e;
            cJSON_ArrayForEach(e, cJSON_GetObjectItem(l, keys[w])) {
                const char *d = cJSON_GetStringValue(cJSON_GetArrayItem(e, 0));
                uint64_t f = (uint64_t)cJSON_GetArrayItem(e, 1)->valuedouble;
                snprintf(L->outer_dim[L->n_outer], 4, "%s", d);
                L->outer_f[L->n_outer++] = f;
                if (w == 0)
                    L->inter *= (uint32_t)f;
                else
                    snprintf(L->intra_dim[L->n_intra++], 4, "%s", d);
            }
        }
        const cJSON *sz;
        cJSON_ArrayForEach(sz, cJSON_GetObjectItem(l, "layer_dim_sizes_tile"))
            snprintf(L->loop_dim[L->n_loop++], 4, "%s", sz->string);
    }
    return 0;
}

/* Which layer feeds which operand: the ONNX model as evsim reads it
 * (pass-throughs such as Flatten resolved, numbered as Stream numbers). */
static int sref_sources(const char *onnx, sref_layer *ls, base_error *err)
{
    base_errors es;
    base_errors_init(&es);
    cfg_workload *w = cfg_onnx_workload_load_file(onnx, &es);
    if (!w) {
        if (es.count > 0)
            *err = es.items[0];
        base_errors_clear(&es);
        return -1;
    }
    base_errors_clear(&es);
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *cl = &w->layers[i];
        if (cl->id < 0 || cl->id >= SREF_MAX_LAYERS || !ls[cl->id].present)
            continue;
        sref_layer *L = &ls[cl->id];
        L->src[0] = L->src[1] = -1;
        for (int k = 1; k < cl->n_operands; k++) {
            const cfg_operand *o = &cl->operands[k];
            int op = !strcmp(o->name, "W") ? 1 : 0;
            if (o->has_source && o->source_layer_id != cl->id)
                L->src[op] = (int)o->source_layer_id;
        }
    }
    cfg_workload_free(w);
    return 0;
}

/* One CN's loop ranges by interned dim. */
typedef struct {
    int64_t lo[32], hi[32];
    bool has[32];
} sref_ranges;

typedef struct {
    sref_dims dims;
    sref_layer layers[SREF_MAX_LAYERS];
    sref_ranges *rg;                 /* per CN */
    int *cn_of;                      /* [layer * SREF_MAX_SUBS + sub] -> CN, -1 */
    int n_t, cap_t;
} sref_ctx;

/* The tensor of operand op of CN i: its dims and ranges from the CN's
 * loop ranges; the same identity (layer, operand, ranges) as an earlier
 * CN's gives the earlier index (Stream's _replace_identical_tensors). */
static int sref_tensor(sref_ctx *x, strm_graph *g, int i, int op)
{
    const sref_layer *L = &x->layers[g->cns[i].layer];
    strm_tensor t;
    memset(&t, 0, sizeof t);
    t.origin_cn = i;
    t.mem_op = op;
    t.base_priority = STRM_NO_PRIORITY;
    uint64_t elems = 1;
    for (int k = 0; k < 6 && L->ty->dims[op][k]; k++) {
        int d = sref_dim(&x->dims, L->ty->dims[op][k]);
        t.dim[t.n_dims] = d;
        t.lo[t.n_dims] = x->rg[i].lo[d];
        t.hi[t.n_dims] = x->rg[i].hi[d];
        elems *= (uint64_t)(t.hi[t.n_dims] - t.lo[t.n_dims]);
        t.n_dims++;
    }
    t.bits = elems * (uint64_t)L->prec[op == STRM_O ? 2 : op == STRM_I2 ? 1 : 0];
    for (int k = 0; k < g->n_tensors; k++) {
        const strm_tensor *o = &g->tensors[k];
        if (o->mem_op == op && g->cns[o->origin_cn].layer == g->cns[i].layer &&
            o->n_dims == t.n_dims && !memcmp(o->lo, t.lo, sizeof t.lo) && !memcmp(o->hi, t.hi, sizeof t.hi))
            return k;
    }
    if (g->n_tensors == x->cap_t) {
        int cap = x->cap_t ? 2 * x->cap_t : 1024;
        strm_tensor *nt = base_realloc(g->tensors, sizeof *nt * (size_t)cap);
        if (!nt)
            return -1;
        g->tensors = nt;
        x->cap_t = cap;
    }
    g->tensors[g->n_tensors] = t;
    return g->n_tensors++;
}

/* The cost_lut entry of CN i: same layer, core and tile sizes. */
static const cJSON *sref_lut(const cJSON *lut, const strm_cn *c, const sref_ctx *x, int i)
{
    sref_dims *dm = (sref_dims *)&x->dims;
    const cJSON *e;
    cJSON_ArrayForEach(e, lut) {
        if ((int)sref_num(e, "layer") != c->layer || (int)sref_num(e, "core") != c->core)
            continue;
        bool same = true;
        const cJSON *sz;
        cJSON_ArrayForEach(sz, cJSON_GetObjectItem(e, "layer_dim_sizes")) {
            int d = sref_dim(dm, sz->string);
            same &= x->rg[i].hi[d] - x->rg[i].lo[d] == (int64_t)sz->valuedouble;
        }
        if (same)
            return e;
    }
    return NULL;
}

static int sref_op_index(const char *s)
{
    return !strcmp(s, "I1") ? STRM_I1 : !strcmp(s, "I2") ? STRM_I2 : !strcmp(s, "O") ? STRM_O : -1;
}

/* Costs of a CN as Stream set them (§1.3): its runtime from the LUT's
 * latency_total2, energies from its record, too-large operands and
 * their bandwidths from the LUT (the record's list is the one after
 * Stream's reset, §2.4). */
static int sref_costs(const cJSON *rec, const cJSON *lut, strm_cn *c)
{
    c->runtime_cycles = sref_num(rec, "runtime");
    c->onchip_pj = sref_num(rec, "onchip_energy");
    c->offchip_pj = sref_num(rec, "offchip_energy");
    const cJSON *tl = cJSON_GetObjectItem(lut ? lut : rec, "too_large_operands"), *e;
    cJSON_ArrayForEach(e, tl) {
        int op = sref_op_index(cJSON_GetStringValue(e));
        if (op < 0)
            return -1;
        c->too_large[op] = true;
    }
    if (!lut)
        return 0;
    c->runtime_cycles = sref_num(lut, "latency_total2");
    const cJSON *bw = cJSON_GetObjectItem(lut, "offchip_inst_bandwidth_per_op_scaled");
    cJSON_ArrayForEach(e, bw) {
        int op = sref_op_index(e->string);
        if (op >= 0)
            c->block_bw_bits[op] = (uint32_t)sref_num(e, op == STRM_O ? "wr_in_by_low" : "rd_out_to_low");
    }
    return 0;
}

static void sref_ranges_of(sref_ctx *x, const cJSON *rec, sref_ranges *r)
{
    memset(r, 0, sizeof *r);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(rec, "loop_ranges")) {
        int d = sref_dim(&x->dims, e->string);
        r->lo[d] = (int64_t)cJSON_GetArrayItem(e, 0)->valuedouble;
        r->hi[d] = (int64_t)cJSON_GetArrayItem(e, 1)->valuedouble;
        r->has[d] = true;
    }
}

/* Product of the layer's outer loops irrelevant to the operand: the
 * reuse factor Stream gives a constant tensor as its priority (§4). */
static int sref_reuse(const sref_layer *L, int op)
{
    uint64_t f = 1;
    for (int k = 0; k < L->n_outer; k++)
        if (!sref_relevant(L, op, L->outer_dim[k]))
            f *= L->outer_f[k];
    return (int)f;
}

/* Its output-irrelevant loops (C, FX, FY of a conv) are complete. */
static bool sref_complete(sref_ctx *x, const sref_layer *L, const sref_ranges *r)
{
    for (int k = 0; k < L->n_loop; k++)
        if (!sref_relevant(L, STRM_O, L->loop_dim[k]) && r->hi[sref_dim(&x->dims, L->loop_dim[k])] < L->full[k])
            return false;
    return true;
}

static int64_t sref_full(sref_ctx *x, const sref_layer *L, const char *dim)
{
    for (int k = 0; k < L->n_loop; k++)
        if (!strcmp(L->loop_dim[k], dim))
            return L->full[k];
    (void)x;
    return 1;
}

/* Stream's bounding box of an operand (inclusive ranges, in the
 * operand's dim order), with G merged into the channel dim next to it
 * (flatten_grouped_convolution_ranges). The number of axes. */
static int sref_bbox(sref_ctx *x, const sref_layer *L, int op, const sref_ranges *r, int64_t *lo,
                     int64_t *hi)
{
    const char *const *dn = L->ty->dims[op];
    int n = 0, g = -1, ch = -1;
    for (int k = 0; k < 6 && dn[k]; k++) {
        if (!strcmp(dn[k], "G"))
            g = k;
        if (!strcmp(dn[k], op == STRM_O ? "K" : "C"))
            ch = k;
    }
    for (int k = 0; k < 6 && dn[k]; k++) {
        int d = sref_dim(&x->dims, dn[k]);
        if (g >= 0 && ch >= 0 && (k == g || k == ch)) {
            if (k != (g < ch ? g : ch))
                continue;
            int dg = sref_dim(&x->dims, "G"), dc = sref_dim(&x->dims, dn[ch]);
            lo[n] = r->lo[dg] + r->lo[dc];
            hi[n++] = (r->hi[dg] - 1) * sref_full(x, L, dn[ch]) + r->hi[dc] - 1;
            continue;
        }
        lo[n] = r->lo[d];
        hi[n++] = r->hi[d] - 1;
    }
    return n;
}

static int sref_add_edge(strm_graph *g, int *cap, int src, int dst, int op, uint64_t bits)
{
    for (int k = g->n_edges - 1; k >= 0; k--)
        if (g->edges[k].src == src && g->edges[k].dst == dst)
            return 0;                /* a DiGraph keeps one edge per pair */
    if (g->n_edges == *cap) {
        int c = *cap ? *cap * 2 : 1024;
        strm_edge *e = base_realloc(g->edges, sizeof *e * (size_t)c);
        if (!e)
            return -1;
        g->edges = e;
        *cap = c;
    }
    g->edges[g->n_edges++] = (strm_edge){src, dst, op, bits};
    return 0;
}

/* Edges from producer layer P into operand op of consumer layer L: a
 * complete producer tile (its output-irrelevant loops at their maximum)
 * feeds every consumer tile whose operand box its output box meets. A
 * pass-through between them that changes the rank (Flatten) makes every
 * complete producer tile feed every consumer tile. */
static int sref_inter(sref_ctx *x, strm_graph *g, int *cap, int P, int L, int op)
{
    const sref_layer *lp = &x->layers[P], *lc = &x->layers[L];
    int64_t plo[8], phi[8], clo[8], chi[8];
    for (int sp = 0; sp < SREF_MAX_SUBS; sp++) {
        int p = x->cn_of[P * SREF_MAX_SUBS + sp];
        if (p < 0)
            continue;
        if (!sref_complete(x, lp, &x->rg[p]))
            continue;
        int np = sref_bbox(x, lp, STRM_O, &x->rg[p], plo, phi);
        for (int sc = 0; sc < SREF_MAX_SUBS; sc++) {
            int c = x->cn_of[L * SREF_MAX_SUBS + sc];
            if (c < 0)
                continue;
            int nc = sref_bbox(x, lc, op, &x->rg[c], clo, chi);
            bool meet = true;
            for (int k = 0; np == nc && k < np; k++)
                meet &= plo[k] <= chi[k] && clo[k] <= phi[k];
            if (meet && sref_add_edge(g, cap, p, c, op, g->tensors[g->cns[p].tensor[STRM_O]].bits) < 0)
                return -1;
        }
    }
    return 0;
}

/* The chain inside a layer: consecutive CNs of one group, 0 bits. */
static int sref_intra(sref_ctx *x, strm_graph *g, int *cap, int L)
{
    int last[64];
    for (int k = 0; k < 64; k++)
        last[k] = -1;
    for (int sub = 0; sub < SREF_MAX_SUBS; sub++) {
        int c = x->cn_of[L * SREF_MAX_SUBS + sub];
        if (c < 0)
            continue;
        int gr = g->cns[c].group & 63;
        if (last[gr] >= 0 && sref_add_edge(g, cap, last[gr], c, STRM_I1, 0) < 0)
            return -1;
        last[gr] = c;
    }
    return 0;
}

static int sref_edges(sref_ctx *x, strm_graph *g)
{
    int cap = 0;
    for (int L = 0; L < SREF_MAX_LAYERS; L++) {
        if (!x->layers[L].present)
            continue;
        if (sref_intra(x, g, &cap, L) < 0)
            return -1;
        for (int op = 0; op < 2; op++) {
            int P = x->layers[L].src[op];
            if (P >= 0 && x->layers[P].present && sref_inter(x, g, &cap, P, L, op) < 0)
                return -1;
        }
    }
    return 0;
}

static void sref_fill_cn(sref_ctx *x, strm_graph *g, int i, const cJSON *rec, const cJSON *lut)
{
    strm_cn *c = &g->cns[i];
    const sref_layer *L = &x->layers[c->layer];
    sref_costs(rec, sref_lut(lut, c, x, i), c);
    c->inter_splits = L->inter;
    c->final_output = sref_complete(x, L, &x->rg[i]);
    for (int op = 0; op < STRM_NMEM; op++)
        c->tensor[op] = sref_tensor(x, g, i, op);
    /* Stream's constant_operands: W, then I for a layer fed by the input. */
    if (L->src[1] < 0)
        c->const_op[c->n_const++] = STRM_I2;
    if (L->src[0] < 0)
        c->const_op[c->n_const++] = STRM_I1;
    for (int k = 0; k < c->n_const; k++)
        if (c->tensor[c->const_op[k]] >= 0)
            g->tensors[c->tensor[c->const_op[k]]].base_priority = sref_reuse(L, c->const_op[k]);
    for (int k = 0; k < L->n_intra; k++) {
        int d = sref_dim(&x->dims, L->intra_dim[k]);
        c->intra_dim[c->n_intra] = d;
        c->intra_lo[c->n_intra] = x->rg[i].lo[d];
        c->intra_hi[c->n_intra++] = x->rg[i].hi[d];
    }
}

static int sref_cns(sref_ctx *x, const cJSON *cns, const cJSON *lut, strm_graph *g, base_error *err)
{
    g->n_cns = cJSON_GetArraySize(cns);
    g->cns = base_calloc((size_t)g->n_cns, sizeof *g->cns);
    x->rg = base_calloc((size_t)g->n_cns, sizeof *x->rg);
    x->cn_of = base_malloc(sizeof(int) * SREF_MAX_LAYERS * SREF_MAX_SUBS);
    if (!g->cns || !x->rg || !x->cn_of)
        return base_fail(err, "out of memory");
    for (int k = 0; k < SREF_MAX_LAYERS * SREF_MAX_SUBS; k++)
        x->cn_of[k] = -1;
    int i = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cns) {
        strm_cn *c = &g->cns[i];
        c->layer = (int)sref_num(rec, "layer");
        c->sub_id = (int)sref_num(rec, "sub_id");
        c->group = (int)sref_num(rec, "group");
        c->core = (int)sref_num(rec, "core");
        if (c->layer < 0 || c->layer >= SREF_MAX_LAYERS || !x->layers[c->layer].present ||
            c->sub_id < 0 || c->sub_id >= SREF_MAX_SUBS)
            return base_fail(err, "CN %d: layer %d sub %d out of range", i, c->layer, c->sub_id);
        x->cn_of[c->layer * SREF_MAX_SUBS + c->sub_id] = i;
        sref_ranges_of(x, rec, &x->rg[i]);
        sref_layer *L = &x->layers[c->layer];
        for (int k = 0; k < L->n_loop; k++) {
            int64_t hi = x->rg[i].hi[sref_dim(&x->dims, L->loop_dim[k])];
            if (hi > L->full[k])
                L->full[k] = hi;
        }
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(rec, cns) {
        sref_fill_cn(x, g, i, rec, lut);
        for (int op = 0; op < STRM_NMEM; op++)
            if (g->cns[i].tensor[op] < 0)
                return base_fail(err, "out of memory");
        i++;
    }
    return 0;
}

/* The hardware half: the accelerator through evsim's chip loader and
 * strm_hw_from_chip, as a scenario with scheduler: stream gets it. */
static int sref_hw(const char *accel, strm_graph *g, base_error *err)
{
    base_errors es;
    base_errors_init(&es);
    cfg_chip *chip = cfg_chip_load_file(accel, &es);
    if (!chip) {
        if (es.count > 0)
            *err = es.items[0];
        base_errors_clear(&es);
        return -1;
    }
    base_errors_clear(&es);
    int rc = strm_hw_from_chip(chip, g, err);
    cfg_chip_free(chip);
    return rc;
}

static int sref_order(sref_ctx *x, const cJSON *order, strm_graph *g, base_error *err)
{
    g->order = base_malloc(sizeof(int) * (size_t)g->n_cns);
    if (!g->order)
        return base_fail(err, "out of memory");
    if (cJSON_GetArraySize(order) != g->n_cns)
        return base_fail(err, "scheduling_order has %d entries for %d CNs",
                         cJSON_GetArraySize(order), g->n_cns);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, order) {
        int l = (int)cJSON_GetArrayItem(e, 0)->valuedouble, sub = (int)cJSON_GetArrayItem(e, 1)->valuedouble;
        int c = l >= 0 && l < SREF_MAX_LAYERS && sub >= 0 && sub < SREF_MAX_SUBS
                    ? x->cn_of[l * SREF_MAX_SUBS + sub] : -1;
        if (c < 0)
            return base_fail(err, "scheduling_order entry %d: no CN (%d, %d)", i, l, sub);
        g->order[i++] = c;
    }
    return 0;
}

#define SREF_DIR "../shared/reference/stream/"

static const char *sref_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The graph of case NAME (c1_resnet18_lbl_rr); *res keeps the results
 * JSON for the comparison (cJSON_Delete it). */
static int sref_build(const char *name, strm_graph *g, cJSON **res, base_error *err)
{
    char path[1024], onnx[1024], accel[1024];
    memset(g, 0, sizeof *g);
    snprintf(path, sizeof path, SREF_DIR "results/%s.json", name);
    *res = sref_read_json(path, err);
    if (!*res)
        return -1;
    const cJSON *in = cJSON_GetObjectItem(*res, "inputs"), *r = cJSON_GetObjectItem(*res, "results");
    snprintf(accel, sizeof accel, SREF_DIR "inputs/%s/%s", name,
             sref_base(cJSON_GetStringValue(cJSON_GetObjectItem(in, "hardware"))));
    snprintf(onnx, sizeof onnx, SREF_DIR "inputs/%s/%s", name,
             cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(in, "workload"), "file")));
    snprintf(path, sizeof path, SREF_DIR "inputs/%s/case.json", name);
    cJSON *cs = sref_read_json(path, err);
    sref_ctx *x = calloc(1, sizeof *x);
    int rc = !cs || !x ? -1 : 0;
    if (rc == 0)
        rc = sref_layers(cJSON_GetObjectItem(r, "layers"), x->layers, err);
    if (rc == 0)
        rc = sref_sources(onnx, x->layers, err);
    if (rc == 0)
        rc = sref_cns(x, cJSON_GetObjectItem(r, "cns"), cJSON_GetObjectItem(r, "cost_lut"), g, err);
    if (rc == 0)
        rc = sref_edges(x, g) < 0 ? base_fail(err, "out of memory") : 0;
    if (rc == 0)
        rc = sref_hw(accel, g, err);
    if (rc == 0)
        rc = sref_order(x, cJSON_GetObjectItem(cJSON_GetObjectItem(cs, "options"), "scheduling_order"), g, err);
    if (x) {
        base_free(x->rg);
        base_free(x->cn_of);
    }
    free(x);
    cJSON_Delete(cs);
    return rc;
}

#endif
