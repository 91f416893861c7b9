/* noc_pkt_model.c -- the packet-level NoC model (noc_config.model ==
 * NOC_MODEL_PACKET), behind the same API as the flit model.
 *
 * A copy of a packet is two times at a router: when its head flit and
 * when its tail flit are usable there. When a packet's head enters the
 * network (its source's earlier packets queue it, src_queue), its whole
 * tree (the flit model's multicast tree, noc_routing.c; built once per
 * source and destination set) is walked at once, reserving each output
 * port it crosses -- first come first served in the order packets are
 * injected -- and its deliveries are scheduled: with its injection when
 * it waited in the source queue, the only events it costs. At
 * each router a copy is sent on each branch:
 *   - the head leaves after routing and VC allocation, once the output
 *     port is free: head = max(arrival + route + VC alloc + j, port free);
 *   - an input port switches one flit per cycle, so a copy that branches k
 *     ways sends its flits round robin over its branches, branch j (ports
 *     ascending) one cycle after branch j - 1: the tail leaves at
 *     max(head + (flits - 1) k, tail arrival + j);
 *   - the output port is then held until the tail has left.
 * Switch allocation and traversal, links, injection and ejection add the
 * flit model's cycles. With no other traffic and buffers deep enough to
 * cover the credit loop, this is the flit model's timing exactly: the
 * flits of a copy arrive evenly spaced or with a spacing that only grows,
 * and for such a stream the tail's time follows from the head's and the
 * tail's alone. Under load it differs where the flit model interleaves
 * the flits of packets on one port (here whole packets queue) and where
 * full buffers block upstream (here buffers are unbounded): see README.md
 * for the measured error.
 *
 * Counters (flits per link and router, flit-hops, energies) are the flit
 * model's: energies are added one flit at a time, as there, so the sums
 * are equal to the last bit. */
#include <string.h>

#include "noc/noc_internal.h"

/* A packet's tree (the flit model's copies: noc_routing.c), built once
 * per source and destination set and kept while the source sends to the
 * same set, as a stream's packets do. A node is a router the packet
 * visits, its branches (ports ascending) are contiguous in br. */
typedef struct {
    uint32_t router, first, n;
    uint32_t depth;         /* links on the longest path below it */
} tree_node;

typedef struct {
    uint32_t port;
    uint32_t next;          /* mesh port: child node; else the terminal */
} tree_br;

typedef struct {
    int valid;
    uint8_t yx;
    uint32_t n_dst, cap_dst;
    uint32_t *key;          /* the destinations as given */
    uint32_t *work;         /* the same, reordered while building */
    tree_node *nodes;
    uint32_t n_nodes, cap_nodes;
    tree_br *br;
    uint32_t n_br, cap_br;
} pkt_tree;

/* The cycles an output port is reserved, [start, end] ascending and
 * disjoint (touching ones merged, so a stream's packets are one);
 * those that ended before the current cycle are dropped from the front. */
typedef struct {
    uint64_t start, end;
} span;

/* Gaps a reservation tries before it goes after the last span. */
#define PKT_GAPS_TRIED 8

typedef struct {
    span *s;
    uint32_t head, n, cap;
} port_spans;

/* A terminal's deliveries still to make, sorted by (cycle, seq);
 * one kernel event, at the earliest, stands for all of them. */
typedef struct {
    uint64_t cycle, seq;
    uint32_t pkt;
} due;

typedef struct {
    due *h;                 /* [head, n): by (cycle, seq) ascending */
    uint32_t head, n, cap;
    uint64_t at;            /* cycle of the scheduled event, or UINT64_MAX */
    kq_handle ev;
} term_dues;

/* A terminal's packets not yet injected, linked by noc_pkt.next: a
 * packet is walked when its head enters the network, not when it is
 * created, so packets of other sources sent meanwhile compete with it
 * for the ports; one kernel event, at the head's injection, stands for
 * the queue. */
typedef struct {
    uint32_t head, tail;    /* NOC_NONE when empty */
    kq_handle ev;           /* 0 when no event is pending */
} src_queue;

