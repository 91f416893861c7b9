/* cfg_stream_place.c -- a chip read from a Stream accelerator file,
 * placed on evsim's mesh NoC so that evsim's own scheduler can run it
 * (README.md "Stream accelerator files"). Stream has links and buses and
 * no mesh; the placement is a fixed rule, not a search:
 *   - the compute cores, in id order, row by row on the smallest near-
 *     square mesh (width ceil(sqrt(n)), height ceil(n / width));
 *   - the off-chip memory core becomes the chip's one memory (DRAM), its
 *     controller on core 0's router: size, bandwidth (its widest port x
 *     the clock), latency and per-bit energies from its top memory;
 *   - that memory is also put on top of every compute core's hierarchy,
 *     shared by all its PEs, as Stream adds the off-chip memory to a core
 *     for the operands that do not fit it; evsim's run then takes the top
 *     level as standing for the chip's DRAM (plan.c: offchip_levels) and
 *     moves that traffic itself;
 *   - the NoC's flit is the widest connection's bandwidth in bits, its
 *     wire energy that connection's unit_energy_cost, no router energy
 *     (Stream charges none), clocked with the cores. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_yaml.h"

/* The widest connection (the first of equal ones). */
static const cfg_conn *widest(const cfg_chip *c)
{
    const cfg_conn *w = NULL;
    for (int i = 0; i < c->n_conns; i++)
        if (!w || c->conns[i].bandwidth > w->bandwidth)
            w = &c->conns[i];
    return w;
}

/* The off-chip core's top memory as a DRAM controller. */
static int place_memory(const cfg_chip *s, cfg_chip *p, base_errors *err)
{
    int oi = cfg_chip_find_core(s, s->offchip_core_id);
    const cfg_core *core = oi >= 0 ? &s->types[s->cores[oi].type].core : NULL;
    if (!core || core->n_mems == 0) {
        cfg_err_file(err, s->file, "offchip core %lld has no memory to place",
                     (long long)s->offchip_core_id);
        return -1;
    }
    const cfg_memory *m = &core->mems[core->n_mems - 1];
    uint64_t word = 0;
    for (int k = 0; k < m->n_ports; k++)
        if (m->ports[k].bw_max_bits > word)
            word = m->ports[k].bw_max_bits;
    if (word == 0) {
        cfg_err_file(err, s->file, "offchip core %lld: memory %s has no port bandwidth",
                     (long long)s->offchip_core_id, m->name);
        return -1;
    }
    cfg_offchip *o = &p->memories[0];
    snprintf(o->name, sizeof o->name, "%s", m->name);
    o->kind = CFG_MEM_DRAM;
    o->size_bits = m->size_bits;
    o->bandwidth_gbps = (double)word * s->clock_ghz;
    o->latency_ns = (double)m->latency_cycles / s->clock_ghz;
    o->read_energy_pj_per_bit = m->r_cost_pj / (double)word;
    o->write_energy_pj_per_bit = m->w_cost_pj / (double)word;
    p->n_memories = 1;
    return 0;
}

static void place_noc(const cfg_chip *s, int w, int h, cfg_noc *n)
{
    const cfg_conn *k = widest(s);
    n->mesh_w = w;
    n->mesh_h = h;
    n->flit_width_bits = k ? (uint32_t)(k->bandwidth + 0.5) : 32;
    if (n->flit_width_bits == 0)
        n->flit_width_bits = 1;
    n->clock_ghz = s->clock_ghz;
    n->energy_per_flit_hop_pj = 0;
    n->energy_per_bit_link_pj = k ? k->unit_energy_pj : 0;
    const cfg_noc_key keys[] = {CFG_NOC_MESH, CFG_NOC_FLIT_WIDTH_BITS, CFG_NOC_CLOCK_GHZ,
                                CFG_NOC_ENERGY_PER_FLIT_HOP_PJ, CFG_NOC_ENERGY_PER_BIT_LINK_PJ};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        n->given |= 1u << keys[i];
}

/* The DRAM level on top of a compute core (see the header comment). */
static int add_dram_level(const cfg_memory *dram, const char *file, cfg_core *core,
                          base_errors *err)
{
    if (core->n_mems >= CFG_MAX_MEMS) {
        cfg_err_file(err, file, "core %s has %d memory levels: no room for the off-chip one",
                     core->name, core->n_mems);
        return -1;
    }
    cfg_memory *m = &core->mems[core->n_mems++];
    *m = *dram;
    m->n_served = core->n_oa_dims;
    for (int d = 0; d < core->n_oa_dims; d++)
        m->served[d] = d;
    return 0;
}

cfg_chip *cfg_stream_place(const cfg_chip *s, base_errors *err)
{
    int n = 0;
    for (int i = 0; i < s->n_cores; i++)
        n += s->types[s->cores[i].type].core.kind == CFG_CORE_COMPUTE;
    if (!s->stream_form || n == 0) {
        cfg_err_file(err, s->file, "expected a Stream accelerator with a compute core");
        return NULL;
    }
    cfg_chip *p = base_calloc(1, sizeof *p);
    if (p) {
        p->types = base_calloc((size_t)n, sizeof *p->types);
        p->cores = base_calloc((size_t)n, sizeof *p->cores);
        p->memories = base_calloc(1, sizeof *p->memories);
    }
    if (!p || !p->types || !p->cores || !p->memories) {
        cfg_chip_free(p);
        cfg_err_file(err, s->file, "out of memory");
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", s->name);
    snprintf(p->file, sizeof p->file, "%s", s->file);
    p->clock_ghz = s->clock_ghz;
    p->clock_line = s->clock_line;
    p->clock_col = s->clock_col;
    p->offchip_core_id = -1;
    p->from_stream = true;
    int w = (int)ceil(sqrt((double)n)), h = (n + w - 1) / w;
    /* Cores sorted by id: s->cores is in file order. */
    for (int64_t id = 0; id < s->n_cores && p->n_cores < n; id++) {
        int i = cfg_chip_find_core(s, id);
        if (i < 0 || s->types[s->cores[i].type].core.kind != CFG_CORE_COMPUTE)
            continue;
        cfg_core_inst *ci = &p->cores[p->n_cores];
        p->types[p->n_types] = s->types[s->cores[i].type];
        ci->id = id;
        ci->type = p->n_types++;
        ci->x = p->n_cores % w;
        ci->y = p->n_cores / w;
        p->n_cores++;
    }
    place_noc(s, w, h, &p->noc);
    if (place_memory(s, p, err)) {
        cfg_chip_free(p);
        return NULL;
    }
    const cfg_core *oc = &s->types[s->cores[cfg_chip_find_core(s, s->offchip_core_id)].type].core;
    for (int t = 0; t < p->n_types; t++)
        if (add_dram_level(&oc->mems[oc->n_mems - 1], s->file, &p->types[t].core, err)) {
            cfg_chip_free(p);
            return NULL;
        }
    p->memories[0].x = p->cores[0].x;
    p->memories[0].y = p->cores[0].y;
    return p;
}
