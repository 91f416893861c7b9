/* chip.h -- one inference on the whole chip, as a wiring of models.
 *
 * The chip is a list of models (models/model.h) built from the scenario's
 * chip and the plan through adapters (config -> model parameters): one core
 * model per placed core, one memory controller per listed memory, each on
 * its own NoC terminal, and the NoC. The plan's CNs run on the cores;
 * layer outputs travel over the NoC as multicast packet streams to the
 * cores of the layers that read them; the network input streams in from a
 * memory controller and the final outputs stream back to one. Everything
 * runs on one event kernel; at the end every model's finish() gives its
 * energy items, which the report walks.
 *
 * What it models and what not yet: CN durations and energies are the
 * mapper's (memory stalls inside a core included); dependencies are at
 * layer granularity per core; weights are loaded into the cores from the
 * memory they live in, or streamed when they do not fit (chip_mem.c); a
 * memory controller serves reads and writes one at a time on its port;
 * activations do not spill to off-chip memory. */
#ifndef EVSIM_CHIP_H
#define EVSIM_CHIP_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "model.h"
#include "noc/noc_stats.h"
#include "run/plan.h"
#include "trace/trc.h"

#define CHIP_PACKET_FLITS 16 /* a tensor stream is cut into such packets */

typedef struct {
    uint64_t max_time_ps;   /* 0: no limit */
    uint64_t max_events;    /* 0: no limit */
    trc_writer *trace;      /* optional, not owned: what to record into */
    uint64_t trace_sample_cycles; /* counter period (0: 100 at full detail, else 1000) */
    /* Called about every million events, and once at the end. */
    void (*progress)(void *ctx, uint64_t now_ps, uint32_t layers_done,
                     uint32_t n_layers);
    void *progress_ctx;
    /* Which of the chip's memories (index into its list) the network
     * input is read from and the final outputs are written to; 0, the
     * first listed, by default. */
    uint32_t input_memory, output_memory;
} chip_options;

typedef struct {
    uint64_t start_ps, end_ps;  /* first CN start, last CN end */
    uint32_t cns_done;
    double energy_pj;           /* its CNs, from the mapper */
} chip_layer_result;

typedef struct {
    uint64_t busy_ps;
    uint32_t cns;
    uint32_t peak_ready;
    uint64_t macs;              /* of its CNs finished */
    uint64_t stall_ps;          /* idle while a part of its waited for weights only */
} chip_core_result;

typedef struct {
    uint64_t read_bits, write_bits;
    uint64_t busy_until_ps;     /* its port is busy until then */
} chip_mem_result;

#define CHIP_MAX_LEVEL_NAMES 32

/* The core-side energy (the "compute" items) split as the mapper costs
 * it: MACs, and each on-core memory level by name (levels of the same
 * name in several core types add up). */
typedef struct {
    char name[64];
    double pj;
} chip_level_energy;

typedef struct {
    int complete;               /* every layer ran and outputs landed */
    const char *stop_reason;    /* why not complete, else "" */
    uint64_t end_ps;
    uint64_t events;
    uint32_t layers_done;
    chip_layer_result *layers;  /* plan order */
    chip_core_result *cores;    /* chip order */
    uint32_t n_layers, n_cores;
    model_energy energy;        /* every model's items, model-list order */
    double mapper_top_pj;       /* left out: see plan_cn.top_pj */
    double mapper_top_w_pj;     /* ... of which for weights */
    double fill_pj;             /* in compute: plan_cn.fill_pj, all CNs */
    bool top_offchip;           /* some layer's core has an off-chip top
                                   level (plan_layer.top_is_offchip) */
    double mac_pj;              /* compute = mac_pj + the levels' pJ */
    uint32_t n_levels;
    chip_level_energy levels[CHIP_MAX_LEVEL_NAMES];
    chip_mem_result *mems;      /* chip order */
    uint32_t n_mems;
    /* weights through the hierarchy (chip_mem.c) */
    uint64_t w_loads, w_load_bits;       /* loads into the cores' weight memories */
    uint64_t w_evictions, w_evicted_bits;/* weights dropped to make room (clean: no
                                            write-back, their home keeps a copy) */
    uint64_t w_streams, w_stream_bits;   /* parts whose weights did not fit */
    uint64_t a_spills, a_spill_bits;     /* parts whose activations did not,
                                            spilled to memory spill_mem */
    uint32_t spill_mem;
    uint64_t offchip_read_bits, offchip_write_bits; /* over every memory */
    uint64_t transfers, packets;
    noc_totals noc;
    uint64_t noc_cycle_ps;
} chip_result;

/* Runs the plan on the scenario's chip. 0 and *res filled (free it with
 * chip_result_free) -- also when a limit stopped the run early, see
 * res->complete --, or -1 with err on a failure (out of memory, NoC
 * deadlock, trace error, a memory index out of range). */
int chip_run(const cfg_scenario *s, const plan *p, const chip_options *o,
             chip_result *res, base_error *err);
void chip_result_free(chip_result *res);

#endif
