/* noc_test_util.h -- what the NoC unit tests share: a delivery log, the
 * terminal at (x, y), and the zero-load latency formula. */
#ifndef EVSIM_NOC_TEST_UTIL_H
#define EVSIM_NOC_TEST_UTIL_H

#include "noc/noc.h"

#define MAXD 64

typedef struct {
    int n;
    noc_delivery d[MAXD];
    int per_dst[4096];
    int lasts;
} sink_log;

static inline void log_sink(void *ctx, const noc_delivery *d)
{
    sink_log *s = ctx;
    if (s->n < MAXD)
        s->d[s->n] = *d;
    s->n++;
    s->per_dst[d->dst]++;
    s->lasts += d->last;
}

static inline uint32_t term(const noc_config *c, uint32_t x, uint32_t y)
{
    return (y * c->width + x) * c->terminals_per_router;
}

/* Zero-load latency from the configuration: one cycle in the source queue,
 * the injection channel, H+1 routers, H links, the ejection channel, and
 * the body flits one per cycle behind the head -- for stages of one cycle.
 * Longer stages work in batches (BookSim's router): switch allocation of
 * S cycles lets a VC send one flit per S cycles, so each body flit is S
 * behind the one before; a crossbar of X cycles makes the first body flit
 * wait for the head's batch, X - 1 cycles, once: at the next router the
 * head's routing and VC allocation (R + V >= X - 1) let the body close up
 * again, to reopen the same gap. Valid with S or X, not both, above 1. */
static inline uint64_t t0(const noc_config *c, uint32_t hops, uint32_t flits)
{
    const uint32_t *st = c->router_stage_cycles;
    uint64_t router = st[NOC_STAGE_ROUTE] + st[NOC_STAGE_VC_ALLOC] + st[NOC_STAGE_SW_ALLOC] +
                      st[NOC_STAGE_XBAR];
    uint64_t s = st[NOC_STAGE_SW_ALLOC], x = st[NOC_STAGE_XBAR];
    uint64_t body = (flits - 1) * s + (flits > 1 && x > 1 ? x - 1 : 0);
    return 1 + c->inject_cycles + (hops + 1) * router +
           (uint64_t)hops * c->link_latency_cycles + c->eject_cycles + body;
}

#endif
