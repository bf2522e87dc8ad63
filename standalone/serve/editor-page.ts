import { listFilterableProperties, MODEL_TYPES, OPERATORS } from '../../connector';
import { propertyType, type EditorDraft, type ModelRowDraft } from '../pipeline-draft';
import { escape, layout, number } from './html';
import type { Preview } from './preview';

export interface EditorContext {
  draft: EditorDraft;
  version: string;
  originalName: string | undefined;
  /** The pipeline's position in the config (for the fields' config paths); new ones go last. */
  index: number;
  /** The engine's message when validation refused the form. */
  error?: string;
  /** Where in the config the error is, as segments, when the engine says so: that field is marked. */
  errorAt?: ReadonlyArray<string | number>;
  /** The file changed since the form was opened: what changed. */
  conflict?: string[];
  preview?: Preview;
  destination: string;
  timeZone: string;
}

const INTERVALS = ['', '5m', '15m', '30m', '1h', '2h', '3h', '6h', '8h', '12h', '24h'];

/**
 * The pipeline form: name, description, switches, schedule, the filter (condition rows, or JSON
 * for nested groups), the transformation (none, mapping rows, JavaScript or Python code) and the
 * Customer Model rows. Plain HTML: rows are added and removed by the server; the page's script
 * only narrows each condition's operators to its property's type. Every field carries its config
 * path (`data-at`, JSON segments) so an error about a path can be pinned to the field.
 */
export function renderEditor(context: EditorContext): string {
  const { draft } = context;
  const pipeline = draft.pipeline;
  const marker = fieldMarker();
  const at = (...segments: Array<string | number>) =>
    marker(['pipelines', context.index, ...segments]);
  const title =
    context.originalName === undefined ? 'Add pipeline' : `Edit ${context.originalName}`;
  const action =
    context.originalName === undefined
      ? '/add-pipeline'
      : `/pipelines/${encodeURIComponent(context.originalName)}/edit`;
  const conflict = context.conflict
    ? `<div class="error-box" role="alert">The config file changed since this form was opened, so nothing was saved: ${escape(context.conflict.join('; '))}. Your edits are still below: check them against the change, then Save again to apply them to the new version.</div>`
    : '';
  const error = context.error
    ? `<div class="error-box" role="alert" data-error-for="config">${escape(context.error)}</div>`
    : '';
  const body = `<h2>${escape(title)}</h2>
${conflict}${error}
<form method="post" action="${escape(action)}" class="editor">
<button type="submit" name="op" value="preview" class="default-action" tabindex="-1" aria-hidden="true">Preview</button>
<input type="hidden" name="version" value="${escape(context.version)}">
<input type="hidden" name="original" value="${escape(context.originalName ?? '')}">
<fieldset><legend>Pipeline</legend>
  <label>Name <input name="name" value="${escape(pipeline.name)}" required pattern="[A-Za-z][A-Za-z0-9_]*" ${at('name')}></label>
  <label>Description <input name="description" value="${escape(pipeline.description)}" size="50" ${at('description')}></label>
  <div class="hint">The name is the table's name (in lower case): letters, digits and _. Renaming a pipeline writes a new table; the old one stays.</div>
  <label><input type="checkbox" name="enabled" ${pipeline.enabled ? 'checked' : ''} ${at('enabled')}> Enabled</label>
  <label><input type="checkbox" name="incremental" ${pipeline.incremental ? 'checked' : ''} ${at('incremental')}> Incremental (after the first full import, read only the changes)</label>
  <label>Schedule <input name="schedule" list="intervals" value="${escape(pipeline.schedule)}" placeholder="on demand" ${at('schedule')}></label>
  <datalist id="intervals">${INTERVALS.filter(Boolean)
    .map((interval) => `<option value="${interval}">`)
    .join('')}<option value="0 6 * * *"></datalist>
  <div class="hint">An interval (5m … 24h, at round times) or a cron expression such as <code>0 6 * * 1-5</code>; empty: only when run by hand.</div>
</fieldset>
${filterFieldset(context, at)}
${transformationFieldset(context, at)}
${modelFieldset(draft.model, marker)}
<div class="toolbar">
  <button type="submit" name="op" value="preview">Preview</button>
  <button type="submit" name="op" value="save" class="primary">Save</button>
  <a href="/">Back to the pipelines</a>
</div>
</form>
${context.preview ? renderPreview(context.preview) : ''}
${propertyList()}`;
  return layout({
    title: `${title} · Stripe customers`,
    destination: context.destination,
    timeZone: context.timeZone,
    body: markInvalid(body, context.errorAt),
  });
}

