/* snn_input.h -- how a recorded event becomes an input neuron of the
 * event-driven run (README.md "Event-driven mode", "Scenario keys"):
 *
 *   1. crop (input.crop: [x0, y0, w, h]): pixels outside the window are
 *      skipped as `outside_crop`; inside, x -= x0, y -= y0;
 *   2. down-sampling (input.scale: s): integer pooling of coordinates,
 *      x' = x / s, y' = y / s (floor), so an s x s block of pixels drives
 *      one neuron; the sensor (or crop) W x H needs ceil(W / s) x
 *      ceil(H / s) input columns and rows;
 *   3. polarity (input.polarity): `split` drives channel = polarity (OFF
 *      0, ON 1; the input layer needs at least 2 channels), `merge`
 *      channel 0 whatever the polarity; by default split when the input
 *      layer has 2 or more channels, else merge;
 *   4. the neuron is (c * H + y') * W + x' of the input layer's C x H x W;
 *      x' or y' past its W or H is skipped as `outside_input_layer`.
 *
 * Channel events (CSV `t,channel`) drive neuron `channel` directly: crop,
 * scale and polarity do not apply to them. */
#ifndef EVSIM_SNN_INPUT_H
#define EVSIM_SNN_INPUT_H

#include <stdint.h>

#include "base/base.h"
#include "config/config.h"
#include "input/ev_reader.h"
#include "neuron/conn.h"

typedef enum {
    SNN_IN_USED = 0,
    SNN_IN_OUTSIDE_CROP,    /* outside input.crop */
    SNN_IN_OUTSIDE_LAYER    /* past the input layer after crop and scale */
} snn_in_reason;

typedef struct {
    conn_shape in;          /* the input layer's source shape */
    uint32_t x0, y0, w, h;  /* crop window; w == 0: none */
    uint32_t scale;         /* >= 1 */
    int split;              /* channel = polarity */
} snn_input_map;

/* The map of scenario s onto an input layer fed by shape `in`. 0, or -1
 * with err (polarity: split on a one-channel layer). */
int snn_input_map_init(snn_input_map *mp, const cfg_scenario *s, conn_shape in,
                       base_error *err);

/* The input neuron event e drives, or -1 with *why set (why may be NULL). */
static inline int64_t snn_input_neuron(const snn_input_map *mp, const ev_event *e,
                                       snn_in_reason *why)
{
    snn_in_reason r = SNN_IN_OUTSIDE_LAYER;
    int64_t id = -1;
    if (e->is_channel) {
        if (e->channel < (uint64_t)mp->in.c * mp->in.h * mp->in.w) {
            r = SNN_IN_USED;
            id = e->channel;
        }
    } else if (mp->w && (e->x < mp->x0 || e->y < mp->y0 || e->x - mp->x0 >= mp->w ||
                         e->y - mp->y0 >= mp->h)) {
        r = SNN_IN_OUTSIDE_CROP;
    } else {
        uint32_t x = (e->x - mp->x0) / mp->scale, y = (e->y - mp->y0) / mp->scale;
        if (x < mp->in.w && y < mp->in.h) {
            uint32_t c = mp->split ? e->polarity : 0;
            r = SNN_IN_USED;
            id = ((int64_t)c * mp->in.h + y) * mp->in.w + x;
        }
    }
    if (why)
        *why = r;
    return id;
}

/* A sensor of width x height (from the trace's header; 0: unknown) must fit
 * the input layer after crop and scale, and the crop window the sensor.
 * 0, or -1 with err naming the scenario file, the key, the trace and the
 * sizes (the position is the scenario's input block). */
int snn_input_check_sensor(const snn_input_map *mp, const cfg_scenario *s, const char *layer,
                           uint32_t width, uint32_t height, base_error *err);

#endif
