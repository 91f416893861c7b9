/* test_neuron.c -- neuron groups and connectivity: each model's formulas
 * on values computed by hand, refractory, resets, multi-spike, fixed-point
 * rounding, the async exact leak, the fan-out of every connection kind
 * against a gather, and whole networks driven step by step against the
 * independent reference in snn_ref.h, with each layer split into 1, 2 and
 * 4 groups. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/rng.h"
#include "neuron/conn.h"
#include "neuron/neuron.h"
#include "config/cfg_npy.h"
#include "snn_ref.h"
#include "test_skip.h"

/* ---- recording emits ---------------------------------------------------- */

#define REC_MAX 256
typedef struct {
    int n;
    uint32_t idx[REC_MAX];
    double val[REC_MAX];
} rec;

static void rec_emit(void *ctx, uint32_t i, double value)
{
    rec *r = ctx;
    ck_assert_int_lt(r->n, REC_MAX);
    r->idx[r->n] = i;
    r->val[r->n++] = value;
}

static neu_group *group_of(const neu_params *p, uint32_t n)
{
    base_error e;
    neu_group *g = neu_group_new(p, n, &e);
    ck_assert_msg(g != NULL, "%s", e.msg);
    return g;
}

/* One timestep with input x on neuron 0; returns the emitted value or 0. */
static double step1(neu_group *g, double x, double dt_us)
{
    rec r = {0};
    if (x != 0)
        neu_add_input(g, 0, x);
    neu_step(g, dt_us, rec_emit, &r);
    ck_assert_int_le(r.n, 1);
    return r.n ? r.val[0] : 0.0;
}

/* ---- formulas on hand-computed values ----------------------------------- */

START_TEST(test_lif_forward_euler_three_steps_by_hand)
{
    neu_params p;
    neu_params_default(&p, NEU_LIF);
    p.tau_us = 10.0; /* dt/tau = 0.1 */
    p.threshold = 10.0;
    neu_group *g = group_of(&p, 1);
    /* v1 = 0.1 * (0 - 0 + 1) = 0.1; v2 = 0.1 + 0.1 * (1 - 0.1) = 0.19;
     * v3 = 0.19 + 0.1 * (1 - 0.19) = 0.271 */
    const double want[] = {0.1, 0.19, 0.271};
    for (int s = 0; s < 3; s++) {
        ck_assert_double_eq(step1(g, 1.0, 1.0), 0.0);
        ck_assert_double_eq_tol(neu_v(g, 0), want[s], 1e-12);
    }
    neu_group_free(g);
    /* leak towards v_leak with r scaling the input: v_leak 0.5, r 2, x 1:
     * v1 = 0.1 (0.5 + 2) = 0.25; v2 = 0.25 + 0.1 (0.5 - 0.25 + 2) = 0.475 */
    p.v_leak = 0.5;
    p.r = 2.0;
    g = group_of(&p, 1);
    step1(g, 1.0, 1.0);
    ck_assert_double_eq_tol(neu_v(g, 0), 0.25, 1e-12);
    step1(g, 1.0, 1.0);
    ck_assert_double_eq_tol(neu_v(g, 0), 0.475, 1e-12);
    neu_group_free(g);
}
END_TEST

START_TEST(test_lif_without_input_leaks_only_when_evaluating_all)
{
    neu_params p;
    neu_params_default(&p, NEU_LIF);
    p.tau_us = 10.0;
    p.threshold = 10.0;
    neu_group *g = group_of(&p, 2);
    neu_set_v(g, 0, 1.0);
    neu_set_v(g, 1, 1.0);
    rec r = {0};
    neu_step(g, 1.0, rec_emit, &r); /* nobody received input */
    ck_assert_double_eq(neu_v(g, 0), 1.0);
    neu_group_free(g);
    p.evaluate = NEU_EVAL_ALL;
    g = group_of(&p, 2);
    neu_set_v(g, 1, 1.0);
    neu_step(g, 1.0, rec_emit, &r);
    neu_step(g, 1.0, rec_emit, &r);
    ck_assert_double_eq_tol(neu_v(g, 1), 0.81, 1e-12); /* 1 * 0.9 * 0.9 */
    ck_assert_uint_eq(neu_group_stats(g)->updates, 4);
    neu_group_free(g);
}
END_TEST

/* Emission is in ascending index order whatever the arrival order, on
 * both paths of neu_step (a few touched neurons: sorted list; many: scan),
 * and a zero input still counts as "received" (the neuron is evaluated). */
START_TEST(test_step_order_and_zero_input_evaluates)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    neu_group *g = group_of(&p, 1000);
    static rec r;
    const uint32_t few[5] = {977, 3, 500, 41, 2};
    for (int k = 0; k < 5; k++)
        neu_add_input(g, few[k], 2.0);
    r.n = 0;
    neu_step(g, 1, rec_emit, &r);
    ck_assert_int_eq(r.n, 5);
    for (int k = 1; k < r.n; k++)
        ck_assert_uint_lt(r.idx[k - 1], r.idx[k]);
    for (uint32_t k = 0; k < 200; k++)
        neu_add_input(g, 999 - 5 * k, 2.0);
    r.n = 0;
    neu_step(g, 1, rec_emit, &r);
    ck_assert_int_eq(r.n, 200);
    for (int k = 1; k < r.n; k++)
        ck_assert_uint_lt(r.idx[k - 1], r.idx[k]);
    neu_group_free(g);
    neu_params_default(&p, NEU_LIF);
    p.tau_us = 10;
    g = group_of(&p, 2);
    neu_set_v(g, 0, 0.5);
    neu_set_v(g, 1, 0.5);
    neu_add_input(g, 1, 0.0); /* a zero-weight synapse still delivers */
    neu_step(g, 1, NULL, NULL);
    ck_assert_double_eq(neu_v(g, 0), 0.5);
    ck_assert_double_eq_tol(neu_v(g, 1), 0.45, 1e-12);
    ck_assert_uint_eq(neu_group_stats(g)->updates, 1);
    neu_group_free(g);
}
END_TEST

START_TEST(test_cuba_lif_current_first_then_membrane)
{
    neu_params p;
    neu_params_default(&p, NEU_CUBA_LIF);
    p.tau_us = 10.0;     /* a = 0.1 */
    p.tau_syn_us = 5.0;  /* b = 0.2 */
    p.threshold = 10.0;
    p.evaluate = NEU_EVAL_ALL;
    neu_group *g = group_of(&p, 1);
    /* step 0: i = 1, v = 0.1 * 1 = 0.1 (v sees the new current)
     * step 1: i = 0.8, v = 0.1 + 0.1 (0.8 - 0.1) = 0.17
     * step 2: i = 0.64, v = 0.17 + 0.1 (0.64 - 0.17) = 0.217 */
    const double wi[] = {1.0, 0.8, 0.64}, wv[] = {0.1, 0.17, 0.217};
    for (int s = 0; s < 3; s++) {
        step1(g, s == 0 ? 1.0 : 0.0, 1.0);
        ck_assert_double_eq_tol(neu_i_syn(g, 0), wi[s], 1e-12);
        ck_assert_double_eq_tol(neu_v(g, 0), wv[s], 1e-12);
    }
    neu_group_free(g);
}
END_TEST

START_TEST(test_if_strict_threshold_and_both_resets)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    neu_group *g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 0.5, 1), 0.0);
    ck_assert_double_eq(step1(g, 0.5, 1), 0.0); /* v == threshold: no spike */
    ck_assert_double_eq(neu_v(g, 0), 1.0);
    ck_assert_double_eq(step1(g, 0.25, 1), 1.0);
    ck_assert_double_eq(neu_v(g, 0), 0.0); /* reset zero, v_reset 0 */
    neu_group_free(g);
    p.v_reset = -0.5;
    g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 1.25, 1), 1.0);
    ck_assert_double_eq(neu_v(g, 0), -0.5);
    neu_group_free(g);
    p.reset = NEU_RESET_SUBTRACT;
    g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 1.25, 1), 1.0);
    ck_assert_double_eq(neu_v(g, 0), 0.25);
    ck_assert_double_eq(step1(g, 2.5, 1), 1.0); /* one spike only */
    ck_assert_double_eq(neu_v(g, 0), 1.75);
    neu_group_free(g);
}
END_TEST

START_TEST(test_multi_spike_counts_and_resets)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    p.multi_spike = 1;
    p.reset = NEU_RESET_SUBTRACT;
    neu_group *g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 3.5, 1), 3.0); /* 3.5 - 3 = 0.5 <= 1 */
    ck_assert_double_eq(neu_v(g, 0), 0.5);
    ck_assert_double_eq(step1(g, 2.5, 1), 2.0); /* v = 3: 3 - 2 = 1, not > 1 */
    ck_assert_double_eq(neu_v(g, 0), 1.0);
    ck_assert_double_eq(step1(g, 0.25, 1), 1.0);
    ck_assert_uint_eq(neu_group_stats(g)->spikes, 6);
    ck_assert_uint_eq(neu_group_stats(g)->outputs, 3);
    neu_group_free(g);
    p.reset = NEU_RESET_ZERO;
    p.threshold = 0.25;
    g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 1.1, 1), 4.0); /* 1.1 - 4 * 0.25 = 0.1 */
    ck_assert_double_eq(neu_v(g, 0), 0.0);
    neu_group_free(g);
}
END_TEST

