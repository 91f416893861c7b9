/* loma_search.c -- the LOMA search: loop prime factors of the temporal
 * loop sizes, merged down to lpf_limit, every distinct ordering of that
 * multiset visited in the order of Williams' prefix-shift algorithm (the
 * order ZigZag uses, so ties resolve to the same ordering), each allocated
 * bottom-up and costed, the best kept by the criterion with ZigZag's
 * tie-breaking (strict improvement only, so the first best stays). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include "loma/loma_int.h"

#define DEFAULT_MAX_ORDERINGS 2000000u

typedef struct {
    int n;
    int dim[LOMA_MAX_LPF];
    uint64_t size[LOMA_MAX_LPF];
} lpf_set;

static int factorize(uint64_t v, uint64_t *out, int max)
{
    int n = 0;
    for (uint64_t p = 2; p * p <= v && n < max; p++)
        while (v % p == 0 && n < max) {
            out[n++] = p;
            v /= p;
        }
    if (v > 1) {
        if (n < max)
            out[n++] = v;
        else
            out[max - 1] *= v; /* more factors than we keep: fold the rest */
    }
    return n;
}

/* LPFs per dim (loop_dims order, ascending factors), merged while there
 * are more than lpf_limit: the dim with the most factors (first on ties)
 * merges its two smallest. */
static void make_lpfs(const lm_model *m, int lpf_limit, lpf_set *s)
{
    uint64_t f[LOMA_MAX_DIMS][LOMA_MAX_LPF];
    int nf[LOMA_MAX_DIMS], total = 0, ndims = 0;
    for (int d = 0; d < m->nd; d++) {
        nf[d] = 0;
        if (m->tsize[d] > 1) {
            nf[d] = factorize(m->tsize[d], f[d], LOMA_MAX_LPF);
            ndims++;
        }
        total += nf[d];
    }
    if (lpf_limit < ndims)
        lpf_limit = ndims;
    if (lpf_limit > LOMA_MAX_LPF)
        lpf_limit = LOMA_MAX_LPF; /* the set holds at most this many */
    while (total > lpf_limit) {
        int best = -1;
        for (int d = 0; d < m->nd; d++)
            if (best < 0 || nf[d] > nf[best])
                best = d;
        uint64_t prod = f[best][0] * f[best][1];
        int k = 0;
        for (int i = 2; i < nf[best]; i++)
            f[best][k++] = f[best][i];
        int pos = k;
        while (pos > 0 && f[best][pos - 1] > prod) {
            f[best][pos] = f[best][pos - 1];
            pos--;
        }
        f[best][pos] = prod;
        nf[best] = k + 1;
        total--;
    }
    s->n = 0;
    for (int d = 0; d < m->nd; d++)
        for (int i = 0; i < nf[d]; i++) {
            s->dim[s->n] = d;
            s->size[s->n] = f[d][i];
            s->n++;
        }
    if (s->n == 0) {
        s->dim[0] = 0;
        s->size[0] = 1;
        s->n = 1;
    }
}

/* Total order on (dim name, size) as Python compares the tuples. */
static int lpf_cmp(const lm_model *m, const lpf_set *s, int a, int b)
{
    int c = strcmp(m->L->dim_name[s->dim[a]], m->L->dim_name[s->dim[b]]);
    if (c)
        return c;
    return s->size[a] < s->size[b] ? -1 : s->size[a] > s->size[b];
}

static double count_perms(const lm_model *m, const lpf_set *s)
{
    double c = 1;
    int used[LOMA_MAX_LPF] = {0};
    for (int i = 1; i <= s->n; i++)
        c *= i;
    for (int i = 0; i < s->n; i++) {
        if (used[i])
            continue;
        int k = 0;
        for (int j = i; j < s->n; j++)
            if (!used[j] && lpf_cmp(m, s, i, j) == 0) {
                used[j] = 1;
                k++;
            }
        for (int q = 2; q <= k; q++)
            c /= q;
    }
    return c;
}

static bool better(loma_criterion cr, const lm_cost *a, const lm_cost *b)
{
    switch (cr) {
    case LOMA_CRIT_ENERGY:
        return a->energy < b->energy || (a->energy == b->energy && a->lat2 < b->lat2);
    case LOMA_CRIT_EDP:
        return a->energy * a->lat2 < b->energy * b->lat2;
    case LOMA_CRIT_STREAM:
        return a->objective < b->objective;
    case LOMA_CRIT_LATENCY:
    default:
        return a->lat2 < b->lat2 || (a->lat2 == b->lat2 && a->energy < b->energy);
    }
}

