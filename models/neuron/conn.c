/* conn.c -- connectivity as fan-out. conv2d and pooling invert the
 * gather definition (out[o] = sum over the window of in[o * s - p + k d])
 * per axis: a source at y feeds output o through kernel tap k exactly when
 * y + p - k d = o s, so only the kernel taps are visited, never the whole
 * output. Dense weights are stored transposed (source-major) so one
 * source's fan-out reads contiguous memory. */
#include "neuron/conn.h"

#include <math.h>
#include <string.h>

#include "base/rng.h"

struct conn {
    conn_params p;
    conn_shape out;
    uint32_t n_in, n_out;
    float *w; /* dense: [n_in][n_out]; conv2d: PyTorch layout; else NULL */
    uint64_t synapses;
    uint32_t max_fanout; /* bound on one source's visits: sizes conn_fanout_list's output */
};

static int conn_size3(conn_shape s, uint32_t *n)
{
    uint64_t v = (uint64_t)s.c * s.h * s.w;
    if (v == 0 || v > UINT32_MAX)
        return -1;
    *n = (uint32_t)v;
    return 0;
}

static uint32_t conn_or(uint32_t v, uint32_t dflt) { return v ? v : dflt; }

/* Output extent of one axis, 0 when the window does not fit. */
static uint32_t conn_axis_out(uint32_t n, uint32_t k, uint32_t s, uint32_t pad, uint32_t dil)
{
    uint64_t span = (uint64_t)dil * (k - 1) + 1, room = (uint64_t)n + 2ull * pad;
    return span > room ? 0 : (uint32_t)((room - span) / s + 1);
}

static void conn_fill_defaults(conn_params *p)
{
    int pool = p->kind == CONN_SUM_POOL || p->kind == CONN_AVG_POOL;
    p->stride_h = conn_or(p->stride_h, pool ? p->kh : 1);
    p->stride_w = conn_or(p->stride_w, pool ? p->kw : 1);
    p->dil_h = conn_or(p->dil_h, 1);
    p->dil_w = conn_or(p->dil_w, 1);
    p->groups = conn_or(p->groups, 1);
    if (pool)
        p->pad_h = p->pad_w = 0, p->dil_h = p->dil_w = 1;
}

static int conn_plan_window(const conn_params *p, conn_shape *out, base_error *err)
{
    const char *what = p->kind == CONN_CONV2D ? "conv2d" : "pool";
    if (p->kh < 1 || p->kw < 1 || p->kh > CONN_MAX_KERNEL || p->kw > CONN_MAX_KERNEL)
        return base_fail(err, "%s: kernel %ux%u: expected 1..%d per side", what, p->kh, p->kw,
                         CONN_MAX_KERNEL);
    out->h = conn_axis_out(p->in.h, p->kh, p->stride_h, p->pad_h, p->dil_h);
    out->w = conn_axis_out(p->in.w, p->kw, p->stride_w, p->pad_w, p->dil_w);
    if (!out->h || !out->w)
        return base_fail(err, "%s: kernel %ux%u (dilation %u,%u, padding %u,%u) larger than "
                         "the %ux%u input", what, p->kh, p->kw, p->dil_h, p->dil_w, p->pad_h,
                         p->pad_w, p->in.h, p->in.w);
    return 0;
}

static int conn_plan_conv(const conn_params *p, conn_shape *out, size_t *n_w, base_error *err)
{
    if (p->out_channels == 0)
        return base_fail(err, "conv2d: out_channels: expected >= 1, found 0");
    if (p->in.c % p->groups || p->out_channels % p->groups)
        return base_fail(err, "conv2d: groups %u must divide in channels %u and out channels %u",
                         p->groups, p->in.c, p->out_channels);
    if (conn_plan_window(p, out, err))
        return -1;
    out->c = p->out_channels;
    *n_w = (size_t)p->out_channels * (p->in.c / p->groups) * p->kh * p->kw;
    return 0;
}