type At = (...segments: Array<string | number>) => string;
type Marker = (path: Array<string | number>) => string;

/** A field's config path, as the `data-at` attribute every field carries. */
function fieldMarker(): Marker {
  return (path) => `data-at="${escape(JSON.stringify(path))}"`;
}

/**
 * Marks the field an error is about (`aria-invalid`): the one whose path is the error's, or the
 * longest that holds it (an error about the second value marks the values box).
 */
function markInvalid(html: string, errorAt: ReadonlyArray<string | number> | undefined): string {
  if (!errorAt) return html;
  const wrong = JSON.stringify(errorAt);
  let best: string | undefined;
  for (const match of html.matchAll(/data-at="([^"]+)"/g)) {
    const own = (match[1] as string).replace(/&quot;/g, '"');
    const holds = wrong === own || wrong.startsWith(`${own.slice(0, -1)},`);
    if (holds && (best === undefined || own.length > best.length)) best = own;
  }
  if (best === undefined) return html;
  const attribute = `data-at="${escape(best)}"`;
  return html.replace(attribute, `${attribute} aria-invalid="true"`);
}

function filterFieldset(context: EditorContext, at: At): string {
  const filter = context.draft.pipeline.filter;
  const rows = filter.kind === 'rows' ? filter : { logical: 'all', conditions: [] };
  const conditions = rows.conditions
    .map((condition, index) => {
      const type = propertyType(condition.property);
      const arity = OPERATORS.find((operator) => operator.id === condition.operator)?.values;
      const field = (name: string) => at('filter', 'conditions', index, name);
      return `<div class="row condition" data-condition="${index}">
    <input name="c.${index}.property" list="filter-properties" value="${escape(condition.property)}" placeholder="property, e.g. metadata.plan" aria-label="Condition ${index + 1} property" ${field('property')}>
    <select name="c.${index}.operator" aria-label="Condition ${index + 1} operator" ${field('operator')}>${operatorOptions(condition.operator, type)}</select>
    <textarea name="c.${index}.values" rows="${Math.max(1, condition.values.length)}" placeholder="${arity === 'none' ? 'no value' : 'value (one per line)'}" aria-label="Condition ${index + 1} values" ${field('values')}>${escape(condition.values.join('\n'))}</textarea>
    <label class="small"><input type="checkbox" name="c.${index}.case_sensitive" ${condition.caseSensitive ? 'checked' : ''} ${field('case_sensitive')}> case-sensitive</label>
    <button type="submit" name="op" value="remove:condition:${index}" aria-label="Remove condition ${index + 1}">Remove</button>
  </div>`;
    })
    .join('\n');
  return `<fieldset><legend>Filter</legend>
  <div class="hint">Which customers this pipeline imports; no condition: every customer.</div>
  <label><input type="radio" name="filter_mode" value="rows" ${filter.kind === 'rows' ? 'checked' : ''}> Conditions</label>
  <label><input type="radio" name="filter_mode" value="json" ${filter.kind === 'json' ? 'checked' : ''}> JSON (nested groups)</label>
  <div class="filter-rows">
    <label>Customers matching <select name="logical" aria-label="Match" ${at('filter', 'logical')}>
      <option value="all" ${rows.logical === 'all' ? 'selected' : ''}>all</option>
      <option value="any" ${rows.logical === 'any' ? 'selected' : ''}>any</option>
    </select> of these conditions:</label>
    <div class="rows">${conditions || '<p class="muted small">No condition: every customer.</p>'}</div>
    <button type="submit" name="op" value="add:condition">Add condition</button>
  </div>
  <div class="filter-json">
    <label class="block">Filter as JSON <textarea name="filter_json" rows="6" aria-label="Filter as JSON" ${at('filter')}>${escape(filter.kind === 'json' ? filter.text : '')}</textarea></label>
    <div class="hint">Groups nest: <code>{"logical": "any", "conditions": [{"property": "email", "operator": "ends_with", "values": ["@example.com"]}, {"logical": "all", "conditions": […]}]}</code>. See the Filters reference.</div>
  </div>
</fieldset>`;
}

