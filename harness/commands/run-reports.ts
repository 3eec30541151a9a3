// Reports written beside result.json at the end of a run (and after an interrupt).
import { join } from 'node:path';
import { writeFileAtomic } from '../results/result-file.js';
import type { ResultFile } from '../results/types.js';
import { renderHtmlReport } from '../../reports/html.js';
import { renderSummaryMarkdown } from '../../reports/summary.js';

export async function writeReports(result: ResultFile, dir: string, owner: { uid: number; gid: number } | null): Promise<void> {
  await writeFileAtomic(join(dir, 'report.html'), renderHtmlReport([result]), { owner });
  await writeFileAtomic(join(dir, 'summary.md'), renderSummaryMarkdown(result), { owner });
}
