/* cfg_snn.c -- the spiking parts of the formats: a layer's `neuron:` and
 * `weights:` blocks and `input_source` (a name or a list), and the
 * scenario's event-driven keys (mode, timestep_us, propagation,
 * spikes_per_packet, queue_depth_events, on_full, input.at / from_us /
 * to_us / max_events / crop / scale / polarity / time_scale / loop). Types and ranges are checked here, with positions; what
 * needs the trace or the NPY file is checked by the run's adapter
 * (sim/run/snn_plan.c), which `evsim check` calls too. */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "config/cfg_snn.h"

static const char *const neuron_keys[] = {
    "model", "threshold", "reset", "v_reset", "bias", "refractory_steps", "multi_spike",
    "tau_us", "v_leak", "r", "tau_syn_us", "act", "evaluate", "leak", "refractory_ps", "w_in",
    NULL};
static const char *const weight_keys[] = {"file", "scale", "seed", "density", "layout",
                                          "bias_file", NULL};
static const char *const own_keys[] = {"layer", "weights", NULL};

static void parse_weights_into(cfg_doc *d, const cfg_node *ln, const char *path,
                               cfg_weights *w);

static void given(cfg_neuron *n, cfg_doc *d, const cfg_node *nn, const char *key,
                  cfg_neuron_key k)
{
    (void)d;
    if (cfg_map_get(d, nn, key))
        n->given |= 1u << k;
}

