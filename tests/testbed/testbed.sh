#!/usr/bin/env bash
# TagBridge test bed: throwaway WordPress sites backed by a private MariaDB,
# served by PHP's built-in web server with the TagBridge extension loaded.
#
# Usage: tests/testbed/testbed.sh COMMAND [ARGS...]
#
#   deps                 install the Debian packages we need (no-op if present)
#   db-start             start the private MariaDB server (no-op if running)
#   db-stop              shut the private MariaDB server down (no-op if stopped)
#   site NAME [PORT]     (re)create site NAME for http://127.0.0.1:PORT (default 8081)
#   serve NAME [PORT]    serve site NAME on 127.0.0.1:PORT (default: the site's port)
#   stop NAME            stop the web server of site NAME (no-op if stopped)
#   php NAME ARGS...     run `php -d extension=$TB_EXT ARGS...` with TB_SITE_DIR and TB_EXT set
#   down                 stop every site's web server and the database
#
# Environment:
#   TB_ROOT        root of all state            (default /tmp/tagbridge-testbed)
#   TB_EXT         the TagBridge PHP extension  (default $REPO/target/release/libtagbridge.so)
#   TB_DB_PORT     TCP port of the private DB   (default 33306)
#   TB_PLUGIN_DIR  what wp-content/plugins/tagbridge links to (default $REPO/php);
#                  only meant for testing the test bed itself.
#
# Nothing here touches /etc/wordpress, /etc/mysql or the system MariaDB/Apache:
# every site has its own copy of Debian's WordPress tree and its own wp-config.php,
# and the database server runs with our own config file, datadir and socket.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)

# Absolute paths: they end up in wp-config.php, in a symlink and in
# `php -d extension=...` (which resolves relative names against extension_dir).
TB_ROOT=$(realpath -m "${TB_ROOT:-/tmp/tagbridge-testbed}")
TB_EXT=$(realpath -m "${TB_EXT:-$REPO/target/release/libtagbridge.so}")
TB_DB_PORT=${TB_DB_PORT:-33306}
TB_PLUGIN_DIR=$(realpath -m "${TB_PLUGIN_DIR:-$REPO/php}")

WP_SRC=/usr/share/wordpress
THEME=twentytwentythree
DEFAULT_PORT=8081

DB_DIR=$TB_ROOT/mariadb
DB_DATA=$DB_DIR/data
DB_SOCK=$DB_DIR/mysqld.sock
DB_PID=$DB_DIR/mysqld.pid
DB_LOG=$DB_DIR/mysqld.log
DB_CNF=$DB_DIR/my.cnf
SITES=$TB_ROOT/sites

# How long (seconds) we wait for the database / a web server to come up.
WAIT_SECS=30

PACKAGES=(
    php8.2-cli php8.2-dev php8.2-mysql php8.2-curl php8.2-xml php8.2-mbstring php8.2-intl
    libclang-dev gcc
    mariadb-server mariadb-client
    wordpress wordpress-theme-twentytwentythree
    phpunit curl ca-certificates gettext
)

# --------------------------------------------------------------------------
# helpers

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }

