/* report.c -- text and JSON reports of a chip run. */
#include "run/report.h"

#include <errno.h>
#include <string.h>

/* The energy components the report has always shown, in its order; the
 * components of other models follow, in the order their items came. */
static const char *const known_components[] = {"compute",      "noc_router",   "noc_link",
                                               "offchip_read", "offchip_write", "offchip_static"};
#define N_KNOWN (sizeof known_components / sizeof known_components[0])
#define RPT_MAX_COMPONENTS 64

typedef struct {
    const char *component;
    double pj;
} rpt_energy;

/* The energy items summed per component (known ones first, always
 * present); returns how many, at most RPT_MAX_COMPONENTS. */
static uint32_t energy_by_component(const chip_result *r, rpt_energy *out)
{
    uint32_t n = 0;
    for (size_t i = 0; i < N_KNOWN; i++, n++)
        out[n] = (rpt_energy){known_components[i], model_energy_sum(&r->energy,
                                                                    known_components[i])};
    for (uint32_t i = 0; i < r->energy.n && n < RPT_MAX_COMPONENTS; i++) {
        const char *c = r->energy.items[i].component;
        uint32_t j = 0;
        while (j < n && strcmp(out[j].component, c))
            j++;
        if (j == n)
            out[n++] = (rpt_energy){c, model_energy_sum(&r->energy, c)};
    }
    return n;
}

static double total_pj(const rpt_energy *e, uint32_t n)
{
    double t = 0.0;
    for (uint32_t i = 0; i < n; i++)
        t += e[i].pj;
    return t;
}

static double energy_of(const chip_result *r, const char *component)
{
    return model_energy_sum(&r->energy, component);
}

/* busy_fraction: the share of the run the core spent running CNs. */
static double util(const chip_result *r, uint32_t c)
{
    return r->end_ps ? (double)r->cores[c].busy_ps / (double)r->end_ps : 0.0;
}

static double ps_to_cycles(const cfg_chip *chip, uint64_t ps)
{
    return (double)ps * chip->clock_ghz * 1e-3;
}

/* Processing elements of core c: the product of its array's sizes. */
static double core_pes(const cfg_chip *chip, uint32_t c)
{
    const cfg_core *core = &chip->types[chip->cores[c].type].core;
    double n = 1.0;
    for (int i = 0; i < core->n_oa_dims; i++)
        n *= (double)core->oa_sizes[i];
    return n;
}

/* mac_utilization: MACs done / (PEs x cycles of the whole run). */
static double mac_util(const cfg_chip *chip, const chip_result *r, uint32_t c)
{
    double cap = core_pes(chip, c) * ps_to_cycles(chip, r->end_ps);
    return cap > 0 ? (double)r->cores[c].macs / cap : 0.0;
}

/* The energy of one model instance's component ("mram", "offchip_read"). */
static double item_pj(const chip_result *r, const char *model, const char *component)
{
    double t = 0.0;
    for (uint32_t i = 0; i < r->energy.n; i++)
        if (!strcmp(r->energy.items[i].model, model) &&
            !strcmp(r->energy.items[i].component, component))
            t += r->energy.items[i].pj;
    return t;
}

/* The first CN of each unique cost in plan order stands for its shape. */
static int first_of_shape(const plan *p, uint32_t i)
{
    for (uint32_t j = 0; j < i; j++)
        if (p->cns[j].cost == p->cns[i].cost)
            return 0;
    return 1;
}

static uint32_t unique_shapes(const plan *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->n_cns; i++)
        n += (uint32_t)first_of_shape(p, i);
    return n;
}

static double mean_latency(const chip_result *r)
{
    return r->noc.deliveries ? (double)r->noc.latency_sum_cycles / (double)r->noc.deliveries
                             : 0.0;
}

static void text_energy(FILE *out, const cfg_chip *chip, const chip_result *r);
static void text_cores(FILE *out, const cfg_chip *chip, const chip_result *r);
static void text_layers(FILE *out, const cfg_chip *chip, const plan *p, const chip_result *r);
static void text_loop_orders(FILE *out, const plan *p);
static void text_spills(FILE *out, const cfg_chip *chip, const plan *p,
                        const chip_result *r);
static void text_mode(FILE *out, const plan *p);

