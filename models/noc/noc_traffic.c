/* noc_traffic.c -- Bernoulli sources, traffic patterns, the measurement
 * window, the stability check and the saturation sweep. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "noc/noc_stats.h"
#include "noc/noc_traffic.h"
#include "base/rng.h"

static const char *const pattern_names[] = {"uniform", "transpose", "hotspot",
                                            "bitcomp"};

int noc_traffic_parse_pattern(const char *s, noc_traffic_pattern *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, pattern_names[i])) {
            *out = (noc_traffic_pattern)i;
            return 0;
        }
    return -1;
}

const char *noc_traffic_pattern_name(noc_traffic_pattern p)
{
    return (unsigned)p < 4 ? pattern_names[p] : "?";
}

void noc_traffic_default(noc_traffic_config *c)
{
    memset(c, 0, sizeof *c);
    noc_config_default(&c->net);
    c->pattern = NOC_TRAFFIC_UNIFORM;
    c->packet_flits = 1;
    c->rate = 0.1;
    c->warmup_cycles = 3000;
    c->measure_cycles = 10000;
    c->sample_cycles = 1000;
    c->latency_limit_cycles = 500.0;
    c->drain_limit_cycles = 50000;
    c->hotspot = 0;
    c->hotspot_frac = 0.2;
    c->seed = 1;
}

int noc_traffic_check(const noc_traffic_config *c, base_error *err)
{
    if (noc_config_check(&c->net, NULL, err))
        return -1;
    if ((unsigned)c->pattern > NOC_TRAFFIC_BITCOMP) {
        base_fail(err, "unknown traffic pattern");
        return -1;
    }
    if (c->pattern == NOC_TRAFFIC_TRANSPOSE && c->net.width != c->net.height) {
        base_fail(err, "transpose traffic needs a square mesh, not %ux%u",
               c->net.width, c->net.height);
        return -1;
    }
    if (c->packet_flits < 1 || c->packet_flits > 65536) {
        base_fail(err, "packet size %u flits: must be 1..65536", c->packet_flits);
        return -1;
    }
    if (!(c->rate > 0.0 && c->rate <= 1.0)) {
        base_fail(err, "rate %g: must be in (0, 1] flits/terminal/cycle",
               c->rate);
        return -1;
    }
    uint32_t nterms = c->net.width * c->net.height *
                      c->net.terminals_per_router;
    if (c->pattern == NOC_TRAFFIC_HOTSPOT &&
        (c->hotspot >= nterms || !(c->hotspot_frac >= 0.0) ||
         c->hotspot_frac > 1.0)) {
        base_fail(err, "hotspot terminal %u outside the mesh (0..%u) or "
               "fraction %g outside [0, 1]", c->hotspot, nterms - 1,
               c->hotspot_frac);
        return -1;
    }
    if (c->mcast_frac != 0.0) {
        if (!(c->mcast_frac > 0.0 && c->mcast_frac <= 1.0)) {
            base_fail(err, "multicast share %g outside (0, 1]", c->mcast_frac);
            return -1;
        }
        if (c->mcast_dsts < 2 || c->mcast_dsts > NOC_MAX_MCAST_TRAFFIC ||
            c->mcast_dsts > nterms) {
            base_fail(err, "multicast to %u destinations: must be 2..%u (and at most "
                   "the %u terminals)", c->mcast_dsts, NOC_MAX_MCAST_TRAFFIC, nterms);
            return -1;
        }
        if (c->packet_flits > noc_max_multicast_flits(&c->net)) {
            base_fail(err, "multicast packets of %u flits exceed a VC buffer (%u flits): "
                   "the replication tree could deadlock", c->packet_flits,
                   noc_max_multicast_flits(&c->net));
            return -1;
        }
    }
    if (c->measure_cycles < 1 || c->sample_cycles < 1) {
        base_fail(err, "the measurement window and sample period must be >= 1 "
               "cycle");
        return -1;
    }
    if (c->warmup_cycles > (1ull << 40) || c->measure_cycles > (1ull << 40) ||
        c->drain_limit_cycles > (1ull << 40)) {
        base_fail(err, "run lengths are limited to 2^40 cycles");
        return -1;
    }
    if (!(c->latency_limit_cycles > 0.0)) {
        base_fail(err, "latency limit must be > 0 cycles");
        return -1;
    }
    return 0;
}

typedef struct {
    const noc_traffic_config *c;
    noc *n;
    kq_kernel *k;
    rng_stream *rng;           /* one per terminal */
    double p_pkt, log1mp;
    uint64_t w0, w1;           /* measurement window [w0, w1) in cycles */
    uint64_t packets;          /* measured packets created */
    /* Deliveries due from measured packets (one per destination, so a
     * multicast counts once per copy), and delivered so far. */
    uint64_t created, created_flits, delivered;
    uint64_t create_sum;       /* sum of creation cycles, per delivery due */
    uint64_t arrived_create_sum;
    uint64_t lat_sum, lat_min, lat_max, hops_sum;
    uint64_t ejected_at_w1;
    uint64_t hops_before_window;
    int window_closed, unstable, done, oom;
    noc_traffic_result *res;
} tr_state;

