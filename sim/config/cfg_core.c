/* cfg_core.c -- ZigZag core descriptions, in the current port form
 * (ports: [{name, type, bandwidth_min, bandwidth_max, allocation}]) and in
 * the pre-2025 form (r_bw/w_bw/r_port/w_port/rw_port plus one
 * {fh, tl, fl, th} -> port-name dict per operand). Both end up as the same
 * cfg_core: the old form is converted the way ZigZag's migration did
 * (ports r_port_i, w_port_i, rw_port_i in that order, unused ones dropped,
 * bandwidth_min from min_*_granularity or else the port width). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_yaml.h"

static const char *const mop_names[] = {"I1", "I2", "O"};
static const char *const dir_names[] = {"fh", "tl", "fl", "th", NULL};
static const char *const dir_words[] = {
    "written from the higher level", "read out to the lower level",
    "written from the lower level", "read out to the higher level"};

int cfg_mem_operand_from_name(const char *s)
{
    for (int i = 0; i < CFG_MOP_COUNT; i++)
        if (!strcmp(s, mop_names[i]))
            return i;
    return -1;
}

const char *cfg_mem_operand_name(cfg_mem_operand op)
{
    return (unsigned)op < CFG_MOP_COUNT ? mop_names[op] : "?";
}

const char *cfg_dir_name(cfg_dir d)
{
    return (unsigned)d < CFG_DIR_COUNT ? dir_names[d] : "?";
}

static int dir_from_name(const char *s)
{
    for (int i = 0; i < CFG_DIR_COUNT; i++)
        if (!strcmp(s, dir_names[i]))
            return i;
    return -1;
}

int cfg_core_oa_dim(const cfg_core *c, const char *name)
{
    for (int i = 0; i < c->n_oa_dims; i++)
        if (!strcmp(c->oa_dims[i], name))
            return i;
    return -1;
}

int cfg_core_top_memory(const cfg_core *c, cfg_mem_operand op)
{
    for (int i = c->n_mems - 1; i >= 0; i--)
        if (c->mems[i].holds[op])
            return i;
    return -1;
}

static const char *const core_keys[] = {"name", "type", "memories", "operational_array",
                                        "dataflows", NULL};
static const char *const oa_keys[] = {"unit_energy", "unit_area", "dimensions", "sizes",
                                      "input_precision", "is_imc", "imc_type",
                                      "adc_resolution", "bit_serial_precision", NULL};
static const char *const mem_keys[] = {
    "size", "r_cost", "w_cost", "area", "latency", "mem_type", "auto_cost_extraction",
    "operands", "ports", "served_dimensions", "force_double_buffering",
    /* the pre-2025 form */
    "r_bw", "w_bw", "r_port", "w_port", "rw_port", "min_r_granularity", "min_w_granularity",
    NULL};
static const char *const port_keys[] = {"name", "type", "bandwidth_min", "bandwidth_max",
                                        "allocation", NULL};

