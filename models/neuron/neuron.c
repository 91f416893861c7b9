/* neuron.c -- neuron groups: parameters, state, timestep and async
 * updates. The formulas and their order of operations are the contract of
 * neuron.h; tests/unit/snn_ref.h restates them independently, so a change
 * here must change the header comment first. */
#include "neuron/neuron.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct neu_group {
    neu_params p;
    uint32_t n;
    double *v;          /* membrane (sigma_delta: the sigma state s) */
    double *isyn;       /* cuba_lif only */
    double *sd_out;     /* sigma_delta only: last quantised output */
    int64_t *acc;       /* 32.32 input accumulated in the current step */
    float *bias;        /* per-neuron bias, or NULL: p.bias for all */
    uint64_t *ref_until; /* refractory while step < ref_until[i] */
    uint64_t *t_last;   /* async: time of the neuron's last event, ps */
    uint8_t *touched;   /* received input in the current step */
    uint32_t *list;     /* the touched neurons, in arrival order */
    uint32_t n_list;
    uint64_t step;
    neu_stats st;
};

/* Input is summed as 32.32 fixed point: order-independent (integer
 * addition is associative) whatever the NoC's arrival order. */
#define NEU_ACC_ONE 0x1p32
#define NEU_ACC_MAX 0x1p62

static const char *const neu_names[] = {"if", "lif", "cuba_lif", "sigma_delta"};

void neu_params_default(neu_params *p, neu_model model)
{
    memset(p, 0, sizeof *p);
    p->model = model;
    p->threshold = 1.0;
    p->reset = NEU_RESET_ZERO;
    p->tau_us = 20.0;
    p->r = 1.0;
    p->tau_syn_us = 5.0;
    p->act = NEU_ACT_NONE;
    p->evaluate = NEU_EVAL_INPUT;
}

int neu_model_from_name(const char *name, neu_model *out)
{
    for (int m = 0; m < 4; m++)
        if (!strcmp(name, neu_names[m])) {
            *out = (neu_model)m;
            return 0;
        }
    return -1;
}

const char *neu_model_name(neu_model m)
{
    return (unsigned)m < 4 ? neu_names[m] : "?";
}

static int neu_check_times(const neu_params *p, base_error *err)
{
    int leaky = p->model == NEU_LIF || p->model == NEU_CUBA_LIF;
    if (leaky && !(p->tau_us > 0 && isfinite(p->tau_us)))
        return base_fail(err, "neuron.tau_us: expected a time > 0, found %g", p->tau_us);
    if (p->model == NEU_CUBA_LIF && !(p->tau_syn_us > 0 && isfinite(p->tau_syn_us)))
        return base_fail(err, "neuron.tau_syn_us: expected a time > 0, found %g", p->tau_syn_us);
    if (!isfinite(p->v_leak) || !isfinite(p->r) || !isfinite(p->v_reset) || !isfinite(p->bias))
        return base_fail(err, "neuron: v_leak, r, v_reset and bias must be finite numbers");
    return 0;
}

int neu_params_check(const neu_params *p, base_error *err)
{
    if ((unsigned)p->model > NEU_SIGMA_DELTA)
        return base_fail(err, "neuron.model: expected if, lif, cuba_lif or sigma_delta");
    if ((unsigned)p->reset > NEU_RESET_SUBTRACT || (unsigned)p->act > NEU_ACT_RELU ||
        (unsigned)p->evaluate > NEU_EVAL_ALL)
        return base_fail(err, "neuron: reset, act or evaluate out of range");
    if (p->model == NEU_SIGMA_DELTA) {
        if (!(p->threshold >= 0 && isfinite(p->threshold)))
            return base_fail(err, "neuron.threshold: expected >= 0 for sigma_delta, found %g",
                             p->threshold);
    } else if (!(p->threshold > 0 && isfinite(p->threshold))) {
        return base_fail(err, "neuron.threshold: expected > 0 for %s, found %g",
                         neu_model_name(p->model), p->threshold);
    }
    if (p->state_bits == 0 && p->frac_bits != 0)
        return base_fail(err, "neuron.frac_bits: %u needs a fixed-point state_bits", p->frac_bits);
    if (p->state_bits != 0 && (p->state_bits < 2 || p->state_bits > 32))
        return base_fail(err, "neuron.state_bits: expected 0 (float) or 2..32, found %u",
                         p->state_bits);
    if (p->state_bits != 0 && p->frac_bits >= p->state_bits)
        return base_fail(err, "neuron.frac_bits: expected < state_bits (%u), found %u",
                         p->state_bits, p->frac_bits);
    return neu_check_times(p, err);
}