int rpt_text(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r)
{
    const cfg_chip *chip = s->chip;
    fprintf(out, "scenario %s: %s on chip %s (%d cores, %dx%d mesh)\n", s->name,
            s->workload_path, chip->name, chip->n_cores, chip->noc.mesh_w, chip->noc.mesh_h);
    if (!r->complete)
        fprintf(out, "INCOMPLETE: %s\n", r->stop_reason);
    fprintf(out, "latency      %.3f us (%llu ps), %llu events\n", (double)r->end_ps * 1e-6,
            (unsigned long long)r->end_ps, (unsigned long long)r->events);
    text_mode(out, p);
    text_energy(out, chip, r);
    text_spills(out, chip, p, r);
    fprintf(out, "NoC          %llu streams, %llu packets, %llu deliveries, mean latency "
            "%.1f cycles, max %llu\n",
            (unsigned long long)r->transfers, (unsigned long long)r->packets,
            (unsigned long long)r->noc.deliveries, mean_latency(r),
            (unsigned long long)r->noc.latency_max_cycles);
    uint32_t shapes = unique_shapes(p);
    fprintf(out, "mapper       %u CNs of %u unique shapes: %u searched now (%.3f s), %u from "
            "the cache file\n", p->n_cns, shapes, p->unique_cns, p->mapper_wall_s,
            shapes - p->unique_cns);
    text_cores(out, chip, r);
    text_layers(out, chip, p, r);
    text_loop_orders(out, p);
    return 0;
}

/* Layer by layer, or fused with its stacks as layer ids ("0-10 11-21"):
 * a run of consecutive layers of one stack prints as a range. */
static void text_mode(FILE *out, const plan *p)
{
    if (!p->fused) {
        fprintf(out, "mode         layer by layer\n");
        return;
    }
    fprintf(out, "mode         fused, %u stacks (%s):", p->n_stacks,
            p->auto_stacks ? "chosen by weight capacity" : "from the scenario");
    for (uint32_t l = 0; l < p->n_layers;) {
        uint32_t e = l;
        while (e + 1 < p->n_layers && p->layers[e + 1].stack == p->layers[l].stack &&
               p->layers[e + 1].cfg->id == p->layers[e].cfg->id + 1)
            e++;
        const char *sep = (l && p->layers[l - 1].stack == p->layers[l].stack) ? "," : " ";
        if (e == l)
            fprintf(out, "%s%lld", sep, (long long)p->layers[l].cfg->id);
        else
            fprintf(out, "%s%lld-%lld", sep, (long long)p->layers[l].cfg->id,
                    (long long)p->layers[e].cfg->id);
        l = e + 1;
    }
    fprintf(out, "\n");
}

/* The largest activations (inputs and output) of one of its parts. */
static uint64_t max_act_bits(const plan_layer *pl)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < pl->n_parts; i++)
        if (pl->parts[i].act_bits > m)
            m = pl->parts[i].act_bits;
    return m;
}

/* Layers whose parts' activations exceed the core's memory: they would
 * spill to off-chip, which the run does not model; said, not hidden. */
static void text_spills(FILE *out, const cfg_chip *chip, const plan *p, const chip_result *r)
{
    uint32_t n = 0;
    const char *first = NULL;
    for (uint32_t l = 0; l < p->n_layers; l++)
        if (max_act_bits(&p->layers[l]) > p->layers[l].act_cap_bits) {
            first = first ? first : p->layers[l].cfg->name;
            n++;
        }
    if (n && r->a_spills)
        fprintf(out, "activations  %u of %u layers have a part whose inputs and output exceed "
                "its core's memory (first: %s): %llu parts wrote their excess (%llu bits) to "
                "%s and read it back\n", n, p->n_layers, first,
                (unsigned long long)r->a_spills, (unsigned long long)r->a_spill_bits,
                chip->n_memories ? chip->memories[r->spill_mem].name : "-");
    else if (n)
        fprintf(out, "activations  %u of %u layers have a part whose inputs and output exceed "
                "its core's memory (first: %s); the chip has no memory to spill them to: "
                "not modelled\n", n, p->n_layers, first);
}

/* ---- text sections ---- */

/* Which of two overlapping costs is counted: the mapper's at the cores'
 * off-chip top level, or the chip's own traffic for the same data. */