START_TEST(test_refractory_steps_discard_input)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    p.threshold = 0.5;
    p.refractory_steps = 2;
    neu_group *g = group_of(&p, 1);
    int spikes[9];
    for (int s = 0; s < 9; s++)
        spikes[s] = step1(g, 1.0, 1) != 0;
    const int want[9] = {1, 0, 0, 1, 0, 0, 1, 0, 0};
    for (int s = 0; s < 9; s++)
        ck_assert_int_eq(spikes[s], want[s]);
    ck_assert_double_eq(neu_v(g, 0), 0.0); /* refractory input never charged */
    neu_group_free(g);
}
END_TEST

START_TEST(test_bias_is_input_each_evaluation)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    p.bias = 0.375;
    p.evaluate = NEU_EVAL_ALL;
    neu_group *g = group_of(&p, 3);
    const float b[3] = {0.5f, 0.25f, 0.0f};
    ck_assert_int_eq(neu_group_set_bias(g, b, NULL), 0);
    rec r = {0};
    for (int s = 0; s < 3; s++)
        neu_step(g, 1, rec_emit, &r);
    ck_assert_int_eq(r.n, 1); /* neuron 0: 0.5, 1.0, 1.5 > 1 at step 2 */
    ck_assert_uint_eq(r.idx[0], 0);
    ck_assert_double_eq(neu_v(g, 1), 0.75);
    ck_assert_double_eq(neu_v(g, 2), 0.0);
    neu_group_free(g);
}
END_TEST

START_TEST(test_sigma_delta_quantises_and_sends_change)
{
    neu_params p;
    neu_params_default(&p, NEU_SIGMA_DELTA);
    p.threshold = 0.25;
    p.act = NEU_ACT_RELU;
    neu_group *g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 0.3, 1), 0.25);   /* q(0.3) = 0.25 */
    ck_assert_double_eq(step1(g, 0.1, 1), 0.25);   /* q(0.4) = 0.5 */
    ck_assert_double_eq(step1(g, 0.05, 1), 0.0);   /* q(0.45) = 0.5: silent */
    ck_assert_double_eq(step1(g, -0.55, 1), -0.5); /* relu(-0.1) = 0 */
    ck_assert_double_eq_tol(neu_v(g, 0), -0.1, 1e-9); /* the sigma keeps the sum */
    neu_group_free(g);
    /* ties to even, as numpy.round: 0.375/0.25 = 1.5 -> 2, 0.625/0.25 = 2.5 -> 2 */
    p.act = NEU_ACT_NONE;
    g = group_of(&p, 1);
    ck_assert_double_eq(step1(g, 0.375, 1), 0.5);
    ck_assert_double_eq(step1(g, 0.25, 1), 0.0);
    ck_assert_double_eq(neu_sd_out(g, 0), 0.5);
    ck_assert_double_eq(step1(g, -1.125, 1), -1.0); /* -0.5 / 0.25 = -2 */
    neu_group_free(g);
}
END_TEST

START_TEST(test_sigma_delta_bias_wave_at_first_step)
{
    neu_params p;
    neu_params_default(&p, NEU_SIGMA_DELTA);
    p.threshold = 0.5;
    p.bias = 0.6;
    neu_group *g = group_of(&p, 4);
    rec r = {0};
    neu_step(g, 1, rec_emit, &r);
    ck_assert_int_eq(r.n, 4);
    for (int k = 0; k < 4; k++) {
        ck_assert_uint_eq(r.idx[k], (uint32_t)k);
        ck_assert_double_eq(r.val[k], 0.5);
    }
    r.n = 0;
    neu_step(g, 1, rec_emit, &r); /* no input: nothing evaluated, nothing sent */
    ck_assert_int_eq(r.n, 0);
    /* threshold 0: no quantisation, the exact change goes out */
    p.threshold = 0;
    p.bias = 0;
    neu_group_free(g);
    g = group_of(&p, 1);
    ck_assert_double_eq_tol(step1(g, 0.1, 1), 0.1, 1e-9);
    neu_group_free(g);
}
END_TEST

START_TEST(test_fixed_point_rounds_half_away_and_saturates)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    p.state_bits = 8;
    p.frac_bits = 4; /* step 1/16, range [-8, 127/16] */
    ck_assert_double_eq(neu_quantize(&p, 0.03125), 0.0625);   /* half a step: away */
    ck_assert_double_eq(neu_quantize(&p, -0.03125), -0.0625);
    ck_assert_double_eq(neu_quantize(&p, 0.03), 0.0);
    ck_assert_double_eq(neu_quantize(&p, 0.1), 0.125);        /* 1.6 steps -> 2 */
    ck_assert_double_eq(neu_quantize(&p, 100.0), 127.0 / 16); /* saturates */
    ck_assert_double_eq(neu_quantize(&p, -100.0), -8.0);
    ck_assert_double_eq(neu_quantize(&p, NAN), 0.0);
    p.threshold = 7.0;
    neu_group *g = group_of(&p, 1);
    step1(g, 0.1, 1);
    ck_assert_double_eq(neu_v(g, 0), 0.125);
    step1(g, 0.1, 1); /* 0.125 + 0.1 = 0.225 = 3.6 steps -> 0.25 */
    ck_assert_double_eq(neu_v(g, 0), 0.25);
    for (int s = 0; s < 3; s++)
        step1(g, 3.0, 1); /* would pass 9: saturates at 7.9375, fires once */
    ck_assert_uint_eq(neu_group_stats(g)->spikes, 1);
    neu_group_free(g);
    /* LIF in fixed point: every update lands on the grid */
    neu_params_default(&p, NEU_LIF);
    p.state_bits = 16;
    p.frac_bits = 8;
    p.tau_us = 10;
    g = group_of(&p, 1);
    step1(g, 1.0, 1); /* 0.1 -> round(25.6) / 256 = 26 / 256 */
    ck_assert_double_eq(neu_v(g, 0), 26.0 / 256);
    neu_group_free(g);
}
END_TEST

