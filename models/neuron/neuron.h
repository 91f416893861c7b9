/* neuron.h -- neuron groups: the state of a contiguous slice of one layer's
 * neurons (the unit one core holds) and the dynamics that update it.
 *
 * A group owns its state arrays and knows nothing of cores, NoC or kernel:
 * the caller feeds it input and receives its output through a callback, so
 * the same group runs under the chip model and under a plain test driver.
 * Indices are local to the group (0 .. n-1); the caller adds the slice's
 * offset.
 *
 * Two modes, chosen per call (a group is used in one of them):
 *
 *   timestep  neu_add_input() accumulates during a step; neu_step() at the
 *             step boundary evaluates every neuron that received input in
 *             the step (any neu_add_input call, even with x == 0), or every
 *             neuron with evaluate = NEU_EVAL_ALL. A neuron that is not
 *             evaluated keeps its state untouched: it does not leak. Use
 *             NEU_EVAL_ALL for leaky neurons whose decay matters without
 *             input, and for a bias to act every step.
 *   async     neu_input_async() evaluates the neuron right after each input
 *             event; the leak since the neuron's last event is applied
 *             lazily with the exact exponential.
 *
 * Input accumulation is exact and order-independent: each x is rounded to
 * a signed 32.32 fixed-point number (nearest, ties to even) and summed in
 * an int64 (saturating at +-2^31). So the arrival order of the events of a
 * step -- which depends on the mapping and the NoC -- never changes the
 * state; for weights that are multiples of 2^-32 (every int8/int16 weight
 * with a power-of-two scale) the sum is exactly the real sum.
 *
 * Timestep update of neuron i (x = accumulated input + bias, a = dt/tau,
 * b = dt/tau_syn, all in double):
 *   if          v = v + x
 *   lif         v = v + a * (v_leak - v + r * x)            (forward Euler)
 *   cuba_lif    i = i + b * (-i) + x;  v = v + a * (v_leak - v + r * i)
 *               (NIR CubaLIF: tau_syn di/dt = -i + w_in S, tau_mem dv/dt =
 *               v_leak - v + R i; current first, v from the new current)
 *   sigma_delta s = s + x;  out = q(act(s));  if out != prev: emit out-prev
 *               q(y) = threshold * nearbyint(y / threshold) (ties to even,
 *               as numpy.round in SENSIM); threshold 0: q(y) = y. The state
 *               starts at the bias (not added per step), and every neuron
 *               is evaluated at the first step (SENSIM's bias wave).
 * Spiking models (if, lif, cuba_lif) then fire when v > threshold:
 *   spikes n = 1, or with multi_spike the least n >= 1 with
 *              v - n * threshold <= threshold (v = 2.5, thr 1: n = 2);
 *   reset    zero: v = v_reset; subtract: v = v - n * threshold;
 *   emit     (i, n) -- the value is the spike count;
 *   refractory: after a spike at step s, steps s+1 .. s+refractory_steps
 *              discard the neuron's input and leave its state unchanged.
 *
 * Async update at time t of an input x onto neuron i, last event at t0,
 * e = t - t0 (refractory_steps and the per-step bias do not apply in async
 * mode; a sigma_delta state still starts at the bias):
 *   if          v = v + x
 *   lif         v = v_leak + (v - v_leak) exp(-e/tau);  v = v + r * x
 *   cuba_lif    u = v - v_leak, A = r i ts/(ts - tm):
 *               v = v_leak + (u - A) exp(-e/tm) + A exp(-e/ts),
 *               i = i exp(-e/ts)  (ts == tm: v = v_leak + (u + r i e/tm)
 *               exp(-e/tm));  then i = i + x, v unchanged by the jump
 *   sigma_delta s = s + x, then as in timestep mode
 * then the spike check and reset as above. The threshold is checked only
 * at input events (a cuba_lif v that rises after the last event is not
 * seen until the next one).
 *
 * State precision: state_bits = 0 keeps v, i and s in double. Otherwise
 * they are fixed point with state_bits total bits (2..32, two's
 * complement) of which frac_bits are fraction: after every update each
 * state value y becomes clamp(round(y * 2^frac_bits), -2^(bits-1),
 * 2^(bits-1) - 1) / 2^frac_bits, round = to nearest, halves away from zero
 * (the rule base's unit conversions use), clamp = saturation, never wrap.
 * The reset value and the subtraction act on the quantised v and are
 * quantised again.
 *
 * Everything is deterministic: no randomness, no dependence on addresses;
 * neu_step evaluates in ascending index order. */
#ifndef EVSIM_NEURON_H
#define EVSIM_NEURON_H

#include <stdint.h>

