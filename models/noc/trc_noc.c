/* trc_noc.c -- the NoC -> trace adapter (see trc_noc.h for the tracks).
 *
 * Per-flit callbacks only update counts (a flit hop is one increment, a
 * buffer change one multiply-add), so tracing stays cheap on a flit-level
 * model; counters are written once per sampling period. Packet slices go
 * on lanes of their source, since packets from one source overlap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc/noc_stats.h"
#include "noc/trc_noc_impl.h"

/* Times arrive in call order; clamp so a time a callback carries that is
 * a little ahead (the NoC may report arrivals early) never makes the
 * writer see time go backwards afterwards. */
static uint64_t clock_at(trc_noc *r, uint64_t t)
{
    if (t < r->now)
        t = r->now;
    r->now = t;
    return t;
}

/* Packets in flight changed by d at t: written now, or (mean_inflight)
 * folded into the period's mean. */
static void inflight_change(trc_noc *r, uint64_t t, int d)
{
    if (!r->mean_inflight) {
        trc_counter_int(r->w, r->inflight, t, r->in_flight += d);
        return;
    }
    r->inflight_integral += (double)r->in_flight * (double)(t - r->inflight_last_ps);
    r->inflight_last_ps = t;
    r->in_flight += d;
}

static void close_period(trc_noc *r, uint64_t end, uint64_t len_ps)
{
    double cycles = (double)len_ps / (double)r->cycle_ps;
    if (r->mean_inflight) {
        r->inflight_integral += (double)r->in_flight * (double)(end - r->inflight_last_ps);
        trc_counter_double(r->w, r->inflight, end, r->inflight_integral / (double)len_ps);
        r->inflight_integral = 0;
        r->inflight_last_ps = end;
    }
    for (uint32_t i = 0; i < r->routers; i++) {
        r->integral[i] += (double)r->tot[i] * (double)(end - r->last_ps[i]);
        trc_counter_double(r->w, r->buf_track[i], end,
                           r->integral[i] / (double)len_ps);
        r->integral[i] = 0;
        r->last_ps[i] = end;
    }
    for (uint32_t l = 0; l < r->n_links; l++) {
        if (!r->link_track[l])
            continue;
        /* whole percent: a varint of one byte instead of a double */
        trc_counter_int(r->w, r->link_track[l], end,
                        (int64_t)(100.0 * (double)r->flits[l] / cycles + 0.5));
        r->flits[l] = 0;
    }
}

/* Writes the samples of every period that ended by t. Periods with no
 * callback at all are idle: one sample says so, the rest would repeat it. */
static void sample_until(trc_noc *r, uint64_t t)
{
    if (t < r->next_ps)
        return;
    close_period(r, r->next_ps, r->win_ps);
    r->next_ps += r->win_ps;
    if (t >= r->next_ps) {
        close_period(r, r->next_ps, r->win_ps);
        uint64_t k = (t - r->next_ps) / r->win_ps;
        r->next_ps += (k + 1) * r->win_ps;
        for (uint32_t i = 0; i < r->routers; i++)
            r->last_ps[i] = r->next_ps - r->win_ps;
        r->inflight_last_ps = r->next_ps - r->win_ps;
    }
}

static pkt_rec *rec_get(trc_noc *r, uint64_t id)
{
    if (id < r->base || id >= r->top_id)
        return NULL;
    pkt_rec *p = &r->ring[id & (r->ring_cap - 1)];
    return p->id == id ? p : NULL;
}

static pkt_rec *rec_add(trc_noc *r, uint64_t id)
{
    if (r->top_id == r->base)
        r->base = r->top_id = id;
    if (id < r->top_id)
        return NULL; /* ids must grow */
    while (id - r->base >= r->ring_cap) {
        uint64_t cap = r->ring_cap * 2;
        pkt_rec *ring = base_malloc(cap * sizeof *ring);
        if (!ring)
            return NULL;
        for (uint64_t i = 0; i < cap; i++)
            ring[i].id = FREE;
        for (uint64_t i = r->base; i < r->top_id; i++) {
            pkt_rec *o = &r->ring[i & (r->ring_cap - 1)];
            if (o->id == i)
                ring[i & (cap - 1)] = *o;
        }
        base_free(r->ring);
        r->ring = ring;
        r->ring_cap = cap;
    }
    r->top_id = id + 1;
    pkt_rec *p = &r->ring[id & (r->ring_cap - 1)];
    memset(p, 0, sizeof *p);
    p->id = id;
    return p;
}

