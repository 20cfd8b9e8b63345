#!/bin/sh
# Renders a lab report in headless Chromium and saves a full-page screenshot, to check that the
# page and its inline SVG charts display.
#   scripts/screenshot_report.sh REPORT_DIR [OUT.png] [HEIGHT]
# Needs chromium (Debian/Ubuntu: apt-get install chromium).
set -eu
dir=${1:?usage: screenshot_report.sh REPORT_DIR [OUT.png] [HEIGHT]}
out=${2:-$dir/screenshot.png}
height=${3:-6000}
page="$dir/index.html"
[ -f "$page" ] || { echo "screenshot_report.sh: no index.html in '$dir'" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "screenshot_report.sh: chromium not found (apt-get install chromium)" >&2; exit 1; }
abs=$(cd "$(dirname "$page")" && pwd)/index.html
# --no-sandbox: headless runs as root in containers; the page is a local file we wrote.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,"$height" \
    --screenshot="$out" "file://$abs" >/dev/null 2>&1
[ -s "$out" ] || { echo "screenshot_report.sh: chromium wrote no screenshot" >&2; exit 1; }
echo "$out"
