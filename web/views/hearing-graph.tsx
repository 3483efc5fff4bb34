/**
 * Who hears whom on the supervisor's monitoring call, drawn from the media matrix of
 * GET /api/v2/supervision/calls/{callUuid}/media: each party a labelled pill, an arrow from each
 * speaker to each listener who hears them; the same facts as a list for screen readers. Redrawn
 * whenever the matrix is read again (each change of the call).
 *
 * Guarantees: the labels are drawn at LABEL_FONT_PX (13 px) and the SVG is never scaled (its size
 * is its viewBox, and it does not shrink in its row), so they render at that size; each pill is
 * sized to its label as measured in the page's font, and the pills sit one per row, on an ellipse,
 * inside the SVG: no two labels overlap and none is clipped. The graph is 280 px wide (it fits a
 * 375 px window) unless one label is wider than that, and grows taller with the number of parties.
 * The parties take the first order (of every order, for up to MAX_ORDERED_PARTIES) in which no
 * line between two pills passes under a third: with three parties there always is one; with four,
 * unless three of the labels are numbers of 14 characters or more; with more, often not, and then
 * an arrow may pass under a pill (the list below the graph says it all).
 */
import type { Json } from '../api.js';

export interface HearingParty {
  phoneNumber: string;
  hears: string[];
}

/** the labels' font size and weight: the layout is measured with them, so they live here, not in the style sheet */
const LABEL_FONT_PX = 13;
const LABEL_FONT_WEIGHT = 600;
const BASE_WIDTH = 280;
/** space kept free at the SVG's edges (the pills' stroke included) */
const MARGIN = 4;
const PILL_HEIGHT = LABEL_FONT_PX + 14;
const PILL_PADDING = 10;
/** vertical distance between the centres of two consecutive pills: a pill and room for arrows */
const ROW_STEP = PILL_HEIGHT + 30;
/** how far up and down the ellipse the pills go (1 = its very top and bottom, where all would be centred) */
const ELLIPSE_SPAN = 0.8;
/** sideways shift of an arrow, so that A→B and B→A do not overlap */
const ARROW_OFFSET = 5;
/** up to this many parties every order is tried (6! = 720 layouts at most) */
const MAX_ORDERED_PARTIES = 6;

let measuring: CanvasRenderingContext2D | null | undefined;

/** the width of `text` in the labels' font, in px: measured in the page's font, estimated where no canvas can measure */
function labelWidth(text: string): number {
  if (measuring === undefined) {
    measuring = document.createElement('canvas').getContext('2d');
    if (measuring) measuring.font = `${LABEL_FONT_WEIGHT} ${LABEL_FONT_PX}px ${getComputedStyle(document.documentElement).fontFamily}`;
  }
  return measuring ? measuring.measureText(text).width : text.length * LABEL_FONT_PX * 0.65;
}

interface Pill {
  phoneNumber: string;
  label: string;
  x: number;
  y: number;
  width: number;
}

type Sized = Omit<Pill, 'x' | 'y'>;

/**
 * One pill per row in the given order, rows ROW_STEP apart, each on the ellipse around the centre,
 * sides alternating; the ellipse as wide as the pills allow within the width.
 */
function placeInRows(sized: Sized[], width: number): Pill[] {
  // where each row meets the ellipse: its height in [-ELLIPSE_SPAN, ELLIPSE_SPAN] and the ellipse's half width there (of 1)
  const rows = sized.map((_, k) => {
    const rise = sized.length > 1 ? ELLIPSE_SPAN * ((2 * k) / (sized.length - 1) - 1) : 0;
    return Math.sqrt(1 - rise * rise);
  });
  // the widest ellipse that keeps every pill inside the width
  const halfWidth = Math.max(0, Math.min(...sized.map((s, k) => (width / 2 - MARGIN - s.width / 2) / rows[k])));
  return sized.map((s, k) => ({
    ...s,
    x: width / 2 + (k % 2 === 0 ? 1 : -1) * halfWidth * rows[k],
    y: MARGIN + PILL_HEIGHT / 2 + k * ROW_STEP,
  }));
}