START_TEST(test_input_sum_is_independent_of_arrival_order)
{
    neu_params p;
    neu_params_default(&p, NEU_IF);
    p.threshold = 100;
    neu_group *a = group_of(&p, 1), *b = group_of(&p, 1);
    /* in double, (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1 */
    ck_assert((0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1);
    const double x[] = {0.1, 0.2, 0.3, 1e-7, 3.0, -2.9};
    for (int k = 0; k < 6; k++) {
        neu_add_input(a, 0, x[k]);
        neu_add_input(b, 0, x[5 - k]);
    }
    rec r = {0};
    neu_step(a, 1, rec_emit, &r);
    neu_step(b, 1, rec_emit, &r);
    ck_assert(neu_v(a, 0) == neu_v(b, 0));
    ck_assert_double_eq_tol(neu_v(a, 0), 0.7000001, 1e-9);
    neu_group_free(a);
    neu_group_free(b);
}
END_TEST

START_TEST(test_async_lif_exact_leak_matches_closed_form)
{
    neu_params p;
    neu_params_default(&p, NEU_LIF);
    p.tau_us = 10.0;
    p.v_leak = 0.25;
    p.threshold = 10;
    neu_group *g = group_of(&p, 2);
    rec r = {0};
    /* from v = 0 at t = 0 the first microsecond leaks towards v_leak too */
    neu_input_async(g, 0, 0.5, 1000000, rec_emit, &r);
    neu_input_async(g, 1, 0.5, 1000000, rec_emit, &r);
    neu_input_async(g, 0, 0.0, 4000000, rec_emit, &r);  /* looked at 3 us later */
    neu_input_async(g, 0, 0.0, 8000000, rec_emit, &r);  /* and 4 us after that */
    neu_input_async(g, 1, 0.0, 8000000, rec_emit, &r);  /* once, 7 us later */
    double v1 = 0.25 + (0.0 - 0.25) * exp(-0.1) + 0.5;
    double want = 0.25 + (v1 - 0.25) * exp(-0.7);
    ck_assert_double_eq_tol(neu_v(g, 0), want, 1e-15);
    ck_assert_double_eq_tol(neu_v(g, 1), want, 1e-15);
    /* r scales the charge; an event arriving "earlier" is no elapsed time */
    neu_input_async(g, 1, 1.0, 2000000, rec_emit, &r);
    ck_assert_double_eq_tol(neu_v(g, 1), want + 1.0, 1e-15);
    ck_assert_int_eq(r.n, 0);
    neu_group_free(g);
}
END_TEST

/* Fine forward Euler of the cuba_lif pair from (v0, i0) over e_us. */
static double cuba_euler(double tm, double ts, double r, double vl, double v0, double i0,
                         double e_us)
{
    const int n = 200000;
    double h = e_us / n, v = v0, i = i0;
    for (int k = 0; k < n; k++) {
        double dv = (vl - v + r * i) / tm, di = -i / ts;
        v += h * dv;
        i += h * di;
    }
    return v;
}

START_TEST(test_async_cuba_exact_solution_and_spike)
{
    const double taus[2][2] = {{10.0, 4.0}, {6.0, 6.0}}; /* tm != ts, tm == ts */
    for (int c = 0; c < 2; c++) {
        neu_params p;
        neu_params_default(&p, NEU_CUBA_LIF);
        p.tau_us = taus[c][0];
        p.tau_syn_us = taus[c][1];
        p.r = 1.5;
        p.v_leak = 0.1;
        p.threshold = 100;
        neu_group *g = group_of(&p, 1);
        neu_set_v(g, 0, 0.3);
        neu_input_async(g, 0, 2.0, 0, NULL, NULL); /* current jumps to 2, v stays */
        ck_assert_double_eq_tol(neu_v(g, 0), 0.3, 1e-15);
        neu_input_async(g, 0, 0.0, 5000000, NULL, NULL);
        double want = cuba_euler(p.tau_us, p.tau_syn_us, 1.5, 0.1, 0.3, 2.0, 5.0);
        ck_assert_double_eq_tol(neu_v(g, 0), want, 1e-4);
        ck_assert_double_eq_tol(neu_i_syn(g, 0), 2.0 * exp(-5.0 / p.tau_syn_us), 1e-12);
        neu_group_free(g);
    }
    neu_params p;
    neu_params_default(&p, NEU_IF);
    neu_group *g = group_of(&p, 1);
    rec r = {0};
    neu_input_async(g, 0, 0.6, 10, rec_emit, &r);
    neu_input_async(g, 0, 0.6, 20, rec_emit, &r);
    ck_assert_int_eq(r.n, 1);
    ck_assert_double_eq(neu_v(g, 0), 0.0);
    neu_group_free(g);
}
END_TEST

START_TEST(test_params_errors_name_the_key)
{
    neu_params p;
    base_error e;
    neu_params_default(&p, NEU_LIF);
    p.threshold = 0;
    ck_assert_ptr_null(neu_group_new(&p, 4, &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "threshold"));
    neu_params_default(&p, NEU_LIF);
    p.tau_us = -1;
    ck_assert_int_eq(neu_params_check(&p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "tau_us"));
    neu_params_default(&p, NEU_IF);
    p.state_bits = 40;
    ck_assert_int_eq(neu_params_check(&p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "state_bits"));
    p.state_bits = 8;
    p.frac_bits = 8;
    ck_assert_int_eq(neu_params_check(&p, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "frac_bits"));
    neu_params_default(&p, NEU_SIGMA_DELTA);
    p.threshold = 0;
    ck_assert_int_eq(neu_params_check(&p, &e), 0);
    ck_assert_ptr_null(neu_group_new(&p, 0, &e));
    neu_model m;
    ck_assert_int_eq(neu_model_from_name("cuba_lif", &m), 0);
    ck_assert_int_eq(m, NEU_CUBA_LIF);
    ck_assert_int_eq(neu_model_from_name("izhikevich", &m), -1);
    ck_assert_str_eq(neu_model_name(NEU_SIGMA_DELTA), "sigma_delta");
}
END_TEST

START_TEST(test_out_of_memory_frees_everything)
{
    neu_params p;
    neu_params_default(&p, NEU_CUBA_LIF);
    base_error e;
    int failed = 0;
    for (long k = 0; k < 20; k++) {
        base_alloc_fail_at(k, 0);
        neu_group *g = neu_group_new(&p, 100, &e);
        int inj = base_alloc_injected();
        base_alloc_fail_at(-1, 0);
        if (!g) {
            ck_assert(inj);
            ck_assert_ptr_nonnull(strstr(e.msg, "out of memory"));
            failed++;
        }
        neu_group_free(g);
    }
    ck_assert_int_ge(failed, 7);
    conn_params cp = {.kind = CONN_DENSE, .in = {4, 1, 1}, .out_features = 3};
    float w[12] = {0};
    for (long k = 0; k < 4; k++) {
        base_alloc_fail_at(k, 0);
        conn *c = conn_new(&cp, w, 12, &e);
        base_alloc_fail_at(-1, 0);
        conn_free(c);
    }
}
END_TEST

/* ---- connectivity -------------------------------------------------------- */

/* Small dyadic weights k/32: every sum of their products with dyadic
 * inputs is exact in double and in the groups' 32.32 accumulators. */
static float dyadic(rng_stream *r, int lo, int hi)
{
    return (float)((int)rng_below(r, (uint64_t)(hi - lo + 1)) + lo) / 32.0f;
}

static float *rand_weights(rng_stream *r, size_t n, int lo, int hi)
{
    float *w = malloc((n ? n : 1) * sizeof *w);
    for (size_t k = 0; k < n; k++)
        w[k] = dyadic(r, lo, hi);
    return w;
}

/* The reference's view of a connection, from the parameters with their
 * defaults filled in; the output size is recomputed, not copied. */
static ref_conn ref_of_conn(const conn *c, const float *w)
{
    const conn_params *p = conn_get_params(c);
    ref_conn r = {0};
    r.w = w;
    if (p->kind == CONN_DENSE) {
        r.kind = REF_DENSE;
        r.ci = (int)conn_n_in(c);
        r.co = (int)p->out_features;
        return r;
    }
    r.kind = p->kind == CONN_CONV2D ? REF_CONV : p->kind == CONN_SUM_POOL ? REF_SUMPOOL : REF_AVGPOOL;
    r.ci = (int)p->in.c, r.hi = (int)p->in.h, r.wi = (int)p->in.w;
    r.co = p->kind == CONN_CONV2D ? (int)p->out_channels : r.ci;
    r.kh = (int)p->kh, r.kw = (int)p->kw, r.sh = (int)p->stride_h, r.sw = (int)p->stride_w;
    r.ph = (int)p->pad_h, r.pw = (int)p->pad_w, r.dh = (int)p->dil_h, r.dw = (int)p->dil_w;
    r.groups = (int)p->groups;
    r.ho = ref_conn_out_dim(r.hi, r.kh, r.sh, r.ph, r.dh);
    r.wo = ref_conn_out_dim(r.wi, r.kw, r.sw, r.pw, r.dw);
    ck_assert_uint_eq(conn_out_shape(c).h, (uint32_t)r.ho);
    ck_assert_uint_eq(conn_out_shape(c).w, (uint32_t)r.wo);
    return r;
}

typedef struct {
    double *y;
    uint8_t *recv;
    double x;
    uint32_t visits, last;
    int ordered;
} scatter_ctx;

static void scatter_visit(void *ctx, uint32_t t, float w)
{
    scatter_ctx *s = ctx;
    s->y[t] += (double)w * s->x;
    s->recv[t] = 1;
    s->visits++;
    s->last = t;
}

typedef struct {
    const uint32_t *t;
    const float *w;
    uint32_t k, n;
} replay_ctx;

/* Each visit must be the next (target, weight) of the list. */
static void replay_visit(void *ctx, uint32_t t, float w)
{
    replay_ctx *r = ctx;
    ck_assert_uint_lt(r->k, r->n);
    ck_assert_uint_eq(t, r->t[r->k]);
    ck_assert(w == r->w[r->k]);
    r->k++;
}

/* conn_fanout_list must write what conn_fanout visits, in its order,
 * within conn_max_fanout (the integration hot path relies on both). */
static void check_list_equals_fanout(const conn *c, uint32_t j, uint32_t lo, uint32_t hi)
{
    uint32_t cap = conn_max_fanout(c);
    uint32_t *t = malloc((cap + 1) * sizeof *t);
    float *w = malloc((cap + 1) * sizeof *w);
    uint32_t n = conn_fanout_list(c, j, lo, hi, t, w);
    ck_assert_uint_le(n, cap);
    replay_ctx r = {t, w, 0, n};
    conn_fanout(c, j, lo, hi, replay_visit, &r);
    ck_assert_uint_eq(r.k, n);
    free(t), free(w);
}

/* Fan-out of every active source over the target layer cut into `cuts`
 * ranges must equal the reference's gather, and the counts must agree. */
static void check_fanout_vs_gather(const conn *c, const float *w, rng_stream *r, int cuts)
{
    uint32_t ni = conn_n_in(c), no = conn_n_out(c);
    double *x = calloc(ni, sizeof *x), *y1 = calloc(no, sizeof *y1), *y2 = calloc(no, sizeof *y2);
    uint8_t *act = calloc(ni, 1), *r1 = calloc(no, 1), *r2 = calloc(no, 1);
    for (uint32_t j = 0; j < ni; j++)
        if ((act[j] = rng_bernoulli(r, 0.5)))
            x[j] = (double)((int)rng_below(r, 9) - 4) / 8;
    uint32_t lo[9];
    for (int k = 0; k <= cuts; k++)
        lo[k] = (uint32_t)((uint64_t)no * k / cuts);
    uint64_t syn = 0;
    scatter_ctx s = {y1, r1, 0, 0, 0, 0};
    for (uint32_t j = 0; j < ni; j++) {
        for (int k = 0; k < cuts; k++) {
            s.x = x[j];
            uint32_t before = s.visits;
            if (act[j])
                conn_fanout(c, j, lo[k], lo[k + 1], scatter_visit, &s);
            else
                s.visits += conn_fanout_count(c, j, lo[k], lo[k + 1]);
            ck_assert_uint_eq(s.visits - before, conn_fanout_count(c, j, lo[k], lo[k + 1]));
            check_list_equals_fanout(c, j, lo[k], lo[k + 1]);
        }
        syn += conn_fanout_count(c, j, 0, no);
    }
    ck_assert_uint_eq(syn, conn_synapses(c));
    ck_assert_uint_eq(s.visits, syn);
    ref_conn rc = ref_of_conn(c, w);
    ref_conn_apply(&rc, x, act, y2, r2);
    for (uint32_t o = 0; o < no; o++) {
        ck_assert_msg(y1[o] == y2[o], "target %u: fan-out %g, gather %g", o, y1[o], y2[o]);
        ck_assert_int_eq(r1[o], r2[o]);
    }
    free(x), free(y1), free(y2), free(act), free(r1), free(r2);
}

typedef struct {
    uint32_t n, cap, *t;
    float *w;
} visit_list;

static void visit_list_add(void *ctx, uint32_t t, float w)
{
    visit_list *l = ctx;
    ck_assert_uint_lt(l->n, l->cap);
    l->t[l->n] = t;
    l->w[l->n++] = w;
}

/* conn_fanout_rect over block r against conn_fanout over the whole layer
 * filtered to r: the same synapses in the same order, local indices that
 * conn_rect_global maps back; the block's numbering is a bijection onto
 * its neurons in ascending order; whole channels equal the range. */
static void check_rect(const conn *c, conn_rect r)
{
    conn_shape o = conn_out_shape(c);
    uint32_t ni = conn_n_in(c), no = conn_n_out(c), size = conn_rect_size(c, r);
    uint32_t c1 = r.c1 < o.c ? r.c1 : o.c, y1 = r.y1 < o.h ? r.y1 : o.h, inside = 0;
    conn_rect cr = {r.c0, c1, r.y0, y1};
    for (uint32_t t = 0; t < no; t++) {
        uint32_t ch = t / (o.h * o.w), y = t / o.w % o.h;
        inside += ch >= r.c0 && ch < c1 && y >= r.y0 && y < y1;
    }
    ck_assert_uint_eq(size, inside);
    for (uint32_t i = 0; i + 1 < size; i++)
        ck_assert_uint_lt(conn_rect_global(c, cr, i), conn_rect_global(c, cr, i + 1));
    visit_list a = {0, no, calloc(no, sizeof(uint32_t)), calloc(no, sizeof(float))};
    visit_list b = {0, no, calloc(no, sizeof(uint32_t)), calloc(no, sizeof(float))};
    int whole = r.y0 == 0 && y1 == o.h;
    for (uint32_t j = 0; j < ni; j++) {
        a.n = b.n = 0;
        conn_fanout_rect(c, j, r, visit_list_add, &a);
        ck_assert_uint_eq(a.n, conn_fanout_rect_count(c, j, r));
        ck_assert_uint_le(a.n, conn_max_fanout(c));
        ck_assert_uint_eq(conn_fanout_rect_list(c, j, r, b.t, b.w), a.n); /* the same list */
        for (uint32_t v = 0; v < a.n; v++)
            ck_assert(b.t[v] == a.t[v] && b.w[v] == a.w[v]);
        if (whole)
            ck_assert_uint_eq(a.n, conn_fanout_count(c, j, r.c0 * o.h * o.w, c1 * o.h * o.w));
        conn_fanout(c, j, 0, no, visit_list_add, &b);
        uint32_t k = 0;
        for (uint32_t v = 0; v < b.n; v++) {
            uint32_t ch = b.t[v] / (o.h * o.w), y = b.t[v] / o.w % o.h;
            if (ch < r.c0 || ch >= c1 || y < r.y0 || y >= y1)
                continue;
            ck_assert_uint_lt(k, a.n);
            ck_assert_uint_lt(a.t[k], size);
            ck_assert_uint_eq(conn_rect_global(c, cr, a.t[k]), b.t[v]);
            if (whole)
                ck_assert_uint_eq(a.t[k], b.t[v] - r.c0 * o.h * o.w);
            ck_assert(a.w[k] == b.w[v]);
            k++;
        }
        ck_assert_uint_eq(k, a.n);
    }
    free(a.t), free(a.w), free(b.t), free(b.w);
}

/* Random blocks (some past the layer's edge, clipped) of c. */
static void check_rects(const conn *c, rng_stream *r, int n)
{
    conn_shape o = conn_out_shape(c);
    for (int k = 0; k < n; k++) {
        uint32_t c0 = (uint32_t)rng_below(r, o.c), y0 = (uint32_t)rng_below(r, o.h);
        conn_rect b = {c0, c0 + 1 + (uint32_t)rng_below(r, o.c - c0 + 1), y0,
                       y0 + 1 + (uint32_t)rng_below(r, o.h - y0 + 1)};
        if (k == 0)
            b.y0 = 0, b.y1 = o.h; /* whole channels */
        check_rect(c, b);
    }
}

START_TEST(test_fanout_rect_equals_fanout_inside_the_block)
{
    rng_stream r;
    rng_seed(&r, 13, 0);
    base_error e;
    for (int trial = 0; trial < 30; trial++) { /* convolutions */
        conn_params p = {.kind = CONN_CONV2D, .groups = 1 + (uint32_t)rng_below(&r, 2)};
        p.in = (conn_shape){p.groups * (1 + (uint32_t)rng_below(&r, 2)),
                            3 + (uint32_t)rng_below(&r, 7), 3 + (uint32_t)rng_below(&r, 7)};
        p.out_channels = p.groups * (1 + (uint32_t)rng_below(&r, 3));
        p.kh = p.kw = 1 + (uint32_t)rng_below(&r, 3);
        p.stride_h = 1 + (uint32_t)rng_below(&r, 2);
        p.pad_h = p.pad_w = (uint32_t)rng_below(&r, 2);
        p.dil_h = 1 + (uint32_t)rng_below(&r, 2);
        conn_shape out;
        size_t nw;
        if (conn_plan(&p, &out, &nw, &e) != 0)
            continue;
        float *w = rand_weights(&r, nw, -16, 16);
        conn *c = conn_new(&p, w, nw, &e);
        ck_assert_msg(c != NULL, "%s", e.msg);
        check_rects(c, &r, 6);
        conn_free(c);
        free(w);
    }
    conn_params other[] = {
        {.kind = CONN_SUM_POOL, .in = {3, 6, 5}, .kh = 2, .kw = 2},
        {.kind = CONN_AVG_POOL, .in = {2, 7, 6}, .kh = 3, .kw = 2, .stride_h = 1},
        {.kind = CONN_DENSE, .in = {5, 1, 1}, .out_features = 7},
        {.kind = CONN_DENSE, .in = {5, 1, 1}, .out_features = 60, .dense_as = {3, 5, 4}},
        {.kind = CONN_FLATTEN, .in = {2, 3, 4}},
        {.kind = CONN_ADD, .in = {3, 4, 2}},
    };
    for (size_t k = 0; k < sizeof other / sizeof *other; k++) {
        conn_shape out;
        size_t nw;
        ck_assert_int_eq(conn_plan(&other[k], &out, &nw, &e), 0);
        float *w = nw ? rand_weights(&r, nw, -16, 16) : NULL;
        conn *c = conn_new(&other[k], w, nw, &e);
        ck_assert_msg(c != NULL, "%s", e.msg);
        check_rects(c, &r, 8);
        conn_free(c);
        free(w);
    }
    conn_params bad = {.kind = CONN_DENSE, .in = {5, 1, 1}, .out_features = 60,
                       .dense_as = {3, 5, 5}};
    conn_shape out;
    size_t nw;
    ck_assert_int_eq(conn_plan(&bad, &out, &nw, &e), -1);
    ck_assert_str_eq(e.msg, "dense: targets seen as 3x5x5, expected 60 neurons");
}
END_TEST

START_TEST(test_conv_fanout_equals_gather_random_shapes)
{
    rng_stream r;
    rng_seed(&r, 11, 0);
    int built = 0;
    for (int trial = 0; trial < 60; trial++) {
        uint32_t groups = 1 + (uint32_t)rng_below(&r, 3);
        conn_params p = {.kind = CONN_CONV2D};
        p.in = (conn_shape){groups * (1 + (uint32_t)rng_below(&r, 2)),
                            2 + (uint32_t)rng_below(&r, 8), 2 + (uint32_t)rng_below(&r, 8)};
        p.out_channels = groups * (1 + (uint32_t)rng_below(&r, 3));
        p.groups = groups;
        p.kh = 1 + (uint32_t)rng_below(&r, 4);
        p.kw = 1 + (uint32_t)rng_below(&r, 4);
        p.stride_h = 1 + (uint32_t)rng_below(&r, 3);
        p.stride_w = 1 + (uint32_t)rng_below(&r, 3);
        p.pad_h = (uint32_t)rng_below(&r, 3);
        p.pad_w = (uint32_t)rng_below(&r, 3);
        p.dil_h = 1 + (uint32_t)rng_below(&r, 2);
        p.dil_w = 1 + (uint32_t)rng_below(&r, 2);
        conn_shape out;
        size_t nw;
        base_error e;
        int fits = ref_conn_out_dim((int)p.in.h, (int)p.kh, 1, (int)p.pad_h, (int)p.dil_h) > 0 &&
                   ref_conn_out_dim((int)p.in.w, (int)p.kw, 1, (int)p.pad_w, (int)p.dil_w) > 0;
        ck_assert_int_eq(conn_plan(&p, &out, &nw, &e) == 0, fits);
        if (!fits)
            continue;
        ck_assert_uint_eq(nw, (size_t)p.out_channels * (p.in.c / groups) * p.kh * p.kw);
        float *w = rand_weights(&r, nw, -16, 16);
        conn *c = conn_new(&p, w, nw, &e);
        ck_assert_msg(c != NULL, "%s", e.msg);
        check_fanout_vs_gather(c, w, &r, 1 + (int)rng_below(&r, 4));
        conn_free(c);
        free(w);
        built++;
    }
    ck_assert_int_ge(built, 40);
}
END_TEST

START_TEST(test_pool_dense_fanout_equal_gather)
{
    rng_stream r;
    rng_seed(&r, 12, 0);
    base_error e;
    conn_params pools[] = {
        {.kind = CONN_SUM_POOL, .in = {3, 5, 5}, .kh = 2, .kw = 2},
        {.kind = CONN_AVG_POOL, .in = {2, 6, 7}, .kh = 3, .kw = 2, .stride_h = 1},
        {.kind = CONN_DENSE, .in = {2, 3, 3}, .out_features = 7},
    };
    for (int k = 0; k < 3; k++) {
        conn_shape out;
        size_t nw;
        ck_assert_int_eq(conn_plan(&pools[k], &out, &nw, &e), 0);
        float *w = rand_weights(&r, nw, -16, 16);
        conn *c = conn_new(&pools[k], w, nw, &e);
        ck_assert_ptr_nonnull(c);
        for (int cuts = 1; cuts <= 3; cuts++)
            check_fanout_vs_gather(c, w, &r, cuts);
        conn_free(c);
        free(w);
    }
}
END_TEST

typedef struct {
    uint32_t t[64];
    float w[64];
    int n;
} list_ctx;

static void list_visit(void *ctx, uint32_t t, float w)
{
    list_ctx *l = ctx;
    ck_assert_int_lt(l->n, 64);
    l->t[l->n] = t;
    l->w[l->n++] = w;
}

START_TEST(test_conn_by_hand_dense_pool_flatten_add)
{
    base_error e;
    /* dense (out 2, in 3) in PyTorch layout: w[o][i] = 10 o + i */
    const float wd[6] = {0, 1, 2, 10, 11, 12};
    conn_params pd = {.kind = CONN_DENSE, .in = {3, 1, 1}, .out_features = 2};
    conn *c = conn_new(&pd, wd, 6, &e);
    list_ctx l = {0};
    conn_fanout(c, 2, 0, 2, list_visit, &l);
    ck_assert_int_eq(l.n, 2);
    ck_assert_uint_eq(l.t[0], 0);
    ck_assert_float_eq(l.w[0], 2);
    ck_assert_uint_eq(l.t[1], 1);
    ck_assert_float_eq(l.w[1], 12);
    l.n = 0;
    conn_fanout(c, 1, 1, 5, list_visit, &l); /* hi clipped to the layer */
    ck_assert_int_eq(l.n, 1);
    ck_assert_float_eq(l.w[0], 11);
    ck_assert_uint_eq(conn_synapses(c), 6);
    conn_free(c);
    /* sum pool 2x2 on (1, 5, 5): (1, 2, 2); row and column 4 feed nothing */
    conn_params pp = {.kind = CONN_SUM_POOL, .in = {1, 5, 5}, .kh = 2, .kw = 2};
    c = conn_new(&pp, NULL, 0, &e);
    ck_assert_uint_eq(conn_n_out(c), 4);
    l.n = 0;
    conn_fanout(c, 1 * 5 + 3, 0, 4, list_visit, &l); /* (y 1, x 3) -> (0, 1) */
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.t[0], 1);
    ck_assert_float_eq(l.w[0], 1);
    ck_assert_uint_eq(conn_fanout_count(c, 4 * 5 + 1, 0, 4), 0);
    ck_assert_uint_eq(conn_synapses(c), 16);
    conn_free(c);
    pp.kind = CONN_AVG_POOL;
    c = conn_new(&pp, NULL, 0, &e);
    l.n = 0;
    conn_fanout(c, 0, 0, 4, list_visit, &l);
    ck_assert_float_eq(l.w[0], 0.25f);
    conn_free(c);
    /* flatten (2, 2, 3) -> (12, 1, 1): identity in row-major C, H, W */
    conn_params pf = {.kind = CONN_FLATTEN, .in = {2, 2, 3}};
    c = conn_new(&pf, NULL, 0, &e);
    ck_assert_uint_eq(conn_out_shape(c).c, 12);
    l.n = 0;
    conn_fanout(c, (1 * 2 + 1) * 3 + 2, 0, 12, list_visit, &l);
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.t[0], 11);
    ck_assert_uint_eq(conn_fanout_count(c, 11, 0, 11), 0);
    conn_free(c);
    conn_params pa = {.kind = CONN_ADD, .in = {2, 2, 3}};
    c = conn_new(&pa, NULL, 0, &e);
    ck_assert_uint_eq(conn_out_shape(c).h, 2);
    ck_assert_uint_eq(conn_fanout_count(c, 5, 5, 6), 1);
    ck_assert_uint_eq(conn_synapses(c), 12);
    conn_free(c);
}
END_TEST

