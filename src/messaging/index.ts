export * from './errors';
export * from './messenger';
export type * from './protocol';
