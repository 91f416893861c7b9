/* noc.c -- NoC construction, packets in (send, routing tables) and out
 * (deliveries), copy bookkeeping, router wake-ups. The router pipeline is
 * in noc_router.c, allocation in noc_alloc.c, routing in noc_routing.c,
 * statistics in noc_stats.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc_internal.h"

static void seterr(noc_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void noc_config_default(noc_config *c)
{
    memset(c, 0, sizeof *c);
    c->width = 4;
    c->height = 4;
    c->terminals_per_router = 1;
    c->vcs = 16;
    c->vc_buf_flits = 8;
    c->route_cycles = 1;
    c->vc_alloc_cycles = 1;
    c->sw_alloc_cycles = 1;
    c->xbar_cycles = 1;
    c->link_cycles = 1;
    c->inject_cycles = 1;
    c->eject_cycles = 1;
    c->credit_delay_cycles = 0;
    c->flit_bits = 64;
    c->clock_ghz = 1.0;
    c->router_pj_per_flit = 1.0;
    c->link_pj_per_bit = 0.1;
    c->table_lookup_cycles = 1;
    c->routing = NOC_ROUTE_XY;
    c->deadlock_cycles = 10000;
    c->seed = 1;
}

int noc_config_check(const noc_config *c, noc_error *err)
{
    if (c->width < 1 || c->height < 1 || c->width > NOC_MAX_DIM ||
        c->height > NOC_MAX_DIM) {
        seterr(err, "mesh %ux%u: each side must be 1..%u", c->width,
               c->height, NOC_MAX_DIM);
        return -1;
    }
    if (c->terminals_per_router < 1 ||
        c->terminals_per_router > NOC_MAX_TERMINALS) {
        seterr(err, "terminals per router %u: must be 1..%u",
               c->terminals_per_router, NOC_MAX_TERMINALS);
        return -1;
    }
    if (c->vcs < 1 || c->vcs > NOC_MAX_VCS) {
        seterr(err, "virtual channels %u: must be 1..%u", c->vcs, NOC_MAX_VCS);
        return -1;
    }
    if (c->vc_buf_flits < 1 || c->vc_buf_flits > 4096) {
        seterr(err, "VC buffer depth %u: must be 1..4096 flits",
               c->vc_buf_flits);
        return -1;
    }
    if (c->sw_alloc_cycles < 1) {
        seterr(err, "switch allocation must take at least 1 cycle");
        return -1;
    }
    if (c->link_cycles < 1 || c->inject_cycles < 1 || c->eject_cycles < 1) {
        seterr(err, "link, injection and ejection latency must be >= 1 cycle");
        return -1;
    }
    uint32_t stages[] = {c->route_cycles, c->vc_alloc_cycles,
                         c->sw_alloc_cycles, c->xbar_cycles, c->link_cycles,
                         c->inject_cycles, c->eject_cycles,
                         c->credit_delay_cycles, c->table_lookup_cycles};
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
        if (stages[i] > 1000000) {
            seterr(err, "a latency of %u cycles is beyond 1000000", stages[i]);
            return -1;
        }
    if (c->flit_bits < 1) {
        seterr(err, "flit width must be at least 1 bit");
        return -1;
    }
    if (!(c->clock_ghz > 0.0) || c->clock_ghz > 1000.0) {
        seterr(err, "clock %g GHz: must be in (0, 1000]", c->clock_ghz);
        return -1;
    }
    if (!(c->router_pj_per_flit >= 0.0) || !(c->link_pj_per_bit >= 0.0)) {
        seterr(err, "energies must be >= 0");
        return -1;
    }
    if (c->routing > NOC_ROUTE_XYYX) {
        seterr(err, "unknown routing function %d", (int)c->routing);
        return -1;
    }
    if (c->deadlock_cycles < 1) {
        seterr(err, "deadlock threshold must be at least 1 cycle");
        return -1;
    }
    return 0;
}

static int fifo_init(noc_credit_fifo *f, uint32_t cap)
{
    f->q = malloc(sizeof *f->q * cap);
    f->head = f->count = 0;
    f->cap = cap;
    return f->q ? 0 : -1;
}

static int router_init(noc *n, noc_router *r, uint32_t id)
{
    const noc_config *c = &n->cfg;
    uint32_t P = n->nports, V = n->vcs;
    r->id = id;
    r->x = id % c->width;
    r->y = id / c->width;
    r->nb[NOC_EAST] = r->x + 1 < c->width ? id + 1 : NOC_NONE;
    r->nb[NOC_WEST] = r->x > 0 ? id - 1 : NOC_NONE;
    r->nb[NOC_NORTH] = r->y + 1 < c->height ? id + c->width : NOC_NONE;
    r->nb[NOC_SOUTH] = r->y > 0 ? id - c->width : NOC_NONE;
    r->next_tick = UINT64_MAX;
    r->ivc = calloc((size_t)P * V, sizeof *r->ivc);
    r->slots = calloc((size_t)P * V * n->depth, sizeof *r->slots);
    r->ovc_busy = calloc((size_t)P * V, 1);
    r->ovc_credits = calloc((size_t)P * V, sizeof *r->ovc_credits);
    r->va_gptr = calloc((size_t)P * V, sizeof *r->va_gptr);
    r->va_aptr = calloc((size_t)P * V, sizeof *r->va_aptr);
    if (!r->ivc || !r->slots || !r->ovc_busy || !r->ovc_credits ||
        !r->va_gptr || !r->va_aptr || fifo_init(&r->cred_mesh, 16) ||
        fifo_init(&r->cred_term, 16))
        return -1;
    for (uint32_t i = 0; i < P * V; i++)
        r->ovc_credits[i] = (uint16_t)n->depth;
    for (uint32_t t = 0; t < c->terminals_per_router; t++) {
        noc_term *tm = &r->term[t];
        tm->q_head = tm->q_tail = NOC_NONE;
        tm->vc = -1;
        tm->credits = malloc(sizeof *tm->credits * V);
        tm->busy = calloc(V, 1);
        if (!tm->credits || !tm->busy)
            return -1;
        for (uint32_t v = 0; v < V; v++)
            tm->credits[v] = (uint16_t)n->depth;
    }
    return 0;
}

static void router_destroy(noc *n, noc_router *r)
{
    free(r->ivc);
    free(r->slots);
    free(r->ovc_busy);
    free(r->ovc_credits);
    free(r->va_gptr);
    free(r->va_aptr);
    free(r->cred_mesh.q);
    free(r->cred_term.q);
    for (uint32_t t = 0; t < n->cfg.terminals_per_router; t++) {
        free(r->term[t].credits);
        free(r->term[t].busy);
    }
}

/* Links: mesh channels in (router, port) order, then per terminal its
 * injection and ejection channels. */
