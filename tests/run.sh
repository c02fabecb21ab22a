#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds the
# extension, and runs the three layers — Rust core (cargo test), the binding (PHPUnit with the
# built extension), and the plugin inside real WordPress on a private MariaDB (PHPUnit, plus HTTP
# against the site served on loopback). Prints one summary line with the counts.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
TESTBED="$REPO/tests/testbed/testbed.sh"
export TB_ROOT=${TB_ROOT:-/tmp/tagbridge-testbed}
export TB_EXT="$REPO/target/release/libtagbridge.so"
export RUST_BACKTRACE=0
SITE=test
PORT=${TB_TEST_PORT:-8091}
LOGS=$(mktemp -d)

passed=0
failed=0
step() { printf '\n==> %s\n' "$*"; }

# Counts from `cargo test` ("test result: ok. N passed; M failed; ...").
count_cargo() {
    local p f
    p=$(grep -Eo '[0-9]+ passed' "$1" | awk '{s+=$1} END {print s+0}')
    f=$(grep -Eo '[0-9]+ failed' "$1" | awk '{s+=$1} END {print s+0}')
    passed=$((passed + p)); failed=$((failed + f))
}

# Counts from PHPUnit's closing line ("OK (N tests, ...)" or "Tests: N, ..., Failures: F, Errors: E").
count_phpunit() {
    local line n f e
    line=$(grep -E '^(OK \(|Tests: )' "$1" | tail -n 1)
    if [[ $line =~ ^OK\ \(([0-9]+)\ test ]]; then
        passed=$((passed + BASH_REMATCH[1]))
    elif [[ $line =~ Tests:\ ([0-9]+) ]]; then
        n=${BASH_REMATCH[1]}
        f=$( [[ $line =~ Failures:\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0 )
        e=$( [[ $line =~ Errors:\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0 )
        passed=$((passed + n - f - e)); failed=$((failed + f + e))
    else
        failed=$((failed + 1))
    fi
}

# Counts from a plain closing line ("browser: N passed, M failed"); a run without one counts as a failure.
count_plain() {
    local line
    line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    else
        failed=$((failed + 1))
    fi
}

# Runs one PHPUnit configuration with the extension loaded and adds its counts; a run that fails
# without reporting a failure (a crash) still counts as one.
run_phpunit() {
    local name=$1 config=$2 status=0 failed_before=$failed
    php -d extension="$TB_EXT" /usr/bin/phpunit -c "$config" 2>&1 | tee "$LOGS/$name.log" || status=$?
    count_phpunit "$LOGS/$name.log"
    if [ "$status" -ne 0 ] && [ "$failed" -eq "$failed_before" ]; then
        failed=$((failed + 1))
    fi
}

# The FluentCRM replay server is started by the tests that use it (tests/php/integration/FluentCrmReplay.php).
cleanup() {
    "$TESTBED" stop "$SITE" >/dev/null 2>&1 || true
    "$TESTBED" stop siteb >/dev/null 2>&1 || true
    "$REPO/tests/fluentcrm/replay.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "Installing what is missing (Debian packages)"
"$TESTBED" deps

step "Rust: format and lints"
cargo fmt --check
cargo clippy --all-targets --release --locked -- -D warnings

step "Rust: core tests"
status=0
cargo test --release --locked 2>&1 | tee "$LOGS/cargo.log" || status=$?
count_cargo "$LOGS/cargo.log"
[ "$status" -eq 0 ] || failed=$((failed + 1))

step "Building the extension"
cargo build --release --locked

step "PHP: lint the plugin, the stubs and the tests"
find php stubs tests/php tests/testbed tests/fluentcrm tests/browser bench -name '*.php' -not -path '*/node_modules/*' -print0 2>/dev/null | xargs -0 -n 1 php -l >/dev/null

step "PHPUnit: the binding (extension alone)"
run_phpunit unit tests/php/unit.xml

step "WordPress test bed: private MariaDB and a fresh site on 127.0.0.1:$PORT"
"$TESTBED" db-start
"$TESTBED" site "$SITE" "$PORT"
"$TESTBED" serve "$SITE" "$PORT"
export TB_SITE_DIR="$TB_ROOT/sites/$SITE" TB_SITE_URL="http://127.0.0.1:$PORT"

step "WordPress test bed: a second site (linked-site tests) on 127.0.0.1:$((PORT + 40))"
"$TESTBED" site siteb $((PORT + 40))
"$TESTBED" serve siteb $((PORT + 40))
export TB_SITEB_DIR="$TB_ROOT/sites/siteb" TB_SITEB_URL="http://127.0.0.1:$((PORT + 40))"

step "PHPUnit: the plugin inside real WordPress"
run_phpunit integration tests/php/integration.xml

step "Browser: the admin screens in headless Chromium (Debian's chromium, puppeteer-core)"
tests/browser/run.sh 2>&1 | tee "$LOGS/browser.log" || true
count_plain "$LOGS/browser.log"

printf '\n'
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
