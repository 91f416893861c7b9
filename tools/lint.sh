#!/usr/bin/env bash
# tools/lint.sh [MAX_LINES] [MAX_SHARE_PERCENT] -- lists the functions of
# sim/ and models/ longer than MAX_LINES (default 60) lines, counted from
# the opening brace to the closing one, and their share of all functions;
# fails when that share exceeds MAX_SHARE_PERCENT (default 5). Functions
# are found by the layout .clang-format gives them: the body's braces
# alone at column 0.
set -u
cd "$(dirname "$0")/.."
max=${1:-60}
share=${2:-5}
awk -v max="$max" -v share="$share" '
  FNR == 1 { sig = ""; in_fn = 0 }
  !in_fn && /^[A-Za-z_].*\(/ { sig = $0; sigline = FNR }
  !in_fn && /^\{$/ && sig != "" {
    in_fn = 1; start = FNR
    name = sig; sub(/\(.*/, "", name); n = split(name, w, /[ *]+/); name = w[n]
    next
  }
  in_fn && /^\}/ {
    in_fn = 0; total++
    len = FNR - start + 1
    if (len > max) { over++; printf "%5d  %s:%d  %s\n", len, FILENAME, sigline, name | "sort -rn" }
    sig = ""
  }
  END {
    close("sort -rn")
    pct = total ? 100.0 * over / total : 0
    printf "lint: %d of %d functions over %d lines (%.1f %%, at most %s %%)\n", over, total, max, pct, share
    exit pct > share ? 1 : 0
  }' $(find sim models -name '*.c' | sort)
