#!/usr/bin/env bash
# The dashboard and the OHIF viewer of `dicomlake serve` in headless Chromium
# (tests/browser/serve_browser.js), in a private network namespace with only loopback. The
# viewport's screenshot must show an image (not one flat colour: checked with PIL). With
# DICOMLAKE_SCREENSHOTS=DIR the screenshots are kept there (docs/images/ is made so).
# Usage: serve_browser.sh DICOMLAKE_BINARY
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
needs=(chromium)
source "$repo/tests/support/sandbox.sh"
[ -f "$repo/.deps/web/ohif/index.html" ] || { echo "FAIL: OHIF is not installed (scripts/setup)"; exit 1; }
[ -d "$repo/.deps/node/node_modules/puppeteer-core" ] || { echo "FAIL: puppeteer-core missing (scripts/setup)"; exit 1; }

"$bin" -q init "$work/demo-lake"
"$bin" -q sample "$work/demo-lake" --seed 7 --scale 0.02
"$bin" -q run "$work/demo-lake" > "$work/run.log" 2>&1 || [ $? -eq 3 ] || fail "the pipeline failed"
study=$("$bin" sql "$work/demo-lake" --format csv "SELECT studyInstanceUid FROM bronze.ImagingDicom \
  WHERE modality = 'CT' GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1" | tail -1)
[ -n "$study" ] || fail "the sample has no CT study"

"$bin" serve "$work/demo-lake" --port 0 --port-file "$work/port" --log > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "serve did not start"
port=$(cat "$work/port")

shots=${DICOMLAKE_SCREENSHOTS:-$work/shots}
mkdir -p "$shots"
NODE_PATH="$repo/.deps/node/node_modules" HOME="$work" \
  node "$here/serve_browser.js" "http://127.0.0.1:$port" "$study" "$shots" > "$work/browser.log" 2>&1 \
  || fail "the browser test failed: $(cat "$work/browser.log")"
/usr/bin/python3 - "$shots/viewer-ct-viewport.png" <<'PY' || fail "the viewport shows no image"
import sys
from PIL import Image, ImageStat
image = Image.open(sys.argv[1]).convert("L")
spread = ImageStat.Stat(image).stddev[0]
levels = len(set(image.getdata()))
print("viewport %dx%d, %d grey levels, spread %.1f" % (image.size + (levels, spread)))
sys.exit(0 if levels > 8 and spread > 2 else 1)
PY
cat "$work/browser.log"
echo "PASS: the dashboard and the viewer work in Chromium"
