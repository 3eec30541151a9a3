// The one place that reads a file on behalf of the renderers: Chart.js's UMD build, inlined
// into every report so it opens offline. Renderers take it as an option (tests inject it);
// this is the default. chart.js does not export dist/chart.umd.js, so resolve the package's
// main file and look beside it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | null = null;

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
