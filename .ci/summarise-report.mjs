// Reads vitest's JSON report and prints what the run did, for `.ci/run`:
//   node .ci/summarise-report.mjs <report.json> [exit status of the test command]
// It prints one line per failed test (its file, its name, the first line of its failure; 20 at most),
// one line per kind of trouble (test files that did not load, with the first line of their
// error; files that failed outside their tests, as in a hook), then, last, the line
//   `N passed, N failed, N skipped; N test files, N failed (N did not load)`
// with `; run did not succeed` appended when it did not. A file that throws at import (or while its
// tests are collected) has no test in the report, only a failed file with a message; an unhandled
// error or rejection is in no test and no file at all: vitest exits 1, and its report may still say
// `success: true` (vitest 4.1), so the exit status of the test command is read as well.
// Exits 1 unless the report is there, says `success: true`, has no failed test or file, has at least
// one passed test, and the test command exited 0.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [file = '.vitest-report.json', status] = process.argv.slice(2);
const testStatus = status === undefined || status === '' ? 0 : Number(status);

/** The first non-empty line of `message`, or a placeholder. */
function firstLine(message) {
  const line = String(message ?? '')
    .split('\n')
    .map((part) => part.trim())
    .find((part) => part !== '');
  return line ?? '(no message)';
}

let report;
if (!existsSync(file)) {
  console.error(`no test report: ${file} is missing`);
} else {
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`cannot read ${file}: ${error.message}`);
  }
}

const files = Array.isArray(report?.testResults) ? report.testResults : [];
const passed = Number(report?.numPassedTests) || 0;
const failed = Number(report?.numFailedTests) || 0;
const skipped = (Number(report?.numPendingTests) || 0) + (Number(report?.numTodoTests) || 0);
const failedFiles = files.filter((result) => result.status === 'failed');
// A failed file with no test in it never got as far as registering its tests.
const notLoaded = failedFiles.filter((result) => (result.assertionResults ?? []).length === 0);
// A failed file whose tests all passed or were skipped failed outside them (a hook, a teardown).
const failedOutside = failedFiles.filter(
  (result) => (result.assertionResults ?? []).length > 0 && !result.assertionResults.some((test) => test.status === 'failed'),
);
const name = (result) => relative(process.cwd(), String(result.name ?? '(unnamed file)'));
const described = (result) => `${name(result)} (${firstLine(result.message)})`;

// Each failed test, with its file and the first line of its first failure, so that the end of the
// output, which is what is kept of a long run, says what failed without the rest.
const failedTests = files.flatMap((result) =>
  (result.assertionResults ?? [])
    .filter((test) => test.status === 'failed')
    .map((test) => `${name(result)} > ${test.fullName ?? test.title ?? '(unnamed test)'} (${firstLine(test.failureMessages?.[0])})`),
);
for (const line of failedTests.slice(0, 20)) console.log(`failed: ${line}`);
if (failedTests.length > 20) console.log(`failed: ${failedTests.length - 20} more, listed in vitest's output above`);
if (notLoaded.length > 0) console.log(`did not load: ${notLoaded.map(described).join('; ')}`);
if (failedOutside.length > 0) console.log(`failed outside its tests: ${failedOutside.map(described).join('; ')}`);
const unexplained = report !== undefined && failed === 0 && failedFiles.length === 0;
if (unexplained && report.success !== true) {
  console.log(
    "vitest's report says the run did not succeed (success: false) though no test or file failed: " +
      'an unhandled error or rejection, named in its output above',
  );
} else if (unexplained && testStatus !== 0) {
  console.log(`the test command exited with status ${status} though no test or file failed: an unhandled error or rejection, named in vitest's output above`);
} else if (testStatus !== 0) {
  console.log(`the test command exited with status ${status}`);
}

const ok = report !== undefined && report.success === true && testStatus === 0 && failed === 0 && failedFiles.length === 0 && passed > 0;
console.log(
  `${passed} passed, ${failed} failed, ${skipped} skipped; ` +
    `${files.length} test ${files.length === 1 ? 'file' : 'files'}, ${failedFiles.length} failed (${notLoaded.length} did not load)` +
    (ok ? '' : '; run did not succeed'),
);
process.exit(ok ? 0 : 1);
