#!/usr/bin/env bash
# PDF rendering of a 20-line invoice (services/pdf/examples/render.rs, release build of the
# baseops-pdf crate only): renders it --renders times in one process and prints p50, p99 and
# the largest time per render, and the process's peak RSS (VmHWM) after all of them — flat
# memory means nothing is kept between renders. Targets: p50 ≤ 20 ms; peak RSS steady.
#
#   bench/pdf.sh                     # 1,000 renders
#   bench/pdf.sh --renders 10000
#   bench/pdf.sh --out /tmp/x.pdf    # also keep the rendered file, to look at
#
# No server and no database: this measures the renderer alone (the endpoint adds the reads of
# the invoice, organization and customer, and runs the render on a blocking thread).
set -euo pipefail
cd "$(dirname "$0")/.."

renders=1000 out=()
while (($#)); do
    case "$1" in
        --renders) renders="$2"; shift 2 ;;
        --out) out=("$2"); shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

cargo build --release --quiet -p baseops-pdf --example render
target/release/examples/render "$renders" "${out[@]}"
