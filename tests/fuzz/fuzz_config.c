/* fuzz_config.c -- libFuzzer target over every configuration loader: any
 * byte string must give a struct or errors, never a crash, a leak, a hang
 * or undefined behaviour. Built and run by `make fuzz` (clang), not by
 * `make test`. */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    base_errors e;
    base_errors_init(&e);
    cfg_core_free(cfg_core_load_string(text, size, "fuzz", &e));
    cfg_workload_free(cfg_workload_load_string(text, size, "fuzz", &e));
    cfg_mapping_free(cfg_mapping_load_string(text, size, "fuzz", &e));
    /* Core files a fuzzed chip names resolve under the shipped configs. */
    cfg_chip_free(cfg_chip_load_string(text, size, "fuzz", "configs/hw", &e));
    base_errors_clear(&e);
    return 0;
}
