/* strm_xfer.c -- what moves tensors: a transfer between two cores'
 * top memories (semantics.md §2.6, §3), a removal with its optional
 * write-back to DRAM, making space by eviction (§4), and the blocking of
 * the off-chip links by a CN with too-large operands (§2.8). */
#include <math.h>
#include <string.h>

#include "run/strm_int.h"

int strm_event_add(strm_state *s, const strm_event *e)
{
    if (s->n_ev == s->cap_ev) {
        int c = s->cap_ev ? s->cap_ev * 2 : 256;
        strm_event *v = base_realloc(s->ev, sizeof *v * (size_t)c);
        if (!v)
            return base_fail(s->err, "out of memory");
        s->ev = v;
        s->cap_ev = c;
    }
    s->ev[s->n_ev++] = *e;
    return 0;
}

/* Past the inline slots, the list moves to the heap. */
static int seen_grow(strm_state *s, strm_seen *sn)
{
    int c = 2 * sn->n;
    int *l = base_malloc(sizeof *l * (size_t)c);
    double *st = base_malloc(sizeof *st * (size_t)c);
    if (!l || !st) {
        base_free(l);
        base_free(st);
        return base_fail(s->err, "out of memory");
    }
    memcpy(l, sn->cap ? sn->link : sn->link0, sizeof *l * (size_t)sn->n);
    memcpy(st, sn->cap ? sn->start : sn->start0, sizeof *st * (size_t)sn->n);
    if (sn->cap) {
        base_free(sn->link);
        base_free(sn->start);
    }
    sn->link = l;
    sn->start = st;
    sn->cap = c;
    return 0;
}

/* Stream's update_activity: the same tensor object starting at the same
 * time on a link again adds nothing (broadcast, §3). 1 if it was new. */
static int link_use(strm_state *s, int link, int tensor, double start, double end, int64_t bits)
{
    if (start == end)
        return 0;
    strm_seen *sn = &s->seen[tensor];
    const int *sl = sn->cap ? sn->link : sn->link0;
    const double *ss = sn->cap ? sn->start : sn->start0;
    for (int i = 0; i < sn->n; i++)
        if (sl[i] == link && ss[i] == start)
            return 0;
    if (sn->n == (sn->cap ? sn->cap : STRM_SEEN_INLINE) && seen_grow(s, sn) < 0)
        return -1;
    (sn->cap ? sn->link : sn->link0)[sn->n] = link;
    (sn->cap ? sn->start : sn->start0)[sn->n++] = start;
    if (strm_prof_add(&s->prof[link], start, end, bits) < 0)
        return base_fail(s->err, "out of memory");
    return 1;
}

static int top(const strm_state *s, int core, int op)
{
    return s->g->cores[core].top_mem[op];
}

/* The source instance: the given core's, or the one holding it longest. */
static int source_of(strm_state *s, int tensor, int send_core, double *avail)
{
    if (send_core < 0) {
        int m = strm_mem_storing_first(s, tensor, avail);
        if (m < 0)
            return base_fail(s->err, "tensor %d is needed but stored nowhere", tensor), -1;
        return m;
    }
    int m = top(s, send_core, s->t[tensor].mem_op);
    if (!strm_mem_has(s, tensor, m))
        return base_fail(s->err, "tensor %d is not on core %d", tensor, send_core), -1;
    *avail = s->avail[(size_t)tensor * s->g->n_mems + m];
    return m;
}

/* Reserves the route for the transfer and records its event; the links'
 * energy through *link_pj. */
static int occupy_route(strm_state *s, int tensor, int from, int to, double start, double dur,
                        double frac, strm_cause cause, double *link_pj)
{
    const strm_route *r = &s->g->routes[from * s->g->n_cores + to];
    bool all_new = true;
    int64_t act0 = 0;
    *link_pj = 0;
    for (int i = 0; i < r->n_links; i++) {
        const strm_link *l = &s->g->links[r->link[i]];
        int64_t b = (int64_t)ceil(frac * l->bw_bits);
        if (i == 0)
            act0 = b;
        int n = link_use(s, r->link[i], tensor, start, start + dur, b);
        if (n < 0)
            return -1;
        if (n)
            *link_pj += dur * l->unit_energy_pj * frac;
        else
            all_new = false;
    }
    if (!all_new)
        return 0;
    strm_event e = {STRM_EV_TRANSFER, cause, tensor, from, to, start, start + dur, (uint32_t)act0};
    return strm_event_add(s, &e);
}

