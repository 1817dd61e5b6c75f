#!/usr/bin/env bash
# Runs shellcheck (Debian's, installed when missing) over every shell script of the
# repository: scripts/*.sh, docker/**/*.sh, bench/*.sh and .ci/run. Any finding fails.
#
#   scripts/shellcheck.sh            # all of them
#   scripts/shellcheck.sh FILE...    # only these
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "installing shellcheck (Debian package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi

if [[ $# -gt 0 ]]; then
    files=("$@")
else
    files=()
    while IFS= read -r -d '' file; do
        files+=("$file")
    done < <(find scripts docker bench -type f -name '*.sh' -not -path '*/node_modules/*' -print0 | sort -z)
    [[ -f .ci/run ]] && files+=(.ci/run)
fi
[[ ${#files[@]} -gt 0 ]] || { echo "shellcheck.sh: no shell scripts found" >&2; exit 1; }

# -x follows `source` of files given on the command line or found relative to the script
# (bench/lib.sh); --severity=style: every finding counts, as CI's rule is zero.
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#files[@]} scripts"
if shellcheck -x --source-path=SCRIPTDIR --severity=style "${files[@]}"; then
    echo "shellcheck: no findings"
else
    echo "shellcheck: findings above (file:line: SCnnnn)" >&2
    exit 1
fi
