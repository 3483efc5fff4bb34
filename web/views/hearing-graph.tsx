/**
 * Who hears whom on the supervisor's monitoring call, drawn from the media matrix of
 * GET /api/v2/supervision/calls/{callUuid}/media: the parties on a circle, an arrow from each
 * speaker to each listener who hears them; the same facts as a list for screen readers. Redrawn
 * whenever the matrix is read again (each change of the call).
 */
import type { Json } from '../api.js';

export interface HearingParty {
  phoneNumber: string;
  hears: string[];
}

const SIZE = 280;
const RADIUS = 95;
const NODE = 36;

export function HearingGraph({ parties, nameOf, shortNameOf }: { parties: HearingParty[]; nameOf: (phoneNumber: string) => string; shortNameOf: (phoneNumber: string) => string }) {
  const centre = SIZE / 2;
  const place = new Map<string, { x: number; y: number }>();
  parties.forEach((p, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, parties.length) - Math.PI / 2;
    place.set(p.phoneNumber, { x: centre + RADIUS * Math.cos(angle), y: centre + RADIUS * Math.sin(angle) });
  });
  const arrows: Json[] = [];
  for (const listener of parties) {
    for (const speaker of listener.hears) {
      const from = place.get(speaker);
      const to = place.get(listener.phoneNumber);
      if (!from || !to) continue;
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const length = Math.hypot(dx, dy) || 1;
      // offset each direction sideways so A→B and B→A do not overlap
      const ox = (-dy / length) * 5;
      const oy = (dx / length) * 5;
      arrows.push({
        key: `${speaker}>${listener.phoneNumber}`,
        x1: from.x + (dx / length) * NODE + ox,
        y1: from.y + (dy / length) * NODE + oy,
        x2: to.x - (dx / length) * (NODE + 4) + ox,
        y2: to.y - (dy / length) * (NODE + 4) + oy,
      });
    }
  }
  return (
    <figure class="hearing">
      <svg viewBox={`0 0 ${SIZE} ${SIZE}`} width={SIZE} height={SIZE} role="img" aria-label="Who hears whom on this call">
        <defs>
          <marker id="arrow-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {arrows.map((a) => (
          <line key={String(a.key)} x1={a.x1} y1={a.y1} x2={a.x2} y2={a.y2} class="arrow" marker-end="url(#arrow-head)" />
        ))}
        {parties.map((p) => {
          const at = place.get(p.phoneNumber)!;
          return (
            <g key={p.phoneNumber}>
              <circle cx={at.x} cy={at.y} r={NODE} class="party" />
              <text x={at.x} y={at.y + 4} text-anchor="middle" class="party-label">
                {shortNameOf(p.phoneNumber)}
              </text>
            </g>
          );
        })}
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
