/* strm_plan.c -- Stream's CNs, edges, costs and priorities (strm_plan.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "run/strm_plan.h"

typedef struct {
    int n;                       /* loops: inter then intra */
    int d[2 * CFG_MAX_TILING];
    uint64_t f[2 * CFG_MAX_TILING];
    uint32_t n_inter, n_intra;   /* products of the factors */
    uint32_t stack, first_cn;
    const cfg_map_entry *me;
} lay;

static uint64_t factor(const cfg_layer *l, const cfg_map_entry *me, const cfg_loop *lp, int d)
{
    if (lp->factor == CFG_FACTOR_ALL)
        return l->sizes[d];
    if (lp->factor == CFG_FACTOR_STAR)
        return me->n_core_alloc > 0 ? (uint64_t)me->n_core_alloc : 1;
    return lp->factor;
}

/* The layer's loops: inter-core (default the first of G, H, K > 1,
 * factor 1), then intra-core unless the layer is alone in its stack. */
static int layer_loops(const cfg_layer *l, const cfg_map_entry *me, bool alone, lay *y,
                       base_error *err)
{
    y->n = 0;
    y->n_inter = y->n_intra = 1;
    for (int i = 0; me && i < me->n_inter; i++) {
        int d = cfg_layer_dim(l, me->inter_tiling[i].dim);
        if (d < 0)
            continue;
        y->d[y->n] = d;
        y->f[y->n] = factor(l, me, &me->inter_tiling[i], d);
        y->n_inter *= (uint32_t)y->f[y->n++];
    }
    for (int i = 0; !alone && me && i < me->n_intra; i++) {
        int d = cfg_layer_dim(l, me->intra_tiling[i].dim);
        if (d < 0)
            continue;
        y->d[y->n] = d;
        y->f[y->n] = factor(l, me, &me->intra_tiling[i], d);
        y->n_intra *= (uint32_t)y->f[y->n++];
    }
    if ((uint64_t)y->n_inter * y->n_intra > 1000000)
        return base_fail(err, "layer %s: %u x %u CNs", l->name, y->n_inter, y->n_intra);
    return 0;
}

/* CN sub_id's loop ranges: loop i's index from sub_id, the first fastest;
 * a cut of size ceil(current / f) (Stream pads an uneven cut). */
static void cn_ranges(const cfg_layer *l, const lay *y, uint32_t sub, strm_plan_cn *cn)
{
    for (int d = 0; d < l->n_dims; d++) {
        cn->lo[d] = 0;
        cn->hi[d] = (int64_t)l->sizes[d];
    }
    uint32_t idx = sub, g = 0, gm = 1;
    for (int i = 0; i < y->n; i++) {
        uint32_t k = idx % (uint32_t)y->f[i];
        idx /= (uint32_t)y->f[i];
        int d = y->d[i];
        int64_t cur = cn->hi[d] - cn->lo[d], ts = (cur + (int64_t)y->f[i] - 1) / (int64_t)y->f[i];
        cn->lo[d] += (int64_t)k * ts;
        cn->hi[d] = cn->lo[d] + ts;
        if (gm < y->n_inter) {
            g += k * gm;
            gm *= (uint32_t)y->f[i];
        }
    }
    cn->group = g;
}

static int64_t pad_before(const cfg_layer *l, const char *idx)
{
    if (!l->has_padding)
        return 0;
    for (int i = 0; i < l->n_pr_dims; i++)
        if (!strcasecmp(l->pr_dims[i], idx))
            return l->padding[i][0];
    return 0;
}

/* Index idx's range [lo, hi) that the CN reaches (unpadded: may be < 0). */
static void idx_range(const cfg_layer *l, const strm_plan_cn *cn, const char *idx, int64_t *lo,
                      int64_t *hi)
{
    int d = cfg_layer_dim(l, idx);
    if (d >= 0) {
        *lo = cn->lo[d];
        *hi = cn->hi[d];
        return;
    }
    *lo = 0;
    *hi = 1;
    for (int r = 0; r < l->n_relations; r++) {
        const cfg_relation *rel = &l->relations[r];
        if (strcmp(rel->lhs, idx))
            continue;
        int64_t a = 0, b = 0;
        for (int t = 0; t < rel->n_terms; t++) {
            int dd = cfg_layer_dim(l, rel->dim[t]);
            if (dd < 0 || rel->coef[t] <= 0)
                continue;
            a += rel->coef[t] * cn->lo[dd];
            b += rel->coef[t] * (cn->hi[dd] - 1);
        }
        *lo = a - pad_before(l, idx);
        *hi = b + 1 - pad_before(l, idx);
    }
}