START_TEST(test_conv_by_hand_stride_padding)
{
    base_error e;
    /* 1 -> 1 channel, 3x3, stride 2, padding 1 on 5x5: output 3x3. Source
     * (y, x) feeds output o through tap k when y + 1 - k = 2 o: for y = 2
     * only k = 1, o = 1; for y = 1, k = 0 (o = 1) and k = 2 (o = 0). */
    float w[9];
    for (int k = 0; k < 9; k++)
        w[k] = (float)k;
    conn_params p = {.kind = CONN_CONV2D, .in = {1, 5, 5}, .out_channels = 1, .kh = 3, .kw = 3,
                     .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1};
    conn *c = conn_new(&p, w, 9, &e);
    ck_assert_uint_eq(conn_out_shape(c).h, 3);
    list_ctx l = {0};
    conn_fanout(c, 2 * 5 + 2, 0, 9, list_visit, &l);
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.t[0], 4);
    ck_assert_float_eq(l.w[0], 4);
    /* source (1, 1): taps 2 for output 0 (0*2-1+2 = 1) and 0 for output 1 */
    l.n = 0;
    conn_fanout(c, 1 * 5 + 1, 0, 9, list_visit, &l);
    ck_assert_int_eq(l.n, 4);
    ck_assert_uint_eq(conn_fanout_count(c, 1 * 5 + 1, 4, 5), 1); /* only (1, 1) */
    conn_free(c);
    /* errors: groups, window, weight count */
    conn_params bad = p;
    bad.groups = 2;
    ck_assert_ptr_null(conn_new(&bad, w, 9, &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "groups"));
    bad = p;
    bad.kh = 9;
    bad.pad_h = 0;
    ck_assert_ptr_null(conn_new(&bad, w, 9, &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "larger than"));
    ck_assert_ptr_null(conn_new(&p, w, 8, &e));
    ck_assert_ptr_nonnull(strstr(e.msg, "expected 9 weights, found 8"));
}
END_TEST

