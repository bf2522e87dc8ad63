/**
 * Builds the n8n package into n8n-node/dist (or the folder given as first argument):
 *
 *   dist/shared/index.js        the shell's shared code + the engine (../connector) + stripe, ajv,
 *                               jsonpath-plus and the QuickJS/Pyodide glue, bundled (CommonJS)
 *   dist/shared/*.wasm, ...     WebAssembly and Python runtime files the bundle loads from disk
 *   dist/nodes/<Node>/<Node>.node.js (+ codex .node.json, icons)   thin, require ../../shared
 *   dist/credentials/StripeCustomersApi.credentials.js
 *   dist/index.js               the package's main: exports the node and credential classes
 *
 * n8n-workflow stays external (n8n provides it: the package's only peer dependency).
 *
 *   npx tsx n8n-node/scripts/build.ts [outDir]
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const PACKAGE_DIR = resolve(__dirname, '..');
const REPO_DIR = resolve(PACKAGE_DIR, '..');

const NODES = ['StripeCustomers', 'StripeCustomersTrigger'] as const;
const CREDENTIALS = ['StripeCustomersApi'] as const;

/** Where the bundle finds Pyodide: a copy of its runtime files next to dist/shared/index.js. */
const PYODIDE_DIR = 'pyodide';

/** The files of the `pyodide` npm package that loadPyodide() reads in Node. */
const PYODIDE_FILES = [
  'package.json',
  'pyodide.js',
  'pyodide.asm.mjs',
  'pyodide.asm.wasm',
  'python_stdlib.zip',
  'pyodide-lock.json',
  'README.md',
];

/** Files the bundled engine reads at run time, next to dist/shared/index.js. */
function runtimeAssets(): Array<{ from: string; to: string }> {
  const modules = join(REPO_DIR, 'node_modules');
  return [
    {
      // QuickJS (JavaScript transformations): emscripten loads it from __dirname.
      from: join(modules, '@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm'),
      to: 'emscripten-module.wasm',
    },
    ...PYODIDE_FILES.map((file) => ({
      from: join(modules, 'pyodide', file),
      to: join(PYODIDE_DIR, file),
    })),
  ];
}

/**
 * The engine finds Pyodide with require.resolve('pyodide/package.json') (it hands the folder to
 * its sandbox process). The package ships no node_modules, so the bundle looks in its own copy.
 * Fails the build if the engine stops doing it that way (no such lookup, or several), rather
 * than shipping a broken bundle.
 */
const pyodideNextToBundle: Plugin = {
  name: 'pyodide-next-to-bundle',
  setup(builder) {
    const lookup = /require\.resolve\(\s*['"]pyodide\/package\.json['"]\s*\)/g;
    const rewritten: string[] = [];
    builder.onLoad({ filter: /connector[\\/]transform[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.match(lookup)) return undefined;
      rewritten.push(args.path);
      return {
        contents: source.replace(
          lookup,
          `require('node:path').join(__dirname, ${JSON.stringify(PYODIDE_DIR)}, 'package.json')`,
        ),
        loader: 'ts',
      };
    });
    builder.onEnd((result) => {
      if (rewritten.length === 1 || result.errors.length > 0) return undefined;
      return {
        errors: [
          {
            text: `expected one require.resolve('pyodide/package.json') in connector/transform, found ${rewritten.length} (${rewritten.join(', ') || 'none'}): update pyodideNextToBundle in n8n-node/scripts/build.ts`,
          },
        ],
      };
    });
  },
};

/** Keeps `import ... from '../../shared'` in node files as a require of the shared bundle. */
const sharedAsExternal: Plugin = {
  name: 'shared-as-external',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/\.\.\/shared$/ }, () => ({
      path: '../../shared/index.js',
      external: true,
    }));
  },
};

const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: false,
  logLevel: 'warning',
  external: ['n8n-workflow'],
};

/** Name, version, license and license text of every npm package in the bundle or shipped. */
function thirdPartyNotices(inputs: string[]): string {
  const packages = new Set<string>();
  for (const input of inputs) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
    if (match?.[1]) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((name) => {
    const dir = join(REPO_DIR, 'node_modules', name);
    const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: string;
      license?: string;
      homepage?: string;
    };
    const licenseFile = readdirSync(dir).find((file) => /^(licen[sc]e|copying)/i.test(file));
    const text = licenseFile
      ? readFileSync(join(dir, licenseFile), 'utf8').trim()
      : `License text: see ${meta.homepage ?? 'the package'}`;
    return `${name} ${meta.version ?? ''} (${meta.license ?? 'see package'})\n${text}`.trim();
  });
  return `Third-party software bundled in or shipped with n8n-nodes-stripe-customers:\n\n${sections.join(
    `\n\n${'-'.repeat(72)}\n\n`,
  )}\n`;
}

export async function buildPackage(outDir = join(PACKAGE_DIR, 'dist')): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const shared = await build({
    ...COMMON,
    entryPoints: [join(PACKAGE_DIR, 'shared/index.ts')],
    outfile: join(outDir, 'shared/index.js'),
    // ESM dependencies (QuickJS' emscripten glue) locate their files with import.meta.url. Only
    // the shared bundle needs it: the node and credential files stay free of Node built-ins.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [pyodideNextToBundle],
    metafile: true,
  });
  writeFileSync(
    join(outDir, 'shared/THIRD_PARTY_NOTICES.txt'),
    thirdPartyNotices([
      ...Object.keys(shared.metafile.inputs),
      'node_modules/@jitl/quickjs-wasmfile-release-sync/package.json',
      'node_modules/pyodide/package.json',
    ]),
  );
  for (const asset of runtimeAssets()) {
    const target = join(outDir, 'shared', asset.to);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(asset.from, target, { recursive: true });
  }

  for (const node of NODES) {
    const source = join(PACKAGE_DIR, 'nodes', node);
    const target = join(outDir, 'nodes', node);
    await build({
      ...COMMON,
      entryPoints: [join(source, `${node}.node.ts`)],
      outfile: join(target, `${node}.node.js`),
      plugins: [sharedAsExternal],
    });
    for (const file of readdirSync(source)) {
      if (file.endsWith('.svg') || file.endsWith('.node.json')) {
        copyFileSync(join(source, file), join(target, file));
      }
    }
  }

  for (const credential of CREDENTIALS) {
    await build({
      ...COMMON,
      entryPoints: [join(PACKAGE_DIR, 'credentials', `${credential}.credentials.ts`)],
      outfile: join(outDir, 'credentials', `${credential}.credentials.js`),
    });
  }

  const exports = [
    ...NODES.map((node) => [node, `./nodes/${node}/${node}.node.js`]),
    ...CREDENTIALS.map((credential) => [credential, `./credentials/${credential}.credentials.js`]),
  ];
  writeFileSync(
    join(outDir, 'index.js'),
    `'use strict';\n${exports
      .map(([name, path]) => `exports.${name} = require('${path}').${name};`)
      .join('\n')}\n`,
  );
  return outDir;
}

if (require.main === module) {
  const outDir = process.argv[2] ? resolve(process.argv[2]) : undefined;
  buildPackage(outDir)
    .then((dir) => {
      const shown = relative(process.cwd(), dir) || '.';
      process.stdout.write(`n8n package built in ${shown}\n`);
      if (!existsSync(join(dir, 'shared/index.js'))) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
      process.exitCode = 1;
    });
}
