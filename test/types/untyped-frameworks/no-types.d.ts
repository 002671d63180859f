// What a host without @types/express or @types/koa sees: the framework as an untyped module.
declare module 'express';
declare module 'koa';
