/**
 * The relayer operator's view: health, queue depth, each job's key with its balance and whether it holds its role
 * on-chain, and every batch through the pipeline (sealed → stored → submitted → committed, confirmed once the
 * indexer has its PlaysCommitted), with a "verify" that audits the batch in this browser (lib/verify.ts).
 */
import { useState } from "react";
import type { Address as Hex20 } from "viem";
import { useBalance, usePublicClient, useReadContracts } from "wagmi";
import { BeatStreamVaultAbi, CreatorCoinFactoryAbi, MusicNFTAbi } from "../abis.ts";
import { DataTable } from "../components/DataTable.tsx";
import { Address, Card, Empty, Query, Stat } from "../components/ui.tsx";
import { useAppConfig } from "../config.ts";
import { useIndexedBatches } from "../data/indexer.ts";
import { fetchSnapshot, useRelayerBatches, useRelayerHealth, useRelayerMetrics, type RelayerBatch } from "../data/relayer.ts";
import { formatAmount, shortAddress } from "../lib/format.ts";
import { verifyBatchInBrowser, type VerifyResult } from "../lib/verify.ts";

/** The relayer's three jobs (relayer/src/chain/roles.ts): the contract whose RELAYER_ROLE each key needs. */
const JOBS = [
  { job: "committer", contract: "MusicNFT", abi: MusicNFTAbi, call: "commitPlays" },
  { job: "reporter", contract: "CreatorCoinFactory", abi: CreatorCoinFactoryAbi, call: "updateCreatorMetrics" },
  { job: "settler", contract: "BeatStreamVault", abi: BeatStreamVaultAbi, call: "settle" },
] as const;

export function OperatorPage() {
  return (
    <div className="operator">
      <RelayerStatus />
      <Keys />
      <Batches />
    </div>
  );
}

function RelayerStatus() {
  const health = useRelayerHealth();
  const metrics = useRelayerMetrics();
  const pending = metrics.data?.get("relayer_plays_pending");
  const accepted = metrics.data?.get("relayer_plays_accepted_total");
  return (
    <Card title="Relayer">
      <div className="stats">
        <Stat
          label="Health"
          value={<span className={health.data?.status === "ok" ? "up" : "down"} data-testid="relayer-health">{health.data?.status ?? "…"}</span>}
          hint={health.data === undefined ? undefined : Object.entries(health.data.checks).map(([name, value]) => `${name}: ${value}`).join(" · ")}
        />
        <Stat label="Queue (pending plays)" value={pending === undefined ? "…" : pending.toLocaleString()} />
        <Stat label="Plays accepted" value={accepted === undefined ? "…" : accepted.toLocaleString()} hint="since the relayer started" />
      </div>
      {metrics.error ? <p className="error">metrics: {String(metrics.error)}</p> : null}
    </Card>
  );
}

function KeyBalance({ address }: { address: Hex20 }) {
  const balance = useBalance({ address, query: { refetchInterval: 10_000 } });
  return <>{balance.data === undefined ? "…" : `${formatAmount(balance.data.value, 18, 4)} ETH`}</>;
}

function Keys() {
  const app = useAppConfig();
  const jobs = JOBS.filter((job) => app.roles[job.job] !== undefined);
  const roles = useReadContracts({ contracts: jobs.map((job) => ({ address: app.contracts[job.contract], abi: job.abi, functionName: "RELAYER_ROLE" }) as const) });
  const holds = useReadContracts({
    contracts: jobs.map((job, index) => ({ address: app.contracts[job.contract], abi: job.abi, functionName: "hasRole", args: [roles.data?.[index]?.result as `0x${string}`, app.roles[job.job]!] }) as const),
    query: { enabled: roles.data !== undefined, refetchInterval: 10_000 },
  });
  if (jobs.length === 0) return <Card title="Keys and roles"><Empty>The deployments file names no relayer keys.</Empty></Card>;
  return (
    <Card title="Keys and roles">
      <DataTable
        columns={[
          {
            header: "Job",
            cell: (job) => (
              <>
                {job.job} <span className="muted small">({job.call})</span>
              </>
            ),
          },
          { header: "Key", cell: (job) => <Address value={app.roles[job.job]!} /> },
          { header: "Balance", num: true, cell: (job) => <KeyBalance address={app.roles[job.job]!} /> },
          {
            header: "Role",
            className: ({ holds }) => (holds === true ? "up" : holds === false ? "down" : undefined),
            cell: ({ contract, holds }) => (holds === undefined ? "…" : holds ? `holds ${contract} RELAYER_ROLE` : `MISSING ${contract} RELAYER_ROLE`),
          },
        ]}
        rows={jobs.map((job, index) => ({ ...job, holds: holds.data?.[index]?.result }))}
        rowKey={(job) => job.job}
      />
      <p className="small muted">Keys as the deploy granted them (deployments file); roles read from the chain now.</p>
    </Card>
  );
}

