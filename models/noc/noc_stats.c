/* noc_stats.c -- reading and resetting the NoC's counters. */
#include <string.h>

#include "noc/noc_internal.h"

void noc_stats_reset(noc *n)
{
    memset(&n->tot, 0, sizeof n->tot);
    n->tot.latency_min_cycles = UINT64_MAX;
    n->window_start = noc_now_cycle(n);
    for (uint32_t i = 0; i < n->nlinks; i++)
        n->links[i].flits = 0;
    for (uint32_t i = 0; i < n->nrouters; i++) {
        noc_router *r = &n->r[i];
        r->flits_switched = 0;
        r->energy_pj = 0.0;
        r->peak_total = r->occ_total;
        for (uint32_t p = 0; p < NOC_PORTS_MAX; p++)
            r->peak_port[p] = r->occ[p];
    }
}

void noc_get_totals(const noc *n, noc_totals *out)
{
    *out = n->tot;
    out->window_cycles = noc_now_cycle(n) - n->window_start;
}

uint32_t noc_link_count(const noc *n)
{
    return n->nlinks;
}

int noc_link_describe(const noc *n, uint32_t link, noc_link_stat *out)
{
    if (link >= n->nlinks)
        return -1;
    const noc_link *l = &n->links[link];
    uint64_t cyc = noc_now_cycle(n) - n->window_start;
    out->kind = l->kind;
    out->from_router = l->from;
    out->to_router = l->to;
    out->out_port = l->out_port;
    out->terminal = l->terminal;
    out->flits = l->flits;
    out->utilisation = cyc ? (double)l->flits / (double)cyc : 0.0;
    out->energy_pj = l->kind == NOC_LINK_MESH
                         ? (double)l->flits * n->cfg.flit_width_bits *
                               n->cfg.energy_per_bit_link_pj
                         : 0.0;
    return 0;
}

int noc_router_stats(const noc *n, uint32_t router, noc_router_stat *out)
{
    if (router >= n->nrouters)
        return -1;
    const noc_router *r = &n->r[router];
    memset(out, 0, sizeof *out);
    out->x = r->x;
    out->y = r->y;
    out->flits_switched = r->flits_switched;
    out->buffer_peak_flits = r->peak_total;
    for (uint32_t p = 0; p < n->nports; p++)
        out->port_peak_flits[p] = r->peak_port[p];
    out->energy_pj = r->energy_pj;
    return 0;
}
