// The floor `policy check` is measured against: the same files parsed by the YAML library the check uses
// (tools/manifests/documents.ts), with the same options, and nothing else. Plain JavaScript, so that it
// runs in a bare node process with no compile step and no loader of its own.
//   node bench/policy-parse-only.js FILE...
"use strict";
const fs = require("fs");
const { parseAllDocuments } = require("yaml");

const OPTIONS = { version: "1.1", schema: "failsafe", merge: false, uniqueKeys: false, resolveKnownTags: false, prettyErrors: false };

let documents = 0;
for (const file of process.argv.slice(2)) {
    const parsed = parseAllDocuments(fs.readFileSync(file, "utf8"), OPTIONS);
    documents += Array.isArray(parsed) ? parsed.length : 1;
}
process.stdout.write(`${documents} documents\n`);
