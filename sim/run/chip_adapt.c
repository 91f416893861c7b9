/* chip_adapt.c -- the chip's model list builders: each reads the config
 * once, before the run, and fills one model's parameter struct (one name
 * per value), then creates the model and appends it to the chip. */
#include <stdio.h>

#include "base/base.h"
#include "run/adapt.h"
#include "run/chip_int.h"

static uint32_t router_at(const cfg_chip *chip, int x, int y)
{
    return (uint32_t)y * (uint32_t)chip->noc.mesh_w + (uint32_t)x;
}

/* The i-th memory at its router (1 for the first): the core there takes
 * terminal 0, each memory controller attached there the next one. */
static uint32_t mem_slot(const cfg_chip *chip, int i)
{
    uint32_t here = 0;
    for (int j = 0; j <= i; j++)
        here += chip->memories[j].x == chip->memories[i].x &&
                chip->memories[j].y == chip->memories[i].y;
    return here;
}

/* Terminals per router and every core's and memory's terminal; the packet
 * sizes. Packets of a stream to several cores are multicast, and the NoC
 * takes multicast packets no longer than one VC buffer (longer ones can
 * deadlock the replication tree): such streams use shorter packets. */
int chip_layout(chip *c, const cfg_scenario *s)
{
    const cfg_chip *chip = s->chip;
    if (run_adapt_noc(chip, run_noc_terminals_needed(chip), s->seed, &c->noc_cfg, c->err)) {
        c->failed = 1;
        return -1;
    }
    c->tpr = c->noc_cfg.terminals_per_router;
    c->core_term = base_calloc(c->n_cores + 1, sizeof *c->core_term);
    c->mem_term = base_calloc((size_t)chip->n_memories + 1, sizeof *c->mem_term);
    if (!c->core_term || !c->mem_term)
        return -1;
    for (uint32_t i = 0; i < c->n_cores; i++)
        c->core_term[i] = router_at(chip, chip->cores[i].x, chip->cores[i].y) * c->tpr;
    for (int i = 0; i < chip->n_memories; i++)
        c->mem_term[i] = router_at(chip, chip->memories[i].x, chip->memories[i].y) * c->tpr +
                         mem_slot(chip, i);
    uint32_t flits = CHIP_PACKET_FLITS;
    c->pkt_bits_uni = flits * c->noc_cfg.flit_width_bits;
    if (noc_max_multicast_flits(&c->noc_cfg) < flits)
        flits = noc_max_multicast_flits(&c->noc_cfg);
    c->pkt_bits_multi = flits * c->noc_cfg.flit_width_bits;
    return 0;
}

int chip_add_cores(chip *c, const cfg_scenario *s)
{
    const cfg_chip *chip = s->chip;
    if (!(c->cores = base_calloc(c->n_cores + 1, sizeof *c->cores)))
        return -1;
    for (uint32_t i = 0; i < c->n_cores; i++) {
        const cfg_core_inst *ci = &chip->cores[i];
        core_params cp = {.id = i,
                          .cb = {chip_cn_started, chip_cn_finished, c, chip_model_failed}};
        snprintf(cp.name, sizeof cp.name, "core %lld", (long long)ci->id);
        snprintf(cp.track_name, sizeof cp.track_name, "core %lld (%d,%d) %s",
                 (long long)ci->id, ci->x, ci->y, chip->types[ci->type].name);
        core_model *m = core_new(c->k, &cp);
        if (!m || chip_add_model(c, &core_model_ops, m) != 0)
            return -1;
        c->cores[i] = m;
    }
    return 0;
}

static void mem_params_of(const cfg_offchip *o, mem_params *mp)
{
    snprintf(mp->name, sizeof mp->name, "%s", o->name);
    mp->size_bits = o->size_bits;
    mp->bandwidth_gbps = o->bandwidth_gbps;
    mp->latency_ps = base_ns_to_ps(o->latency_ns);
    mp->read_pj_per_bit = o->read_energy_pj_per_bit;
    mp->write_pj_per_bit = o->write_energy_pj_per_bit;
    mp->static_mw = o->static_power_mw;
}

int chip_add_memories(chip *c, const cfg_scenario *s)
{
    const cfg_chip *chip = s->chip;
    if (!(c->mems = base_calloc(c->n_mems + 1, sizeof *c->mems)))
        return -1;
    for (uint32_t i = 0; i < c->n_mems; i++) {
        mem_params mp = {.cb = {chip_mem_released, chip_model_failed, c}};
        mem_params_of(&chip->memories[i], &mp);
        /* A controller cannot send faster than its NoC terminal takes
         * flits (one per NoC cycle): it serves at the lower of the two
         * rates, so its port time is what the transfer really takes and
         * the NoC's source queue does not fill with packets it cannot
         * inject yet. */
        double port_gbps = (double)c->noc_cfg.flit_width_bits * c->noc_cfg.clock_ghz;
        if (port_gbps > 0 && port_gbps < mp.bandwidth_gbps)
            mp.bandwidth_gbps = port_gbps;
        int holds_weights = 0;
        for (uint32_t l = 0; l < c->p->n_layers; l++)
            holds_weights |= c->p->layers[l].w_mem == i;
        mp.traced = c->w && (i == c->in_mem || i == c->out_mem || holds_weights);
        base_error e;
        mem_model *m = mem_new(c->k, &mp, &e);
        if (!m) {
            chip_fail(c, "%s", e.msg);
            return -1;
        }
        if (chip_add_model(c, &mem_model_ops, m) != 0)
            return -1;
        c->mems[i] = m;
    }
    return 0;
}

int chip_add_noc(chip *c, const cfg_scenario *s)
{
    (void)s;
    base_error ne;
    noc_model *m = noc_model_new(c->k, &c->noc_cfg, &ne);
    if (!m) {
        chip_fail(c, "NoC: %s", ne.msg);
        return -1;
    }
    if (chip_add_model(c, &noc_model_ops, m) != 0)
        return -1;
    c->nm = m;
    c->net = noc_model_net(m);
    noc_set_sink(c->net, chip_on_delivery, c);
    c->res->noc_cycle_ps = noc_cycle_ps(c->net);
    return 0;
}
