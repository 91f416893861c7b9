/* ev_lz4.c -- LZ4 block decoding for the AEDAT 4.0 reader (the frame
 * around the blocks is parsed there). Written from the LZ4 block format
 * description: sequences of a token (literal length, match length), the
 * literals, a 16-bit little-endian match offset; lengths of 15 continue
 * in bytes that add up while they are 255; the last sequence is literals
 * only. Every read and write is bounds-checked: corrupt input gives -1,
 * never a stray access. */
#include <string.h>

#include "input/ev_internal.h"

/* Copy N bytes in 16-byte steps; may write up to 15 bytes past DST + N
 * (the caller checked the room) and reads SRC that far too. */
static inline void wild_copy16(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i += 16)
        memcpy(dst + i, src + i, 16);
}

/* The fast paths copy 16 bytes at a time where the input and the window
 * have that much slack (a match at least 16 back never overtakes its
 * source); the exact paths handle the ends and short offsets. */
long ev_lz4_block(const uint8_t *ip, size_t n, uint8_t *base, size_t op, size_t cap)
{
    const uint8_t *ie = ip + n;
    while (ip < ie) {
        unsigned tok = *ip++;
        size_t lit = tok >> 4, ml = tok & 15;
        if (lit == 15) {
            unsigned b;
            do {
                if (ip >= ie)
                    return -1;
                lit += b = *ip++;
            } while (b == 255);
        }
        if ((size_t)(ie - ip) < lit || cap - op < lit)
            return -1;
        if ((size_t)(ie - ip) >= lit + 16 && cap - op >= lit + 16)
            wild_copy16(base + op, ip, lit);
        else
            memcpy(base + op, ip, lit);
        ip += lit;
        op += lit;
        if (ip == ie)
            break; /* the last sequence is literals only */
        if (ie - ip < 2)
            return -1;
        size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        if (ml == 15) {
            unsigned b;
            do {
                if (ip >= ie)
                    return -1;
                ml += b = *ip++;
            } while (b == 255);
        }
        ml += 4;
        if (off == 0 || off > op || cap - op < ml)
            return -1;
        const uint8_t *m = base + op - off;
        if (off >= 16 && cap - op >= ml + 16)
            wild_copy16(base + op, m, ml); /* 16-byte steps never overtake the source */
        else
            for (size_t i = 0; i < ml; i++) /* short offset: a repeating pattern */
                base[op + i] = m[i];
        op += ml;
    }
    return (long)op;
}

