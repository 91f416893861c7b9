/* chip_int.h -- the chip run's state, shared by its files: chip.c (the
 * model list and the run), chip_adapt.c (config -> model parameters),
 * chip_flow.c (streams and stations: who waits for what), chip_trace.c
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

typedef struct {
    uint32_t layer;           /* consumer layer, or CHIP_NO_LAYER: write-back */
    uint32_t n_dst;
    uint32_t *dst_core;       /* chip core index (write-back: unused) */
    uint32_t *arrived;        /* packets arrived per destination */
    uint32_t *dst_terminal;
    uint32_t n_packets;
    uint32_t packet_bits;
    uint64_t bits;
    uint32_t src_terminal;
} stream;

typedef struct {
    int32_t waiting;          /* input streams still due; -1: not used */
    uint64_t *flow_ends;      /* trace arrows to end at the first CN */
    uint32_t n_flow_ends, cap_flow_ends;
    int started;              /* first CN of this station started */
} station;

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
    /* trace (w NULL: none) */
    trc_writer *w;
    model_trace mt;
    trc_name n_layer, n_part, n_tile, n_macs, n_cycles, n_energy, n_order;
    uint64_t **part_flows;    /* flows leaving each part's last CN */
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

/* chip_trace.c */
void chip_trace_names(chip *c);
int chip_trace_top(chip *c, const char *chip_name);
void chip_trace_cn(chip *c, uint32_t core, uint32_t cn, uint64_t t_ps, uint64_t dur_ps);

#endif
