/* strm_plan.h -- Stream's computation nodes (CNs) built from evsim's own
 * inputs: the list Stream's scheduler works on (semantics.md §1.2-§1.4 in
 * ../shared/reference/stream), with every number it needs per CN.
 *
 * Tiling (Stream's tiling_generation.py): outer loops are the mapping's
 * inter-core tiling (default: the first of G, H, K with size > 1, factor
 * 1), then its intra-core tiling, which a layer alone in its stack (every
 * layer of lbl) does not get. A CN's sub_id enumerates these loops, the
 * first fastest; its group is its inter-core index and its core
 * core_allocation[group] when the allocation has exactly one core per
 * group (else the CN is "flexible": a search picks the core).
 *
 * Edges: consecutive CNs of one (layer, group) are chained (0 bits, so
 * they run in sub_id order); a CN depends on each producer CN whose
 * output range overlaps the range it reads, counting only producer CNs
 * whose output-irrelevant loops are complete (final outputs).
 *
 * Costs: strm_cost_eval (strm_cost.h) with the CN's too-large operands
 * (§1.3: all of them for a layer alone in its stack; else, per top
 * memory the CN's operands overflow, the smallest that fit stay).
 * Priority: Stream's static scheduling order (§1.4). */
#ifndef EVSIM_STRM_PLAN_H
#define EVSIM_STRM_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "loma/loma.h"
#include "run/strm_cost.h"

#define STRM_PLAN_FLEXIBLE (-1) /* strm_plan_cn.core: not fixed */

/* The layer stacks: n_stacks stacks, stack_of[i] the stack (0..) of layer
 * id layer_id[i]; a layer not listed is alone in a stack of its own,
 * placed in workload order. fused false: every layer alone (lbl). The
 * fields of cfg_scenario (fused, n_stacks, stack_layer_id, stack_of). */
typedef struct {
    bool fused;
    int n_ids;
    const int64_t *layer_id;
    const int *stack_of;
} strm_plan_stacks;

typedef struct {
    int64_t layer_id;
    uint32_t layer;          /* index into the workload's layers */
    uint32_t sub_id, group;
    int core;                /* index into chip->cores, or STRM_PLAN_FLEXIBLE */
    uint32_t stack;          /* 0.. in stack order */
    /* Loop ranges [lo, hi) per loop dim of the layer (layer->dims order). */
    int64_t lo[CFG_MAX_LOOP_DIMS], hi[CFG_MAX_LOOP_DIMS];
    double runtime;          /* latency_total2, cycles (not truncated) */
    double onchip_pj, offchip_pj;
    bool too_large[STRM_N_OPS];
    uint32_t offchip_bw[STRM_N_OPS][STRM_N_DIRS]; /* bits/cycle, scaled */
    uint64_t op_bits[STRM_N_OPS]; /* the CN's I1, I2, O tensors */
    bool complete;           /* its output is final (feeds consumers) */
    uint32_t priority;       /* index in the scheduling order, 0 first */
    uint32_t n_preds;        /* data edges into it (not chain edges) */
    int gene;                /* its gene (flexible CNs), else -1 */
    uint32_t first_alt;      /* flexible: its costs per allowed core start here */
    uint32_t cost;           /* its entry of the plan's costs (on its core) */
} strm_plan_cn;

/* One unique cost: a strm_cost_eval result for a (layer, core, CN shape,
 * too-large set), shared by every CN of that key (a layer's hundreds of
 * CNs come in a few shapes), so the mapping text is kept once. */
typedef struct {
    int64_t layer_id;
    uint32_t layer;          /* workload index */
    int core;                /* chip core index */
    uint64_t tile[CFG_MAX_LOOP_DIMS]; /* loop sizes, layer->dims order */
    bool too_large[STRM_N_OPS];
    double runtime;          /* latency_total2 */
    double ideal_cycle;
    double onchip_pj, offchip_pj;
    uint32_t offchip_bw[STRM_N_OPS][STRM_N_DIRS];
    char spatial[256];       /* strm_cost's spatial and temporal mapping */
    char temporal[768];
} strm_plan_cost;

