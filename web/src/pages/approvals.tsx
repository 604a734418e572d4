/** The approvals inbox: what waits for a person, approved or rejected with a comment. */

import { useState } from 'react';
import { useAction, useApi, useJournal, useQuery } from '../api.js';
import { Badge, ErrorBox, Table, when } from '../components.js';
import { Link } from '../router.js';

interface Pending {
  readonly id: string;
  readonly runId: string;
  readonly stepKey: string;
  readonly phase: string;
  readonly requestedAt: string;
}

function Decide(props: { approval: Pending; onDone: () => void }) {
  const api = useApi();
  const [comment, setComment] = useState('');
  const action = useAction();
  const decide = (approve: boolean) =>
    action.run(async () => {
      const input = {
        approval: props.approval.id,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      };
      await api.call(approve ? 'approval.approve' : 'approval.reject', input);
      props.onDone();
    });
  return (
    <div className="inline">
      <label>
        Comment
        <input
          name="comment"
          aria-label={`Comment on ${props.approval.stepKey}`}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
      </label>{' '}
      <button
        type="button"
        className="primary"
        disabled={action.busy}
        onClick={() => void decide(true)}
      >
        Approve
      </button>{' '}
      <button
        type="button"
        className="danger"
        disabled={action.busy}
        onClick={() => void decide(false)}
      >
        Reject
      </button>
      <ErrorBox error={action.error} />
    </div>
  );
}

export function ApprovalsPage() {
  const pending = useQuery('approval.list', { status: 'pending' });
  const decided = useQuery('approval.list', { status: 'approved', limit: 20 });
  const rejected = useQuery('approval.list', { status: 'rejected', limit: 20 });
  const reload = () => {
    pending.reload();
    decided.reload();
    rejected.reload();
  };
  useJournal({ kinds: ['approval-request', 'approval-decide'] }, reload);
  const history = [...(decided.data ?? []), ...(rejected.data ?? [])].sort((a, b) =>
    (b.decidedAt ?? '').localeCompare(a.decidedAt ?? ''),
  );
  return (
    <>
      <h1>Approvals</h1>
      <ErrorBox error={pending.error} />
      <Table
        label="Pending approvals"
        rows={pending.data}
        empty="Nothing waits for approval."
        columns={[
          { key: 'stepKey', label: 'Step' },
          { key: 'phase', label: 'Phase' },
          {
            key: 'runId',
            label: 'Run',
            render: (a) => <Link to={`/runs/${a.runId}`}>{a.runId.slice(0, 10)}…</Link>,
          },
          { key: 'requestedAt', label: 'Asked', render: (a) => when(a.requestedAt) },
          {
            key: 'decide',
            label: 'Decision',
            render: (a) => <Decide approval={a} onDone={reload} />,
          },
        ]}
      />
      <h2>Decided</h2>
      <Table
        label="Decided approvals"
        rows={history}
        empty="No decisions yet."
        columns={[
          { key: 'stepKey', label: 'Step' },
          { key: 'status', label: 'Decision', render: (a) => <Badge status={a.status} /> },
          { key: 'decidedBy', label: 'By' },
          { key: 'comment', label: 'Comment' },
          { key: 'decidedAt', label: 'When', render: (a) => when(a.decidedAt) },
          {
            key: 'runId',
            label: 'Run',
            render: (a) => <Link to={`/runs/${a.runId}`}>{a.runId.slice(0, 10)}…</Link>,
          },
        ]}
      />
    </>
  );
}
