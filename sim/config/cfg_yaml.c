/* cfg_yaml.c -- libyaml documents and the typed, positioned getters the
 * loaders share. Positions come from libyaml's marks (0-based) and are
 * printed 1-based, as editors show them. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cfg_yaml.h"

/* libyaml spends time quadratic in the nesting depth of flow collections
 * ([[[[...), so a small hostile file could stall a load for minutes. No
 * configuration nests deeper than a handful of levels; refuse beyond
 * CFG_MAX_FLOW_DEPTH before parsing. Quotes and comments are skipped
 * roughly: a miss can only under-count. Returns the offending line or 0. */
#define CFG_MAX_FLOW_DEPTH 256
static size_t flow_too_deep(const char *t, size_t len)
{
    size_t line = 1;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = t[i], prev = i ? t[i - 1] : '\n';
        if (c == '\n')
            line++;
        if (quote) {
            if (c == quote || c == '\n')
                quote = 0;
            continue;
        }
        bool at_start = prev == ' ' || prev == '\t' || prev == '\n' || prev == '[' ||
                        prev == '{' || prev == ',' || prev == ':';
        if ((c == '\'' || c == '"') && at_start)
            quote = c;
        else if (c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'))
            while (i + 1 < len && t[i + 1] != '\n')
                i++;
        else if ((c == '[' || c == '{') && ++depth > CFG_MAX_FLOW_DEPTH)
            return line;
        else if ((c == ']' || c == '}') && depth > 0)
            depth--;
    }
    return 0;
}

