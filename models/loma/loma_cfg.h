/* loma_cfg.h -- the adapter from the config loader's structs (config.h) to
 * the mapper's own inputs (loma.h). Only this adapter knows both. */
#ifndef EVSIM_LOMA_CFG_H
#define EVSIM_LOMA_CFG_H

#include "config/config.h"
#include "loma/loma.h"

/* Fills lc, ll and ls for mapping `layer` on `core` with the mapping entry
 * `me` (memory_operand_links and spatial_mapping). Returns 0, or -1 with a
 * message naming the layer (and operand / memory) at fault. */
int loma_from_cfg(const cfg_core *core, const cfg_layer *layer, const cfg_map_entry *me,
                  loma_core *lc, loma_layer *ll, loma_spatial *ls, base_error *err);

/* The mapping entry's temporal_ordering as a loma_order: 1 when it is a
 * complete order (to cost as is), 0 when there is none or it has `*`
 * wildcard loops (evsim then searches), -1 when it names an unknown dim. */
int loma_order_from_cfg(const cfg_layer *layer, const cfg_map_entry *me, loma_order *out,
                        base_error *err);

#endif
