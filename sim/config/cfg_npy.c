/* cfg_npy.c -- the .npy reader: header (magic, version, dict literal),
 * dtype, C or Fortran order, into a float array. The dict is parsed as the
 * small Python literal numpy writes, not searched for substrings, so a
 * key inside a string or a missing key cannot be mistaken. */
#include "config/cfg_npy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NPY_HEADER_MAX (1u << 20) /* numpy writes < 64 KiB; bound the parse */

typedef struct {
    const char *s; /* the header text (not NUL-terminated) */
    size_t n, pos;
} npy_lex;

static const struct {
    const char *descr;
    cfg_npy_dtype t;
    unsigned size;
} npy_types[] = {
    {"<f4", CFG_NPY_F4, 4}, {"<f8", CFG_NPY_F8, 8}, {"|i1", CFG_NPY_I1, 1},
    {"|u1", CFG_NPY_U1, 1}, {"<i2", CFG_NPY_I2, 2}, {"<i4", CFG_NPY_I4, 4},
};
#define NPY_NTYPES (sizeof npy_types / sizeof npy_types[0])

const char *cfg_npy_dtype_name(cfg_npy_dtype t)
{
    for (size_t k = 0; k < NPY_NTYPES; k++)
        if (npy_types[k].t == t)
            return npy_types[k].descr;
    return "?";
}

static unsigned npy_itemsize(cfg_npy_dtype t)
{
    for (size_t k = 0; k < NPY_NTYPES; k++)
        if (npy_types[k].t == t)
            return npy_types[k].size;
    return 0;
}

/* "(2, 3)", "(5,)", "()" as Python prints a shape. */
static const char *npy_shape_str(const uint64_t *shape, uint32_t ndim, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "(");
    for (uint32_t d = 0; d < ndim && at < len; d++)
        at += (size_t)snprintf(buf + at, len - at, d ? ", %llu" : "%llu",
                               (unsigned long long)shape[d]);
    if (at < len)
        snprintf(buf + at, len - at, ndim == 1 ? ",)" : ")");
    return buf;
}

static void npy_ws(npy_lex *l)
{
    while (l->pos < l->n && strchr(" \t\r\n", l->s[l->pos]))
        l->pos++;
}

static int npy_peek(npy_lex *l)
{
    npy_ws(l);
    return l->pos < l->n ? (unsigned char)l->s[l->pos] : -1;
}

static int npy_eat(npy_lex *l, char c)
{
    if (npy_peek(l) != c)
        return -1;
    l->pos++;
    return 0;
}

/* A quoted string (either quote) into buf; -1 if not a string or too long. */
static int npy_string(npy_lex *l, char *buf, size_t cap)
{
    int q = npy_peek(l);
    if (q != '\'' && q != '"')
        return -1;
    size_t k = 0;
    for (l->pos++; l->pos < l->n && l->s[l->pos] != q; l->pos++) {
        if (k + 1 >= cap)
            return -1;
        buf[k++] = l->s[l->pos];
    }
    if (l->pos >= l->n)
        return -1;
    l->pos++;
    buf[k] = 0;
    return 0;
}

static int npy_word(npy_lex *l, const char *w)
{
    size_t n = strlen(w);
    npy_ws(l);
    if (l->n - l->pos < n || memcmp(l->s + l->pos, w, n))
        return -1;
    l->pos += n;
    return 0;
}

static int npy_uint(npy_lex *l, uint64_t *v)
{
    npy_ws(l);
    size_t start = l->pos;
    uint64_t x = 0;
    while (l->pos < l->n && l->s[l->pos] >= '0' && l->s[l->pos] <= '9') {
        unsigned dgt = (unsigned)(l->s[l->pos++] - '0');
        if (x > (UINT64_MAX - dgt) / 10)
            return -1;
        x = x * 10 + dgt;
    }
    if (l->pos < l->n && l->s[l->pos] == 'L')
        l->pos++; /* Python 2 long literals in old files */
    *v = x;
    return l->pos > start ? 0 : -1;
}

/* "(a, b, ...)" with an optional trailing comma. */
static int npy_shape(npy_lex *l, cfg_npy *a)
{
    if (npy_eat(l, '('))
        return -1;
    a->ndim = 0;
    while (npy_peek(l) != ')') {
        if (a->ndim == CFG_NPY_MAX_DIMS || npy_uint(l, &a->shape[a->ndim]))
            return -1;
        a->ndim++;
        if (npy_peek(l) == ',')
            l->pos++;
        else if (npy_peek(l) != ')')
            return -1;
    }
    l->pos++;
    return 0;
}

