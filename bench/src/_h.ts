import { start, run } from './proc.js';
const mode = (process.argv[2] ?? 'none') as string;
const stub = start('stub.ts', ['--tls', mode, '--certs', process.argv[3] ?? '/tmp'], 1);
const { port } = (await stub.ready) as { port: number };
for (const impl of ['undici-pool', 'wxpay-kit', 'floor-e2e', 'undici-pool', 'wxpay-kit']) {
  console.log(impl, JSON.stringify(await run('client.ts', ['--impl', impl, '--url', `${mode === 'none' ? 'http' : 'https'}://127.0.0.1:${port}`, '--certs', process.argv[3] ?? '/tmp', '--c', '1', '--warmup', '500', '--duration', '2000'], 0)));
}
await stub.stop();
