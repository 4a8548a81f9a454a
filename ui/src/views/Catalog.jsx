// Catalog (Cosmos): the Universe's packages, a package's install form (its
// config JSON schema rendered as fields), and the installed packages.
// Routes: #/catalog, #/catalog/packages/<name>, #/catalog/installed.
import React, { useEffect, useState } from "react";
import {
  Card,
  CheckboxInput,
  DangerButton,
  DialogModalWithFooter,
  InfoBoxBanner,
  PrimaryButton,
  SecondaryButton,
  TextInput,
} from "@dcos/ui-kit";

import { cosmos } from "../lib/api.js";
import { usePoll } from "../lib/live.js";
import { go, href } from "../lib/route.js";
import { optionsFromFields, schemaFields } from "../lib/shape.js";
import { col, DataTable, ErrorList, Loaded, Page } from "../components/common.jsx";

export function Catalog({ route }) {
  const [, mode, name] = route.parts;
  if (mode === "packages" && name) return <PackageDetail name={name} />;
  if (mode === "installed") return <Installed />;
  return <Packages />;
}

const tabs = (current) => [
  current === "installed" ? (
    <SecondaryButton key="all" onClick={() => go("/catalog")}>
      All packages
    </SecondaryButton>
  ) : (
    <SecondaryButton key="installed" onClick={() => go("/catalog/installed")} data-testid="installed-tab">
      Installed
    </SecondaryButton>
  ),
];

function Packages() {
  const [query, setQuery] = useState("");
  const poll = usePoll(() => cosmos("search", { query: "" }), 10000);
  return (
    <Page crumbs={[{ label: "Catalog" }]} actions={tabs("all")} testId="catalog">
      <div className="search">
        <TextInput id="catalog-search" type="search" inputLabel="Search packages" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      <Loaded poll={poll} what="the package catalog (Cosmos)">
        {(result) => {
          const q = query.trim().toLowerCase();
          const packages = (result.packages || []).filter(
            (p) => !q || p.name.toLowerCase().includes(q) || (p.description || "").toLowerCase().includes(q) || (p.tags || []).some((t) => t.includes(q)),
          );
          if (!packages.length) return <p className="muted">No package matches.</p>;
          return (
            <div className="package-grid" data-testid="package-grid">
              {packages.map((p) => (
                <a key={p.name} className="package-card" href={href("catalog", "packages", p.name)} data-testid="package-card">
                  <Card paddingSize="l">
                    <div className="card-title">{p.name}</div>
                    <div className="muted">{p.currentVersion || p.version}</div>
                    <p className="package-description">{p.description}</p>
                    {p.selected ? <span className="muted">Certified</span> : null}
                  </Card>
                </a>
              ))}
            </div>
          );
        }}
      </Loaded>
    </Page>
  );
}

