/* chip_int.h -- the chip run's state, shared by its files: chip.c (the
 * model list and the run), chip_adapt.c (config -> model parameters),
 * chip_flow.c (streams and stations: who waits for what), chip_mem.c
 * (weights: loads, evictions, streams, stalls), chip_trace.c
 * (what the run itself records on the timeline). Not a public interface.
 *
 * Nothing here is read from the config tree once the run has started:
 * terminals, packet sizes and names are copied into the tables below. */
#ifndef EVSIM_CHIP_INT_H
#define EVSIM_CHIP_INT_H

#include <stdint.h>

#include "core/core.h"
#include "kernel/kernel.h"
#include "mem/mem.h"
#include "model.h"
#include "noc/noc.h"
#include "run/chip.h"

#define CHIP_NO_LAYER UINT32_MAX /* a stream's consumer: the write-back */

/* What a stream carries (who is told when it has arrived). */
enum { CHIP_S_ACT = 0, CHIP_S_WLOAD, CHIP_S_WSTREAM, CHIP_S_SPILL, CHIP_S_SPILLBACK };

typedef struct {
    uint8_t kind;             /* CHIP_S_*: activations (or the write-back),
                                 a weight load, weights streamed during a part,
                                 a part's activation spill to its memory and
                                 its read back */
    uint32_t part;            /* weight streams: the global part index */
    uint32_t layer;           /* consumer layer, or CHIP_NO_LAYER: write-back */
    uint32_t data_layer;      /* activations: the producer (CHIP_NO_LAYER: the
                                 network input); for the trace */
    uint32_t n_dst;
    uint32_t *dst_core;       /* chip core index (write-back: unused) */
    uint32_t *arrived;        /* packets arrived per destination */
    uint32_t *dst_terminal;
    uint32_t n_packets;
    uint32_t packet_bits;
    uint64_t bits;
    uint32_t src_terminal;
    /* activations: what arrives, told per destination core: producer
     * slot `slot` of the consumer layer, from producer CN `unit`
     * (granular: fused, same stack) or global part `unit` */
    uint32_t unit;
    uint8_t slot, granular;
} stream;

typedef struct {
    int32_t waiting;          /* input streams still due; -1: not used */
    int32_t w_waiting;        /* weight loads still due */
    uint64_t *flow_ends;      /* trace arrows to end at the first CN */
    uint32_t n_flow_ends, cap_flow_ends;
    int started;              /* first CN of this station started */
    int w_streaming;          /* its weight streams were asked for */
    int w_blocked;            /* it counts in its core's `blocked`: it could
                                 run but for its weights */
} station;

/* Per core: its weight memory (the highest on-core level holding
 * weights) and the loads into it, in the order the core runs its parts. */
typedef struct {
    uint64_t cap_bits, used_bits;
    uint32_t *order;          /* global part indices to load, in plan order */
    uint32_t n_order, next;
    int loading;              /* one load in flight at a time */
    uint32_t blocked;         /* stations (parts) waiting for weights only */
    uint64_t stall_since;     /* UINT64_MAX: not stalled */
    uint64_t stall_ps;
} core_wstate;

enum { CHIP_W_NONE = 0, CHIP_W_LOADING, CHIP_W_RESIDENT, CHIP_W_EVICTED };

typedef struct chip {
    const plan *p;
    const chip_options *o;
    chip_result *res;
    base_error *err;
    int failed;
    kq_kernel *k;
    /* the model list, in build order: trace and finish go in this order */
    model *models;
    uint32_t n_models, cap_models;
    /* typed handles to the same models */
    uint32_t n_cores, n_mems;
    core_model **cores;
    mem_model **mems;
    noc_model *nm;
    noc *net;
    /* tables the handlers use (set up from the config before the run) */
    noc_config noc_cfg;       /* the NoC's parameters (run_adapt_noc) */
    uint32_t tpr;             /* NoC terminals per router */
    uint32_t *core_term;      /* per core: its terminal */
    uint32_t *mem_term;       /* per memory: its terminal */
    uint32_t in_mem, out_mem; /* memory indices; n_mems: none */
    uint32_t pkt_bits_uni, pkt_bits_multi;
    const char **layer_name;  /* per plan layer */
    /* bookkeeping */
    stream *streams;
    uint32_t n_streams, cap_streams;
    station *st;              /* n_layers x n_cores */
    uint32_t *part_left;      /* CNs still to finish, per (layer, part) */
    uint32_t *part_base;      /* index of a layer's first part */
    uint32_t *layer_left;     /* parts still to finish, per layer */
    uint32_t n_parts;
    uint32_t writebacks_due;
    /* weights (chip_mem.c) */
    core_wstate *cw;          /* per core */
    uint8_t *w_state;         /* per global part: CHIP_W_* */
    uint8_t *w_stream_out;    /* per global part: a weight stream in flight */
    uint8_t *spill_out;       /* per global part: its spill not read back yet */
    uint32_t *part_layer;     /* per global part: its layer */
    uint64_t *part_cns_end_ps;/* per global part: when its last CN ended */
    /* trace (w NULL: none) */
    trc_writer *w;
    model_trace mt;
    trc_name n_layer, n_part, n_tile, n_macs, n_cycles, n_energy, n_order;
    trc_name n_ideal, n_stalls, n_util, n_spatial;
    uint64_t **part_flows;    /* flows leaving each part's last CN */
    /* dependencies (chip_flow.c) */
    plan_box *need;           /* per (layer, slot, core): what the core's
                                 CNs of that layer read from the slot */
    int32_t *cn_wait;         /* per CN: granular inputs still due; -1:
                                 submitted */
    uint32_t *rev_first, *rev;/* per producer CN: indices of the deps on it */
    /* fused: per core its ready CNs, given to the core one at a time in
     * Stream's order (stack, tile, layer, part) */
    uint32_t **rq, *rq_n, *rq_cap;
    uint32_t *inflight;       /* CNs submitted to the core, not finished */
    struct chip_tview *tv;    /* counters and write slices (chip_trace.c) */
} chip;