static uint32_t pick_dest(tr_state *s, uint32_t src)
{
    const noc_config *nc = &s->c->net;
    uint32_t tpr = nc->terminals_per_router;
    uint32_t nterms = nc->width * nc->height * tpr;
    rng_stream *g = &s->rng[src];
    uint32_t r = src / tpr, x = r % nc->width, y = r / nc->width;
    switch (s->c->pattern) {
    case NOC_TRAFFIC_TRANSPOSE:
        return (x * nc->width + y) * tpr + src % tpr;
    case NOC_TRAFFIC_BITCOMP:
        return ((nc->height - 1 - y) * nc->width + (nc->width - 1 - x)) * tpr +
               src % tpr;
    case NOC_TRAFFIC_HOTSPOT:
        if (rng_uniform(g) < s->c->hotspot_frac)
            return s->c->hotspot;
        return (uint32_t)rng_below(g, nterms);
    case NOC_TRAFFIC_UNIFORM:
    default:
        return (uint32_t)rng_below(g, nterms);
    }
}

/* mcast_dsts distinct terminals, uniformly (rejection: the count is small
 * next to the terminals in any mesh worth a multicast). */
static uint32_t pick_mcast(tr_state *s, uint32_t src, uint32_t *dst)
{
    const noc_config *nc = &s->c->net;
    uint32_t nterms = nc->width * nc->height * nc->terminals_per_router;
    uint32_t n = 0;
    while (n < s->c->mcast_dsts) {
        uint32_t d = (uint32_t)rng_below(&s->rng[src], nterms);
        int dup = 0;
        for (uint32_t i = 0; i < n; i++)
            dup |= dst[i] == d;
        if (!dup)
            dst[n++] = d;
    }
    return n;
}

/* Cycles until the next success of a per-cycle Bernoulli(p) trial, the
 * current cycle counting as the first trial (0 = this cycle). */
static uint64_t geometric(tr_state *s, rng_stream *g)
{
    if (s->p_pkt >= 1.0)
        return 0;
    double u = 1.0 - rng_uniform(g); /* (0, 1] */
    return (uint64_t)floor(log(u) / s->log1mp);
}

static void on_source(kq_kernel *k, void *ctx, const void *payload);

static int schedule_source(tr_state *s, uint32_t term, uint64_t cycle)
{
    return kq_schedule_at(s->k, cycle * noc_cycle_ps(s->n), 0, on_source, s,
                          &term, sizeof term, NULL) == KQ_OK
               ? 0
               : -1;
}

static void on_source(kq_kernel *k, void *ctx, const void *payload)
{
    tr_state *s = ctx;
    uint32_t term;
    memcpy(&term, payload, sizeof term);
    uint64_t now = kq_now(k) / noc_cycle_ps(s->n);
    uint32_t dsts[NOC_MAX_MCAST_TRAFFIC];
    uint32_t n_dst = 1;
    if (s->c->mcast_frac > 0.0 && rng_uniform(&s->rng[term]) < s->c->mcast_frac)
        n_dst = pick_mcast(s, term, dsts);
    else
        dsts[0] = pick_dest(s, term);
    int measured = now >= s->w0 && now < s->w1;
    noc_packet_req q = {term, n_dst, dsts, 0, s->c->packet_flits,
                        (uint64_t)measured};
    base_error e;
    if (noc_send(s->n, &q, NULL, &e) ||
        schedule_source(s, term, now + 1 + geometric(s, &s->rng[term]))) {
        s->oom = 1; /* out of memory: cannot go on */
        kq_stop(k);
        return;
    }
    if (measured) {
        s->packets++;
        s->created += n_dst;
        s->create_sum += now * n_dst;
    }
    if (now >= s->w0 && now < s->w1)
        s->created_flits += s->c->packet_flits;
}