static int parse_oa(cfg_doc *d, const cfg_node *oa, const char *path, cfg_core *c)
{
    char kp[256], ip[256], b[96];
    if (!cfg_expect_map(d, oa, path))
        return -1;
    cfg_check_keys(d, oa, path, oa_keys);
    bool imc = false;
    cfg_get_bool(d, oa, path, "is_imc", false, &imc);
    if (imc)
        cfg_err_at(d, cfg_map_get(d, oa, "is_imc"), cfg_path_key(kp, sizeof kp, path, "is_imc"),
                   "in-memory computing (is_imc: true) is not supported by evsim: "
                   "expected is_imc: false or no is_imc key");
    cfg_get_double(d, oa, path, "unit_energy", true, 0, 1e9, &c->unit_energy_pj);
    cfg_get_double(d, oa, path, "unit_area", false, 0, 1e18, &c->unit_area);
    cfg_node *dims = cfg_need(d, oa, path, "dimensions");
    cfg_node *sizes = cfg_need(d, oa, path, "sizes");
    if (!dims || !sizes)
        return -1;
    if (!cfg_expect_seq(d, dims, cfg_path_key(kp, sizeof kp, path, "dimensions")) ||
        !cfg_expect_seq(d, sizes, cfg_path_key(kp, sizeof kp, path, "sizes")))
        return -1;
    int n = cfg_seq_len(dims);
    if (n < 1 || n > CFG_MAX_OA_DIMS) {
        cfg_err_at(d, dims, cfg_path_key(kp, sizeof kp, path, "dimensions"),
                   "expected 1 to %d dimensions, found %d", CFG_MAX_OA_DIMS, n);
        return -1;
    }
    if (cfg_seq_len(sizes) != n) {
        cfg_err_at(d, sizes, cfg_path_key(kp, sizeof kp, path, "sizes"),
                   "expected %d sizes (one per dimension), found %d", n, cfg_seq_len(sizes));
        return -1;
    }
    c->n_oa_dims = n;
    for (int i = 0; i < n; i++) {
        cfg_node *dn = cfg_seq_at(d, dims, i);
        cfg_path_idx(ip, sizeof ip, cfg_path_key(kp, sizeof kp, path, "dimensions"), i);
        const char *t = cfg_text(dn);
        if (!t || t[0] != 'D' || !t[1] || strspn(t + 1, "0123456789") != strlen(t + 1) ||
            strlen(t) >= CFG_DIM_NAME_MAX) {
            cfg_err_at(d, dn, ip, "expected a dimension name D1, D2, ..., found %s",
                       cfg_describe(dn, b, sizeof b));
            continue;
        }
        if (cfg_core_oa_dim(c, t) >= 0)
            cfg_err_at(d, dn, ip, "dimension %s is listed twice", t);
        strcpy(c->oa_dims[i], t);
        cfg_path_idx(ip, sizeof ip, cfg_path_key(kp, sizeof kp, path, "sizes"), i);
        /* A memory core has no PEs: Stream writes its array as sizes 0. */
        cfg_as_uint(d, cfg_seq_at(d, sizes, i), ip, c->kind == CFG_CORE_MEMORY ? 0 : 1,
                    &c->oa_sizes[i]);
    }
    return 0;
}

/* Stream's `type: compute | memory` (absent: compute). */
static void parse_core_type(cfg_doc *d, const cfg_node *root, const char *path, cfg_core *c)
{
    char t[16] = "compute", kp[256], b[96];
    cfg_node *n = cfg_map_get(d, root, "type");
    if (!n || !cfg_get_str(d, root, path, "type", false, t, sizeof t))
        return;
    if (!strcmp(t, "memory"))
        c->kind = CFG_CORE_MEMORY;
    else if (strcmp(t, "compute"))
        cfg_err_at(d, n, cfg_path_key(kp, sizeof kp, path, "type"),
                   "expected compute or memory, found %s", cfg_describe(n, b, sizeof b));
}

/* "I2, tl" (or the list [I2, tl]) into an operand and a direction. */
static bool parse_alloc(cfg_doc *d, const cfg_node *n, const char *path, int *op, int *dir)
{
    char b[96], s1[16] = "", s2[16] = "";
    if (cfg_is_seq(n) && cfg_seq_len(n) == 2 && cfg_text(cfg_seq_at(d, n, 0)) &&
        cfg_text(cfg_seq_at(d, n, 1))) {
        snprintf(s1, sizeof s1, "%s", cfg_text(cfg_seq_at(d, n, 0)));
        snprintf(s2, sizeof s2, "%s", cfg_text(cfg_seq_at(d, n, 1)));
    } else if (cfg_text(n)) {
        const char *t = cfg_text(n), *comma = strchr(t, ',');
        if (comma && (size_t)(comma - t) < sizeof s1) {
            memcpy(s1, t, (size_t)(comma - t));
            s1[comma - t] = '\0';
            const char *r = comma + 1;
            while (*r == ' ')
                r++;
            snprintf(s2, sizeof s2, "%s", r);
            for (char *e = s1 + strlen(s1); e > s1 && e[-1] == ' ';)
                *--e = '\0';
        }
    }
    *op = cfg_mem_operand_from_name(s1);
    *dir = dir_from_name(s2);
    if (*op < 0 || *dir < 0) {
        cfg_err_at(d, n, path,
                   "expected 'OPERAND, DIRECTION' with OPERAND one of I1, I2, O and DIRECTION "
                   "one of fh, tl, fl, th, found %s", cfg_describe(n, b, sizeof b));
        return false;
    }
    return true;
}

