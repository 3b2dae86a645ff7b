// The chart of throughput by message size as a self-contained SVG string: one panel per transport,
// x axis log2 message size, y axis MB/s on a log scale shared by all panels, message-io solid,
// native as most users write it dashed, native as an expert writes it dotted. A pure function of its
// data; sizes.ts measures and writes it.

/**
 * One message size of a panel: the medians in MB/s (undefined when the point failed or was not
 * measured: `expert` on Udp, where it is the plain native) and Udp's loss (0–1).
 */
export interface SizePoint {
  readonly size: number;
  readonly ours?: number;
  readonly native?: number;
  readonly expert?: number;
  readonly oursLoss?: number;
  readonly nativeLoss?: number;
}

/** One panel: a transport's points; `showLoss` adds the loss of each point under the axis. */
export interface SizePanel {
  readonly title: string;
  readonly points: readonly SizePoint[];
  readonly showLoss?: boolean;
}

/** What the chart shows: a title, a subtitle, panels (two a row), and caption lines under them. */
export interface SizeChart {
  readonly title: string;
  readonly subtitle?: string;
  readonly panels: readonly SizePanel[];
  readonly caption: readonly string[];
}

const WIDTH = 900;
const COLUMNS = 2;
const PANEL_WIDTH = WIDTH / COLUMNS;
const PLOT_LEFT = 70;
const PLOT_RIGHT = 20;
const PLOT_TOP = 30;
const PLOT_HEIGHT = 220;
const AXIS_BELOW = 44;
const LOSS_BELOW = 30;
const HEADER = 100;
const CAPTION_LINE = 17;
const CAPTION_CHARS = 140;
const FONT = 'Helvetica, Arial, sans-serif';
const OURS = '#0969da';
const NATIVE = '#d1600b';
const EXPERT = '#6f42c1';
/** The stroke of the expert native line. */
const DOTTED = ' stroke-dasharray="2 4" stroke-linecap="round"';
const GRID = '#e1e4e8';
const AXIS = '#57606a';
const TEXT = '#24292f';

