/**
 * The Audit view: GET /api/v2/supervision/audit with its filters (agent, supervisor, call, time
 * range) and paging (offset/limit); a bad filter shows the server's statusMessage, and the entries
 * of the last search are cleared.
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import type { Json } from '../api.js';
import { act } from '../store.js';

const PAGE = 20;

interface Filters {
  agent: string;
  supervisor: string;
  callUuid: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { agent: '', supervisor: '', callUuid: '', from: '', to: '' };

/** a datetime-local value (local time) as ISO 8601 for the server */
function isoOf(local: string): string {
  if (!local) return '';
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? local : t.toISOString();
}

function party(p: Json | undefined): string {
  if (!p) return '';
  return p.userName ? `${String(p.userName)} (${String(p.phoneNumber)})` : String(p.phoneNumber ?? '');
}

export function AuditView() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ totalCount: number; entries: Json[] } | null>(null);

  const load = (f: Filters, at: number) => {
    const q = new URLSearchParams({ offset: String(at), limit: String(PAGE) });
    if (f.agent.trim()) q.set('agent', f.agent.trim());
    if (f.supervisor.trim()) q.set('supervisor', f.supervisor.trim());
    if (f.callUuid.trim()) q.set('callUuid', f.callUuid.trim());
    if (f.from) q.set('from', isoOf(f.from));
    if (f.to) q.set('to', isoOf(f.to));
    void act(async () => {
      const answer = await get(`/api/v2/supervision/audit?${q.toString()}`);
      setPage({ totalCount: answer.totalCount, entries: answer.entries });
      setOffset(at);
    }).then((answered) => {
      // a refused filter leaves no entries of the last one on screen, as if they matched it
      if (!answered) setPage({ totalCount: 0, entries: [] });
    });
  };
  useEffect(() => load(EMPTY, 0), []);

  const onInput = (name: keyof Filters) => (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value });
  const field = (name: keyof Filters, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <label>
      {label}
      {type === 'text' ? <input type="text" value={filters[name]} onInput={onInput(name)} /> : <input type="datetime-local" value={filters[name]} onInput={onInput(name)} />}
    </label>
  );
  const total = page?.totalCount ?? 0;
  const shown = page?.entries.length ?? 0;
  return (
    <section aria-labelledby="audit-heading" class="audit">
      <h2 id="audit-heading">Supervision audit</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          load(filters, 0);
        }}
      >
        {field('agent', 'Agent')}
        {field('supervisor', 'Supervisor')}
        {field('callUuid', 'Call')}
        {field('from', 'From', 'datetime-local')}
        {field('to', 'To', 'datetime-local')}
        <button type="submit">Search</button>
      </form>
      <p role="status">{page ? (total === 0 ? 'No entries.' : `Entries ${offset + 1}–${offset + shown} of ${total}`) : 'Loading…'}</p>
      {shown > 0 && (
        <table class="audit-table">
          <caption>Audit entries, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Supervisor</th>
              <th scope="col">Target</th>
              <th scope="col">Call</th>
              <th scope="col">Mode</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {page!.entries.map((e, i) => (
              <tr key={`${offset + i}`}>
                <td>{new Date(String(e.time)).toLocaleString()}</td>
                <td>{String(e.event)}</td>
                <td>{party(e.supervisor)}</td>
                <td>{party(e.agent ?? e.target)}</td>
                <td class="uuid">{String(e.callUuid ?? '')}</td>
                <td>
                  {String(e.mode)} · {String(e.scope)} · {String(e.supervisorMonitoringMode)}
                </td>
                <td>{String(e.reason ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="buttons">
        <button type="button" disabled={offset === 0} onClick={() => load(filters, Math.max(0, offset - PAGE))}>
          Previous page
        </button>
        <button type="button" disabled={offset + shown >= total} onClick={() => load(filters, offset + PAGE)}>
          Next page
        </button>
      </div>
    </section>
  );
}
