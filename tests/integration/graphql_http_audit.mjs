// Audit a GraphQL server with graphql-http's auditServer and print the results as JSON.
//
// usage: node graphql_http_audit.mjs <url> <token> <dir holding node_modules/graphql-http>
// The package is not vendored: tests/integration/test_api_compliance.py installs it with npm.
import { createRequire } from "node:module";
import { join } from "node:path";

const [url, token, dir] = process.argv.slice(2);
const require = createRequire(join(dir, "package.json"));
const { auditServer } = require("graphql-http");

const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const rows = results.map((r) => ({ id: r.id, name: r.name, status: r.status, reason: r.reason ?? null }));
process.stdout.write(JSON.stringify(rows));
