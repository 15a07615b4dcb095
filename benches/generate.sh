#!/usr/bin/env bash
# Benchmark: `argocd-karmada-plugin generate` on a generated plain-YAML app of 1,000 objects with 20
# per-cluster override entries, side by side with `kubectl kustomize` on a kustomization listing the
# same files, and `diff --matrix` (every object on every cluster) on the same app. Reports median wall time over RUNS runs and peak RSS (GNU time).
#
#   benches/generate.sh            # release build, 7 runs each
#   RUNS=3 benches/generate.sh
#   BASELINE_BIN=/path/to/older/argocd-karmada-plugin benches/generate.sh   # also time another build
set -euo pipefail
export LC_ALL=C  # EPOCHREALTIME with a dot
cd "$(dirname "$0")/.."

RUNS=${RUNS:-7}
OBJECTS=1000          # 250 files x (Deployment, Service, ConfigMap, ServiceAccount)
OVERRIDES=20
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time not found at $TIME (apt-get install time)" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "kubectl not found" >&2; exit 1; }

cargo build --release --quiet
BIN="$PWD/target/release/argocd-karmada-plugin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
app="$work/app"
mkdir -p "$app/manifests" "$work/.git"

# --- the app ---------------------------------------------------------------------------------
files=$((OBJECTS / 4))
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources:"
} > "$app/kustomization.yaml"
for i in $(seq -w 1 "$files"); do
  f="manifests/svc-$i.yaml"
  cat > "$app/$f" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-$i
  labels: {app.kubernetes.io/name: svc-$i, app.kubernetes.io/part-of: bench}
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: svc-$i}
  template:
    metadata:
      labels: {app.kubernetes.io/name: svc-$i}
    spec:
      serviceAccountName: svc-$i
      containers:
        - name: app
          image: registry.example.com/team/svc-$i:1.0.$i
          args: ["--port=8080", "--log-level=info"]
          env:
            - {name: SERVICE_NAME, value: svc-$i}
            - {name: LOG_FORMAT, value: json}
          envFrom:
            - configMapRef: {name: svc-$i-config}
          ports:
            - {name: http, containerPort: 8080}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
---
apiVersion: v1
kind: Service
metadata:
  name: svc-$i
  labels: {app.kubernetes.io/name: svc-$i}
spec:
  selector: {app.kubernetes.io/name: svc-$i}
  ports:
    - {name: http, port: 80, targetPort: http}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: svc-$i-config
data:
  FEATURE_FLAGS: "search,checkout,recommendations"
  UPSTREAM_URL: "http://svc-$i.internal:8080"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: svc-$i
YAML
  echo "  - $f" >> "$app/kustomization.yaml"
done

{
  echo "apiVersion: argocd-karmada-plugin/v1alpha1"
  echo "kind: Placement"
  echo "source:"
  echo "  directory: {}"
  echo "clusters:"
  printf "  names: ["
  for c in $(seq 1 "$OVERRIDES"); do printf "member%s%s" "$c" "$([ "$c" -lt "$OVERRIDES" ] && echo ', ')"; done
  echo "]"
  echo "replicas:"
  echo "  mode: Divided"
  echo "  weights: {$(for c in $(seq 1 "$OVERRIDES"); do printf "member%s: %s%s" "$c" "$c" "$([ "$c" -lt "$OVERRIDES" ] && echo ', ')"; done)}"
  echo "overrides:"
  for c in $(seq 1 "$OVERRIDES"); do
    echo "  - clusters: [member$c]"
    echo "    image: {registry: registry-$c.example.com}"
    echo "    labels: {topology.example.com/cluster: member$c}"
    echo "    env: {CLUSTER_NAME: member$c}"
  done
} > "$app/karmada.yaml"

# The same app without `overrides:` (sources + PropagationPolicy only), to show what overrides cost.
plain="$work/app-no-overrides"
mkdir -p "$plain"
ln -s ../app/manifests "$plain/manifests"
sed '/^overrides:/,$d' "$app/karmada.yaml" > "$plain/karmada.yaml"