/* The first window the route can take the tensor in, from t (§3). */
static double route_window(strm_state *s, int tensor, const strm_route *r, double frac, double t,
                           double *dur)
{
    int64_t b[STRM_MAX_HOPS];
    double slowest = INFINITY;
    for (int i = 0; i < r->n_links; i++) {
        b[i] = (int64_t)ceil(frac * s->g->links[r->link[i]].bw_bits);
        if ((double)b[i] < slowest)
            slowest = (double)b[i];
    }
    *dur = ceil((double)s->t[tensor].bits / slowest);
    return strm_links_window(s, r->link, b, r->n_links, *dur, t);
}

/* Stream's schedule_tensor_transfer (send_core -1: the instance holding
 * it longest; cause STRM_CAUSE_NONE: off-chip or core-to-core by sender). */
int strm_transfer(strm_state *s, int tensor, int recv_core, int mem_op, double earliest,
                  const int *keep, int n_keep, int send_core, double frac, strm_cause cause,
                  double *done_t)
{
    const strm_graph *g = s->g;
    *done_t = earliest;
    if (strm_mem_has(s, tensor, top(s, recv_core, s->t[tensor].mem_op)))
        return 0;
    double avail = 0, ready;
    int src = source_of(s, tensor, send_core, &avail);
    if (src < 0)
        return -1;
    if (strm_make_space(s, tensor, recv_core, mem_op, fmax(earliest, avail), keep, n_keep, &ready) < 0)
        return -1;
    int from = s->inst[src].first_core;
    const strm_route *r = &g->routes[from * g->n_cores + recv_core];
    if (r->n_links == 0)
        return base_fail(s->err, "no route from core %d to core %d", from, recv_core);
    double dur, start = route_window(s, tensor, r, frac, ready, &dur), link_pj;
    if (strm_mem_add(s, tensor, top(s, recv_core, mem_op), start, start + dur) < 0)
        return -1;
    if (cause == STRM_CAUSE_NONE)
        cause = from == g->offchip_core ? STRM_CAUSE_OFF_CHIP : STRM_CAUSE_CORE_TO_CORE;
    if (occupy_route(s, tensor, from, recv_core, start, dur, frac, cause, &link_pj) < 0)
        return -1;
    s->link_pj[cause] += link_pj;
    s->mem_pj[cause] += strm_transfer_mem_pj(s, tensor, from, recv_core, mem_op);
    /* A copy on a core that neither produced it nor needs it again goes. */
    int origin_core = g->cns[s->t[tensor].origin_cn].core;
    int held = top(s, from, s->t[tensor].mem_op);
    if (from != g->offchip_core && from != origin_core && strm_mem_priority(s, tensor, held) == 0 &&
        strm_mem_remove(s, tensor, held, start + dur) < 0)
        return -1;
    *done_t = start + dur;
    return 0;
}

/* Stream's schedule_tensor_removal: written back to DRAM first (from
 * time 0 on, so into the first gap after it became available) when asked
 * and DRAM has no copy; removed at max(t, write-back end). */
int strm_removal(strm_state *s, int tensor, int core, int mem_op, double t, double frac,
                 bool write_back, strm_cause cause, double *done_t)
{
    int dram = s->g->offchip_core;
    if (write_back && !strm_mem_has(s, tensor, top(s, dram, s->t[tensor].mem_op))) {
        double end;
        if (strm_transfer(s, tensor, dram, mem_op, 0, NULL, 0, core, frac, cause, &end) < 0)
            return -1;
        t = fmax(t, end);
    }
    *done_t = t;
    return strm_mem_remove(s, tensor, top(s, core, mem_op), t);
}

/* Stream's make_space_for_tensor: the time the tensor fits (§4), the
 * victims at that time, each evicted (written back at its producer's
 * bandwidth fraction) from t on. */