/* Records (op, dir) on port p of m after the checks every form shares. */
static void allocate(cfg_doc *d, const cfg_node *at, const char *path, cfg_memory *m, int p,
                     int op, int dir)
{
    cfg_port *port = &m->ports[p];
    if (!m->holds[op]) {
        char list[64] = "";
        for (int i = 0; i < m->n_operands; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     mop_names[m->operands[i]]);
        cfg_err_at(d, at, path,
                   "port %s is given direction %s for operand %s, which this memory does not "
                   "hold: expected one of its operands [%s]",
                   port->name, dir_names[dir], mop_names[op], list);
        return;
    }
    bool is_write_dir = dir == CFG_DIR_FH || dir == CFG_DIR_FL;
    if ((is_write_dir && port->type == CFG_PORT_READ) ||
        (!is_write_dir && port->type == CFG_PORT_WRITE)) {
        cfg_err_at(d, at, path,
                   "%s, %s (%s) needs a %s port, found %s port %s", mop_names[op],
                   dir_names[dir], dir_words[dir], is_write_dir ? "write or read_write" :
                   "read or read_write", port->type == CFG_PORT_READ ? "read" : "write",
                   port->name);
        return;
    }
    if (m->port_of[op][dir] >= 0 && m->port_of[op][dir] != p) {
        cfg_err_at(d, at, path, "%s, %s is already served by port %s: expected one port per "
                   "operand and direction", mop_names[op], dir_names[dir],
                   m->ports[m->port_of[op][dir]].name);
        return;
    }
    m->port_of[op][dir] = p;
    port->alloc_mask |= CFG_ALLOC_BIT(op, dir);
}

static bool valid_port_name(const char *s)
{
    const char *u = strstr(s, "_port_");
    if (!u)
        return false;
    size_t pre = (size_t)(u - s);
    bool pre_ok = (pre == 1 && (s[0] == 'r' || s[0] == 'w')) ||
                  (pre == 2 && s[0] == 'r' && s[1] == 'w');
    const char *num = u + 6;
    return pre_ok && *num && strspn(num, "0123456789") == strlen(num);
}

/* The type of one current-form port; false after an error. */
static bool parse_port_type(cfg_doc *d, const cfg_node *pn, const char *ip, cfg_port *p)
{
    char kp[256], b[96];
    cfg_node *tn = cfg_need(d, pn, ip, "type");
    const char *t = cfg_text(tn);
    if (!tn)
        return true;
    if (t && !strcmp(t, "read"))
        p->type = CFG_PORT_READ;
    else if (t && !strcmp(t, "write"))
        p->type = CFG_PORT_WRITE;
    else if (t && !strcmp(t, "read_write"))
        p->type = CFG_PORT_READ_WRITE;
    else {
        cfg_err_at(d, tn, cfg_path_key(kp, sizeof kp, ip, "type"),
                   "expected read, write or read_write, found %s", cfg_describe(tn, b, sizeof b));
        return false;
    }
    return true;
}

/* One port of the current form {name, type, bandwidth_min, bandwidth_max,
 * allocation}, appended to m. */
static void parse_port_current(cfg_doc *d, const cfg_node *pn, const char *ip, cfg_memory *m)
{
    char kp[256], ap[256];
    if (!cfg_map_get(d, pn, "name") && !cfg_map_get(d, pn, "type") &&
        (cfg_map_get(d, pn, "fh") || cfg_map_get(d, pn, "tl"))) {
        cfg_err_at(d, pn, ip, "this port list is in the old form ({fh, tl, fl, th} per "
                   "operand) but the memory has no r_bw/w_bw/r_port/w_port/rw_port: "
                   "expected the current form {name, type, bandwidth_min, bandwidth_max, "
                   "allocation} or the old keys");
        return;
    }
    cfg_check_keys(d, pn, ip, port_keys);
    cfg_port *p = &m->ports[m->n_ports];
    if (!cfg_get_str(d, pn, ip, "name", true, p->name, sizeof p->name))
        return;
    if (!valid_port_name(p->name))
        cfg_err_at(d, cfg_map_get(d, pn, "name"), cfg_path_key(kp, sizeof kp, ip, "name"),
                   "expected a port name like r_port_1, w_port_1 or rw_port_1, found '%s'",
                   p->name);
    for (int j = 0; j < m->n_ports; j++)
        if (!strcmp(m->ports[j].name, p->name))
            cfg_err_at(d, pn, ip, "port name %s is used twice in this memory", p->name);
    if (!parse_port_type(d, pn, ip, p))
        return;
    cfg_get_uint(d, pn, ip, "bandwidth_max", true, 1, &p->bw_max_bits);
    p->bw_min_bits = p->bw_max_bits;
    cfg_get_uint(d, pn, ip, "bandwidth_min", true, 1, &p->bw_min_bits);
    if (p->bw_min_bits > p->bw_max_bits && p->bw_max_bits)
        cfg_err_at(d, cfg_map_get(d, pn, "bandwidth_min"),
                   cfg_path_key(kp, sizeof kp, ip, "bandwidth_min"),
                   "expected at most bandwidth_max (%llu), found %llu",
                   (unsigned long long)p->bw_max_bits, (unsigned long long)p->bw_min_bits);
    int idx = m->n_ports++;
    cfg_node *al = cfg_need(d, pn, ip, "allocation");
    cfg_path_key(kp, sizeof kp, ip, "allocation");
    if (!al || !cfg_expect_seq(d, al, kp))
        return;
    for (int k = 0; k < cfg_seq_len(al); k++) {
        cfg_node *an = cfg_seq_at(d, al, k);
        int op, dir;
        cfg_path_idx(ap, sizeof ap, kp, k);
        if (parse_alloc(d, an, ap, &op, &dir))
            allocate(d, an, ap, m, idx, op, dir);
    }
}

