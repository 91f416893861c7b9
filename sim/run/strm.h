/* strm.h -- Stream's classic list scheduler (CoalaScheduler, Stream
 * cb9dfc52), reproduced number for number: the contract between whoever
 * builds the graph of computation nodes (CNs) -- evsim's plan with
 * strm_cost.c's ZigZag-style costs, or a test from Stream's own results --
 * and the scheduler, which only reads it.
 *
 * ../shared/reference/stream/semantics.md is the specification; section
 * numbers (§2 ...) in the sources refer to it. In one paragraph: CNs are
 * picked by a static priority order among the ready ones (§1.4, §2.1),
 * wait for layer barriers (§2.2), fetch their operands over links whose
 * bandwidth is reserved as integer activity profiles searched from an
 * earliest time, possibly in the past (§3), keep tensors in per-instance
 * top memories modelled as usage step functions with priority x size
 * eviction (§4), and block the off-chip links for the operands too large
 * for the core (§2.8). Energies fall into Stream's nine terms (§5).
 *
 * Times are cycles as doubles: CN runtimes are ZigZag's latency_total2,
 * fractions kept (§1.3), so starts and ends can end in .5. Sizes are bits,
 * energies pJ, bandwidths bits per cycle.
 *
 * The graph is plain data: the builder fills the arrays, the scheduler
 * never changes them. Indices refer into the graph's own arrays. */
#ifndef EVSIM_STRM_H
#define EVSIM_STRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* Stream's memory operands: I1 (a layer's input, or an element-wise op's
 * first input), I2 (weights, or the second input), O (the output). The
 * order is strm_cost.h's strm_op. */
enum { STRM_I1 = 0, STRM_I2 = 1, STRM_O = 2, STRM_NMEM = 3 };

#define STRM_MAX_DIMS 8     /* loop dimensions of one tensor */
#define STRM_MAX_HOPS 4     /* links on one route */
#define STRM_NO_PRIORITY (-1)

/* A top memory instance (Stream models no other level, §4). Port 0's
 * widths and costs price a transfer's reads and writes (§5). */
typedef struct {
    uint64_t capacity_bits;
    double r_cost_pj, w_cost_pj;     /* per access of bw_max bits */
    double bw_min_bits, bw_max_bits; /* of port 0 */
} strm_mem;

/* A core: which top instance holds each memory operand (one shared SRAM
 * on tpu_like cores; two instances may be the same index). */
typedef struct {
    int top_mem[STRM_NMEM];
} strm_core;

/* A directed link or a bus (one object serving many ordered pairs, §1.1). */
typedef struct {
    double bw_bits;                  /* bits per cycle */
    double unit_energy_pj;           /* per cycle of use at full bandwidth */
} strm_link;

/* The first shortest path from one core to another (§1.1). */
typedef struct {
    int n_links;                     /* 0: no path (same core) */
    int link[STRM_MAX_HOPS];
} strm_route;

/* A tensor as Stream identifies it: (origin layer, operand, loop ranges).
 * The builder gives one entry per distinct identity (Stream replaces the
 * identical tensors of a layer's tiles by the first one), so an index is
 * both the identity and the object. */
typedef struct {
    int origin_cn;                   /* the CN whose operand it is (the first tile for shared ones) */
    int mem_op;                      /* the origin CN's memory operand (STRM_I1..O) */
    uint64_t bits;
    int n_dims;
    int dim[STRM_MAX_DIMS];          /* loop dimension ids (the builder's numbering) */
    int64_t lo[STRM_MAX_DIMS], hi[STRM_MAX_DIMS];   /* ranges [lo, hi) */
    /* Constant operands: the layer's outer loops irrelevant to the operand
     * multiplied (§4, reuse factor); STRM_NO_PRIORITY for the others. */
    int base_priority;
} strm_tensor;

#define STRM_MAX_INTRA 4