usage() {
    # The header comment above is the usage text.
    sed -n '/^# Usage:/,/^# *only meant/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Set STATE and PGRP from /proc/$1/stat ("pid (comm) state ppid pgrp ...";
# comm may contain spaces, so split after the last ") "). Fails if no such pid.
STATE='' PGRP=''
proc_stat() {
    local stat fields
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    read -r -a fields <<<"${stat##*) }"
    STATE=${fields[0]} PGRP=${fields[2]}
}

# Is process $1 alive? Zombies count as dead: our daemons end up as children
# of PID 1, which may take a while to reap them, and kill -0 succeeds on zombies.
pid_alive() {
    [[ ${1:-} =~ ^[0-9]+$ ]] && proc_stat "$1" && [[ $STATE != Z ]]
}

# Is any (non-zombie) process of process group $1 alive?
group_alive() {
    local f
    [[ ${1:-} =~ ^[0-9]+$ ]] || return 1
    for f in /proc/[0-9]*; do
        proc_stat "${f#/proc/}" || continue
        [[ $PGRP == "$1" && $STATE != Z ]] && return 0
    done
    return 1
}

# Print the pid stored in file $1 (empty if none).
read_pid() {
    if [[ -s $1 ]]; then tr -dc '0-9' <"$1"; fi
}

# Does something accept TCP connections on 127.0.0.1:$1? (bash's /dev/tcp, so
# we don't depend on ss/netstat being installed.)
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_name() {
    [[ ${1:-} =~ ^[a-z0-9]+$ ]] || die "site name must match [a-z0-9]+ (got '${1:-}')"
}

check_port() {
    if ! [[ ${1:-} =~ ^[1-9][0-9]{0,4}$ ]] || (( $1 > 65535 )); then
        die "bad port '${1:-}'"
    fi
}

# The extension is not optional: the whole point is testing the plugin with it.
check_ext() {
    [[ -f $TB_EXT ]] || die "PHP extension not found at $TB_EXT
  build it first (cargo build --release in $REPO) or point TB_EXT at it"
}

site_dir() { printf '%s/%s' "$SITES" "$1"; }

require_site() {
    local dir
    dir=$(site_dir "$1")
    [[ -f $dir/wp-config.php ]] || die "site '$1' does not exist (run: $0 site $1)"
}

# PHP with our extension (serve and the php command spell out the same line,
# so install, web requests and tests all run the same PHP configuration).
run_php() { php -d "extension=$TB_EXT" "$@"; }

# Run the SQL on stdin as the DB superuser, over our private socket. root
# uses unix_socket authentication (mariadb-install-db's default): no password.
db_sql() { mariadb --no-defaults --socket="$DB_SOCK" --user=root; }
db_ping() { mariadb-admin --no-defaults --socket="$DB_SOCK" --user=root ping >/dev/null 2>&1; }

# --------------------------------------------------------------------------
# deps

cmd_deps() {
    install_missing "${PACKAGES[@]}"
}

# Installs those of the named Debian packages that are not installed yet.
install_missing() {
    local missing=() p
    for p in "$@"; do
        # dpkg-query prints e.g. "install ok installed"; anything else (removed,
        # config-files, unknown) means we have to install it.
        if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
            missing+=("$p")
        fi
    done
    if (( ${#missing[@]} == 0 )); then
        log "all packages already installed"
        return 0
    fi
    log "installing: ${missing[*]}"
    apt-get update
    # Only the missing ones: naming installed packages would upgrade them too.
    # The package scripts may start the system MariaDB (port 3306,
    # /run/mysqld); we ignore it, our server uses its own port and socket.
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# --------------------------------------------------------------------------
# private MariaDB

write_db_cnf() {
    # Our own option file, passed with --defaults-file, so /etc/mysql/* is never
    # read. Durability settings are relaxed: the data is throwaway and speed
    # matters more than surviving a power cut.
    cat >"$DB_CNF" <<EOF
[mariadbd]
datadir                        = $DB_DATA
socket                         = $DB_SOCK
pid-file                       = $DB_PID
log-error                      = $DB_LOG
port                           = $TB_DB_PORT
bind-address                   = 127.0.0.1
# no DNS lookups (no network); 'tagbridge'@'127.0.0.1' covers TCP clients
skip-name-resolve
character-set-server           = utf8mb4
collation-server               = utf8mb4_unicode_ci
performance-schema             = OFF
innodb-buffer-pool-size        = 128M
innodb-flush-log-at-trx-commit = 0
innodb-doublewrite             = 0
EOF
}

db_running() {
    pid_alive "$(read_pid "$DB_PID")" && db_ping
}

cmd_db_start() {
    check_port "$TB_DB_PORT"
    mkdir -p "$DB_DIR"
    write_db_cnf

    if db_running; then
        ensure_db_user
        return 0
    fi

    local pid started=''
    pid=$(read_pid "$DB_PID")
    if pid_alive "$pid"; then
        # Alive but not answering yet (another invocation may be starting it):
        # fall through to the wait loop instead of starting a second server.
        log "MariaDB pid $pid is alive, waiting for it to answer"
    else
        rm -f "$DB_PID" "$DB_SOCK"
        if port_busy "$TB_DB_PORT"; then
            die "port $TB_DB_PORT is taken by another program; set TB_DB_PORT"
        fi
        if [[ ! -d $DB_DATA/mysql ]]; then
            log "initialising MariaDB datadir $DB_DATA"
            rm -rf "$DB_DATA"
            # --defaults-file must come first. root authenticates via unix_socket.
            mariadb-install-db --defaults-file="$DB_CNF" --user=root \
                --datadir="$DB_DATA" --skip-test-db \
                --auth-root-authentication-method=socket >"$DB_DIR/install-db.log" 2>&1 \
                || { tail -n 30 "$DB_DIR/install-db.log" >&2; die "mariadb-install-db failed"; }
        fi
        log "starting MariaDB on $DB_SOCK and 127.0.0.1:$TB_DB_PORT"
        # setsid: own session, so it outlives this shell and ignores its signals.
        setsid nohup mariadbd --defaults-file="$DB_CNF" --user=root </dev/null >>"$DB_LOG" 2>&1 &
        started=$!
    fi

    local i
    for (( i = 0; i < WAIT_SECS * 5; i++ )); do
        if db_ping; then
            ensure_db_user
            return 0
        fi
        # Don't sit out the whole timeout if the server already gave up.
        if [[ -n $started ]] && ! pid_alive "$started"; then
            break
        fi
        sleep 0.2
    done
    tail -n 30 "$DB_LOG" >&2 || true
    die "MariaDB did not come up within ${WAIT_SECS}s (log: $DB_LOG)"
}

# The application user. The grant on `tb\_%` (escaped underscore: a literal
# "tb_" prefix) includes CREATE, so tests may create/drop tb_* databases.
ensure_db_user() {
    local host
    for host in localhost 127.0.0.1; do
        db_sql <<EOF
CREATE USER IF NOT EXISTS 'tagbridge'@'$host' IDENTIFIED BY 'tagbridge';
ALTER USER 'tagbridge'@'$host' IDENTIFIED BY 'tagbridge';
GRANT ALL PRIVILEGES ON \`tb\\_%\`.* TO 'tagbridge'@'$host';
EOF
    done
}

cmd_db_stop() {
    local pid i
    pid=$(read_pid "$DB_PID")
    if ! pid_alive "$pid"; then
        rm -f "$DB_PID"
        log "MariaDB is not running"
        return 0
    fi
    log "stopping MariaDB (pid $pid)"
    mariadb-admin --no-defaults --socket="$DB_SOCK" --user=root shutdown >/dev/null 2>&1 \
        || kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < WAIT_SECS * 5; i++ )); do
        pid_alive "$pid" || { rm -f "$DB_PID"; return 0; }
        sleep 0.2
    done
    die "MariaDB (pid $pid) did not stop within ${WAIT_SECS}s"
}

# --------------------------------------------------------------------------
# sites

# Print a random 64-character salt (base64 alphabet minus '/+=': safe inside
# PHP '...'). No `| head -c` at the end: an early-closing reader could SIGPIPE
# the pipeline, which pipefail would turn into a failure.
salt() {
    local s
    s=$(head -c 96 /dev/urandom | base64 -w0 | tr -d '/+=')
    printf '%s' "${s:0:64}"
}

write_wp_config() {
    local name=$1 port=$2 dir=$3
    local url="http://127.0.0.1:$port"
    local k keys=""
    for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
        keys+="define( '$k', '$(salt)' );"$'\n'
    done
    # Replaces Debian's wp-config.php (which loads /etc/wordpress/config-HOST.php).
    cat >"$dir/wp-config.php" <<EOF
<?php
// Generated by tests/testbed/testbed.sh for the throwaway site '$name'. Do not edit.

// WordPress reads HTTP_HOST in places; give CLI runs (install, PHPUnit) the
// same host the web server gets.
if ( empty( \$_SERVER['HTTP_HOST'] ) ) {
	\$_SERVER['HTTP_HOST'] = '127.0.0.1:$port';
}

define( 'DB_NAME', 'tb_$name' );
define( 'DB_USER', 'tagbridge' );
define( 'DB_PASSWORD', 'tagbridge' );
define( 'DB_HOST', 'localhost:$DB_SOCK' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

$keys
\$table_prefix = 'wp_';

define( 'WP_HOME', '$url' );
define( 'WP_SITEURL', '$url' );

// Errors go to the site's debug.log, never into responses.
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$dir/debug.log' );
define( 'WP_DEBUG_DISPLAY', false );

// Tests run cron themselves.
define( 'DISABLE_WP_CRON', true );

// The site's own wp-content, not Debian's /var/lib/wordpress/wp-content.
define( 'WP_CONTENT_DIR', '$dir/wp-content' );

define( 'FS_METHOD', 'direct' );
define( 'AUTOMATIC_UPDATER_DISABLED', true );

// No network on the test machine: only loopback requests may leave WordPress.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost' );

// 'local' lets application passwords work over plain http on loopback.
define( 'WP_ENVIRONMENT_TYPE', 'local' );

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
EOF
}

# Copy Debian's WordPress tree. cp -a keeps symlinks verbatim, but Debian links
# bundled libraries relatively (wp-includes/ID3 -> ../../../php/getid3/...),
# which would dangle in the copy: re-point them at their absolute targets.
copy_wordpress() {
    local dir=$1 link rel target
    cp -a "$WP_SRC" "$dir"
    # Apache-only, and a link into /etc/wordpress which we must not use.
    rm -f "$dir/.htaccess"
    while IFS= read -r -d '' link; do
        rel=${link#"$dir"/}
        target=$(readlink -f "$WP_SRC/$rel" || true)
        if [[ -n $target && -e $target ]]; then
            ln -sfn "$target" "$link"
        else
            log "warning: dropping dangling symlink $rel"
            rm -f "$link"
        fi
    done < <(find "$dir" -type l -print0)
}

cmd_site() {
    local name=${1:-} port=${2:-$DEFAULT_PORT}
    check_name "$name"
    check_port "$port"
    check_ext
    [[ -d $WP_SRC ]] || die "$WP_SRC missing (run: $0 deps)"
    [[ -d $TB_PLUGIN_DIR ]] || die "plugin directory $TB_PLUGIN_DIR missing"

    local dir
    dir=$(site_dir "$name")

    # A server still running on the old tree would serve a half-deleted site.
    cmd_stop "$name"
    cmd_db_start

    log "creating database tb_$name"
    db_sql <<EOF
DROP DATABASE IF EXISTS \`tb_$name\`;
CREATE DATABASE \`tb_$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
EOF

    log "copying WordPress to $dir"
    mkdir -p "$SITES"
    rm -rf "$dir"
    copy_wordpress "$dir"
    write_wp_config "$name" "$port" "$dir"
    printf '%s\n' "$port" >"$dir/port"

    # A symlink, not a copy, so plugin edits are live in every site.
    ln -sfn "$TB_PLUGIN_DIR" "$dir/wp-content/plugins/tagbridge"

    # wordpress-theme-twentytwentythree installs into $WP_SRC/wp-content/themes,
    # so the copy above brought it along; WP_CONTENT_DIR points at this copy.
    [[ -f $dir/wp-content/themes/$THEME/style.css ]] \
        || die "theme $THEME missing from $WP_SRC/wp-content/themes (run: $0 deps)"

    # No network: stop WordPress.org update checks from filling debug.log with
    # warnings (see the file's header).
    mkdir -p "$dir/wp-content/mu-plugins"
    cp "$SCRIPT_DIR/mu-plugin-offline.php" "$dir/wp-content/mu-plugins/tagbridge-testbed-offline.php"
    # No mail either: messages WordPress tries to send are recorded for the tests (see the file).
    cp "$SCRIPT_DIR/mu-plugin-mail-capture.php" "$dir/wp-content/mu-plugins/tagbridge-testbed-mail-capture.php"
    # Which loading stages a request reached, for the tests that ask (see the file).
    cp "$SCRIPT_DIR/mu-plugin-request-trace.php" "$dir/wp-content/mu-plugins/tagbridge-testbed-request-trace.php"

    log "installing WordPress"
    if ! TB_SITE_DIR=$dir TB_SITE_NAME=$name run_php "$SCRIPT_DIR/install-site.php"; then
        if [[ -s $dir/debug.log ]]; then
            log "tail of $dir/debug.log:"
            tail -n 20 "$dir/debug.log" >&2
        fi
        die "installing WordPress for site $name failed"
    fi

    echo "site $name ready at http://127.0.0.1:$port/, wp dir $dir"
}

# --------------------------------------------------------------------------
# web server

cmd_serve() {
    local name=${1:-}
    check_name "$name"
    require_site "$name"
    check_ext

    local dir site_port port
    dir=$(site_dir "$name")
    site_port=$(cat "$dir/port")
    port=${2:-$site_port}
    check_port "$port"
    # WordPress redirects every request to WP_HOME, so another port can't work.
    [[ $port == "$site_port" ]] \
        || die "site $name was created for port $site_port (recreate it with: $0 site $name $port)"

    local pidfile=$dir/server.pid pid
    pid=$(read_pid "$pidfile")
    if pid_alive "$pid"; then
        log "site $name already served at http://127.0.0.1:$port/ (pid $pid)"
        return 0
    fi
    rm -f "$pidfile"
    port_busy "$port" && die "port $port is already in use by another program"

    cmd_db_start

    log "serving $dir on http://127.0.0.1:$port/ (${TB_SERVER:-php})"
    # Several workers, so a request that calls back into the site (loopback
    # requests, REST calls made by the plugin) can't deadlock a single process.
    # setsid puts the server and its forked workers in their own process group
    # (its pid), which `stop` kills as a whole.
    # TB_SERVER_WORKERS: more for load benchmarks (bench/webhooks.php).
    # TB_SERVER=fpm: nginx + PHP-FPM, as production sites run (load benchmarks);
    # the default is PHP's built-in server, which needs no package. TB_FPM_WRAP:
    # a command PHP-FPM runs under (valgrind for bench/overhead_fpm.php).
    if [[ ${TB_SERVER:-php} == fpm ]]; then
        fpm_config "$dir" "$port"
        TB_SITE_DIR=$dir setsid nohup bash -c \
            '${TB_FPM_WRAP:-} php-fpm8.2 --allow-to-run-as-root --nodaemonize --fpm-config "$1/fpm.conf" & nginx -c "$1/nginx.conf" & wait' \
            fpm "$dir" </dev/null >>"$dir/server.log" 2>&1 &
    else
        PHP_CLI_SERVER_WORKERS=${TB_SERVER_WORKERS:-4} TB_SITE_DIR=$dir setsid nohup \
            php -d "extension=$TB_EXT" -S "127.0.0.1:$port" -t "$dir" "$SCRIPT_DIR/router.php" \
            </dev/null >>"$dir/server.log" 2>&1 &
    fi
    pid=$!
    echo "$pid" >"$pidfile"

    local i code
    for (( i = 0; i < WAIT_SECS * 5; i++ )); do
        if ! pid_alive "$pid"; then
            tail -n 30 "$dir/server.log" >&2 || true
            rm -f "$pidfile"
            die "web server for $name exited (log: $dir/server.log)"
        fi
        code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/wp-json/" 2>/dev/null || true)
        if [[ $code == 200 ]]; then
            echo "site $name served at http://127.0.0.1:$port/ (pid $pid)"
            return 0
        fi
        sleep 0.2
    done
    tail -n 30 "$dir/server.log" >&2 || true
    cmd_stop "$name"
    die "http://127.0.0.1:$port/wp-json/ did not answer 200 within ${WAIT_SECS}s (last status: ${code:-none})"
}

# nginx + PHP-FPM configuration of a site (TB_SERVER=fpm): one static pool of
# TB_SERVER_WORKERS workers with our extension and opcache, nginx in front with
# WordPress's rewrite, and the test bed's own files kept off the web as router.php does.
fpm_config() {
    local dir=$1 port=$2
    install_missing php8.2-fpm nginx >/dev/null
    mkdir -p "$dir/nginx-tmp"
    cat >"$dir/fpm.conf" <<CONF
[global]
error_log = $dir/server.log
daemonize = no
; The master starts a session of its own (so outside the server's process group): stop reads this.
pid = $dir/fpm.pid

[site]
user = root
group = root
listen = $dir/fpm.sock
pm = static
pm.max_children = ${TB_SERVER_WORKERS:-4}
clear_env = no
catch_workers_output = yes
php_admin_value[extension] = $TB_EXT
CONF
    cat >"$dir/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/server.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/nginx-tmp/body;
    fastcgi_temp_path $dir/nginx-tmp/fastcgi;
    proxy_temp_path $dir/nginx-tmp/proxy;
    uwsgi_temp_path $dir/nginx-tmp/uwsgi;
    scgi_temp_path $dir/nginx-tmp/scgi;
    include /etc/nginx/mime.types;
    server {
        listen 127.0.0.1:$port backlog=4096;
        root $dir;
        index index.php;
        location ~ (^|/)\.|^/(wp-config\.php|debug\.log|admin-password|server\.log|server\.pid|port|fpm\.conf|nginx\.conf)\$ { return 404; }
        location / { try_files \$uri \$uri/ /index.php?\$args; }
        location ~ \.php\$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            # With the port, as the browser sent it: WordPress compares it with WP_HOME.
            fastcgi_param HTTP_HOST \$http_host;
            fastcgi_pass unix:$dir/fpm.sock;
        }
    }
}
CONF
}

cmd_stop() {
    local name=${1:-}
    check_name "$name"
    local dir pid group i
    dir=$(site_dir "$name")
    # The server's process group, and PHP-FPM's (its master calls setsid(), leaving that group).
    local groups=()
    for pid in "$(read_pid "$dir/server.pid")" "$(read_pid "$dir/fpm.pid")"; do
        group_alive "$pid" && groups+=("$pid")
    done
    if (( ${#groups[@]} == 0 )) && ! pgrep -f -- "$dir/fpm.conf" >/dev/null; then
        rm -f "$dir/server.pid" "$dir/fpm.pid"
        return 0
    fi
    log "stopping web server of $name (process groups ${groups[*]})"
    # Negative pid: the whole group, i.e. the master and its worker processes.
    for group in "${groups[@]}"; do
        kill -TERM -- "-$group" 2>/dev/null || kill -TERM "$group" 2>/dev/null || true
    done
    for (( i = 0; i < 50; i++ )); do
        # Wait for the whole groups: workers may outlive their master briefly.
        local alive=0
        for group in "${groups[@]}"; do
            group_alive "$group" && alive=1
        done
        (( alive )) || break
        sleep 0.1
    done
    for group in "${groups[@]}"; do
        kill -KILL -- "-$group" 2>/dev/null || true
    done
    # A PHP-FPM master that had not written its pid file yet (slow under valgrind) is found by its
    # configuration file; its process group holds its workers.
    for pid in $(pgrep -f -- "$dir/fpm.conf" || true); do
        group=$(ps -o pgid= -p "$pid" | tr -dc '0-9')
        [[ -n $group ]] && kill -KILL -- "-$group" 2>/dev/null || true
    done
    rm -f "$dir/server.pid" "$dir/fpm.pid"
}

# --------------------------------------------------------------------------
# php / down

cmd_php() {
    local name=${1:-}
    check_name "$name"
    require_site "$name"
    check_ext
    shift
    TB_SITE_DIR=$(site_dir "$name")
    # TB_EXT too, so PHP processes the script starts load the same extension (live-check.php's
    # registration runs in a child process).
    export TB_SITE_DIR TB_EXT
    exec php -d "extension=$TB_EXT" "$@"
}

cmd_down() {
    local d
    if [[ -d $SITES ]]; then
        for d in "$SITES"/*/; do
            [[ -d $d ]] || continue
            cmd_stop "$(basename "$d")"
        done
    fi
    cmd_db_stop
}

# --------------------------------------------------------------------------

main() {
    local cmd=${1:-}
    (( $# )) && shift
    case $cmd in
        deps)     cmd_deps "$@" ;;
        db-start) cmd_db_start "$@" ;;
        db-stop)  cmd_db_stop "$@" ;;
        site)     cmd_site "$@" ;;
        serve)    cmd_serve "$@" ;;
        stop)     cmd_stop "$@" ;;
        php)      cmd_php "$@" ;;
        down)     cmd_down "$@" ;;
        *)        usage ;;
    esac
}

main "$@"
