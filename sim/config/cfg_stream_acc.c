/* cfg_stream_acc.c -- a Stream accelerator file read as it is: `cores`
 * maps core ids to core files (or inline cores), `offchip_core_id` names
 * the memory core that fronts DRAM, and `core_connectivity` lists links
 * and buses. cfg_chip.c hands a document here when it has that form
 * (cfg_stream_acc_is); the result is a cfg_chip with stream_form set,
 * each core a core type of its own, and the connections in file order.
 *
 * The keys and checks follow Stream's accelerator validator (cb9dfc52,
 * the version of ../shared/reference/stream); what evsim does not model
 * (memory shared between cores, the newer coordinate and cost keys) is
 * refused by name rather than silently dropped. */
#include <float.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cfg_yaml.h"

static const char *const acc_keys[] = {"name", "cores", "offchip_core_id", "unit_energy_cost",
                                       "core_connectivity", "core_memory_sharing", "clock_ghz",
                                       NULL};
/* Keys of Stream versions after cb9dfc52; refused with a message of
 * their own rather than "unknown key". */
static const char *const newer_keys[] = {"core_coordinates", "technology_node",
                                         "memory_aliases", NULL};
static const char *const conn_keys[] = {"type", "cores", "bandwidth", "unit_energy_cost", NULL};

