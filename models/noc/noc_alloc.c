/* noc_alloc.c -- VC and switch allocation: iSLIP, one iteration.
 *
 * iSLIP (McKeown): every requester asks for all resources it can use;
 * each resource grants the first requester at or after its grant pointer;
 * each requester accepts the first grant at or after its accept pointer;
 * pointers move one past the partner only on an accepted grant, which
 * keeps the allocation fair (no starvation) and deterministic.
 *
 * VC allocation: requesters are input VCs (port * vcs + vc) whose head is
 * routed, resources the free output VCs of the port each branch goes to.
 * Switch allocation: requesters are input ports, resources output ports;
 * an input port offers, per output, the first VC (round robin from after
 * its last winner) that has a flit ready, an output VC and a credit. */
#include <string.h>

#include "noc/noc_internal.h"

/* The accept pointer of an input VC counts over all output VCs of the
 * router (port * vcs + vc), as one allocator over every output VC would:
 * a packet leaving by another port than the last one starts its search at
 * that port's VC 0, not at the VC after the last one it took. This is
 * what spreads packets over downstream VCs the way BookSim's iSLIP does
 * (taking "the VC after the last" instead cut the contention of 1-flit
 * uniform traffic by a third). Returns the VC of port p to start from. */
static uint32_t accept_start(uint32_t aptr, uint32_t p, uint32_t V)
{
    return aptr > p * V && aptr < p * V + V ? aptr - p * V : 0;
}

/* (x + 1) % m for x < m, without the division (pointer updates run for
 * every grant). */
static inline uint32_t inc_wrap(uint32_t x, uint32_t m)
{
    return x + 1 == m ? 0 : x + 1;
}

/* Input VC i (of V per port) got an output VC for a branch: it is a
 * switch candidate; it leaves the VC allocation list once no branch
 * waits. */
static void vc_granted(noc_router *r, const noc_ivc *iv, uint32_t i, uint32_t b,
                       uint32_t V)
{
    uint32_t port = i / V;
    uint64_t bit = 1ull << (i - port * V);
    r->outmask[port][iv->br[b].port] |= bit;
    r->outbits[port] |= 1u << iv->br[b].port;
    r->inbits |= 1u << port;
    int wait = 0;
    for (uint32_t b = 0; b < iv->n_branch; b++)
        wait |= iv->br[b].ovc < 0;
    if (!wait) {
        r->vamask[port] &= ~bit;
        if (!r->vamask[port])
            r->vaports &= ~(1u << port);
    }
}

/* Branch b of input VC i takes output VC v of port p at t; the pointers
 * move one past the partners (iSLIP). */
static void va_grant(noc *n, noc_router *r, uint32_t i, uint32_t b, uint32_t p, uint32_t v,
                     uint64_t t)
{
    uint32_t V = n->vcs, NI = n->nports * V;
    noc_ivc *iv = &r->ivc[i];
    iv->br[b].ovc = (int16_t)v;
    iv->br[b].sa_ready = t + n->cfg.router_stage_cycles[NOC_STAGE_VC_ALLOC];
    r->ovc_busy[p * V + v] = 1;
    r->va_wait--;
    r->sa_cand++;
    r->va_gptr[p * V + v] = (uint16_t)inc_wrap(i, NI);
    r->va_aptr[i] = (uint16_t)inc_wrap(p * V + v, NI);
    vc_granted(r, iv, i, b, V);
}

/* One requester for port p's output VCs: every free one grants it, so it
 * takes the first free one from its accept pointer -- the iSLIP outcome
 * without building the grant table. */
static void va_take_first_free(noc *n, noc_router *r, uint32_t i, uint32_t b,
                               uint32_t p, uint64_t t)
{
    uint32_t V = n->vcs;
    uint32_t st = accept_start(r->va_aptr[i], p, V);
    for (uint32_t s2 = 0; s2 < V; s2++) {
        uint32_t v = noc_ring_add(st, s2, V);
        if (r->ovc_busy[p * V + v])
            continue;
        va_grant(n, r, i, b, p, v, t);
        return;
    }
}

/* iSLIP over each port's output VCs for the requests req[p * NI + k]
 * (ivc * NOC_PORTS_MAX + branch, ivc ascending), cnt[p] of them for each
 * port p in reqports. */
