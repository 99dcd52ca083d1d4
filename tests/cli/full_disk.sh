#!/bin/sh
# Runs a command as on a full disk: DIR becomes, in a private mount namespace, an empty file
# system of BYTES bytes, so writes there fail with ENOSPC. Where namespaces are not allowed, the
# command's files may not grow past BYTES instead (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail
# with EFBIG). Afterwards DIR must be empty: a failed command leaves no output, no temporary.
#   full_disk.sh 8192 out/ tessera model init --output out/m.h5
bytes=$1
dir=$2
shift 2
if unshare -Urm true 2>/dev/null; then
  exec unshare -Urm sh -c '
    mount -t tmpfs -o size="$1" tessera-full "$2" || exit 99
    dir=$2
    shift 2
    "$@"
    rc=$?
    [ -z "$(ls -A "$dir")" ] || echo "left behind in $dir: $(ls -A "$dir")" >&2
    exit $rc' sh "$bytes" "$dir" "$@"
fi
trap '' XFSZ
prlimit --fsize="$bytes" "$@"
rc=$?
[ -z "$(ls -A "$dir")" ] || echo "left behind in $dir: $(ls -A "$dir")" >&2
exit $rc
