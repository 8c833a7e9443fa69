#!/usr/bin/env bash
# Step 5: SHA256SUMS over the release files and, when a key is given, the detached armored OpenPGP signatures
# SHA256SUMS.asc and catalog.json.asc (what the app verifies against its pinned release key, docs/acquisition.md).
# Usage: release.sh OUT_DIR [SIGNING_KEY]   (files: every regular file in OUT_DIR but SHA256SUMS*, catalog*)
# GnuPG home: $GNUPGHOME as usual.
set -euo pipefail
out=$1 key=${2:-}
cd "$out"
rm -f SHA256SUMS SHA256SUMS.asc catalog.json.asc
find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' ! -name 'catalog*' -printf '%f\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS
if [ -n "$key" ]; then
  gpg --batch --yes --quiet --local-user "$key" --armor --detach-sign --output SHA256SUMS.asc SHA256SUMS
  gpg --batch --quiet --verify SHA256SUMS.asc SHA256SUMS 2>/dev/null
  if [ -f catalog.json ]; then
    gpg --batch --yes --quiet --local-user "$key" --armor --detach-sign --output catalog.json.asc catalog.json
    gpg --batch --quiet --verify catalog.json.asc catalog.json 2>/dev/null
  fi
fi
