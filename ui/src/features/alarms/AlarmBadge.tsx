// An alarm's state as a word, a shape and a colour (ISA-101: colour is never the only cue; the
// colour is the priority's, and only while the alarm needs someone).
import type { AlarmState } from '../../bindings/AlarmState';
import type { Priority } from '../../bindings/Priority';
import { priorityWord, stateWord } from './model';

function Shape({ state }: { state: AlarmState }) {
  const common = { width: 18, height: 18, viewBox: '0 0 18 18', 'aria-hidden': true } as const;
  switch (state) {
    case 'unacknowledged':
      return (
        <svg {...common}>
          <path d="M9 1.5 L17 16 H1 Z" fill="currentColor" />
          <text x="9" y="14" textAnchor="middle" fontSize="10" fontWeight="bold" fill="#111">!</text>
        </svg>
      );
    case 'acknowledged':
      return (
        <svg {...common}>
          <path d="M9 2.5 L16 15.5 H2 Z" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
      );
    case 'returned_unacknowledged':
      return (
        <svg {...common}>
          <path d="M9 2.5 L16 15.5 H2 Z" fill="none" stroke="currentColor" strokeWidth="2" strokeDasharray="3 2" />
        </svg>
      );
    case 'shelved':
      return (
        <svg {...common}>
          <rect x="4" y="3" width="3.5" height="12" fill="currentColor" />
          <rect x="10.5" y="3" width="3.5" height="12" fill="currentColor" />
        </svg>
      );
    case 'suppressed':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="6.5" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M4.5 13.5 L13.5 4.5" stroke="currentColor" strokeWidth="2" />
        </svg>
      );
    case 'normal':
      return (
        <svg {...common}>
          <circle cx="9" cy="9" r="5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
      );
  }
}

export function AlarmStateBadge({ state, priority }: { state: AlarmState; priority: Priority }) {
  const needsSomeone = state === 'unacknowledged' || state === 'returned_unacknowledged' || state === 'acknowledged';
  return (
    <span className={`alarm-state alarm-state-${state}${needsSomeone ? ` prio-${priority}` : ''}`} data-alarm-state={state}>
      <Shape state={state} />
      <span>{stateWord(state)}</span>
    </span>
  );
}

export function PriorityBadge({ priority }: { priority: Priority }) {
  return (
    <span className={`prio prio-${priority}`} data-priority={priority}>
      {priorityWord(priority)}
    </span>
  );
}