static int conn_plan_filled(const conn_params *p, conn_shape *out, size_t *n_w, base_error *err)
{
    uint32_t n_in;
    *n_w = 0;
    if (conn_size3(p->in, &n_in))
        return base_fail(err, "connection: input shape %ux%ux%u: expected 1..2^32-1 neurons",
                         p->in.c, p->in.h, p->in.w);
    switch (p->kind) {
    case CONN_DENSE:
        if (p->out_features == 0)
            return base_fail(err, "dense: out_features: expected >= 1, found 0");
        *out = (conn_shape){p->out_features, 1, 1};
        if (p->dense_as.c || p->dense_as.h || p->dense_as.w) {
            if ((uint64_t)p->dense_as.c * p->dense_as.h * p->dense_as.w != p->out_features)
                return base_fail(err, "dense: targets seen as %ux%ux%u, expected %u neurons",
                                 p->dense_as.c, p->dense_as.h, p->dense_as.w,
                                 p->out_features);
            *out = p->dense_as;
        }
        *n_w = (size_t)p->out_features * n_in;
        return 0;
    case CONN_CONV2D:
        return conn_plan_conv(p, out, n_w, err);
    case CONN_SUM_POOL:
    case CONN_AVG_POOL:
        out->c = p->in.c;
        return conn_plan_window(p, out, err);
    case CONN_FLATTEN:
        *out = (conn_shape){n_in, 1, 1};
        return 0;
    case CONN_ADD:
        *out = p->in;
        return 0;
    }
    return base_fail(err, "connection: unknown kind %d", (int)p->kind);
}

int conn_plan(const conn_params *p, conn_shape *out, size_t *n_weights, base_error *err)
{
    conn_params q = *p;
    conn_fill_defaults(&q);
    return conn_plan_filled(&q, out, n_weights, err);
}

/* The (tap, output) pairs of one axis for a source at y; ascending taps. */
static uint32_t conn_axis_taps(uint32_t y, uint32_t k, uint32_t s, uint32_t pad, uint32_t dil,
                               uint32_t n_out, uint32_t *taps, uint32_t *outs)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < k; t++) {
        int64_t num = (int64_t)y + pad - (int64_t)t * dil;
        if (num < 0)
            break; /* later taps reach further back */
        if (num % s || (uint64_t)(num / s) >= n_out)
            continue;
        taps[n] = t;
        outs[n++] = (uint32_t)(num / s);
    }
    return n;
}

/* One source's kernel window: the (tap, output) pairs per axis and the
 * output channels it feeds. */
typedef struct {
    uint32_t ny, nx, co_lo, co_hi, cin_g, cil;
    uint32_t ky[CONN_MAX_KERNEL], oy[CONN_MAX_KERNEL], kx[CONN_MAX_KERNEL], ox[CONN_MAX_KERNEL];
    float pool_w;
} conn_window;

/* 0 when src reaches no output. */
static inline int conn_window_of(const conn *c, uint32_t src, conn_window *wd)
{
    const conn_params *p = &c->p;
    uint32_t hw = p->in.h * p->in.w, ci = src / hw, y = src % hw / p->in.w, x = src % p->in.w;
    wd->ny = conn_axis_taps(y, p->kh, p->stride_h, p->pad_h, p->dil_h, c->out.h, wd->ky, wd->oy);
    wd->nx = conn_axis_taps(x, p->kw, p->stride_w, p->pad_w, p->dil_w, c->out.w, wd->kx, wd->ox);
    if (!wd->ny || !wd->nx)
        return 0;
    wd->co_lo = ci, wd->co_hi = ci + 1, wd->cin_g = 1, wd->cil = 0;
    if (p->kind == CONN_CONV2D) {
        uint32_t cout_g = p->out_channels / p->groups;
        wd->cin_g = p->in.c / p->groups;
        wd->cil = ci % wd->cin_g;
        wd->co_lo = ci / wd->cin_g * cout_g;
        wd->co_hi = wd->co_lo + cout_g;
    }
    wd->pool_w = p->kind == CONN_AVG_POOL ? 1.0f / (float)(p->kh * p->kw) : 1.0f;
    return 1;
}

static inline const float *conn_kernel(const conn *c, const conn_window *wd, uint32_t co)
{
    const conn_params *p = &c->p;
    return c->w ? c->w + ((size_t)co * wd->cin_g + wd->cil) * p->kh * p->kw : NULL;
}

/* Inlined into each caller so that a constant fn (conn_list_visit) is
 * inlined too: the hot path then has no call per synapse. */
