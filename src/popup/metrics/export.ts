import type { MetricsExport } from '../../workflow/metrics';

export const EXPORT_FILE = 'inos-metrics.json';

/** The text "Export JSON" downloads: exactly what `inos metrics --json` prints for the same snapshot. */
export function exportText(m: MetricsExport): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** Starts a download of the snapshot (an object URL on a temporary link, revoked afterwards). */
export function downloadExport(m: MetricsExport, doc: Document = document): void {
  const url = URL.createObjectURL(new Blob([exportText(m)], { type: 'application/json' }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = EXPORT_FILE;
  doc.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
