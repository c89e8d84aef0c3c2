// Timings of the render module: PSD chart (SVG, PNG), spectrogram chart (SVG, PNG), HTML report, and the
// 129 × 113 heatmap drawn as an embedded raster versus one Vega-Lite rect mark per cell.
// Run: node --import tsx -e "import('./bench/render.ts').then(async (m) => console.log(await m.benchRender()))"
import type { TopLevelSpec } from 'vega-lite';
import { psdExplanationSpec } from '../src/render/psd-chart.js';
import { spectrogramExplanationSpec } from '../src/render/spectrogram-chart.js';
import { renderChartSvg } from '../src/render/chart-svg.js';
import { svgToPng } from '../src/node/chart-png.js';
import { renderReport } from '../src/render/html-report.js';
import { vegaColorScale } from '../src/render/colormaps.js';

/** Milliseconds per operation (median of the repetitions). */
export interface RenderTimings {
  psdSvgMs: number;
  psdPngMs: number;
  spectrogramSvgMs: number;
  spectrogramPngMs: number;
  /** The same 129 × 113 heatmap panel drawn with one rect mark per cell (the alternative not taken). */
  spectrogramRectMarksSvgMs: number;
  reportMs: number;
  repetitions: number;
}

async function median(repetitions: number, run: () => Promise<unknown> | unknown): Promise<number> {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 10) / 10;
}

/** Times the render pipeline on synthetic wingbeat-like data (129-bin PSD, 129 × 113 spectrogram). */
export async function benchRender(repetitions = 5): Promise<RenderTimings> {
  const bins = 129;
  const frames = 113;
  const f = Float64Array.from({ length: bins }, (_, i) => (4000 * i) / (bins - 1));
  const spectrum = Float64Array.from(
    f,
    (x) => -65 + 40 * Math.exp(-(((x - 470) / 45) ** 2)) + 20 * Math.exp(-(((x - 940) / 45) ** 2)),
  );
  const attribution = Float64Array.from(f, (x) => Math.exp(-(((x - 470) / 60) ** 2)));
  const spec = new Float32Array(bins * frames);
  const heat = new Float32Array(bins * frames);
  for (let r = 0; r < bins; r++) {
    for (let c = 0; c < frames; c++) {
      const hz = (4000 * (bins - 1 - r)) / (bins - 1);
      spec[r * frames + c] = -70 + 50 * Math.exp(-(((hz - 470) / 40) ** 2));
      heat[r * frames + c] = Math.exp(-(((hz - 470) / 80) ** 2)) * Math.exp(-(((c - 55) / 25) ** 2));
    }
  }
  const psdSpec = psdExplanationSpec({
    spectrum,
    attribution,
    className: 'Ae_aegypti',
    score: 0.93,
    method: 'saliency',
  });
  const spectrogramSpec = spectrogramExplanationSpec({
    spectrogram: { values: spec, rows: bins, cols: frames },
    attribution: { values: heat, rows: bins, cols: frames },
    timeRange: [0, 0.6],
  });
  const cells = [];
  for (let r = 0; r < bins; r++)
    for (let c = 0; c < frames; c++) cells.push({ t: c, f: bins - 1 - r, v: heat[r * frames + c] });
  const rectSpec = {
    width: 320,
    height: 240,
    data: { values: cells },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 't', type: 'ordinal', axis: null },
      y: { field: 'f', type: 'ordinal', sort: 'descending', axis: null },
      color: { field: 'v', type: 'quantitative', scale: vegaColorScale('inferno', [0, 1]) },
    },
  } as TopLevelSpec;
  const psdSvg = await renderChartSvg(psdSpec);
  const spectrogramSvg = await renderChartSvg(spectrogramSpec);
  return {
    psdSvgMs: await median(repetitions, () => renderChartSvg(psdSpec)),
    psdPngMs: await median(repetitions, () => svgToPng(psdSvg)),
    spectrogramSvgMs: await median(repetitions, () => renderChartSvg(spectrogramSpec)),
    spectrogramPngMs: await median(repetitions, () => svgToPng(spectrogramSvg)),
    spectrogramRectMarksSvgMs: await median(Math.min(repetitions, 3), () => renderChartSvg(rectSpec)),
    reportMs: await median(repetitions, () =>
      renderReport({
        title: 'bench',
        items: [{ name: 'x', explanations: [{ image: { svg: psdSvg } }, { image: { svg: spectrogramSvg } }] }],
      }),
    ),
    repetitions,
  };
}
