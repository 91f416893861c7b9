/* strm_energy.c -- Stream's energy terms (semantics.md §5,
 * StreamCostModelEvaluation.evaluate and Accelerator.
 * get_memory_energy_cost_of_transfer). */
#include <math.h>

#include "run/strm_int.h"

static const char *const energy_names[STRM_N_ENERGY] = {
    "cn_onchip", "cn_offchip_link", "cn_offchip_memory",
    "eviction_to_offchip_link", "eviction_to_offchip_memory",
    "sink_layer_output_offchip_link", "sink_layer_output_offchip_memory",
    "core_to_core_link", "core_to_core_memory",
};

const char *strm_energy_name(strm_energy_term t)
{
    return (unsigned)t < STRM_N_ENERGY ? energy_names[t] : "?";
}

/* One side of a transfer: ceil(bits / bw_min) accesses of bw_min bits,
 * each a bw_min/bw_max share of a port-0 word access. */
static double side_pj(const strm_mem *m, uint64_t bits, double cost)
{
    return cost * (m->bw_min_bits / m->bw_max_bits) * ceil((double)bits / m->bw_min_bits);
}

/* The sender reads from the top memory of the tensor's own operand, the
 * receiver writes into the one of the operand it receives it as. Charged
 * for every transfer, de-duplicated broadcasts included (§3). */
double strm_transfer_mem_pj(const strm_state *s, int tensor, int send_core, int recv_core,
                            int recv_op)
{
    const strm_graph *g = s->g;
    const strm_mem *ms = &g->mems[g->cores[send_core].top_mem[s->t[tensor].mem_op]];
    const strm_mem *mr = &g->mems[g->cores[recv_core].top_mem[recv_op]];
    uint64_t bits = s->t[tensor].bits;
    return side_pj(ms, bits, ms->r_cost_pj) + side_pj(mr, bits, mr->w_cost_pj);
}

void strm_energy_fill(const strm_state *s, strm_result *out)
{
    double *e = out->energy_pj;
    e[STRM_E_CN_ONCHIP] = s->onchip_pj;
    e[STRM_E_CN_OFFCHIP_LINK] = s->link_pj[STRM_CAUSE_OFF_CHIP];
    e[STRM_E_CN_OFFCHIP_MEMORY] = s->mem_pj[STRM_CAUSE_OFF_CHIP];
    e[STRM_E_EVICTION_LINK] = s->link_pj[STRM_CAUSE_EVICTION];
    e[STRM_E_EVICTION_MEMORY] = s->mem_pj[STRM_CAUSE_EVICTION];
    e[STRM_E_SINK_LINK] = s->link_pj[STRM_CAUSE_SINK];
    e[STRM_E_SINK_MEMORY] = s->mem_pj[STRM_CAUSE_SINK];
    e[STRM_E_C2C_LINK] = s->link_pj[STRM_CAUSE_CORE_TO_CORE];
    e[STRM_E_C2C_MEMORY] = s->mem_pj[STRM_CAUSE_CORE_TO_CORE];
    out->total_pj = 0;
    for (int i = 0; i < STRM_N_ENERGY; i++)
        out->total_pj += e[i];
}
