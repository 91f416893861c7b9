/* strm_report.c -- reports of a Stream-scheduled run (strm_report.h). */
#include <string.h>

#include "run/strm_report.h"

static const char *op_name(int op)
{
    return op == STRM_I1 ? "I1" : op == STRM_I2 ? "I2" : "O";
}

static int json_cns(FILE *out, const strm_report *rp)
{
    const cfg_chip *chip = rp->s->chip;
    int bad = 0;
    fprintf(out, ",\"cns\":[");
    for (int i = 0; i < rp->g->n_cns; i++) {
        const strm_cn *c = &rp->g->cns[i];
        const strm_plan_cn *pc = &rp->plan->cns[i];
        fprintf(out, "%s{\"layer\":%d,\"name\":", i ? "," : "", c->layer);
        bad |= base_json_put_str(out, rp->s->workload->layers[pc->layer].name);
        fprintf(out, ",\"sub_id\":%d,\"group\":%d,\"core\":%lld,\"start\":%.10g,\"end\":%.10g,"
                "\"runtime\":%.10g,\"onchip_pj\":%.10g,\"offchip_pj\":%.10g,\"too_large\":[",
                c->sub_id, c->group, (long long)chip->cores[c->core].id, rp->r->start[i],
                rp->r->end[i], c->runtime_cycles, c->onchip_pj, c->offchip_pj);
        for (int op = 0, n = 0; op < STRM_NMEM; op++)
            if (c->too_large[op])
                fprintf(out, "%s\"%s\"", n++ ? "," : "", op_name(op));
        fprintf(out, "],\"cost\":%u}", pc->cost);
    }
    fprintf(out, "]");
    return bad;
}

/* How many CNs use each cost entry (n of them, calloc'd; NULL: none). */
static uint32_t *cost_uses(const strm_plan *p)
{
    uint32_t *n = base_calloc(p->n_costs + 1, sizeof *n);
    for (uint32_t i = 0; n && i < p->n_cns; i++)
        if (p->cns[i].cost < p->n_costs)
            n[p->cns[i].cost]++;
    return n;
}

/* cost_table: the plan's unique costs, with the mapping each CN of the
 * shape got (Stream keeps it in its cost LUT pickle only). */
static int json_costs(FILE *out, const strm_report *rp)
{
    const strm_plan *p = rp->plan;
    uint32_t *uses = cost_uses(p);
    int bad = !uses;
    fprintf(out, ",\"cost_table\":[");
    for (uint32_t k = 0; k < p->n_costs && uses; k++) {
        const strm_plan_cost *e = &p->costs[k];
        const cfg_layer *l = &rp->s->workload->layers[e->layer];
        fprintf(out, "%s{\"layer\":%lld,\"name\":", k ? "," : "", (long long)e->layer_id);
        bad |= base_json_put_str(out, l->name);
        fprintf(out, ",\"core\":%lld,\"n_cns\":%u,\"shape\":{",
                (long long)rp->s->chip->cores[e->core].id, uses[k]);
        for (int d = 0; d < l->n_dims; d++) {
            fprintf(out, "%s", d ? "," : "");
            bad |= base_json_put_str(out, l->dims[d]);
            fprintf(out, ":%llu", (unsigned long long)e->tile[d]);
        }
        fprintf(out, "},\"runtime\":%.10g,\"ideal_cycle\":%.10g,\"onchip_pj\":%.10g,"
                "\"offchip_pj\":%.10g,\"too_large\":[", e->runtime, e->ideal_cycle,
                e->onchip_pj, e->offchip_pj);
        for (int op = 0, n = 0; op < STRM_N_OPS; op++)
            if (e->too_large[op])
                fprintf(out, "%s\"%s\"", n++ ? "," : "", op_name(op));
        fprintf(out, "],\"spatial\":");
        bad |= base_json_put_str(out, e->spatial);
        fprintf(out, ",\"temporal\":");
        bad |= base_json_put_str(out, e->temporal);
        fprintf(out, "}");
    }
    fprintf(out, "]");
    base_free(uses);
    return bad;
}

