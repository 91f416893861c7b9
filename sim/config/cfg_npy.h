/* cfg_npy.h -- NumPy .npy arrays (weights, biases, reference tensors) read
 * into C-order float arrays.
 *
 * Format: magic "\x93NUMPY", version 1.0 (2-byte little-endian header
 * length) or 2.0 / 3.0 (4-byte), then a Python dict literal with exactly
 * the keys 'descr', 'fortran_order' and 'shape'. Supported descr: '<f4',
 * '<f8', '|i1', '|u1', '<i2', '<i4' (also '<i1' / '|f4' spellings numpy
 * accepts for single-byte or native types are not written by numpy and
 * refused). Big-endian and structured dtypes are refused. fortran_order
 * True arrays are transposed into C (row-major) order. Bytes after the
 * data are ignored, as numpy does.
 *
 * Values become float: element * scale (scale 1 for float weights; the
 * integer weights' quantisation step otherwise). '<f8' and '<i4' values are
 * rounded to the nearest float.
 *
 * Every error names the file and what was expected and found. */
#ifndef EVSIM_CFG_NPY_H
#define EVSIM_CFG_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define CFG_NPY_MAX_DIMS 8

typedef enum {
    CFG_NPY_F4,
    CFG_NPY_F8,
    CFG_NPY_I1,
    CFG_NPY_U1,
    CFG_NPY_I2,
    CFG_NPY_I4
} cfg_npy_dtype;

typedef struct {
    cfg_npy_dtype dtype;            /* as stored in the file */
    int fortran_order;              /* as stored; data is C order regardless */
    uint32_t ndim;                  /* 0: a scalar (count 1) */
    uint64_t shape[CFG_NPY_MAX_DIMS];
    size_t count;                   /* product of shape */
    float *data;                    /* owned, count values, C order */
} cfg_npy;

/* Reads path. 0, or -1 with err (nothing allocated). */
int cfg_npy_read(const char *path, double scale, cfg_npy *out, base_error *err);
/* The same from bytes in memory; name is used in messages. */
int cfg_npy_parse(const char *name, const void *bytes, size_t len, double scale, cfg_npy *out,
                  base_error *err);
void cfg_npy_free(cfg_npy *a);

/* 0 when a has exactly this shape, else -1 with err "NAME: shape (2, 3):
 * expected (3, 2)". */
int cfg_npy_check_shape(const cfg_npy *a, const char *name, const uint64_t *shape,
                        uint32_t ndim, base_error *err);
const char *cfg_npy_dtype_name(cfg_npy_dtype t);

#endif