static int npy_descr(const char *name, npy_lex *l, cfg_npy *a, base_error *err)
{
    char d[32];
    if (npy_peek(l) == '[')
        return base_fail_at(err, name, 0, 0, "unsupported dtype: a structured dtype (expected "
                            "one of <f4, <f8, |i1, |u1, <i2, <i4)");
    if (npy_string(l, d, sizeof d))
        return base_fail_at(err, name, 0, 0, "bad NPY header: 'descr' is not a string");
    for (size_t k = 0; k < NPY_NTYPES; k++)
        if (!strcmp(d, npy_types[k].descr)) {
            a->dtype = npy_types[k].t;
            return 0;
        }
    return base_fail_at(err, name, 0, 0, "unsupported dtype '%s' (expected one of <f4, <f8, "
                        "|i1, |u1, <i2, <i4)", d);
}

static int npy_entry(const char *name, npy_lex *l, cfg_npy *a, unsigned *seen, base_error *err)
{
    char key[32];
    if (npy_string(l, key, sizeof key) || npy_eat(l, ':'))
        return base_fail_at(err, name, 0, 0, "bad NPY header: expected 'key': value");
    unsigned bit = !strcmp(key, "descr") ? 1 : !strcmp(key, "fortran_order") ? 2
                 : !strcmp(key, "shape") ? 4 : 0;
    if (!bit)
        return base_fail_at(err, name, 0, 0, "bad NPY header: unknown key '%s' (expected "
                            "descr, fortran_order, shape)", key);
    if (*seen & bit)
        return base_fail_at(err, name, 0, 0, "bad NPY header: key '%s' twice", key);
    *seen |= bit;
    if (bit == 1)
        return npy_descr(name, l, a, err);
    if (bit == 2) {
        if (!npy_word(l, "True"))
            a->fortran_order = 1;
        else if (!npy_word(l, "False"))
            a->fortran_order = 0;
        else
            return base_fail_at(err, name, 0, 0, "bad NPY header: fortran_order: expected "
                                "True or False");
        return 0;
    }
    if (npy_shape(l, a))
        return base_fail_at(err, name, 0, 0, "bad NPY header: shape: expected a tuple of at "
                            "most %d non-negative integers", CFG_NPY_MAX_DIMS);
    return 0;
}

static int npy_dict(const char *name, npy_lex *l, cfg_npy *a, base_error *err)
{
    unsigned seen = 0;
    if (npy_eat(l, '{'))
        return base_fail_at(err, name, 0, 0, "bad NPY header: expected a dict '{...}'");
    while (npy_peek(l) != '}') {
        if (npy_entry(name, l, a, &seen, err))
            return -1;
        if (npy_peek(l) == ',')
            l->pos++;
        else if (npy_peek(l) != '}')
            return base_fail_at(err, name, 0, 0, "bad NPY header: expected ',' or '}'");
    }
    l->pos++;
    if (npy_peek(l) != -1)
        return base_fail_at(err, name, 0, 0, "bad NPY header: text after the dict");
    if (seen != 7)
        return base_fail_at(err, name, 0, 0, "bad NPY header: missing key '%s'",
                            !(seen & 1) ? "descr" : !(seen & 2) ? "fortran_order" : "shape");
    return 0;
}

/* Magic, version and header length: the offset of the dict and its size. */
static int npy_preamble(const char *name, const unsigned char *b, size_t len, size_t *off,
                        size_t *hlen, base_error *err)
{
    if (len < 10)
        return base_fail_at(err, name, 0, 0, "truncated: %zu bytes, expected at least 10 "
                            "(magic, version, header length)", len);
    if (memcmp(b, "\x93NUMPY", 6))
        return base_fail_at(err, name, 0, 0, "not an NPY file: expected the magic "
                            "\\x93NUMPY at the start");
    if ((b[6] < 1 || b[6] > 3) || b[7] != 0)
        return base_fail_at(err, name, 0, 0, "unsupported NPY version %u.%u (expected 1.0, "
                            "2.0 or 3.0)", b[6], b[7]);
    if (b[6] == 1) {
        *hlen = (size_t)b[8] | (size_t)b[9] << 8;
        *off = 10;
    } else {
        if (len < 12)
            return base_fail_at(err, name, 0, 0, "truncated: %zu bytes, expected at least 12 "
                                "for a version %u.0 preamble", len, b[6]);
        *hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        *off = 12;
    }
    if (*hlen > NPY_HEADER_MAX)
        return base_fail_at(err, name, 0, 0, "bad NPY header: length %zu (expected at most %u)",
                            *hlen, NPY_HEADER_MAX);
    if (len - *off < *hlen)
        return base_fail_at(err, name, 0, 0, "truncated: header of %zu bytes, found %zu", *hlen,
                            len - *off);
    return 0;
}