double neu_quantize(const neu_params *p, double y)
{
    if (p->state_bits == 0)
        return y;
    if (isnan(y))
        return 0.0;
    double scale = ldexp(1.0, (int)p->frac_bits);
    double hi = ldexp(1.0, (int)p->state_bits - 1);
    double r = round(y * scale); /* halves away from zero */
    if (r > hi - 1)
        r = hi - 1;
    if (r < -hi)
        r = -hi;
    return r / scale;
}

static double neu_bias(const neu_group *g, uint32_t i)
{
    return g->bias ? (double)g->bias[i] : g->p.bias;
}

void neu_group_reset(neu_group *g)
{
    for (uint32_t i = 0; i < g->n; i++) {
        g->v[i] = g->p.model == NEU_SIGMA_DELTA ? neu_quantize(&g->p, neu_bias(g, i)) : 0.0;
        if (g->isyn)
            g->isyn[i] = 0.0;
        if (g->sd_out)
            g->sd_out[i] = 0.0;
    }
    memset(g->acc, 0, g->n * sizeof *g->acc);
    memset(g->ref_until, 0, g->n * sizeof *g->ref_until);
    memset(g->t_last, 0, g->n * sizeof *g->t_last);
    memset(g->touched, 0, g->n);
    g->n_list = 0;
    g->step = 0;
}

neu_group *neu_group_new(const neu_params *p, uint32_t n, base_error *err)
{
    if (neu_params_check(p, err))
        return NULL;
    if (n == 0) {
        base_fail(err, "neuron group: expected at least one neuron");
        return NULL;
    }
    neu_group *g = base_calloc(1, sizeof *g);
    if (!g)
        goto oom;
    g->p = *p;
    g->n = n;
    g->v = base_calloc(n, sizeof *g->v);
    g->acc = base_calloc(n, sizeof *g->acc);
    g->ref_until = base_calloc(n, sizeof *g->ref_until);
    g->t_last = base_calloc(n, sizeof *g->t_last);
    g->touched = base_calloc(n, 1);
    g->list = base_calloc(n, sizeof *g->list);
    if (p->model == NEU_CUBA_LIF)
        g->isyn = base_calloc(n, sizeof *g->isyn);
    if (p->model == NEU_SIGMA_DELTA)
        g->sd_out = base_calloc(n, sizeof *g->sd_out);
    if (!g->v || !g->acc || !g->ref_until || !g->t_last || !g->touched || !g->list ||
        (p->model == NEU_CUBA_LIF && !g->isyn) || (p->model == NEU_SIGMA_DELTA && !g->sd_out))
        goto oom;
    neu_group_reset(g);
    return g;
oom:
    neu_group_free(g);
    base_fail(err, "neuron group of %u neurons: out of memory", n);
    return NULL;
}

void neu_group_free(neu_group *g)
{
    if (!g)
        return;
    base_free(g->v);
    base_free(g->isyn);
    base_free(g->sd_out);
    base_free(g->acc);
    base_free(g->bias);
    base_free(g->ref_until);
    base_free(g->t_last);
    base_free(g->touched);
    base_free(g->list);
    base_free(g);
}

int neu_group_set_bias(neu_group *g, const float *bias, base_error *err)
{
    if (!g->bias) {
        g->bias = base_malloc(g->n * sizeof *g->bias);
        if (!g->bias)
            return base_fail(err, "neuron group bias: out of memory");
    }
    memcpy(g->bias, bias, g->n * sizeof *g->bias);
    /* the sigma state starts at the bias: restate it for untouched groups */
    if (g->p.model == NEU_SIGMA_DELTA && g->step == 0)
        for (uint32_t i = 0; i < g->n; i++)
            g->v[i] = neu_quantize(&g->p, neu_bias(g, i));
    return 0;
}

