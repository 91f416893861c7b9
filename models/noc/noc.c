/* noc.c -- NoC configuration, construction and accessors. Packets in and
 * out are in noc_packet.c, router wake-ups in noc_step.c, the router
 * pipeline in noc_router.c, allocation in noc_alloc.c, routing in noc_routing.c,
 * statistics in noc_stats.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc/noc_internal.h"

#define NOC_MAX_STATE_BYTES 4e9

void noc_config_default(noc_config *c)
{
    memset(c, 0, sizeof *c);
    c->width = 4;
    c->height = 4;
    c->terminals_per_router = 1;
    c->virtual_channels = 16;
    c->vc_depth_flits = 8;
    c->router_stage_cycles[NOC_STAGE_ROUTE] = 1;
    c->router_stage_cycles[NOC_STAGE_VC_ALLOC] = 1;
    c->router_stage_cycles[NOC_STAGE_SW_ALLOC] = 1;
    c->router_stage_cycles[NOC_STAGE_XBAR] = 1;
    c->link_latency_cycles = 1;
    c->inject_cycles = 1;
    c->eject_cycles = 1;
    c->credit_delay_cycles = 0;
    c->flit_width_bits = 64;
    c->clock_ghz = 1.0;
    c->energy_per_flit_hop_pj = 1.0;
    c->energy_per_bit_link_pj = 0.1;
    c->multicast_lookup_cycles = 1;
    c->routing = NOC_ROUTE_XY;
    c->deadlock_cycles = 10000;
    c->seed = 1;
}

#define NOC_MAX_VC_DEPTH 4096
#define NOC_MAX_LATENCY 1000000  /* cycles, any one stage or delay */

/* One parameter out of its range: the message and *param name it. */
static int bad_param(const char **param, base_error *err, const char *name,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad_param(const char **param, base_error *err, const char *name,
                     const char *fmt, ...)
{
    if (param)
        *param = name;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        base_vfail(err, fmt, ap);
        va_end(ap);
        base_fail_prefix(err, "%s: ", name);
    }
    return -1;
}

/* name in lo..hi, else -1 with "name: expected lo..hi, found v". */
static int in_range(const char **param, base_error *err, const char *name,
                    uint64_t v, uint64_t lo, uint64_t hi)
{
    if (v >= lo && v <= hi)
        return 0;
    return bad_param(param, err, name, "expected %llu..%llu, found %llu",
                     (unsigned long long)lo, (unsigned long long)hi,
                     (unsigned long long)v);
}

