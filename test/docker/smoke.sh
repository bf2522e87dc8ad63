#!/usr/bin/env bash
# Builds the real Dockerfile with podman and runs the image as the Airbyte platform does:
# spec, check, discover, and a two-pipeline read (one with a Python transformation), full then
# incremental, then a read stopped with SIGTERM, against the Stripe API emulator on the host. Every message is validated against
# the official Airbyte protocol schema; labels and AIRBYTE_ENTRYPOINT are checked. Then the
# standalone tool in the same image: `sync` into a DuckDB file on a mounted folder (full, then
# incremental, checked by querying the file from the host) and `serve` answering its API; and the
# exit codes an orchestrator acts on (3 for an unreachable warehouse, 2 for no command).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
IMAGE=${IMAGE:-localhost/source-stripe-customers:dev}
TSX="node_modules/.bin/tsx"
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const r=(new Function("v","return "+process.argv[1]))(v);process.stdout.write(typeof r==="string"?r:JSON.stringify(r))})' "$1"; }

# shellcheck source=/dev/null
source "$ROOT/../shared/tools/container-base.sh" 22
echo "smoke: building $IMAGE"
start=$(date +%s)
podman build --pull=never -q -t "$IMAGE" . >/dev/null
echo "smoke: built in $(( $(date +%s) - start )) s, size $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1000/1000}')"

# Labels and entrypoint must agree with metadata.yaml and with each other.
labels=$(podman image inspect "$IMAGE" --format '{{json .Config.Labels}}')
entrypoint=$(podman image inspect "$IMAGE" --format '{{json .Config.Entrypoint}}')
env=$(podman image inspect "$IMAGE" --format '{{json .Config.Env}}')
user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
name=$(echo "$labels" | json 'v["io.airbyte.name"]')
version=$(echo "$labels" | json 'v["io.airbyte.version"]')
grep -q "dockerRepository: $name\$" metadata.yaml || fail "label io.airbyte.name=$name does not match metadata.yaml"
grep -q "dockerImageTag: $version\$" metadata.yaml || fail "label io.airbyte.version=$version does not match metadata.yaml"
joined=$(echo "$entrypoint" | json 'v.join(" ")')
echo "$env" | json 'v.join("\n")' | grep -qx "AIRBYTE_ENTRYPOINT=$joined" || fail "AIRBYTE_ENTRYPOINT is not '$joined'"
[ -n "$user" ] && [ "$user" != "root" ] && [ "$user" != "0" ] || fail "the image runs as root"
echo "smoke: labels $name:$version, entrypoint '$joined', user $user"

# The emulator on the host, reached by the container through --network=host.
work=$(mktemp -d /tmp/smoke.XXXXXX)
chmod 755 "$work"
"$TSX" test/emulator/main.ts --port 0 --customers 400 --seed 9 > "$work/emulator.out" 2>&1 &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/emulator.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/emulator.out" | head -1)
[ -n "$url" ] || fail "the emulator did not start: $(cat "$work/emulator.out")"
curl -s -X POST -H 'content-type: application/json' -d '{"advance_seconds":3600}' "$url/_emulator/clock" >/dev/null

cat > "$work/config.json" <<JSON
{
  "api_key": "sk_test_emulator",
  "api_base_url": "$url",
  "requests_per_second": 50,
  "customer_model": [
    { "name": "email", "type": "string" },
    { "name": "plan", "type": "string" },
    { "name": "signed_up", "type": "datetime" }
  ],
  "pipelines": [
    { "name": "customers" },
    {
      "name": "pro_customers",
      "filter": { "logical": "all", "conditions": [{ "property": "metadata.plan", "operator": "is", "values": ["pro"] }] },
      "transformation": {
        "type": "python",
        "source": "def transform(customer):\n    return {'email': (customer.get('email') or '').lower() or None, 'plan': customer['metadata'].get('plan'), 'signed_up': customer['created']}\n"
      }
    }
  ]
}
JSON
run() { podman run --rm -i --network=host -v "$work:/data:ro" "$IMAGE" "$@"; }
summary() { "$TSX" test/docker/messages.ts "$1" || fail "invalid protocol messages in $1"; }

run spec > "$work/spec.out" || fail "spec exited $?"
[ "$(summary "$work/spec.out" | json 'v.types.SPEC')" = "1" ] || fail "spec printed no SPEC"

run check --config /data/config.json > "$work/check.out" || fail "check exited $?"
[ "$(summary "$work/check.out" | json 'v.connectionStatus')" = "SUCCEEDED" ] || fail "check: $(cat "$work/check.out")"