static void parse_ports_current(cfg_doc *d, const cfg_node *ports, const char *path,
                                cfg_memory *m)
{
    char ip[256];
    int n = cfg_seq_len(ports);
    if (n > CFG_MAX_PORTS) {
        cfg_err_at(d, ports, path, "expected at most %d ports, found %d", CFG_MAX_PORTS, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *pn = cfg_seq_at(d, ports, i);
        cfg_path_idx(ip, sizeof ip, path, i);
        if (cfg_expect_map(d, pn, ip))
            parse_port_current(d, pn, ip, m);
    }
}

/* Old form: every port the memory declares by count (r_port, w_port,
 * rw_port, into cnt) and width; returns how many, filled into all. */
static int old_declared_ports(cfg_doc *d, const cfg_node *mn, const char *mpath, int64_t cnt[3],
                              cfg_port *all)
{
    uint64_t rbw = 0, wbw = 0, rgran = 0, wgran = 0;
    static const char *const cnt_keys[] = {"r_port", "w_port", "rw_port"};
    static const char *const prefix[] = {"r", "w", "rw"};
    for (int k = 0; k < 3; k++)
        cfg_get_int(d, mn, mpath, cnt_keys[k], false, 0, CFG_MAX_PORTS, &cnt[k]);
    bool need_r = cnt[0] + cnt[2] > 0, need_w = cnt[1] + cnt[2] > 0;
    cfg_get_uint(d, mn, mpath, "r_bw", need_r, 1, &rbw);
    cfg_get_uint(d, mn, mpath, "w_bw", need_w, 1, &wbw);
    rgran = rbw;
    wgran = wbw;
    cfg_get_uint(d, mn, mpath, "min_r_granularity", false, 1, &rgran);
    cfg_get_uint(d, mn, mpath, "min_w_granularity", false, 1, &wgran);
    int n_all = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 1; i <= cnt[k]; i++) {
            cfg_port *p = &all[n_all++];
            memset(p, 0, sizeof *p);
            snprintf(p->name, sizeof p->name, "%s_port_%d", prefix[k], i);
            p->type = k == 0 ? CFG_PORT_READ : k == 1 ? CFG_PORT_WRITE : CFG_PORT_READ_WRITE;
            p->bw_max_bits = k == 1 ? wbw : rbw;
            p->bw_min_bits = k == 1 ? wgran : rgran;
        }
    return n_all;
}

static void old_keep_used(cfg_doc *d, const char *path, cfg_memory *m, const cfg_port *all,
                          int n_all, const bool *used, int want[CFG_MOP_COUNT][CFG_DIR_COUNT],
                          const cfg_node *where[CFG_MOP_COUNT][CFG_DIR_COUNT]);

