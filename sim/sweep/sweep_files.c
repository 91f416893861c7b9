/* sweep_files.c -- a point's files: its values spliced into the text of
 * the files they name (the rest of each file, its comments and line
 * numbers, unchanged, so the loaders' checks and positions still apply),
 * relative paths made absolute, written under the sweep's tmp folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep/sweep_int.h"

#define SW_MAX_SPLICES 64

/* Keys whose values are paths, relative to the file they are in. */
static const char *const path_keys[] = {"chip", "workload", "mapping", "trace", "dir",
                                        "file", "bias_file", NULL};

static char *read_all(const char *path, size_t *len, base_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        base_fail(err, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *nb = base_realloc(buf, cap = cap * 2 + 8192);
            if (!nb) {
                base_free(buf);
                fclose(f);
                base_fail(err, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

const sw_file *sw_file_get(sweep *s, const char *path, base_error *err)
{
    for (int i = 0; i < s->n_files; i++)
        if (!strcmp(s->files[i].path, path))
            return &s->files[i];
    if (s->n_files == SW_MAX_FILES) {
        base_fail(err, "more than %d files touched by the sweep", SW_MAX_FILES);
        return NULL;
    }
    sw_file *f = &s->files[s->n_files];
    if (!(f->text = read_all(path, &f->len, err)))
        return NULL;
    if (!(f->path = base_strdup(path))) {
        base_free(f->text);
        base_fail(err, "out of memory");
        return NULL;
    }
    s->n_files++;
    return f;
}

typedef struct {
    size_t start, end;
    char *text; /* owned */
} splice;

typedef struct {
    sweep *s;
    const char *tmp_dir, *tag;
    bool write;
    sw_tmpfiles *t;
    base_error *err;
} build_ctx;

static int by_start(const void *a, const void *b)
{
    const splice *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* text with the (non-overlapping) splices applied; malloc'd. */
static char *apply(const char *text, size_t len, splice *sp, int n, size_t *out_len)
{
    qsort(sp, (size_t)n, sizeof *sp, by_start);
    size_t total = len + 1;
    for (int i = 0; i < n; i++)
        total += strlen(sp[i].text);
    char *out = base_malloc(total);
    if (!out)
        return NULL;
    size_t o = 0, at = 0;
    for (int i = 0; i < n; i++) {
        if (sp[i].start < at)
            continue; /* nested in an earlier one: that one wins */
        memcpy(out + o, text + at, sp[i].start - at);
        o += sp[i].start - at;
        size_t k = strlen(sp[i].text);
        memcpy(out + o, sp[i].text, k);
        o += k;
        at = sp[i].end;
    }
    memcpy(out + o, text + at, len - at);
    o += len - at;
    out[o] = '\0';
    *out_len = o;
    return out;
}

static void free_splices(splice *sp, int n)
{
    for (int i = 0; i < n; i++)
        base_free(sp[i].text);
}

static const char *cls_name(char c)
{
    switch (c) {
    case 'i': return "an integer";
    case 'f': return "a number";
    case 'b': return "a boolean";
    case 'n': return "nothing";
    case '[': return "a list";
    case '{': return "a mapping";
    default: return "a string";
    }
}

/* May a value of class v stand where the base has class b? */
static bool compatible(char b, char v)
{
    if (b == 'n' || b == v)
        return true;
    return b == 'f' && v == 'i';
}

/* The directory of path, absolute (truncated at cap: paths that long
 * fail later, at their open). */
static void abs_dir(const sweep *s, const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0, o = 0;
    if (path[0] != '/') {
        o = strlen(s->cwd);
        o = o < cap - 1 ? o : cap - 1;
        memcpy(out, s->cwd, o);
        if (n && o < cap - 1)
            out[o++] = '/';
    } else if (n == 0)
        n = 1;
    n = n < cap - 1 - o ? n : cap - 1 - o;
    memcpy(out + o, path, n);
    out[o + n] = '\0';
}

static bool is_file(const char *p);

/* A value for a path key (chip, mapping, a core's file, ...) that names
 * no file, relative to the file it goes into. Quoted values are left to
 * the loaders. */
static bool names_no_file(const sweep *s, const char *path, const sw_override *ov)
{
    const char *leaf = strrchr(ov->key, '.');
    leaf = leaf ? leaf + 1 : ov->key;
    bool pathkey = false;
    for (int i = 0; path_keys[i]; i++)
        pathkey |= !strcmp(leaf, path_keys[i]) && strcmp(leaf, "dir");
    if (!pathkey || strchr("\"'[{", ov->value[0]))
        return false;
    char dir[BASE_PATH_MAX], full[BASE_PATH_MAX * 2];
    abs_dir(s, path, dir, sizeof dir);
    if (ov->value[0] == '/')
        snprintf(full, sizeof full, "%s", ov->value);
    else
        snprintf(full, sizeof full, "%s/%s", dir, ov->value);
    return !is_file(full);
}

typedef struct {
    char prefix[CFG_SWEEP_KEY_MAX];
    int n;
    sw_override ov[SW_MAX_OV];
    const char *cls[SW_MAX_OV];
    char child[BASE_PATH_MAX]; /* the child file's copy */
} descent;

static int build_file(build_ctx *c, const char *path, const sw_override *ov,
                      const char *const *cls, int n, int depth, char *out, size_t cap);

/* One override on file f: a splice, or an entry of the descent into the
 * file the key path goes on into. */
static int place(build_ctx *c, const sw_file *f, const sw_override *ov, const char *cls,
                 splice *sp, int *nsp, descent *ds, int *nds)
{
    cfg_yfound fd;
    char msg[BASE_MSG_MAX - 64];
    int r = cfg_yaml_find(f->text, f->len, ov->key, &fd, msg, sizeof msg);
    if (r < 0)
        return base_fail(c->err, "%s in %s", msg, f->path);
    if (r == 0) {
        if (cls && !compatible(fd.cls, cls[0]))
            return base_fail(c->err, "expected %s as at %s:%u:%u ('%s' there), found %s",
                             cls_name(fd.cls), f->path, fd.line, fd.col,
                             fd.kind == CFG_YF_SCALAR ? fd.text : "...", ov->value);
        if (!fd.splice_ok)
            return base_fail(c->err, "%s:%u:%u holds a block list or mapping; write it in "
                             "flow style ([...] or {...}) to sweep it", f->path, fd.line,
                             fd.col);
        if (names_no_file(c->s, f->path, ov))
            return base_fail(c->err, "'%s' names a file, and there is no file %s next to %s",
                             ov->key, ov->value, f->path);
        if (*nsp == SW_MAX_SPLICES || !(sp[*nsp].text = base_strdup(ov->value)))
            return base_fail(c->err, "too many values in one file");
        sp[*nsp].start = fd.start;
        sp[(*nsp)++].end = fd.end;
        return 0;
    }
    size_t used = fd.used;
    size_t plen = used && ov->key[used - 1] == '.' ? used - 1 : used;
    int k = 0;
    while (k < *nds && (strlen(ds[k].prefix) != plen || strncmp(ds[k].prefix, ov->key, plen)))
        k++;
    if (ds[k].n == SW_MAX_OV)
        return base_fail(c->err, "too many values in one file");
    if (k == *nds) {
        if (k == CFG_SWEEP_MAX_PARAMS)
            return base_fail(c->err, "too many files");
        memset(&ds[k], 0, sizeof ds[k]);
        snprintf(ds[k].prefix, sizeof ds[k].prefix, "%.*s", (int)plen, ov->key);
        (*nds)++;
    }
    ds[k].ov[ds[k].n] = (sw_override){ov->key + used, ov->value};
    ds[k].cls[ds[k].n++] = cls;
    return 0;
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Follows each descent into its file (named in text, after the splices). */
static int descend(build_ctx *c, const char *path, const char *text, size_t len, descent *ds,
                   int nds, int depth)
{
    char dir[BASE_PATH_MAX], child[BASE_PATH_MAX * 2];
    abs_dir(c->s, path, dir, sizeof dir);
    for (int k = 0; k < nds; k++) {
        cfg_yfound fd;
        char msg[256];
        if (cfg_yaml_find(text, len, ds[k].prefix, &fd, msg, sizeof msg) != 0)
            return base_fail(c->err, "%s in %s", msg, path);
        if (fd.text[0] == '/')
            snprintf(child, sizeof child, "%s", fd.text);
        else
            snprintf(child, sizeof child, "%s/%s", dir, fd.text);
        if (!is_file(child))
            return base_fail(c->err, "'%s' is '%s' in %s, not a file the key path can go on "
                             "into, so '%s' names nothing", ds[k].prefix, fd.text, path,
                             ds[k].ov[0].key);
        if (build_file(c, child, ds[k].ov, ds[k].cls, ds[k].n, depth + 1, ds[k].child,
                       sizeof ds[k].child))
            return -1;
    }
    return 0;
}

typedef struct {
    const sweep *s;
    const char *dir;
    const descent *ds;
    int nds;
    splice *sp;
    int n;
    int oom;
} rebase_state;

static void rebase_one(void *ctx, const char *keypath, const char *value, size_t start,
                       size_t end)
{
    rebase_state *r = ctx;
    char abs[BASE_PATH_MAX * 2], q[BASE_PATH_MAX * 2 + 8];
    const char *to = NULL;
    for (int k = 0; k < r->nds; k++)
        if (!strcmp(r->ds[k].prefix, keypath))
            to = r->ds[k].child;
    const char *leaf = strrchr(keypath, '.');
    leaf = leaf ? leaf + 1 : keypath;
    if (!to && value[0] != '/') {
        snprintf(abs, sizeof abs, "%s/%s", r->dir, value);
        struct stat st;
        if (stat(abs, &st) == 0 || !strcmp(leaf, "dir"))
            to = abs;
    }
    if (!to || r->n == SW_MAX_SPLICES)
        return;
    cfg_yaml_quote(to, q, sizeof q);
    if (!(r->sp[r->n].text = base_strdup(q))) {
        r->oom = 1;
        return;
    }
    r->sp[r->n].start = start;
    r->sp[r->n++].end = end;
}

static int write_copy(build_ctx *c, const char *orig, const char *text, size_t len, char *out,
                      size_t cap)
{
    sw_tmpfiles *t = c->t;
    if (t->n == SW_MAX_FILES)
        return base_fail(c->err, "too many files");
    snprintf(t->tmp[t->n], sizeof t->tmp[0], "%s/%s-%d.yaml", c->tmp_dir, c->tag, t->n);
    snprintf(t->orig[t->n], sizeof t->orig[0], "%s", orig);
    FILE *f = fopen(t->tmp[t->n], "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        if (f)
            fclose(f);
        return base_fail(c->err, "cannot write %s: %s", t->tmp[t->n], strerror(errno));
    }
    if (fclose(f) != 0)
        return base_fail(c->err, "cannot write %s: %s", t->tmp[t->n], strerror(errno));
    snprintf(out, cap, "%s", t->tmp[t->n++]);
    return 0;
}

static int rebase_and_write(build_ctx *c, const char *path, const char *text, size_t len,
                            const descent *ds, int nds, char *out, size_t cap)
{
    splice sp[SW_MAX_SPLICES];
    char dir[BASE_PATH_MAX], msg[256];
    abs_dir(c->s, path, dir, sizeof dir);
    rebase_state r = {c->s, dir, ds, nds, sp, 0, 0};
    int rc = cfg_yaml_each_value(text, len, path_keys, rebase_one, &r, msg, sizeof msg);
    char *t2 = NULL;
    size_t len2 = 0;
    if (rc)
        base_fail(c->err, "%s: %s", path, msg);
    else if (r.oom || !(t2 = apply(text, len, sp, r.n, &len2)))
        rc = base_fail(c->err, "out of memory");
    else
        rc = write_copy(c, path, t2, len2, out, cap);
    base_free(t2);
    free_splices(sp, r.n);
    return rc;
}

static int build_file(build_ctx *c, const char *path, const sw_override *ov,
                      const char *const *cls, int n, int depth, char *out, size_t cap)
{
    if (depth > 4)
        return base_fail(c->err, "files nest too deep at %s", path);
    const sw_file *f = sw_file_get(c->s, path, c->err);
    if (!f)
        return -1;
    splice sp[SW_MAX_SPLICES];
    descent *ds = base_calloc(CFG_SWEEP_MAX_PARAMS, sizeof *ds);
    int nsp = 0, nds = 0, rc = ds ? 0 : base_fail(c->err, "out of memory");
    for (int i = 0; i < n && rc == 0; i++)
        rc = place(c, f, &ov[i], cls[i], sp, &nsp, ds, &nds);
    size_t len1 = 0;
    char *t1 = NULL;
    if (rc == 0 && !(t1 = apply(f->text, f->len, sp, nsp, &len1)))
        rc = base_fail(c->err, "out of memory");
    if (rc == 0)
        rc = descend(c, path, t1, len1, ds, nds, depth);
    if (rc == 0 && c->write)
        rc = rebase_and_write(c, path, t1, len1, ds, nds, out, cap);
    free_splices(sp, nsp);
    base_free(t1);
    base_free(ds);
    return rc;
}

int sw_build(sweep *s, const sw_override *ov, const char *const *ov_cls, int n,
             const char *tmp_dir, const char *tag, bool write, sw_tmpfiles *t, char *scen,
             size_t cap, base_error *err)
{
    build_ctx c = {s, tmp_dir, tag, write, t, err};
    if (t)
        t->n = 0;
    return build_file(&c, s->cfg->base, ov, ov_cls, n, 0, scen, cap);
}

void sw_tmpfiles_remove(sw_tmpfiles *t)
{
    for (int i = 0; i < t->n; i++)
        remove(t->tmp[i]);
    t->n = 0;
}
