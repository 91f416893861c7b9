/* cli_map_stream.c -- `evsim map --stream`: each layer costed as Stream's
 * scheduler takes it from ZigZag (run/strm_cost.h) on a two-core chip of
 * the --hw core and the --offchip memory core, printed with ZigZag's
 * field names so a line compares with an entry of Stream's cost_lut. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "run/strm_cost.h"

static const char *const dir_names[STRM_N_DIRS] = {"rd_out_to_low", "wr_in_by_low",
                                                    "rd_out_to_high", "wr_in_by_high"};

cfg_chip *cli_map_stream_chip(const cfg_core *core, const cfg_core *offchip)
{
    cfg_chip *c = base_calloc(1, sizeof *c);
    int n = offchip ? 2 : 1;
    if (!c || !(c->types = base_calloc((size_t)n, sizeof *c->types)) ||
        !(c->cores = base_calloc((size_t)n, sizeof *c->cores))) {
        cfg_chip_free(c);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", core->name);
    c->stream_form = true;
    c->clock_ghz = 1;
    c->offchip_core_id = offchip ? 1 : -1;
    c->n_types = c->n_cores = n;
    c->types[0].core = *core;
    c->cores[0] = (cfg_core_inst){.id = 0, .type = 0};
    if (offchip) {
        c->types[1].core = *offchip;
        c->cores[1] = (cfg_core_inst){.id = 1, .type = 1};
    }
    return c;
}

static void print_text(const cfg_layer *l, const cfg_core *core, const strm_cost *s)
{
    printf("layer %lld (%s) on %s, too large:", (long long)l->id, l->name, core->name);
    int any = 0;
    for (int op = 0; op < STRM_N_OPS; op++)
        if (s->too_large[op])
            printf(" %s", cfg_mem_operand_name((cfg_mem_operand)op)), any = 1;
    printf("%s\n", any ? "" : " none");
    printf("  latency_total0 %.17g latency_total1 %.17g latency_total2 %.17g\n",
           s->latency_total0, s->latency_total1, s->latency_total2);
    printf("  ideal_cycle %.17g ideal_temporal_cycle %.17g data_onloading_cycle %.17g "
           "data_offloading_cycle %.17g\n", s->ideal_cycle, s->ideal_temporal_cycle,
           s->onloading_cycle, s->offloading_cycle);
    printf("  energy_total %.3f pJ (mac_energy %.3f), mac_spatial_utilization %.6g\n",
           s->energy_total, s->mac_energy, s->mac_spatial_utilization);
    for (int op = 0; op < STRM_N_OPS; op++) {
        if (!s->too_large[op])
            continue;
        printf("  %s off-chip %.3f pJ, bandwidth", cfg_mem_operand_name((cfg_mem_operand)op),
               s->offchip_pj[op]);
        for (int d = 0; d < STRM_N_DIRS; d++)
            printf(" %s %u", dir_names[d], s->offchip_bw[op][d]);
        printf("\n");
    }
    printf("  spatial %s\n  temporal %s\n", s->spatial, s->temporal);
}

/* One JSON line; -1 when a string could not be escaped (out of memory). */
static int print_json(const cfg_layer *l, const strm_cost *s)
{
    printf("{\"layer\":%lld,\"name\":", (long long)l->id);
    int bad = base_json_put_str(stdout, l->name);
    printf(",\"latency_total0\":%.17g,\"latency_total1\":%.17g,\"latency_total2\":%.17g,"
           "\"ideal_cycle\":%.17g,\"ideal_temporal_cycle\":%.17g,\"data_onloading_cycle\":%.17g,"
           "\"data_offloading_cycle\":%.17g,\"energy_total\":%.17g,\"mac_energy\":%.17g,"
           "\"mac_spatial_utilization\":%.17g,\"too_large_operands\":[", s->latency_total0,
           s->latency_total1, s->latency_total2, s->ideal_cycle, s->ideal_temporal_cycle,
           s->onloading_cycle, s->offloading_cycle, s->energy_total, s->mac_energy,
           s->mac_spatial_utilization);
    int k = 0;
    for (int op = 0; op < STRM_N_OPS; op++)
        if (s->too_large[op])
            printf("%s\"%s\"", k++ ? "," : "", cfg_mem_operand_name((cfg_mem_operand)op));
    printf("],\"offchip_energy\":{");
    k = 0;
    for (int op = 0; op < STRM_N_OPS; op++)
        if (s->too_large[op])
            printf("%s\"%s\":%.17g", k++ ? "," : "", cfg_mem_operand_name((cfg_mem_operand)op),
                   s->offchip_pj[op]);
    printf("},\"offchip_inst_bandwidth_per_op_scaled\":{");
    k = 0;
    for (int op = 0; op < STRM_N_OPS; op++) {
        if (!s->too_large[op])
            continue;
        printf("%s\"%s\":{", k++ ? "," : "", cfg_mem_operand_name((cfg_mem_operand)op));
        for (int d = 0; d < STRM_N_DIRS; d++)
            printf("%s\"%s\":%u", d ? "," : "", dir_names[d], s->offchip_bw[op][d]);
        printf("}");
    }
    printf("},\"spatial_mapping\":");
    bad |= base_json_put_str(stdout, s->spatial);
    printf(",\"temporal_mapping\":");
    bad |= base_json_put_str(stdout, s->temporal);
    printf("}\n");
    return bad ? -1 : 0;
}

int cli_map_stream_layer(const cfg_chip *chip, const cfg_mapping *m, const cfg_layer *l,
                         const bool too_large[3], const loma_options *opt, loma_cache *cache,
                         bool json)
{
    strm_cost s;
    base_error err;
    base_error_clear(&err);
    if (strm_cost_eval(chip, 0, l, m, l->sizes, too_large, opt, cache, &s, &err) != 0) {
        fprintf(stderr, "evsim map: %s\n", err.msg);
        return -1;
    }
    if (json && print_json(l, &s) != 0) {
        fprintf(stderr, "evsim map: out of memory writing JSON\n");
        return -1;
    }
    if (!json)
        print_text(l, &chip->types[0].core, &s);
    return 0;
}