/* Old form: port counts and widths per memory, one dict per operand. */
static void parse_ports_old(cfg_doc *d, const cfg_node *mn, const cfg_node *ports,
                            const char *mpath, const char *path, cfg_memory *m)
{
    char ip[256], kp[256], b[96];
    int64_t cnt[3] = {0, 0, 0};
    /* Build every declared port, then keep those an operand uses. */
    cfg_port all[3 * CFG_MAX_PORTS];
    int n_all = old_declared_ports(d, mn, mpath, cnt, all);
    int n = cfg_seq_len(ports);
    if (n != m->n_operands) {
        cfg_err_at(d, ports, path, "expected %d entries (one {fh, tl, fl, th} dict per operand, "
                   "in the order of operands), found %d", m->n_operands, n);
        return;
    }
    /* First pass: which (op, dir) names which port. */
    int want[CFG_MOP_COUNT][CFG_DIR_COUNT];
    const cfg_node *where[CFG_MOP_COUNT][CFG_DIR_COUNT];
    memset(want, -1, sizeof want);
    memset(where, 0, sizeof where);
    bool used[3 * CFG_MAX_PORTS] = {false};
    for (int i = 0; i < n; i++) {
        cfg_node *pn = cfg_seq_at(d, ports, i);
        int op = m->operands[i];
        cfg_path_idx(ip, sizeof ip, path, i);
        if (!cfg_expect_map(d, pn, ip))
            continue;
        cfg_check_keys(d, pn, ip, dir_names);
        for (int dir = 0; dir < CFG_DIR_COUNT; dir++) {
            cfg_node *v = cfg_map_get(d, pn, dir_names[dir]);
            if (!v)
                continue;
            cfg_path_key(kp, sizeof kp, ip, dir_names[dir]);
            const char *t = cfg_text(v);
            int found = -1;
            for (int j = 0; t && j < n_all; j++)
                if (!strcmp(all[j].name, t))
                    found = j;
            if (found < 0) {
                cfg_err_at(d, v, kp, "expected a port this memory declares (r_port: %lld, "
                           "w_port: %lld, rw_port: %lld), found %s", (long long)cnt[0],
                           (long long)cnt[1], (long long)cnt[2], cfg_describe(v, b, sizeof b));
                continue;
            }
            want[op][dir] = found;
            where[op][dir] = v;
            used[found] = true;
        }
    }
    old_keep_used(d, path, m, all, n_all, used, want, where);
}

/* Old form, second pass: keep the declared ports some (op, dir) names,
 * in declaration order, and allocate them. */
static void old_keep_used(cfg_doc *d, const char *path, cfg_memory *m, const cfg_port *all,
                          int n_all, const bool *used, int want[CFG_MOP_COUNT][CFG_DIR_COUNT],
                          const cfg_node *where[CFG_MOP_COUNT][CFG_DIR_COUNT])
{
    char ip[256], kp[256];
    int newidx[3 * CFG_MAX_PORTS];
    for (int j = 0; j < n_all; j++) {
        newidx[j] = -1;
        if (used[j] && m->n_ports < CFG_MAX_PORTS) {
            newidx[j] = m->n_ports;
            m->ports[m->n_ports++] = all[j];
        }
    }
    for (int op = 0; op < CFG_MOP_COUNT; op++)
        for (int dir = 0; dir < CFG_DIR_COUNT; dir++)
            if (want[op][dir] >= 0 && newidx[want[op][dir]] >= 0) {
                int i = 0;
                while (m->operands[i] != (cfg_mem_operand)op)
                    i++;
                cfg_path_idx(ip, sizeof ip, path, i);
                cfg_path_key(kp, sizeof kp, ip, dir_names[dir]);
                allocate(d, where[op][dir], kp, m, newidx[want[op][dir]], op, dir);
            }
}

/* memories[].operands: which of I1, I2, O the memory holds. */
static void parse_mem_operands(cfg_doc *d, const cfg_node *mn, const char *path, cfg_memory *m)
{
    char kp[256], ip[256], b[96];
    cfg_node *ops = cfg_need(d, mn, path, "operands");
    cfg_path_key(kp, sizeof kp, path, "operands");
    if (!ops || !cfg_expect_seq(d, ops, kp))
        return;
    for (int i = 0; i < cfg_seq_len(ops); i++) {
        cfg_node *on = cfg_seq_at(d, ops, i);
        const char *t = cfg_text(on);
        int op = t ? cfg_mem_operand_from_name(t) : -1;
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (op < 0) {
            cfg_err_at(d, on, ip, "expected a memory operand I1, I2 or O, found %s",
                       cfg_describe(on, b, sizeof b));
            continue;
        }
        if (m->holds[op]) {
            cfg_err_at(d, on, ip, "operand %s is listed twice", t);
            continue;
        }
        m->holds[op] = true;
        m->operands[m->n_operands++] = op;
    }
}

