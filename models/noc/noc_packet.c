/* noc_packet.c -- packets in (noc_send, routing tables, source queues)
 * and out (delivery events, the sink, the observer), and the pools of
 * packets and of their copies (worms). */
#include <stdlib.h>
#include <string.h>

#include "noc/noc_internal.h"

/* ---- packets and copies ------------------------------------------------ */

static uint32_t *dup_dst(const uint32_t *dst, uint32_t nd, uint32_t *inline0)
{
    if (nd == 1) {
        *inline0 = dst[0];
        return inline0;
    }
    uint32_t *d = base_malloc(sizeof *d * nd);
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
            if (BASE_GROW(n->worms, n->cap_worms, n->nworms + 1, NOC_MAX_LIVE)) {
                *oom = 1;
                return NOC_NONE;
            }
            /* Copies may point at their own inline destination. */
            for (uint32_t i = 0; i < n->nworms; i++)
                if (n->worms[i].n_dst == 1)
                    n->worms[i].dst = &n->worms[i].dst0;
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
        base_free(wm->dst);
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
        if (BASE_GROW(n->pkts, n->cap_pkts, n->npkts + 1, NOC_MAX_LIVE))
            return NOC_NONE;
        /* Copies may point at their own inline destination. */
        for (uint32_t i = 0; i < n->npkts; i++)
            if (n->pkts[i].n_dst == 1)
                n->pkts[i].dst = &n->pkts[i].dst0;
    }
    return n->npkts++;
}

static void pkt_release(noc *n, uint32_t p)
{
    noc_pkt *pk = &n->pkts[p];
    if (pk->n_dst > 1)
        base_free(pk->dst);
    pk->n_dst = 0;
    pk->dst = NULL;
    pk->next = n->free_pkt;
    n->free_pkt = p;
}

