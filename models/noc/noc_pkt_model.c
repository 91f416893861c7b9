/* noc_pkt_model.c -- the packet-level NoC model (noc_config.model ==
 * NOC_MODEL_PACKET), behind the same API as the flit model.
 *
 * A copy of a packet is two times at a router: when its head flit and
 * when its tail flit are usable there. One event per copy and router (at
 * the head's arrival, so contention is resolved in arrival order, first
 * come first served) routes it as the flit model does (noc_route_branches,
 * the same multicast tree) and sends it on each branch:
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

struct noc_pktm {
    uint64_t *port_free;   /* [router * nports + port]: first cycle the
                            * output port may take the next head */
    uint64_t *inj_free;    /* [terminal]: same for its injection channel */
};

/* A copy whose head reaches a router (the event's time is `head`). */
typedef struct {
    uint32_t worm, router;
    uint64_t head, tail;   /* cycles: usable at this router */
} hop_msg;

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
    pm->port_free = base_calloc((size_t)n->nrouters * n->nports, sizeof *pm->port_free);
    pm->inj_free = base_calloc(n->nterms, sizeof *pm->inj_free);
    if (!pm->port_free || !pm->inj_free) {
        noc_pktm_free(pm);
        return NULL;
    }
    return pm;
}

void noc_pktm_free(struct noc_pktm *pm)
{
    if (!pm)
        return;
    base_free(pm->port_free);
    base_free(pm->inj_free);
    base_free(pm);
}

static void fail(noc *n)
{
    n->failed = 1;
    kq_stop(n->k);
}

/* acc += v, f times: the flit model adds a constant once per flit, and a
 * running sum of one constant depends only on how many were added. */
static void add_flits(double *acc, double v, uint32_t f)
{
    for (uint32_t i = 0; i < f; i++)
        *acc += v;
}

/* The flit model reports every flit on every link; here all of a copy's
 * flits on a link are reported at once, at the current time (times the
 * trace adapter sees must not run ahead of the other models'). */
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

static void on_hop(kq_kernel *k, void *ctx, const void *payload);

static void schedule_hop(noc *n, const hop_msg *m)
{
    if (kq_schedule_at(n->k, m->head * n->cycle_ps, NOC_PRIO_ROUTER, on_hop, n, m,
                       sizeof *m, NULL) != KQ_OK)
        fail(n);
}

void noc_pktm_inject(noc *n, uint32_t p)
{
    struct noc_pktm *pm = n->pm;
    noc_pkt *pk = &n->pkts[p];
    uint32_t f = pk->flits;
    noc_router *r = &n->r[pk->src / n->cfg.terminals_per_router];
    uint32_t port = NOC_MESH_PORTS + pk->src % n->cfg.terminals_per_router;
    uint64_t t = pk->ready_cycle > pm->inj_free[pk->src] ? pk->ready_cycle
                                                         : pm->inj_free[pk->src];
    pm->inj_free[pk->src] = t + f;
    pk->injected_cycle = t;
    uint32_t link = r->link_out[port] - 1; /* injection precedes ejection */
    n->links[link].flits += f;
    n->tot.flits_injected += f;
    n->buffered += (uint64_t)f * pk->n_dst;
    if (n->has_obs && n->obs.packet_injected)
        n->obs.packet_injected(n->obs.ctx, pk->id, pk->src, t * n->cycle_ps);
    report_hops(n, pk, link, r->id, r->id);
    hop_msg m = {pk->worm, r->id, t + n->cfg.inject_cycles,
                 t + f - 1 + n->cfg.inject_cycles};
    schedule_hop(n, &m);
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

/* Branch j of k of a copy at router r (see the top of the file). */
static void send_branch(noc *n, noc_router *r, const hop_msg *m, const noc_branch *b,
                        uint32_t j, uint32_t k, uint32_t pkt)
{
    const noc_config *c = &n->cfg;
    const uint32_t *st = c->router_stage_cycles;
    uint64_t *pf = &n->pm->port_free[(size_t)r->id * n->nports + b->port];
    const noc_pkt *pk = &n->pkts[pkt];
    uint32_t f = pk->flits;
    uint64_t head = m->head + st[NOC_STAGE_ROUTE] + st[NOC_STAGE_VC_ALLOC] + j;
    if (head < *pf)
        head = *pf;
    uint64_t tail = head + (uint64_t)(f - 1) * k;
    if (tail < m->tail + j)
        tail = m->tail + j;
    *pf = tail + 1;
    count_send(n, r, b->port, f);
    uint64_t leave = st[NOC_STAGE_SW_ALLOC] + st[NOC_STAGE_XBAR];
    if (b->port < NOC_MESH_PORTS) {
        uint32_t to = r->nb[b->port];
        report_hops(n, pk, r->link_out[b->port], r->id, to);
        hop_msg next = {b->out_worm, to, head + leave + c->link_latency_cycles,
                        tail + leave + c->link_latency_cycles};
        schedule_hop(n, &next);
    } else {
        report_hops(n, pk, r->link_out[b->port], r->id, r->id);
        n->buffered -= f;
        noc_schedule_delivery(n, pkt, b->dst, tail + leave + c->eject_cycles);
    }
}

static void on_hop(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    noc *n = ctx;
    hop_msg m;
    memcpy(&m, payload, sizeof m);
    if (n->failed)
        return;
    noc_router *r = &n->r[m.router];
    noc_branch br[NOC_PORTS_MAX];
    uint32_t nb = noc_route_branches(n, r, m.worm, br);
    if (!nb) {
        fail(n);
        return;
    }
    uint32_t pkt = n->worms[m.worm].pkt;
    int keep = 0;
    for (uint32_t j = 0; j < nb; j++) {
        send_branch(n, r, &m, &br[j], j, nb, pkt);
        keep |= br[j].out_worm == m.worm;
    }
    if (!keep)
        noc_worm_free(n, m.worm);
}
