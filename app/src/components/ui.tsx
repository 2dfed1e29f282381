/** Small shared pieces: addresses with copy, amounts, loading/empty/error states and lists, links, the transaction status line. */
import { useState, type ReactNode } from "react";
import { href } from "../router.ts";
import { shortAddress } from "../lib/format.ts";
import type { TxState } from "../lib/tx.ts";

export function Address({ value, to, label }: { value: string; to?: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1200);
      },
      () => {},
    );
  };
  const text = label ?? shortAddress(value);
  return (
    <span className="address" title={value}>
      {to === undefined ? <code>{text}</code> : <a href={href(to)}><code>{text}</code></a>}
      <button type="button" className="copy" onClick={copy} aria-label={`copy ${value}`}>
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorBox({ error, what }: { error: unknown; what: string }) {
  return (
    <p className="error" role="alert">
      Could not load {what}: {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

/** What Query reads of a TanStack query (or of anything shaped like one). */
export type QueryLike<T> = { data: T | undefined; error: unknown; isLoading: boolean };

/** Renders a query's loading, error and empty states, else its data. */
export function Query<T>({ query, what, empty, children }: { query: QueryLike<T>; what: string; empty?: (data: T) => boolean; children: (data: T) => ReactNode }) {
  if (query.isLoading) return <Loading what={what} />;
  if (query.error) return <ErrorBox error={query.error} what={what} />;
  if (query.data === undefined) return <Empty>No {what}.</Empty>;
  if (empty?.(query.data)) return <Empty>No {what} yet.</Empty>;
  return <>{children(query.data)}</>;
}

/** A query's items as a list (`ol` where the order is the point), with Query's states; "No {what} yet." when it has none. */
export function QueryList<T, Item>({ query, what, items, itemKey, itemProps, ordered, className, testId, children }: {
  query: QueryLike<T>;
  what: string;
  items: (data: T) => readonly Item[];
  itemKey: (item: Item) => string;
  itemProps?: (item: Item) => { [name: `data-${string}`]: string | undefined };
  ordered?: boolean;
  className?: string;
  testId?: string;
  children: (item: Item, index: number, all: readonly Item[]) => ReactNode;
}) {
  const List = ordered ? "ol" : "ul";
  return (
    <Query query={query} what={what} empty={(data) => items(data).length === 0}>
      {(data) => {
        const all = items(data);
        return (
          <List className={className} data-testid={testId}>
            {all.map((item, index) => (
              <li key={itemKey(item)} {...itemProps?.(item)}>
                {children(item, index, all)}
              </li>
            ))}
          </List>
        );
      }}
    </Query>
  );
}

export function Card({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** One choice of a few, as joined buttons: radios (`radiogroup`), or toggle buttons (`group`, aria-pressed). */
export function Segmented<T extends string>({ label, options, value, onChange, text = (option) => option, role = "radiogroup" }: { label: string; options: readonly T[]; value: T; onChange: (option: T) => void; text?: (option: T) => string; role?: "radiogroup" | "group" }) {
  return (
    <div className="segmented" role={role} aria-label={label}>
      {options.map((option) => (
        <button key={option} type="button" onClick={() => onChange(option)} {...(role === "radiogroup" ? { role: "radio", "aria-checked": option === value } : { "aria-pressed": option === value })}>
          {text(option)}
        </button>
      ))}
    </div>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint === undefined ? null : <div className="stat-hint">{hint}</div>}
    </div>
  );
}

/** pending → confirmed → failed, with the decoded reason; never revert hex. */
export function TxStatus({ state, onDismiss }: { state: TxState; onDismiss?: () => void }) {
  if (state.status === "idle") return null;
  const text = {
    preparing: `${state.label}: checking…`,
    signing: `${state.label}: confirm in your wallet…`,
    pending: `${state.label}: pending…`,
    confirmed: `${state.label}: confirmed`,
    failed: `${state.label}: failed`,
  }[state.status];
  return (
    <div className={`tx tx-${state.status}`} role={state.status === "failed" ? "alert" : "status"} aria-live="polite" data-status={state.status}>
      <strong>{text}</strong>
      {state.status === "failed" ? <p className="tx-reason">{state.message}</p> : null}
      {state.status === "failed" && state.errorName !== undefined ? <p className="tx-error-name">{state.errorName}</p> : null}
      {"hash" in state && state.hash !== undefined ? (
        <p className="tx-hash">
          tx <code title={state.hash}>{`${state.hash.slice(0, 10)}…${state.hash.slice(-6)}`}</code>
          {state.status === "confirmed" ? ` in block ${state.receipt.blockNumber}` : ""}
        </p>
      ) : null}
      {onDismiss !== undefined && (state.status === "confirmed" || state.status === "failed") ? (
        <button type="button" className="link" onClick={onDismiss}>
          dismiss
        </button>
      ) : null}
    </div>
  );
}
