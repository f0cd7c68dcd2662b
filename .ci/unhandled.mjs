// A vitest reporter for CI: writes the run's unhandled errors (an 'error' event nobody heard,
// a rejection nobody caught) beside the JSON report, as `<report>.unhandled.json`. They fail
// the run while every test passes, and vitest's JSON report leaves them out: .ci/failures.mjs
// prints them with the failed tests.
import { writeFileSync } from 'node:fs';

export default class UnhandledErrors {
  onInit(vitest) {
    const output = vitest.config.outputFile;
    this.path = typeof output === 'object' && output?.json ? `${output.json}.unhandled.json` : undefined;
  }

  onTestRunEnd(_modules, unhandledErrors) {
    if (!this.path) return;
    const errors = unhandledErrors.map((error) => ({
      message: String(error?.stack ?? error?.message ?? error),
      // vitest names the file (and the test) that was running when the error came.
      file: error?.VITEST_TEST_PATH,
      test: error?.VITEST_TEST_NAME,
    }));
    writeFileSync(this.path, JSON.stringify(errors));
  }
}