START_TEST(test_weight_layouts_and_seeded_weights)
{
    /* HWIO (2, 1, 1, 3): w[y][0][0][o] = 10 y + o -> OIHW [o][0][y][0] */
    const float hwio[6] = {0, 1, 2, 10, 11, 12};
    float oihw[6];
    conn_weights_from_hwio(hwio, oihw, 2, 1, 1, 3);
    const float want[6] = {0, 10, 1, 11, 2, 12};
    for (int k = 0; k < 6; k++)
        ck_assert_float_eq(oihw[k], want[k]);
    /* Keras dense from a (2, 1, 2) source flattened (h, w, c): Keras row
     * (x * 2 + c) is our column (c * 2 + x) */
    const float io[4] = {100, 101, 110, 111}; /* [keras in][1 out] = 100 + 10 x + c */
    float oi[4];
    conn_weights_from_keras_dense(io, oi, (conn_shape){2, 1, 2}, 1);
    const float want_oi[4] = {100, 110, 101, 111};
    for (int k = 0; k < 4; k++)
        ck_assert_float_eq(oi[k], want_oi[k]);
    /* seeded: same seed same weights; density and scale respected */
    static float a[20000], b[20000];
    base_error e;
    ck_assert_int_eq(conn_weights_seeded(a, 20000, 0.25, 0.5, 9, 3, &e), 0);
    ck_assert_int_eq(conn_weights_seeded(b, 20000, 0.25, 0.5, 9, 3, &e), 0);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    int nz = 0;
    for (int k = 0; k < 20000; k++) {
        nz += a[k] != 0;
        ck_assert(a[k] >= -0.5f && a[k] < 0.5f);
    }
    ck_assert_int_gt(nz, 4700);
    ck_assert_int_lt(nz, 5300);
    ck_assert_int_eq(conn_weights_seeded(b, 20000, 0.25, 0.5, 9, 4, &e), 0);
    ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
    ck_assert_int_eq(conn_weights_seeded(b, 1, 1.5, 0.5, 9, 4, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "density"));
}
END_TEST