static inline __attribute__((always_inline)) void
conn_window_fanout(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, conn_visit_fn fn,
                   void *ctx)
{
    const conn_params *p = &c->p;
    conn_window wd;
    if (!conn_window_of(c, src, &wd))
        return;
    uint32_t ohw = c->out.h * c->out.w, co_lo = wd.co_lo, co_hi = wd.co_hi;
    if (co_lo < lo / ohw)
        co_lo = lo / ohw;
    if (co_hi > (uint32_t)(((uint64_t)hi + ohw - 1) / ohw))
        co_hi = (uint32_t)(((uint64_t)hi + ohw - 1) / ohw);
    for (uint32_t co = co_lo; co < co_hi; co++) {
        const float *wk = conn_kernel(c, &wd, co);
        for (uint32_t a = 0; a < wd.ny; a++) {
            uint32_t row = co * ohw + wd.oy[a] * c->out.w;
            for (uint32_t b = 0; b < wd.nx; b++) {
                uint32_t t = row + wd.ox[b];
                if (t >= lo && t < hi)
                    fn(ctx, t, wk ? wk[wd.ky[a] * p->kw + wd.kx[b]] : wd.pool_w);
            }
        }
    }
}

/* conn_window_fanout inside block r (already clipped), local targets. */
static inline __attribute__((always_inline)) void
conn_window_fanout_rect(const conn *c, uint32_t src, conn_rect r, conn_visit_fn fn, void *ctx)
{
    const conn_params *p = &c->p;
    conn_window wd;
    if (!conn_window_of(c, src, &wd))
        return;
    uint32_t co_lo = wd.co_lo > r.c0 ? wd.co_lo : r.c0, co_hi = wd.co_hi < r.c1 ? wd.co_hi : r.c1;
    uint32_t nrows = r.y1 - r.y0, w = c->out.w;
    for (uint32_t co = co_lo; co < co_hi; co++) {
        const float *wk = conn_kernel(c, &wd, co);
        for (uint32_t a = 0; a < wd.ny; a++) {
            if (wd.oy[a] < r.y0 || wd.oy[a] >= r.y1)
                continue;
            uint32_t row = ((co - r.c0) * nrows + (wd.oy[a] - r.y0)) * w;
            for (uint32_t b = 0; b < wd.nx; b++)
                fn(ctx, row + wd.ox[b], wk ? wk[wd.ky[a] * p->kw + wd.kx[b]] : wd.pool_w);
        }
    }
}

static inline __attribute__((always_inline)) void
conn_fanout_with(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, conn_visit_fn fn,
                 void *ctx)
{
    if (src >= c->n_in)
        return;
    if (hi > c->n_out)
        hi = c->n_out;
    if (lo >= hi)
        return;
    switch (c->p.kind) {
    case CONN_DENSE: {
        const float *row = c->w + (size_t)src * c->n_out;
        for (uint32_t t = lo; t < hi; t++)
            fn(ctx, t, row[t]);
        return;
    }
    case CONN_FLATTEN:
    case CONN_ADD:
        if (src >= lo && src < hi)
            fn(ctx, src, 1.0f);
        return;
    default:
        conn_window_fanout(c, src, lo, hi, fn, ctx);
    }
}

void conn_fanout(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, conn_visit_fn fn,
                 void *ctx)
{
    conn_fanout_with(c, src, lo, hi, fn, ctx);
}

/* Write cursors, not a count: a uint32_t count could alias the targets
 * written, so the compiler would reload it per synapse; pointers cannot. */
typedef struct {
    uint32_t *tgt;
    float *w;
} conn_list;

static inline void conn_list_visit(void *ctx, uint32_t target, float w)
{
    conn_list *l = ctx;
    *l->tgt++ = target;
    *l->w++ = w;
}

uint32_t conn_fanout_list(const conn *c, uint32_t src, uint32_t lo, uint32_t hi, uint32_t *tgt,
                          float *w)
{
    conn_list l = {tgt, w};
    conn_fanout_with(c, src, lo, hi, conn_list_visit, &l);
    return (uint32_t)(l.tgt - tgt);
}

uint32_t conn_max_fanout(const conn *c) { return c->max_fanout; }

/* Any source's visits: at most the kernel window times the output
 * channels of its group (conv2d), the window (pools), every target
 * (dense), one (flatten, add) -- and never more than the targets. */
