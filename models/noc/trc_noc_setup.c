/* trc_noc_setup.c -- the NoC adapter's tracks, and opening and closing a
 * NoC trace: on a NoC the caller holds (trc_noc_new / trc_noc_start), or
 * through the observer a runner installs on a NoC it builds itself
 * (trc_noc_hook_*), where the trace opens when the NoC attaches it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc/noc_stats.h"
#include "noc/trc_noc_impl.h"

static const char *port_names[4] = {"east link", "west link", "north link",
                                    "south link"};

/* One track per router with its buffer counter and, in port order, a
 * utilisation counter per output link. */
static int declare_routers(trc_noc *r, base_error *err)
{
    trc_writer *w = r->w;
    const noc_config *c = noc_get_config(r->n);
    char name[96];
    trc_track_spec s;
    /* links per (router, output port), to declare them in port order */
    uint32_t *by_port = base_malloc((size_t)r->routers * r->ports * sizeof *by_port);
    if (!by_port)
        return base_fail(err, "out of memory");
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
    base_free(by_port);
    return 0;
}

void trc_noc_terminal_name(const trc_noc *r, uint32_t t, const char *prefix, char *buf,
                           size_t len)
{
    char tn[80];
    if (r->view.terminal_name && r->view.terminal_name(r->view.ctx, t, tn, sizeof tn) == 0)
        snprintf(buf, len, "%s %s", prefix, tn);
    else
        snprintf(buf, len, "%s %u", prefix, t);
}

static int declare(trc_noc *r, base_error *err)
{
    trc_writer *w = r->w;
    const noc_config *c = noc_get_config(r->n);
    char name[96], desc[256];
    snprintf(name, sizeof name, "NoC %ux%u", c->width, c->height);
    snprintf(desc, sizeof desc, "2D mesh, %u terminal(s) per router, %u VCs "
             "x %u flits; counters sampled every %llu cycles", c->terminals_per_router,
             c->virtual_channels, c->vc_depth_flits, (unsigned long long)r->sample_cycles);
    trc_track_spec s = {name, desc, 0, TRC_SUMMARY};
    trc_track_new(w, &s, &r->top);
    trc_counter_spec cnt = {TRC_UNIT_COUNT, "packets", NULL};
    s = (trc_track_spec){"packets in flight", "Created and not yet at every "
                         "destination (source queues included).", r->top,
                         TRC_SUMMARY};
    trc_counter_new(w, &s, &cnt, &r->inflight);

    if (declare_routers(r, err))
        return -1;
    s = (trc_track_spec){"NoC packets by source", "One slice per packet, "
                         "from creation to the tail's ejection, on lanes of "
                         "its source terminal.", 0, TRC_FULL};
    trc_track_new(w, &s, &r->by_src);
    for (uint32_t t = 0; t < r->terminals && !trc_failed(w); t++) {
        trc_noc_terminal_name(r, t, "from", name, sizeof name);
        s = (trc_track_spec){name, NULL, r->by_src, TRC_FULL};
        trc_lanes_new(w, &s, &r->from[t]);
    }
    s = (trc_track_spec){"NoC multicast deliveries", "Each multicast "
                         "delivery, with an arrow from its packet.", 0,
                         TRC_FULL};
    trc_track_new(w, &s, &r->deliveries);
    r->packets = trc_track_written(w, r->by_src);
    r->mean_inflight = r->view.mean_in_flight && !r->packets;

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
    if (r->view.packet_data)
        r->k_data = trc_intern(w, "data");
    if (trc_failed(w))
        return base_fail(err, "%s", trc_errmsg(w));
    return 0;
}

/* Sizes, arrays and tracks for NoC n on writer w; then callbacks record. */
static int setup(trc_noc *r, trc_writer *w, const noc *n,
                 uint64_t sample_cycles, base_error *err)
{
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
    r->buf_track = base_calloc(r->routers, sizeof *r->buf_track);
    r->link_track = base_calloc(r->n_links + 1, sizeof *r->link_track);
    r->from = base_calloc(r->terminals, sizeof *r->from);
    r->to = base_calloc(r->terminals, sizeof *r->to);
    r->occ = base_calloc((size_t)r->routers * r->ports, sizeof *r->occ);
    r->tot = base_calloc(r->routers, sizeof *r->tot);
    r->integral = base_calloc(r->routers, sizeof *r->integral);
    r->last_ps = base_calloc(r->routers, sizeof *r->last_ps);
    r->flits = base_calloc(r->n_links + 1, sizeof *r->flits);
    r->ring = base_malloc(r->ring_cap * sizeof *r->ring);
    /* free before anything can fail: trc_noc_free walks the ring */
    for (uint64_t i = 0; r->ring && i < r->ring_cap; i++)
        r->ring[i].id = FREE;
    if (!r->buf_track || !r->link_track || !r->from || !r->to || !r->occ ||
        !r->tot || !r->integral || !r->last_ps || !r->flits || !r->ring) {
        base_fail(err, "out of memory");
        return -1;
    }
    if (declare(r, err))
        return -1;
    r->ready = true;
    return 0;
}