static uint64_t operand_elems(const cfg_layer *l, const strm_plan_cn *cn, int op)
{
    uint64_t n = 1;
    for (int i = 0; i < l->operands[op].n_idx; i++) {
        int64_t lo, hi;
        idx_range(l, cn, l->operands[op].idx[i], &lo, &hi);
        n *= (uint64_t)(hi > lo ? hi - lo : 0);
    }
    return n;
}

/* The layer operand each memory operand holds (the entry's links), -1. */
static void mem_links(const cfg_layer *l, const cfg_map_entry *me, int lop[STRM_N_OPS])
{
    for (int i = 0; i < STRM_N_OPS; i++)
        lop[i] = -1;
    for (int i = 0; me && i < me->n_links; i++)
        if ((int)me->link_mem[i] < (int)STRM_N_OPS)
            lop[me->link_mem[i]] = cfg_layer_operand(l, me->link_operand[i]);
}

/* Is every loop the output does not index at its last piece? */
static bool cn_complete(const cfg_layer *l, const lay *y, const strm_plan_cn *cn)
{
    for (int i = 0; i < y->n; i++) {
        int d = y->d[i];
        bool in_out = false;
        for (int k = 0; k < l->operands[0].n_idx; k++)
            if (!strcmp(l->operands[0].idx[k], l->dims[d]))
                in_out = true;
        if (!in_out && cn->hi[d] < (int64_t)l->sizes[d])
            return false;
    }
    return true;
}

/* What an off-chip operand still needs in the top memory: its lowest
 * level's size times the copies the array has of it (Stream's
 * get_too_large_operands_minimal_required_capacity_in_top_level_memory,
 * ZigZag's MemoryLevel.unroll_count: the sizes of the OA dims the level
 * does not serve). */
static uint64_t unrolled_lowest_bits(const cfg_core *core, int op)
{
    for (int m = 0; m < core->n_mems; m++) {
        if (!core->mems[m].holds[op])
            continue;
        uint64_t n = 1;
        for (int o = 0; o < core->n_oa_dims; o++) {
            bool served = false;
            for (int s = 0; s < core->mems[m].n_served; s++)
                served |= core->mems[m].served[s] == o;
            n *= served ? 1 : core->oa_sizes[o];
        }
        return core->mems[m].size_bits * n;
    }
    return 0;
}

/* How many of the top memory's operands ops[0..n) (ascending size) stay:
 * the longest prefix that fits, shortened while what it leaves free is
 * less than the off-chip rest needs there (Step 4 of Stream's
 * check_core_capacity_for_node). */
static int kept_prefix(const cfg_core *core, uint64_t cap, const int *ops, int n,
                       const uint64_t *bits)
{
    int k = n;
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += bits[ops[i]];
    while (k > 0 && sum > cap)
        sum -= bits[ops[--k]];
    while (k > 0 && k < n) {
        uint64_t need = 0;
        for (int i = k; i < n; i++)
            need += unrolled_lowest_bits(core, ops[i]);
        if (cap - sum >= need)
            break;
        sum -= bits[ops[--k]];
    }
    return k;
}

/* §1.3: all operands for a layer alone in its stack; else per top memory
 * the CN overflows, the smallest operands that fit stay on chip. */
