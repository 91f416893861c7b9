/* trc_noc.c -- the NoC -> trace adapter (see trc_noc.h for the tracks).
 *
 * Per-flit callbacks only update counts (a flit hop is one increment, a
 * buffer change one multiply-add), so tracing stays cheap on a flit-level
 * model; counters are written once per sampling period. Packet slices go
 * on lanes of their source, since packets from one source overlap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc_stats.h"
#include "trace/trc_noc.h"

#define NO_LINK UINT32_MAX

/* A packet whose slice is open, kept in a ring indexed by packet id
 * (ids are sequential, so the ring spans only the packets in flight). */
typedef struct {
    uint64_t id; /* FREE when unused */
    trc_track lane;
    uint64_t flow0;  /* multicast: first of n_dst consecutive flow ids */
    uint32_t *dst;   /* multicast: the destinations, in flow order */
    uint32_t n_dst;
} pkt_rec;

#define FREE UINT64_MAX

struct trc_noc {
    trc_writer *w;
    bool owns_writer;
    noc *n;
    uint32_t routers, terminals, ports; /* ports per router: 4 + T */
    uint64_t cycle_ps, sample_cycles, win_ps, next_ps, now;

    trc_track top, inflight, by_src, deliveries;
    trc_track *buf_track;  /* [router] */
    trc_track *link_track; /* [link], 0 when not traced */
    trc_track *from;       /* [terminal] lane groups */
    trc_track *to;         /* [terminal] created on first delivery */
    bool packets;          /* packet tracks are written */

    uint32_t *occ;      /* [router * ports + port] flits */
    uint64_t *tot;      /* [router] flits in all input buffers */
    double *integral;   /* [router] flit * ps since the period began */
    uint64_t *last_ps;  /* [router] time of the last change */
    uint64_t *flits;    /* [link] flits this period */
    uint32_t n_links;
    int64_t in_flight;

    pkt_rec *ring;
    uint64_t ring_cap, base, top_id;

    trc_name n_pkt, n_mcast, n_deliv, n_deadlock;
    trc_name k_dst, k_dsts, k_flits, k_hops, k_lat, k_pkt, k_routers;
};

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

static void close_period(trc_noc *r, uint64_t end, uint64_t len_ps)
{
    double cycles = (double)len_ps / (double)r->cycle_ps;
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
        pkt_rec *ring = malloc(cap * sizeof *ring);
        if (!ring)
            return NULL;
        for (uint64_t i = 0; i < cap; i++)
            ring[i].id = FREE;
        for (uint64_t i = r->base; i < r->top_id; i++) {
            pkt_rec *o = &r->ring[i & (r->ring_cap - 1)];
            if (o->id == i)
                ring[i & (cap - 1)] = *o;
        }
        free(r->ring);
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
    free(p->dst);
    p->dst = NULL;
    p->id = FREE;
    while (r->base < r->top_id && r->ring[r->base & (r->ring_cap - 1)].id == FREE)
        r->base++;
}

/* ---- observer callbacks ---- */