/* ---- networks against the reference ------------------------------------- */

#define NET_MAXL 3
#define NET_MAXG 4

typedef struct {
    conn_params cp;
    neu_params np;
    float *w;    /* incoming weights, PyTorch layout */
    size_t nw;
    float *bias; /* per neuron, or NULL */
    float *wrec; /* recurrent dense n x n (delivered the next step), or NULL */
    int recurrent, biased; /* spec: make wrec / bias */
    conn *c, *rec;
    uint32_t n;
} net_layer;

typedef struct {
    conn_shape in;
    int nl, steps, graded;
    double dt_us, p_in;
    net_layer L[NET_MAXL];
    uint32_t n_in, total;  /* input neurons, neurons over all layers */
    double *x_in;          /* [steps][n_in] input values, 0 when silent */
} net;

static void net_build(net *nt, rng_stream *r)
{
    base_error e;
    conn_shape in = nt->in;
    nt->n_in = in.c * in.h * in.w;
    nt->total = 0;
    for (int l = 0; l < nt->nl; l++) {
        net_layer *L = &nt->L[l];
        L->cp.in = in;
        conn_shape out;
        ck_assert_int_eq(conn_plan(&L->cp, &out, &L->nw, &e), 0);
        L->w = L->nw ? rand_weights(r, L->nw, -8, 16) : NULL;
        L->c = conn_new(&L->cp, L->w, L->nw, &e);
        ck_assert_msg(L->c != NULL, "%s", e.msg);
        L->n = conn_n_out(L->c);
        if (L->recurrent) {
            L->wrec = rand_weights(r, (size_t)L->n * L->n, -16, 16);
            conn_params rp = {.kind = CONN_DENSE, .in = {L->n, 1, 1}, .out_features = L->n};
            L->rec = conn_new(&rp, L->wrec, (size_t)L->n * L->n, &e);
        }
        if (L->biased) {
            L->bias = malloc(L->n * sizeof *L->bias);
            uint32_t hw = out.h * out.w;
            for (uint32_t i = 0; i < L->n; i++) /* per channel, as conv biases */
                L->bias[i] = (float)((int)(i / hw % 7) - 2) / 16.0f;
        }
        nt->total += L->n;
        in = out;
    }
    nt->x_in = calloc((size_t)nt->steps * nt->n_in, sizeof *nt->x_in);
    for (size_t k = 0; k < (size_t)nt->steps * nt->n_in; k++)
        if (rng_bernoulli(r, nt->p_in)) {
            int q = (int)rng_below(r, 8); /* graded: +-1/16 .. +-4/16 */
            nt->x_in[k] = nt->graded ? (double)(q < 4 ? q - 4 : q - 3) / 16 : 1.0;
        }
}

static void net_free(net *nt)
{
    for (int l = 0; l < nt->nl; l++) {
        conn_free(nt->L[l].c);
        conn_free(nt->L[l].rec);
        free(nt->L[l].w);
        free(nt->L[l].wrec);
        free(nt->L[l].bias);
    }
    free(nt->x_in);
}

static ref_neuron ref_of_neuron(const neu_params *p, const float *bias)
{
    ref_neuron n = {0};
    n.model = p->model == NEU_IF ? REF_IF : p->model == NEU_LIF ? REF_LIF
            : p->model == NEU_CUBA_LIF ? REF_CUBA : REF_SD;
    n.thr = p->threshold, n.v_reset = p->v_reset, n.bias = p->bias, n.tau = p->tau_us;
    n.v_leak = p->v_leak, n.r = p->r, n.tau_syn = p->tau_syn_us;
    n.subtract = p->reset == NEU_RESET_SUBTRACT, n.multi = p->multi_spike;
    n.refractory = (int)p->refractory_steps, n.eval_all = p->evaluate == NEU_EVAL_ALL;
    n.relu = p->act == NEU_ACT_RELU;
    n.bias_n = bias;
    return n;
}

/* Reference outputs: [steps][total] values, layers one after another. */
static double *net_run_ref(const net *nt)
{
    double *out = calloc((size_t)nt->steps * nt->total, sizeof *out);
    ref_state st[NET_MAXL];
    ref_neuron rn[NET_MAXL];
    for (int l = 0; l < nt->nl; l++) {
        rn[l] = ref_of_neuron(&nt->L[l].np, nt->L[l].bias);
        ref_state_init(&st[l], &rn[l], (int)nt->L[l].n);
    }
    uint8_t *act = calloc(nt->total + nt->n_in, 1), *recv = calloc(nt->total, 1);
    double *y = calloc(nt->total, sizeof *y), *prev = calloc(nt->total, sizeof *prev);
    for (int s = 0; s < nt->steps; s++) {
        const double *src = nt->x_in + (size_t)s * nt->n_in;
        uint32_t base = 0, n_src = nt->n_in;
        for (int l = 0; l < nt->nl; l++) {
            const net_layer *L = &nt->L[l];
            for (uint32_t j = 0; j < n_src; j++)
                act[j] = src[j] != 0;
            memset(y, 0, L->n * sizeof *y);
            memset(recv, 0, L->n);
            ref_conn rc = ref_of_conn(L->c, L->w);
            ref_conn_apply(&rc, src, act, y, recv);
            if (L->rec) {
                for (uint32_t j = 0; j < L->n; j++)
                    act[j] = prev[base + j] != 0;
                ref_conn rr = ref_of_conn(L->rec, L->wrec);
                ref_conn_apply(&rr, prev + base, act, y, recv);
            }
            double *o = out + (size_t)s * nt->total + base;
            ref_layer_step(&rn[l], &st[l], y, recv, s, nt->dt_us, o);
            memcpy(prev + base, o, L->n * sizeof *o);
            src = o, n_src = L->n, base += L->n;
        }
    }
    for (int l = 0; l < nt->nl; l++)
        ref_state_free(&st[l]);
    free(act), free(recv), free(y), free(prev);
    return out;
}

/* The model side: each layer cut into ng slices, one group per slice; a
 * neuron's output fans out onto every slice of the next layer within the
 * step, and through the recurrent connection at the start of the next. */
typedef struct impl_net impl_net;
typedef struct {
    impl_net *in;
    int l, g;
} impl_emit;

struct impl_net {
    const net *nt;
    int ng;
    uint32_t lo[NET_MAXL][NET_MAXG + 1], base[NET_MAXL];
    neu_group *g[NET_MAXL][NET_MAXG];
    impl_emit ctx[NET_MAXL][NET_MAXG];
    double *out;                  /* this step's [total] */
    uint32_t *rq[NET_MAXL];       /* recurrent sources emitted this step */
    double *rqv[NET_MAXL];
    uint32_t nrq[NET_MAXL];
};

typedef struct {
    neu_group *g;
    uint32_t lo;
    double val;
} add_ctx;

static void add_visit(void *ctx, uint32_t t, float w)
{
    add_ctx *a = ctx;
    neu_add_input(a->g, t - a->lo, (double)w * a->val);
}

static void impl_deliver(impl_net *in, int l, const conn *c, uint32_t src, double val)
{
    for (int k = 0; k < in->ng; k++) {
        add_ctx a = {in->g[l][k], in->lo[l][k], val};
        conn_fanout(c, src, in->lo[l][k], in->lo[l][k + 1], add_visit, &a);
    }
}

static void impl_emit_fn(void *ctx, uint32_t i, double value)
{
    impl_emit *e = ctx;
    impl_net *in = e->in;
    uint32_t src = in->lo[e->l][e->g] + i;
    ck_assert(value != 0);
    in->out[in->base[e->l] + src] = value;
    if (e->l + 1 < in->nt->nl)
        impl_deliver(in, e->l + 1, in->nt->L[e->l + 1].c, src, value);
    if (in->nt->L[e->l].rec) {
        in->rq[e->l][in->nrq[e->l]] = src;
        in->rqv[e->l][in->nrq[e->l]++] = value;
    }
}

static void impl_setup(impl_net *in, const net *nt, int ng)
{
    base_error e;
    memset(in, 0, sizeof *in);
    in->nt = nt, in->ng = ng;
    uint32_t base = 0;
    for (int l = 0; l < nt->nl; l++) {
        const net_layer *L = &nt->L[l];
        uint32_t n = L->n;
        in->base[l] = base;
        base += n;
        for (int k = 0; k <= ng; k++) /* uneven cuts, inside channels too */
            in->lo[l][k] = (uint32_t)k + (uint32_t)((uint64_t)(n - ng) * k * k / (ng * ng));
        for (int k = 0; k < ng; k++) {
            in->g[l][k] = neu_group_new(&L->np, in->lo[l][k + 1] - in->lo[l][k], &e);
            ck_assert_msg(in->g[l][k] != NULL, "%s", e.msg);
            if (L->bias)
                ck_assert_int_eq(neu_group_set_bias(in->g[l][k], L->bias + in->lo[l][k], &e), 0);
            in->ctx[l][k] = (impl_emit){in, l, k};
        }
        in->rq[l] = malloc(n * sizeof *in->rq[l]);
        in->rqv[l] = malloc(n * sizeof *in->rqv[l]);
    }
}