bool cfg_stream_acc_is(cfg_doc *d, const cfg_node *root)
{
    if (!cfg_is_map(root))
        return false;
    /* evsim's own chip lists its cores; Stream maps ids to files. */
    return cfg_is_map(cfg_map_get(d, root, "cores")) ||
           cfg_map_get(d, root, "offchip_core_id") || cfg_map_get(d, root, "core_connectivity") ||
           cfg_map_get(d, root, "core_memory_sharing") || cfg_map_get(d, root, "unit_energy_cost");
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_yaml_ext(const char *s)
{
    size_t n = strlen(s);
    return (n > 5 && !strcmp(s + n - 5, ".yaml")) || (n > 4 && !strcmp(s + n - 4, ".yml"));
}

/* The core file a `cores:` value names (README.md "Stream accelerator
 * files"): a path with a slash relative to the accelerator's directory
 * (absolute as is); a bare name in its cores/ directory, then next to it,
 * with ".yaml" added when the name has no extension. Stream's older
 * versions also searched their own input tree; evsim has none. Returns
 * false with the places looked in `looked`. */
static bool resolve_core(const char *dir, const char *rel, char *out, size_t cap,
                         char *looked, size_t lcap)
{
    char cand[4][1024], base[1024];
    int n = 0;
    snprintf(base, sizeof base, "%s", dir);
    for (size_t k = strlen(base); k > 1 && base[k - 1] == '/'; k--)
        base[k - 1] = '\0';   /* "dir/" as given to load_string */
    if (strchr(rel, '/')) {
        if (cfg_join(base, rel, cand[n], sizeof cand[0]))
            n++;
    } else {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/cores", base);
        const char *dirs[2] = {sub, base};
        for (int k = 0; k < 2; k++) {
            if (cfg_join(dirs[k], rel, cand[n], sizeof cand[0]))
                n++;
            if (!has_yaml_ext(rel) && (size_t)snprintf(cand[n], sizeof cand[0], "%s/%s.yaml",
                                                       dirs[k], rel) < sizeof cand[0])
                n++;
        }
    }
    looked[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (is_file(cand[i]) && strlen(cand[i]) < cap) {
            strcpy(out, cand[i]);
            return true;
        }
        size_t used = strlen(looked);
        snprintf(looked + used, lcap - used, "%s%s", i ? ", " : "", cand[i]);
    }
    return false;
}

/* The type's name: the file's name without directory and extension. */
static void stem_of(const char *rel, char *out, size_t cap)
{
    const char *s = strrchr(rel, '/');
    s = s ? s + 1 : rel;
    snprintf(out, cap, "%s", s);
    char *dot = strrchr(out, '.');
    if (dot && dot != out && has_yaml_ext(out))
        *dot = '\0';
}

/* One `cores:` value into type t: a core file (loaded once per resolved
 * path, later cores copy it) or an inline core. */
static bool load_core(cfg_doc *d, const cfg_node *v, const char *kp, int64_t id,
                      const char *base, cfg_chip *c, cfg_core_type *t)
{
    char b[96], looked[2200];
    if (cfg_is_map(v)) {
        snprintf(t->name, sizeof t->name, "core%lld", (long long)id);
        return cfg_core_parse(d, v, kp, &t->core) == 0;
    }
    const char *rel = cfg_text(v);
    if (!rel || cfg_is_null(v) || !rel[0]) {
        cfg_err_at(d, v, kp, "expected a core file name (or an inline core), found %s",
                   cfg_describe(v, b, sizeof b));
        return false;
    }
    stem_of(rel, t->name, sizeof t->name);
    if (!resolve_core(base, rel, t->source, sizeof t->source, looked, sizeof looked)) {
        cfg_err_at(d, v, kp, "core file '%s' not found: looked for %s", rel, looked);
        return false;
    }
    for (int i = 0; i < c->n_types; i++)
        if (!strcmp(c->types[i].source, t->source)) {
            t->core = c->types[i].core;
            return true;
        }
    cfg_core *core = cfg_core_load_file(t->source, d->err);
    if (!core) {
        cfg_err_at(d, v, kp, "core %lld: %s does not load (errors above)", (long long)id,
                   t->source);
        return false;
    }
    t->core = *core;
    cfg_core_free(core);
    return true;
}

/* cores: {id: file}; ids are 0..n-1 as Stream requires, each once. */
static void parse_cores(cfg_doc *d, const cfg_node *cn, const char *base, cfg_chip *c)
{
    char kp[64];
    if (!cfg_expect_map(d, cn, "cores"))
        return;
    int n = cfg_map_len(cn);
    if (n == 0 || n > CFG_MAX_LIST) {
        cfg_err_at(d, cn, "cores", "expected 1 to %d cores, found %d", CFG_MAX_LIST, n);
        return;
    }
    c->types = base_calloc((size_t)n, sizeof *c->types);
    c->cores = base_calloc((size_t)n, sizeof *c->cores);
    if (!c->types || !c->cores) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *kn = cfg_map_key(d, cn, i);
        int64_t id;
        if (!cfg_as_int(d, kn, "cores", 0, n - 1, &id))
            continue;   /* out of 0..n-1: an id is missing or not an integer */
        snprintf(kp, sizeof kp, "cores.%lld", (long long)id);
        if (cfg_chip_find_core(c, id) >= 0) {
            cfg_err_at(d, kn, kp, "core id %lld is given twice", (long long)id);
            continue;
        }
        cfg_core_type *t = &c->types[c->n_types];
        if (!load_core(d, cfg_map_val(d, cn, i), kp, id, base, c, t))
            continue;
        c->cores[c->n_cores].id = id;
        c->cores[c->n_cores].type = c->n_types;
        c->n_types++;
        c->n_cores++;
    }
}

static void parse_offchip(cfg_doc *d, const cfg_node *root, cfg_chip *c)
{
    cfg_node *v = cfg_need(d, root, "", "offchip_core_id");
    int64_t id;
    if (!v || !cfg_as_int(d, v, "offchip_core_id", 0, INT32_MAX, &id))
        return;
    int i = cfg_chip_find_core(c, id);
    if (i < 0) {
        cfg_err_at(d, v, "offchip_core_id", "expected one of the ids under cores (0..%d), "
                   "found %lld", c->n_cores - 1, (long long)id);
        return;
    }
    const cfg_core_type *t = &c->types[c->cores[i].type];
    if (t->core.kind != CFG_CORE_MEMORY) {
        cfg_err_at(d, v, "offchip_core_id", "expected a memory core (a core file with type: "
                   "memory), found core %lld (%s), a compute core", (long long)id, t->name);
        return;
    }
    c->offchip_core_id = id;
}