static int check_req(const noc *n, const noc_packet_req *q, base_error *err)
{
    if (q->src >= n->nterms) {
        base_fail(err, "source terminal %u outside the mesh (0..%u)", q->src,
               n->nterms - 1);
        return -1;
    }
    if (q->n_dst < 1 || !q->dst) {
        base_fail(err, "a packet needs at least one destination");
        return -1;
    }
    if ((q->payload_bits == 0) == (q->flits == 0)) {
        base_fail(err, "give the packet size as payload bits or as flits");
        return -1;
    }
    for (uint32_t i = 0; i < q->n_dst; i++) {
        if (q->dst[i] >= n->nterms) {
            base_fail(err, "destination terminal %u outside the mesh (0..%u)",
                   q->dst[i], n->nterms - 1);
            return -1;
        }
    }
    uint32_t flits = q->flits ? q->flits
                              : (q->payload_bits + n->cfg.flit_width_bits - 1) /
                                    n->cfg.flit_width_bits;
    if (q->n_dst > 1 && flits > noc_max_multicast_flits(&n->cfg)) {
        /* Why: noc_max_multicast_flits (noc.h). */
        base_fail(err, "multicast packet of %u flits is longer than a VC "
                   "buffer (%u flits): split the payload or deepen the "
                   "buffers", flits, noc_max_multicast_flits(&n->cfg));
        return -1;
    }
    if (q->n_dst > 1) {
        /* Duplicates would deliver twice; a bitmap finds them in O(n). */
        uint8_t *seen = base_calloc(n->nterms, 1);
        if (!seen) {
            base_fail(err, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < q->n_dst; i++) {
            if (seen[q->dst[i]]++) {
                base_fail(err, "destination terminal %u given twice", q->dst[i]);
                base_free(seen);
                return -1;
            }
        }
        base_free(seen);
    }
    return 0;
}

/* Packet p at the back of its terminal's source queue; its router. */
static noc_router *source_queue(noc *n, uint32_t p)
{
    noc_pkt *pk = &n->pkts[p];
    noc_router *r = &n->r[pk->src / n->cfg.terminals_per_router];
    noc_term *tm = &r->term[pk->src % n->cfg.terminals_per_router];
    if (tm->q_tail == NOC_NONE)
        tm->q_head = p;
    else
        n->pkts[tm->q_tail].next = p;
    tm->q_tail = p;
    tm->queued_flits += pk->flits;
    n->queued_flits += pk->flits;
    r->queued_pkts++;
    return r;
}

static void report_created(noc *n, const noc_pkt *pk)
{
    if (n->has_obs && n->obs.packet_created) {
        noc_packet_info info = {pk->id, pk->tag, pk->src, pk->n_dst, pk->dst,
                                pk->flits, pk->payload_bits, kq_now(n->k)};
        n->obs.packet_created(n->obs.ctx, &info);
    }
}

static int enqueue(noc *n, const noc_packet_req *q, uint64_t ready_cycle,
                   uint64_t *id_out, base_error *err)
{
    if (check_req(n, q, err))
        return -1;
    uint32_t p = pkt_alloc(n);
    if (p == NOC_NONE) {
        base_fail(err, "out of memory for packets");
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
                         : (q->payload_bits + n->cfg.flit_width_bits - 1) /
                               n->cfg.flit_width_bits;
    pk->n_dst = q->n_dst;
    pk->dst = dup_dst(q->dst, q->n_dst, &pk->dst0);
    pk->next = NOC_NONE;
    int oom = 0;
    pk->worm = pk->dst ? noc_worm_new(n, p, q->dst, q->n_dst, &oom) : NOC_NONE;
    if (pk->worm == NOC_NONE) {
        if (!pk->dst)
            pk->n_dst = 0;
        pkt_release(n, p);
        base_fail(err, "out of memory for packets");
        return -1;
    }
    if (n->cfg.routing == NOC_ROUTE_XYYX) {
        n->rng = n->rng * 6364136223846793005ULL + 1442695040888963407ULL;
        n->worms[pk->worm].yx = (uint8_t)(n->rng >> 63);
    } else {
        n->worms[pk->worm].yx = n->cfg.routing == NOC_ROUTE_YX;
    }
    n->next_id++;

    n->tot.packets_created++;
    noc_unpark(n); /* a parked network may move again */
    if (n->pm) {
        /* The packet model: no source queue, no router wake-ups. */
        report_created(n, pk);
        noc_pktm_inject(n, p);
    } else {
        noc_router *r = source_queue(n, p);
        report_created(n, pk);
        /* The head leaves the source queue no earlier than the next cycle. */
        noc_wake(n, r, ready_cycle);
        if (n->cfg.cycle_stepped)
            for (uint32_t i = 0; i < n->nrouters; i++)
                noc_wake(n, &n->r[i], noc_now_cycle(n) + 1);
    }
    if (id_out)
        *id_out = n->next_id - 1;
    return 0;
}

int noc_send(noc *n, const noc_packet_req *req, uint64_t *id_out,
             base_error *err)
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
                  base_error *err)
{
    noc_packet_req q = {0, n_dst, dst, 0, 1, 0};
    if (check_req(n, &q, err))
        return -1;
    uint32_t *d = base_malloc(sizeof *d * n_dst);
    if (!d) {
        base_fail(err, "out of memory");
        return -1;
    }
    memcpy(d, dst, sizeof *d * n_dst);
    noc_table_entry *e = table_find(n, key);
    if (e) {
        base_free(e->dst);
        e->dst = d;
        e->n = n_dst;
        return 0;
    }
    if (BASE_GROW(n->table, n->cap_table, n->ntable + 1, NOC_MAX_LIVE)) {
        base_free(d);
        return base_fail(err, "out of memory");
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
                   uint64_t tag, uint64_t *id_out, base_error *err)
{
    noc_table_entry *e = table_find(n, key);
    if (!e) {
        base_fail(err, "routing table has no entry for key %u", key);
        return -1;
    }
    noc_packet_req q = {src, e->n, e->dst, payload_bits,
                        payload_bits ? 0 : 1, tag};
    return enqueue(n, &q, noc_now_cycle(n) + 1 + n->cfg.multicast_lookup_cycles,
                   id_out, err);
}

/* ---- deliveries -------------------------------------------------------- */

typedef struct {
    uint32_t pkt, dst;
} deliver_msg;

static void on_deliver(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    deliver_msg m;
    memcpy(&m, payload, sizeof m);
    noc_deliver(ctx, m.pkt, m.dst);
}

void noc_deliver(noc *n, uint32_t pkt, uint32_t dst)
{
    kq_kernel *k = n->k;
    deliver_msg m = {pkt, dst};
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
        n->failed = 1;
        kq_stop(n->k);
    }
}
