/* plan.h -- from a loaded scenario to the work the chip simulation runs:
 * each layer cut into computation nodes (CNs) by the mapping's
 * inter-core tiling (parts on different cores) and intra-core tiling
 * (tiles run one after another on a core), each CN costed by the LOMA
 * mapper through the cost cache (one search per unique CN shape and core
 * type), and the data each layer needs from others or from off-chip.
 *
 * Each layer's weights live in a chip memory (place_weights: the
 * mapping's weights_in, else first fit in the chip's list) unless the
 * core holds them from the start; see chip_mem.c for how they move.
 *
 * Dependencies are computed from loop ranges: each CN has the box of the
 * producer's output it writes (plan_cn.out) and, per producer operand,
 * the box of the producer's output it reads (its loop ranges through the
 * dimension relations, with stride and padding); a CN depends on exactly
 * the producer CNs whose boxes overlap its own (plan_dep). How the run
 * uses them (layer by layer or fused, per layer stack): chip_flow.c. */
#ifndef EVSIM_PLAN_H
#define EVSIM_PLAN_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "loma/loma.h"

#define PLAN_MAX_PRODUCERS 4
#define PLAN_MAX_CNS_PER_LAYER 1000000
#define PLAN_NO_MEM UINT32_MAX
#define PLAN_MAX_WARNINGS 32 /* a layer's weights live nowhere off-chip */
#define PLAN_MAX_BOX 8       /* indices of a tensor (CFG_MAX_INDICES) */

/* A box of a producer layer's output tensor: [lo, hi) per index of its
 * output operand, in the order the equation lists them. n 0: empty. */
typedef struct {
    uint32_t lo[PLAN_MAX_BOX], hi[PLAN_MAX_BOX];
    uint8_t n;
} plan_box;

/* The elements in both a and b (0 if either is empty), and that box. */
uint64_t plan_box_meet(const plan_box *a, const plan_box *b, plan_box *out);
/* The smallest box holding a and b, into a. */
void plan_box_join(plan_box *a, const plan_box *b);

/* One input of a CN: producer CN src_cn writes `bits` of what dst_cn reads
 * through its producer slot `slot` (plan_layer.producers[slot]). */
typedef struct {
    uint32_t src_cn, dst_cn;
    uint64_t bits;
    uint8_t slot;
} plan_dep;

typedef struct {
    uint32_t layer;        /* index into plan.layers */
    uint32_t part;         /* index into the layer's parts */
    uint32_t tile;         /* 0.. within the part */
    uint64_t macs;
    double cycles;         /* the mapper's latency (core cycles) */
    uint64_t dur_ps;
    double energy_pj;      /* the core's share: MACs and on-core memories */
    double top_pj;         /* the mapper's energy at an off-chip top level,
                              which the chip run models itself (see
                              plan_layer.top_offchip); else 0 */
    double top_w_pj;       /* ... of which for the weights */
    double w_top_bits;     /* the mapper's weight reads from that top level */
    double fill_pj[LOMA_N_OPS]; /* what the chip moves in and out of the
                              core, at the on-core memory it lands in
                              (plan_fit_fills); in energy_pj */
    int8_t fill_mem[LOMA_N_OPS]; /* that memory (index into the layer's
                              core), -1: none */
    const loma_result *cost; /* owned by the plan's cache */
    plan_box out;          /* the part of its layer's output it writes */
    bool complete;         /* its output is final: the last of its part's
                              tiles along every cut reduction dim (only
                              such CNs feed consumers) */
    uint32_t first_dep, n_deps; /* its inputs: plan.deps[first_dep..] */
} plan_cn;

