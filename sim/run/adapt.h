/* adapt.h -- from configuration structs to model parameters, one name per
 * value: each adapter starts from the model's own defaults and overrides
 * what the file gave, so a default lives only in the model, and the
 * model's check is the only range check (reported at the file position of
 * the value that failed it). `evsim check` and `evsim run` call the same
 * adapters, so a file check accepts exactly what a run accepts. */
#ifndef EVSIM_ADAPT_H
#define EVSIM_ADAPT_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "noc/noc.h"

/* The fewest terminals per router the chip's wiring needs: one for the
 * core at a router plus one per memory controller attached there. */
uint32_t run_noc_terminals_needed(const cfg_chip *chip);

/* The chip's NoC: noc_config_default(), then every key chip->noc gave,
 * terminals_per_router (at least the wiring's terminals_per_router) and
 * seed; checked by noc_config_check. 0, or -1 with err at the file
 * position of the offending key ("FILE:LINE:COL", "noc.KEY: expected ...,
 * found ..."). */
int run_adapt_noc(const cfg_chip *chip, uint32_t terminals_per_router, uint64_t seed,
                  noc_config *out, base_error *err);

#endif