static void too_large(const cfg_core *core, bool alone, strm_plan_cn *cn, const int lop[3])
{
    for (int op = 0; op < STRM_N_OPS; op++)
        cn->too_large[op] = alone && lop[op] >= 0;
    if (alone || !core)
        return;
    for (int m = 0; m < core->n_mems; m++) {
        int ops[STRM_N_OPS], n = 0;
        uint64_t sum = 0;
        for (int op = 0; op < STRM_N_OPS; op++)
            if (lop[op] >= 0 && cfg_core_top_memory(core, (cfg_mem_operand)op) == m) {
                ops[n++] = op;
                sum += cn->op_bits[op];
            }
        if (sum <= core->mems[m].size_bits)
            continue;
        for (int i = 1; i < n; i++) /* ascending size, stable */
            for (int j = i; j > 0 && cn->op_bits[ops[j]] < cn->op_bits[ops[j - 1]]; j--) {
                int t = ops[j];
                ops[j] = ops[j - 1];
                ops[j - 1] = t;
            }
        for (int i = kept_prefix(core, core->mems[m].size_bits, ops, n, cn->op_bits); i < n; i++)
            cn->too_large[ops[i]] = true;
    }
}

static const cfg_core *core_type(const cfg_chip *chip, int c)
{
    if (c < 0 || c >= chip->n_cores)
        return NULL;
    int t = chip->cores[c].type;
    return t >= 0 && t < chip->n_types ? &chip->types[t].core : NULL;
}

/* The stack of every layer: listed ones by stack_of, ordered by their
 * first layer; unlisted (or lbl) ones alone. Fills y[].stack and alone. */
static void assign_stacks(const cfg_workload *wl, const strm_plan_stacks *st, lay *y, bool *alone)
{
    int next = 0;
    int map_given[4096];
    for (int i = 0; i < 4096; i++)
        map_given[i] = -1;
    for (int li = 0; li < wl->n_layers; li++) {
        int given = -1;
        for (int i = 0; st && st->fused && i < st->n_ids; i++)
            if (st->layer_id[i] == wl->layers[li].id)
                given = st->stack_of[i];
        if (given >= 0 && given < 4096 && map_given[given] >= 0) {
            y[li].stack = (uint32_t)map_given[given];
            continue;
        }
        if (given >= 0 && given < 4096)
            map_given[given] = next;
        y[li].stack = (uint32_t)next++;
    }
    for (int li = 0; li < wl->n_layers; li++) {
        int n = 0;
        for (int k = 0; k < wl->n_layers; k++)
            n += y[k].stack == y[li].stack;
        alone[li] = n == 1;
    }
}

/* The plan's cost entry of key (layer, core, tile, too-large set): found
 * among the layer's entries (the latest first: a layer's CNs come in
 * runs of one shape), else evaluated and appended. Its index, or -1. */
static int64_t cost_entry(const cfg_chip *chip, const cfg_workload *wl, const cfg_mapping *map,
                          const loma_options *opt, loma_cache *cache, strm_plan *p, uint32_t *cap,
                          const strm_plan_cn *cn, int core, base_error *err)
{
    const cfg_layer *l = &wl->layers[cn->layer];
    uint64_t tile[CFG_MAX_LOOP_DIMS] = {0};
    for (int d = 0; d < l->n_dims; d++)
        tile[d] = (uint64_t)(cn->hi[d] - cn->lo[d]);
    for (uint32_t i = p->n_costs; i-- > 0 && p->costs[i].layer == cn->layer;) {
        const strm_plan_cost *e = &p->costs[i];
        if (e->core == core && !memcmp(e->tile, tile, sizeof tile) &&
            !memcmp(e->too_large, cn->too_large, sizeof e->too_large))
            return i;
    }
    if (p->n_costs == *cap) {
        uint32_t nc = *cap ? 2 * *cap : 64;
        strm_plan_cost *v = base_realloc(p->costs, nc * sizeof *v);
        if (!v)
            return base_fail(err, "out of memory for the CN costs");
        p->costs = v;
        *cap = nc;
    }
    strm_cost c;
    if (strm_cost_eval(chip, core, l, map, tile, cn->too_large, opt, cache, &c, err))
        return -1;
    strm_plan_cost *e = &p->costs[p->n_costs];
    *e = (strm_plan_cost){.layer_id = cn->layer_id, .layer = cn->layer, .core = core,
                          .runtime = c.latency_total2, .ideal_cycle = c.ideal_cycle};
    memcpy(e->tile, tile, sizeof tile);
    memcpy(e->too_large, cn->too_large, sizeof e->too_large);
    for (int op = 0; op < STRM_N_OPS; op++)
        if (cn->too_large[op])
            e->offchip_pj += c.offchip_pj[op];
    e->onchip_pj = c.energy_total - e->offchip_pj;
    memcpy(e->offchip_bw, c.offchip_bw, sizeof e->offchip_bw);
    memcpy(e->spatial, c.spatial, sizeof e->spatial);
    memcpy(e->temporal, c.temporal, sizeof e->temporal);
    p->n_cost_evals++;
    return p->n_costs++;
}

