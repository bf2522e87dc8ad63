/**
 * Runs the built n8n package through n8n's own code, the way an n8n instance does:
 *
 * - the package is built (n8n-node/scripts/build.ts) into a fresh folder and loaded by n8n-core's
 *   PackageDirectoryLoader (package.json "n8n" section, codex files, icons, the Poll Times
 *   parameter n8n adds to polling nodes);
 * - credentials are stored encrypted with n8n-core's Credentials class and decrypted by a
 *   credentials helper when a node asks for them;
 * - the action node runs in WorkflowExecute (ExecuteContext); the trigger polls through
 *   PollTriggerExecutor (PollContext, mode "trigger") or WorkflowExecute in manual mode, and what
 *   it emits starts a WorkflowExecute run like n8n's ActiveWorkflowManager does;
 * - static data is persisted the way n8n does it: from the workflowExecuteAfter hook of
 *   production executions, and after each poll; every run gets a new Workflow built from it.
 *
 * n8n-core and n8n-workflow are loaded with require (their CommonJS builds), the same module
 * instances the built package and n8n-core use, so nothing here is a stand-in for their classes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as Core from 'n8n-core';
import type * as WorkflowModule from 'n8n-workflow';
import type {
  ICredentialDataDecryptedObject,
  ICredentialType,
  IDataObject,
  INode,
  IHttpRequestOptions,
  INodeCredentialTestResult,
  INodeExecutionData,
  INodeParameters,
  INodeType,
  INodeTypes,
  IRun,
  IRunExecutionData,
  IWorkflowExecuteAdditionalData,
  WorkflowActivateMode,
  WorkflowExecuteMode,
} from 'n8n-workflow';
import { buildPackage } from '../../../n8n-node/scripts/build';

const REPO = resolve(__dirname, '../../..');
const requireCjs = createRequire(join(REPO, 'package.json'));

// n8n-core's InstanceSettings keeps its encryption key in the n8n user folder.
process.env.N8N_USER_FOLDER ??= mkdtempSync(join(tmpdir(), 'n8n-user-'));
process.env.N8N_ENCRYPTION_KEY ??= 'stripe-customers-tests';

const core = requireCjs('n8n-core') as typeof Core;
const wf = requireCjs('n8n-workflow') as typeof WorkflowModule;

/** n8n-workflow as n8n and the built package load it (for its NodeHelpers). */
export const n8nWorkflow = wf;
const { Container } = requireCjs('@n8n/di') as typeof import('@n8n/di');

/**
 * n8n keeps credential data keys in its database; here the one key is the instance's own
 * (InstanceSettings, from N8N_ENCRYPTION_KEY), the "legacy" setup of an existing instance.
 */
function configureEncryption(): void {
  const cipher = Container.get(core.Cipher);
  const legacy = {
    id: 'legacy',
    value: cipher.encryptDEKWithInstanceKey(Container.get(core.InstanceSettings).encryptionKey),
    algorithm: 'aes-256-cbc',
    format: 'no-prefix' as const,
  };
  Container.get(core.EncryptionKeyProxy).setProvider({
    getActiveKey: async () => legacy,
    getKeyById: async (id) => (id === legacy.id ? legacy : null),
    getLegacyKey: async () => legacy,
  });
}
configureEncryption();

/** What the nodes logged through n8n's logger (this.logger), instead of printing it. */
export const logs: string[] = [];
{
  const { Logger } = requireCjs('@n8n/backend-common') as typeof import('@n8n/backend-common');
  // The Logger pins the levels below its own (info) to non-writable no-ops: the service is
  // replaced by an object inheriting from it that captures debug, info and warn.
  const capture = (level: string) => ({
    value: (message: string) => void logs.push(`${level} ${message}`),
  });
  Container.set(
    Logger,
    Object.create(Container.get(Logger), {
      debug: capture('DEBUG'),
      info: capture('INFO'),
      warn: capture('WARN'),
    }) as InstanceType<typeof Logger>,
  );
}

/** Returns the messages logged since the last call. */
export function takeLogs(): string[] {
  return logs.splice(0, logs.length);
}