/* memories[].served_dimensions: operational-array dims the memory serves. */
static void parse_mem_served(cfg_doc *d, const cfg_node *mn, const char *path, const cfg_core *c,
                             cfg_memory *m)
{
    char kp[256], ip[256], b[96];
    cfg_node *sd = cfg_map_get(d, mn, "served_dimensions");
    cfg_path_key(kp, sizeof kp, path, "served_dimensions");
    if (!sd || cfg_is_null(sd) || !cfg_expect_seq(d, sd, kp))
        return;
    const char *known[CFG_MAX_OA_DIMS + 1];
    for (int i = 0; i < c->n_oa_dims; i++)
        known[i] = c->oa_dims[i];
    known[c->n_oa_dims] = NULL;
    for (int i = 0; i < cfg_seq_len(sd); i++) {
        cfg_node *dn = cfg_seq_at(d, sd, i);
        const char *t = cfg_text(dn);
        int k = t ? cfg_core_oa_dim(c, t) : -1;
        cfg_path_idx(ip, sizeof ip, kp, i);
        if (k < 0) {
            const char *s = t ? cfg_suggest(t, known) : NULL;
            char list[128] = "";
            for (int j = 0; j < c->n_oa_dims; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         j ? ", " : "", c->oa_dims[j]);
            cfg_err_at(d, dn, ip, "unknown dimension %s: expected one of the "
                       "operational_array dimensions [%s]%s%s%s",
                       cfg_describe(dn, b, sizeof b), list, s ? " (did you mean '" : "",
                       s ? s : "", s ? "'?)" : "");
            continue;
        }
        bool dup = false;
        for (int j = 0; j < m->n_served; j++)
            dup |= m->served[j] == k;
        if (dup)
            cfg_err_at(d, dn, ip, "dimension %s is listed twice", t);
        else
            m->served[m->n_served++] = k;
    }
}

/* memories[].ports in either form, then: every operand held needs its way
 * in and out (outputs both ways); ZigZag fails later with a KeyError or
 * "bandwidth not defined". */
static void parse_mem_ports(cfg_doc *d, const cfg_node *mn, const char *path, cfg_core *c,
                            cfg_memory *m)
{
    char kp[256];
    cfg_node *ports = cfg_need(d, mn, path, "ports");
    cfg_path_key(kp, sizeof kp, path, "ports");
    if (!ports || !cfg_expect_seq(d, ports, kp))
        return;
    static const char *const old_keys[] = {"r_bw", "w_bw", "r_port", "w_port", "rw_port", NULL};
    bool old = false;
    for (int i = 0; old_keys[i]; i++)
        old |= cfg_map_get(d, mn, old_keys[i]) != NULL;
    if (old) {
        c->form = CFG_CORE_FORM_OLD;
        parse_ports_old(d, mn, ports, path, kp, m);
    } else {
        parse_ports_current(d, ports, kp, m);
    }
    for (int i = 0; i < m->n_operands; i++) {
        int op = m->operands[i];
        int ndir = op == CFG_MOP_O ? 4 : 2;
        for (int dir = 0; dir < ndir; dir++)
            if (m->port_of[op][dir] < 0)
                cfg_err_at(d, ports, kp, "operand %s has no port for %s (%s): expected an "
                           "allocation '%s, %s' on a %s port", mop_names[op], dir_names[dir],
                           dir_words[dir], mop_names[op], dir_names[dir],
                           dir == CFG_DIR_FH || dir == CFG_DIR_FL ? "write" : "read");
    }
}

static void parse_memory(cfg_doc *d, const cfg_node *mn, const char *path, cfg_core *c,
                         cfg_memory *m)
{
    memset(m->port_of, -1, sizeof m->port_of);
    if (!cfg_expect_map(d, mn, path))
        return;
    cfg_check_keys(d, mn, path, mem_keys);
    cfg_get_uint(d, mn, path, "size", true, 1, &m->size_bits);
    cfg_get_double(d, mn, path, "r_cost", true, 0, 1e12, &m->r_cost_pj);
    cfg_get_double(d, mn, path, "w_cost", true, 0, 1e12, &m->w_cost_pj);
    cfg_get_double(d, mn, path, "area", false, 0, 1e18, &m->area);
    cfg_get_int(d, mn, path, "latency", false, 0, INT64_MAX, &m->latency_cycles);
    cfg_get_str(d, mn, path, "mem_type", false, m->mem_type, sizeof m->mem_type);
    cfg_get_bool(d, mn, path, "auto_cost_extraction", false, &m->auto_cost_extraction);
    cfg_get_bool(d, mn, path, "force_double_buffering", false, &m->force_double_buffering);
    parse_mem_operands(d, mn, path, m);
    parse_mem_served(d, mn, path, c, m);
    parse_mem_ports(d, mn, path, c, m);
}

