#!/usr/bin/env bash
# Every C++ source of the project is formatted as .clang-format says; prints the files that are
# not (with clang-format's own diagnostics) and exits non-zero. Fix with: clang-format -i FILE
#   tests/check_format.sh [clang-format]
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${1:-clang-format}
mapfile -t files < <(find engine formats data apps bench tests connectomics materials ecology \
  hydrology video -path '*/build' -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | sort)
"$CLANG_FORMAT" --dry-run --Werror "${files[@]}"
echo "${#files[@]} files formatted as .clang-format says"
