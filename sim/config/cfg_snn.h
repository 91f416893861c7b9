/* cfg_snn.h -- internal to sim/config: the spiking parts of the workload
 * and scenario formats (cfg_snn.c). */
#ifndef EVSIM_CFG_SNN_H
#define EVSIM_CFG_SNN_H

#include "config/cfg_yaml.h"

static inline int cfg_node_line(const cfg_node *n) { return n ? (int)n->start_mark.line + 1 : 0; }
static inline int cfg_node_col(const cfg_node *n) { return n ? (int)n->start_mark.column + 1 : 0; }

/* A layer's neuron block and input_source; its weights block. */
void cfg_parse_neuron(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l);
void cfg_parse_weights(cfg_doc *d, const cfg_node *ln, const char *path, cfg_layer *l);
/* The scenario's mode, timestep_us, propagation, spikes_per_packet; the
 * input block's at, from_us, to_us, max_events. */
void cfg_parse_snn_scenario(cfg_doc *d, const cfg_node *root, cfg_scenario *s);
void cfg_parse_snn_input(cfg_doc *d, const cfg_node *in, cfg_scenario *s);
/* The input block's crop, scale, polarity, time_scale, loop (called by
 * cfg_parse_snn_input). */
void cfg_parse_snn_input_map(cfg_doc *d, const cfg_node *in, cfg_scenario *s);

#endif
