#!/bin/sh
# The image's entrypoint: turns secret files into the variables baseops reads, then becomes
# `baseops "$@"` (exec: the binary is PID 1 and gets SIGTERM itself, to drain requests).
#
# A file /run/secrets/BASEOPS_<NAME> (compose `secrets:` with `target: BASEOPS_<NAME>`, or a
# Kubernetes secret mounted there) sets BASEOPS_<NAME> to its content, trailing newlines
# dropped. A variable already set wins: an operator's explicit override is never replaced.
# The files are read here and not through `<NAME>_FILE` variables because baseops refuses
# any BASEOPS_ variable that is not a setting.
#
# For a shell in the image: `docker run --entrypoint sh IMAGE`.
set -eu

secrets_dir=${SECRETS_DIR:-/run/secrets}

if [ -d "$secrets_dir" ]; then
    for file in "$secrets_dir"/BASEOPS_*; do
        [ -f "$file" ] || continue
        name=${file##*/}
        case $name in
            *[!A-Z0-9_]*)
                echo "entrypoint: ignoring $file: not a variable name" >&2
                continue
                ;;
        esac
        # The name is checked above, so eval sees only [A-Z0-9_] in it.
        if eval "[ -n \"\${$name+set}\" ]"; then
            continue
        fi
        if [ ! -r "$file" ]; then
            echo "entrypoint: cannot read $file as uid $(id -u): give it to 10001:10001 or make it readable" >&2
            exit 1
        fi
        value=$(cat "$file")
        export "$name=$value"
    done
fi

# `docker run IMAGE baseops migrate` reads as naturally as `docker run IMAGE migrate`.
if [ "${1:-}" = baseops ]; then
    shift
fi
exec baseops "$@"