/* The CN's cost on core: its entry's figures copied in. */
static int cn_cost(const cfg_chip *chip, const cfg_workload *wl, const cfg_mapping *map,
                   const loma_options *opt, loma_cache *cache, strm_plan *p, uint32_t *cap,
                   strm_plan_cn *cn, int core, base_error *err)
{
    int64_t k = cost_entry(chip, wl, map, opt, cache, p, cap, cn, core, err);
    if (k < 0)
        return -1;
    const strm_plan_cost *e = &p->costs[k];
    cn->cost = (uint32_t)k;
    cn->runtime = e->runtime;
    cn->onchip_pj = e->onchip_pj;
    cn->offchip_pj = e->offchip_pj;
    memcpy(cn->offchip_bw, e->offchip_bw, sizeof cn->offchip_bw);
    return 0;
}

/* A flexible CN on every allowed core of its gene: too-large operands and
 * cost per core into its alts. */
static int cost_alts(const cfg_chip *chip, const cfg_workload *wl, const cfg_mapping *map,
                     const loma_options *opt, loma_cache *cache, strm_plan *p, uint32_t *cap,
                     strm_plan_cn *cn, bool alone, base_error *err)
{
    const strm_plan_gene *g = &p->genes[cn->gene];
    int lop[STRM_N_OPS];
    mem_links(&wl->layers[cn->layer], cfg_mapping_find(map, &wl->layers[cn->layer]), lop);
    for (uint32_t k = 0; k < g->n_cores; k++) {
        int core = g->cores[k];
        too_large(core_type(chip, core), alone, cn, lop);
        if (cn_cost(chip, wl, map, opt, cache, p, cap, cn, core, err))
            return -1;
        strm_plan_alt *a = &p->alts[cn->first_alt + k];
        a->core = core;
        a->cost = cn->cost;
        a->runtime = cn->runtime;
        a->onchip_pj = cn->onchip_pj;
        a->offchip_pj = cn->offchip_pj;
        memcpy(a->too_large, cn->too_large, sizeof a->too_large);
        memcpy(a->offchip_bw, cn->offchip_bw, sizeof a->offchip_bw);
    }
    return 0;
}

static int add_edge(strm_plan *p, uint32_t *cap, uint32_t s, uint32_t d, uint64_t bits,
                    strm_edge_kind k)
{
    if (p->n_edges == *cap) {
        uint32_t nc = *cap ? 2 * *cap : 1024;
        strm_plan_edge *e = base_realloc(p->edges, nc * sizeof *e);
        if (!e)
            return -1;
        p->edges = e;
        *cap = nc;
    }
    p->edges[p->n_edges++] = (strm_plan_edge){.src = s, .dst = d, .bits = bits, .kind = k};
    return 0;
}

/* The indices of operand op whose full extent exceeds 1 (a conv's G of 1
 * is not matched against anything), into ix; their count. */
static int wide_indices(const cfg_layer *l, int op, int *ix)
{
    strm_plan_cn whole;
    for (int d = 0; d < l->n_dims; d++) {
        whole.lo[d] = 0;
        whole.hi[d] = (int64_t)l->sizes[d];
    }
    int n = 0;
    for (int i = 0; i < l->operands[op].n_idx; i++) {
        int64_t lo, hi;
        idx_range(l, &whole, l->operands[op].idx[i], &lo, &hi);
        if (hi - lo > 1)
            ix[n++] = i;
    }
    return n;
}

/* Data edges into consumer CN c from producer layer pl (its operand op
 * reads pl's output): overlap of ranges, wide index by wide index, when
 * the tensors have as many; else (a flatten) every complete producer CN. */
