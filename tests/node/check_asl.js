#!/usr/bin/env node
// Checks Amazon States Language files with the pinned npm tools; one process for all files.
//
//   node check_asl.js language-service FILE...  AWS Toolkit for VS Code's check of *.asl.json
//   node check_asl.js asl-validator FILE...     asl-validator (paths, JSONata, transitions, ARNs)
//
// Prints a JSON array with one {file, jsonError, diagnostics: [{line, column, severity, message}]}
// per file (line and column 1-based); the Python tests decide what fails.
"use strict";

const fs = require("fs");
const path = require("path");

// The AWS Toolkit's validation (amazon-states-language-service, pinned 1.16.1 like the Toolkit):
// getLanguageService + doValidation with comments and trailing commas as errors.
function languageService(files) {
  const { getLanguageService, TextDocument } = require("amazon-states-language-service");
  const ls = getLanguageService({});
  const severities = { 1: "Error", 2: "Warning", 3: "Information", 4: "Hint" };
  return Promise.all(
    files.map(async (file) => {
      const text = fs.readFileSync(file, "utf8");
      const doc = TextDocument.create(`file://${path.resolve(file)}`, "asl", 1, text);
      const found = await ls.doValidation(doc, ls.parseJSONDocument(doc), {
        comments: "error",
        trailingCommas: "error",
      });
      return {
        file,
        // Workflow Studio (the graph preview) refuses a file JSON.parse rejects.
        jsonError: jsonError(text),
        diagnostics: found.map((d) => ({
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
          severity: severities[d.severity] || String(d.severity),
          message: d.message,
        })),
      };
    }),
  );
}

function aslValidator(files) {
  const validator = require("asl-validator");
  return files.map((file) => {
    const text = fs.readFileSync(file, "utf8");
    const error = jsonError(text);
    if (error) {
      // asl-validator crashes on invalid JSON; report it instead.
      return { file, jsonError: error, diagnostics: [] };
    }
    // The CLI's defaults: path expressions and Resource ARNs are checked.
    const result = validator(JSON.parse(text), { checkArn: true, checkPaths: true });
    return {
      file,
      jsonError: null,
      diagnostics: result.isValid
        ? []
        : result.errors.map((e) => ({
            line: null,
            column: null,
            severity: "Error",
            message: `${e["Error code"] || ""} ${e.Message || JSON.stringify(e)}`.trim(),
          })),
    };
  });
}

function jsonError(text) {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return err.message;
  }
}

async function main() {
  const [mode, ...files] = process.argv.slice(2);
  const checks = { "language-service": languageService, "asl-validator": aslValidator };
  if (!checks[mode] || files.length === 0) {
    process.stderr.write("usage: node check_asl.js language-service|asl-validator FILE...\n");
    process.exit(2);
  }
  const results = await checks[mode](files);
  process.stdout.write(JSON.stringify(results, null, 1) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(2);
});