static double *net_run_impl(const net *nt, int ng)
{
    impl_net in;
    impl_setup(&in, nt, ng);
    double *out = calloc((size_t)nt->steps * nt->total, sizeof *out);
    for (int s = 0; s < nt->steps; s++) {
        in.out = out + (size_t)s * nt->total;
        for (int l = 0; l < nt->nl; l++) {
            for (uint32_t k = 0; k < in.nrq[l]; k++)
                impl_deliver(&in, l, nt->L[l].rec, in.rq[l][k], in.rqv[l][k]);
            in.nrq[l] = 0;
        }
        const double *x = nt->x_in + (size_t)s * nt->n_in;
        for (uint32_t j = 0; j < nt->n_in; j++)
            if (x[j] != 0)
                impl_deliver(&in, 0, nt->L[0].c, j, x[j]);
        for (int l = 0; l < nt->nl; l++)
            for (int k = 0; k < ng; k++)
                neu_step(in.g[l][k], nt->dt_us, impl_emit_fn, &in.ctx[l][k]);
    }
    for (int l = 0; l < nt->nl; l++) {
        for (int k = 0; k < ng; k++)
            neu_group_free(in.g[l][k]);
        free(in.rq[l]), free(in.rqv[l]);
    }
    return out;
}

/* Exact equality with the reference for 1, 2 and 4 groups per layer, and
 * every layer active (a silent net would agree trivially). */
static void net_check(net *nt, uint64_t seed)
{
    rng_stream r;
    rng_seed(&r, seed, 0);
    net_build(nt, &r);
    double *ref = net_run_ref(nt);
    uint32_t base = 0;
    for (int l = 0; l < nt->nl; l++) {
        uint64_t active = 0;
        for (int s = 0; s < nt->steps; s++)
            for (uint32_t i = 0; i < nt->L[l].n; i++)
                active += ref[(size_t)s * nt->total + base + i] != 0;
        ck_assert_msg(active > (uint64_t)nt->steps / 4, "layer %d: only %llu outputs", l,
                      (unsigned long long)active);
        base += nt->L[l].n;
    }
    const int ngs[3] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        double *got = net_run_impl(nt, ngs[k]);
        for (size_t q = 0; q < (size_t)nt->steps * nt->total; q++)
            ck_assert_msg(got[q] == ref[q], "%d groups: step %zu neuron %zu: model %g, ref %g",
                          ngs[k], q / nt->total, q % nt->total, got[q], ref[q]);
        free(got);
    }
    free(ref);
    net_free(nt);
}

static neu_params np_of(neu_model m, double thr, neu_reset reset, neu_eval ev)
{
    neu_params p;
    neu_params_default(&p, m);
    p.threshold = thr;
    p.reset = reset;
    p.evaluate = ev;
    return p;
}

START_TEST(test_net_dense_3_layer_lif_equals_reference)
{
    net nt = {.in = {32, 1, 1}, .nl = 3, .steps = 60, .dt_us = 1.0, .p_in = 0.3};
    nt.L[0].cp = (conn_params){.kind = CONN_DENSE, .out_features = 24};
    nt.L[0].np = np_of(NEU_LIF, 0.5, NEU_RESET_SUBTRACT, NEU_EVAL_ALL);
    nt.L[0].np.tau_us = 8.0;
    nt.L[1].cp = (conn_params){.kind = CONN_DENSE, .out_features = 16};
    nt.L[1].np = np_of(NEU_LIF, 0.5, NEU_RESET_ZERO, NEU_EVAL_ALL);
    nt.L[1].np.tau_us = 5.0;
    nt.L[1].np.v_leak = 0.125;
    nt.L[1].np.refractory_steps = 1;
    nt.L[2].cp = (conn_params){.kind = CONN_DENSE, .out_features = 10};
    nt.L[2].np = np_of(NEU_LIF, 0.25, NEU_RESET_SUBTRACT, NEU_EVAL_INPUT);
    nt.L[2].np.tau_us = 4.0;
    nt.L[2].np.r = 2.0;
    nt.L[2].np.multi_spike = 1;
    net_check(&nt, 101);
}
END_TEST

