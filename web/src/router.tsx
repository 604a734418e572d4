/**
 * Hash routing (`#/runs/ID`): the asset paths stay relative, so the dashboard works from any
 * folder and needs nothing of the server but its files. `#login=CODE` is the one-time link.
 */

import type { MouseEvent, ReactNode } from 'react';
import { useEffect, useState } from 'react';

export const currentPath = (): string => {
  const hash = window.location.hash;
  return hash.startsWith('#/') ? hash.slice(1) : '/';
};

export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return path;
}

export const navigate = (path: string): void => {
  window.location.hash = `#${path}`;
};

export function Link(props: { to: string; children: ReactNode; current?: boolean }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={`#${props.to}`} onClick={onClick} aria-current={props.current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}