/** A message size as people write it: `64 B`, `1 KiB`, `1 MiB`, `65,507 B`. */
export function formatSize(size: number): string {
  if (size >= 1024 * 1024 && size % (1024 * 1024) === 0) return `${size / (1024 * 1024)} MiB`;
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`;
  return `${size.toLocaleString('en')} B`;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (value: number): string => (Math.round(value * 10) / 10).toString();
const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value) && value > 0;

/** Splits a caption line at spaces so that no line is much longer than `width` characters. */
function wrap(line: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** The y ticks of a log scale: 1, 2, 5 × 10^k, or only the powers of ten past four decades. */
function logTicks(low: number, high: number): number[] {
  const steps = Math.log10(high / low) > 4 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); exponent <= Math.ceil(Math.log10(high)); exponent++) {
    for (const step of steps) {
      const tick = step * 10 ** exponent;
      if (tick >= low * 0.999 && tick <= high * 1.001) ticks.push(tick);
    }
  }
  return ticks;
}

/** The 1-2-5 value at or below `value` (`down`) or at or above it. */
function niceBound(value: number, down: boolean): number {
  const exponent = Math.floor(Math.log10(value));
  const candidates = [1, 2, 5, 10].map((step) => step * 10 ** exponent);
  if (down) return [...candidates].reverse().find((c) => c <= value * 1.0001) ?? candidates[0]!;
  return candidates.find((c) => c >= value * 0.9999) ?? candidates[3]!;
}

/** Renders the chart: a white 900 px wide SVG that needs no fonts, scripts or images of its own. */
export function renderSizesChart(chart: SizeChart): string {
  const points = chart.panels.flatMap((panel) => panel.points);
  const values = points.flatMap((point) => [point.ours, point.native, point.expert]).filter(finite);
  const yLow = values.length > 0 ? niceBound(Math.min(...values), true) : 1;
  const yHigh = values.length > 0 ? niceBound(Math.max(...values), false) : 1000;
  const [yMin, yMax] = yLow === yHigh ? [yLow / 2, yHigh * 2] : [yLow, yHigh];
  const sizes = points.map((point) => point.size).filter((size) => size > 0);
  // The x domain runs between even powers of two, so that its ticks fall at 64 B, 256 B, 1 KiB…
  const xFrom = sizes.length > 0 ? 2 * Math.floor(Math.log2(Math.min(...sizes)) / 2) : 6;
  const xTo = sizes.length > 0 ? Math.max(xFrom + 2, 2 * Math.ceil(Math.log2(Math.max(...sizes)) / 2)) : 20;
  const xTicks: number[] = [];
  for (let exponent = xFrom; exponent <= xTo; exponent += 2) xTicks.push(2 ** exponent);
  // A row of panels is taller when one of its panels shows loss under its axis.
  const rowTops = [HEADER];
  for (let row = 0; row * COLUMNS < chart.panels.length; row++) {
    const loss = chart.panels.slice(row * COLUMNS, (row + 1) * COLUMNS).some((panel) => panel.showLoss === true);
    rowTops.push(rowTops[row]! + PLOT_TOP + PLOT_HEIGHT + AXIS_BELOW + (loss ? LOSS_BELOW : 0) + 16);
  }
  const captionTop = rowTops[rowTops.length - 1]! + 12;
  const captionLines = chart.caption.flatMap((line) => wrap(line, CAPTION_CHARS));
  const height = captionTop + captionLines.length * CAPTION_LINE + 12;
  const plotWidth = PANEL_WIDTH - PLOT_LEFT - PLOT_RIGHT;
  // Half a step of margin on each side of the x domain, so that the first and last points sit off the axes.
  const xScale = (size: number): number => ((Math.log2(size) - xFrom + 0.5) / (xTo - xFrom + 1)) * plotWidth;
  const yScale = (value: number): number => PLOT_HEIGHT - ((Math.log10(value) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * PLOT_HEIGHT;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" fill="${TEXT}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="32" text-anchor="middle" font-size="20" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  if (chart.subtitle !== undefined) {
    out.push(`<text x="${WIDTH / 2}" y="54" text-anchor="middle" font-size="13" fill="${AXIS}">${escapeXml(chart.subtitle)}</text>`);
  }
  // Legend: one centred row.
  const legendY = 80;
  const legend = (x: number, color: string, ours: boolean, label: string, dash = ours ? '' : ' stroke-dasharray="7 4"'): void => {
    out.push(
      `<line x1="${x}" y1="${legendY}" x2="${x + 36}" y2="${legendY}" stroke="${color}" stroke-width="2.5"${dash}/>`,
      circle(color, num(x + 18), num(legendY), ours),
      `<text x="${x + 44}" y="${legendY + 4}" font-size="13">${escapeXml(label)}</text>`,
    );
  };
  legend(WIDTH / 2 - 330, OURS, true, 'message-io (solid)');
  legend(WIDTH / 2 - 110, NATIVE, false, 'native Node, plain (dashed)');
  legend(WIDTH / 2 + 130, EXPERT, false, 'native Node, expert (dotted)', DOTTED);

  chart.panels.forEach((panel, index) => {
    const left = (index % COLUMNS) * PANEL_WIDTH + PLOT_LEFT;
    const top = rowTops[Math.floor(index / COLUMNS)]! + PLOT_TOP;
    out.push(`<g transform="translate(${left} ${top})">`);
    out.push(`<text x="${num(plotWidth / 2)}" y="-12" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`);
    out.push(`<rect width="${plotWidth}" height="${PLOT_HEIGHT}" fill="none" stroke="${AXIS}" stroke-width="1"/>`);
    for (const tick of logTicks(yMin, yMax)) {
      const y = num(yScale(tick));
      out.push(
        `<line x1="0" y1="${y}" x2="${plotWidth}" y2="${y}" stroke="${GRID}" stroke-width="1"/>`,
        `<text x="-6" y="${y}" dy="4" text-anchor="end" font-size="11" fill="${AXIS}">${tick.toLocaleString('en')}</text>`,
      );
    }
    for (const tick of xTicks) {
      const x = num(xScale(tick));
      out.push(
        `<line x1="${x}" y1="0" x2="${x}" y2="${PLOT_HEIGHT}" stroke="${GRID}" stroke-width="1"/>`,
        `<line x1="${x}" y1="${PLOT_HEIGHT}" x2="${x}" y2="${PLOT_HEIGHT + 4}" stroke="${AXIS}" stroke-width="1"/>`,
        `<text x="${x}" y="${PLOT_HEIGHT + 17}" text-anchor="middle" font-size="11" fill="${AXIS}">${formatSize(tick)}</text>`,
      );
    }
    // Grid lines are drawn over the frame's edges; draw it again on top.
    out.push(`<rect width="${plotWidth}" height="${PLOT_HEIGHT}" fill="none" stroke="${AXIS}" stroke-width="1"/>`);
    out.push(`<text x="${num(plotWidth / 2)}" y="${PLOT_HEIGHT + 36}" text-anchor="middle" font-size="12">message size (log scale)</text>`);
    out.push(`<text transform="translate(-48 ${PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle" font-size="12">MB/s at the receiver (log scale)</text>`);
    const sorted = [...panel.points].sort((a, b) => a.size - b.size);
    for (const impl of ['native', 'expert', 'ours'] as const) {
      const color = impl === 'ours' ? OURS : impl === 'native' ? NATIVE : EXPERT;
      // A failed point breaks the line into segments.
      const segments: string[][] = [[]];
      for (const point of sorted) {
        const value = point[impl];
        if (finite(value)) segments[segments.length - 1]!.push(`${num(xScale(point.size))},${num(yScale(value))}`);
        else segments.push([]);
      }
      for (const segment of segments.filter((s) => s.length > 1)) {
        const dash = impl === 'native' ? ' stroke-dasharray="7 4"' : impl === 'expert' ? DOTTED : '';
        out.push(`<polyline points="${segment.join(' ')}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"${dash}/>`);
      }
      for (const point of sorted) {
        const value = point[impl];
        if (!finite(value)) continue;
        const who = impl === 'ours' ? 'message-io' : impl === 'native' ? 'native, plain' : 'native, expert';
        out.push(circle(color, num(xScale(point.size)), num(yScale(value)), impl === 'ours', `${who} ${formatSize(point.size)}: ${value.toFixed(0)} MB/s`));
      }
    }
    if (panel.showLoss === true) {
      const rowY = (row: number): number => PLOT_HEIGHT + 54 + row * 14;
      out.push(
        `<text x="-6" y="${rowY(0)}" text-anchor="end" font-size="10" fill="${OURS}">loss, ours</text>`,
        `<text x="-6" y="${rowY(1)}" text-anchor="end" font-size="10" fill="${NATIVE}">loss, native</text>`,
      );
      for (const point of sorted) {
        const x = num(xScale(point.size));
        const cells: [number | undefined, number][] = [
          [point.oursLoss, 0],
          [point.nativeLoss, 1],
        ];
        for (const [loss, row] of cells) {
          const text = loss === undefined ? '–' : `${(loss * 100).toFixed(loss < 0.1 ? 1 : 0)}%`;
          out.push(`<text x="${x}" y="${rowY(row)}" text-anchor="middle" font-size="10" fill="${row === 0 ? OURS : NATIVE}">${text}</text>`);
        }
      }
    }
    out.push('</g>');
  });

  captionLines.forEach((line, index) => {
    out.push(`<text x="24" y="${captionTop + index * CAPTION_LINE}" font-size="12" fill="${AXIS}">${escapeXml(line)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** A point marker: filled for message-io, hollow for native; `title` shows the figure on hover. */
function circle(color: string, x: string, y: string, filled: boolean, title?: string): string {
  const body = `cx="${x}" cy="${y}" r="4" fill="${filled ? color : '#ffffff'}" stroke="${color}" stroke-width="2"`;
  return title === undefined ? `<circle ${body}/>` : `<circle ${body}><title>${escapeXml(title)}</title></circle>`;
}
