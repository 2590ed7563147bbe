#!/usr/bin/env bash
# The one test command (README): installs missing Debian test peers, then runs typecheck, lint and every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
bash scripts/install-test-peers.sh sip-tester baresip baresip-core sox libsox-fmt-mp3 lame flite espeak-ng pocketsphinx pocketsphinx-en-us postgresql chromium
npx tsc --noEmit
npx tsc --noEmit -p web
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npm run --silent test:unit