static void text_rules(FILE *out, const chip_result *r)
{
    if (!r->top_offchip) {
        fprintf(out, "  counted once: no core level stands for the chip's memories; every level "
                "the mapper costs is in compute\n");
        return;
    }
    fprintf(out, "  counted once: the cores' top level stands for the chip's memories, so the "
            "mapper costs it only for operands too large for the core (streamed during their "
            "CNs); its %.3f uJ there is left out, the chip's own traffic counted instead:\n"
            "    weights     %.3f uJ -> loads and streams from their memory (off-chip read "
            "and NoC above)\n"
            "    activations %.3f uJ -> NoC streams between cores, the network input and "
            "output at their memories, activation spills\n"
            "    fills       %.3f uJ in compute: data the chip brings written into the core "
            "memory it lands in (inputs per CN, weights once per part), outputs read out\n",
            r->mapper_top_pj * 1e-6, r->mapper_top_w_pj * 1e-6,
            (r->mapper_top_pj - r->mapper_top_w_pj) * 1e-6, r->fill_pj * 1e-6);
}

static void text_mems(FILE *out, const cfg_chip *chip, const chip_result *r)
{
    for (uint32_t i = 0; i < r->n_mems && r->n_mems > 1; i++) {
        const char *m = chip->memories[i].name;
        double rd = item_pj(r, m, "offchip_read"), wr = item_pj(r, m, "offchip_write"),
               st = item_pj(r, m, "offchip_static");
        fprintf(out, "    %-8s %.3f uJ (read %llu bits %.3f, wrote %llu bits %.3f, static "
                "%.3f)\n", m, (rd + wr + st) * 1e-6, (unsigned long long)r->mems[i].read_bits,
                rd * 1e-6, (unsigned long long)r->mems[i].write_bits, wr * 1e-6, st * 1e-6);
    }
}

static void text_energy(FILE *out, const cfg_chip *chip, const chip_result *r)
{
    rpt_energy en[RPT_MAX_COMPONENTS];
    uint32_t n_en = energy_by_component(r, en);
    fprintf(out, "energy       %.3f uJ (the sum of the parts below)\n",
            total_pj(en, n_en) * 1e-6);
    fprintf(out, "  compute    %.3f uJ (the mapper's: MACs %.3f", energy_of(r, "compute") * 1e-6,
            r->mac_pj * 1e-6);
    for (uint32_t i = 0; i < r->n_levels; i++)
        fprintf(out, ", %s %.3f", r->levels[i].name, r->levels[i].pj * 1e-6);
    fprintf(out, ")\n");
    double router = energy_of(r, "noc_router"), link = energy_of(r, "noc_link");
    fprintf(out, "  NoC        %.3f uJ (routers %.3f, links %.3f)\n", (router + link) * 1e-6,
            router * 1e-6, link * 1e-6);
    double rd = energy_of(r, "offchip_read"), wr = energy_of(r, "offchip_write"),
           st = energy_of(r, "offchip_static");
    fprintf(out, "  off-chip   %.3f uJ (read %llu bits, wrote %llu bits, static %.3f)\n",
            (rd + wr + st) * 1e-6, (unsigned long long)r->offchip_read_bits,
            (unsigned long long)r->offchip_write_bits, st * 1e-6);
    text_mems(out, chip, r);
    for (uint32_t i = N_KNOWN; i < n_en; i++)
        fprintf(out, "  %-10s %.3f uJ\n", en[i].component, en[i].pj * 1e-6);
    text_rules(out, r);
    if (r->w_loads || r->w_streams)
        fprintf(out, "weights      %llu loads (%llu bits), %llu evictions (%llu bits, nothing "
                "written back), %llu parts streamed (%llu bits)\n",
                (unsigned long long)r->w_loads, (unsigned long long)r->w_load_bits,
                (unsigned long long)r->w_evictions, (unsigned long long)r->w_evicted_bits,
                (unsigned long long)r->w_streams, (unsigned long long)r->w_stream_bits);
}

static void text_cores(FILE *out, const cfg_chip *chip, const chip_result *r)
{
    fprintf(out, "\n%-6s %-14s %7s %12s %8s %8s %12s %9s\n", "core", "type", "CNs", "busy us",
            "busy %", "MAC %", "stall us", "max queue");
    for (uint32_t c = 0; c < r->n_cores; c++)
        fprintf(out, "%-6lld %-14s %7u %12.3f %8.1f %8.1f %12.3f %9u\n",
                (long long)chip->cores[c].id, chip->types[chip->cores[c].type].name,
                r->cores[c].cns, (double)r->cores[c].busy_ps * 1e-6, 100.0 * util(r, c),
                100.0 * mac_util(chip, r, c), (double)r->cores[c].stall_ps * 1e-6,
                r->cores[c].peak_ready);
}