/* An entry's cores: ids of the chip, each once; a link has two. */
static bool parse_conn_cores(cfg_doc *d, const cfg_node *v, const char *kp, const cfg_chip *c,
                             cfg_conn *k)
{
    char ip[96], b[96];
    if (!cfg_expect_seq(d, v, kp))
        return false;
    int n = cfg_seq_len(v);
    if (k->type == CFG_CONN_LINK && n != 2) {
        cfg_err_at(d, v, kp, "expected the 2 cores of a link, found %d (a bus joins more)", n);
        return false;
    }
    if (n < 2 || n > CFG_CONN_MAX_CORES) {
        cfg_err_at(d, v, kp, "expected 2 to %d cores on a bus, found %d", CFG_CONN_MAX_CORES, n);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < n; i++) {
        cfg_node *e = cfg_seq_at(d, v, i);
        cfg_path_idx(ip, sizeof ip, kp, i);
        int64_t id;
        if (!cfg_as_int(d, e, ip, 0, INT64_MAX, &id)) {
            ok = false;
            continue;
        }
        if (cfg_chip_find_core(c, id) < 0) {
            cfg_err_at(d, e, ip, "expected a core id under cores (0..%d), found %s",
                       c->n_cores - 1, cfg_describe(e, b, sizeof b));
            ok = false;
        }
        for (int j = 0; j < i && ok; j++)
            if (k->cores[j] == id) {
                cfg_err_at(d, e, ip, "core %lld is listed twice in this entry", (long long)id);
                ok = false;
            }
        k->cores[i] = id;
    }
    k->n_cores = n;
    return ok;
}

static bool parse_conn(cfg_doc *d, const cfg_node *en, const char *ip, const cfg_chip *c,
                       cfg_conn *k)
{
    char kp[96], ty[16] = "link", b[96];
    if (!cfg_expect_map(d, en, ip))
        return false;
    k->line = (int)en->start_mark.line + 1;
    k->col = (int)en->start_mark.column + 1;
    bool ok = cfg_check_keys(d, en, ip, conn_keys);
    cfg_node *tn = cfg_map_get(d, en, "type");
    if (tn && (!cfg_as_str(d, tn, cfg_path_key(kp, sizeof kp, ip, "type"), ty, sizeof ty) ||
               (strcmp(ty, "link") && strcmp(ty, "bus")))) {
        cfg_err_at(d, tn, kp, "expected link or bus, found %s", cfg_describe(tn, b, sizeof b));
        return false;
    }
    k->type = strcmp(ty, "bus") ? CFG_CONN_LINK : CFG_CONN_BUS;
    cfg_node *cn = cfg_need(d, en, ip, "cores");
    ok &= cn && parse_conn_cores(d, cn, cfg_path_key(kp, sizeof kp, ip, "cores"), c, k);
    if (cfg_get_double(d, en, ip, "bandwidth", true, 0, DBL_MAX, &k->bandwidth) &&
        cfg_map_get(d, en, "bandwidth") && k->bandwidth <= 0) {
        cfg_err_at(d, cfg_map_get(d, en, "bandwidth"), cfg_path_key(kp, sizeof kp, ip,
                   "bandwidth"), "expected a bandwidth > 0 (bits per cycle), found %g",
                   k->bandwidth);
        ok = false;
    }
    ok &= cfg_map_get(d, en, "bandwidth") != NULL;
    k->unit_energy_pj = c->unit_energy_cost_pj;
    ok &= cfg_get_double(d, en, ip, "unit_energy_cost", false, 0, DBL_MAX, &k->unit_energy_pj);
    return ok;
}