run discover --config /data/config.json > "$work/discover.out" || fail "discover exited $?"
summary "$work/discover.out" > "$work/discover.json"
node -e 'const fs=require("fs");const c=JSON.parse(fs.readFileSync(process.argv[1],"utf8").split("\n").find(l=>l.includes("CATALOG")));fs.writeFileSync(process.argv[2],JSON.stringify({streams:c.catalog.streams.map(s=>({stream:s,sync_mode:"incremental",destination_sync_mode:"append_dedup"}))}))' "$work/discover.out" "$work/catalog.json"
[ "$(json 'v.streams.join(",")' < "$work/discover.json")" = "customers,pro_customers" ] || fail "discover: $(cat "$work/discover.json")"

run read --config /data/config.json --catalog /data/catalog.json > "$work/read1.out" || fail "read #1 exited $?: $(tail -3 "$work/read1.out")"
summary "$work/read1.out" > "$work/read1.json"
[ "$(json 'v.records.customers' < "$work/read1.json")" = "400" ] || fail "read #1: $(cat "$work/read1.json")"
pro=$(json 'v.records.pro_customers' < "$work/read1.json")
[ "$pro" -gt 0 ] && [ "$pro" -lt 400 ] || fail "read #1 pro_customers: $pro"
json 'JSON.stringify(v.sample.pro_customers)' < "$work/read1.json" | grep -q '"signed_up":"[0-9-]*T' || fail "the Python transformation's output is not in the model's shape: $(json 'JSON.stringify(v.sample)' < "$work/read1.json")"
json 'v.lastStates' < "$work/read1.json" > "$work/state.json"

"$TSX" test/docker/mutate.ts "$url"
run read --config /data/config.json --catalog /data/catalog.json --state /data/state.json > "$work/read2.out" || fail "read #2 exited $?"
summary "$work/read2.out" > "$work/read2.json"
changes=$(json '[v.records.customers, v.records.pro_customers, v.deletions].join(",")' < "$work/read2.json")
# customers: 2 created + 1 updated + 1 deleted; pro_customers: 1 created + 1 updated (+ a deletion if the deleted one was pro)
case "$changes" in
  4,2,1|4,3,2) ;;
  *) fail "read #2 (incremental) emitted customers,pro_customers,deletions = $changes: $(cat "$work/read2.json")" ;;
esac
# SIGTERM, as the platform sends it to stop a sync: the read stops right after a checkpoint,
# says so, and exits 143. A slow API keeps the read going long enough to be stopped.
curl -s -X POST -H 'content-type: application/json' -d '{"latencyMs":300}' "$url/_emulator/faults" >/dev/null
node -e 'const c=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));c.requests_per_second=2;c.concurrency=1;process.stdout.write(JSON.stringify(c))' "$work/config.json" > "$work/slow.json"
podman run --rm -i --name smoke-sigterm --network=host -v "$work:/data:ro" "$IMAGE" \
  read --config /data/slow.json --catalog /data/catalog.json > "$work/term.out" &
term_pid=$!
for _ in $(seq 1 300); do grep -q '"type":"STATE"' "$work/term.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"type":"STATE"' "$work/term.out" || fail "the slow read printed no STATE to stop after"
podman kill --signal TERM smoke-sigterm >/dev/null
term_code=0
wait "$term_pid" || term_code=$?
curl -s -X POST -H 'content-type: application/json' -d '{"latencyMs":0}' "$url/_emulator/faults" >/dev/null
[ "$term_code" = "143" ] || fail "a read stopped with SIGTERM exited $term_code, not 143: $(tail -3 "$work/term.out")"
summary "$work/term.out" > "$work/term.json"
json 'v.afterLastState.includes("RECORD") ? "records" : "clean"' < "$work/term.json" | grep -qx clean \
  || fail "records were printed after the last checkpoint of a stopped read: $(cat "$work/term.json")"
json 'v.errors.join("\n")' < "$work/term.json" | grep -q 'stopped (SIGTERM)' \
  || fail "a stopped read did not say why: $(cat "$work/term.json")"
records_before_stop=$(json 'Object.values(v.records).reduce((a, b) => a + b, 0)' < "$work/term.json")
echo "smoke: SIGTERM stopped a read after its last checkpoint ($records_before_stop records), exit 143"

