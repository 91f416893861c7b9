/* noc_router.c -- one cycle of an input-queued VC router.
 *
 * Order within the cycle: credits that have arrived are counted, the
 * router's terminals inject one flit each, heads at the front of idle VCs
 * are routed, then VC allocation and switch allocation (noc_alloc.c) run
 * and the switch winners traverse. The pipeline of a head flit arriving
 * (usable) at cycle t with the default stages 1,1,1,1: routing in cycle
 * t, VC allocation t+1, switch allocation t+2, crossbar t+3, link t+4,
 * usable at the next router at t+5.
 *
 * Multi-cycle stages (a delay d > 1), as BookSim 2's input-queued router
 * has them: each stage (routing, VC allocation, switch allocation,
 * crossbar) is one unit per router that takes every request waiting when
 * it is free as one batch, is busy for d cycles, and takes no new request
 * before the batch is done. A head flit arriving while routing is busy
 * waits; a flit that won the switch waits for the crossbar's batch; flits
 * of one batch leave their output one per cycle. So with a 2-cycle
 * crossbar the first body flit behind a head waits a cycle, and a packet
 * of more than one flit takes d - 1 cycles more per router than a head
 * alone does. A flit leaves its input buffer, and its credit goes
 * upstream, when switch allocation ends (d - 1 cycles after it starts).
 * With every stage at 1 cycle none of this changes a cycle. */
#include <stdlib.h>
#include <string.h>

#include "noc/noc_internal.h"

int noc_credit_grow(noc_credit_fifo *f)
{
    uint32_t cap = f->cap * 2;
    noc_credit *q = base_malloc(sizeof *q * cap);
    if (!q)
        return -1;
    for (uint32_t i = 0; i < f->count; i++)
        q[i] = f->q[(f->head + i) % f->cap];
    base_free(f->q);
    f->q = q;
    f->head = 0;
    f->cap = cap;
    return 0;
}

static void absorb_credits(noc *n, noc_router *r, uint64_t t)
{
    noc_credit_fifo *f = &r->cred_mesh;
    while (f->count && f->q[f->head].cycle <= t) {
        noc_credit *c = &f->q[f->head];
        r->ovc_credits[c->port * n->vcs + c->vc]++;
        f->head = noc_ring_add(f->head, 1, f->cap);
        f->count--;
    }
    f = &r->cred_term;
    while (f->count && f->q[f->head].cycle <= t) {
        noc_credit *c = &f->q[f->head];
        r->term[c->port - NOC_MESH_PORTS].credits[c->vc]++;
        f->head = noc_ring_add(f->head, 1, f->cap);
        f->count--;
    }
}

static inline void buffer_push(noc *n, noc_router *r, uint32_t port, uint32_t vc,
                               noc_flit fl)
{
    noc_ivc *iv = &r->ivc[port * n->vcs + vc];
    uint32_t slot = noc_ring_add(iv->head, iv->count, n->vc_depth_flits);
    r->slots[(size_t)(port * n->vcs + vc) * n->vc_depth_flits + slot] = fl;
    if (!iv->count && iv->state == NOC_VC_IDLE) {
        r->need_route++;
        r->rtmask[port] |= 1ull << vc;
        r->rtports |= 1u << port;
    }
    iv->count++;
    r->vcmask[port] |= 1ull << vc;
    r->vcports |= 1u << port;
    r->occ[port]++;
    r->occ_total++;
    r->buffered++;
    n->buffered++;
    noc_note_occupancy(n, r, port);
}

/* Each terminal sends at most one flit per cycle into its router's
 * injection port, a new packet taking a free VC round robin. */
static void inject(noc *n, noc_router *r, uint64_t t)
{
    /* queued_pkts counts the packets of every terminal's queue: none left,
     * no terminal to look at. */
    for (uint32_t i = 0; r->queued_pkts && i < n->cfg.terminals_per_router; i++) {
        noc_term *tm = &r->term[i];
        if (tm->q_head == NOC_NONE)
            continue;
        noc_pkt *pk = &n->pkts[tm->q_head];
        if (pk->ready_cycle > t)
            continue;
        if (tm->vc < 0) {
            for (uint32_t k = 0; k < n->vcs; k++) {
                uint32_t v = (tm->rr + k) % n->vcs;
                if (!tm->busy[v]) {
                    tm->vc = (int16_t)v;
                    tm->busy[v] = 1;
                    tm->rr = (uint16_t)((v + 1) % n->vcs);
                    break;
                }
            }
            if (tm->vc < 0)
                continue;
        }
        if (!tm->credits[tm->vc])
            continue;
        tm->credits[tm->vc]--;
        uint32_t port = NOC_MESH_PORTS + i;
        uint64_t arrive = t + n->cfg.inject_cycles;
        noc_flit fl = {pk->worm, tm->sent, arrive};
        buffer_push(n, r, port, (uint32_t)tm->vc, fl);
        n->links[r->link_out[port] - 1].flits++; /* injection precedes
                                                  * ejection */
        n->tot.flits_injected++;
        n->last_progress = t;
        if (tm->sent == 0) {
            pk->injected_cycle = t;
            if (n->has_obs && n->obs.packet_injected)
                n->obs.packet_injected(n->obs.ctx, pk->id, pk->src,
                                       t * n->cycle_ps);
        }
        if (n->has_obs && n->obs.flit_hop) {
            noc_flit_hop h = {pk->id, tm->sent, pk->flits,
                              r->link_out[port] - 1, r->id, r->id,
                              t * n->cycle_ps, arrive * n->cycle_ps};
            n->obs.flit_hop(n->obs.ctx, &h);
        }
        tm->sent++;
        tm->queued_flits--;
        n->queued_flits--;
        if (tm->sent == pk->flits) {
            tm->busy[tm->vc] = 0;
            tm->vc = -1;
            tm->sent = 0;
            tm->q_head = pk->next;
            if (tm->q_head == NOC_NONE)
                tm->q_tail = NOC_NONE;
            r->queued_pkts--;
        }
    }
}

