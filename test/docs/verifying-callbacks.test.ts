/**
 * The verification snippets of docs/verifying-callbacks.md, taken verbatim from the page, run
 * against deliveries signed by the forwarder's own signer: genuine ones (a `whsec_` secret, a plain
 * secret, several signatures, header names in any case, a non-ASCII body) are accepted, and
 * tampered, wrongly keyed, stale or unsigned ones refused. A language whose tool is not installed
 * is skipped with one warning line naming what is not tested.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signWebhook, verifyWebhook } from '@wxpay-kit/forwarder';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGE = readFileSync(join(ROOT, 'docs/verifying-callbacks.md'), 'utf8');

/** The one fenced block of `lang` on the page that contains `marker`. */
function snippet(lang: string, marker: string): string {
  const blocks = [...PAGE.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang && m[2]!.includes(marker));
  if (blocks.length !== 1)
    throw new Error(`docs/verifying-callbacks.md: expected one ${lang} block with "${marker}", found ${blocks.length}`);
  return blocks[0]![2]!;
}

function has(command: string): boolean {
  return (
    spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0 || spawnSync(command, ['version'], { stdio: 'ignore' }).status === 0
  );
}

interface Case {
  readonly name: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly secret: string;
  readonly accepted: boolean;
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PLAIN_SECRET = 'shop-webhook-secret';
const BODY = JSON.stringify({ result_code: 'SUCCESS', order_id: 'o1001', total_fee: 9900, attach: '桌号 7', transaction_id: '4200000001' });

function cases(): Case[] {
  const now = Math.floor(Date.now() / 1000);
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const signed = (body: string, secret: string, timestamp = now) => ({ ...signWebhook({ id, timestamp, body, secret }) });
  const genuine = signed(BODY, SECRET);
  const capitalized = (name: string) =>
    name
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('-'); // Webhook-Id
  const upper = Object.fromEntries(Object.entries(genuine).map(([k, v]) => [capitalized(k), v]));
  return [
    { name: 'genuine, whsec_ secret', body: BODY, headers: genuine, secret: SECRET, accepted: true },
    { name: 'genuine, plain secret', body: BODY, headers: signed(BODY, PLAIN_SECRET), secret: PLAIN_SECRET, accepted: true },
    { name: 'header names in another case', body: BODY, headers: upper, secret: SECRET, accepted: true },
    {
      name: 'several signatures, one genuine',
      body: BODY,
      headers: { ...genuine, 'webhook-signature': `v1,Ym9ndXM= v2,abc ${genuine['webhook-signature']}` },
      secret: SECRET,
      accepted: true,
    },
    { name: 'tampered body', body: BODY.replace('9900', '1'), headers: genuine, secret: SECRET, accepted: false },
    {
      name: 'wrong secret',
      body: BODY,
      headers: genuine,
      secret: 'whsec_' + Buffer.from('another secret').toString('base64'),
      accepted: false,
    },
    {
      name: 'plain secret given where whsec_ was used',
      body: BODY,
      headers: genuine,
      secret: SECRET.slice('whsec_'.length),
      accepted: false,
    },
    { name: 'stale timestamp', body: BODY, headers: signed(BODY, SECRET, now - 3600), secret: SECRET, accepted: false },
    {
      name: 'no signature header',
      body: BODY,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(now) },
      secret: SECRET,
      accepted: false,
    },
    {
      name: 'only an unknown signature version',
      body: BODY,
      headers: { ...genuine, 'webhook-signature': genuine['webhook-signature'].replace('v1,', 'v2,') },
      secret: SECRET,
      accepted: false,
    },
  ];
}

interface Outcome {
  readonly ok: boolean;
  readonly order_id?: string;
  readonly error?: string;
}

