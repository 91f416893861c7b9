#!/usr/bin/env bash
# tools/depcheck.sh -- the dependency rule between evsim's modules, checked
# over the #include lines of sim/ and models/ (run by `make test`).
#
#   layer  folders                          may include (besides itself)
#   0      sim/base                         nothing of ours
#   1      sim/config sim/kernel sim/trace  base
#          sim/input sim/search
#   2      models/* (and models/model.h)    base, kernel, the trace API
#                                           (trace/trc.h), models/model.h
#   3      sim/run                          everything above
#   3b     sim/sweep                        run and everything below it
#   4      sim/cli                          sweep, run and everything below
#   5      sim/main.c                       cli
#
# Also: only sim/config includes yaml.h, only sim/trace the protobuf-c
# generated headers (but onnx.pb-c.h: only sim/config/cfg_onnx.c), only
# sim/config/cfg_nir.c hdf5.h, only
# sim/sweep/sweep_mpi.c mpi.h. Prints each violation as FILE:LINE: and exits 1.
set -u
cd "$(dirname "$0")/.."
bad=0
say() { echo "$1:$2: $3"; bad=1; }

# the module of a source path or of an include's path ("" if not ours)
module_of_file() {
  case "$1" in
    sim/main.c) echo main ;;
    sim/*/*) echo "${1#sim/}" | cut -d/ -f1 ;;
    models/model.h) echo model.h ;;
    models/*/*) echo "models/$(echo "${1#models/}" | cut -d/ -f1)" ;;
    *) echo "" ;;
  esac
}

module_of_include() {
  local inc=$1
  case "$inc" in
    base/*|config/*|kernel/*|trace/*|input/*|search/*|run/*|sweep/*|cli/*) echo "${inc%%/*}" ;;
    model.h) echo model.h ;;
    */*) [ -d "models/${inc%%/*}" ] && echo "models/${inc%%/*}" || echo "?" ;;
    *) echo "?" ;;
  esac
}

allowed() { # FROM TO INCLUDE
  local from=$1 to=$2 inc=$3
  [ "$from" = "$to" ] && return 0
  case "$from" in
    base) return 1 ;;
    config|kernel|trace|input|search) [ "$to" = base ] ;;
    models/*|model.h)
      case "$to" in
        base|kernel|model.h) return 0 ;;
        trace) [ "$inc" = trace/trc.h ] ;;
        *) return 1 ;;
      esac ;;
    run) [ "$to" != cli ] && [ "$to" != main ] && [ "$to" != sweep ] ;;
    sweep) [ "$to" != cli ] && [ "$to" != main ] ;;
    cli) [ "$to" != main ] ;;
    main) [ "$to" = cli ] ;;
    *) return 1 ;;
  esac
}

files=$(find sim models -name '*.[ch]' | sort)
for f in $files; do
  from=$(module_of_file "$f")
  [ -n "$from" ] || { say "$f" 1 "not inside a module folder"; continue; }
  while IFS=: read -r line inc; do
    inc=${inc#*\"}; inc=${inc%%\"*}
    case "$inc" in
      onnx.pb-c.h) [ "$f" = sim/config/cfg_onnx.c ] || say "$f" "$line" "only sim/config/cfg_onnx.c includes onnx.pb-c.h"; continue ;;
      *.pb-c.h) [ "$from" = trace ] || say "$f" "$line" "only sim/trace includes generated protobuf-c headers ($inc)"; continue ;;
    esac
    to=$(module_of_include "$inc")
    if [ "$to" = "?" ]; then
      say "$f" "$line" "include \"$inc\" does not name its folder"
    elif ! allowed "$from" "$to" "$inc"; then
      say "$f" "$line" "$from may not include \"$inc\" ($to)"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*/:/')
  if grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<yaml\.h>' "$f" && [ "$from" != config ]; then
    say "$f" "$(grep -nE 'include[[:space:]]*<yaml\.h>' "$f" | cut -d: -f1 | head -1)" "only sim/config includes yaml.h"
  fi
  if grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<mpi\.h>' "$f" && [ "$f" != sim/sweep/sweep_mpi.c ]; then
    say "$f" "$(grep -nE 'include[[:space:]]*<mpi\.h>' "$f" | cut -d: -f1 | head -1)" "only sim/sweep/sweep_mpi.c includes mpi.h"
  fi
  if grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<hdf5\.h>' "$f" && [ "$f" != sim/config/cfg_nir.c ]; then
    say "$f" "$(grep -nE 'include[[:space:]]*<hdf5\.h>' "$f" | cut -d: -f1 | head -1)" "only sim/config/cfg_nir.c includes hdf5.h"
  fi
done
[ $bad -eq 0 ] && echo "depcheck: $(echo "$files" | wc -l) files follow the dependency rule"
exit $bad
