/* units.c -- conversions into picoseconds with one rounding rule; see
 * base.h. */
#include <math.h>

#include "base/base.h"

uint64_t base_ps_round(double ps)
{
    if (!(ps > 0)) /* also NaN */
        return 0;
    if (ps >= 18446744073709549568.0) /* the largest double below 2^64 */
        return UINT64_MAX;
    return (uint64_t)floor(ps + 0.5);
}

uint64_t base_ns_to_ps(double ns)
{
    return base_ps_round(ns * 1e3);
}

uint64_t base_us_to_ps(double us)
{
    return base_ps_round(us * 1e6);
}

uint64_t base_cycle_ps(double clock_ghz)
{
    return clock_ghz > 0 ? base_ps_round(1e3 / clock_ghz) : 0;
}

uint64_t base_cycles_to_ps(double cycles, double clock_ghz)
{
    return clock_ghz > 0 ? base_ps_round(cycles * 1e3 / clock_ghz) : 0;
}

uint64_t base_bits_to_ps(uint64_t bits, double gbit_per_s)
{
    /* bits / (Gbit/s) = ns */
    return gbit_per_s > 0 ? base_ps_round((double)bits / gbit_per_s * 1e3) : UINT64_MAX;
}
