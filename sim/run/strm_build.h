/* strm_build.h -- from evsim's loaded inputs to the graph Stream's
 * scheduler reads (strm.h): the hardware half from a chip in Stream's form
 * (a Stream accelerator file: cores, off-chip core, links and buses), the
 * CN half from the Stream CN table (strm_plan.h). */
#ifndef EVSIM_STRM_BUILD_H
#define EVSIM_STRM_BUILD_H

#include "base/base.h"
#include "config/config.h"
#include "run/strm.h"
#include "run/strm_plan.h"

/* Fills g's memories, cores, off-chip core, links and routes from chip
 * (graph core i = chip->cores[i]). Each core's top memory per operand is
 * one instance (a core whose operands share one SRAM has one); a `link`
 * entry is two directed links, a `bus` one link object for every ordered
 * pair of its cores, a later entry replacing an earlier one for a pair
 * (§1.1); a pair with no entry is routed over the first shortest path of
 * the directed graph, neighbours in the order their entries came. 0, or
 * -1 (a core without a top memory for an operand, no off-chip core, out
 * of memory). */
int strm_hw_from_chip(const cfg_chip *chip, strm_graph *g, base_error *err);

/* The whole graph: CNs (graph CN i = table CN i), tensors, edges and the
 * priority order from the table p of workload wl with mapping map, then
 * the hardware from chip. Flexible CNs take the core the table holds
 * (strm_plan_assign); a CN without any core is refused. 0, or -1 with g
 * freed. */
int strm_graph_build(const strm_plan *p, const cfg_chip *chip, const cfg_workload *wl,
                     const cfg_mapping *map, strm_graph *g, base_error *err);

/* After strm_plan_assign: the flexible CNs of g (built from p) take their
 * new cores and costs; tensors, edges, order and hardware do not depend
 * on the allocation, so a search rebuilds nothing else. */
void strm_graph_assign(const strm_plan *p, strm_graph *g);

#endif