int noc_config_check(const noc_config *c, const char **param, base_error *err)
{
    if (param)
        *param = NULL;
    if (c->width < 1 || c->height < 1 || c->width > NOC_MAX_DIM ||
        c->height > NOC_MAX_DIM)
        return bad_param(param, err, "mesh", "expected each side 1..%u, found %ux%u",
                         NOC_MAX_DIM, c->width, c->height);
    static const char *const stage_names[NOC_STAGES] = {
        "router_stage_cycles[0]", "router_stage_cycles[1]",
        "router_stage_cycles[2]", "router_stage_cycles[3]"};
    /* Switch allocation is the stage a flit waits in for the crossbar:
     * it takes a cycle at least. */
    for (int i = 0; i < NOC_STAGES; i++)
        if (in_range(param, err, stage_names[i], c->router_stage_cycles[i],
                     i == NOC_STAGE_SW_ALLOC, NOC_MAX_LATENCY))
            return -1;
    if (in_range(param, err, "terminals_per_router", c->terminals_per_router, 1,
                 NOC_MAX_TERMINALS) ||
        in_range(param, err, "virtual_channels", c->virtual_channels, 1, NOC_MAX_VCS) ||
        in_range(param, err, "vc_depth_flits", c->vc_depth_flits, 1, NOC_MAX_VC_DEPTH) ||
        in_range(param, err, "link_latency_cycles", c->link_latency_cycles, 1,
                 NOC_MAX_LATENCY) ||
        in_range(param, err, "inject_cycles", c->inject_cycles, 1, NOC_MAX_LATENCY) ||
        in_range(param, err, "eject_cycles", c->eject_cycles, 1, NOC_MAX_LATENCY) ||
        in_range(param, err, "credit_delay_cycles", c->credit_delay_cycles, 0,
                 NOC_MAX_LATENCY) ||
        in_range(param, err, "multicast_lookup_cycles", c->multicast_lookup_cycles, 0,
                 NOC_MAX_LATENCY) ||
        in_range(param, err, "flit_width_bits", c->flit_width_bits, 1, UINT32_MAX) ||
        in_range(param, err, "deadlock_cycles", c->deadlock_cycles, 1, UINT64_MAX))
        return -1;
    if (!(c->clock_ghz > 0.0) || c->clock_ghz > 1000.0)
        return bad_param(param, err, "clock_ghz", "expected a clock in (0, 1000] GHz, "
                         "found %g", c->clock_ghz);
    if (!(c->energy_per_flit_hop_pj >= 0.0))
        return bad_param(param, err, "energy_per_flit_hop_pj", "expected an energy "
                         ">= 0 pJ, found %g", c->energy_per_flit_hop_pj);
    if (!(c->energy_per_bit_link_pj >= 0.0))
        return bad_param(param, err, "energy_per_bit_link_pj", "expected an energy "
                         ">= 0 pJ, found %g", c->energy_per_bit_link_pj);
    if ((unsigned)c->model > NOC_MODEL_PACKET)
        return bad_param(param, err, "model", "expected flit or packet, found model %d",
                         (int)c->model);
    if ((unsigned)c->routing > NOC_ROUTE_XYYX)
        return bad_param(param, err, "routing", "expected xy, yx or xyyx, found "
                         "routing function %d", (int)c->routing);
    /* Buffers and VC state are allocated up front; refuse sizes that
     * cannot fit rather than let the machine swap or kill us. */
    double ports = 4.0 + c->terminals_per_router;
    double bytes = (double)c->width * c->height * ports * c->virtual_channels *
                   (sizeof(noc_ivc) + ports * sizeof(noc_branch) +
                    16.0 * c->vc_depth_flits + 16.0);
    if (bytes > NOC_MAX_STATE_BYTES) {
        base_fail(err, "a %ux%u mesh with %u VCs x %u flits needs %.1f GB of "
                   "router state (limit %.0f GB)", c->width, c->height,
                   c->virtual_channels, c->vc_depth_flits, bytes / 1e9,
                   NOC_MAX_STATE_BYTES / 1e9);
        return -1;
    }
    return 0;
}

uint32_t noc_max_multicast_flits(const noc_config *c)
{
    return c->vc_depth_flits;
}

static const char *const routing_names[] = {"xy", "yx", "xyyx"};

int noc_routing_parse(const char *s, noc_routing *out)
{
    for (int i = 0; i <= NOC_ROUTE_XYYX; i++)
        if (!strcmp(s, routing_names[i])) {
            *out = (noc_routing)i;
            return 0;
        }
    return -1;
}

const char *noc_routing_name(noc_routing r)
{
    return (unsigned)r <= NOC_ROUTE_XYYX ? routing_names[r] : "?";
}

static int fifo_init(noc_credit_fifo *f, uint32_t cap)
{
    f->q = base_malloc(sizeof *f->q * cap);
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
    r->va_min = UINT64_MAX;
    r->ivc = base_calloc((size_t)P * V, sizeof *r->ivc);
    r->branches = base_calloc((size_t)P * V * P, sizeof *r->branches);
    r->slots = base_calloc((size_t)P * V * n->vc_depth_flits, sizeof *r->slots);
    r->ovc_busy = base_calloc((size_t)P * V, 1);
    r->ovc_credits = base_calloc((size_t)P * V, sizeof *r->ovc_credits);
    r->va_gptr = base_calloc((size_t)P * V, sizeof *r->va_gptr);
    r->va_aptr = base_calloc((size_t)P * V, sizeof *r->va_aptr);
    if (!r->ivc || !r->branches || !r->slots || !r->ovc_busy || !r->ovc_credits ||
        !r->va_gptr || !r->va_aptr || fifo_init(&r->cred_mesh, 16) ||
        fifo_init(&r->cred_term, 16))
        return -1;
    for (uint32_t i = 0; i < P * V; i++) {
        r->ovc_credits[i] = (uint16_t)n->vc_depth_flits;
        r->ivc[i].br = &r->branches[(size_t)i * P];
    }
    for (uint32_t t = 0; t < c->terminals_per_router; t++) {
        noc_term *tm = &r->term[t];
        tm->q_head = tm->q_tail = NOC_NONE;
        tm->vc = -1;
        tm->credits = base_malloc(sizeof *tm->credits * V);
        tm->busy = base_calloc(V, 1);
        if (!tm->credits || !tm->busy)
            return -1;
        for (uint32_t v = 0; v < V; v++)
            tm->credits[v] = (uint16_t)n->vc_depth_flits;
    }
    return 0;
}

