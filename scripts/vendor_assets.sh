#!/bin/sh
# Copy the pinned front-end packages from node_modules/ into static_src/vendor/.
#
#   npm ci && sh scripts/vendor_assets.sh          # refresh the vendored files
#   sh scripts/vendor_assets.sh --check            # exit 1 if they differ from node_modules/
#
# The vendored files are committed, so running or testing the platform needs no Node.js;
# this script is only needed after changing the pinned version in package.json.
# The sourceMappingURL comment is dropped: the map is not shipped, and Django's manifest
# storage refuses a reference to a missing file.
set -eu
cd "$(dirname "$0")/.."

src=node_modules/hls.js/dist/hls.light.min.js
dest=static_src/vendor/hls.light.min.js
if [ ! -f "$src" ]; then
    echo "missing $src: run 'npm ci' first" >&2
    exit 2
fi
version=$(node -p "require('./node_modules/hls.js/package.json').version")

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    printf '/*! hls.js %s light build, vendored from npm by scripts/vendor_assets.sh. Apache-2.0. */\n' "$version"
    grep -v '^//# sourceMappingURL=' "$src"
} >"$tmp"

if [ "${1:-}" = "--check" ]; then
    if cmp -s "$tmp" "$dest"; then
        echo "$dest is hls.js $version"
    else
        echo "$dest differs from node_modules (hls.js $version): run sh scripts/vendor_assets.sh" >&2
        exit 1
    fi
else
    mkdir -p "$(dirname "$dest")"
    cp "$tmp" "$dest"
    chmod 644 "$dest"
    echo "wrote $dest (hls.js $version)"
fi
