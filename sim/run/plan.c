/* plan.c -- layers into costed CNs; see plan.h. */
#include "run/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "run/adapt_loma.h"

static int fail(base_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    base_vfail(err, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *lname(const cfg_layer *l)
{
    return l->name[0] ? l->name : "(unnamed)";
}

/* A line for the caller: a warning, or a note (is_note). */
static void warn(plan *p, bool is_note, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(plan *p, bool is_note, const char *fmt, ...)
{
    if (p->n_warnings == PLAN_MAX_WARNINGS)
        return;
    p->warning_is_note[p->n_warnings] = is_note;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->warnings[p->n_warnings++], sizeof p->warnings[0], fmt, ap);
    va_end(ap);
}

/* Size of one index of an operand: a loop dim, or a window dim from its
 * relation (a*(A-1) + b*(B-1) + 1), else 1. */
static uint64_t index_size(const cfg_layer *l, const char *idx)
{
    int d = cfg_layer_dim(l, idx);
    if (d >= 0)
        return l->sizes[d];
    for (int r = 0; r < l->n_relations; r++) {
        const cfg_relation *rel = &l->relations[r];
        if (strcmp(rel->lhs, idx))
            continue;
        uint64_t n = 1;
        for (int t = 0; t < rel->n_terms; t++) {
            int dd = cfg_layer_dim(l, rel->dim[t]);
            if (dd >= 0 && rel->coef[t] > 0)
                n += (uint64_t)rel->coef[t] * (l->sizes[dd] - 1);
        }
        return n;
    }
    return 1;
}

static uint64_t operand_bits(const cfg_layer *l, int op, int prec)
{
    uint64_t n = (uint64_t)(prec > 0 ? prec : 0);
    for (int i = 0; i < l->operands[op].n_idx; i++)
        n *= index_size(l, l->operands[op].idx[i]);
    return n;
}

/* Split size S into n near-equal parts; part i's size. */
static uint64_t part_size(uint64_t S, uint64_t n, uint64_t i)
{
    return S / n + (i < S % n ? 1 : 0);
}

/* How a layer is cut along some of its dims: parts[i] pieces of dim d[i]. */
typedef struct {
    int n;
    int d[CFG_MAX_TILING];
    uint64_t parts[CFG_MAX_TILING];
} cut;

static uint64_t cut_count(const cut *c)
{
    uint64_t n = 1;
    for (int i = 0; i < c->n; i++)
        n *= c->parts[i];
    return n;
}

/* Piece `idx` of the cut (the last dim varying fastest): its size in each
 * cut dim, written into shape. */
static void cut_apply(const cut *c, uint64_t idx, const cfg_layer *l, loma_layer *shape)
{
    for (int i = c->n - 1; i >= 0; i--) {
        uint64_t k = idx % c->parts[i];
        idx /= c->parts[i];
        shape->dim_size[c->d[i]] = part_size(l->sizes[c->d[i]], c->parts[i], k);
    }
}

/* Window dims shrink with the dims they derive from (never beyond the
 * padded whole). */
static void shrink_windows(loma_layer *out)
{
    for (int i = 0; i < out->n_pr; i++) {
        loma_pr *p = &out->pr[i];
        uint64_t w = p->sa * (out->dim_size[p->dim_a] - 1) +
                     p->sb * (out->dim_size[p->dim_b] - 1) + 1;
        if (w < p->total)
            p->total = w;
    }
}

/* Read tiling entries as Stream does: `all` cuts the dim completely, `*`
 * into as many parts as `star` (the allocated cores), a number into that
 * many parts (at most the dim's size). 0, or -1 with a message. The
 * scenario check (cfg_check_tiling) reports bad entries with positions;
 * the checks here only guard plans of unchecked structs. */
static int tiling(const cfg_layer *l, const cfg_loop *t, int n, uint64_t star,
                  const char *what, cut *out, base_error *err)
{
    out->n = 0;
    for (int i = 0; i < n; i++) {
        int d = cfg_layer_dim(l, t[i].dim);
        if (d < 0)
            return fail(err, "layer %s: %s tiling names %s, which is not one of "
                        "its loop dims", lname(l), what, t[i].dim);
        for (int j = 0; j < out->n; j++)
            if (out->d[j] == d)
                return fail(err, "layer %s: %s tiling cuts %s twice", lname(l), what,
                            l->dims[d]);
        uint64_t want = t[i].factor == CFG_FACTOR_ALL    ? l->sizes[d]
                        : t[i].factor == CFG_FACTOR_STAR ? star
                                                         : t[i].factor;
        if (want > l->sizes[d])
            want = l->sizes[d];
        out->d[out->n] = d;
        out->parts[out->n++] = want ? want : 1;
    }
    return 0;
}

static void cut_names(const cfg_layer *l, const cut *c, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < c->n && at < len; i++) {
        int w = snprintf(buf + at, len - at, "%s%s", i ? "," : "", l->dims[c->d[i]]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

static int plan_grow(plan *p)
{
    if (p->n_cns < p->cap_cns)
        return 0;
    if (p->cap_cns >= (1u << 30))
        return -1; /* a billion CNs: refuse rather than wrap */
    uint32_t cap = p->cap_cns ? p->cap_cns * 2 : 256;
    plan_cn *c = realloc(p->cns, cap * sizeof *c);
    if (!c)
        return -1;
    p->cns = c;
    p->cap_cns = cap;
    return 0;
}

/* What building one layer works from and on. */
typedef struct {
    plan *p;
    const cfg_scenario *s;
    uint32_t li;
    const cfg_layer *l;
    plan_layer *pl;
    const cfg_map_entry *me;
    uint32_t cand[CFG_MAX_CORE_ALLOC]; /* cores the layer may use */
    uint32_t n_cand;
    const cfg_core *core;              /* their one type */
    adapt_loma_in in;                  /* the mapper's view */
    cut split, tiles;                  /* inter-core parts, intra-core tiles */
    cfg_map_entry as_stream;           /* me as Stream reads it (adapt_layer) */
    loma_core fit;                     /* the last core plan_fit_core built, */
    int fit_id;                        /* its cache id, */
    bool fit_offchip[LOMA_N_OPS];      /* for these operands off-chip */
    bool fit_valid;
    const loma_options *opt;
    double *load_ps;                   /* work planned per core so far */
} layer_build;

/* A layer evsim run can simulate, and its mapping entry. */
static int check_layer(layer_build *b, base_error *err)
{
    const cfg_layer *l = b->l;
    if (l->neuron.model != CFG_NEURON_NONE)
        return fail(err, "layer %s is a spiking layer: a dense run simulates conventional "
                    "layers only; give the scenario `mode: timestep` (and its input trace) to "
                    "run it event-driven", lname(l));
    b->me = cfg_mapping_find(b->s->mapping, l);
    if (!b->me)
        return fail(err, "layer %s: no mapping entry (by name, operator_type "
                    "or `default`)", lname(l));
    return 0;
}

/* The cores the layer may use, as chip core indices, all of one type:
 * parts on cores of other types would need their own mapping. */
static int layer_cores(layer_build *b, base_error *err)
{
    const cfg_chip *chip = b->s->chip;
    const cfg_map_entry *me = b->me;
    const cfg_layer *l = b->l;
    b->n_cand = 0;
    if (me->n_core_alloc == 0) {
        for (int c = 0; c < chip->n_cores && b->n_cand < CFG_MAX_CORE_ALLOC; c++)
            b->cand[b->n_cand++] = (uint32_t)c;
    }
    for (int i = 0; i < me->n_core_alloc; i++) {
        int c = cfg_chip_find_core(chip, me->core_alloc[i]);
        if (c < 0)
            return fail(err, "layer %s: core_allocation names core %lld, "
                        "which the chip does not have", lname(l),
                        (long long)me->core_alloc[i]);
        b->cand[b->n_cand++] = (uint32_t)c;
    }
    if (b->n_cand == 0)
        return fail(err, "layer %s: the chip has no cores", lname(l));
    int type = chip->cores[b->cand[0]].type;
    for (uint32_t i = 1; i < b->n_cand; i++)
        if (chip->cores[b->cand[i]].type != type)
            return fail(err, "layer %s: core_allocation mixes core types "
                        "(%s and %s); give the layer cores of one type",
                        lname(l), chip->types[type].name,
                        chip->types[chip->cores[b->cand[i]].type].name);
    b->core = &chip->types[type].core;
    return 0;
}

/* Which operands' top level stands for the chip's off-chip memories: the
 * core's last level does, for every operand it holds, when it is at
 * least as large as one of the memories the chip lists (a level that
 * size is not on the core; the run moves that traffic itself, see
 * plan_layer.top_offchip). The weights' on-core capacity is then the
 * highest other level holding them. */
static void offchip_levels(const cfg_chip *chip, plan_layer *pl)
{
    const loma_core *lc = &pl->core;
    int last = lc->n_mems - 1;
    bool big = false;
    for (int j = 0; j < chip->n_memories && last >= 0; j++)
        big |= lc->mem[last].size_bits >= (double)chip->memories[j].size_bits;
    for (int i = 0; big && i < lc->mem[last].n_ops; i++) {
        pl->top_offchip[lc->mem[last].ops[i]] = true;
        pl->top_is_offchip = true;
    }
}

/* The weights' operand (a constant operand named W), its size, the
 * on-core capacity for it. */
static void layer_weights(plan_layer *pl, const cfg_layer *l)
{
    pl->w_op = -1;
    pl->w_mem = PLAN_NO_MEM;
    const loma_core *lc0 = &pl->core;
    for (int m = lc0->n_mems - 1; m >= 0 && !pl->act_cap_bits; m--) {
        if (m == lc0->n_mems - 1 && pl->top_offchip[LOMA_OP_O])
            continue;
        for (int i = 0; i < lc0->mem[m].n_ops; i++)
            if (lc0->mem[m].ops[i] == LOMA_OP_O)
                pl->act_cap_bits = (uint64_t)lc0->mem[m].size_bits;
    }
    for (int op = 1; op < l->n_operands && op < LOMA_N_OPS; op++) {
        const cfg_operand *o = &l->operands[op];
        if ((!o->has_source || o->source_layer_id == l->id) && !strcmp(o->name, "W"))
            pl->w_op = op;
    }
    if (pl->w_op < 0)
        return;
    pl->w_bits = operand_bits(l, pl->w_op, l->operands[pl->w_op].precision_bits);
    const loma_core *lc = &pl->core;
    int top = lc->n_mems - 1 - (pl->top_offchip[pl->w_op] ? 1 : 0);
    for (int m = top; m >= 0 && !pl->w_cap_bits; m--)
        for (int i = 0; i < lc->mem[m].n_ops; i++)
            if (lc->mem[m].ops[i] == pl->w_op)
                pl->w_cap_bits = (uint64_t)lc->mem[m].size_bits;
}

/* Bits one read of operand op from memory level `lev` of r moves: the
 * mapper counts full words of the port serving (op, TL) there. */
static double level_read_bits(const loma_core *lc, const loma_result *r, int op, int lev)
{
    int m = r->mem_of[op][lev];
    if (m < 0)
        return 0;
    const loma_memory *mem = &lc->mem[m];
    for (int p = 0; p < mem->n_ports; p++)
        for (int a = 0; a < mem->port[p].n_alloc; a++)
            if (mem->port[p].alloc_op[a] == op && mem->port[p].alloc_dir[a] == LOMA_TL)
                return r->word_access[op][lev][LOMA_TL] * (double)mem->port[p].bw_max_bits;
    return 0;
}

/* The mapper's view of the layer and its core type. The cache keys on
 * the core as the mapper sees it (memory operand links included), so a
 * persisted cache is safe across chips. */
static int adapt_layer(layer_build *b, base_error *err)
{
    base_error le;
    if (b->s->chip->from_stream && b->core->n_dataflows > 0) {
        /* Stream's core dataflows win over the mapping file's spatial
         * mapping: on a chip placed from Stream's files, evsim's mapper
         * unrolls what Stream's does (README.md "Coming from Stream"). */
        b->as_stream = *b->me;
        b->as_stream.n_spatial = b->core->n_dataflows;
        memcpy(b->as_stream.spatial, b->core->dataflows, sizeof b->as_stream.spatial);
        b->me = &b->as_stream;
    }
    if (adapt_loma_all(b->core, b->l, b->me, &b->in, &le) != 0)
        return fail(err, "%s", le.msg);
    b->pl->core = b->in.core;
    b->pl->whole = b->in.whole;
    offchip_levels(b->s->chip, b->pl);
    return 0;
}

/* Is layer l alone in its stack as the scenario gives them: every layer
 * of a layer-by-layer run, and in fused mode one its layer_stacks do not
 * list or list alone. (Stacks the run chooses are not known yet: no.) */
static bool alone_in_stack(const cfg_scenario *s, const cfg_layer *l)
{
    if (!s->fused)
        return true;
    if (!s->n_stacks)
        return false;
    int stack = -1, n = 0;
    for (int i = 0; i < s->n_stack_layers; i++)
        if (s->stack_layer_id[i] == l->id)
            stack = s->stack_of[i];
    for (int i = 0; stack >= 0 && i < s->n_stack_layers; i++)
        n += s->stack_of[i] == stack;
    return n <= 1;
}

/* The inter-core cut into parts and the intra-core cut into tiles. On a
 * chip placed from a Stream accelerator the mapping means what it means
 * to Stream: a layer alone in its stack is not tiled within its core
 * (Stream's tiling_generation; README.md "Coming from Stream"). */
static int layer_cuts(layer_build *b, base_error *err)
{
    const cfg_layer *l = b->l;
    const cfg_map_entry *me = b->me;
    int n_intra = b->s->chip->from_stream && alone_in_stack(b->s, l) ? 0 : me->n_intra;
    if (tiling(l, me->inter_tiling, me->n_inter, b->n_cand, "inter-core", &b->split, err) ||
        tiling(l, me->intra_tiling, n_intra, b->n_cand, "intra-core", &b->tiles, err))
        return -1;
    for (int i = 0; i < b->split.n; i++)
        for (int j = 0; j < b->tiles.n; j++)
            if (b->split.d[i] == b->tiles.d[j])
                return fail(err, "layer %s: inter- and intra-core tiling both cut "
                            "%s; cut different dims", lname(l), l->dims[b->split.d[i]]);
    uint64_t n = cut_count(&b->split) * cut_count(&b->tiles);
    if (n > PLAN_MAX_CNS_PER_LAYER)
        return fail(err, "layer %s: the tiling makes %llu CNs (at most %d per layer)",
                    lname(l), (unsigned long long)n, PLAN_MAX_CNS_PER_LAYER);
    const cut *cs[2] = {&b->split, &b->tiles};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < cs[k]->n; i++)
            if (l->sizes[cs[k]->d[i]] % cs[k]->parts[i])
                warn(b->p, true, "layer %s (id %lld): %s tiling cuts %s %llu into %llu parts of "
                     "unequal size", lname(l), (long long)l->id, k ? "intra-core" : "inter-core",
                     l->dims[cs[k]->d[i]], (unsigned long long)l->sizes[cs[k]->d[i]],
                     (unsigned long long)cs[k]->parts[i]);
    plan_layer *pl = b->pl;
    pl->n_split = b->split.n;
    pl->n_tile = b->tiles.n;
    for (int i = 0; i < b->split.n; i++) {
        pl->split_d[i] = b->split.d[i];
        pl->split_n[i] = b->split.parts[i];
    }
    for (int i = 0; i < b->tiles.n; i++) {
        pl->tile_d[i] = b->tiles.d[i];
        pl->tile_n[i] = b->tiles.parts[i];
    }
    cut_names(l, &b->split, b->pl->split_dim, sizeof b->pl->split_dim);
    cut_names(l, &b->tiles, b->pl->tile_dim, sizeof b->pl->tile_dim);
    return 0;
}

/* MACs, output size, and where the inputs come from: earlier layers
 * (producers) or off-chip (the network input; weights: layer_weights). */
static int layer_data(layer_build *b, base_error *err)
{
    const cfg_layer *l = b->l;
    plan_layer *pl = b->pl;
    pl->macs = cfg_layer_macs(l);
    pl->out_bits = operand_bits(l, 0, l->operands[0].final_precision_bits > 0
                                          ? l->operands[0].final_precision_bits
                                          : l->operands[0].precision_bits);
    for (int op = 1; op < l->n_operands; op++) {
        const cfg_operand *o = &l->operands[op];
        bool constant = !o->has_source || o->source_layer_id == l->id;
        if (constant) {
            if (strcmp(o->name, "W") != 0) {
                /* One network input is read per core slice; several (rare)
                 * are read whole by every core. */
                pl->in_op = pl->offchip_in_bits ? -1 : op;
                pl->in_prec = (uint64_t)o->precision_bits;
                pl->offchip_in_bits += operand_bits(l, op, o->precision_bits);
            }
            continue;
        }
        int src = cfg_workload_find_id(b->s->workload, o->source_layer_id);
        if (src < 0 || (uint32_t)src >= b->li)
            return fail(err, "layer %s: operand %s comes from layer %lld, "
                        "which is not an earlier layer", lname(l), o->name,
                        (long long)o->source_layer_id);
        if (pl->n_producers == PLAN_MAX_PRODUCERS)
            return fail(err, "layer %s: more than %d producer layers",
                        lname(l), PLAN_MAX_PRODUCERS);
        pl->producers[pl->n_producers++] = (uint32_t)src;
        b->p->layers[src].n_consumers++;
    }
    return 0;
}

/* Costs one CN of the given shape through the cache and appends it. */
static int cost_cn(layer_build *b, const loma_layer *shape, uint32_t part, uint32_t tile,
                   uint32_t core, base_error *err)
{
    plan *p = b->p;
    plan_layer *pl = b->pl;
    if (plan_grow(p) != 0)
        return fail(err, "out of memory");
    loma_job job = adapt_loma_job(&b->in, shape, b->opt);
    const plan_part *pp = &pl->parts[part];
    bool offchip[LOMA_N_OPS];
    if (plan_fit_offchip(pl, shape, pp->w_streamed ? 0 : pp->w_bits, pp->w_streamed, offchip)) {
        /* The CNs of a layer mostly share one such core: built and
         * hashed once per change. */
        if (!b->fit_valid || memcmp(b->fit_offchip, offchip, sizeof offchip)) {
            plan_fit_core(pl, offchip, &b->fit);
            b->fit_id = loma_core_id(&b->fit);
            memcpy(b->fit_offchip, offchip, sizeof offchip);
            b->fit_valid = true;
        }
        job.core = &b->fit;
        job.core_id = b->fit_id;
    }
    loma_costed c;
    base_error le;
    if (loma_cost(p->cache, &job, NULL, &c, &le) != 0)
        return fail(err, "%s%s", le.msg,
                    job.order && (b->split.n || b->tiles.n)
                        ? " (a temporal_ordering applies to each CN of the tiling; "
                          "'*' sizes take the rest of a dim)"
                        : "");
    const loma_result *r = c.r;
    if (!c.from_cache) {
        p->unique_cns++;
        p->mapper_wall_s += r->wall_s;
    }
    loma_notes_merge(&pl->notes, &c.notes);
    plan_cn *cn = &p->cns[p->n_cns++];
    *cn = (plan_cn){.layer = b->li, .part = part, .tile = tile, .macs = 1,
                    .cycles = r->latency_cycles, .cost = r};
    for (int d = 0; d < shape->n_dims; d++)
        cn->macs *= shape->dim_size[d];
    cn->dur_ps = (uint64_t)(r->latency_cycles * 1000.0 / b->s->chip->clock_ghz + 0.5);
    if (cn->dur_ps == 0)
        cn->dur_ps = 1;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        int top = r->n_levels[op] - 1;
        if (!pl->top_offchip[op] || top < 0 || r->mem_of[op][top] != pl->core.n_mems - 1)
            continue;
        cn->top_pj += r->energy_level_pj[op][top];
        if (op == pl->w_op) {
            cn->top_w_pj = r->energy_level_pj[op][top];
            cn->w_top_bits = level_read_bits(&pl->core, r, op, top);
        }
    }
    plan_fit_fills(pl, shape, offchip, pp->w_bits, tile == 0, cn);
    cn->energy_pj = r->energy_pj - cn->top_pj;
    for (int op = 0; op < LOMA_N_OPS; op++)
        cn->energy_pj += cn->fill_pj[op];
    b->load_ps[core] += (double)cn->dur_ps;
    return 0;
}

/* The share of operand op a part of this shape holds: the part's
 * fraction of every dim op indexes directly. */
static double part_share(const plan_layer *pl, const loma_layer *shape, int op)
{
    double f = 1.0;
    for (int d = 0; d < shape->n_dims; d++)
        if (pl->whole.relevant[op][d] && pl->whole.dim_size[d])
            f *= (double)shape->dim_size[d] / (double)pl->whole.dim_size[d];
    return f;
}

/* The weights a part of this shape uses: the weight operand's dims at
 * the part's sizes. */
static uint64_t part_weight_bits(const plan_layer *pl, const loma_layer *shape)
{
    if (pl->w_op < 0)
        return 0;
    return (uint64_t)((double)pl->w_bits * part_share(pl, shape, pl->w_op) + 0.5);
}

/* Its activations: every operand but the weights, at the part's share. */
static uint64_t part_act_bits(const plan_layer *pl, const cfg_layer *l, const loma_layer *shape)
{
    double bits = 0;
    for (int op = 0; op < l->n_operands && op < LOMA_N_OPS; op++) {
        if (op == pl->w_op)
            continue;
        const cfg_operand *o = &l->operands[op];
        int prec = op == 0 && o->final_precision_bits > 0 ? o->final_precision_bits
                                                          : o->precision_bits;
        bits += (double)operand_bits(l, op, prec) * part_share(pl, shape, op);
    }
    return (uint64_t)(bits + 0.5);
}

/* Part `part` of the inter-core cut: its core, its output share, its
 * tiles as CNs. */
static int build_part(layer_build *b, uint32_t part, uint32_t n_parts, base_error *err)
{
    plan_layer *pl = b->pl;
    plan_part *pp = &pl->parts[part];
    loma_layer base = pl->whole;
    cut_apply(&b->split, part, b->l, &base);
    /* Parts go to the candidate core with the least work planned so
     * far: deterministic, and it spreads layers without inter-core
     * tiling over the allocation. */
    uint32_t best = b->cand[part % b->n_cand];
    if (n_parts == 1)
        for (uint32_t i = 0; i < b->n_cand; i++)
            if (b->load_ps[b->cand[i]] < b->load_ps[best])
                best = b->cand[i];
    pp->core = best;
    /* The part's share of the output: its fraction of every cut dim the
     * output has; a cut of a reduction dim (C) leaves each part a
     * partial sum of the whole output, sent in full. */
    double share = 1.0;
    for (int i = 0; i < b->split.n; i++)
        if (pl->whole.relevant[LOMA_OP_O][b->split.d[i]])
            share *= (double)base.dim_size[b->split.d[i]] / (double)b->l->sizes[b->split.d[i]];
    pp->out_bits = (uint64_t)((double)pl->out_bits * share + 0.5);
    pp->w_bits = part_weight_bits(pl, &base);
    pp->act_bits = part_act_bits(pl, b->l, &base);
    pp->w_streamed = pp->w_bits > pl->w_cap_bits;
    pp->first_cn = b->p->n_cns;
    uint64_t n_tiles = cut_count(&b->tiles);
    for (uint64_t t = 0; t < n_tiles; t++) {
        loma_layer shape = base;
        cut_apply(&b->tiles, t, b->l, &shape);
        shrink_windows(&shape);
        if (cost_cn(b, &shape, part, (uint32_t)t, best, err) != 0)
            return -1;
        pp->w_stream_bits += (uint64_t)(b->p->cns[b->p->n_cns - 1].w_top_bits + 0.5);
        pp->n_cns++;
    }
    if (pl->act_cap_bits && pp->act_bits > pl->act_cap_bits && b->s->chip->n_memories)
        pp->spill_bits = pp->act_bits - pl->act_cap_bits;
    return 0;
}

static int build_layer(plan *p, const cfg_scenario *s, uint32_t li,
                       const loma_options *opt, double *load_ps,
                       base_error *err)
{
    layer_build *b = base_calloc(1, sizeof *b);
    if (!b)
        return fail(err, "out of memory");
    *b = (layer_build){.p = p, .s = s, .li = li, .l = &s->workload->layers[li],
                       .pl = &p->layers[li], .opt = opt, .load_ps = load_ps};
    b->pl->cfg = b->l;
    int rc = -1;
    if (check_layer(b, err) || layer_cores(b, err) || adapt_layer(b, err) ||
        layer_cuts(b, err) || layer_data(b, err))
        goto out;
    layer_weights(b->pl, b->l);
    uint64_t n_parts = cut_count(&b->split);
    b->pl->n_parts = (uint32_t)n_parts;
    b->pl->parts = calloc(n_parts, sizeof *b->pl->parts);
    if (!b->pl->parts) {
        fail(err, "out of memory");
        goto out;
    }
    b->pl->first_cn = p->n_cns;
    for (uint32_t part = 0; part < n_parts; part++)
        if (build_part(b, part, (uint32_t)n_parts, err) != 0)
            goto out;
    b->pl->n_cns = p->n_cns - b->pl->first_cn;
    rc = 0;
out:
    base_free(b);
    return rc;
}

/* Memories go bottom (next to the MACs) to top: a level larger and
 * costlier per access than the next one up for the same operand is most
 * likely a list written top-down. */
static void warn_order(plan *p, const cfg_chip *chip)
{
    for (int t = 0; t < chip->n_types; t++) {
        const cfg_core *c = &chip->types[t].core;
        for (int op = 0; op < CFG_MOP_COUNT; op++) {
            const cfg_memory *below = NULL;
            for (int m = 0; m < c->n_mems; m++) {
                const cfg_memory *cm = &c->mems[m];
                if (!cm->holds[op])
                    continue;
                if (below && below->size_bits > cm->size_bits && below->r_cost_pj > cm->r_cost_pj)
                    warn(p, false, "core %s: memory %s (%llu bits) is listed below %s (%llu bits) for "
                         "%s but is larger and costlier: memories go bottom (next to the MACs) "
                         "to top", c->name, below->name, (unsigned long long)below->size_bits,
                         cm->name, (unsigned long long)cm->size_bits,
                         cfg_mem_operand_name((cfg_mem_operand)op));
                below = cm;
            }
        }
    }
}

static int find_memory(const cfg_chip *chip, const char *name)
{
    for (int i = 0; i < chip->n_memories; i++)
        if (!strcmp(chip->memories[i].name, name))
            return i;
    return -1;
}

/* Does layer pl take its weights from a chip memory: its mapping names
 * one, or its weights' top level is the off-chip one. */
static bool weights_offchip(const plan_layer *pl, const cfg_map_entry *me)
{
    return pl->w_op >= 0 && pl->w_bits > 0 && (me->weights_in[0] || pl->top_offchip[pl->w_op]);
}

/* Where each layer's weights live: the memory its mapping entry names
 * (weights_in), else the first memory in the chip's list with room left,
 * layers in workload order (so early layers fill the first memory and
 * the rest spill to the next). A memory smaller than what weights_in puts
 * in it is an error, positioned at the first entry that names it. */
static int place_weights(plan *p, const cfg_scenario *s, base_error *err)
{
    const cfg_chip *chip = s->chip;
    uint64_t *used = base_calloc((size_t)chip->n_memories + 1, sizeof *used);
    if (!used)
        return fail(err, "out of memory");
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (uint32_t i = 0; i < p->n_layers && rc == 0; i++) {
            plan_layer *pl = &p->layers[i];
            const cfg_map_entry *me = cfg_mapping_find(s->mapping, pl->cfg);
            if (!weights_offchip(pl, me) || (pass == 0) != (me->weights_in[0] != 0))
                continue;
            int m = me->weights_in[0] ? find_memory(chip, me->weights_in) : -1;
            for (int j = 0; !me->weights_in[0] && j < chip->n_memories && m < 0; j++)
                if (chip->memories[j].size_bits - used[j] >= pl->w_bits)
                    m = j;
            if (m < 0) {
                rc = me->weights_in[0]
                         ? fail(err, "%s:%d:%d: layer %s: weights_in names %s, which is not "
                                "a memory of the chip", s->mapping_path, me->weights_in_line,
                                me->weights_in_col, lname(pl->cfg), me->weights_in)
                         : fail(err, "layer %s: its weights (%llu bits) fit in none of the "
                                "chip's memories", lname(pl->cfg),
                                (unsigned long long)pl->w_bits);
                break;
            }
            used[m] += pl->w_bits;
            pl->w_mem = (uint32_t)m;
            if (used[m] > chip->memories[m].size_bits)
                rc = fail(err, "%s:%d:%d: memory %s holds %llu bits, too few for the weights "
                          "weights_in places in it (%llu bits with layer %s)", s->mapping_path,
                          me->weights_in_line, me->weights_in_col, chip->memories[m].name,
                          (unsigned long long)chip->memories[m].size_bits,
                          (unsigned long long)used[m], lname(pl->cfg));
        }
    base_free(used);
    return rc;
}

plan *plan_build(const cfg_scenario *s, const loma_options *opt, loma_cache *cache,
                 base_error *err)
{
    const cfg_workload *w = s->workload;
    const cfg_chip *chip = s->chip;
    plan *p = calloc(1, sizeof *p);
    double *load = calloc((size_t)chip->n_cores + 1, sizeof *load);
    if (!p || !load) {
        free(p);
        free(load);
        fail(err, "out of memory");
        return NULL;
    }
    p->n_layers = (uint32_t)w->n_layers;
    p->layers = calloc((size_t)w->n_layers + 1, sizeof *p->layers);
    p->owns_cache = cache == NULL;
    p->cache = cache ? cache : loma_cache_new();
    if (!p->layers || !p->cache) {
        fail(err, "out of memory");
        goto bad;
    }
    for (uint32_t i = 0; i < p->n_layers; i++)
        if (build_layer(p, s, i, opt, load, err) != 0)
            goto bad;
    if (place_weights(p, s, err) != 0 || plan_deps_build(p, s, err) != 0 ||
        plan_input_build(p, err) != 0)
        goto bad;
    warn_order(p, chip);
    free(load);
    return p;
bad:
    free(load);
    plan_free(p);
    return NULL;
}

void plan_free(plan *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->n_layers && p->layers; i++) {
        free(p->layers[i].parts);
        for (uint32_t r = 0; r < p->layers[i].n_in_reads; r++)
            free(p->layers[i].in_reads[r].cores);
        free(p->layers[i].in_reads);
    }
    free(p->layers);
    free(p->cns);
    free(p->deps);
    if (p->owns_cache)
        loma_cache_free(p->cache);
    free(p);
}

static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

void plan_loop_order(const plan *p, const plan_cn *cn, char *buf, size_t len)
{
    const plan_layer *pl = &p->layers[cn->layer];
    const loma_result *r = cn->cost;
    size_t at = 0;
    buf[0] = 0;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        put(buf, len, &at, "%s%s:", op ? "; " : "", pl->whole.op_name[op]);
        for (int lev = 0; lev < r->n_levels[op]; lev++) {
            int m = r->mem_of[op][lev];
            put(buf, len, &at, " %s[", m >= 0 ? pl->core.mem[m].name : "?");
            for (int i = 0; i < r->n_loops[op][lev]; i++) {
                const loma_loop *lp = &r->loops[op][lev][i];
                put(buf, len, &at, "%s%s %g", i ? " " : "",
                    pl->whole.dim_name[lp->dim], lp->size);
            }
            put(buf, len, &at, "]");
        }
    }
}

void plan_spatial(const plan *p, const plan_cn *cn, char *buf, size_t len)
{
    const plan_layer *pl = &p->layers[cn->layer];
    const loma_result *r = cn->cost;
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < r->n_spatial; i++) {
        int oa = r->sp_oa[i];
        put(buf, len, &at, "%s%s %s %g", i ? ", " : "",
            oa >= 0 && oa < pl->core.n_oa ? pl->core.oa_name[oa] : "?",
            pl->whole.dim_name[r->sp_loop[i].dim], r->sp_loop[i].size);
    }
    if (!r->n_spatial)
        put(buf, len, &at, "none");
}
