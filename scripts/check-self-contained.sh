#!/usr/bin/env bash
# Proves that a clone of this repository stands on its own, without the folders that sat beside
# the original checkout (where the telegram corpus once lived):
#   1. no tracked file refers to a `shared` folder outside the repository;
#   2. the protocol tests (the whole telegram corpus) pass from a copy of the tracked files in a
#      fresh temporary folder that has nothing beside it.
# Run by .ci/run before npm test; needs node_modules (npm ci) and takes well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

# ── 1. References ─────────────────────────────────────────────────────────────────────────────
# A relative path going up one or more levels into `shared`: a reference, unless it resolves to a
# folder inside the repository (e.g. src/nodes/common seen from a node's own folder). The patterns
# are written with escaped dots, so that this file does not match itself.
RELATIVE='(\.\.[/\\])+shared'
# The same built from pieces: path.join(root, <up>, <shared>) with quoted parts.
JOINED='["'"'"'`]\.\.["'"'"'`] *, *["'"'"'`]shared["'"'"'`]'

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check-self-contained.sh needs a git checkout (it checks the tracked files)." >&2
  exit 1
fi

# `git grep` exits 1 when nothing matches; anything above that is a real error.
matches() {
  git grep -I -n "$@" || [ $? -eq 1 ]
}

problems=()
relative_hits=$(matches -o -E "$RELATIVE")
joined_hits=$(matches -E "$JOINED")
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  relative=${rest#*:}
  target=$(realpath -m "$(dirname "$file")/${relative//\\//}")
  case "$target/" in
    "$ROOT"/*) [ -n "$(git ls-files -- "$target")" ] && continue ;;
  esac
  problems+=("$file:$line: $relative (outside the repository)")
done <<< "$relative_hits"

while IFS= read -r hit; do
  [ -n "$hit" ] && problems+=("$hit")
done <<< "$joined_hits"

if [ ${#problems[@]} -gt 0 ]; then
  echo "Tracked files refer to a shared folder beside the repository; a clone does not have it:" >&2
  printf '  %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "self-contained: no tracked file refers to a folder beside the repository"

# ── 2. The protocol tests from a lone copy ─────────────────────────────────────────────────────
modules=$(realpath node_modules)
if [ ! -d "$modules/typescript" ] || [ ! -d "$modules/mocha" ]; then
  echo "node_modules with typescript and mocha is needed: run npm ci first." >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
copy="$scratch/repository"
mkdir "$copy"
# The tracked files as they are in the working tree (uncommitted edits included).
git ls-files -z | tar --null --files-from=- -cf - | tar -xf - -C "$copy"
ln -s "$modules" "$copy/node_modules"
if [ "$(ls -A "$scratch")" != "repository" ]; then
  echo "the temporary folder should hold only the copy" >&2
  exit 1
fi

cd "$copy"
node node_modules/typescript/bin/tsc -p tsconfig.json
node node_modules/mocha/bin/mocha.js --no-config --timeout 20000 --exit --reporter dot 'dist/test/protocol/*.test.js'
echo "self-contained: the protocol tests pass from a copy with nothing beside it"