#include "base/base.h"

typedef enum { NEU_IF, NEU_LIF, NEU_CUBA_LIF, NEU_SIGMA_DELTA } neu_model;
typedef enum { NEU_RESET_ZERO, NEU_RESET_SUBTRACT } neu_reset;
typedef enum { NEU_ACT_NONE, NEU_ACT_RELU } neu_act;
typedef enum { NEU_EVAL_INPUT, NEU_EVAL_ALL } neu_eval;

/* Per-layer parameters; neu_params_default gives the defaults named. */
typedef struct {
    neu_model model;        /* NEU_IF */
    double threshold;       /* 1.0; > 0 for spiking models, >= 0 sigma_delta */
    neu_reset reset;        /* NEU_RESET_ZERO (v = v_reset) */
    double v_reset;         /* 0.0 */
    double bias;            /* 0.0; per neuron with neu_group_set_bias */
    uint32_t refractory_steps; /* 0 */
    int multi_spike;        /* 0: at most one spike per step */
    double tau_us;          /* 20.0 membrane time constant (lif, cuba_lif) */
    double v_leak;          /* 0.0 */
    double r;               /* 1.0 resistance */
    double tau_syn_us;      /* 5.0 synaptic time constant (cuba_lif) */
    neu_act act;            /* NEU_ACT_NONE (sigma_delta) */
    neu_eval evaluate;      /* NEU_EVAL_INPUT */
    uint32_t state_bits;    /* 0: double; 2..32: fixed point */
    uint32_t frac_bits;     /* 0; < state_bits */
} neu_params;

void neu_params_default(neu_params *p, neu_model model);
/* 0, or -1 with err naming the first bad parameter and its value. */
int neu_params_check(const neu_params *p, base_error *err);
/* "if", "lif", "cuba_lif", "sigma_delta"; -1 when unknown. */
int neu_model_from_name(const char *name, neu_model *out);
const char *neu_model_name(neu_model m);

/* Receives each output of an evaluation: local index and value (spike
 * count for spiking models, output change for sigma_delta). */
typedef void (*neu_emit_fn)(void *ctx, uint32_t i, double value);

typedef struct neu_group neu_group;

/* Counters for reports; reset only by neu_group_new. */
typedef struct {
    uint64_t inputs;  /* neu_add_input / neu_input_async calls */
    uint64_t updates; /* neuron evaluations */
    uint64_t outputs; /* emit calls */
    uint64_t spikes;  /* spikes (sum of counts); sigma_delta: = outputs */
} neu_stats;

/* A group of n >= 1 neurons in the initial state of neu_group_reset.
 * NULL with err on bad parameters or out of memory. */
neu_group *neu_group_new(const neu_params *p, uint32_t n, base_error *err);
void neu_group_free(neu_group *g);
/* Back to the initial state (v = 0, i = 0, s = bias, step 0, t = 0). */
void neu_group_reset(neu_group *g);
/* Per-neuron bias (n values, copied), replacing the scalar p->bias. */
int neu_group_set_bias(neu_group *g, const float *bias, base_error *err);

uint32_t neu_group_n(const neu_group *g);
const neu_params *neu_group_params(const neu_group *g);
const neu_stats *neu_group_stats(const neu_group *g);
uint64_t neu_group_step_index(const neu_group *g); /* steps done */

/* Timestep mode. */
void neu_add_input(neu_group *g, uint32_t i, double x);
/* neu_add_input(g, tgt[k] - lo, (double)w[k] * x) for k = 0 .. n-1 in
 * order: one packet's fan-out (conn_fanout_list) in one call. */
void neu_add_inputs(neu_group *g, const uint32_t *tgt, const float *w, uint32_t n, uint32_t lo,
                    double x);
void neu_step(neu_group *g, double dt_us, neu_emit_fn emit, void *ctx);

/* Async mode: t_ps must not decrease per neuron (an earlier time is
 * treated as no elapsed time). */
void neu_input_async(neu_group *g, uint32_t i, double x, uint64_t t_ps, neu_emit_fn emit,
                     void *ctx);

/* State, for tests and traces: membrane v (sigma_delta: s), synaptic
 * current (cuba_lif; 0 otherwise), last sigma_delta output. */
double neu_v(const neu_group *g, uint32_t i);
double neu_i_syn(const neu_group *g, uint32_t i);
double neu_sd_out(const neu_group *g, uint32_t i);
/* Sets v (quantised to the state precision), for tests and warm starts. */
void neu_set_v(neu_group *g, uint32_t i, double v);
/* The state precision's quantiser (identity when state_bits = 0). */
double neu_quantize(const neu_params *p, double y);

#endif
