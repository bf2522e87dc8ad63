/**
 * A filter twice over: as written in the config (`FilterSpec`), and as `parseFilter` hands it on
 * once every property is resolved, every operator checked and every value coerced
 * (`FilterNode`), which the matcher and the push-down read without checking anything again.
 *
 * Config shape (a pipeline's `filter`, the same JSON in the n8n node):
 *
 *     { "logical": "all" | "any",               // default "all"
 *       "conditions": [
 *         { "property": "metadata.plan", "operator": "is", "values": ["pro"],
 *           "case_sensitive": false },           // optional, default false
 *         { "logical": "any", "conditions": [...] }   // nested group
 *       ] }
 */
import type { ConfigPath } from '../words.js';
import type { OperatorId } from './operators.js';
import type { Operand } from './predicates.js';
import type { PropertyInfo } from './properties.js';

export type Logical = 'all' | 'any';

/** One condition as written in the config. */
export interface ConditionSpec {
  property: string;
  operator: string;
  values?: unknown[];
  case_sensitive?: boolean;
}

/** A filter (or nested group) as written in the config. */
export interface FilterSpec {
  logical?: Logical;
  conditions?: Array<ConditionSpec | FilterSpec>;
}

/** A validated condition: property resolved, operator checked, values coerced. */
export interface ConditionNode {
  readonly kind: 'condition';
  /** Where it is written in the config. */
  readonly at: ConfigPath;
  readonly property: PropertyInfo;
  readonly operator: OperatorId;
  readonly operands: readonly Operand[];
  readonly caseSensitive: boolean;
}

export interface GroupNode {
  readonly kind: 'group';
  /** Where it is written in the config. */
  readonly at: ConfigPath;
  readonly logical: Logical;
  readonly children: readonly FilterNode[];
}

export type FilterNode = ConditionNode | GroupNode;

export interface CompileContext {
  /** Where the filter is in the config (`["pipelines", 0, "filter"]`): its problems are placed there. */
  at: ConfigPath;
  /** The instant relative dates are resolved against. */
  now: Date;
}
