/* snn_report.c -- see snn_report.h. Latencies are from the first input
 * event to the first output-layer spike (its evaluation's end) and to the
 * end of the output layer's last step; -1 when there was none. */
#include "run/snn_report.h"

#include <stdio.h>
#include <string.h>

#include "base/base.h"

static uint64_t total_sops(const snn_result *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->n_layers; i++)
        n += r->layers[i].synaptic_ops;
    return n;
}

static double latency(const snn_result *r, uint64_t t)
{
    if (t == UINT64_MAX || r->first_input_ps == UINT64_MAX)
        return -1;
    return (double)(t - r->first_input_ps);
}

/* A recorded time as the file has it: the reader's ps plus t_origin_us
 * (AEDAT 4 files count from a whole epoch second). */
static double trace_us(const snn_result *r, uint64_t t_ps)
{
    return (double)r->in_t_origin_us + (double)(t_ps / 1000000) + (double)(t_ps % 1000000) * 1e-6;
}

/* The same, exact, into buf: "1605537493.718345" style, microseconds. */
static const char *trace_us_text(const snn_result *r, uint64_t t_ps, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%06llu",
             (unsigned long long)(r->in_t_origin_us + t_ps / 1000000),
             (unsigned long long)(t_ps % 1000000));
    return buf;
}

static int json_input(cJSON *root, const snn_result *r)
{
    cJSON *in = cJSON_AddObjectToObject(root, "input_events");
    if (!in || base_json_add_u64(in, "read", r->events_read) ||
        base_json_add_u64(in, "used", r->events_used))
        return -1;
    if (r->in_t_first_ps != UINT64_MAX &&
        (base_json_add_num(in, "t_first_us", trace_us(r, r->in_t_first_ps), "%.3f") ||
         base_json_add_num(in, "t_last_us", trace_us(r, r->in_t_last_ps), "%.3f")))
        return -1;
    if (r->in_passes > 1 && base_json_add_u64(in, "passes", r->in_passes))
        return -1;
    cJSON *sk = cJSON_AddObjectToObject(in, "skipped");
    for (uint32_t i = 0; sk && i < r->n_skip; i++)
        if (base_json_add_u64(sk, r->skip_name[i], r->skip_count[i]))
            return -1;
    return sk ? 0 : -1;
}

static int json_layers(cJSON *root, const snn_plan *p, const snn_result *r)
{
    cJSON *ls = cJSON_AddArrayToObject(root, "layers");
    for (uint32_t i = 0; ls && i < r->n_layers; i++) {
        cJSON *l = cJSON_CreateObject();
        const snn_layer_result *lr = &r->layers[i];
        if (!l || !cJSON_AddItemToArray(ls, l) || base_json_add_str(l, "name", p->layers[i].cfg->name) ||
            base_json_add_str(l, "model", neu_model_name(p->layers[i].np.model)) ||
            base_json_add_u64(l, "neurons", p->layers[i].n) ||
            base_json_add_u64(l, "cores", p->layers[i].n_slices) ||
            base_json_add_u64(l, "spikes", lr->spikes) ||
            base_json_add_u64(l, "synaptic_ops", lr->synaptic_ops) ||
            base_json_add_u64(l, "neuron_updates", lr->neuron_updates) ||
            base_json_add_num(l, "sop_cycles", p->layers[i].sop_cycles, "%.6g") ||
            base_json_add_num(l, "sop_pj", p->layers[i].sop_pj, "%.6g"))
            return -1;
    }
    cJSON *oc = ls ? cJSON_AddArrayToObject(root, "output_spike_counts") : NULL;
    for (uint32_t i = 0; oc && i < r->n_out; i++) {
        cJSON *v = base_json_u64(r->out_counts[i]);
        if (!v || !cJSON_AddItemToArray(oc, v))
            return -1;
    }
    return oc ? 0 : -1;
}