typedef struct {
    uint32_t core;         /* index into the chip's cores */
    uint32_t first_cn, n_cns;
    uint64_t out_bits;     /* this part's share of the layer output */
    /* Its weights: loaded whole from plan_layer.w_mem into the core before
     * its first CN when they fit the core (w_bits <= w_cap_bits), else
     * streamed during its CNs (w_streamed: the mapper's top-level weight
     * reads, w_stream_bits, come from w_mem while they run). */
    uint64_t w_bits;
    bool w_streamed;
    uint64_t w_stream_bits;
    /* Its activations (inputs and output; a cut of a window dim is not
     * counted, so an upper bound): when more than plan_layer.act_cap_bits
     * they would spill to off-chip memory, which the run does not model. */
    uint64_t act_bits;
    /* What of them exceeds act_cap_bits: written to a chip memory and read
     * back during the part (chip_mem.c), when the chip has one; else 0. */
    uint64_t spill_bits;
    plan_box out;          /* the output box its CNs write */
    plan_box need[PLAN_MAX_PRODUCERS]; /* per producer slot: the smallest box
                              holding what its CNs read of that producer */
    plan_box in;           /* the smallest box holding what its CNs read of
                              the network input (plan_layer.in_op) */
} plan_part;

/* One read of a layer's network input from off-chip memory: `bits` for
 * the n cores (indices into the chip's cores) that all need exactly that
 * region (multicast when n > 1). */
typedef struct {
    uint64_t bits;
    uint32_t n;
    uint32_t *cores;       /* owned */
} plan_in_read;

typedef struct {
    const cfg_layer *cfg;
    loma_layer whole;      /* the mapper's view of the whole layer */
    loma_core core;        /* ... and of its core type (with its links) */
    /* The core description's top memory holds every operand and the chip
     * has off-chip memories: that top level stands for them. The chip run
     * moves data to and from them over the NoC itself, so the mapper's
     * energy at that level is kept apart (plan_cn.top_pj) rather than
     * counted twice. */
    bool top_is_offchip;   /* some operand's top level is off-chip */
    bool top_offchip[LOMA_N_OPS]; /* per operand: its top is the core's last
                              level, at least as large as one of the chip's
                              memories (so not on the core) */
    int w_op;              /* the weights' operand (loma numbering), -1: none */
    uint64_t w_bits;       /* the whole layer's weights */
    uint64_t w_cap_bits;   /* what one core of its type holds of weights:
                              its highest on-core level holding them */
    uint64_t act_cap_bits; /* the highest on-core level holding activations */
    uint32_t w_mem;        /* the chip memory the weights live in, or
                              PLAN_NO_MEM (on-core, preloaded) */
    uint32_t n_parts;
    plan_part *parts;
    char split_dim[64];    /* inter-core cut dims ("K"), "" if none */
    char tile_dim[64];     /* intra-core cut dims ("OY" or "OY,OX"), "" if none */
    uint64_t macs;
    uint64_t out_bits;     /* whole output at O_final precision */
    uint64_t offchip_in_bits; /* input read from off-chip (network input) */
    int in_op;             /* the network input's operand (1..) when it is
                              the only one (its parts' boxes: plan_part.in);
                              0: none; -1: several, each core reads all */
    uint64_t in_prec;      /* its precision, bits */
    /* How it is read (plan_input.c): every element once, multicast to the
     * cores whose parts read it; n_in_reads 0 when there is none. */
    uint32_t n_in_reads;
    plan_in_read *in_reads;
    loma_notes notes;      /* what the mapper noted, over the layer's CNs */
    uint32_t n_producers;
    uint32_t producers[PLAN_MAX_PRODUCERS]; /* layer indices */
    uint32_t n_consumers;  /* layers that read this one's output */
    bool mapped[PLAN_MAX_PRODUCERS]; /* per slot: the operand's indices map
                              one to one onto the producer's output (else a
                              CN reads all of it, e.g. a flatten) */
    uint32_t first_cn, n_cns;
    /* The cuts as loop dims (index into cfg->dims) and piece counts, the
     * last varying fastest: parts by split, tiles within a part by tile. */
    int n_split, split_d[CFG_MAX_TILING], n_tile, tile_d[CFG_MAX_TILING];
    uint64_t split_n[CFG_MAX_TILING], tile_n[CFG_MAX_TILING];
    uint32_t stack;        /* its layer stack (fused mode), 0.. in order */
} plan_layer;