static void va_grant_ports(noc *n, noc_router *r, const uint32_t *req,
                           const uint32_t *cnt, uint32_t reqports, uint64_t t)
{
    uint32_t V = n->vcs, NI = n->nports * V;
    uint32_t *grant = n->scratch_grant; /* per output VC: index in list */
    for (; reqports; reqports &= reqports - 1) {
        uint32_t p = (uint32_t)__builtin_ctz(reqports);
        uint32_t c = cnt[p];
        const uint32_t *list = &req[p * NI];
        if (c == 1) {
            va_take_first_free(n, r, list[0] / NOC_PORTS_MAX, list[0] % NOC_PORTS_MAX, p, t);
            continue;
        }
        int granted = 0;
        for (uint32_t v = 0; v < V; v++) {
            grant[v] = UINT32_MAX;
            if (r->ovc_busy[p * V + v])
                continue;
            /* First requester with ivc >= pointer; the list ascends. */
            uint32_t gp = r->va_gptr[p * V + v], k = 0;
            while (k < c && list[k] / NOC_PORTS_MAX < gp)
                k++;
            grant[v] = k < c ? k : 0;
            granted = 1;
        }
        if (!granted)
            continue;
        for (uint32_t k = 0; k < c; k++) {
            uint32_t i = list[k] / NOC_PORTS_MAX, b = list[k] % NOC_PORTS_MAX;
            uint32_t ap = accept_start(r->va_aptr[i], p, V);
            for (uint32_t s = 0; s < V; s++) {
                uint32_t v = noc_ring_add(ap, s, V);
                if (grant[v] != k)
                    continue;
                va_grant(n, r, i, b, p, v, t);
                break;
            }
        }
    }
}


/* One branch waits in the whole router (the common case below
 * saturation): the general allocation below with one request, without
 * its lists. */
static void va_single(noc *n, noc_router *r, uint64_t t)
{
    uint32_t port = (uint32_t)__builtin_ctz(r->vaports);
    uint32_t i = port * n->vcs + (uint32_t)__builtin_ctzll(r->vamask[port]);
    noc_ivc *iv = &r->ivc[i];
    r->va_min = iv->va_ready;
    if (iv->va_ready > t)
        return;
    uint32_t b = 0;
    while (iv->br[b].ovc >= 0)
        b++;
    if (n->gate && !noc_eject_admit(n, r, i, b))
        return;
    r->va_free = t + n->cfg.router_stage_cycles[NOC_STAGE_VC_ALLOC]; /* a batch */
    va_take_first_free(n, r, i, b, iv->br[b].port, t);
}

void noc_vc_alloc(noc *n, noc_router *r, uint64_t t)
{
    if (!r->va_wait || noc_stage_busy(n, NOC_STAGE_VC_ALLOC, r->va_free, t) ||
        r->va_min > t) /* every waiting head routed this cycle or later */
        return;
    if (r->va_wait == 1) {
        va_single(n, r, t);
        return;
    }
    uint32_t P = n->nports, V = n->vcs, NI = P * V;
    uint32_t cnt[NOC_PORTS_MAX] = {0};
    uint32_t *req = n->scratch_req; /* [port * NI + k] = ivc * 8 + branch */
    uint32_t reqports = 0; /* bit p: cnt[p] is not 0 */
    r->va_min = UINT64_MAX; /* the scan below sees every VC in vamask */
    for (uint32_t pm = r->vaports; pm; pm &= pm - 1) {
        uint32_t port = (uint32_t)__builtin_ctz(pm);
        for (uint64_t m = r->vamask[port]; m; m &= m - 1) {
            uint32_t i = port * V + (uint32_t)__builtin_ctzll(m);
            noc_ivc *iv = &r->ivc[i];
            if (iv->va_ready < r->va_min)
                r->va_min = iv->va_ready;
            if (iv->va_ready > t)
                continue;
            for (uint32_t b = 0; b < iv->n_branch; b++) {
                if (iv->br[b].ovc >= 0 || (n->gate && !noc_eject_admit(n, r, i, b)))
                    continue;
                uint32_t p = iv->br[b].port;
                req[p * NI + cnt[p]++] = i * NOC_PORTS_MAX + b;
                reqports |= 1u << p;
            }
        }
    }
    if (!reqports)
        return;
    r->va_free = t + n->cfg.router_stage_cycles[NOC_STAGE_VC_ALLOC]; /* a batch */
    va_grant_ports(n, r, req, cnt, reqports, t);
}

/* The first set bit of mask (bits below P) at or after `from`, wrapping:
 * the round-robin scan from `from` over 0..P-1. */
static inline uint32_t rr_first(uint32_t mask, uint32_t from)
{
    uint32_t hi = from < 32 ? mask & (~0u << from) : 0;
    return (uint32_t)__builtin_ctz(hi ? hi : mask);
}

/* The request of input port p for output o: the first VC round robin
 * from sw_rr (those at or after it, then the rest) whose branch to o can
 * send, as VC * NOC_PORTS_MAX + branch; UINT32_MAX for none. One scan over
 * the port's VCs, each taking the outputs not yet requested, gives the
 * same. */