export const PACKAGE_NAME = 'n8n-nodes-stripe-customers';
export const ACTION = `${PACKAGE_NAME}.stripeCustomers`;
export const TRIGGER = `${PACKAGE_NAME}.stripeCustomersTrigger`;
export const CREDENTIAL = 'stripeCustomersApi';

/**
 * Builds the package into a folder under node_modules/.cache (so the bundle's one external,
 * n8n-workflow, resolves to the repo's copy, as it resolves to n8n's own in an instance) and loads
 * it with n8n's package loader.
 */
export async function loadPackage(): Promise<LoadedPackage> {
  const base = join(REPO, 'node_modules/.cache/n8n-node-test');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'pkg-'));
  await buildPackage(join(dir, 'dist'));
  writeFileSync(
    join(dir, 'package.json'),
    readFileSync(join(REPO, 'n8n-node/package.json'), 'utf8'),
  );
  const loader = new core.PackageDirectoryLoader(dir);
  await loader.loadAll();
  return new LoadedPackage(dir, loader);
}

class PackageNodeTypes implements INodeTypes {
  constructor(private readonly loader: Core.PackageDirectoryLoader) {}

  getByName(type: string) {
    return this.loader.getNode(type.replace(`${PACKAGE_NAME}.`, '')).type;
  }

  getByNameAndVersion(type: string, version?: number): INodeType {
    return wf.NodeHelpers.getVersionedNodeType(this.getByName(type), version);
  }

  getKnownTypes(): IDataObject {
    return this.loader.known.nodes as unknown as IDataObject;
  }
}

/** Holds credentials encrypted (n8n-core's Credentials) and decrypts them for nodes, as n8n does. */
class EncryptedCredentialsHelper extends wf.ICredentialsHelper {
  private readonly stored = new Map<string, { type: string; data: string }>();

  constructor(private readonly types: (name: string) => ICredentialType) {
    super();
  }

  async store(id: string, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
    const credentials = new core.Credentials({ id, name: id }, type);
    await credentials.setData(data);
    this.stored.set(id, { type, data: credentials.getDataToSave().data as string });
  }

  async getDecrypted(
    _additionalData: IWorkflowExecuteAdditionalData,
    nodeCredentials: { id: string | null; name: string },
    type: string,
  ): Promise<ICredentialDataDecryptedObject> {
    const entry = this.stored.get(nodeCredentials.id ?? '');
    if (!entry || entry.type !== type) {
      throw new Error(`No credentials "${nodeCredentials.id}" of type ${type}`);
    }
    const decrypted = await new core.Credentials(nodeCredentials, type, entry.data).getData();
    // n8n fills in the credential type's defaults for fields the user left untouched.
    const defaults = Object.fromEntries(
      this.types(type).properties.map((property) => [property.name, property.default]),
    );
    return { ...defaults, ...decrypted } as ICredentialDataDecryptedObject;
  }

  async getCredentials(nodeCredentials: { id: string | null; name: string }, type: string) {
    const entry = this.stored.get(nodeCredentials.id ?? '');
    return new core.Credentials(nodeCredentials, type, entry?.data);
  }

  getParentTypes(): string[] {
    return [];
  }

  isCredentialUsableByNode(): boolean {
    return true;
  }

  async authenticate(_credentials: ICredentialDataDecryptedObject, _type: string, options: any) {
    return options;
  }

  async preAuthentication() {
    return undefined;
  }

  async runPreAuthentication() {
    return undefined;
  }

  async updateCredentials(): Promise<void> {}

  async updateCredentialsOauthTokenData(): Promise<void> {}

  getCredentialsProperties(type: string) {
    return this.types(type).properties;
  }
}

export interface RunOptions {
  parameters: INodeParameters;
  /** Static data as n8n stored it after earlier runs (workflow.staticData). */
  staticData?: IDataObject;
  mode?: WorkflowExecuteMode;
  input?: INodeExecutionData[];
  /** Node settings such as continueOnFail. */
  node?: Partial<INode>;
  /** The workflow's timezone setting (what this.getTimezone() answers). */
  timezone?: string;
}