static void text_layers(FILE *out, const cfg_chip *chip, const plan *p, const chip_result *r)
{
    fprintf(out, "\n%-4s %-16s %-10s %6s %5s %12s %12s %12s %12s  %s\n", "id", "layer", "type",
            "parts", "CNs", "MACs", "start us", "end us", "energy uJ", "weights");
    for (uint32_t l = 0; l < p->n_layers; l++) {
        const plan_layer *pl = &p->layers[l];
        const chip_layer_result *lr = &r->layers[l];
        uint32_t cns = 0;
        for (uint32_t i = 0; i < pl->n_parts; i++)
            cns += pl->parts[i].n_cns;
        uint32_t streamed = 0;
        for (uint32_t i = 0; i < pl->n_parts; i++)
            streamed += pl->parts[i].w_streamed;
        char w[CFG_NAME_MAX + 48] = "-";
        if (pl->w_bits && pl->w_mem != PLAN_NO_MEM)
            snprintf(w, sizeof w, "%llu b in %s%s", (unsigned long long)pl->w_bits,
                     chip->memories[pl->w_mem].name, streamed ? ", streamed" : "");
        else if (pl->w_bits)
            snprintf(w, sizeof w, "%llu b on-core", (unsigned long long)pl->w_bits);
        fprintf(out, "%-4lld %-16s %-10s %6u %5u %12llu %12.3f %12.3f %12.4f  %s\n",
                (long long)pl->cfg->id, pl->cfg->name, pl->cfg->operator_type, pl->n_parts, cns,
                (unsigned long long)pl->macs,
                lr->start_ps == UINT64_MAX ? 0.0 : (double)lr->start_ps * 1e-6,
                (double)lr->end_ps * 1e-6, lr->energy_pj * 1e-6, w);
    }
}

static void text_loop_orders(FILE *out, const plan *p)
{
    fprintf(out, "\nloop order per unique CN (per operand, memory levels from the MACs up):\n");
    char order[2048];
    for (uint32_t i = 0; i < p->n_cns; i++) {
        if (!first_of_shape(p, i))
            continue;
        const plan_cn *cn = &p->cns[i];
        const plan_layer *pl = &p->layers[cn->layer];
        char sp[256];
        plan_spatial(p, cn, sp, sizeof sp);
        plan_loop_order(p, cn, order, sizeof order);
        fprintf(out, "  %s part %u tile %u: %.0f cycles (ideal %.0f, stalls %.0f), "
                "utilization %.3f, spatial %s, %.1f pJ\n    %s\n", pl->cfg->name, cn->part,
                cn->tile, cn->cycles, cn->cost->ideal_cycles, cn->cost->stall_cycles,
                cn->cost->utilization, sp, cn->energy_pj, order);
    }
}

/* Strings go through cJSON's escaper (base_json_put_str); -1 when out of
 * memory, which fails the whole report. */
static int json_str(FILE *out, const char *s)
{
    return base_json_put_str(out, s);
}

static int json_energy(FILE *out, const chip_result *r);
static void json_mode(FILE *out, const plan *p);
static int json_layer(FILE *out, const cfg_chip *chip, const plan *p, const chip_result *r,
                       uint32_t l);