function operatorOptions(selected: string, type: string | undefined): string {
  const known = OPERATORS.some((operator) => operator.id === selected);
  const options = OPERATORS.map((operator) => {
    const fits = type === undefined || (operator.types as readonly string[]).includes(type);
    return `<option value="${operator.id}" data-types="${operator.types.join(' ')}" data-values="${operator.values}" ${operator.id === selected ? 'selected' : ''} ${fits ? '' : 'hidden'}>${escape(operator.label)}</option>`;
  });
  return [
    `<option value="" ${selected === '' ? 'selected' : ''}>operator…</option>`,
    ...(known || selected === ''
      ? []
      : [`<option value="${escape(selected)}" selected>${escape(selected)}</option>`]),
    ...options,
  ].join('');
}

function transformationFieldset(context: EditorContext, at: At): string {
  const { transformation, onError } = context.draft.pipeline;
  const type = transformation.type;
  const option = (value: string, label: string) =>
    `<option value="${value}" ${type === value ? 'selected' : ''}>${label}</option>`;
  const mappings =
    transformation.type === 'mapping'
      ? transformation.mappings
          .map(
            (row, index) => `<div class="row mapping" data-mapping="${index}">
    <input name="m.${index}.to" list="model-names" value="${escape(row.to)}" placeholder="to (a model property)" aria-label="Mapping ${index + 1} to" ${at('transformation', 'mappings', index, 'to')}>
    <input name="m.${index}.from" class="wide" value="${escape(row.from)}" placeholder="from, e.g. lower(email)" aria-label="Mapping ${index + 1} from" ${at('transformation', 'mappings', index, 'from')}>
    <button type="submit" name="op" value="remove:mapping:${index}" aria-label="Remove mapping ${index + 1}">Remove</button>
  </div>`,
          )
          .join('\n')
      : '';
  const code =
    transformation.type === 'javascript' || transformation.type === 'python'
      ? transformation
      : undefined;
  const modelNames = context.draft.model
    .map((row) => `<option value="${escape(row.name)}">`)
    .join('');
  return `<fieldset><legend>Transformation</legend>
  <label>Type <select name="transformation" aria-label="Transformation" ${at('transformation', 'type')}>${option('none', 'None (Stripe’s customer object as it is)')}${option('mapping', 'Mapping into the Customer Model')}${option('javascript', 'JavaScript')}${option('python', 'Python')}</select></label>
  <label>On error <select name="on_error" aria-label="On error" ${at('on_error')}><option value="fail" ${onError === 'fail' ? 'selected' : ''}>fail the run</option><option value="skip" ${onError === 'skip' ? 'selected' : ''}>skip the customer</option></select></label>
  <div class="transformation-mapping">
    <div class="hint">Mapping: each row fills a model property from an expression over the customer (<code>email</code>, <code>lower(trim(email))</code>, <code>coalesce(metadata.plan, 'free')</code>).</div>
    <div class="rows">${mappings}</div>
    <button type="submit" name="op" value="add:mapping">Add mapping row</button>
    <datalist id="model-names">${modelNames}</datalist>
  </div>
  <div class="transformation-code">
    <label class="block">Code <textarea name="source" rows="8" aria-label="Code" placeholder="function transform(customer) { return { email: customer.email }; }" ${at('transformation', 'source')}>${escape(code?.source ?? '')}</textarea></label>
    <label>timeout_ms <input name="timeout_ms" value="${escape(code?.timeoutMs ?? '')}" size="6" placeholder="1000" ${at('transformation', 'timeout_ms')}></label>
    <label>memory_limit_mb <input name="memory_limit_mb" value="${escape(code?.memoryLimitMb ?? '')}" size="6" placeholder="128" ${at('transformation', 'memory_limit_mb')}></label>
  </div>
</fieldset>`;
}