START_TEST(test_net_conv_pool_dense_if_equals_reference)
{
    net nt = {.in = {2, 8, 8}, .nl = 3, .steps = 40, .dt_us = 1.0, .p_in = 0.25};
    nt.L[0].cp = (conn_params){.kind = CONN_CONV2D, .out_channels = 4, .kh = 3, .kw = 3,
                               .pad_h = 1, .pad_w = 1};
    nt.L[0].np = np_of(NEU_IF, 1.0, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    nt.L[1].cp = (conn_params){.kind = CONN_SUM_POOL, .kh = 2, .kw = 2};
    nt.L[1].np = np_of(NEU_IF, 1.5, NEU_RESET_SUBTRACT, NEU_EVAL_INPUT);
    nt.L[1].np.multi_spike = 1;
    nt.L[2].cp = (conn_params){.kind = CONN_DENSE, .out_features = 10};
    nt.L[2].np = np_of(NEU_IF, 1.0, NEU_RESET_SUBTRACT, NEU_EVAL_INPUT);
    nt.L[2].np.refractory_steps = 1;
    net_check(&nt, 202);
}
END_TEST

START_TEST(test_net_cuba_lif_recurrent_equals_reference)
{
    net nt = {.in = {20, 1, 1}, .nl = 1, .steps = 80, .dt_us = 1.0, .p_in = 0.3};
    nt.L[0].cp = (conn_params){.kind = CONN_DENSE, .out_features = 16};
    nt.L[0].np = np_of(NEU_CUBA_LIF, 1.0, NEU_RESET_SUBTRACT, NEU_EVAL_ALL);
    nt.L[0].np.tau_us = 10.0;
    nt.L[0].np.tau_syn_us = 5.0;
    nt.L[0].np.refractory_steps = 2;
    nt.L[0].recurrent = 1;
    net_check(&nt, 303);
}
END_TEST

START_TEST(test_net_sigma_delta_cnn_equals_reference)
{
    net nt = {.in = {2, 9, 9}, .nl = 3, .steps = 30, .dt_us = 1.0, .p_in = 0.3, .graded = 1};
    nt.L[0].cp = (conn_params){.kind = CONN_CONV2D, .out_channels = 4, .kh = 3, .kw = 3,
                               .stride_h = 2, .stride_w = 2, .pad_h = 2, .pad_w = 2,
                               .dil_h = 2, .dil_w = 2, .groups = 2};
    nt.L[0].np = np_of(NEU_SIGMA_DELTA, 0.125, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    nt.L[0].np.act = NEU_ACT_RELU;
    nt.L[0].biased = 1;
    nt.L[1].cp = (conn_params){.kind = CONN_AVG_POOL, .kh = 2, .kw = 2};
    nt.L[1].np = np_of(NEU_SIGMA_DELTA, 0.125, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    nt.L[1].np.act = NEU_ACT_RELU;
    nt.L[2].cp = (conn_params){.kind = CONN_DENSE, .out_features = 10};
    nt.L[2].np = np_of(NEU_SIGMA_DELTA, 0.0, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    net_check(&nt, 404);
}
END_TEST

/* ---- SENSIM's sigma-delta MNIST net on its own input events ---------------
 * Its four layers as neuron groups and connections (Keras HWIO / [in, out]
 * weights and H,W,C flatten order turned into ours), fed the recorded
 * input event stream frame by frame; after each frame the last layer's
 * output (the sum of the changes it sent) and every hidden layer's output
 * must equal Keras' activations within 1e-5. Threshold 0 = no quantisation,
 * as SENSIM's machine epsilon. */

#define SENSIM_DIR "../shared/reference/snnpeers/sensim_mnist/"

static float *npy_load(const char *file, const uint64_t *shape, uint32_t nd, cfg_npy *a)
{
    char path[256];
    base_error e;
    snprintf(path, sizeof path, SENSIM_DIR "%s", file);
    ck_assert_msg(cfg_npy_read(path, 1.0, a, &e) == 0, "%s", e.msg);
    ck_assert_msg(cfg_npy_check_shape(a, path, shape, nd, &e) == 0, "%s", e.msg);
    return a->data;
}

typedef struct {
    conn *c;
    neu_group *g;
    conn_shape out;
} sd_layer;

/* conv HWIO [kh][kw][ci][co] -> OIHW; bias per channel -> per neuron. */
static void sensim_conv(sd_layer *L, const char *name, conn_shape in, uint32_t co, int relu)
{
    char f[64];
    cfg_npy w, b;
    snprintf(f, sizeof f, "%s_weights.npy", name);
    const uint64_t ws[4] = {3, 3, in.c, co}, bs[1] = {co};
    npy_load(f, ws, 4, &w);
    snprintf(f, sizeof f, "%s_bias.npy", name);
    npy_load(f, bs, 1, &b);
    float *oihw = malloc(w.count * sizeof *oihw);
    conn_weights_from_hwio(w.data, oihw, 3, 3, in.c, co);
    conn_params cp = {.kind = CONN_CONV2D, .in = in, .out_channels = co, .kh = 3, .kw = 3,
                      .stride_h = 2, .stride_w = 2};
    base_error e;
    L->c = conn_new(&cp, oihw, w.count, &e);
    ck_assert_msg(L->c != NULL, "%s", e.msg);
    L->out = conn_out_shape(L->c);
    neu_params np = np_of(NEU_SIGMA_DELTA, 0.0, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    np.act = relu ? NEU_ACT_RELU : NEU_ACT_NONE;
    uint32_t n = conn_n_out(L->c), hw = L->out.h * L->out.w;
    L->g = group_of(&np, n);
    float *bn = malloc(n * sizeof *bn);
    for (uint32_t k = 0; k < n; k++)
        bn[k] = b.data[k / hw];
    ck_assert_int_eq(neu_group_set_bias(L->g, bn, &e), 0);
    free(bn), free(oihw);
    cfg_npy_free(&w), cfg_npy_free(&b);
}

/* dense [in][out] with Keras' (h, w, c) input order -> (out, in) over our
 * (c, h, w) order. */
static void sensim_dense(sd_layer *L, conn_shape in)
{
    cfg_npy w, b;
    const uint64_t ws[2] = {128, 10}, bs[1] = {10};
    npy_load("den1_weights.npy", ws, 2, &w);
    npy_load("den1_bias.npy", bs, 1, &b);
    float *oi = malloc(1280 * sizeof *oi);
    conn_weights_from_keras_dense(w.data, oi, in, 10);
    conn_params cp = {.kind = CONN_DENSE, .in = in, .out_features = 10};
    base_error e;
    L->c = conn_new(&cp, oi, 1280, &e);
    L->out = conn_out_shape(L->c);
    neu_params np = np_of(NEU_SIGMA_DELTA, 0.0, NEU_RESET_ZERO, NEU_EVAL_INPUT);
    L->g = group_of(&np, 10);
    ck_assert_int_eq(neu_group_set_bias(L->g, b.data, &e), 0);
    free(oi);
    cfg_npy_free(&w), cfg_npy_free(&b);
}

typedef struct {
    sd_layer *L;
    int l;
} sd_emit;

static void sd_emit_fn(void *ctx, uint32_t i, double value)
{
    sd_emit *e = ctx;
    if (e->l == 3)
        return;
    add_ctx a = {e->L[e->l + 1].g, 0, value};
    conn_fanout(e->L[e->l + 1].c, i, 0, conn_n_out(e->L[e->l + 1].c), add_visit, &a);
}

/* Keras' activation of (frame, layer, our index) from its (h, w, c) array. */
static double keras_act(const cfg_npy *k, int frame, conn_shape s, uint32_t idx)
{
    uint32_t c = idx / (s.h * s.w), h = idx / s.w % s.h, x = idx % s.w;
    return k->data[(size_t)frame * s.c * s.h * s.w + (h * s.w + x) * s.c + c];
}

static uint32_t sensim_frame(sd_layer *L, FILE *f, int frame, sd_emit *ctx)
{
    char line[256];
    long pos = ftell(f);
    double t, v;
    int layer, h, w, c;
    uint32_t events = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            pos = ftell(f);
            continue;
        }
        ck_assert_int_eq(sscanf(line, "%lf,%d,%d,%d,%d,%lf", &t, &layer, &h, &w, &c, &v), 6);
        if (t >= 100000.0 * (frame + 1)) {
            fseek(f, pos, SEEK_SET); /* the next frame's first event */
            break;
        }
        pos = ftell(f);
        add_ctx a = {L[0].g, 0, v};
        conn_fanout(L[0].c, (uint32_t)((c * 28 + h) * 28 + w), 0, conn_n_out(L[0].c), add_visit,
                    &a);
        events++;
    }
    for (int l = 0; l < 4; l++)
        neu_step(L[l].g, 1.0, sd_emit_fn, &ctx[l]);
    return events;
}

START_TEST(test_sensim_sigma_delta_mnist_matches_keras)
{
    sd_layer L[4];
    sensim_conv(&L[0], "con1", (conn_shape){1, 28, 28}, 8, 1);
    sensim_conv(&L[1], "con2", L[0].out, 16, 1);
    sensim_conv(&L[2], "con3", L[1].out, 32, 1);
    sensim_dense(&L[3], (conn_shape){32, 2, 2});
    ck_assert_uint_eq(L[0].out.h, 13);
    ck_assert_uint_eq(L[1].out.h, 6);
    ck_assert_uint_eq(L[2].out.h, 2);
    cfg_npy k[4];
    const uint64_t s1[4] = {3, 13, 13, 8}, s2[4] = {3, 6, 6, 16}, s3[4] = {3, 2, 2, 32},
                   so[2] = {3, 10};
    npy_load("keras_ref_L1_activations.npy", s1, 4, &k[0]);
    npy_load("keras_ref_L2_activations.npy", s2, 4, &k[1]);
    npy_load("keras_ref_L3_activations.npy", s3, 4, &k[2]);
    npy_load("keras_ref_output_activations.npy", so, 2, &k[3]);
    FILE *f = fopen(SENSIM_DIR "input_events.csv", "r");
    ck_assert_ptr_nonnull(f);
    sd_emit ctx[4];
    for (int l = 0; l < 4; l++)
        ctx[l] = (sd_emit){L, l};
    double worst = 0;
    for (int frame = 0; frame < 3; frame++) {
        ck_assert_uint_gt(sensim_frame(L, f, frame, ctx), 50);
        for (int l = 0; l < 4; l++)
            for (uint32_t i = 0; i < neu_group_n(L[l].g); i++) {
                double d = fabs(neu_sd_out(L[l].g, i) - keras_act(&k[l], frame, L[l].out, i));
                ck_assert_msg(d <= 1e-5, "frame %d layer %d neuron %u: off by %g", frame, l, i, d);
                worst = d > worst ? d : worst;
            }
    }
    printf("sensim: 3 frames, 4 layers within %.3g of Keras\n", worst);
    fflush(stdout);
    fclose(f);
    for (int l = 0; l < 4; l++) {
        conn_free(L[l].c);
        neu_group_free(L[l].g);
        cfg_npy_free(&k[l]);
    }
}
END_TEST

static Suite *neuron_suite(void)
{
    Suite *s = suite_create("neuron");
    TCase *t = tcase_create("models");
    tcase_add_test(t, test_lif_forward_euler_three_steps_by_hand);
    tcase_add_test(t, test_lif_without_input_leaks_only_when_evaluating_all);
    tcase_add_test(t, test_step_order_and_zero_input_evaluates);
    tcase_add_test(t, test_cuba_lif_current_first_then_membrane);
    tcase_add_test(t, test_if_strict_threshold_and_both_resets);
    tcase_add_test(t, test_multi_spike_counts_and_resets);
    tcase_add_test(t, test_refractory_steps_discard_input);
    tcase_add_test(t, test_bias_is_input_each_evaluation);
    tcase_add_test(t, test_sigma_delta_quantises_and_sends_change);
    tcase_add_test(t, test_sigma_delta_bias_wave_at_first_step);
    tcase_add_test(t, test_fixed_point_rounds_half_away_and_saturates);
    tcase_add_test(t, test_input_sum_is_independent_of_arrival_order);
    tcase_add_test(t, test_async_lif_exact_leak_matches_closed_form);
    tcase_add_test(t, test_async_cuba_exact_solution_and_spike);
    tcase_add_test(t, test_params_errors_name_the_key);
    tcase_add_test(t, test_out_of_memory_frees_everything);
    suite_add_tcase(s, t);
    TCase *c = tcase_create("conn");
    tcase_add_test(c, test_conv_fanout_equals_gather_random_shapes);
    tcase_add_test(c, test_pool_dense_fanout_equal_gather);
    tcase_add_test(c, test_fanout_rect_equals_fanout_inside_the_block);
    tcase_add_test(c, test_conn_by_hand_dense_pool_flatten_add);
    tcase_add_test(c, test_conv_by_hand_stride_padding);
    tcase_add_test(c, test_weight_layouts_and_seeded_weights);
    suite_add_tcase(s, c);
    TCase *n = tcase_create("networks");
    tcase_add_test(n, test_net_dense_3_layer_lif_equals_reference);
    tcase_add_test(n, test_net_conv_pool_dense_if_equals_reference);
    tcase_add_test(n, test_net_cuba_lif_recurrent_equals_reference);
    tcase_add_test(n, test_net_sigma_delta_cnn_equals_reference);
    tcase_add_test_needing(n, test_sensim_sigma_delta_mnist_matches_keras,
                           SENSIM_DIR "input_events.csv");
    suite_add_tcase(s, n);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(neuron_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
