/* sweep_point.c -- one point: its files, one run_scenario call, its row of
 * results. The columns are fixed here (sw_col_name), so every writer and
 * reader of the table agrees on them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/run.h"
#include "sweep/sweep_int.h"

/* After the point number and the parameters. */
static const char *const metric_cols[] = {
    "status",           "latency_us",        "latency_ps",         "energy_uj",
    "energy_compute_uj", "energy_noc_uj",    "energy_offchip_uj",  "energy_other_uj",
    "edp_uj_us",        "util_mean",         "util_max",           "noc_packets",
    "noc_flit_hops",    "noc_latency_mean_cycles", "offchip_read_bits", "offchip_write_bits",
    "events",           "error",             NULL};
#define N_METRICS 18

int sw_n_cols(const sweep *s)
{
    return 1 + s->cfg->n_params + N_METRICS;
}

const char *sw_col_name(const sweep *s, int c, char *buf, size_t cap)
{
    if (c == 0)
        return "point";
    if (c <= s->cfg->n_params)
        return s->cfg->params[c - 1].key;
    snprintf(buf, cap, "%s", metric_cols[c - 1 - s->cfg->n_params]);
    return buf;
}

bool sw_col_is_num(const sweep *s, int c)
{
    int m = c - 1 - s->cfg->n_params;
    return c == 0 || (m > 0 && m < N_METRICS - 1);
}

typedef struct {
    uint64_t latency_ps, events, packets, flit_hops, rd_bits, wr_bits;
    double e_total, e_compute, e_noc, e_off, e_other, util_mean, util_max, noc_lat;
    int complete;
} metrics;

static double sum_all(const model_energy *e)
{
    double t = 0.0;
    for (uint32_t i = 0; i < e->n; i++)
        t += e->items[i].pj;
    return t;
}

/* The items of no main part, summed as such (not total minus the parts:
 * that leaves rounding residue where there is nothing). */
static double sum_other(const model_energy *e)
{
    static const char *const main_parts[] = {"compute", "noc_router", "noc_link",
                                             "offchip_read", "offchip_write",
                                             "offchip_static", NULL};
    double t = 0.0;
    for (uint32_t i = 0; i < e->n; i++) {
        int k = 0;
        while (main_parts[k] && strcmp(main_parts[k], e->items[i].component))
            k++;
        if (!main_parts[k])
            t += e->items[i].pj;
    }
    return t;
}

static void energy_parts(const model_energy *e, metrics *m)
{
    m->e_total = sum_all(e);
    m->e_compute = model_energy_sum(e, "compute");
    m->e_noc = model_energy_sum(e, "noc_router") + model_energy_sum(e, "noc_link");
    m->e_off = model_energy_sum(e, "offchip_read") + model_energy_sum(e, "offchip_write") +
               model_energy_sum(e, "offchip_static");
    m->e_other = sum_other(e);
}

static void util_of(metrics *m, const uint64_t *busy, uint32_t n, size_t stride)
{
    double sum = 0.0, mx = 0.0;
    for (uint32_t c = 0; c < n; c++) {
        uint64_t b = *(const uint64_t *)((const char *)busy + c * stride);
        double u = m->latency_ps ? (double)b / (double)m->latency_ps : 0.0;
        sum += u;
        mx = u > mx ? u : mx;
    }
    m->util_mean = n ? sum / n : 0.0;
    m->util_max = mx;
}

static void noc_of(metrics *m, const noc_totals *t)
{
    m->flit_hops = t->flit_link_hops;
    m->noc_lat = t->deliveries ? (double)t->latency_sum_cycles / (double)t->deliveries : 0.0;
}

static void collect(const run_result *r, metrics *m)
{
    memset(m, 0, sizeof *m);
    if (r->snn) {
        const snn_result *s = &r->snn_res;
        m->latency_ps = s->end_ps;
        m->events = s->events;
        m->packets = s->packets;
        m->complete = s->complete;
        energy_parts(&s->energy, m);
        noc_of(m, &s->noc);
        if (s->cores)
            util_of(m, &s->cores[0].busy_ps, s->n_cores, sizeof s->cores[0]);
        return;
    }
    const chip_result *c = &r->chip;
    m->latency_ps = c->end_ps;
    m->events = c->events;
    m->packets = c->packets;
    m->rd_bits = c->offchip_read_bits;
    m->wr_bits = c->offchip_write_bits;
    m->complete = c->complete;
    energy_parts(&c->energy, m);
    noc_of(m, &c->noc);
    if (c->cores)
        util_of(m, &c->cores[0].busy_ps, c->n_cores, sizeof c->cores[0]);
}