struct noc_pktm {
    port_spans *ports;     /* [router * nports + port] */
    uint64_t *inj_free;    /* [terminal]: first cycle its injection
                            * channel may take the next head */
    uint64_t *vc_free;     /* [(router * nports + port) * vcs + vc]: first
                            * cycle that input VC may route a new head */
    uint64_t *in_free;     /* [router * nports + port]: first cycle after
                            * the last flit that input port has sent */
    uint32_t *vc_src;      /* as vc_free: the source of its last packet */
    uint32_t *in_src;      /* as in_free: the source of its last packet */
    term_dues *dues;       /* [terminal] */
    src_queue *sq;         /* [terminal] */
    uint64_t seq;
    pkt_tree *trees;       /* [terminal]: its last tree */
    uint32_t *tmp;         /* one destination set, for partitioning */
    uint32_t cap_tmp;
};

static const char *const model_names[] = {"flit", "packet"};

int noc_model_kind_parse(const char *s, noc_model_kind *out)
{
    for (int i = 0; i <= NOC_MODEL_PACKET; i++)
        if (!strcmp(s, model_names[i])) {
            *out = (noc_model_kind)i;
            return 0;
        }
    return -1;
}

const char *noc_model_kind_name(noc_model_kind m)
{
    return (unsigned)m <= NOC_MODEL_PACKET ? model_names[m] : "?";
}

struct noc_pktm *noc_pktm_new(noc *n)
{
    struct noc_pktm *pm = base_calloc(1, sizeof *pm);
    if (!pm)
        return NULL;
    pm->ports = base_calloc((size_t)n->nrouters * n->nports, sizeof *pm->ports);
    pm->inj_free = base_calloc(n->nterms, sizeof *pm->inj_free);
    pm->dues = base_calloc(n->nterms, sizeof *pm->dues);
    pm->trees = base_calloc(n->nterms, sizeof *pm->trees);
    pm->sq = base_calloc(n->nterms, sizeof *pm->sq);
    pm->vc_free = base_calloc((size_t)n->nrouters * n->nports * n->vcs, sizeof *pm->vc_free);
    pm->in_free = base_calloc((size_t)n->nrouters * n->nports, sizeof *pm->in_free);
    pm->vc_src = base_calloc((size_t)n->nrouters * n->nports * n->vcs, sizeof *pm->vc_src);
    pm->in_src = base_calloc((size_t)n->nrouters * n->nports, sizeof *pm->in_src);
    if (!pm->ports || !pm->inj_free || !pm->dues || !pm->trees || !pm->vc_free ||
        !pm->in_free || !pm->vc_src || !pm->in_src || !pm->sq) {
        base_free(pm->sq);
        base_free(pm->vc_free);
        base_free(pm->in_free);
        base_free(pm->vc_src);
        base_free(pm->in_src);
        base_free(pm->ports);
        base_free(pm->inj_free);
        base_free(pm->dues);
        base_free(pm->trees);
        base_free(pm);
        return NULL;
    }
    for (uint32_t t = 0; t < n->nterms; t++) {
        pm->dues[t].at = UINT64_MAX;
        pm->sq[t].head = pm->sq[t].tail = NOC_NONE;
    }
    pm->cap_tmp = n->nterms;
    return pm;
}

void noc_pktm_free(noc *n, struct noc_pktm *pm)
{
    if (!pm)
        return;
    for (uint32_t t = 0; t < n->nterms; t++) {
        base_free(pm->trees[t].key);
        base_free(pm->trees[t].work);
        base_free(pm->trees[t].nodes);
        base_free(pm->trees[t].br);
    }
    for (uint32_t t = 0; t < n->nterms; t++) {
        if (pm->dues[t].ev)
            kq_cancel(n->k, pm->dues[t].ev);
        base_free(pm->dues[t].h);
        if (pm->sq[t].ev)
            kq_cancel(n->k, pm->sq[t].ev);
    }
    base_free(pm->sq);
    for (uint32_t i = 0; i < n->nrouters * n->nports; i++)
        base_free(pm->ports[i].s);
    base_free(pm->trees);
    base_free(pm->tmp);
    base_free(pm->ports);
    base_free(pm->dues);
    base_free(pm->inj_free);
    base_free(pm->vc_free);
    base_free(pm->in_free);
    base_free(pm->vc_src);
    base_free(pm->in_src);
    base_free(pm);
}

static void fail(noc *n)
{
    n->failed = 1;
    kq_stop(n->k);
}

/* ---- trees ------------------------------------------------------------- */

/* The node for router `router` reaching d[0..nd) (reordered in place),
 * and its subtree; NOC_NONE when memory ran out. */
