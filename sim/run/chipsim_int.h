/* chipsim_int.h -- the chip simulation's state, shared by its files
 * (chipsim.c: streams, stations, set-up and the run; chipsim_trace.c: what
 * it records on the timeline). Not a public interface. */
#ifndef EVSIM_CHIPSIM_INT_H
#define EVSIM_CHIPSIM_INT_H

#include <stdint.h>

#include "run/chipsim.h"
#include "core/core.h"
#include "kernel/kernel.h"
#include "noc/noc.h"
#include "noc/trc_noc.h"

typedef struct {
    uint32_t layer;           /* consumer layer, or UINT32_MAX: write-back */
    uint32_t n_dst;
    uint32_t *dst_core;       /* chip core index (write-back: unused) */
    uint32_t *arrived;        /* packets arrived per destination */
    uint32_t n_packets;
    uint64_t bits;
    uint32_t src_terminal;
    uint32_t *dst_terminal;
    uint32_t next_packet;     /* off-chip reads: next packet to release */
    int from_memory;          /* released by the controller, paced */
    uint64_t read_ps;         /* off-chip reads: time to stream it all */
} stream;

typedef struct {
    int32_t waiting;          /* input streams still due; -1: not used */
    uint64_t *flow_ends;      /* trace arrows to end at the first CN */
    uint32_t n_flow_ends, cap_flow_ends;
    int started;              /* first CN of this station started */
} station;

typedef struct {
    const cfg_scenario *s;
    const plan *p;
    const csim_options *o;
    csim_result *res;
    csim_error *err;
    kq_kernel *k;
    noc *net;
    core_model **cores;
    uint32_t tpr;             /* terminals per router */
    uint32_t mem_terminal;    /* the first off-chip memory's terminal */
    int have_mem;
    uint64_t mem_free_ps;     /* controller busy until */
    stream *streams;
    uint32_t n_streams, cap_streams;
    station *st;              /* n_layers x n_cores */
    uint32_t *part_left;      /* CNs still to finish, per (layer, part) */
    uint32_t *part_base;      /* index of a layer's first part */
    uint32_t *layer_left;     /* parts still to finish, per layer */
    uint32_t writebacks_due;
    int failed;
    /* trace */
    trc_writer *w;
    trc_track *core_track;
    trc_track mem_track;
    trc_noc *tnoc;
    trc_name n_layer, n_part, n_tile, n_macs, n_cycles, n_energy, n_order,
        n_read, n_bits;
    uint64_t **part_flows;    /* flows leaving each part's last CN */
    uint32_t n_parts;
} sim;

static inline station *csim_station(sim *m, uint32_t layer, uint32_t core)
{
    return &m->st[(size_t)layer * m->s->chip->n_cores + core];
}

/* Records the first failure in m->err and stops the kernel. */
void csim_fail(sim *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Tracks for the cores and the off-chip memory, interned names, and the
 * NoC's own tracks. 0, or -1 (message in m->err or the writer). */
int csim_trace_setup(sim *m);
/* A CN's slice, with its loop order and the arrows between layers. */
void csim_trace_cn(sim *m, uint32_t core, uint32_t cn, uint64_t t_ps, uint64_t dur_ps);
/* An off-chip read stream's slice, from its first packet. */
void csim_trace_read(sim *m, const stream *s, uint64_t t_ps);

#endif