static int build_links(noc *n)
{
    uint32_t cap = n->nrouters * NOC_MESH_PORTS + 2 * n->nterms;
    n->links = calloc(cap, sizeof *n->links);
    if (!n->links)
        return -1;
    for (uint32_t id = 0; id < n->nrouters; id++) {
        noc_router *r = &n->r[id];
        for (uint32_t p = 0; p < NOC_PORTS_MAX; p++)
            r->link_out[p] = NOC_NONE;
        for (uint32_t p = 0; p < NOC_MESH_PORTS; p++) {
            if (r->nb[p] == NOC_NONE)
                continue;
            noc_link *l = &n->links[n->nlinks];
            l->kind = NOC_LINK_MESH;
            l->from = id;
            l->to = r->nb[p];
            l->out_port = p;
            l->terminal = NOC_NONE;
            r->link_out[p] = n->nlinks++;
        }
    }
    for (uint32_t t = 0; t < n->nterms; t++) {
        uint32_t id = t / n->cfg.terminals_per_router;
        uint32_t port = NOC_MESH_PORTS + t % n->cfg.terminals_per_router;
        noc_link *l = &n->links[n->nlinks++];
        l->kind = NOC_LINK_INJECT;
        l->from = l->to = id;
        l->out_port = port;
        l->terminal = t;
        l = &n->links[n->nlinks];
        l->kind = NOC_LINK_EJECT;
        l->from = l->to = id;
        l->out_port = port;
        l->terminal = t;
        n->r[id].link_out[port] = n->nlinks++;
    }
    return 0;
}

