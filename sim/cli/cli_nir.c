/* cli_nir.c -- `evsim check FILE.nir`: the graph in order (type, output
 * shape, parameter values, synapses), its edges in node order (recurrent
 * ones marked), and which evsim layer each node becomes, or why the chip
 * cannot run it yet (the file itself is valid then: exit 0). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/cfg_nir.h"

static const char *shape_of(const nir_node *n, char *b, size_t len)
{
    b[0] = 0;
    for (int i = 0; i < n->rank; i++) {
        size_t l = strlen(b);
        snprintf(b + l, len - l, "%s%u", i ? "x" : "", n->shape[i]);
    }
    return b;
}

static void print_nodes(const nir_graph *g, const cfg_workload *w)
{
    printf("  %-12s %-10s %-12s %10s %12s  %s\n", "node", "type", "shape", "params", "synapses",
           "evsim layer");
    uint64_t params = 0, syn = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const nir_node *n = &g->nodes[i];
        char sh[64], ly[CFG_NAME_MAX + 48];
        if (n->type == NIR_INPUT)
            snprintf(ly, sizeof ly, "the input trace");
        else if (w && n->layer >= 0)
            snprintf(ly, sizeof ly, "layer %d \"%s\" (%s)", n->layer, w->layers[n->layer].name,
                     cfg_nir_is_neuron(n->type) ? "its neurons"
                     : n->own_source ? "own weights"
                     : w->layers[n->layer].neuron.model == CFG_NEURON_SIGMA_DELTA
                         ? "pass-through" : "its synapses");
        else
            snprintf(ly, sizeof ly, "-");
        printf("  %-12s %-10s %-12s %10llu %12llu  %s\n", n->name, cfg_nir_type_name(n->type),
               shape_of(n, sh, sizeof sh), (unsigned long long)n->n_params_total,
               (unsigned long long)n->synapses, ly);
        params += n->n_params_total;
        syn += n->synapses;
    }
    printf("  total: %llu parameter values, %llu synapses\n", (unsigned long long)params,
           (unsigned long long)syn);
}

static void print_edges(const nir_graph *g)
{
    printf("  edges:");
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++) /* in node order */
        for (int e = 0; e < g->n_edges; e++)
            if (g->edges[e].src == i)
                printf("%s %s -> %s%s", k++ ? "," : "", g->nodes[i].name,
                       g->nodes[g->edges[e].dst].name,
                       g->edges[e].recurrent ? " (recurrent)" : "");
    printf("\n");
}

static void print_layers(const cfg_workload *w)
{
    printf("  evsim layers: %d\n", w->n_layers);
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        printf("    [%d] %-12s %-11s", i, l->name, l->operator_type);
        for (int k = 0; k < l->n_dims; k++)
            printf(" %s=%llu", l->dims[k], (unsigned long long)l->sizes[k]);
        printf("  %s <- %s",
               (const char *[]){"", "lif", "if", "cuba_lif", "sigma_delta"}[l->neuron.model],
               l->input_source);
        for (int k = 1; k < l->n_sources; k++)
            printf(" + %s%s", l->sources[k],
                   (const char *[]){"", " (recurrent: next step)", " (own weights)",
                                    " (own weights, recurrent: next step)"}
                       [(l->source_own[k] ? 2 : 0) + (l->source_layer[k] >= i)]);
        printf("\n");
    }
}

int cli_nir_check(const char *path, bool quiet)
{
    base_error e;
    base_error_clear(&e);
    nir_graph *g = cfg_nir_load(path, &e);
    if (!g) {
        char b[BASE_MSG_MAX + BASE_PATH_MAX];
        fprintf(stderr, "%s\n", base_error_str(&e, b, sizeof b));
        return 1;
    }
    base_error ce;
    base_error_clear(&ce);
    cfg_workload *w = cfg_nir_workload(g, &ce);
    if (!quiet) {
        printf("%s: NIR graph%s%s%s, %d nodes, %d edges (%d recurrent)\n", path,
               g->version[0] ? " (version " : "", g->version, g->version[0] ? ")" : "",
               g->n_nodes, g->n_edges, g->n_recurrent);
        print_nodes(g, w);
        print_edges(g);
        if (w)
            print_layers(w);
        else
            printf("  evsim layers: none: %s\n", ce.msg);
    }
    cfg_workload_free(w);
    cfg_nir_free(g);
    return 0;
}
