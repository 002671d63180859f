#!/usr/bin/env node
// `npm run docs`: the API reference of every published entry point, generated from the TSDoc
// comments by TypeDoc into docs/api/ (not committed). Settings live in typedoc.json; this script
// names each module after the import specifier users write (`@wxpay-kit/core/node`) instead of
// its source path, and exits non-zero when TypeDoc reports an error.
import { Application, Converter, ReflectionKind } from 'typedoc';

/** Source directory of each entry point (TypeDoc's default module name) -> its import specifier. */
const SPECIFIERS = {
  'core/src': '@wxpay-kit/core',
  'core/src/node': '@wxpay-kit/core/node',
  'core/src/testing': '@wxpay-kit/core/testing',
  'express/src': '@wxpay-kit/express',
  'koa/src': '@wxpay-kit/koa',
  'fastify/src': '@wxpay-kit/fastify',
  'forwarder/src': '@wxpay-kit/forwarder',
  'simulator/src': '@wxpay-kit/simulator',
  'gateway/src': '@wxpay-kit/gateway',
};

const app = await Application.bootstrapWithPlugins({ options: 'typedoc.json' });
// TypeDoc reads `@module <name>` as a name only when nothing follows on the next lines, and drops
// the tag (with the description after it) otherwise: move that description to the summary first.
app.converter.on(
  Converter.EVENT_CREATE_DECLARATION,
  (_context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const tag = reflection.comment?.getTag('@module');
    if (tag === undefined) return;
    const text = tag.content.map((part) => part.text).join('');
    const description = text.replace(/^\s*\S+\s*/, '');
    if (description !== '') reflection.comment.summary = [{ kind: 'text', text: description }];
    reflection.comment.removeTags('@module');
  },
  100, // before TypeDoc's own comment handling
);
app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  for (const mod of context.project.getChildrenByKind(ReflectionKind.Module)) {
    const specifier = SPECIFIERS[mod.name];
    if (specifier === undefined) {
      app.logger.error(`scripts/api-docs.mjs: no import specifier for the entry point "${mod.name}"; add it to SPECIFIERS`);
      continue;
    }
    mod.name = specifier;
  }
});

const project = await app.convert();
if (project === undefined || app.logger.hasErrors()) {
  console.error('npm run docs: TypeDoc could not convert the sources (see the errors above)');
  process.exit(1);
}
const out = app.options.getValue('out');
await app.generateDocs(project, out);
if (app.logger.hasErrors()) process.exit(1);
console.log(`npm run docs: API reference written to ${out}/index.html`);
