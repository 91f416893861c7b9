/* strm_sched.c -- the main loop of Stream's CoalaScheduler.run
 * (semantics.md §2): pick the ready CN first in the priority order, sync
 * the cores at a layer barrier, clear the core for too-large operands,
 * bring its tensors, make room for its output, block the off-chip links,
 * register it, then free what it no longer needs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/strm_int.h"

/* ---- ready list: a binary heap keyed by priority rank ---------------- */

static void heap_push(strm_state *s, int cn)
{
    int i = s->n_heap++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (s->rank[s->heap[p]] <= s->rank[cn])
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = cn;
}

static int heap_pop(strm_state *s)
{
    int top = s->heap[0], x = s->heap[--s->n_heap], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && s->rank[s->heap[c + 1]] < s->rank[s->heap[c]])
            c++;
        if (s->rank[x] <= s->rank[s->heap[c]])
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap > 0)
        s->heap[i] = x;
    return top;
}

/* ---- set-up ------------------------------------------------------------ */

static int check_graph(const strm_graph *g, base_error *err)
{
    if (g->n_cns <= 0 || g->n_cores <= 0 || g->n_mems <= 0)
        return base_fail(err, "stream graph: expected CNs, cores and memories, found %d, %d, %d",
                         g->n_cns, g->n_cores, g->n_mems);
    if (g->n_cores > 64 || g->offchip_core < 0 || g->offchip_core >= g->n_cores)
        return base_fail(err, "stream graph: off-chip core %d of %d cores (at most 64)",
                         g->offchip_core, g->n_cores);
    for (int c = 0; c < g->n_cores; c++)
        for (int op = 0; op < STRM_NMEM; op++)
            if (g->cores[c].top_mem[op] < 0 || g->cores[c].top_mem[op] >= g->n_mems)
                return base_fail(err, "stream graph: core %d has no top memory for operand %d", c, op);
    for (int i = 0; i < g->n_cns; i++) {
        const strm_cn *c = &g->cns[i];
        if (c->core < 0 || c->core >= g->n_cores || c->inter_splits == 0 || !(c->runtime_cycles >= 0))
            return base_fail(err, "stream graph: CN %d (layer %d sub %d): core %d, splits %u, "
                             "runtime %g", i, c->layer, c->sub_id, c->core, c->inter_splits,
                             c->runtime_cycles);
        for (int op = 0; op < STRM_NMEM; op++)
            if (c->tensor[op] >= g->n_tensors || (op == STRM_O && c->tensor[op] < 0))
                return base_fail(err, "stream graph: CN %d: tensor %d of operand %d", i,
                                 c->tensor[op], op);
    }
    for (int i = 0; i < g->n_edges; i++) {
        const strm_edge *e = &g->edges[i];
        if (e->src < 0 || e->src >= g->n_cns || e->dst < 0 || e->dst >= g->n_cns ||
            e->mem_op < 0 || e->mem_op >= STRM_NMEM)
            return base_fail(err, "stream graph: edge %d (%d -> %d, operand %d) out of range", i,
                             e->src, e->dst, e->mem_op);
    }
    return 0;
}

static int set_rank(strm_state *s)
{
    const strm_graph *g = s->g;
    for (int i = 0; i < g->n_cns; i++)
        s->rank[i] = -1;
    for (int i = 0; i < g->n_cns; i++) {
        int c = g->order[i];
        if (c < 0 || c >= g->n_cns || s->rank[c] >= 0)
            return base_fail(s->err, "stream graph: the priority order is not a permutation of "
                             "the CNs (entry %d is %d)", i, c);
        s->rank[c] = i;
    }
    return 0;
}

/* Stream sorts nodes by (layer, sub_id). */
static bool cn_less(const strm_graph *g, int a, int b)
{
    const strm_cn *x = &g->cns[a], *y = &g->cns[b];
    return x->layer != y->layer ? x->layer < y->layer : x->sub_id < y->sub_id;
}

