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
 * the body flits one per cycle behind the head. */
static inline uint64_t t0(const noc_config *c, uint32_t hops, uint32_t flits)
{
    uint64_t router = c->router_stage_cycles[NOC_STAGE_ROUTE] + c->router_stage_cycles[NOC_STAGE_VC_ALLOC] +
                      c->router_stage_cycles[NOC_STAGE_SW_ALLOC] + c->router_stage_cycles[NOC_STAGE_XBAR];
    return 1 + c->inject_cycles + (hops + 1) * router +
           (uint64_t)hops * c->link_latency_cycles + c->eject_cycles + (flits - 1);
}

#endif