function modelFieldset(rows: ModelRowDraft[], marker: Marker): string {
  const field = (index: number, name: string) => marker(['customer_model', index, name]);
  const items = rows
    .map(
      (row, index) => `<div class="row model-row" data-property="${index}">
    <input name="model.${index}.name" value="${escape(row.name)}" placeholder="name" aria-label="Property ${index + 1} name" ${field(index, 'name')}>
    <select name="model.${index}.type" aria-label="Property ${index + 1} type" ${field(index, 'type')}>${MODEL_TYPES.map((type) => `<option value="${type}" ${type === row.type ? 'selected' : ''}>${type}</option>`).join('')}</select>
    <label class="small"><input type="checkbox" name="model.${index}.nullable" ${row.nullable ? 'checked' : ''} ${field(index, 'nullable')}> nullable</label>
    <input name="model.${index}.description" value="${escape(row.description)}" placeholder="description" aria-label="Property ${index + 1} description" ${field(index, 'description')}>
    <input name="model.${index}.precision" value="${escape(row.precision)}" size="3" placeholder="precision" aria-label="Property ${index + 1} precision" ${field(index, 'precision')}>
    <input name="model.${index}.scale" value="${escape(row.scale)}" size="3" placeholder="scale" aria-label="Property ${index + 1} scale" ${field(index, 'scale')}>
    <input name="model.${index}.nested" value="${escape(row.nested)}" placeholder='nested type, e.g. {"type": "string"}' aria-label="Property ${index + 1} nested type" ${field(index, 'nested')}>
    <button type="submit" name="op" value="remove:property:${index}" aria-label="Remove property ${index + 1}">Remove</button>
  </div>`,
    )
    .join('\n');
  return `<fieldset><legend>Customer Model</legend>
  <div class="hint">Shared by every pipeline with a transformation: changing it imports each of them again. precision and scale are for decimal; the nested type is for array (<code>{"type": "string"}</code>), map (the values' type) and object (<code>[{"name": "city", "type": "string"}]</code>).</div>
  <div class="rows">${items || '<p class="muted small">No Customer Model: mappings and code emit what they return, unconverted.</p>'}</div>
  <button type="submit" name="op" value="add:property">Add property</button>
</fieldset>`;
}

function propertyList(): string {
  return `<datalist id="filter-properties">${listFilterableProperties()
    .map(
      (property) =>
        `<option value="${escape(property.anyKey ? property.path.replace('<key>', '') : property.path)}" data-type="${property.type}">${escape(property.type)}</option>`,
    )
    .join('')}</datalist>`;
}

function renderPreview(preview: Preview): string {
  const cell = (value: string | number | boolean | null) =>
    value === null
      ? '<span class="muted">null</span>'
      : escape(
          typeof value === 'string' && value.length > 200
            ? `${value.slice(0, 200)}…`
            : String(value),
        );
  const rows = preview.rows
    .map((row) => `<tr>${row.map((value) => `<td>${cell(value)}</td>`).join('')}</tr>`)
    .join('\n');
  const skipped = preview.skipped.length
    ? `<p class="warn small">Skipped: ${preview.skipped
        .map((customer) => `${escape(customer.id)} (${escape(customer.reason)})`)
        .join('; ')}</p>`
    : '';
  return `<section class="preview" aria-label="Preview">
<h3>Preview: the first ${number.format(preview.rows.length)} row(s) of table <code>${escape(preview.table)}</code></h3>
<p class="muted small">As the warehouse would get them, read in ${preview.seconds.toFixed(1)} s; nothing was saved or written.${preview.filteredOut ? ` ${number.format(preview.filteredOut)} customer(s) read were left out by the filter.` : ''}</p>
${preview.error ? `<div class="error-box" role="alert">${escape(preview.error)}</div>` : ''}
${preview.stoppedEarly ? `<p class="warn small">${escape(preview.stoppedEarly)}</p>` : ''}
${skipped}
<div class="scroll"><table class="preview">
<thead><tr>${preview.columns.map((column) => `<th>${escape(column)}</th>`).join('')}</tr></thead>
<tbody>${rows || `<tr><td colspan="${preview.columns.length}" class="muted">no row</td></tr>`}</tbody>
</table></div>
</section>`;
}
