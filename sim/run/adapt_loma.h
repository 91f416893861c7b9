/* adapt_loma.h -- the adapter from the config loader's structs (config.h)
 * to the mapper's own inputs (loma.h). Only this adapter knows both; the
 * mapper includes no config. */
#ifndef EVSIM_ADAPT_LOMA_H
#define EVSIM_ADAPT_LOMA_H

#include "config/config.h"
#include "loma/loma.h"

/* Fills lc, ll and ls for mapping `layer` on `core` with the mapping entry
 * `me` (memory_operand_links and spatial_mapping). Returns 0, or -1 with a
 * message naming the layer (and operand / memory) at fault. */
int adapt_loma(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
               loma_core *lc, loma_layer *ll, loma_spatial *ls, base_error *err);

/* The mapping entry's temporal_ordering as a loma_order: 1 when it is a
 * complete order (to cost as is), 0 when there is none or it has `*`
 * wildcard loops (out->n is then 0 and evsim searches), -1 on an error. */
int adapt_loma_order(const cfg_layer *layer, const cfg_map_entry *me, loma_order *out,
                     base_error *err);

/* Both, for mapping `layer` with entry `me` on `core`: the job's inputs
 * (what loma_cost takes, minus the CN shape's cut and the options). */
typedef struct {
    loma_core core;
    loma_layer whole;       /* the whole layer */
    loma_spatial sp;
    loma_order order;       /* n == 0: none or partial */
    bool order_partial;     /* the mapping gave one with `*` loops */
    int core_id;            /* loma_core_id(&core) */
} adapt_loma_in;

int adapt_loma_all(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
                   adapt_loma_in *in, base_error *err);
/* A job for shape (the whole layer or a CN cut from it) with in's rest. */
loma_job adapt_loma_job(const adapt_loma_in *in, const loma_layer *shape,
                        const loma_options *opt);

#endif