/* One of several words; -1 (after an error) when none matches. */
static int word(cfg_doc *d, const cfg_node *nn, const char *kp, const char *key,
                const char *const *words)
{
    cfg_node *v = cfg_map_get(d, nn, key);
    char b[96], p[300];
    if (!v)
        return -1;
    const char *t = cfg_is_scalar(v) ? cfg_text(v) : NULL;
    for (int i = 0; t && words[i]; i++)
        if (!strcmp(t, words[i]))
            return i;
    char list[160] = "";
    for (int i = 0; words[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " | " : "",
                 words[i]);
    cfg_err_at(d, v, cfg_path_key(p, sizeof p, kp, key), "expected %s, found %s", list,
               cfg_describe(v, b, sizeof b));
    return -1;
}

static void parse_model(cfg_doc *d, const cfg_node *nn, const char *kp, cfg_neuron *n)
{
    static const char *const models[] = {"lif", "if", "cuba_lif", "sigma_delta", NULL};
    static const cfg_neuron_model ids[] = {CFG_NEURON_LIF, CFG_NEURON_IF, CFG_NEURON_CUBA_LIF,
                                           CFG_NEURON_SIGMA_DELTA};
    if (!cfg_need(d, nn, kp, "model"))
        return;
    int m = word(d, nn, kp, "model", models);
    if (m >= 0)
        n->model = ids[m];
}

/* reset: zero | subtract, or a number (older files: reset to that value). */
static void parse_reset(cfg_doc *d, const cfg_node *nn, const char *kp, cfg_neuron *n)
{
    static const char *const resets[] = {"zero", "subtract", NULL};
    cfg_node *v = cfg_map_get(d, nn, "reset");
    if (!v)
        return;
    n->given |= 1u << CFG_NEU_RESET;
    const char *t = cfg_is_scalar(v) ? cfg_text(v) : NULL;
    if (t && (strcmp(t, "zero") && strcmp(t, "subtract"))) {
        char p[300];
        if (cfg_as_double(d, v, cfg_path_key(p, sizeof p, kp, "reset"), -1e30, 1e30,
                          &n->v_reset))
            n->given |= 1u << CFG_NEU_V_RESET;
        return;
    }
    n->reset_subtract = word(d, nn, kp, "reset", resets) == 1;
}

static void parse_numbers(cfg_doc *d, const cfg_node *nn, const char *kp, cfg_neuron *n)
{
    cfg_get_double(d, nn, kp, "threshold", false, -1e30, 1e30, &n->threshold);
    cfg_get_double(d, nn, kp, "v_reset", false, -1e30, 1e30, &n->v_reset);
    cfg_get_double(d, nn, kp, "bias", false, -1e30, 1e30, &n->bias);
    cfg_get_uint(d, nn, kp, "refractory_steps", false, 0, &n->refractory_steps);
    cfg_get_bool(d, nn, kp, "multi_spike", false, &n->multi_spike);
    cfg_get_double(d, nn, kp, "tau_us", false, 1e-9, 1e30, &n->tau_us);
    cfg_get_double(d, nn, kp, "v_leak", false, -1e30, 1e30, &n->v_leak);
    cfg_get_double(d, nn, kp, "r", false, -1e30, 1e30, &n->r);
    cfg_get_double(d, nn, kp, "tau_syn_us", false, 1e-9, 1e30, &n->tau_syn_us);
    cfg_get_double(d, nn, kp, "w_in", false, -1e30, 1e30, &n->w_in);
    cfg_get_double(d, nn, kp, "leak", false, 0, 1, &n->leak);
    cfg_get_uint(d, nn, kp, "refractory_ps", false, 0, &n->refractory_ps);
    static const struct { const char *key; cfg_neuron_key k; } g[] = {
        {"threshold", CFG_NEU_THRESHOLD}, {"v_reset", CFG_NEU_V_RESET}, {"bias", CFG_NEU_BIAS},
        {"refractory_steps", CFG_NEU_REFRACTORY_STEPS}, {"multi_spike", CFG_NEU_MULTI_SPIKE},
        {"tau_us", CFG_NEU_TAU_US}, {"v_leak", CFG_NEU_V_LEAK}, {"r", CFG_NEU_R},
        {"tau_syn_us", CFG_NEU_TAU_SYN_US}, {"leak", CFG_NEU_LEAK},
        {"refractory_ps", CFG_NEU_REFRACTORY_PS}, {"w_in", CFG_NEU_W_IN}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        given(n, d, nn, g[i].key, g[i].k);
}

/* input_source: a name (`input`: the trace) or a list of them, at most
 * CFG_MAX_SOURCES, each once; the names are resolved across the layers by
 * the workload loader (cfg_workload.c, check_inputs). */
static void parse_input_source(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], ep[280], b[96];
    cfg_node *v = cfg_need(d, ln, path, "input_source");
    cfg_path_key(kp, sizeof kp, path, "input_source");
    l->input_source[0] = '\0';
    if (!v)
        return;
    if (!cfg_is_seq(v)) {
        if (cfg_as_str(d, v, kp, l->sources[0], sizeof l->sources[0]))
            l->n_sources = 1;
    } else if (cfg_seq_len(v) < 1 || cfg_seq_len(v) > CFG_MAX_SOURCES) {
        cfg_err_at(d, v, kp, "expected 1..%d sources, found %d", CFG_MAX_SOURCES,
                   cfg_seq_len(v));
    } else {
        for (int i = 0; i < cfg_seq_len(v); i++) {
            cfg_node *e = cfg_seq_at(d, v, i);
            cfg_path_idx(ep, sizeof ep, kp, i);
            if (cfg_is_map(e)) { /* {layer: NAME, weights: {...}} */
                cfg_check_keys(d, e, ep, own_keys);
                if (!cfg_get_str(d, e, ep, "layer", true, l->sources[l->n_sources],
                                 CFG_NAME_MAX))
                    continue;
                l->source_own[l->n_sources] = true;
                parse_weights_into(d, e, ep, &l->source_weights[l->n_sources]);
            } else if (!cfg_is_scalar(e)) {
                cfg_err_at(d, e, ep, "expected a layer name, input, or {layer: NAME, "
                           "weights: {...}}, found %s", cfg_describe(e, b, sizeof b));
                continue;
            } else if (!cfg_as_str(d, e, ep, l->sources[l->n_sources], CFG_NAME_MAX))
                continue;
            if (l->source_own[l->n_sources] && !strcmp(l->sources[l->n_sources], "input")) {
                cfg_err_at(d, e, ep, "the input trace goes through the layer's own "
                           "connection: expected a layer name, found input");
                continue;
            }
            for (int j = 0; j < l->n_sources; j++)
                if (!strcmp(l->sources[j], l->sources[l->n_sources]))
                    cfg_err_at(d, e, ep, "expected each source once, found '%s' again",
                               l->sources[j]);
            l->n_sources++;
        }
    }
    for (int i = 0; i < l->n_sources; i++)
        l->source_layer[i] = -1;
    if (l->n_sources > 0)
        snprintf(l->input_source, sizeof l->input_source, "%s", l->sources[0]);
}

void cfg_parse_neuron(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    char kp[256], mp[300];
    static const char *const acts[] = {"none", "relu", NULL};
    static const char *const evals[] = {"input", "all", NULL};
    cfg_node *nn = cfg_map_get(d, ln, "neuron");
    cfg_path_key(kp, sizeof kp, path, "neuron");
    if (!nn || !cfg_expect_map(d, nn, kp))
        return;
    cfg_neuron *n = &l->neuron;
    n->line = cfg_node_line(nn);
    n->col = cfg_node_col(nn);
    cfg_check_keys(d, nn, kp, neuron_keys);
    parse_model(d, nn, kp, n);
    parse_reset(d, nn, kp, n);
    parse_numbers(d, nn, kp, n);
    if (cfg_map_get(d, nn, "act")) {
        n->given |= 1u << CFG_NEU_ACT;
        n->relu = word(d, nn, kp, "act", acts) == 1;
    }
    if (cfg_map_get(d, nn, "evaluate")) {
        n->given |= 1u << CFG_NEU_EVALUATE;
        n->evaluate_all = word(d, nn, kp, "evaluate", evals) == 1;
    }
    if (n->model == CFG_NEURON_IF && n->leak != 0)
        cfg_err_at(d, cfg_map_get(d, nn, "leak"), cfg_path_key(mp, sizeof mp, kp, "leak"),
                   "an integrate-and-fire neuron does not leak: expected leak 0 or model lif, "
                   "found %g", n->leak);
    parse_input_source(d, ln, path, l);
}

void cfg_parse_weights(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l)
{
    parse_weights_into(d, ln, path, &l->weights);
}

/* The weights block of node ln (a layer, or a source entry) into w. */
static void parse_weights_into(cfg_doc *d, const cfg_node *ln, const char *path,
                               cfg_weights *w)
{
    char kp[256], rel[512], dir[512];
    w->scale = 1.0;
    w->density = 1.0;
    w->line = cfg_node_line(ln);
    w->col = cfg_node_col(ln);
    cfg_node *wn = cfg_map_get(d, ln, "weights");
    cfg_path_key(kp, sizeof kp, path, "weights");
    if (!wn || !cfg_expect_map(d, wn, kp))
        return;
    w->line = cfg_node_line(wn);
    w->col = cfg_node_col(wn);
    cfg_check_keys(d, wn, kp, weight_keys);
    if (cfg_map_get(d, wn, "file") && cfg_get_str(d, wn, kp, "file", true, rel, sizeof rel)) {
        cfg_dirname(d->file, dir, sizeof dir);
        w->has_file = cfg_join(dir, rel, w->file, sizeof w->file);
    }
    if (cfg_map_get(d, wn, "bias_file") &&
        cfg_get_str(d, wn, kp, "bias_file", true, rel, sizeof rel)) {
        cfg_dirname(d->file, dir, sizeof dir);
        w->has_bias_file = cfg_join(dir, rel, w->bias_file, sizeof w->bias_file);
    }
    static const char *const layouts[] = {"pytorch", "keras", NULL};
    if (cfg_map_get(d, wn, "layout"))
        w->keras = word(d, wn, kp, "layout", layouts) == 1;
    if (cfg_map_get(d, wn, "layout") && !w->has_file)
        cfg_err_at(d, cfg_map_get(d, wn, "layout"), kp, "layout belongs to a weights file, "
                   "found seeded weights");
    cfg_get_double(d, wn, kp, "scale", false, -1e30, 1e30, &w->scale);
    if (cfg_map_get(d, wn, "seed"))
        w->has_seed = cfg_get_uint(d, wn, kp, "seed", true, 0, &w->seed);
    cfg_get_double(d, wn, kp, "density", false, 0, 1, &w->density);
    if (w->has_file && (w->has_seed || cfg_map_get(d, wn, "density")))
        cfg_err_at(d, wn, kp, "expected either file (with scale) or seed/density, found both");
}

/* input.at, from_us, to_us, max_events (the trace and format are read by
 * the scenario loader). */
void cfg_parse_snn_input(cfg_doc *d, const cfg_node *in, cfg_scenario *s)
{
    cfg_node *at = cfg_map_get(d, in, "at");
    if (at && cfg_expect_seq(d, at, "input.at")) {
        int64_t xy[2] = {0, 0};
        if (cfg_seq_len(at) != 2)
            cfg_err_at(d, at, "input.at", "expected [x, y], found %d values", cfg_seq_len(at));
        else if (cfg_as_int(d, cfg_seq_at(d, at, 0), "input.at[0]", 0, 1023, &xy[0]) &&
                 cfg_as_int(d, cfg_seq_at(d, at, 1), "input.at[1]", 0, 1023, &xy[1])) {
            s->has_at = true;
            s->at_x = (int)xy[0];
            s->at_y = (int)xy[1];
        }
    }
    double from_us = 0, to_us = 0;
    cfg_get_double(d, in, "input", "from_us", false, 0, 1e12, &from_us);
    cfg_get_double(d, in, "input", "to_us", false, 0, 1e12, &to_us);
    s->from_ps = base_us_to_ps(from_us);
    s->to_ps = base_us_to_ps(to_us);
    if (s->to_ps && s->to_ps <= s->from_ps)
        cfg_err_at(d, cfg_map_get(d, in, "to_us"), "input.to_us",
                   "expected a time after from_us (%g), found %g", from_us, to_us);
    cfg_get_uint(d, in, "input", "max_events", false, 0, &s->input_max_events);
    static const char *const origins[] = {"from_us", "first_event", NULL};
    if (cfg_map_get(d, in, "origin"))
        s->origin_first_event = word(d, in, "input", "origin", origins) == 1;
    cfg_parse_snn_input_map(d, in, s);
}

/* input.crop: [x, y, w, h], a window of the sensor in its own pixels. */
static void parse_crop(cfg_doc *d, const cfg_node *in, cfg_scenario *s)
{
    cfg_node *c = cfg_map_get(d, in, "crop");
    if (!c || !cfg_expect_seq(d, c, "input.crop"))
        return;
    if (cfg_seq_len(c) != 4) {
        cfg_err_at(d, c, "input.crop", "expected [x, y, width, height], found %d values",
                   cfg_seq_len(c));
        return;
    }
    static const char *const names[4] = {"input.crop[0]", "input.crop[1]", "input.crop[2]",
                                         "input.crop[3]"};
    int64_t v[4];
    for (int i = 0; i < 4; i++)
        if (!cfg_as_int(d, cfg_seq_at(d, c, i), names[i], i < 2 ? 0 : 1, 65535, &v[i]))
            return;
    s->has_crop = true;
    s->crop_x = (uint32_t)v[0];
    s->crop_y = (uint32_t)v[1];
    s->crop_w = (uint32_t)v[2];
    s->crop_h = (uint32_t)v[3];
}

/* input.crop, scale, polarity, time_scale, loop, events_per_packet (defaults are set by
 * cfg_parse_snn_scenario, which runs without an input block too). */
void cfg_parse_snn_input_map(cfg_doc *d, const cfg_node *in, cfg_scenario *s)
{
    static const char *const pols[] = {"merge", "split", NULL};
    s->input_line = cfg_node_line(in);
    s->input_col = cfg_node_col(in);
    parse_crop(d, in, s);
    uint64_t u = 1;
    if (cfg_get_uint(d, in, "input", "scale", false, 1, &u) && u > 4096)
        cfg_err_at(d, cfg_map_get(d, in, "scale"), "input.scale",
                   "expected a down-sampling factor of 1..4096, found %llu",
                   (unsigned long long)u);
    s->input_scale = u > 4096 ? 1 : (uint32_t)u;
    if (cfg_map_get(d, in, "polarity")) {
        int w = word(d, in, "input", "polarity", pols);
        s->input_polarity = w < 0 ? CFG_POLARITY_AUTO : w == 0 ? CFG_POLARITY_MERGE
                                                                : CFG_POLARITY_SPLIT;
    }
    cfg_get_double(d, in, "input", "time_scale", false, 1e-6, 1e6, &s->time_scale);
    u = 1;
    if (cfg_get_uint(d, in, "input", "loop", false, 1, &u) && u > 1000000)
        cfg_err_at(d, cfg_map_get(d, in, "loop"), "input.loop",
                   "expected 1..1000000 passes, found %llu", (unsigned long long)u);
    s->input_loop = u > 1000000 ? 1 : (uint32_t)u;
    u = 1;
    if (cfg_get_uint(d, in, "input", "events_per_packet", false, 1, &u) && u > 1024)
        cfg_err_at(d, cfg_map_get(d, in, "events_per_packet"), "input.events_per_packet",
                   "expected 1..1024, found %llu", (unsigned long long)u);
    s->input_events_per_packet = u > 1024 ? 1 : (uint32_t)u;
}

/* queue_depth_events (at least 1; absent: unlimited) and on_full. */
static void parse_queue(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    static const char *const full[] = {"backpressure", "drop", NULL};
    cfg_node *q = cfg_map_get(d, root, "queue_depth_events");
    if (q && !s->timestep_mode)
        cfg_err_at(d, q, "queue_depth_events",
                   "queue_depth_events belongs to mode: timestep, found no such mode");
    else if (q && cfg_as_uint(d, q, "queue_depth_events", 0, &s->queue_depth_events) &&
             s->queue_depth_events == 0)
        cfg_err_at(d, q, "queue_depth_events",
                   "expected a queue of at least 1 event (leave the key out for an "
                   "unlimited queue), found 0");
    if (cfg_map_get(d, root, "on_full"))
        s->queue_drop = word(d, root, "", "on_full", full) == 1;
}

void cfg_parse_snn_scenario(cfg_doc *d, const cfg_node *root, cfg_scenario *s)
{
    static const char *const modes[] = {"dense", "timestep", "async", "lbl", "fused", NULL};
    static const char *const props[] = {"same_step", "next_step", NULL};
    s->spikes_per_packet = 8;
    s->input_scale = 1;
    s->time_scale = 1.0;
    s->input_loop = 1;
    s->input_events_per_packet = 1;
    cfg_node *m = cfg_map_get(d, root, "mode");
    if (m) {
        s->mode_line = cfg_node_line(m);
        s->mode_col = cfg_node_col(m);
        int w = word(d, root, "", "mode", modes);
        s->timestep_mode = w == 1 || w == 2;
        s->async_mode = w == 2;
        s->fused = w == 4; /* lbl (3) is the dense default */
    }
    double ts_us = 0;
    if (s->timestep_mode && !s->async_mode)
        cfg_get_double(d, root, "", "timestep_us", true, 0, 1e12, &ts_us);
    else if (cfg_map_get(d, root, "timestep_us"))
        cfg_err_at(d, cfg_map_get(d, root, "timestep_us"), "timestep_us",
                   "timestep_us belongs to mode: timestep, found %s",
                   s->async_mode ? "mode: async (no steps)" : "no such mode");
    if (s->async_mode && cfg_map_get(d, root, "propagation"))
        cfg_err_at(d, cfg_map_get(d, root, "propagation"), "propagation",
                   "propagation belongs to mode: timestep, found mode: async (no steps)");
    s->timestep_ps = base_us_to_ps(ts_us);
    if (s->timestep_mode && cfg_map_get(d, root, "timestep_us") && s->timestep_ps == 0)
        cfg_err_at(d, cfg_map_get(d, root, "timestep_us"), "timestep_us",
                   "expected a step of at least 1 ps, found %g", ts_us);
    if (cfg_map_get(d, root, "propagation"))
        s->next_step = word(d, root, "", "propagation", props) == 1;
    uint64_t spp = 8;
    cfg_get_uint(d, root, "", "spikes_per_packet", false, 1, &spp);
    if (spp > 1024)
        cfg_err_at(d, cfg_map_get(d, root, "spikes_per_packet"), "spikes_per_packet",
                   "expected 1..1024, found %llu", (unsigned long long)spp);
    s->spikes_per_packet = (uint32_t)spp;
    parse_queue(d, root, s);
}