static uint32_t first_sender(const noc *n, const noc_router *r, uint32_t p, uint32_t o,
                             uint64_t t)
{
    uint64_t mask = r->outmask[p][o];
    uint32_t rr = r->sw_rr[p];
    uint64_t hi = rr < 64 ? mask & (~0ull << rr) : 0;
    uint64_t order[2] = {hi, mask & ~hi};
    for (int half = 0; half < 2; half++)
        for (uint64_t m = order[half]; m; m &= m - 1) {
            uint32_t v = (uint32_t)__builtin_ctzll(m);
            uint32_t ivc = p * n->vcs + v;
            const noc_ivc *iv = &r->ivc[ivc];
            uint32_t b = 0;
            while (iv->br[b].port != o)
                b++;
            if (noc_branch_can_send(n, r, ivc, b, t))
                return v * NOC_PORTS_MAX + b;
        }
    return UINT32_MAX;
}

/* One switch candidate in the router: iSLIP with one request grants it
 * (every pointer moves one past it), without the request tables. */
static void sw_single(noc *n, noc_router *r, uint64_t t)
{
    uint32_t p = (uint32_t)__builtin_ctz(r->inbits);
    uint32_t o = (uint32_t)__builtin_ctz(r->outbits[p]);
    uint32_t v = (uint32_t)__builtin_ctzll(r->outmask[p][o]);
    uint32_t ivc = p * n->vcs + v, b = 0;
    while (r->ivc[ivc].br[b].port != o)
        b++;
    if (!noc_branch_can_send(n, r, ivc, b, t))
        return;
    r->sa_free = t + n->cfg.router_stage_cycles[NOC_STAGE_SW_ALLOC]; /* a batch */
    r->sa_gptr[o] = (uint8_t)inc_wrap(p, n->nports);
    r->sa_aptr[p] = (uint8_t)inc_wrap(o, n->nports);
    r->sw_rr[p] = (uint16_t)inc_wrap(v, n->vcs);
    noc_router_send(n, r, p, v, b, t);
}

void noc_sw_alloc(noc *n, noc_router *r, uint64_t t)
{
    if (!r->inbits || noc_stage_busy(n, NOC_STAGE_SW_ALLOC, r->sa_free, t))
        return;
    if (r->sa_cand == 1) {
        sw_single(n, r, t);
        return;
    }
    uint32_t P = n->nports, V = n->vcs;
    /* req[in][out]: VC * NOC_PORTS_MAX + branch, valid where bit in of
     * req_in[out] is set. */
    uint32_t req[NOC_PORTS_MAX][NOC_PORTS_MAX];
    uint32_t req_in[NOC_PORTS_MAX] = {0};
    uint32_t outs = 0; /* outputs someone requests */
    for (uint32_t pm = r->inbits; pm; pm &= pm - 1) {
        uint32_t p = (uint32_t)__builtin_ctz(pm);
        for (uint32_t ob = r->outbits[p]; ob; ob &= ob - 1) {
            uint32_t o = (uint32_t)__builtin_ctz(ob);
            uint32_t vb = first_sender(n, r, p, o, t);
            if (vb == UINT32_MAX)
                continue;
            req[p][o] = vb;
            req_in[o] |= 1u << p;
            outs |= 1u << o;
        }
    }
    if (!outs)
        return;
    r->sa_free = t + n->cfg.router_stage_cycles[NOC_STAGE_SW_ALLOC]; /* a batch */

    /* Each output grants the first requesting input from sa_gptr; each
     * input accepts the first granting output from sa_aptr (round robin,
     * as a scan from the pointer would). */
    uint32_t granted_to[NOC_PORTS_MAX] = {0}; /* input -> outputs that granted it */
    uint32_t ins = 0; /* inputs some output granted */
    for (; outs; outs &= outs - 1) {
        uint32_t o = (uint32_t)__builtin_ctz(outs);
        uint32_t p = rr_first(req_in[o], r->sa_gptr[o]);
        granted_to[p] |= 1u << o;
        ins |= 1u << p;
    }
    for (; ins; ins &= ins - 1) {
        uint32_t p = (uint32_t)__builtin_ctz(ins);
        uint32_t o = rr_first(granted_to[p], r->sa_aptr[p]);
        r->sa_gptr[o] = (uint8_t)inc_wrap(p, P);
        r->sa_aptr[p] = (uint8_t)inc_wrap(o, P);
        uint32_t vb = req[p][o];
        uint32_t v = vb / NOC_PORTS_MAX, b = vb % NOC_PORTS_MAX;
        r->sw_rr[p] = (uint16_t)inc_wrap(v, V);
        noc_router_send(n, r, p, v, b, t);
    }
}