static int data_edges(strm_plan *p, uint32_t *cap, const cfg_workload *wl, const lay *ys,
                      uint32_t c, int op, int pl, uint32_t first_edge)
{
    const strm_plan_cn *cn = &p->cns[c];
    const cfg_layer *l = &wl->layers[cn->layer], *pr = &wl->layers[pl];
    const cfg_operand *o = &l->operands[op], *po = &pr->operands[0];
    int ci[CFG_MAX_INDICES], pi[CFG_MAX_INDICES];
    int nc = wide_indices(l, op, ci), np = wide_indices(pr, 0, pi);
    bool mapped = nc == np;
    int64_t lo[CFG_MAX_INDICES], hi[CFG_MAX_INDICES];
    for (int i = 0; mapped && i < nc; i++)
        idx_range(l, cn, o->idx[ci[i]], &lo[i], &hi[i]);
    uint32_t n_p = ys[pl].n_inter * ys[pl].n_intra;
    for (uint32_t k = 0; k < n_p; k++) {
        uint32_t s = ys[pl].first_cn + k;
        const strm_plan_cn *pc = &p->cns[s];
        if (!pc->complete)
            continue;
        uint64_t v = 1;
        for (int i = 0; mapped && i < nc; i++) {
            int64_t plo, phi;
            idx_range(pr, pc, po->idx[pi[i]], &plo, &phi);
            int64_t a = lo[i] > plo ? lo[i] : plo, b = hi[i] < phi ? hi[i] : phi;
            v *= (uint64_t)(b > a ? b - a : 0);
        }
        if (!mapped)
            v = operand_elems(pr, pc, 0);
        if (!v)
            continue;
        uint64_t bits = v * (uint64_t)po->final_precision_bits;
        bool merged = false;
        for (uint32_t e = first_edge; e < p->n_edges && !merged; e++)
            if (p->edges[e].src == s && p->edges[e].dst == c) {
                p->edges[e].bits += bits;
                merged = true;
            }
        if (!merged) {
            if (add_edge(p, cap, s, c, bits, STRM_EDGE_DATA))
                return -1;
            p->cns[c].n_preds++;
        }
    }
    return 0;
}

/* §1.4: per stack, per intra-core slot, per layer in workload order, the
 * slot's sub_ids (n_intra / n_slots intra indices times every group). */
static void build_order(strm_plan *p, const cfg_workload *wl, const lay *ys, uint32_t n_stacks)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < n_stacks; s++) {
        uint32_t slots = UINT32_MAX;
        for (int li = 0; li < wl->n_layers; li++)
            if (ys[li].stack == s && ys[li].n_intra < slots)
                slots = ys[li].n_intra;
        if (slots == UINT32_MAX)
            continue;
        for (uint32_t i = 0; i < slots; i++)
            for (int li = 0; li < wl->n_layers; li++) {
                if (ys[li].stack != s)
                    continue;
                uint32_t per = ys[li].n_intra / slots;
                uint32_t t1 = i + 1 == slots ? ys[li].n_intra : (i + 1) * per;
                for (uint32_t sub = i * per * ys[li].n_inter; sub < t1 * ys[li].n_inter; sub++) {
                    p->cns[ys[li].first_cn + sub].priority = n;
                    p->order[n++] = ys[li].first_cn + sub;
                }
            }
    }
}

static int build_layer_cns(strm_plan *p, const cfg_chip *chip, const cfg_workload *wl, int li,
                           const lay *y, bool alone)
{
    const cfg_layer *l = &wl->layers[li];
    int lop[STRM_N_OPS];
    mem_links(l, y->me, lop);
    for (uint32_t sub = 0; sub < y->n_inter * y->n_intra; sub++) {
        strm_plan_cn *cn = &p->cns[y->first_cn + sub];
        cn->layer_id = l->id;
        cn->layer = (uint32_t)li;
        cn->sub_id = sub;
        cn->stack = y->stack;
        cn_ranges(l, y, sub, cn);
        cn->complete = cn_complete(l, y, cn);
        cn->core = STRM_PLAN_FLEXIBLE;
        cn->gene = -1;
        if (y->me && (uint32_t)y->me->n_core_alloc == y->n_inter)
            cn->core = cfg_chip_find_core(chip, y->me->core_alloc[cn->group]);
        for (int op = 0; op < STRM_N_OPS; op++) {
            if (lop[op] < 0)
                continue;
            const cfg_operand *o = &l->operands[lop[op]];
            int prec = lop[op] == 0 && cn->complete ? o->final_precision_bits : o->precision_bits;
            cn->op_bits[op] = operand_elems(l, cn, lop[op]) * (uint64_t)prec;
        }
        too_large(core_type(chip, cn->core < 0 ? 0 : cn->core), alone, cn, lop);
    }
    return 0;
}

