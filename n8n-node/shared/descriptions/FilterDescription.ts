/**
 * "Customers": which customers the node reads. Conditions on a property of the Stripe customer,
 * with the operators that fit the property's type (as n8n's own Filter offers them), or the
 * connector's filter JSON for nested groups. The lists come from the engine, so the panel offers
 * exactly what the engine accepts.
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { OPERATORS, listFilterableProperties } from '../engine';
import { OPERATOR_NAMES, PROPERTY_TYPE_NAMES, translateTerms } from '../vocabulary';

/** Property choice that reveals a free-text path field. */
export const CUSTOM_PATH = '__custom';

/** Property choices ending in `.<key>` (metadata.<key>): any key, typed in the Key field. */
export const ANY_KEY_SUFFIX = '.<key>';

/**
 * What a condition can test: every field of the customer with a value to compare. Whole objects
 * (`address`: test `address.city`) and `object` (always "customer") are left out; *Other (Type a
 * Path)* still reaches any path.
 */
export const CONDITION_PROPERTIES = listFilterableProperties().filter(
  (property) => property.type !== 'object' && !/(^|\.)object$/.test(property.path),
);

/** The property types offered, each with its own Operator list. */
export const CONDITION_TYPES = ['string', 'number', 'timestamp', 'boolean', 'array'] as const;

/** The Operator a new condition on a property of this type starts with. */
const DEFAULT_OPERATOR: Record<(typeof CONDITION_TYPES)[number] | 'any', string> = {
  string: 'is',
  number: 'is',
  timestamp: 'is_after',
  boolean: 'is_true',
  array: 'contains',
  any: 'is',
};

const propertyOptions: INodePropertyOptions[] = [
  ...CONDITION_PROPERTIES.map((property) => ({
    name: property.anyKey ? property.path.replace(ANY_KEY_SUFFIX, '.(key)') : property.path,
    value: property.path,
    description: `${PROPERTY_TYPE_NAMES[property.type] ?? property.type}${
      property.anyKey ? ': any key, typed in Key below' : ''
    }${property.description ? ` — ${property.description}` : ''}`,
  })),
  {
    name: 'Other (Type a Path)',
    value: CUSTOM_PATH,
    description: 'Any path of the Stripe customer, e.g. invoice_settings.custom_fields',
  },
];

const operatorIds = (arity: string): string[] =>
  OPERATORS.filter((operator) => operator.values === arity).map((operator) => operator.id);

const TEXT_OPERATORS = OPERATORS.filter(
  (operator) => operator.types.includes('string') && operator.values !== 'none',
).map((operator) => operator.id);

const pathsOfType = (type: string): string[] =>
  CONDITION_PROPERTIES.filter((property) => property.type === type).map(
    (property) => property.path,
  );

/**
 * One Operator field per property type, shown for the properties of that type (n8n shows the
 * parameter whose display conditions hold); *Other (Type a Path)* offers them all.
 */
function operatorField(type: (typeof CONDITION_TYPES)[number] | 'any'): INodeProperties {
  const operators =
    type === 'any' ? OPERATORS : OPERATORS.filter((operator) => operator.types.includes(type));
  return {
    displayName: 'Operator',
    name: 'operator',
    type: 'options',
    noDataExpression: true,
    options: operators.map((operator) => ({
      name: OPERATOR_NAMES.get(operator.id) ?? operator.id,
      value: operator.id,
      description: translateTerms(operator.description),
    })),
    default: DEFAULT_OPERATOR[type],
    displayOptions: { show: { property: type === 'any' ? [CUSTOM_PATH] : pathsOfType(type) } },
  };
}

/** What a Value looks like for each property type. */
const VALUE_HELP: Record<(typeof CONDITION_TYPES)[number] | 'any', [string, string]> = {
  string: ['pro', 'The text to compare with'],
  number: ['100', 'The number to compare with'],
  timestamp: [
    '2024-01-31',
    'A date: 2024-01-31 (that whole UTC day), 2024-01-31T10:00:00Z, unix seconds, or relative ("today", "30 days ago")',
  ],
  boolean: ['true', 'true or false'],
  array: ['fr-FR', 'An element the list must (not) hold'],
  any: ['', 'The value to compare with (for dates: 2024-01-31, unix seconds or "30 days ago")'],
};