int strm_make_space(strm_state *s, int tensor, int core, int mem_op, double t,
                    const int *keep, int n_keep, double *done_t)
{
    const strm_graph *g = s->g;
    double fits = strm_mem_time_for(s, top(s, core, mem_op), s->t[tensor].bits, t);
    int *v, n;
    if (strm_mem_victims(s, top(s, core, s->t[tensor].mem_op), tensor, fits, keep, n_keep, &v, &n) < 0)
        return -1;
    if (core == g->offchip_core && n > 0) {
        base_free(v);
        return base_fail(s->err, "evictions needed in the off-chip memory (Stream stops here)");
    }
    for (int i = 0; i < n; i++) {
        double frac = 1.0 / g->cns[s->t[v[i]].origin_cn].inter_splits, te;
        if (strm_removal(s, v[i], core, mem_op, t, frac, true, STRM_CAUSE_EVICTION, &te) < 0) {
            base_free(v);
            return -1;
        }
        t = fmax(t, te);
    }
    base_free(v);
    *done_t = fmax(fits, t);
    return 0;
}

/* One blocked operand: a tensor, its link and its requested bandwidth. */
typedef struct {
    int link, tensor, op;
    int64_t bits;
} strm_req;

/* The requests of a too-large CN, link by link as Stream groups them:
 * the output on the route to DRAM, then the inputs on the route back. */
static int block_requests(const strm_state *s, int cn, strm_req *rq)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    int n = 0, dram = g->offchip_core;
    const strm_route *up = &g->routes[c->core * g->n_cores + dram];
    const strm_route *down = &g->routes[dram * g->n_cores + c->core];
    if (s->too_large[cn][STRM_O])
        for (int i = 0; i < up->n_links; i++)
            rq[n++] = (strm_req){up->link[i], c->tensor[STRM_O], STRM_O, c->block_bw_bits[STRM_O]};
    for (int i = 0; i < down->n_links; i++)
        for (int op = STRM_I1; op <= STRM_I2; op++)
            if (s->too_large[cn][op])
                rq[n++] = (strm_req){down->link[i], c->tensor[op], op, c->block_bw_bits[op]};
    return n;
}

/* Per distinct link, the total it must take during the search: the sum
 * of its requests, scaled down (floored, each) to the link when larger;
 * only the search sees the scaled total (§3 Block). */
static int block_totals(const strm_state *s, const strm_req *rq, int n, int *links, int64_t *tot)
{
    int nl = 0;
    for (int i = 0; i < n; i++) {
        int k = 0;
        while (k < nl && links[k] != rq[i].link)
            k++;
        if (k == nl)
            links[nl++] = rq[i].link;
    }
    for (int k = 0; k < nl; k++) {
        double bw = s->g->links[links[k]].bw_bits, sum = 0;
        for (int i = 0; i < n; i++)
            if (rq[i].link == links[k])
                sum += (double)rq[i].bits;
        tot[k] = 0;
        for (int i = 0; i < n; i++)
            if (rq[i].link == links[k])
                tot[k] += sum > bw ? (int64_t)floor(bw / sum * (double)rq[i].bits) : rq[i].bits;
    }
    return nl;
}

/* Stream's block_offchip_links: the CN starts in the first window from t
 * in which every link takes its requests for the CN's whole runtime;
 * each request then registers its unscaled bandwidth. */
int strm_block(strm_state *s, int cn, double t, double *start)
{
    const strm_graph *g = s->g;
    const strm_cn *c = &g->cns[cn];
    strm_req rq[3 * STRM_MAX_HOPS];
    int links[3 * STRM_MAX_HOPS] = {0};
    int64_t tot[3 * STRM_MAX_HOPS] = {0};
    *start = t;
    int n = block_requests(s, cn, rq);
    if (n == 0)
        return 0;
    int nl = block_totals(s, rq, n, links, tot);
    double dur = c->runtime_cycles;
    double st = strm_links_window(s, links, tot, nl, dur, t);
    for (int i = 0; i < n; i++) {
        int r = link_use(s, rq[i].link, rq[i].tensor, st, st + dur, rq[i].bits);
        if (r < 0)
            return -1;
        bool out = rq[i].op == STRM_O;
        strm_event e = {STRM_EV_BLOCK, STRM_CAUSE_NONE, rq[i].tensor, out ? c->core : g->offchip_core,
                        out ? g->offchip_core : c->core, st, st + dur, (uint32_t)rq[i].bits};
        if (r && strm_event_add(s, &e) < 0)
            return -1;
    }
    *start = st;
    return 0;
}