static void router_destroy(noc *n, noc_router *r)
{
    base_free(r->ivc);
    base_free(r->branches);
    base_free(r->slots);
    base_free(r->ovc_busy);
    base_free(r->ovc_credits);
    base_free(r->va_gptr);
    base_free(r->va_aptr);
    base_free(r->cred_mesh.q);
    base_free(r->cred_term.q);
    for (uint32_t t = 0; t < n->cfg.terminals_per_router; t++) {
        base_free(r->term[t].credits);
        base_free(r->term[t].busy);
    }
}

/* Links: mesh channels in (router, port) order, then per terminal its
 * injection and ejection channels. */
static int build_links(noc *n)
{
    uint32_t cap = n->nrouters * NOC_MESH_PORTS + 2 * n->nterms;
    n->links = base_calloc(cap, sizeof *n->links);
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

noc *noc_new(kq_kernel *k, const noc_config *c, base_error *err)
{
    if (!k) {
        base_fail(err, "no kernel");
        return NULL;
    }
    if (noc_config_check(c, NULL, err))
        return NULL;
    noc *n = base_calloc(1, sizeof *n);
    if (!n)
        goto oom;
    n->k = k;
    n->cfg = *c;
    n->cycle_ps = base_cycle_ps(c->clock_ghz);
    if (n->cycle_ps < 1)
        n->cycle_ps = 1;
    n->nrouters = c->width * c->height;
    n->nterms = n->nrouters * c->terminals_per_router;
    n->nports = NOC_MESH_PORTS + c->terminals_per_router;
    n->vcs = c->virtual_channels;
    n->vc_depth_flits = c->vc_depth_flits;
    n->free_pkt = n->free_worm = NOC_NONE;
    n->rng = c->seed ^ 0x9e3779b97f4a7c15ULL;
    n->r = base_calloc(n->nrouters, sizeof *n->r);
    if (!n->r)
        goto oom;
    for (uint32_t i = 0; i < n->nrouters; i++)
        if (router_init(n, &n->r[i], i))
            goto oom;
    if (build_links(n))
        goto oom;
    n->scratch_req = base_malloc(sizeof *n->scratch_req * n->nports * n->vcs *
                            NOC_PORTS_MAX * 2);
    n->scratch_grant = base_malloc(sizeof *n->scratch_grant * n->vcs *
                              NOC_PORTS_MAX);
    if (!n->scratch_req || !n->scratch_grant)
        goto oom;
    if (c->model == NOC_MODEL_PACKET && !(n->pm = noc_pktm_new(n)))
        goto oom;
    noc_stats_reset(n);
    return n;
oom:
    base_fail(err, "out of memory building a %ux%u NoC", c->width, c->height);
    noc_free(n);
    return NULL;
}

void noc_free(noc *n)
{
    if (!n)
        return;
    noc_steps_free(n);
    if (n->r) {
        for (uint32_t i = 0; i < n->nrouters; i++)
            router_destroy(n, &n->r[i]);
        base_free(n->r);
    }
    for (uint32_t i = 0; i < n->npkts; i++)
        if (n->pkts[i].n_dst > 1)
            base_free(n->pkts[i].dst);
    for (uint32_t i = 0; i < n->nworms; i++)
        if (n->worms[i].n_dst > 1)
            base_free(n->worms[i].dst);
    for (uint32_t i = 0; i < n->ntable; i++)
        base_free(n->table[i].dst);
    base_free(n->table);
    base_free(n->pkts);
    base_free(n->worms);
    base_free(n->links);
    base_free(n->dl_routers);
    base_free(n->scratch_req);
    base_free(n->scratch_grant);
    base_free(n->eject_blocked);
    noc_pktm_free(n, n->pm);
    base_free(n);
}

const noc_config *noc_get_config(const noc *n) { return &n->cfg; }
uint32_t noc_routers(const noc *n) { return n->nrouters; }
uint32_t noc_terminals(const noc *n) { return n->nterms; }
uint64_t noc_cycle_ps(const noc *n) { return n->cycle_ps; }
int noc_deadlocked(const noc *n) { return n->deadlocked; }
int noc_failed(const noc *n) { return n->failed; }

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

