// Preloaded with `node -r` (or mocha's `--require`): the real @sentry/node, set up as an
// application would (includeLocalVariables), whose transport writes each envelope it would
// have sent to $ARGUS_CAPTURE_OUT/envelope-<n>.bin instead of the network.
//
//   ARGUS_SENTRY_NODE   folder of the installed @sentry/node package
//   ARGUS_CAPTURE_OUT   folder the envelopes are written to
//   ARGUS_CAPTURE_ALL   "1": also record variables of caught exceptions (a test runner
//                       catches every test's error; production code would crash instead)
//   ARGUS_CAPTURE_RELEASE  the release (a commit) the event names
'use strict';
const fs = require('fs');
const path = require('path');
const Sentry = require(process.env.ARGUS_SENTRY_NODE);

const out = process.env.ARGUS_CAPTURE_OUT;
let written = 0;

Sentry.init({
  dsn: 'http://argus0capture0public0key@127.0.0.1:9/1',
  release: process.env.ARGUS_CAPTURE_RELEASE || undefined,
  environment: 'production',
  includeLocalVariables: true,
  integrations: [
    Sentry.localVariablesIntegration({ captureAllExceptions: process.env.ARGUS_CAPTURE_ALL === '1' }),
  ],
  transport: (options) =>
    Sentry.createTransport(options, async (request) => {
      written += 1;
      const name = path.join(out, `envelope-${process.pid}-${written}.bin`);
      fs.writeFileSync(name, typeof request.body === 'string' ? request.body : Buffer.from(request.body));
      return { statusCode: 200 };
    }),
});

// The variables come from a debugger session a worker thread opens; it needs a moment.
globalThis.__argusSentryReady = new Promise((resolve) => setTimeout(resolve, 1500));
globalThis.__argusSentry = Sentry;

// Mocha root hooks (mocha >= 8): wait for the debugger, report each failed test's error.
exports.mochaHooks = {
  beforeAll() {
    this.timeout(10000);
    return globalThis.__argusSentryReady;
  },
  afterEach() {
    const test = this.currentTest;
    if (test && test.state === 'failed' && test.err) {
      Sentry.captureException(test.err, { tags: { test: test.fullTitle() } });
    }
  },
  afterAll() {
    return Sentry.flush(5000);
  },
};