/* One little-endian element as a double (exact for every supported type). */
static double npy_elem(const unsigned char *p, cfg_npy_dtype t)
{
    uint64_t u = 0;
    unsigned n = npy_itemsize(t);
    for (unsigned k = 0; k < n; k++)
        u |= (uint64_t)p[k] << (8 * k);
    switch (t) {
    case CFG_NPY_F4: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return f;
    }
    case CFG_NPY_F8: {
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    case CFG_NPY_I1:
        return (int8_t)(uint8_t)u;
    case CFG_NPY_U1:
        return (uint8_t)u;
    case CFG_NPY_I2:
        return (int16_t)(uint16_t)u;
    case CFG_NPY_I4:
        return (int32_t)(uint32_t)u;
    }
    return 0;
}

/* Elements in file order go to their C-order place: for Fortran order the
 * first index runs fastest in the file, so walk an odometer over it. */
static void npy_decode(cfg_npy *a, const unsigned char *data, double scale)
{
    unsigned sz = npy_itemsize(a->dtype);
    if (!a->fortran_order || a->ndim < 2) {
        for (size_t k = 0; k < a->count; k++)
            a->data[k] = (float)(npy_elem(data + k * sz, a->dtype) * scale);
        return;
    }
    size_t cstride[CFG_NPY_MAX_DIMS], idx[CFG_NPY_MAX_DIMS] = {0}, coff = 0;
    cstride[a->ndim - 1] = 1;
    for (uint32_t d = a->ndim - 1; d > 0; d--)
        cstride[d - 1] = cstride[d] * (size_t)a->shape[d];
    for (size_t k = 0; k < a->count; k++) {
        a->data[coff] = (float)(npy_elem(data + k * sz, a->dtype) * scale);
        for (uint32_t d = 0; d < a->ndim; d++) {
            coff += cstride[d];
            if (++idx[d] < a->shape[d])
                break;
            coff -= cstride[d] * idx[d];
            idx[d] = 0;
        }
    }
}

static int npy_count(const char *name, cfg_npy *a, base_error *err)
{
    size_t n = 1;
    for (uint32_t d = 0; d < a->ndim; d++) {
        if (a->shape[d] && n > SIZE_MAX / 8 / a->shape[d])
            return base_fail_at(err, name, 0, 0, "shape too large for memory");
        n *= (size_t)a->shape[d];
    }
    a->count = n;
    return 0;
}

int cfg_npy_parse(const char *name, const void *bytes, size_t len, double scale, cfg_npy *out,
                  base_error *err)
{
    const unsigned char *b = bytes;
    size_t off = 0, hlen = 0;
    memset(out, 0, sizeof *out);
    if (npy_preamble(name, b, len, &off, &hlen, err))
        return -1;
    npy_lex l = {(const char *)b + off, hlen, 0};
    cfg_npy a = {0};
    if (npy_dict(name, &l, &a, err) || npy_count(name, &a, err))
        return -1;
    size_t need = a.count * npy_itemsize(a.dtype), have = len - off - hlen;
    if (have < need) {
        char sh[160];
        return base_fail_at(err, name, 0, 0, "truncated: shape %s of %s needs %zu bytes of "
                            "data, found %zu", npy_shape_str(a.shape, a.ndim, sh, sizeof sh),
                            cfg_npy_dtype_name(a.dtype), need, have);
    }
    a.data = base_malloc((a.count ? a.count : 1) * sizeof *a.data);
    if (!a.data)
        return base_fail_at(err, name, 0, 0, "out of memory for %zu values", a.count);
    npy_decode(&a, b + off + hlen, scale);
    *out = a;
    return 0;
}

static int npy_slurp(const char *path, unsigned char **buf, size_t *len, base_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return base_fail_at(err, path, 0, 0, "cannot open: %s", strerror(errno));
    size_t cap = 0, n = 0;
    unsigned char *b = NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb = base_realloc(b, ncap);
            if (!nb) {
                base_free(b);
                fclose(f);
                return base_fail_at(err, path, 0, 0, "out of memory reading the file");
            }
            b = nb, cap = ncap;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        base_free(b);
        return base_fail_at(err, path, 0, 0, "read error");
    }
    *buf = b, *len = n;
    return 0;
}

int cfg_npy_read(const char *path, double scale, cfg_npy *out, base_error *err)
{
    unsigned char *b = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (npy_slurp(path, &b, &len, err))
        return -1;
    int rc = cfg_npy_parse(path, b, len, scale, out, err);
    base_free(b);
    return rc;
}

void cfg_npy_free(cfg_npy *a)
{
    base_free(a->data);
    memset(a, 0, sizeof *a);
}

int cfg_npy_check_shape(const cfg_npy *a, const char *name, const uint64_t *shape,
                        uint32_t ndim, base_error *err)
{
    int same = a->ndim == ndim;
    for (uint32_t d = 0; same && d < ndim; d++)
        same = a->shape[d] == shape[d];
    if (same)
        return 0;
    char found[160], want[160];
    return base_fail_at(err, name, 0, 0, "shape %s: expected %s",
                        npy_shape_str(a->shape, a->ndim, found, sizeof found),
                        npy_shape_str(shape, ndim, want, sizeof want));
}
