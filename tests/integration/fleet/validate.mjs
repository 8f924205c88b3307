// validate.mjs MANIFEST.yaml OUT.json - checks every object of a multi-
// document Kubernetes manifest against the API schema, offline: the
// validators of kubernetes-models are generated from Kubernetes' OpenAPI
// definitions (types, required fields, formats), a second opinion that
// shares nothing with lockstep. Prints "ok KIND NAME" or "invalid KIND
// NAME: WHY" per object, writes the objects as a JSON array to OUT.json (for
// jq in fleet.sh) and exits 1 when any object is invalid or unknown.
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  console.error("usage: validate.mjs MANIFEST.yaml OUT.json");
  process.exit(2);
}
const docs = parseAllDocuments(readFileSync(file, "utf8"));
const objs = [];
let bad = 0;
for (const doc of docs) {
  if (doc.errors.length) {
    console.log(`invalid YAML: ${doc.errors[0].message}`);
    bad++;
    continue;
  }
  const obj = doc.toJS();
  if (obj === null) continue;
  // kustomize folds binaryData's base64 over lines; the API server's Go
  // decoder (encoding/base64) skips \r and \n, the schema's "byte" format
  // does not: fold them back before checking
  if (obj.binaryData)
    for (const k of Object.keys(obj.binaryData))
      obj.binaryData[k] = String(obj.binaryData[k]).replace(/[\r\n]/g, "");
  objs.push(obj);
  const name = obj.metadata?.name ?? "(no name)";
  const av = String(obj.apiVersion ?? "");
  // "apps/v1" -> kubernetes-models/apps/v1/KIND; "v1" -> kubernetes-models/v1/KIND
  const path = `kubernetes-models/${av}/${obj.kind}`;
  let Model;
  try {
    Model = (await import(path))[obj.kind];
  } catch {
    console.log(`invalid ${obj.kind} ${name}: no schema for apiVersion ${av} kind ${obj.kind}`);
    bad++;
    continue;
  }
  try {
    new Model(obj).validate();
    console.log(`ok ${obj.kind} ${name}`);
  } catch (e) {
    console.log(`invalid ${obj.kind} ${name}: ${e.message}`);
    bad++;
  }
}
writeFileSync(out, JSON.stringify(objs));
process.exit(bad ? 1 : 0);