noc *noc_new(kq_kernel *k, const noc_config *c, noc_error *err)
{
    if (!k) {
        seterr(err, "no kernel");
        return NULL;
    }
    if (noc_config_check(c, err))
        return NULL;
    noc *n = calloc(1, sizeof *n);
    if (!n)
        goto oom;
    n->k = k;
    n->cfg = *c;
    n->cycle_ps = (uint64_t)(1000.0 / c->clock_ghz + 0.5);
    if (n->cycle_ps < 1)
        n->cycle_ps = 1;
    n->nrouters = c->width * c->height;
    n->nterms = n->nrouters * c->terminals_per_router;
    n->nports = NOC_MESH_PORTS + c->terminals_per_router;
    n->vcs = c->vcs;
    n->depth = c->vc_buf_flits;
    n->free_pkt = n->free_worm = NOC_NONE;
    n->rng = c->seed ^ 0x9e3779b97f4a7c15ULL;
    n->r = calloc(n->nrouters, sizeof *n->r);
    if (!n->r)
        goto oom;
    for (uint32_t i = 0; i < n->nrouters; i++)
        if (router_init(n, &n->r[i], i))
            goto oom;
    if (build_links(n))
        goto oom;
    n->scratch_req = malloc(sizeof *n->scratch_req * n->nports * n->vcs *
                            NOC_PORTS_MAX * 2);
    n->scratch_grant = malloc(sizeof *n->scratch_grant * n->vcs *
                              NOC_PORTS_MAX);
    if (!n->scratch_req || !n->scratch_grant)
        goto oom;
    noc_stats_reset(n);
    return n;
oom:
    seterr(err, "out of memory building a %ux%u NoC", c->width, c->height);
    noc_free(n);
    return NULL;
}

void noc_free(noc *n)
{
    if (!n)
        return;
    if (n->r) {
        for (uint32_t i = 0; i < n->nrouters; i++) {
            if (n->r[i].tick_h)
                kq_cancel(n->k, n->r[i].tick_h);
            router_destroy(n, &n->r[i]);
        }
        free(n->r);
    }
    for (uint32_t i = 0; i < n->npkts; i++)
        if (n->pkts[i].n_dst > 1)
            free(n->pkts[i].dst);
    for (uint32_t i = 0; i < n->nworms; i++)
        if (n->worms[i].n_dst > 1)
            free(n->worms[i].dst);
    for (uint32_t i = 0; i < n->ntable; i++)
        free(n->table[i].dst);
    free(n->table);
    free(n->pkts);
    free(n->worms);
    free(n->links);
    free(n->dl_routers);
    free(n->scratch_req);
    free(n->scratch_grant);
    free(n);
}

const noc_config *noc_get_config(const noc *n) { return &n->cfg; }
uint32_t noc_routers(const noc *n) { return n->nrouters; }
uint32_t noc_terminals(const noc *n) { return n->nterms; }
uint64_t noc_cycle_ps(const noc *n) { return n->cycle_ps; }
int noc_deadlocked(const noc *n) { return n->deadlocked; }

uint64_t noc_now_cycle(const noc *n)
{
    return kq_now(n->k) / n->cycle_ps;
}

uint64_t noc_flits_in_flight(const noc *n)
{
    return n->buffered + n->queued_flits;
}

uint32_t noc_deadlock_routers(const noc *n, uint32_t *ids, uint32_t cap)
{
    for (uint32_t i = 0; i < n->n_dl && i < cap; i++)
        ids[i] = n->dl_routers[i];
    return n->n_dl;
}

void noc_set_observer(noc *n, const noc_observer *obs)
{
    if (obs) {
        n->obs = *obs;
        n->has_obs = 1;
        if (obs->attached)
            obs->attached(obs->ctx, n);
    } else {
        memset(&n->obs, 0, sizeof n->obs);
        n->has_obs = 0;
    }
}

void noc_set_sink(noc *n, noc_sink_fn fn, void *ctx)
{
    n->sink = fn;
    n->sink_ctx = ctx;
}

uint32_t noc_hops(const noc *n, uint32_t src, uint32_t dst)
{
    uint32_t a = src / n->cfg.terminals_per_router;
    uint32_t b = dst / n->cfg.terminals_per_router;
    uint32_t ax = a % n->cfg.width, ay = a / n->cfg.width;
    uint32_t bx = b % n->cfg.width, by = b / n->cfg.width;
    return (ax > bx ? ax - bx : bx - ax) + (ay > by ? ay - by : by - ay);
}

/* ---- wake-ups ---------------------------------------------------------- */

