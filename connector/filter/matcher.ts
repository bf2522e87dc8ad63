/** Compiles a validated filter tree to one closure per pipeline; nothing is parsed per customer. */
import { buildPredicate } from './predicates.js';
import { makeGetter } from '../util/value-path.js';
import type { FilterNode } from './tree.js';

export type Matcher = (customer: Record<string, unknown>) => boolean;

export function toMatcher(node: FilterNode): Matcher {
  if (node.kind === 'condition') {
    const get = makeGetter(node.property.segments);
    const predicate = buildPredicate({
      type: node.property.type,
      operator: node.operator,
      operands: node.operands,
      caseSensitive: node.caseSensitive,
      expandable: node.property.expandable ?? false,
    });
    return (customer) => predicate(get(customer));
  }
  const parts = node.children.map(toMatcher);
  const [a, b] = parts;
  // A pair is combined without a loop: matching runs for every customer read.
  if (parts.length === 2 && a && b) {
    return node.logical === 'all' ? (c) => a(c) && b(c) : (c) => a(c) || b(c);
  }
  if (node.logical === 'all') {
    return (c) => {
      for (const part of parts) if (!part(c)) return false;
      return true;
    };
  }
  return (c) => {
    for (const part of parts) if (part(c)) return true;
    return false;
  };
}