int rpt_json(FILE *out, const cfg_scenario *s, const plan *p, const chip_result *r)
{
    const cfg_chip *chip = s->chip;
    int bad = 0;
    fprintf(out, "{\"scenario\":");
    bad |= json_str(out, s->name);
    fprintf(out, ",\"chip\":");
    bad |= json_str(out, chip->name);
    fprintf(out, ",\"complete\":%s,\"stop_reason\":", r->complete ? "true" : "false");
    bad |= json_str(out, r->stop_reason);
    fprintf(out, ",\"latency_ps\":%llu,\"events\":%llu", (unsigned long long)r->end_ps,
            (unsigned long long)r->events);
    json_mode(out, p);
    bad |= json_energy(out, r);
    fprintf(out, ",\"noc\":{\"streams\":%llu,\"packets\":%llu,\"deliveries\":%llu,"
            "\"flits_injected\":%llu,\"flit_link_hops\":%llu,\"mean_latency_cycles\":%.6g,"
            "\"max_latency_cycles\":%llu}",
            (unsigned long long)r->transfers, (unsigned long long)r->packets,
            (unsigned long long)r->noc.deliveries, (unsigned long long)r->noc.flits_injected,
            (unsigned long long)r->noc.flit_link_hops, mean_latency(r),
            (unsigned long long)r->noc.latency_max_cycles);
    fprintf(out, ",\"mapper\":{\"unique_cns\":%u,\"searched\":%u,\"cns\":%u}",
            unique_shapes(p), p->unique_cns, p->n_cns);
    fprintf(out, ",\"cores\":[");
    for (uint32_t c = 0; c < r->n_cores; c++)
        fprintf(out, "%s{\"id\":%lld,\"x\":%d,\"y\":%d,\"cns\":%u,\"busy_ps\":%llu,"
                "\"busy_fraction\":%.6g,\"macs\":%llu,\"pes\":%.0f,\"mac_utilization\":%.6g,"
                "\"stall_cycles\":%.6g,\"max_ready_queue\":%u}",
                c ? "," : "", (long long)chip->cores[c].id, chip->cores[c].x, chip->cores[c].y,
                r->cores[c].cns, (unsigned long long)r->cores[c].busy_ps, util(r, c),
                (unsigned long long)r->cores[c].macs, core_pes(chip, c),
                mac_util(chip, r, c), ps_to_cycles(chip, r->cores[c].stall_ps),
                r->cores[c].peak_ready);
    fprintf(out, "],\"memories\":[");
    for (uint32_t i = 0; i < r->n_mems; i++) {
        const char *m = chip->memories[i].name;
        fprintf(out, "%s{\"name\":", i ? "," : "");
        bad |= json_str(out, m);
        fprintf(out, ",\"read_bits\":%llu,\"write_bits\":%llu,\"read_pj\":%.6g,"
                "\"write_pj\":%.6g,\"static_pj\":%.6g}",
                (unsigned long long)r->mems[i].read_bits,
                (unsigned long long)r->mems[i].write_bits, item_pj(r, m, "offchip_read"),
                item_pj(r, m, "offchip_write"), item_pj(r, m, "offchip_static"));
    }
    fprintf(out, "],\"weights\":{\"loads\":%llu,\"load_bits\":%llu,\"evictions\":%llu,"
            "\"evicted_bits\":%llu,\"writeback_bits\":0,\"streamed_parts\":%llu,"
            "\"stream_bits\":%llu},\"activation_spills\":{\"parts\":%llu,\"bits\":%llu}",
            (unsigned long long)r->w_loads, (unsigned long long)r->w_load_bits,
            (unsigned long long)r->w_evictions, (unsigned long long)r->w_evicted_bits,
            (unsigned long long)r->w_streams, (unsigned long long)r->w_stream_bits,
            (unsigned long long)r->a_spills, (unsigned long long)r->a_spill_bits);
    fprintf(out, ",\"layers\":[");
    for (uint32_t l = 0; l < p->n_layers; l++)
        bad |= json_layer(out, chip, p, r, l);
    fprintf(out, "]}\n");
    return bad ? -1 : 0;
}

/* "mode" and, fused, "stacks": each stack the list of its layer ids, in
 * stack order (a layer's "stack" field is its index here). */
static void json_mode(FILE *out, const plan *p)
{
    fprintf(out, ",\"mode\":\"%s\"", p->fused ? "fused" : "lbl");
    if (!p->fused)
        return;
    fprintf(out, ",\"auto_stacks\":%s,\"stacks\":[", p->auto_stacks ? "true" : "false");
    for (uint32_t k = 0; k < p->n_stacks; k++) {
        fprintf(out, "%s[", k ? "," : "");
        int first = 1;
        for (uint32_t l = 0; l < p->n_layers; l++)
            if (p->layers[l].stack == k) {
                fprintf(out, "%s%lld", first ? "" : ",", (long long)p->layers[l].cfg->id);
                first = 0;
            }
        fprintf(out, "]");
    }
    fprintf(out, "]");
}

/* The energy per component, the total first. */
static int json_energy(FILE *out, const chip_result *r)
{
    int bad = 0;
    rpt_energy en[RPT_MAX_COMPONENTS];
    uint32_t n_en = energy_by_component(r, en);
    fprintf(out, ",\"energy_pj\":{\"total\":%.6g", total_pj(en, n_en));
    for (uint32_t i = 0; i < n_en; i++) {
        fprintf(out, ",");
        bad |= json_str(out, en[i].component);
        fprintf(out, ":%.6g", en[i].pj);
    }
    /* compute split as the mapper costs it (its parts sum to compute) */
    fprintf(out, "},\"compute_pj\":{\"macs\":%.6g", r->mac_pj);
    for (uint32_t i = 0; i < r->n_levels; i++) {
        fprintf(out, ",");
        bad |= json_str(out, r->levels[i].name);
        fprintf(out, ":%.6g", r->levels[i].pj);
    }
    /* what is left out because the chip counts the same traffic itself */
    fprintf(out, "},\"energy_left_out_pj\":{\"mapper_top_level\":%.6g,\"weights\":%.6g,"
            "\"activations\":%.6g,\"rule\":\"the cores' top level stands for the chip's "
            "memories and is costed by the mapper only for operands too large for the core: "
            "the chip's weight loads and streams and its NoC streams are counted "
            "instead\"},\"fill_pj\":%.6g", r->mapper_top_pj, r->mapper_top_w_pj,
            r->mapper_top_pj - r->mapper_top_w_pj, r->fill_pj);
    return bad;
}