static uint32_t tree_build(noc *n, pkt_tree *t, uint32_t router, uint32_t *d, uint32_t nd)
{
    const noc_router *r = &n->r[router];
    uint32_t count[NOC_PORTS_MAX] = {0}, nb = 0;
    for (uint32_t i = 0; i < nd; i++)
        nb += !count[noc_route_port(n, r, d[i], t->yx)]++;
    if (BASE_GROW(t->nodes, t->cap_nodes, t->n_nodes + 1, NOC_MAX_LIVE) ||
        BASE_GROW(t->br, t->cap_br, t->n_br + nb, NOC_MAX_LIVE))
        return NOC_NONE;
    uint32_t id = t->n_nodes++, first = t->n_br;
    t->nodes[id] = (tree_node){router, first, nb, 0};
    t->n_br += nb;
    /* Group d by port (counting sort, ports ascending), then recurse on
     * each group: the order noc_route_branches gives the flit model. */
    uint32_t at[NOC_PORTS_MAX], pos = 0, *tmp = n->pm->tmp;
    for (uint32_t p = 0; p < NOC_PORTS_MAX; p++) {
        at[p] = pos;
        pos += count[p];
    }
    for (uint32_t i = 0; i < nd; i++)
        tmp[at[noc_route_port(n, r, d[i], t->yx)]++] = d[i];
    memcpy(d, tmp, sizeof *d * nd);
    uint32_t b = first, off = 0;
    for (uint32_t p = 0; p < NOC_PORTS_MAX; p++) {
        if (!count[p])
            continue;
        t->br[b].port = p;
        if (p < NOC_MESH_PORTS) {
            uint32_t child = tree_build(n, t, r->nb[p], d + off, count[p]);
            if (child == NOC_NONE)
                return NOC_NONE;
            t->br[b].next = child;
            if (t->nodes[child].depth + 1 > t->nodes[id].depth)
                t->nodes[id].depth = t->nodes[child].depth + 1;
        } else {
            t->br[b].next = d[off]; /* a terminal is once in a set */
        }
        off += count[p];
        b++;
    }
    return id;
}

/* Source src's tree for pk, built unless it is the last one's. */
static pkt_tree *tree_for(noc *n, const noc_pkt *pk, uint8_t yx)
{
    struct noc_pktm *pm = n->pm;
    pkt_tree *t = &pm->trees[pk->src];
    if (t->valid && t->yx == yx && t->n_dst == pk->n_dst &&
        !memcmp(t->key, pk->dst, sizeof *pk->dst * pk->n_dst))
        return t;
    t->valid = 0;
    if (!pm->tmp && !(pm->tmp = base_malloc(sizeof *pm->tmp * pm->cap_tmp)))
        return NULL;
    if (pk->n_dst > t->cap_dst) {
        base_free(t->key);
        base_free(t->work);
        t->key = base_malloc(sizeof *t->key * pk->n_dst);
        t->work = base_malloc(sizeof *t->work * pk->n_dst);
        t->cap_dst = t->key && t->work ? pk->n_dst : 0;
        if (!t->cap_dst)
            return NULL;
    }
    memcpy(t->key, pk->dst, sizeof *t->key * pk->n_dst);
    memcpy(t->work, pk->dst, sizeof *t->work * pk->n_dst);
    t->n_dst = pk->n_dst;
    t->yx = yx;
    t->n_nodes = t->n_br = 0;
    if (tree_build(n, t, pk->src / n->cfg.terminals_per_router, t->work, pk->n_dst) ==
        NOC_NONE)
        return NULL;
    t->valid = 1;
    return t;
}

/* ---- port reservations ------------------------------------------------ */

/* The tail's send cycle for a head sent at h, len cycles before the tail
 * at the earliest (see the top of the file). */
static inline uint64_t tail_at(uint64_t h, uint64_t len, uint64_t tail_min)
{
    uint64_t t = h + len;
    return t > tail_min ? t : tail_min;
}

/* Reserves port ps for the earliest head cycle >= h0 whose whole packet
 * fits between the reservations already made; *tail_out its tail's
 * cycle. A packet sent later may so pass one sent earlier that reaches
 * the port after it, as in the flit model; -1 when memory ran out. */
