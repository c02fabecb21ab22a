#!/usr/bin/env bash
# Writes the plugin's translation template (php/languages/tagbridge.pot) from its sources with
# xgettext and WordPress's translation functions; `make pot` runs it. With --print it writes the
# template to standard output instead (the unit test compares that with the committed file).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO/php"
pot() {
    # No creation date and no line numbers: the template changes only when the strings do.
    find . -name '*.php' -not -path './languages/*' | LC_ALL=C sort | xgettext --files-from=- \
    --language=PHP --from-code=UTF-8 --output=- --sort-output --no-location \
    --package-name=TagBridge --package-version="$(sed -n "s/^define( 'TAGBRIDGE_VERSION', '\(.*\)' );/\1/p" tagbridge.php)" \
    --add-comments=translators: --no-wrap \
    --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e --keyword=esc_attr__ \
    --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_ex:1,2c --keyword=esc_html_x:1,2c \
    --keyword=esc_attr_x:1,2c --keyword=_n:1,2 --keyword=_nx:1,2,4c --keyword=_n_noop:1,2 \
    --keyword=_nx_noop:1,2,3c | sed -e '/^"POT-Creation-Date:/d' -e 's/charset=CHARSET/charset=UTF-8/'
}
if [[ ${1:-} == --print ]]; then pot; else pot >languages/tagbridge.pot; fi
