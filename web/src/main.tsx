/** The dashboard: sign-in (token form or one-time link), then the shell with its pages. */

import type { FormEvent } from 'react';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider, baseUrl, storeToken, storedToken } from './api.js';
import { Link, usePath } from './router.js';
import { AgentsPage } from './pages/agents.js';
import { ApprovalsPage } from './pages/approvals.js';
import { CostsPage } from './pages/costs.js';
import { OverviewPage } from './pages/overview.js';
import { ProjectPage, ProjectsPage } from './pages/projects.js';
import { RunPage, RunsPage } from './pages/runs.js';
import './styles.css';

const NAV = [
  { path: '/', label: 'Overview' },
  { path: '/projects', label: 'Projects' },
  { path: '/runs', label: 'Runs' },
  { path: '/approvals', label: 'Approvals' },
  { path: '/costs', label: 'Costs' },
  { path: '/agents', label: 'Agents' },
];

/** Exchanges the code of a `#login=CODE` link for the token, once. */
async function redeemLoginLink(): Promise<string | null> {
  const match = /^#login=([\w-]+)$/.exec(window.location.hash);
  if (!match) return null;
  history.replaceState(null, '', `${window.location.pathname}#/`);
  const response = await fetch(`${baseUrl()}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: match[1] }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    token?: string;
    error?: { message?: string };
  };
  if (!response.ok || !body.token) throw new Error(body.error?.message ?? 'login link refused');
  return body.token;
}

function SignIn(props: { onToken: (token: string) => void; error: string | null }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim() !== '') props.onToken(value.trim());
  };
  return (
    <main id="main" className="login panel">
      <h1>bosun</h1>
      <form onSubmit={submit}>
        <label>
          Access token (in .bosun/token, or BOSUN_TOKEN)
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            autoFocus
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Sign in
        </button>
        {props.error ? (
          <p className="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <p className="muted">
          Or start the server with <code>bosun serve --open</code> and follow its one-time link.
        </p>
      </form>
    </main>
  );
}

function Page(props: { path: string }) {
  const parts = props.path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined:
      return <OverviewPage />;
    case 'projects':
      return parts[1] ? <ProjectPage projectKey={parts[1]} /> : <ProjectsPage />;
    case 'runs':
      return parts[1] ? <RunPage runId={parts[1]} /> : <RunsPage />;
    case 'approvals':
      return <ApprovalsPage />;
    case 'costs':
      return <CostsPage />;
    case 'agents':
      return <AgentsPage />;
    default:
      return <h1>Not found: {props.path}</h1>;
  }
}

function Shell(props: { onSignOut: () => void }) {
  const path = usePath();
  const section = `/${path.split('/')[1] ?? ''}`;
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [path]);
  return (
    <div className="shell">
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <nav className="side" aria-label="Main">
        <div className="brand">bosun</div>
        <ul>
          {NAV.map((item) => (
            <li key={item.path}>
              <Link to={item.path} current={section === item.path}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
        <button type="button" className="signout" onClick={props.onSignOut}>
          Sign out
        </button>
      </nav>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(storedToken);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    redeemLoginLink().then(
      (fresh) => {
        if (fresh) {
          storeToken(fresh);
          setToken(fresh);
        }
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  const signIn = (fresh: string) => {
    storeToken(fresh);
    setError(null);
    setToken(fresh);
  };
  const signOut = (message: string | null) => {
    storeToken(null);
    setError(message);
    setToken(null);
  };
  if (token === null) return <SignIn onToken={signIn} error={error} />;
  return (
    <ApiProvider
      key={token}
      token={token}
      onUnauthorized={() => signOut('The server refused the token: sign in again.')}
    >
      <Shell onSignOut={() => signOut(null)} />
    </ApiProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
