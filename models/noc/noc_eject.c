/* noc_eject.c -- ejection backpressure: a terminal's gate (noc.h).
 *
 * The gate is asked when a packet's branch to an ejection port would
 * request its ejection VC; a refusal blocks the terminal, and no branch
 * for it requests until the resume. The flits then wait in the router's
 * input VCs, whose credits stop going upstream: the network backs up.
 *
 * Routers blocked on credits poll every cycle. When nothing has moved for
 * deadlock_cycles while some terminal is blocked, the network is at a
 * fixed point that only a resume or a new packet can change, so routers
 * stop polling (park) instead of reporting a deadlock; noc_unpark wakes
 * them. Nothing moves while parked, so parking changes no cycle. */
#include "noc/noc_internal.h"

int noc_set_eject_gate(noc *n, noc_gate_fn fn, void *ctx)
{
    if (n->cfg.model == NOC_MODEL_PACKET)
        return 1; /* no routers, no ejection ports to stop */
    if (fn && !n->eject_blocked &&
        !(n->eject_blocked = base_calloc(n->nterms, sizeof *n->eject_blocked)))
        return -1;
    n->gate = fn;
    n->gate_ctx = ctx;
    return 0;
}

uint32_t noc_ejects_blocked(const noc *n) { return n->n_blocked; }

int noc_eject_admit(noc *n, noc_router *r, uint32_t ivc, uint32_t b)
{
    noc_branch *br = &r->ivc[ivc].br[b];
    if (!n->gate || br->port < NOC_MESH_PORTS || br->admitted)
        return 1;
    if (n->eject_blocked[br->dst])
        return 0;
    /* VC allocation comes before any flit of the packet leaves: the
     * front flit is its head. */
    const noc_flit *f = &r->slots[(size_t)ivc * n->vc_depth_flits + r->ivc[ivc].head];
    uint64_t tag = n->pkts[n->worms[f->worm].pkt].tag;
    if (!n->gate(n->gate_ctx, br->dst, tag)) {
        n->eject_blocked[br->dst] = 1;
        n->n_blocked++;
        return 0;
    }
    br->admitted = 1;
    return 1;
}

void noc_unpark(noc *n)
{
    if (!n->parked)
        return;
    n->parked = 0;
    uint64_t t = noc_now_cycle(n);
    n->last_progress = t;
    for (uint32_t i = 0; i < n->nrouters; i++)
        if (n->r[i].buffered || n->r[i].queued_pkts)
            noc_wake(n, &n->r[i], t + 1);
}

void noc_eject_resume(noc *n, uint32_t dst)
{
    if (!n->eject_blocked || dst >= n->nterms || !n->eject_blocked[dst])
        return;
    n->eject_blocked[dst] = 0;
    n->n_blocked--;
    noc_unpark(n);
    n->last_progress = noc_now_cycle(n); /* the stall ended: not a deadlock */
    noc_wake(n, &n->r[noc_router_of(&n->cfg, dst)], noc_now_cycle(n) + 1);
}