static void on_delivery(void *ctx, const noc_delivery *d)
{
    tr_state *s = ctx;
    if (!d->tag)
        return;
    uint64_t cps = noc_cycle_ps(s->n);
    uint64_t created = d->created_ps / cps;
    uint64_t lat = d->delivered_ps / cps - created;
    s->delivered++;
    s->arrived_create_sum += created;
    s->lat_sum += lat;
    s->hops_sum += d->hops;
    if (lat < s->lat_min)
        s->lat_min = lat;
    if (lat > s->lat_max)
        s->lat_max = lat;
    noc_traffic_result *r = s->res;
    uint32_t b = d->hops < NOC_TRAFFIC_HOP_BUCKETS ? d->hops
                                                   : NOC_TRAFFIC_HOP_BUCKETS - 1;
    if (!r->hop_count[b] || lat < r->hop_lat_min[b])
        r->hop_lat_min[b] = lat;
    if (lat > r->hop_lat_max[b])
        r->hop_lat_max[b] = lat;
    r->hop_count[b]++;
    r->hop_lat_sum[b] += lat;
}

static void on_window_start(kq_kernel *k, void *ctx, const void *payload)
{
    (void)k;
    (void)payload;
    tr_state *s = ctx;
    noc_totals t;
    noc_get_totals(s->n, &t);
    s->hops_before_window = t.flit_router_hops;
    noc_stats_reset(s->n);
}

/* End of a sample period: the stability check, and the end of the run. */
static void on_check(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    tr_state *s = ctx;
    uint64_t now = kq_now(k) / noc_cycle_ps(s->n);
    if (!s->window_closed && now >= s->w1) {
        noc_totals t;
        noc_get_totals(s->n, &t);
        s->ejected_at_w1 = t.flits_ejected;
        s->res->router_energy_pj = t.router_energy_pj;
        s->res->link_energy_pj = t.link_energy_pj;
        s->window_closed = 1;
    }
    if (s->created) {
        uint64_t waiting = s->created - s->delivered;
        /* Latency so far of every measured packet: arrived ones exactly,
         * the others by their age now. */
        double sum = (double)s->lat_sum +
                     (double)waiting * (double)now -
                     (double)(s->create_sum - s->arrived_create_sum);
        if (sum / (double)s->created > s->c->latency_limit_cycles) {
            s->unstable = 1;
            kq_stop(k);
            return;
        }
    }
    if (s->window_closed && s->delivered == s->created) {
        s->done = 1;
        kq_stop(k);
        return;
    }
    if (now >= s->w1 + s->c->drain_limit_cycles) {
        s->unstable = 1;
        kq_stop(k);
        return;
    }
    uint64_t next = now + s->c->sample_cycles;
    if (!s->window_closed && next > s->w1)
        next = s->w1; /* close the window on time */
    if (kq_schedule_at(k, next * noc_cycle_ps(s->n), KQ_PRIO_MAX, on_check, s,
                       NULL, 0, NULL) != KQ_OK) {
        s->oom = 1;
        kq_stop(k);
    }
}

