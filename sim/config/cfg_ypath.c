/* cfg_ypath.c -- key paths looked up in a YAML text, the byte ranges of
 * the nodes they name (for splicing a new value in), and scalar classes;
 * see cfg_sweep.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_sweep.h"
#include "config/cfg_yaml.h"

/* libyaml's mark index counts characters; the splice needs bytes. */
static size_t byte_of(const char *t, size_t len, size_t chars)
{
    size_t b = 0, c = 0;
    while (b < len && c < chars) {
        b++;
        while (b < len && ((unsigned char)t[b] & 0xC0) == 0x80)
            b++;
        c++;
    }
    return b;
}

static bool all_digits(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* The YAML 1.1 class of a plain scalar (as the loaders read them). */
static char plain_class(const char *t)
{
    static const char *const bools[] = {"true", "false", "yes", "no", "on", "off", NULL};
    if (!*t || !strcmp(t, "~") || cfg_name_eq(t, "null"))
        return 'n';
    for (int i = 0; bools[i]; i++)
        if (cfg_name_eq(t, bools[i]))
            return 'b';
    if (all_digits(t) || (!strncmp(t, "0x", 2) && t[2]))
        return 'i';
    char *end;
    strtod(t, &end);
    if (end != t && !*end)
        return 'f';
    if (cfg_name_eq(t, ".inf") || cfg_name_eq(t, "-.inf") || cfg_name_eq(t, ".nan"))
        return 'f';
    return 's';
}

static char node_class(const cfg_node *n)
{
    if (cfg_is_seq(n))
        return '[';
    if (cfg_is_map(n))
        return '{';
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 's';
    return plain_class(cfg_text(n));
}

char cfg_ypath_class(const cfg_node *n)
{
    return node_class(n);
}

/* The keys of map as a NULL-ended list (at most 63) for cfg_suggest. */
static void map_keys(cfg_doc *d, const cfg_node *map, const char **out)
{
    int n = 0;
    for (int i = 0; i < cfg_map_len(map) && n < 63; i++) {
        const char *k = cfg_text(cfg_map_key(d, map, i));
        if (k)
            out[n++] = k;
    }
    out[n] = NULL;
}

/* One step of the walk: the child of n named by the component at key
 * (a name up to '.' or '[', or "[i]"); NULL with msg when none. */
static cfg_node *step(cfg_doc *d, cfg_node *n, const char *key, size_t *used, char *msg,
                      size_t cap)
{
    const char *c = key + *used, *prefix = key;
    int plen = (int)*used - (*used > 0 && key[*used - 1] == '.');
    if (*c == '[') {
        char *end;
        long i = strtol(c + 1, &end, 10);
        if (end == c + 1 || *end != ']') {
            snprintf(msg, cap, "'%s': expected an index [N] after '%.*s'", key, plen, prefix);
            return NULL;
        }
        if (!cfg_is_seq(n)) {
            snprintf(msg, cap, "'%s': '%.*s' is not a list, so [%ld] names nothing", key,
                     plen, prefix, i);
            return NULL;
        }
        if (i < 0 || i >= cfg_seq_len(n)) {
            snprintf(msg, cap, "'%s': '%.*s' has %d entries, [%ld] names nothing", key, plen,
                     prefix, cfg_seq_len(n), i);
            return NULL;
        }
        *used = (size_t)(end + 1 - key);
        return cfg_seq_at(d, n, (int)i);
    }
    size_t k = strcspn(c, ".[");
    char name[CFG_SWEEP_KEY_MAX];
    snprintf(name, sizeof name, "%.*s", (int)k, c);
    if (!cfg_is_map(n)) {
        snprintf(msg, cap, "'%s': '%.*s' is not a mapping, so '%s' names nothing", key,
                 plen ? plen : 1, plen ? prefix : "/", name);
        return NULL;
    }
    cfg_node *v = cfg_map_get(d, n, name);
    if (!v) {
        const char *known[64];
        map_keys(d, n, known);
        const char *sug = cfg_suggest(name, known);
        snprintf(msg, cap, "'%s': %s%.*s%s has no key '%s'%s%s%s", key, plen ? "'" : "",
                 plen, prefix, plen ? "'" : "the file", name, sug ? " (did you mean '" : "",
                 sug ? sug : "", sug ? "'?)" : "");
        return NULL;
    }
    *used += k;
    return v;
}

static void fill(const char *text, size_t len, const cfg_node *n, cfg_yfound *f)
{
    f->kind = cfg_is_seq(n) ? CFG_YF_SEQ : cfg_is_map(n) ? CFG_YF_MAP : CFG_YF_SCALAR;
    f->cls = node_class(n);
    f->start = byte_of(text, len, n->start_mark.index);
    f->end = byte_of(text, len, n->end_mark.index);
    f->line = (uint32_t)n->start_mark.line + 1;
    f->col = (uint32_t)n->start_mark.column + 1;
    f->splice_ok = f->kind == CFG_YF_SCALAR ||
                   (f->kind == CFG_YF_SEQ && n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE) ||
                   (f->kind == CFG_YF_MAP && n->data.mapping.style == YAML_FLOW_MAPPING_STYLE);
    snprintf(f->text, sizeof f->text, "%s", cfg_is_scalar(n) ? cfg_text(n) : "");
}

static int open_doc(cfg_doc *d, base_errors *e, const char *text, size_t len, char *msg,
                    size_t cap)
{
    base_errors_init(e);
    if (cfg_doc_open(d, text, len, "", e) == 0)
        return 0;
    char b[BASE_MSG_MAX + BASE_PATH_MAX];
    snprintf(msg, cap, "%s", e->count ? base_error_str(&e->items[0], b, sizeof b) : "bad YAML");
    cfg_doc_close(d);
    base_errors_clear(e);
    return -1;
}

int cfg_yaml_find(const char *text, size_t len, const char *key, cfg_yfound *f, char *msg,
                  size_t cap)
{
    cfg_doc d;
    base_errors e;
    memset(f, 0, sizeof *f);
    if (open_doc(&d, &e, text, len, msg, cap))
        return -1;
    cfg_node *n = cfg_doc_root(&d);
    size_t used = 0, klen = strlen(key);
    int rc = 0;
    while (used < klen) {
        if (used > 0 && key[used] == '.')
            used++;
        if (cfg_is_scalar(n) && used > 0) {
            rc = 1;
            break;
        }
        if (!(n = step(&d, n, key, &used, msg, cap))) {
            rc = -1;
            break;
        }
    }
    if (rc >= 0) {
        fill(text, len, n, f);
        f->used = used;
    }
    cfg_doc_close(&d);
    base_errors_clear(&e);
    return rc;
}

typedef struct {
    const char *text;
    size_t len;
    const char *const *keys;
    cfg_yaml_each_fn fn;
    void *ctx;
} each_state;

static bool wanted(const char *k, const char *const *keys)
{
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i]))
            return true;
    return false;
}