static long long gene_core(const strm_report *rp, uint32_t g, uint32_t choice)
{
    return (long long)rp->s->chip->cores[rp->plan->genes[g].cores[choice]].id;
}

static double gain_pct(double start, double best)
{
    return start > 0 ? 100.0 * (start - best) / start : 0;
}

/* search: the settings, the round-robin start against the best, the
 * chosen core per (layer, group), and the Pareto front when asked. */
static int json_search(FILE *out, const strm_report *rp)
{
    const strm_search_result *q = rp->search;
    const srch_result *r = &q->res;
    int bad = 0;
    fprintf(out, ",\"search\":{\"objective\":\"%s\",\"seed\":%llu,\"genes\":%u,"
            "\"evaluations\":%llu,\"generations\":%u,\"infeasible\":%llu,"
            "\"start\":{\"latency_cycles\":%.17g,\"energy_pj\":%.17g},"
            "\"best\":{\"latency_cycles\":%.17g,\"energy_pj\":%.17g},"
            "\"latency_gain_pct\":%.6f,\"energy_gain_pct\":%.6f,\"allocation\":[",
            strm_search_objective_name(q->objective), (unsigned long long)q->seed, q->n_genes,
            (unsigned long long)r->evaluations, r->generations,
            (unsigned long long)q->infeasible, r->start_latency, r->start_energy,
            r->best_latency, r->best_energy, gain_pct(r->start_latency, r->best_latency),
            gain_pct(r->start_energy, r->best_energy));
    for (uint32_t g = 0; g < q->n_genes; g++) {
        const strm_plan_gene *e = &rp->plan->genes[g];
        fprintf(out, "%s{\"layer\":%lld,\"name\":", g ? "," : "", (long long)e->layer_id);
        bad |= base_json_put_str(out, rp->s->workload->layers[e->layer].name);
        fprintf(out, ",\"group\":%u,\"core\":%lld,\"round_robin_core\":%lld,\"allowed\":[",
                e->group, gene_core(rp, g, r->best[g]), gene_core(rp, g, q->start[g]));
        for (uint32_t k = 0; k < e->n_cores; k++)
            fprintf(out, "%s%lld", k ? "," : "", gene_core(rp, g, k));
        fprintf(out, "]}");
    }
    fprintf(out, "]");
    if (q->objective == CFG_SEARCH_PARETO) {
        fprintf(out, ",\"pareto_front\":[");
        for (uint32_t i = 0; i < r->n_front; i++) {
            fprintf(out, "%s{\"latency_cycles\":%.17g,\"energy_pj\":%.17g,\"cores\":[",
                    i ? "," : "", r->front_latency[i], r->front_energy[i]);
            for (uint32_t g = 0; g < q->n_genes; g++)
                fprintf(out, "%s%lld", g ? "," : "",
                        gene_core(rp, g, r->front[(size_t)i * q->n_genes + g]));
            fprintf(out, "]}");
        }
        fprintf(out, "]");
    }
    fprintf(out, "}");
    return bad;
}

int strm_rpt_json(FILE *out, const strm_report *rp)
{
    const strm_result *r = rp->r;
    int bad = 0;
    fprintf(out, "{\"scenario\":");
    bad |= base_json_put_str(out, rp->s->name);
    fprintf(out, ",\"chip\":");
    bad |= base_json_put_str(out, rp->s->chip->name);
    fprintf(out, ",\"scheduler\":\"stream\",\"mode\":\"%s\",\"latency_cycles\":%.17g,"
            "\"latency_ps\":%.0f,\"energy_pj\":%.17g,\"edp_cycles_pj\":%.17g,"
            "\"energy_terms_pj\":{", rp->s->fused ? "fused" : "lbl", r->latency_cycles,
            r->latency_cycles * 1000.0 / rp->s->chip->clock_ghz, r->total_pj,
            r->latency_cycles * r->total_pj);
    for (int t = 0; t < STRM_N_ENERGY; t++)
        fprintf(out, "%s\"%s\":%.17g", t ? "," : "", strm_energy_name((strm_energy_term)t),
                r->energy_pj[t]);
    fprintf(out, "},\"n_cns\":%d,\"n_edges\":%d,\"communication_events\":%d", rp->g->n_cns,
            rp->g->n_edges, r->n_events);
    fprintf(out, ",\"memories\":[");
    for (int m = 0; m < r->n_mems; m++)
        fprintf(out, "%s{\"capacity_bits\":%llu,\"peak_bits\":%llu,\"first_peak_at\":%.10g,"
                "\"tensors_left\":%d}", m ? "," : "",
                (unsigned long long)rp->g->mems[m].capacity_bits,
                (unsigned long long)r->mems[m].peak_bits, r->mems[m].first_peak_at,
                r->mems[m].tensors_left);
    fprintf(out, "]");
    if (rp->search)
        bad |= json_search(out, rp);
    bad |= json_costs(out, rp);
    bad |= json_cns(out, rp);
    fprintf(out, "}\n");
    return bad ? -1 : 0;
}