typedef struct {
    int layer, sub_id, group, core;
    double runtime_cycles;           /* ZigZag latency_total2 */
    double onchip_pj, offchip_pj;    /* §1.3: the DRAM level's part is off-chip */
    bool too_large[STRM_NMEM];
    /* ZigZag's scaled off-chip bandwidth of a too-large operand in the
     * direction Stream blocks it: O wr_in_by_low, I1/I2 rd_out_to_low. */
    uint32_t block_bw_bits[STRM_NMEM];
    uint32_t inter_splits;           /* product of the layer's inter-core factors */
    bool final_output;               /* its output-irrelevant loops are complete */
    int tensor[STRM_NMEM];           /* its operand tensors (-1: none) */
    /* Constant operands (weights; the input of a layer fed by the network
     * input) in Stream's order (W before I), as memory operands. */
    int n_const;
    int const_op[2];
    /* Its ranges of the layer's intra-core tiling dims (§2.3 sub-tensors). */
    int n_intra;
    int intra_dim[STRM_MAX_INTRA];
    int64_t intra_lo[STRM_MAX_INTRA], intra_hi[STRM_MAX_INTRA];
} strm_cn;

/* A dependency. Stream's graph has at most one edge per ordered pair.
 * mem_op is the consumer's memory operand fed by it (an edge inside one
 * layer carries 0 bits and its mem_op is ignored). */
typedef struct {
    int src, dst;
    int mem_op;
    uint64_t bits;
} strm_edge;

typedef struct {
    int n_mems;
    strm_mem *mems;
    int n_cores;
    strm_core *cores;
    int offchip_core;                /* the DRAM core (memory only, §1.1) */
    int n_links;
    strm_link *links;
    strm_route *routes;              /* n_cores x n_cores, [from * n_cores + to] */
    int n_tensors;
    strm_tensor *tensors;
    int n_cns;
    strm_cn *cns;
    int n_edges;
    strm_edge *edges;
    int *order;                      /* n_cns CN indices, highest priority first (§1.4) */
} strm_graph;

/* Stream's nine energy terms, in its order (§5). */
typedef enum {
    STRM_E_CN_ONCHIP = 0,
    STRM_E_CN_OFFCHIP_LINK,
    STRM_E_CN_OFFCHIP_MEMORY,
    STRM_E_EVICTION_LINK,
    STRM_E_EVICTION_MEMORY,
    STRM_E_SINK_LINK,
    STRM_E_SINK_MEMORY,
    STRM_E_C2C_LINK,
    STRM_E_C2C_MEMORY,
    STRM_N_ENERGY
} strm_energy_term;

/* Stream's names: cn_onchip, cn_offchip_link, ... core_to_core_memory. */
const char *strm_energy_name(strm_energy_term t);

typedef enum { STRM_EV_TRANSFER = 0, STRM_EV_BLOCK } strm_event_type;
typedef enum {
    STRM_CAUSE_OFF_CHIP = 0, STRM_CAUSE_CORE_TO_CORE, STRM_CAUSE_EVICTION,
    STRM_CAUSE_SINK, STRM_CAUSE_NONE
} strm_cause;

/* One communication event as Stream lists them: a new transfer, or one
 * blocked operand of a too-large CN. Tensor indices at or above the
 * graph's n_tensors are sub-tensors the scheduler cut (§2.3). */
typedef struct {
    strm_event_type type;
    strm_cause cause;
    int tensor;
    int sender, receiver;            /* cores */
    double start, end;
    uint32_t activity_bits;          /* on the first link */
} strm_event;

/* A top memory instance at the end, as Stream's memory manager left it. */
typedef struct {
    uint64_t peak_bits;              /* the highest usage step */
    double first_peak_at;            /* its (first) time */
    int n_steps;                     /* steps of the usage function */
    int tensors_left;                /* still stored at the end */
} strm_mem_stats;

typedef struct {
    double latency_cycles;           /* max over CN ends and event ends */
    double energy_pj[STRM_N_ENERGY];
    double total_pj;
    int n_cns;
    double *start, *end;             /* per CN */
    int n_events;
    strm_event *events;
    int n_mems;
    strm_mem_stats *mems;            /* per graph memory */
} strm_result;

/* Schedules g as Stream does. 0, or -1 with a message (a malformed graph,
 * or a state in which Stream itself stops: memory overflow, nothing left
 * to evict, no candidate). out is filled on success, freed by
 * strm_result_free (also after a failure). */
int strm_schedule(const strm_graph *g, strm_result *out, base_error *err);
void strm_result_free(strm_result *r);

/* Frees every array of a graph whose arrays were allocated with
 * base_malloc (a builder's convenience); the struct itself is the caller's. */
void strm_graph_free(strm_graph *g);

#endif
