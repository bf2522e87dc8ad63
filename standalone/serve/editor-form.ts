import type {
  ConditionDraft,
  EditorDraft,
  ModelRowDraft,
  TransformationDraft,
} from '../pipeline-draft';

/** What the editor's submit buttons ask for. */
export type EditorOp =
  | { kind: 'save' }
  | { kind: 'preview' }
  | { kind: 'add'; list: RowList }
  | { kind: 'remove'; list: RowList; index: number };

export type RowList = 'condition' | 'mapping' | 'property';

/** A form as posted: the draft, the version of the config it was read at, the pipeline it edits. */
export interface PostedEditor {
  draft: EditorDraft;
  version: string;
  /** The name the pipeline had when the form was opened; undefined for a new one. */
  originalName: string | undefined;
  op: EditorOp;
}

/**
 * Reads the editor's fields. Rows are numbered (`c.0.property`, `m.2.from`, `model.1.type`), so
 * the server can add and remove rows without any script in the browser.
 */
export function readEditorForm(fields: URLSearchParams): PostedEditor {
  const get = (name: string) => fields.get(name) ?? '';
  const indices = (prefix: string) =>
    [
      ...new Set(
        [...fields.keys()]
          .map((key) => new RegExp(`^${prefix}\\.(\\d+)\\.`).exec(key)?.[1])
          .filter((index): index is string => index !== undefined)
          .map(Number),
      ),
    ].sort((a, b) => a - b);
  const conditions: ConditionDraft[] = indices('c').map((index) => ({
    property: get(`c.${index}.property`).trim(),
    operator: get(`c.${index}.operator`),
    values: get(`c.${index}.values`)
      .split(/\r?\n/)
      .map((value) => value.trim())
      .filter((value) => value !== ''),
    caseSensitive: fields.has(`c.${index}.case_sensitive`),
  }));
  const type = get('transformation');
  let transformation: TransformationDraft;
  if (type === 'mapping') {
    transformation = {
      type: 'mapping',
      mappings: indices('m').map((index) => ({
        to: get(`m.${index}.to`),
        from: get(`m.${index}.from`),
      })),
    };
  } else if (type === 'javascript' || type === 'python') {
    transformation = {
      type,
      source: get('source').replace(/\r\n/g, '\n'),
      timeoutMs: get('timeout_ms'),
      memoryLimitMb: get('memory_limit_mb'),
    };
  } else {
    transformation = { type: 'none' };
  }
  const model: ModelRowDraft[] = indices('model').map((index) => ({
    name: get(`model.${index}.name`),
    type: get(`model.${index}.type`),
    nullable: fields.has(`model.${index}.nullable`),
    description: get(`model.${index}.description`),
    precision: get(`model.${index}.precision`),
    scale: get(`model.${index}.scale`),
    nested: get(`model.${index}.nested`),
  }));
  const draft: EditorDraft = {
    pipeline: {
      name: get('name').trim(),
      description: get('description'),
      enabled: fields.has('enabled'),
      incremental: fields.has('incremental'),
      schedule: get('schedule'),
      onError: get('on_error') === 'skip' ? 'skip' : 'fail',
      filter:
        get('filter_mode') === 'json'
          ? { kind: 'json', text: get('filter_json') }
          : { kind: 'rows', logical: get('logical') === 'any' ? 'any' : 'all', conditions },
      transformation,
    },
    model,
  };
  const original = get('original');
  return {
    draft,
    version: get('version'),
    originalName: original === '' ? undefined : original,
    op: readOp(get('op')),
  };
}

function readOp(value: string): EditorOp {
  const [verb = '', list = '', index = ''] = value.split(':');
  const lists: readonly string[] = ['condition', 'mapping', 'property'];
  if ((verb === 'add' || verb === 'remove') && lists.includes(list)) {
    return verb === 'add'
      ? { kind: 'add', list: list as RowList }
      : { kind: 'remove', list: list as RowList, index: Number(index) };
  }
  return value === 'save' ? { kind: 'save' } : { kind: 'preview' };
}

/** The draft with a row added or removed (the server's answer to those buttons). */
export function changeRows(draft: EditorDraft, op: EditorOp): EditorDraft {
  if (op.kind !== 'add' && op.kind !== 'remove') return draft;
  const next: EditorDraft = structuredClone(draft);
  const edit = <T>(rows: T[], blank: T) => {
    if (op.kind === 'add') rows.push(blank);
    else if (op.index >= 0 && op.index < rows.length) rows.splice(op.index, 1);
  };
  if (op.list === 'condition') {
    if (next.pipeline.filter.kind !== 'rows') {
      next.pipeline.filter = { kind: 'rows', logical: 'all', conditions: [] };
    }
    edit(next.pipeline.filter.conditions, {
      property: '',
      operator: '',
      values: [],
      caseSensitive: false,
    });
  } else if (op.list === 'mapping') {
    if (next.pipeline.transformation.type !== 'mapping') {
      next.pipeline.transformation = { type: 'mapping', mappings: [] };
    }
    edit(next.pipeline.transformation.mappings, { to: '', from: '' });
  } else {
    edit(next.model, {
      name: '',
      type: 'string',
      nullable: true,
      description: '',
      precision: '',
      scale: '',
      nested: '',
    });
  }
  return next;
}
