/* cli_map.c -- `evsim map`: maps each layer of a workload on one core with
 * the LOMA mapper and prints the loop-order table and cost breakdown, or
 * one JSON object per layer. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "loma/loma_cfg.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: evsim map --hw CORE.yaml --workload LAYERS.yaml --mapping MAP.yaml\n"
            "                 [--layer ID] [--criterion latency|energy|edp] [--lpf-limit N]\n"
            "                 [--max-orderings N] [--threads N] [--cache FILE] [--json]\n"
            "\n"
            "Maps each layer (or layer ID) on the core with LOMA and prints the chosen\n"
            "loop order per operand (innermost first, with the memory of each level)\n"
            "and the latency / energy breakdown. --threads spreads the evaluation of\n"
            "orderings over N threads; the result is the same for any N. --cache FILE\n"
            "keeps results per (layer shape, core) in FILE so a second run skips the search.\n");
}

static void print_errors(const base_errors *e)
{
    char buf[BASE_PATH_MAX + BASE_MSG_MAX + 32];
    for (int i = 0; i < e->count; i++)
        fprintf(stderr, "evsim map: %s\n", base_error_str(&e->items[i], buf, sizeof buf));
    if (e->dropped)
        fprintf(stderr, "evsim map: (%d more errors)\n", e->dropped);
}

static void print_loop(FILE *out, const loma_layer *ll, const loma_loop *l)
{
    if (l->size == (double)(long long)l->size)
        fprintf(out, "%s %lld", ll->dim_name[l->dim], (long long)l->size);
    else
        fprintf(out, "%s %.3g", ll->dim_name[l->dim], l->size);
}

static void print_text(FILE *out, const loma_layer *ll, const loma_core *lc, const loma_result *r,
                       long long id)
{
    fprintf(out, "layer %lld (%s) on %s\n", id, ll->name, lc->name);
    fprintf(out, "  spatial:");
    for (int i = 0; i < r->n_spatial; i++) {
        fprintf(out, " %s:", lc->oa_name[r->sp_oa[i]]);
        print_loop(out, ll, &r->sp_loop[i]);
    }
    fprintf(out, "%s\n", r->n_spatial ? "" : " none");
    fprintf(out, "  temporal loops per operand, innermost first (level: memory: loops):\n");
    for (int op = 0; op < LOMA_N_OPS; op++) {
        fprintf(out, "    %s\n", ll->op_name[op]);
        for (int lv = 0; lv < r->n_levels[op]; lv++) {
            fprintf(out, "      L%d %-16s", lv, lc->mem[r->mem_of[op][lv]].name);
            if (r->n_loops[op][lv] == 0)
                fprintf(out, " -");
            for (int i = 0; i < r->n_loops[op][lv]; i++) {
                fprintf(out, " [");
                print_loop(out, ll, &r->loops[op][lv][i]);
                fprintf(out, "]");
            }
            fprintf(out, "\n");
        }
    }
    /* ZigZag's loop-nest view: the whole ordering, outermost first, with
     * the memory each operand fetches that loop's data from */
    fprintf(out, "  loop nest, outermost first (memory per operand):\n");
    fprintf(out, "    %-32s", "");
    for (int op = 0; op < LOMA_N_OPS; op++)
        fprintf(out, op + 1 < LOMA_N_OPS ? " %-16s" : " %s", ll->op_name[op]);
    fprintf(out, "\n");
    for (int i = r->n_order - 1; i >= 0; i--) {
        char loop[96];
        int depth = r->n_order - 1 - i;
        snprintf(loop, sizeof loop, "%*sfor %s in [0, %lld):", 2 * depth, "",
                 ll->dim_name[r->order[i].dim], (long long)r->order[i].size);
        fprintf(out, "    %-32s", loop);
        for (int op = 0; op < LOMA_N_OPS; op++) {
            int pos = 0, lv = 0;
            const char *sep = op + 1 < LOMA_N_OPS ? "-16" : "";
            for (lv = 0; lv < r->n_levels[op]; lv++) {
                if (i < pos + r->n_loops[op][lv])
                    break;
                pos += r->n_loops[op][lv];
            }
            if (lv >= r->n_levels[op])
                lv = r->n_levels[op] - 1;
            fprintf(out, *sep ? " %-16s" : " %s", lc->mem[r->mem_of[op][lv]].name);
        }
        fprintf(out, "\n");
    }
    for (int i = 0; i < r->n_spatial; i++) {
        char loop[96];
        snprintf(loop, sizeof loop, "%*sparfor %s in [0, %lld):", 2 * r->n_order, "",
                 ll->dim_name[r->sp_loop[i].dim], (long long)r->sp_loop[i].size);
        fprintf(out, "    %-32s %s\n", loop, lc->oa_name[r->sp_oa[i]]);
    }
    fprintf(out, "  latency %.0f cycles (ideal %.0f, temporal %.0f, stall %.0f, onload %.0f, "
                 "offload %.0f), utilisation %.3f\n",
            r->latency_cycles, r->ideal_cycles, r->ideal_temporal_cycles, r->stall_cycles,
            r->onload_cycles, r->offload_cycles, r->utilization);
    fprintf(out, "  energy %.3f pJ (MAC %.3f, memory %.3f)\n", r->energy_pj, r->mac_energy_pj,
            r->mem_energy_pj);
    for (int op = 0; op < LOMA_N_OPS; op++)
        for (int lv = 0; lv < r->n_levels[op]; lv++)
            fprintf(out, "    %-2s L%d %-16s %.3f pJ\n", ll->op_name[op], lv,
                    lc->mem[r->mem_of[op][lv]].name, r->energy_level_pj[op][lv]);
    fprintf(out, "  orderings evaluated %llu (valid %llu), chosen #%llu, %.6f s\n",
            (unsigned long long)r->orderings_evaluated, (unsigned long long)r->orderings_valid,
            (unsigned long long)r->chosen_index, r->wall_s);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static void print_json(FILE *out, const loma_layer *ll, const loma_core *lc, const loma_result *r,
                       long long id, bool from_cache)
{
    fprintf(out, "{\"layer\":%lld,\"name\":", id);
    json_str(out, ll->name);
    fprintf(out,
            ",\"latency_cycles\":%.17g,\"energy_pj\":%.17g,\"mac_energy_pj\":%.17g,"
            "\"mem_energy_pj\":%.17g,\"ideal_cycles\":%.17g,\"ideal_temporal_cycles\":%.17g,"
            "\"stall_cycles\":%.17g,\"onload_cycles\":%.17g,\"offload_cycles\":%.17g,"
            "\"spatial_utilization\":%.17g,\"temporal_utilization\":%.17g,\"utilization\":%.17g,"
            "\"orderings_evaluated\":%llu,\"orderings_valid\":%llu,\"orderings_skipped\":%llu,"
            "\"chosen_index\":%llu,\"spatial_mapping\":{",
            r->latency_cycles, r->energy_pj, r->mac_energy_pj, r->mem_energy_pj, r->ideal_cycles,
            r->ideal_temporal_cycles, r->stall_cycles, r->onload_cycles, r->offload_cycles,
            r->spatial_utilization, r->ideal_temporal_cycles / r->latency_cycles, r->utilization,
            (unsigned long long)r->orderings_evaluated,
            (unsigned long long)r->orderings_valid, (unsigned long long)r->orderings_skipped,
            (unsigned long long)r->chosen_index);
    for (int o = 0; o < lc->n_oa; o++) {
        fprintf(out, "%s", o ? "," : "");
        json_str(out, lc->oa_name[o]);
        fprintf(out, ":[");
        int k = 0;
        for (int i = 0; i < r->n_spatial; i++)
            if (r->sp_oa[i] == o) {
                fprintf(out, "%s[", k++ ? "," : "");
                json_str(out, ll->dim_name[r->sp_loop[i].dim]);
                fprintf(out, ",%.17g]", r->sp_loop[i].size);
            }
        fprintf(out, "]");
    }
    fprintf(out, "},\"temporal_mapping\":{");
    for (int op = 0; op < LOMA_N_OPS; op++) {
        fprintf(out, "%s", op ? "," : "");
        json_str(out, ll->op_name[op]);
        fprintf(out, ":[");
        for (int lv = 0; lv < r->n_levels[op]; lv++) {
            fprintf(out, "%s{\"memory\":", lv ? "," : "");
            json_str(out, lc->mem[r->mem_of[op][lv]].name);
            fprintf(out, ",\"energy_pj\":%.17g,\"energy_by_direction_pj\":{", r->energy_level_pj[op][lv]);
            for (int d = 0; d < LOMA_N_DIRS; d++)
                fprintf(out, "%s\"%s\":%.17g", d ? "," : "", loma_dir_name(d),
                        r->energy_dir_pj[op][lv][d]);
            fprintf(out, "},\"word_accesses\":{");
            for (int d = 0; d < LOMA_N_DIRS; d++)
                fprintf(out, "%s\"%s\":%.17g", d ? "," : "", loma_dir_name(d),
                        r->word_access[op][lv][d]);
            fprintf(out, "},\"double_buffered\":%s,\"loops\":[",
                    r->double_buffer[op][lv + 1] ? "true" : "false");
            for (int i = 0; i < r->n_loops[op][lv]; i++) {
                fprintf(out, "%s[", i ? "," : "");
                json_str(out, ll->dim_name[r->loops[op][lv][i].dim]);
                fprintf(out, ",%.17g]", r->loops[op][lv][i].size);
            }
            fprintf(out, "]}");
        }
        fprintf(out, "]");
    }
    fprintf(out, "},\"ordering\":[");
    for (int i = 0; i < r->n_order; i++) {
        fprintf(out, "%s[", i ? "," : "");
        json_str(out, ll->dim_name[r->order[i].dim]);
        fprintf(out, ",%.17g]", r->order[i].size);
    }
    fprintf(out, "],\"from_cache\":%s,\"wall_s\":%.9f}\n", from_cache ? "true" : "false",
            r->wall_s);
}

