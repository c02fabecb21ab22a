#!/usr/bin/env bash
# Runs one benchmark against a fresh WordPress site of the test bed with the release extension:
#   bench/run.sh reconcile [--users=100000 ...]
# Benchmarks print a table; they are not tests and assert nothing about time.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
NAME=${1:?usage: bench/run.sh NAME [ARGS...] (NAME: $(cd bench && ls *.php | sed 's/\.php$//' | tr '\n' ' '))}
shift
[[ -f bench/$NAME.php ]] || { echo "no bench/$NAME.php" >&2; exit 2; }
TESTBED="$REPO/tests/testbed/testbed.sh"
export TB_ROOT=${TB_ROOT:-/tmp/tagbridge-testbed}
export TB_EXT="$REPO/target/release/libtagbridge.so"
PORT=${TB_BENCH_PORT:-8095}

"$TESTBED" deps >/dev/null
cargo build --release --locked 2>&1 | tail -n 1
"$TESTBED" db-start >/dev/null
"$TESTBED" stop bench >/dev/null
"$TESTBED" site bench "$PORT" >/dev/null
# The webhook burst and the PHP-FPM overhead need the site served (the burst with enough workers
# for its concurrency).
if [[ $NAME == overhead_fpm ]]; then
    export TB_SERVER=fpm
    if [[ -n ${TB_BENCH_CALLGRIND:-} ]]; then
        export TB_BENCH_CALLGRIND_DIR=$TB_ROOT/callgrind-fpm TB_SERVER_WORKERS=1
        rm -rf "$TB_BENCH_CALLGRIND_DIR" && mkdir -p "$TB_BENCH_CALLGRIND_DIR"
        export TB_FPM_WRAP="valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=$TB_BENCH_CALLGRIND_DIR/fpm.%p.out"
    fi
fi
if [[ $NAME == webhooks || $NAME == overhead_fpm ]]; then
    TB_SERVER_WORKERS=${TB_SERVER_WORKERS:-16} "$TESTBED" serve bench "$PORT" >/dev/null
    export TB_BENCH_URL="http://127.0.0.1:$PORT"
    trap '"$TESTBED" stop bench >/dev/null' EXIT
fi
printf 'machine: %s cores, %s; PHP %s; MariaDB %s\n' "$(nproc)" "$(uname -m)" "$(php -r 'echo PHP_VERSION;')" \
    "$("$TESTBED" php bench -r 'require getenv("TB_SITE_DIR") . "/wp-load.php"; echo $GLOBALS["wpdb"]->db_version();')"
"$TESTBED" php bench -d memory_limit=1024M "bench/$NAME.php" "$@"