/* Appends one field (and the separator before it unless first). */
static void put(char *row, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *row, size_t cap, const char *fmt, ...)
{
    size_t o = strlen(row);
    if (o && o + 1 < cap) {
        row[o++] = SW_SEP;
        row[o] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row + o, cap - o, fmt, ap);
    va_end(ap);
}

static void put_metrics(char *row, size_t cap, const metrics *m)
{
    put(row, cap, "%s", m->complete ? "ok" : "incomplete");
    put(row, cap, "%.9g", (double)m->latency_ps * 1e-6);
    put(row, cap, "%llu", (unsigned long long)m->latency_ps);
    put(row, cap, "%.9g", m->e_total * 1e-6);
    put(row, cap, "%.9g", m->e_compute * 1e-6);
    put(row, cap, "%.9g", m->e_noc * 1e-6);
    put(row, cap, "%.9g", m->e_off * 1e-6);
    put(row, cap, "%.9g", m->e_other * 1e-6);
    put(row, cap, "%.9g", m->e_total * 1e-6 * (double)m->latency_ps * 1e-6);
    put(row, cap, "%.6f", m->util_mean);
    put(row, cap, "%.6f", m->util_max);
    put(row, cap, "%llu", (unsigned long long)m->packets);
    put(row, cap, "%llu", (unsigned long long)m->flit_hops);
    put(row, cap, "%.6f", m->noc_lat);
    put(row, cap, "%llu", (unsigned long long)m->rd_bits);
    put(row, cap, "%llu", (unsigned long long)m->wr_bits);
    put(row, cap, "%llu", (unsigned long long)m->events);
    put(row, cap, "%s", "");
}

/* The message with the point's temporary file names put back to the
 * files they copy, separators and newlines flattened. */
void sw_clean_msg(char *msg, const sw_tmpfiles *t)
{
    for (int i = 0; i < t->n; i++) {
        char *at;
        size_t k = strlen(t->tmp[i]);
        while ((at = strstr(msg, t->tmp[i]))) {
            char rest[BASE_MSG_MAX * 2];
            snprintf(rest, sizeof rest, "%s%s", t->orig[i], at + k);
            snprintf(at, BASE_MSG_MAX * 2 - (size_t)(at - msg), "%s", rest);
        }
    }
    for (char *p = msg; *p; p++)
        if (*p == SW_SEP || *p == '\n' || *p == '\r')
            *p = ' ';
}

static void put_failure(char *row, size_t cap, const char *msg)
{
    put(row, cap, "failed");
    for (int i = 1; i < N_METRICS - 1; i++)
        put(row, cap, "%s", "");
    put(row, cap, "%s", msg);
}

int sw_point_overrides(const sweep *s, uint32_t pt, sw_override *ov, const char **cls,
                       char (*clsbuf)[2])
{
    const cfg_sweep *c = s->cfg;
    const uint16_t *ch = &s->choice[(size_t)pt * (size_t)c->n_params];
    int n = 0;
    for (int i = 0; i < c->n_params; i++) {
        const cfg_sweep_param *p = &c->params[i];
        int k = p->sets ? p->sets[ch[i]].n : 1;
        for (int j = 0; j < k; j++, n++) {
            if (n == SW_MAX_OV)
                return -1;
            const cfg_sweep_set *it = p->sets ? &p->sets[ch[i]].items[j] : NULL;
            ov[n] = it ? (sw_override){it->key, it->value}
                       : (sw_override){p->key, p->values[ch[i]]};
            clsbuf[n][0] = it ? it->cls : p->vcls[ch[i]];
            clsbuf[n][1] = '\0';
            cls[n] = clsbuf[n];
        }
    }
    return n;
}

char *sw_failure_row(const sweep *s, uint32_t pt, const char *msg)
{
    const cfg_sweep *c = s->cfg;
    size_t cap = 4096 + (size_t)c->n_params * 1024;
    char *row = base_calloc(cap, 1);
    if (!row)
        return NULL;
    const uint16_t *ch = &s->choice[(size_t)pt * (size_t)c->n_params];
    put(row, cap, "%u", pt);
    for (int i = 0; i < c->n_params; i++)
        put(row, cap, "%s", c->params[i].values[ch[i]]);
    put_failure(row, cap, msg);
    return row;
}

