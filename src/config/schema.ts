/**
 * The JSON Schema (draft 2020-12) of the configuration file, derived from the checker itself: the
 * loader's file reader (`jsonInto`) is walked with a `Probe` and a recording Problems, so every
 * reader records what it accepts at its path (keys, required keys, types, integer bounds, allowed
 * values) and the schema cannot drift from what `loadConfig` accepts. Values the loader reads with
 * its own code rather than a reader (e.g. a "first-last" port range) are left open ({}), and so
 * are keys starting with "//" (comments). `npm run config-schema` writes config/schema.json; a
 * test checks that the file is up to date.
 */
import { Probe, Problems, type SchemaRecorder } from './check.js';
import { defaultConfig, jsonInto } from './load.js';

type Node = Record<string, unknown> & { properties?: Record<string, Node>; items?: Node };

export const CONFIG_SCHEMA_ID = 'https://github.com/switchboard/switchboard/config/schema.json';

/** "contactCenters[0].users[3].dn" -> ["contactCenters", "[]", "users", "[]", "dn"] */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('.')) {
    if (part === '') continue;
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      out.push(part);
      continue;
    }
    if (match[1]) out.push(match[1]);
    for (let n = (match[2].match(/\[/g) ?? []).length; n > 0; n--) out.push('[]');
  }
  return out;
}

class Recorder implements SchemaRecorder {
  readonly root: Node = {};

  private nodeAt(path: string): Node {
    let node = this.root;
    for (const segment of segments(path)) {
      if (segment === '[]') node = node.items ??= {};
      else node = (node.properties ??= {})[segment] ??= {};
    }
    return node;
  }

  field(path: string, rule: Record<string, unknown>): void {
    const node = this.nodeAt(path);
    const { keys, ...rest } = rule as { keys?: string[] };
    Object.assign(node, rest);
    if (keys) {
      node.properties ??= {};
      for (const key of keys) node.properties[key] ??= {};
      node.patternProperties = { '^//': {} };
      node.additionalProperties = false;
    }
  }
}

/** The schema object (stable key order, so the generated file diffs cleanly). */
export function configSchema(): Record<string, unknown> {
  const recorder = new Recorder();
  const problems = new Problems();
  problems.recorder = recorder;
  jsonInto(problems, new Probe(), defaultConfig());
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONFIG_SCHEMA_ID,
    title: 'Switchboard configuration file',
    description: 'The file named by --config or SWITCHBOARD_CONFIG; every option is described in docs/configuration.md. Generated from the configuration checker by npm run config-schema: do not edit.',
    ...recorder.root,
  };
}

export function configSchemaText(): string {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}