static void on_created(void *ctx, const noc_packet_info *p)
{
    trc_noc *r = ctx;
    uint64_t t = clock_at(r, p->created_ps);
    sample_until(r, t);
    trc_counter_int(r->w, r->inflight, t, ++r->in_flight);
    if (!r->packets || p->src >= r->terminals)
        return;
    pkt_rec *rec = rec_add(r, p->id);
    if (!rec) {
        trc_report_error(r->w, "NoC trace: out of memory (or packet ids "
                               "not increasing)");
        return;
    }
    uint32_t hops = 0;
    for (uint32_t i = 0; i < p->n_dst; i++) {
        uint32_t h = noc_hops(r->n, p->src, p->dst[i]);
        hops = h > hops ? h : hops;
    }
    /* The source is the track ("from T"): not repeated as an argument,
     * which keeps a packet slice under 64 bytes. */
    trc_arg a[3];
    a[1] = trc_arg_uint(r->k_flits, p->flits);
    a[2] = trc_arg_uint(r->k_hops, hops);
    trc_extra x = {a, 3, NULL, 0, NULL, 0};
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
    rec->dst = malloc(p->n_dst * sizeof *rec->dst);
    if (p->n_dst > 64)
        fl = malloc(p->n_dst * sizeof *fl);
    if (!rec->dst || !fl) {
        if (fl != flows)
            free(fl);
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
        free(fl);
}

static void on_hop(void *ctx, const noc_flit_hop *h)
{
    trc_noc *r = ctx;
    sample_until(r, clock_at(r, h->depart_ps));
    if (h->link < r->n_links)
        r->flits[h->link]++;
}

static void on_buffer(void *ctx, uint32_t router, uint32_t port,
                      uint32_t flits, uint64_t t_ps)
{
    trc_noc *r = ctx;
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
        char name[32];
        snprintf(name, sizeof name, "to %u", dst);
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
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    trc_counter_int(r->w, r->inflight, t, --r->in_flight);
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
    uint64_t t = clock_at(r, t_ps);
    sample_until(r, t);
    trc_arg a = trc_arg_uint(r->k_routers, n_routers);
    trc_extra x = {&a, 1, NULL, 0, NULL, 0};
    trc_instant(r->w, r->top, t, r->n_deadlock, &x);
}

/* ---- setup ---- */

static const char *port_names[4] = {"east link", "west link", "north link",
                                    "south link"};

static int declare(trc_noc *r, trc_error *err)
{
    trc_writer *w = r->w;
    const noc_config *c = noc_get_config(r->n);
    char name[96], desc[256];
    snprintf(name, sizeof name, "NoC %ux%u", c->width, c->height);
    snprintf(desc, sizeof desc, "2D mesh, %u terminal(s) per router, %u VCs "
             "x %u flits; counters sampled every %llu cycles", c->terminals_per_router,
             c->vcs, c->vc_buf_flits, (unsigned long long)r->sample_cycles);
    trc_track_spec s = {name, desc, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &r->top);
    trc_counter_spec cnt = {TRC_UNIT_COUNT, "packets", NULL};
    s = (trc_track_spec){"packets in flight", "Created and not yet at every "
                         "destination (source queues included).", r->top,
                         TRC_SUMMARY};
    trc_counter_new(w, &s, &cnt, &r->inflight);

    /* links per (router, output port), to declare them in port order */
    uint32_t *by_port = malloc((size_t)r->routers * r->ports * sizeof *by_port);
    if (!by_port)
        return snprintf(err->msg, sizeof err->msg, "out of memory"), -1;
    for (size_t i = 0; i < (size_t)r->routers * r->ports; i++)
        by_port[i] = NO_LINK;
    for (uint32_t l = 0; l < r->n_links; l++) {
        noc_link_stat ls;
        if (noc_link_describe(r->n, l, &ls) || ls.kind == NOC_LINK_INJECT ||
            ls.from_router >= r->routers || ls.out_port >= r->ports)
            continue;
        by_port[(size_t)ls.from_router * r->ports + ls.out_port] = l;
    }
    trc_counter_spec buf = {TRC_UNIT_NONE, "flits", "noc-buffers"};
    trc_counter_spec util = {TRC_UNIT_NONE, "%", "noc-links"};
    for (uint32_t i = 0; i < r->routers && !trc_failed(w); i++) {
        trc_track g;
        snprintf(name, sizeof name, "router %u (%u,%u)", i, i % c->width,
                 i / c->width);
        s = (trc_track_spec){name, NULL, r->top, TRC_SUMMARY};
        trc_track_new(w, &s, &g);
        s = (trc_track_spec){"buffered flits", "Mean flits held in this "
                             "router's input buffers over the sampling period "
                             "that ends at each sample.", g, TRC_SUMMARY};
        trc_counter_new(w, &s, &buf, &r->buf_track[i]);
        for (uint32_t port = 0; port < r->ports; port++) {
            uint32_t l = by_port[(size_t)i * r->ports + port];
            if (l == NO_LINK)
                continue;
            if (port < 4)
                snprintf(name, sizeof name, "%s", port_names[port]);
            else if (r->ports == 5)
                snprintf(name, sizeof name, "eject link");
            else
                snprintf(name, sizeof name, "eject link %u", port - 4);
            s = (trc_track_spec){name, "Share of cycles this output link "
                                 "carried a flit, over the sampling period "
                                 "that ends at each sample.", g, TRC_SUMMARY};
            trc_counter_new(w, &s, &util, &r->link_track[l]);
        }
    }
    free(by_port);
    s = (trc_track_spec){"NoC packets by source", "One slice per packet, "
                         "from creation to the tail's ejection, on lanes of "
                         "its source terminal.", 0, TRC_FULL};
    trc_track_new(w, &s, &r->by_src);
    for (uint32_t t = 0; t < r->terminals && !trc_failed(w); t++) {
        snprintf(name, sizeof name, "from %u", t);
        s = (trc_track_spec){name, NULL, r->by_src, TRC_FULL};
        trc_lanes_new(w, &s, &r->from[t]);
    }
    s = (trc_track_spec){"NoC multicast deliveries", "Each multicast "
                         "delivery, with an arrow from its packet.", 0,
                         TRC_FULL};
    trc_track_new(w, &s, &r->deliveries);
    r->packets = trc_track_written(w, r->by_src);

    r->n_pkt = trc_intern(w, "packet");
    r->n_mcast = trc_intern(w, "multicast packet");
    r->n_deliv = trc_intern(w, "delivered");
    r->n_deadlock = trc_intern(w, "deadlock");
    r->k_dst = trc_intern(w, "dst");
    r->k_dsts = trc_intern(w, "dsts");
    r->k_flits = trc_intern(w, "flits");
    r->k_hops = trc_intern(w, "hops");
    r->k_lat = trc_intern(w, "latency_cycles");
    r->k_pkt = trc_intern(w, "packet");
    r->k_routers = trc_intern(w, "routers_holding_flits");
    if (trc_failed(w))
        return snprintf(err->msg, sizeof err->msg, "%s", trc_errmsg(w)), -1;
    return 0;
}

trc_noc *trc_noc_new(trc_writer *w, noc *n, uint64_t sample_cycles,
                     trc_error *err)
{
    trc_noc *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return NULL;
    }
    r->w = w;
    r->n = n;
    r->routers = noc_routers(n);
    r->terminals = noc_terminals(n);
    r->ports = 4 + noc_get_config(n)->terminals_per_router;
    r->n_links = noc_link_count(n);
    r->cycle_ps = noc_cycle_ps(n) ? noc_cycle_ps(n) : 1;
    r->sample_cycles = sample_cycles ? sample_cycles : 100;
    r->win_ps = r->sample_cycles * r->cycle_ps;
    r->next_ps = r->win_ps;
    r->ring_cap = 1024;
    r->buf_track = calloc(r->routers, sizeof *r->buf_track);
    r->link_track = calloc(r->n_links + 1, sizeof *r->link_track);
    r->from = calloc(r->terminals, sizeof *r->from);
    r->to = calloc(r->terminals, sizeof *r->to);
    r->occ = calloc((size_t)r->routers * r->ports, sizeof *r->occ);
    r->tot = calloc(r->routers, sizeof *r->tot);
    r->integral = calloc(r->routers, sizeof *r->integral);
    r->last_ps = calloc(r->routers, sizeof *r->last_ps);
    r->flits = calloc(r->n_links + 1, sizeof *r->flits);
    r->ring = malloc(r->ring_cap * sizeof *r->ring);
    if (!r->buf_track || !r->link_track || !r->from || !r->to || !r->occ ||
        !r->tot || !r->integral || !r->last_ps || !r->flits || !r->ring) {
        snprintf(err->msg, sizeof err->msg, "out of memory");
        trc_noc_free(r);
        return NULL;
    }
    for (uint64_t i = 0; i < r->ring_cap; i++)
        r->ring[i].id = FREE;
    if (declare(r, err)) {
        trc_noc_free(r);
        return NULL;
    }
    noc_observer obs;
    memset(&obs, 0, sizeof obs);
    obs.ctx = r;
    obs.packet_created = on_created;
    obs.flit_hop = on_hop;
    obs.buffer_occupancy = on_buffer;
    obs.packet_delivered = on_delivered;
    obs.packet_finished = on_finished;
    obs.deadlock = on_deadlock;
    noc_set_observer(n, &obs);
    return r;
}