# The standalone tool: `sync` into a DuckDB file on a mounted folder the container's user may write.
mkdir -p "$work/out" && chmod 777 "$work/out"
standalone_sync() { podman run --rm -i --network=host -v "$work:/data:ro" -v "$work/out:/out" "$IMAGE" sync --config /data/config.json --destination duckdb:/out/stripe_customers.duckdb --json; }
standalone_sync > "$work/sync1.json" || fail "sync #1 exited $?: $(cat "$work/sync1.json")"
live=$(node -e 'const S=require("stripe");const u=new URL(process.argv[1]);const s=new S("sk_test_emulator",{host:u.hostname,port:u.port,protocol:"http"});(async()=>{let n=0;for await (const _ of s.customers.list({limit:100}))n++;console.log(n)})()' "$url")
[ "$(json 'v.pipelines.map(p=>p.pipeline+":"+p.status+":"+p.mode).join(",")' < "$work/sync1.json")" = "customers:succeeded:full_import,pro_customers:succeeded:full_import" ] \
  || fail "sync #1: $(cat "$work/sync1.json")"
[ "$(json 'v.pipelines[0].inserted' < "$work/sync1.json")" = "$live" ] || fail "sync #1 wrote $(json 'v.pipelines[0].inserted' < "$work/sync1.json") customers, Stripe has $live"
"$TSX" test/docker/mutate.ts "$url"
standalone_sync > "$work/sync2.json" || fail "sync #2 exited $?: $(cat "$work/sync2.json")"
counts=$(json '[v.pipelines[0].mode, v.pipelines[0].inserted, v.pipelines[0].updated, v.pipelines[0].deleted].join(",")' < "$work/sync2.json")
[ "$counts" = "incremental,2,1,1" ] || fail "sync #2 (incremental) mode,inserted,updated,deleted = $counts: $(cat "$work/sync2.json")"
rows=$(node -e 'const {DuckDBInstance}=require("@duckdb/node-api");(async()=>{const i=await DuckDBInstance.create(process.argv[1]);const c=await i.connect();const r=await c.runAndReadAll("SELECT count(*) FROM customers");console.log(String(r.getRows()[0][0]))})()' "$work/out/stripe_customers.duckdb")
[ "$rows" = "$((live + 1))" ] || fail "the DuckDB file holds $rows customers, Stripe has $((live + 1))"
echo "smoke: sync wrote $live customers into DuckDB in the container, then an incremental sync ($counts); the file holds $rows"

# Exit codes are the image's too: a warehouse that cannot be reached is transient (3, safe to
# retry), a missing command is a wrong command line (2).
closed=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
down_code=0
podman run --rm -i --network=host -v "$work:/data:ro" "$IMAGE" sync --config /data/config.json \
  --destination "postgres://nobody@127.0.0.1:$closed/warehouse" > /dev/null 2> "$work/down.err" || down_code=$?
[ "$down_code" = "3" ] || fail "sync into an unreachable PostgreSQL exited $down_code, not 3: $(cat "$work/down.err")"
grep -q 'cannot be reached' "$work/down.err" || fail "sync into an unreachable PostgreSQL said: $(cat "$work/down.err")"
bare_code=0
podman run --rm "$IMAGE" > /dev/null 2> "$work/bare.err" || bare_code=$?
[ "$bare_code" = "2" ] && grep -q '^  serve ' "$work/bare.err" || fail "no command exited $bare_code: $(cat "$work/bare.err")"
echo "smoke: exit codes in the container: unreachable warehouse 3, no command 2 (with usage)"

# `serve` in the container: another address than 127.0.0.1 needs a token.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
podman run --rm -d --name smoke-serve --network=host -e SERVE_TOKEN=smoke-token -v "$work:/data:ro" -v "$work/out:/out" "$IMAGE" \
  serve --config /data/config.json --destination duckdb:/out/stripe_customers.duckdb --host 0.0.0.0 --port "$port" >/dev/null
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/pipelines")" = "401" ] || fail "serve answered without its token"
served=$(curl -s -H 'authorization: Bearer smoke-token' "http://127.0.0.1:$port/api/pipelines" | json 'v.pipelines.map(p=>p.name+":"+p.lastRuns[0].status).join(",")')
podman kill --signal TERM smoke-serve >/dev/null
serve_code=$(podman wait smoke-serve 2>/dev/null || echo gone)
[ "$served" = "customers:succeeded,pro_customers:succeeded" ] || fail "serve's API: $served"
echo "smoke: serve answered its API with a token and stopped on SIGTERM (exit $serve_code)"

echo "smoke: spec, check, discover, full read (400 + $pro records), incremental read ($changes), a SIGTERM stop, sync and serve passed in the container"