static uint32_t conn_fanout_bound(const conn *c)
{
    const conn_params *p = &c->p;
    uint64_t b = c->n_out;
    if (p->kind == CONN_CONV2D)
        b = (uint64_t)(p->out_channels / p->groups) * p->kh * p->kw;
    else if (p->kind == CONN_SUM_POOL || p->kind == CONN_AVG_POOL)
        b = (uint64_t)p->kh * p->kw;
    else if (p->kind == CONN_FLATTEN || p->kind == CONN_ADD)
        b = 1;
    return b < c->n_out ? (uint32_t)b : c->n_out;
}

static inline void conn_count_visit(void *ctx, uint32_t target, float w)
{
    (void)target, (void)w;
    ++*(uint32_t *)ctx;
}

uint32_t conn_fanout_count(const conn *c, uint32_t src, uint32_t lo, uint32_t hi)
{
    uint32_t n = 0;
    conn_fanout_with(c, src, lo, hi, conn_count_visit, &n); /* inlined: setup walks every source */
    return n;
}

/* r clipped to the output shape; 0 when empty. */
static inline int conn_clip(const conn *c, conn_rect *r)
{
    r->c1 = r->c1 < c->out.c ? r->c1 : c->out.c;
    r->y1 = r->y1 < c->out.h ? r->y1 : c->out.h;
    return r->c0 < r->c1 && r->y0 < r->y1;
}

uint32_t conn_rect_size(const conn *c, conn_rect r)
{
    return conn_clip(c, &r) ? (r.c1 - r.c0) * (r.y1 - r.y0) * c->out.w : 0;
}

uint32_t conn_rect_global(const conn *c, conn_rect r, uint32_t i)
{
    uint32_t w = c->out.w, nrows = r.y1 - r.y0, row = i / w;
    return ((r.c0 + row / nrows) * c->out.h + r.y0 + row % nrows) * w + i % w;
}

/* Dense, flatten and add: target t (a layer index) inside r, local. */
static inline __attribute__((always_inline)) void
conn_point_rect(const conn *c, uint32_t t, conn_rect r, conn_visit_fn fn, void *ctx, float w)
{
    uint32_t x = t % c->out.w, y = t / c->out.w % c->out.h, ch = t / c->out.w / c->out.h;
    if (ch >= r.c0 && ch < r.c1 && y >= r.y0 && y < r.y1)
        fn(ctx, ((ch - r.c0) * (r.y1 - r.y0) + (y - r.y0)) * c->out.w + x, w);
}

static inline __attribute__((always_inline)) void
conn_fanout_rect_with(const conn *c, uint32_t src, conn_rect r, conn_visit_fn fn, void *ctx)
{
    if (src >= c->n_in || !conn_clip(c, &r))
        return;
    switch (c->p.kind) {
    case CONN_DENSE: {
        const float *row = c->w + (size_t)src * c->n_out;
        uint32_t hw = c->out.h * c->out.w, nrw = (r.y1 - r.y0) * c->out.w, i = 0;
        for (uint32_t ch = r.c0; ch < r.c1; ch++)
            for (uint32_t t = ch * hw + r.y0 * c->out.w, e = t + nrw; t < e; t++)
                fn(ctx, i++, row[t]);
        return;
    }
    case CONN_FLATTEN:
    case CONN_ADD:
        conn_point_rect(c, src, r, fn, ctx, 1.0f);
        return;
    default:
        conn_window_fanout_rect(c, src, r, fn, ctx);
    }
}

void conn_fanout_rect(const conn *c, uint32_t src, conn_rect r, conn_visit_fn fn, void *ctx)
{
    conn_fanout_rect_with(c, src, r, fn, ctx);
}

uint32_t conn_fanout_rect_list(const conn *c, uint32_t src, conn_rect r, uint32_t *tgt,
                               float *w)
{
    conn_list l = {tgt, w};
    conn_fanout_rect_with(c, src, r, conn_list_visit, &l);
    return (uint32_t)(l.tgt - tgt);
}

uint32_t conn_fanout_rect_count(const conn *c, uint32_t src, conn_rect r)
{
    uint32_t n = 0;
    conn_fanout_rect_with(c, src, r, conn_count_visit, &n); /* inlined, as conn_fanout_count */
    return n;
}

