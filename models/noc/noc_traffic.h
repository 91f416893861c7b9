/* noc_traffic.h -- synthetic traffic on a NoC, measured the way BookSim
 * measures it, for validation and for sizing a NoC on its own.
 *
 * Each terminal injects packets by a Bernoulli process: in every cycle a
 * new packet with probability rate / packet_flits (rate is in flits per
 * terminal per cycle). Packets created in [warmup, warmup + measure) are
 * measured: latency from creation to the tail's ejection, source queueing
 * included. Traffic continues while the measured packets drain.
 *
 * Stable means: the measured packets all arrived, and at every check (each
 * sample_cycles after the warm-up) the mean latency of the measured
 * packets -- arrived ones, plus the age so far of those still on their
 * way -- stayed under latency_limit_cycles. Past saturation source queues
 * grow without bound, so that mean passes any fixed limit. */
#ifndef EVSIM_NOC_TRAFFIC_H
#define EVSIM_NOC_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "noc/noc.h"

typedef enum {
    NOC_TRAFFIC_UNIFORM = 0,  /* any terminal, itself included */
    NOC_TRAFFIC_TRANSPOSE,    /* router (x,y) -> (y,x); square meshes */
    NOC_TRAFFIC_HOTSPOT,      /* hotspot_frac to one terminal, else uniform */
    NOC_TRAFFIC_BITCOMP       /* (x,y) -> (W-1-x, H-1-y) */
} noc_traffic_pattern;

#define NOC_TRAFFIC_HOP_BUCKETS 128
#define NOC_MAX_MCAST_TRAFFIC 64

typedef struct {
    noc_config net;
    noc_traffic_pattern pattern;
    uint32_t packet_flits;
    double rate;                  /* flits / terminal / cycle, (0, 1] */
    uint64_t warmup_cycles;
    uint64_t measure_cycles;
    uint64_t sample_cycles;       /* stability check period */
    double latency_limit_cycles;
    uint64_t drain_limit_cycles;  /* after the measurement window */
    uint32_t hotspot;             /* terminal */
    double hotspot_frac;
    /* Multicast: this share of packets goes to mcast_dsts distinct
     * uniformly chosen terminals (2..NOC_MAX_MCAST_TRAFFIC) instead of the
     * pattern's one; latency is then counted per delivery. 0 = none. */
    double mcast_frac;
    uint32_t mcast_dsts;
    uint64_t seed;
    const noc_observer *observer; /* optional, set on the NoC (traces) */
} noc_traffic_config;

typedef struct {
    double offered_rate;
    int stable;
    int deadlock;                 /* the network stopped moving */
    uint64_t measured_packets;    /* created in the window */
    uint64_t delivered_packets;   /* of those, deliveries made (one per
                                   * destination of a multicast) */
    double mean_latency_cycles;   /* over arrived measured packets */
    uint64_t min_latency_cycles, max_latency_cycles;
    double mean_hops;             /* Manhattan */
    double accepted_flit_rate;    /* flits ejected / terminal / cycle in
                                   * the window (the part of it run, when
                                   * an unstable run stopped early) */
    double injected_flit_rate;    /* flits created / terminal / cycle */
    uint64_t cycles;              /* simulated cycles */
    uint64_t events;              /* kernel events */
    uint64_t flit_router_hops;    /* flits switched, whole run */
    double router_energy_pj, link_energy_pj; /* in the window */
    /* Measured packets by Manhattan hop count (last bucket: >= 127). */
    uint64_t hop_count[NOC_TRAFFIC_HOP_BUCKETS];
    uint64_t hop_lat_sum[NOC_TRAFFIC_HOP_BUCKETS];
    uint64_t hop_lat_min[NOC_TRAFFIC_HOP_BUCKETS];
    uint64_t hop_lat_max[NOC_TRAFFIC_HOP_BUCKETS];
    /* On deadlock: routers holding flits (first 64) and their number. */
    uint32_t deadlock_routers[64];
    uint32_t n_deadlock_routers;
} noc_traffic_result;

/* Defaults: BookSim's router (noc_config_default), uniform, 1 flit,
 * rate 0.1, warm-up 3000 cycles, 10000 measured, checks every 1000,
 * latency limit 500 cycles, drain limit 50000, seed 1. */
void noc_traffic_default(noc_traffic_config *c);

int noc_traffic_check(const noc_traffic_config *c, base_error *err);

/* One run. 0 on success (the result says whether it was stable), -1 with
 * err on a bad configuration or out of memory. */
int noc_traffic_run(const noc_traffic_config *c, noc_traffic_result *res,
                    base_error *err);

/* Sweep: rates step, 2 step, ... while stable (at most 1), then bisection
 * between the last stable and the first unstable rate until they are
 * within tol. *pts (malloc'ed, caller frees) gets every point run, by
 * ascending rate; *sat the last stable point (stable = 0 if none). */
int noc_traffic_sweep(const noc_traffic_config *base, double step, double tol,
                      noc_traffic_result **pts, size_t *npts,
                      noc_traffic_result *sat, base_error *err);

int noc_traffic_parse_pattern(const char *s, noc_traffic_pattern *out);
const char *noc_traffic_pattern_name(noc_traffic_pattern p);

#endif