export interface NodeRun {
  items: IDataObject[];
  /** Items with their n8n metadata (pairedItem). */
  raw: INodeExecutionData[];
  /** The node's error, as n8n recorded it in the execution. */
  error?: { name: string; message: string; description?: string | null; httpCode?: string | null };
  /** Notices the node added to its output (addExecutionHints), as the editor shows them. */
  hints: Array<{ message: string; type?: string; location?: string }>;
  /** The workflow's static data as n8n would have saved it after this execution. */
  staticData: IDataObject;
  run: IRun;
}

export interface PollSession {
  /** The active workflow: its staticData is the one n8n would save. */
  workflow: WorkflowModule.Workflow;
  tick(options?: { activation?: boolean }): Promise<PollRun>;
}

export interface PollRun {
  /** null when the poll returned nothing (no execution started). */
  execution: NodeRun | null;
  /** Errors the poll reported to n8n (__emitError), e.g. a failing key. */
  errors: Error[];
  staticData: IDataObject;
}

const URLS = {
  restApiUrl: 'http://localhost:5678/rest',
  instanceBaseUrl: 'http://localhost:5678/',
  formBaseUrl: 'http://localhost:5678/form',
  formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
  formTestBaseUrl: 'http://localhost:5678/form-test',
  webhookBaseUrl: 'http://localhost:5678/webhook',
  webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
  webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
  mcpBaseUrl: 'http://localhost:5678/mcp',
  mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
};

let executions = 0;

export class LoadedPackage {
  readonly nodeTypes: PackageNodeTypes;

  readonly credentialsHelper: EncryptedCredentialsHelper;