int cfg_core_parse(cfg_doc *d, const cfg_node *root, const char *path, cfg_core *c)
{
    char kp[256], mp[320];
    int before = d->err->count + d->err->dropped;
    memset(c, 0, sizeof *c);
    if (!cfg_expect_map(d, root, path))
        return -1;
    cfg_check_keys(d, root, path, core_keys);
    cfg_get_str(d, root, path, "name", true, c->name, sizeof c->name);
    parse_core_type(d, root, path, c);
    cfg_node *dfl = cfg_map_get(d, root, "dataflows");
    if (dfl && !cfg_is_null(dfl))
        cfg_parse_spatial(d, dfl, cfg_path_key(kp, sizeof kp, path, "dataflows"), c->dataflows,
                          &c->n_dataflows);
    cfg_node *oa = cfg_need(d, root, path, "operational_array");
    if (oa && parse_oa(d, oa, cfg_path_key(kp, sizeof kp, path, "operational_array"), c) < 0)
        return -1;
    cfg_node *mems = cfg_need(d, root, path, "memories");
    cfg_path_key(kp, sizeof kp, path, "memories");
    if (!mems || !cfg_expect_map(d, mems, kp))
        return -1;
    int n = cfg_map_len(mems);
    if (n < 1 || n > CFG_MAX_MEMS) {
        cfg_err_at(d, mems, kp, "expected 1 to %d memories, found %d", CFG_MAX_MEMS, n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        cfg_node *kn = cfg_map_key(d, mems, i);
        cfg_memory *m = &c->mems[c->n_mems++];
        const char *name = cfg_text(kn);
        char b[96];
        if (!name || !*name || strlen(name) >= sizeof m->name) {
            cfg_err_at(d, kn, kp, "expected a memory name of 1 to %d characters, found %s",
                       CFG_NAME_MAX - 1, cfg_describe(kn, b, sizeof b));
            continue;
        }
        strcpy(m->name, name);
        cfg_path_key(mp, sizeof mp, kp, name);
        for (int j = 0; j < i; j++)
            if (!strcmp(c->mems[j].name, name))
                cfg_err_at(d, kn, mp, "memory name %s is used twice: expected unique names",
                           name);
        parse_memory(d, cfg_map_val(d, mems, i), mp, c, m);
    }
    for (int i = 0; i < c->n_dataflows; i++)
        if (cfg_core_oa_dim(c, c->dataflows[i].oa_dim) < 0)
            cfg_err_pos(d->err, d->file, (size_t)c->dataflows[i].line,
                        (size_t)c->dataflows[i].col, "dataflows.%s: expected a dimension of the "
                        "operational array, found %s", c->dataflows[i].oa_dim,
                        c->dataflows[i].oa_dim);
    for (int op = 0; op < CFG_MOP_COUNT; op++)
        if (cfg_core_top_memory(c, op) < 0)
            cfg_err_at(d, mems, kp, "operand %s has no top-level memory: add one that holds "
                       "%s, e.g. a DRAM (operands: [I1, I2, O])", mop_names[op],
                       mop_names[op]);
    return d->err->count + d->err->dropped > before ? -1 : 0;
}

static void *parse_core_doc(cfg_doc *d, const cfg_node *root, void *arg)
{
    (void)arg;
    cfg_core *c = base_calloc(1, sizeof *c);
    if (!c) {
        cfg_err_file(d->err, d->file, "out of memory");
        return NULL;
    }
    if (cfg_core_parse(d, root, "", c) < 0) {
        base_free(c);
        return NULL;
    }
    return c;
}

cfg_core *cfg_core_load_file(const char *path, base_errors *err)
{
    return cfg_load_path(path, err, parse_core_doc, NULL);
}

cfg_core *cfg_core_load_string(const char *text, size_t len, const char *display_name,
                               base_errors *err)
{
    return cfg_load_text(text, len, display_name, err, parse_core_doc, NULL);
}

void cfg_core_free(cfg_core *c)
{
    base_free(c);
}
