// Independent reference renderer for chat templates: Python's jinja2, set up the way Hugging Face
// transformers renders chat templates (trim_blocks, lstrip_blocks, loopcontrols, its tojson,
// raise_exception, strftime_now). One python3 process per test file serves requests line by line.
// Tests skip the comparison with a visible reason when python3/jinja2 are missing.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = `
import json, sys
from datetime import datetime
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.filters['tojson'] = tojson
env.globals['raise_exception'] = raise_exception
env.globals['strftime_now'] = lambda fmt: datetime.now().strftime(fmt)
for line in sys.stdin:
    req = json.loads(line)
    try:
        reply = {'text': env.from_string(req['template']).render(**req['context'])}
    except Exception as e:
        reply = {'error': repr(e)}
    sys.stdout.write(json.dumps(reply) + '\\n')
    sys.stdout.flush()
`;

/** null when python3 with jinja2 can render; otherwise the reason it cannot. */
export function pythonJinjaUnavailableReason(): string | null {
  const r = spawnSync('python3', ['-c', 'import jinja2'], { encoding: 'utf8' });
  if (r.error) return `python3 not runnable (${r.error.message}); no independent jinja2 reference`;
  if (r.status !== 0) return `python3 has no jinja2 module (${r.stderr.trim().split('\n').pop()}); no independent reference`;
  return null;
}

export class PythonJinja {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: Array<(reply: { text?: string; error?: string }) => void> = [];

  constructor() {
    this.proc = spawn('python3', ['-c', SCRIPT]);
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.(JSON.parse(line)));
  }

  /** Renders with Python jinja2; context keys are the template variables (messages, bos_token, ...). */
  render(template: string, context: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      this.pending.push((r) => (r.error !== undefined ? reject(new Error(`python jinja2: ${r.error}`)) : resolve(r.text!)));
      this.proc.stdin.write(JSON.stringify({ template, context }) + '\n');
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** A reference renderer for a test file, or null with the reason printed once. */
export function openReference(): { ref: PythonJinja | null; reason: string | null } {
  const reason = pythonJinjaUnavailableReason();
  return { ref: reason ? null : new PythonJinja(), reason };
}