static int build_edges(strm_plan *p, const cfg_workload *wl, const lay *ys)
{
    uint32_t cap = 0;
    for (int li = 0; li < wl->n_layers; li++) {
        const cfg_layer *l = &wl->layers[li];
        uint32_t n = ys[li].n_inter * ys[li].n_intra;
        for (uint32_t sub = ys[li].n_inter; sub < n; sub++)
            if (add_edge(p, &cap, ys[li].first_cn + sub - ys[li].n_inter, ys[li].first_cn + sub,
                         0, STRM_EDGE_CHAIN))
                return -1;
        p->n_chain_edges += n > ys[li].n_inter ? n - ys[li].n_inter : 0;
        for (uint32_t sub = 0; sub < n; sub++) {
            uint32_t c = ys[li].first_cn + sub, first = p->n_edges;
            for (int op = 1; op < l->n_operands; op++) {
                const cfg_operand *o = &l->operands[op];
                int pl = o->has_source && o->source_layer_id != l->id
                             ? cfg_workload_find_id(wl, o->source_layer_id) : -1;
                if (pl >= 0 && data_edges(p, &cap, wl, ys, c, op, pl, first))
                    return -1;
            }
        }
    }
    return 0;
}

static void core_tops(strm_plan *p, const cfg_chip *chip)
{
    for (uint32_t c = 0; c < p->n_cores; c++) {
        const cfg_core *t = core_type(chip, (int)c);
        for (int op = 0; t && op < STRM_N_OPS; op++) {
            int m = cfg_core_top_memory(t, (cfg_mem_operand)op);
            p->cores[c].top_bits[op] = m >= 0 ? t->mems[m].size_bits : 0;
        }
    }
}

/* The chip cores of the entry's core_allocation into out (NULL when an
 * id is not a chip core, or the list is empty: no gene). */
static uint32_t alloc_cores(const cfg_chip *chip, const cfg_map_entry *me, int *out)
{
    if (!me || me->n_core_alloc <= 0)
        return 0;
    for (int i = 0; i < me->n_core_alloc; i++)
        if ((out[i] = cfg_chip_find_core(chip, me->core_alloc[i])) < 0)
            return 0;
    return (uint32_t)me->n_core_alloc;
}

static bool flexible_layer(const cfg_chip *chip, const lay *y, int *cores, uint32_t *n)
{
    *n = alloc_cores(chip, y->me, cores);
    return *n > 0 && *n != y->n_inter;
}

/* Stream's examples' round robin: the k-th layer that may run on these
 * cores goes to core k mod n. k counts the earlier layers whose allowed
 * cores all lie in this layer's set (ResNet-18 on the quad core: Conv,
 * Relu and Gemm layers, not the Adds and pools of the SIMD and pooling
 * cores). */
static uint32_t rr_index(const cfg_chip *chip, const lay *ys, int li, const int *set, uint32_t n)
{
    uint32_t k = 0;
    int other[CFG_MAX_CORE_ALLOC];
    for (int lj = 0; lj < li; lj++) {
        uint32_t m = alloc_cores(chip, ys[lj].me, other);
        bool inside = m > 0;
        for (uint32_t i = 0; i < m && inside; i++) {
            bool found = false;
            for (uint32_t j = 0; j < n && !found; j++)
                found = other[i] == set[j];
            inside = found;
        }
        k += inside;
    }
    return k;
}

