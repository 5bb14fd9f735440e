#!/usr/bin/env bash
# Refresh the third-party front-end code in static/vendor/ from the npm registry.
#
#   scripts/refresh-vendor.sh            # the pinned version below
#   scripts/refresh-vendor.sh 2.5.0      # try another version (then update PINNED)
#
# Squire (Fastmail's rich-text editor) ships a ready browser bundle, dist/squire.js
# (minified, no dependencies, defines window.Squire): no build step is needed, so the
# vendored file is byte-for-byte the one npm publishes. The script copies it with its
# licence and writes VERSION (name, version, tarball integrity, sha256 of each file).
# It needs npm and network access to the registry; nothing else is installed.
set -euo pipefail

PACKAGE=squire-rte
PINNED=2.4.8
VERSION=${1:-$PINNED}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/static/vendor/squire

command -v npm >/dev/null || { echo "error: npm is needed (apt install npm)" >&2; exit 1; }
if [[ ! $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "error: give an exact version such as $PINNED, not '$VERSION'" >&2
    exit 2
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "Downloading $PACKAGE@$VERSION from the npm registry…"
# npm pack checks the tarball against the registry's integrity hash before writing it.
npm pack --silent --json --pack-destination "$WORK" "$PACKAGE@$VERSION" > "$WORK/pack.json"
TARBALL=$WORK/$PACKAGE-$VERSION.tgz
INTEGRITY=$(node -e 'console.log(require(process.argv[1])[0].integrity)' "$WORK/pack.json")
tar -xzf "$TARBALL" -C "$WORK"

for file in dist/squire.js LICENSE; do
    [[ -f $WORK/package/$file ]] || { echo "error: $file missing from the package" >&2; exit 1; }
done

mkdir -p "$DEST"
cp "$WORK/package/dist/squire.js" "$DEST/squire.js"
cp "$WORK/package/LICENSE" "$DEST/LICENSE"

sha() { sha256sum "$1" | cut -d' ' -f1; }
cat > "$DEST/VERSION" <<VERSION
name: $PACKAGE
version: $VERSION
source: https://registry.npmjs.org/$PACKAGE/-/$PACKAGE-$VERSION.tgz
integrity: $INTEGRITY
tarball-sha256: $(sha "$TARBALL")
squire.js-sha256: $(sha "$DEST/squire.js")
LICENSE-sha256: $(sha "$DEST/LICENSE")
refreshed-by: scripts/refresh-vendor.sh
VERSION

gz=$(gzip -9c "$DEST/squire.js" | wc -c)
echo "static/vendor/squire/: squire.js $(wc -c < "$DEST/squire.js") bytes, $gz gzipped; LICENSE; VERSION"
if [[ $VERSION != "$PINNED" ]]; then
    echo "Now set PINNED=$VERSION in $0, run the tests (tests/test_vendor.py, tests/browser/test_editor.py) and read the CHANGELOG."
fi