int cfg_doc_open(cfg_doc *d, const char *text, size_t len, const char *file, base_errors *err)
{
    memset(d, 0, sizeof *d);
    d->file = file;
    d->err = err;
    d->nerr_start = err->count + err->dropped;
    size_t deep = flow_too_deep(text, len);
    if (deep) {
        cfg_err_pos(err, file, deep, 1, "expected at most %d nested [ ] / { } levels, found more", CFG_MAX_FLOW_DEPTH);
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        cfg_err_file(err, file, "cannot initialise the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &d->doc)) {
        const char *what = p.problem ? p.problem : "malformed YAML";
        if (p.context)
            cfg_err_pos(err, file, p.problem_mark.line + 1, p.problem_mark.column + 1, "YAML syntax: %s %s", what,
                           p.context);
        else
            cfg_err_pos(err, file, p.problem_mark.line + 1, p.problem_mark.column + 1, "YAML syntax: %s", what);
        yaml_parser_delete(&p);
        return -1;
    }
    d->loaded = true;
    /* A second document would be silently ignored; say so instead. */
    yaml_document_t extra;
    if (yaml_parser_load(&p, &extra)) {
        bool more = yaml_document_get_root_node(&extra) != NULL;
        size_t line = extra.start_mark.line + 1;
        yaml_document_delete(&extra);
        if (more)
            cfg_err_pos(err, file, line, 1, "expected one YAML document, found another one here");
    } else {
        cfg_err_pos(err, file, p.problem_mark.line + 1, p.problem_mark.column + 1, "YAML syntax: %s", p.problem ? p.problem : "malformed YAML");
    }
    yaml_parser_delete(&p);
    if (!yaml_document_get_root_node(&d->doc)) {
        cfg_err_pos(err, file, 1, 1, "the file is empty: expected a YAML mapping or list");
        return -1;
    }
    return cfg_doc_failed(d) ? -1 : 0;
}

void cfg_doc_close(cfg_doc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = false;
}

cfg_node *cfg_doc_root(cfg_doc *d)
{
    return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

bool cfg_doc_failed(const cfg_doc *d)
{
    return d->err->count + d->err->dropped > d->nerr_start;
}

char *cfg_read_file(const char *path, size_t *len, base_errors *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cfg_err_file(err, path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    /* A FIFO or a device (/dev/stdin, /dev/zero) could block or never end. */
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        cfg_err_file(err, path, "expected a regular file");
        fclose(f);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = base_malloc(cap);
    const char *why = buf ? NULL : "out of memory";
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap > ((size_t)1 << 28) ? NULL : base_realloc(buf, cap * 2);
            if (!nb) {
                why = cap > ((size_t)1 << 28) ? "cannot read (too large)" : "out of memory";
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!why && ferror(f))
        why = "cannot read (I/O error)";
    fclose(f);
    if (why) {
        cfg_err_file(err, path, "%s", why);
        base_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

void cfg_err_pos(base_errors *l, const char *file, size_t line, size_t col, const char *fmt,
                 ...)
{
    base_error e;
    va_list ap;
    va_start(ap, fmt);
    base_vfail(&e, fmt, ap);
    va_end(ap);
    snprintf(e.file, sizeof e.file, "%s", file ? file : "");
    e.line = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
    e.col = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col;
    base_errors_add(l, &e);
}

void cfg_err_at(cfg_doc *d, const cfg_node *at, const char *path, const char *fmt, ...)
{
    char msg[BASE_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line = at ? at->start_mark.line + 1 : 1, col = at ? at->start_mark.column + 1 : 1;
    if (path && *path)
        cfg_err_pos(d->err, d->file, line, col, "%s: %s", path, msg);
    else
        cfg_err_pos(d->err, d->file, line, col, "%s", msg);
}

bool cfg_is_map(const cfg_node *n) { return n && n->type == YAML_MAPPING_NODE; }
bool cfg_is_seq(const cfg_node *n) { return n && n->type == YAML_SEQUENCE_NODE; }
bool cfg_is_scalar(const cfg_node *n) { return n && n->type == YAML_SCALAR_NODE; }

const char *cfg_text(const cfg_node *n)
{
    return cfg_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

bool cfg_is_null(const cfg_node *n)
{
    if (!cfg_is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *t = cfg_text(n);
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
           !strcmp(t, "NULL");
}

const char *cfg_describe(const cfg_node *n, char *buf, size_t len)
{
    if (!n)
        return "nothing";
    if (cfg_is_map(n))
        return "a mapping";
    if (cfg_is_seq(n))
        return "a list";
    if (cfg_is_null(n))
        return "nothing";
    snprintf(buf, len, "'%.60s%s'", cfg_text(n), strlen(cfg_text(n)) > 60 ? "..." : "");
    return buf;
}

int cfg_seq_len(const cfg_node *seq)
{
    return cfg_is_seq(seq) ? (int)(seq->data.sequence.items.top - seq->data.sequence.items.start)
                           : 0;
}

cfg_node *cfg_seq_at(cfg_doc *d, const cfg_node *seq, int i)
{
    return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

int cfg_map_len(const cfg_node *map)
{
    return cfg_is_map(map) ? (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start)
                           : 0;
}

cfg_node *cfg_map_key(cfg_doc *d, const cfg_node *map, int i)
{
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].key);
}

cfg_node *cfg_map_val(cfg_doc *d, const cfg_node *map, int i)
{
    return yaml_document_get_node(&d->doc, map->data.mapping.pairs.start[i].value);
}

cfg_node *cfg_map_get(cfg_doc *d, const cfg_node *map, const char *key)
{
    cfg_node *found = NULL;
    for (int i = 0, n = cfg_map_len(map); i < n; i++) {
        const char *k = cfg_text(cfg_map_key(d, map, i));
        if (k && !strcmp(k, key))
            found = cfg_map_val(d, map, i);
    }
    return found;
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int prev[41], cur[41];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                     tolower((unsigned char)b[j - 1]));
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const char *cfg_suggest(const char *s, const char *const *known)
{
    const char *best = NULL;
    int bestd = 3;
    for (; *known; known++) {
        int dist = edit_distance(s, *known);
        if (dist < bestd) {
            bestd = dist;
            best = *known;
        }
    }
    return best;
}

bool cfg_check_keys(cfg_doc *d, const cfg_node *map, const char *path, const char *const *known)
{
    bool ok = true;
    for (int i = 0, n = cfg_map_len(map); i < n; i++) {
        cfg_node *kn = cfg_map_key(d, map, i);
        const char *k = cfg_text(kn);
        char b[96];
        if (!k) {
            cfg_err_at(d, kn, path, "expected a plain key, found %s", cfg_describe(kn, b, sizeof b));
            ok = false;
            continue;
        }
        const char *const *q = known;
        while (*q && strcmp(*q, k))
            q++;
        if (*q)
            continue;
        const char *s = cfg_suggest(k, known);
        char kp[256];
        cfg_path_key(kp, sizeof kp, path, k);
        if (s)
            cfg_err_at(d, kn, kp, "unknown key '%s' (did you mean '%s'?)", k, s);
        else
            cfg_err_at(d, kn, kp, "unknown key '%s'", k);
        ok = false;
    }
    return ok;
}

bool cfg_expect_map(cfg_doc *d, const cfg_node *n, const char *path)
{
    if (cfg_is_map(n))
        return true;
    char b[96];
    cfg_err_at(d, n, path, "expected a mapping (key: value lines), found %s",
               cfg_describe(n, b, sizeof b));
    return false;
}

bool cfg_expect_seq(cfg_doc *d, const cfg_node *n, const char *path)
{
    if (cfg_is_seq(n))
        return true;
    char b[96];
    cfg_err_at(d, n, path, "expected a list, found %s", cfg_describe(n, b, sizeof b));
    return false;
}

/* Strict decimal integer (optional sign); also accepts an integral float
 * such as 1e9 or 1.0e10, which users write for sizes. */
static bool parse_int(const char *t, int64_t *out)
{
    if (!t || !*t)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(t, &end, 10);
    if (!*end && errno == 0) {
        *out = v;
        return true;
    }
    double dv = strtod(t, &end);
    if (*end || !isfinite(dv) || dv != floor(dv) || fabs(dv) > 9.0e18)
        return false;
    for (const char *c = t; *c; c++)
        if (isalpha((unsigned char)*c) && *c != 'e' && *c != 'E')
            return false;   /* no inf/nan/hex spellings */
    *out = (int64_t)dv;
    return true;
}

bool cfg_as_int(cfg_doc *d, const cfg_node *n, const char *path, int64_t lo, int64_t hi,
                int64_t *out)
{
    char b[96];
    int64_t v;
    if (!cfg_is_scalar(n) || !parse_int(cfg_text(n), &v)) {
        cfg_err_at(d, n, path, "expected an integer, found %s", cfg_describe(n, b, sizeof b));
        return false;
    }
    if (v < lo || v > hi) {
        if (hi == INT64_MAX)
            cfg_err_at(d, n, path, "expected an integer >= %lld, found %lld", (long long)lo,
                       (long long)v);
        else
            cfg_err_at(d, n, path, "expected an integer in %lld..%lld, found %lld",
                       (long long)lo, (long long)hi, (long long)v);
        return false;
    }
    *out = v;
    return true;
}

bool cfg_as_uint(cfg_doc *d, const cfg_node *n, const char *path, uint64_t lo, uint64_t *out)
{
    int64_t v;
    if (!cfg_as_int(d, n, path, (int64_t)lo, INT64_MAX, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

bool cfg_as_double(cfg_doc *d, const cfg_node *n, const char *path, double lo, double hi,
                   double *out)
{
    char b[96];
    const char *t = cfg_text(n);
    char *end = NULL;
    double v = 0;
    bool ok = t && *t;
    if (ok) {
        v = strtod(t, &end);
        ok = !*end && isfinite(v);
        for (const char *c = t; ok && *c; c++)
            if (isalpha((unsigned char)*c) && *c != 'e' && *c != 'E')
                ok = false;
    }
    if (!ok) {
        cfg_err_at(d, n, path, "expected a number, found %s", cfg_describe(n, b, sizeof b));
        return false;
    }
    if (v < lo || v > hi) {
        cfg_err_at(d, n, path, "expected a number in [%g, %g], found %g", lo, hi, v);
        return false;
    }
    *out = v;
    return true;
}

bool cfg_as_bool(cfg_doc *d, const cfg_node *n, const char *path, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "off", NULL};
    const char *t = cfg_text(n);
    for (int i = 0; t && yes[i]; i++)
        if (!strcmp(t, yes[i])) {
            *out = true;
            return true;
        }
    for (int i = 0; t && no[i]; i++)
        if (!strcmp(t, no[i])) {
            *out = false;
            return true;
        }
    char b[96];
    cfg_err_at(d, n, path, "expected true or false, found %s", cfg_describe(n, b, sizeof b));
    return false;
}

bool cfg_as_str(cfg_doc *d, const cfg_node *n, const char *path, char *out, size_t cap)
{
    char b[96];
    const char *t = cfg_text(n);
    if (!t || cfg_is_null(n)) {
        cfg_err_at(d, n, path, "expected a text value, found %s", cfg_describe(n, b, sizeof b));
        return false;
    }
    if (strlen(t) >= cap) {
        cfg_err_at(d, n, path, "expected at most %zu characters, found %zu", cap - 1, strlen(t));
        return false;
    }
    memcpy(out, t, strlen(t) + 1);
    return true;
}

cfg_node *cfg_need(cfg_doc *d, const cfg_node *map, const char *path, const char *key)
{
    cfg_node *v = cfg_map_get(d, map, key);
    if (!v) {
        if (path && *path)
            cfg_err_at(d, map, path, "missing key '%s'", key);
        else
            cfg_err_at(d, map, NULL, "missing top-level key '%s'", key);
    }
    return v;
}

#define GETTER_PROLOGUE                                                 \
    cfg_node *v = required ? cfg_need(d, map, path, key) : cfg_map_get(d, map, key); \
    if (!v)                                                             \
        return !required;                                               \
    char kp[256];                                                       \
    cfg_path_key(kp, sizeof kp, path, key)

bool cfg_get_int(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                 bool required, int64_t lo, int64_t hi, int64_t *out)
{
    GETTER_PROLOGUE;
    return cfg_as_int(d, v, kp, lo, hi, out);
}

bool cfg_get_uint(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                  bool required, uint64_t lo, uint64_t *out)
{
    GETTER_PROLOGUE;
    return cfg_as_uint(d, v, kp, lo, out);
}

bool cfg_get_double(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                    bool required, double lo, double hi, double *out)
{
    GETTER_PROLOGUE;
    return cfg_as_double(d, v, kp, lo, hi, out);
}

bool cfg_get_bool(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                  bool required, bool *out)
{
    GETTER_PROLOGUE;
    return cfg_as_bool(d, v, kp, out);
}

bool cfg_get_str(cfg_doc *d, const cfg_node *map, const char *path, const char *key,
                 bool required, char *out, size_t cap)
{
    GETTER_PROLOGUE;
    return cfg_as_str(d, v, kp, out, cap);
}

const char *cfg_path_key(char *buf, size_t len, const char *path, const char *key)
{
    if (path && *path)
        snprintf(buf, len, "%s.%s", path, key);
    else
        snprintf(buf, len, "%s", key);
    return buf;
}

const char *cfg_path_idx(char *buf, size_t len, const char *path, int i)
{
    snprintf(buf, len, "%s[%d]", path ? path : "", i);
    return buf;
}

void cfg_dirname(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, cap, ".");
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1;   /* "/x" -> "/" */
    if (n >= cap)
        n = cap - 1;
    memcpy(out, path, n);
    out[n] = '\0';
}

bool cfg_join(const char *dir, const char *rel, char *out, size_t cap)
{
    int n;
    if (rel[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
        n = snprintf(out, cap, "%s", rel);
    else
        n = snprintf(out, cap, "%s/%s", dir, rel);
    return n >= 0 && (size_t)n < cap;
}

bool cfg_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

void *cfg_load_text(const char *text, size_t len, const char *name, base_errors *err,
                    cfg_parse_fn fn, void *arg)
{
    cfg_doc d;
    void *out = NULL;
    if (cfg_doc_open(&d, text, len, name ? name : "<string>", err) == 0)
        out = fn(&d, cfg_doc_root(&d), arg);
    cfg_doc_close(&d);
    return out;
}

void *cfg_load_path(const char *path, base_errors *err, cfg_parse_fn fn, void *arg)
{
    size_t len;
    char *text = cfg_read_file(path, &len, err);
    if (!text)
        return NULL;
    void *out = cfg_load_text(text, len, path, err, fn, arg);
    base_free(text);
    return out;
}