# --- measure ---------------------------------------------------------------------------------
# One run: prints "<wall seconds> <max RSS KiB>"; fails loudly if the command fails. Wall time is
# bash's own clock around the command alone (no date(1) or time(1) process inside the measured
# span: their start-up, about 10 ms here, would weigh on a 50 ms run and not on a 1 s one); peak
# RSS comes from a second run of the same command under GNU time.
measure() {
  local out="$work/out" log="$work/time" t0 t1
  t0=$EPOCHREALTIME
  if ! "$@" > "$out" 2> "$work/err"; then
    echo "failed: $*" >&2; cat "$work/err" >&2; exit 1
  fi
  t1=$EPOCHREALTIME
  "$TIME" -f '%M' -o "$log" "$@" > /dev/null 2>&1 || { echo "failed under time: $*" >&2; exit 1; }
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}') $(cat "$log")"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A wall rss
tools="plugin plain kustomize matrix"
[ -n "${BASELINE_BIN:-}" ] && tools="$tools baseline"
for tool in $tools; do
  : > "$work/$tool.wall"; : > "$work/$tool.rss"
done
# Interleave the two tools so machine noise hits both alike.
for _ in $(seq 1 "$RUNS"); do
  read -r w m < <(cd "$app" && measure "$BIN" generate)
  echo "$w" >> "$work/plugin.wall"; echo "$m" >> "$work/plugin.rss"
  read -r w m < <(cd "$plain" && measure "$BIN" generate)
  echo "$w" >> "$work/plain.wall"; echo "$m" >> "$work/plain.rss"
  read -r w m < <(cd "$app" && measure "$BIN" diff --matrix)
  echo "$w" >> "$work/matrix.wall"; echo "$m" >> "$work/matrix.rss"
  read -r w m < <(measure kubectl kustomize "$app")
  echo "$w" >> "$work/kustomize.wall"; echo "$m" >> "$work/kustomize.rss"
  if [ -n "${BASELINE_BIN:-}" ]; then
    read -r w m < <(cd "$app" && measure "$BASELINE_BIN" generate)
    echo "$w" >> "$work/baseline.wall"; echo "$m" >> "$work/baseline.rss"
  fi
done
for tool in $tools; do
  wall[$tool]=$(median < "$work/$tool.wall")
  rss[$tool]=$(sort -n "$work/$tool.rss" | tail -1)
done

(cd "$app" && "$BIN" generate) > "$work/plugin.yaml"
docs=$(grep -c '^---$' "$work/plugin.yaml")
policies=$(grep -cE '^kind: (Cluster)?(Propagation|Override)Policy$' "$work/plugin.yaml" || true)
ratio=$(awk -v a="${wall[kustomize]}" -v b="${wall[plugin]}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')
ratio_plain=$(awk -v a="${wall[kustomize]}" -v b="${wall[plain]}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')

echo "input: $OBJECTS objects in $files files, $OVERRIDES override entries; output: $docs documents ($policies policies)"
echo "runs: $RUNS each, interleaved; wall = median, peak = max RSS over runs"
echo
echo "| command | wall (median) | peak RSS |"
echo "|---|---|---|"
printf '| `argocd-karmada-plugin generate` | %.3f s | %.1f MB |\n' "${wall[plugin]}" "$(awk -v k="${rss[plugin]}" 'BEGIN {print k/1024}')"
printf '| `argocd-karmada-plugin generate`, same app without `overrides:` | %.3f s | %.1f MB |\n' "${wall[plain]}" "$(awk -v k="${rss[plain]}" 'BEGIN {print k/1024}')"
printf '| `argocd-karmada-plugin diff --matrix` (1,000 objects x 20 clusters) | %.3f s | %.1f MB |\n' "${wall[matrix]}" "$(awk -v k="${rss[matrix]}" 'BEGIN {print k/1024}')"
printf '| `kubectl kustomize` (same files, no policies) | %.3f s | %.1f MB |\n' "${wall[kustomize]}" "$(awk -v k="${rss[kustomize]}" 'BEGIN {print k/1024}')"
if [ -n "${BASELINE_BIN:-}" ]; then
  printf '| baseline `%s generate` | %.3f s | %.1f MB |\n' "$BASELINE_BIN" "${wall[baseline]}" "$(awk -v k="${rss[baseline]}" 'BEGIN {print k/1024}')"
fi
echo
echo "speed-up vs kubectl kustomize: ${ratio}x with overrides, ${ratio_plain}x without"
echo "diff --matrix / generate: $(awk -v a="${wall[matrix]}" -v b="${wall[plugin]}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')x"