static void parse_connectivity(cfg_doc *d, const cfg_node *root, cfg_chip *c)
{
    char ip[64];
    cfg_node *v = cfg_need(d, root, "", "core_connectivity");
    if (!v || !cfg_expect_seq(d, v, "core_connectivity"))
        return;
    int n = cfg_seq_len(v);
    c->conns = base_calloc((size_t)n + 1, sizeof *c->conns);
    if (!c->conns) {
        cfg_err_file(d->err, d->file, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        if (parse_conn(d, cfg_seq_at(d, v, i), cfg_path_idx(ip, sizeof ip, "core_connectivity", i),
                       c, &c->conns[c->n_conns]))
            c->n_conns++;
}

/* Stream lets cores named here share their memories; evsim's cores each
 * own theirs, so a non-empty list would change the result silently. */
static void check_sharing(cfg_doc *d, const cfg_node *root)
{
    cfg_node *v = cfg_map_get(d, root, "core_memory_sharing");
    if (!v || cfg_is_null(v) || !cfg_expect_seq(d, v, "core_memory_sharing"))
        return;
    if (cfg_seq_len(v) > 0)
        cfg_err_at(d, v, "core_memory_sharing", "evsim does not model memory shared between "
                   "cores: expected an empty list or no key, found %d group%s",
                   cfg_seq_len(v), cfg_seq_len(v) == 1 ? "" : "s");
}

static void check_newer_keys(cfg_doc *d, const cfg_node *root)
{
    for (int k = 0; k < cfg_map_len(root); k++) {
        cfg_node *kn = cfg_map_key(d, root, k);
        for (int i = 0; cfg_text(kn) && newer_keys[i]; i++)
            if (!strcmp(cfg_text(kn), newer_keys[i]))
                cfg_err_at(d, kn, newer_keys[i], "a key of Stream versions after cb9dfc52 "
                           "that evsim does not read: expected name, cores, offchip_core_id, "
                           "unit_energy_cost, core_connectivity, core_memory_sharing (and "
                           "evsim's clock_ghz)");
    }
}

/* Every top-level key is either one evsim reads or a newer Stream key
 * refused by check_newer_keys; only the rest are "unknown". */
static void check_keys(cfg_doc *d, const cfg_node *root)
{
    const char *known[16];
    int n = 0;
    for (int i = 0; acc_keys[i]; i++)
        known[n++] = acc_keys[i];
    for (int i = 0; newer_keys[i]; i++)
        known[n++] = newer_keys[i];
    known[n] = NULL;
    cfg_check_keys(d, root, "", known);
    check_newer_keys(d, root);
}

void cfg_stream_acc_parse(cfg_doc *d, const cfg_node *root, const char *base, cfg_chip *c)
{
    check_keys(d, root);
    c->stream_form = true;
    cfg_get_str(d, root, "", "name", true, c->name, sizeof c->name);
    /* Stream counts in core cycles and has no clock; evsim's reports need
     * one (README.md "Stream accelerator files"). */
    c->clock_ghz = CFG_STREAM_CLOCK_GHZ;
    cfg_get_double(d, root, "", "clock_ghz", false, 1e-6, 1e3, &c->clock_ghz);
    const cfg_node *clk = cfg_map_get(d, root, "clock_ghz");
    /* line 0: not in the file (a range message is then about the file) */
    c->clock_line = clk ? (int)clk->start_mark.line + 1 : 0;
    c->clock_col = clk ? (int)clk->start_mark.column + 1 : 0;
    c->unit_energy_cost_pj = 0;
    cfg_get_double(d, root, "", "unit_energy_cost", false, 0, DBL_MAX, &c->unit_energy_cost_pj);
    cfg_node *cores = cfg_need(d, root, "", "cores");
    if (cores)
        parse_cores(d, cores, base, c);
    if (c->n_cores == 0)
        return;   /* the rest names cores: nothing to check them against */
    parse_offchip(d, root, c);
    parse_connectivity(d, root, c);
    check_sharing(d, root);
}

/* Stream adds one directed edge per ordered pair in file order, a later
 * entry replacing an earlier one: so the last entry joining both wins. */
const cfg_conn *cfg_chip_conn_of(const cfg_chip *c, int64_t from_id, int64_t to_id)
{
    if (from_id == to_id)
        return NULL;
    for (int i = c->n_conns - 1; i >= 0; i--) {
        const cfg_conn *k = &c->conns[i];
        bool from = false, to = false;
        for (int j = 0; j < k->n_cores; j++) {
            from |= k->cores[j] == from_id;
            to |= k->cores[j] == to_id;
        }
        if (from && to)
            return k;
    }
    return NULL;
}
