/* sweep_out.c -- the results table: results.csv, results.json and
 * timing.csv written whole (PATH.tmp, renamed) from the rows finished so
 * far, in point order; and read back for --resume. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_int.h"

int sw_table_init(sw_table *t, uint32_t n)
{
    memset(t, 0, sizeof *t);
    t->rows = base_calloc((size_t)n + 1, sizeof *t->rows);
    t->timing = base_calloc((size_t)n + 1, sizeof *t->timing);
    return t->rows && t->timing ? 0 : -1;
}

void sw_table_free(sw_table *t, uint32_t n)
{
    for (uint32_t i = 0; t->rows && i < n; i++)
        base_free(t->rows[i]);
    for (uint32_t i = 0; t->timing && i < n; i++)
        base_free(t->timing[i]);
    base_free(t->rows);
    base_free(t->timing);
    memset(t, 0, sizeof *t);
}

/* The i-th SW_SEP-separated field of row into out. */
static void field(const char *row, int i, char *out, size_t cap)
{
    for (; i > 0 && row; i--)
        row = (row = strchr(row, SW_SEP)) ? row + 1 : NULL;
    size_t n = row ? strcspn(row, "\x1f") : 0;
    snprintf(out, cap, "%.*s", (int)n, row ? row : "");
}

int sw_row_status(const char *row, int n_params)
{
    char st[32];
    field(row, 1 + n_params, st, sizeof st);
    return !strcmp(st, "ok") ? 0 : !strcmp(st, "incomplete") ? 1 : 2;
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r") && s[0] != ' ') {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_header(FILE *f, const sweep *s)
{
    char b[64];
    for (int c = 0; c < sw_n_cols(s); c++) {
        if (c)
            fputc(',', f);
        csv_field(f, sw_col_name(s, c, b, sizeof b));
    }
    fputc('\n', f);
}

static void write_csv(FILE *f, const sweep *s, const sw_table *t)
{
    char v[BASE_MSG_MAX * 2];
    csv_header(f, s);
    for (uint32_t p = 0; p < s->n_points; p++) {
        if (!t->rows[p])
            continue;
        for (int c = 0; c < sw_n_cols(s); c++) {
            if (c)
                fputc(',', f);
            field(t->rows[p], c, v, sizeof v);
            csv_field(f, v);
        }
        fputc('\n', f);
    }
}

/* A value JSON takes as a number as written (YAML's 0x10, 1_000, .5 not). */
static bool json_number(const char *v)
{
    const char *p = v + (*v == '-');
    if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.' && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++)
            ;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return !*p;
}

static int json_row(FILE *f, const sweep *s, const char *row)
{
    cJSON *o = base_json_object();
    char v[BASE_MSG_MAX * 2], b[64];
    int rc = o ? 0 : -1;
    for (int c = 0; c < sw_n_cols(s) && rc == 0; c++) {
        const char *name = sw_col_name(s, c, b, sizeof b);
        field(row, c, v, sizeof v);
        if (!v[0] && sw_col_is_num(s, c))
            rc = base_json_add_null(o, name);
        else if (sw_col_is_num(s, c) || (c <= s->cfg->n_params && json_number(v)))
            rc = base_json_add_raw(o, name, v);
        else
            rc = base_json_add_str(o, name, v);
    }
    char *text = rc == 0 ? cJSON_PrintUnformatted(o) : NULL;
    if (text)
        fputs(text, f);
    base_free(text);
    cJSON_Delete(o);
    return text ? 0 : -1;
}

static int write_json(FILE *f, const sweep *s, const sw_table *t)
{
    cJSON *head = base_json_object(), *keys = base_json_array();
    int rc = head && keys ? 0 : -1;
    rc = rc ? rc : base_json_add_str(head, "sweep", s->cfg->name);
    rc = rc ? rc : base_json_add_str(head, "base", s->cfg->base);
    rc = rc ? rc : base_json_add_u64(head, "points", s->n_points);
    for (int i = 0; rc == 0 && i < s->cfg->n_params; i++)
        rc = cJSON_AddItemToArray(keys, cJSON_CreateString(s->cfg->params[i].key)) ? 0 : -1;
    char *hk = rc == 0 ? cJSON_PrintUnformatted(keys) : NULL;
    char *ht = rc == 0 ? cJSON_PrintUnformatted(head) : NULL;
    if (ht && hk) {
        /* {"sweep":..,"points":N, "parameters":[..], "results":[ one per line ]} */
        fprintf(f, "%.*s,\"parameters\":%s,\"results\":[", (int)strlen(ht) - 1, ht, hk);
        bool first = true;
        for (uint32_t p = 0; p < s->n_points && rc == 0; p++) {
            if (!t->rows[p])
                continue;
            fputs(first ? "\n" : ",\n", f);
            first = false;
            rc = json_row(f, s, t->rows[p]);
        }
        fputs("\n]}\n", f);
    } else
        rc = -1;
    base_free(hk);
    base_free(ht);
    cJSON_Delete(head);
    cJSON_Delete(keys);
    return rc;
}

static void write_timing(FILE *f, const sweep *s, const sw_table *t)
{
    fputs("point,status,worker,host,wall_s,mapper_searched\n", f);
    char st[32];
    for (uint32_t p = 0; p < s->n_points; p++)
        if (t->rows[p] && t->timing[p]) {
            field(t->rows[p], 1 + s->cfg->n_params, st, sizeof st);
            fprintf(f, "%u,%s,%s\n", p, st, t->timing[p]);
        }
}

typedef enum { OUT_CSV, OUT_JSON, OUT_TIMING } out_kind;

static int write_one(const sweep *s, const sw_table *t, const char *dir, const char *name,
                     out_kind k, base_error *err)
{
    char path[BASE_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    base_outfile o;
    if (base_out_open(&o, path, "w", err))
        return -1;
    int rc = 0;
    if (k == OUT_CSV)
        write_csv(o.f, s, t);
    else if (k == OUT_JSON)
        rc = write_json(o.f, s, t);
    else
        write_timing(o.f, s, t);
    if (rc) {
        base_out_abort(&o);
        return base_fail(err, "%s: out of memory", path);
    }
    return base_out_commit(&o, err);
}

int sw_table_write(const sweep *s, const sw_table *t, const char *dir, base_error *err)
{
    return write_one(s, t, dir, "results.csv", OUT_CSV, err) ||
                   write_one(s, t, dir, "results.json", OUT_JSON, err) ||
                   write_one(s, t, dir, "timing.csv", OUT_TIMING, err)
               ? -1
               : 0;
}

/* ---- reading back ---- */

/* One CSV record from *p (quotes as csv_field writes them) into a row
 * joined by SW_SEP; advances *p past its newline. NULL at the end. */
static char *csv_record(const char **p)
{
    const char *s = *p;
    if (!*s)
        return NULL;
    size_t cap = strlen(s) + 1, o = 0;
    char *row = base_malloc(cap);
    if (!row)
        return NULL;
    bool q = false;
    for (; *s; s++) {
        if (q && *s == '"' && s[1] == '"')
            row[o++] = *s++;
        else if (*s == '"')
            q = !q;
        else if (!q && *s == ',')
            row[o++] = SW_SEP;
        else if (!q && *s == '\n') {
            s++;
            break;
        } else
            row[o++] = *s;
    }
    row[o] = '\0';
    *p = s;
    return row;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = base_malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n - 1, f);
        if (n + 1 < cap)
            break;
        char *nb = base_realloc(b, cap *= 2);
        if (!nb)
            base_free(b);
        b = nb;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b;
}

/* A row read back must be the point it claims, with its values. */
static int check_row(const sweep *s, const char *row, uint32_t *pt)
{
    char v[1024];
    field(row, 0, v, sizeof v);
    char *end;
    unsigned long p = strtoul(v, &end, 10);
    if (!v[0] || *end || p >= s->n_points)
        return -1;
    const uint16_t *ch = &s->choice[p * (size_t)s->cfg->n_params];
    for (int i = 0; i < s->cfg->n_params; i++) {
        field(row, 1 + i, v, sizeof v);
        if (strcmp(v, s->cfg->params[i].values[ch[i]]))
            return -1;
    }
    *pt = (uint32_t)p;
    return 0;
}

static int load_rows(const sweep *s, sw_table *t, const char *path, const char *text,
                     base_error *err)
{
    const char *p = text;
    char *head = csv_record(&p);
    char want[4096] = "", b[64];
    for (int c = 0; c < sw_n_cols(s); c++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", c ? "\x1f" : "",
                 sw_col_name(s, c, b, sizeof b));
    bool same = head && !strcmp(head, want);
    base_free(head);
    if (!same)
        return base_fail(err, "%s holds the results of another sweep (its columns differ); "
                         "choose another --out", path);
    char *row;
    while ((row = csv_record(&p))) {
        uint32_t pt;
        if (check_row(s, row, &pt) || t->rows[pt]) {
            base_free(row);
            return base_fail(err, "%s holds a row that is not a point of this sweep; choose "
                             "another --out", path);
        }
        if (sw_row_status(row, s->cfg->n_params) == 2) {
            base_free(row); /* failed points run again: a crash may not recur */
            continue;
        }
        t->rows[pt] = row;
        t->n_done++;
    }
    return 0;
}

static void load_timing(const sweep *s, sw_table *t, const char *dir)
{
    char path[BASE_PATH_MAX];
    snprintf(path, sizeof path, "%s/timing.csv", dir);
    char *text = slurp(path);
    const char *p = text ? strchr(text, '\n') : NULL;
    while (p && *++p) {
        char *end;
        unsigned long pt = strtoul(p, &end, 10);
        const char *rest = *end == ',' ? strchr(end + 1, ',') : NULL;
        const char *nl = strchr(p, '\n');
        if (rest && nl && pt < s->n_points && t->rows[pt] && !t->timing[pt]) {
            size_t n = (size_t)(nl - rest - 1);
            if ((t->timing[pt] = base_malloc(n + 1)))
                snprintf(t->timing[pt], n + 1, "%s", rest + 1);
        }
        p = nl;
    }
    base_free(text);
}

int sw_table_load(const sweep *s, sw_table *t, const char *dir, base_error *err)
{
    char path[BASE_PATH_MAX];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = slurp(path);
    if (!text)
        return errno == ENOENT ? 0 : base_fail(err, "cannot read %s: %s", path, strerror(errno));
    int rc = load_rows(s, t, path, text, err);
    base_free(text);
    if (rc == 0)
        load_timing(s, t, dir);
    return rc;
}
