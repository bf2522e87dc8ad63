/**
 * The parameters both nodes show: which customers (filter), what shape (Stripe's object, a
 * mapping to the Customer Model, or JavaScript/Python code) and a few connection options. Option
 * lists come from the engine (its operators, filterable properties and model types), so the UI
 * offers exactly what the engine accepts.
 */
import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { MODEL_TYPES, OPERATORS, listFilterableProperties } from './engine';

/** Property choice that reveals a free-text path field. */
export const CUSTOM_PATH = '__custom';

/** Property choices ending in `.<key>` (metadata.<key>): any key, typed in the Key field. */
export const ANY_KEY_SUFFIX = '.<key>';

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'number',
  timestamp: 'date (unix seconds)',
  boolean: 'true/false',
  array: 'list',
  object: 'object',
};

const titleCase = (label: string): string =>
  label.replace(
    /(^|\s)([a-z])/g,
    (_, space: string, letter: string) => space + letter.toUpperCase(),
  );

const operatorIds = (arity: string): string[] =>
  OPERATORS.filter((operator) => operator.values === arity).map((operator) => operator.id);

const TEXT_OPERATORS = OPERATORS.filter(
  (operator) => operator.types.includes('string') && operator.values !== 'none',
).map((operator) => operator.id);

const filterableProperties = listFilterableProperties();

const propertyOptions: INodePropertyOptions[] = [
  ...filterableProperties.map((property) => ({
    name: property.anyKey ? property.path.replace(ANY_KEY_SUFFIX, '.(key)') : property.path,
    value: property.path,
    description: `${TYPE_NAMES[property.type] ?? property.type}${
      property.anyKey ? ': any key, typed in Key below' : ''
    }${property.description ? ` — ${property.description}` : ''}`,
  })),
  {
    name: 'Other (Type a Path)',
    value: CUSTOM_PATH,
    description: 'Any path of the Stripe customer, e.g. invoice_settings.custom_fields',
  },
];

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
          'The filter JSON of the Airbyte connector ({"logical", "conditions"}), nested groups included',
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
                property: filterableProperties
                  .filter((property) => property.anyKey)
                  .map((property) => property.path),
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
          {
            displayName: 'Operator',
            name: 'operator',
            type: 'options',
            options: OPERATORS.map((operator) => ({
              name: titleCase(operator.label),
              value: operator.id,
              description: `${operator.description} For: ${operator.types
                .map((type) => TYPE_NAMES[type] ?? type)
                .join(', ')}.`,
            })),
            default: 'is',
          },
          {
            displayName: 'Value',
            name: 'value',
            type: 'string',
            default: '',
            description: `The value to compare with. ${DATE_VALUES}`,
            displayOptions: { show: { operator: operatorIds('one') } },
          },
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
            displayOptions: { show: { operator: TEXT_OPERATORS } },
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
      'Same filter JSON as the Airbyte connector: {"logical": "all"|"any", "conditions": [{"property", "operator", "values"}]}, groups may nest',
    displayOptions: { show: { filterMode: ['json'] } },
  },
];

export const JAVASCRIPT_TEMPLATE = `// Called once per customer (Stripe's customer object).
// Return the record to output (an object), or null to skip the customer.
function transform(customer) {
  return {
    email: customer.email,
    name: customer.name,
    plan: customer.metadata.plan ?? null,
  };
}
`;

export const PYTHON_TEMPLATE = `# Called once per customer (Stripe's customer object, a dict).
# Return the record to output (a dict), or None to skip the customer.
def transform(customer):
    return {
        "email": customer["email"],
        "name": customer["name"],
        "plan": customer["metadata"].get("plan"),
    }
`;

const withTransformation = { show: { transformation: ['mapping', 'javascript', 'python'] } };