static int reserve(noc *n, port_spans *ps, uint64_t h0, uint64_t len, uint64_t tail_min,
                   uint64_t *head_out, uint64_t *tail_out)
{
    uint64_t now = noc_now_cycle(n);
    while (ps->head < ps->n && ps->s[ps->head].end < now)
        ps->head++;
    /* The first span ending at or after h0 (ends ascend: bisect), then
     * the first gap from there that fits, looking at a few gaps only: a
     * port fragmented by heavy traffic would cost a scan per packet. */
    uint32_t lo = ps->head, hi = ps->n;
    if (hi > lo && ps->s[hi - 1].end < h0)
        lo = hi; /* after every span: the common case */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ps->s[mid].end < h0)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint32_t i = lo, looked = 0;
    uint64_t h = h0;
    for (; i < ps->n; i++) {
        if (tail_at(h, len, tail_min) < ps->s[i].start)
            break;
        if (++looked > PKT_GAPS_TRIED) {
            i = ps->n;
            h = ps->s[i - 1].end + 1 > h ? ps->s[i - 1].end + 1 : h;
            break;
        }
        if (h <= ps->s[i].end)
            h = ps->s[i].end + 1;
    }
    uint64_t tl = tail_at(h, len, tail_min);
    *head_out = h;
    *tail_out = tl;
    int join_prev = i > ps->head && ps->s[i - 1].end + 1 == h;
    int join_next = i < ps->n && tl + 1 == ps->s[i].start;
    if (join_prev && join_next) {
        ps->s[i - 1].end = ps->s[i].end;
        memmove(&ps->s[i], &ps->s[i + 1], sizeof *ps->s * (ps->n - i - 1));
        ps->n--;
    } else if (join_prev) {
        ps->s[i - 1].end = tl;
    } else if (join_next) {
        ps->s[i].start = h;
    } else {
        if (ps->head > 0 && ps->head * 2 >= ps->n) { /* drop the past */
            memmove(ps->s, &ps->s[ps->head], sizeof *ps->s * (ps->n - ps->head));
            ps->n -= ps->head;
            i -= ps->head;
            ps->head = 0;
        }
        if (BASE_GROW(ps->s, ps->cap, ps->n + 1, NOC_MAX_LIVE))
            return -1;
        memmove(&ps->s[i + 1], &ps->s[i], sizeof *ps->s * (ps->n - i));
        ps->s[i] = (span){h, tl};
        ps->n++;
    }
    return 0;
}

/* ---- deliveries: one pending event per terminal -------------------------- */

static int due_less(const due *a, const due *b)
{
    return a->cycle != b->cycle ? a->cycle < b->cycle : a->seq < b->seq;
}

static void on_dues(kq_kernel *k, void *ctx, const void *payload);

static void dues_schedule(noc *n, uint32_t t)
{
    term_dues *d = &n->pm->dues[t];
    if (d->head == d->n || d->h[d->head].cycle >= d->at)
        return;
    if (d->ev)
        kq_cancel(n->k, d->ev);
    d->at = d->h[d->head].cycle;
    if (kq_schedule_at(n->k, d->at * n->cycle_ps, NOC_PRIO_DELIVER, on_dues, n, &t, sizeof t,
                       &d->ev) != KQ_OK) {
        d->ev = 0;
        fail(n);
    }
}

/* Deliveries to one terminal come mostly in time order (its ejection
 * port is reserved in order, gaps aside): a sorted queue filled from the
 * back costs one comparison per delivery where a heap costs a log. */
static void dues_push(noc *n, uint32_t t, uint32_t pkt, uint64_t cycle)
{
    term_dues *d = &n->pm->dues[t];
    if (d->head > 0 && d->head * 2 >= d->n) {
        memmove(d->h, &d->h[d->head], sizeof *d->h * (d->n - d->head));
        d->n -= d->head;
        d->head = 0;
    }
    if (BASE_GROW(d->h, d->cap, d->n + 1, NOC_MAX_LIVE)) {
        fail(n);
        return;
    }
    due x = {cycle, n->pm->seq++, pkt};
    uint32_t i = d->n++;
    while (i > d->head && due_less(&x, &d->h[i - 1])) {
        d->h[i] = d->h[i - 1];
        i--;
    }
    d->h[i] = x;
    dues_schedule(n, t);
}