static noc_flit *front(const noc *n, noc_router *r, uint32_t ivc)
{
    noc_ivc *iv = &r->ivc[ivc];
    return &r->slots[(size_t)ivc * n->vc_depth_flits + iv->head];
}

/* Route the head at the front of idle VC i (port p) at t. 0, or -1 when
 * memory ran out. */
static int route_head(noc *n, noc_router *r, uint32_t p, uint32_t i, uint64_t t)
{
    noc_ivc *iv = &r->ivc[i];
    noc_flit *f = front(n, r, i);
    uint64_t bit = 1ull << (i - p * n->vcs);
    uint32_t nb = noc_route_branches(n, r, f->worm, iv->br);
    if (!nb)
        return -1;
    iv->n_branch = (uint8_t)nb;
    r->need_route--;
    r->rtmask[p] &= ~bit;
    if (!r->rtmask[p])
        r->rtports &= ~(1u << p);
    iv->flits = n->pkts[n->worms[f->worm].pkt].flits;
    r->va_wait += nb;
    r->vamask[p] |= bit;
    r->vaports |= 1u << p;
    iv->state = NOC_VC_ROUTED;
    iv->popped = 0;
    iv->va_ready = t + n->cfg.router_stage_cycles[NOC_STAGE_ROUTE];
    if (iv->va_ready < r->va_min)
        r->va_min = iv->va_ready;
    return 0;
}

static int route_heads(noc *n, noc_router *r, uint64_t t)
{
    if (!r->need_route || noc_stage_busy(n, NOC_STAGE_ROUTE, r->route_free, t))
        return 0;
    uint64_t free_at = t + n->cfg.router_stage_cycles[NOC_STAGE_ROUTE];
    for (uint32_t pm = r->rtports; pm; pm &= pm - 1) {
        uint32_t p = (uint32_t)__builtin_ctz(pm);
        for (uint64_t m = r->rtmask[p]; m; m &= m - 1) {
            uint32_t i = p * n->vcs + (uint32_t)__builtin_ctzll(m);
            if (front(n, r, i)->ready > t)
                continue;
            if (route_head(n, r, p, i, t))
                return -1;
            r->route_free = free_at; /* a batch started */
        }
    }
    return 0;
}

/* Remove the flits every branch has sent; each frees a slot upstream. */
static void pop_sent(noc *n, noc_router *r, uint32_t in_port, uint32_t vc,
                     uint64_t t)
{
    uint32_t ivc = in_port * n->vcs + vc;
    noc_ivc *iv = &r->ivc[ivc];
    uint32_t done = UINT32_MAX;
    uint64_t sa_end = n->cfg.router_stage_cycles[NOC_STAGE_SW_ALLOC] - 1;
    for (uint32_t b = 0; b < iv->n_branch; b++)
        if (iv->br[b].sent < done)
            done = iv->br[b].sent;
    while (iv->popped < done) {
        noc_flit *f = front(n, r, ivc);
        uint32_t worm = f->worm;
        uint32_t flits = n->pkts[n->worms[worm].pkt].flits;
        iv->head = (uint16_t)noc_ring_add(iv->head, 1, n->vc_depth_flits);
        iv->count--;
        if (!iv->count) {
            r->vcmask[in_port] &= ~(1ull << vc);
            if (!r->vcmask[in_port])
                r->vcports &= ~(1u << in_port);
        }
        iv->popped++;
        r->occ[in_port]--;
        r->occ_total--;
        r->buffered--;
        n->buffered--;
        noc_note_occupancy(n, r, in_port);
        int err;
        if (in_port < NOC_MESH_PORTS) {
            noc_router *up = &n->r[r->nb[in_port]];
            err = noc_credit_push(&up->cred_mesh,
                                  t + sa_end + n->cfg.credit_delay_cycles +
                                      n->cfg.link_latency_cycles,
                                  (uint16_t)(in_port ^ 1u), (uint16_t)vc);
        } else {
            err = noc_credit_push(&r->cred_term,
                                  t + sa_end + n->cfg.credit_delay_cycles +
                                      n->cfg.inject_cycles,
                                  (uint16_t)in_port, (uint16_t)vc);
        }
        if (err) {
            n->failed = 1;
            kq_stop(n->k);
        }
        if (iv->popped == flits) {
            int keep = 0;
            for (uint32_t b = 0; b < iv->n_branch; b++)
                keep |= iv->br[b].out_worm == worm;
            if (!keep)
                noc_worm_free(n, worm);
            iv->state = NOC_VC_IDLE;
            iv->n_branch = 0;
            iv->popped = 0;
            if (iv->count) { /* the next packet's head */
                r->need_route++;
                r->rtmask[in_port] |= 1ull << vc;
                r->rtports |= 1u << in_port;
            }
            break;
        }
    }
}