/** The one Value of single-value operators, with the help that fits the property's type. */
function valueField(type: (typeof CONDITION_TYPES)[number] | 'any'): INodeProperties {
  const [placeholder, description] = VALUE_HELP[type];
  return {
    displayName: 'Value',
    name: 'value',
    type: 'string',
    default: '',
    ...(placeholder ? { placeholder } : {}),
    description,
    displayOptions: {
      show: {
        property: type === 'any' ? [CUSTOM_PATH] : pathsOfType(type),
        operator: operatorIds('one'),
      },
    },
  };
}

const DATE_VALUES =
  'Dates: 2024-01-31, 2024-01-31T10:00:00Z, unix seconds, or relative ("today", "30 days ago").';

export const filterProperties: INodeProperties[] = [
  {
    displayName: 'Customers',
    name: 'filterMode',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'All Customers', value: 'none', description: 'No filter' },
      {
        name: 'Matching Conditions',
        value: 'conditions',
        description: 'Only customers matching the conditions below',
      },
      {
        name: 'Matching a Filter (JSON)',
        value: 'json',
        description:
          'Conditions written as JSON ({"logical", "conditions"}), where groups can nest',
      },
    ],
    default: 'none',
  },
  {
    displayName: 'Match',
    name: 'filterLogical',
    type: 'options',
    options: [
      { name: 'All Conditions', value: 'all' },
      { name: 'Any Condition', value: 'any' },
    ],
    default: 'all',
    displayOptions: { show: { filterMode: ['conditions'] } },
  },
  {
    displayName: 'Conditions',
    name: 'filterConditions',
    type: 'fixedCollection',
    placeholder: 'Add Condition',
    typeOptions: { multipleValues: true, sortable: true },
    default: {},
    displayOptions: { show: { filterMode: ['conditions'] } },
    options: [
      {
        displayName: 'Condition',
        name: 'condition',
        values: [
          {
            displayName: 'Property',
            name: 'property',
            type: 'options',
            // The Operator offered depends on it: an expression here would offer all of them.
            noDataExpression: true,
            options: propertyOptions,
            default: 'email',
            description: 'The field of the Stripe customer to test',
          },
          {
            displayName: 'Key',
            name: 'key',
            type: 'string',
            default: '',
            placeholder: 'plan',
            description: 'The key inside the chosen map, e.g. the metadata key',
            displayOptions: {
              show: {
                property: CONDITION_PROPERTIES.filter((property) => property.anyKey).map(
                  (property) => property.path,
                ),
              },
            },
          },
          {
            displayName: 'Path',
            name: 'path',
            type: 'string',
            default: '',
            placeholder: 'metadata["signup.source"]',
            description: 'Dotted path of the field; quote keys holding dots',
            displayOptions: { show: { property: [CUSTOM_PATH] } },
          },
          ...CONDITION_TYPES.map(operatorField),
          operatorField('any'),
          ...[...CONDITION_TYPES, 'any' as const].map(valueField),
          {
            displayName: 'Values',
            name: 'values',
            type: 'string',
            typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Value' },
            default: [],
            description: 'The customer matches if the field equals any of these',
            displayOptions: { show: { operator: operatorIds('many') } },
          },
          {
            displayName: 'From',
            name: 'low',
            type: 'string',
            default: '',
            description: `Lower bound, included. ${DATE_VALUES}`,
            displayOptions: { show: { operator: operatorIds('two') } },
          },
          {
            displayName: 'To',
            name: 'high',
            type: 'string',
            default: '',
            description: `Upper bound, included. ${DATE_VALUES}`,
            displayOptions: { show: { operator: operatorIds('two') } },
          },
          {
            displayName: 'Case Sensitive',
            name: 'caseSensitive',
            type: 'boolean',
            default: false,
            description: 'Whether text comparisons respect upper/lower case',
            displayOptions: {
              show: {
                property: [...pathsOfType('string'), ...pathsOfType('array'), CUSTOM_PATH],
                operator: TEXT_OPERATORS,
              },
            },
          },
        ],
      },
    ],
  },
  {
    displayName: 'Filter (JSON)',
    name: 'filterJson',
    type: 'json',
    default:
      '{\n  "logical": "all",\n  "conditions": [\n    { "property": "email", "operator": "ends_with", "values": ["@example.com"] }\n  ]\n}',
    description:
      'Conditions as JSON: {"logical": "all"|"any", "conditions": [{"property", "operator", "values"}]}; a condition can be a group itself. Operators are written as ids here: is, is_not, contains, is_after…',
    displayOptions: { show: { filterMode: ['json'] } },
  },
];
