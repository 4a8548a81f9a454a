// Log in with the cluster's own flow: an OpenID Connect ID token (which the
// cluster mints for its users: `dcos-oauth id-token EMAIL` on a master, or
// the link `minidcos docker web` prints) is exchanged at
// POST /acs/api/v1/auth/login for the login cookie.
import React, { useEffect, useState } from "react";
import { Card, PrimaryButton, Textarea } from "@dcos/ui-kit";

import { get, post } from "../lib/api.js";
import { go } from "../lib/route.js";

export function Login({ route }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [firstUser, setFirstUser] = useState(false);
  const redirect = route.query.get("redirect") || "/dashboard";

  const login = async (idToken) => {
    setBusy(true);
    setError(null);
    try {
      await post("/acs/api/v1/auth/login", { token: idToken.trim() });
      // The token came in the URL's fragment: drop it from the history.
      window.history.replaceState(null, "", window.location.pathname);
      go(redirect.startsWith("/login") ? "/dashboard" : redirect);
    } catch (exc) {
      const body = exc.body || {};
      setError(body.description ? `${body.title || "Error"}: ${body.description}` : exc.message);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    get("/dcos-metadata/ui-config.json")
      .then((c) => setFirstUser(Boolean(c.clusterConfiguration && c.clusterConfiguration.firstUser)))
      .catch(() => {});
    const given = route.query.get("id_token");
    if (given) login(given);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div className="login" data-testid="login-page">
      <Card paddingSize="xl">
        <h1>Log in to DC/OS</h1>
        <p>
          This cluster issues OpenID Connect ID tokens itself. Get one for your user on the machine
          that runs the cluster:
        </p>
        <pre>minidcos docker web</pre>
        <p>prints a link that logs you in; or</p>
        <pre>minidcos docker run -- /opt/mesosphere/bin/dcos-oauth id-token you@example.com</pre>
        <p>and paste the token here.</p>
        {firstUser ? (
          <p data-testid="first-user">No one has logged in yet: the first login becomes the first user.</p>
        ) : null}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            login(token);
          }}
        >
          <Textarea
            id="id-token"
            inputLabel="ID token"
            rows={5}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            errors={error ? [<span data-testid="login-error">{error}</span>] : undefined}
            appearance={error ? "error" : "standard"}
          />
          <div className="form-actions">
            <PrimaryButton type="submit" isProcessing={busy} disabled={!token.trim()}>
              Log in
            </PrimaryButton>
          </div>
        </form>
      </Card>
    </div>
  );
}
