/**
 * What a run reads. The action node: every matching customer (all, or up to a limit), or only
 * the changes since it last ran, previewed in manual runs. The trigger: what its first poll does.
 */
import type { INodeProperties } from 'n8n-workflow';

/** How many changed customers a manual run of "Only Changed Since Last Run" shows by default. */
export const DEFAULT_PREVIEW_LIMIT = 50;

export const actionReadingProperties: INodeProperties[] = [
  {
    displayName: 'Only Changed Since Last Run',
    name: 'onlyChanged',
    type: 'boolean',
    default: false,
    description:
      'Whether to return only the customers created, updated or deleted since this node last ran in an active workflow (the first run returns all of them). Needs the "Events: Read" permission.',
  },
  {
    displayName:
      'When the workflow is active, each run returns the customers created, updated or deleted since the previous run (the first run: all of them). A manual run here shows a preview of up to Preview Limit of them and keeps no cursor.',
    name: 'onlyChangedNotice',
    type: 'notice',
    default: '',
    displayOptions: { show: { onlyChanged: [true] } },
  },
  {
    displayName: 'Preview Limit',
    name: 'previewLimit',
    type: 'number',
    typeOptions: { minValue: 1 },
    default: DEFAULT_PREVIEW_LIMIT,
    description:
      'Max number of customers a manual run returns; runs of the active workflow return every change',
    displayOptions: { show: { onlyChanged: [true] } },
  },
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    default: false,
    description: 'Whether to return all results or only up to a given limit',
    displayOptions: { show: { onlyChanged: [false] } },
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    typeOptions: { minValue: 1 },
    default: 50,
    description: 'Max number of results to return',
    displayOptions: { show: { onlyChanged: [false], returnAll: [false] } },
  },
];

export const triggerReadingProperties: INodeProperties[] = [
  {
    displayName: 'First Poll',
    name: 'firstPoll',
    type: 'options',
    noDataExpression: true,
    options: [
      {
        name: 'Start From Now',
        value: 'startNow',
        description: 'Emit only the changes made after the workflow is activated',
      },
      {
        name: 'Import All Existing Customers',
        value: 'importAll',
        description:
          'Emit every existing customer once (change "listed"), then the changes after that',
      },
    ],
    default: 'startNow',
    description: 'What the first poll does, and any poll after the filter or output was changed',
  },
];