/* Terminal t's deliveries due now; a sink sending packets may add more. */
static void on_dues(kq_kernel *k, void *ctx, const void *payload)
{
    noc *n = ctx;
    uint32_t t;
    memcpy(&t, payload, sizeof t);
    term_dues *d = &n->pm->dues[t];
    d->ev = 0;
    d->at = UINT64_MAX;
    uint64_t now = kq_now(k) / n->cycle_ps;
    while (d->head < d->n && d->h[d->head].cycle <= now && !n->failed) {
        due x = d->h[d->head++];
        noc_deliver(n, x.pkt, t);
        d = &n->pm->dues[t];
    }
    dues_schedule(n, t);
}

/* ---- timing and counts ------------------------------------------------- */

/* acc += v, f times: the flit model adds a constant once per flit, and a
 * running sum of one constant depends only on how many were added. */
static void add_flits(double *acc, double v, uint32_t f)
{
    double a = *acc;
    for (uint32_t i = 0; i < f; i++)
        a += v;
    *acc = a;
}

/* The flit model reports every flit on every link when it leaves; here
 * all of a packet's flits on every link are reported when it is sent
 * (times the trace adapter sees must not run ahead of the other models'). */
static void report_hops(noc *n, const noc_pkt *pk, uint32_t link, uint32_t from,
                        uint32_t to)
{
    if (!n->has_obs || !n->obs.flit_hop)
        return;
    uint64_t now = kq_now(n->k);
    for (uint32_t i = 0; i < pk->flits; i++) {
        noc_flit_hop h = {pk->id, i, pk->flits, link, from, to, now, now};
        n->obs.flit_hop(n->obs.ctx, &h);
    }
}

/* The counters of f flits switched by router r onto output port o. */
static void count_send(noc *n, noc_router *r, uint32_t o, uint32_t f)
{
    const noc_config *c = &n->cfg;
    if (o < NOC_MESH_PORTS) {
        n->tot.flit_link_hops += f;
        add_flits(&n->tot.link_energy_pj, c->flit_width_bits * c->energy_per_bit_link_pj, f);
    } else {
        n->tot.flits_ejected += f;
    }
    n->links[r->link_out[o]].flits += f;
    r->flits_switched += f;
    add_flits(&r->energy_pj, c->energy_per_flit_hop_pj, f);
    n->tot.flit_router_hops += f;
    add_flits(&n->tot.router_energy_pj, c->energy_per_flit_hop_pj, f);
}

/* The cycles a copy's tail leaves after its head at a node whose subtree
 * is `depth` links deep, when it branches k ways (see the top of the
 * file). Flit j can leave only when flit j - vc_depth has left the next
 * router and its credit is back; the heads ahead go slower than the body
 * (routing and VC allocation at each router), so a packet longer than a
 * VC buffer trails one stall per buffer-length, per router ahead. */
static uint64_t copy_len(const noc *n, uint32_t f, uint32_t k, uint32_t depth)
{
    const noc_config *c = &n->cfg;
    const uint32_t *st = c->router_stage_cycles;
    uint64_t len = (uint64_t)(f - 1) * k, d = n->vc_depth_flits;
    uint64_t sa = st[NOC_STAGE_SW_ALLOC] ? st[NOC_STAGE_SW_ALLOC] : 1;
    uint64_t head_hop = st[NOC_STAGE_ROUTE] + st[NOC_STAGE_VC_ALLOC] + sa +
                        st[NOC_STAGE_XBAR] + c->link_latency_cycles;
    uint64_t credit = sa - 1 + c->credit_delay_cycles + c->link_latency_cycles;
    if (k != 1 || head_hop + credit <= d * sa)
        return len;
    uint64_t q = (f - 1) / d;
    if (q > depth)
        q = depth;
    return len + q * (head_hop + credit - d * sa);
}

/* The input VC a copy from source src takes at input port `in` of
 * router r (an index into vc_free), and the cycle it may route its head.
 * Packets are walked when sent, so a stream reserves its VCs far ahead:
 * a VC whose last packet came from another source counts as free (the
 * flit model interleaves such packets on its VCs; here the output ports
 * order them), one of the source's own as free when its tail has gone,
 * taken in turn as VC allocation does. */
static size_t input_vc(const noc *n, const noc_router *r, uint32_t in, uint32_t src,
                       uint64_t *route_at)
{
    const struct noc_pktm *pm = n->pm;
    size_t base = ((size_t)r->id * n->nports + in) * n->vcs, best = base;
    uint64_t best_at = UINT64_MAX;
    for (size_t v = base; v < base + n->vcs; v++) {
        uint64_t at = pm->vc_src[v] == src ? pm->vc_free[v] : 0;
        if (at < best_at) {
            best_at = at;
            best = v;
        }
    }
    *route_at = best_at;
    return best;
}