static void rec_del(trc_noc *r, pkt_rec *p)
{
    base_free(p->dst);
    p->dst = NULL;
    p->id = FREE;
    while (r->base < r->top_id && r->ring[r->base & (r->ring_cap - 1)].id == FREE)
        r->base++;
}

/* ---- observer callbacks ---- */

/* The view's word on what the packet carries, as arg `data`. */
static void add_data(const trc_noc *r, const noc_packet_info *p, trc_extra *x, trc_arg *a,
                     char *buf, size_t len)
{
    if (r->view.packet_data && r->view.packet_data(r->view.ctx, p->tag, buf, len) == 0)
        a[x->n_args++] = trc_arg_str(r->k_data, buf);
}

/* Manhattan hops to the farthest destination. */
static uint32_t max_hops(const trc_noc *r, const noc_packet_info *p)
{
    uint32_t hops = 0;
    for (uint32_t i = 0; i < p->n_dst; i++) {
        uint32_t h = noc_hops(r->n, p->src, p->dst[i]);
        hops = h > hops ? h : hops;
    }
    return hops;
}

static void on_created(void *ctx, const noc_packet_info *p)
{
    trc_noc *r = ctx;
    if (!r->ready)
        return;
    uint64_t t = clock_at(r, p->created_ps);
    sample_until(r, t);
    inflight_change(r, t, +1);
    if (!r->packets || p->src >= r->terminals)
        return;
    pkt_rec *rec = rec_add(r, p->id);
    if (!rec) {
        trc_report_error(r->w, "NoC trace: out of memory (or packet ids "
                               "not increasing)");
        return;
    }
    uint32_t hops = max_hops(r, p);
    /* The source is the track ("from T"): not repeated as an argument,
     * which keeps a packet slice under 64 bytes. */
    trc_arg a[4];
    a[1] = trc_arg_uint(r->k_flits, p->flits);
    a[2] = trc_arg_uint(r->k_hops, hops);
    trc_extra x = {a, 3, NULL, 0, NULL, 0};
    char data[96];
    add_data(r, p, &x, a, data, sizeof data);
    char list[512];
    uint64_t flows[64], *fl = flows;
    if (p->n_dst == 1) {
        a[0] = trc_arg_uint(r->k_dst, p->dst[0]);
        trc_lane_begin(r->w, r->from[p->src], t, r->n_pkt, &x, &rec->lane);
        return;
    }
    /* multicast: the destination list as text, one arrow per destination */
    size_t n = 0;
    for (uint32_t i = 0; i < p->n_dst && n < sizeof list - 16; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, i ? ",%u" : "%u",
                              p->dst[i]);
    if (n >= sizeof list - 16)
        snprintf(list + n, sizeof list - n, ",...");
    a[0] = trc_arg_str(r->k_dsts, list);
    rec->dst = base_malloc(p->n_dst * sizeof *rec->dst);
    if (p->n_dst > 64)
        fl = base_malloc(p->n_dst * sizeof *fl);
    if (!rec->dst || !fl) {
        if (fl != flows)
            base_free(fl);
        rec_del(r, rec);
        trc_report_error(r->w, "NoC trace: out of memory");
        return;
    }
    memcpy(rec->dst, p->dst, p->n_dst * sizeof *rec->dst);
    rec->n_dst = p->n_dst;
    for (uint32_t i = 0; i < p->n_dst; i++)
        fl[i] = trc_flow_new(r->w);
    rec->flow0 = fl[0];
    x.flows = fl;
    x.n_flows = p->n_dst;
    trc_lane_begin(r->w, r->from[p->src], t, r->n_mcast, &x, &rec->lane);
    if (fl != flows)
        base_free(fl);
}