typedef struct {
    uint32_t n_layers;
    plan_layer *layers;    /* workload order, which is a topological order */
    uint32_t n_cns, cap_cns;
    plan_cn *cns;
    uint32_t n_deps, cap_deps;
    plan_dep *deps;        /* grouped by dst_cn, in CN order */
    bool fused;            /* mode: fused (else layer by layer) */
    uint32_t n_stacks;
    bool auto_stacks;      /* stacks chosen by weight capacity */
    loma_cache *cache;     /* the caller's, or the plan's own */
    int owns_cache;
    uint32_t unique_cns;   /* mapper searches run (cache misses) */
    double mapper_wall_s;
    /* What the scenario does that is allowed but likely not meant (a
     * tiling that does not divide its dim, a core's memories listed
     * top-down), one line each, for the caller. */
    uint32_t n_warnings;
    char warnings[PLAN_MAX_WARNINGS][256];
    bool warning_is_note[PLAN_MAX_WARNINGS]; /* the uneven tiling: a note */
} plan;

/* Builds the plan for the scenario's chip, workload and mapping, costing
 * CNs through `cache` (the caller's, e.g. loaded from a file, which then
 * gains the new results; NULL: a cache of the plan's own). Returns NULL
 * with a message naming the layer (and what is wrong) on failure. */
plan *plan_build(const cfg_scenario *s, const loma_options *opt, loma_cache *cache,
                 base_error *err);
void plan_free(plan *p);
/* plan_deps.c: every CN's boxes and inputs, the parts' boxes, the layer
 * stacks (the scenario's, else by weight capacity). 0, or -1 (out of
 * memory, or a box wider than PLAN_MAX_BOX). */
int plan_deps_build(plan *p, const cfg_scenario *s, base_error *err);

/* plan_fit.c: which operands of a CN of shape `shape` stay on the core's
 * off-chip top level (offchip[op]): those too large for the core
 * (weights: when w_streamed; the rest: per memory, after resident_w_bits
 * of weights, the smallest that fit stay on the core). True when that
 * differs from pl->top_offchip, i.e. the CN is costed on another core:
 * plan_fit_core fills *out with pl->core less that level for the
 * operands that fit (the level itself gone when none is left on it). */
bool plan_fit_offchip(const plan_layer *pl, const loma_layer *shape, uint64_t resident_w_bits,
                      bool w_streamed, bool offchip[LOMA_N_OPS]);
void plan_fit_core(const plan_layer *pl, const bool offchip[LOMA_N_OPS], loma_core *out);
/* The energy of moving what the chip brings into the core through the
 * memory it lands in, which the mapper does not charge once that memory
 * is the operand's top (an operand off the off-chip level by
 * plan_fit_core): inputs written in, the output read out, per CN; the
 * part's weights written once, on its first tile. Sets cn->fill_pj and
 * cn->fill_mem (-1: none). */
void plan_fit_fills(const plan_layer *pl, const loma_layer *shape, const bool offchip[LOMA_N_OPS],
                    uint64_t part_w_bits, bool first_tile, plan_cn *cn);

/* plan_input.c: each layer's network input cut into reads by the set of
 * cores that need each region (plan_layer.in_reads). 0, or -1 (out of
 * memory). */
int plan_input_build(plan *p, base_error *err);

/* The temporal loop order of a CN, per operand from the innermost memory
 * level up: "O: rf[FX 5 FY 5] sram[OX 28]; W: ...". Truncated to len. */
void plan_loop_order(const plan *p, const plan_cn *cn, char *buf, size_t len);
/* Its spatial unrolling as the mapper used it: "D1 K 8" ("none"). */
void plan_spatial(const plan *p, const plan_cn *cn, char *buf, size_t len);

#endif