function OptionField({ field, value, onChange }) {
  const label = `${field.path}${field.required ? " *" : ""}`;
  if (field.type === "boolean") {
    return (
      <CheckboxInput
        id={`option-${field.path}`}
        inputLabel={label}
        hintContent={field.description}
        checked={value === true || value === "true"}
        onChange={(e) => onChange(e.target.checked)}
        value={field.path}
      />
    );
  }
  const json = field.type === "array" || field.type === "object";
  const shown = json && typeof value !== "string" ? JSON.stringify(value ?? null) : value;
  return (
    <TextInput
      id={`option-${field.path}`}
      type={field.type === "integer" || field.type === "number" ? "number" : "text"}
      inputLabel={json ? `${label} (JSON)` : label}
      hintContent={field.description}
      value={shown ?? ""}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

function PackageDetail({ name }) {
  const [pkg, setPkg] = useState(null);
  const [error, setError] = useState(null);
  const [values, setValues] = useState({});
  const [result, setResult] = useState(null);
  const [installErrors, setInstallErrors] = useState([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    cosmos("describe", { packageName: name }, { version: "v3" })
      .then((d) => setPkg(d.package || d))
      .catch(setError);
  }, [name]);

  if (error) return <Page crumbs={[{ label: "Catalog", href: "#/catalog" }, { label: name }]}><ErrorList errors={[error.message]} testId="api-error" /></Page>;
  const fields = pkg ? schemaFields(pkg.config) : [];
  const shown = (field) => (field.path in values ? values[field.path] : field.default);

  const install = async () => {
    setBusy(true);
    setInstallErrors([]);
    setResult(null);
    try {
      const options = optionsFromFields(fields, values);
      const answer = await cosmos(
        "install",
        { packageName: name, packageVersion: pkg.version, options },
        { version: "v2" },
      );
      setResult(answer);
    } catch (exc) {
      const body = exc.body || {};
      const details = ((body.data && body.data.errors) || []).map((e) => `${e.path || ""} ${e.message || JSON.stringify(e)}`.trim());
      setInstallErrors([body.message || exc.message, ...details]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page crumbs={[{ label: "Catalog", href: "#/catalog" }, { label: name }]} testId="package-detail">
      {!pkg ? (
        <p className="muted">Loading {name}…</p>
      ) : (
        <>
          <div className="summary">
            <strong>{pkg.name}</strong> <span className="muted">{pkg.version}</span>
          </div>
          <p>{pkg.description}</p>
          {pkg.preInstallNotes ? <InfoBoxBanner appearance="info" message={pkg.preInstallNotes} /> : null}
          <h3>Options</h3>
          <div className="form" data-testid="package-options">
            {fields.length ? (
              fields.map((f) => (
                <OptionField key={f.path} field={f} value={shown(f)} onChange={(v) => setValues({ ...values, [f.path]: v })} />
              ))
            ) : (
              <p className="muted">This package has no options.</p>
            )}
          </div>
          <ErrorList errors={installErrors} testId="install-errors" />
          {result ? (
            <div data-testid="install-result">
              <InfoBoxBanner
                appearance="success"
                message={`Installed ${result.packageName} ${result.packageVersion}. ${pkg.postInstallNotes || ""}`}
              />
              {result.appId ? (
                <p>
                  Its service:{" "}
                  <a href={href("services", "detail", result.appId)} data-testid="installed-app">
                    {result.appId}
                  </a>
                </p>
              ) : null}
            </div>
          ) : null}
          <div className="form-actions">
            <PrimaryButton onClick={install} isProcessing={busy} data-testid="install">
              Install
            </PrimaryButton>
          </div>
        </>
      )}
    </Page>
  );
}

function Installed() {
  const poll = usePoll(() => cosmos("list", {}), 5000);
  const [confirm, setConfirm] = useState(null);
  const [error, setError] = useState([]);
  const uninstall = async () => {
    try {
      await cosmos("uninstall", { packageName: confirm.name, appId: confirm.appId });
      setConfirm(null);
      poll.refresh();
    } catch (exc) {
      setError([exc.message]);
      setConfirm(null);
    }
  };
  const columns = [
    col("name", "Package", (p) => p.name, "minmax(140px, 1fr)"),
    col("version", "Version", (p) => p.version, "120px"),
    col("app", "Service", (p) => (p.appId ? <a href={href("services", "detail", p.appId)}>{p.appId}</a> : ""), "minmax(140px, 1fr)"),
    col("actions", "", (p) => (
      <DangerButton onClick={() => setConfirm(p)} data-testid="uninstall">
        Uninstall
      </DangerButton>
    ), "140px"),
  ];
  return (
    <Page crumbs={[{ label: "Catalog", href: "#/catalog" }, { label: "Installed" }]} actions={tabs("installed")} testId="installed">
      <ErrorList errors={error} />
      <Loaded poll={poll} what="the installed packages (Cosmos)">
        {(result) => {
          const rows = (result.packages || []).map((p) => {
            const definition = (p.packageInformation && p.packageInformation.packageDefinition) || {};
            return { name: definition.name, version: definition.version, appId: p.appId };
          });
          return <DataTable rows={rows} columns={columns} toId={(p) => `${p.name}${p.appId}`} testId="installed-table" empty="No package is installed." />;
        }}
      </Loaded>
      {confirm ? (
        <DialogModalWithFooter
          isOpen={true}
          isAnimated={false}
          title="Uninstall"
          onClose={() => setConfirm(null)}
          ctaButton={
            <DangerButton onClick={uninstall} data-testid="confirm">
              Uninstall
            </DangerButton>
          }
        >
          <p>
            Uninstall {confirm.name} ({confirm.appId})?
          </p>
        </DialogModalWithFooter>
      ) : null}
    </Page>
  );
}