/* One gene per (flexible layer, group), and room for the CNs' alts. */
static int make_genes(strm_plan *p, const cfg_chip *chip, const cfg_workload *wl, const lay *ys)
{
    int cores[CFG_MAX_CORE_ALLOC];
    uint32_t n, n_genes = 0, n_alts = 0;
    for (int li = 0; li < wl->n_layers; li++)
        if (flexible_layer(chip, &ys[li], cores, &n)) {
            n_genes += ys[li].n_inter;
            n_alts += ys[li].n_inter * ys[li].n_intra * n;
        }
    p->genes = base_calloc(n_genes + 1, sizeof *p->genes);
    p->alts = base_calloc(n_alts + 1, sizeof *p->alts);
    if (!p->genes || !p->alts)
        return -1;
    for (int li = 0; li < wl->n_layers; li++) {
        if (!flexible_layer(chip, &ys[li], cores, &n))
            continue;
        uint32_t k = rr_index(chip, ys, li, cores, n);
        for (uint32_t g = 0; g < ys[li].n_inter; g++) {
            strm_plan_gene *e = &p->genes[p->n_genes++];
            e->cores = base_malloc(n * sizeof *e->cores);
            if (!e->cores)
                return -1;
            memcpy(e->cores, cores, n * sizeof *cores);
            *e = (strm_plan_gene){.layer = (uint32_t)li, .layer_id = wl->layers[li].id,
                                  .group = g, .n_cores = n, .cores = e->cores,
                                  .start = (k + g) % n};
        }
    }
    return 0;
}

uint32_t strm_plan_flexible_layers(const cfg_chip *chip, const cfg_workload *wl,
                                   const cfg_mapping *map, uint32_t *n_genes)
{
    uint32_t n = 0, k;
    int cores[CFG_MAX_CORE_ALLOC];
    *n_genes = 0;
    for (int li = 0; li < wl->n_layers; li++) {
        lay y = {.me = map ? cfg_mapping_find(map, &wl->layers[li]) : NULL};
        base_error e;
        if (layer_loops(&wl->layers[li], y.me, true, &y, &e) == 0 &&
            flexible_layer(chip, &y, cores, &k)) {
            n++;
            *n_genes += y.n_inter;
        }
    }
    return n;
}

/* The layer's CNs costed: a fixed CN on its core, a flexible one with a
 * gene on each allowed core, one without (no usable core_allocation) on
 * the first chip core, left unscheduled (strm_graph_build refuses it). */
static int cost_layer(const cfg_chip *chip, const cfg_workload *wl, const cfg_mapping *map,
                      const loma_options *opt, loma_cache *cache, strm_plan *p, uint32_t *cap,
                      const lay *y, bool alone, base_error *err)
{
    int first_gene = -1;
    for (uint32_t g = 0; g < p->n_genes && first_gene < 0; g++)
        if (p->genes[g].layer == p->cns[y->first_cn].layer)
            first_gene = (int)g;
    for (uint32_t k = 0; k < y->n_inter * y->n_intra; k++) {
        strm_plan_cn *cn = &p->cns[y->first_cn + k];
        p->n_flexible += cn->core == STRM_PLAN_FLEXIBLE;
        if (cn->core == STRM_PLAN_FLEXIBLE && first_gene >= 0) {
            cn->gene = first_gene + (int)cn->group;
            cn->first_alt = p->n_alts;
            p->n_alts += p->genes[cn->gene].n_cores;
            if (cost_alts(chip, wl, map, opt, cache, p, cap, cn, alone, err))
                return -1;
            continue;
        }
        int core = cn->core == STRM_PLAN_FLEXIBLE ? 0 : cn->core;
        if (cn_cost(chip, wl, map, opt, cache, p, cap, cn, core, err))
            return -1;
    }
    return 0;
}

/* Every gene at its round-robin start. */
static void start_genome(strm_plan *p)
{
    uint32_t *c = base_calloc(p->n_genes + 1, sizeof *c);
    if (!c)
        return; /* the CNs keep core STRM_PLAN_FLEXIBLE: strm_graph_build says so */
    for (uint32_t g = 0; g < p->n_genes; g++)
        c[g] = p->genes[g].start;
    strm_plan_assign(p, c);
    base_free(c);
}