/* The cycle a flit that won the switch at t for output `out` leaves the
 * router: t + switch allocation + crossbar for 1-cycle stages; with a
 * longer switch allocation or crossbar, after the crossbar's batch (see
 * the top of the file) and the flits before it on that output. */
static uint64_t staged_leave(noc *n, noc_router *r, uint32_t out, uint64_t t)
{
    const uint32_t *sc = n->cfg.router_stage_cycles;
    uint64_t sa = sc[NOC_STAGE_SW_ALLOC], xb = sc[NOC_STAGE_XBAR];
    if (sa <= 1 && xb <= 1)
        return t + sa + xb;
    uint64_t e = t + sa; /* ready for the crossbar */
    if (e >= r->xb_free) {          /* free: a new batch */
        r->xb_start = e;
        r->xb_free = e + (xb ? xb : 1);
    } else if (e > r->xb_start) {   /* busy: the batch after this one */
        r->xb_start = r->xb_free;
        r->xb_free += xb ? xb : 1;
    }                               /* else it joins the batch at xb_start */
    uint64_t done = r->xb_start + (xb ? xb - 1 : 0);
    if (done <= r->out_last[out])
        done = r->out_last[out] + 1; /* one flit per output per cycle */
    r->out_last[out] = done;
    return done + (xb ? 1 : 0);
}

void noc_router_send(noc *n, noc_router *r, uint32_t in_port, uint32_t vc,
                     uint32_t b, uint64_t t)
{
    uint32_t ivc = in_port * n->vcs + vc;
    noc_ivc *iv = &r->ivc[ivc];
    noc_branch *br = &iv->br[b];
    uint32_t pos = br->sent - iv->popped;
    noc_flit f = r->slots[(size_t)ivc * n->vc_depth_flits +
                          noc_ring_add(iv->head, pos, n->vc_depth_flits)];
    uint32_t pkt = n->worms[f.worm].pkt;
    const noc_pkt *pk = &n->pkts[pkt];
    uint32_t flits = pk->flits;
    uint32_t out = br->port, ovc = (uint32_t)br->ovc;
    uint64_t leave = staged_leave(n, r, out, t);
    uint64_t arrive;
    uint32_t link = r->link_out[out];
    uint32_t to = r->id;

    if (out < NOC_MESH_PORTS) {
        arrive = leave + n->cfg.link_latency_cycles;
        to = r->nb[out];
        noc_router *down = &n->r[to];
        r->ovc_credits[out * n->vcs + ovc]--;
        noc_flit nf = {br->out_worm, f.idx, arrive};
        buffer_push(n, down, out ^ 1u, ovc, nf);
        noc_wake(n, down, arrive);
        n->tot.flit_link_hops++;
        n->tot.link_energy_pj += n->cfg.flit_width_bits * n->cfg.energy_per_bit_link_pj;
    } else {
        arrive = leave + n->cfg.eject_cycles;
        n->tot.flits_ejected++;
        if (f.idx + 1 == flits)
            noc_schedule_delivery(n, pkt, br->dst, arrive);
    }
    n->links[link].flits++;
    r->flits_switched++;
    r->energy_pj += n->cfg.energy_per_flit_hop_pj;
    n->tot.flit_router_hops++;
    n->tot.router_energy_pj += n->cfg.energy_per_flit_hop_pj;
    n->last_progress = t;
    if (n->has_obs && n->obs.flit_hop) {
        noc_flit_hop h = {pk->id, f.idx, flits, link, r->id, to,
                          t * n->cycle_ps, arrive * n->cycle_ps};
        n->obs.flit_hop(n->obs.ctx, &h);
    }
    br->sent++;
    if (br->sent == flits) {
        r->sa_cand--;
        r->outmask[in_port][out] &= ~(1ull << vc);
        if (!r->outmask[in_port][out])
            r->outbits[in_port] &= ~(1u << out);
        if (!r->outbits[in_port])
            r->inbits &= ~(1u << in_port);
    }
    if (f.idx + 1 == flits)
        r->ovc_busy[out * n->vcs + ovc] = 0; /* tail gone: VC free again */
    pop_sent(n, r, in_port, vc, t);
}