const dir = mkdtempSync(join(tmpdir(), 'wxpay-docs-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the program and the cases, runs it, and parses the JSON array it prints. */
function run(file: string, program: string, command: string, args: (file: string, casesFile: string) => string[], list: Case[]): Outcome[] {
  const path = join(dir, file);
  writeFileSync(path, program);
  const casesFile = join(dir, `${file}.cases.json`);
  writeFileSync(casesFile, JSON.stringify(list));
  const out = execFileSync(command, args(path, casesFile), {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GOCACHE: join(dir, 'gocache'), GOPATH: join(dir, 'gopath'), GO111MODULE: 'off' },
  });
  return JSON.parse(out) as Outcome[];
}

function expectOutcomes(list: Case[], outcomes: Outcome[]): void {
  expect(outcomes).toHaveLength(list.length);
  list.forEach((c, i) => {
    const o = outcomes[i]!;
    expect({ case: c.name, ok: o.ok }, o.error).toEqual({ case: c.name, ok: c.accepted });
    if (c.accepted) expect(o.order_id, c.name).toBe('o1001');
    else expect(o.error, c.name).toMatch(/\S/);
  });
}

const PYTHON_MAIN = `
import sys as _sys
_out = []
for _c in json.load(open(_sys.argv[1], encoding="utf-8")):
    try:
        _r = verify_webhook(_c["body"].encode("utf-8"), _c["headers"], _c["secret"])
        _out.append({"ok": True, "order_id": _r["order_id"]})
    except WebhookVerificationError as _e:
        _out.append({"ok": False, "error": str(_e)})
print(json.dumps(_out))
`;

const GO_MAIN = `
func main() {
	data, _ := os.ReadFile(os.Args[1])
	var cases []struct {
		Body    string            \`json:"body"\`
		Headers map[string]string \`json:"headers"\`
		Secret  string            \`json:"secret"\`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		panic(err)
	}
	out := []map[string]any{}
	for _, c := range cases {
		header := http.Header{}
		for k, v := range c.Headers {
			header.Set(k, v)
		}
		var result map[string]any
		if err := Verify([]byte(c.Body), header, c.Secret, &result); err != nil {
			out = append(out, map[string]any{"ok": false, "error": err.Error()})
		} else {
			out = append(out, map[string]any{"ok": true, "order_id": result["order_id"]})
		}
	}
	b, _ := json.Marshal(out)
	os.Stdout.Write(b)
}
`;

const PHP_MAIN = `
$out = [];
foreach (json_decode(file_get_contents($argv[1]), true) as $c) {
    try {
        $r = verify_wxpay_webhook($c['body'], $c['headers'], $c['secret']);
        $out[] = ['ok' => true, 'order_id' => $r['order_id']];
    } catch (RuntimeException $e) {
        $out[] = ['ok' => false, 'error' => $e->getMessage()];
    }
}
echo json_encode($out);
`;

const NODE_MAIN = `
import { readFileSync as __read } from 'node:fs';
const __out = [];
for (const c of JSON.parse(__read(process.argv[2], 'utf8'))) {
  // Node's req.headers has lower-case names.
  const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]));
  try {
    const r = verifyCallback(Buffer.from(c.body, 'utf8'), headers, c.secret);
    __out.push({ ok: true, order_id: r.order_id });
  } catch (e) {
    __out.push({ ok: false, error: e.message });
  }
}
process.stdout.write(JSON.stringify(__out));
`;

const tools = { python3: has('python3'), go: has('go'), php: has('php') };
for (const [tool, present] of Object.entries(tools)) {
  if (!present) console.warn(`docs/verifying-callbacks.md: ${tool} is not installed, so its snippet is NOT tested here`);
}

describe('docs/verifying-callbacks.md snippets against deliveries signed by the forwarder', () => {
  it('the forwarder itself agrees with every case', () => {
    const list = cases();
    const outcomes = list.map((c): Outcome => {
      try {
        const r = verifyWebhook<{ order_id: string }>({ payload: c.body, headers: c.headers, secret: c.secret });
        return { ok: true, order_id: r.body.order_id };
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
    });
    expectOutcomes(list, outcomes);
  });

  it('Node (no dependencies)', () => {
    const list = cases();
    const program = `${snippet('js', 'export function verifyCallback')}\n${NODE_MAIN}`;
    expectOutcomes(
      list,
      run('verify.mjs', program, process.execPath, (f, c) => [f, c], list),
    );
  });

  it.skipIf(!tools.python3)('Python', () => {
    const list = cases();
    const program = `${snippet('python', 'def verify_webhook')}\n${PYTHON_MAIN}`;
    expectOutcomes(
      list,
      run('verify.py', program, 'python3', (f, c) => [f, c], list),
    );
  });

  it.skipIf(!tools.go)(
    'Go',
    () => {
      const list = cases();
      const source = snippet('go', 'func Verify(');
      // The page's file is a library package; the test makes it a program with a main.
      const program = `${source.replace(/^package webhooks\n/, 'package main\n\nimport "os"\n')}\n${GO_MAIN}`;
      expect(program).toContain('package main');
      expectOutcomes(
        list,
        run('verify.go', program, 'go', (f, c) => ['run', f, c], list),
      );
    },
    180_000,
  );

  it.skipIf(!tools.php)('PHP', () => {
    const list = cases();
    const program = `${snippet('php', 'function verify_wxpay_webhook')}\n${PHP_MAIN}`;
    expectOutcomes(
      list,
      run('verify.php', program, 'php', (f, c) => [f, c], list),
    );
  });
});