static inline station *chip_station(chip *c, uint32_t layer, uint32_t core)
{
    return &c->st[(size_t)layer * c->n_cores + core];
}

/* Records the first failure in c->err and stops the kernel. */
void chip_fail(chip *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a model to the list. 0, or -1 (out of memory; self destroyed). */
int chip_add_model(chip *c, const model_ops *ops, void *self);

/* chip_adapt.c: the NoC's parameters (run_adapt_noc), where everything
 * sits on the NoC (terminals per router, every core's and memory's
 * terminal) and the packet sizes, for the builders and the handlers. 0, or
 * -1 on a NoC parameter the model refuses (c->err, positioned) or when out
 * of memory. */
int chip_layout(chip *c, const cfg_scenario *s);
/* The model list's builders, config -> parameters. */
int chip_add_cores(chip *c, const cfg_scenario *s);
int chip_add_memories(chip *c, const cfg_scenario *s);
int chip_add_noc(chip *c, const cfg_scenario *s);

/* chip_flow.c: the callbacks the models call and the run's start. */
void chip_cn_started(void *ctx, uint32_t core, uint32_t cn, uint64_t t, uint64_t dur);
void chip_cn_finished(void *ctx, uint32_t core, uint32_t cn, uint64_t t);
void chip_mem_released(void *ctx, uint64_t tag, uint32_t packet, uint64_t bits);
void chip_model_failed(void *ctx, const char *msg);
void chip_on_delivery(void *ctx, const noc_delivery *d);
/* Expected input streams per station; the network input's reads start.
 * 0, or -1 (c->err, or out of memory). */
int chip_start(chip *c);
void chip_streams_free(chip *c);

/* chip_flow.c: a read of `bits` from memory `mem` to core `core`,
 * carried as a stream of kind `kind` (label: its trace slice). 0, or -1
 * (c->err). */
int chip_mem_stream(chip *c, uint32_t mem, uint64_t bits, uint32_t core, uint8_t kind,
                    uint32_t layer, uint32_t part, const char *label);
/* ... and a write of `bits` from core `core` to the output memory. */
int chip_core_to_mem(chip *c, uint32_t core, uint64_t bits, uint8_t kind, uint32_t layer,
                     uint32_t part);
void chip_station_check(chip *c, uint32_t layer, uint32_t core);
/* The station could run but for its weights: its core stalls while idle
 * (layer by layer: every part-grain input is in; fused: also one CN's own
 * inputs). chip_station_unblock when the weights are in. */
void chip_station_block(chip *c, uint32_t layer, uint32_t core);
void chip_station_unblock(chip *c, uint32_t layer, uint32_t core);
void chip_part_done(chip *c, uint32_t layer, uint32_t part);

/* chip_mem.c: weights through the hierarchy. */
int chip_weights_init(chip *c);           /* 0, or -1 out of memory */
void chip_weights_free(chip *c);
void chip_weights_start(chip *c);         /* the first loads of every core */
void chip_weights_arrived(chip *c, const stream *s);
void chip_weights_part_done(chip *c, uint32_t pidx);
/* The station's parts whose weights stream during their CNs: start it. */
void chip_weights_stream(chip *c, uint32_t layer, uint32_t core);
/* A CN of part pidx finished; its weight stream may still be due. */
void chip_weights_cn_done(chip *c, uint32_t pidx);
/* The station's parts whose activations exceed the core: spill them. */
void chip_spill_start(chip *c, uint32_t layer, uint32_t core);
/* A spill's last packet landed in its memory: read it back. */
void chip_spill_written(chip *c, const stream *s);
void chip_stall_update(chip *c, uint32_t core);

/* chip_trace.c: the chip's track, and a model of its own (appended to
 * the list) for the counters; the hooks below do nothing without it. */
void chip_trace_names(chip *c);
int chip_trace_top(chip *c, const cfg_scenario *s);
void chip_trace_cn(chip *c, uint32_t core, uint32_t cn, uint64_t t_ps, uint64_t dur_ps);
void chip_trace_cn_done(chip *c, uint32_t core, uint32_t cn);
void chip_trace_cn_ready(chip *c, uint32_t core); /* a CN joins the ready queue */
void chip_trace_input(chip *c, uint32_t layer, uint32_t core, uint64_t bits);
void chip_trace_part_done(chip *c, uint32_t layer, uint32_t part);
void chip_trace_weights(chip *c, uint32_t core); /* cw[core].used_bits changed */
/* A read packet of stream sid left its memory / a write-back packet of
 * stream sid landed. */
void chip_trace_mem_read(chip *c, uint32_t sid, uint64_t bits);
void chip_trace_mem_write(chip *c, uint32_t sid, uint64_t bits);

#endif