static void on_hop(void *ctx, const noc_flit_hop *h)
{
    trc_noc *r = ctx;
    if (!r->ready)
        return;
    sample_until(r, clock_at(r, h->depart_ps));
    if (h->link < r->n_links)
        r->flits[h->link]++;
}

static void on_buffer(void *ctx, uint32_t router, uint32_t port,
                      uint32_t flits, uint64_t t_ps)
{
    trc_noc *r = ctx;
    if (!r->ready)
        return;
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    if (router >= r->routers || port >= r->ports)
        return;
    uint32_t *o = &r->occ[router * r->ports + port];
    r->integral[router] += (double)r->tot[router] * (double)(t - r->last_ps[router]);
    r->last_ps[router] = t;
    r->tot[router] = r->tot[router] - *o + flits;
    *o = flits;
}

static void on_delivered(void *ctx, uint64_t id, uint32_t dst, uint64_t t_ps,
                         uint64_t latency_ps)
{
    trc_noc *r = ctx;
    if (!r->ready)
        return;
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    pkt_rec *p = rec_get(r, id);
    if (!p || !p->dst || dst >= r->terminals)
        return;
    uint32_t i = 0;
    while (i < p->n_dst && p->dst[i] != dst)
        i++;
    if (i == p->n_dst)
        return;
    if (!r->to[dst]) {
        char name[96];
        trc_noc_terminal_name(r, dst, "to", name, sizeof name);
        trc_track_spec s = {name, NULL, r->deliveries, TRC_FULL};
        if (trc_track_new(r->w, &s, &r->to[dst]))
            return;
    }
    uint64_t f = p->flow0 + i;
    trc_arg a[2] = {trc_arg_uint(r->k_pkt, id),
                    trc_arg_uint(r->k_lat, latency_ps / r->cycle_ps)};
    trc_extra x = {a, 2, NULL, 0, &f, 1};
    trc_instant(r->w, r->to[dst], t, r->n_deliv, &x);
}

static void on_finished(void *ctx, uint64_t id, uint64_t t_ps,
                        uint64_t latency_ps)
{
    trc_noc *r = ctx;
    if (!r->ready)
        return;
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    inflight_change(r, t, -1);
    pkt_rec *p = rec_get(r, id);
    if (!p)
        return;
    trc_arg a = trc_arg_uint(r->k_lat, latency_ps / r->cycle_ps);
    trc_extra x = {&a, 1, NULL, 0, NULL, 0};
    trc_end(r->w, p->lane, t, &x);
    rec_del(r, p);
}

static void on_deadlock(void *ctx, uint64_t t_ps, const uint32_t *routers,
                        uint32_t n_routers)
{
    trc_noc *r = ctx;
    (void)routers;
    if (!r->ready)
        return;
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    trc_arg a = trc_arg_uint(r->k_routers, n_routers);
    trc_extra x = {&a, 1, NULL, 0, NULL, 0};
    trc_instant(r->w, r->top, t, r->n_deadlock, &x);
}

void trc_noc_fill_observer(trc_noc *r, noc_observer *obs,
                           void (*attached)(void *, const struct noc *))
{
    memset(obs, 0, sizeof *obs);
    obs->ctx = r;
    obs->packet_created = on_created;
    obs->flit_hop = on_hop;
    obs->buffer_occupancy = on_buffer;
    obs->packet_delivered = on_delivered;
    obs->packet_finished = on_finished;
    obs->deadlock = on_deadlock;
    obs->attached = attached;
}

void trc_noc_last_period(trc_noc *r, uint64_t end_ps)
{
    uint64_t t = clock_at(r, end_ps);
    sample_until(r, t);
    uint64_t start = r->next_ps - r->win_ps;
    if (t > start)
        close_period(r, t, t - start);
}

uint64_t trc_noc_sync(trc_noc *r, uint64_t t_ps)
{
    if (!r->ready)
        return t_ps;
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    return t;
}
