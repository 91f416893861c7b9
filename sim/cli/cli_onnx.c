/* cli_onnx.c -- `evsim check FILE.onnx`: the model (IR version, opset,
 * nodes), then the evsim layers it becomes: Stream's id, the node name,
 * the op, every loop size, MACs and the layers each operand comes from;
 * pass-through nodes are named with the id they take. A model evsim
 * cannot convert (an unsupported op) is reported with exit 1. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/cfg_onnx.h"

static void print_sources(const cfg_layer *l)
{
    printf("  <-");
    bool any = false;
    for (int o = 1; o < l->n_operands; o++)
        if (l->operands[o].has_source && l->operands[o].source_layer_id != l->id) {
            printf(" %s:%lld", l->operands[o].name, (long long)l->operands[o].source_layer_id);
            any = true;
        }
    if (!any)
        printf(" input");
}

static void print_layers(const onnx_graph *g, const cfg_workload *w)
{
    uint64_t macs = 0;
    int pass = 0;
    printf("  evsim layers: %d\n", w->n_layers);
    for (int i = 0; i < g->n_nodes; i++) {
        const onnx_node *n = &g->nodes[i];
        if (n->layer < 0) {
            pass += n->id >= 0;
            continue;
        }
        const cfg_layer *l = &w->layers[n->layer];
        printf("    [%lld] %s %s", (long long)l->id, l->name, l->operator_type);
        for (int k = 0; k < l->n_dims; k++)
            printf(" %s=%llu", l->dims[k], (unsigned long long)l->sizes[k]);
        printf("  MACs %llu", (unsigned long long)cfg_layer_macs(l));
        print_sources(l);
        printf("\n");
        macs += cfg_layer_macs(l);
    }
    if (pass) {
        printf("  passed through:");
        for (int i = 0, k = 0; i < g->n_nodes; i++)
            if (g->nodes[i].layer < 0 && g->nodes[i].id >= 0)
                printf("%s [%lld] %s (%s)", k++ ? "," : "", (long long)g->nodes[i].id,
                       g->nodes[i].name, g->nodes[i].op_type);
        printf("\n");
    }
    printf("  total: %llu MACs (%.3f G)\n", (unsigned long long)macs, (double)macs / 1e9);
}

int cli_onnx_check(const char *path, bool quiet)
{
    base_error e;
    base_error_clear(&e);
    onnx_graph *g = cfg_onnx_load(path, &e);
    cfg_workload *w = g ? cfg_onnx_workload(g, &e) : NULL;
    if (!w) {
        char b[BASE_MSG_MAX + BASE_PATH_MAX];
        fprintf(stderr, "%s\n", base_error_str(&e, b, sizeof b));
        cfg_onnx_free(g);
        return 1;
    }
    if (!quiet) {
        printf("%s: ONNX model (IR version %lld, opset %lld), %d nodes, %d inputs, %d outputs\n",
               path, (long long)g->ir_version, (long long)g->opset, g->n_nodes, g->n_inputs,
               g->n_outputs);
        print_layers(g, w);
    }
    cfg_workload_free(w);
    cfg_onnx_free(g);
    return 0;
}