int cli_map_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"hw", required_argument, NULL, 'h'},        {"workload", required_argument, NULL, 'w'},
        {"mapping", required_argument, NULL, 'm'},   {"layer", required_argument, NULL, 'l'},
        {"criterion", required_argument, NULL, 'c'}, {"lpf-limit", required_argument, NULL, 'p'},
        {"max-orderings", required_argument, NULL, 'x'}, {"json", no_argument, NULL, 'j'},
        {"threads", required_argument, NULL, 't'}, {"cache", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'H'},            {NULL, 0, NULL, 0}};
    const char *hw = NULL, *wl = NULL, *mp = NULL, *cache_path = NULL;
    long long layer_id = -1;
    bool has_layer = false, json = false;
    loma_options opt = {LOMA_CRIT_LATENCY, 6, 0, 0};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'h': hw = optarg; break;
        case 'w': wl = optarg; break;
        case 'm': mp = optarg; break;
        case 'l':
            layer_id = strtoll(optarg, &end, 10);
            if (!*optarg || *end) {
                fprintf(stderr, "evsim map: --layer wants an integer id, got '%s'\n", optarg);
                return 2;
            }
            has_layer = true;
            break;
        case 'c':
            if (loma_criterion_parse(optarg, &opt.criterion)) {
                fprintf(stderr, "evsim map: --criterion must be latency, energy or edp, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'p':
            opt.lpf_limit = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || opt.lpf_limit < 1 || opt.lpf_limit > LOMA_MAX_LPF) {
                fprintf(stderr, "evsim map: --lpf-limit wants 1..%d, got '%s'\n", LOMA_MAX_LPF,
                        optarg);
                return 2;
            }
            break;
        case 'x':
            opt.max_orderings = strtoull(optarg, &end, 10);
            if (!*optarg || *end || opt.max_orderings == 0) {
                fprintf(stderr, "evsim map: --max-orderings wants a positive count, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 't':
            opt.threads = (int)strtol(optarg, &end, 10);
            if (!*optarg || *end || opt.threads < 1 || opt.threads > LOMA_MAX_THREADS) {
                fprintf(stderr, "evsim map: --threads wants 1..%d, got '%s'\n", LOMA_MAX_THREADS,
                        optarg);
                return 2;
            }
            break;
        case 'C': cache_path = optarg; break;
        case 'j': json = true; break;
        case 'H': usage(stdout); return 0;
        default:
            fprintf(stderr, "evsim map: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "evsim map: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!hw || !wl || !mp) {
        fprintf(stderr, "evsim map: --hw, --workload and --mapping are required\n");
        usage(stderr);
        return 2;
    }
    base_errors e;
    base_errors_init(&e);
    cfg_core *core = cfg_core_load_file(hw, &e);
    cfg_workload *w = cfg_workload_load_file(wl, &e);
    cfg_mapping *m = cfg_mapping_load_file(mp, &e);
    int rc = 0;
    loma_cache *cache = NULL;
    if (!core || !w || !m) {
        print_errors(&e);
        rc = 1;
        goto out;
    }
    if (cache_path) {
        cache = loma_cache_new();
        base_error err;
        if (!cache) {
            fprintf(stderr, "evsim map: out of memory\n");
            rc = 1;
            goto out;
        }
        if (access(cache_path, F_OK) == 0 && loma_cache_load(cache, cache_path, &err)) {
            fprintf(stderr, "evsim map: %s\n", err.msg);
            rc = 1;
            goto out;
        }
    }
    int done = 0;
    for (int i = 0; i < w->n_layers; i++) {
        const cfg_layer *l = &w->layers[i];
        if (has_layer && l->id != layer_id)
            continue;
        done++;
        const cfg_map_entry *me = cfg_mapping_find(m, l);
        if (!me) {
            fprintf(stderr, "evsim map: layer %lld (%s): no mapping entry (name, operator_type or "
                            "default) in %s\n",
                    (long long)l->id, l->name, mp);
            rc = 1;
            continue;
        }
        loma_core lc;
        loma_layer ll;
        loma_spatial ls;
        loma_result *own = malloc(sizeof *own);
        const loma_result *r = own;
        base_error err;
        int bad = !own || loma_from_cfg(core, l, me, &lc, &ll, &ls, &err);
        loma_order fixed;
        int has_fixed = bad ? 0 : loma_order_from_cfg(l, me, &fixed, &err);
        if (has_fixed < 0)
            bad = 1;
        uint64_t hits = cache ? loma_cache_hits(cache) : 0;
        if (!bad && has_fixed)
            bad = loma_map_ordering(&ll, &lc, &ls, &fixed, own, &err);
        else if (!bad && cache)
            bad = loma_cache_map(cache, &ll, &lc, loma_core_id(&lc), &ls, &opt, &r, &err);
        else if (!bad)
            bad = loma_map(&ll, &lc, &ls, &opt, own, &err);
        if (bad) {
            fprintf(stderr, "evsim map: %s\n", own ? err.msg : "out of memory");
            free(own);
            rc = 1;
            continue;
        }
        if (me->n_order > 0 && !has_fixed)
            fprintf(stderr,
                    "evsim map: note: layer %lld (%s): the mapping's temporal_ordering has `*` "
                    "loops and is not applied; LOMA searches every ordering\n",
                    (long long)l->id, ll.name);
        /* ZigZag silently shrinks unrolls that exceed the layer dim, an
         * innermost port's width or capacity; say so */
        for (int o = 0; o < lc.n_oa; o++)
            for (int u = 0; u < ls.n_unrolls[o]; u++) {
                double used = 1;
                for (int i = 0; i < r->n_spatial; i++)
                    if (r->sp_oa[i] == o && r->sp_loop[i].dim == ls.dim[o][u])
                        used = r->sp_loop[i].size;
                if (used < (double)ls.factor[o][u])
                    fprintf(stderr,
                            "evsim map: note: layer %lld (%s): spatial unroll %s [%s, %llu] "
                            "reduced to %.0f (layer size, innermost port width or capacity)\n",
                            (long long)l->id, ll.name, lc.oa_name[o], ll.dim_name[ls.dim[o][u]],
                            (unsigned long long)ls.factor[o][u], used);
            }
        if (r->orderings_skipped)
            fprintf(stderr,
                    "evsim map: warning: layer %lld (%s): search bounded at %llu orderings, %llu "
                    "skipped (lower --lpf-limit or raise --max-orderings)\n",
                    (long long)l->id, ll.name, (unsigned long long)r->orderings_evaluated,
                    (unsigned long long)r->orderings_skipped);
        if (json)
            print_json(stdout, &ll, &lc, r, (long long)l->id,
                       cache && loma_cache_hits(cache) > hits);
        else
            print_text(stdout, &ll, &lc, r, (long long)l->id);
        free(own);
    }
    if (cache && rc == 0) {
        base_error err;
        if (loma_cache_save(cache, cache_path, &err)) {
            fprintf(stderr, "evsim map: %s\n", err.msg);
            rc = 1;
        }
    }
    if (has_layer && !done) {
        fprintf(stderr, "evsim map: no layer with id %lld in %s\n", layer_id, wl);
        rc = 1;
    }
out:
    loma_cache_free(cache);
    cfg_core_free(core);
    cfg_workload_free(w);
    cfg_mapping_free(m);
    base_errors_clear(&e);
    return rc;
}