/* Insertion sort of edge indices by one end (lists are short; stable). */
static void sort_edges(const strm_graph *g, int *e, int n, bool by_src)
{
    for (int i = 1; i < n; i++) {
        int x = e[i], j = i;
        int kx = by_src ? g->edges[x].src : g->edges[x].dst;
        while (j > 0) {
            int ky = by_src ? g->edges[e[j - 1]].src : g->edges[e[j - 1]].dst;
            if (!cn_less(g, kx, ky))
                break;
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

/* In- and out-edge lists per CN, each sorted by the other end as Stream
 * sorts nodes: (layer, sub_id). */
static void build_adjacency(strm_state *s)
{
    const strm_graph *g = s->g;
    int n = g->n_cns;
    for (int i = 0; i < g->n_edges; i++) {
        s->in_off[g->edges[i].dst + 1]++;
        s->out_off[g->edges[i].src + 1]++;
    }
    for (int i = 0; i < n; i++) {
        s->in_off[i + 1] += s->in_off[i];
        s->out_off[i + 1] += s->out_off[i];
    }
    int *fi = s->heap, *fo = s->heap + n;   /* the heap is free scratch here */
    memcpy(fi, s->in_off, sizeof(int) * (size_t)n);
    memcpy(fo, s->out_off, sizeof(int) * (size_t)n);
    for (int i = 0; i < g->n_edges; i++) {
        s->in_e[fi[g->edges[i].dst]++] = i;
        s->out_e[fo[g->edges[i].src]++] = i;
    }
    for (int i = 0; i < n; i++) {
        sort_edges(g, s->in_e + s->in_off[i], s->in_off[i + 1] - s->in_off[i], true);
        sort_edges(g, s->out_e + s->out_off[i], s->out_off[i + 1] - s->out_off[i], false);
    }
}

/* Sink layers: every CN of the layer without out-edges, the chain edges
 * inside a layer included, so a tiled last layer is never one (§6.2). */
static int mark_sinks(strm_state *s)
{
    const strm_graph *g = s->g;
    int max_layer = 0;
    for (int i = 0; i < g->n_cns; i++)
        if (g->cns[i].layer > max_layer)
            max_layer = g->cns[i].layer;
    uint8_t *busy = base_calloc((size_t)max_layer + 1, 1);
    if (!busy)
        return base_fail(s->err, "out of memory");
    for (int i = 0; i < g->n_cns; i++)
        if (s->out_off[i + 1] > s->out_off[i])
            busy[g->cns[i].layer] = 1;
    for (int i = 0; i < g->n_cns; i++)
        s->sink[i] = !busy[g->cns[i].layer] && g->cns[i].final_output;
    base_free(busy);
    return 0;
}

/* The barrier of §2.2: a CN with sub_id 0 all of whose predecessor
 * layers come earlier in the order syncs every core. */
static int mark_syncs(strm_state *s)
{
    const strm_graph *g = s->g;
    int max_layer = 0;
    for (int i = 0; i < g->n_cns; i++)
        if (g->cns[i].layer > max_layer)
            max_layer = g->cns[i].layer;
    int *last = base_malloc(sizeof *last * ((size_t)max_layer + 1));
    if (!last)
        return base_fail(s->err, "out of memory");
    for (int l = 0; l <= max_layer; l++)
        last[l] = -1;
    for (int i = 0; i < g->n_cns; i++)
        if (s->rank[i] > last[g->cns[i].layer])
            last[g->cns[i].layer] = s->rank[i];
    for (int i = 0; i < g->n_cns; i++) {
        s->sync[i] = g->cns[i].sub_id == 0;
        for (int k = s->in_off[i]; k < s->in_off[i + 1] && s->sync[i]; k++) {
            int p = g->edges[s->in_e[k]].src;
            if (g->cns[p].layer != g->cns[i].layer && last[g->cns[p].layer] >= s->rank[i])
                s->sync[i] = 0;
        }
    }
    base_free(last);
    return 0;
}

/* Stream's initialize_instance_priorities, CN by CN: an output counts
 * its consumers' edges per consumer instance; a constant starts at its
 * reuse factor on its CN's instance. */
static void init_priorities(strm_state *s)
{
    const strm_graph *g = s->g;
    int nm = g->n_mems;
    for (int i = 0; i < g->n_cns; i++)
        for (int op = 0; op < STRM_NMEM; op++) {
            int t = g->cns[i].tensor[op];
            if (t < 0)
                continue;
            if (op == STRM_O) {
                for (int k = s->out_off[i]; k < s->out_off[i + 1]; k++) {
                    const strm_edge *e = &g->edges[s->out_e[k]];
                    if (g->cns[e->dst].layer == g->cns[i].layer)
                        continue;
                    size_t x = (size_t)t * nm + g->cores[g->cns[e->dst].core].top_mem[e->mem_op];
                    s->prio[x] = s->has_prio[x] ? s->prio[x] + 1 : 1;
                    s->has_prio[x] = 1;
                }
            } else if (s->t[t].base_priority != STRM_NO_PRIORITY) {
                size_t x = (size_t)t * nm + g->cores[g->cns[i].core].top_mem[s->t[t].mem_op];
                s->prio[x] = s->t[t].base_priority;
                s->has_prio[x] = 1;
            }
        }
}

static bool is_const(const strm_cn *c, int op)
{
    for (int k = 0; k < c->n_const; k++)
        if (c->const_op[k] == op)
            return true;
    return false;
}

/* Constants, and the inputs of CNs without predecessors, are in DRAM at
 * time 0 (§2, initialize_offchip_tensors). */
static int init_offchip(strm_state *s)
{
    const strm_graph *g = s->g;
    for (int i = 0; i < g->n_cns; i++) {
        const strm_cn *c = &g->cns[i];
        bool root = s->in_off[i + 1] == s->in_off[i];
        for (int op = 0; op < STRM_NMEM; op++) {
            int t = c->tensor[op];
            if (t < 0 || !(is_const(c, op) || (op != STRM_O && root)))
                continue;
            int m = g->cores[g->offchip_core].top_mem[s->t[t].mem_op];
            if (!strm_mem_has(s, t, m) &&
                strm_mem_add(s, t, g->cores[g->offchip_core].top_mem[op], 0, 0) < 0)
                return -1;
        }
    }
    return 0;
}

static int alloc_state(strm_state *s)
{
    const strm_graph *g = s->g;
    size_t n = (size_t)g->n_cns;
    s->rank = base_malloc(sizeof(int) * n);
    s->layer = base_malloc(sizeof(int) * n);
    s->done = base_calloc(n, 1);
    s->start = base_malloc(sizeof(double) * n);
    s->end = base_malloc(sizeof(double) * n);
    s->preds_end = base_calloc(n, sizeof(double));
    s->preds_left = base_calloc(n, sizeof(int));
    s->too_large = base_malloc(sizeof *s->too_large * n);
    s->sink = base_calloc(n, 1);
    s->sync = base_calloc(n, 1);
    s->in_off = base_calloc(n + 1, sizeof(int));
    s->out_off = base_calloc(n + 1, sizeof(int));
    s->in_e = base_malloc(sizeof(int) * ((size_t)g->n_edges + 1));
    s->out_e = base_malloc(sizeof(int) * ((size_t)g->n_edges + 1));
    s->heap = base_malloc(sizeof(int) * 2 * n);
    s->idle_from = base_calloc((size_t)g->n_cores, sizeof(double));
    s->has_cns = base_calloc((size_t)g->n_cores, 1);
    s->prof = base_calloc((size_t)g->n_links + 1, sizeof *s->prof);
    if (!s->rank || !s->layer || !s->done || !s->start || !s->end || !s->preds_end || !s->preds_left ||
        !s->too_large || !s->sink || !s->sync || !s->in_off || !s->out_off || !s->in_e ||
        !s->out_e || !s->heap || !s->idle_from || !s->has_cns || !s->prof)
        return base_fail(s->err, "out of memory");
    for (int i = 0; i < g->n_links; i++)
        if (strm_prof_init(&s->prof[i]) < 0)
            return base_fail(s->err, "out of memory");
    if (strm_tensor_reserve(s, g->n_tensors + g->n_cns + 16) < 0)
        return base_fail(s->err, "out of memory");
    for (int i = 0; i < g->n_tensors; i++)
        if (strm_tensor_new(s, &g->tensors[i], -1) < 0)
            return base_fail(s->err, "out of memory");
    if (strm_mem_init(s) < 0)
        return base_fail(s->err, "out of memory");
    return 0;
}

static int state_init(strm_state *s)
{
    const strm_graph *g = s->g;
    if (alloc_state(s) < 0 || set_rank(s) < 0)
        return -1;
    build_adjacency(s);
    if (mark_sinks(s) < 0 || mark_syncs(s) < 0)
        return -1;
    for (int i = 0; i < g->n_cns; i++) {
        s->layer[i] = g->cns[i].layer;
        s->end[i] = s->start[i] = -1;
        memcpy(s->too_large[i], g->cns[i].too_large, sizeof s->too_large[i]);
        s->preds_left[i] = s->in_off[i + 1] - s->in_off[i];
        s->has_cns[g->cns[i].core] = 1;
        if (s->preds_left[i] == 0)
            heap_push(s, i);
    }
    init_priorities(s);
    return init_offchip(s);
}

static void state_free(strm_state *s)
{
    base_free(s->rank); base_free(s->layer); base_free(s->done); base_free(s->start); base_free(s->end);
    base_free(s->preds_end); base_free(s->preds_left); base_free(s->too_large);
    base_free(s->sink); base_free(s->sync); base_free(s->in_off); base_free(s->out_off);
    base_free(s->in_e); base_free(s->out_e); base_free(s->heap);
    base_free(s->idle_from); base_free(s->has_cns);
    if (s->prof)
        for (int i = 0; i < s->g->n_links; i++)
            strm_prof_free(&s->prof[i]);
    base_free(s->prof);
    if (s->inst)
        for (int m = 0; m < s->g->n_mems; m++) {
            base_free(s->inst[m].t); base_free(s->inst[m].use);
        }
    base_free(s->inst);
    for (int i = 0; i < s->n_t; i++)
        if (s->seen[i].cap) {
            base_free(s->seen[i].link); base_free(s->seen[i].start);
        }
    base_free(s->seen); base_free(s->t); base_free(s->parent); base_free(s->t_layer); base_free(s->in_mem);
    base_free(s->since); base_free(s->avail); base_free(s->prio); base_free(s->has_prio);
    base_free(s->nxt); base_free(s->prv);
    base_free(s->ev);
    base_free(s->scratch);
}

/* Successors whose last predecessor this was become ready, with the
 * latest end of their predecessors (§2.11). */
static void extend(strm_state *s, int cn)
{
    const strm_graph *g = s->g;
    for (int k = s->out_off[cn]; k < s->out_off[cn + 1]; k++) {
        int d = g->edges[s->out_e[k]].dst;
        if (--s->preds_left[d] > 0)
            continue;
        double m = 0;
        for (int j = s->in_off[d]; j < s->in_off[d + 1]; j++)
            m = fmax(m, s->end[g->edges[s->in_e[j]].src]);
        s->preds_end[d] = m;
        heap_push(s, d);
    }
}

static int mem_stats(const strm_state *s, strm_result *out)
{
    out->n_mems = s->g->n_mems;
    out->mems = base_calloc((size_t)out->n_mems, sizeof *out->mems);
    if (!out->mems)
        return base_fail(s->err, "out of memory");
    for (int m = 0; m < out->n_mems; m++) {
        const strm_inst *in = &s->inst[m];
        strm_mem_stats *st = &out->mems[m];
        int64_t peak = 0;
        for (int k = 0; k < in->n; k++)
            if (in->use[k] > peak) {
                peak = in->use[k];
                st->first_peak_at = in->t[k];
            }
        st->peak_bits = (uint64_t)peak;
        st->n_steps = in->n;
        st->tensors_left = in->n_stored;
    }
    return 0;
}

static int fill_result(const strm_state *s, strm_result *out)
{
    const strm_graph *g = s->g;
    out->n_cns = g->n_cns;
    out->start = base_malloc(sizeof(double) * (size_t)g->n_cns);
    out->end = base_malloc(sizeof(double) * (size_t)g->n_cns);
    out->events = base_malloc(sizeof *out->events * ((size_t)s->n_ev + 1));
    if (!out->start || !out->end || !out->events)
        return base_fail(s->err, "out of memory");
    memcpy(out->start, s->start, sizeof(double) * (size_t)g->n_cns);
    memcpy(out->end, s->end, sizeof(double) * (size_t)g->n_cns);
    memcpy(out->events, s->ev, sizeof *out->events * (size_t)s->n_ev);
    out->n_events = s->n_ev;
    double lat = 0;                  /* get_total_latency */
    for (int i = 0; i < g->n_cns; i++)
        lat = fmax(lat, s->end[i]);
    for (int i = 0; i < s->n_ev; i++)
        lat = fmax(lat, s->ev[i].end);
    out->latency_cycles = lat;
    strm_energy_fill(s, out);
    return mem_stats(s, out);
}

static int run_loop(strm_state *s)
{
    const strm_graph *g = s->g;
    int max_in = 0;
    for (int i = 0; i < g->n_cns; i++)
        if (s->in_off[i + 1] - s->in_off[i] > max_in)
            max_in = s->in_off[i + 1] - s->in_off[i];
    strm_need nd = {0, NULL, NULL, NULL};
    size_t n = (size_t)max_in + 3;
    nd.full = base_malloc(sizeof(int) * n);
    nd.sub = base_malloc(sizeof(int) * n);
    nd.op = base_malloc(sizeof(int) * n);
    int rc = nd.full && nd.sub && nd.op ? 0 : base_fail(s->err, "out of memory");
    for (int done = 0; rc == 0 && done < g->n_cns; done++) {
        if (s->n_heap == 0) {
            rc = base_fail(s->err, "stream graph: no CN is ready after %d of %d (a cycle?)", done,
                           g->n_cns);
            break;
        }
        int cn = heap_pop(s);
        rc = strm_step(s, cn, &nd);
        if (rc == 0)
            extend(s, cn);
    }
    base_free(nd.full);
    base_free(nd.sub);
    base_free(nd.op);
    return rc;
}

int strm_schedule(const strm_graph *g, strm_result *out, base_error *err)
{
    memset(out, 0, sizeof *out);
    if (check_graph(g, err) < 0)
        return -1;
    strm_state s;
    memset(&s, 0, sizeof s);
    s.g = g;
    s.err = err;
    int rc = state_init(&s);
    if (rc == 0)
        rc = run_loop(&s);
    if (rc == 0)
        rc = fill_result(&s, out);
    state_free(&s);
    return rc;
}

void strm_result_free(strm_result *r)
{
    base_free(r->start);
    base_free(r->end);
    base_free(r->events);
    base_free(r->mems);
    memset(r, 0, sizeof *r);
}

void strm_graph_free(strm_graph *g)
{
    base_free(g->mems);
    base_free(g->cores);
    base_free(g->links);
    base_free(g->routes);
    base_free(g->tensors);
    base_free(g->cns);
    base_free(g->edges);
    base_free(g->order);
    memset(g, 0, sizeof *g);
}