void noc_wake(noc *n, noc_router *r, uint64_t cycle)
{
    if (cycle >= r->next_tick)
        return;
    if (r->tick_h)
        kq_cancel(n->k, r->tick_h);
    r->next_tick = cycle;
    uint32_t id = r->id;
    kq_err e = kq_schedule_at(n->k, cycle * n->cycle_ps, NOC_PRIO_ROUTER,
                              noc_router_tick, n, &id, sizeof id, &r->tick_h);
    if (e != KQ_OK) {
        /* Only memory exhaustion or a time overflow get here; a router
         * that cannot be scheduled would stall silently, so stop. */
        r->tick_h = 0;
        r->next_tick = UINT64_MAX;
        n->deadlocked = 1;
        kq_stop(n->k);
    }
}

void noc_report_occupancy(noc *n, noc_router *r, uint32_t port)
{
    if (r->occ[port] > r->peak_port[port])
        r->peak_port[port] = r->occ[port];
    if (r->occ_total > r->peak_total)
        r->peak_total = r->occ_total;
    if (n->has_obs && n->obs.buffer_occupancy)
        n->obs.buffer_occupancy(n->obs.ctx, r->id, port, r->occ[port],
                                kq_now(n->k));
}

/* ---- packets and copies ------------------------------------------------ */

static uint32_t *dup_dst(const uint32_t *dst, uint32_t nd, uint32_t *inline0)
{
    if (nd == 1) {
        *inline0 = dst[0];
        return inline0;
    }
    uint32_t *d = malloc(sizeof *d * nd);
    if (d)
        memcpy(d, dst, sizeof *d * nd);
    return d;
}

uint32_t noc_worm_new(noc *n, uint32_t pkt, const uint32_t *dst,
                      uint32_t n_dst, int *oom)
{
    uint32_t w = n->free_worm;
    if (w != NOC_NONE) {
        n->free_worm = n->worms[w].next_free;
    } else {
        if (n->nworms == n->cap_worms) {
            uint32_t cap = n->cap_worms ? n->cap_worms * 2 : 256;
            noc_worm *nw = realloc(n->worms, sizeof *nw * cap);
            if (!nw) {
                *oom = 1;
                return NOC_NONE;
            }
            /* Copies may point at their own inline destination. */
            for (uint32_t i = 0; i < n->nworms; i++)
                if (nw[i].n_dst == 1)
                    nw[i].dst = &nw[i].dst0;
            n->worms = nw;
            n->cap_worms = cap;
        }
        w = n->nworms++;
    }
    noc_worm *wm = &n->worms[w];
    memset(wm, 0, sizeof *wm);
    wm->pkt = pkt;
    wm->n_dst = n_dst;
    wm->dst = dup_dst(dst, n_dst, &wm->dst0);
    wm->next_free = NOC_NONE;
    if (!wm->dst) {
        wm->n_dst = 0;
        wm->next_free = n->free_worm;
        n->free_worm = w;
        *oom = 1;
        return NOC_NONE;
    }
    return w;
}

void noc_worm_free(noc *n, uint32_t w)
{
    noc_worm *wm = &n->worms[w];
    if (wm->n_dst > 1)
        free(wm->dst);
    wm->n_dst = 0;
    wm->dst = NULL;
    wm->next_free = n->free_worm;
    n->free_worm = w;
}

static uint32_t pkt_alloc(noc *n)
{
    uint32_t p = n->free_pkt;
    if (p != NOC_NONE) {
        n->free_pkt = n->pkts[p].next;
        return p;
    }
    if (n->npkts == n->cap_pkts) {
        uint32_t cap = n->cap_pkts ? n->cap_pkts * 2 : 256;
        noc_pkt *np = realloc(n->pkts, sizeof *np * cap);
        if (!np)
            return NOC_NONE;
        for (uint32_t i = 0; i < n->npkts; i++)
            if (np[i].n_dst == 1)
                np[i].dst = &np[i].dst0;
        n->pkts = np;
        n->cap_pkts = cap;
    }
    return n->npkts++;
}

static void pkt_release(noc *n, uint32_t p)
{
    noc_pkt *pk = &n->pkts[p];
    if (pk->n_dst > 1)
        free(pk->dst);
    pk->n_dst = 0;
    pk->dst = NULL;
    pk->next = n->free_pkt;
    n->free_pkt = p;
}