static void walk(cfg_doc *d, const cfg_node *n, const char *path, const each_state *s,
                 int depth)
{
    char kp[CFG_SWEEP_KEY_MAX * 2];
    if (depth > 64)
        return;
    if (cfg_is_seq(n))
        for (int i = 0; i < cfg_seq_len(n); i++)
            walk(d, cfg_seq_at(d, n, i), cfg_path_idx(kp, sizeof kp, path, i), s, depth + 1);
    if (!cfg_is_map(n))
        return;
    for (int i = 0; i < cfg_map_len(n); i++) {
        const char *k = cfg_text(cfg_map_key(d, n, i));
        cfg_node *v = cfg_map_val(d, n, i);
        if (!k)
            continue;
        cfg_path_key(kp, sizeof kp, path, k);
        if (cfg_is_scalar(v) && wanted(k, s->keys) && !cfg_is_null(v))
            s->fn(s->ctx, kp, cfg_text(v), byte_of(s->text, s->len, v->start_mark.index),
                  byte_of(s->text, s->len, v->end_mark.index));
        else
            walk(d, v, kp, s, depth + 1);
    }
}

int cfg_yaml_each_value(const char *text, size_t len, const char *const *keys,
                        cfg_yaml_each_fn fn, void *ctx, char *msg, size_t cap)
{
    cfg_doc d;
    base_errors e;
    if (open_doc(&d, &e, text, len, msg, cap))
        return -1;
    each_state s = {text, len, keys, fn, ctx};
    walk(&d, cfg_doc_root(&d), "", &s, 0);
    cfg_doc_close(&d);
    base_errors_clear(&e);
    return 0;
}

void cfg_yaml_quote(const char *s, char *out, size_t cap)
{
    bool plain = *s && !isspace((unsigned char)*s) && !strchr("-?!&*|>'\"%@`~", *s) &&
                 !isspace((unsigned char)s[strlen(s) - 1]) && !strpbrk(s, ":#,[]{}\"'\\\n\t");
    if (plain && plain_class(s) == 's') {
        snprintf(out, cap, "%s", s);
        return;
    }
    size_t o = 0;
    if (cap < 3)
        return;
    out[o++] = '"';
    for (; *s && o + 3 < cap; s++) {
        if (*s == '"' || *s == '\\')
            out[o++] = '\\';
        if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
            continue;
        }
        out[o++] = *s;
    }
    out[o++] = '"';
    out[o] = '\0';
}