/** does the segment from `a` to `b` pass within ARROW_OFFSET + 1 of `pill` (Liang-Barsky clipping)? */
function passesUnder(a: Pill, b: Pill, pill: Pill): boolean {
  const reach = ARROW_OFFSET + 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let enter = 0;
  let leave = 1;
  const sides: [number, number][] = [
    [-dx, a.x - (pill.x - pill.width / 2 - reach)],
    [dx, pill.x + pill.width / 2 + reach - a.x],
    [-dy, a.y - (pill.y - PILL_HEIGHT / 2 - reach)],
    [dy, pill.y + PILL_HEIGHT / 2 + reach - a.y],
  ];
  for (const [towards, room] of sides) {
    if (towards === 0) {
      if (room < 0) return false;
      continue;
    }
    const t = room / towards;
    if (towards < 0) enter = Math.max(enter, t);
    else leave = Math.min(leave, t);
    if (enter > leave) return false;
  }
  return true;
}

function clearOfPills(pills: Pill[]): boolean {
  for (const [i, a] of pills.entries()) {
    for (const b of pills.slice(i + 1)) if (pills.some((p) => p !== a && p !== b && passesUnder(a, b, p))) return false;
  }
  return true;
}

/** every order of `items`, the given one first */
function* orders<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (const [i, first] of items.entries()) for (const rest of orders([...items.slice(0, i), ...items.slice(i + 1)])) yield [first, ...rest];
}

/** the pills of the parties in the first order in which no line between two passes under a third (see the top of this file) */
function layOut(parties: HearingParty[], shortNameOf: (phoneNumber: string) => string): { pills: Pill[]; width: number; height: number } {
  const sized = parties.map((p) => {
    const label = shortNameOf(p.phoneNumber);
    return { phoneNumber: p.phoneNumber, label, width: Math.ceil(labelWidth(label)) + 2 * PILL_PADDING };
  });
  const width = Math.max(BASE_WIDTH, ...sized.map((s) => s.width + 2 * MARGIN));
  const height = Math.max(0, sized.length - 1) * ROW_STEP + PILL_HEIGHT + 2 * MARGIN;
  if (sized.length <= MAX_ORDERED_PARTIES) {
    for (const order of orders(sized)) {
      const pills = placeInRows(order, width);
      if (clearOfPills(pills)) return { pills, width, height };
    }
  }
  return { pills: placeInRows(sized, width), width, height };
}

/** how far from a pill's centre, along the unit direction (ux, uy), its edge is */
function toEdge(pill: Pill, ux: number, uy: number): number {
  const alongX = ux === 0 ? Infinity : pill.width / 2 / Math.abs(ux);
  const alongY = uy === 0 ? Infinity : PILL_HEIGHT / 2 / Math.abs(uy);
  return Math.min(alongX, alongY);
}

export function HearingGraph({ parties, nameOf, shortNameOf }: { parties: HearingParty[]; nameOf: (phoneNumber: string) => string; shortNameOf: (phoneNumber: string) => string }) {
  const { pills, width, height } = layOut(parties, shortNameOf);
  const place = new Map(pills.map((p) => [p.phoneNumber, p]));
  const arrows: Json[] = [];
  for (const listener of parties) {
    for (const speaker of listener.hears) {
      const from = place.get(speaker);
      const to = place.get(listener.phoneNumber);
      if (!from || !to || from === to) continue;
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const length = Math.hypot(dx, dy) || 1;
      const ux = dx / length;
      const uy = dy / length;
      const ox = -uy * ARROW_OFFSET;
      const oy = ux * ARROW_OFFSET;
      const start = toEdge(from, ux, uy) + 2;
      const end = toEdge(to, ux, uy) + 4;
      arrows.push({
        key: `${speaker}>${listener.phoneNumber}`,
        x1: from.x + ux * start + ox,
        y1: from.y + uy * start + oy,
        x2: to.x - ux * end + ox,
        y2: to.y - uy * end + oy,
      });
    }
  }
  return (
    <figure class="hearing">
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="Who hears whom on this call">
        <defs>
          <marker id="arrow-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {arrows.map((a) => (
          <line key={String(a.key)} x1={a.x1} y1={a.y1} x2={a.x2} y2={a.y2} class="arrow" marker-end="url(#arrow-head)" />
        ))}
        {pills.map((p) => (
          <g key={p.phoneNumber}>
            <rect x={p.x - p.width / 2} y={p.y - PILL_HEIGHT / 2} width={p.width} height={PILL_HEIGHT} rx={PILL_HEIGHT / 2} class="party" />
            <text x={p.x} y={p.y} text-anchor="middle" dominant-baseline="central" font-size={LABEL_FONT_PX} font-weight={LABEL_FONT_WEIGHT} class="party-label">
              {p.label}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        <ul aria-label="Who hears whom">
          {parties.map((p) => (
            <li key={p.phoneNumber}>
              {nameOf(p.phoneNumber)} hears {p.hears.length ? p.hears.map(nameOf).join(', ') : 'nobody'}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