/* A flexible CN's cost on one allowed core (Stream's cost LUT has one per
 * core of core_allocation): what strm_plan_assign copies into the CN. */
typedef struct {
    int core;
    uint32_t cost;           /* its entry of the plan's costs */
    double runtime, onchip_pj, offchip_pj;
    bool too_large[STRM_N_OPS];
    uint32_t offchip_bw[STRM_N_OPS][STRM_N_DIRS];
} strm_plan_alt;

/* One gene of the allocation search: a flexible (layer, group), as in
 * Stream's GA (one core per layer group, chosen among the layer's
 * core_allocation; two groups may pick the same core). */
typedef struct {
    uint32_t layer;          /* workload index */
    int64_t layer_id;
    uint32_t group;
    uint32_t n_cores;
    int *cores;              /* allowed chip cores, in core_allocation order */
    /* The round-robin choice (an index into cores): Stream's examples give
     * the k-th layer that may run on these cores core k mod n, so the
     * start counts the earlier layers whose cores all lie in this set,
     * plus the group. */
    uint32_t start;
} strm_plan_gene;

typedef enum { STRM_EDGE_CHAIN = 0, STRM_EDGE_DATA } strm_edge_kind;

typedef struct {
    uint32_t src, dst;       /* CN indices */
    uint64_t bits;           /* data carried (0 for a chain edge) */
    strm_edge_kind kind;
} strm_plan_edge;

typedef struct {
    /* The capacity of the core's top memory holding each operand (0:
     * none), bits. */
    uint64_t top_bits[STRM_N_OPS];
} strm_plan_core;

typedef struct {
    uint32_t n_cns;
    strm_plan_cn *cns;       /* by layer (workload order), then sub_id */
    uint32_t n_edges, n_chain_edges;
    strm_plan_edge *edges;   /* chain edges of a layer, then its data edges */
    uint32_t *order;         /* n_cns CN indices, highest priority first */
    uint32_t n_cores;
    strm_plan_core *cores;   /* per chip core */
    uint32_t n_flexible;     /* CNs whose core a search must pick */
    uint32_t n_cost_evals;   /* strm_cost_eval calls (unique CN shapes) */
    uint32_t n_costs;        /* == n_cost_evals */
    strm_plan_cost *costs;   /* in the order first needed */
    uint32_t n_genes;        /* flexible (layer, group)s, by layer then group */
    strm_plan_gene *genes;
    uint32_t n_alts;
    strm_plan_alt *alts;     /* per flexible CN, one per allowed core */
} strm_plan;

/* Stream's CNs of workload wl on chip with mapping map and the layer
 * stacks st, costed with options opt (criterion set by strm_cost) through
 * cache (NULL: none). A flexible CN is costed on every allowed core and
 * starts on the round-robin one (strm_plan_assign with every gene's
 * start). NULL with a message naming the layer on failure. */
strm_plan *strm_plan_build(const cfg_chip *chip, const cfg_workload *wl,
                           const cfg_mapping *map, const strm_plan_stacks *st,
                           const loma_options *opt, loma_cache *cache, base_error *err);
void strm_plan_free(strm_plan *p);

/* How many layers of wl leave their cores to the search under map (their
 * core_allocation lists more chip cores than their inter-core split), and
 * into n_genes their (layer, group)s: what a plan would make genes of. */
uint32_t strm_plan_flexible_layers(const cfg_chip *chip, const cfg_workload *wl,
                                   const cfg_mapping *map, uint32_t *n_genes);

/* Puts every flexible CN on the core its gene chooses (choice[g] indexes
 * genes[g].cores), with that core's cost; the rest of the table stays. */
void strm_plan_assign(strm_plan *p, const uint32_t *choice);

/* The range [lo, hi) a CN reaches of the layer's index idx (a loop dim,
 * or a relation's left side such as IY, unpadded so it may start below
 * 0), and the layer operand each memory operand holds (-1: none), as the
 * plan used them. */
void strm_plan_index_range(const cfg_layer *l, const strm_plan_cn *cn, const char *idx,
                           int64_t *lo, int64_t *hi);
void strm_plan_mem_links(const cfg_layer *l, const cfg_mapping *map, int lop[STRM_N_OPS]);

#endif