int trc_noc_finish(trc_noc *r, uint64_t end_ps)
{
    uint64_t t = clock_at(r, end_ps);
    sample_until(r, t);
    uint64_t start = r->next_ps - r->win_ps;
    if (t > start)
        close_period(r, t, t - start);
    return trc_failed(r->w) ? -1 : 0;
}

void trc_noc_free(trc_noc *r)
{
    if (!r)
        return;
    if (r->n) /* NULL when the NoC is already gone (hook cancel) */
        noc_set_observer(r->n, NULL);
    if (r->ring)
        for (uint64_t i = 0; i < r->ring_cap; i++)
            if (r->ring[i].id != FREE)
                free(r->ring[i].dst);
    free(r->ring);
    free(r->buf_track);
    free(r->link_track);
    free(r->from);
    free(r->to);
    free(r->occ);
    free(r->tot);
    free(r->integral);
    free(r->last_ps);
    free(r->flits);
    free(r);
}

trc_noc *trc_noc_start(const trc_cli *c, noc *n, trc_error *err)
{
    trc_options o;
    if (trc_cli_options(c, noc_cycle_ps(n), &o, err))
        return NULL;
    trc_writer *w = trc_open(c->path, &o, err);
    if (!w)
        return NULL;
    trc_noc *r = trc_noc_new(w, n, c->sample_cycles, err);
    if (!r) {
        trc_abort(w);
        return NULL;
    }
    r->owns_writer = true;
    return r;
}

