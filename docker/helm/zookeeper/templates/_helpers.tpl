{{/*
Helpers of zkpod's ZooKeeper chart. "zookeeper.effective" folds the legacy
parameters of the incubator chart (seed 003) into the current values once;
every template reads the result, so no template knows about legacy names.
"zookeeper.validate" holds every render-time refusal, "zookeeper.warnings"
every NOTES.txt warning.
*/}}

{{/* The chart name part of resource names and of the app.kubernetes.io/name label. */}}
{{- define "zookeeper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
<fullname>: the StatefulSet; the pods are <fullname>-N. The length is checked
in zookeeper.validate rather than truncated, so names never change silently.
*/}}
{{- define "zookeeper.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride -}}
{{- else if hasKey .Values "Name" -}}
{{- /* The incubator chart named everything <release>-<Name>. */ -}}
{{- printf "%s-%s" .Release.Name (toString .Values.Name) -}}
{{- else -}}
{{- $name := include "zookeeper.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "zookeeper.headlessName" -}}{{ include "zookeeper.fullname" . }}-hs{{- end -}}
{{- define "zookeeper.clientName" -}}{{ include "zookeeper.fullname" . }}-cs{{- end -}}

{{/* Selector labels: fixed for the life of a release (selectors are immutable). */}}
{{- define "zookeeper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zookeeper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every resource and of the pods. */}}
{{- define "zookeeper.labels" -}}
{{ include "zookeeper.selectorLabels" . }}
app.kubernetes.io/component: server
{{- if hasKey .Values "Component" }}
component: {{ printf "%s-%s" .Release.Name (toString .Values.Component) | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
A memory quantity in MiB (a float as a string), or "" when it is not one of
the forms this chart reads: a number with Ki, Mi, Gi, Ti, k, M, G, T or no suffix.
*/}}
{{- define "zookeeper.mebibytes" -}}
{{- $q := toString . -}}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$" $q -}}
{{- $n := float64 (regexReplaceAll "^([0-9.]+).*$" $q "${1}") -}}
{{- $unit := regexReplaceAll "^[0-9.]+" $q "" -}}
{{- $perMiB := dict "Ki" (divf 1 1024) "Mi" 1.0 "Gi" 1024.0 "Ti" 1048576.0 "k" (divf 1000 1048576) "M" (divf 1000000 1048576) "G" (divf 1000000000 1048576) "T" (divf 1000000000000 1048576) "" (divf 1 1048576) -}}
{{- mulf $n (get $perMiB $unit) -}}
{{- end -}}
{{- end -}}

{{/*
The values every template reads, as YAML: the current values with the legacy
parameters (Replicas, Image, ...) applied on top.
*/}}
{{- define "zookeeper.effective" -}}
{{- $v := .Values -}}
{{- $image := deepCopy $v.image -}}
{{- if hasKey $v "Image" }}{{ $_ := set $image "repository" (toString $v.Image) }}{{ $_ := set $image "registry" "" }}{{ end -}}
{{- if hasKey $v "ImageTag" }}{{ $_ := set $image "tag" (toString $v.ImageTag) }}{{ end -}}
{{- if hasKey $v "ImagePullPolicy" }}{{ $_ := set $image "pullPolicy" (toString $v.ImagePullPolicy) }}{{ end -}}
{{- $global := default dict $v.global -}}
{{- if and (not $image.registry) (not (hasKey $v "Image")) $global.imageRegistry }}{{ $_ := set $image "registry" $global.imageRegistry }}{{ end -}}
{{- $ref := $image.repository -}}
{{- if $image.registry }}{{ $ref = printf "%s/%s" $image.registry $image.repository }}{{ end -}}
{{- if $image.digest }}{{ $ref = printf "%s@%s" $ref $image.digest }}
{{- else }}{{ $ref = printf "%s:%s" $ref (toString (default .Chart.AppVersion $image.tag)) }}{{ end -}}
{{- $replicas := int $v.replicaCount -}}
{{- if hasKey $v "Replicas" }}{{ $replicas = int $v.Replicas }}{{ end -}}
{{- $ports := dict "client" (int $v.containerPorts.client) "follower" (int $v.containerPorts.follower) "election" (int $v.containerPorts.election) "adminServer" (int $v.containerPorts.adminServer) -}}
{{- if hasKey $v "PeerPort" }}{{ $_ := set $ports "follower" (int $v.PeerPort) }}{{ end -}}
{{- if hasKey $v "LeaderElectionPort" }}{{ $_ := set $ports "election" (int $v.LeaderElectionPort) }}{{ end -}}
{{- $resources := deepCopy (default dict $v.resources) -}}
{{- if hasKey $v "Cpu" -}}
{{- $req := default dict $resources.requests -}}
{{- $_ := set $req "cpu" (toString $v.Cpu) -}}
{{- $_ := set $resources "requests" $req -}}
{{- end -}}
{{- if hasKey $v "Memory" -}}
{{- $req := default dict $resources.requests -}}
{{- $lim := default dict $resources.limits -}}
{{- $_ := set $req "memory" (toString $v.Memory) -}}
{{- $_ := set $lim "memory" (toString $v.Memory) -}}
{{- $_ := set $resources "requests" $req -}}
{{- $_ := set $resources "limits" $lim -}}
{{- end -}}
{{- $size := toString $v.persistence.size -}}
{{- if hasKey $v "Storage" }}{{ $size = toString $v.Storage }}{{ end -}}
{{- $heap := toString $v.heapSize -}}
{{- if regexMatch "^[0-9]+$" $heap }}{{ $heap = printf "%sM" $heap }}{{ end -}}
{{- $openshift := false -}}
{{- if eq (toString $v.openshift) "auto" -}}
{{- $openshift = .Capabilities.APIVersions.Has "security.openshift.io/v1" -}}
{{- else -}}
{{- $openshift = eq (toString $v.openshift) "true" -}}
{{- end -}}
image: {{ $ref | quote }}
pullPolicy: {{ $image.pullPolicy | quote }}
pullSecrets:
  {{- toYaml (concat (default list $image.pullSecrets) (default list $global.imagePullSecrets) | uniq) | nindent 2 }}
storageClass: {{ default (default "" $global.storageClass) $v.persistence.storageClass | quote }}
replicas: {{ $replicas }}
ports:
  {{- toYaml $ports | nindent 2 }}
resources:
  {{- toYaml $resources | nindent 2 }}
storageSize: {{ $size | quote }}
heap: {{ $heap | quote }}
openshift: {{ $openshift }}
{{- end -}}

{{/* A scalar as zoo.cfg text: whole numbers without an exponent (YAML numbers arrive as floats). */}}
{{- define "zookeeper.scalar" -}}
{{- if and (kindIs "float64" .) (eq (float64 .) (floor .)) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* The heap in MiB for a fixed --heap (512M, 2G, 262144k), else "". */}}
{{- define "zookeeper.heapMebibytes" -}}
{{- $h := toString . -}}
{{- if regexMatch "^[0-9]+[kKmMgG]$" $h -}}
{{- $n := float64 (regexReplaceAll "[kKmMgG]$" $h "") -}}
{{- $u := lower (regexReplaceAll "^[0-9]+" $h "") -}}
{{- if eq $u "k" }}{{ divf $n 1024 }}{{ else if eq $u "g" }}{{ mulf $n 1024 }}{{ else }}{{ $n }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* The share of the memory limit for heap auto / auto:NN%, else "". */}}
{{- define "zookeeper.heapPercent" -}}
{{- $h := toString . -}}
{{- if eq $h "auto" }}50{{ else if regexMatch "^auto:[0-9]+%$" $h }}{{ regexReplaceAll "^auto:([0-9]+)%$" $h "${1}" }}{{ end -}}
{{- end -}}

{{/*
zoo.cfg keys that zkpod derives from a flag, with the value of this chart
that sets that flag (zkpod refuses them in --set; FLAG_KEYS in its settings).
*/}}
{{- define "zookeeper.ownedKeys" -}}
clientport: containerPorts.client
clientportaddress: "(nothing: zkpod binds the client port on all addresses; set ZOO_CLIENT_ADDRESS in extraEnvVars)"
datadir: "(nothing: the chart mounts the data volume at /var/lib/zookeeper)"
datalogdir: persistence.dataLogDir.enabled
ticktime: tickTime
initlimit: initLimit
synclimit: syncLimit
maxclientcnxns: maxClientCnxns
minsessiontimeout: minSessionTimeout
maxsessiontimeout: maxSessionTimeout
autopurge.snapretaincount: autopurge.snapRetainCount
autopurge.purgeinterval: autopurge.purgeInterval
4lw.commands.whitelist: fourlwCommandsWhitelist
admin.enableserver: adminServer.enabled
admin.serverport: containerPorts.adminServer
quorumlistenonallips: listenOnAllIPs
{{- end -}}

{{/*
The pods' service account: <fullname> unless serviceAccount.name says
otherwise. With serviceAccount.create=false the name is required
(zookeeper.validate says so).
*/}}
{{- define "zookeeper.serviceAccountName" -}}
{{- default (include "zookeeper.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Role and RoleBinding that let the pods get their StatefulSet. */}}
{{- define "zookeeper.membershipRoleName" -}}{{ include "zookeeper.fullname" . }}-membership{{- end -}}

{{/* The Secret with ZooKeeper's superuser password: the operator's, or <fullname>-auth. */}}
{{- /* The Secret with the TLS material: tls.existingSecret, else the Certificate's. */ -}}
{{- define "zookeeper.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "zookeeper.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{- /* Whether clients outside the pod reach only the TLS port. */ -}}
{{- define "zookeeper.tlsOnly" -}}
{{- if and .Values.tls.enabled (eq .Values.tls.plaintextClient "loopback") }}true{{ end -}}
{{- end -}}

{{- define "zookeeper.authSecretName" -}}
{{- default (printf "%s-auth" (include "zookeeper.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/*
The generated Secret's password, base64 as in a Secret's data. Input: the
Secret found in the cluster (lookup; an empty dict when there is none). A
password already there is kept, so that an upgrade never changes it (the
running JVMs hold its digest); only a Secret that does not exist yet gets a
new random one. Kept apart from the lookup so that it can be exercised
without a cluster.
*/}}
{{- define "zookeeper.authPassword" -}}
{{- $old := dig "data" "password" "" (default dict .) -}}
{{- if $old -}}
{{- $old -}}
{{- else -}}
{{- randAlphaNum 32 | b64enc -}}
{{- end -}}
{{- end -}}

{{/*
"true" when extraEnvVars pins a static server list (ZOO_MEMBERSHIP=static):
zkpod then builds the ensemble from --servers alone, as ZooKeeper 3.4 needs.
*/}}
{{- define "zookeeper.staticMembership" -}}
{{- range .Values.extraEnvVars -}}
{{- if and (eq (toString .name) "ZOO_MEMBERSHIP") (eq (lower (toString .value)) "static") }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/*
The --servers of a StatefulSet (as lookup returns it), else its replicas, or
0 for none (an empty dict). Kept apart from the lookup so that it can be
exercised without a cluster.
*/}}
{{- define "zookeeper.serversOf" -}}
{{- $n := 0 -}}
{{- if . -}}
{{- $n = int (dig "spec" "replicas" 1 .) -}}
{{- range $c := (dig "spec" "template" "spec" "containers" list .) -}}
{{- range $a := (default list $c.args) -}}
{{- if hasPrefix "--servers=" (toString $a) }}{{ $n = int (trimPrefix "--servers=" (toString $a)) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/* The installed StatefulSet's --servers (0 when there is none, or no cluster to ask). */}}
{{- define "zookeeper.installedServers" -}}
{{- include "zookeeper.serversOf" (lookup "apps/v1" "StatefulSet" .Release.Namespace (include "zookeeper.fullname" .)) -}}
{{- end -}}

{{/*
zkpod's --servers, decided. Input: dict with "explicit" (initialServers, ""
when unset), "installed" (the installed StatefulSet's --servers, 0 when none
was found), "replicas" (replicaCount) and "static" ("true" for a static
server list). Dynamic membership: initialServers when set; else the
installed value, so that an upgrade leaves the pod template alone; else, at
install or without a cluster, replicaCount. A static server list is the
ensemble itself: it follows replicaCount (zookeeper.validate refuses to
change it on an installed release).
*/}}
{{- define "zookeeper.initialServers" -}}
{{- if .static -}}
{{- int .replicas -}}
{{- else if ne (toString .explicit) "" -}}
{{- int .explicit -}}
{{- else if gt (int .installed) 0 -}}
{{- int .installed -}}
{{- else -}}
{{- int .replicas -}}
{{- end -}}
{{- end -}}

{{/* zookeeper.initialServers for this release. */}}
{{- define "zookeeper.servers" -}}
{{- $v := include "zookeeper.effective" . | fromYaml -}}
{{- include "zookeeper.initialServers" (dict "explicit" (toString .Values.initialServers) "installed" (include "zookeeper.installedServers" .) "replicas" $v.replicas "static" (include "zookeeper.staticMembership" .)) -}}
{{- end -}}

{{/*
A static server list cannot change size on a running ensemble: a rolling
restart into a new server list can elect two leaders. Input: dict with
"current" (the installed --servers, 0 when none was found), "wanted"
(replicaCount) and "name".
*/}}
{{- define "zookeeper.staticScaleGuard" -}}
{{- $current := int .current -}}
{{- $wanted := int .wanted -}}
{{- if and (gt $current 0) (ne $current $wanted) -}}
{{- fail (printf "replicaCount=%d with ZOO_MEMBERSHIP=static would turn the installed %d-server ensemble %s into %d servers by a rolling restart into a new static server list, which can elect two leaders and lose acknowledged writes. Fix: keep replicaCount=%d, or drop ZOO_MEMBERSHIP=static from extraEnvVars (ZooKeeper 3.5.3+: dynamic membership scales safely)" $wanted $current .name $wanted $current) -}}
{{- end -}}
{{- end -}}

{{/* zoo.cfg keys of zkpod's dynamic membership, which zkpod refuses in --set. */}}
{{- define "zookeeper.membershipKeys" -}}
standaloneenabled: standaloneEnabled
reconfigenabled: reconfigEnabled
dynamicconfigfile: dynamicConfigFile
{{- end -}}

{{/* Environment variables the chart sets itself, with the value that sets each. */}}
{{- define "zookeeper.ownedEnv" -}}
ZOO_SERVICE: "(nothing: the chart names its headless Service)"
POD_NAMESPACE: "(nothing: the chart passes the pod's namespace)"
ZOO_CLUSTER_DOMAIN: clusterDomain
ZOO_SUPERUSER_PASSWORD_FILE: auth.existingSecret
ZOO_SERVERS: initialServers
{{- end -}}

{{/* Every refusal: one line each, what is wrong, what it means, the fix. */}}
{{- define "zookeeper.validate" -}}
{{- $v := include "zookeeper.effective" . | fromYaml -}}
{{- $name := include "zookeeper.fullname" . -}}
{{- /* Legacy values that no longer make sense. */ -}}
{{- if hasKey .Values "Image" -}}
{{- if regexMatch "^(.*/)?(java|openjdk)$" (toString .Values.Image) -}}
{{- fail (printf "Image=%s is the old chart's plain JRE image, which has neither zkpod nor ZooKeeper in it: this chart runs the zkpod image (docker/Dockerfile). Fix: drop Image and ImageTag, and set image.repository and image.tag to your zkpod image" (toString .Values.Image)) -}}
{{- end -}}
{{- end -}}
{{- if hasKey .Values "ImageTag" -}}
{{- if regexMatch "^openjdk|jre$" (toString .Values.ImageTag) -}}
{{- fail (printf "ImageTag=%s is a tag of the old chart's JRE image, not of a zkpod image: the pods would not start. Fix: drop ImageTag, and set image.tag to your zkpod image's tag (default: the chart's appVersion %s)" (toString .Values.ImageTag) .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}
{{- /* Names. */ -}}
{{- if gt (len $name) 52 -}}
{{- fail (printf "the StatefulSet name %q is %d characters long: Kubernetes labels each pod with <name>-<revision hash>, which must fit in 63 characters, so it may be at most 52. Fix: a shorter release name, or fullnameOverride" $name (len $name)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "the StatefulSet name %q is not a DNS label: the pods' host names <name>-N would be invalid. Fix: lowercase letters, digits and '-', no dots (release name, nameOverride or fullnameOverride)" $name) -}}
{{- end -}}
{{- /* Ensemble. */ -}}
{{- if or (lt (int $v.replicas) 1) (gt (int $v.replicas) 255) -}}
{{- fail (printf "replicaCount=%d is outside 1..255, the ensemble sizes zkpod can number. Fix: an odd number such as 3 or 5" (int $v.replicas)) -}}
{{- end -}}
{{- if include "zookeeper.staticMembership" . -}}
{{- include "zookeeper.staticScaleGuard" (dict "current" (include "zookeeper.installedServers" .) "wanted" (int $v.replicas) "name" $name) -}}
{{- if ne (toString .Values.initialServers) "" -}}
{{- fail (printf "initialServers=%s with ZOO_MEMBERSHIP=static: a static server list is the ensemble itself, so --servers must equal replicaCount (%d). Fix: drop initialServers" (toString .Values.initialServers) (int $v.replicas)) -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.podManagementPolicy "OrderedReady") .Values.readinessProbe.enabled (eq .Values.readinessProbe.mode "serving") (gt (int $v.replicas) 1) -}}
{{- fail "podManagementPolicy=OrderedReady with readinessProbe.mode=serving deadlocks: pod 0 serves only in a quorum, and pod 1 is created only after pod 0 is ready. Fix: podManagementPolicy=Parallel (recommended), or readinessProbe.mode=ruok" -}}
{{- end -}}
{{- /* Ports. */ -}}
{{- $ports := list (int $v.ports.client) (int $v.ports.follower) (int $v.ports.election) -}}
{{- if .Values.adminServer.enabled }}{{ $ports = append $ports (int $v.ports.adminServer) }}{{ end -}}
{{- if .Values.metrics.enabled }}{{ $ports = append $ports (int .Values.metrics.port) }}{{ end -}}
{{- if ne (len $ports) (len (uniq $ports)) -}}
{{- fail (printf "ports collide: client %d, follower %d, election %d%s%s: ZooKeeper binds each one separately. Fix: give containerPorts.client, .follower and .election (or the legacy PeerPort and LeaderElectionPort), containerPorts.adminServer and metrics.port distinct values" (int $v.ports.client) (int $v.ports.follower) (int $v.ports.election) (ternary (printf ", adminServer %d" (int $v.ports.adminServer)) "" .Values.adminServer.enabled) (ternary (printf ", metrics %d" (int .Values.metrics.port)) "" .Values.metrics.enabled)) -}}
{{- end -}}
{{- /* Heap and memory. */ -}}
{{- $limit := "" -}}
{{- with $v.resources.limits }}{{ with .memory }}{{ $limit = toString . }}{{ end }}{{ end -}}
{{- $limitMiB := include "zookeeper.mebibytes" $limit -}}
{{- $pct := include "zookeeper.heapPercent" $v.heap -}}
{{- if $pct -}}
{{- if or (lt (int $pct) 10) (gt (int $pct) 90) -}}
{{- fail (printf "heapSize=%s: the share of the memory limit must be 10%% to 90%%. Fix: auto (50%%) or auto:NN%% with NN in 10..90" $v.heap) -}}
{{- end -}}
{{- if not $limit -}}
{{- fail (printf "heapSize=%s takes a share of the container's memory limit, but resources.limits.memory is not set: zkpod would refuse to start. Fix: set resources.limits.memory (e.g. 1Gi), or a fixed heapSize (e.g. 512M)" $v.heap) -}}
{{- end -}}
{{- if $limitMiB -}}
{{- $heapMiB := floor (divf (mulf (floor (float64 $limitMiB)) (int $pct)) 100) -}}
{{- if lt $heapMiB 64.0 -}}
{{- fail (printf "heapSize=%s gives a %dM heap from resources.limits.memory=%s, too small for ZooKeeper: zkpod would refuse to start. Fix: resources.limits.memory of at least 256Mi" $v.heap (int $heapMiB) $limit) -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- $heapMiB := include "zookeeper.heapMebibytes" $v.heap -}}
{{- if not $heapMiB -}}
{{- fail (printf "heapSize=%s is not a heap size. Fix: auto, auto:NN%%, a JVM size such as 512M or 2G, or a number of MiB such as 1024" $v.heap) -}}
{{- end -}}
{{- if lt (float64 $heapMiB) 16.0 -}}
{{- fail (printf "heapSize=%s is below 16M, too small for ZooKeeper to start. Fix: auto, or at least 256M" $v.heap) -}}
{{- end -}}
{{- if and $limitMiB (ge (float64 $heapMiB) (float64 $limitMiB)) -}}
{{- fail (printf "heapSize=%s does not fit in resources.limits.memory=%s: the JVM would be OOMKilled. Fix: heapSize=auto (half the limit), or raise resources.limits.memory" $v.heap $limit) -}}
{{- end -}}
{{- end -}}
{{- if regexMatch "(^|\\s)-X(mx|ms|X:MaxHeapSize=|X:InitialHeapSize=|X:MaxRAMPercentage=)" (toString .Values.jvmFlags) -}}
{{- fail (printf "jvmFlags=%q sets the heap, which zkpod sets from heapSize (exactly one -Xmx; zkpod refuses a second). Fix: move the size to heapSize and drop it from jvmFlags" (toString .Values.jvmFlags)) -}}
{{- end -}}
{{- /* Session timeouts (zkpod checks them against tickTime as well). */ -}}
{{- if and (ne (toString .Values.minSessionTimeout) "") (ne (toString .Values.maxSessionTimeout) "") -}}
{{- if gt (int .Values.minSessionTimeout) (int .Values.maxSessionTimeout) -}}
{{- fail (printf "minSessionTimeout=%d is above maxSessionTimeout=%d: ZooKeeper could not negotiate any session timeout. Fix: minSessionTimeout <= maxSessionTimeout" (int .Values.minSessionTimeout) (int .Values.maxSessionTimeout)) -}}
{{- end -}}
{{- end -}}
{{- /* extraConfig keys. */ -}}
{{- $owned := include "zookeeper.ownedKeys" . | fromYaml -}}
{{- $membershipKeys := include "zookeeper.membershipKeys" . | fromYaml -}}
{{- range $key, $val := .Values.extraConfig -}}
{{- $lk := lower $key -}}
{{- if hasKey $membershipKeys $lk -}}
{{- fail (printf "extraConfig.%s is a key of zkpod's dynamic membership: zkpod decides whether ZooKeeper may reconfigure and where its committed configuration lives, and refuses the key from anywhere else (a second source could restart a server with a stale view of the ensemble). Fix: drop it; for a fixed server list (ZooKeeper 3.4), add ZOO_MEMBERSHIP=static to extraEnvVars" $key) -}}
{{- end -}}
{{- if hasKey $owned $lk -}}
{{- fail (printf "extraConfig.%s is a zoo.cfg key that zkpod derives from a flag of its own, so the two would disagree. Fix: set %s instead" $key (get $owned $lk)) -}}
{{- end -}}
{{- if hasPrefix "server." $lk -}}
{{- fail (printf "extraConfig.%s is a server line: zkpod builds the server list from the pod names and replicaCount, and a hand-written line would disagree with it. Fix: drop it and set replicaCount" $key) -}}
{{- end -}}
{{- if not (regexMatch "^[^\\s#=]+$" $key) -}}
{{- fail (printf "extraConfig key %q is not a zoo.cfg key (no spaces, '#' or '='). Fix: write it as in zoo.cfg, e.g. snapCount" $key) -}}
{{- end -}}
{{- if or (kindIs "map" $val) (kindIs "slice" $val) (regexMatch "[\\r\\n]" (toString $val)) -}}
{{- fail (printf "extraConfig.%s must be a single value (a string, number or boolean on one line): it becomes one zoo.cfg line. Fix: e.g. extraConfig.%s: \"value\"" $key $key) -}}
{{- end -}}
{{- end -}}
{{- /* Environment variables the chart sets itself. */ -}}
{{- $ownedEnv := include "zookeeper.ownedEnv" . | fromYaml -}}
{{- range .Values.extraEnvVars -}}
{{- if hasKey $ownedEnv (toString .name) -}}
{{- fail (printf "extraEnvVars sets %s, which the chart sets itself: the pod would get two values. Fix: drop it from extraEnvVars and set %s instead" (toString .name) (get $ownedEnv (toString .name))) -}}
{{- end -}}
{{- end -}}
{{- /* Membership: the service account that may read the StatefulSet, the superuser Secret. */ -}}
{{- if and (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) -}}
{{- fail "serviceAccount.create=false needs serviceAccount.name: the pods' account must be allowed to get their StatefulSet (zkpod leave reads its replicas to tell a scale-down from a restart), and the chart will not grant that to the namespace's default account unasked. Fix: serviceAccount.create=true, or serviceAccount.name=<an existing account>" -}}
{{- end -}}
{{- if and (not .Values.rbac.create) .Values.serviceAccount.create -}}
{{- fail (printf "rbac.create=false with serviceAccount.create=true: the new account %s could not get the StatefulSet %s, so zkpod leave (preStop) could not tell a scale-down from a restart and would remove nothing: scaled-away servers would stay voters and a later failure could cost the quorum. Fix: rbac.create=true, or bind a Role with get on statefulsets/%s to an existing account yourself and set serviceAccount.create=false and serviceAccount.name" (include "zookeeper.serviceAccountName" .) $name $name) -}}
{{- end -}}
{{- if not (regexMatch "^[-._a-zA-Z0-9]+$" (toString .Values.auth.existingSecretPasswordKey)) -}}
{{- fail (printf "auth.existingSecretPasswordKey=%q is not a Secret key (letters, digits, '-', '_', '.'). Fix: the key of auth.existingSecret that holds the password, e.g. password" (toString .Values.auth.existingSecretPasswordKey)) -}}
{{- end -}}
{{- /* Pod Disruption Budget. */ -}}
{{- if and .Values.pdb.create (ne (toString .Values.pdb.minAvailable) "") (ne (toString .Values.pdb.maxUnavailable) "") -}}
{{- fail "pdb.minAvailable and pdb.maxUnavailable are both set; a PodDisruptionBudget takes one. Fix: keep one (maxUnavailable: 1 keeps a 3-server quorum through drains)" -}}
{{- end -}}
{{- /* Storage. */ -}}
{{- if and .Values.persistence.dataLogDir.enabled (not .Values.persistence.enabled) -}}
{{- fail "persistence.dataLogDir.enabled=true needs persistence.enabled=true: a claim for the transaction log next to an emptyDir for the snapshots would keep half of the data. Fix: persistence.enabled=true, or persistence.dataLogDir.enabled=false" -}}
{{- end -}}
{{- /* Scheduling. */ -}}
{{- with .Values.nodeAffinityPreset -}}
{{- if and .type (or (not .key) (not .values)) -}}
{{- fail (printf "nodeAffinityPreset.type=%s needs nodeAffinityPreset.key and nodeAffinityPreset.values: the rule would match no node. Fix: e.g. --set nodeAffinityPreset.key=node-role/zookeeper,nodeAffinityPreset.values={true}" .type) -}}
{{- end -}}
{{- end -}}
{{- /* Security. */ -}}
{{- if and (not $v.openshift) (eq (toString .Values.podSecurityContext.runAsUser) "0") (or .Values.podSecurityContext.runAsNonRoot .Values.containerSecurityContext.runAsNonRoot) -}}
{{- fail "podSecurityContext.runAsUser=0 contradicts runAsNonRoot=true: the kubelet would refuse to start the container. Fix: the image's uid 1000 (the default), or any non-zero uid" -}}
{{- end -}}
{{- /* Features that come later. */ -}}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) -}}
{{- fail "metrics.serviceMonitor.enabled=true with metrics.enabled=false: the ServiceMonitor would scrape a port nothing serves. Fix: metrics.enabled=true, or metrics.serviceMonitor.enabled=false" -}}
{{- end -}}
{{- if or (dig "client" "enabled" false .Values.tls) (dig "quorum" "enabled" false .Values.tls) -}}
{{- fail "tls.client.enabled/tls.quorum.enabled: this chart turns on client and quorum TLS together. Fix: tls.enabled=true with tls.existingSecret (or tls.certManager.create=true), and drop tls.client/tls.quorum" -}}
{{- end -}}
{{- if .Values.tls.enabled -}}
{{- if and (not .Values.tls.existingSecret) (not .Values.tls.certManager.create) -}}
{{- fail "tls.enabled=true without a Secret: zkpod needs tls.crt, tls.key and ca.crt. Fix: tls.existingSecret=<a Secret in cert-manager's layout>, or tls.certManager.create=true with tls.certManager.issuerRef.name=<your Issuer>" -}}
{{- end -}}
{{- if and .Values.tls.certManager.create (not .Values.tls.certManager.issuerRef.name) -}}
{{- fail "tls.certManager.create=true without tls.certManager.issuerRef.name: cert-manager would not know who signs the certificate. Fix: --set tls.certManager.issuerRef.name=<Issuer or ClusterIssuer> (and issuerRef.kind=ClusterIssuer for a cluster-wide one)" -}}
{{- end -}}
{{- if .Values.tests.enabled -}}
{{- fail "tls.enabled=true with tests.enabled=true: the chart's helm test pod (ensemble-check) connects in plaintext, and ZooKeeper's command-line client it runs cannot read cert-manager's key files, so it would fail against a TLS-only ensemble. Fix: --set tests.enabled=false (check the ensemble with `kubectl exec <pod> -- zkpod status`, which speaks TLS by itself)" -}}
{{- end -}}
{{- $ports := list (int $v.ports.client) (int $v.ports.follower) (int $v.ports.election) -}}
{{- if has (int .Values.tls.port) $ports -}}
{{- fail (printf "tls.port=%d is also a containerPorts value: ZooKeeper would fail to bind the second listener. Fix: keep tls.port at 2281, or give it a port of its own" (int .Values.tls.port)) -}}
{{- end -}}
{{- end -}}
{{- if or .Values.auth.client.enabled .Values.auth.quorum.enabled -}}
{{- fail "auth.client.enabled/auth.quorum.enabled=true: zkpod cannot configure SASL authentication yet, and a chart that ignored it would serve without it. Fix: leave auth.client.enabled and auth.quorum.enabled false (auth.existingSecret is the reconfig superuser's password, which is always on)" -}}
{{- end -}}
{{- end -}}

{{/* Warnings for NOTES.txt, one per line (empty when there are none). */}}
{{- define "zookeeper.warnings" -}}
{{- $v := include "zookeeper.effective" . | fromYaml -}}
{{- $n := int $v.replicas -}}
{{- if eq $n 1 }}
- replicaCount=1 runs a single voter: no fault tolerance. Use 3 or 5 in production; `helm upgrade --reuse-values --set replicaCount=3` grows it while it serves.
{{- else if eq (mod $n 2) 0 }}
- replicaCount={{ $n }} is even: a quorum needs {{ add (div $n 2) 1 }} of {{ $n }} servers, so it survives {{ div (sub $n 1) 2 }} failure(s), no more than {{ sub $n 1 }} servers would. Prefer an odd number ({{ sub $n 1 }} or {{ add $n 1 }}).
{{- end }}
{{- if and (eq .Values.podAntiAffinityPreset "hard") (not .Values.affinity) (gt $n 1) }}
- podAntiAffinityPreset=hard places at most one server per node: the cluster needs at least {{ $n }} schedulable nodes, or the pods beyond the node count stay Pending (and a drain of one node leaves its pod Pending until the node returns).
{{- end }}
{{- if not .Values.persistence.enabled }}
- persistence.enabled=false: the data lives in an emptyDir and is lost whenever a pod is deleted or rescheduled. Losing a majority of them loses acknowledged writes.
{{- end }}
{{- if .Values.pdb.create }}
{{- $tolerated := div (sub $n 1) 2 -}}
{{- $max := toString .Values.pdb.maxUnavailable -}}
{{- $min := toString .Values.pdb.minAvailable -}}
{{- if regexMatch "^[0-9]+$" $max }}{{ if gt (int $max) $tolerated }}
- pdb.maxUnavailable={{ $max }} lets voluntary disruptions (drains) take more servers than the quorum tolerates ({{ $tolerated }} of {{ $n }}): the ensemble would stop serving.
{{- end }}{{ end }}
{{- if regexMatch "^[0-9]+$" $min }}{{ if lt (int $min) (sub $n $tolerated) }}
- pdb.minAvailable={{ $min }} is below the quorum of {{ sub $n $tolerated }}: drains could stop the ensemble from serving.
{{- end }}{{ end }}
{{- else }}
- pdb.create=false: node drains may evict several servers at once and stop the ensemble from serving.
{{- end }}
{{- $heapMiB := include "zookeeper.heapMebibytes" $v.heap -}}
{{- $limitMiB := "" -}}
{{- with $v.resources.limits }}{{ with .memory }}{{ $limitMiB = include "zookeeper.mebibytes" . }}{{ end }}{{ end -}}
{{- if and $heapMiB $limitMiB }}{{ if ge (float64 $heapMiB) (mulf (float64 $limitMiB) 0.9) }}
- heapSize={{ $v.heap }} leaves less than 10% of resources.limits.memory={{ $v.resources.limits.memory }} for the JVM's own memory: the pod may be OOMKilled under load. Prefer heapSize=auto.
{{- end }}{{ end }}
{{- $servers := int (include "zookeeper.servers" .) -}}
{{- $installed := int (include "zookeeper.installedServers" .) -}}
{{- if and (not (include "zookeeper.staticMembership" .)) (ne (toString .Values.initialServers) "") }}
{{- if and (gt $installed 0) (ne $installed $servers) }}
- initialServers={{ $servers }} differs from the installed StatefulSet's --servers={{ $installed }}: every pod restarts, one at a time, for a flag that has no effect on a running ensemble (its committed configuration decides the membership). Set initialServers={{ $installed }} to scale without restarts.
{{- end }}
{{- if gt $servers $n }}
- initialServers={{ $servers }} is above replicaCount={{ $n }}: harmless for a running ensemble, but a first install would bootstrap {{ $servers }} voters of which only {{ $n }} exist{{ if le $n (div $servers 2) }}, too few for a quorum{{ end }}.
{{- end }}
{{- end }}
{{- if and (ne (toString .Values.terminationGracePeriodSeconds) "") (lt (int .Values.terminationGracePeriodSeconds) 70) }}
- terminationGracePeriodSeconds={{ int .Values.terminationGracePeriodSeconds }} may cut short zkpod leave (the preStop hook, which takes up to 60 s) on a scale-down: the server would stop while still a voter until a later zkpod join removes it. Prefer 90.
{{- end }}
{{- if not .Values.rbac.create }}
- rbac.create=false: the service account {{ include "zookeeper.serviceAccountName" . }} needs `get` on statefulsets/{{ include "zookeeper.fullname" . }}. Without it zkpod leave cannot tell a scale-down from a restart and removes nothing, so scaled-away servers stay voters; zkpod join removes them later only if it can read the StatefulSet.
{{- end }}
{{- $legacy := list -}}
{{- range $old, $new := dict "Name" "names <release>-<Name>; now fullnameOverride" "Image" "now image.repository" "ImageTag" "now image.tag" "ImagePullPolicy" "now image.pullPolicy" "Replicas" "now replicaCount" "Component" "the label component=<release>-<Component>, still set" "Cpu" "now resources.requests.cpu" "Memory" "now resources.requests.memory and resources.limits.memory" "PeerPort" "now containerPorts.follower" "LeaderElectionPort" "now containerPorts.election" "Storage" "now persistence.size" -}}
{{- if hasKey $.Values $old }}{{ $legacy = append $legacy (printf "%s (%s)" $old $new) }}{{ end -}}
{{- end -}}
{{- if $legacy }}
- legacy parameters of the incubator chart were applied: {{ join ", " $legacy }}. They keep working; the README's migration table gives the current names.
{{- end }}
{{- end -}}