static int json_cores(cJSON *root, const snn_result *r)
{
    cJSON *cs = cJSON_AddArrayToObject(root, "cores");
    for (uint32_t i = 0; cs && i < r->n_cores; i++) {
        cJSON *c = cJSON_CreateObject();
        const neu_core_stats *st = &r->cores[i];
        if (!c || !cJSON_AddItemToArray(cs, c) || base_json_add_u64(c, "busy_ps", st->busy_ps) ||
            base_json_add_u64(c, "packets_in", st->packets_in) ||
            base_json_add_u64(c, "synaptic_ops", st->sops) ||
            base_json_add_u64(c, "neuron_updates", st->updates) ||
            base_json_add_num(c, "energy_pj", st->energy_pj, "%.6g") ||
            base_json_add_u64(c, "queue_peak", r->queues[i].peak) ||
            base_json_add_u64(c, "drops", r->queues[i].drops) ||
            base_json_add_u64(c, "held_packets", r->queues[i].held_packets) ||
            base_json_add_u64(c, "held_ps", r->queues[i].held_ps))
            return -1;
    }
    cJSON *e = cs ? cJSON_AddObjectToObject(root, "energy_pj") : NULL;
    static const char *const comp[] = {"compute", "noc_router", "noc_link"};
    for (size_t i = 0; e && i < sizeof comp / sizeof comp[0]; i++)
        if (base_json_add_num(e, comp[i], model_energy_sum(&r->energy, comp[i]), "%.6g"))
            return -1;
    return e ? 0 : -1;
}

static int json_top(cJSON *root, const cfg_scenario *s, const snn_result *r)
{
    uint64_t sops = total_sops(r);
    double e = snn_result_energy_pj(r);
    return base_json_add_str(root, "scenario", s->name) ||
           base_json_add_str(root, "mode", s->async_mode ? "async" : "timestep") ||
           base_json_add_u64(root, "timestep_ps", s->timestep_ps) ||
           base_json_add_str(root, "propagation", s->next_step ? "next_step" : "same_step") ||
           base_json_add_bool(root, "complete", r->complete) ||
           base_json_add_u64(root, "steps", r->steps) ||
           base_json_add_num(root, "predicted_class", r->predicted_class, "%g") ||
           base_json_add_num(root, "energy_total_pj", e, "%.6g") ||
           base_json_add_num(root, "energy_per_sop_pj", sops ? e / (double)sops : 0, "%.6g") ||
           base_json_add_num(root, "latency_first_output_ps", latency(r, r->first_output_ps),
                             "%.0f") ||
           base_json_add_num(root, "latency_decision_ps", latency(r, r->decision_ps), "%.0f") ||
           base_json_add_u64(root, "drops", r->drops) ||
           (s->queue_depth_events ? base_json_add_u64(root, "queue_depth_events",
                                                      s->queue_depth_events)
                                  : base_json_add_str(root, "queue_depth_events", "unlimited")) ||
           base_json_add_str(root, "on_full", s->queue_drop ? "drop" : "backpressure") ||
           base_json_add_u64(root, "step_overruns", r->step_overruns) ||
           base_json_add_u64(root, "step_work_max_ps", r->step_work_max_ps) ||
           base_json_add_u64(root, "end_ps", r->end_ps) ||
           base_json_add_u64(root, "noc_packets", r->packets) ||
           base_json_add_u64(root, "noc_flits_ejected", r->noc.flits_ejected) ||
           base_json_add_u64(root, "spikes_sent", r->spikes_sent);
}

int snn_rpt_json(FILE *out, const cfg_scenario *s, const snn_plan *p, const snn_result *r)
{
    cJSON *root = cJSON_CreateObject();
    int rc = !root || json_top(root, s, r) || json_input(root, r) || json_layers(root, p, r) ||
                     json_cores(root, r) || base_json_print(out, root, "\n")
                 ? -1 : 0;
    cJSON_Delete(root);
    return rc;
}

static void text_layers(FILE *out, const snn_plan *p, const snn_result *r)
{
    fprintf(out, "  %-10s %-11s %8s %5s %10s %14s %14s %10s %9s\n", "layer", "model", "neurons",
            "cores", "spikes", "synaptic_ops", "updates", "cyc/SOP", "pJ/SOP");
    for (uint32_t i = 0; i < r->n_layers; i++) {
        const snn_layer *sl = &p->layers[i];
        const snn_layer_result *lr = &r->layers[i];
        fprintf(out, "  %-10s %-11s %8u %5u %10llu %14llu %14llu %10.4g %9.4g\n",
                sl->cfg->name, neu_model_name(sl->np.model), sl->n, sl->n_slices,
                (unsigned long long)lr->spikes, (unsigned long long)lr->synaptic_ops,
                (unsigned long long)lr->neuron_updates, sl->sop_cycles, sl->sop_pj);
    }
}