/* One layer and its unique CNs with their loop orders. */
static int json_layer(FILE *out, const cfg_chip *chip, const plan *p, const chip_result *r,
                      uint32_t l)
{
    int bad = 0;
    char order[2048];
    const plan_layer *pl = &p->layers[l];
    const chip_layer_result *lr = &r->layers[l];
    fprintf(out, "%s{\"id\":%lld,\"name\":", l ? "," : "", (long long)pl->cfg->id);
    bad |= json_str(out, pl->cfg->name);
    if (p->fused)
        fprintf(out, ",\"stack\":%u", pl->stack);
    fprintf(out, ",\"macs\":%llu,\"parts\":%u,\"split\":", (unsigned long long)pl->macs,
            pl->n_parts);
    bad |= json_str(out, pl->split_dim);
    fprintf(out, ",\"tiling\":");
    bad |= json_str(out, pl->tile_dim);
    fprintf(out, ",\"weights_in\":");
    bad |= json_str(out, pl->w_mem != PLAN_NO_MEM ? chip->memories[pl->w_mem].name : "");
    fprintf(out, ",\"weight_bits\":%llu,\"activation_bits_max_part\":%llu,"
            "\"activation_cap_bits\":%llu,\"activations_fit\":%s",
            (unsigned long long)pl->w_bits, (unsigned long long)max_act_bits(pl),
            (unsigned long long)pl->act_cap_bits,
            max_act_bits(pl) <= pl->act_cap_bits ? "true" : "false");
    fprintf(out, ",\"start_ps\":%llu,\"end_ps\":%llu,\"energy_pj\":%.6g,\"cns\":[",
            (unsigned long long)(lr->start_ps == UINT64_MAX ? 0 : lr->start_ps),
            (unsigned long long)lr->end_ps, lr->energy_pj);
    int first = 1;
    for (uint32_t i = 0; i < p->n_cns; i++) {
        const plan_cn *cn = &p->cns[i];
        if (cn->layer != l || !first_of_shape(p, i))
            continue;
        fprintf(out, "%s{\"part\":%u,\"tile\":%u,\"core\":%lld,\"macs\":%llu,"
                "\"cycles\":%.6g,\"ideal_cycles\":%.6g,\"stall_cycles\":%.6g,"
                "\"utilization\":%.6g,\"spatial_utilization\":%.6g,\"energy_pj\":%.6g,"
                "\"weight_bits\":%llu,\"weights_streamed\":%s,\"spatial\":",
                first ? "" : ",", cn->part, cn->tile,
                (long long)chip->cores[pl->parts[cn->part].core].id,
                (unsigned long long)cn->macs, cn->cycles, cn->cost->ideal_cycles,
                cn->cost->stall_cycles, cn->cost->utilization, cn->cost->spatial_utilization,
                cn->energy_pj, (unsigned long long)pl->parts[cn->part].w_bits,
                pl->parts[cn->part].w_streamed && pl->w_mem != PLAN_NO_MEM ? "true" : "false");
        plan_spatial(p, cn, order, sizeof order);
        bad |= json_str(out, order);
        fprintf(out, ",\"loop_order\":");
        plan_loop_order(p, cn, order, sizeof order);
        bad |= json_str(out, order);
        fputc('}', out);
        first = 0;
    }
    fprintf(out, "]}");
    return bad;
}

int rpt_write_file(const char *path, rpt_fn fn, const cfg_scenario *s, const plan *p,
                   const chip_result *r, base_error *err)
{
    base_outfile o;
    if (base_out_open(&o, path, "w", err) != 0)
        return -1;
    if (fn(o.f, s, p, r) != 0) {
        base_out_abort(&o);
        return base_fail(err, "%s: out of memory writing the report", path);
    }
    return base_out_commit(&o, err);
}
