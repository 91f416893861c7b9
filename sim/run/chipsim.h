/* chipsim.h -- the whole-chip simulation of one inference: the plan's
 * CNs run on core models, layer outputs travel over the NoC model as
 * multicast packet streams to the cores of the layers that read them, the
 * network input streams in from an off-chip memory controller and the
 * final outputs stream back to it. Everything runs on one event kernel.
 *
 * What it models and what not yet: CN durations and energies are the
 * mapper's (memory stalls inside a core included); dependencies are at
 * layer granularity per core; the off-chip controller serialises reads at
 * its bandwidth after its latency, writes are charged energy only. */
#ifndef EVSIM_CHIPSIM_H
#define EVSIM_CHIPSIM_H

#include <stdint.h>

#include "config/config.h"
#include "noc/noc_stats.h"
#include "run/plan.h"
#include "trace/trc.h"

#define CSIM_PACKET_FLITS 16 /* a tensor stream is cut into such packets */

typedef struct {
    char msg[512];
} csim_error;

typedef struct {
    uint64_t max_time_ps;   /* 0: no limit */
    uint64_t max_events;    /* 0: no limit */
    trc_writer *trace;      /* optional, not owned: what to record into */
    uint64_t trace_sample_cycles; /* NoC counter period (0: 100) */
    /* Called about every million events, and once at the end. */
    void (*progress)(void *ctx, uint64_t now_ps, uint32_t layers_done,
                     uint32_t n_layers);
    void *progress_ctx;
} csim_options;

typedef struct {
    uint64_t start_ps, end_ps;  /* first CN start, last CN end */
    uint32_t cns_done;
    double energy_pj;           /* its CNs, from the mapper */
} csim_layer_result;

typedef struct {
    uint64_t busy_ps;
    uint32_t cns;
    uint32_t peak_ready;
} csim_core_result;

typedef struct {
    int complete;               /* every layer ran and outputs landed */
    const char *stop_reason;    /* why not complete, else "" */
    uint64_t end_ps;
    uint64_t events;
    uint32_t layers_done;
    csim_layer_result *layers;  /* plan order */
    csim_core_result *cores;    /* chip order */
    uint32_t n_layers, n_cores;
    double compute_pj;          /* MACs and on-core memories */
    double mapper_top_pj;       /* left out: see plan_cn.top_pj */
    double offchip_read_pj, offchip_write_pj, offchip_static_pj;
    uint64_t offchip_read_bits, offchip_write_bits;
    uint64_t transfers, packets;
    noc_totals noc;
    uint64_t noc_cycle_ps;
} csim_result;

/* Runs the plan on the scenario's chip. 0 and *res filled (free it with
 * csim_result_free) -- also when a limit stopped the run early, see
 * res->complete --, or -1 with err on a failure (out of memory, NoC
 * deadlock, trace error). */
int csim_run(const cfg_scenario *s, const plan *p, const csim_options *o,
             csim_result *res, csim_error *err);
void csim_result_free(csim_result *res);

#endif
