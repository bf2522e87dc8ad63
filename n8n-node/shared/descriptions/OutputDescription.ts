/**
 * "Output": what each item holds. The Stripe customer as it is, or the fields of your Customer
 * Model: one row per field with its name, its type and, for Mapped Fields, where its value comes
 * from. So a field is named once, and the mapping cannot name a field the model lacks. JavaScript
 * and Python transformations return the record themselves; their model (rows or JSON) is
 * optional, and their limits are shown only when code runs.
 */
import type { INodeProperties } from 'n8n-workflow';
import { MODEL_TYPES } from '../engine';
import { MODEL_TYPE_NAMES } from '../vocabulary';

const CODE = ['javascript', 'python'];

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

/** Examples of the mapping language, shown under every From field. */
export const FROM_HINT =
  'Mapping language, not an n8n expression: email, metadata.plan, lower(trim(email)), coalesce(name, email). Empty: the field of the same name.';

const FROM_DESCRIPTION =
  'Where the value comes from in each Stripe customer, in the connector’s mapping language: a path (address.city, metadata["signup.source"]), a JSONPath ($.address.country), a constant, or functions such as lower, upper, trim, coalesce, if, concat, substring, split, replace, map';

/** A model field's type and what goes with it: the same in every row of either kind. */
const typeFields: INodeProperties[] = [
  {
    displayName: 'Type',
    name: 'type',
    type: 'options',
    noDataExpression: true,
    options: MODEL_TYPES.map((type) => ({
      name: MODEL_TYPE_NAMES[type].name,
      value: type,
      description: MODEL_TYPE_NAMES[type].description,
    })),
    default: 'string',
  },
];

/** Type-specific settings, shown for the types they belong to. */
const typeDetailFields: INodeProperties[] = [
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
    noDataExpression: true,
    options: MODEL_TYPES.filter(
      (type) => !['decimal', 'array', 'object', 'map'].includes(type),
    ).map((type) => ({ name: MODEL_TYPE_NAMES[type].name, value: type })),
    default: 'string',
    description: 'Type of the list elements (array) or of the map values (map)',
    displayOptions: { show: { type: ['array', 'map'] } },
  },
  {
    // What most fields leave as it is, out of the way: a row stays three lines tall.
    displayName: 'Options',
    name: 'fieldOptions',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'Nullable',
        name: 'nullable',
        type: 'boolean',
        default: true,
        description: 'Whether the field may be null (by default it may)',
      },
      {
        displayName: 'Description',
        name: 'description',
        type: 'string',
        default: '',
        description: 'What the field holds, for the people who read your data',
      },
    ],
  },
];

const nameField: INodeProperties = {
  displayName: 'Name',
  name: 'name',
  type: 'string',
  noDataExpression: true,
  required: true,
  default: '',
  placeholder: 'email',
  description: 'Letters, digits and underscores, starting with a letter or underscore',
};

/**
 * The model as rows. Declared twice under one name: n8n shows the declaration whose display
 * conditions hold, so Mapped Fields rows have a From field and code rows do not, and the rows
 * stay when the Output changes.
 */
function customerModel(withFrom: boolean): INodeProperties {
  const from: INodeProperties = {
    displayName: 'From',
    name: 'from',
    type: 'string',
    // One language per field: the Fixed/Expression switch would offer n8n's, evaluated per input
    // item before any customer is read.
    noDataExpression: true,
    default: '',
    placeholder: 'lower(trim(email))',
    hint: FROM_HINT,
    description: FROM_DESCRIPTION,
  };
  return {
    displayName: 'Customer Model',
    name: 'customerModel',
    type: 'fixedCollection',
    placeholder: 'Add Field',
    typeOptions: { multipleValues: true, sortable: true },
    default: {},
    description: withFrom
      ? 'The fields of each item: a name, a type, and where the value comes from in the Stripe customer'
      : 'Your customer schema: the typed fields each item has. Leave empty to output what the code returns, untyped.',
    displayOptions: withFrom
      ? { show: { transformation: ['mapping'] } }
      : { show: { transformation: CODE, modelMode: ['fields'] } },
    options: [
      {
        displayName: 'Field',
        name: 'field',
        values: withFrom
          ? [nameField, ...typeFields, from, ...typeDetailFields]
          : [nameField, ...typeFields, ...typeDetailFields],
      },
    ],
  };
}

export const outputProperties: INodeProperties[] = [
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
        description: 'Your fields, each filled from the Stripe customer',
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
  customerModel(true),
  {
    displayName: 'Define Customer Model',
    name: 'modelMode',
    type: 'options',
    noDataExpression: true,
    options: [
      { name: 'Using Fields Below', value: 'fields' },
      { name: 'Using JSON', value: 'json', description: 'Allows nested objects and typed arrays' },
    ],
    default: 'fields',
    displayOptions: { show: { transformation: CODE } },
  },
  customerModel(false),
  {
    displayName: 'Customer Model (JSON)',
    name: 'customerModelJson',
    type: 'json',
    default:
      '[\n  { "name": "email", "type": "string" },\n  { "name": "name", "type": "string" },\n  { "name": "plan", "type": "string" }\n]',
    description:
      'A list of fields: {"name", "type", "nullable"}, with "properties" for an object, "items" for an array, "values" for a map',
    displayOptions: { show: { transformation: CODE, modelMode: ['json'] } },
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
        description:
          'Log the customer ID and the reason (the first 10), and go on with the others; the customer gets no item',
      },
    ],
    default: 'fail',
    displayOptions: { show: { transformation: ['mapping', ...CODE] } },
  },
  {
    displayName: 'Code Options',
    name: 'codeOptions',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show: { transformation: CODE } },
    options: [
      {
        displayName: 'Code Memory Limit (MB)',
        name: 'memoryLimitMb',
        type: 'number',
        typeOptions: { minValue: 16, maxValue: 2048 },
        default: 128,
        description: 'Heap available to the JavaScript/Python transformation',
      },
      {
        displayName: 'Code Timeout per Customer (Milliseconds)',
        name: 'timeoutMs',
        type: 'number',
        typeOptions: { minValue: 1, maxValue: 60000 },
        default: 1000,
        description:
          'Time the JavaScript/Python transformation may take for one customer. Three customers in a row over it stop the node: the code is stuck.',
      },
    ],
  },
];
