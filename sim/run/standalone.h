/* standalone.h -- what the commands other than `evsim run` drive
 * directly, exposed by the run module so sim/cli depends on run only:
 * the NoC alone under synthetic traffic (with its trace adapter), the
 * event-trace readers and their statistics, and (run/adapt_loma.h) the
 * mapper's view of a config for `evsim map`. */
#ifndef EVSIM_RUN_STANDALONE_H
#define EVSIM_RUN_STANDALONE_H

#include "input/ev_reader.h"
#include "input/ev_stats.h"
#include "noc/noc_traffic.h"
#include "noc/trc_noc.h"
#include "run/adapt_loma.h"

#endif
