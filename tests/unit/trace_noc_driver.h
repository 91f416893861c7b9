/* trace_noc_driver.h -- synthetic traffic through the NoC's public API
 * (noc_send), for the trace tests and the trace bench: every terminal
 * sends a packet with probability rate / flits each cycle, to a uniform
 * destination, or with probability mcast_frac to mcast_dsts distinct
 * destinations. Runs until the network drains. Deterministic per seed. */
#ifndef TRACE_NOC_DRIVER_H
#define TRACE_NOC_DRIVER_H

#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "noc/noc.h"
#include "base/rng.h"

typedef struct {
    uint32_t mesh;        /* mesh x mesh */
    double rate;          /* flits / terminal / cycle */
    uint32_t flits;       /* per packet */
    double mcast_frac;    /* share of multicast packets */
    uint32_t mcast_dsts;  /* destinations of a multicast packet */
    uint64_t cycles;      /* injection stops after this many cycles */
    uint64_t seed;
} drv_config;

typedef struct {
    drv_config c;
    kq_kernel *k;
    noc *n;
    rng_stream rng;
    uint64_t cps, cycle, sent;
    uint32_t terminals;
    uint32_t *dst;
    int failed;
} drv;

static inline void drv_tick(kq_kernel *k, void *ctx, const void *payload)
{
    (void)payload;
    drv *d = ctx;
    double p = d->c.rate / d->c.flits;
    for (uint32_t t = 0; t < d->terminals; t++) {
        if (!rng_bernoulli(&d->rng, p))
            continue;
        uint32_t nd = 1;
        if (d->c.mcast_frac > 0 && rng_bernoulli(&d->rng, d->c.mcast_frac)) {
            nd = d->c.mcast_dsts;
            /* distinct destinations: a partial Fisher-Yates shuffle */
            for (uint32_t i = 0; i < d->terminals; i++)
                d->dst[i] = i;
            for (uint32_t i = 0; i < nd; i++) {
                uint32_t j = i + (uint32_t)rng_below(&d->rng, d->terminals - i);
                uint32_t x = d->dst[i];
                d->dst[i] = d->dst[j];
                d->dst[j] = x;
            }
        } else {
            d->dst[0] = (uint32_t)rng_below(&d->rng, d->terminals);
        }
        noc_packet_req req = {t, nd, d->dst, 0, d->c.flits, 0};
        base_error e;
        if (noc_send(d->n, &req, NULL, &e))
            d->failed = 1;
        d->sent++;
    }
    if (++d->cycle < d->c.cycles)
        kq_schedule_in(k, d->cps, 0, drv_tick, d, NULL, 0, NULL);
}

/* Builds the kernel and the NoC (BookSim defaults, mesh x mesh). */
static inline int drv_init(drv *d, const drv_config *c)
{
    memset(d, 0, sizeof *d);
    d->c = *c;
    d->k = kq_new();
    noc_config nc;
    noc_config_default(&nc);
    nc.width = nc.height = c->mesh;
    base_error e;
    d->n = d->k ? noc_new(d->k, &nc, &e) : NULL;
    if (!d->n)
        return -1;
    d->cps = noc_cycle_ps(d->n);
    d->terminals = noc_terminals(d->n);
    d->dst = malloc(d->terminals * sizeof *d->dst);
    rng_seed(&d->rng, c->seed, 7);
    return d->dst ? 0 : -1;
}

/* Runs to the end of the traffic and the drain; returns the end time. */
static inline uint64_t drv_run(drv *d)
{
    kq_schedule_at(d->k, 0, 0, drv_tick, d, NULL, 0, NULL);
    kq_run(d->k, KQ_TIME_MAX, 0);
    return kq_now(d->k);
}

static inline void drv_free(drv *d)
{
    noc_free(d->n);
    kq_free(d->k);
    free(d->dst);
}

#endif
