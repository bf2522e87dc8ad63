// Lints the n8n package with n8n's community-node rules (the `recommended` set, which includes
// the n8n Cloud restrictions: no runtime dependencies, no restricted globals or imports).
// scripts/ holds the build tool, which is not shipped.
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['dist/**', 'scripts/**', 'eslint.config.mjs'] },
  {
    files: ['**/*.ts', 'package.json'],
    languageOptions: { parser: tseslint.parser },
  },
  n8nCommunityNodesPlugin.configs.recommended,
  {
    // The one exception: `valid-author` wants an e-mail address in "author". The project has no
    // maintainers' mailbox; its contact is the issue tracker, which "author.url" and "bugs.url"
    // name. An invented address would be the placeholder this rule exists to prevent.
    files: ['package.json'],
    rules: { '@n8n/community-nodes/valid-author': 'off' },
  },
];