/* The first cycle after t at which this router can do anything on its
 * own: a flit becoming usable, a stage finishing, or -- when a flit is
 * blocked on a credit, an allocation or a busy terminal VC -- the next
 * cycle. Flits still to arrive wake the router themselves. */
static uint64_t next_wake(const noc *n, const noc_router *r, uint64_t t)
{
    uint64_t w = UINT64_MAX;
    for (uint32_t i = 0; r->queued_pkts && i < n->cfg.terminals_per_router; i++) {
        const noc_term *tm = &r->term[i];
        if (tm->q_head == NOC_NONE)
            continue;
        uint64_t c = n->pkts[tm->q_head].ready_cycle;
        w = c > t + 1 ? (c < w ? c : w) : t + 1;
    }
    for (uint32_t pm = r->vcports; pm && w > t + 1; pm &= pm - 1) {
        uint32_t p = (uint32_t)__builtin_ctz(pm);
        for (uint64_t m = r->vcmask[p]; m && w > t + 1; m &= m - 1) {
            uint32_t ivc = p * n->vcs + (uint32_t)__builtin_ctzll(m);
            const noc_ivc *iv = &r->ivc[ivc];
            uint64_t c;
            if (iv->state == NOC_VC_IDLE) {
                c = r->slots[(size_t)ivc * n->vc_depth_flits + iv->head].ready;
            } else {
                c = UINT64_MAX;
                for (uint32_t b = 0; b < iv->n_branch; b++) {
                    const noc_branch *br = &iv->br[b];
                    uint64_t cb;
                    if (br->ovc < 0) {
                        if (br->port >= NOC_MESH_PORTS && n->eject_blocked &&
                            n->eject_blocked[br->dst])
                            continue; /* noc_eject_resume wakes us */
                        cb = iv->va_ready;
                    } else {
                        uint32_t pos = br->sent - iv->popped;
                        if (pos >= iv->count || br->sent >= iv->flits)
                            continue; /* its next flit will wake us */
                        cb = r->slots[(size_t)ivc * n->vc_depth_flits +
                                      noc_ring_add(iv->head, pos, n->vc_depth_flits)].ready;
                        if (br->sa_ready > cb)
                            cb = br->sa_ready;
                    }
                    if (cb < c)
                        c = cb;
                }
            }
            if (c <= t)
                c = t + 1;
            if (c < w)
                w = c;
        }
    }
    return w;
}

static void detect_deadlock(noc *n, uint64_t t)
{
    n->deadlocked = 1;
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < n->nrouters; i++)
        cnt += n->r[i].buffered > 0;
    base_free(n->dl_routers);
    n->dl_routers = base_malloc(sizeof *n->dl_routers * (cnt ? cnt : 1));
    n->n_dl = 0;
    if (n->dl_routers)
        for (uint32_t i = 0; i < n->nrouters; i++)
            if (n->r[i].buffered)
                n->dl_routers[n->n_dl++] = i;
    if (n->has_obs && n->obs.deadlock)
        n->obs.deadlock(n->obs.ctx, t * n->cycle_ps, n->dl_routers, n->n_dl);
    kq_stop(n->k);
}

void noc_router_step(noc *n, noc_router *r, uint64_t t)
{
    kq_kernel *k = n->k;
    if (n->deadlocked || n->failed)
        return;

    absorb_credits(n, r, t);
    inject(n, r, t);
    if (route_heads(n, r, t)) {
        n->failed = 1; /* out of memory: stop rather than lose flits */
        kq_stop(k);
        return;
    }
    if (r->va_wait) /* the common checks here, the calls only with work */
        noc_vc_alloc(n, r, t);
    if (r->inbits)
        noc_sw_alloc(n, r, t);

    if (n->buffered && t > n->last_progress &&
        t - n->last_progress >= n->cfg.deadlock_cycles) {
        if (n->n_blocked) { /* stalled by full terminals: wait (noc_eject.c) */
            n->parked = 1;
            return;
        }
        detect_deadlock(n, t);
        return;
    }
    if (n->cfg.cycle_stepped) {
        if (n->buffered || n->queued_flits)
            noc_wake(n, r, t + 1);
    } else if (r->buffered || r->queued_pkts) {
        uint64_t w = next_wake(n, r, t);
        if (w != UINT64_MAX)
            noc_wake(n, r, w);
    }
}