/* The DRAM bandwidth op uses at its top level (bits/cycle, all four
 * directions), as Stream's get_used_dram_bandwidth_for_op sums it. */
static double top_bw_used(const lm_model *m, const lm_cost *c, int op)
{
    int lv = m->nlev[op] - 1;
    double sum = 0;
    for (int d = 0; d < LOMA_N_DIRS; d++)
        sum += c->inst_bw[op][lv][d];
    const loma_memory *mem = &m->C->mem[m->mem[op][lv]];
    for (int p = 0; p < mem->n_ports && p < LOMA_MAX_PORTS; p++) {
        bool serves = false;
        for (int i = 0; i < mem->port[p].n_alloc; i++)
            serves = serves || mem->port[p].alloc_op[i] == op;
        if (serves)
            sum += c->loading_bw[op][lv][p];
    }
    return sum;
}

/* Stream's MinimalBandwidthLatencyStage objective: the latency truncated,
 * times how many DRAM ports' worth of bandwidth the DRAM operands use
 * (one CN's broadcast operand once, the others once per parallel CN). */
double lm_stream_objective(const lm_model *m, const lm_cost *c, const loma_options *opt)
{
    double lat = trunc(c->lat2);
    if (!opt->dram_ops)
        return lat;
    int n_ops = 0, first = -1;
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (opt->dram_ops & (1u << op)) {
            n_ops++;
            first = first < 0 ? op : first;
        }
    double par = opt->parallel_cns > 1 ? opt->parallel_cns : 1, used = 0;
    for (int op = 0; op < LOMA_N_OPS; op++)
        if (opt->dram_ops & (1u << op))
            used += (n_ops > 1 && op == opt->broadcast_op ? 1 : par) * top_bw_used(m, c, op);
    const loma_memory *dram = &m->C->mem[m->mem[first][m->nlev[first] - 1]];
    double port_bw = 0;
    for (int p = 0; p < dram->n_ports; p++)
        if ((double)dram->port[p].bw_max_bits > port_bw)
            port_bw = (double)dram->port[p].bw_max_bits;
    return port_bw > 0 ? ceil(used / port_bw) * lat : lat;
}

void lm_fill_result(const lm_model *m, const lm_temporal *t, const lm_cost *c,
                    const loma_loop *order, int n, loma_result *r)
{
    r->energy_pj = c->energy;
    r->mac_energy_pj = c->mac_energy;
    r->mem_energy_pj = c->mem_energy;
    r->latency_cycles = c->lat2;
    r->latency0_cycles = c->lat0;
    r->latency1_cycles = c->lat1;
    r->ideal_cycles = c->ideal;
    r->ideal_temporal_cycles = c->ideal_temporal;
    r->stall_cycles = c->stall;
    r->onload_cycles = c->onload;
    r->offload_cycles = c->offload;
    r->spatial_utilization = c->ideal / c->ideal_temporal;
    r->utilization = c->ideal / c->lat2;
    r->mac_count = m->mac;
    r->objective = c->objective;
    for (int op = 0; op < LOMA_N_OPS; op++) {
        r->n_levels[op] = m->nlev[op];
        for (int lv = 0; lv < m->nlev[op]; lv++) {
            r->mem_of[op][lv] = m->mem[op][lv];
            memcpy(r->inst_bw[op][lv], c->inst_bw[op][lv], sizeof r->inst_bw[op][lv]);
            memcpy(r->loading_bw[op][lv], c->loading_bw[op][lv], sizeof r->loading_bw[op][lv]);
            r->energy_level_pj[op][lv] = c->e_lvl[op][lv];
            for (int d = 0; d < LOMA_N_DIRS; d++) {
                r->energy_dir_pj[op][lv][d] = c->e_dir[op][lv][d];
                r->word_access[op][lv][d] = c->acc[op][lv][d];
            }
            /* member-wise, so the result's padding stays zero and two
             * results compare equal byte for byte */
            r->n_loops[op][lv] = t->tm.n[op][lv];
            for (int i = 0; i < t->tm.n[op][lv]; i++) {
                r->loops[op][lv][i].dim = t->tm.lp[op][lv][i].dim;
                r->loops[op][lv][i].size = t->tm.lp[op][lv][i].size;
            }
        }
        for (int lv = 0; lv <= m->nlev[op]; lv++)
            r->double_buffer[op][lv] = c->db[op][lv];
    }
    r->n_spatial = m->n_used;
    for (int i = 0; i < m->n_used; i++) {
        r->sp_oa[i] = m->used_oa[i];
        r->sp_loop[i] = m->used[i];
    }
    r->n_order = n;
    for (int i = 0; i < n; i++) {
        r->order[i].dim = order[i].dim;
        r->order[i].size = order[i].size;
    }
}

