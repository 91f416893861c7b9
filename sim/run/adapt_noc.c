/* adapt_noc.c -- a chip file's `noc:` block into the NoC model's
 * noc_config; see adapt.h. The key names are the field names, so the
 * model's messages ("vc_depth_flits: expected 1..4096, found 0") point
 * back at the file's key. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "run/adapt.h"

uint32_t run_noc_terminals_needed(const cfg_chip *chip)
{
    uint32_t extra = 0;
    for (int i = 0; i < chip->n_memories; i++) {
        uint32_t here = 0;
        for (int j = 0; j <= i; j++)
            here += chip->memories[j].x == chip->memories[i].x &&
                    chip->memories[j].y == chip->memories[i].y;
        if (here > extra)
            extra = here;
    }
    return 1 + extra;
}

/* The key a noc_config_check parameter name belongs to ("mesh",
 * "router_stage_cycles[2]"), or -1. */
static int key_of(const char *param)
{
    size_t len = strcspn(param, "[");
    for (int k = 0; k < CFG_NOC_N_KEYS; k++) {
        const char *name = cfg_noc_key_name((cfg_noc_key)k);
        if (strlen(name) == len && !strncmp(name, param, len))
            return k;
    }
    return -1;
}

/* An error at key k's value, or at the noc block when k was not given
 * (a limit of several parameters together). */
static int fail_key(const cfg_chip *chip, int k, base_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_key(const cfg_chip *chip, int k, base_error *err, const char *fmt, ...)
{
    const cfg_noc *n = &chip->noc;
    int given = k >= 0 && cfg_noc_given(n, (cfg_noc_key)k);
    char msg[BASE_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return base_fail_at(err, chip->file, (uint32_t)(given ? n->line[k] : n->block_line),
                        (uint32_t)(given ? n->col[k] : n->block_col), "%s", msg);
}

int run_adapt_noc(const cfg_chip *chip, uint32_t terminals_per_router, uint64_t seed,
                  noc_config *out, base_error *err)
{
    const cfg_noc *n = &chip->noc;
    noc_config c;
    noc_config_default(&c);
    if (cfg_noc_given(n, CFG_NOC_MESH)) {
        c.width = (uint32_t)n->mesh_w;
        c.height = (uint32_t)n->mesh_h;
    }
    c.terminals_per_router = terminals_per_router;
    if (cfg_noc_given(n, CFG_NOC_TERMINALS_PER_ROUTER)) {
        if (n->terminals_per_router < terminals_per_router)
            return fail_key(chip, CFG_NOC_TERMINALS_PER_ROUTER, err,
                            "noc.terminals_per_router: expected at least %u (a core and "
                            "the memory controllers that share its router), found %u",
                            terminals_per_router, n->terminals_per_router);
        c.terminals_per_router = n->terminals_per_router;
    }
    const struct { cfg_noc_key k; const uint32_t *from; uint32_t *to; } counts[] = {
        {CFG_NOC_FLIT_WIDTH_BITS, &n->flit_width_bits, &c.flit_width_bits},
        {CFG_NOC_VIRTUAL_CHANNELS, &n->virtual_channels, &c.virtual_channels},
        {CFG_NOC_VC_DEPTH_FLITS, &n->vc_depth_flits, &c.vc_depth_flits},
        {CFG_NOC_LINK_LATENCY_CYCLES, &n->link_latency_cycles, &c.link_latency_cycles},
        {CFG_NOC_CREDIT_DELAY_CYCLES, &n->credit_delay_cycles, &c.credit_delay_cycles},
        {CFG_NOC_MULTICAST_LOOKUP_CYCLES, &n->multicast_lookup_cycles,
         &c.multicast_lookup_cycles},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (cfg_noc_given(n, counts[i].k))
            *counts[i].to = *counts[i].from;
    if (cfg_noc_given(n, CFG_NOC_ROUTER_STAGE_CYCLES))
        for (int i = 0; i < NOC_STAGES; i++)
            c.router_stage_cycles[i] = n->router_stage_cycles[i];
    if (cfg_noc_given(n, CFG_NOC_CLOCK_GHZ))
        c.clock_ghz = n->clock_ghz;
    if (cfg_noc_given(n, CFG_NOC_ENERGY_PER_FLIT_HOP_PJ))
        c.energy_per_flit_hop_pj = n->energy_per_flit_hop_pj;
    if (cfg_noc_given(n, CFG_NOC_ENERGY_PER_BIT_LINK_PJ))
        c.energy_per_bit_link_pj = n->energy_per_bit_link_pj;
    if (cfg_noc_given(n, CFG_NOC_DEADLOCK_CYCLES))
        c.deadlock_cycles = n->deadlock_cycles;
    if (cfg_noc_given(n, CFG_NOC_ROUTING) && noc_routing_parse(n->routing, &c.routing))
        return fail_key(chip, CFG_NOC_ROUTING, err, "noc.routing: expected xy, yx or "
                        "xyyx, found '%s'", n->routing);
    if (cfg_noc_given(n, CFG_NOC_MODEL) && noc_model_kind_parse(n->model, &c.model))
        return fail_key(chip, CFG_NOC_MODEL, err, "noc.model: expected flit or packet, "
                        "found '%s'", n->model);
    c.seed = seed;
    const char *param;
    base_error ne;
    if (noc_config_check(&c, &param, &ne))
        return fail_key(chip, param ? key_of(param) : -1, err, "noc%s%s",
                        param ? "." : ": ", ne.msg);
    *out = c;
    return 0;
}