/* Dense weights arrive (out, in) and are kept (in, out). */
static void conn_transpose(float *dst, const float *w, uint32_t n_out, uint32_t n_in)
{
    for (uint32_t o = 0; o < n_out; o++)
        for (uint32_t i = 0; i < n_in; i++)
            dst[(size_t)i * n_out + o] = w[(size_t)o * n_in + i];
}

conn *conn_new(const conn_params *p, const float *weights, size_t n_weights, base_error *err)
{
    conn_params q = *p;
    conn_fill_defaults(&q);
    conn_shape out;
    size_t need;
    if (conn_plan_filled(&q, &out, &need, err))
        return NULL;
    uint32_t n_out;
    if (conn_size3(out, &n_out)) {
        base_fail(err, "connection: output shape %ux%ux%u: too many neurons", out.c, out.h, out.w);
        return NULL;
    }
    if (n_weights != need || (need && !weights)) {
        base_fail(err, "connection: expected %zu weights, found %zu", need, n_weights);
        return NULL;
    }
    conn *c = base_calloc(1, sizeof *c);
    if (c && need)
        c->w = base_malloc(need * sizeof *c->w);
    if (!c || (need && !c->w)) {
        conn_free(c);
        base_fail(err, "connection: out of memory for %zu weights", need);
        return NULL;
    }
    c->p = q;
    c->out = out;
    conn_size3(q.in, &c->n_in);
    conn_size3(out, &c->n_out);
    if (q.kind == CONN_DENSE)
        conn_transpose(c->w, weights, c->n_out, c->n_in);
    else if (need)
        memcpy(c->w, weights, need * sizeof *c->w);
    c->max_fanout = conn_fanout_bound(c);
    if (q.kind == CONN_DENSE)
        c->synapses = (uint64_t)c->n_in * c->n_out;
    else
        for (uint32_t s = 0; s < c->n_in; s++)
            c->synapses += conn_fanout_count(c, s, 0, c->n_out);
    return c;
}

void conn_free(conn *c)
{
    if (!c)
        return;
    base_free(c->w);
    base_free(c);
}

const conn_params *conn_get_params(const conn *c) { return &c->p; }
conn_shape conn_out_shape(const conn *c) { return c->out; }
uint32_t conn_n_in(const conn *c) { return c->n_in; }
uint32_t conn_n_out(const conn *c) { return c->n_out; }
uint64_t conn_synapses(const conn *c) { return c->synapses; }

void conn_weights_from_hwio(const float *hwio, float *oihw, uint32_t kh, uint32_t kw,
                            uint32_t c_in, uint32_t c_out)
{
    for (uint32_t o = 0; o < c_out; o++)
        for (uint32_t i = 0; i < c_in; i++)
            for (uint32_t y = 0; y < kh; y++)
                for (uint32_t x = 0; x < kw; x++)
                    oihw[((o * c_in + i) * kh + y) * kw + x] =
                        hwio[((y * kw + x) * c_in + i) * c_out + o];
}

void conn_weights_from_keras_dense(const float *in_out, float *out_in, conn_shape src,
                                   uint32_t n_out)
{
    uint32_t n_in = src.c * src.h * src.w;
    for (uint32_t c = 0; c < src.c; c++)
        for (uint32_t y = 0; y < src.h; y++)
            for (uint32_t x = 0; x < src.w; x++) {
                uint32_t ours = (c * src.h + y) * src.w + x, keras = (y * src.w + x) * src.c + c;
                for (uint32_t o = 0; o < n_out; o++)
                    out_in[(size_t)o * n_in + ours] = in_out[(size_t)keras * n_out + o];
            }
}

int conn_weights_seeded(float *w, size_t n, double density, double scale, uint64_t seed,
                        uint64_t stream_id, base_error *err)
{
    if (!(density >= 0 && density <= 1))
        return base_fail(err, "weights: density: expected 0..1, found %g", density);
    if (!isfinite(scale))
        return base_fail(err, "weights: scale: expected a finite number, found %g", scale);
    rng_stream r;
    rng_seed(&r, seed, stream_id);
    for (size_t k = 0; k < n; k++) {
        /* two draws per weight whatever the outcome, so the k-th weight
         * does not depend on the density of the ones before it */
        double keep = rng_uniform(&r), u = rng_uniform(&r) * 2 - 1;
        w[k] = keep < density ? (float)(scale * u) : 0.0f;
    }
    return 0;
}