uint64_t loma_count_orderings(const loma_layer *layer, const loma_core *core,
                              const loma_spatial *sp, int lpf_limit)
{
    lm_model *m = base_malloc(sizeof *m);
    base_error e;
    uint64_t n = 0;
    if (m && lm_model_build(m, layer, core, sp, &e) == 0) {
        lpf_set s;
        make_lpfs(m, lpf_limit, &s);
        n = (uint64_t)count_perms(m, &s);
    }
    base_free(m);
    return n;
}

/* Orderings are enumerated in batches (node indices into the LPF set) and
 * each batch is split into contiguous slices evaluated by `threads`
 * workers; each slice keeps its first best, and the slices are reduced in
 * enumeration order, so the winner is the same for any thread count. */
#define BATCH 4096

typedef struct {
    const lm_model *m;
    const lpf_set *s;
    loma_criterion crit;
    const loma_options *opt;
    const uint8_t (*perm)[LOMA_MAX_LPF];
    int n;
    uint64_t base, lo, hi;        /* batch index range [lo, hi), base = index of batch[0] */
    /* results */
    bool have;
    uint64_t valid, best_idx;
    lm_cost best;
    lm_temporal best_t;
    loma_loop best_order[LOMA_MAX_LOOPS];
    /* workspace */
    lm_tmap alloc;
    lm_temporal cur;
    lm_cost c;
} worker;

static void *eval_slice(void *arg)
{
    worker *w = arg;
    w->have = false;
    w->valid = 0;
    loma_loop order[LOMA_MAX_LOOPS];
    for (uint64_t i = w->lo; i < w->hi; i++) {
        for (int q = 0; q < w->n; q++) {
            order[q].dim = w->s->dim[w->perm[i][q]];
            order[q].size = (double)w->s->size[w->perm[i][q]];
        }
        if (lm_allocate(w->m, order, w->n, &w->alloc, NULL))
            continue;
        lm_temporal_derive(w->m, &w->alloc, &w->cur);
        w->valid++;
        double cut = w->crit == LOMA_CRIT_ENERGY && w->have ? w->best.energy : INFINITY;
        if (!lm_cost_eval(w->m, &w->cur, &w->c, cut))
            continue;
        w->c.objective = w->crit == LOMA_CRIT_STREAM ? lm_stream_objective(w->m, &w->c, w->opt) : 0;
        if (!w->have || better(w->crit, &w->c, &w->best)) {
            w->best = w->c;
            w->best_t = w->cur;
            memcpy(w->best_order, order, sizeof(loma_loop) * (size_t)w->n);
            w->best_idx = w->base + i;
            w->have = true;
        }
    }
    return NULL;
}

/* Evaluates batch entries [0, count) with nt workers; folds each slice's
 * best into *g in slice order. */