int trc_noc_stop(trc_noc *r, uint64_t end_ps, trc_stats *st, trc_error *err)
{
    trc_noc_finish(r, end_ps);
    trc_writer *w = r->w;
    trc_noc_free(r);
    return trc_close_stats(w, end_ps, st, err);
}

void trc_noc_abort(trc_noc *r)
{
    if (!r)
        return;
    trc_writer *w = r->owns_writer ? r->w : NULL;
    trc_noc_free(r);
    trc_abort(w);
}

void trc_noc_hook_init(trc_noc_hook *h)
{
    memset(h, 0, sizeof *h);
    trc_cli_init(&h->cli);
}

void trc_noc_hook_start(void *hook, noc *n)
{
    trc_noc_hook *h = hook;
    if (h->rec || h->failed || h->done)
        return; /* one run, one trace */
    h->rec = trc_noc_start(&h->cli, n, &h->err);
    h->failed = !h->rec;
}

void trc_noc_hook_end(void *hook, noc *n, uint64_t end_ps)
{
    trc_noc_hook *h = hook;
    (void)n;
    if (!h->rec)
        return;
    if (trc_noc_stop(h->rec, end_ps, &h->st, &h->err))
        h->failed = 1;
    else
        h->done = 1;
    h->rec = NULL;
}

void trc_noc_hook_cancel(trc_noc_hook *h)
{
    /* The runner may have freed its NoC already: do not touch it. */
    if (h->rec)
        h->rec->n = NULL;
    trc_noc_abort(h->rec);
    h->rec = NULL;
}
