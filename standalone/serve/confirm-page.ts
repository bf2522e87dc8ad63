import { escape, layout, pipelinePath } from './html';

interface Frame {
  destination: string;
  timeZone: string;
}

/** Delete asks first, and whether the pipeline's table goes too. */
export function renderDeletePage(
  pipeline: { name: string; table: string; version: string },
  frame: Frame,
): string {
  const name = escape(pipeline.name);
  return layout({
    title: `Delete ${pipeline.name} · Stripe customers`,
    ...frame,
    body: `<h2>Delete pipeline ${name}?</h2>
<p>It is removed from the config file (the previous file is kept beside it, with <code>.bak</code> added to its name), and its schedule stops.</p>
<form method="post" action="${pipelinePath(pipeline.name, 'delete')}">
  <input type="hidden" name="version" value="${escape(pipeline.version)}">
  <label class="block"><input type="checkbox" name="drop_table" value="yes"> Also drop its table <code>${escape(pipeline.table)}</code> and its saved state (the rows are gone; a pipeline added later under this name imports every customer again)</label>
  <div class="toolbar"><button type="submit" class="danger">Delete</button> <a href="/">Back to the pipelines</a></div>
</form>`,
  });
}

/** Rebuild asks first: it drops the table and imports every customer again. */
export function renderRebuildPage(pipeline: { name: string; table: string }, frame: Frame): string {
  const name = escape(pipeline.name);
  return layout({
    title: `Rebuild ${pipeline.name} · Stripe customers`,
    ...frame,
    body: `<h2>Rebuild pipeline ${name}?</h2>
<p>Its table <code>${escape(pipeline.table)}</code> and its saved state are dropped, and a run starts now that imports every matching customer again. Until it ends the table is empty. Use it after changing a column's type by hand failed, or to start afresh.</p>
<form method="post" action="${pipelinePath(pipeline.name, 'rebuild')}">
  <div class="toolbar"><button type="submit" class="danger">Rebuild</button> <a href="/">Back to the pipelines</a></div>
</form>`,
  });
}