uint32_t neu_group_n(const neu_group *g) { return g->n; }
const neu_params *neu_group_params(const neu_group *g) { return &g->p; }
const neu_stats *neu_group_stats(const neu_group *g) { return &g->st; }
uint64_t neu_group_step_index(const neu_group *g) { return g->step; }
double neu_v(const neu_group *g, uint32_t i) { return g->v[i]; }
double neu_i_syn(const neu_group *g, uint32_t i) { return g->isyn ? g->isyn[i] : 0.0; }
double neu_sd_out(const neu_group *g, uint32_t i) { return g->sd_out ? g->sd_out[i] : 0.0; }
void neu_set_v(neu_group *g, uint32_t i, double v) { g->v[i] = neu_quantize(&g->p, v); }

/* x as 32.32 fixed point: x * 2^32 rounded as nearbyint does in the
 * default round-to-nearest-even mode, clamped to +-NEU_ACC_MAX, NaN as 0.
 * Without the libm call and with one test on the common path (the
 * synaptic hot path): below 2^52, adding and taking back 2^52 rounds to an
 * integer exactly as nearbyint does; from 2^52 on every double is one. */
static inline int64_t neu_to_acc(double x)
{
    double q = x * NEU_ACC_ONE;
    if (fabs(q) < 0x1p52) {
        double m = copysign(0x1p52, q);
        return (int64_t)((q + m) - m);
    }
    if (!(q == q))
        return 0; /* NaN carries no charge */
    return (int64_t)(q > NEU_ACC_MAX ? NEU_ACC_MAX : q < -NEU_ACC_MAX ? -NEU_ACC_MAX : q);
}

/* One input into the step's sum (the caller counts it in st.inputs). */
static inline void neu_accumulate(neu_group *g, uint32_t i, double x)
{
    int64_t d = neu_to_acc(x), sum;
    if (__builtin_add_overflow(g->acc[i], d, &sum))
        sum = d > 0 ? INT64_MAX : INT64_MIN;
    g->acc[i] = sum;
    if (!g->touched[i]) {
        g->touched[i] = 1;
        g->list[g->n_list++] = i;
    }
}

void neu_add_input(neu_group *g, uint32_t i, double x)
{
    neu_accumulate(g, i, x);
    g->st.inputs++;
}

void neu_add_inputs(neu_group *g, const uint32_t *tgt, const float *w, uint32_t n, uint32_t lo,
                    double x)
{
    for (uint32_t k = 0; k < n; k++)
        neu_accumulate(g, tgt[k] - lo, (double)w[k] * x);
    g->st.inputs += n;
}

/* Spikes for membrane v: 0, 1, or with multi_spike the least n >= 1 that
 * brings v - n*thr to <= thr. The estimate from the division is corrected
 * both ways so the count agrees with the comparisons the reset will make. */
static uint32_t neu_fire_count(double v, double thr, int multi)
{
    if (!(v > thr))
        return 0;
    if (!multi)
        return 1;
    const double cap = 2147483647.0;
    double k = ceil(v / thr) - 1;
    if (!(k >= 1))
        k = 1;
    if (k > cap)
        k = cap;
    while (k < cap && v - k * thr > thr)
        k++;
    while (k > 1 && v - (k - 1) * thr <= thr)
        k--;
    return (uint32_t)k;
}

/* Spike check, reset and emission, shared by both modes. */
static void neu_fire(neu_group *g, uint32_t i, neu_emit_fn emit, void *ctx)
{
    const neu_params *p = &g->p;
    uint32_t n = neu_fire_count(g->v[i], p->threshold, p->multi_spike);
    if (!n)
        return;
    if (p->reset == NEU_RESET_ZERO)
        g->v[i] = neu_quantize(p, p->v_reset);
    else
        g->v[i] = neu_quantize(p, g->v[i] - (double)n * p->threshold);
    g->ref_until[i] = g->step + 1 + p->refractory_steps;
    g->st.outputs++;
    g->st.spikes += n;
    if (emit)
        emit(ctx, i, (double)n);
}

/* Sigma-delta: quantise the activation, send the change when non-zero. */
static void neu_sd_eval(neu_group *g, uint32_t i, neu_emit_fn emit, void *ctx)
{
    const neu_params *p = &g->p;
    double a = g->v[i];
    if (p->act == NEU_ACT_RELU && !(a > 0))
        a = 0.0;
    double out = p->threshold > 0 ? p->threshold * nearbyint(a / p->threshold) : a;
    if (out == g->sd_out[i])
        return;
    double delta = out - g->sd_out[i];
    g->sd_out[i] = out;
    g->st.outputs++;
    g->st.spikes++;
    if (emit)
        emit(ctx, i, delta);
}