int noc_traffic_run(const noc_traffic_config *c, noc_traffic_result *res,
                    base_error *err)
{
    if (noc_traffic_check(c, err))
        return -1;
    memset(res, 0, sizeof *res);
    res->offered_rate = c->rate;
    tr_state s = {0};
    s.c = c;
    s.res = res;
    s.lat_min = UINT64_MAX;
    s.p_pkt = c->rate / c->packet_flits;
    s.log1mp = s.p_pkt < 1.0 ? log1p(-s.p_pkt) : 0.0;
    s.w0 = c->warmup_cycles;
    s.w1 = c->warmup_cycles + c->measure_cycles;
    s.k = kq_new();
    if (!s.k) {
        base_fail(err, "out of memory");
        return -1;
    }
    noc_config nc = c->net;
    nc.seed = c->seed;
    s.n = noc_new(s.k, &nc, err);
    if (!s.n) {
        kq_free(s.k);
        return -1;
    }
    uint32_t nterms = noc_terminals(s.n);
    s.rng = base_malloc(sizeof *s.rng * nterms);
    int rc = -1;
    if (!s.rng) {
        base_fail(err, "out of memory");
        goto out;
    }
    noc_set_sink(s.n, on_delivery, &s);
    if (c->observer)
        noc_set_observer(s.n, c->observer);
    for (uint32_t t = 0; t < nterms; t++) {
        rng_seed(&s.rng[t], c->seed, t);
        if (schedule_source(&s, t, geometric(&s, &s.rng[t])))
            goto oom;
    }
    uint64_t cps = noc_cycle_ps(s.n);
    uint64_t first = c->sample_cycles < c->measure_cycles ? c->sample_cycles
                                                          : c->measure_cycles;
    if (kq_schedule_at(s.k, s.w0 * cps, 0, on_window_start, &s, NULL, 0,
                       NULL) != KQ_OK ||
        kq_schedule_at(s.k, (s.w0 + first) * cps, KQ_PRIO_MAX, on_check, &s,
                       NULL, 0, NULL) != KQ_OK)
        goto oom;

    kq_run(s.k, KQ_TIME_MAX, 0);
    if (noc_failed(s.n) || s.oom)
        goto oom;

    res->deadlock = noc_deadlocked(s.n);
    if (res->deadlock)
        res->n_deadlock_routers =
            noc_deadlock_routers(s.n, res->deadlock_routers, 64);
    res->stable = s.done && !s.unstable && !res->deadlock;
    res->measured_packets = s.packets;
    res->delivered_packets = s.delivered;
    res->mean_latency_cycles =
        s.delivered ? (double)s.lat_sum / (double)s.delivered : 0.0;
    res->min_latency_cycles = s.delivered ? s.lat_min : 0;
    res->max_latency_cycles = s.lat_max;
    res->mean_hops = s.delivered ? (double)s.hops_sum / (double)s.delivered
                                 : 0.0;
    /* A run stopped early (unstable) measured only part of the window. */
    uint64_t window = c->measure_cycles;
    if (!s.window_closed) {
        noc_totals t;
        noc_get_totals(s.n, &t);
        s.ejected_at_w1 = t.flits_ejected;
        uint64_t now = kq_now(s.k) / cps;
        window = now > s.w0 ? now - s.w0 : 0;
    }
    res->accepted_flit_rate =
        window ? (double)s.ejected_at_w1 / ((double)nterms * (double)window)
               : 0.0;
    res->injected_flit_rate =
        window ? (double)s.created_flits / ((double)nterms * (double)window)
               : 0.0;
    res->cycles = kq_now(s.k) / cps;
    res->events = kq_events_processed(s.k);
    {
        noc_totals t;
        noc_get_totals(s.n, &t);
        res->flit_router_hops = s.hops_before_window + t.flit_router_hops;
    }
    rc = 0;
    goto out;
oom:
    base_fail(err, "out of memory");
out:
    base_free(s.rng);
    noc_free(s.n);
    kq_free(s.k);
    return rc;
}

static int cmp_rate(const void *a, const void *b)
{
    double x = ((const noc_traffic_result *)a)->offered_rate;
    double y = ((const noc_traffic_result *)b)->offered_rate;
    return (x > y) - (x < y);
}

int noc_traffic_sweep(const noc_traffic_config *base, double step, double tol,
                      noc_traffic_result **pts, size_t *npts,
                      noc_traffic_result *sat, base_error *err)
{
    *pts = NULL;
    *npts = 0;
    memset(sat, 0, sizeof *sat);
    if (!(step > 0.0 && step <= 1.0) || !(tol > 0.0)) {
        base_fail(err, "sweep step must be in (0, 1] and tolerance > 0");
        return -1;
    }
    size_t cap = (size_t)(1.0 / step) + 64, n = 0;
    noc_traffic_result *p = base_malloc(sizeof *p * cap);
    if (!p) {
        base_fail(err, "out of memory");
        return -1;
    }
    noc_traffic_config c = *base;
    double lo = 0.0, hi = -1.0;
    int have_lo = 0;
    for (int i = 1;; i++) {
        c.rate = i * step;
        if (c.rate > 1.0 - 1e-12)
            c.rate = 1.0;
        if (noc_traffic_run(&c, &p[n], err))
            goto fail;
        if (!p[n].stable) {
            hi = c.rate;
            n++;
            break;
        }
        lo = c.rate;
        *sat = p[n];
        have_lo = 1;
        n++;
        if (c.rate >= 1.0)
            break;
    }
    while (hi > 0.0 && hi - lo > tol && n < cap) {
        c.rate = 0.5 * (lo + hi);
        if (noc_traffic_run(&c, &p[n], err))
            goto fail;
        if (p[n].stable) {
            lo = c.rate;
            *sat = p[n];
            have_lo = 1;
        } else {
            hi = c.rate;
        }
        n++;
    }
    if (!have_lo)
        sat->stable = 0;
    qsort(p, n, sizeof *p, cmp_rate);
    *pts = p;
    *npts = n;
    return 0;
fail:
    base_free(p);
    return -1;
}