static int check_req(const noc *n, const noc_packet_req *q, noc_error *err)
{
    if (q->src >= n->nterms) {
        seterr(err, "source terminal %u outside the mesh (0..%u)", q->src,
               n->nterms - 1);
        return -1;
    }
    if (q->n_dst < 1 || !q->dst) {
        seterr(err, "a packet needs at least one destination");
        return -1;
    }
    if ((q->payload_bits == 0) == (q->flits == 0)) {
        seterr(err, "give the packet size as payload bits or as flits");
        return -1;
    }
    for (uint32_t i = 0; i < q->n_dst; i++) {
        if (q->dst[i] >= n->nterms) {
            seterr(err, "destination terminal %u outside the mesh (0..%u)",
                   q->dst[i], n->nterms - 1);
            return -1;
        }
    }
    if (q->n_dst > 1) {
        /* Duplicates would deliver twice; a bitmap finds them in O(n). */
        uint8_t *seen = calloc(n->nterms, 1);
        if (!seen) {
            seterr(err, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < q->n_dst; i++) {
            if (seen[q->dst[i]]++) {
                seterr(err, "destination terminal %u given twice", q->dst[i]);
                free(seen);
                return -1;
            }
        }
        free(seen);
    }
    return 0;
}

static int enqueue(noc *n, const noc_packet_req *q, uint64_t ready_cycle,
                   uint64_t *id_out, noc_error *err)
{
    if (check_req(n, q, err))
        return -1;
    uint32_t p = pkt_alloc(n);
    if (p == NOC_NONE) {
        seterr(err, "out of memory for packets");
        return -1;
    }
    noc_pkt *pk = &n->pkts[p];
    memset(pk, 0, sizeof *pk);
    pk->id = n->next_id;
    pk->tag = q->tag;
    pk->created_cycle = noc_now_cycle(n);
    pk->ready_cycle = ready_cycle;
    pk->src = q->src;
    pk->payload_bits = q->payload_bits;
    pk->flits = q->flits ? q->flits
                         : (q->payload_bits + n->cfg.flit_bits - 1) /
                               n->cfg.flit_bits;
    pk->n_dst = q->n_dst;
    pk->dst = dup_dst(q->dst, q->n_dst, &pk->dst0);
    pk->next = NOC_NONE;
    int oom = 0;
    pk->worm = pk->dst ? noc_worm_new(n, p, q->dst, q->n_dst, &oom) : NOC_NONE;
    if (pk->worm == NOC_NONE) {
        if (!pk->dst)
            pk->n_dst = 0;
        pkt_release(n, p);
        seterr(err, "out of memory for packets");
        return -1;
    }
    if (n->cfg.routing == NOC_ROUTE_XYYX) {
        n->rng = n->rng * 6364136223846793005ULL + 1442695040888963407ULL;
        n->worms[pk->worm].yx = (uint8_t)(n->rng >> 63);
    } else {
        n->worms[pk->worm].yx = n->cfg.routing == NOC_ROUTE_YX;
    }
    n->next_id++;

    uint32_t rid = q->src / n->cfg.terminals_per_router;
    noc_router *r = &n->r[rid];
    noc_term *tm = &r->term[q->src % n->cfg.terminals_per_router];
    if (tm->q_tail == NOC_NONE)
        tm->q_head = p;
    else
        n->pkts[tm->q_tail].next = p;
    tm->q_tail = p;
    tm->queued_flits += pk->flits;
    n->queued_flits += pk->flits;
    r->queued_pkts++;
    n->tot.packets_created++;

    if (n->has_obs && n->obs.packet_created) {
        noc_packet_info info = {pk->id, pk->tag, pk->src, pk->n_dst, pk->dst,
                                pk->flits, pk->payload_bits, kq_now(n->k)};
        n->obs.packet_created(n->obs.ctx, &info);
    }
    /* The head leaves the source queue no earlier than the next cycle. */
    noc_wake(n, r, ready_cycle);
    if (id_out)
        *id_out = pk->id;
    return 0;
}

int noc_send(noc *n, const noc_packet_req *req, uint64_t *id_out,
             noc_error *err)
{
    return enqueue(n, req, noc_now_cycle(n) + 1, id_out, err);
}

static noc_table_entry *table_find(const noc *n, uint32_t key)
{
    /* Sorted by key: binary search. */
    uint32_t lo = 0, hi = n->ntable;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->table[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->ntable && n->table[lo].key == key ? &n->table[lo] : NULL;
}

int noc_table_set(noc *n, uint32_t key, const uint32_t *dst, uint32_t n_dst,
                  noc_error *err)
{
    noc_packet_req q = {0, n_dst, dst, 0, 1, 0};
    if (check_req(n, &q, err))
        return -1;
    uint32_t *d = malloc(sizeof *d * n_dst);
    if (!d) {
        seterr(err, "out of memory");
        return -1;
    }
    memcpy(d, dst, sizeof *d * n_dst);
    noc_table_entry *e = table_find(n, key);
    if (e) {
        free(e->dst);
        e->dst = d;
        e->n = n_dst;
        return 0;
    }
    if (n->ntable == n->cap_table) {
        uint32_t cap = n->cap_table ? n->cap_table * 2 : 16;
        noc_table_entry *t = realloc(n->table, sizeof *t * cap);
        if (!t) {
            free(d);
            seterr(err, "out of memory");
            return -1;
        }
        n->table = t;
        n->cap_table = cap;
    }
    uint32_t i = n->ntable;
    while (i > 0 && n->table[i - 1].key > key) {
        n->table[i] = n->table[i - 1];
        i--;
    }
    n->table[i] = (noc_table_entry){key, n_dst, d};
    n->ntable++;
    return 0;
}

int noc_send_keyed(noc *n, uint32_t src, uint32_t key, uint32_t payload_bits,
                   uint64_t tag, uint64_t *id_out, noc_error *err)
{
    noc_table_entry *e = table_find(n, key);
    if (!e) {
        seterr(err, "routing table has no entry for key %u", key);
        return -1;
    }
    noc_packet_req q = {src, e->n, e->dst, payload_bits,
                        payload_bits ? 0 : 1, tag};
    return enqueue(n, &q, noc_now_cycle(n) + 1 + n->cfg.table_lookup_cycles,
                   id_out, err);
}

/* ---- deliveries -------------------------------------------------------- */

typedef struct {
    uint32_t pkt, dst;
} deliver_msg;

static void on_deliver(kq_kernel *k, void *ctx, const void *payload)
{
    noc *n = ctx;
    deliver_msg m;
    memcpy(&m, payload, sizeof m);
    noc_pkt *pk = &n->pkts[m.pkt];
    uint64_t now_c = kq_now(k) / n->cycle_ps;
    uint64_t lat = now_c - pk->created_cycle;
    pk->n_done++;
    int last = pk->n_done == pk->n_dst;
    uint32_t hops = noc_hops(n, pk->src, m.dst);

    noc_totals *t = &n->tot;
    t->deliveries++;
    t->hops_sum += hops;
    t->latency_sum_cycles += lat;
    if (lat < t->latency_min_cycles)
        t->latency_min_cycles = lat;
    if (lat > t->latency_max_cycles)
        t->latency_max_cycles = lat;
    if (last) {
        t->packets_finished++;
        t->last_latency_sum_cycles += lat;
    }
    if (n->has_obs && n->obs.packet_delivered)
        n->obs.packet_delivered(n->obs.ctx, pk->id, m.dst, kq_now(k),
                                lat * n->cycle_ps);
    if (last && n->has_obs && n->obs.packet_finished)
        n->obs.packet_finished(n->obs.ctx, pk->id, kq_now(k),
                               lat * n->cycle_ps);
    if (n->sink) {
        noc_delivery d = {pk->id, pk->tag, pk->src, m.dst, pk->flits, hops,
                          pk->created_cycle * n->cycle_ps,
                          pk->injected_cycle * n->cycle_ps, kq_now(k), last};
        n->sink(n->sink_ctx, &d);
    }
    /* The sink may have sent packets and grown the pool: re-index. */
    if (last)
        pkt_release(n, m.pkt);
}

void noc_schedule_delivery(noc *n, uint32_t pkt, uint32_t dst, uint64_t cycle)
{
    deliver_msg m = {pkt, dst};
    if (kq_schedule_at(n->k, cycle * n->cycle_ps, NOC_PRIO_DELIVER,
                       on_deliver, n, &m, sizeof m, NULL) != KQ_OK) {
        n->deadlocked = 1;
        kq_stop(n->k);
    }
}