/* Seeds the worker's cache file with everything the sweep searched, when
 * the master changed since the last time. */
static void seed_cache(sw_seed *sd)
{
    struct stat st;
    if (stat(sd->master, &st) != 0)
        return;
    if (st.st_size == sd->m_size && st.st_mtim.tv_sec == sd->m_sec &&
        st.st_mtim.tv_nsec == sd->m_nsec && access(sd->own, F_OK) == 0)
        return;
    base_error e;
    loma_cache *c = loma_cache_new();
    if (c && access(sd->own, F_OK) == 0 && loma_cache_load(c, sd->own, &e))
        remove(sd->own); /* a bad cache file only costs searches */
    if (c && loma_cache_load(c, sd->master, &e) == 0 && loma_cache_save(c, sd->own, &e) == 0) {
        sd->m_size = st.st_size;
        sd->m_sec = st.st_mtim.tv_sec;
        sd->m_nsec = st.st_mtim.tv_nsec;
        sd->own_count = loma_cache_count(c);
    }
    loma_cache_free(c);
}

static void run_options_for(const sweep *s, const char *cache, run_options *ro)
{
    run_options_default(ro);
    ro->cache_path = cache;
    ro->json_path = "";
    ro->text_path = "";
    ro->no_trace = true;
    if (s->cfg->criterion[0])
        loma_criterion_parse(s->cfg->criterion, &ro->mapper.criterion);
    if (s->cfg->lpf_limit)
        ro->mapper.lpf_limit = (int)s->cfg->lpf_limit;
}

static void failure_text(const run_result *res, const base_error *err, char *msg, size_t cap)
{
    char b[BASE_MSG_MAX + BASE_PATH_MAX + 32];
    const base_errors *le = &res->load_errors;
    if (le->count > 0) {
        int more = le->count - 1 + le->dropped;
        snprintf(msg, cap, "%s%s", base_error_str(&le->items[0], b, sizeof b),
                 more > 0 ? " (and more errors)" : "");
    } else
        snprintf(msg, cap, "%s", base_error_str(err, b, sizeof b));
}

char *sw_run_point(sweep *s, uint32_t pt, const char *tmp_dir, sw_seed *seed,
                   uint32_t *searched)
{
    const cfg_sweep *c = s->cfg;
    size_t cap = 4096 + (size_t)c->n_params * 1024;
    char *row = base_calloc(cap, 1), tag[32], scen[BASE_PATH_MAX];
    sw_tmpfiles *t = base_calloc(1, sizeof *t);
    char msg[BASE_MSG_MAX * 2];
    if (!row || !t) {
        base_free(row);
        base_free(t);
        return NULL;
    }
    sw_override ov[SW_MAX_OV];
    char cls[SW_MAX_OV][2];
    const char *ovc[SW_MAX_OV];
    const uint16_t *ch = &s->choice[(size_t)pt * (size_t)c->n_params];
    put(row, cap, "%u", pt);
    for (int i = 0; i < c->n_params; i++)
        put(row, cap, "%s", c->params[i].values[ch[i]]);
    int n_ov = sw_point_overrides(s, pt, ov, ovc, cls);
    snprintf(tag, sizeof tag, "p%u", pt);
    base_error err;
    int status = 2;
    *searched = 0;
    if (n_ov < 0) {
        snprintf(msg, sizeof msg, "more than %d keys set by one point", SW_MAX_OV);
    } else if (sw_build(s, ov, ovc, n_ov, tmp_dir, tag, true, t, scen, sizeof scen, &err)) {
        snprintf(msg, sizeof msg, "%s", err.msg);
    } else {
        seed_cache(seed);
        run_options ro;
        run_options_for(s, seed->own, &ro);
        run_result res;
        if (run_scenario(scen, &ro, &res, &err) == 0) {
            metrics m;
            collect(&res, &m);
            put_metrics(row, cap, &m);
            status = m.complete ? 0 : 1;
            size_t now = res.cache ? loma_cache_count(res.cache) : 0;
            *searched = now > seed->own_count ? (uint32_t)(now - seed->own_count) : 0;
            seed->own_count = now;
        } else
            failure_text(&res, &err, msg, sizeof msg);
        run_result_free(&res);
    }
    if (status == 2) {
        sw_clean_msg(msg, t);
        put_failure(row, cap, msg);
    }
    sw_tmpfiles_remove(t);
    base_free(t);
    return row;
}
