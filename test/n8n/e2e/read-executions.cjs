/* eslint-disable */
// Reads the executions of a workflow from a headless n8n's SQLite database and prints, for each
// one, its mode and status and the items a node produced. Waits until at least MIN executions
// have finished. Run with n8n's own Node and NODE_PATH pointing at n8n's node_modules (it uses
// n8n's sqlite3 and flatted, the format n8n stores execution data in).
//
//   node read-executions.cjs DATABASE WORKFLOW_ID NODE_NAME MIN TIMEOUT_SECONDS
'use strict';
const sqlite3 = require('sqlite3');
const { parse } = require('flatted');

const [database, workflowId, nodeName, min = '1', timeout = '120'] = process.argv.slice(2);

function query(sql, params) {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(database, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.all(sql, params, (err, rows) => {
        db.close();
        if (err) reject(err);
        else resolve(rows);
      });
    });
  });
}

async function finished() {
  return query(
    `SELECT e.id, e.mode, e.status, d.data FROM execution_entity e
       JOIN execution_data d ON d.executionId = e.id
      WHERE e.workflowId = ? AND e.status IN ('success', 'error', 'crashed')
      ORDER BY CAST(e.id AS INTEGER)`,
    [workflowId],
  ).catch(() => []);
}

async function main() {
  const deadline = Date.now() + Number(timeout) * 1000;
  let rows = await finished();
  while (rows.length < Number(min) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rows = await finished();
  }
  const executions = rows.map((row) => {
    const data = parse(row.data);
    const task = data.resultData.runData[nodeName]?.[0];
    const items = (task?.data?.main?.[0] ?? []).map((item) => item.json);
    const error = data.resultData.error;
    return {
      id: row.id,
      mode: row.mode,
      status: row.status,
      ...(error ? { error: error.message } : {}),
      items,
    };
  });
  process.stdout.write(`${JSON.stringify(executions)}\n`);
  if (executions.length < Number(min)) {
    process.stderr.write(`only ${executions.length} execution(s) after ${timeout} s\n`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exitCode = 1;
});
