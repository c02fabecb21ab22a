#!/usr/bin/env bash
# `make demo`: sets up a real local WordPress with TagBridge on the embedded default (no external
# CRM), shows the extension answering and the plugin at work, and leaves the site running.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
TESTBED="$REPO/tests/testbed/testbed.sh"
export TB_ROOT=${TB_ROOT:-/tmp/tagbridge-testbed}
export TB_EXT="$REPO/target/release/libtagbridge.so"
export RUST_BACKTRACE=0
PORT=${TB_DEMO_PORT:-8081}
URL="http://127.0.0.1:$PORT"

say() { printf '\n==> %s\n' "$*"; }

say "Installing what is missing (Debian packages: PHP 8.2, MariaDB, WordPress, PHPUnit)"
"$TESTBED" deps

say "Building the TagBridge extension (cargo build --release)"
cargo build --release --locked
php -d extension="$TB_EXT" -r 'printf("    extension loads: tagbridge %s, built for PHP API %s\n", tagbridge_version(), tagbridge_build_info()["php_api"]);'

say "Starting a private MariaDB and a fresh WordPress site (Debian's wordpress package)"
"$TESTBED" db-start
"$TESTBED" site demo "$PORT"
"$TESTBED" serve demo "$PORT"

say "Settings: a role linked to a tag, two mapped fields (validated and compiled by the extension)"
"$TESTBED" php demo tests/testbed/demo.php settings

say "Role -> tag, and profile fields -> CRM (typed, through the durable outbox at the end of the request)"
"$TESTBED" php demo tests/testbed/demo.php register
"$TESTBED" php demo tests/testbed/demo.php show ada@example.org

say "Tag -> role: the CRM takes the tag away, the linked role follows"
"$TESTBED" php demo tests/testbed/demo.php drop-tag ada@example.org
"$TESTBED" php demo tests/testbed/demo.php show ada@example.org

say "A CRM webhook over HTTP: import a contact as a user with the Gold tag (answered 202, applied in the background)"
KEY=$("$TESTBED" php demo -r 'require getenv("TB_SITE_DIR") . "/wp-load.php"; echo TagBridge\Webhook\Secret::get();')
curl -sS -o /dev/null -w '    wrong key: HTTP %{http_code}\n' -H 'X-TagBridge-Key: wrong' -H 'Content-Type: application/json' \
    -d '{"action":"add","email":"grace@example.org"}' "$URL/wp-json/tagbridge/v1/webhook"
ANSWER=$(curl -sS -H "X-TagBridge-Key: $KEY" -H 'Content-Type: application/json' \
    -d '{"action":"add","email":"grace@example.org","first_name":"Grace","tags":["Gold"]}' "$URL/wp-json/tagbridge/v1/webhook")
echo "    right key: $ANSWER"
ID=$(php -r 'echo (int) (json_decode(stream_get_contents(STDIN), true)["id"] ?? 0);' <<<"$ANSWER")
"$TESTBED" php demo tests/testbed/demo.php wait-webhook "$ID"
"$TESTBED" php demo tests/testbed/demo.php show grace@example.org

say "The settings over REST (application password, real HTTP on loopback)"
AUTH=$("$TESTBED" php demo -r 'require getenv("TB_SITE_DIR") . "/wp-load.php";
    $u = get_user_by("login", "admin");
    list($p) = WP_Application_Passwords::create_new_application_password($u->ID, array("name" => "demo-" . time()));
    echo "admin:" . $p;')
curl -fsS -u "$AUTH" "$URL/wp-json/tagbridge/v1/settings" | php -r 'echo json_encode(json_decode(stream_get_contents(STDIN)), JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";'

cat <<DONE

==> Done. The demo site is still running:
    site:      $URL/
    admin:     $URL/wp-admin/  (user admin, password $(cat "$TB_ROOT/sites/demo/admin-password"))
    REST:      $URL/wp-json/tagbridge/v1/settings
    stop it:   make down
DONE