static void eval_batch(worker *ws, int nt, uint64_t count, worker *g)
{
    if (count < (uint64_t)nt * 64)
        nt = 1;
    pthread_t tid[LOMA_MAX_THREADS];
    bool started[LOMA_MAX_THREADS] = {false};
    for (int t = 0; t < nt; t++) {
        ws[t].lo = count * (uint64_t)t / (uint64_t)nt;
        ws[t].hi = count * (uint64_t)(t + 1) / (uint64_t)nt;
        if (t > 0 && pthread_create(&tid[t], NULL, eval_slice, &ws[t]) == 0)
            started[t] = true;
        else if (t > 0)
            eval_slice(&ws[t]); /* no thread: do it here, same result */
    }
    eval_slice(&ws[0]);
    for (int t = 1; t < nt; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
    for (int t = 0; t < nt; t++) {
        g->valid += ws[t].valid;
        if (ws[t].have && (!g->have || better(g->crit, &ws[t].best, &g->best))) {
            g->best = ws[t].best;
            g->best_t = ws[t].best_t;
            memcpy(g->best_order, ws[t].best_order, sizeof g->best_order);
            g->best_idx = ws[t].best_idx;
            g->have = true;
        }
    }
}

/* No ordering fits: say why the first one does not, naming the layer,
 * the operand, the memory level and the sizes. */
void lm_describe_failure(const lm_model *m, const loma_loop *first, int n, uint64_t tried,
                         base_error *err)
{
    lm_fail f = {0};
    lm_tmap *tmp = base_malloc(sizeof *tmp);
    const loma_layer *L = m->L;
    const loma_core *C = m->C;
    if (!tmp || lm_allocate(m, first, n, tmp, &f) == 0 || f.kind == 0) {
        base_fail(err, "layer %s: no loop ordering fits the memories of core %s (%llu tried)",
                 L->name, C->name, (unsigned long long)tried);
    } else if (f.kind == LM_FAIL_SLICE) {
        base_fail(err, "layer %s: operand %s does not fit memory level %d (%s): it needs %.0f bits there "
                 "even with no temporal loops, the memory has %.0f (no ordering of %llu fits)",
                 L->name, L->op_name[f.op], f.level, C->mem[f.mem].name, f.need_bits, f.cap_bits,
                 (unsigned long long)tried);
    } else if (f.kind == LM_FAIL_SHARED) {
        base_fail(err, "layer %s: the operands sharing memory %s need %.0f bits together, it has %.0f (no "
                 "ordering of %llu fits)",
                 L->name, C->mem[f.mem].name, f.need_bits, f.cap_bits, (unsigned long long)tried);
    } else {
        base_fail(err, "layer %s: operand %s does not fit its top memory level %d (%s, %.0f bits): the "
                 "layer is too large for this core (no ordering of %llu fits)",
                 L->name, L->op_name[f.op], f.level, C->mem[f.mem].name, f.cap_bits,
                 (unsigned long long)tried);
    }
    base_free(tmp);
}

/* Williams' prefix-shift multiset permutation over a linked list whose
 * values are the elements' ranks; starts non-increasing. */
typedef struct {
    int rank[LOMA_MAX_LPF], nxt[LOMA_MAX_LPF];
    int h, ii, jj; /* head, and the walk's two cursors */
} perm_walk;

static void walk_init(const lm_model *m, const lpf_set *s, perm_walk *w)
{
    int idx[LOMA_MAX_LPF] = {0};
    memset(w, 0, sizeof *w);
    for (int i = 0; i < s->n; i++)
        idx[i] = i;
    for (int i = 1; i < s->n; i++) { /* ascending insertion sort */
        int k = idx[i], j = i - 1;
        while (j >= 0 && lpf_cmp(m, s, idx[j], k) > 0) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = k;
    }
    for (int i = 0; i < s->n; i++) {
        w->rank[idx[i]] = 0;
        for (int j = 0; j < s->n; j++)
            if (lpf_cmp(m, s, idx[i], j) > 0)
                w->rank[idx[i]]++;
    }
    /* list in descending order: node idx[n-1] first */
    w->h = idx[s->n - 1];
    for (int i = s->n - 1; i >= 0; i--)
        w->nxt[idx[i]] = i > 0 ? idx[i - 1] : -1;
    w->ii = w->jj = w->h;
    for (int q = 0; q < s->n - 2 && w->ii >= 0 && w->nxt[w->ii] >= 0; q++)
        w->ii = w->nxt[w->ii];
    for (int q = 0; q < s->n - 1 && w->nxt[w->jj] >= 0; q++)
        w->jj = w->nxt[w->jj];
}

static bool walk_done(const perm_walk *w)
{
    return !(w->nxt[w->jj] >= 0 || w->rank[w->jj] < w->rank[w->h]);
}

static void walk_step(perm_walk *w)
{
    int *nxt = w->nxt, *rank = w->rank;
    int sn = (nxt[w->jj] >= 0 && rank[w->ii] >= rank[nxt[w->jj]]) ? w->jj : w->ii;
    int tn = nxt[sn];
    nxt[sn] = nxt[tn];
    nxt[tn] = w->h;
    if (rank[tn] < rank[w->h])
        w->ii = tn;
    w->jj = nxt[w->ii];
    w->h = tn;
}

/* Evaluates every ordering of the walk (at most cap) in batches over the
 * workers; the best lands in g. Returns the orderings visited. */
static uint64_t search_all(perm_walk *pw, uint8_t (*perm)[LOMA_MAX_LPF], worker *ws, int nt,
                           uint64_t cap, worker *g)
{
    uint64_t visited = 0, inbatch = 0;
    for (;;) {
        int n = 0;
        for (int p = pw->h; p >= 0; p = pw->nxt[p])
            perm[inbatch][n++] = (uint8_t)p;
        inbatch++;
        visited++;
        bool last = visited >= cap || walk_done(pw);
        if (inbatch == BATCH || last) {
            for (int t = 0; t < nt; t++)
                ws[t].base = visited - inbatch;
            eval_batch(ws, nt, inbatch, g);
            inbatch = 0;
        }
        if (last)
            return visited;
        walk_step(pw);
    }
}

/* nt workers over the batch array perm, and the gatherer ws[nt]. */
static void workers_init(worker *ws, int nt, const lm_model *m, const lpf_set *s,
                         uint8_t (*perm)[LOMA_MAX_LPF], const loma_options *opt)
{
    ws[nt].crit = opt->criterion;
    for (int t = 0; t < nt; t++) {
        ws[t].m = m;
        ws[t].s = s;
        ws[t].crit = opt->criterion;
        ws[t].opt = opt;
        ws[t].perm = (const uint8_t(*)[LOMA_MAX_LPF])perm;
        ws[t].n = s->n;
    }
}

static int map_one(const loma_layer *layer, const loma_core *core, const loma_spatial *sp,
                   const loma_options *opt, loma_result *out, base_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(out, 0, sizeof *out);
    base_error_clear(err);
    int nt = opt->threads < 1 ? 1 : opt->threads > LOMA_MAX_THREADS ? LOMA_MAX_THREADS : opt->threads;
    lm_model *m = base_calloc(1, sizeof *m);
    worker *ws = base_calloc((size_t)nt + 1, sizeof *ws);
    uint8_t (*perm)[LOMA_MAX_LPF] = base_malloc(sizeof *perm * BATCH);
    int rc = -1;
    if (!m || !ws || !perm) {
        base_fail(err, "layer %s: out of memory", layer->name);
        goto done;
    }
    if (lm_model_build(m, layer, core, sp, err))
        goto done;
    lpf_set s;
    make_lpfs(m, opt->lpf_limit > 0 ? opt->lpf_limit : 6, &s);
    if (s.n > LOMA_MAX_LOOPS) {
        base_fail(err, "layer %s: %d loop prime factors (at most %d)",
                 layer->name, s.n, LOMA_MAX_LOOPS);
        goto done;
    }
    double nperm = count_perms(m, &s);
    uint64_t cap = opt->max_orderings ? opt->max_orderings : DEFAULT_MAX_ORDERINGS;
    perm_walk pw;
    walk_init(m, &s, &pw);
    loma_loop first[LOMA_MAX_LOOPS]; /* the walk's first ordering, for errors */
    int q = 0;
    for (int p = pw.h; p >= 0; p = pw.nxt[p], q++)
        first[q] = (loma_loop){.dim = s.dim[p], .size = (double)s.size[p]};
    worker *g = &ws[nt];
    workers_init(ws, nt, m, &s, perm, opt);
    const uint64_t visited = search_all(&pw, perm, ws, nt, cap, g);
    const uint64_t valid = g->valid;
    const bool have = g->have;
    out->chosen_index = g->best_idx;
    out->orderings_evaluated = visited;
    out->orderings_valid = valid;
    out->orderings_skipped = nperm > (double)visited ? (uint64_t)(nperm - (double)visited) : 0;
    out->n_spatial_candidates = 1;
    if (!have) {
        lm_describe_failure(m, first, s.n, visited, err);
        goto done;
    }
    lm_fill_result(m, &g->best_t, &g->best, g->best_order, s.n, out);
    rc = 0;
done:
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    base_free(m);
    base_free(ws);
    base_free(perm);
    return rc;
}

static bool result_better(loma_criterion cr, const loma_result *a, const loma_result *b)
{
    lm_cost ca = {0}, cb = {0};
    ca.energy = a->energy_pj;
    ca.lat2 = a->latency_cycles;
    ca.objective = a->objective;
    cb.energy = b->energy_pj;
    cb.lat2 = b->latency_cycles;
    cb.objective = b->objective;
    return better(cr, &ca, &cb);
}

int loma_map(const loma_layer *layer, const loma_core *core, const loma_spatial *sp,
             const loma_options *opt, loma_result *out, base_error *err)
{
    bool any_free = false;
    for (int o = 0; o < core->n_oa && o < LOMA_MAX_OA; o++)
        any_free = any_free || sp->free_oa[o];
    if (!any_free)
        return map_one(layer, core, sp, opt, out, err);
    /* the mapping leaves some OA dims free: try the best-utilising
     * candidates and keep the best result (the first on ties) */
    loma_spatial cand[LOMA_SPATIAL_CANDIDATES];
    int n = lm_spatial_candidates(layer, core, sp, cand, LOMA_SPATIAL_CANDIDATES, err);
    if (n < 0)
        return -1;
    loma_result *tmp = base_malloc(sizeof *tmp);
    if (!tmp) {
        base_fail(err, "layer %s: out of memory", layer->name);
        return -1;
    }
    int ok = 0;
    uint64_t evaluated = 0, valid = 0, skipped = 0;
    double wall = 0;
    base_error e1;
    for (int i = 0; i < n; i++) {
        if (map_one(layer, core, &cand[i], opt, tmp, &e1)) {
            *err = e1;
            continue;
        }
        evaluated += tmp->orderings_evaluated;
        valid += tmp->orderings_valid;
        skipped += tmp->orderings_skipped;
        wall += tmp->wall_s;
        if (!ok || result_better(opt->criterion, tmp, out))
            *out = *tmp;
        ok = 1;
    }
    base_free(tmp);
    if (!ok)
        return -1;
    out->orderings_evaluated = evaluated;
    out->orderings_valid = valid;
    out->orderings_skipped = skipped;
    out->n_spatial_candidates = n;
    out->wall_s = wall;
    return 0;
}

const char *loma_dir_name(int dir)
{
    static const char *n[LOMA_N_DIRS] = {"tl", "fl", "th", "fh"};
    return dir >= 0 && dir < LOMA_N_DIRS ? n[dir] : "?";
}

const char *loma_criterion_name(loma_criterion c)
{
    return c == LOMA_CRIT_ENERGY ? "energy" : c == LOMA_CRIT_EDP ? "edp"
         : c == LOMA_CRIT_STREAM ? "stream" : "latency";
}

void loma_inst_bandwidth(const loma_result *r, const loma_core *core, int op, int lv,
                         double scaling, double out[LOMA_N_DIRS])
{
    for (int d = 0; d < LOMA_N_DIRS; d++)
        out[d] = 0;
    if (op < 0 || op >= LOMA_N_OPS || lv < 0 || lv >= r->n_levels[op])
        return;
    for (int d = 0; d < LOMA_N_DIRS; d++)
        out[d] = ceil(r->inst_bw[op][lv][d] * scaling);
    const loma_memory *mem = &core->mem[r->mem_of[op][lv]];
    bool holds_o = false;
    for (int i = 0; i < mem->n_ops; i++)
        holds_o = holds_o || mem->ops[i] == LOMA_OP_O;
    for (int p = 0; p < mem->n_ports && p < LOMA_MAX_PORTS; p++) {
        bool serves = false;
        for (int i = 0; i < mem->port[p].n_alloc; i++)
            serves = serves || mem->port[p].alloc_op[i] == op;
        if (serves)
            out[holds_o ? LOMA_FH : LOMA_TL] += ceil(r->loading_bw[op][lv][p] * scaling);
    }
}

int loma_criterion_parse(const char *s, loma_criterion *c)
{
    if (!strcmp(s, "latency"))
        *c = LOMA_CRIT_LATENCY;
    else if (!strcmp(s, "energy"))
        *c = LOMA_CRIT_ENERGY;
    else if (!strcmp(s, "edp"))
        *c = LOMA_CRIT_EDP;
    else
        return -1;
    return 0;
}
