/* ev_unpack.c -- the compressed frames inside AEDAT 4.0 packets, through
 * Debian's liblz4 (LZ4 frame format) and libzstd. Both decode streaming:
 * any slice of the input, output into whatever room the caller has, with
 * their own history of the frame (LZ4's linked blocks, ZSTD's window), so
 * the reader's memory stays bounded by the frame parameters, never by the
 * packet or the file. The libraries allocate with malloc, outside evsim's
 * allocation funnel (as libhdf5 does), so fault injection reaches only
 * our allocations. LZ4 frames have their header, block and content
 * checksums verified by liblz4; ZSTD frames their optional checksum. */
#include <lz4frame.h>
#include <zstd.h>

#include "base/base.h"
#include "input/ev_internal.h"

/* ZSTD's window is the memory a frame makes the decoder keep: 2^25 bytes
 * (32 MiB) is far above what a packet of a recording needs (dv-processing
 * compresses each packet on its own, a few hundred KiB), and a frame asking
 * for more is refused instead of allocated. */
#define ZSTD_WINDOW_LOG_MAX 25

struct ev_unpack {
    int kind;
    LZ4F_dctx *lz4;
    ZSTD_DCtx *zstd;
};

ev_unpack *ev_unpack_new(int kind)
{
    ev_unpack *u = base_calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->kind = kind;
    int ok;
    if (kind == EV_UNPACK_LZ4) {
        ok = !LZ4F_isError(LZ4F_createDecompressionContext(&u->lz4, LZ4F_VERSION));
    } else {
        u->zstd = ZSTD_createDCtx();
        ok = u->zstd &&
             !ZSTD_isError(ZSTD_DCtx_setParameter(u->zstd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX));
    }
    if (!ok) {
        ev_unpack_free(u);
        return NULL;
    }
    return u;
}

void ev_unpack_free(ev_unpack *u)
{
    if (!u)
        return;
    if (u->lz4)
        LZ4F_freeDecompressionContext(u->lz4);
    ZSTD_freeDCtx(u->zstd);
    base_free(u);
}

const char *ev_unpack_name(const ev_unpack *u)
{
    return u->kind == EV_UNPACK_LZ4 ? "LZ4" : "ZSTD";
}

void ev_unpack_reset(ev_unpack *u)
{
    if (u->kind == EV_UNPACK_LZ4)
        LZ4F_resetDecompressionContext(u->lz4);
    else
        ZSTD_DCtx_reset(u->zstd, ZSTD_reset_session_only);
}

int ev_unpack_step(ev_unpack *u, const uint8_t *in, size_t *in_n, uint8_t *out, size_t *out_n,
                   const char **why)
{
    if (u->kind == EV_UNPACK_LZ4) {
        size_t hint = LZ4F_decompress(u->lz4, out, out_n, in, in_n, NULL);
        if (LZ4F_isError(hint)) {
            *why = LZ4F_getErrorName(hint);
            return -1;
        }
        return hint == 0;
    }
    ZSTD_inBuffer ib = {in, *in_n, 0};
    ZSTD_outBuffer ob = {out, *out_n, 0};
    size_t rc = ZSTD_decompressStream(u->zstd, &ob, &ib);
    *in_n = ib.pos;
    *out_n = ob.pos;
    if (ZSTD_isError(rc)) {
        *why = ZSTD_getErrorName(rc);
        return -1;
    }
    return rc == 0;
}