trc_noc *trc_noc_new(trc_writer *w, noc *n, uint64_t sample_cycles,
                     base_error *err)
{
    return trc_noc_new_view(w, n, sample_cycles, NULL, err);
}

trc_noc *trc_noc_new_view(trc_writer *w, noc *n, uint64_t sample_cycles,
                          const trc_noc_view *v, base_error *err)
{
    trc_noc *r = base_calloc(1, sizeof *r);
    if (!r) {
        base_fail(err, "out of memory");
        return NULL;
    }
    if (v)
        r->view = *v;
    if (setup(r, w, n, sample_cycles, err)) {
        trc_noc_free(r);
        return NULL;
    }
    noc_observer obs;
    trc_noc_fill_observer(r, &obs, NULL);
    r->observed = n;
    noc_set_observer(n, &obs);
    return r;
}

int trc_noc_finish(trc_noc *r, uint64_t end_ps)
{
    if (r->ready)
        trc_noc_last_period(r, end_ps);
    return r->w && trc_failed(r->w) ? -1 : 0;
}

void trc_noc_free(trc_noc *r)
{
    if (!r)
        return;
    if (r->observed) /* only an observer this adapter installed */
        noc_set_observer(r->observed, NULL);
    if (r->ring)
        for (uint64_t i = 0; i < r->ring_cap; i++)
            if (r->ring[i].id != FREE)
                base_free(r->ring[i].dst);
    base_free(r->ring);
    base_free(r->buf_track);
    base_free(r->link_track);
    base_free(r->from);
    base_free(r->to);
    base_free(r->occ);
    base_free(r->tot);
    base_free(r->integral);
    base_free(r->last_ps);
    base_free(r->flits);
    base_free(r);
}

trc_noc *trc_noc_start(const trc_request *rq, noc *n, base_error *err)
{
    trc_options o;
    trc_request q = *rq; /* the NoC alone knows two levels: default is full */
    trc_request_default_full(&q);
    if (trc_request_options(&q, noc_cycle_ps(n), &o, err))
        return NULL;
    trc_writer *w = trc_open(rq->path, &o, err);
    if (!w)
        return NULL;
    trc_noc *r = trc_noc_new(w, n, rq->sample_cycles, err);
    if (!r) {
        trc_abort(w);
        return NULL;
    }
    r->owns_writer = true;
    return r;
}

int trc_noc_stop(trc_noc *r, uint64_t end_ps, trc_stats *st, base_error *err)
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
    trc_request_init(&h->req);
}

/* The runner set our observer on its NoC: open the trace and declare the
 * tracks now that the NoC's shape is known. */
static void on_attached(void *ctx, const struct noc *n)
{
    trc_noc *r = ctx;
    trc_noc_hook *h = r->hook;
    if (r->ready || h->failed)
        return; /* one run, one trace */
    trc_options o;
    trc_request_default_full(&h->req);
    if (trc_request_options(&h->req, noc_cycle_ps(n), &o, &h->err)) {
        h->failed = 1;
        return;
    }
    trc_writer *w = trc_open(h->req.path, &o, &h->err);
    if (!w) {
        h->failed = 1;
        return;
    }
    r->owns_writer = true;
    if (setup(r, w, n, h->req.sample_cycles, &h->err))
        h->failed = 1;
}

const noc_observer *trc_noc_hook_observer(trc_noc_hook *h)
{
    if (!h->rec) {
        h->rec = base_calloc(1, sizeof *h->rec);
        if (!h->rec) {
            base_fail(&h->err, "out of memory");
            h->failed = 1;
            return NULL;
        }
        h->rec->hook = h;
    }
    trc_noc_fill_observer(h->rec, &h->obs, on_attached);
    return &h->obs;
}

int trc_noc_hook_end(trc_noc_hook *h, uint64_t end_cycles)
{
    trc_noc *r = h->rec;
    h->rec = NULL;
    if (!r)
        return 0; /* no trace was asked for */
    r->n = NULL; /* the runner has freed its NoC */
    if (!h->failed && !r->ready) {
        base_fail(&h->err, "the NoC never attached the trace observer");
        h->failed = 1;
    }
    if (h->failed) {
        trc_noc_abort(r);
        return -1;
    }
    uint64_t end_ps = end_cycles * r->cycle_ps;
    if (trc_noc_stop(r, end_ps, &h->st, &h->err)) {
        h->failed = 1;
        return -1;
    }
    h->done = 1;
    return 0;
}

void trc_noc_hook_cancel(trc_noc_hook *h)
{
    if (h->rec)
        h->rec->n = NULL;
    trc_noc_abort(h->rec);
    h->rec = NULL;
}