/* Packet p's head and tail are usable at node `node` of tree t, entering
 * by input port in, at cycles head and tail: send it on every branch (see
 * the top of the file). */
static uint64_t walk(noc *n, const pkt_tree *t, uint32_t node, uint32_t in, uint32_t p,
                     uint64_t head, uint64_t tail, uint64_t late)
{
    const noc_config *c = &n->cfg;
    const uint32_t *st = c->router_stage_cycles;
    const tree_node *nd = &t->nodes[node];
    noc_router *r = &n->r[nd->router];
    const noc_pkt *pk = &n->pkts[p];
    uint32_t f = pk->flits, k = nd->n;
    uint64_t leave = st[NOC_STAGE_SW_ALLOC] + st[NOC_STAGE_XBAR], last = 0, last_late = 0;
    uint64_t len = copy_len(n, f, k, nd->depth);
    /* A packet longer than a VC buffer whose tail waits downstream holds
     * this router's buffer: its tail leaves here no sooner than a buffer
     * and a hop before it leaves the next router (backpressure, without
     * modelling the buffer). */
    uint64_t back = leave + c->link_latency_cycles + n->vc_depth_flits, held = 0;
    /* A head is routed once the packet before it in its VC has gone. */
    struct noc_pktm *pm = n->pm;
    uint64_t route_at, src = pk->src;
    size_t vc = input_vc(n, r, in, pk->src, &route_at);
    if (route_at > head)
        head = route_at;
    /* An input port switches one flit per cycle: a copy's k * f flits
     * follow those the port sent before (of the same source, as above). */
    size_t ip = (size_t)r->id * n->nports + in;
    if (pm->in_src[ip] == src && pm->in_free[ip] + (uint64_t)(f - 1) * k > tail)
        tail = pm->in_free[ip] + (uint64_t)(f - 1) * k;
    if (tail > late)
        late = tail;
    for (uint32_t j = 0; j < k; j++) {
        const tree_br *b = &t->br[nd->first + j];
        port_spans *ps = &n->pm->ports[(size_t)r->id * n->nports + b->port];
        uint64_t h, tl;
        if (reserve(n, ps, head + st[NOC_STAGE_ROUTE] + st[NOC_STAGE_VC_ALLOC] + j,
                    (uint64_t)(f - 1) * k, tail + j, &h, &tl)) {
            fail(n);
            return 0;
        }
        /* The port is held for the flits; a tail held back by credits
         * leaves later, and other packets use the cycles in between. */
        uint64_t tlate = h + len > late + j ? h + len : late + j;
        if (tl > tlate)
            tlate = tl;
        last = tl > last ? tl : last;
        last_late = tlate > last_late ? tlate : last_late;
        count_send(n, r, b->port, f);
        if (b->port < NOC_MESH_PORTS) {
            report_hops(n, pk, r->link_out[b->port], r->id, r->nb[b->port]);
            uint64_t hop = leave + c->link_latency_cycles;
            uint64_t below = walk(n, t, b->next, b->port ^ 1u, p, h + hop, tl + hop, tlate + hop);
            if (f > n->vc_depth_flits && below > back + held)
                held = below - back;
        } else {
            report_hops(n, pk, r->link_out[b->port], r->id, r->id);
            dues_push(n, b->next, p, tlate + leave + c->eject_cycles);
        }
    }
    if (held > last_late)
        last_late = held;
    pm->in_free[ip] = last + 1;
    pm->in_src[ip] = pk->src;
    pm->vc_src[vc] = pk->src;
    pm->vc_free[vc] = last_late + (st[NOC_STAGE_SW_ALLOC] ? st[NOC_STAGE_SW_ALLOC] : 1);
    return last_late;
}

