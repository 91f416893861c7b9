/* strm_cost.h -- the cost of one computation node (CN) as Stream's
 * scheduler takes it from ZigZag: the contract between the mapper side
 * (strm_cost.c: evsim's LOMA on the CN's core, with a DRAM level appended
 * for the operands that are "too large" for the core's top memory) and
 * Stream's scheduler (`scheduler: stream`), which uses these numbers
 * verbatim. ../shared/reference/stream/semantics.md §1.3 says where each
 * number comes from in Stream; the field names are ZigZag's, so that a
 * cost can be compared line by line with a `cost_lut` entry of Stream's
 * results.
 *
 * Operands are Stream's memory operands: I1 (the layer's input, or the
 * first input of an element-wise op), I2 (weights, or the second input),
 * O (the output). Off-chip bandwidth directions are ZigZag's four data
 * movement directions at the DRAM level. */
#ifndef EVSIM_STRM_COST_H
#define EVSIM_STRM_COST_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "loma/loma.h"

typedef enum { STRM_OP_I1 = 0, STRM_OP_I2, STRM_OP_O, STRM_N_OPS } strm_op;

typedef enum {
    STRM_RD_OUT_TO_LOW = 0,  /* the DRAM level read towards the MACs */
    STRM_WR_IN_BY_LOW,       /* written from below (outputs going off-chip) */
    STRM_RD_OUT_TO_HIGH,
    STRM_WR_IN_BY_HIGH,
    STRM_N_DIRS
} strm_dir;

typedef struct {
    /* Latencies in core cycles, fractional values kept (Stream keeps
     * latency_total2 as a float: runtimes can end in .5). */
    double latency_total0, latency_total1, latency_total2;
    double ideal_cycle, ideal_temporal_cycle;
    double onloading_cycle, offloading_cycle;
    /* Energies in pJ. energy_total includes the DRAM level; offchip_pj[op]
     * is that level's part for a too-large operand (0 otherwise), so the
     * CN's on-chip energy is energy_total - sum(offchip_pj). */
    double energy_total, mac_energy;
    double offchip_pj[STRM_N_OPS];
    /* ZigZag's instantaneous DRAM bandwidth per too-large operand and
     * direction, scaled by ideal_temporal_cycle / latency_total2 and
     * rounded up (bits per cycle), as Stream reserves it on the links. */
    uint32_t offchip_bw[STRM_N_OPS][STRM_N_DIRS];
    bool too_large[STRM_N_OPS];
    double mac_spatial_utilization;
    /* The chosen mapping, for the report (truncated). */
    char spatial[256];
    char temporal[768];
} strm_cost;

/* The cost of a CN of `layer` whose loop sizes are `tile` (one per
 * layer->dims entry) on the chip's core `core` (index into chip->cores),
 * with the operands flagged in too_large moved to the chip's off-chip
 * core (its top memory appended as the last level for them). Mapped with
 * the options in opt; results are kept in cache (NULL: none). 0, or -1
 * with a message naming the layer and core. */
int strm_cost_eval(const cfg_chip *chip, int core, const cfg_layer *layer,
                   const cfg_mapping *mapping, const uint64_t *tile,
                   const bool too_large[STRM_N_OPS], const loma_options *opt,
                   loma_cache *cache, strm_cost *out, base_error *err);

#endif