static void text_out(FILE *out, const snn_result *r)
{
    fprintf(out, "output spike counts:");
    for (uint32_t i = 0; i < r->n_out; i++)
        fprintf(out, " %llu", (unsigned long long)r->out_counts[i]);
    fprintf(out, "\npredicted class: %d\n", r->predicted_class);
    double lf = latency(r, r->first_output_ps), ld = latency(r, r->decision_ps);
    fprintf(out, "latency: first output %s%.3f us, decision %s%.3f us (from the first input "
            "event)\n", lf < 0 ? "none " : "", lf < 0 ? 0 : lf * 1e-6, ld < 0 ? "none " : "",
            ld < 0 ? 0 : ld * 1e-6);
    for (uint32_t i = 0; i < r->n_cores; i++) {
        const snn_queue_stats *q = &r->queues[i];
        fprintf(out, "  core %u: busy %.3f us, %llu packets in, %llu SOPs, %llu updates, "
                "%.6g pJ; queue peak %llu, drops %llu", i, (double)r->cores[i].busy_ps * 1e-6,
                (unsigned long long)r->cores[i].packets_in,
                (unsigned long long)r->cores[i].sops, (unsigned long long)r->cores[i].updates,
                r->cores[i].energy_pj, (unsigned long long)q->peak,
                (unsigned long long)q->drops);
        if (q->held_packets)
            fprintf(out, ", %llu packets held %.3f us", (unsigned long long)q->held_packets,
                    (double)q->held_ps * 1e-6);
        fputc('\n', out);
    }
}

int snn_rpt_text(FILE *out, const cfg_scenario *s, const snn_plan *p, const snn_result *r)
{
    uint64_t sops = total_sops(r);
    double e = snn_result_energy_pj(r);
    if (s->async_mode)
        fprintf(out, "scenario %s: event-driven, async; %s\n", s->name,
                r->complete ? "complete" : r->stop_reason);
    else
        fprintf(out, "scenario %s: event-driven, timestep %.3f us, %s; %s\n", s->name,
                (double)s->timestep_ps * 1e-6, s->next_step ? "next_step" : "same_step",
                r->complete ? "complete" : r->stop_reason);
    fprintf(out, "input events: %llu read, %llu used", (unsigned long long)r->events_read,
            (unsigned long long)r->events_used);
    for (uint32_t i = 0; i < r->n_skip; i++)
        fprintf(out, ", %llu %s", (unsigned long long)r->skip_count[i], r->skip_name[i]);
    if (r->in_t_first_ps != UINT64_MAX) {
        char a[48], b[48];
        fprintf(out, "; recorded %s us .. %s us", trace_us_text(r, r->in_t_first_ps, a, sizeof a),
                trace_us_text(r, r->in_t_last_ps, b, sizeof b));
    }
    if (r->in_passes > 1)
        fprintf(out, "; %u passes (input.loop)", r->in_passes);
    if (s->async_mode)
        fprintf(out, "\nno steps (async); simulated time %.3f us; %llu kernel events\n",
                (double)r->end_ps * 1e-6, (unsigned long long)r->events);
    else
        fprintf(out, "\nsteps: %llu (%llu overran timestep_us; longest step work %.3f us); "
                "simulated time %.3f us; %llu kernel events\n", (unsigned long long)r->steps,
                (unsigned long long)r->step_overruns, (double)r->step_work_max_ps * 1e-6,
                (double)r->end_ps * 1e-6, (unsigned long long)r->events);
    text_layers(out, p, r);
    text_out(out, r);
    fprintf(out, "energy: %.6g pJ (compute %.6g, NoC routers %.6g, links %.6g); %.4g pJ/SOP\n",
            e, model_energy_sum(&r->energy, "compute"),
            model_energy_sum(&r->energy, "noc_router"), model_energy_sum(&r->energy, "noc_link"),
            sops ? e / (double)sops : 0);
    char depth[32] = "unlimited";
    if (s->queue_depth_events)
        snprintf(depth, sizeof depth, "%llu events", (unsigned long long)s->queue_depth_events);
    fprintf(out, "NoC: %llu packets, %llu spikes, %llu flits delivered; drops %llu (input "
            "queues %s, on_full %s)\n", (unsigned long long)r->packets,
            (unsigned long long)r->spikes_sent, (unsigned long long)r->noc.flits_ejected,
            (unsigned long long)r->drops, depth, s->queue_drop ? "drop" : "backpressure");
    return ferror(out) ? -1 : 0;
}

int snn_rpt_write(const char *path,
                  int (*fn)(FILE *, const cfg_scenario *, const snn_plan *, const snn_result *),
                  const cfg_scenario *s, const snn_plan *p, const snn_result *r,
                  base_error *err)
{
    base_outfile o;
    if (base_out_open(&o, path, "w", err) != 0)
        return -1;
    if (fn(o.f, s, p, r) != 0) {
        base_out_abort(&o);
        return base_fail(err, "%s: write failed", path);
    }
    return base_out_commit(&o, err);
}