/* Packet p's head enters the network now: walk its tree. */
static void inject_now(noc *n, uint32_t p)
{
    struct noc_pktm *pm = n->pm;
    noc_pkt *pk = &n->pkts[p];
    uint8_t yx = n->worms[pk->worm].yx;
    noc_worm_free(n, pk->worm); /* copies are the flit model's */
    pk->worm = NOC_NONE;
    const pkt_tree *t = tree_for(n, pk, yx);
    if (!t) {
        fail(n);
        return;
    }
    uint32_t f = pk->flits;
    noc_router *r = &n->r[pk->src / n->cfg.terminals_per_router];
    uint32_t port = NOC_MESH_PORTS + pk->src % n->cfg.terminals_per_router;
    uint64_t at = pk->ready_cycle > pm->inj_free[pk->src] ? pk->ready_cycle
                                                          : pm->inj_free[pk->src];
    pm->inj_free[pk->src] = at + f;
    pk->injected_cycle = at;
    uint32_t link = r->link_out[port] - 1; /* injection precedes ejection */
    n->links[link].flits += f;
    n->tot.flits_injected += f;
    if (n->has_obs && n->obs.packet_injected)
        n->obs.packet_injected(n->obs.ctx, pk->id, pk->src, at * n->cycle_ps);
    report_hops(n, pk, link, r->id, r->id);
    uint64_t tail = at + f - 1 + n->cfg.inject_cycles;
    uint64_t tl = walk(n, t, 0, port, p, at + n->cfg.inject_cycles, tail, tail);
    /* A packet longer than a VC buffer holds the injection channel until
     * its tail is in the router: the tail enters once the flit a buffer
     * ahead of it has left the router (copy_len of the shorter packet,
     * behind the same head) and that flit's credit is back. */
    const tree_node *root = &t->nodes[0];
    uint32_t d = n->vc_depth_flits;
    if (f > d && root->n == 1) {
        const noc_config *c = &n->cfg;
        uint64_t sa = c->router_stage_cycles[NOC_STAGE_SW_ALLOC];
        uint64_t gap = copy_len(n, f, 1, root->depth) - copy_len(n, f - d, 1, root->depth);
        uint64_t in_at = tl - gap + (sa ? sa : 1) + c->credit_delay_cycles + c->inject_cycles;
        if (in_at > pm->inj_free[pk->src])
            pm->inj_free[pk->src] = in_at;
    }
    /* The next packet's head enters once a VC of the injection port has
     * room for it: the VC's last tail is a buffer from leaving. */
    size_t vb = ((size_t)r->id * n->nports + port) * n->vcs;
    uint64_t room = UINT64_MAX;
    for (size_t v = vb; v < vb + n->vcs; v++)
        if (pm->vc_free[v] < room)
            room = pm->vc_free[v];
    if (room > d && room - d > pm->inj_free[pk->src])
        pm->inj_free[pk->src] = room - d;
}

static void on_source(kq_kernel *k, void *ctx, const void *payload);

/* Terminal t's queue head injects at its cycle: schedule that. */
static void source_schedule(noc *n, uint32_t t)
{
    struct noc_pktm *pm = n->pm;
    src_queue *q = &pm->sq[t];
    if (q->head == NOC_NONE)
        return;
    uint64_t at = n->pkts[q->head].ready_cycle;
    if (pm->inj_free[t] > at)
        at = pm->inj_free[t];
    if (kq_schedule_at(n->k, at * n->cycle_ps, NOC_PRIO_SOURCE, on_source, n, &t, sizeof t,
                       &q->ev) != KQ_OK) {
        q->ev = 0;
        fail(n);
    }
}

static void on_source(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    noc *n = ctx;
    uint32_t t;
    memcpy(&t, payload, sizeof t);
    src_queue *q = &n->pm->sq[t];
    q->ev = 0;
    uint32_t p = q->head;
    q->head = n->pkts[p].next;
    if (q->head == NOC_NONE)
        q->tail = NOC_NONE;
    inject_now(n, p);
    if (!n->failed)
        source_schedule(n, t);
}

void noc_pktm_inject(noc *n, uint32_t p)
{
    struct noc_pktm *pm = n->pm;
    noc_pkt *pk = &n->pkts[p];
    src_queue *q = &pm->sq[pk->src];
    /* Injecting at once, when nothing of the source is ahead, keeps
     * reservations made in the order packets are sent. */
    if (q->head == NOC_NONE && pm->inj_free[pk->src] <= pk->ready_cycle) {
        inject_now(n, p);
        return;
    }
    pk->next = NOC_NONE;
    if (q->head == NOC_NONE) {
        q->head = q->tail = p;
        source_schedule(n, pk->src);
    } else {
        n->pkts[q->tail].next = p;
        q->tail = p;
    }
}
