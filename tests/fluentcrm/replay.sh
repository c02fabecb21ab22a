#!/usr/bin/env bash
# The FluentCRM replay server for tests (router.php): PHP's built-in web server answering with the
# recorded FluentCRM exchanges of tests/fixtures/fluentcrm.
#
# Usage: tests/fluentcrm/replay.sh start|stop|url
#
# Environment:
#   TB_FLUENT_PORT   port on 127.0.0.1   (default 8133)
#   TB_FLUENT_STATE  state directory     (default $TB_ROOT/fluentcrm, TB_ROOT default /tmp/tagbridge-testbed)
set -euo pipefail

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${TB_FLUENT_PORT:-8133}
STATE=${TB_FLUENT_STATE:-${TB_ROOT:-/tmp/tagbridge-testbed}/fluentcrm}
PIDFILE=$STATE/server.pid

alive() { [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
    mkdir -p "$STATE"
    if alive; then
        return 0
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        echo "replay: port $PORT is taken by another program; set TB_FLUENT_PORT" >&2
        exit 1
    fi
    # One worker: requests are answered in the order they arrive, like a test expects.
    TB_FLUENT_STATE=$STATE setsid nohup php -S "127.0.0.1:$PORT" "$DIR/router.php" \
        </dev/null >>"$STATE/server.log" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            return 0
        fi
        alive || break
        sleep 0.1
    done
    tail -n 20 "$STATE/server.log" >&2 || true
    echo "replay: server did not start on 127.0.0.1:$PORT" >&2
    exit 1
}

stop() {
    if alive; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    url) echo "http://127.0.0.1:$PORT" ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
