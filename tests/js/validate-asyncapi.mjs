// Validates an AsyncAPI document with the AsyncAPI project's own parser (@asyncapi/parser),
// for the Rust test `tests/documents.rs`. Usage: node validate-asyncapi.mjs FILE
// Prints every diagnostic, one JSON object a line ({severity, code, message, path}); exits 1
// when any has severity error (0) or the document could not be parsed, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate-asyncapi.mjs FILE");
  process.exit(2);
}
const text = await readFile(file, "utf8");
const { document, diagnostics } = await new Parser().parse(text);
let errors = 0;
for (const d of diagnostics) {
  if (d.severity === DiagnosticSeverity.Error) errors += 1;
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
if (!document) {
  console.log(JSON.stringify({ severity: 0, code: "no-document", message: "the parser returned no document" }));
  process.exit(1);
}
console.log(JSON.stringify({ parsed: true, version: document.version(), errors }));
process.exit(errors > 0 ? 1 : 0);