static void neu_eval_step(neu_group *g, uint32_t i, double dt_us, neu_emit_fn emit, void *ctx)
{
    const neu_params *p = &g->p;
    double x = (double)g->acc[i] / NEU_ACC_ONE;
    g->acc[i] = 0;
    g->st.updates++;
    if (p->model == NEU_SIGMA_DELTA) {
        g->v[i] = neu_quantize(p, g->v[i] + x);
        neu_sd_eval(g, i, emit, ctx);
        return;
    }
    if (g->step < g->ref_until[i])
        return; /* refractory: the input is discarded */
    x += neu_bias(g, i);
    double v = g->v[i];
    if (p->model == NEU_IF) {
        v = v + x;
    } else if (p->model == NEU_LIF) {
        double a = dt_us / p->tau_us;
        v = v + a * (p->v_leak - v + p->r * x);
    } else {
        double a = dt_us / p->tau_us, b = dt_us / p->tau_syn_us;
        double cur = neu_quantize(p, g->isyn[i] + b * (-g->isyn[i]) + x);
        g->isyn[i] = cur;
        v = v + a * (p->v_leak - v + p->r * cur);
    }
    g->v[i] = neu_quantize(p, v);
    neu_fire(g, i, emit, ctx);
}

static int neu_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void neu_step(neu_group *g, double dt_us, neu_emit_fn emit, void *ctx)
{
    /* sigma_delta's first step sends every neuron's bias wave */
    int all = g->p.evaluate == NEU_EVAL_ALL || (g->p.model == NEU_SIGMA_DELTA && g->step == 0);
    if (all || (uint64_t)g->n_list * 8 > g->n) {
        /* a scan of the flags visits the touched neurons in index order */
        for (uint32_t i = 0; i < g->n; i++)
            if (all || g->touched[i]) {
                g->touched[i] = 0;
                neu_eval_step(g, i, dt_us, emit, ctx);
            }
    } else {
        qsort(g->list, g->n_list, sizeof *g->list, neu_cmp_u32);
        for (uint32_t k = 0; k < g->n_list; k++) {
            g->touched[g->list[k]] = 0;
            neu_eval_step(g, g->list[k], dt_us, emit, ctx);
        }
    }
    g->n_list = 0;
    g->step++;
}

/* Exact solution of the cuba_lif pair over e_us with no input. */
static void neu_cuba_decay(neu_group *g, uint32_t i, double e_us)
{
    const neu_params *p = &g->p;
    double tm = p->tau_us, ts = p->tau_syn_us;
    double u = g->v[i] - p->v_leak, cur = g->isyn[i];
    double em = exp(-e_us / tm), es = exp(-e_us / ts);
    if (ts == tm) {
        u = (u + p->r * cur * e_us / tm) * em;
    } else {
        double amp = p->r * cur * ts / (ts - tm);
        u = (u - amp) * em + amp * es;
    }
    g->v[i] = neu_quantize(p, p->v_leak + u);
    g->isyn[i] = neu_quantize(p, cur * es);
}

void neu_input_async(neu_group *g, uint32_t i, double x, uint64_t t_ps, neu_emit_fn emit,
                     void *ctx)
{
    const neu_params *p = &g->p;
    double e_us = t_ps > g->t_last[i] ? (double)(t_ps - g->t_last[i]) * 1e-6 : 0.0;
    if (t_ps > g->t_last[i])
        g->t_last[i] = t_ps;
    g->st.inputs++;
    g->st.updates++;
    switch (p->model) {
    case NEU_IF:
        g->v[i] = neu_quantize(p, g->v[i] + x);
        break;
    case NEU_LIF: {
        double v = p->v_leak + (g->v[i] - p->v_leak) * exp(-e_us / p->tau_us);
        g->v[i] = neu_quantize(p, neu_quantize(p, v) + p->r * x);
        break;
    }
    case NEU_CUBA_LIF:
        neu_cuba_decay(g, i, e_us);
        g->isyn[i] = neu_quantize(p, g->isyn[i] + x);
        break;
    case NEU_SIGMA_DELTA:
        g->v[i] = neu_quantize(p, g->v[i] + x);
        neu_sd_eval(g, i, emit, ctx);
        return;
    }
    neu_fire(g, i, emit, ctx);
}
