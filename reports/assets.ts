// The one place that reads files on behalf of the renderers: Chart.js's UMD build and the
// report's own browser script (reports/browser/client.js), inlined into every report so it
// opens offline. Renderers take Chart.js as an option (tests inject it); this is the default.
// chart.js does not export dist/chart.umd.js, so resolve the package's main file and look
// beside it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { PROJECT_ROOT } from '../harness/core/version.js';

let cached: string | null = null;
let cachedClient: string | null = null;

function chartJsPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.js');
}

/** Chart.js source without its sourceMappingURL, which would make devtools fetch a file. */
export function loadChartJs(): string {
  if (cached === null) {
    cached = readFileSync(chartJsPath(), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  }
  return cached;
}

/** The report's browser script: draws the inlined chart specs with Chart.js. */
export function loadClientJs(): string {
  cachedClient ??= readFileSync(join(PROJECT_ROOT, 'reports', 'browser', 'client.js'), 'utf8');
  return cachedClient;
}