/** The header alone: BatchRow draws a batch's cells, and the audit row that unfolds under them. */
const BATCH_HEADERS = [{ header: "Batch" }, { header: "Status" }, { header: "Plays", num: true }, { header: "CID" }, { header: "Piece CID" }, { header: "Tx" }, { header: "Audit" }];

function Batches() {
  const relayer = useRelayerBatches();
  const indexed = useIndexedBatches();
  const confirmed = new Map((indexed.data?.items ?? []).map((batch) => [batch.id, batch]));
  return (
    <Card title="Batches">
      <Query query={relayer} what="batches" empty={(data) => data.batches.length === 0}>
        {(data) => <DataTable columns={BATCH_HEADERS} rows={data.batches} rowKey={(batch) => batch.id} renderRow={(batch) => <BatchRow batch={batch} confirmedBlock={confirmed.get(batch.id)?.blockNumber} />} testId="batches" />}
      </Query>
    </Card>
  );
}

function BatchRow({ batch, confirmedBlock }: { batch: RelayerBatch; confirmedBlock: string | undefined }) {
  const app = useAppConfig();
  const client = usePublicClient();
  const [result, setResult] = useState<VerifyResult | { error: string } | "running" | undefined>(undefined);
  const [progress, setProgress] = useState("");
  const status = batch.status === "committed" && confirmedBlock !== undefined ? "confirmed" : batch.status;
  const verify = async () => {
    if (client === undefined) return;
    setResult("running");
    try {
      const { bytes } = await fetchSnapshot(app.relayerUrl, batch.id);
      setResult(await verifyBatchInBrowser({ batchId: BigInt(batch.id), bytes, client, musicNFT: app.contracts.MusicNFT, ...(batch.block === null ? {} : { block: BigInt(batch.block) }), onProgress: (done, total) => setProgress(`${done}/${total} signatures`) }));
    } catch (error) {
      setResult({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <>
      <tr data-batch={batch.id}>
        <td>#{batch.id}</td>
        <td>
          <span className={`badge status-${status}`} title={batch.lastError ?? undefined}>
            {status}
          </span>
          {batch.lastError !== null ? <span className="down small"> {batch.lastError.slice(0, 80)}</span> : null}
        </td>
        <td className="num">{batch.plays}</td>
        <td>{batch.cid === null ? <span className="muted">–</span> : <Address value={batch.cid} label={shortAddress(batch.cid)} />}</td>
        <td>{batch.pieceCid === null ? <span className="muted">–</span> : <Address value={batch.pieceCid} label={shortAddress(batch.pieceCid)} />}</td>
        <td>{batch.txHash === null ? <span className="muted">–</span> : <Address value={batch.txHash} />}</td>
        <td>
          <button type="button" onClick={() => void verify()} disabled={batch.status !== "committed" || result === "running"} aria-label={`verify batch ${batch.id}`}>
            {result === "running" ? `verifying… ${progress}` : "verify"}
          </button>
        </td>
      </tr>
      {result !== undefined && result !== "running" ? (
        <tr className="verify-row">
          <td colSpan={7}>
            {"error" in result ? (
              <p className="error" role="alert">Could not verify: {result.error}</p>
            ) : (
              <div role="status" data-testid={`verify-${batch.id}`} data-ok={result.ok}>
                <strong className={result.ok ? "up" : "down"}>{result.ok ? `Batch ${batch.id} verified in this browser: ${result.plays} plays match the chain` : `Batch ${batch.id} does NOT match the chain`}</strong>
                <ul className="checks">
                  {result.checks.map((item) => (
                    <li key={item.name} className={item.ok === true ? "up" : item.ok === false ? "down" : "muted"}>
                      {item.ok === true ? "✓" : item.ok === false ? "✗" : "–"} {item.name}: {item.detail}
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}