  constructor(
    readonly dir: string,
    readonly loader: Core.PackageDirectoryLoader,
  ) {
    this.nodeTypes = new PackageNodeTypes(loader);
    this.credentialsHelper = new EncryptedCredentialsHelper(
      (name) => loader.getCredential(name).type,
    );
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Saves a credential (encrypted) under the id the test workflows use. */
  setCredential(data: ICredentialDataDecryptedObject, id = 'stripe'): Promise<void> {
    return this.credentialsHelper.store(id, CREDENTIAL, data);
  }

  /** The node type as n8n loaded it (description with n8n's additions, methods). */
  nodeType(type: string): INodeType {
    return this.nodeTypes.getByNameAndVersion(type);
  }

  private node(type: string, parameters: INodeParameters, extra: Partial<INode> = {}): INode {
    return {
      id: type === TRIGGER ? 'trigger-node' : 'action-node',
      name: type === TRIGGER ? 'Stripe Customers Trigger' : 'Stripe Customers',
      type,
      typeVersion: 1,
      position: [0, 0],
      parameters,
      credentials: { [CREDENTIAL]: { id: 'stripe', name: 'Stripe test' } },
      ...extra,
    };
  }

  private workflow(node: INode, staticData: IDataObject | undefined, timezone?: string) {
    return new wf.Workflow({
      id: 'wf-stripe',
      name: 'Stripe customers test',
      nodes: [node],
      connections: {},
      active: true,
      nodeTypes: this.nodeTypes,
      staticData: jsonClone(staticData ?? {}),
      settings: { executionOrder: 'v1', ...(timezone ? { timezone } : {}) },
    });
  }

  private additionalData(mode: WorkflowExecuteMode, workflow: WorkflowModule.Workflow) {
    const executionId = String(++executions);
    const hooks = new core.ExecutionLifecycleHooks(mode, executionId, {
      id: workflow.id,
      name: workflow.name ?? '',
      nodes: Object.values(workflow.nodes),
      connections: workflow.connectionsBySourceNode,
      active: true,
      activeVersionId: null,
      isArchived: false,
      settings: {},
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const additionalData = {
      ...URLS,
      hooks,
      executionId,
      credentialsHelper: this.credentialsHelper,
      currentNodeExecutionIndex: 0,
      variables: {},
      executeWorkflow: async () => {
        throw new Error('not used');
      },
      getRunExecutionData: async () => undefined,
      getRuntimeCredential: async () => undefined,
      logAiEvent: () => {},
      startRunnerTask: async () => {
        throw new Error('not used');
      },
    } as unknown as IWorkflowExecuteAdditionalData;
    return { additionalData, hooks };
  }

  /**
   * One execution starting at `node` with `input`, through WorkflowExecute. Static data changed
   * by the node is kept only for production modes, as n8n saves it only for those.
   */
  private async execute(
    workflow: WorkflowModule.Workflow,
    node: INode,
    mode: WorkflowExecuteMode,
    input: INodeExecutionData[][],
  ): Promise<NodeRun> {
    const { additionalData, hooks } = this.additionalData(mode, workflow);
    let saved = jsonClone(workflow.staticData) as IDataObject;
    hooks.addHandler('workflowExecuteAfter', (_run, newStaticData) => {
      if (mode !== 'manual' && newStaticData) saved = jsonClone(newStaticData);
    });
    const runExecutionData: IRunExecutionData = wf.createRunExecutionData({
      executionData: {
        nodeExecutionStack: [{ node, data: { main: input }, source: null }],
      },
    });
    const run = await new core.WorkflowExecute(
      additionalData,
      mode,
      runExecutionData,
    ).processRunExecutionData(workflow);
    return toNodeRun(run, node.name, saved);
  }

  /** Runs the Stripe Customers node once, as a production ("trigger") execution by default. */
  async runAction(options: RunOptions): Promise<NodeRun> {
    const node = this.node(ACTION, options.parameters, options.node);
    const workflow = this.workflow(node, options.staticData, options.timezone);
    return this.execute(workflow, node, options.mode ?? 'trigger', [
      options.input ?? [{ json: {} }],
    ]);
  }

  /** "Fetch Test Event": the trigger in a manual execution (WorkflowExecute polls it). */
  async fetchTestEvent(options: RunOptions): Promise<NodeRun> {
    const node = this.node(TRIGGER, options.parameters, options.node);
    const workflow = this.workflow(node, options.staticData, options.timezone);
    return this.execute(workflow, node, 'manual', [[{ json: {} }]]);
  }

  /**
   * One scheduled poll of an active workflow: PollTriggerExecutor runs the node's poll() with a
   * PollContext; emitted items start a production execution of the workflow. `activation` true
   * is the poll n8n runs when the workflow is activated.
   */
  async poll(
    options: RunOptions & { activation?: boolean; pollBudgetMs?: number },
  ): Promise<PollRun> {
    const node = this.node(TRIGGER, options.parameters, options.node);
    const workflow = this.workflow(node, options.staticData, options.timezone);
    const { additionalData } = this.additionalData('trigger', workflow);
    const errors: Error[] = [];
    let emitted: INodeExecutionData[][] | undefined;
    const context = new core.PollContext(
      workflow,
      node,
      additionalData,
      'trigger',
      options.activation ? 'activate' : 'init',
      (data) => {
        emitted = data;
      },
      (error) => {
        errors.push(error);
      },
      undefined,
      undefined,
      undefined,
      options.pollBudgetMs === undefined ? undefined : () => options.pollBudgetMs as number,
    );
    const executor = Container.get(core.PollTriggerExecutor);
    const tick = executor.create(workflow, node, context, () => true);
    await tick(options.activation ?? false).catch((error: Error) => errors.push(error));
    const staticData = jsonClone(workflow.staticData);
    const execution = emitted ? await this.execute(workflow, node, 'trigger', emitted) : null;
    return { execution, errors, staticData: execution?.staticData ?? staticData };
  }

  /**
   * An active workflow's trigger as n8n runs it in-process (ActiveWorkflowTriggers'
   * activatePollTrigger): one Workflow and one PollContext, created at activation and used for the
   * activation poll (`tick({ activation: true })`, which n8n awaits) and every scheduled poll after
   * it (`tick()`, which n8n starts on each cron tick without waiting for the previous one). Static
   * data lives in the Workflow, shared by all polls, as in n8n.
   */
  startPolling(
    options: RunOptions & { activationMode?: WorkflowActivateMode; pollBudgetMs?: number },
  ): PollSession {
    const node = this.node(TRIGGER, options.parameters, options.node);
    const workflow = this.workflow(node, options.staticData, options.timezone);
    const { additionalData } = this.additionalData('trigger', workflow);
    const tickState = new AsyncLocalStorage<{
      emitted?: INodeExecutionData[][];
      errors: Error[];
    }>();
    const context = new core.PollContext(
      workflow,
      node,
      additionalData,
      'trigger',
      options.activationMode ?? 'activate',
      (data) => {
        const state = tickState.getStore();
        if (state) state.emitted = data;
      },
      (error) => {
        tickState.getStore()?.errors.push(error);
      },
      undefined,
      undefined,
      undefined,
      options.pollBudgetMs === undefined ? undefined : () => options.pollBudgetMs as number,
    );
    const executePollTrigger = Container.get(core.PollTriggerExecutor).create(
      workflow,
      node,
      context,
      () => true,
    );
    return {
      workflow,
      tick: async ({ activation = false } = {}) => {
        const state: { emitted?: INodeExecutionData[][]; errors: Error[] } = { errors: [] };
        await tickState.run(state, async () => {
          await executePollTrigger(activation).catch((error: Error) => state.errors.push(error));
        });
        const execution = state.emitted
          ? await this.execute(workflow, node, 'trigger', state.emitted)
          : null;
        return { execution, errors: state.errors, staticData: jsonClone(workflow.staticData) };
      },
    };
  }

  /**
   * What n8n does with a credential when a node (the HTTP Request node with this predefined
   * credential type) sends a request with it: a credential's `authenticate` function gets the
   * decrypted data and the request; generic `authenticate` blocks are resolved against
   * `$credentials` (the `={{$credentials.name}}` templates n8n's CredentialsHelper fills in).
   */
  async authenticateRequest(
    data: ICredentialDataDecryptedObject,
    request: IHttpRequestOptions,
  ): Promise<IHttpRequestOptions> {
    const type = this.loader.getCredential(CREDENTIAL).type;
    const authenticate = type.authenticate;
    if (typeof authenticate === 'function') return authenticate.call(type, data, request);
    if (!authenticate || authenticate.type !== 'generic') return request;
    const fill = (template: unknown) =>
      String(template)
        .replace(/^=/, '')
        .replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, name: string) =>
          String(data[name] ?? ''),
        );
    const headers = Object.fromEntries(
      Object.entries(authenticate.properties.headers ?? {}).map(([name, value]) => [
        name,
        fill(value),
      ]),
    );
    return { ...request, headers: { ...request.headers, ...headers } };
  }

  /** The credential test n8n runs from the credential dialog ("testedBy" on the nodes). */
  async testCredential(data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
    const nodeType = this.nodeType(ACTION);
    const testedBy = nodeType.description.credentials?.find((c) => c.name === CREDENTIAL)
      ?.testedBy as string;
    const test = nodeType.methods?.credentialTest?.[testedBy];
    if (!test) throw new Error(`no credential test "${testedBy}"`);
    return test.call(new core.CredentialTestContext(), {
      id: 'stripe',
      name: 'Stripe test',
      type: CREDENTIAL,
      data,
    });
  }

  /** Activates a workflow holding the trigger with n8n's ActiveWorkflowTriggers (Poll Times). */
  async activate(parameters: INodeParameters, extra: Partial<INode> = {}) {
    const node = this.node(TRIGGER, parameters, extra);
    const workflow = this.workflow(node, {});
    const { additionalData } = this.additionalData('trigger', workflow);
    const triggers = Container.get(core.ActiveWorkflowTriggers);
    const emitted: INodeExecutionData[][][] = [];
    await triggers.addAllTriggers(
      workflow.id,
      workflow,
      additionalData,
      'trigger',
      'activate',
      core.getExecuteTriggerFunctions,
      (wf2, node2, data2, mode, activation) =>
        new core.PollContext(wf2, node2, data2, mode, activation, (data) => emitted.push(data)),
    );
    return {
      workflow,
      emitted,
      registered: triggers.getRegisteredTriggerNodeIds(workflow.id),
      deactivate: () => triggers.remove(workflow.id),
    };
  }
}

function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function toNodeRun(run: IRun, nodeName: string, staticData: IDataObject): NodeRun {
  const task = run.data.resultData.runData[nodeName]?.[0];
  const raw = task?.data?.main?.[0] ?? [];
  const error = (task?.error ?? run.data.resultData.error) as NodeRun['error'] | undefined;
  return {
    items: raw.map((item) => item.json),
    raw,
    hints: (task?.hints ?? []) as NodeRun['hints'],
    ...(error ? { error } : {}),
    staticData: jsonClone(staticData),
    run,
  };
}