/* Per core: CNs and busy cycles; per layer: its span. */
static void text_cores(FILE *out, const strm_report *rp)
{
    const cfg_chip *chip = rp->s->chip;
    double lat = rp->r->latency_cycles > 0 ? rp->r->latency_cycles : 1;
    fprintf(out, "\ncore   type               CNs    busy cycles   busy %%\n");
    for (int k = 0; k < rp->g->n_cores; k++) {
        double busy = 0;
        int n = 0;
        for (int i = 0; i < rp->g->n_cns; i++)
            if (rp->g->cns[i].core == k) {
                busy += rp->r->end[i] - rp->r->start[i];
                n++;
            }
        if (!n)
            continue;
        fprintf(out, "%-6lld %-16s %5d %14.1f %8.1f\n", (long long)chip->cores[k].id,
                chip->types[chip->cores[k].type].name, n, busy, 100.0 * busy / lat);
    }
}

static void text_layers(FILE *out, const strm_report *rp)
{
    fprintf(out, "\nid   layer                                   CNs  core       start          end\n");
    for (int i = 0; i < rp->g->n_cns;) {
        int j = i;
        double s = rp->r->start[i], e = rp->r->end[i];
        while (j < rp->g->n_cns && rp->g->cns[j].layer == rp->g->cns[i].layer) {
            s = rp->r->start[j] < s ? rp->r->start[j] : s;
            e = rp->r->end[j] > e ? rp->r->end[j] : e;
            j++;
        }
        const cfg_core_inst *ci = &rp->s->chip->cores[rp->g->cns[i].core];
        fprintf(out, "%-4d %-38.38s %4d  %4lld%s %12.1f %12.1f\n", rp->g->cns[i].layer,
                rp->s->workload->layers[rp->plan->cns[i].layer].name, j - i, (long long)ci->id,
                rp->g->cns[j - 1].core != rp->g->cns[i].core ? "+" : " ", s, e);
        i = j;
    }
}

/* The loop orders: per unique cost some CN has, its layer, core, CNs,
 * the loop sizes above 1, cycles and spatial mapping; the temporal
 * mapping below. */
static int text_costs(FILE *out, const strm_report *rp)
{
    const strm_plan *p = rp->plan;
    uint32_t *uses = cost_uses(p);
    if (!uses)
        return -1;
    uint32_t used = 0;
    for (uint32_t k = 0; k < p->n_costs; k++)
        used += uses[k] > 0;
    fprintf(out, "\nloop orders (per unique CN shape: %u", used);
    if (used < p->n_costs)
        fprintf(out, "; %u more costed on cores not chosen, in the JSON's cost_table",
                p->n_costs - used);
    fprintf(out, ")\nid   layer                                   core   CNs  shape, cycles: spatial "
            "mapping\n       temporal mapping (per operand and memory level, innermost loop "
            "first)\n");
    for (uint32_t k = 0; k < p->n_costs; k++) {
        const strm_plan_cost *e = &p->costs[k];
        if (!uses[k])
            continue;
        const cfg_layer *l = &rp->s->workload->layers[e->layer];
        fprintf(out, "%-4lld %-38.38s %5lld %5u ", (long long)e->layer_id, l->name,
                (long long)rp->s->chip->cores[e->core].id, uses[k]);
        int n = 0;
        for (int d = 0; d < l->n_dims; d++)
            if (e->tile[d] > 1)
                fprintf(out, "%s%s%llu", n++ ? " " : "", l->dims[d],
                        (unsigned long long)e->tile[d]);
        fprintf(out, "%s %.1f cycles", n ? "," : "1", e->runtime);
        for (int op = 0, t = 0; op < STRM_N_OPS; op++)
            if (e->too_large[op])
                fprintf(out, "%s%s", t++ ? "," : ", off-chip ", op_name(op));
        fprintf(out, ": %s\n       %s\n", e->spatial, e->temporal);
    }
    base_free(uses);
    return 0;
}

