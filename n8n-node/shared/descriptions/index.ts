/**
 * The parameters the nodes show, one file per section, as n8n's own nodes keep their
 * `descriptions/`: what a run reads (ReadingDescription), which customers (FilterDescription), what each item holds
 * (OutputDescription), and the options both nodes share (OptionsDescription).
 */
export * from './ReadingDescription';
export * from './FilterDescription';
export * from './OutputDescription';
export * from './OptionsDescription';
