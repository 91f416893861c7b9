/* noc_stats.h -- what a NoC run measured, for the report and the trace.
 *
 * Counters accumulate from noc_new(); noc_stats_reset() starts a new
 * measurement window (counters to zero, peaks to the current occupancy).
 * Nothing here prints. */
#ifndef EVSIM_NOC_STATS_H
#define EVSIM_NOC_STATS_H

#include <stdint.h>

#include "noc/noc.h"

/* Whole-network totals since noc_new() or the last reset. */
typedef struct {
    uint64_t window_cycles;       /* cycles since the window started */
    uint64_t packets_created;
    uint64_t packets_finished;    /* every destination reached */
    uint64_t deliveries;          /* (packet, destination) pairs */
    uint64_t flits_injected;      /* flits that left source terminals */
    uint64_t flits_ejected;       /* flits delivered (per destination) */
    uint64_t flit_link_hops;      /* router-to-router link traversals */
    uint64_t flit_router_hops;    /* flits switched by a router */
    uint64_t hops_sum;            /* Manhattan hops over deliveries */
    uint64_t latency_sum_cycles;  /* creation to tail, over deliveries */
    uint64_t latency_min_cycles;  /* UINT64_MAX when no delivery */
    uint64_t latency_max_cycles;
    uint64_t last_latency_sum_cycles; /* creation to last destination,
                                       * over finished packets */
    double router_energy_pj;
    double link_energy_pj;
} noc_totals;

typedef enum {
    NOC_LINK_MESH = 0,   /* router to neighbour router */
    NOC_LINK_INJECT,     /* terminal to its router */
    NOC_LINK_EJECT       /* router to a terminal */
} noc_link_kind;

typedef struct {
    noc_link_kind kind;
    uint32_t from_router, to_router;  /* the same router for inj/ej */
    uint32_t out_port;       /* output port at from_router (0..3 east,
                              * west, north, south; 4.. terminals) */
    uint32_t terminal;       /* inj/ej: the terminal; else UINT32_MAX */
    uint64_t flits;          /* flits carried in the window */
    double utilisation;      /* flits / window cycles */
    double energy_pj;        /* link energy in the window */
} noc_link_stat;

typedef struct {
    uint32_t x, y;
    uint64_t flits_switched;       /* in the window */
    uint32_t buffer_peak_flits;    /* all input ports together */
    uint32_t port_peak_flits[4 + NOC_MAX_TERMINALS];
    double energy_pj;              /* router energy in the window */
} noc_router_stat;

void noc_stats_reset(noc *n);
void noc_get_totals(const noc *n, noc_totals *out);

uint32_t noc_link_count(const noc *n);
/* Static description plus window counters of link i; -1 if i is out of
 * range. */
int noc_link_describe(const noc *n, uint32_t link, noc_link_stat *out);
int noc_router_stats(const noc *n, uint32_t router, noc_router_stat *out);

#endif