static void text_search(FILE *out, const strm_report *rp)
{
    const strm_search_result *q = rp->search;
    const srch_result *r = &q->res;
    fprintf(out, "\nsearch       %s, seed %llu: %llu allocations scheduled (%u generations, "
            "%llu infeasible), %u genes\n", strm_search_objective_name(q->objective),
            (unsigned long long)q->seed, (unsigned long long)r->evaluations, r->generations,
            (unsigned long long)q->infeasible, q->n_genes);
    fprintf(out, "  round-robin %14.1f cycles %12.3f uJ\n", r->start_latency,
            r->start_energy * 1e-6);
    fprintf(out, "  best        %14.1f cycles %12.3f uJ   (latency %+.2f%%, energy %+.2f%%)\n",
            r->best_latency, r->best_energy * 1e-6, -gain_pct(r->start_latency, r->best_latency),
            -gain_pct(r->start_energy, r->best_energy));
    fprintf(out, "  layer                                    group  core  round-robin\n");
    for (uint32_t g = 0; g < q->n_genes; g++) {
        const strm_plan_gene *e = &rp->plan->genes[g];
        fprintf(out, "  %-4lld %-36.36s %5u %5lld %12lld\n", (long long)e->layer_id,
                rp->s->workload->layers[e->layer].name, e->group, gene_core(rp, g, r->best[g]),
                gene_core(rp, g, q->start[g]));
    }
    if (q->objective != CFG_SEARCH_PARETO)
        return;
    fprintf(out, "  Pareto front (%u):\n", r->n_front);
    for (uint32_t i = 0; i < r->n_front; i++)
        fprintf(out, "  %14.1f cycles %12.3f uJ\n", r->front_latency[i], r->front_energy[i] * 1e-6);
}

int strm_rpt_text(FILE *out, const strm_report *rp)
{
    const strm_result *r = rp->r;
    const cfg_chip *chip = rp->s->chip;
    fprintf(out, "scenario %s: %s on chip %s (%d cores), Stream's scheduler\n", rp->s->name,
            rp->s->workload_path, chip->name, chip->n_cores);
    fprintf(out, "latency      %.1f cycles (%.3f us at %g GHz), %d CNs, %d communication events\n",
            r->latency_cycles, r->latency_cycles * 1e-3 / chip->clock_ghz, chip->clock_ghz,
            rp->g->n_cns, r->n_events);
    fprintf(out, "mode         %s\n", rp->s->fused ? "fused" : "layer by layer");
    fprintf(out, "energy       %.3f uJ (Stream's nine terms below)\n", r->total_pj * 1e-6);
    for (int t = 0; t < STRM_N_ENERGY; t++)
        fprintf(out, "  %-34s %14.3f uJ\n", strm_energy_name((strm_energy_term)t),
                r->energy_pj[t] * 1e-6);
    if (rp->search)
        text_search(out, rp);
    text_cores(out, rp);
    text_layers(out, rp);
    return text_costs(out, rp);
}

int strm_rpt_write(const char *path, int (*fn)(FILE *, const strm_report *),
                   const strm_report *rp, base_error *err)
{
    base_outfile o;
    if (base_out_open(&o, path, "w", err) != 0)
        return -1;
    if (fn(o.f, rp) != 0) {
        base_out_abort(&o);
        return base_fail(err, "%s: out of memory writing the report", path);
    }
    return base_out_commit(&o, err);
}