void strm_plan_assign(strm_plan *p, const uint32_t *choice)
{
    for (uint32_t i = 0; i < p->n_cns; i++) {
        strm_plan_cn *cn = &p->cns[i];
        if (cn->gene < 0)
            continue;
        const strm_plan_alt *a = &p->alts[cn->first_alt + choice[cn->gene]];
        cn->core = a->core;
        cn->cost = a->cost;
        cn->runtime = a->runtime;
        cn->onchip_pj = a->onchip_pj;
        cn->offchip_pj = a->offchip_pj;
        memcpy(cn->too_large, a->too_large, sizeof cn->too_large);
        memcpy(cn->offchip_bw, a->offchip_bw, sizeof cn->offchip_bw);
    }
}

static int build_all(strm_plan *p, const cfg_chip *chip, const cfg_workload *wl,
                     const cfg_mapping *map, const strm_plan_stacks *st, const loma_options *opt,
                     loma_cache *cache, lay *ys, bool *alone, base_error *err)
{
    assign_stacks(wl, st, ys, alone);
    uint32_t n_stacks = 0;
    for (int li = 0; li < wl->n_layers; li++) {
        ys[li].me = map ? cfg_mapping_find(map, &wl->layers[li]) : NULL;
        if (layer_loops(&wl->layers[li], ys[li].me, alone[li], &ys[li], err))
            return -1;
        ys[li].first_cn = p->n_cns;
        p->n_cns += ys[li].n_inter * ys[li].n_intra;
        if (ys[li].stack + 1 > n_stacks)
            n_stacks = ys[li].stack + 1;
    }
    p->cns = base_calloc(p->n_cns ? p->n_cns : 1, sizeof *p->cns);
    p->order = base_calloc(p->n_cns ? p->n_cns : 1, sizeof *p->order);
    p->n_cores = (uint32_t)chip->n_cores;
    p->cores = base_calloc(p->n_cores ? p->n_cores : 1, sizeof *p->cores);
    if (!p->cns || !p->order || !p->cores)
        return base_fail(err, "out of memory for %u CNs", p->n_cns);
    core_tops(p, chip);
    if (make_genes(p, chip, wl, ys))
        return base_fail(err, "out of memory for the allocation genes");
    uint32_t cap = 0;
    int rc = 0;
    for (int li = 0; li < wl->n_layers && !rc; li++) {
        build_layer_cns(p, chip, wl, li, &ys[li], alone[li]);
        rc = cost_layer(chip, wl, map, opt, cache, p, &cap, &ys[li], alone[li], err);
    }
    if (rc)
        return -1;
    if (build_edges(p, wl, ys))
        return base_fail(err, "out of memory for the CN edges");
    build_order(p, wl, ys, n_stacks);
    start_genome(p);
    return 0;
}

strm_plan *strm_plan_build(const cfg_chip *chip, const cfg_workload *wl,
                           const cfg_mapping *map, const strm_plan_stacks *st,
                           const loma_options *opt, loma_cache *cache, base_error *err)
{
    strm_plan *p = base_calloc(1, sizeof *p);
    lay *ys = base_calloc(wl->n_layers ? (size_t)wl->n_layers : 1, sizeof *ys);
    bool *alone = base_calloc(wl->n_layers ? (size_t)wl->n_layers : 1, sizeof *alone);
    if (!p || !ys || !alone || build_all(p, chip, wl, map, st, opt, cache, ys, alone, err)) {
        if (!p || !ys || !alone)
            base_fail(err, "out of memory");
        strm_plan_free(p);
        p = NULL;
    }
    base_free(ys);
    base_free(alone);
    return p;
}

void strm_plan_free(strm_plan *p)
{
    if (!p)
        return;
    base_free(p->cns);
    base_free(p->edges);
    base_free(p->order);
    base_free(p->cores);
    for (uint32_t g = 0; p->genes && g < p->n_genes; g++)
        base_free(p->genes[g].cores);
    base_free(p->genes);
    base_free(p->alts);
    base_free(p->costs);
    base_free(p);
}

void strm_plan_index_range(const cfg_layer *l, const strm_plan_cn *cn, const char *idx,
                           int64_t *lo, int64_t *hi)
{
    idx_range(l, cn, idx, lo, hi);
}

void strm_plan_mem_links(const cfg_layer *l, const cfg_mapping *map, int lop[STRM_N_OPS])
{
    mem_links(l, cfg_mapping_find(map, l), lop);
}