export const transformationProperties: INodeProperties[] = [
  {
    displayName: 'Output',
    name: 'transformation',
    type: 'options',
    noDataExpression: true,
    options: [
      {
        name: 'Stripe Customer Object',
        value: 'none',
        description: 'Each customer as Stripe returns it',
      },
      {
        name: 'Mapped Fields',
        value: 'mapping',
        description: 'Fill your Customer Model from expressions over the Stripe customer',
      },
      {
        name: 'JavaScript Transformation',
        value: 'javascript',
        description: 'A transform(customer) function, run in a WebAssembly sandbox',
      },
      {
        name: 'Python Transformation',
        value: 'python',
        description: 'A transform(customer) function, run in Pyodide (WebAssembly)',
      },
    ],
    default: 'none',
  },
  {
    displayName: 'Define Customer Model',
    name: 'modelMode',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'Using Fields Below', value: 'fields' },
      { name: 'Using JSON', value: 'json' },
    ],
    default: 'fields',
    displayOptions: withTransformation,
  },
  {
    displayName: 'Customer Model',
    name: 'customerModel',
    type: 'fixedCollection',
    placeholder: 'Add Model Field',
    typeOptions: { multipleValues: true, sortable: true },
    default: {},
    description:
      'Your customer schema: the typed fields each output item has. Leave empty to output what the transformation returns, untyped.',
    displayOptions: { show: { ...withTransformation.show, modelMode: ['fields'] } },
    options: [
      {
        displayName: 'Field',
        name: 'field',
        values: [
          {
            displayName: 'Name',
            name: 'name',
            type: 'string',
            default: '',
            placeholder: 'email',
            description: 'Letters, digits and underscores, starting with a letter or underscore',
          },
          {
            displayName: 'Type',
            name: 'type',
            type: 'options',
            options: MODEL_TYPES.map((type) => ({ name: titleCase(type), value: type })),
            default: 'string',
          },
          {
            displayName: 'Nullable',
            name: 'nullable',
            type: 'boolean',
            default: true,
            description: 'Whether the field may be null',
          },
          {
            displayName: 'Precision',
            name: 'precision',
            type: 'number',
            typeOptions: { minValue: 1, maxValue: 15 },
            default: 12,
            description: 'Significant digits of the decimal',
            displayOptions: { show: { type: ['decimal'] } },
          },
          {
            displayName: 'Scale',
            name: 'scale',
            type: 'number',
            typeOptions: { minValue: 0, maxValue: 15 },
            default: 2,
            description: 'Digits after the decimal point',
            displayOptions: { show: { type: ['decimal'] } },
          },
          {
            displayName: 'Element Type',
            name: 'elementType',
            type: 'options',
            options: MODEL_TYPES.filter(
              (type) => !['decimal', 'array', 'object', 'map'].includes(type),
            ).map((type) => ({ name: titleCase(type), value: type })),
            default: 'string',
            description: 'Type of the list elements (array) or of the map values (map)',
            displayOptions: { show: { type: ['array', 'map'] } },
          },
          {
            displayName: 'Description',
            name: 'description',
            type: 'string',
            default: '',
          },
        ],
      },
    ],
  },
  {
    displayName: 'Customer Model (JSON)',
    name: 'customerModelJson',
    type: 'json',
    default:
      '[\n  { "name": "email", "type": "string" },\n  { "name": "name", "type": "string" },\n  { "name": "plan", "type": "string" }\n]',
    description:
      'Same customer_model JSON as the Airbyte connector; allows nested objects and typed arrays',
    displayOptions: { show: { ...withTransformation.show, modelMode: ['json'] } },
  },
  {
    displayName: 'Mappings',
    name: 'mappings',
    type: 'fixedCollection',
    placeholder: 'Add Mapping',
    typeOptions: { multipleValues: true, sortable: true },
    default: {},
    displayOptions: { show: { transformation: ['mapping'] } },
    options: [
      {
        displayName: 'Mapping',
        name: 'mapping',
        values: [
          {
            displayName: 'To (Model Field)',
            name: 'to',
            type: 'string',
            default: '',
            placeholder: 'email',
          },
          {
            displayName: 'From (Expression)',
            name: 'from',
            type: 'string',
            default: '',
            placeholder: 'lower(trim(email))',
            description:
              'A path (email, address.city, metadata.plan), a JSONPath ($.address.country), a constant, or functions: coalesce, if, lower, upper, trim, concat, substring, split, replace, map…',
          },
        ],
      },
    ],
  },
  {
    displayName: 'JavaScript',
    name: 'javascriptCode',
    type: 'string',
    typeOptions: { editor: 'jsEditor', rows: 10 },
    default: JAVASCRIPT_TEMPLATE,
    noDataExpression: true,
    description:
      'Defines transform(customer). Runs in a QuickJS WebAssembly sandbox: no require, network or file system.',
    displayOptions: { show: { transformation: ['javascript'] } },
  },
  {
    displayName: 'Python',
    name: 'pythonCode',
    type: 'string',
    typeOptions: { editor: 'codeNodeEditor', editorLanguage: 'python', rows: 10 },
    default: PYTHON_TEMPLATE,
    noDataExpression: true,
    description: 'Defines transform(customer). Runs in Pyodide (Python in WebAssembly).',
    displayOptions: { show: { transformation: ['python'] } },
  },
  {
    displayName: 'On Transformation Error',
    name: 'onError',
    type: 'options',
    options: [
      {
        name: 'Stop',
        value: 'fail',
        description: 'Stop at the first customer that cannot be transformed, naming it',
      },
      {
        name: 'Skip the Customer',
        value: 'skip',
        description: 'Log the customer ID and the reason, and go on with the others',
      },
    ],
    default: 'fail',
    displayOptions: withTransformation,
  },
];

/** Options shared by both nodes (a collection, so they stay out of the way). */
export const sharedOptions: INodeProperties[] = [
  {
    displayName: 'Code Memory Limit (MB)',
    name: 'codeMemoryLimitMb',
    type: 'number',
    typeOptions: { minValue: 16, maxValue: 2048 },
    default: 128,
    description: 'Heap available to the JavaScript/Python transformation',
  },
  {
    displayName: 'Code Timeout per Customer (Ms)',
    name: 'codeTimeoutMs',
    type: 'number',
    typeOptions: { minValue: 1, maxValue: 60000 },
    default: 1000,
    description: 'Time the JavaScript/Python transformation may take for one customer',
  },
  {
    displayName: 'Created On or After',
    name: 'startDate',
    type: 'dateTime',
    default: '',
    description: 'Only customers created at or after this moment',
  },
  {
    displayName: 'Requests per Second',
    name: 'requestsPerSecond',
    type: 'number',
    typeOptions: { minValue: 1, maxValue: 100 },
    default: 20,
    description:
      'Client-side rate limit towards Stripe (Stripe allows 100/s live, 25/s test); leave room for other integrations',
  },
  {
    displayName: 'Use Search API for Filters',
    name: 'useSearchApi',
    type: 'boolean',
    default: false,
    description:
      'Whether to pre-filter full imports with Stripe’s Search API (email, name, phone, metadata, created); results lag about a minute behind',
  },
];

/** The "Options" collection both nodes show, holding sharedOptions. */
export const optionsProperty: INodeProperties = {
  displayName: 'Options',
  name: 'options',
  type: 'collection',
  placeholder: 'Add Option',
  default: {},
  options: sharedOptions,
};
